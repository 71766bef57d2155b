package study

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// This file applies official residents per unit (--unit-population,
// DESIGN §2 "Demand"): each counted unit's figure is spread over its
// residential buildings (by floor area), else its street samples, so that
// the units sum exactly to the official counts.

// validateUnitPopulation checks --unit-population against the other
// settings.
func (s *Settings) validateUnitPopulation() error {
	if s.UnitPopulation == "" {
		return nil
	}
	if s.Project == "" && len(s.Units) == 0 && s.UnitsOSM == "" {
		return Invalidf("--unit-population %s gives residents per unit: give the units too (--units FILE or --units-osm)", s.UnitPopulation)
	}
	if s.TotalPopulation > 0 {
		return Invalidf("give either --unit-population (official residents per unit) or --total-population (one total to rescale the estimate to), not both: the unit counts already fix the total")
	}
	return nil
}

// A unitCount is one official figure: a unit id and its residents, with
// where it was read ("file.csv: line 4") for messages.
type unitCount struct {
	id    string
	pop   float64
	where string
}

// readUnitCounts reads official residents per unit: a CSV with columns
// unit_id (or id) and population, or, for any other file, a layer whose
// features carry an id and a numeric population property (features
// without one give no count).
func readUnitCounts(path string, cs data.CoordSystem) ([]unitCount, error) {
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		return readUnitCountsCSV(path)
	}
	l, err := data.ReadLayer(path, data.ReadOptions{Coords: cs})
	if err != nil {
		return nil, fmt.Errorf("--unit-population: %w", err)
	}
	var out []unitCount
	seen := map[string]string{}
	base := filepath.Base(path)
	for _, f := range l.Features {
		raw := StrProp(f.Properties, "population")
		if raw == "" {
			continue
		}
		where := fmt.Sprintf("%s: feature %d (id %s)", base, f.Index, f.ID)
		c, err := parseUnitCount(f.ID, raw, where, seen)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, Invalidf("--unit-population %s: no feature has a population property — give the units' official residents as `population`, or a CSV unit_id,population", path)
	}
	return out, nil
}

// readUnitCountsCSV reads a CSV unit_id,population (UTF-8, with or
// without a BOM; ',', ';' or tab separated).
func readUnitCountsCSV(path string) ([]unitCount, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--unit-population: %w", err)
	}
	b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
	base := filepath.Base(path)
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	if first, _, _ := bytes.Cut(b, []byte("\n")); !bytes.Contains(first, []byte(",")) {
		if bytes.Contains(first, []byte(";")) {
			r.Comma = ';'
		} else if bytes.Contains(first, []byte("\t")) {
			r.Comma = '\t'
		}
	}
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, Invalidf("%s: file is empty — give a header unit_id,population and one line per unit", base)
	}
	if err != nil {
		return nil, Invalidf("%s: %v", base, err)
	}
	idCol, popCol := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "unit_id", "id":
			if idCol < 0 {
				idCol = i
			}
		case "population", "pop", "人口":
			if popCol < 0 {
				popCol = i
			}
		}
	}
	if idCol < 0 || popCol < 0 {
		return nil, Invalidf("%s: line 1: the header %q needs the columns unit_id and population", base, strings.Join(header, string(r.Comma)))
	}
	var out []unitCount
	seen := map[string]string{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, Invalidf("%s: %v", base, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		where := fmt.Sprintf("%s: line %d", base, line)
		if idCol >= len(rec) || popCol >= len(rec) {
			return nil, Invalidf("%s: %d columns, the header has %d", where, len(rec), len(header))
		}
		c, err := parseUnitCount(strings.TrimSpace(rec[idCol]), rec[popCol], where, seen)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, Invalidf("%s: no unit counts below the header", base)
	}
	return out, nil
}

// parseUnitCount checks one count; seen maps the ids read so far to where.
func parseUnitCount(id, raw, where string, seen map[string]string) (unitCount, error) {
	if id == "" {
		return unitCount{}, Invalidf("%s: the unit id is empty", where)
	}
	if prev, dup := seen[id]; dup {
		return unitCount{}, Invalidf("%s: unit %q is given twice (also at %s) — give each unit's residents once", where, id, prev)
	}
	seen[id] = where
	v, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
	switch {
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		return unitCount{}, Invalidf("%s: unit %q: population %q is not a number", where, id, raw)
	case v < 0:
		return unitCount{}, Invalidf("%s: unit %q: population %v is negative — give the unit's residents (≥ 0)", where, id, v)
	}
	return unitCount{id: id, pop: v, where: where}, nil
}

// applyUnitCounts replaces the estimate dem inside the counted units of
// the finest level that has counts by the official figures, spread over
// the units' residential buildings (by floor area), else their street
// samples; residents in units without a count keep the estimate. It
// returns the new demand, the estimate's residents and the official
// total over the counted units, and warnings.
func (st *Study) applyUnitCounts(dem *planner.Demand, bopt planner.BuildingOptions) (*planner.Demand, float64, float64, []planner.Warning, error) {
	in, s := st.Inputs, st.Settings
	counts, err := readUnitCounts(s.UnitPopulation, in.Coords)
	if err != nil {
		return nil, 0, 0, nil, err
	}
	if len(in.Units) == 0 {
		return nil, 0, 0, nil, Invalidf("--unit-population %s gives residents per unit, but the study has no units: give --units or --units-osm", s.UnitPopulation)
	}
	h, _, err := planner.BuildHierarchy(in.Units, nil)
	if err != nil {
		return nil, 0, 0, nil, fmt.Errorf("%s: %w", in.hierarchyLabel, err)
	}
	// The finest level any count names; every id must name some unit.
	ids := make([]map[string]int, len(h.Levels))
	for k := range h.Levels {
		ids[k] = map[string]int{}
		for u, un := range h.Levels[k].Units {
			ids[k][un.ID] = u
		}
	}
	level := -1
	for _, c := range counts {
		found := false
		for k := range h.Levels {
			if _, ok := ids[k][c.id]; ok {
				found = true
				level = max(level, k)
			}
		}
		if !found {
			return nil, 0, 0, nil, Invalidf("%s: unit %q is not a unit of %s — check the id (the units' ids, e.g. %s)",
				c.where, c.id, in.UnitsSource, exampleIDs(h.Finest()))
		}
	}
	lv := &h.Levels[level]
	byUnit := make([]float64, len(lv.Units))
	for i := range byUnit {
		byUnit[i] = -1
	}
	var coarser []string
	for _, c := range counts {
		if u, ok := ids[level][c.id]; ok {
			byUnit[u] = c.pop
		} else {
			coarser = append(coarser, c.id)
		}
	}
	var warns []planner.Warning
	lvName := lv.Name
	if lvName == "" {
		lvName = "units"
	}
	if len(coarser) > 0 {
		st.p.Warn("%s: counts for %d unit(s) of coarser levels (e.g. %s) are not used: the counts apply at level %s, the finest that has them",
			filepath.Base(s.UnitPopulation), len(coarser), coarser[0], lvName)
	}
	// The counted units as population polygons; the estimate's groups
	// (age columns) keep their share within each unit.
	idx := geo.NewPolyIndex(len(lv.Units))
	var missing []string
	for u := range lv.Units {
		if byUnit[u] >= 0 {
			idx.Add(int32(u), lv.Units[u].Geometry)
		} else {
			missing = append(missing, unitName(lv.Units[u]))
		}
	}
	estIn := make([]float64, len(lv.Units))
	var grp map[string][]float64
	if len(dem.Groups) > 0 {
		grp = map[string][]float64{}
		for g := range dem.Groups {
			grp[g] = make([]float64, len(lv.Units))
		}
	}
	keep := make([]bool, len(dem.Points))
	var q geo.PolyQuery
	var estimate float64
	for i, pt := range dem.Points {
		hits := q.Collect(&idx, pt)
		if len(hits) == 0 {
			keep[i] = true
			continue
		}
		u := hits[0].Owner
		estIn[u] += dem.Pop[i]
		estimate += dem.Pop[i]
		for g, v := range dem.Groups {
			grp[g][u] += v[i]
		}
	}
	var fs []planner.PopFeature
	var fsUnit []int // unit of each feature
	var official float64
	for u, n := range byUnit {
		if n < 0 {
			continue
		}
		official += n
		f := planner.PopFeature{ID: lv.Units[u].ID, Geometry: lv.Units[u].Geometry, Population: n}
		if grp != nil {
			f.Groups = map[string]float64{}
			for g := range grp {
				if estIn[u] > 0 {
					f.Groups[g] = n * grp[g][u] / estIn[u]
				}
			}
		}
		fs = append(fs, f)
		fsUnit = append(fsUnit, u)
	}
	spread, owner, err := planner.SpreadPopulation(fs, in.Buildings, bopt, in.Net)
	if err != nil {
		return nil, 0, 0, nil, fmt.Errorf("%s: %w", s.UnitPopulation, err)
	}
	exact(spread, owner, fs, fsUnit, h, level)
	out := &planner.Demand{Source: planner.DemandUnitCounts}
	if len(dem.Groups) > 0 {
		out.Groups = map[string][]float64{}
	}
	for i := range dem.Points {
		if keep[i] {
			out.Points = append(out.Points, dem.Points[i])
			out.Pop = append(out.Pop, dem.Pop[i])
			out.IDs = append(out.IDs, dem.IDs[i])
			for g, v := range dem.Groups {
				out.Groups[g] = append(out.Groups[g], v[i])
			}
		}
	}
	out.Points = append(out.Points, spread.Points...)
	out.Pop = append(out.Pop, spread.Pop...)
	out.IDs = append(out.IDs, spread.IDs...)
	for g := range out.Groups {
		v := spread.Groups[g]
		if v == nil {
			v = make([]float64, len(spread.Points))
		}
		out.Groups[g] = append(out.Groups[g], v...)
	}
	if len(missing) > 0 {
		list := strings.Join(missing[:min(len(missing), 10)], ", ")
		if len(missing) > 10 {
			list += fmt.Sprintf(", … (%d more)", len(missing)-10)
		}
		warns = append(warns, planner.Warning{Affects: planner.AffectsPopulation, Code: planner.WarnUnitsWithoutCount,
			En: fmt.Sprintf("%s: %d of %d units of level %s have no official count (%s): their residents are the %s estimate",
				filepath.Base(s.UnitPopulation), len(missing), len(lv.Units), lvName, list, dem.Source),
			Zh: fmt.Sprintf("%s：层级 %s 的 %d / %d 个单元没有官方人口（%s）：其居民仍为估算值",
				filepath.Base(s.UnitPopulation), lvName, len(missing), len(lv.Units), list)})
	}
	return out, estimate, official, warns, nil
}

// exact makes each counted unit's residents equal its count as the audit
// places them: the spread points are rounded as Quantize rounds them, and
// those that the hierarchy puts in another unit (a building or street
// sample on the unit's edge, a point in an overlapping unit) are dropped,
// the unit's count shared over the rest in the same proportions; a unit
// left with no point gets one inside it holding its whole count.
func exact(d *planner.Demand, owner []int, fs []planner.PopFeature, fsUnit []int, h *planner.Hierarchy, level int) {
	for i, p := range d.Points {
		d.Points[i] = round6(p)
	}
	at := func(pts []orb.Point) []int32 {
		assign, _ := h.Locate(pts)
		return assign[level]
	}
	assign := at(d.Points)
	kept := make([]float64, len(fs)) // residents still in their unit
	for i, j := range owner {
		if int(assign[i]) == fsUnit[j] {
			kept[j] += d.Pop[i]
		}
	}
	out := &planner.Demand{Source: d.Source}
	if d.Groups != nil {
		out.Groups = map[string][]float64{}
	}
	add := func(p orb.Point, pop float64, id string, groups func(g string) float64) {
		out.Points = append(out.Points, p)
		out.Pop = append(out.Pop, pop)
		out.IDs = append(out.IDs, id)
		for g := range d.Groups {
			out.Groups[g] = append(out.Groups[g], groups(g))
		}
	}
	for i, j := range owner {
		if int(assign[i]) != fsUnit[j] || !(kept[j] > 0) {
			continue
		}
		f := fs[j].Population / kept[j]
		add(d.Points[i], d.Pop[i]*f, d.IDs[i], func(g string) float64 { return d.Groups[g][i] * f })
	}
	for j, f := range fs {
		if kept[j] > 0 || !(f.Population > 0) {
			continue
		}
		c, _, err := geo.Footprint(f.Geometry)
		p := round6(geo.InteriorPoint(f.Geometry, c))
		if err != nil || int(at([]orb.Point{p})[0]) != fsUnit[j] {
			// No point of the unit is its own (it lies wholly inside
			// another unit of the level): nothing can hold its count.
			continue
		}
		add(p, f.Population, f.ID, func(g string) float64 { return f.Groups[g] })
	}
	*d = *out
}

func unitName(u planner.Unit) string {
	if u.Name != "" {
		return u.Name
	}
	return u.ID
}

// exampleIDs names up to three unit ids of lv.
func exampleIDs(lv *planner.Level) string {
	var ids []string
	for u := range lv.Units[:min(len(lv.Units), 3)] {
		ids = append(ids, strconv.Quote(lv.Units[u].ID))
	}
	return strings.Join(ids, ", ")
}
