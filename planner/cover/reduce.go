package cover

import (
	"fmt"
	"slices"
)

// --- problem reduction for the exact search ---

// reduced is a coverInst shrunk without changing any optimum: items covered
// by the same candidates merged into one item of their summed weight, and
// candidates dropped whose coverage set is contained in another's (equal
// sets keep the lowest index). A dominated site can always be replaced by
// its dominator, or dropped when that is chosen too, without losing weight,
// so an optimal choice among the kept candidates is optimal for the whole.
type reduced struct {
	c        *coverInst
	cand     []int32 // reduced candidate → candidate of the original inst
	itemOf   []int32 // original active item → reduced item, -1 when no kept candidate covers it
	origCand int     // candidates before reduction
}

// reduce builds the reduced instance of c.
func (c *coverInst) reduce() (*reduced, error) {
	// Merge items by their coverer lists: sort item ids by list.
	ids := make([]int32, c.nItem)
	for i := range ids {
		ids[i] = int32(i)
	}
	inv := func(i int32) []int32 { return c.invIdx[c.invOff[i]:c.invOff[i+1]] }
	slices.SortFunc(ids, func(a, b int32) int {
		if x := slices.Compare(inv(a), inv(b)); x != 0 {
			return x
		}
		return int(a - b)
	})
	group := make([]int32, c.nItem)
	var w []float64
	for k, i := range ids {
		if k == 0 || slices.Compare(inv(ids[k-1]), inv(i)) != 0 {
			w = append(w, 0)
		}
		group[i] = int32(len(w) - 1)
	}
	// Sum weights in item order so the merged weights do not depend on the
	// sort's handling of equal keys.
	for i := 0; i < c.nItem; i++ {
		w[group[i]] += c.w[i]
	}
	nG := len(w)
	sets := make([][]int32, c.nCand)
	deg := make([]int32, nG)
	for j := 0; j < c.nCand; j++ {
		var s []int32
		for _, i := range c.set(int32(j)) {
			s = append(s, group[i])
		}
		slices.Sort(s)
		s = slices.Compact(s)
		sets[j] = s
		for _, g := range s {
			deg[g]++
		}
	}
	invG := make([][]int32, nG)
	for j, s := range sets {
		for _, g := range s {
			invG[g] = append(invG[g], int32(j))
		}
	}
	// Dominated candidates: look only among the coverers of the item of
	// fewest coverers in the set.
	dominated := make([]bool, c.nCand)
	for j, s := range sets {
		if len(s) == 0 {
			dominated[j] = true
			continue
		}
		rare := s[0]
		for _, g := range s[1:] {
			if deg[g] < deg[rare] {
				rare = g
			}
		}
		for _, o := range invG[rare] {
			if int(o) == j || len(sets[o]) < len(s) || (len(sets[o]) == len(s) && int(o) > j) {
				continue
			}
			if subset(s, sets[o]) {
				dominated[j] = true
				break
			}
		}
	}
	r := &reduced{origCand: c.nCand, itemOf: make([]int32, c.nItem)}
	p := &Problem{Weights: w}
	for j, s := range sets {
		if !dominated[j] {
			r.cand = append(r.cand, int32(j))
			p.Sets = append(p.Sets, s)
		}
	}
	if len(p.Sets) == 0 {
		// Nothing coverable: keep one empty candidate so the instance is valid.
		r.cand = append(r.cand, 0)
		p.Sets = append(p.Sets, nil)
	}
	rc, err := newCoverInst(p)
	if err != nil {
		return nil, fmt.Errorf("reduced instance: %w", err) // cannot happen: sets built sorted and in range
	}
	// Merged items of positive weight keep their order in newCoverInst's
	// compaction; map original items through it.
	compact := make([]int32, nG)
	for g := range compact {
		compact[g] = -1
	}
	for k, o := range rc.orig {
		compact[o] = int32(k)
	}
	for i := range r.itemOf {
		r.itemOf[i] = compact[group[i]]
	}
	rc.integral = c.integral && rc.integral
	r.c = rc
	return r, nil
}

// subset reports whether sorted a is contained in sorted b.
func subset(a, b []int32) bool {
	k := 0
	for _, x := range a {
		for k < len(b) && b[k] < x {
			k++
		}
		if k == len(b) || b[k] != x {
			return false
		}
		k++
	}
	return true
}

// lift maps a reduced λ (per reduced item) from an original one: a merged
// item's multiplier is the sum of its members', which leaves every c_j and
// Σ(w−λ) unchanged.
func (r *reduced) lift(lam []float64) []float64 {
	out := make([]float64, r.c.nItem)
	for i, g := range r.itemOf {
		if g >= 0 {
			out[g] += lam[i]
		}
	}
	for g, w := range r.c.w {
		out[g] = min(out[g], w)
	}
	return out
}
