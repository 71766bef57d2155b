package cover

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lifecircle/lifecircle/data/shareddata"
)

// fewestCover returns the fewest candidates of p covering all it can
// cover, by enumeration, and one such choice.
func fewestCover(p *Problem) (int, []int) {
	best, values := coverBest(p)
	all := best[len(p.Sets)]
	for k := 0; k <= len(p.Sets); k++ {
		for mask, v := range values {
			if v == all && bitCount(mask) == k {
				var sol []int
				for j := range p.Sets {
					if mask&(1<<j) != 0 {
						sol = append(sol, j)
					}
				}
				return k, sol
			}
		}
	}
	return -1, nil // cannot happen: all candidates cover all
}

func bitCount(m int) int {
	n := 0
	for ; m != 0; m &= m - 1 {
		n++
	}
	return n
}

// coreProblem is the core of sc as a Problem.
func coreProblem(sc *setCore) *Problem {
	q := &Problem{Weights: sc.c.w}
	for j := 0; j < sc.c.nCand; j++ {
		q.Sets = append(q.Sets, sc.c.set(int32(j)))
	}
	return q
}

// TestSetCoreBruteForce checks the full-cover core against enumeration on
// tiny random instances (ties, equal sets, empty sets, items with one
// coverer): forced sites plus the core's fewest equal the fewest of the
// whole, forced sites with any core cover cover everything, an optimal
// cover maps to a core cover no larger, and the Lagrangian heuristic and
// bound bracket the core's fewest.
func TestSetCoreBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 17))
	never := func() bool { return false }
	for n := 0; n < 500; n++ {
		nCand := 1 + r.IntN(12)
		p := coverTiny(r, nCand, 1+r.IntN(30), 1+r.IntN(8), true)
		if n%5 == 0 {
			p.Sets[r.IntN(nCand)] = nil
		}
		if n%6 == 0 && nCand > 1 {
			p.Sets[1] = append([]int32(nil), p.Sets[0]...)
		}
		c, err := newCoverInst(p)
		if err != nil {
			t.Fatal(err)
		}
		want, opt := fewestCover(p)
		sc, err := c.newSetCore()
		if err != nil {
			t.Fatal(err)
		}
		sol := intsOf(sc.forced)
		if sc.c == nil {
			if len(sc.forced) != want {
				t.Errorf("instance %d: %d forced sites and no core, fewest %d", n, len(sc.forced), want)
			}
		} else {
			q := coreProblem(sc)
			coreMin, coreOpt := fewestCover(q)
			if got := len(sc.forced) + coreMin; got != want {
				t.Errorf("instance %d: %d forced + %d in the core, fewest %d", n, len(sc.forced), coreMin, want)
			}
			for _, k := range coreOpt {
				sol = append(sol, int(sc.cand[k]))
			}
			mapped := sc.fromSolution(int32sOf(opt))
			if coverValue(q, intsOf(mapped)) != sc.c.coverable || len(mapped) > len(opt) {
				t.Errorf("instance %d: optimal cover %v maps to %v, not a core cover no larger", n, opt, mapped)
			}
			all := make([]int32, sc.c.nCand)
			for j := range all {
				all[j] = int32(j)
			}
			heur, lb := sc.c.improveCover(all, never)
			if lb > coreMin || len(heur) < coreMin || coverValue(q, intsOf(heur)) != sc.c.coverable {
				t.Errorf("instance %d: Lagrangian bound %d, heuristic %v, core fewest %d", n, lb, heur, coreMin)
			}
		}
		if got := coverValue(p, sol); got != c.coverable {
			t.Errorf("instance %d: forced and core sites %v cover %v of %v", n, sol, got, c.coverable)
		}
	}
}

func int32sOf(s []int) []int32 {
	out := make([]int32, len(s))
	for k, j := range s {
		out[k] = int32(j)
	}
	slices.Sort(out)
	return out
}

// TestSolveSetCoreDeterministic solves full covers that go through the core,
// the Lagrangian heuristic and the exact search twice: the answers must be
// proven, valid and the same site for site (only the clock may end those
// phases early, and these instances need a fraction of the limit).
func TestSolveSetCoreDeterministic(t *testing.T) {
	for _, f := range []geoFamily{geoFamilies[3], geoFamilies[9]} {
		p := geoInstance(f, 2)
		var first []int
		for run := 0; run < 2; run++ {
			res, err := SolveSet(context.Background(), p, 1, Options{TimeLimit: refTimeLimit, Clock: shareddata.CPUClock()})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Optimal || coverValue(p, res.Chosen) != res.Coverable {
				t.Fatalf("%s: %d sites (optimal %v) cover %v of %v", f.name, len(res.Chosen), res.Optimal, coverValue(p, res.Chosen), res.Coverable)
			}
			if run == 0 {
				first = res.Chosen
			} else if !slices.Equal(first, res.Chosen) {
				t.Errorf("%s: first run chose %v, second %v", f.name, first, res.Chosen)
			}
		}
	}
}
