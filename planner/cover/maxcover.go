package cover

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

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
	ctx context.Context
	// now is the time spent so far; the solve ends when it reaches limit.
	now   func() time.Duration
	limit time.Duration
}

// newCoverClock checks the time limit of o and starts the clock.
func newCoverClock(ctx context.Context, o Options, start time.Time) (coverClock, error) {
	if !(o.TimeLimit > 0) {
		return coverClock{}, fmt.Errorf("time limit %v is not positive: give a time budget such as %v", o.TimeLimit, DefaultTimeLimit)
	}
	now := func() time.Duration { return time.Since(start) }
	if o.Clock != nil {
		base := o.Clock()
		now = func() time.Duration { return o.Clock() - base }
	}
	return coverClock{ctx: ctx, now: now, limit: o.TimeLimit}, nil
}

func (k coverClock) err() error { return k.ctx.Err() }

// stop reports whether the solve must end now: cancelled or out of time.
func (k coverClock) stop() bool { return k.err() != nil || k.now() >= k.limit }

// until returns a stop function that also fires at the given share of the
// time left before the deadline.
func (k coverClock) until(share float64) func() bool {
	t := k.now()
	d := t + time.Duration(share*float64(k.limit-t))
	return func() bool { return k.err() != nil || k.now() >= d }
}

// SolveMax chooses o.K candidate sites maximising the newly covered
// weight (maximal covering location problem): lazy greedy start,
// best-improvement 1-swap local search, a Lagrangian upper bound so the caller
// can state how far from optimal the answer can be, then iterated local
// search (random removals, greedy refill, swaps) while the bound leaves room.
// Fixed items and items no candidate covers count for nothing. The result is
// deterministic unless the time limit cuts a phase short. A cancelled ctx
// ends the solve with its error.
func SolveMax(ctx context.Context, p *Problem, o Options) (*MaxResult, error) {
	start := time.Now()
	if o.K <= 0 {
		return nil, fmt.Errorf("max cover: number of sites K = %d: ask for at least 1 site", o.K)
	}
	clock, err := newCoverClock(ctx, o, start)
	if err != nil {
		return nil, fmt.Errorf("max cover: %w", err)
	}
	c, err := newCoverInst(p)
	if err != nil {
		return nil, fmt.Errorf("max cover: %w", err)
	}
	res := &MaxResult{Coverable: c.coverable, Timings: map[string]time.Duration{}}
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
		lg := newLagrange(c)
		st = c.search(st, o.K, math.Inf(1), lg, clock, &sts)
		if err := clock.err(); err != nil {
			return nil, fmt.Errorf("max cover: %w", err)
		}
		ub = sts.ub
		res.Swaps, res.Starts, res.Iterations = sts.swaps, sts.starts, sts.iters
		st.recount()
		if !c.closed(ub, st.obj) && !clock.stop() {
			t := time.Now()
			st, ub, err = c.proveMax(st, o.K, ub, lg, clock, res)
			if err != nil {
				return nil, err
			}
			res.Timings["exact"] = time.Since(t)
		}
	}
	st.recount()
	res.Objective = st.obj
	res.UpperBound = max(ub, res.Objective)
	res.Optimal = res.Optimal || c.closed(res.UpperBound, res.Objective)
	if res.Optimal {
		res.UpperBound = res.Objective
	}
	if res.UpperBound > 0 {
		res.Gap = (res.UpperBound - res.Objective) / res.UpperBound
	}
	res.Chosen, res.Gains = c.rank(st.sol, make([]int32, c.nItem))
	res.Timings["total"] = time.Since(start)
	return res, nil
}

// closed reports whether the bound ub proves obj optimal: no integer
// objective fits between them (integral weights), or they differ by at most
// a billionth of the coverable weight.
func (c *coverInst) closed(ub, obj float64) bool {
	if c.integral {
		return math.Floor(ub+1e-9) <= obj
	}
	return ub-obj <= 1e-9*c.coverable
}

// proveMax runs the exact search (reduction, then LP-bounded branch and
// bound) from the solution st with the time left, and returns the best
// solution and the bound. res.Optimal and res.Nodes are set.
func (c *coverInst) proveMax(st *coverState, k int, ub float64, lg *lagrange, clock coverClock, res *MaxResult) (*coverState, float64, error) {
	r, err := c.reduce()
	if err != nil {
		return nil, 0, fmt.Errorf("max cover: %w", err)
	}
	er := exactMax(r, k, st.obj, r.lift(lg.best), clock.stop)
	if err := clock.err(); err != nil {
		return nil, 0, fmt.Errorf("max cover: %w", err)
	}
	res.Nodes = er.nodes
	if er.sol != nil {
		next := newCoverState(c, make([]int32, c.nItem), nil)
		next.reset(er.sol) // counts the items, unlike newCoverState
		next.recount()
		if len(er.sol) < k {
			// Fewer kept candidates than k: fill with any that still add weight.
			skip := make([]bool, c.nCand)
			for _, j := range er.sol {
				skip[j] = true
			}
			picks, _, _ := c.greedy(nil, k-len(er.sol), next.cnt, math.Inf(1), skip, nil)
			for _, j := range picks {
				for _, i := range c.set(j) {
					next.cnt[i]--
				}
				next.add(j)
			}
			next.recount()
			res.StoppedEarly = len(next.sol) < k
		}
		if next.obj > st.obj {
			st = next
		}
	}
	if er.proven {
		res.Optimal = true
		return st, st.obj, nil
	}
	ub = min(ub, er.bound)
	if c.integral {
		ub = math.Floor(ub + 1e-9)
	}
	return st, max(ub, st.obj), nil
}
