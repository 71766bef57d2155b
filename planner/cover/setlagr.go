package cover

import (
	"cmp"
	"math"
	"slices"
)

// --- Lagrangian heuristic and bound for a full cover of unit-cost sites ---

// coverLagrange relaxes "every item covered" of c (read as a full cover,
// every site costing one) with multipliers u ≥ 0 per item:
//
//	L(u) = Σ_i u_i + Σ_j min(0, 1 − Σ_{i∈S_j} u_i) ≤ fewest sites,
//
// and turns each u into a cover by the greedy of Caprara, Fischetti and
// Toth: repeatedly take the site of least score, its reduced cost
// γ_j = 1 − Σ u over its uncovered items divided by their number μ_j (or
// γ_j·μ_j when γ_j < 0), then drop redundant sites. Multipliers near the LP
// duals price the items that are hard to cover, which is where the plain
// greedy goes wrong; the same pass yields the bound.
type coverLagrange struct {
	c       *coverInst
	u, g    []float64 // per item: multiplier, subgradient
	gam     []float64 // per site: reduced cost at u
	mu      []int32   // greedy: uncovered items per site
	gs      []float64 // greedy: Σ u over a site's uncovered items
	covered []bool
}

func newCoverLagrange(c *coverInst) *coverLagrange {
	l := &coverLagrange{c: c, u: make([]float64, c.nItem), g: make([]float64, c.nItem),
		gam: make([]float64, c.nCand), mu: make([]int32, c.nCand), gs: make([]float64, c.nCand),
		covered: make([]bool, c.nItem)}
	for i := range l.u {
		m := c.maxSet
		for _, j := range c.invIdx[c.invOff[i]:c.invOff[i+1]] {
			m = min(m, c.setOff[j+1]-c.setOff[j])
		}
		l.u[i] = 1 / float64(m)
	}
	return l
}

// eval returns L(u) and fills gam and the subgradient g.
func (l *coverLagrange) eval() float64 {
	c := l.c
	v := 0.0
	for i, u := range l.u {
		v += u
		l.g[i] = 1
	}
	for j := 0; j < c.nCand; j++ {
		s := 1.0
		for _, i := range c.set(int32(j)) {
			s -= l.u[i]
		}
		l.gam[j] = s
		if s < 0 {
			v += s
			for _, i := range c.set(int32(j)) {
				l.g[i]--
			}
		}
	}
	return v
}

// greedy builds a cover by least score at the current u (gam must be
// current), without redundant sites.
func (l *coverLagrange) greedy() []int32 {
	c := l.c
	clear(l.covered)
	left := c.nItem
	for j := 0; j < c.nCand; j++ {
		l.mu[j] = int32(c.setOff[j+1] - c.setOff[j])
		l.gs[j] = 1 - l.gam[j]
	}
	var sol []int32
	for left > 0 {
		best, bestS := int32(-1), math.Inf(1)
		for j, m := range l.mu {
			if m == 0 {
				continue
			}
			gam := 1 - l.gs[j]
			s := gam * float64(m)
			if gam > 0 {
				s = gam / float64(m)
			}
			if s < bestS {
				best, bestS = int32(j), s
			}
		}
		sol = append(sol, best)
		for _, i := range c.set(best) {
			if l.covered[i] {
				continue
			}
			l.covered[i] = true
			left--
			for _, k := range c.invIdx[c.invOff[i]:c.invOff[i+1]] {
				l.mu[k]--
				l.gs[k] -= l.u[i]
			}
		}
	}
	st := newCoverState(c, make([]int32, c.nItem), nil)
	st.reset(sol)
	st.dropRedundant(c.coverable)
	return st.sol
}

// run optimises u by subgradient steps aimed at the best cover's size (Polyak steps, halved after patience steps without progress), runs
// the greedy every few steps, and returns the best cover (best when none
// was smaller) and the largest integer bound ⌈L(u)⌉ met. Only the iteration
// count and stop end it, so with stop unset the answer is deterministic.
func (l *coverLagrange) run(best []int32, maxIter int, stop func() bool) ([]int32, int) {
	const patience, every = 20, 4
	lb, bestL := 0, math.Inf(-1)
	step, stall := 1.0, 0
	for it := 0; it < maxIter && len(best) > lb; it++ {
		if it%16 == 15 && stop() {
			break
		}
		v := l.eval()
		// Floating-point sums over at most a few thousand terms of size ≤ 1
		// err far below 1e-6.
		lb = max(lb, int(math.Ceil(v-1e-6)))
		if v > bestL+1e-6 {
			bestL, stall = v, 0
		} else if stall++; stall >= patience {
			step, stall = step/2, 0
		}
		if it%every == 0 {
			if sol := l.greedy(); len(sol) < len(best) {
				best = sol
			}
		}
		norm := 0.0
		for i, g := range l.g {
			if g < 0 && l.u[i] == 0 {
				l.g[i] = 0
				continue
			}
			norm += g * g
		}
		if norm == 0 || step < 1e-4 {
			break // u is optimal, or the steps no longer move it
		}
		t := step * (float64(len(best)) - v) / norm
		for i, g := range l.g {
			l.u[i] = max(0, l.u[i]+t*g)
		}
	}
	return best, lb
}

// fixAndRun is the refinement of Caprara, Fischetti and Toth: after the
// subgradient run on what is left, it fixes in the share of the best cover
// found there with the least reduced costs (at least one site), drops the
// items they cover and runs again on the rest, until nothing is left; each
// round's fixed sites plus its best cover of the rest is a cover of c. The
// greedy alone commits to its first choices; fixing only the surest of them
// and re-pricing the rest lets later rounds correct the others. It returns
// the smallest cover seen (best when none was smaller) and the bound of the
// first round, the only one on all of c.
func (c *coverInst) fixAndRun(best []int32, share float64, maxIter int, stop func() bool) ([]int32, int) {
	var fixed []int32
	cur, cand := c, []int32(nil) // cand maps cur's sites to c's (nil: identity)
	lb := 0
	for round := 0; !stop(); round++ {
		orig := func(q int32) int32 {
			if cand == nil {
				return q
			}
			return cand[q]
		}
		l := newCoverLagrange(cur)
		rest := append([]int32(nil), best...) // round 0: the incumbent sets the steps' aim
		if round > 0 {
			rest = make([]int32, cur.nCand)
			for q := range rest {
				rest[q] = int32(q)
			}
		}
		rest, b := l.run(rest, maxIter, stop)
		if round == 0 {
			lb = b
		}
		if len(fixed)+len(rest) < len(best) {
			best = append([]int32(nil), fixed...)
			for _, q := range rest {
				best = append(best, orig(q))
			}
		}
		if len(fixed)+b >= len(best) || len(rest) <= 1 {
			break // the rest cannot do better, or it is one site
		}
		l.eval()
		slices.SortStableFunc(rest, func(x, y int32) int { return cmp.Compare(l.gam[x], l.gam[y]) })
		done := make([]bool, cur.nItem)
		for _, q := range rest[:max(1, int(share*float64(len(rest))))] {
			fixed = append(fixed, orig(q))
			for _, i := range cur.set(q) {
				done[i] = true
			}
		}
		next, nextCand := cur.restrict(done)
		if next == nil {
			break // cannot happen: rest had sites left to fix
		}
		for q, j := range nextCand {
			nextCand[q] = orig(j)
		}
		cur, cand = next, nextCand
	}
	return best, lb
}

// restrict returns the unit-weight instance of c's items not done, with
// the sites covering any of them, and those sites' indices in c; nil when
// no item is left.
func (c *coverInst) restrict(done []bool) (*coverInst, []int32) {
	local := make([]int32, c.nItem)
	n := int32(0)
	for i, d := range done {
		local[i] = -1
		if !d {
			local[i] = n
			n++
		}
	}
	if n == 0 {
		return nil, nil
	}
	p := &Problem{Weights: make([]float64, n)}
	for i := range p.Weights {
		p.Weights[i] = 1
	}
	var cand []int32
	for j := 0; j < c.nCand; j++ {
		var s []int32
		for _, i := range c.set(int32(j)) {
			if local[i] >= 0 {
				s = append(s, local[i])
			}
		}
		if len(s) > 0 {
			p.Sets = append(p.Sets, s)
			cand = append(cand, int32(j))
		}
	}
	r, err := newCoverInst(p)
	if err != nil {
		return nil, nil // cannot happen: sets built sorted and in range
	}
	return r, cand
}

// improveCover runs fixAndRun from the cover best with a share halved on
// every pass, from 0.3 until one site is fixed per round: the finer the
// fixing, the better the covers tend to be and the longer a pass takes, so
// the coarse passes give a good cover early and the fine ones use the time
// left before stop. It returns the smallest cover and the Lagrangian bound.
func (c *coverInst) improveCover(best []int32, stop func() bool) ([]int32, int) {
	lb := 0
	for share := 0.3; !stop(); share /= 2 {
		var b int
		best, b = c.fixAndRun(best, share, 2000, stop)
		lb = max(lb, b)
		if len(best) <= lb || share*float64(len(best)) < 1 {
			break
		}
	}
	return best, lb
}
