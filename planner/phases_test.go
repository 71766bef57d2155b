package planner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

func TestParsePhases(t *testing.T) {
	ps, err := ParsePhases(" 2026:3, 2027:5 ,2028:4,")
	if err != nil || len(ps) != 3 || ps[0] != (Phase{Label: "2026", Year: 2026, K: 3}) || ps[2].K != 4 {
		t.Fatalf("%+v %v", ps, err)
	}
	for _, bad := range []string{"", ",", "2026", "2026:", "2026:x", "26:3", "2026:0", "2026:-1", "2027:1,2026:1", "2026:1,2026:2", "2026:3:4"} {
		if _, err := ParsePhases(bad); err == nil || !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func FuzzParsePhases(f *testing.F) {
	for _, s := range []string{"2026:3,2027:5,2028:4", "2026:1", "x", "2026:3,,2025:1", "9999:2147483647"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePhases(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%q: error %v does not wrap ErrInvalid", s, err)
			}
			return
		}
		for i, p := range ps {
			if p.K < 1 || p.Year < 1000 || p.Year > 9999 || (i > 0 && p.Year <= ps[i-1].Year) {
				t.Fatalf("%q: phase %d = %+v", s, i, p)
			}
		}
	})
}

// TestDerivedFacilityID: the id depends on type, trimmed name and the
// 5 m cell only.
func TestDerivedFacilityID(t *testing.T) {
	p := orb.Point{116.3912, 39.9066}
	a, ok := DerivedFacilityID("clinic", "卫生站", p)
	if !ok || len(a) != len(DerivedIDPrefix)+10 || a[:len(DerivedIDPrefix)] != DerivedIDPrefix {
		t.Fatalf("id %q %v", a, ok)
	}
	if b, _ := DerivedFacilityID("clinic", " 卫生站 ", p); b != a {
		t.Errorf("spaces around the name changed the id: %s %s", a, b)
	}
	for _, other := range []struct {
		typ, name string
		at        orb.Point
	}{{"market", "卫生站", p}, {"clinic", "卫生站二", p}, {"clinic", "卫生站", orb.Point{p[0], p[1] + 0.0001}}} {
		if b, _ := DerivedFacilityID(other.typ, other.name, other.at); b == a {
			t.Errorf("%+v has the same id as the original", other)
		}
	}
	// A polygon is placed at its representative point.
	sq := orb.Polygon{{{116.39, 39.90}, {116.391, 39.90}, {116.391, 39.901}, {116.39, 39.901}, {116.39, 39.90}}}
	if _, ok := DerivedFacilityID("market", "", sq); !ok {
		t.Error("no id for a polygon")
	}
	if _, ok := DerivedFacilityID("market", "", orb.MultiPoint{}); ok {
		t.Error("an id for an empty geometry")
	}
}

// TestPhasesExhaustive checks each phase of a small phased proposal
// against every choice of as many candidates given the earlier phases'
// sites and the dated facility open by then: the phase's gain is the best
// of them and its bound is not below it. The lattice is 1.1 km across,
// 15 candidates, three phases; a planned site opens in 2027.
func TestPhasesExhaustive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 13))
	net := lattice(t, 12, 100)
	d := randomDemand(r, 300, 1100)
	var cands []Candidate
	for j := 0; j < 15; j++ {
		cands = append(cands, Candidate{ID: fmt.Sprintf("c%d", j), Geometry: mp(r.Float64()*1100, r.Float64()*1100)})
	}
	phases, err := ParsePhases("2026:2,2027:2,2028:1")
	if err != nil {
		t.Fatal(err)
	}
	typ := ProposeType{ID: "site", Radius: 250, Weight: 1,
		Existing: []orb.Geometry{mp(100, 100)},
		Dated:    []DatedFacility{{ID: "planned", From: 2027, Geometry: mp(800, 800)}}}
	res, err := Propose(context.Background(), ProposeInput{Net: net, Demand: d, Types: []ProposeType{typ}, Candidates: cands,
		Phases: phases, MaxSnap: 250, TimeLimit: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p := res.Problem
	var earlier []int
	for pi, ph := range res.Phases {
		fixed := ph.Fixed
		gainOf := func(set []int) float64 {
			seen := map[int32]bool{}
			g := 0.0
			for _, j := range set {
				for _, it := range p.Sets[j] {
					if !fixed[it] && !seen[it] {
						seen[it] = true
						g += p.Weights[it]
					}
				}
			}
			return g
		}
		best := 0.0
		var walk func(start int, set []int)
		walk = func(start int, set []int) {
			if len(set) == ph.K {
				best = math.Max(best, gainOf(set))
				return
			}
			for j := start; j < len(p.Sets); j++ {
				walk(j+1, append(set, j))
			}
		}
		walk(0, nil)
		var mine []int
		for _, s := range res.Sites {
			if s.Phase == pi+1 {
				mine = append(mine, s.Candidate)
			}
		}
		if g := gainOf(mine); math.Abs(g-ph.Gain) > 1e-9 || math.Abs(ph.Gain-best) > 1e-9 || ph.UpperBound < best-1e-9 {
			t.Errorf("phase %d: sites gain %.1f (reported %.1f), best of all choices %.1f, bound %.1f", pi+1, g, ph.Gain, best, ph.UpperBound)
		}
		// Earlier phases' items are fixed in this phase's problem.
		for _, j := range earlier {
			for _, it := range p.Sets[j] {
				if !fixed[it] {
					t.Fatalf("phase %d: item %d of an earlier site is not fixed", pi+1, it)
				}
			}
		}
		earlier = append(earlier, mine...)
	}
	if res.Phases[0].Opened != 0 || res.Phases[1].Opened != 1 || res.Phases[2].Opened != 0 {
		t.Errorf("opened %d, %d, %d; want the planned site in 2027 only", res.Phases[0].Opened, res.Phases[1].Opened, res.Phases[2].Opened)
	}
}
