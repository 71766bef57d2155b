package planner

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/geo"
)

// TestAllocateCapacityByHand follows the closest-pairs-first rule on a case
// worked out by hand: four points (80, 60, 30 and 10 residents), F0 with
// room for 100 and F1 for 50.
//
//	pair       dist  takes                     F0 left  F1 left
//	P0–F0       50   80 of P0                      20       50
//	P1–F0      100   20 of P1 (F0 full)             0       50
//	P2–F1      120   30 of P2                       0       20
//	P1–F1      150   20 of P1's 40 (F1 full)        0        0
//	P0–F1      200   P0 already placed
//
// P1's nearest station filled up: 20 spill to F1, 20 find no room. P3 has
// no station within the threshold: it is not covered, not over capacity.
func TestAllocateCapacityByHand(t *testing.T) {
	weight := []float64{80, 60, 30, 10}
	room := []float64{100, 50}
	pairs := []CapacityPair{
		{Dist: 200, Point: 0, Facility: 1},
		{Dist: 100, Point: 1, Facility: 0},
		{Dist: 150, Point: 1, Facility: 1},
		{Dist: 50, Point: 0, Facility: 0},
		{Dist: 120, Point: 2, Facility: 1},
	}
	wantUnplaced, wantPlaced := []float64{0, 20, 0, 0}, []float64{100, 50}
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range 10 {
		p := slices.Clone(pairs)
		rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
		unplaced, placed := AllocateCapacity(weight, room, p)
		if fmt.Sprint(unplaced) != fmt.Sprint(wantUnplaced) || fmt.Sprint(placed) != fmt.Sprint(wantPlaced) {
			t.Fatalf("run %d: unplaced %v placed %v, want %v %v", run, unplaced, placed, wantUnplaced, wantPlaced)
		}
	}

	// Unknown capacity (+Inf) takes everyone; equal distances go to the
	// lower point index first.
	unplaced, placed := AllocateCapacity([]float64{5, 5}, []float64{6, math.Inf(1)},
		[]CapacityPair{{Dist: 10, Point: 1, Facility: 0}, {Dist: 10, Point: 0, Facility: 0}, {Dist: 20, Point: 1, Facility: 1}})
	if fmt.Sprint(unplaced) != "[0 0]" || fmt.Sprint(placed) != "[6 4]" {
		t.Errorf("tie and unknown capacity: unplaced %v placed %v, want [0 0] [6 4]", unplaced, placed)
	}
}

// capacityProfile is an elderly day-care type within 300 m needing 50
// places per 1,000 residents (a place serves 20 residents), and a
// playground type without capacity.
const capacityProfile = `id: cap
names: {en: Capacity town}
types:
  - id: elderly
    names: {zh: 托老站, en: Elderly day care}
    tier: 5
    threshold: 300
    weight: 1
    capacity_ratio: 50
  - id: playground
    names: {en: Playground}
    tier: 5
    threshold: 300
    weight: 1
`

// TestAuditCapacitySpill is the acceptance case of issue 13 item 6: the
// nearest station is full and residents spill to the next.
//
// One street x = 0..1000 m. E1 at x = 100 has 5 places (room for 100
// residents), E2 at x = 500 has 4 (room for 80). Residents on the street:
//
//	res  x    pop  unit  to E1   to E2
//	r1   150   70  A      50     350 ✗
//	r2   250   50  A     150     250
//	r3   400   40  A     300 ✓   100
//	r4   700   30  B     600 ✗   200
//	r5   900   10  B     800 ✗   400 ✗   (not covered)
//
// Pairs by distance: r1–E1 50 (70 placed, E1 30 left), r3–E2 100 (40, E2
// 40 left), r2–E1 150 (30 of 50, E1 full), r4–E2 200 (30, E2 10 left),
// r2–E2 250 (10 of r2's 20 spill to E2, E2 full), r3–E1 300 (r3 placed).
// So 10 residents of r2 (unit A) are within reach but over capacity;
// both stations are full; 180 residents are served.
func TestAuditCapacitySpill(t *testing.T) {
	prof := mustProfile(t, capacityProfile)
	d := toyDemand(resident{150, 0, 70}, resident{250, 0, 50}, resident{400, 0, 40}, resident{700, 0, 30}, resident{900, 0, 10})
	units := []Unit{{ID: "A", Geometry: box(0, -250, 500, 250)}, {ID: "B", Geometry: box(500, -250, 1000, 250)}}
	assign, _ := AssignUnits(units, d.Points)
	e1, e2 := pointFacility("E1", "elderly", 100, 0), pointFacility("E2", "elderly", 500, 0)
	e1.Capacity, e2.Capacity = 5, 4
	facs := []Facility{e1, pointFacility("P", "playground", 1000, 0), e2}
	in := AuditInput{Profile: prof, Net: street1km(t), Facilities: facs, Demand: d, Units: units, Assign: assign,
		MaxSnap: geo.DefaultMaxSnap, MaxDistance: DefaultAuditMaxDistance, Hierarchy: SingleLevel("units", units, assign)}
	res := runAudit(t, in)
	if len(res.Capacity) != 2 || res.Capacity[1] != nil || res.Capacity[0] == nil {
		t.Fatalf("Capacity = %v, want figures for elderly only", res.Capacity)
	}
	c := res.Capacity[0]
	approx(t, "ratio", c.Ratio, 50, 0)
	approx(t, "places", c.Places, 9, 0)
	approx(t, "served", c.Served, 180, tolM)
	approx(t, "over capacity", c.OverCapacity, 10, tolM)
	if c.Facilities != 2 || c.Full != 2 {
		t.Errorf("facilities %d full %d, want 2 2", c.Facilities, c.Full)
	}
	approx(t, "covered", res.Types[0].Covered, 190, tolM)
	wantShare := []float64{0, 10.0 / 50, 0, 0, 0}
	for i, w := range wantShare {
		approx(t, fmt.Sprintf("OverShare[r%d]", i+1), c.OverShare[i], w, tolM)
	}
	for _, units := range [][]UnitResult{res.Units, res.Levels[0].Units} {
		approx(t, "unit A over capacity", units[0].OverCapacity[0], 10, tolM)
		approx(t, "unit B over capacity", units[1].OverCapacity[0], 0, tolM)
		approx(t, "unit A playground", units[0].OverCapacity[1], math.NaN(), 0)
	}

	// With room for everyone nothing is over capacity.
	in.Facilities = slices.Clone(facs)
	in.Facilities[0].Capacity, in.Facilities[2].Capacity = 100, 100
	res = runAudit(t, in)
	approx(t, "over capacity, enough places", res.Capacity[0].OverCapacity, 0, 0)
	approx(t, "served, enough places", res.Capacity[0].Served, 190, tolM)
	if res.Capacity[0].Full != 0 {
		t.Errorf("full = %d, want 0", res.Capacity[0].Full)
	}

	// E2 without a known capacity takes everyone within its reach.
	in.Facilities = slices.Clone(facs)
	in.Facilities[2].Capacity = 0
	res = runAudit(t, in)
	approx(t, "over capacity, E2 unknown", res.Capacity[0].OverCapacity, 0, tolM)
	if res.Capacity[0].Facilities != 1 || res.Capacity[0].Full != 1 {
		t.Errorf("facilities %d full %d, want 1 1", res.Capacity[0].Facilities, res.Capacity[0].Full)
	}
}

// TestAuditWithoutCapacity checks that an audit without capacities has no
// capacity figures at all (absent, not 0), and that capacities without a
// ratio, or with a ratio counting a group the demand lacks, are left out
// with a warning.
func TestAuditWithoutCapacity(t *testing.T) {
	prof := mustProfile(t, capacityProfile)
	d := toyDemand(resident{150, 0, 70}, resident{700, 0, 30})
	units := []Unit{{ID: "A", Geometry: box(0, -250, 1000, 250)}}
	assign, _ := AssignUnits(units, d.Points)
	facs := []Facility{pointFacility("E1", "elderly", 100, 0), pointFacility("P", "playground", 1000, 0)}
	in := AuditInput{Profile: prof, Net: street1km(t), Facilities: facs, Demand: d, Units: units, Assign: assign,
		MaxSnap: geo.DefaultMaxSnap, MaxDistance: DefaultAuditMaxDistance}
	res := runAudit(t, in)
	if res.Capacity != nil || res.Units[0].OverCapacity != nil {
		t.Errorf("no capacities: Capacity %v, unit OverCapacity %v, want nil", res.Capacity, res.Units[0].OverCapacity)
	}
	if _, ok := res.Timings["capacity"]; ok {
		t.Error("timing capacity reported without capacities")
	}

	// A playground capacity: the type has no ratio.
	in.Facilities = slices.Clone(facs)
	in.Facilities[1].Capacity = 30
	res = runAudit(t, in)
	if res.Capacity != nil || !hasWarning(res.Warnings, "gives no capacity_ratio") {
		t.Errorf("capacity without ratio: Capacity %v, warnings %q", res.Capacity, res.Warnings)
	}

	// A ratio counting people aged 60+, whom the demand does not give.
	p2 := mustProfile(t, strings.Replace(capacityProfile, "capacity_ratio: 50", "capacity_ratio: 50\n    demand: age_60_plus", 1))
	in.Profile = p2
	in.Facilities = slices.Clone(facs)
	in.Facilities[0].Capacity = 3
	res = runAudit(t, in)
	if res.Capacity != nil || !hasWarning(res.Warnings, "group age_60_plus") {
		t.Errorf("capacity of a missing group: Capacity %v, warnings %q", res.Capacity, res.Warnings)
	}
}

// TestAuditCapacityGroup checks that a ratio counts the type's resident
// group: 1 place per 1,000 residents aged 60+ serves 1,000 of them, and
// the unit figure applies the group's unplaced share to all residents.
func TestAuditCapacityGroup(t *testing.T) {
	prof := mustProfile(t, `id: g
names: {en: Group}
types:
  - id: elderly
    names: {en: Elderly day care}
    tier: 5
    threshold: 300
    weight: 1
    demand: age_60_plus
    capacity_ratio: 1
`)
	d := toyDemand(resident{150, 0, 4000}, resident{250, 0, 2000})
	d.Groups = map[string][]float64{"age_60_plus": {800, 400}}
	units := []Unit{{ID: "A", Geometry: box(0, -250, 1000, 250)}}
	assign, _ := AssignUnits(units, d.Points)
	e := pointFacility("E", "elderly", 100, 0)
	e.Capacity = 1 // room for 1,000 aged 60+: r1's 800, then 200 of r2's 400
	res := runAudit(t, AuditInput{Profile: prof, Net: street1km(t), Facilities: []Facility{e}, Demand: d, Units: units, Assign: assign,
		MaxSnap: geo.DefaultMaxSnap, MaxDistance: DefaultAuditMaxDistance})
	approx(t, "over capacity (aged 60+)", res.Capacity[0].OverCapacity, 200, tolM)
	approx(t, "unit over capacity (all residents of r2's half)", res.Units[0].OverCapacity[0], 1000, tolM)
}

// TestScenarioDropsCapacity checks that a what-if edit of a type leaves
// out its capacity figures (an edit does not redo the allocation) rather
// than keeping stale ones.
func TestScenarioDropsCapacity(t *testing.T) {
	prof := mustProfile(t, capacityProfile)
	d := toyDemand(resident{150, 0, 70}, resident{250, 0, 50})
	units := []Unit{{ID: "A", Geometry: box(0, -250, 1000, 250)}}
	assign, _ := AssignUnits(units, d.Points)
	e := pointFacility("E1", "elderly", 100, 0)
	e.Capacity = 5
	sc, err := NewScenario(context.Background(), AuditInput{Profile: prof, Net: street1km(t), Facilities: []Facility{e, pointFacility("P", "playground", 1000, 0)},
		Demand: d, Units: units, Assign: assign, MaxSnap: geo.DefaultMaxSnap, MaxDistance: DefaultAuditMaxDistance})
	if err != nil {
		t.Fatal(err)
	}
	_, res, _ := sc.Snapshot()
	approx(t, "over capacity before", res.Units[0].OverCapacity[0], 20, tolM)
	ch, err := sc.Apply(Edit{Op: "add", Type: "elderly", Geometry: mp(300, 0)})
	if err != nil {
		t.Fatal(err)
	}
	_, res, _ = sc.Snapshot()
	if res.Capacity[0] != nil || !math.IsNaN(res.Units[0].OverCapacity[0]) || len(ch.Units) != 1 {
		t.Errorf("after an edit: Capacity[0] %v, unit over capacity %v, changed units %v; want nil, NaN, [0]", res.Capacity[0], res.Units[0].OverCapacity[0], ch.Units)
	}
}

// TestProfileCapacityRatio reads, checks and prints capacity_ratio.
func TestProfileCapacityRatio(t *testing.T) {
	p := mustProfile(t, capacityProfile)
	if p.Types[0].CapacityRatio != 50 || p.Types[1].CapacityRatio != 0 {
		t.Fatalf("ratios %v %v, want 50 0", p.Types[0].CapacityRatio, p.Types[1].CapacityRatio)
	}
	back, err := ParseProfile("printed", p.YAML())
	if err != nil {
		t.Fatal(err)
	}
	if back.Types[0].CapacityRatio != 50 {
		t.Errorf("printed and read back: ratio %v, want 50", back.Types[0].CapacityRatio)
	}
	for _, bad := range []string{"0", "-3", "1001", "lots"} {
		_, err := ParseProfile("bad.yaml", []byte(strings.Replace(capacityProfile, "capacity_ratio: 50", "capacity_ratio: "+bad, 1)))
		if err == nil || !strings.Contains(err.Error(), "capacity_ratio") || !strings.Contains(err.Error(), "bad.yaml") {
			t.Errorf("capacity_ratio %s: error %v, want one naming the file and capacity_ratio", bad, err)
		}
	}
}

// BenchmarkAuditCapacity is BenchmarkAudit with a capacity for every
// facility and a capacity_ratio for every type: the per-facility searches
// and the allocation come on top of the audit.
func BenchmarkAuditCapacity(b *testing.B) {
	in := latticeStudy(b, 200, 50, 50000, []string{"clinic", "elderly", "market", "fitness", "playground"}, 200, rand.New(rand.NewPCG(1, 2)))
	for i := range in.Profile.Types {
		in.Profile.Types[i].CapacityRatio = 10
	}
	for i := range in.Facilities {
		in.Facilities[i].Capacity = 20 // 2,000 residents each
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Audit(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		if res.Capacity == nil {
			b.Fatal("no capacity figures")
		}
	}
}
