package data

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// TestNumJSON writes numbers as encoding/json writes float64 (so that
// outputs did not change when they moved to Num), NaN and ±Inf as null,
// and reads null back as NaN.
func TestNumJSON(t *testing.T) {
	for _, x := range []float64{0, 1, -1, 0.1, 1.5e-7, -2.25e-9, 1e-6, 9.99e-7, 123456.789, 1e20, 1e21, -3e25, 0.30000000000000004,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 83.68689789140569, 4616.1, -0.0} {
		want, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(Num(x))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("Num(%v) = %s, encoding/json writes %s", x, got, want)
		}
		var back Num
		if err := json.Unmarshal(got, &back); err != nil || float64(back) != x {
			t.Errorf("%s read back as %v (%v), want %v", got, back, err, x)
		}
	}
	for _, x := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		got, err := json.Marshal(struct {
			A Num  `json:"a"`
			B *Num `json:"b"`
		}{Num(x), nil})
		if err != nil || string(got) != `{"a":null,"b":null}` {
			t.Errorf("Num(%v): %s, %v", x, got, err)
		}
	}
	var n Num
	if err := json.Unmarshal([]byte("null"), &n); err != nil || n.Valid() || !math.IsNaN(float64(n)) || n.Or(7) != 7 {
		t.Errorf("null read as %v (%v)", n, err)
	}
	if err := json.Unmarshal([]byte(`"1"`), &n); err == nil {
		t.Error("a string was read as a number")
	}
	if got := Round(2.345678, 1); got != 2.3 {
		t.Errorf("Round(2.345678, 1) = %v", got)
	}
	if got := Round(0.123456, 4); got != 0.1235 {
		t.Errorf("Round(0.123456, 4) = %v", got)
	}
	if got := Round(math.Inf(1), 1); got.Valid() {
		t.Errorf("Round(+Inf) = %v, want an invalid Num", got)
	}
	// In GeoJSON properties a Num is written as the layers write floats.
	b, err := AppendFeature(nil, nil, nil, Props{{"a", Num(math.NaN())}, {"b", Round(1.25, 1)}, {"c", Num(1e-7)}})
	if err != nil || string(b) != `{"type":"Feature","geometry":null,"properties":{"a":null,"b":1.3,"c":1e-07}}` {
		t.Errorf("feature %s (%v)", b, err)
	}
}

// TestSummaryKeysSorted: summary.json was written from maps, whose keys
// encoding/json sorts; the Summary types declare their fields in that
// order so that the file stays the same.
func TestSummaryKeysSorted(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var check func(reflect.Type)
	check = func(ty reflect.Type) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || seen[ty] || ty.PkgPath() != reflect.TypeFor[Summary]().PkgPath() || ty == reflect.TypeFor[NetworkInfo]() {
			return
		}
		seen[ty] = true
		var keys []string
		for i := 0; i < ty.NumField(); i++ {
			f := ty.Field(i)
			keys = append(keys, strings.Split(f.Tag.Get("json"), ",")[0])
			check(f.Type)
		}
		if !sort.StringsAreSorted(keys) {
			t.Errorf("%s: JSON keys %v are not in sorted order", ty.Name(), keys)
		}
	}
	check(reflect.TypeFor[Summary]())
	if len(seen) < 8 {
		t.Errorf("checked %d types", len(seen))
	}
}

// equalNaN is reflect.DeepEqual with NaN equal to NaN.
func equalNaN(a, b reflect.Value) bool {
	if a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case reflect.Float64, reflect.Float32:
		x, y := a.Float(), b.Float()
		return x == y || (math.IsNaN(x) && math.IsNaN(y))
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalNaN(a.Elem(), b.Elem())
	case reflect.Slice, reflect.Array:
		if a.Kind() == reflect.Slice && (a.IsNil() != b.IsNil()) {
			return false
		}
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !equalNaN(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if !equalNaN(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if !b.MapIndex(k).IsValid() || !equalNaN(a.MapIndex(k), b.MapIndex(k)) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

func sameNaN(a, b any) bool { return equalNaN(reflect.ValueOf(a), reflect.ValueOf(b)) }

// sameGeometry compares geometries to the 6 decimals the layers keep.
func sameGeometry(a, b orb.Geometry) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ba, bb := a.Bound(), b.Bound()
	const eps = 6e-7
	return a.GeoJSONType() == b.GeoJSONType() &&
		math.Abs(ba.Min[0]-bb.Min[0]) < eps && math.Abs(ba.Min[1]-bb.Min[1]) < eps &&
		math.Abs(ba.Max[0]-bb.Max[0]) < eps && math.Abs(ba.Max[1]-bb.Max[1]) < eps
}

// checkRoundTrip writes an audit with WriteAudit, reads it back with
// ReadAudit and compares every value with what was written.
func checkRoundTrip(t *testing.T, in planner.AuditInput, res *planner.AuditResult, meta AuditMeta) *AuditRun {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "out")
	if err := WriteAudit(dir, in, res, meta); err != nil {
		t.Fatal(err)
	}
	run, err := ReadAudit(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := NewSummary(in, res, meta)
	if _, err := time.Parse(time.RFC3339, run.Summary.Created); err != nil {
		t.Errorf("created %q: %v", run.Summary.Created, err)
	}
	want.Created = run.Summary.Created
	// Inputs are free-form: JSON numbers come back as float64.
	wantInputs, _ := json.Marshal(want.Inputs)
	gotInputs, _ := json.Marshal(run.Summary.Inputs)
	if string(wantInputs) != string(gotInputs) {
		t.Errorf("inputs %s, want %s", gotInputs, wantInputs)
	}
	want.Inputs, run.Summary.Inputs = nil, nil
	if !sameNaN(run.Summary, want) {
		g, _ := json.Marshal(run.Summary)
		w, _ := json.Marshal(want)
		t.Errorf("summary read back:\n%s\nwritten:\n%s", g, w)
	}
	if run.UnitsFile != UnitsFileName(meta) || len(run.Units) != len(in.Units) {
		t.Fatalf("%s: %d units, want %s with %d", run.UnitsFile, len(run.Units), UnitsFileName(meta), len(in.Units))
	}
	for u := range in.Units {
		if w := NewUnitProperties(in, res, u); !sameNaN(run.Units[u].UnitProperties, w) || !sameGeometry(run.Units[u].Geometry, in.Units[u].Geometry) {
			t.Fatalf("unit %d read back as %+v, written %+v", u, run.Units[u], w)
		}
	}
	if in.Hierarchy != nil && len(res.Levels) > 1 {
		if len(run.Levels) != len(res.Levels) {
			t.Fatalf("%d levels read back, %d written", len(run.Levels), len(res.Levels))
		}
		for k, l := range run.Levels {
			lv := in.Hierarchy.Levels[k]
			if l.Level != lv.Name || l.File != LevelFileName(lv.Name) || len(l.Units) != len(lv.Units) {
				t.Fatalf("level %d: %s in %s with %d units, want %s with %d", k, l.Level, l.File, len(l.Units), lv.Name, len(lv.Units))
			}
			for u := range l.Units {
				if w := NewLevelUnitProperties(in, res, k, u); !sameNaN(l.Units[u].UnitProperties, w) || !sameGeometry(l.Units[u].Geometry, lv.Units[u].Geometry) {
					t.Fatalf("level %s unit %d read back as %+v, written %+v", lv.Name, u, l.Units[u], w)
				}
			}
		}
	} else if run.Levels != nil {
		t.Errorf("levels %+v read back from a single-level audit", run.Levels)
	}
	if len(run.Facilities) != len(in.Facilities) {
		t.Fatalf("%d facilities read back, %d written", len(run.Facilities), len(in.Facilities))
	}
	for i, f := range in.Facilities {
		if w := NewFacilityProperties(in.Profile, f); !reflect.DeepEqual(run.Facilities[i].FacilityProperties, w) || !sameGeometry(run.Facilities[i].Geometry, f.Geometry) {
			t.Fatalf("facility %d read back as %+v, written %+v", i, run.Facilities[i], w)
		}
	}
	return run
}

func square(lon, lat, d float64) orb.Polygon {
	return orb.Polygon{{{lon, lat}, {lon + d, lat}, {lon + d, lat + d}, {lon, lat + d}, {lon, lat}}}
}

// handAudit is a small audit made by hand: two levels (a district of two
// neighbourhoods), a neighbourhood nobody reaches a market from (NaN
// distances), an empty one, a facility of a type the profile does not
// know, a point outside every unit and a broken coverage rule.
func handAudit(t *testing.T) (planner.AuditInput, *planner.AuditResult, AuditMeta) {
	prof, err := LoadProfile("gb50180")
	if err != nil {
		t.Fatal(err)
	}
	nT := len(prof.Types)
	nan := math.NaN()
	fill := func(x float64) []float64 {
		s := make([]float64, nT)
		for i := range s {
			s[i] = x
		}
		return s
	}
	district := planner.Unit{ID: "d1", Name: "东区", Geometry: square(116.3, 39.9, 0.02)}
	hoods := []planner.Unit{
		{ID: "n1", Name: "北邮社区", Parent: "d1", Level: "neighbourhood", Geometry: square(116.3, 39.9, 0.01)},
		{ID: "n2", Parent: "d1", Level: "neighbourhood", Geometry: square(116.31, 39.9, 0.01)},
	}
	demand := &planner.Demand{Source: planner.DemandPopulationLayer,
		Points: []orb.Point{{116.301, 39.901}, {116.302, 39.902}, {117, 40}},
		Pop:    []float64{12.345, 7.5, 3}, IDs: []string{"p1", "p2", "p3"}}
	assign := []int32{0, 0, -1}
	in := planner.AuditInput{Profile: prof, Demand: demand, Units: hoods, Assign: assign,
		Facilities: []planner.Facility{
			{ID: "n42", Type: prof.Types[0].ID, Name: "社区卫生服务站", Source: "osm", Geometry: orb.Point{116.3015, 39.9015}},
			{ID: "x1", Type: "kiosk", Source: "layer.geojson", Geometry: square(116.305, 39.905, 0.001)},
		},
		Hierarchy: &planner.Hierarchy{Levels: []planner.Level{
			{Name: "district", Units: []planner.Unit{district}, Parent: []int32{-1}, Assign: []int32{0, 0, -1}},
			{Name: "neighbourhood", Units: hoods, Parent: []int32{0, 0}, Assign: assign},
		}}}
	u1 := planner.UnitResult{Population: 19.845, Points: 2, Covered: fill(12.345), Unreachable: fill(7.5),
		DistMean: fill(312.345), DistP90: fill(455.55), Completeness: 0.62207, FullyServed: 0.62207}
	u1.DistMean[nT-1], u1.DistP90[nT-1], u1.Covered[nT-1], u1.Unreachable[nT-1] = nan, nan, 0, 19.845
	u2 := planner.UnitResult{Covered: fill(0), Unreachable: fill(0), DistMean: fill(nan), DistP90: fill(nan)}
	dist := make([][]float64, nT)
	for ti := range dist {
		dist[ti] = []float64{120.04, nan, 2e4}
	}
	types := make([]planner.TypeSummary, nT)
	ltypes := make([]planner.LevelTypeSummary, nT)
	for ti, ty := range prof.Types {
		types[ti] = planner.TypeSummary{ID: ty.ID, Names: ty.Names, Tier: 15, Threshold: 300, Facilities: 1, FacilitiesUnsnapped: 1,
			Population: 22.845, Covered: 12.345, Coverage: 12.345 / 22.845, Gap: 10.5, GapUnits: 1, Unreachable: 7.5,
			DistMean: 312.34567, DistP90: nan}
		ltypes[ti] = planner.LevelTypeSummary{ID: ty.ID, Covered: 12.345, Unreachable: 7.5, GapUnits: 1, Facilities: ti % 2}
	}
	facs := func(n int) [][]int {
		out := make([][]int, n)
		for i := range out {
			out[i] = make([]int, nT)
			out[i][0] = i + 1
		}
		return out
	}
	res := &planner.AuditResult{Types: types, Dist: dist, Units: []planner.UnitResult{u1, u2},
		Population: 22.845, Outside: 3, OutsidePoints: 1, UnsnappedPop: 7.5, UnsnappedPts: 1,
		Completeness: 0.5377, FullyServed: nan, FullyServedPop: 12.345, Warnings: []string{"a warning"},
		Timings: map[string]time.Duration{"search": 1500 * time.Microsecond},
		Levels: []planner.LevelResult{
			{Name: "district", Units: []planner.UnitResult{u1}, Facilities: facs(1), Population: 19.845, Outside: 3, OutsidePoints: 1,
				Completeness: 0.62207, FullyServed: 0.62207, Types: ltypes},
			{Name: "neighbourhood", Units: []planner.UnitResult{u1, u2}, Facilities: facs(2), Population: 19.845, Outside: 3, OutsidePoints: 1,
				Completeness: 0.62207, FullyServed: 0.62207, Types: ltypes},
		},
		Rules: []planner.RuleCheck{
			{Index: 0, Rule: planner.Rule{Origin: "project", Level: "neighbourhood", Type: prof.Types[0].ID, MinCoverage: 0.9, Note: "plan 2024"},
				Kind: planner.RuleCoverage, Text: planner.Names{Zh: "覆盖", En: "coverage"}, Checked: 2,
				Breaches: []planner.RuleBreach{{Unit: 0, UnitID: "n1", UnitName: "北邮社区", Population: 19.845, Required: 0.9, Actual: 0.62207, Shortfall: 0.27793, Residents: 5.5}}},
			{Index: 1, Rule: planner.Rule{Origin: "profile", Type: prof.Types[1].ID, Min: 2}, Kind: planner.RuleCount,
				Text: planner.Names{Zh: "数量", En: "count"}, Checked: 1},
		}}
	meta := AuditMeta{Version: "test", Inputs: map[string]any{"units": "units.geojson", "max_snap_m": 250.0},
		Network: NetworkInfo{Source: "hand", Ways: 3, LengthKm: 1.25}, UnitsFile: "units.geojson",
		Timings: map[string]time.Duration{"read": 2 * time.Second}, Warnings: []string{"input warning"}}
	return in, res, meta
}

func TestAuditRoundTripHandMade(t *testing.T) {
	in, res, meta := handAudit(t)
	run := checkRoundTrip(t, in, res, meta)
	// A few values by hand, so that a change in both writer and reader
	// does not pass unseen.
	s := run.Summary
	if s.Units.Kind != UnitsImported || s.Units.File != "units.geojson" || s.Units.CellM != nil || s.Units.Count != 2 {
		t.Errorf("units %+v", s.Units)
	}
	if s.Totals.FullyServed.Valid() || s.Totals.Population != 22.8 || s.Types[0].DistMean != 312.3 || s.Types[0].DistP90.Valid() {
		t.Errorf("totals %+v, type %+v", s.Totals, s.Types[0])
	}
	if len(s.Rules) != 2 || s.RulesBroken == nil || *s.RulesBroken != 1 || s.Rules[0].Breaches[0].ResidentsToReach == nil ||
		*s.Rules[0].Breaches[0].ResidentsToReach != 5.5 || s.Rules[1].Breaches == nil || s.Rules[1].Level != planner.DistrictLevel {
		t.Errorf("rules %+v", s.Rules)
	}
	if fmt.Sprint(s.Warnings) != "[input warning a warning]" || s.Timings["read"] != 2 || s.Timings["search"] != 0.002 {
		t.Errorf("warnings %v, timings %v", s.Warnings, s.Timings)
	}
	last := prof(t).Types[len(in.Profile.Types)-1].ID
	if ty, ok := run.Units[0].Type(last); !ok || ty.DistMean.Valid() || ty.Coverage != 0 || ty.Unreachable != 19.8 {
		t.Errorf("unit n1, type %s: %+v", last, ty)
	}
	if ty, ok := run.Levels[1].Units[0].Type(in.Profile.Types[0].ID); !ok || ty.Facilities != 1 {
		t.Errorf("level unit n1: %+v", ty)
	}
	if run.Facilities[1].TypeNames != nil || run.Facilities[0].TypeNames == nil || run.Facilities[0].Name != "社区卫生服务站" {
		t.Errorf("facilities %+v", run.Facilities)
	}
}

func prof(t *testing.T) *planner.Profile {
	p, err := LoadProfile("gb50180")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAuditRoundTripHelsinki round-trips a real audit: central Helsinki on
// 250 m cells (no elderly care in the extract: NaN distances).
func TestAuditRoundTripHelsinki(t *testing.T) {
	path := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	p := prof(t)
	osmIn, err := ReadOSMInputs(context.Background(), path, OSMOptions{Profile: p, Buildings: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dem, _, err := planner.DemandFromBuildings(osmIn.Buildings, planner.BuildingOptions{FloorAreaPerPerson: 40, ResidentialAreas: osmIn.ResidentialAreas})
	if err != nil {
		t.Fatal(err)
	}
	b := orb.Bound{Min: dem.Points[0], Max: dem.Points[0]}
	for _, pt := range dem.Points {
		b = b.Extend(pt)
	}
	g, err := planner.NewGrid(planner.DefaultCellSize, b)
	if err != nil {
		t.Fatal(err)
	}
	units, assign := planner.CellUnits(g, dem.Points, dem.Pop)
	in := planner.AuditInput{Profile: p, Net: osmIn.Net, Facilities: osmIn.Facilities, Demand: dem, Units: units, Assign: assign,
		Hierarchy: planner.SingleLevel("cell", units, assign), MaxSnap: geo.DefaultMaxSnap, MaxDistance: planner.DefaultAuditMaxDistance}
	res, err := planner.Audit(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	meta := AuditMeta{Version: "test", Inputs: map[string]any{"osm": path, "cell_m": 250}, Network: osmIn.NetInfo, CellSize: 250, GridID: "anchor"}
	run := checkRoundTrip(t, in, res, meta)
	nan := 0
	for _, u := range run.Units {
		for _, ty := range u.Types {
			if !ty.DistMean.Valid() {
				nan++
			}
		}
	}
	if nan == 0 || len(run.Units) < 10 || len(run.Facilities) == 0 {
		t.Errorf("%d units, %d facilities, %d null distances: not the audit expected", len(run.Units), len(run.Facilities), nan)
	}
}
