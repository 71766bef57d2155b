package cover

import (
	"fmt"
	"math"
	"slices"
)

// --- exact set covering, one connected component at a time ---

// components returns the connected components of the candidate–item graph
// (candidates sharing an item are connected), as ascending candidate lists
// ordered by their first candidate; candidates covering nothing are left
// out.
func (c *coverInst) components() [][]int32 {
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
				parent[max(a, b)] = min(a, b)
			}
		}
	}
	index := map[int32]int{}
	var comps [][]int32
	for j := 0; j < c.nCand; j++ {
		if c.setW[j] == 0 {
			continue
		}
		r := find(int32(j))
		k, ok := index[r]
		if !ok {
			k = len(comps)
			index[r] = k
			comps = append(comps, nil)
		}
		comps[k] = append(comps[k], int32(j))
	}
	return comps
}

// subInstance is the part of c that the candidates cands (one component)
// cover, in local indices: candidate q is cands[q].
func (c *coverInst) subInstance(cands []int32) (*coverInst, error) {
	var items []int32
	for _, j := range cands {
		items = append(items, c.set(j)...)
	}
	slices.Sort(items)
	items = slices.Compact(items)
	p := &Problem{Weights: make([]float64, len(items)), Sets: make([][]int32, len(cands))}
	for l, i := range items {
		p.Weights[l] = c.w[i]
	}
	for q, j := range cands {
		for _, i := range c.set(j) {
			l, _ := slices.BinarySearch(items, i)
			p.Sets[q] = append(p.Sets[q], int32(l))
		}
	}
	sub, err := newCoverInst(p)
	if err != nil {
		return nil, fmt.Errorf("set cover: component of %d sites: %w", len(cands), err) // cannot happen: sets built sorted and in range
	}
	sub.integral = sub.integral && c.integral
	return sub, nil
}

// proveSetComponents proves or improves a full cover (every item must stay
// covered: slack is below the lightest item) one component at a time: the
// fewest sites of the whole is the sum of the components' fewest. In each
// component it searches exactly for one site fewer than st uses there until
// that is proven impossible or time runs out. res.LowerBound becomes the
// sum of the proven minima and the counting bounds of the rest.
func (c *coverInst) proveSetComponents(st *coverState, comps [][]int32, slack float64, clock coverClock, res *SetResult) (*coverState, error) {
	lbSum := 0
	for _, comp := range comps {
		cur := 0
		for _, j := range comp {
			if st.pos[j] >= 0 {
				cur++
			}
		}
		sub, err := c.subInstance(comp)
		if err != nil {
			return nil, err
		}
		need := sub.coverable - slack
		if sub.integral {
			need = sub.coverable
		}
		lb := max(1, sub.trivialLowerBound(need))
		proven := cur <= lb
		if !proven && !clock.stop() {
			var r *reduced
			if r, err = sub.reduce(); err != nil {
				return nil, fmt.Errorf("set cover: %w", err)
			}
			cur, proven = st.searchComponent(r, comp, cur, need, clock, res)
		}
		if proven {
			lbSum += cur
		} else {
			lbSum += lb
		}
	}
	if err := clock.err(); err != nil {
		return nil, fmt.Errorf("set cover: %w", err)
	}
	res.LowerBound = max(res.LowerBound, lbSum)
	return st, nil
}

// searchComponent looks for cur−1 sites of the component comp (reduced
// instance r) reaching need, adopting every such solution into s, until
// that is proven impossible (proven) or time runs out. It returns the sites
// s then uses in the component.
func (s *coverState) searchComponent(r *reduced, comp []int32, cur int, need float64, clock coverClock, res *SetResult) (int, bool) {
	for cur > 1 && !clock.stop() {
		er := exactReach(r, cur-1, need, clock.stop)
		res.Nodes += er.nodes
		if er.sol == nil {
			return cur, er.proven
		}
		for _, j := range comp {
			if p := s.pos[j]; p >= 0 {
				s.removeAt(int(p))
			}
		}
		for _, q := range er.sol {
			s.add(comp[q])
		}
		cur = len(er.sol)
	}
	return cur, cur <= 1
}

// fullCover reports whether every item must be covered to reach need:
// the slack is below the lightest item.
func (c *coverInst) fullCover(need float64) bool {
	minW := math.Inf(1)
	for _, w := range c.w {
		minW = min(minW, w)
	}
	return c.coverable-need < minW
}

// proveSetCore proves or improves a full cover on its core (setCore): the
// fewest sites are the forced ones plus the fewest of the core, which is
// searched one component at a time like proveSetComponents. The core is
// much smaller than the instance (dominated items and sites gone), so each
// LP of the search is cheaper, and it may fall apart into components that
// the whole did not. st is replaced when the core's answer is no larger.
func (c *coverInst) proveSetCore(st *coverState, clock coverClock, res *SetResult) (*coverState, error) {
	sc, err := c.newSetCore()
	if err != nil {
		return nil, fmt.Errorf("set cover: %w", err)
	}
	sol := append([]int32(nil), sc.forced...)
	if sc.c != nil {
		cs := newCoverState(sc.c, make([]int32, sc.c.nItem), nil)
		cs.reset(sc.fromSolution(st.sol))
		cs.recount()
		need := sc.c.coverable
		if cs.obj < need { // cannot happen: the mapped sites cover the core
			return st, nil
		}
		cs.dropRedundant(need)
		heur, lb := sc.c.improveCover(cs.sol, clock.until(0.15))
		if err := clock.err(); err != nil {
			return nil, fmt.Errorf("set cover: %w", err)
		}
		if len(heur) < len(cs.sol) {
			cs.reset(heur)
			cs.consolidate(need, clock.until(0.2))
		}
		res.LowerBound = max(res.LowerBound, len(sc.forced)+lb)
		coreRes := &SetResult{LowerBound: lb}
		if len(cs.sol) > lb {
			if cs, err = sc.c.proveSetComponents(cs, sc.c.components(), 0, clock, coreRes); err != nil {
				return nil, err
			}
		}
		res.Nodes += coreRes.Nodes
		res.LowerBound = max(res.LowerBound, len(sc.forced)+coreRes.LowerBound)
		for _, q := range cs.sol {
			sol = append(sol, sc.cand[q])
		}
	} else {
		res.LowerBound = max(res.LowerBound, len(sol))
	}
	if len(sol) > len(st.sol) {
		return st, nil
	}
	next := newCoverState(c, make([]int32, c.nItem), nil)
	next.reset(sol)
	next.recount()
	if slices.Contains(next.cnt, 0) { // cannot happen: forced and core sites cover everything
		return st, nil
	}
	return next, nil
}
