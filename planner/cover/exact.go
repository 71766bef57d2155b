package cover

import (
	"math"
	"slices"
)

// --- exact search: Lagrangian branch and bound ---

// bnb is a depth-first branch and bound for maximal covering on a reduced
// instance. A node fixes some candidates in (chosen) and some out; its
// bound is the Lagrangian relaxation of the remaining problem,
//
//	U(λ) = W(items covered by fixed-in sites)
//	     + Σ_i (w'_i − λ_i) + (sum of the k' largest c_j over free sites),
//
// where w'_i = w_i for items neither covered by a fixed-in site nor left
// without any free coverer (0 otherwise), λ_i ∈ [0, w'_i], c_j = Σ_{i∈S_j} λ_i
// and k' = K − (fixed-in sites). Subgradient steps warm-started from the
// parent's multipliers lower U first; then λ is set to the duals of the
// node's LP relaxation (lpBound: an interior-point method over a pool of
// candidates grown by column generation), which makes U the LP bound. A
// node is pruned once U falls below goal (the least value still wanted).
// Reduced-cost fixing at the node's best λ drops free sites that cannot be
// in a wanted solution (U − c_(k') + c_j < goal) and fixes in those that
// every wanted solution needs (U − c_j + c_(k'+1) < goal). Branching is on
// the site whose LP value is most fractional, the fixed-in child first;
// the top-k' sets and the LP's largest sites are tried as solutions.
// Everything is deterministic: only the stop function, checked between
// steps, depends on time.
type bnb struct {
	c        *coverInst
	k        int
	status   []int8 // per candidate: 0 free, 1 fixed in, -1 fixed out
	inCnt    []int32
	freeCnt  []int32
	wEff     []float64
	kLeft    int
	nFree    int
	lam      []float64
	cj       []float64
	order    []int32 // free candidates by c_j descending, ties to the lower index
	mult     []int32
	grad     []float64
	xsum     []float64 // per candidate: iterations in the top set
	seen     []int32   // per item: stamp of the last solution evaluation
	stamp    int32
	trail    []int32 // fixed candidates, in fixing order
	lamStack [][]float64

	integral           bool
	absTol             float64 // non-integral weights: improvements below this do not count
	best               float64
	bestSol            []int32
	goal               float64 // bounds below goal prune
	stopAt             float64 // stop once best ≥ stopAt
	rootU              float64
	open               float64 // largest bound of the work left undone when stopped
	nodes              int
	iters              int // iterations of the last bound call
	aborted            bool
	stop               func() bool
	errScale           float64
	pool               *lpPool
	lpIters            int
	lpSolves, lpN, lpM int
	useLP              bool
	// propagate turns on the item test at every node (exactReach): lost is
	// the weight of items neither covered by a fixed-in site nor left a
	// free coverer.
	propagate bool
	lost      float64
}

func newBnb(c *coverInst, k int, stop func() bool) *bnb {
	b := &bnb{c: c, k: k, stop: stop, integral: c.integral,
		status: make([]int8, c.nCand), inCnt: make([]int32, c.nItem), freeCnt: make([]int32, c.nItem),
		wEff: append([]float64(nil), c.w...), kLeft: k, nFree: c.nCand,
		lam: append([]float64(nil), c.w...), cj: make([]float64, c.nCand),
		mult: make([]int32, c.nItem), grad: make([]float64, c.nItem), xsum: make([]float64, c.nCand),
		seen: make([]int32, c.nItem), best: math.Inf(-1), goal: math.Inf(-1), stopAt: math.Inf(1),
		rootU: math.Inf(1), open: math.Inf(-1), useLP: true}
	b.pool = newLPPool(c)
	for i := 0; i < c.nItem; i++ {
		b.freeCnt[i] = int32(c.invOff[i+1] - c.invOff[i])
	}
	b.absTol = 1e-9 * c.coverable
	const eps = 1.0 / (1 << 52)
	b.errScale = eps * float64(c.maxSet+c.nItem+k+16) * 2 * max(c.coverable, 1)
	return b
}

// improve records a solution of value v; sol holds the chosen candidates.
func (b *bnb) improve(v float64, sol []int32) {
	if v < b.goal || v <= b.best {
		return
	}
	b.best = v
	b.bestSol = append(b.bestSol[:0], sol...)
	g := v + b.absTol
	if b.integral {
		g = math.Floor(v+0.5) + 1
	}
	b.goal = max(b.goal, g)
}

// fix sets candidate j in (in) or out and updates the item state.
func (b *bnb) fix(j int32, in bool) {
	b.trail = append(b.trail, j)
	b.nFree--
	if in {
		b.status[j] = 1
		b.kLeft--
	} else {
		b.status[j] = -1
	}
	for _, i := range b.c.set(j) {
		b.freeCnt[i]--
		if in {
			b.inCnt[i]++
		} else if b.inCnt[i] == 0 && b.freeCnt[i] == 0 {
			b.lost += b.c.w[i]
		}
		if b.inCnt[i] > 0 || b.freeCnt[i] == 0 {
			b.wEff[i], b.lam[i] = 0, 0
		}
	}
}

// undo reverts the fixings after the first n of the trail.
func (b *bnb) undo(n int) {
	for len(b.trail) > n {
		j := b.trail[len(b.trail)-1]
		b.trail = b.trail[:len(b.trail)-1]
		b.nFree++
		in := b.status[j] == 1
		if in {
			b.kLeft++
		}
		b.status[j] = 0
		for _, i := range b.c.set(j) {
			if !in && b.inCnt[i] == 0 && b.freeCnt[i] == 0 {
				b.lost -= b.c.w[i]
			}
			b.freeCnt[i]++
			if in {
				b.inCnt[i]--
			}
			if b.inCnt[i] == 0 && b.freeCnt[i] > 0 {
				b.wEff[i] = b.c.w[i]
			}
		}
	}
}

// eval computes the bound at the current λ (plus a rounding allowance),
// c_j for free sites and their order; the top set is order[:k'].
func (b *bnb) eval() float64 {
	c := b.c
	b.order = b.order[:0]
	for j := 0; j < c.nCand; j++ {
		if b.status[j] != 0 {
			continue
		}
		v := 0.0
		for _, i := range c.set(int32(j)) {
			v += b.lam[i]
		}
		b.cj[j] = v
		b.order = append(b.order, int32(j))
	}
	slices.SortFunc(b.order, func(x, y int32) int {
		if b.cj[x] != b.cj[y] {
			if b.cj[x] > b.cj[y] {
				return -1
			}
			return 1
		}
		return int(x - y)
	})
	u := 0.0
	for i, w := range c.w {
		if b.inCnt[i] > 0 {
			u += w
		} else {
			u += b.wEff[i] - b.lam[i]
		}
	}
	for _, j := range b.order[:min(b.kLeft, len(b.order))] {
		u += b.cj[j]
	}
	return u + b.errScale
}

// value returns the covered weight of the fixed-in sites plus the sites
// in extra, and offers that solution as an incumbent.
func (b *bnb) value(extra []int32) float64 {
	c := b.c
	b.stamp++
	v := 0.0
	for i, w := range c.w {
		if b.inCnt[i] > 0 {
			v += w
		}
	}
	for _, j := range extra {
		for _, i := range c.set(j) {
			if b.inCnt[i] == 0 && b.seen[i] != b.stamp {
				b.seen[i] = b.stamp
				v += c.w[i]
			}
		}
	}
	if v >= b.goal && v > b.best {
		sol := append([]int32(nil), extra...)
		for j, s := range b.status {
			if s == 1 {
				sol = append(sol, int32(j))
			}
		}
		b.improve(v, sol)
	}
	return v
}

// step moves λ along the subgradient of the top set, Polyak step towards
// target; false when the projected subgradient vanishes (λ optimal).
func (b *bnb) step(u, target, mu float64) bool {
	c := b.c
	top := b.order[:min(b.kLeft, len(b.order))]
	for _, j := range top {
		for _, i := range c.set(j) {
			b.mult[i]++
		}
	}
	norm := 0.0
	for i, w := range b.wEff {
		g := 0.0
		if w > 0 {
			g = float64(b.mult[i])
			if b.lam[i] < w || g >= 1 {
				g--
			}
			if (g > 0 && b.lam[i] > 0) || (g < 0 && b.lam[i] < w) {
				norm += g * g
			}
		}
		b.grad[i] = g
	}
	for _, j := range top {
		for _, i := range c.set(j) {
			b.mult[i] = 0
		}
	}
	if norm == 0 {
		return false
	}
	t := mu * (u - target) / norm
	for i, w := range b.wEff {
		if g := b.grad[i]; g != 0 {
			b.lam[i] = min(w, max(0, b.lam[i]-t*g))
		}
	}
	return true
}

// bound runs subgradient optimisation at the node from the current λ and
// leaves λ at the best point found. It returns the best bound, or a value
// below goal as soon as the node is pruned. xsum counts top-set membership.
func (b *bnb) bound(root bool) float64 {
	maxIter, patience, mu := 40, 5, 0.5
	if root {
		maxIter, patience, mu = 1000, 20, 1
	}
	best := math.Inf(1)
	saved := make([]float64, len(b.lam))
	clear(b.xsum)
	b.iters = 0
	stall := 0
	for it := 0; it < maxIter; it++ {
		b.iters++
		u := b.eval()
		top := b.order[:min(b.kLeft, len(b.order))]
		for _, j := range top {
			b.xsum[j]++
		}
		if it%8 == 0 {
			b.value(top)
		}
		if u < best {
			if u < best-1e-9*max(1, math.Abs(best)) || math.IsInf(best, 1) {
				stall = 0
			} else {
				stall++
			}
			best = u
			copy(saved, b.lam)
		} else {
			stall++
		}
		if best < b.goal || b.best >= b.stopAt {
			break
		}
		if stall >= patience {
			mu /= 2
			stall = 0
			copy(b.lam, saved)
			if mu < 1e-3 {
				break
			}
			continue
		}
		if it%4 == 3 && b.stop() {
			b.aborted = true
			break
		}
		target := b.goal - 0.5
		if !b.integral {
			target = b.goal - max(b.absTol, 1e-6*math.Abs(b.goal))
		}
		if math.IsInf(target, -1) {
			target = 0
		}
		if !b.step(u, target, mu) {
			break
		}
	}
	copy(b.lam, saved)
	return best
}

// node explores the subtree of the current fixings; parentU bounds it.
func (b *bnb) node(parentU float64, root bool) {
	b.nodes++
	if b.stop() {
		b.aborted = true
		b.open = max(b.open, parentU)
		return
	}
	depth := len(b.lamStack)
	b.lamStack = append(b.lamStack, append([]float64(nil), b.lam...))
	mark, poolMark := len(b.trail), len(b.pool.list)
	defer func() {
		b.pool.truncate(poolMark)
		b.undo(mark)
		copy(b.lam, b.lamStack[depth])
		b.lamStack = b.lamStack[:depth]
	}()
	u := parentU
	if b.propagate && !b.propagateItems() {
		return
	}
	for pass := 0; ; pass++ {
		if b.kLeft >= b.nFree {
			// Every free site fits: taking them all is best here.
			free := make([]int32, 0, b.nFree)
			for j, s := range b.status {
				if s == 0 {
					free = append(free, int32(j))
				}
			}
			b.value(free)
			return
		}
		if b.kLeft == 0 {
			b.value(nil)
			return
		}
		u = min(u, b.bound(root && pass == 0))
		if b.aborted {
			b.open = max(b.open, u)
			return
		}
		if root && pass == 0 {
			b.rootU = u
		}
		if u < b.goal || b.best >= b.stopAt {
			return
		}
		if b.useLP {
			if root && pass == 0 {
				b.eval()
				b.seedPool()
			}
			u = min(u, b.lpBound())
			if b.aborted = b.aborted || b.stop(); b.aborted {
				b.open = max(b.open, u)
				return
			}
			if root && pass == 0 {
				b.rootU = u
			}
			if u < b.goal || b.best >= b.stopAt {
				return
			}
		}
		// Reduced-cost fixing at the best λ, with the bound at that λ.
		ul := b.eval()
		kk := b.kLeft
		cK, cK1 := b.cj[b.order[kk-1]], b.cj[b.order[kk]]
		var outs, ins []int32
		for p := len(b.order) - 1; p >= kk; p-- {
			j := b.order[p]
			if ul-cK+b.cj[j] >= b.goal {
				break
			}
			outs = append(outs, j)
		}
		for _, j := range b.order[:kk] {
			if ul-b.cj[j]+cK1 < b.goal {
				ins = append(ins, j)
			}
		}
		if len(outs) == 0 && len(ins) == 0 || pass >= 4 {
			break
		}
		for _, j := range outs {
			b.fix(j, false)
		}
		for _, j := range ins {
			b.fix(j, true)
		}
	}
	j := b.lpBranchSite()
	if j < 0 {
		j = b.branchSite()
	}
	b.fix(j, true)
	b.node(u, false)
	b.undo(len(b.trail) - 1)
	if b.aborted {
		b.open = max(b.open, u) // the fixed-out child is left
		return
	}
	if u < b.goal || b.best >= b.stopAt {
		return
	}
	b.fix(j, false)
	b.node(u, false)
	b.undo(len(b.trail) - 1)
}

// propagateItems is unit propagation for the search for k sites reaching
// goal, where goal is close to all the weight: a node whose lost weight
// alone keeps it below goal is pruned (false) before any bound is
// computed, and an item that has one free coverer left and whose loss
// alone would be fatal fixes that coverer in. Both follow from the node's
// fixings without an LP, which in set covering is where most nodes end.
func (b *bnb) propagateItems() bool {
	c := b.c
	slack := c.coverable - b.goal + b.absTol // weight that may still be lost
	for changed := true; changed; {
		if b.lost > slack {
			return false
		}
		changed = false
		for i, w := range c.w {
			if b.inCnt[i] > 0 || b.freeCnt[i] != 1 || w <= slack-b.lost {
				continue
			}
			if b.kLeft == 0 {
				return false
			}
			for _, j := range c.invIdx[c.invOff[i]:c.invOff[i+1]] {
				if b.status[j] == 0 {
					b.fix(j, true)
					break
				}
			}
			changed = true
		}
	}
	return true
}

// branchSite picks the free site whose share of the node's iterations in
// the top set is closest to one half (ties to larger c_j, then lower index).
func (b *bnb) branchSite() int32 {
	iters := float64(b.iters)
	best, bestScore := b.order[0], -1.0
	for _, j := range b.order {
		f := 0.0
		if iters > 0 {
			f = b.xsum[j] / iters
		}
		s := min(f, 1-f)
		if s > bestScore+1e-12 {
			best, bestScore = j, s
		}
	}
	return best
}

// exactResult is the outcome of an exact search on a reduced instance.
type exactResult struct {
	sol    []int32 // original candidate ids of the best solution found, nil if none beat the start
	value  float64
	proven bool    // the search finished: nothing at or above the goal was missed
	bound  float64 // valid upper bound on the optimum when stopped (≥ value)
	nodes  int
}

// exactMax searches for a k-site solution covering more than start on the
// reduced instance r, starting λ at lam0 (reduced items; nil for w).
func exactMax(r *reduced, k int, start float64, lam0 []float64, stop func() bool) exactResult {
	b := newBnb(r.c, k, stop)
	b.improve(start, nil)
	if lam0 != nil {
		copy(b.lam, lam0)
	}
	b.node(math.Inf(1), true)
	return b.result(r)
}

// exactReach searches for k sites covering at least need on r.
func exactReach(r *reduced, k int, need float64, stop func() bool) exactResult {
	b := newBnb(r.c, k, stop)
	b.goal, b.stopAt = need, need
	b.propagate = true
	b.node(math.Inf(1), true)
	return b.result(r)
}

func (b *bnb) result(r *reduced) exactResult {
	res := exactResult{value: b.best, nodes: b.nodes, proven: !b.aborted || b.best >= b.stopAt}
	if b.bestSol != nil {
		for _, j := range b.bestSol {
			res.sol = append(res.sol, r.cand[j])
		}
		slices.Sort(res.sol)
	}
	res.bound = max(b.best, min(b.rootU, b.open))
	if res.proven {
		res.bound = b.best
	}
	return res
}
