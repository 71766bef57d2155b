package planner

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// The hierarchy case, hand-checked (metres along a street on y = 0):
//
//	subdistricts  S1 [0, 2000]            S2 [2000, 4000]
//	communities   C1 [0,1000] C2 [1000,2000] C3 [2000,3000]   (none in [3000,4000])
//	residents     r1 100 (10)  r2 900 (20)  r3 1500 (30)  r4 2500 (40)  r5 3500 (50)  r6 3900,150 (5, outside)
//	facilities    clinic 50;  market 1200, 2600
//
// clinic ≤ 1000 m covers r1, r2; market ≤ 500 m covers r2, r3, r4.
// Boxes span y ∈ [-100, 100]; r6 lies 150 m north of the street, outside them.

func hierProfile() *Profile {
	return &Profile{ID: "t", Names: Names{En: "test"}, Types: []AmenityType{
		{ID: "clinic", Names: Names{Zh: "诊所", En: "Clinic"}, Tier: 15, Threshold: 1000, Weight: 1},
		{ID: "market", Names: Names{Zh: "菜市场", En: "Market"}, Tier: 10, Threshold: 500, Weight: 1},
	}}
}

func hierUnits() []Unit {
	return []Unit{
		{ID: "C1", Name: "Community 1", Parent: "S1", Level: "community", Geometry: box(0, -100, 1000, 100)},
		{ID: "C2", Level: "community", Geometry: box(1000, -100, 2000, 100)},
		{ID: "C3", Level: "community", Geometry: box(2000, -100, 3000, 100)},
		{ID: "S1", Level: "subdistrict", Geometry: box(0, -100, 2000, 100)},
		{ID: "S2", Level: "subdistrict", Geometry: box(2000, -100, 4000, 100)},
	}
}

func hierInput(t *testing.T) AuditInput {
	t.Helper()
	h, warns, err := BuildHierarchy(hierUnits(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Fatalf("warnings %v", warns)
	}
	dem := toyDemand(resident{100, 0, 10}, resident{900, 0, 20}, resident{1500, 0, 30},
		resident{2500, 0, 40}, resident{3500, 0, 50}, resident{3900, 150, 5})
	h.AssignDemand(dem.Points)
	fin := h.Finest()
	return AuditInput{
		Profile: hierProfile(), Net: toyNet(t, [][2]float64{{0, 0}, {4000, 0}}), Demand: dem,
		Facilities: []Facility{pointFacility("c1", "clinic", 50, 0), pointFacility("m1", "market", 1200, 0), pointFacility("m2", "market", 2600, 0)},
		Units:      fin.Units, Assign: fin.Assign, Hierarchy: h,
		MaxSnap: geo.DefaultMaxSnap, MaxDistance: DefaultAuditMaxDistance,
	}
}

func TestBuildHierarchyLinks(t *testing.T) {
	h, _, err := BuildHierarchy(hierUnits(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(h.LevelNames(), ","); got != "subdistrict,community" {
		t.Fatalf("levels %s, want subdistrict,community (coarse → fine by unit area)", got)
	}
	// C1 by its parent id, C2 and C3 by containment of their middles.
	if got, want := h.Levels[1].Parent, []int32{0, 0, 1}; !equalInt32(got, want) {
		t.Errorf("community parents %v, want %v", got, want)
	}
	if got := h.Levels[0].Parent; !equalInt32(got, []int32{-1, -1}) {
		t.Errorf("coarsest level parents %v, want none", got)
	}
	// An explicit order wins over areas; a wrong parent id falls back to containment.
	units := hierUnits()
	units[2].Parent = "S9"
	h, warns, err := BuildHierarchy(units, []string{"subdistrict", "community"})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], `"S9"`) {
		t.Errorf("warnings %q, want one naming parent S9", warns)
	}
	if h.Levels[1].Parent[2] != 1 {
		t.Errorf("C3 with an unknown parent id: parent %d, want 1 (S2 by containment)", h.Levels[1].Parent[2])
	}
	// Bad inputs.
	for _, tc := range []struct {
		name  string
		units []Unit
		order []string
		want  string
	}{
		{"empty", nil, nil, "no units"},
		{"duplicate id in a level", append(hierUnits(), Unit{ID: "C1", Level: "community", Geometry: box(0, 0, 1, 1)}), nil, `two units with id "C1"`},
		{"order misses a level", hierUnits(), []string{"community"}, "does not name every level"},
		{"order names an unknown level", hierUnits(), []string{"district", "community"}, `names "district"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := BuildHierarchy(tc.units, tc.order)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func equalInt32(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHierarchyLocate(t *testing.T) {
	in := hierInput(t)
	h := in.Hierarchy
	if got, want := h.Levels[1].Assign, []int32{0, 0, 1, 2, -1, -1}; !equalInt32(got, want) {
		t.Errorf("community of each resident %v, want %v", got, want)
	}
	if got, want := h.Levels[0].Assign, []int32{0, 0, 0, 1, 1, -1}; !equalInt32(got, want) {
		t.Errorf("subdistrict of each resident %v, want %v", got, want)
	}
	// A community that sticks out of its subdistrict: its residents count
	// in the subdistrict through the parent link, so sums stay equal.
	units := []Unit{
		{ID: "S", Level: "sub", Geometry: box(0, -100, 1000, 100)},
		{ID: "T", Level: "sub", Geometry: box(1000, -100, 2000, 100)},
		{ID: "C", Level: "com", Parent: "S", Geometry: box(0, -100, 1200, 100)},
	}
	h2, _, err := BuildHierarchy(units, []string{"sub", "com"})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := h2.Locate([]orb.Point{mp(1100, 0), mp(1500, 0)})
	if got := a[0]; !equalInt32(got, []int32{0, 1}) {
		t.Errorf("sub of (1100, 1500) = %v, want [0 1]: 1100 lies in C, whose parent is S; 1500 is in T directly", got)
	}
}

func TestAggregateLevelsHandChecked(t *testing.T) {
	in := hierInput(t)
	in.Rules = nil
	res, err := Audit(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Levels) != 2 {
		t.Fatalf("%d levels, want 2", len(res.Levels))
	}
	sub, com := res.Levels[0], res.Levels[1]
	type want struct {
		pop, comp, full  float64
		covered, unreach [2]float64
		mean, p90        [2]float64
		fac              [2]int
	}
	check := func(level string, u int, got UnitResult, fac []int, w want) {
		t.Helper()
		near := func(a, b float64) bool { return (math.IsNaN(a) && math.IsNaN(b)) || math.Abs(a-b) < 1e-6 }
		if !near(got.Population, w.pop) || !near(got.Completeness, w.comp) || !near(got.FullyServed, w.full) {
			t.Errorf("%s %d: population %v completeness %v fully served %v, want %v %v %v", level, u,
				got.Population, got.Completeness, got.FullyServed, w.pop, w.comp, w.full)
		}
		for ti := 0; ti < 2; ti++ {
			if !near(got.Covered[ti], w.covered[ti]) || !near(got.Unreachable[ti], w.unreach[ti]) ||
				!near(got.DistMean[ti], w.mean[ti]) || !near(got.DistP90[ti], w.p90[ti]) || fac[ti] != w.fac[ti] {
				t.Errorf("%s %d type %d: covered %v unreachable %v mean %v p90 %v facilities %d, want %v %v %v %v %d", level, u, ti,
					got.Covered[ti], got.Unreachable[ti], got.DistMean[ti], got.DistP90[ti], fac[ti],
					w.covered[ti], w.unreach[ti], w.mean[ti], w.p90[ti], w.fac[ti])
			}
		}
	}
	// C1: r1 (clinic 50, market 1100), r2 (850, 300).
	check("community", 0, com.Units[0], com.Facilities[0], want{30, 25.0 / 30, 20.0 / 30, [2]float64{30, 20}, [2]float64{},
		[2]float64{17500.0 / 30, 17000.0 / 30}, [2]float64{850, 1100}, [2]int{1, 0}})
	// C2: r3 (1450, 300).
	check("community", 1, com.Units[1], com.Facilities[1], want{30, 0.5, 0, [2]float64{0, 30}, [2]float64{},
		[2]float64{1450, 300}, [2]float64{1450, 300}, [2]int{0, 1}})
	// C3: r4 (2450, 100).
	check("community", 2, com.Units[2], com.Facilities[2], want{40, 0.5, 0, [2]float64{0, 40}, [2]float64{},
		[2]float64{2450, 100}, [2]float64{2450, 100}, [2]int{0, 1}})
	// S1 = r1 + r2 + r3: distances recomputed from the points, not averaged.
	check("subdistrict", 0, sub.Units[0], sub.Facilities[0], want{60, 40.0 / 60, 20.0 / 60, [2]float64{30, 50}, [2]float64{},
		[2]float64{61000.0 / 60, (11000 + 6000 + 9000) / 60.0}, [2]float64{1450, 1100}, [2]int{1, 1}})
	// S2 = r4 + r5 (3450, 900).
	check("subdistrict", 1, sub.Units[1], sub.Facilities[1], want{90, 20.0 / 90, 0, [2]float64{0, 40}, [2]float64{},
		[2]float64{(2450*40 + 3450*50) / 90.0, (100*40 + 900*50) / 90.0}, [2]float64{3450, 900}, [2]int{0, 1}})
	if com.Outside != 55 || com.OutsidePoints != 2 || sub.Outside != 5 || sub.OutsidePoints != 1 {
		t.Errorf("outside: community %v (%d), subdistrict %v (%d); want 55 (2), 5 (1)", com.Outside, com.OutsidePoints, sub.Outside, sub.OutsidePoints)
	}
	// The finest level equals the audit's own units.
	for u := range res.Units {
		if res.Units[u].Population != com.Units[u].Population || res.Units[u].Covered[1] != com.Units[u].Covered[1] ||
			res.Units[u].Completeness != com.Units[u].Completeness {
			t.Errorf("unit %d: audit %+v, finest level %+v", u, res.Units[u], com.Units[u])
		}
	}
	if sub.Types[1].Covered != 90 || sub.Types[1].GapUnits != 2 || com.Types[0].GapUnits != 2 {
		t.Errorf("level type summaries: %+v %+v", sub.Types, com.Types)
	}
	// A warning per level with residents outside it.
	n := 0
	for _, w := range res.Warnings {
		if strings.HasPrefix(w, "level ") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("warnings %q: want one per level with residents outside", res.Warnings)
	}
}

func TestRepresentativePoint(t *testing.T) {
	// A U shape whose centroid lies in the notch.
	u := orb.Polygon{orb.Ring{mp(0, 0), mp(300, 0), mp(300, 300), mp(200, 300), mp(200, 100), mp(100, 100), mp(100, 300), mp(0, 300), mp(0, 0)}}
	for _, tc := range []struct {
		name string
		g    orb.Geometry
		ok   bool
	}{
		{"point", mp(5, 5), true},
		{"line", orb.LineString{mp(0, 0), mp(100, 0), mp(100, 300)}, true},
		{"U polygon", u, true},
		{"multipolygon", orb.MultiPolygon{box(0, 0, 10, 10), u}, true},
		{"empty line", orb.LineString{}, false},
		{"nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := RepresentativePoint(tc.g)
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			switch g := tc.g.(type) {
			case orb.Polygon:
				if geo.PolygonLocate(g, p) != geo.Inside {
					t.Errorf("point %v is not strictly inside", p)
				}
			case orb.MultiPolygon:
				if geo.PolygonLocate(u, p) != geo.Inside {
					t.Errorf("point %v is not inside the largest part", p)
				}
			case orb.LineString:
				if math.Abs(mx(p)-100) > 1e-6 || math.Abs(p[1]*metresPerDeg-100) > 1e-6 {
					t.Errorf("middle of the line at %v m, want (100, 100)", [2]float64{mx(p), p[1] * metresPerDeg})
				}
			}
		})
	}
}

func BenchmarkHierarchyLocate(b *testing.B) {
	// 20 × 20 communities in 4 × 4 subdistricts, 100 000 points.
	var units []Unit
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			units = append(units, Unit{ID: "S" + string(rune('a'+i)) + string(rune('a'+j)), Level: "s",
				Geometry: box(float64(i)*5000, float64(j)*5000, float64(i+1)*5000, float64(j+1)*5000)})
		}
	}
	for i := 0; i < 20; i++ {
		for j := 0; j < 20; j++ {
			units = append(units, Unit{ID: "C" + string(rune('a'+i)) + string(rune('a'+j)), Level: "c",
				Geometry: box(float64(i)*1000, float64(j)*1000, float64(i+1)*1000, float64(j+1)*1000)})
		}
	}
	h, _, err := BuildHierarchy(units, nil)
	if err != nil {
		b.Fatal(err)
	}
	pts := make([]orb.Point, 100000)
	for i := range pts {
		pts[i] = mp(float64(i%400)*50+7, float64(i/400)*80+3)
	}
	b.ResetTimer()
	for b.Loop() {
		h.Locate(pts)
	}
}

// TestWorstUnitsOrder: the order of a stable sort on the same keys, with
// equal gaps, NaN completeness, -0 and units without residents.
func TestWorstUnitsOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	units := make([]UnitResult, 5000)
	for u := range units {
		units[u].Population = float64(r.IntN(5) * 100)
		units[u].Completeness = float64(r.IntN(5)) / 4
		switch r.IntN(50) {
		case 0:
			units[u].Completeness = math.NaN()
		case 1:
			units[u].Population = math.Copysign(0, -1)
		}
	}
	type gapUnit struct {
		gap float64
		u   int
	}
	var want []gapUnit
	for u := range units {
		if units[u].Population > 0 {
			want = append(want, gapUnit{units[u].Population * (1 - units[u].Completeness), u})
		}
	}
	slices.SortStableFunc(want, func(a, b gapUnit) int {
		if c := cmp.Compare(b.gap, a.gap); c != 0 {
			return c
		}
		return cmp.Compare(a.u, b.u)
	})
	for _, n := range []int{0, 5, 100, len(units)} {
		got := WorstUnits(units, n)
		if len(got) != min(n, len(want)) {
			t.Fatalf("n=%d: %d units", n, len(got))
		}
		for k, u := range got {
			if u != want[k].u {
				t.Fatalf("n=%d: unit %d at %d, the stable sort has %d", n, u, k, want[k].u)
			}
		}
	}
}
