package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

func init() {
	register("diff", "compare two audits: units that improved or got worse, new and closed facilities", runDiff)
}

// Unit and type statuses of a diff.
const (
	diffImproved  = "improved"
	diffWorse     = "worse"
	diffMixed     = "mixed" // some types better, some worse
	diffUnchanged = "unchanged"
	diffAdded     = "added"   // unit only in RUN_B
	diffRemoved   = "removed" // unit only in RUN_A
)

// samePlaceM is the distance in metres under which two facilities of one
// type without matching ids are taken as the same facility.
const samePlaceM = 1.0

func runDiff(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("diff", "RUN_A RUN_B [--out DIR]",
		`Compares two audit output folders (e.g. last year's and this year's, or before and
after adding facilities): per amenity type and unit, what improved and what got
worse, with the change in coverage and covered residents; and which facilities are
new, closed or moved (matched by id and type, else by position).

Units are matched by unit_id at every level (cells.geojson, units.geojson and
units_<level>.geojson). A type improved in a unit when its coverage share rose (or,
equal share, more residents are covered); values are compared as written.

Prints a table; --out DIR writes diff.json and diff.geojson (every unit with its
deltas, for a map of change).

Example:
  lifecircle diff audit-2024 audit-2025 --out change`, e.stderr)
	out := fs.String("out", "", "folder for diff.json and diff.geojson (optional)")
	all := fs.Bool("all", false, "list unchanged units in the table too")
	// Flags may come before or after the two folders.
	var pos []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return parseFlags(fs, rest)
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		rest = rest[1:]
	}
	if len(pos) != 2 {
		return usagef("give two audit output folders: lifecircle diff RUN_A RUN_B (got %d)", len(pos))
	}
	a, err := readRun(pos[0])
	if err != nil {
		return err
	}
	b, err := readRun(pos[1])
	if err != nil {
		return err
	}
	d := diffRuns(a, b)
	printDiff(e.stdout, d, *all)
	if *out != "" {
		if err := data.WriteDirAtomic(*out, func(tmp string) error {
			if err := data.WriteFileAtomic(filepath.Join(tmp, "diff.json"), func(w io.Writer) error {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(d)
			}); err != nil {
				return err
			}
			return data.WriteFileAtomic(filepath.Join(tmp, "diff.geojson"), func(w io.Writer) error { return writeDiffGeoJSON(w, d) })
		}); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "wrote %s/diff.json and diff.geojson\n", *out)
	}
	return nil
}

// auditRun is what diff reads from an audit output folder.
type auditRun struct {
	dir        string
	types      []data.TypeSummary
	totals     data.Totals
	levels     []runLevel
	facilities []runFacility
}

// runLevel is the units of one level, indexed by unit_id.
type runLevel struct {
	name  string
	units []data.UnitFeature
	index map[string]int
}

type runFacility struct {
	ID   string    `json:"id"`
	Type string    `json:"type"`
	Name string    `json:"name,omitempty"`
	At   orb.Point `json:"lonlat"`
}

// readRun reads an audit output folder (data.ReadAudit): every level's
// units (units_<level>.geojson with several levels, else the per-unit
// layer) and the facilities at their representative points.
func readRun(dir string) (*auditRun, error) {
	ar, err := data.ReadAudit(dir)
	if err != nil {
		return nil, err
	}
	s := &ar.Summary
	r := &auditRun{dir: dir, types: s.Types, totals: s.Totals}
	if len(ar.Levels) > 0 {
		for _, l := range ar.Levels {
			r.levels = append(r.levels, runLevel{name: l.Level, units: l.Units})
		}
	} else {
		name := planner.DefaultLevelName
		if len(s.Levels) == 1 {
			name = s.Levels[0].Name
		}
		r.levels = []runLevel{{name: name, units: ar.Units}}
	}
	for k := range r.levels {
		l := &r.levels[k]
		l.index = make(map[string]int, len(l.units))
		for i, u := range l.units {
			l.index[u.UnitID] = i
		}
	}
	for _, f := range ar.Facilities {
		p, ok := planner.RepresentativePoint(f.Geometry)
		if !ok {
			p = orb.Point{math.NaN(), math.NaN()}
		}
		r.facilities = append(r.facilities, runFacility{ID: f.ID, Type: f.Type, Name: f.Name, At: p})
	}
	return r, nil
}

// readFC reads a GeoJSON layer of an output folder.
func readFC(path string) (*geojson.FeatureCollection, error) {
	return data.ReadOutputLayer(path)
}

// runDiff is the whole comparison, as diff.json holds it.
type runDiffResult struct {
	A          string          `json:"a"`
	B          string          `json:"b"`
	Types      []typeChange    `json:"types"`
	Totals     []valueChange   `json:"totals"`
	Levels     []levelChange   `json:"levels"`
	Facilities facilityChanges `json:"facilities"`
}

type typeChange struct {
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

type valueChange struct {
	Key   string  `json:"key"`
	A     float64 `json:"a"`
	B     float64 `json:"b"`
	Delta float64 `json:"delta"`
}

type levelChange struct {
	Name   string         `json:"name"`
	Counts map[string]int `json:"counts"`
	// Units are the units that changed (added, removed, improved, worse,
	// mixed); all holds every unit for diff.geojson.
	Units []unitChange `json:"units"`
	all   []unitChange
}

type unitChange struct {
	Level             string           `json:"level"`
	ID                string           `json:"unit_id"`
	Name              string           `json:"name,omitempty"`
	Status            string           `json:"status"`
	PopulationA       *float64         `json:"population_a"`
	PopulationB       *float64         `json:"population_b"`
	CompletenessDelta *float64         `json:"delta_completeness"`
	Types             []unitTypeChange `json:"types"`
	Geometry          orb.Geometry     `json:"-"`
}

type unitTypeChange struct {
	ID        string   `json:"id"`
	Status    string   `json:"status"`
	CoverageA *float64 `json:"coverage_a"`
	CoverageB *float64 `json:"coverage_b"`
	Delta     *float64 `json:"delta_coverage"`
	CoveredA  *float64 `json:"covered_a"`
	CoveredB  *float64 `json:"covered_b"`
	DeltaCov  *float64 `json:"delta_covered"`
}

type facilityChanges struct {
	New    []runFacility `json:"new"`
	Closed []runFacility `json:"closed"`
	Moved  []facMove     `json:"moved"`
}

type facMove struct {
	runFacility
	From     orb.Point `json:"from_lonlat"`
	Distance float64   `json:"moved_m"`
}

// unitCoverage returns the coverage share and covered residents of type
// id in unit p, and whether the unit has a share for it (p is nil for a
// unit missing from a run; covered written as null reads as 0).
func unitCoverage(p *data.UnitProperties, id string) (share, covered float64, ok bool) {
	if p == nil {
		return 0, 0, false
	}
	t, found := p.Type(id)
	if !found || !t.Coverage.Valid() {
		return 0, 0, false
	}
	return float64(t.Coverage), t.Covered.Or(0), true
}

// compare returns the status of a change from (shareA, coveredA) to
// (shareB, coveredB), as written (rounded) in the outputs.
func compare(sa, ca, sb, cb float64) string {
	switch {
	case sb > sa || (sb == sa && cb > ca):
		return diffImproved
	case sb < sa || (sb == sa && cb < ca):
		return diffWorse
	}
	return diffUnchanged
}

func diffRuns(a, b *auditRun) *runDiffResult {
	d := &runDiffResult{A: a.dir, B: b.dir}
	// Types of B in order, then those only in A.
	typeA := map[string]data.TypeSummary{}
	for _, t := range a.types {
		typeA[t.ID] = t
	}
	var ids []string
	seen := map[string]bool{}
	for _, t := range b.types {
		ids = append(ids, t.ID)
		seen[t.ID] = true
	}
	for _, t := range a.types {
		if !seen[t.ID] {
			ids = append(ids, t.ID)
		}
	}
	typeB := map[string]data.TypeSummary{}
	for _, t := range b.types {
		typeB[t.ID] = t
	}
	for _, id := range ids {
		ta, tb := typeA[id], typeB[id]
		name := tb
		if name.ID == "" {
			name = ta
		}
		// A figure written as null reads as 0, as it always has here.
		sa, sb, ca, cb := ta.Coverage.Or(0), tb.Coverage.Or(0), ta.Covered.Or(0), tb.Covered.Or(0)
		tc := typeChange{ID: id, NameZh: name.NameZh, NameEn: name.NameEn,
			CoverageA: sa, CoverageB: sb, Delta: round4(sb - sa),
			CoveredA: ca, CoveredB: cb, FacilitiesA: ta.Facilities, FacilitiesB: tb.Facilities,
			Status: compare(sa, ca, sb, cb), Units: map[string]int{}}
		d.Types = append(d.Types, tc)
	}
	for _, v := range []struct {
		key  string
		a, b data.Num
	}{
		{"population", a.totals.Population, b.totals.Population},
		{"completeness", a.totals.Completeness, b.totals.Completeness},
		{"fully_served", a.totals.FullyServed, b.totals.FullyServed},
		{"population_fully_served", a.totals.PopulationFullyServed, b.totals.PopulationFullyServed},
	} {
		va, vb := v.a.Or(0), v.b.Or(0)
		d.Totals = append(d.Totals, valueChange{Key: v.key, A: va, B: vb, Delta: math.Round((vb-va)*1e4) / 1e4})
	}

	// Levels matched by name (a level only in one run is all added or removed).
	levelNames := []string{}
	seenL := map[string]bool{}
	for _, l := range append(append([]runLevel(nil), a.levels...), b.levels...) {
		if !seenL[l.name] {
			seenL[l.name] = true
			levelNames = append(levelNames, l.name)
		}
	}
	findLevel := func(r *auditRun, name string) *runLevel {
		for i := range r.levels {
			if r.levels[i].name == name {
				return &r.levels[i]
			}
		}
		return &runLevel{name: name, index: map[string]int{}}
	}
	finest := ""
	if len(b.levels) > 0 {
		finest = b.levels[len(b.levels)-1].name
	}
	for _, name := range levelNames {
		la, lb := findLevel(a, name), findLevel(b, name)
		lc := levelChange{Name: name, Counts: map[string]int{}}
		var order []data.UnitFeature
		order = append(order, lb.units...)
		for _, u := range la.units {
			if _, ok := lb.index[u.UnitID]; !ok {
				order = append(order, u)
			}
		}
		for _, u := range order {
			ia, inA := la.index[u.UnitID]
			ib, inB := lb.index[u.UnitID]
			uc := unitChange{Level: name, ID: u.UnitID, Name: u.Name, Geometry: u.Geometry}
			var pa, pb *data.UnitProperties
			if inA {
				pa = &la.units[ia].UnitProperties
				if pa.Population.Valid() {
					uc.PopulationA = ptr(float64(pa.Population))
				}
			}
			if inB {
				pb = &lb.units[ib].UnitProperties
				if pb.Population.Valid() {
					uc.PopulationB = ptr(float64(pb.Population))
				}
			}
			if inA && inB && pa.Completeness.Valid() && pb.Completeness.Valid() {
				uc.CompletenessDelta = ptr(round4(float64(pb.Completeness - pa.Completeness)))
			}
			better, worse := 0, 0
			for ti := range d.Types {
				id := d.Types[ti].ID
				tc := unitTypeChange{ID: id}
				sa, ca, okSA := unitCoverage(pa, id)
				sb, cb, okSB := unitCoverage(pb, id)
				if okSA {
					tc.CoverageA, tc.CoveredA = ptr(sa), ptr(ca)
				}
				if okSB {
					tc.CoverageB, tc.CoveredB = ptr(sb), ptr(cb)
				}
				switch {
				case okSA && okSB:
					tc.Status = compare(sa, ca, sb, cb)
					tc.Delta, tc.DeltaCov = ptr(round4(sb-sa)), ptr(math.Round((cb-ca)*10)/10)
				case okSB:
					tc.Status = diffAdded
				case okSA:
					tc.Status = diffRemoved
				default:
					tc.Status = diffUnchanged
				}
				switch tc.Status {
				case diffImproved:
					better++
				case diffWorse:
					worse++
				}
				if name == finest {
					d.Types[ti].Units[tc.Status]++
				}
				uc.Types = append(uc.Types, tc)
			}
			switch {
			case !inA:
				uc.Status = diffAdded
			case !inB:
				uc.Status = diffRemoved
			case better > 0 && worse > 0:
				uc.Status = diffMixed
			case better > 0:
				uc.Status = diffImproved
			case worse > 0:
				uc.Status = diffWorse
			default:
				uc.Status = diffUnchanged
			}
			lc.Counts[uc.Status]++
			lc.all = append(lc.all, uc)
			if uc.Status != diffUnchanged {
				lc.Units = append(lc.Units, uc)
			}
		}
		if lc.Units == nil {
			lc.Units = []unitChange{}
		}
		d.Levels = append(d.Levels, lc)
	}
	d.Facilities = diffFacilities(a.facilities, b.facilities)
	return d
}

// diffFacilities matches facilities by (type, id), then the unmatched ones
// by (type, position within samePlaceM).
func diffFacilities(a, b []runFacility) facilityChanges {
	key := func(f runFacility) string { return f.Type + "\x00" + f.ID }
	inB := map[string][]int{}
	for i, f := range b {
		if f.ID != "" {
			inB[key(f)] = append(inB[key(f)], i)
		}
	}
	usedB := make([]bool, len(b))
	var restA []int
	fc := facilityChanges{New: []runFacility{}, Closed: []runFacility{}, Moved: []facMove{}}
	for i, f := range a {
		js := inB[key(f)]
		matched := false
		for _, j := range js {
			if usedB[j] {
				continue
			}
			usedB[j] = true
			matched = true
			if dist := metres(f.At, b[j].At); dist > samePlaceM {
				fc.Moved = append(fc.Moved, facMove{runFacility: b[j], From: f.At, Distance: math.Round(dist*10) / 10})
			}
			break
		}
		if f.ID == "" || !matched {
			restA = append(restA, i)
		}
	}
	// Unmatched by id: the same type at the same place is the same facility
	// (an id that changed between the runs).
	for _, i := range restA {
		f := a[i]
		found := false
		for j, g := range b {
			if usedB[j] || g.Type != f.Type {
				continue
			}
			if metres(f.At, g.At) <= samePlaceM {
				usedB[j] = true
				found = true
				break
			}
		}
		if !found {
			fc.Closed = append(fc.Closed, f)
		}
	}
	for j, g := range b {
		if !usedB[j] {
			fc.New = append(fc.New, g)
		}
	}
	return fc
}

// metres is the great-circle distance between two lon/lat points; +Inf
// when either is unknown.
func metres(p, q orb.Point) float64 {
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

func printDiff(w io.Writer, d *runDiffResult, all bool) {
	fmt.Fprintf(w, "变化 / Change: %s → %s\n", d.A, d.B)
	fmt.Fprintf(w, "%s %s %9s %9s %8s %10s %7s  %s\n", pad("type", 11), pad("name", 26), "cov. A", "cov. B", "Δ pts", "Δ covered", "sites", "finest units ↑/↓/=")
	for _, t := range d.Types {
		fmt.Fprintf(w, "%s %s %8.1f%% %8.1f%% %+8.1f %+10.0f %3d→%-3d  %d/%d/%d\n",
			pad(t.ID, 11), pad(t.NameEn, 26), 100*t.CoverageA, 100*t.CoverageB, 100*t.Delta, t.CoveredB-t.CoveredA,
			t.FacilitiesA, t.FacilitiesB, t.Units[diffImproved], t.Units[diffWorse], t.Units[diffUnchanged])
	}
	for _, v := range d.Totals {
		if v.Key == "completeness" || v.Key == "fully_served" {
			fmt.Fprintf(w, "%s %.1f%% → %.1f%% (%+.1f pts)\n", v.Key, 100*v.A, 100*v.B, 100*v.Delta)
		}
	}
	for _, l := range d.Levels {
		fmt.Fprintf(w, "\nlevel %s: %d improved, %d worse, %d mixed, %d unchanged, %d added, %d removed\n", l.Name,
			l.Counts[diffImproved], l.Counts[diffWorse], l.Counts[diffMixed], l.Counts[diffUnchanged], l.Counts[diffAdded], l.Counts[diffRemoved])
		list := l.Units
		if all {
			list = l.all
		}
		for _, u := range list {
			var parts []string
			for _, t := range u.Types {
				if t.Status == diffImproved || t.Status == diffWorse {
					parts = append(parts, fmt.Sprintf("%s %+.1f pts (%+.0f)", t.ID, 100**t.Delta, *t.DeltaCov))
				}
			}
			label := u.ID
			if u.Name != "" {
				label += " " + u.Name
			}
			fmt.Fprintf(w, "  %s %s %s\n", pad(u.Status, 9), pad(truncate(label, 36), 36), strings.Join(parts, ", "))
		}
	}
	fc := d.Facilities
	fmt.Fprintf(w, "\nfacilities: %d new, %d closed, %d moved\n", len(fc.New), len(fc.Closed), len(fc.Moved))
	show := func(sign string, f runFacility, extra string) {
		fmt.Fprintf(w, "  %s %s %s %q (%.6f, %.6f)%s\n", sign, pad(f.Type, 11), f.ID, f.Name, f.At[0], f.At[1], extra)
	}
	for _, f := range fc.New {
		show("+", f, "")
	}
	for _, f := range fc.Closed {
		show("-", f, "")
	}
	for _, m := range fc.Moved {
		show("~", m.runFacility, fmt.Sprintf(" moved %.0f m", m.Distance))
	}
}

// writeDiffGeoJSON writes every unit of every level with its deltas.
func writeDiffGeoJSON(w io.Writer, d *runDiffResult) error {
	g := data.NewGeoJSONWriter(w)
	for _, l := range d.Levels {
		for _, u := range l.all {
			props := data.Props{{Key: "level", Value: u.Level}, {Key: "unit_id", Value: u.ID}}
			if u.Name != "" {
				props = append(props, data.Prop{Key: "name", Value: u.Name})
			}
			props = append(props, data.Prop{Key: "status", Value: u.Status},
				data.Prop{Key: "population_a", Value: fptr(u.PopulationA)}, data.Prop{Key: "population_b", Value: fptr(u.PopulationB)},
				data.Prop{Key: "delta_completeness", Value: fptr(u.CompletenessDelta)})
			for _, t := range u.Types {
				props = append(props,
					data.Prop{Key: "status_" + t.ID, Value: t.Status},
					data.Prop{Key: "delta_coverage_" + t.ID, Value: fptr(t.Delta)},
					data.Prop{Key: "delta_covered_" + t.ID, Value: fptr(t.DeltaCov)})
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
