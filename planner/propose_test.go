package planner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// The cases here use the 1 km street of audit_test.go (x = 0..1000 m along
// the equator) with residents on the street itself (no access leg), so
// every walking distance is a difference of x.

func candAt(id string, x, y float64) Candidate {
	return Candidate{ID: id, Name: "site " + id, Geometry: mp(x, y)}
}

func runPropose(t *testing.T, in ProposeInput) *ProposeResult {
	t.Helper()
	res, err := Propose(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func siteIDs(sites []Site) []string {
	var ids []string
	for _, s := range sites {
		ids = append(ids, s.ID)
	}
	return ids
}

// checkGains checks that the sites' gains add up to the objective and to
// their cumulative figures.
func checkGains(t *testing.T, res *ProposeResult) {
	t.Helper()
	sum := 0.0
	for _, s := range res.Sites {
		sum += s.Gain
		approx(t, fmt.Sprintf("site %d cumulative", s.Rank), s.Cumulative, sum, tolM)
		byType := 0.0
		for _, g := range s.GainByType {
			byType += g
		}
		approx(t, fmt.Sprintf("site %d Σ gain by type", s.Rank), byType, s.Gain, tolM)
	}
	approx(t, "Σ gains vs objective", sum, res.Objective, tolM)
}

// fixedStreet is the instance of TestProposeFixedExisting: an existing
// clinic at x = 0, radius 200 m, and residents on the street.
//
//	resident  x    pop  covered by
//	a         100  10   existing (100 m) — already covered
//	b         300  20   c1 (100), c2 (150)
//	c         450   5   c2 (0)
//	d         600  30   c2 (150), c3 (180)
//	e         850  40   c3 (70)
//
// Candidates c1 at x = 200 (a, b), c2 at x = 450 (b, c, d), c3 at x = 780
// (d, e). Alone: c1 20 (a counts for nothing), c2 55, c3 70. The best pair
// is {c2, c3}: b + c + d + e = 95 (d once), ahead of c1+c3 = 90.
func fixedStreet(t *testing.T, k int) ProposeInput {
	return ProposeInput{
		Net:    street1km(t),
		Demand: toyDemand(resident{100, 0, 10}, resident{300, 0, 20}, resident{450, 0, 5}, resident{600, 0, 30}, resident{850, 0, 40}),
		Types: []ProposeType{{ID: "clinic", Names: Names{En: "Clinic"}, Radius: 200, Weight: 1,
			Existing: []orb.Geometry{mp(0, 0)}}},
		Candidates: []Candidate{candAt("c1", 200, 0), candAt("c2", 450, 0), candAt("c3", 780, 0)},
		K:          k,
		MaxSnap:    geo.DefaultMaxSnap,
		TimeLimit:  5 * time.Second,
	}
}

// TestProposeFixedExisting: residents an existing facility already covers
// give no gain, and nobody is counted twice.
func TestProposeFixedExisting(t *testing.T) {
	res := runPropose(t, fixedStreet(t, 2))
	if got := siteIDs(res.Sites); !slices.Equal(got, []string{"c3", "c2"}) {
		t.Fatalf("sites %v, want [c3 c2]", got)
	}
	approx(t, "objective", res.Objective, 95, tolM)
	approx(t, "gain 1", res.Sites[0].Gain, 70, tolM)
	approx(t, "gain 2", res.Sites[1].Gain, 25, tolM) // b + c; d is c3's already
	checkGains(t, res)
	if res.UpperBound < res.Objective-tolM || res.UpperBound > 125 {
		t.Errorf("upper bound %v outside [95, 125]", res.UpperBound)
	}
	// Only a is fixed; coverable = everyone else.
	approx(t, "coverable", res.Coverable, 95, tolM)
	if res.Problem.Fixed == nil || !res.Problem.Fixed[0] || slices.Contains(res.Problem.Fixed[1:], true) {
		t.Errorf("fixed = %v, want only resident a", res.Problem.Fixed)
	}
	cov := res.Coverage[0]
	approx(t, "covered before", cov.CoveredBefore, 10, tolM)
	approx(t, "covered after", cov.CoveredAfter, 105, tolM)
	approx(t, "coverage before", cov.Before, 10.0/105, tolM)
	approx(t, "coverage after", cov.After, 1, tolM)
	approx(t, "site 1 coverage after", res.Sites[0].CoverageAfter[0], 80.0/105, tolM)
	// Alone c1 would gain only b: a is the existing clinic's.
	one := fixedStreet(t, 1)
	one.Candidates = one.Candidates[:1]
	r1 := runPropose(t, one)
	approx(t, "c1 alone", r1.Objective, 20, tolM)
	if r1.Max.StoppedEarly {
		t.Error("k = 1 with a useful site must not stop early")
	}
}

// TestProposeStopsEarly: asking for more sites than can add anything stops
// when nothing more is gained, and says so.
func TestProposeStopsEarly(t *testing.T) {
	res := runPropose(t, fixedStreet(t, 3))
	if !res.Max.StoppedEarly {
		t.Error("StoppedEarly = false, want true: c1 adds nothing after c2 and c3")
	}
	if len(res.Sites) != 2 {
		t.Errorf("%d sites (%v), want 2", len(res.Sites), siteIDs(res.Sites))
	}
	approx(t, "objective", res.Objective, 95, tolM)
	approx(t, "upper bound", res.UpperBound, 95, tolM)
	checkGains(t, res)
}

// TestProposeCandidateErrors: an empty candidate set and candidates beyond
// max snap.
func TestProposeCandidateErrors(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		in := fixedStreet(t, 1)
		in.Candidates = []Candidate{}
		_, err := Propose(context.Background(), in)
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("err = %v, want ErrInvalid", err)
		}
		if !strings.Contains(err.Error(), "candidate set is empty") {
			t.Errorf("error %q does not say the candidate set is empty", err)
		}
	})
	t.Run("all beyond max snap", func(t *testing.T) {
		in := fixedStreet(t, 1)
		in.MaxSnap = 100
		in.Candidates = []Candidate{candAt("far1", 200, 150), candAt("far2", 500, -300)}
		_, err := Propose(context.Background(), in)
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("err = %v, want ErrInvalid", err)
		}
		if !strings.Contains(err.Error(), "none of the 2 candidates is within 100 m") {
			t.Errorf("error %q does not explain that no candidate reaches a street", err)
		}
	})
	t.Run("some beyond max snap", func(t *testing.T) {
		in := fixedStreet(t, 2)
		in.MaxSnap = 100
		in.Candidates = []Candidate{candAt("far", 450, 150), candAt("c2", 450, 0), candAt("c3", 780, 0), candAt("far2", 0, -101)}
		res := runPropose(t, in)
		if !slices.Equal(res.Skipped, []int{0, 3}) {
			t.Errorf("skipped %v, want [0 3]", res.Skipped)
		}
		if len(res.Candidates) != 2 || res.Candidates[0].ID != "c2" {
			t.Errorf("kept candidates %v", res.Candidates)
		}
		approx(t, "objective", res.Objective, 95, tolM)
	})
	// No "0 means default": the caller resolves every setting.
	for _, tc := range []struct {
		name string
		edit func(*ProposeInput)
	}{
		{"max snap 0", func(in *ProposeInput) { in.MaxSnap = 0 }},
		{"negative max snap", func(in *ProposeInput) { in.MaxSnap = -1 }},
		{"time limit 0", func(in *ProposeInput) { in.TimeLimit = 0 }},
		{"spacing 0 for generated candidates", func(in *ProposeInput) { in.Candidates, in.Spacing = nil, 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := fixedStreet(t, 1)
			tc.edit(&in)
			if _, err := Propose(context.Background(), in); !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
	t.Run("neither k nor target", func(t *testing.T) {
		in := fixedStreet(t, 0)
		if _, err := Propose(context.Background(), in); !errors.Is(err, ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})
}

// TestProposeGeneratedCandidates: without a candidate layer, sites are
// generated on the streets, spaced ≥ Spacing, only where an uncovered
// resident is within the radius.
func TestProposeGeneratedCandidates(t *testing.T) {
	// Existing clinic at 0 covers a (x = 100) within 180 m; only e at x = 850
	// is uncovered, so the 100 m network samples within 180 m of it are
	// generated: x = 700, 800, 900 and 1000 (150, 50, 50, 150 m).
	in := ProposeInput{
		Net:    street1km(t),
		Demand: toyDemand(resident{100, 0, 10}, resident{850, 0, 40}),
		Types: []ProposeType{{ID: "clinic", Radius: 180, Weight: 1,
			Existing: []orb.Geometry{mp(0, 0)}}},
		Spacing:   100,
		K:         1,
		MaxSnap:   geo.DefaultMaxSnap,
		TimeLimit: 5 * time.Second,
	}
	res := runPropose(t, in)
	var xs []float64
	for _, c := range res.Candidates {
		if !c.Generated {
			t.Errorf("candidate %s not marked generated", c.ID)
		}
		xs = append(xs, math.Round(mx(c.Geometry.(orb.Point))*1000)/1000)
	}
	slices.Sort(xs)
	if want := []float64{700, 800, 900, 1000}; !slices.Equal(xs, want) {
		t.Errorf("generated candidates at x = %v, want %v", xs, want)
	}
	for i := 1; i < len(xs); i++ {
		if xs[i]-xs[i-1] < 100-tolM {
			t.Errorf("candidates %v and %v closer than the spacing", xs[i-1], xs[i])
		}
	}
	approx(t, "objective", res.Objective, 40, tolM)
	if len(res.Sites) != 1 {
		t.Fatalf("%d sites, want 1", len(res.Sites))
	}
	if x := mx(res.Sites[0].Point); math.Abs(x-850) > 180 {
		t.Errorf("site at x = %.1f, farther than the radius from the resident", x)
	}

	// Everyone covered already: nothing to generate, a clear error.
	in.Demand = toyDemand(resident{100, 0, 10})
	if _, err := Propose(context.Background(), in); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "already covered") {
		t.Errorf("err = %v, want ErrInvalid saying everyone is already covered", err)
	}
}

// TestProposeMultiType: a site hosting two types counts the weighted gain
// of each.
//
// Types: clinic, radius 200, weight 2; elderly, radius 400, weight 1, with
// an existing elderly station at x = 1000. Residents on the street:
//
//	res  x    pop  clinic by      elderly by
//	p    200  20   s180 (20)      s180 (20), s500 (300)
//	q    400  10   s500 (100)     s180 (220), s500 (100)
//	r    650   7   s500 (150)     existing (350): fixed
//	s    950   5   —              existing (50): fixed
//
// s180 alone: clinic 2×20 = 40, elderly 20 + 10 = 30: 70.
// s500 alone: clinic 2×(10+7) = 34 (p is 300 m away), elderly p 20 + q 10
// = 30: 64.
// Both: clinic p, q, r = 2×37 = 74; elderly p, q = 30: 104. s180 first
// (70), then s500 adds clinic q and r (34) and no elderly.
func TestProposeMultiType(t *testing.T) {
	in := ProposeInput{
		Net:    street1km(t),
		Demand: toyDemand(resident{200, 0, 20}, resident{400, 0, 10}, resident{650, 0, 7}, resident{950, 0, 5}),
		Types: []ProposeType{
			{ID: "clinic", Radius: 200, Weight: 2},
			{ID: "elderly", Radius: 400, Weight: 1, Existing: []orb.Geometry{mp(1000, 0)}},
		},
		Candidates: []Candidate{candAt("s500", 500, 0), candAt("s180", 180, 0)},
		K:          2,
		MaxSnap:    geo.DefaultMaxSnap,
		TimeLimit:  5 * time.Second,
	}
	res := runPropose(t, in)
	if got := siteIDs(res.Sites); !slices.Equal(got, []string{"s180", "s500"}) {
		t.Fatalf("sites %v, want [s180 s500]", got)
	}
	approx(t, "objective", res.Objective, 104, tolM)
	want := [][]float64{{40, 30}, {34, 0}}
	for k, s := range res.Sites {
		for ti := range want[k] {
			approx(t, fmt.Sprintf("site %s gain %s", s.ID, in.Types[ti].ID), s.GainByType[ti], want[k][ti], tolM)
		}
	}
	checkGains(t, res)
	// Coverage shares are of residents, not weighted: 42 in all.
	approx(t, "clinic after site 1", res.Sites[0].CoverageAfter[0], 20.0/42, tolM)
	approx(t, "clinic after site 2", res.Sites[1].CoverageAfter[0], 37.0/42, tolM)
	approx(t, "elderly after site 1", res.Sites[0].CoverageAfter[1], 1, tolM)
	approx(t, "elderly before", res.Coverage[1].CoveredBefore, 12, tolM)
	approx(t, "clinic before", res.Coverage[0].CoveredBefore, 0, tolM)
	approx(t, "clinic after", res.Coverage[0].CoveredAfter, 37, tolM)
	// s500 alone: 64.
	in.Candidates, in.K = in.Candidates[:1], 1
	approx(t, "s500 alone", runPropose(t, in).Objective, 64, tolM)
}

// TestProposeSetCover: the fewest sites covering everyone, and a partial
// target.
//
// Residents at x = 100, 300, 500, 700, 900 (1 each), radius 150.
// Candidates: x = 100 {100}, 200 {100, 300}, 400 {300, 500},
// 600 {500, 700}, 800 {700, 900}, 900 {900}. Each site covers at most two
// residents, so five need three sites; three residents need two.
func TestProposeSetCover(t *testing.T) {
	in := ProposeInput{
		Net:    street1km(t),
		Demand: toyDemand(resident{100, 0, 1}, resident{300, 0, 1}, resident{500, 0, 1}, resident{700, 0, 1}, resident{900, 0, 1}),
		Types:  []ProposeType{{ID: "clinic", Radius: 150, Weight: 1}},
		Candidates: []Candidate{candAt("100", 100, 0), candAt("200", 200, 0), candAt("400", 400, 0),
			candAt("600", 600, 0), candAt("800", 800, 0), candAt("900", 900, 0)},
		MaxSnap:   geo.DefaultMaxSnap,
		TimeLimit: 5 * time.Second,
	}
	for _, tc := range []struct {
		target  float64
		sites   int
		covered float64
	}{{1, 3, 5}, {0.6, 2, 4}, {0.2, 1, 2}} {
		t.Run(fmt.Sprint(tc.target), func(t *testing.T) {
			in.Target = tc.target
			res := runPropose(t, in)
			if len(res.Sites) != tc.sites {
				t.Errorf("%d sites %v, want %d", len(res.Sites), siteIDs(res.Sites), tc.sites)
			}
			if res.LowerBound < 1 || res.LowerBound > len(res.Sites) {
				t.Errorf("lower bound %d, want 1..%d", res.LowerBound, len(res.Sites))
			}
			if res.Set == nil || res.Max != nil {
				t.Fatalf("set covering result missing")
			}
			approx(t, "coverable", res.Coverable, 5, tolM)
			if res.Objective < tc.target*5-tolM || res.Objective > tc.covered+tolM {
				t.Errorf("covered %v, want ≥ %v and ≤ %v", res.Objective, tc.target*5, tc.covered)
			}
			checkGains(t, res)
		})
	}
}

// gridInstance is a random tiny proposal problem on a jittered 6×6 street
// grid with some streets removed; residents and candidates sit exactly on
// grid vertices, so the coverage can be recomputed with Floyd–Warshall.
type gridInstance struct {
	in    ProposeInput
	cover [][]bool // cover[j][i]: candidate j reaches resident i within the radius
	fixed []bool
	pop   []float64
}

func newGridInstance(t *testing.T, r *rand.Rand) gridInstance {
	const n = 6
	var pts [n * n][2]float64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			pts[i*n+j] = [2]float64{float64(j)*100 + r.Float64()*40 - 20, float64(i)*100 + r.Float64()*40 - 20}
		}
	}
	node := func(v int) orb.Point { return mp(pts[v][0], pts[v][1]) }
	// Streets between neighbours, 80 % kept; each is its own line so
	// every vertex is a junction of the lines meeting there.
	type edge struct{ a, b int }
	var edges []edge
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			v := i*n + j
			if j+1 < n && r.Float64() < 0.8 {
				edges = append(edges, edge{v, v + 1})
			}
			if i+1 < n && r.Float64() < 0.8 {
				edges = append(edges, edge{v, v + n})
			}
		}
	}
	b := geo.NewNetworkBuilder(0)
	deg := make([]int, n*n)
	for _, e := range edges {
		if err := b.AddLine(orb.LineString{node(e.a), node(e.b)}); err != nil {
			t.Fatal(err)
		}
		deg[e.a]++
		deg[e.b]++
	}
	net, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	// Floyd–Warshall over the same streets, lengths by the haversine
	// formula written out here.
	const inf = math.MaxFloat64
	var dist [n * n][n * n]float64
	for a := range dist {
		for c := range dist[a] {
			dist[a][c] = inf
		}
		dist[a][a] = 0
	}
	hav := func(p, q orb.Point) float64 {
		const rad = math.Pi / 180
		s1 := math.Sin((q[1] - p[1]) * rad / 2)
		s2 := math.Sin((q[0] - p[0]) * rad / 2)
		h := s1*s1 + math.Cos(p[1]*rad)*math.Cos(q[1]*rad)*s2*s2
		return 2 * geo.EarthRadius * math.Asin(math.Sqrt(h))
	}
	for _, e := range edges {
		l := hav(node(e.a), node(e.b))
		dist[e.a][e.b] = math.Min(dist[e.a][e.b], l)
		dist[e.b][e.a] = dist[e.a][e.b]
	}
	for k := range dist {
		for a := range dist {
			if dist[a][k] == inf {
				continue
			}
			for c := range dist {
				if dist[k][c] != inf && dist[a][k]+dist[k][c] < dist[a][c] {
					dist[a][c] = dist[a][k] + dist[k][c]
				}
			}
		}
	}
	var onStreet []int
	for v, d := range deg {
		if d > 0 {
			onStreet = append(onStreet, v)
		}
	}
	pick := func() int { return onStreet[r.IntN(len(onStreet))] }
	// A radius no vertex pair sits within 1 cm of, so rounding cannot
	// decide coverage.
	var radius float64
	for {
		radius = 150 + r.Float64()*250
		ok := true
		for a := range dist {
			for c := range dist {
				if math.Abs(dist[a][c]-radius) < 0.01 {
					ok = false
				}
			}
		}
		if ok {
			break
		}
	}
	g := gridInstance{}
	nres := 20 + r.IntN(21)
	resV := make([]int, nres)
	d := &Demand{Source: DemandPopulationLayer}
	for i := range resV {
		resV[i] = pick()
		d.Points = append(d.Points, node(resV[i]))
		d.Pop = append(d.Pop, float64(1+r.IntN(20)))
		d.IDs = append(d.IDs, fmt.Sprint(i))
	}
	g.pop = d.Pop
	typ := ProposeType{ID: "clinic", Radius: radius, Weight: 1}
	g.fixed = make([]bool, nres)
	if r.IntN(2) == 0 {
		ex := pick()
		typ.Existing = []orb.Geometry{node(ex)}
		for i, v := range resV {
			g.fixed[i] = dist[ex][v] <= radius
		}
	}
	ncand := 8 + r.IntN(5)
	var cands []Candidate
	for j := 0; j < ncand; j++ {
		v := pick()
		cands = append(cands, Candidate{ID: fmt.Sprintf("v%d", v), Geometry: node(v)})
		row := make([]bool, nres)
		for i, w := range resV {
			row[i] = dist[v][w] <= radius
		}
		g.cover = append(g.cover, row)
	}
	g.in = ProposeInput{Net: net, Demand: d, Types: []ProposeType{typ}, Candidates: cands, MaxSnap: geo.DefaultMaxSnap, TimeLimit: 5 * time.Second}
	return g
}

// best returns the exhaustive optimum of maximal covering with k sites.
func (g gridInstance) best(k int) float64 {
	nc := len(g.cover)
	best := 0.0
	var rec func(start, left int, covered []bool)
	rec = func(start, left int, covered []bool) {
		v := 0.0
		for i, c := range covered {
			if c && !g.fixed[i] {
				v += g.pop[i]
			}
		}
		best = math.Max(best, v)
		if left == 0 {
			return
		}
		for j := start; j < nc; j++ {
			next := slices.Clone(covered)
			for i, c := range g.cover[j] {
				next[i] = next[i] || c
			}
			rec(j+1, left-1, next)
		}
	}
	rec(0, k, make([]bool, len(g.pop)))
	return best
}

// TestProposeExhaustive: on tiny random grids Propose finds the optimum
// computed by enumerating every choice of k candidates, over coverage
// worked out independently, and its upper bound is valid.
func TestProposeExhaustive(t *testing.T) {
	trials := 40
	if testing.Short() {
		trials = 12
	}
	r := rand.New(rand.NewPCG(7, 11))
	for trial := 0; trial < trials; trial++ {
		g := newGridInstance(t, r)
		// The coverage sets Propose builds match the independent ones.
		res := runPropose(t, func() ProposeInput { in := g.in; in.K = 1; return in }())
		if len(res.Skipped) != 0 {
			t.Fatalf("trial %d: skipped %v", trial, res.Skipped)
		}
		np := len(g.pop)
		for j, set := range res.Problem.Sets {
			var want []int32
			for i, c := range g.cover[j] {
				if c {
					want = append(want, int32(i))
				}
			}
			if !slices.Equal(set, want) {
				t.Fatalf("trial %d candidate %d: coverage set %v, want %v", trial, j, set, want)
			}
		}
		for i := 0; i < np; i++ {
			if res.Problem.Fixed[i] != g.fixed[i] {
				t.Fatalf("trial %d: resident %d fixed = %v, want %v", trial, i, res.Problem.Fixed[i], g.fixed[i])
			}
		}
		for k := 1; k <= 3; k++ {
			in := g.in
			in.K = k
			res := runPropose(t, in)
			opt := g.best(k)
			if math.Abs(res.Objective-opt) > tolM {
				t.Errorf("trial %d k=%d: objective %v, exhaustive optimum %v", trial, k, res.Objective, opt)
			}
			if res.UpperBound < opt-tolM {
				t.Errorf("trial %d k=%d: upper bound %v below the optimum %v", trial, k, res.UpperBound, opt)
			}
			checkGains(t, res)
		}
	}
}

// BenchmarkProposeCoverageSets times the coverage-set searches of 1000
// candidates with a 500 m radius on a 100×100 lattice (50 m blocks) with
// 20,000 residents; the solve (k = 10) is reported separately.
func BenchmarkProposeCoverageSets(b *testing.B) {
	const n, spacing = 100, 50.0
	net := lattice(b, n, spacing)
	side := float64(n-1) * spacing
	r := rand.New(rand.NewPCG(3, 4))
	d := randomDemand(r, 20000, side)
	cands := make([]Candidate, 1000)
	for j := range cands {
		cands[j] = Candidate{ID: fmt.Sprint(j), Geometry: mp(r.Float64()*side, r.Float64()*side)}
	}
	var existing []orb.Geometry
	for k := 0; k < 20; k++ {
		existing = append(existing, mp(r.Float64()*side, r.Float64()*side))
	}
	in := ProposeInput{Net: net, Demand: d, Candidates: cands, K: 10, MaxSnap: geo.DefaultMaxSnap, TimeLimit: 2 * time.Second,
		Types: []ProposeType{{ID: "clinic", Radius: 500, Weight: 1, Existing: existing}}}
	b.ResetTimer()
	var sets, solve time.Duration
	for i := 0; i < b.N; i++ {
		res, err := Propose(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		sets += res.Timings["coverage_sets"]
		solve += res.Timings["solve"]
	}
	b.ReportMetric(float64(sets.Milliseconds())/float64(b.N), "sets-ms/op")
	b.ReportMetric(float64(solve.Milliseconds())/float64(b.N), "solve-ms/op")
}
