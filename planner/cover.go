package planner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// This file is the optimisation core of site proposals (DESIGN.md §2,
// "Proposal"): weighted maximal covering (MCLP) and partial set covering
// (LSCP) over abstract items. It knows nothing of graphs or distances: the
// caller turns walking-distance searches into coverage sets. An item is a
// demand point, or in multi-type mode a (type, demand point) pair whose weight
// is the type weight times the population, so that one site's coverage set
// spans items of every type it hosts.

// DefaultCoverTimeLimit is the time budget of SolveMaxCover and SolveSetCover
// when CoverOptions.TimeLimit is zero.
const DefaultCoverTimeLimit = 10 * time.Second

// A CoverProblem is a weighted covering instance.
type CoverProblem struct {
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

// CoverOptions tunes SolveMaxCover and SolveSetCover.
type CoverOptions struct {
	// K is the number of sites to choose (SolveMaxCover, required ≥ 1) or the
	// most sites to choose (SolveSetCover, 0 = no cap).
	K int
	// TimeLimit bounds the whole solve; 0 means DefaultCoverTimeLimit. The
	// greedy start always completes; local search and bounding stop at the
	// limit with the best solution and bound found so far.
	TimeLimit time.Duration
	// Ctx cancels the solve (nil = never); a cancelled solve returns an error.
	Ctx context.Context
}

// CoverResult is the answer of SolveMaxCover.
type CoverResult struct {
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
	// "bound", "perturb" and "total".
	Timings map[string]time.Duration
}

// SetCoverResult is the answer of SolveSetCover.
type SetCoverResult struct {
	// Chosen lists candidate indices in greedy rank order (see CoverResult).
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
	// Timings holds wall time per phase: "prepare", "greedy", "reduce",
	// "bound" and "total".
	Timings map[string]time.Duration
}

// coverInst is a CoverProblem compacted to its active items: non-fixed items
// of positive weight that some candidate covers. Sets and the inverse
// (item → candidates) are CSR arrays.
type coverInst struct {
	nCand, nItem int
	w            []float64 // per active item
	orig         []int32   // per active item: index into CoverProblem.Weights
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
func newCoverInst(p *CoverProblem) (*coverInst, error) {
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

// --- lazy greedy (CELF) ---

type gainEntry struct {
	gain  float64
	cand  int32
	stamp int32 // number of chosen sites when gain was computed
}

// gainHeap is a max-heap on gain, ties to the lower candidate index.
type gainHeap []gainEntry

func (h gainHeap) less(a, b int) bool {
	if h[a].gain != h[b].gain {
		return h[a].gain > h[b].gain
	}
	return h[a].cand < h[b].cand
}

func (h gainHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func (h gainHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// gain returns the weight of the items of candidate j that cnt leaves
// uncovered. Summing in set order keeps recomputed gains ≤ stale ones.
func (c *coverInst) gain(j int32, cnt []int32) float64 {
	g := 0.0
	for _, i := range c.set(j) {
		if cnt[i] == 0 {
			g += c.w[i]
		}
	}
	return g
}

// greedy adds up to k candidates from pool (nil = all) by lazy greedy,
// incrementing cnt for every item a chosen set covers and passing over
// candidates marked in skip (nil = none). It stops early when no
// candidate adds weight or when the covered weight reaches stopAt. It returns
// the chosen candidates with their marginal gains.
func (c *coverInst) greedy(pool []int32, k int, cnt []int32, stopAt float64, skip []bool, ctx context.Context) ([]int32, []float64, error) {
	var h gainHeap
	if pool == nil {
		h = make(gainHeap, 0, c.nCand)
		for j := 0; j < c.nCand; j++ {
			if c.setW[j] > 0 && (skip == nil || !skip[j]) {
				h = append(h, gainEntry{gain: c.setW[j], cand: int32(j), stamp: -1})
			}
		}
	} else {
		h = make(gainHeap, 0, len(pool))
		for _, j := range pool {
			h = append(h, gainEntry{gain: c.setW[j], cand: j, stamp: -1})
		}
	}
	h.init()
	var chosen []int32
	var gains []float64
	covered := 0.0
	for len(chosen) < k && len(h) > 0 && covered < stopAt {
		top := &h[0]
		if top.stamp != int32(len(chosen)) {
			top.gain = c.gain(top.cand, cnt)
			top.stamp = int32(len(chosen))
			h.down(0)
			continue
		}
		if top.gain <= 0 {
			break
		}
		j := top.cand
		chosen = append(chosen, j)
		gains = append(gains, top.gain)
		covered += top.gain
		for _, i := range c.set(j) {
			cnt[i]++
		}
		h[0] = h[len(h)-1]
		h = h[:len(h)-1]
		h.down(0)
		if len(chosen)%64 == 0 && ctx != nil {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
	}
	return chosen, gains, nil
}

// rank orders a final set greedily and returns it with marginal gains.
func (c *coverInst) rank(set []int32, scratch []int32) ([]int, []float64) {
	order, gains, _ := c.greedy(set, len(set), scratch, math.Inf(1), nil, nil)
	// Sets that add nothing on top of the others keep their place at the end.
	in := make(map[int32]bool, len(order))
	for _, j := range order {
		in[j] = true
	}
	for _, j := range set {
		if !in[j] {
			order = append(order, j)
			gains = append(gains, 0)
		}
	}
	for _, j := range order {
		for _, i := range c.set(j) {
			scratch[i] = 0
		}
	}
	out := make([]int, len(order))
	for k, j := range order {
		out[k] = int(j)
	}
	return out, gains
}

// --- local search ---

// coverState is a solution with per-item cover counts. own[i] is the XOR of
// the chosen candidates covering i, hence the sole coverer when cnt[i] == 1.
type coverState struct {
	c    *coverInst
	cnt  []int32
	own  []int32
	sol  []int32   // chosen candidates
	pos  []int32   // per candidate: index in sol, or -1
	loss []float64 // per position: weight lost by removing that site alone
	obj  float64
}

func newCoverState(c *coverInst, cnt []int32, sol []int32) *coverState {
	s := &coverState{c: c, cnt: cnt, own: make([]int32, c.nItem), pos: make([]int32, c.nCand)}
	for j := range s.pos {
		s.pos[j] = -1
	}
	for _, j := range sol {
		s.pos[j] = int32(len(s.sol))
		s.sol = append(s.sol, j)
		for _, i := range c.set(j) {
			s.own[i] ^= j
		}
	}
	s.recount()
	return s
}

// recount recomputes the objective and the loss of every chosen site.
func (s *coverState) recount() {
	c := s.c
	s.obj = 0
	for i, n := range s.cnt {
		if n > 0 {
			s.obj += c.w[i]
		}
	}
	s.refreshLoss()
}

func (s *coverState) refreshLoss() {
	c := s.c
	s.loss = s.loss[:0]
	for _, j := range s.sol {
		l := 0.0
		for _, i := range c.set(j) {
			if s.cnt[i] == 1 {
				l += c.w[i]
			}
		}
		s.loss = append(s.loss, l)
	}
}

func (s *coverState) add(j int32) {
	c := s.c
	s.pos[j] = int32(len(s.sol))
	s.sol = append(s.sol, j)
	for _, i := range c.set(j) {
		if s.cnt[i] == 0 {
			s.obj += c.w[i]
		}
		s.cnt[i]++
		s.own[i] ^= j
	}
}

func (s *coverState) removeAt(p int) {
	c := s.c
	j := s.sol[p]
	for _, i := range c.set(j) {
		s.cnt[i]--
		s.own[i] ^= j
		if s.cnt[i] == 0 {
			s.obj -= c.w[i]
		}
	}
	last := len(s.sol) - 1
	s.sol[p] = s.sol[last]
	s.pos[s.sol[p]] = int32(p)
	s.sol = s.sol[:last]
	s.pos[j] = -1
}

type swapMove struct {
	delta float64
	add   int32
	rem   int32 // candidate removed
}

func (m swapMove) better(o swapMove) bool {
	if m.delta != o.delta {
		return m.delta > o.delta
	}
	if m.add != o.add {
		return m.add < o.add
	}
	return m.rem < o.rem
}

// bestSwap scans every unchosen candidate for the best 1-swap. The delta of
// adding a and removing r is gain(a) − loss(r) + the weight of items that
// only r covers and a covers too, accumulated per r while scanning S_a.
func (s *coverState) bestSwap(tol float64, stop func() bool) (swapMove, bool) {
	c := s.c
	k := len(s.sol)
	minLoss, minPos := math.Inf(1), 0
	for p, l := range s.loss {
		if l < minLoss || (l == minLoss && s.sol[p] < s.sol[minPos]) {
			minLoss, minPos = l, p
		}
	}
	workers := c.workers
	if c.nCand < 2048 {
		workers = 1
	}
	const block = 256
	var next atomic.Int64
	var aborted atomic.Bool
	results := make([]swapMove, workers)
	var wg sync.WaitGroup
	for wk := 0; wk < workers; wk++ {
		wg.Add(1)
		go func(wk int) {
			defer wg.Done()
			extra := make([]float64, k)
			touched := make([]int32, 0, k)
			best := swapMove{delta: math.Inf(-1), add: -1}
			for {
				lo := int(next.Add(block)) - block
				if lo >= c.nCand || aborted.Load() {
					break
				}
				if stop != nil && stop() {
					aborted.Store(true)
					break
				}
				hi := min(lo+block, c.nCand)
				for a := lo; a < hi; a++ {
					if s.pos[a] >= 0 || c.setW[a]-minLoss <= tol {
						continue
					}
					g := 0.0
					for _, i := range c.set(int32(a)) {
						switch s.cnt[i] {
						case 0:
							g += c.w[i]
						case 1:
							r := s.pos[s.own[i]]
							if extra[r] == 0 {
								touched = append(touched, r)
							}
							extra[r] += c.w[i]
						}
					}
					m := swapMove{delta: g - minLoss, add: int32(a), rem: s.sol[minPos]}
					for _, r := range touched {
						cand := swapMove{delta: g + extra[r] - s.loss[r], add: int32(a), rem: s.sol[r]}
						if cand.better(m) {
							m = cand
						}
						extra[r] = 0
					}
					touched = touched[:0]
					if m.better(best) {
						best = m
					}
				}
			}
			results[wk] = best
		}(wk)
	}
	wg.Wait()
	if aborted.Load() {
		return swapMove{}, false
	}
	best := results[0]
	for _, m := range results[1:] {
		if m.better(best) {
			best = m
		}
	}
	return best, true
}

// localSearch applies best-improvement 1-swaps until none improves by more
// than tol, the covered weight reaches stopAt, or stop reports true. It
// returns the number of swaps made.
func (s *coverState) localSearch(tol, stopAt float64, stop func() bool) int {
	swaps := 0
	for s.obj < stopAt && len(s.sol) > 0 && !stop() {
		m, ok := s.bestSwap(tol, stop)
		if !ok || m.add < 0 || m.delta <= tol {
			break
		}
		s.removeAt(int(s.pos[m.rem]))
		s.add(m.add)
		s.refreshLoss()
		swaps++
	}
	return swaps
}

// reset makes the state hold exactly the candidates of sol, from scratch.
func (s *coverState) reset(sol []int32) {
	for p := len(s.sol) - 1; p >= 0; p-- {
		s.removeAt(p)
	}
	s.obj = 0
	for _, j := range sol {
		s.add(j)
	}
	s.refreshLoss()
}

// restore makes the state hold exactly the candidates of sol.
func (s *coverState) restore(sol []int32) {
	want := make(map[int32]bool, len(sol))
	for _, j := range sol {
		want[j] = true
	}
	for p := len(s.sol) - 1; p >= 0; p-- {
		if !want[s.sol[p]] {
			s.removeAt(p)
		}
	}
	for _, j := range sol {
		if s.pos[j] < 0 {
			s.add(j)
		}
	}
	s.refreshLoss()
}

// perturbSearch is iterated local search: remove a few random sites, refill
// greedily without them, descend with 1-swaps, and keep the result when it
// is better. It stops once the covered weight reaches stopAt, after maxStall
// rounds without improvement, or when stop reports true, leaving the best
// solution in s. It returns the swaps made.
func (s *coverState) perturbSearch(rng *rand.Rand, k int, tol, stopAt float64, maxStall int, stop func() bool) int {
	best := append([]int32(nil), s.sol...)
	bestObj := s.obj
	skip := make([]bool, s.c.nCand)
	swaps := 0
	for stall := 0; stall < maxStall && bestObj < stopAt && len(s.sol) > 0 && !stop(); {
		q := 1 + rng.IntN(min(3, len(s.sol)))
		var removed []int32
		for range q {
			p := rng.IntN(len(s.sol))
			removed = append(removed, s.sol[p])
			skip[s.sol[p]] = true
			s.removeAt(p)
		}
		for _, j := range s.sol {
			skip[j] = true
		}
		picks, _, _ := s.c.greedy(nil, k-len(s.sol), s.cnt, math.Inf(1), skip, nil)
		for _, j := range s.sol {
			skip[j] = false
		}
		for _, j := range removed {
			skip[j] = false
		}
		for _, j := range picks {
			// greedy counted the items already; adopt the site.
			for _, i := range s.c.set(j) {
				s.cnt[i]--
			}
			s.add(j)
		}
		s.refreshLoss()
		swaps += s.localSearch(tol, stopAt, stop)
		switch {
		case s.obj > bestObj+tol:
			best = append(best[:0], s.sol...)
			bestObj = s.obj
			stall = 0
		case s.obj >= bestObj-tol:
			// An equally good different solution: walk the plateau.
			stall++
		default:
			stall++
			s.restore(best)
			s.obj = bestObj
		}
	}
	s.restore(best)
	s.recount()
	return swaps
}

// --- Lagrangian bound ---

// lagrange evaluates and minimises the Lagrangian relaxation of maximal
// covering. Relaxing y_i ≤ Σ_{j∋i} x_j with λ_i ∈ [0, w_i] leaves
//
//	U(λ, K) = Σ_i (w_i − λ_i) + (sum of the K largest c_j), c_j = Σ_{i∈S_j} λ_i,
//
// an upper bound on the best covered weight with K sites for every such λ.
type lagrange struct {
	c    *coverInst
	lam  []float64
	best []float64 // λ of the lowest U seen
	cj   []float64
	mult []int32 // per item: number of top-K sets covering it
	top  []int32
	// Volume algorithm state: averaged relaxed solutions and direction.
	xbar, ybar, gbar []float64
}

func newLagrange(c *coverInst) *lagrange {
	lg := &lagrange{c: c, lam: make([]float64, c.nItem), cj: make([]float64, c.nCand), mult: make([]int32, c.nItem)}
	copy(lg.lam, c.w)
	lg.best = append([]float64(nil), lg.lam...)
	return lg
}

// parallel runs fn over [0,n) in one contiguous chunk per worker.
func parallel(n, workers int, fn func(wk, lo, hi int)) {
	if workers <= 1 || n < 1<<14 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for wk := 0; wk < workers; wk++ {
		lo, hi := wk*chunk, min((wk+1)*chunk, n)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(wk, lo, hi)
		}()
	}
	wg.Wait()
}

// topK fills lg.top with the k candidates of largest c_j (ties to the lower
// index) and returns the sum of their c_j.
func (lg *lagrange) topK(k int) float64 {
	cj := lg.cj
	lg.top = lg.top[:0]
	if k >= len(cj) {
		sum := 0.0
		for j, v := range cj {
			lg.top = append(lg.top, int32(j))
			sum += v
		}
		return sum
	}
	// Min-heap of the k best so far; root is the weakest.
	h := lg.top
	weaker := func(a, b int32) bool { // a is weaker than b
		if cj[a] != cj[b] {
			return cj[a] < cj[b]
		}
		return a > b
	}
	down := func(i int) {
		n := len(h)
		for {
			l := 2*i + 1
			if l >= n {
				return
			}
			m := l
			if r := l + 1; r < n && weaker(h[r], h[l]) {
				m = r
			}
			if !weaker(h[m], h[i]) {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for j := 0; j < k; j++ {
		h = append(h, int32(j))
	}
	for i := k/2 - 1; i >= 0; i-- {
		down(i)
	}
	for j := k; j < len(cj); j++ {
		if weaker(h[0], int32(j)) {
			h[0] = int32(j)
			down(0)
		}
	}
	lg.top = h
	sum := 0.0
	// Sum in index order so the value does not depend on heap layout.
	sort.Slice(h, func(a, b int) bool { return h[a] < h[b] })
	for _, j := range h {
		sum += cj[j]
	}
	return sum
}

// eval computes U(λ, k) and an upper bound on its rounding error.
func (lg *lagrange) eval(k int) (u, errBound float64) {
	c := lg.c
	parallel(c.nCand, c.workers, func(_, lo, hi int) {
		for j := lo; j < hi; j++ {
			v := 0.0
			for _, i := range c.setIdx[c.setOff[j]:c.setOff[j+1]] {
				v += lg.lam[i]
			}
			lg.cj[j] = v
		}
	})
	topSum := lg.topK(k)
	// Neumaier summation of Σ (w_i − λ_i).
	sum, comp := 0.0, 0.0
	for i, w := range c.w {
		d := w - lg.lam[i]
		t := sum + d
		if math.Abs(sum) >= math.Abs(d) {
			comp += (sum - t) + d
		} else {
			comp += (d - t) + sum
		}
		sum = t
	}
	rest := sum + comp
	u = rest + topSum
	// Each c_j sums at most maxSet terms; the top sum k more; the item sum is
	// compensated. 2^-52 per operation is generous.
	const eps = 1.0 / (1 << 52)
	errBound = eps * (float64(c.maxSet+k+4)*topSum + 4*math.Abs(rest) + 4*math.Abs(u))
	return u, errBound
}

// step moves λ along the volume algorithm's direction (Barahona and Anbil):
// the subgradient at the running average of the relaxed solutions (x̄, ȳ)
// instead of the last one, which damps the zig-zag that ties at the K-th
// largest c_j cause. With x the top-K sets and y_i = 1 where w_i − λ_i > 0
// (or where a top set covers i once λ_i = w_i), ∂U/∂λ_i = Σ_{j∋i} x_j − y_i.
// The step is mu·(u−target)/‖ḡ‖² (Polyak), projected onto [0, w]. It returns
// false when the projected direction vanishes.
func (lg *lagrange) step(u, target, mu float64) bool {
	const alpha = 0.05
	c := lg.c
	for _, j := range lg.top {
		for _, i := range c.set(j) {
			lg.mult[i]++
		}
	}
	first := lg.xbar == nil
	if first {
		lg.xbar = make([]float64, c.nCand)
		lg.ybar = make([]float64, c.nItem)
		lg.gbar = make([]float64, c.nItem)
	}
	a := alpha
	if first {
		a = 1
	}
	for j, v := range lg.xbar {
		if v = (1 - a) * v; v < 1e-9 {
			v = 0 // keep x̄ sparse; any direction gives valid bounds
		}
		lg.xbar[j] = v
	}
	for _, j := range lg.top {
		lg.xbar[j] += a
	}
	for i, w := range c.w {
		y := 0.0
		if lg.lam[i] < w || lg.mult[i] >= 1 {
			y = 1
		}
		lg.ybar[i] = (1-a)*lg.ybar[i] + a*y
		lg.gbar[i] = -lg.ybar[i]
	}
	// The plain subgradient: when its projection vanishes λ is optimal;
	// it also stands in when the averaged direction happens to vanish.
	plain := 0.0
	for i, w := range c.w {
		g, l := float64(lg.mult[i]), lg.lam[i]
		if l < w || g >= 1 {
			g--
		}
		if (g > 0 && l > 0) || (g < 0 && l < w) {
			plain += g * g
		}
	}
	for j, v := range lg.xbar {
		if v > 0 {
			for _, i := range c.set(int32(j)) {
				lg.gbar[i] += v
			}
		}
	}
	norm := 0.0
	for i, w := range c.w {
		g, l := lg.gbar[i], lg.lam[i]
		if (g > 0 && l > 0) || (g < 0 && l < w) {
			norm += g * g
		}
	}
	if norm == 0 {
		if plain == 0 {
			lg.clearMult()
			return false
		}
		for i, w := range c.w {
			g := float64(lg.mult[i])
			if lg.lam[i] < w || g >= 1 {
				g--
			}
			lg.gbar[i] = g
		}
		norm = plain
	}
	lg.clearMult()
	t := mu * (u - target) / norm
	for i, w := range c.w {
		lg.lam[i] = min(w, max(0, lg.lam[i]-t*lg.gbar[i]))
	}
	return true
}

func (lg *lagrange) clearMult() {
	for _, j := range lg.top {
		for _, i := range lg.c.set(j) {
			lg.mult[i] = 0
		}
	}
}

// minimise runs subgradient optimisation of U(·, k) from the best λ so far
// with Polyak steps towards target. It stops when the bound falls below
// stopBelow (proof enough for the caller), within closeTol of target, after
// maxIter iterations, or when stop reports true. It returns the lowest valid
// bound seen (value plus rounding allowance) and the iterations used.
//
// When visit is not nil it is called every visitEvery iterations with the
// current top-K sets (a Lagrangian heuristic start) and returns the best
// objective known, which becomes the new target.
func (lg *lagrange) minimise(k int, target, stopBelow, closeTol float64, maxIter int, stop func() bool, visit func(top []int32) float64) (float64, int) {
	const visitEvery = 8
	copy(lg.lam, lg.best)
	lg.xbar = nil // a new k starts a new average
	bestU := math.Inf(1)
	mu := 1.0
	sinceBest := 0
	const patience = 12
	iters := 0
	for iters < maxIter {
		u, e := lg.eval(k)
		iters++
		if u+e < bestU {
			if u+e < bestU-1e-9*math.Abs(bestU) || math.IsInf(bestU, 1) {
				sinceBest = 0
			}
			bestU = u + e
			copy(lg.best, lg.lam)
		} else {
			sinceBest++
		}
		if visit != nil && iters%visitEvery == 1 {
			target = max(target, visit(lg.top))
		}
		if bestU < stopBelow || bestU-target <= closeTol {
			break
		}
		if sinceBest >= patience {
			mu /= 2
			sinceBest = 0
			copy(lg.lam, lg.best)
			if mu < 1e-3 {
				break
			}
			continue
		}
		if stop() {
			break
		}
		if !lg.step(u, target, mu) {
			break
		}
	}
	return bestU, iters
}

// --- search driver ---

type searchStats struct {
	swaps, starts, iters int
	ub                   float64 // upper bound on the best weight with k sites
	timings              map[string]time.Duration
}

// search improves st, which holds k sites, and returns the best state found:
// 1-swap descent; then subgradient optimisation of the Lagrangian bound,
// restarting the descent from the top-K sets of distinct multipliers (a
// Lagrangian heuristic); then iterated local search while the bound leaves
// room. It stops as soon as the covered weight reaches stopAt or the bound
// falls below it (stats.ub < stopAt: k sites cannot reach it).
func (c *coverInst) search(st *coverState, k int, stopAt float64, lg *lagrange, clock coverClock, stats *searchStats) *coverState {
	tol := 1e-12 * c.coverable
	t := time.Now()
	lap := func(name string) {
		now := time.Now()
		stats.timings[name] += now.Sub(t)
		t = now
	}
	stats.ub = c.coverable
	stats.swaps += st.localSearch(tol, stopAt, clock.until(0.4))
	st.recount()
	lap("swap")
	if st.obj >= stopAt || clock.stop() {
		return st
	}

	// Stop bounding once the gap is below 0.01%, or proven zero.
	closeTol := 1e-4 * st.obj
	if c.integral {
		closeTol = max(closeTol, 1-1e-6) // floor(U) == objective
	}
	scratch := newCoverState(c, make([]int32, c.nItem), nil)
	tried := map[uint64]bool{}
	heurStop := clock.until(0.4)
	const maxStarts, maxIdle = 32, 8
	idle := 0
	visit := func(top []int32) float64 {
		if stats.starts >= maxStarts || idle >= maxIdle || st.obj >= stopAt || heurStop() {
			return st.obj
		}
		key := uint64(14695981039346656037) // FNV-1a over the sorted set
		for _, j := range top {
			key = (key ^ uint64(j)) * 1099511628211
		}
		if tried[key] {
			return st.obj
		}
		tried[key] = true
		scratch.reset(top)
		stats.swaps += scratch.localSearch(tol, stopAt, heurStop)
		stats.starts++
		if scratch.obj > st.obj+tol {
			st, scratch = scratch, st
			idle = 0
		} else {
			idle++
		}
		return st.obj
	}
	boundStop := clock.until(0.6)
	stopBelow := math.Inf(-1)
	if !math.IsInf(stopAt, 1) {
		stopBelow = stopAt
	}
	u, it := lg.minimise(k, st.obj, stopBelow, closeTol, 1000,
		func() bool { return st.obj >= stopAt || boundStop() }, visit)
	stats.iters += it
	stats.ub = min(stats.ub, u)
	if c.integral {
		stats.ub = math.Floor(stats.ub)
	}
	lap("bound")
	if st.obj >= stopAt || stats.ub < stopAt && !math.IsInf(stopAt, 1) || clock.stop() {
		st.recount()
		return st
	}

	rng := rand.New(rand.NewPCG(uint64(c.nCand), uint64(k)))
	// Iterated local search, longer while the bound leaves a real gap
	// (each round is cheap; the clock still bounds it).
	maxStall := 10
	if st.obj > 0 && (stats.ub-st.obj)/stats.ub > 1e-3 {
		maxStall = 60
	}
	stats.swaps += st.perturbSearch(rng, k, tol, min(stats.ub-closeTol, stopAt), maxStall, clock.stop)
	lap("perturb")
	return st
}

func (s *coverState) clone() *coverState {
	return &coverState{c: s.c, cnt: append([]int32(nil), s.cnt...), own: append([]int32(nil), s.own...),
		sol: append([]int32(nil), s.sol...), pos: append([]int32(nil), s.pos...),
		loss: append([]float64(nil), s.loss...), obj: s.obj}
}

// --- entry points ---

type coverClock struct {
	ctx      context.Context
	deadline time.Time
}

func newCoverClock(o CoverOptions, start time.Time) coverClock {
	tl := o.TimeLimit
	if tl <= 0 {
		tl = DefaultCoverTimeLimit
	}
	return coverClock{ctx: o.Ctx, deadline: start.Add(tl)}
}

func (k coverClock) err() error {
	if k.ctx != nil {
		return k.ctx.Err()
	}
	return nil
}

// stop reports whether the solve must end now: cancelled or out of time.
func (k coverClock) stop() bool { return k.err() != nil || !time.Now().Before(k.deadline) }

// until returns a stop function that also fires at the given share of the
// time left before the deadline.
func (k coverClock) until(share float64) func() bool {
	d := time.Now().Add(time.Duration(share * float64(time.Until(k.deadline))))
	return func() bool { return k.err() != nil || !time.Now().Before(d) }
}

// SolveMaxCover chooses o.K candidate sites maximising the newly covered
// weight (maximal covering location problem): lazy greedy start,
// best-improvement 1-swap local search, a Lagrangian upper bound so the caller
// can state how far from optimal the answer can be, then iterated local
// search (random removals, greedy refill, swaps) while the bound leaves room.
// Fixed items and items no candidate covers count for nothing. The result is
// deterministic unless the time limit cuts a phase short.
func SolveMaxCover(p *CoverProblem, o CoverOptions) (*CoverResult, error) {
	start := time.Now()
	if o.K <= 0 {
		return nil, fmt.Errorf("max cover: number of sites K = %d: ask for at least 1 site", o.K)
	}
	clock := newCoverClock(o, start)
	c, err := newCoverInst(p)
	if err != nil {
		return nil, fmt.Errorf("max cover: %w", err)
	}
	res := &CoverResult{Coverable: c.coverable, Timings: map[string]time.Duration{}}
	t := time.Now()
	res.Timings["prepare"] = t.Sub(start)

	cnt := make([]int32, c.nItem)
	chosen, _, err := c.greedy(nil, o.K, cnt, math.Inf(1), nil, clock.ctx)
	if err != nil {
		return nil, fmt.Errorf("max cover: %w", err)
	}
	now := time.Now()
	res.Timings["greedy"], t = now.Sub(t), now

	st := newCoverState(c, cnt, chosen)
	res.StoppedEarly = len(chosen) < o.K
	ub := c.coverable
	if res.StoppedEarly {
		// Everything the candidates reach is covered: optimal, but greedy
		// may have picked sites that later ones made redundant.
		st.dropRedundant(st.obj)
	} else if st.obj < c.coverable {
		sts := searchStats{timings: res.Timings}
		st = c.search(st, o.K, math.Inf(1), newLagrange(c), clock, &sts)
		if err := clock.err(); err != nil {
			return nil, fmt.Errorf("max cover: %w", err)
		}
		ub = sts.ub
		res.Swaps, res.Starts, res.Iterations = sts.swaps, sts.starts, sts.iters
	}
	st.recount()
	res.Objective = st.obj
	res.UpperBound = max(ub, res.Objective)
	if res.UpperBound > 0 {
		res.Gap = (res.UpperBound - res.Objective) / res.UpperBound
	}
	res.Chosen, res.Gains = c.rank(st.sol, make([]int32, c.nItem))
	res.Timings["total"] = time.Since(start)
	return res, nil
}

// SolveSetCover finds few candidate sites whose newly covered weight reaches
// target (a share in (0, 1]) of the coverable weight: lazy greedy until the
// target is reached, removal of redundant sites, moves that add one site to
// make two others redundant, exact search in small separate clusters (full
// cover only), then repeated attempts to reach the target with one site
// fewer by the maximal-covering search. LowerBound is the largest of a
// counting bound, the Lagrangian set-covering bound (full cover) and the
// maximal-covering bounds proving that fewer sites fall short.
// o.K > 0 caps the number of sites; the result then may fall short of Target.
func SolveSetCover(p *CoverProblem, target float64, o CoverOptions) (*SetCoverResult, error) {
	start := time.Now()
	if math.IsNaN(target) || target <= 0 || target > 1 {
		return nil, fmt.Errorf("set cover: target share %v is outside (0, 1]: give the wanted coverage as a fraction, e.g. 0.95", target)
	}
	if o.K < 0 {
		return nil, fmt.Errorf("set cover: site cap K = %d is negative: use 0 for no cap", o.K)
	}
	clock := newCoverClock(o, start)
	c, err := newCoverInst(p)
	if err != nil {
		return nil, fmt.Errorf("set cover: %w", err)
	}
	res := &SetCoverResult{Coverable: c.coverable, Target: target * c.coverable, Timings: map[string]time.Duration{}}
	t := time.Now()
	res.Timings["prepare"] = t.Sub(start)
	if c.coverable == 0 {
		res.Timings["total"] = time.Since(start)
		return res, nil
	}
	// need is the covered weight that counts as reaching the target.
	need := res.Target * (1 - 1e-12)
	if c.integral {
		need = math.Ceil(res.Target - 1e-9*c.coverable)
	}
	limit := o.K
	if limit == 0 {
		limit = c.nCand
	}

	cnt := make([]int32, c.nItem)
	chosen, _, err := c.greedy(nil, limit, cnt, need, nil, clock.ctx)
	if err != nil {
		return nil, fmt.Errorf("set cover: %w", err)
	}
	now := time.Now()
	res.Timings["greedy"], t = now.Sub(t), now

	st := newCoverState(c, cnt, chosen)
	st.dropRedundant(need)
	st.consolidate(need, clock.until(0.2))
	if target == 1 {
		st.exactComponents(c.coverable-need, clock.until(0.3))
	}

	// Lower bound before the harder reduction: it tells when to stop.
	lo := c.trivialLowerBound(need) - 1 // largest K proven too few
	if target == 1 {
		lo = max(lo, c.setCoverBound(c.coverable-need, len(st.sol), 1000, clock.until(0.3))-1)
	}
	hi := len(st.sol)
	if st.obj < need {
		hi = c.nCand + 1
		if o.K > 0 {
			hi = o.K + 1
		}
	}
	if target < 1 {
		// Binary search on K for the largest K whose maximal-covering
		// bound falls short of need; Polyak steps aim just below need.
		lg := newLagrange(c)
		aim := need - 1e-3*c.coverable
		for hi-lo > 1 && !clock.stop() {
			mid := lo + (hi-lo)/2
			u, _ := lg.minimise(mid, aim, need, 0, 300, clock.until(0.3), nil)
			if u < need {
				lo = mid
			} else {
				hi = mid
			}
		}
	}
	res.LowerBound = max(lo+1, 0)
	if err := clock.err(); err != nil {
		return nil, fmt.Errorf("set cover: %w", err)
	}
	now = time.Now()
	res.Timings["bound"], t = now.Sub(t), now

	// Try to do with one site fewer until the bound is met or that fails.
	sts := searchStats{timings: map[string]time.Duration{}}
	lg := newLagrange(c)
	for st.obj >= need && len(st.sol) > res.LowerBound && !clock.stop() {
		k := len(st.sol) - 1
		trial := st.clone()
		trial.refreshLoss()
		minPos := 0
		for p, l := range trial.loss {
			if l < trial.loss[minPos] {
				minPos = p
			}
		}
		trial.removeAt(minPos)
		trial.refreshLoss()
		trial = c.search(trial, k, need, lg, clock, &sts)
		trial.recount()
		if sts.ub < need {
			res.LowerBound = max(res.LowerBound, k+1)
			break
		}
		if trial.obj < need {
			break
		}
		st = trial
		st.dropRedundant(need)
		st.consolidate(need, clock.stop)
	}
	if err := clock.err(); err != nil {
		return nil, fmt.Errorf("set cover: %w", err)
	}
	st.recount()
	res.Covered = st.obj
	res.Timings["reduce"] = time.Since(t)
	res.Chosen, res.Gains = c.rank(st.sol, make([]int32, c.nItem))
	res.Timings["total"] = time.Since(start)
	return res, nil
}

// dropRedundant removes, smallest loss first, sites whose removal keeps the
// covered weight at or above need.
func (s *coverState) dropRedundant(need float64) {
	s.refreshLoss()
	for len(s.sol) > 0 {
		p := -1
		for q, l := range s.loss {
			if s.obj-l >= need && (p < 0 || l < s.loss[p] || (l == s.loss[p] && s.sol[q] < s.sol[p])) {
				p = q
			}
		}
		if p < 0 {
			return
		}
		s.removeAt(p)
		s.refreshLoss()
	}
}

// consolidate looks for a site whose addition makes at least two chosen
// sites redundant (or one, when the slack above need allows dropping more),
// applies the best such move and repeats until none shrinks the solution.
// It returns the number of sites saved.
func (s *coverState) consolidate(need float64, stop func() bool) int {
	c := s.c
	saved := 0
	if s.obj < need {
		return 0
	}
	uniq := make([]int32, 0)
	extra := make([]int32, 0)
	var touched []int32
	for !stop() {
		k := len(s.sol)
		uniq = append(uniq[:0], make([]int32, k)...)
		extra = append(extra[:0], make([]int32, k)...)
		for p, j := range s.sol {
			for _, i := range c.set(j) {
				if s.cnt[i] == 1 {
					uniq[p]++
				}
			}
		}
		minLoss := math.Inf(1)
		for _, l := range s.loss {
			minLoss = min(minLoss, l)
		}
		improved := false
		for a := 0; a < c.nCand && !improved; a++ {
			if s.pos[a] >= 0 || c.setW[a] == 0 {
				continue
			}
			g := 0.0
			for _, i := range c.set(int32(a)) {
				switch s.cnt[i] {
				case 0:
					g += c.w[i]
				case 1:
					r := s.pos[s.own[i]]
					if extra[r] == 0 {
						touched = append(touched, r)
					}
					extra[r]++
				}
			}
			absorbed := 0
			for _, r := range touched {
				if extra[r] == uniq[r] {
					absorbed++
				}
				extra[r] = 0
			}
			touched = touched[:0]
			if absorbed < 2 && !(absorbed == 1 && s.obj+g-need >= minLoss) {
				continue
			}
			before := append([]int32(nil), s.sol...)
			obj := s.obj
			s.add(int32(a))
			s.dropRedundant(need)
			if len(s.sol) < k {
				saved += k - len(s.sol)
				improved = true
			} else {
				s.restore(before)
				s.obj = obj
			}
		}
		if !improved {
			break
		}
	}
	s.recount()
	return saved
}

// exactComponents re-solves exactly, by depth-first search with iterative
// deepening, every small connected component of the candidate–item graph
// (candidates sharing an item are connected) whose sites in s might be
// fewer: all its items heavier than slack must stay covered. It returns the
// number of sites saved. Scattered villages make such components common.
func (s *coverState) exactComponents(slack float64, stop func() bool) int {
	c := s.c
	const maxCands, nodeLimit, totalLimit = 300, 200000, 2000000
	parent := make([]int32, c.nCand)
	for j := range parent {
		parent[j] = int32(j)
	}
	find := func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for i := 0; i < c.nItem; i++ {
		js := c.invIdx[c.invOff[i]:c.invOff[i+1]]
		for _, j := range js[1:] {
			if a, b := find(js[0]), find(j); a != b {
				parent[b] = a
			}
		}
	}
	comps := map[int32][]int32{}
	for j := 0; j < c.nCand; j++ {
		if c.setW[j] > 0 {
			r := find(int32(j))
			comps[r] = append(comps[r], int32(j))
		}
	}
	roots := make([]int32, 0, len(comps))
	for r := range comps {
		roots = append(roots, r)
	}
	sort.Slice(roots, func(a, b int) bool { return roots[a] < roots[b] })
	local := make([]int32, c.nItem) // item → local index within a component
	saved, totalNodes := 0, 0
	for _, r := range roots {
		cands := comps[r]
		inSol := 0
		for _, j := range cands {
			if s.pos[j] >= 0 {
				inSol++
			}
		}
		if inSol <= 1 || len(cands) > maxCands || totalNodes > totalLimit || stop() {
			continue
		}
		// Local instance: must-cover items and, per candidate, their ids.
		var items []int32
		for _, j := range cands {
			for _, i := range c.set(j) {
				if c.w[i] > slack && local[i] == 0 {
					items = append(items, i)
					local[i] = int32(len(items)) // 1-based while building
				}
			}
		}
		sets := make([][]int32, len(cands))
		opts := make([][]int32, len(items))
		for q, j := range cands {
			for _, i := range c.set(j) {
				if l := local[i]; l > 0 {
					sets[q] = append(sets[q], l-1)
					opts[l-1] = append(opts[l-1], int32(q))
				}
			}
		}
		for _, i := range items {
			local[i] = 0
		}
		cnt := make([]int32, len(items))
		var pick []int32
		nodes := 0
		var dfs func(budget int) bool
		dfs = func(budget int) bool {
			nodes++
			if nodes > nodeLimit {
				return false
			}
			best, bestN := -1, math.MaxInt
			for l, n := range cnt {
				if n == 0 && len(opts[l]) < bestN {
					best, bestN = l, len(opts[l])
				}
			}
			if best < 0 {
				return true
			}
			if budget == 0 {
				return false
			}
			for _, q := range opts[best] {
				for _, l := range sets[q] {
					cnt[l]++
				}
				pick = append(pick, q)
				if dfs(budget - 1) {
					return true
				}
				pick = pick[:len(pick)-1]
				for _, l := range sets[q] {
					cnt[l]--
				}
			}
			return false
		}
		for budget := 1; budget < inSol && nodes <= nodeLimit; budget++ {
			if !dfs(budget) {
				continue
			}
			want := map[int32]bool{}
			for _, q := range pick {
				want[cands[q]] = true
			}
			for _, j := range cands {
				if p := s.pos[j]; p >= 0 && !want[j] {
					s.removeAt(int(p))
				}
			}
			for j := range want {
				if s.pos[j] < 0 {
					s.add(j)
				}
			}
			saved += inSol - len(pick)
			break
		}
		totalNodes += nodes
	}
	s.recount()
	return saved
}

// setCoverBound returns a lower bound on the number of sites that cover
// every item heavier than slack (any solution within slack of the coverable
// weight must), from the Lagrangian relaxation of set covering:
//
//	L(u) = Σ_i u_i + Σ_j min(0, 1 − Σ_{i∈S_j} u_i),  u ≥ 0,
//
// maximised by subgradient steps aimed a little above the best known count
// ub (Beasley's rule).
func (c *coverInst) setCoverBound(slack float64, ub, maxIter int, stop func() bool) int {
	u := make([]float64, c.nItem)
	must := make([]bool, c.nItem)
	for i, w := range c.w {
		if w <= slack {
			continue
		}
		must[i] = true
		m := 0
		for _, j := range c.invIdx[c.invOff[i]:c.invOff[i+1]] {
			if l := c.setOff[j+1] - c.setOff[j]; m == 0 || l < m {
				m = l
			}
		}
		u[i] = 1 / float64(m)
	}
	cj := make([]float64, c.nCand)
	hit := make([]int32, c.nItem)
	best := math.Inf(-1)
	mu, stall := 2.0, 0
	const eps = 1.0 / (1 << 52)
	for it := 0; it < maxIter && !stop(); it++ {
		parallel(c.nCand, c.workers, func(_, lo, hi int) {
			for j := lo; j < hi; j++ {
				v := 0.0
				for _, i := range c.setIdx[c.setOff[j]:c.setOff[j+1]] {
					v += u[i]
				}
				cj[j] = v
			}
		})
		sumU, sumC, big := 0.0, 0.0, 0.0
		for _, v := range u {
			sumU += v
		}
		for _, v := range cj {
			if v > 1 {
				sumC += 1 - v
				big += v
			}
		}
		l := sumU + sumC
		lb := l - eps*float64(c.maxSet+c.nItem+c.nCand+8)*(sumU+big+1)
		if lb > best+1e-9 {
			best, stall = lb, 0
		} else {
			stall++
		}
		if math.Ceil(best-1e-9) >= float64(ub) {
			break
		}
		if stall >= 20 {
			if mu /= 2; mu < 1e-3 {
				break
			}
			stall = 0
		}
		for j, v := range cj {
			if v > 1 {
				for _, i := range c.set(int32(j)) {
					hit[i]++
				}
			}
		}
		norm := 0.0
		for i := range u {
			if !must[i] {
				continue
			}
			g := 1 - float64(hit[i])
			if g > 0 || u[i] > 0 {
				norm += g * g
			}
		}
		if norm == 0 {
			break
		}
		step := mu * (1.05*float64(ub) - l) / norm
		for i := range u {
			if must[i] {
				u[i] = max(0, u[i]+step*(1-float64(hit[i])))
			}
			hit[i] = 0
		}
	}
	if math.IsInf(best, -1) {
		return 0
	}
	return int(math.Ceil(best - 1e-9))
}

// trivialLowerBound returns the fewest sites whose set weights, largest
// first, add up to need: no fewer sites can cover it.
func (c *coverInst) trivialLowerBound(need float64) int {
	ws := append([]float64(nil), c.setW...)
	sort.Sort(sort.Reverse(sort.Float64Slice(ws)))
	sum := 0.0
	for k, w := range ws {
		// Allow for rounding of the set weights themselves.
		sum += w * (1 + float64(c.maxSet+2)/(1<<52))
		if sum >= need {
			return k + 1
		}
	}
	return len(ws) + 1
}
