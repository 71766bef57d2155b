package cover

import (
	"math"
	"sort"
	"sync"
)

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
