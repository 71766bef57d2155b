package cover

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"
)

// DefaultTimeLimit is the time budget a caller gives SolveMax and SolveSet
// (Options.TimeLimit) when the user names none. Solves end earlier once the
// answer is proven optimal.
const DefaultTimeLimit = 10 * time.Second

// A Problem is a weighted covering instance.
type Problem struct {
	// Weights holds the weight of each item (a demand point's population, or
	// type weight × population for a (type, point) pair); finite and ≥ 0.
	Weights []float64
	// Sets holds, per candidate site, the sorted, deduplicated indices into
	// Weights of the items the site would cover.
	Sets [][]int32
	// Fixed marks items already covered by existing facilities; they count
	// for nothing. Nil means none; otherwise len(Fixed) == len(Weights).
	Fixed []bool
}

// Options tunes SolveMax and SolveSet.
type Options struct {
	// K is the number of sites to choose (SolveMax, required ≥ 1) or the
	// most sites to choose (SolveSet, 0 = no cap).
	K int
	// TimeLimit bounds the whole solve; required > 0 (DefaultTimeLimit is
	// the usual choice). The greedy start always completes; local search and
	// bounding stop at the limit with the best solution and bound found so
	// far.
	TimeLimit time.Duration
	// Clock, when set, measures the time spent since it was first called
	// instead of the wall clock (tests give the process's CPU time, so that
	// the work a budget buys does not depend on how loaded the machine is).
	Clock func() time.Duration
}

// MaxResult is the answer of SolveMax.
type MaxResult struct {
	// Chosen lists candidate indices in rank order: the final set re-ranked
	// greedily, so rank 1 has the largest gain on its own and each next site
	// the largest marginal gain given the sites ranked before it.
	Chosen []int
	// Gains holds the marginal gain (newly covered weight) of each chosen
	// site in that order; they sum to Objective up to rounding.
	Gains []float64
	// Objective is the newly covered weight.
	Objective float64
	// UpperBound is a valid upper bound on the optimum for this K (Lagrangian
	// relaxation, never below Objective; rounded down when all weights are
	// integers). Bounding stops once the gap is below 0.01%.
	UpperBound float64
	// Gap is (UpperBound-Objective)/UpperBound, 0 when UpperBound is 0.
	Gap float64
	// Coverable is the total weight of non-fixed items that at least one
	// candidate covers.
	Coverable float64
	// Optimal reports that Objective is proven optimal: the bound met it,
	// or the exact search (branch and bound) finished within the time
	// limit. UpperBound then equals Objective and Gap is 0.
	Optimal bool
	// Nodes counts the branch-and-bound nodes explored (0 when the bound
	// alone proved the answer or no time was left).
	Nodes int
	// StoppedEarly reports that K is larger than useful: no candidate adds
	// any gain after len(Chosen) sites (everything coverable is covered).
	StoppedEarly bool
	// Swaps counts accepted improving swaps of the local search.
	Swaps int
	// Starts counts local searches started from Lagrangian solutions.
	Starts int
	// Iterations counts the subgradient iterations spent on UpperBound.
	Iterations int
	// Timings holds wall time per phase: "prepare", "greedy", "swap",
	// "bound", "perturb", "exact" (branch and bound) and "total".
	Timings map[string]time.Duration
}

// SetResult is the answer of SolveSet.
type SetResult struct {
	// Chosen lists candidate indices in greedy rank order (see MaxResult).
	Chosen []int
	// Gains holds the marginal gain of each chosen site in that order.
	Gains []float64
	// Covered is the newly covered weight of Chosen.
	Covered float64
	// Target is the weight to reach: the target share times Coverable.
	Target float64
	// Coverable is the total weight of non-fixed items that at least one
	// candidate covers.
	Coverable float64
	// LowerBound is a valid lower bound on the fewest sites that reach
	// Target (from the Lagrangian relaxation of maximal covering).
	LowerBound int
	// Optimal reports that Chosen is proven the fewest sites reaching
	// Target: len(Chosen) == LowerBound.
	Optimal bool
	// Nodes counts the branch-and-bound nodes of the exact search on the
	// number of sites.
	Nodes int
	// Timings holds wall time per phase: "prepare", "greedy", "reduce",
	// "bound", "exact" and "total".
	Timings map[string]time.Duration
}

// coverInst is a Problem compacted to its active items: non-fixed items
// of positive weight that some candidate covers. Sets and the inverse
// (item → candidates) are CSR arrays.
type coverInst struct {
	nCand, nItem int
	w            []float64 // per active item
	orig         []int32   // per active item: index into Problem.Weights
	setOff       []int     // len nCand+1
	setIdx       []int32   // active item ids, ascending within a set
	invOff       []int     // len nItem+1
	invIdx       []int32   // candidate ids, ascending within an item
	setW         []float64 // total active weight per candidate
	maxSet       int       // largest set size
	coverable    float64
	integral     bool // all active weights are integers and their sum is exact
	workers      int
}

func (c *coverInst) set(j int32) []int32 { return c.setIdx[c.setOff[j]:c.setOff[j+1]] }

// newCoverInst validates p and compacts it.
func newCoverInst(p *Problem) (*coverInst, error) {
	if p == nil {
		return nil, errors.New("cover problem is nil")
	}
	n := len(p.Weights)
	if len(p.Sets) == 0 {
		return nil, errors.New("cover problem has no candidate sites: add candidates (a candidate layer or generated positions) before proposing")
	}
	if n > math.MaxInt32 {
		return nil, fmt.Errorf("cover problem has %d items, more than %d", n, math.MaxInt32)
	}
	if p.Fixed != nil && len(p.Fixed) != n {
		return nil, fmt.Errorf("cover problem: Fixed has %d entries but Weights has %d: give one flag per item or nil", len(p.Fixed), n)
	}
	for i, w := range p.Weights {
		if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return nil, fmt.Errorf("cover problem: item %d: weight %v is not a finite number ≥ 0: check the demand population", i, w)
		}
	}
	// id[i] = compact id of item i, or -1 when inactive.
	id := make([]int32, n)
	for i := range id {
		id[i] = -1
	}
	const mark = -2
	for j, s := range p.Sets {
		prev := int32(-1)
		for k, i := range s {
			if i < 0 || int(i) >= n {
				return nil, fmt.Errorf("cover problem: candidate %d: item index %d at position %d is outside 0..%d: coverage sets must index Weights", j, i, k, n-1)
			}
			if i <= prev {
				return nil, fmt.Errorf("cover problem: candidate %d: item index %d at position %d is not above the previous %d: sort and deduplicate coverage sets", j, i, k, prev)
			}
			prev = i
			if p.Weights[i] > 0 && (p.Fixed == nil || !p.Fixed[i]) {
				id[i] = mark
			}
		}
	}
	c := &coverInst{nCand: len(p.Sets), integral: true}
	c.workers = runtime.GOMAXPROCS(0)
	for i := range id {
		if id[i] == mark {
			id[i] = int32(c.nItem)
			c.nItem++
			w := p.Weights[i]
			c.w = append(c.w, w)
			c.orig = append(c.orig, int32(i))
			if w != math.Trunc(w) {
				c.integral = false
			}
		}
	}
	c.setOff = make([]int, c.nCand+1)
	pairs := 0
	for j, s := range p.Sets {
		for _, i := range s {
			if id[i] >= 0 {
				pairs++
			}
		}
		c.setOff[j+1] = pairs
	}
	c.setIdx = make([]int32, pairs)
	c.setW = make([]float64, c.nCand)
	deg := make([]int, c.nItem+1)
	for j, s := range p.Sets {
		o := c.setOff[j]
		sw := 0.0
		for _, i := range s {
			if k := id[i]; k >= 0 {
				c.setIdx[o] = k
				o++
				sw += c.w[k]
				deg[k]++
			}
		}
		c.setW[j] = sw
		if l := c.setOff[j+1] - c.setOff[j]; l > c.maxSet {
			c.maxSet = l
		}
	}
	c.invOff = make([]int, c.nItem+1)
	for i := 0; i < c.nItem; i++ {
		c.invOff[i+1] = c.invOff[i] + deg[i]
	}
	c.invIdx = make([]int32, pairs)
	copy(deg, c.invOff[:c.nItem])
	for j := 0; j < c.nCand; j++ {
		for _, i := range c.set(int32(j)) {
			c.invIdx[deg[i]] = int32(j)
			deg[i]++
		}
	}
	for _, w := range c.w {
		c.coverable += w
	}
	if c.coverable >= 1<<53 {
		c.integral = false
	}
	return c, nil
}
