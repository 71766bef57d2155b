package planner

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// scenarioInput is a 40×40 lattice (60 m blocks) with 4,000 residents in
// 250 m cells and three types.
func scenarioInput(t testing.TB, seed uint64) AuditInput {
	in := latticeStudy(t, 40, 60, 4000, []string{"clinic", "market", "playground"}, 6, rand.New(rand.NewPCG(seed, 9)))
	in.MaxDistance = 1500
	return in
}

// TestScenarioMatchesFreshAudit applies random adds, moves, removes and
// undos, and after each compares every figure with a fresh audit of the
// same facilities.
func TestScenarioMatchesFreshAudit(t *testing.T) {
	in := scenarioInput(t, 1)
	sc, err := NewScenario(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	side := 39 * 60.0
	types := []string{"clinic", "market", "playground"}
	for step := 0; step < 40; step++ {
		var ids []string
		sc.View(func(in AuditInput, _ *AuditResult, active []bool) {
			for i, f := range in.Facilities {
				if active[i] {
					ids = append(ids, f.ID)
				}
			}
		})
		var e Edit
		switch k := r.IntN(10); {
		case k < 4 || len(ids) < 3:
			e = Edit{Op: "add", Type: types[r.IntN(3)], Geometry: mp(r.Float64()*side, r.Float64()*side)}
		case k < 6:
			e = Edit{Op: "move", ID: ids[r.IntN(len(ids))], Geometry: mp(r.Float64()*side, r.Float64()*side)}
		case k < 8:
			e = Edit{Op: "remove", ID: ids[r.IntN(len(ids))]}
		}
		if e.Op == "" {
			if len(sc.History()) == 0 {
				continue
			}
			if _, err := sc.Undo(); err != nil {
				t.Fatal(err)
			}
		} else if _, err := sc.Apply(e); err != nil {
			t.Fatalf("step %d %s: %v", step, e.Op, err)
		}
		compareWithFresh(t, sc, step)
	}
	// Undo everything: back to the original audit.
	for len(sc.History()) > 0 {
		if _, err := sc.Undo(); err != nil {
			t.Fatal(err)
		}
	}
	compareWithFresh(t, sc, -1)
}

func compareWithFresh(t *testing.T, sc *Scenario, step int) {
	t.Helper()
	sc.View(func(in AuditInput, got *AuditResult, active []bool) {
		fresh := in
		fresh.Facilities = nil
		for i, f := range in.Facilities {
			if active[i] {
				fresh.Facilities = append(fresh.Facilities, f)
			}
		}
		want, err := Audit(context.Background(), fresh)
		if err != nil {
			t.Fatal(err)
		}
		near := func(a, b, tol float64) bool {
			return (math.IsNaN(a) && math.IsNaN(b)) || math.Abs(a-b) <= tol
		}
		for ti := range want.Types {
			for i := range want.Dist[ti] {
				if !near(got.Dist[ti][i], want.Dist[ti][i], 1e-6) {
					t.Fatalf("step %d type %d point %d: distance %.4f, fresh audit %.4f", step, ti, i, got.Dist[ti][i], want.Dist[ti][i])
				}
			}
			g, w := got.Types[ti], want.Types[ti]
			if !near(g.Covered, w.Covered, 1e-6) || !near(g.Unreachable, w.Unreachable, 1e-6) ||
				g.GapUnits != w.GapUnits || g.Facilities != w.Facilities || !near(g.DistMean, w.DistMean, 1e-6) ||
				!near(g.DistP90, w.DistP90, histStep) {
				t.Fatalf("step %d type %s: summary %+v, fresh audit %+v", step, g.ID, g, w)
			}
			for u := range want.Units {
				gu, wu := got.Units[u], want.Units[u]
				if !near(gu.Covered[ti], wu.Covered[ti], 1e-6) || !near(gu.Unreachable[ti], wu.Unreachable[ti], 1e-6) ||
					!near(gu.DistMean[ti], wu.DistMean[ti], 1e-6) || !near(gu.DistP90[ti], wu.DistP90[ti], 1e-6) {
					t.Fatalf("step %d type %s unit %d: %+v, fresh audit %+v", step, g.ID, u, gu, wu)
				}
			}
		}
		for u := range want.Units {
			if !near(got.Units[u].Completeness, want.Units[u].Completeness, 1e-9) || !near(got.Units[u].FullyServed, want.Units[u].FullyServed, 1e-9) {
				t.Fatalf("step %d unit %d: completeness %v/%v, fresh %v/%v", step, u,
					got.Units[u].Completeness, got.Units[u].FullyServed, want.Units[u].Completeness, want.Units[u].FullyServed)
			}
		}
		if !near(got.Completeness, want.Completeness, 1e-9) || !near(got.FullyServed, want.FullyServed, 1e-9) {
			t.Fatalf("step %d: completeness %v fully %v, fresh %v %v", step, got.Completeness, got.FullyServed, want.Completeness, want.FullyServed)
		}
	})
}

func TestScenarioErrors(t *testing.T) {
	sc, err := NewScenario(context.Background(), scenarioInput(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		e    Edit
		want error
	}{
		{"unknown type", Edit{Op: "add", Type: "zoo", Geometry: mp(100, 100)}, ErrInvalid},
		{"no geometry", Edit{Op: "add", Type: "clinic"}, ErrInvalid},
		{"far from streets", Edit{Op: "add", Type: "clinic", Geometry: mp(-5000, -5000)}, ErrInvalid},
		{"unknown id", Edit{Op: "remove", ID: "nope"}, ErrNotFound},
		{"unknown op", Edit{Op: "paint"}, ErrInvalid},
		{"duplicate id", Edit{Op: "add", ID: "clinic0", Type: "clinic", Geometry: mp(100, 100)}, ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := sc.Apply(tc.e); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := sc.Undo(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("undo with no history: %v", err)
	}
	compareWithFresh(t, sc, -2)
}
