package planner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// The hand-checked cases below sit on the equator, where one degree of
// longitude and of latitude are both 111195.0837 m (geo.EarthRadius·π/180),
// so a point x metres east and y metres north of (0, 0) is mp(x, y) and
// straight streets along y = 0 have exactly the lengths they look like.

// metresPerDeg is the length of one degree on the sphere of geo.EarthRadius.
const metresPerDeg = geo.EarthRadius * math.Pi / 180

// mp returns the lon/lat x metres east and y metres north of (0, 0).
func mp(x, y float64) orb.Point { return orb.Point{x / metresPerDeg, y / metresPerDeg} }

// mx returns the x (metres east of (0, 0)) of a lon/lat.
func mx(p orb.Point) float64 { return p[0] * metresPerDeg }

// tolM is the tolerance of exact hand-computed figures (metres, residents).
const tolM = 1e-6

// toyNet builds a walk network from polylines given in metres.
func toyNet(t testing.TB, lines ...[][2]float64) *geo.Network {
	t.Helper()
	b := geo.NewNetworkBuilder(0)
	for _, l := range lines {
		ls := make(orb.LineString, len(l))
		for i, q := range l {
			ls[i] = mp(q[0], q[1])
		}
		if err := b.AddLine(ls); err != nil {
			t.Fatal(err)
		}
	}
	n, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// street1km is a straight street from x = 0 to x = 1000 m along y = 0.
func street1km(t testing.TB) *geo.Network {
	return toyNet(t, [][2]float64{{0, 0}, {1000, 0}})
}

// box is the counter-clockwise square (or rectangle) [x0,x1]×[y0,y1] in metres.
func box(x0, y0, x1, y1 float64) orb.Polygon {
	return orb.Polygon{orb.Ring{mp(x0, y0), mp(x1, y0), mp(x1, y1), mp(x0, y1), mp(x0, y0)}}
}

// resident is a demand point in metres with its population.
type resident struct {
	x, y, pop float64
}

func toyDemand(rs ...resident) *Demand {
	d := &Demand{Source: DemandPopulationLayer}
	for i, r := range rs {
		d.Points = append(d.Points, mp(r.x, r.y))
		d.Pop = append(d.Pop, r.pop)
		d.IDs = append(d.IDs, fmt.Sprintf("r%d", i+1))
	}
	return d
}

func pointFacility(id, typ string, x, y float64) Facility {
	return Facility{ID: id, Type: typ, Name: id, Source: "test", Geometry: mp(x, y)}
}

// toyProfile has a clinic within 300 m (weight 2) and a playground within
// 500 m (weight 1).
const toyProfile = `id: toy
names: {en: Toy town}
types:
  - id: clinic
    names: {zh: 卫生站, en: Clinic}
    tier: 5
    threshold: 300
    weight: 2
  - id: playground
    names: {en: Playground}
    tier: 10
    threshold: 500
    weight: 1
`

func mustProfile(t testing.TB, text string) *Profile {
	t.Helper()
	p, err := ParseProfile("toy.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func approx(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(want) {
		if !math.IsNaN(got) {
			t.Errorf("%s = %v, want NaN", what, got)
		}
		return
	}
	if !(math.Abs(got-want) <= tol) {
		t.Errorf("%s = %.9g, want %.9g (±%g)", what, got, want, tol)
	}
}

func hasWarning(ws []string, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

func runAudit(t *testing.T, in AuditInput) *AuditResult {
	t.Helper()
	res, err := Audit(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestAuditToyTown checks every unit and district figure of a town small
// enough to work out by hand.
//
// One street runs from x = 0 to x = 1000 m. Clinics: C1 20 m south of the
// street's west end (access leg 20 m) and C2 on the street at x = 700.
// Playground P at the east end. Unit A is the square x∈[0,500], unit B the
// square x∈[500,1000] (both y∈[-250,250]). Walking distances (access leg of
// the resident + along the street + access leg of the facility):
//
//	res  x,y        pop unit  clinic (≤300)              playground (≤500)
//	r1   100, 50    10  A     20+100+50 = 170 ✓          900+50 = 950
//	r2   250,-25    20  A     20+250+25 = 295 ✓          750+25 = 775
//	r3   400, 10    30  A     min(420, 300)+10 = 310     600+10 = 610
//	r4   600, 20    40  B     100+20 = 120 ✓             400+20 = 420 ✓
//	r5   900,  0    50  B     200 ✓                      100 ✓
//	r6   520,150     5  B     180+150 = 330              480+150 = 630
//	r7  1100,  0     7  -     300+100 = 400              0+100 = 100 ✓
//
// r7 lies beyond the street's end (it snaps to x = 1000 with a 100 m leg)
// and outside both units.
func TestAuditToyTown(t *testing.T) {
	prof := mustProfile(t, toyProfile)
	d := toyDemand(
		resident{100, 50, 10}, resident{250, -25, 20}, resident{400, 10, 30},
		resident{600, 20, 40}, resident{900, 0, 50}, resident{520, 150, 5},
		resident{1100, 0, 7},
	)
	units := []Unit{
		{ID: "A", Name: "West", Geometry: box(0, -250, 500, 250)},
		{ID: "B", Name: "East", Geometry: box(500, -250, 1000, 250)},
	}
	assign, overlaps := AssignUnits(units, d.Points)
	if overlaps != 0 {
		t.Fatalf("overlaps = %d", overlaps)
	}
	if want := []int32{0, 0, 0, 1, 1, 1, -1}; fmt.Sprint(assign) != fmt.Sprint(want) {
		t.Fatalf("assign = %v, want %v", assign, want)
	}
	facs := []Facility{
		pointFacility("C1", "clinic", 0, -20),
		pointFacility("P", "playground", 1000, 0),
		pointFacility("C2", "clinic", 700, 0),
	}
	res := runAudit(t, AuditInput{Profile: prof, Net: street1km(t), Facilities: facs, Demand: d, Units: units, Assign: assign, MaxSnap: geo.DefaultMaxSnap, MaxDistance: DefaultAuditMaxDistance})

	const play = 1
	wantDist := [2][]float64{
		{170, 295, 310, 120, 200, 330, 400},
		{950, 775, 610, 420, 100, 630, 100},
	}
	wantNear := [2][]int32{{0, 0, 2, 2, 2, 2, 2}, {1, 1, 1, 1, 1, 1, 1}}
	for ti := range wantDist {
		for i := range wantDist[ti] {
			approx(t, fmt.Sprintf("Dist[%d][r%d]", ti, i+1), res.Dist[ti][i], wantDist[ti][i], tolM)
			if res.Nearest[ti][i] != wantNear[ti][i] {
				t.Errorf("Nearest[%d][r%d] = %d, want %d", ti, i+1, res.Nearest[ti][i], wantNear[ti][i])
			}
		}
	}

	type unitWant struct {
		pop, comp, full float64
		covered, mean   [2]float64
		p90             [2]float64
	}
	wants := []unitWant{
		{ // A: r1, r2, r3
			pop: 60, covered: [2]float64{30, 0},
			mean: [2]float64{(10*170 + 20*295 + 30*310) / 60.0, (10*950 + 20*775 + 30*610) / 60.0},
			// clinic: 170(10) 295(20) 310(30), 90 % of 60 = 54 is reached at 310;
			// playground: 610(30) 775(20) 950(10), 54 is reached at 950.
			p90: [2]float64{310, 950},
			// r1 and r2 have the clinic (weight 2 of 3), r3 nothing.
			comp: (10*2.0/3 + 20*2.0/3) / 60, full: 0,
		},
		{ // B: r4, r5, r6
			pop: 95, covered: [2]float64{90, 90},
			mean: [2]float64{(40*120 + 50*200 + 5*330) / 95.0, (40*420 + 50*100 + 5*630) / 95.0},
			// clinic: 120(40) 200(50) 330(5): 85.5 reached at 200;
			// playground: 100(50) 420(40) 630(5): 85.5 reached at 420.
			p90:  [2]float64{200, 420},
			comp: 90.0 / 95, full: 90.0 / 95,
		},
	}
	if len(res.Units) != 2 {
		t.Fatalf("%d unit results, want 2", len(res.Units))
	}
	for u, w := range wants {
		ur := res.Units[u]
		name := units[u].ID
		approx(t, name+" population", ur.Population, w.pop, tolM)
		if ur.Points != 3 {
			t.Errorf("%s points = %d, want 3", name, ur.Points)
		}
		for ti := 0; ti < 2; ti++ {
			id := prof.Types[ti].ID
			approx(t, name+" covered_"+id, ur.Covered[ti], w.covered[ti], tolM)
			approx(t, name+" coverage_"+id, ur.Covered[ti]/ur.Population, w.covered[ti]/w.pop, tolM)
			approx(t, name+" gap_"+id, ur.Population-ur.Covered[ti], w.pop-w.covered[ti], tolM)
			approx(t, name+" unreachable_"+id, ur.Unreachable[ti], 0, tolM)
			approx(t, name+" dist_mean_"+id, ur.DistMean[ti], w.mean[ti], tolM)
			approx(t, name+" dist_p90_"+id, ur.DistP90[ti], w.p90[ti], tolM)
		}
		approx(t, name+" completeness", ur.Completeness, w.comp, tolM)
		approx(t, name+" fully_served", ur.FullyServed, w.full, tolM)
	}

	// District: all seven residents, r7 included.
	approx(t, "population", res.Population, 162, tolM)
	approx(t, "outside", res.Outside, 7, tolM)
	if res.OutsidePoints != 1 {
		t.Errorf("outside points = %d, want 1", res.OutsidePoints)
	}
	if !hasWarning(res.Warnings, "1 demand points (7 residents) lie outside every unit") {
		t.Errorf("no outside-units warning in %q", res.Warnings)
	}
	// Every resident has the clinic except r3, r6, r7; the playground
	// except r1, r2, r3, r6. Fully served: r4, r5.
	approx(t, "completeness", res.Completeness, (30*2.0/3+90+7*1.0/3)/162, tolM)
	approx(t, "fully served pop", res.FullyServedPop, 90, tolM)
	approx(t, "fully served", res.FullyServed, 90.0/162, tolM)
	approx(t, "unsnapped", res.UnsnappedPop, 0, tolM)

	tw := []struct {
		covered, mean, p90 float64
		facilities         int
	}{
		// clinic sorted: 120(40) 170(10) 200(50) 295(20) 310(30) 330(5) 400(7);
		// 90 % of 162 = 145.8 is reached at 310.
		{covered: 120, mean: (10*170 + 20*295 + 30*310 + 40*120 + 50*200 + 5*330 + 7*400) / 162.0, p90: 310, facilities: 2},
		// playground sorted: 100(57) 420(40) 610(30) 630(5) 775(20) 950(10);
		// cumulative 57 97 127 132 152: 145.8 is reached at 775.
		{covered: 97, mean: (10*950 + 20*775 + 30*610 + 40*420 + 50*100 + 5*630 + 7*100) / 162.0, p90: 775, facilities: 1},
	}
	for ti, w := range tw {
		ts := res.Types[ti]
		id := prof.Types[ti].ID
		if ts.ID != id || ts.Facilities != w.facilities || ts.Threshold != prof.Types[ti].Threshold {
			t.Errorf("type %d summary header = %+v", ti, ts)
		}
		approx(t, id+" population", ts.Population, 162, tolM)
		approx(t, id+" covered", ts.Covered, w.covered, tolM)
		approx(t, id+" coverage", ts.Coverage, w.covered/162, tolM)
		approx(t, id+" gap", ts.Gap, 162-w.covered, tolM)
		approx(t, id+" unreachable", ts.Unreachable, 0, tolM)
		approx(t, id+" dist mean", ts.DistMean, w.mean, tolM)
		approx(t, id+" dist p90", ts.DistP90, w.p90, tolM)
		if ts.GapUnits != 2 {
			t.Errorf("%s gap units = %d, want 2", id, ts.GapUnits)
		}
		// Totals equal the sums over units plus the residents outside.
		sum := 0.0
		for _, ur := range res.Units {
			sum += ur.Covered[ti]
		}
		outsideCovered := 0.0
		if ti == play {
			outsideCovered = 7
		}
		approx(t, id+" covered = Σ units + outside", ts.Covered, sum+outsideCovered, tolM)
	}
	if len(res.Warnings) != 1 {
		t.Errorf("warnings = %q, want only the outside-units one", res.Warnings)
	}
}

// TestAuditCompletenessWeightZero: a type of weight 0 is left out of
// completeness, as the profile format documents ("0 leaves the type out of
// it"), and still reported as coverage.
func TestAuditCompletenessWeightZero(t *testing.T) {
	prof := mustProfile(t, strings.Replace(toyProfile, "weight: 1\n", "weight: 0\n", 1))
	if prof.Types[1].Weight != 0 {
		t.Fatalf("playground weight = %v, want 0", prof.Types[1].Weight)
	}
	// r1 has the clinic only, r2 the playground only.
	d := toyDemand(resident{100, 0, 10}, resident{900, 0, 30})
	facs := []Facility{pointFacility("C", "clinic", 0, 0), pointFacility("P", "playground", 1000, 0)}
	res := runAudit(t, AuditInput{Profile: prof, Net: street1km(t), Facilities: facs, Demand: d, MaxSnap: geo.DefaultMaxSnap, MaxDistance: DefaultAuditMaxDistance})
	// Only the clinic counts: r1 complete (1), r2 not (0).
	approx(t, "completeness", res.Completeness, 10.0/40, tolM)
	approx(t, "playground covered", res.Types[1].Covered, 30, tolM)
	// Fully served still asks for every type.
	approx(t, "fully served", res.FullyServed, 0, tolM)
}

// TestAuditLineAndPolygonFacilities: a trail (LineString) and a park
// (Polygon) are reached at their nearest point, not at a vertex or the
// centroid.
//
// Lines and polygon rings are sampled every geo.DefaultSampleStep (10 m) or
// finer, vertices included, so the true nearest point is at most 5 m along
// the boundary from a sample. Where the boundary runs straight towards or
// along the street (as in every case here) the walking distance changes by
// at most 1 m per metre moved along it, so the computed distance is never
// below the true one (samples lie on the facility) and at most 5 m above.
func TestAuditLineAndPolygonFacilities(t *testing.T) {
	prof := mustProfile(t, `id: green
types:
  - id: trail
    names: {en: Trail}
    tier: 15
    threshold: 1000
  - id: park
    names: {en: Park}
    tier: 15
    threshold: 1000
`)
	net := street1km(t)
	cases := []struct {
		name string
		geom orb.Geometry
		typ  string
		at   resident
		want float64
		tol  float64
	}{
		{
			// A trail crossing the street at right angles at x = 450, from
			// 95 m south to 100 m north (195 m: 20 pieces of 9.75 m, so no
			// sample falls on the street itself; the nearest is 2.5 m north).
			// A resident 60 m south of the crossing walks only their own
			// access leg.
			name: "trail crossing the street", typ: "trail",
			geom: orb.LineString{mp(450, -95), mp(450, 100)},
			at:   resident{450, -60, 1}, want: 60, tol: 5,
		},
		{
			// A trail leaving the street's side at its nearest vertex
			// (300, 40), drawn from its far end: reached at (300, 40), not
			// at its first point (300, 140).
			name: "trail reached at its nearest end", typ: "trail",
			geom: orb.LineString{mp(300, 140), mp(300, 40)},
			at:   resident{100, 0, 1}, want: 200 + 40, tol: tolM,
		},
		{
			// A 100 m square park 30 m north of the street; a resident
			// 20 m south at x = 653 reaches the bottom edge at (653, 30):
			// 20 + 0 + 30 = 50 m (vertex or centroid would give ≥ 100 m).
			name: "park reached at its boundary", typ: "park",
			geom: box(600, 30, 700, 130),
			at:   resident{653, -20, 1}, want: 50, tol: 5,
		},
		{
			// A park straddling the street: its boundary crosses the
			// street at x = 800 and x = 900, so a resident at (860, 10)
			// walks 10 + 40 m to the nearest crossing.
			name: "park across the street", typ: "park",
			geom: box(800, -50, 900, 50),
			at:   resident{860, 10, 1}, want: 50, tol: 5,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			facs := []Facility{{ID: "f", Type: tc.typ, Geometry: tc.geom}}
			res := runAudit(t, AuditInput{Profile: prof, Net: net, Facilities: facs, Demand: toyDemand(tc.at), MaxSnap: geo.DefaultMaxSnap, MaxDistance: DefaultAuditMaxDistance})
			ti := 0
			if tc.typ == "park" {
				ti = 1
			}
			got := res.Dist[ti][0]
			if !(got >= tc.want-tolM && got <= tc.want+tc.tol) {
				t.Errorf("distance = %.4f m, want %.4f m (+%g)", got, tc.want, tc.tol)
			}
			if res.Nearest[ti][0] != 0 {
				t.Errorf("nearest = %d, want 0", res.Nearest[ti][0])
			}
		})
	}
}

// TestAuditOutsideUnits: residents outside every unit stay in the totals
// and are reported; with no units at all everyone is outside.
func TestAuditOutsideUnits(t *testing.T) {
	prof := mustProfile(t, toyProfile)
	facs := []Facility{pointFacility("C", "clinic", 0, 0), pointFacility("P", "playground", 1000, 0)}
	d := toyDemand(resident{100, 0, 10}, resident{200, 300, 3}, resident{900, 0, 30}, resident{950, -400, 4})
	units := []Unit{{ID: "U", Geometry: box(0, -100, 1000, 100)}}

	t.Run("some outside", func(t *testing.T) {
		assign, _ := AssignUnits(units, d.Points)
		res := runAudit(t, AuditInput{Profile: prof, Net: street1km(t), Facilities: facs, Demand: d, Units: units, Assign: assign, MaxSnap: 500, MaxDistance: DefaultAuditMaxDistance})
		approx(t, "population", res.Population, 47, tolM)
		approx(t, "outside", res.Outside, 7, tolM)
		if res.OutsidePoints != 2 {
			t.Errorf("outside points = %d, want 2", res.OutsidePoints)
		}
		approx(t, "unit population", res.Units[0].Population, 40, tolM)
		// r2 (200, 300): 300 + 200 = 500 > 300 to the clinic; r4 (950,-400):
		// 400 + 50 = 450 ≤ 500 to the playground: counted though outside.
		approx(t, "clinic covered", res.Types[0].Covered, 10, tolM)
		approx(t, "playground covered", res.Types[1].Covered, 34, tolM)
		approx(t, "unit playground covered", res.Units[0].Covered[1], 30, tolM)
		if !hasWarning(res.Warnings, "2 demand points (7 residents) lie outside every unit") {
			t.Errorf("warnings %q lack the outside-units one", res.Warnings)
		}
	})
	t.Run("no units", func(t *testing.T) {
		res := runAudit(t, AuditInput{Profile: prof, Net: street1km(t), Facilities: facs, Demand: d, MaxSnap: 500, MaxDistance: DefaultAuditMaxDistance})
		approx(t, "outside", res.Outside, 47, tolM)
		if res.OutsidePoints != 4 || len(res.Units) != 0 {
			t.Errorf("outside points = %d, units = %d; want 4, 0", res.OutsidePoints, len(res.Units))
		}
		approx(t, "playground covered", res.Types[1].Covered, 34, tolM)
	})
}

// TestAuditTypeWithoutFacilities: a type with no facility gives 0 %
// coverage and a warning, not an error; a facility of a type the profile
// lacks is an error.
func TestAuditTypeWithoutFacilities(t *testing.T) {
	prof := mustProfile(t, toyProfile)
	d := toyDemand(resident{100, 0, 10}, resident{900, 0, 30})
	units := []Unit{{ID: "U", Geometry: box(0, -100, 1000, 100)}}
	assign, _ := AssignUnits(units, d.Points)
	res, err := Audit(context.Background(), AuditInput{Profile: prof, Net: street1km(t),
		Facilities: []Facility{pointFacility("C", "clinic", 0, 0)}, Demand: d, Units: units, Assign: assign, MaxSnap: geo.DefaultMaxSnap, MaxDistance: DefaultAuditMaxDistance})
	if err != nil {
		t.Fatalf("a type without facilities must not be an error: %v", err)
	}
	pg := res.Types[1]
	if pg.Facilities != 0 || pg.Covered != 0 || pg.Coverage != 0 {
		t.Errorf("playground = %+v, want no facilities and 0 coverage", pg)
	}
	approx(t, "playground gap", pg.Gap, 40, tolM)
	approx(t, "playground unreachable", pg.Unreachable, 40, tolM)
	approx(t, "playground mean", pg.DistMean, math.NaN(), 0)
	approx(t, "unit playground covered", res.Units[0].Covered[1], 0, tolM)
	approx(t, "unit playground unreachable", res.Units[0].Unreachable[1], 40, tolM)
	if !hasWarning(res.Warnings, "no playground (Playground) facilities found: coverage is 0 %") {
		t.Errorf("warnings %q lack the no-facilities one", res.Warnings)
	}
	for i := range d.Pop {
		if !math.IsNaN(res.Dist[1][i]) || res.Nearest[1][i] != -1 {
			t.Errorf("point %d: playground distance %v, nearest %d; want NaN, -1", i, res.Dist[1][i], res.Nearest[1][i])
		}
	}
	approx(t, "clinic covered", res.Types[0].Covered, 10, tolM)

	_, err = Audit(context.Background(), AuditInput{Profile: prof, Net: street1km(t),
		Facilities: []Facility{pointFacility("M1", "market", 0, 0)}, Demand: d, MaxSnap: geo.DefaultMaxSnap, MaxDistance: DefaultAuditMaxDistance})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown facility type: err = %v, want ErrInvalid", err)
	}
	for _, s := range []string{"M1", `"market"`, `"toy"`} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %s", err, s)
		}
	}
}

// TestAuditPopulationPolygons: a population polygon spread over the
// residential buildings inside it feeds the audit, and --total-population
// rescaling scales covered counts in proportion.
func TestAuditPopulationPolygons(t *testing.T) {
	prof := mustProfile(t, toyProfile)
	net := street1km(t)
	apart := func(id string, x, levels float64) Building {
		return Building{ID: id, Geometry: box(x-10, 10, x+10, 30),
			Tags: map[string]string{"building": "apartments", "building:levels": fmt.Sprint(levels)}}
	}
	// Two equal 20 m × 20 m footprints centred 20 m north of the street at
	// x = 100 (1 level) and x = 400 (3 levels): the polygon's 100 residents
	// split 25 / 75. A point feature adds 30 at (800, 10).
	blds := []Building{apart("a", 100, 1), apart("b", 400, 3), apart("outside", 100, 5)}
	blds[2].Geometry = box(90, 310, 110, 330) // outside the polygon
	fs := []PopFeature{
		{ID: "block", Geometry: box(0, -100, 500, 100), Population: 100},
		{ID: "tower", Geometry: mp(800, 10), Population: 30},
	}
	d, err := DemandFromPopulation(fs, blds, BuildingOptions{}, net)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Pop) != 3 {
		t.Fatalf("demand points %v (%v), want 3", d.IDs, d.Pop)
	}
	for i, w := range []struct {
		id       string
		x, y, pp float64
	}{{"block/a", 100, 20, 25}, {"block/b", 400, 20, 75}, {"tower", 800, 10, 30}} {
		if d.IDs[i] != w.id {
			t.Errorf("point %d id %q, want %q", i, d.IDs[i], w.id)
		}
		approx(t, w.id+" population", d.Pop[i], w.pp, tolM)
		if dd := geo.Haversine(d.Points[i], mp(w.x, w.y)); dd > 0.01 {
			t.Errorf("%s at %v, %.3f m from (%g, %g)", w.id, d.Points[i], dd, w.x, w.y)
		}
	}
	// Clinic at x = 0 (≤ 300): a at 100+20 = 120 ✓, b at 420, tower at 810.
	// Playground at x = 1000 (≤ 500): tower at 200+10 = 210 ✓ only.
	facs := []Facility{pointFacility("C", "clinic", 0, 0), pointFacility("P", "playground", 1000, 0)}
	units := []Unit{{ID: "W", Geometry: box(0, -250, 500, 250)}, {ID: "E", Geometry: box(500, -250, 1000, 250)}}
	audit := func(d *Demand) *AuditResult {
		assign, _ := AssignUnits(units, d.Points)
		return runAudit(t, AuditInput{Profile: prof, Net: net, Facilities: facs, Demand: d, Units: units, Assign: assign, MaxSnap: geo.DefaultMaxSnap, MaxDistance: DefaultAuditMaxDistance})
	}
	before := audit(d)
	approx(t, "clinic covered", before.Types[0].Covered, 25, 1e-6)
	approx(t, "playground covered", before.Types[1].Covered, 30, 1e-6)
	approx(t, "W clinic covered", before.Units[0].Covered[0], 25, 1e-6)
	approx(t, "clinic mean", before.Types[0].DistMean, (25*120+75*420+30*810)/130.0, 1e-3)

	if err := d.Rescale(520); err != nil { // 4 × 130
		t.Fatal(err)
	}
	after := audit(d)
	approx(t, "rescaled population", after.Population, 520, 1e-6)
	for ti := range prof.Types {
		approx(t, "rescaled covered "+prof.Types[ti].ID, after.Types[ti].Covered, 4*before.Types[ti].Covered, 1e-6)
		approx(t, "rescaled coverage "+prof.Types[ti].ID, after.Types[ti].Coverage, before.Types[ti].Coverage, 1e-9)
		approx(t, "rescaled mean "+prof.Types[ti].ID, after.Types[ti].DistMean, before.Types[ti].DistMean, 1e-6)
		for u := range units {
			approx(t, "rescaled unit covered", after.Units[u].Covered[ti], 4*before.Units[u].Covered[ti], 1e-6)
		}
	}
	approx(t, "rescaled completeness", after.Completeness, before.Completeness, 1e-9)

	t.Run("spread over the network sample", func(t *testing.T) {
		// Without buildings the 100 residents spread evenly over the
		// network sample points (every 50 m) inside x∈[25,275]: 50, 100,
		// 150, 200 and 250, 20 each. The clinic at 0 reaches 50..250 within
		// 300 m, so all 100 are covered; the tower is not.
		fs := []PopFeature{{ID: "block", Geometry: box(25, -100, 275, 100), Population: 100}, fs[1]}
		d, err := DemandFromPopulation(fs, nil, BuildingOptions{}, net)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Pop) != 6 {
			t.Fatalf("%d demand points, want 6", len(d.Pop))
		}
		for i := 0; i < 5; i++ {
			approx(t, "spread population", d.Pop[i], 20, tolM)
			approx(t, "spread x", mx(d.Points[i]), 50*float64(i+1), 1e-6)
		}
		res := audit(d)
		approx(t, "clinic covered", res.Types[0].Covered, 100, tolM)
		approx(t, "clinic mean", res.Types[0].DistMean, (20*(50+100+150+200+250)+30*810)/130.0, 1e-6)
	})
}

// TestAuditUnsnapped: a resident farther than MaxSnap from any street is
// counted as unsnapped and not covered, even beside a facility.
func TestAuditUnsnapped(t *testing.T) {
	prof := mustProfile(t, toyProfile)
	d := toyDemand(resident{500, 50, 10}, resident{500, 150, 4})
	facs := []Facility{pointFacility("C", "clinic", 500, 0), pointFacility("P", "playground", 500, 120)}
	units := []Unit{{ID: "U", Geometry: box(0, -250, 1000, 250)}}
	assign, _ := AssignUnits(units, d.Points)
	res := runAudit(t, AuditInput{Profile: prof, Net: street1km(t), Facilities: facs, Demand: d,
		Units: units, Assign: assign, MaxSnap: 100, MaxDistance: DefaultAuditMaxDistance})
	if !res.Snapped[0] || res.Snapped[1] {
		t.Fatalf("snapped = %v, want [true false]", res.Snapped)
	}
	approx(t, "unsnapped pop", res.UnsnappedPop, 4, tolM)
	if res.UnsnappedPts != 1 {
		t.Errorf("unsnapped points = %d, want 1", res.UnsnappedPts)
	}
	// The playground 120 m off the street is also beyond MaxSnap.
	if res.Types[1].FacilitiesUnsnapped != 1 {
		t.Errorf("playground unsnapped facilities = %d, want 1", res.Types[1].FacilitiesUnsnapped)
	}
	approx(t, "resident 1 clinic", res.Dist[0][0], 50, tolM)
	for ti := range prof.Types {
		if !math.IsNaN(res.Dist[ti][1]) {
			t.Errorf("unsnapped resident has %s distance %v, want NaN", prof.Types[ti].ID, res.Dist[ti][1])
		}
		approx(t, "unreachable "+prof.Types[ti].ID, res.Units[0].Unreachable[ti], map[int]float64{0: 4, 1: 14}[ti], tolM)
	}
	approx(t, "clinic covered", res.Types[0].Covered, 10, tolM)
	approx(t, "clinic unreachable", res.Types[0].Unreachable, 4, tolM)
	approx(t, "population", res.Population, 14, tolM)
	for _, w := range []string{"1 demand point (4 residents) is farther than 100 m", "1 of 1 playground facility is farther than 100 m"} {
		if !hasWarning(res.Warnings, w) {
			t.Errorf("warnings %q lack %q", res.Warnings, w)
		}
	}
}

// TestAuditMaxDistance: a resident beyond the search bound is unreachable
// (NaN distance), counted in Unreachable and left out of distance means.
func TestAuditMaxDistance(t *testing.T) {
	prof := mustProfile(t, toyProfile)
	d := toyDemand(resident{100, 0, 10}, resident{700, 0, 20}, resident{950, 30, 5})
	units := []Unit{{ID: "U", Geometry: box(0, -250, 1000, 250)}}
	assign, _ := AssignUnits(units, d.Points)
	facs := []Facility{pointFacility("C", "clinic", 0, 0), pointFacility("P", "playground", 0, 0)}
	res := runAudit(t, AuditInput{Profile: prof, Net: street1km(t), Facilities: facs, Demand: d,
		Units: units, Assign: assign, MaxDistance: 800, MaxSnap: geo.DefaultMaxSnap})
	// 100 and 700 are within 800 m; 950 + 30 = 980 is not.
	for ti := range prof.Types {
		approx(t, "d0", res.Dist[ti][0], 100, tolM)
		approx(t, "d1", res.Dist[ti][1], 700, tolM)
		if !math.IsNaN(res.Dist[ti][2]) || res.Nearest[ti][2] != -1 {
			t.Errorf("type %d: resident 3 distance %v nearest %d; want NaN, -1", ti, res.Dist[ti][2], res.Nearest[ti][2])
		}
		ts := res.Types[ti]
		approx(t, "unreachable", ts.Unreachable, 5, tolM)
		approx(t, "unit unreachable", res.Units[0].Unreachable[ti], 5, tolM)
		approx(t, "mean", ts.DistMean, (10*100+20*700)/30.0, tolM)
		approx(t, "unit p90", res.Units[0].DistP90[ti], 700, tolM)
	}
	approx(t, "clinic covered", res.Types[0].Covered, 10, tolM)
	approx(t, "playground covered", res.Types[1].Covered, 10, tolM)
	approx(t, "clinic gap", res.Types[0].Gap, 25, tolM)
	// Unreachable is still within max snap: not an unsnapped resident.
	if res.UnsnappedPts != 0 {
		t.Errorf("unsnapped points = %d, want 0", res.UnsnappedPts)
	}
}

// TestAuditBadInput: malformed inputs are errors wrapping ErrInvalid.
func TestAuditBadInput(t *testing.T) {
	prof := mustProfile(t, toyProfile)
	net := street1km(t)
	d := toyDemand(resident{100, 0, 1})
	cases := []struct {
		name string
		in   AuditInput
	}{
		{"no profile", AuditInput{Net: net, Demand: d, MaxSnap: geo.DefaultMaxSnap, MaxDistance: DefaultAuditMaxDistance}},
		{"no network", AuditInput{Profile: prof, Demand: d, MaxSnap: geo.DefaultMaxSnap, MaxDistance: DefaultAuditMaxDistance}},
		{"no demand", AuditInput{Profile: prof, Net: net, MaxSnap: geo.DefaultMaxSnap, MaxDistance: DefaultAuditMaxDistance}},
		{"pop length", AuditInput{Profile: prof, Net: net, Demand: &Demand{Points: d.Points, Pop: []float64{1, 2}}, MaxSnap: geo.DefaultMaxSnap, MaxDistance: DefaultAuditMaxDistance}},
		{"assign length", AuditInput{Profile: prof, Net: net, Demand: d, Assign: []int32{0, 0}, MaxSnap: geo.DefaultMaxSnap, MaxDistance: DefaultAuditMaxDistance}},
		// No "0 means default": the caller resolves every setting.
		{"max snap 0", AuditInput{Profile: prof, Net: net, Demand: d, MaxDistance: DefaultAuditMaxDistance}},
		{"negative max snap", AuditInput{Profile: prof, Net: net, Demand: d, MaxSnap: -1, MaxDistance: DefaultAuditMaxDistance}},
		{"max distance 0", AuditInput{Profile: prof, Net: net, Demand: d, MaxSnap: geo.DefaultMaxSnap}},
		{"NaN max distance", AuditInput{Profile: prof, Net: net, Demand: d, MaxSnap: geo.DefaultMaxSnap, MaxDistance: math.NaN()}},
		{"infinite max snap", AuditInput{Profile: prof, Net: net, Demand: d, MaxSnap: math.Inf(1), MaxDistance: DefaultAuditMaxDistance}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Audit(context.Background(), tc.in); !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

// lattice builds an n×n street lattice of spacing metres as 2n lines.
func lattice(tb testing.TB, n int, spacing float64) *geo.Network {
	b := geo.NewNetworkBuilder(n * n)
	for i := 0; i < n; i++ {
		h := make(orb.LineString, n)
		v := make(orb.LineString, n)
		for j := 0; j < n; j++ {
			h[j] = mp(float64(j)*spacing, float64(i)*spacing)
			v[j] = mp(float64(i)*spacing, float64(j)*spacing)
		}
		if err := b.AddLine(h); err != nil {
			tb.Fatal(err)
		}
		if err := b.AddLine(v); err != nil {
			tb.Fatal(err)
		}
	}
	net, err := b.Build()
	if err != nil {
		tb.Fatal(err)
	}
	return net
}

// randomDemand places count residents' points (1..20 residents each) at
// random on the side×side metre square of the test lattices.
func randomDemand(r *rand.Rand, count int, side float64) *Demand {
	d := &Demand{Source: DemandPopulationLayer}
	for i := 0; i < count; i++ {
		d.Points = append(d.Points, mp(r.Float64()*side, r.Float64()*side))
		d.Pop = append(d.Pop, float64(1+r.IntN(20)))
		d.IDs = append(d.IDs, fmt.Sprint(i))
	}
	return d
}

// latticeStudy is an audit input on an n×n street lattice of spacing
// metres: residents at random, perType point facilities of each type
// (thresholds 300, 500, 700, … m in types' order), 250 m cells.
func latticeStudy(tb testing.TB, n int, spacing float64, residents int, types []string, perType int, r *rand.Rand) AuditInput {
	tb.Helper()
	net := lattice(tb, n, spacing)
	side := float64(n-1) * spacing
	d := randomDemand(r, residents, side)
	var text strings.Builder
	text.WriteString("id: lattice\ntypes:\n")
	for k, id := range types {
		fmt.Fprintf(&text, "  - id: %s\n    names: {en: %s}\n    tier: 15\n    threshold: %d\n", id, id, 300+200*k)
	}
	prof := mustProfile(tb, text.String())
	var facs []Facility
	for _, id := range types {
		for k := 0; k < perType; k++ {
			facs = append(facs, pointFacility(fmt.Sprintf("%s%d", id, k), id, r.Float64()*side, r.Float64()*side))
		}
	}
	grid, err := NewGrid(DefaultCellSize, net.Bound())
	if err != nil {
		tb.Fatal(err)
	}
	units, assign := CellUnits(grid, d.Points, d.Pop)
	return AuditInput{Profile: prof, Net: net, Facilities: facs, Demand: d, Units: units, Assign: assign, MaxSnap: geo.DefaultMaxSnap, MaxDistance: DefaultAuditMaxDistance}
}

// BenchmarkAudit audits a 200×200 street lattice (50 m blocks, 10 km
// across) with 50,000 residents in 250 m cells and five types of 200
// facilities each.
func BenchmarkAudit(b *testing.B) {
	in := latticeStudy(b, 200, 50, 50000, []string{"clinic", "elderly", "market", "fitness", "playground"}, 200, rand.New(rand.NewPCG(1, 2)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Audit(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDistStats is one type's district-wide mean and 90th percentile
// over a million residents' points.
func BenchmarkDistStats(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 1000000
	dist, pop, idx := make([]float64, n), make([]float64, n), make([]int32, n)
	for i := range n {
		dist[i] = math.Round(r.ExpFloat64()*8000) / 10
		pop[i] = float64(1 + r.IntN(60))
		idx[i] = int32(i)
	}
	b.ResetTimer()
	for b.Loop() {
		distStats(dist, pop, idx)
	}
}

// BenchmarkSnapAll snaps 500,000 residents' points in random file order
// onto a 600×600 street lattice (geo.HilbertOrder first, as audits do).
func BenchmarkSnapAll(b *testing.B) {
	net := lattice(b, 600, 50)
	d := randomDemand(rand.New(rand.NewPCG(5, 6)), 500000, 599*50)
	SnapAll(net, d.Points[:1], geo.DefaultMaxSnap) // waits for the index
	b.ResetTimer()
	for b.Loop() {
		SnapAll(net, d.Points, geo.DefaultMaxSnap)
	}
}

// TestAuditLevelsReuseFinest: the finest level's figures, copied from the
// audit's own unit results, equal those AggregateLevels computes, and are
// a copy (editing one leaves the other).
func TestAuditLevelsReuseFinest(t *testing.T) {
	in := latticeStudy(t, 40, 50, 3000, []string{"clinic", "market"}, 5, rand.New(rand.NewPCG(7, 8)))
	in.Hierarchy = SingleLevel("cell", in.Units, in.Assign)
	res, err := Audit(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	want := AggregateLevels(in, res, in.Hierarchy)
	if len(res.Levels) != 1 || fmt.Sprint(res.Levels) != fmt.Sprint(want) || fmt.Sprint(res.Levels[0].Units) != fmt.Sprint(res.Units) {
		t.Fatalf("finest level differs from AggregateLevels")
	}
	res.Units[0].Covered[0] += 1
	if res.Levels[0].Units[0].Covered[0] == res.Units[0].Covered[0] {
		t.Fatal("the level's units share their figures with res.Units")
	}
}
