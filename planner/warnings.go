package planner

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// A Warning is a typed, bilingual warning about how far an audit's
// figures can be trusted (DESIGN §2 "Demand"): summary.json carries it
// in warning_details, the report and the map show it next to the figures
// it Affects.
type Warning struct {
	// Affects names the figures the warning is about: AffectsPopulation
	// (the residents' total) or AffectsCoverage (the coverage table).
	Affects string `json:"affects"`
	Code    string `json:"code"`
	En      string `json:"text_en"`
	Zh      string `json:"text_zh"`
}

// What a Warning affects.
const (
	AffectsPopulation = "population"
	AffectsCoverage   = "coverage"
)

// Warning codes.
const (
	// WarnEstimateVsOfficial: the estimated total is more than
	// EstimateTolerance off the official one (--total-population or the
	// unit counts), before rescaling.
	WarnEstimateVsOfficial = "estimate_vs_official"
	// WarnWeakResidentialTagging: less than WeakResidentialShare of the
	// building footprint is tagged residential.
	WarnWeakResidentialTagging = "weak_residential_tagging"
	// WarnCutOffResidents: residents snap to street pieces cut off from
	// the largest one and reach only what lies on their piece.
	WarnCutOffResidents = "cut_off_residents"
	// WarnUnitsWithoutResidents: units in which no resident lives.
	WarnUnitsWithoutResidents = "units_without_residents"
	// WarnUnitsWithoutCount: --unit-population gives no count for some
	// units, which keep the estimate.
	WarnUnitsWithoutCount = "units_without_count"
	// WarnDemandGroupMissing: a type serves a resident group the
	// population layer does not have; it is judged by all residents.
	WarnDemandGroupMissing = "demand_group_missing"
	// WarnDerivedIDs: an amenity layer gives some facilities no id; their
	// ids are derived from type, name and position (DerivedFacilityID).
	WarnDerivedIDs = "derived_facility_ids"
)

// EstimateTolerance is how far (as a share) an estimated total may be
// from an official one before WarnEstimateVsOfficial.
const EstimateTolerance = 0.25

// WeakResidentialShare is the share of building footprint tagged
// residential below which the building estimate is called weak. Housing
// is most of the built footprint of a city district (typically half to
// three quarters); below a fifth, most homes are evidently tagged
// building=yes outside landuse=residential, and the residents are piled
// into the few buildings that are tagged.
const WeakResidentialShare = 0.20

// String returns the English text.
func (w Warning) String() string { return w.En }

// EstimateVsOfficial returns a WarnEstimateVsOfficial warning when the
// estimate is more than EstimateTolerance off the official total; what
// names the official figure ("--total-population", "the unit counts of
// FILE").
func EstimateVsOfficial(estimate, official float64, source, what string) (Warning, bool) {
	if !(official > 0) || math.Abs(estimate-official) <= EstimateTolerance*official {
		return Warning{}, false
	}
	pct := 100 * (estimate - official) / official
	return Warning{Affects: AffectsPopulation, Code: WarnEstimateVsOfficial,
		En: fmt.Sprintf("the %s estimate gives %.0f residents, %+.0f %% off the %.0f of %s (more than %.0f %%): the estimate is weak here — the figures use the official count",
			source, estimate, pct, official, what, 100*EstimateTolerance),
		Zh: fmt.Sprintf("按%s估算的人口为 %.0f 人，与%s的 %.0f 人相差 %+.0f%%（超过 %.0f%%）：估算在此不可靠，结果已按官方人数计算",
			sourceZh(source), estimate, whatZh(what), official, pct, 100*EstimateTolerance)}, true
}

func sourceZh(source string) string {
	switch source {
	case DemandBuildings:
		return "住宅建筑"
	case DemandPopulationLayer:
		return "人口图层"
	case DemandNetworkSample:
		return "街道采样"
	}
	return source
}

func whatZh(what string) string {
	if what == "--total-population" {
		return " --total-population "
	}
	return strings.Replace(what, "the unit counts of", "单元人口文件", 1)
}

// FootprintShare returns the footprint (m²) of all buildings (building
// values other than "no") and of those DemandFromBuildings counts as
// residential.
func FootprintShare(bs []Building, o BuildingOptions) (all, residential float64, err error) {
	areas := geo.NewPolyIndex(len(o.ResidentialAreas))
	for i, g := range o.ResidentialAreas {
		areas.Add(int32(i), g)
	}
	var q geo.PolyQuery
	for i := range bs {
		b := &bs[i]
		kind := strings.TrimSpace(b.Tags["building"])
		if kind == "no" {
			continue
		}
		c, area, ferr := geo.Footprint(b.Geometry)
		if ferr != nil {
			return 0, 0, fmt.Errorf("buildings: %w: building %d (%s): %v", ErrInvalid, i, buildingName(b.ID), ferr)
		}
		if !(area > 0) {
			continue
		}
		all += area
		if slices.Contains(residentialBuildingTypes, kind) || (areas.Len() > 0 && len(q.Collect(&areas, c)) > 0) {
			residential += area
		}
	}
	return all, residential, nil
}

// WeakTagging returns a WarnWeakResidentialTagging warning when buildings
// exist but less than WeakResidentialShare of their footprint is
// residential.
func WeakTagging(all, residential float64) (Warning, bool) {
	if !(all > 0) || residential >= WeakResidentialShare*all {
		return Warning{}, false
	}
	pct := 100 * residential / all
	return Warning{Affects: AffectsPopulation, Code: WarnWeakResidentialTagging,
		En: fmt.Sprintf("only %.0f %% of the building footprint (%.1f of %.1f ha) is tagged residential (less than %.0f %%): the building estimate puts all residents into those buildings and is weak — give --population, --unit-population or --total-population",
			pct, residential/1e4, all/1e4, 100*WeakResidentialShare),
		Zh: fmt.Sprintf("建筑占地中仅 %.0f%%（%.1f / %.1f 公顷）标为住宅（低于 %.0f%%）：按建筑估算的人口集中在这些建筑中，估算不可靠——请提供 --population、--unit-population 或 --total-population",
			pct, residential/1e4, all/1e4, 100*WeakResidentialShare)}, true
}

// A CutOffPiece is a piece of the walk network not connected to the
// largest one, with the residents who snap to it.
type CutOffPiece struct {
	Nodes     int
	LengthM   float64
	Residents float64
	Points    int
	Bound     orb.Bound // of its residents' points, lon/lat
	Units     []string  // names (else ids) of the units they live in
}

// CutOff returns the pieces of the network, other than the largest, that
// residents snap to (pos and snapped as SnapAll gives them), most
// residents first. units and assign name their units (nil for none).
func CutOff(net *geo.Network, pos []geo.Position, snapped []bool, pop []float64, units []Unit, assign []int32) []CutOffPiece {
	if net == nil || net.NumNodes() == 0 {
		return nil
	}
	comp, count := net.Components()
	if count < 2 {
		return nil
	}
	byComp := map[int32]*CutOffPiece{}
	for i := range pos {
		if !snapped[i] || pop[i] <= 0 {
			continue
		}
		a, _, _ := net.Edge(pos[i].Edge)
		c := comp[a]
		if c == 0 {
			continue
		}
		pc := byComp[c]
		if pc == nil {
			pc = &CutOffPiece{Bound: orb.Bound{Min: pos[i].Point, Max: pos[i].Point}}
			byComp[c] = pc
		}
		pc.Residents += pop[i]
		pc.Points++
		pc.Bound = pc.Bound.Extend(pos[i].Point)
		if assign != nil && assign[i] >= 0 && int(assign[i]) < len(units) {
			u := units[assign[i]]
			name := u.Name
			if name == "" {
				name = u.ID
			}
			if !slices.Contains(pc.Units, name) {
				pc.Units = append(pc.Units, name)
			}
		}
	}
	if len(byComp) == 0 {
		return nil
	}
	for n := 0; n < net.NumNodes(); n++ {
		if pc := byComp[comp[n]]; pc != nil {
			pc.Nodes++
		}
	}
	for e := 0; e < net.NumEdges(); e++ {
		a, _, l := net.Edge(int32(e))
		if pc := byComp[comp[a]]; pc != nil {
			pc.LengthM += l
		}
	}
	out := make([]CutOffPiece, 0, len(byComp))
	for _, pc := range byComp {
		slices.Sort(pc.Units)
		out = append(out, *pc)
	}
	slices.SortFunc(out, func(a, b CutOffPiece) int {
		if c := cmp.Compare(b.Residents, a.Residents); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Bound.Min[0], b.Bound.Min[0]); c != 0 {
			return c
		}
		return cmp.Compare(a.Bound.Min[1], b.Bound.Min[1])
	})
	return out
}

// maxNamed bounds the units and pieces a warning names.
const maxNamed = 10

// CutOffWarning returns a WarnCutOffResidents warning for the pieces
// (nil when there are none).
func CutOffWarning(pieces []CutOffPiece) (Warning, bool) {
	if len(pieces) == 0 {
		return Warning{}, false
	}
	var res float64
	var pts int
	for _, p := range pieces {
		res += p.Residents
		pts += p.Points
	}
	var en, zh []string
	for i, p := range pieces {
		if i == maxNamed {
			en = append(en, fmt.Sprintf("and %d more", len(pieces)-maxNamed))
			zh = append(zh, fmt.Sprintf("另有 %d 段", len(pieces)-maxNamed))
			break
		}
		c := p.Bound.Center()
		where := fmt.Sprintf("around %.5f, %.5f", c[0], c[1])
		whereZh := fmt.Sprintf("位于 %.5f, %.5f 附近", c[0], c[1])
		if len(p.Units) > 0 {
			u := strings.Join(p.Units[:min(len(p.Units), 3)], ", ")
			where += " in " + u
			whereZh += "（" + u + "）"
		}
		en = append(en, fmt.Sprintf("%.0f residents %s on a piece of %d nodes, %.0f m of street", p.Residents, where, p.Nodes, p.LengthM))
		zh = append(zh, fmt.Sprintf("%.0f 人%s，所在路网片段 %d 个节点、%.0f 米", p.Residents, whereZh, p.Nodes, p.LengthM))
	}
	return Warning{Affects: AffectsCoverage, Code: WarnCutOffResidents,
		En: fmt.Sprintf("%.0f residents (%d demand points) live by street pieces cut off from the main network and reach only what lies on their piece: %s — check the extract's edge or missing connections in the street data",
			res, pts, strings.Join(en, "; ")),
		Zh: fmt.Sprintf("%.0f 名居民（%d 个需求点）所在街道与主路网不连通，只能到达本片段内的设施：%s——请检查数据范围边缘或街道数据中缺失的连接",
			res, pts, strings.Join(zh, "；"))}, true
}

// EmptyUnits returns a WarnUnitsWithoutResidents warning for the units of
// level (named for the text; "" for a single level) in which no resident
// lives.
func EmptyUnits(level string, units []Unit, results []UnitResult) (Warning, bool) {
	var names []string
	n := 0
	for u := range results {
		if results[u].Population > 0 || u >= len(units) {
			continue
		}
		n++
		if len(names) < maxNamed {
			name := units[u].Name
			if name == "" {
				name = units[u].ID
			}
			names = append(names, name)
		}
	}
	if n == 0 {
		return Warning{}, false
	}
	list := strings.Join(names, ", ")
	if n > len(names) {
		list += fmt.Sprintf(", … (%d more)", n-len(names))
	}
	lv, lvZh := "", ""
	if level != "" {
		lv, lvZh = "level "+level+": ", "层级 "+level+"："
	}
	return Warning{Affects: AffectsPopulation, Code: WarnUnitsWithoutResidents,
		En: fmt.Sprintf("%s%d of %d units have no residents (%s): their coverage is undefined — check that residential buildings or population data cover them",
			lv, n, len(results), list),
		Zh: fmt.Sprintf("%s%d / %d 个单元没有居民（%s）：其覆盖率无从计算——请检查住宅建筑或人口数据是否覆盖这些单元",
			lvZh, n, len(results), list)}, true
}

// GroupMissing returns a WarnDemandGroupMissing warning for the types of
// p whose resident group the demand lacks.
func GroupMissing(d *Demand, p *Profile) (Warning, bool) {
	ids := DemandGroupMissing(d, p)
	if len(ids) == 0 {
		return Warning{}, false
	}
	var parts []string
	for _, id := range ids {
		t, _ := p.Type(id)
		parts = append(parts, id+" ("+t.Demand+")")
	}
	list := strings.Join(parts, ", ")
	return Warning{Affects: AffectsCoverage, Code: WarnDemandGroupMissing,
		En: fmt.Sprintf("types %s serve a resident group the demand has no column for: they are judged by all residents — give a population layer with those columns", list),
		Zh: fmt.Sprintf("类型 %s 服务的人群在需求数据中没有对应列：按全部居民计算——请提供含这些列的人口图层", list)}, true
}

// DerivedIDs returns a WarnDerivedIDs warning for an amenity layer (file,
// its base name) in which n of total facilities have no id; idColumns
// lists the columns that would have given one.
func DerivedIDs(file string, n, total int, idColumns []string) (Warning, bool) {
	if n == 0 {
		return Warning{}, false
	}
	cols := strings.Join(idColumns, ", ")
	return Warning{Affects: AffectsCoverage, Code: WarnDerivedIDs,
		En: fmt.Sprintf("%s: %d of %d facilities have no id (no column %s): their ids are derived from type, name and position on a %.0f m grid, never the row number, so that diff and facility overrides follow them when rows are added, deleted or reordered — add an id column to keep an id when a facility is renamed or moved",
			file, n, total, cols, DerivedIDGrid),
		Zh: fmt.Sprintf("%s：%d / %d 个设施没有编号（无 %s 列）：其编号由类型、名称和位置（%.0f 米网格）生成，而非行号，因此增删或调整行序后对比（diff）和设施更正仍能对应；设施改名或移动后编号会变——请添加 id 列",
			file, n, total, cols, DerivedIDGrid)}, true
}
