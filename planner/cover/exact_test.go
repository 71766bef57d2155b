package cover

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestExactMaxBruteForce checks the branch and bound alone (no heuristic
// start) against enumeration on tiny instances, with ties (equal weights,
// equal sets), zero weights, empty sets and K above the candidates.
func TestExactMaxBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 5))
	never := func() bool { return false }
	for n := 0; n < 400; n++ {
		nCand := 1 + r.IntN(11)
		nItem := 1 + r.IntN(30)
		p := coverTiny(r, nCand, nItem, 1+r.IntN(8), n%3 != 0)
		if n%4 == 0 {
			for i := range p.Weights {
				p.Weights[i] = float64(r.IntN(3)) // many ties and zeros
			}
		}
		if n%5 == 0 {
			p.Sets[r.IntN(nCand)] = nil // a candidate covering nothing
		}
		if n%6 == 0 && nCand > 1 {
			p.Sets[1] = append([]int32(nil), p.Sets[0]...) // identical sets
		}
		best, _ := coverBest(p)
		c, err := newCoverInst(p)
		if err != nil {
			t.Fatal(err)
		}
		red, err := c.reduce()
		if err != nil {
			t.Fatal(err)
		}
		for k := 1; k <= nCand+2; k++ {
			opt := best[min(k, nCand)]
			er := exactMax(red, k, math.Inf(-1), nil, never)
			if !er.proven {
				t.Fatalf("instance %d K=%d: not proven", n, k)
			}
			tol := 1e-9 * max(1, opt)
			got := 0.0
			if er.sol != nil {
				got = coverValue(p, intsOf(er.sol))
			}
			if len(er.sol) > k {
				t.Errorf("instance %d K=%d: %d sites", n, k, len(er.sol))
			}
			if math.Abs(got-opt) > tol || math.Abs(er.value-opt) > tol && opt > 0 {
				t.Errorf("instance %d K=%d: exact value %v (sites %v cover %v), optimum %v", n, k, er.value, er.sol, got, opt)
			}
		}
	}
}

func intsOf(s []int32) []int {
	out := make([]int, len(s))
	for k, j := range s {
		out[k] = int(j)
	}
	return out
}

// coverTiny makes a small random instance: each set a random subset.
func coverTiny(r *rand.Rand, nCand, nItem, setSize int, integral bool) *Problem {
	p := &Problem{Weights: make([]float64, nItem), Sets: make([][]int32, nCand)}
	for i := range p.Weights {
		if integral {
			p.Weights[i] = float64(1 + r.IntN(20))
		} else {
			p.Weights[i] = r.Float64() * 10
		}
	}
	for j := range p.Sets {
		for i := 0; i < nItem; i++ {
			if r.IntN(nItem) < setSize {
				p.Sets[j] = append(p.Sets[j], int32(i))
			}
		}
	}
	return p
}

// bestK enumerates every choice of at most k of the candidates.
func bestK(p *Problem, k int) float64 {
	n := len(p.Sets)
	best := 0.0
	var pick []int
	var rec func(from int)
	rec = func(from int) {
		best = max(best, coverValue(p, pick))
		if len(pick) == k {
			return
		}
		for j := from; j < n; j++ {
			pick = append(pick, j)
			rec(j + 1)
			pick = pick[:len(pick)-1]
		}
	}
	rec(0)
	return best
}

func TestExactMaxMedium(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	never := func() bool { return false }
	for n := 0; n < 60; n++ {
		nCand := 14 + r.IntN(8)
		nItem := 40 + r.IntN(60)
		p := coverTiny(r, nCand, nItem, 4+r.IntN(12), true)
		c, _ := newCoverInst(p)
		red, err := c.reduce()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []int{2, 3, 5} {
			opt := bestK(p, k)
			er := exactMax(red, k, math.Inf(-1), nil, never)
			if !er.proven || er.value != opt {
				t.Errorf("instance %d K=%d: exact %v (proven %v, %d nodes), optimum %v", n, k, er.value, er.proven, er.nodes, opt)
			}
			// From an incumbent one below the optimum, as after local search.
			lam := make([]float64, c.nItem)
			for i := range lam {
				lam[i] = c.w[i] * r.Float64()
			}
			er = exactMax(red, k, opt-1, red.lift(lam), never)
			if !er.proven || er.value != opt || coverValue(p, intsOf(er.sol)) != opt {
				t.Errorf("instance %d K=%d from %v: exact %v (proven %v, %d nodes), optimum %v", n, k, opt-1, er.value, er.proven, er.nodes, opt)
			}
		}
	}
}

// TestExactReachBruteForce checks the search for k sites reaching a goal
// (with unit propagation) against enumeration: the fewest sites reaching
// each achievable value are found, and one site fewer is proven to fall
// short.
func TestExactReachBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 23))
	never := func() bool { return false }
	for n := 0; n < 300; n++ {
		nCand := 1 + r.IntN(10)
		p := coverTiny(r, nCand, 1+r.IntN(25), 1+r.IntN(8), n%2 == 0)
		best, _ := coverBest(p)
		c, err := newCoverInst(p)
		if err != nil {
			t.Fatal(err)
		}
		red, err := c.reduce()
		if err != nil {
			t.Fatal(err)
		}
		for k := 1; k <= nCand; k++ {
			need := best[k] - 1e-9*c.coverable
			if best[k] == 0 || best[k-1] >= best[k] {
				continue
			}
			er := exactReach(red, k, need, never)
			if er.sol == nil || len(er.sol) > k || coverValue(p, intsOf(er.sol)) < need {
				t.Errorf("instance %d K=%d: no %d sites reaching %v found: %v", n, k, k, best[k], er.sol)
			}
			if k > 1 {
				er = exactReach(red, k-1, need, never)
				if er.sol != nil || !er.proven {
					t.Errorf("instance %d K=%d: %d sites reach %v (%v), best is %v", n, k, k-1, best[k], er.sol, best[k-1])
				}
			}
		}
	}
}
