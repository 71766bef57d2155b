package cover

import (
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

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
