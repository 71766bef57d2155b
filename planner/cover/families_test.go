package cover

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data/shareddata"
)

// geoFamily describes a family of random geometric covering instances:
// demand points in the unit square (uniform or clustered around towns),
// candidates at random points, coverage within a radius.
type geoFamily struct {
	name      string
	points    int
	cands     int
	radius    float64
	k         int
	clustered bool
	skew      bool // heavy-tailed weights (a few dense blocks) instead of uniform
}

// geoInstance draws one instance of f from seed.
func geoInstance(f geoFamily, seed uint64) *Problem {
	r := rand.New(rand.NewPCG(seed, uint64(f.points)))
	type pt struct{ x, y float64 }
	towns := make([]pt, 5)
	for k := range towns {
		towns[k] = pt{r.Float64(), r.Float64()}
	}
	draw := func() pt {
		if !f.clustered {
			return pt{r.Float64(), r.Float64()}
		}
		t := towns[r.IntN(len(towns))]
		return pt{min(1, max(0, t.x+0.12*r.NormFloat64())), min(1, max(0, t.y+0.12*r.NormFloat64()))}
	}
	pts := make([]pt, f.points)
	p := &Problem{Weights: make([]float64, f.points), Sets: make([][]int32, f.cands)}
	for i := range pts {
		pts[i] = draw()
		if f.skew {
			p.Weights[i] = math.Floor(math.Pow(r.Float64(), -1.5)) // Pareto-like, ≥ 1
			if r.IntN(10) == 0 {
				p.Weights[i] = 0
			}
		} else {
			p.Weights[i] = float64(1 + r.IntN(20))
		}
	}
	for j := range p.Sets {
		c := draw()
		for i, q := range pts {
			if dx, dy := q.x-c.x, q.y-c.y; dx*dx+dy*dy <= f.radius*f.radius {
				p.Sets[j] = append(p.Sets[j], int32(i))
			}
		}
	}
	return p
}

// geoFamilies are the families of TestSolveMaxFamiliesMatchCBC: sparse and
// dense candidates, small and large radii, uniform and clustered demand,
// uniform and skewed weights, K from 3 to 25. None is tuned to the solver.
var geoFamilies = []geoFamily{
	{"uniform_sparse_r08_k5", 400, 60, 0.08, 5, false, false},
	{"uniform_dense_r06_k10", 500, 150, 0.06, 10, false, false},
	{"clustered_r10_k8", 500, 120, 0.10, 8, true, false},
	{"clustered_skew_r07_k12", 600, 150, 0.07, 12, true, true},
	{"uniform_skew_r15_k3", 400, 100, 0.15, 3, false, true},
	{"clustered_small_r04_k25", 600, 200, 0.04, 25, true, false},
	{"uniform_large_r20_k4", 300, 80, 0.20, 4, false, false},
	{"clustered_skew_r12_k6", 500, 100, 0.12, 6, true, true},
	{"uniform_r05_k15", 500, 120, 0.05, 15, false, true},
	{"clustered_dense_r08_k10", 700, 250, 0.08, 10, true, false},
}

// cbcOptimum solves the LP file with CBC and returns its optimal objective.
func cbcOptimum(t *testing.T, lp string) float64 {
	t.Helper()
	sol := lp + ".sol"
	out, err := exec.Command("cbc", lp, "solve", "solu", sol).CombinedOutput()
	if err != nil {
		t.Fatalf("cbc %s: %v\n%s", lp, err, out)
	}
	b, err := os.ReadFile(sol)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	if !strings.HasPrefix(first, "Optimal") {
		t.Fatalf("cbc %s: %q", lp, first)
	}
	f := strings.Fields(first)
	v, err := strconv.ParseFloat(f[len(f)-1], 64)
	if err != nil {
		t.Fatalf("cbc %s: objective in %q: %v", lp, first, err)
	}
	return v
}

// TestSolveMaxFamiliesMatchCBC solves 20 instances of our own families
// (two per family) exactly and checks each objective against CBC's optimum
// on the model WriteLP exports.
func TestSolveMaxFamiliesMatchCBC(t *testing.T) {
	if _, err := exec.LookPath("cbc"); err != nil {
		t.Skip("cbc is not installed (Debian package coinor-cbc): cannot check against an outside solver")
	}
	dir := t.TempDir()
	for _, f := range geoFamilies {
		for seed := uint64(1); seed <= 2; seed++ {
			name := fmt.Sprintf("%s_%d", f.name, seed)
			t.Run(name, func(t *testing.T) {
				p := geoInstance(f, seed)
				var buf bytes.Buffer
				if err := WriteLP(&buf, p, f.k, nil); err != nil {
					t.Fatal(err)
				}
				lp := filepath.Join(dir, name+".lp")
				if err := os.WriteFile(lp, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				want := cbcOptimum(t, lp)
				cbcTime := time.Since(start)
				res, err := SolveMax(context.Background(), p, Options{K: f.k, TimeLimit: refTimeLimit, Clock: shareddata.CPUClock()})
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("objective %v CBC %v, optimal %v, %d nodes, %v (CBC %v)", res.Objective, want, res.Optimal, res.Nodes,
					res.Timings["total"].Round(time.Millisecond), cbcTime.Round(time.Millisecond))
				if !res.Optimal || math.Abs(res.Objective-want) > 1e-6 {
					t.Errorf("objective %v (optimal %v), CBC's optimum %v", res.Objective, res.Optimal, want)
				}
				if got := coverValue(p, res.Chosen); got != res.Objective {
					t.Errorf("chosen sites cover %v, objective says %v", got, res.Objective)
				}
			})
		}
	}
}
