package cover

import (
	"math"
	"slices"
)

// --- LP relaxation of maximal covering by an interior-point method ---

// mclpLP is the LP relaxation of a maximal covering instance in local
// indices:
//
//	max Σ_i w_i y_i  s.t.  y_i ≤ Σ_{j∋i} x_j (every item),  Σ_j x_j ≤ k,
//	                       0 ≤ x, y ≤ 1.
//
// It is solved as min c·v, E v = b, 0 ≤ v ≤ u over v = (x, y, s, σ), with
// the item rows −A x + y + s = 0 and the site row 1·x + σ = k, by Mehrotra's
// predictor–corrector method. The normal equations E Θ Eᵀ = Δ + B Θx Bᵀ are
// solved through the Sherman–Morrison–Woodbury identity, so the only dense
// factorisation is of a candidates × candidates matrix: the exact search
// keeps the candidates of an LP few (column generation) while items may be
// many. Precision matters only for the quality of the bound: the caller
// turns the row duals into Lagrangian multipliers and evaluates the bound
// itself, which is valid for any multipliers in [0, w].
type mclpLP struct {
	n, m   int
	k      float64
	w      []float64 // per item, > 0
	setOff []int32   // candidate j's items: setIdx[setOff[j]:setOff[j+1]]
	setIdx []int32
	invOff []int32 // item i's candidates: invIdx[invOff[i]:invOff[i+1]]
	invIdx []int32
}

// lpSolution is the (approximate) optimum of an mclpLP.
type lpSolution struct {
	x     []float64 // per candidate, in [0, 1]
	lam   []float64 // per item: the row dual, in [0, w_i]
	obj   float64   // value of x
	bound float64   // Lagrangian bound at lam (≥ the LP optimum up to rounding)
	iters int
}

// ipmState holds the iterates of the interior-point method; the vectors
// of length nv = n+2m+1 are laid out x, y, s, σ.
type ipmState struct {
	lp              *mclpLP
	nv, nb          int // variables; variables with an upper bound (x, y)
	c, v, z         []float64
	t, om           []float64 // upper slacks and their duals, len nb
	pi              []float64 // row duals, len m+1
	theta           []float64
	rp, rd, rho     []float64
	rvz, rto        []float64
	dv, dz, dt, dom []float64
	dpi             []float64
	sMat            []float64 // n×n Woodbury matrix without the site row, lower Cholesky factor
	first           []int32   // per row of sMat: first column inside its envelope
	ones            []float64 // sMat⁻¹ 1, for the site row's rank-one term
	gamma           float64
	delta           []float64 // per row: Δ
	tmpN            []float64
	tmpM            []float64
}

func newIPM(lp *mclpLP) *ipmState {
	nv, nb, rows := lp.n+2*lp.m+1, lp.n+lp.m, lp.m+1
	f := func(n int) []float64 { return make([]float64, n) }
	return &ipmState{lp: lp, nv: nv, nb: nb, c: f(nv), v: f(nv), z: f(nv), t: f(nb), om: f(nb), pi: f(rows),
		theta: f(nv), rp: f(rows), rd: f(nv), rho: f(nv), rvz: f(nv), rto: f(nb), dv: f(nv), dz: f(nv),
		dt: f(nb), dom: f(nb), dpi: f(rows), sMat: f(lp.n * lp.n), first: make([]int32, lp.n), ones: f(lp.n), delta: f(rows), tmpN: f(lp.n), tmpM: f(rows)}
}

// solve runs the interior-point method until the bound that bound computes
// from its duals (λ per LP item, in [0, w]) falls below stopBelow, meets the
// value of its primal point, stops improving, or stop reports true. It
// returns the duals of the best bound seen and the primal point of the best
// value seen.
func (lp *mclpLP) solve(bound func(lam []float64) float64, stopBelow float64, stop func() bool) lpSolution {
	s := newIPM(lp)
	scale := 0.0
	for _, w := range lp.w {
		scale = max(scale, w)
	}
	if scale == 0 {
		scale = 1
	}
	n, m := lp.n, lp.m
	for i, w := range lp.w {
		s.c[n+i] = -w / scale
	}
	for j := range s.v {
		s.v[j], s.z[j] = 1, 1
		if j < s.nb {
			s.v[j] = 0.5
			s.t[j], s.om[j] = 0.5, 1
		}
	}
	sol := lpSolution{x: make([]float64, n), lam: make([]float64, m), bound: math.Inf(1), obj: math.Inf(-1)}
	lam, x := make([]float64, m), make([]float64, n)
	stall := 0
	for sol.iters < 60 {
		if !s.iterate() {
			break
		}
		sol.iters++
		for i, w := range lp.w {
			lam[i] = min(w, max(0, -s.pi[i]*scale))
		}
		improved := false
		if u := bound(lam); u < sol.bound {
			improved = u < sol.bound-1e-9*max(1, math.Abs(u))
			sol.bound = u
			copy(sol.lam, lam)
		}
		if v := lp.primal(s.v[:n], x); v > sol.obj {
			sol.obj = v
			copy(sol.x, x)
		}
		// Early duals are poor: count stalls only near the optimum.
		if improved || (s.mu() > 1e-7 && sol.iters < 12) {
			stall = 0
		} else {
			stall++
		}
		if sol.bound < stopBelow || sol.bound-sol.obj <= 1e-9*max(1, sol.bound) || stall >= 3 || stop() {
			break
		}
	}
	return sol
}

// lagrangian returns Σ_i (w_i − λ_i) + (sum of the k largest c_j), the
// bound at λ over this LP's candidates; cj is scratch of length n.
func (lp *mclpLP) lagrangian(lam, cj []float64) float64 {
	u := 0.0
	for i, w := range lp.w {
		u += w - lam[i]
	}
	for j := range cj {
		v := 0.0
		for _, i := range lp.setIdx[lp.setOff[j]:lp.setOff[j+1]] {
			v += lam[i]
		}
		cj[j] = v
	}
	slices.Sort(cj)
	for _, v := range cj[max(0, lp.n-int(lp.k)):] {
		u += v
	}
	return u
}

// primal clamps v to a feasible x (scaled down to Σx ≤ k) and returns its
// value Σ_i w_i min(1, Σ_{j∋i} x_j).
func (lp *mclpLP) primal(v, x []float64) float64 {
	sum := 0.0
	for j, a := range v {
		x[j] = min(1, max(0, a))
		sum += x[j]
	}
	if sum > lp.k {
		for j := range x {
			x[j] *= lp.k / sum
		}
	}
	cov := make([]float64, lp.m)
	for j, a := range x {
		for _, i := range lp.setIdx[lp.setOff[j]:lp.setOff[j+1]] {
			cov[i] += a
		}
	}
	val := 0.0
	for i, w := range lp.w {
		val += w * min(1, cov[i])
	}
	return val
}

// residuals fills rp = b − E v and rd = c − Eᵀπ − z + ω and returns their
// largest magnitudes.
func (s *ipmState) residuals() (pInf, dInf float64) {
	lp := s.lp
	m := lp.m
	s.mulE(s.v, s.rp)
	for r := range s.rp {
		s.rp[r] = -s.rp[r]
	}
	s.rp[m] += lp.k
	s.mulET(s.pi, s.rd)
	for j := range s.rd {
		s.rd[j] = s.c[j] - s.rd[j] - s.z[j]
		if j < s.nb {
			s.rd[j] += s.om[j]
		}
	}
	for _, x := range s.rp {
		pInf = max(pInf, math.Abs(x))
	}
	for _, x := range s.rd {
		dInf = max(dInf, math.Abs(x))
	}
	return pInf, dInf
}

// mu is the mean complementarity product.
func (s *ipmState) mu() float64 {
	sum := 0.0
	for j, v := range s.v {
		sum += v * s.z[j]
	}
	for j, t := range s.t {
		sum += t * s.om[j]
	}
	return sum / float64(s.nv+s.nb)
}

// mulE computes out = E v (len m+1).
func (s *ipmState) mulE(v, out []float64) {
	lp := s.lp
	n, m := lp.n, lp.m
	for i := 0; i < m; i++ {
		out[i] = v[n+i] + v[n+m+i]
	}
	out[m] = v[n+2*m]
	for j := 0; j < n; j++ {
		x := v[j]
		out[m] += x
		for _, i := range lp.setIdx[lp.setOff[j]:lp.setOff[j+1]] {
			out[i] -= x
		}
	}
}

// mulET computes out = Eᵀ p (len nv).
func (s *ipmState) mulET(p, out []float64) {
	lp := s.lp
	n, m := lp.n, lp.m
	for j := 0; j < n; j++ {
		v := p[m]
		for _, i := range lp.setIdx[lp.setOff[j]:lp.setOff[j+1]] {
			v -= p[i]
		}
		out[j] = v
	}
	for i := 0; i < m; i++ {
		out[n+i], out[n+m+i] = p[i], p[i]
	}
	out[n+2*m] = p[m]
}

// iterate makes one predictor–corrector step; false when the factorisation
// failed.
func (s *ipmState) iterate() bool {
	for j, v := range s.v {
		d := s.z[j] / v
		if j < s.nb {
			d += s.om[j] / s.t[j]
		}
		s.theta[j] = 1 / d
	}
	if !s.factor() {
		return false
	}
	// Predictor (affine scaling).
	for j, v := range s.v {
		s.rvz[j] = -v * s.z[j]
	}
	for j, t := range s.t {
		s.rto[j] = -t * s.om[j]
	}
	s.direction()
	ap, ad := s.stepLengths()
	mu := s.mu()
	aff := 0.0
	for j, v := range s.v {
		aff += (v + ap*s.dv[j]) * (s.z[j] + ad*s.dz[j])
	}
	for j, t := range s.t {
		aff += (t + ap*s.dt[j]) * (s.om[j] + ad*s.dom[j])
	}
	aff /= float64(s.nv + s.nb)
	sigma := math.Pow(aff/mu, 3)
	// Corrector with the second-order term.
	for j, v := range s.v {
		s.rvz[j] = sigma*mu - v*s.z[j] - s.dv[j]*s.dz[j]
	}
	for j, t := range s.t {
		s.rto[j] = sigma*mu - t*s.om[j] - s.dt[j]*s.dom[j]
	}
	s.direction()
	ap, ad = s.stepLengths()
	ap, ad = min(1, 0.995*ap), min(1, 0.995*ad)
	for j := range s.v {
		s.v[j] += ap * s.dv[j]
		s.z[j] += ad * s.dz[j]
	}
	for j := range s.t {
		s.t[j] += ap * s.dt[j]
		s.om[j] += ad * s.dom[j]
	}
	for r := range s.pi {
		s.pi[r] += ad * s.dpi[r]
	}
	return true
}

// stepLengths returns the largest primal and dual steps keeping the
// iterates non-negative (uncapped).
func (s *ipmState) stepLengths() (ap, ad float64) {
	ap, ad = math.Inf(1), math.Inf(1)
	for j, v := range s.v {
		if d := s.dv[j]; d < 0 {
			ap = min(ap, -v/d)
		}
		if d := s.dz[j]; d < 0 {
			ad = min(ad, -s.z[j]/d)
		}
	}
	for j, t := range s.t {
		if d := s.dt[j]; d < 0 {
			ap = min(ap, -t/d)
		}
		if d := s.dom[j]; d < 0 {
			ad = min(ad, -s.om[j]/d)
		}
	}
	return ap, ad
}

// direction solves the Newton system for the current rvz, rto (rp and rd
// are those of the last residuals call) with the factorised matrix.
func (s *ipmState) direction() {
	s.residuals()
	for j := range s.v {
		r := s.rd[j] - s.rvz[j]/s.v[j]
		if j < s.nb {
			r += s.rto[j] / s.t[j]
		}
		s.rho[j] = r * s.theta[j]
	}
	// rhs = rp + E Θ ρ
	s.mulE(s.rho, s.tmpM)
	for r := range s.tmpM {
		s.tmpM[r] += s.rp[r]
	}
	s.solveNormal(s.tmpM, s.dpi)
	s.mulET(s.dpi, s.dv)
	for j := range s.dv {
		s.dv[j] = s.theta[j]*s.dv[j] - s.rho[j]
		s.dz[j] = (s.rvz[j] - s.z[j]*s.dv[j]) / s.v[j]
		if j < s.nb {
			s.dt[j] = -s.dv[j]
			s.dom[j] = (s.rto[j] - s.om[j]*s.dt[j]) / s.t[j]
		}
	}
}

// factor builds Δ and the Cholesky factor of S₀ = Θx⁻¹ + Aᵀ Δ⁻¹ A, where
// S = S₀ + Δ_k⁻¹ 11ᵀ (B holds the x columns of E: −A over the item rows, 1
// in the site row) is handled by Sherman–Morrison. S₀ is sparse when sites
// overlap only with neighbours: its Cholesky factor stays inside the
// envelope of the rows (first nonzero column), which the candidate order of
// the LP keeps narrow.
func (s *ipmState) factor() bool {
	lp := s.lp
	n, m := lp.n, lp.m
	for i := 0; i < m; i++ {
		s.delta[i] = s.theta[n+i] + s.theta[n+m+i]
	}
	s.delta[m] = s.theta[n+2*m]
	S := s.sMat
	for a := 0; a < n; a++ {
		clear(S[a*n : a*n+a+1])
		S[a*n+a] = 1 / s.theta[a]
		s.first[a] = int32(a)
	}
	for i := 0; i < m; i++ {
		d := 1 / s.delta[i]
		cs := lp.invIdx[lp.invOff[i]:lp.invOff[i+1]]
		for p, a := range cs {
			row := S[int(a)*n:]
			s.first[a] = min(s.first[a], cs[0])
			for _, b := range cs[:p+1] {
				row[b] += d
			}
		}
	}
	if !cholesky(S, n, s.first) {
		return false
	}
	for j := range s.ones {
		s.ones[j] = 1
	}
	cholSolve(S, n, s.first, s.ones)
	sum := 0.0
	for _, u := range s.ones {
		sum += u
	}
	dk := 1 / s.delta[m]
	s.gamma = dk / (1 + dk*sum)
	return true
}

// solveNormal solves (Δ + B Θx Bᵀ) p = r by Woodbury:
// p = Δ⁻¹r − Δ⁻¹ B S⁻¹ Bᵀ Δ⁻¹ r.
func (s *ipmState) solveNormal(r, p []float64) {
	lp := s.lp
	n, m := lp.n, lp.m
	for k := range p {
		p[k] = r[k] / s.delta[k]
	}
	g := s.tmpN
	for j := 0; j < n; j++ {
		v := p[m]
		for _, i := range lp.setIdx[lp.setOff[j]:lp.setOff[j+1]] {
			v -= p[i]
		}
		g[j] = v
	}
	cholSolve(s.sMat, n, s.first, g)
	dot := 0.0
	for _, v := range g {
		dot += v
	}
	for j, u := range s.ones {
		g[j] -= s.gamma * dot * u
	}
	sum := 0.0
	for j, gj := range g {
		sum += gj
		for _, i := range lp.setIdx[lp.setOff[j]:lp.setOff[j+1]] {
			p[i] += gj / s.delta[i]
		}
	}
	p[m] -= sum / s.delta[m]
}

// cholesky factors the symmetric positive definite n×n matrix whose lower
// triangle a holds (row-major) into L Lᵀ in place, row i's entries before
// column first[i] being zero (the factor keeps that envelope). A pivot that
// vanishes (a dependent column) is replaced by a huge one, which sets that
// component of the solution to about zero, as interior-point codes do.
func cholesky(a []float64, n int, first []int32) bool {
	for j := 0; j < n; j++ {
		fj := int(first[j])
		rj := a[j*n : j*n+j+1]
		d := rj[j]
		for _, x := range rj[fj:j] {
			d -= x * x
		}
		if math.IsNaN(d) {
			return false
		}
		if d <= 1e-30*math.Abs(rj[j]) || d <= 0 {
			d = 1e128
		}
		d = math.Sqrt(d)
		rj[j] = d
		for i := j + 1; i < n; i++ {
			fi := int(first[i])
			if fi > j {
				continue
			}
			ri := a[i*n : i*n+j+1]
			v := ri[j]
			f := max(fi, fj)
			for k, x := range rj[f:j] {
				v -= ri[f+k] * x
			}
			ri[j] = v / d
		}
	}
	return true
}

// cholSolve solves L Lᵀ x = b in place with the factor from cholesky.
func cholSolve(a []float64, n int, first []int32, b []float64) {
	for i := 0; i < n; i++ {
		v := b[i]
		f := int(first[i])
		for k, x := range a[i*n+f : i*n+i] {
			v -= x * b[f+k]
		}
		b[i] = v / a[i*n+i]
	}
	for i := n - 1; i >= 0; i-- {
		v := b[i] / a[i*n+i]
		b[i] = v
		f := int(first[i])
		for k, x := range a[i*n+f : i*n+i] {
			b[f+k] -= x * v
		}
	}
}
