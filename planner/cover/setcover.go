package cover

import (
	"context"
	"fmt"
	"math"
	"time"
)

// SolveSet finds few candidate sites whose newly covered weight reaches
// target (a share in (0, 1]) of the coverable weight: lazy greedy until the
// target is reached, removal of redundant sites, moves that add one site to
// make two others redundant, exact search in small separate clusters (full
// cover only), then repeated attempts to reach the target with one site
// fewer by the maximal-covering search, and last the exact search on the
// number of sites (branch and bound with LP bounds; for a full cover on
// its core — forced sites in, dominated items and sites out — improved
// first by a Lagrangian heuristic, one separate cluster of the core at a
// time). LowerBound is the largest of a counting bound, the Lagrangian
// set-covering bounds (full cover; of the whole and of the core), the
// maximal-covering bounds proving that fewer sites fall short and what the
// exact search proved.
// o.K > 0 caps the number of sites; the result then may fall short of Target.
func SolveSet(ctx context.Context, p *Problem, target float64, o Options) (*SetResult, error) {
	start := time.Now()
	if math.IsNaN(target) || target <= 0 || target > 1 {
		return nil, fmt.Errorf("set cover: target share %v is outside (0, 1]: give the wanted coverage as a fraction, e.g. 0.95", target)
	}
	if o.K < 0 {
		return nil, fmt.Errorf("set cover: site cap K = %d is negative: use 0 for no cap", o.K)
	}
	clock, err := newCoverClock(ctx, o, start)
	if err != nil {
		return nil, fmt.Errorf("set cover: %w", err)
	}
	c, err := newCoverInst(p)
	if err != nil {
		return nil, fmt.Errorf("set cover: %w", err)
	}
	res := &SetResult{Coverable: c.coverable, Target: target * c.coverable, Timings: map[string]time.Duration{}}
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
	res.Timings["reduce"] = time.Since(t)
	t = time.Now()
	if c.fullCover(need) && st.obj >= need && len(st.sol) > res.LowerBound {
		st, err = c.proveSetCore(st, clock, res)
	} else {
		st, err = c.proveSet(st, need, clock, res)
	}
	if err != nil {
		return nil, err
	}
	res.Timings["exact"] = time.Since(t)
	st.recount()
	res.Covered = st.obj
	res.Optimal = st.obj >= need && len(st.sol) <= res.LowerBound
	res.Chosen, res.Gains = c.rank(st.sol, make([]int32, c.nItem))
	res.Timings["total"] = time.Since(start)
	return res, nil
}

// proveSet is branch and bound on the number of sites: while the best
// solution st has more sites than the lower bound, it searches exactly for
// one site fewer reaching need (LP-bounded branch and bound of maximal
// covering on the reduced instance, pruning every node whose bound falls
// short of need). A solution found replaces st; a search that finishes
// without one proves len(st.sol) the minimum.
func (c *coverInst) proveSet(st *coverState, need float64, clock coverClock, res *SetResult) (*coverState, error) {
	if st.obj < need || len(st.sol) <= res.LowerBound || clock.stop() {
		return st, nil
	}
	r, err := c.reduce()
	if err != nil {
		return nil, fmt.Errorf("set cover: %w", err)
	}
	goal := need
	if !c.integral {
		goal = need - 1e-9*c.coverable // merged weights may round differently
	}
	for len(st.sol) > res.LowerBound && !clock.stop() {
		k := len(st.sol) - 1
		er := exactReach(r, k, goal, clock.stop)
		if err := clock.err(); err != nil {
			return nil, fmt.Errorf("set cover: %w", err)
		}
		res.Nodes += er.nodes
		if er.sol != nil {
			next := newCoverState(c, make([]int32, c.nItem), nil)
			next.reset(er.sol) // counts the items, unlike newCoverState
			next.recount()
			next.dropRedundant(need)
			if next.obj < need || len(next.sol) >= len(st.sol) {
				break
			}
			st = next
			continue
		}
		if er.proven {
			res.LowerBound = max(res.LowerBound, k+1)
		}
		break
	}
	return st, nil
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
	local := make([]int32, c.nItem) // item → local index within a component
	saved, totalNodes := 0, 0
	for _, cands := range c.components() {
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
