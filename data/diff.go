package data

import (
	"encoding/json"
	"io"
	"math"
	"path/filepath"

	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// Unit and type statuses of a diff between two audit runs.
const (
	DiffImproved  = "improved"
	DiffWorse     = "worse"
	DiffMixed     = "mixed" // some types better, some worse
	DiffUnchanged = "unchanged"
	DiffAdded     = "added"   // unit only in run B
	DiffRemoved   = "removed" // unit only in run A
)

// samePlaceM is the distance in metres up to which a matched facility
// has not moved.
const samePlaceM = 1.0

// A RunDiff is the comparison of two audit runs, as diff.json holds it.
type RunDiff struct {
	A          string          `json:"a"`
	B          string          `json:"b"`
	Types      []TypeChange    `json:"types"`
	Totals     []ValueChange   `json:"totals"`
	Levels     []LevelChange   `json:"levels"`
	Facilities FacilityChanges `json:"facilities"`
}

// A TypeChange is the change of one amenity type over the whole study.
type TypeChange struct {
	ID          string  `json:"id"`
	NameZh      string  `json:"name_zh"`
	NameEn      string  `json:"name_en"`
	CoverageA   float64 `json:"coverage_a"`
	CoverageB   float64 `json:"coverage_b"`
	Delta       float64 `json:"delta_coverage"`
	CoveredA    float64 `json:"covered_a"`
	CoveredB    float64 `json:"covered_b"`
	FacilitiesA int     `json:"facilities_a"`
	FacilitiesB int     `json:"facilities_b"`
	Status      string  `json:"status"`
	// Units counts the finest level's units per status for this type.
	Units map[string]int `json:"units"`
}

// A ValueChange is the change of one study total.
type ValueChange struct {
	Key   string  `json:"key"`
	A     float64 `json:"a"`
	B     float64 `json:"b"`
	Delta float64 `json:"delta"`
}

// A LevelChange is the change of the units of one level.
type LevelChange struct {
	Name   string         `json:"name"`
	Counts map[string]int `json:"counts"`
	// Units are the units that changed (added, removed, improved, worse,
	// mixed); All holds every unit, for diff.geojson.
	Units []UnitChange `json:"units"`
	All   []UnitChange `json:"-"`
}

// A UnitChange is the change of one unit.
type UnitChange struct {
	Level             string           `json:"level"`
	ID                string           `json:"unit_id"`
	Name              string           `json:"name,omitempty"`
	Status            string           `json:"status"`
	PopulationA       *float64         `json:"population_a"`
	PopulationB       *float64         `json:"population_b"`
	CompletenessDelta *float64         `json:"delta_completeness"`
	Types             []UnitTypeChange `json:"types"`
	Geometry          orb.Geometry     `json:"-"`
}

// A UnitTypeChange is the change of one amenity type in one unit; nil
// values are those a run does not have.
type UnitTypeChange struct {
	ID        string   `json:"id"`
	Status    string   `json:"status"`
	CoverageA *float64 `json:"coverage_a"`
	CoverageB *float64 `json:"coverage_b"`
	Delta     *float64 `json:"delta_coverage"`
	CoveredA  *float64 `json:"covered_a"`
	CoveredB  *float64 `json:"covered_b"`
	DeltaCov  *float64 `json:"delta_covered"`
}

// A DiffFacility is a facility of a run at its representative point
// (NaN when it has none).
type DiffFacility struct {
	ID   string    `json:"id"`
	Type string    `json:"type"`
	Name string    `json:"name,omitempty"`
	At   orb.Point `json:"lonlat"`
}

// FacilityChanges are the facilities new in run B, closed since run A and
// moved between them (each list by type, then id), and how many
// facilities each rule matched (MatchID, MatchName, MatchPosition).
type FacilityChanges struct {
	New     []DiffFacility `json:"new"`
	Closed  []DiffFacility `json:"closed"`
	Moved   []FacilityMove `json:"moved"`
	Matched map[string]int `json:"matched"`
}

// A FacilityMove is a facility found in both runs at places more than a
// metre apart: its place in run B, where it was in run A, the id it had
// there when that differs, and the rule that matched the two.
type FacilityMove struct {
	DiffFacility
	From      orb.Point `json:"from_lonlat"`
	FromID    string    `json:"from_id,omitempty"`
	Distance  float64   `json:"moved_m"`
	MatchedBy string    `json:"matched_by"`
}

// diffLevel is the units of one level of a run, indexed by unit_id.
type diffLevel struct {
	name  string
	units []UnitFeature
	index map[string]int
}

// diffLevels returns every level of r: units_<level>.geojson with several
// levels, else the per-unit layer.
func diffLevels(r *AuditRun) []diffLevel {
	var ls []diffLevel
	if len(r.Levels) > 0 {
		for _, l := range r.Levels {
			ls = append(ls, diffLevel{name: l.Level, units: l.Units})
		}
	} else {
		name := planner.DefaultLevelName
		if len(r.Summary.Levels) == 1 {
			name = r.Summary.Levels[0].Name
		}
		ls = []diffLevel{{name: name, units: r.Units}}
	}
	for k := range ls {
		l := &ls[k]
		l.index = make(map[string]int, len(l.units))
		for i, u := range l.units {
			l.index[u.UnitID] = i
		}
	}
	return ls
}

// DiffFacilitiesOf returns the facilities of r at their representative
// points.
func DiffFacilitiesOf(r *AuditRun) []DiffFacility {
	var fs []DiffFacility
	for _, f := range r.Facilities {
		p, ok := planner.RepresentativePoint(f.Geometry)
		if !ok {
			p = orb.Point{math.NaN(), math.NaN()}
		}
		fs = append(fs, DiffFacility{ID: f.ID, Type: f.Type, Name: f.Name, At: p})
	}
	return fs
}

// DiffRuns compares two audit runs read by ReadAudit: per amenity type and
// unit (matched by unit_id at every level) what improved and what got
// worse, and which facilities are new, closed or moved (DiffFacilities). A type improved in a unit when its coverage
// share rose (or, equal share, more residents are covered); values are
// compared as written.
func DiffRuns(a, b *AuditRun) *RunDiff {
	d := &RunDiff{A: a.Dir, B: b.Dir}
	d.Types = diffTypes(a.Summary.Types, b.Summary.Types)
	d.Totals = diffTotals(a.Summary.Totals, b.Summary.Totals)
	la, lb := diffLevels(a), diffLevels(b)
	finest := ""
	if len(lb) > 0 {
		finest = lb[len(lb)-1].name
	}
	// Levels matched by name (a level only in one run is all added or removed).
	seen := map[string]bool{}
	for _, l := range append(append([]diffLevel(nil), la...), lb...) {
		if seen[l.name] {
			continue
		}
		seen[l.name] = true
		d.Levels = append(d.Levels, diffLevelUnits(d.Types, findLevel(la, l.name), findLevel(lb, l.name), l.name == finest))
	}
	d.Facilities = DiffFacilities(DiffFacilitiesOf(a), DiffFacilitiesOf(b))
	return d
}

func findLevel(ls []diffLevel, name string) *diffLevel {
	for i := range ls {
		if ls[i].name == name {
			return &ls[i]
		}
	}
	return &diffLevel{name: name, index: map[string]int{}}
}

// diffTypes compares the study-wide figures of each type: the types of B
// in order, then those only in A.
func diffTypes(a, b []TypeSummary) []TypeChange {
	typeA, typeB := map[string]TypeSummary{}, map[string]TypeSummary{}
	for _, t := range a {
		typeA[t.ID] = t
	}
	var ids []string
	for _, t := range b {
		ids = append(ids, t.ID)
		typeB[t.ID] = t
	}
	for _, t := range a {
		if _, ok := typeB[t.ID]; !ok {
			ids = append(ids, t.ID)
		}
	}
	var out []TypeChange
	for _, id := range ids {
		ta, tb := typeA[id], typeB[id]
		name := tb
		if name.ID == "" {
			name = ta
		}
		// A figure written as null reads as 0, as it always has here.
		sa, sb, ca, cb := ta.Coverage.Or(0), tb.Coverage.Or(0), ta.Covered.Or(0), tb.Covered.Or(0)
		out = append(out, TypeChange{ID: id, NameZh: name.NameZh, NameEn: name.NameEn,
			CoverageA: sa, CoverageB: sb, Delta: round4(sb - sa),
			CoveredA: ca, CoveredB: cb, FacilitiesA: ta.Facilities, FacilitiesB: tb.Facilities,
			Status: compareCoverage(sa, ca, sb, cb), Units: map[string]int{}})
	}
	return out
}

func diffTotals(a, b Totals) []ValueChange {
	var out []ValueChange
	for _, v := range []struct {
		key  string
		a, b Num
	}{
		{"population", a.Population, b.Population},
		{"completeness", a.Completeness, b.Completeness},
		{"fully_served", a.FullyServed, b.FullyServed},
		{"population_fully_served", a.PopulationFullyServed, b.PopulationFullyServed},
	} {
		va, vb := v.a.Or(0), v.b.Or(0)
		out = append(out, ValueChange{Key: v.key, A: va, B: vb, Delta: math.Round((vb-va)*1e4) / 1e4})
	}
	return out
}

// diffLevelUnits compares the units of one level: those of B in order,
// then those only in A. On the finest level it also counts each type's
// unit statuses into types.
func diffLevelUnits(types []TypeChange, la, lb *diffLevel, finest bool) LevelChange {
	lc := LevelChange{Name: lb.name, Counts: map[string]int{}}
	order := append([]UnitFeature(nil), lb.units...)
	for _, u := range la.units {
		if _, ok := lb.index[u.UnitID]; !ok {
			order = append(order, u)
		}
	}
	for _, u := range order {
		var pa, pb *UnitProperties
		if i, ok := la.index[u.UnitID]; ok {
			pa = &la.units[i].UnitProperties
		}
		if i, ok := lb.index[u.UnitID]; ok {
			pb = &lb.units[i].UnitProperties
		}
		uc := diffUnit(types, lb.name, u, pa, pb, finest)
		lc.Counts[uc.Status]++
		lc.All = append(lc.All, uc)
		if uc.Status != DiffUnchanged {
			lc.Units = append(lc.Units, uc)
		}
	}
	if lc.Units == nil {
		lc.Units = []UnitChange{}
	}
	return lc
}

// diffUnit compares one unit, pa and pb its figures in runs A and B (nil
// where the unit is missing).
func diffUnit(types []TypeChange, level string, u UnitFeature, pa, pb *UnitProperties, finest bool) UnitChange {
	uc := UnitChange{Level: level, ID: u.UnitID, Name: u.Name, Geometry: u.Geometry}
	if pa != nil && pa.Population.Valid() {
		uc.PopulationA = ptr(float64(pa.Population))
	}
	if pb != nil && pb.Population.Valid() {
		uc.PopulationB = ptr(float64(pb.Population))
	}
	if pa != nil && pb != nil && pa.Completeness.Valid() && pb.Completeness.Valid() {
		uc.CompletenessDelta = ptr(round4(float64(pb.Completeness - pa.Completeness)))
	}
	better, worse := 0, 0
	for ti := range types {
		tc := diffUnitType(types[ti].ID, pa, pb)
		switch tc.Status {
		case DiffImproved:
			better++
		case DiffWorse:
			worse++
		}
		if finest {
			types[ti].Units[tc.Status]++
		}
		uc.Types = append(uc.Types, tc)
	}
	switch {
	case pa == nil:
		uc.Status = DiffAdded
	case pb == nil:
		uc.Status = DiffRemoved
	case better > 0 && worse > 0:
		uc.Status = DiffMixed
	case better > 0:
		uc.Status = DiffImproved
	case worse > 0:
		uc.Status = DiffWorse
	default:
		uc.Status = DiffUnchanged
	}
	return uc
}

// diffUnitType compares type id in one unit.
func diffUnitType(id string, pa, pb *UnitProperties) UnitTypeChange {
	tc := UnitTypeChange{ID: id}
	sa, ca, okA := unitCoverage(pa, id)
	sb, cb, okB := unitCoverage(pb, id)
	if okA {
		tc.CoverageA, tc.CoveredA = ptr(sa), ptr(ca)
	}
	if okB {
		tc.CoverageB, tc.CoveredB = ptr(sb), ptr(cb)
	}
	switch {
	case okA && okB:
		tc.Status = compareCoverage(sa, ca, sb, cb)
		tc.Delta, tc.DeltaCov = ptr(round4(sb-sa)), ptr(math.Round((cb-ca)*10)/10)
	case okB:
		tc.Status = DiffAdded
	case okA:
		tc.Status = DiffRemoved
	default:
		tc.Status = DiffUnchanged
	}
	return tc
}

// unitCoverage returns the coverage share and covered residents of type
// id in unit p, and whether the unit has a share for it (p is nil for a
// unit missing from a run; covered written as null reads as 0).
func unitCoverage(p *UnitProperties, id string) (share, covered float64, ok bool) {
	if p == nil {
		return 0, 0, false
	}
	t, found := p.Type(id)
	if !found || !t.Coverage.Valid() {
		return 0, 0, false
	}
	return float64(t.Coverage), t.Covered.Or(0), true
}

// compareCoverage returns the status of a change from (shareA, coveredA)
// to (shareB, coveredB), as written (rounded) in the outputs.
func compareCoverage(sa, ca, sb, cb float64) string {
	switch {
	case sb > sa || (sb == sa && cb > ca):
		return DiffImproved
	case sb < sa || (sb == sa && cb < ca):
		return DiffWorse
	}
	return DiffUnchanged
}

// greatCircleM is the great-circle distance between two lon/lat points;
// +Inf when either is unknown.
func greatCircleM(p, q orb.Point) float64 {
	if math.IsNaN(p[0]) || math.IsNaN(q[0]) {
		return math.Inf(1)
	}
	const r = 6371009.0
	la1, la2 := p[1]*math.Pi/180, q[1]*math.Pi/180
	dla := la2 - la1
	dlo := (q[0] - p[0]) * math.Pi / 180
	h := math.Sin(dla/2)*math.Sin(dla/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dlo/2)*math.Sin(dlo/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
}

func ptr(x float64) *float64 { return &x }

// WriteDiff writes d into the folder dir, atomically: diff.json (the
// whole comparison) and diff.geojson (every unit of every level with its
// deltas, for a map of change).
func WriteDiff(dir string, d *RunDiff) error {
	return WriteOutputDir(dir, KindDiff, func(tmp string) error {
		if err := WriteFileAtomic(filepath.Join(tmp, "diff.json"), func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			return enc.Encode(d)
		}); err != nil {
			return err
		}
		return WriteFileAtomic(filepath.Join(tmp, "diff.geojson"), func(w io.Writer) error { return writeDiffGeoJSON(w, d) })
	})
}

// writeDiffGeoJSON writes every unit of every level with its deltas.
func writeDiffGeoJSON(w io.Writer, d *RunDiff) error {
	g := NewGeoJSONWriter(w)
	for _, l := range d.Levels {
		for _, u := range l.All {
			props := Props{{Key: "level", Value: u.Level}, {Key: "unit_id", Value: u.ID}}
			if u.Name != "" {
				props = append(props, Prop{Key: "name", Value: u.Name})
			}
			props = append(props, Prop{Key: "status", Value: u.Status},
				Prop{Key: "population_a", Value: fptr(u.PopulationA)}, Prop{Key: "population_b", Value: fptr(u.PopulationB)},
				Prop{Key: "delta_completeness", Value: fptr(u.CompletenessDelta)})
			for _, t := range u.Types {
				props = append(props,
					Prop{Key: "status_" + t.ID, Value: t.Status},
					Prop{Key: "delta_coverage_" + t.ID, Value: fptr(t.Delta)},
					Prop{Key: "delta_covered_" + t.ID, Value: fptr(t.DeltaCov)})
			}
			if err := g.Write(u.Level+"/"+u.ID, u.Geometry, props); err != nil {
				return err
			}
		}
	}
	return g.Close()
}

func fptr(x *float64) any {
	if x == nil {
		return nil
	}
	return *x
}
