package cover

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// rootLP is the LP relaxation of p with k sites over all candidates of its
// reduced instance, as the branch and bound builds it at the root.
func rootLP(t testing.TB, p *Problem, k int) *mclpLP {
	c, err := newCoverInst(p)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.reduce()
	if err != nil {
		t.Fatal(err)
	}
	b := newBnb(r.c, k, func() bool { return false })
	for j := 0; j < r.c.nCand; j++ {
		b.pool.add(int32(j))
	}
	lp, _, _, _ := b.buildLP()
	return lp
}

// TestLPRelaxationMatchesCBC checks the interior-point LP bound against
// CBC's LP relaxation of the model WriteLP exports: the bound must not be
// below CBC's LP optimum (it is valid) and within 1e-6 of it.
func TestLPRelaxationMatchesCBC(t *testing.T) {
	if _, err := exec.LookPath("cbc"); err != nil {
		t.Skip("cbc is not installed (Debian package coinor-cbc): cannot check against an outside solver")
	}
	re := regexp.MustCompile(`Optimal - objective value (\S+)`)
	dir := t.TempDir()
	for _, f := range geoFamilies[:6] {
		t.Run(f.name, func(t *testing.T) {
			p := geoInstance(f, 3)
			var buf bytes.Buffer
			if err := WriteLP(&buf, p, f.k, nil); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, f.name+".lp")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("cbc", path, "initialSolve").CombinedOutput()
			if err != nil {
				t.Fatalf("cbc: %v\n%s", err, out)
			}
			m := re.FindSubmatch(out)
			if m == nil {
				t.Fatalf("cbc printed no LP optimum:\n%s", out)
			}
			want, err := strconv.ParseFloat(string(m[1]), 64)
			if err != nil {
				t.Fatal(err)
			}
			lp := rootLP(t, p, f.k)
			cj := make([]float64, lp.n)
			sol := lp.solve(func(lam []float64) float64 { return lp.lagrangian(lam, cj) }, math.Inf(-1), func() bool { return false })
			t.Logf("LP bound %v, value of its point %v, CBC's LP optimum %v, %d iterations", sol.bound, sol.obj, want, sol.iters)
			// CBC prints 8 significant digits.
			tol := 1e-6*want + 0.01
			if sol.bound < want-tol || sol.bound > want+tol {
				t.Errorf("LP bound %v, CBC's LP optimum %v", sol.bound, want)
			}
			if sol.obj > want+tol {
				t.Errorf("primal value %v above CBC's LP optimum %v", sol.obj, want)
			}
		})
	}
}

// BenchmarkLPRelaxation times one root LP solve of a reference-sized
// random instance (3,000 points, 300 candidates).
func BenchmarkLPRelaxation(b *testing.B) {
	for _, f := range []geoFamily{
		{"clustered_300_r06_k30", 3000, 300, 0.06, 30, true, false},
		{"uniform_300_r12_k5", 1500, 300, 0.12, 5, false, false},
	} {
		b.Run(f.name, func(b *testing.B) {
			lp := rootLP(b, geoInstance(f, 1), f.k)
			cj := make([]float64, lp.n)
			b.ResetTimer()
			var sol lpSolution
			for b.Loop() {
				sol = lp.solve(func(lam []float64) float64 { return lp.lagrangian(lam, cj) }, math.Inf(-1), func() bool { return false })
			}
			b.ReportMetric(float64(sol.iters), "iters")
			b.ReportMetric(float64(lp.n), "cands")
			b.ReportMetric(float64(lp.m), "items")
		})
	}
}
