package cover

import (
	"math"
	"slices"
)

// --- LP bound of a branch-and-bound node by column generation ---

// lpPool is the set of free candidates the node LPs are built on. It grows
// by column generation and shrinks back when the search leaves a node.
type lpPool struct {
	in   []bool  // per candidate
	list []int32 // pool members in insertion order
	loc  []int32 // per item: local index while an LP is built, else -1
	x    []float64
	has  bool // x holds the LP solution of the current node
}

func newLPPool(c *coverInst) *lpPool {
	p := &lpPool{in: make([]bool, c.nCand), loc: make([]int32, c.nItem), x: make([]float64, c.nCand)}
	for i := range p.loc {
		p.loc[i] = -1
	}
	return p
}

func (p *lpPool) add(j int32) {
	if !p.in[j] {
		p.in[j] = true
		p.list = append(p.list, j)
	}
}

// truncate drops the members added after the first n.
func (p *lpPool) truncate(n int) {
	for _, j := range p.list[n:] {
		p.in[j] = false
	}
	p.list = p.list[:n]
}

// buildLP makes the LP of the node over the free pool candidates: items of
// positive effective weight they cover, with k' sites, items covered by the
// same pool candidates merged into one of their summed weight (exact for
// the LP; a merged dual splits in proportion to weight). cands maps local
// candidates back, items the covered items, group each of them to its LP
// item.
func (b *bnb) buildLP() (lp *mclpLP, cands, items, group []int32) {
	for _, j := range b.pool.list {
		if b.status[j] == 0 {
			cands = append(cands, j)
		}
	}
	setOff, setIdx, items := b.localSets(cands)
	invOff, invIdx := invert(len(items), setOff, setIdx)
	order := envelopeOrder(len(cands), setOff, setIdx, invOff, invIdx)
	perm := make([]int32, len(cands))
	for k, q := range order {
		perm[k] = cands[q]
	}
	cands = perm
	setOff, setIdx, items = b.localSets(cands)
	invOff, invIdx = invert(len(items), setOff, setIdx)
	group, nG := mergeRows(invOff, invIdx)
	lp = &mclpLP{k: float64(b.kLeft), n: len(cands), m: nG, w: make([]float64, nG)}
	for l, i := range items {
		lp.w[group[l]] += b.wEff[i]
	}
	last := make([]int32, nG)
	for g := range last {
		last[g] = -1
	}
	lp.setOff = append(lp.setOff, 0)
	for j := 0; j < lp.n; j++ {
		for _, l := range setIdx[setOff[j]:setOff[j+1]] {
			if g := group[l]; last[g] != int32(j) {
				last[g] = int32(j)
				lp.setIdx = append(lp.setIdx, g)
			}
		}
		lp.setOff = append(lp.setOff, int32(len(lp.setIdx)))
	}
	lp.invOff, lp.invIdx = invert(nG, lp.setOff, lp.setIdx)
	return lp, cands, items, group
}

// localSets lists, per candidate of cands, the local indices of the items
// of positive effective weight it covers; items maps them back.
func (b *bnb) localSets(cands []int32) (setOff, setIdx, items []int32) {
	loc := b.pool.loc
	setOff = append(setOff, 0)
	for _, j := range cands {
		for _, i := range b.c.set(j) {
			if b.wEff[i] <= 0 {
				continue
			}
			if loc[i] < 0 {
				loc[i] = int32(len(items))
				items = append(items, i)
			}
			setIdx = append(setIdx, loc[i])
		}
		setOff = append(setOff, int32(len(setIdx)))
	}
	for _, i := range items {
		loc[i] = -1
	}
	return setOff, setIdx, items
}

// envelopeOrder returns a reverse Cuthill–McKee order of the n columns
// (columns sharing a row are neighbours): breadth-first from a column of
// fewest rows, reversed, so that the Cholesky envelope of the interior-point
// matrix stays narrow when sites overlap only locally.
func envelopeOrder(n int, off, idx, invOff, invIdx []int32) []int32 {
	seen := make([]bool, n)
	order := make([]int32, 0, n)
	byDeg := make([]int32, n)
	for j := range byDeg {
		byDeg[j] = int32(j)
	}
	slices.SortStableFunc(byDeg, func(a, b int32) int { return int((off[a+1] - off[a]) - (off[b+1] - off[b])) })
	for _, s := range byDeg {
		if seen[s] {
			continue
		}
		seen[s] = true
		order = append(order, s)
		for h := len(order) - 1; h < len(order); h++ {
			j := order[h]
			for _, i := range idx[off[j]:off[j+1]] {
				for _, o := range invIdx[invOff[i]:invOff[i+1]] {
					if !seen[o] {
						seen[o] = true
						order = append(order, o)
					}
				}
			}
		}
	}
	slices.Reverse(order)
	return order
}

// invert turns per-column row lists (ascending columns) into per-row column
// lists, ascending.
func invert(rows int, off, idx []int32) (invOff, invIdx []int32) {
	invOff = make([]int32, rows+1)
	for _, i := range idx {
		invOff[i+1]++
	}
	for i := 0; i < rows; i++ {
		invOff[i+1] += invOff[i]
	}
	invIdx = make([]int32, len(idx))
	fill := slices.Clone(invOff[:rows])
	for j := 0; j+1 < len(off); j++ {
		for _, i := range idx[off[j]:off[j+1]] {
			invIdx[fill[i]] = int32(j)
			fill[i]++
		}
	}
	return invOff, invIdx
}

// mergeRows groups rows with identical column lists; group numbers follow
// the first row of each group.
func mergeRows(off, idx []int32) (group []int32, n int) {
	rows := len(off) - 1
	list := func(i int32) []int32 { return idx[off[i]:off[i+1]] }
	ids := make([]int32, rows)
	for i := range ids {
		ids[i] = int32(i)
	}
	slices.SortFunc(ids, func(a, b int32) int {
		if x := slices.Compare(list(a), list(b)); x != 0 {
			return x
		}
		return int(a - b)
	})
	group = make([]int32, rows)
	first := make([]int32, 0)
	for k, i := range ids {
		if k == 0 || slices.Compare(list(ids[k-1]), list(i)) != 0 {
			first = append(first, i)
		}
		group[i] = int32(len(first) - 1)
	}
	// Renumber groups by their first row so the numbering is stable.
	order := make([]int32, len(first))
	for g := range order {
		order[g] = int32(g)
	}
	slices.SortFunc(order, func(a, b int32) int { return int(first[a] - first[b]) })
	rank := make([]int32, len(first))
	for r, g := range order {
		rank[g] = int32(r)
	}
	for i := range group {
		group[i] = rank[group[i]]
	}
	return group, len(first)
}

// seedPool adds the free candidates of largest c_j (at the current λ, as
// left by eval) to the pool: enough for the LP to choose among.
func (b *bnb) seedPool() {
	want := min(3*b.kLeft+20, maxPool-len(b.pool.list))
	for _, j := range b.order {
		if want <= 0 {
			break
		}
		if !b.pool.in[j] {
			b.pool.add(j)
		}
		want--
	}
}

// lpBound solves the node's LP relaxation by column generation over the
// pool and returns the Lagrangian bound at the LP duals (valid whatever the
// LP's precision). λ is left at the best of the LP duals and the λ the node
// had, and pool.x at the last LP solution.
func (b *bnb) lpBound() float64 {
	saved := slices.Clone(b.lam)
	best := b.eval()
	b.pool.has = false
	for round := 0; round < 30; round++ {
		lp, cands, items, group := b.buildLP()
		if lp.n == 0 {
			break
		}
		setLam := func(lam []float64) {
			for i, w := range b.wEff {
				b.lam[i] = w
			}
			for l, i := range items {
				g := group[l]
				b.lam[i] = min(b.wEff[i], lam[g]*b.wEff[i]/lp.w[g])
			}
		}
		sol := lp.solve(func(lam []float64) float64 {
			setLam(lam)
			return b.eval()
		}, b.goal, b.stop)
		setLam(sol.lam)
		u := b.eval()
		if u < best {
			best = u
			copy(saved, b.lam)
		}
		clear(b.pool.x)
		for l, j := range cands {
			b.pool.x[j] = sol.x[l]
		}
		b.pool.has = true
		b.lpHeuristic(cands, sol.x)
		if best < b.goal || b.best >= b.stopAt || b.stop() {
			break
		}
		if !b.price() {
			break
		}
	}
	copy(b.lam, saved)
	return best
}

// maxPool caps the candidates of a node LP: the interior-point method
// factors a dense pool × pool matrix (at worst n³/3 operations per
// iteration). Beyond it the node keeps the Lagrangian bound at the last
// LP's duals, which is valid but may be weaker than the LP bound.
const maxPool = 1200

// price adds to the pool the free candidates outside it that the last
// evaluation put in the top k' (their columns have positive reduced cost);
// false when there are none, so the LP over the pool is the node's LP.
func (b *bnb) price() bool {
	kk := min(b.kLeft, len(b.order))
	if kk == 0 {
		return false
	}
	cut := b.cj[b.order[kk-1]]
	added := 0
	for _, j := range b.order {
		if b.cj[j] < cut-1e-9*max(1, math.Abs(cut)) || added >= 2*kk+10 || len(b.pool.list) >= maxPool {
			break
		}
		if !b.pool.in[j] {
			b.pool.add(j)
			added++
		}
	}
	return added > 0
}

// lpHeuristic offers the k' candidates of largest LP value as a solution.
func (b *bnb) lpHeuristic(cands []int32, x []float64) {
	idx := make([]int, len(cands))
	for l := range idx {
		idx[l] = l
	}
	slices.SortFunc(idx, func(p, q int) int {
		if x[p] != x[q] {
			if x[p] > x[q] {
				return -1
			}
			return 1
		}
		return int(cands[p] - cands[q])
	})
	var pick []int32
	for _, l := range idx[:min(b.kLeft, len(idx))] {
		pick = append(pick, cands[l])
	}
	b.value(pick)
}

// lpBranchSite picks the pool candidate whose LP value is most fractional;
// -1 when the LP solution is (nearly) integral.
func (b *bnb) lpBranchSite() int32 {
	if !b.pool.has {
		return -1
	}
	best, score := int32(-1), 1e-6
	for _, j := range b.pool.list {
		if b.status[j] != 0 {
			continue
		}
		x := b.pool.x[j]
		if s := min(x, 1-x); s > score+1e-9 {
			best, score = j, s
		}
	}
	return best
}
