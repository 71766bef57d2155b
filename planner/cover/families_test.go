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
	"runtime"
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

// hardFamilies are larger families for TestSolveHardFamiliesMatchCBC: 1,500
// demand points, 300 to 1,000 candidates, radii from 0.05 (sparse) to 0.15
// (dense coverage), K 4 to 30. They were chosen before the solver was run
// on them.
var hardFamilies = []geoFamily{
	{"clustered_1000_r08_k10", 1500, 1000, 0.08, 10, true, false},
	{"uniform_600_r07_k20", 1500, 600, 0.07, 20, false, false},
	{"clustered_skew_600_r10_k8", 1500, 600, 0.10, 8, true, true},
	{"uniform_300_r12_k5", 1500, 300, 0.12, 5, false, false},
	{"clustered_300_r05_k30", 1500, 300, 0.05, 30, true, false},
	{"uniform_skew_1000_r05_k25", 1500, 1000, 0.05, 25, false, true},
	{"clustered_400_r15_k4", 1500, 400, 0.15, 4, true, false},
	{"uniform_800_r09_k12", 1500, 800, 0.09, 12, false, false},
	{"clustered_skew_300_r07_k15", 1500, 300, 0.07, 15, true, true},
	{"uniform_skew_500_r06_k20", 1500, 500, 0.06, 20, false, true},
}

// cbcOptimum solves the LP file with CBC (at most cbcLimit seconds) and
// returns its best objective, the CPU time CBC used and whether CBC proved
// it optimal.
func cbcOptimum(t *testing.T, lp string) (float64, time.Duration, bool) {
	t.Helper()
	sol := lp + ".sol"
	cmd := exec.Command("cbc", lp, "sec", strconv.Itoa(cbcLimit), "solve", "solu", sol)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cbc %s: %v\n%s", lp, err, out)
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	b, err := os.ReadFile(sol)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	optimal := strings.HasPrefix(first, "Optimal")
	if !optimal && !strings.HasPrefix(first, "Stopped on time") {
		t.Fatalf("cbc %s: %q", lp, first)
	}
	f := strings.Fields(first)
	v, err := strconv.ParseFloat(f[len(f)-1], 64)
	if err != nil {
		t.Fatalf("cbc %s: objective in %q: %v", lp, first, err)
	}
	return v, cpu, optimal
}

// cbcLimit bounds each CBC run (seconds): some set-covering models of the
// larger families take CBC minutes.
const cbcLimit = 120

// writeSetCoverLP writes the set covering model of p (fewest candidates
// covering every item of positive weight that some candidate covers).
func writeSetCoverLP(t *testing.T, path string, p *Problem) {
	t.Helper()
	var b strings.Builder
	b.WriteString("Minimize\n obj:")
	for j := range p.Sets {
		fmt.Fprintf(&b, " + x%d", j)
	}
	b.WriteString("\nSubject To\n")
	cover := make([][]int, len(p.Weights))
	for j, s := range p.Sets {
		for _, i := range s {
			cover[i] = append(cover[i], j)
		}
	}
	for i, js := range cover {
		if len(js) == 0 || p.Weights[i] == 0 {
			continue
		}
		fmt.Fprintf(&b, " c%d:", i)
		for _, j := range js {
			fmt.Fprintf(&b, " + x%d", j)
		}
		b.WriteString(" >= 1\n")
	}
	b.WriteString("Binaries\n")
	for j := range p.Sets {
		fmt.Fprintf(&b, " x%d\n", j)
	}
	b.WriteString("End\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSolveMaxFamiliesMatchCBC solves 20 instances of our own small
// families (two per family) exactly and checks each against CBC's optimum:
// maximal covering on the model WriteLP exports, and set covering (target
// 1) on the set covering model.
func TestSolveMaxFamiliesMatchCBC(t *testing.T) {
	checkFamiliesAgainstCBC(t, geoFamilies, true)
}

// TestSolveHardFamiliesMatchCBC does the same on 20 larger instances. Set
// covering is not yet always proven minimal on them within the limit (see
// BENCHMARKS.md): there it must be valid, its lower bound at most CBC's
// minimum, and a proven minimum must equal CBC's. It runs when
// LIFECIRCLE_HARD_FAMILIES is set (BENCHMARKS.md gives its figures): CBC
// alone takes minutes on some of its set covers.
func TestSolveHardFamiliesMatchCBC(t *testing.T) {
	if os.Getenv("LIFECIRCLE_HARD_FAMILIES") == "" {
		t.Skip("the larger families take CBC up to minutes each (about 9 minutes in all on 2 cores): LIFECIRCLE_HARD_FAMILIES=1 go test ./planner/cover -run TestSolveHardFamiliesMatchCBC -v")
	}
	checkFamiliesAgainstCBC(t, hardFamilies, false)
}

// checkFamiliesAgainstCBC solves two instances per family; setProven
// requires every set cover to be proven minimal.
func checkFamiliesAgainstCBC(t *testing.T, fams []geoFamily, setProven bool) {
	if _, err := exec.LookPath("cbc"); err != nil {
		t.Skip("cbc is not installed (Debian package coinor-cbc): cannot check against an outside solver")
	}
	dir := t.TempDir()
	for _, f := range fams {
		for seed := uint64(1); seed <= 2; seed++ {
			name := fmt.Sprintf("%s_%d", f.name, seed)
			t.Run(name, func(t *testing.T) {
				p := geoInstance(f, seed)
				checkMaxAgainstCBC(t, filepath.Join(dir, name), p, f.k)
				checkSetAgainstCBC(t, filepath.Join(dir, name+"_set"), p, setProven)
			})
		}
	}
}

// cpuTimer returns a function giving the process's CPU time (user + system,
// all threads) spent since cpuTimer was called, comparable with CBC's.
func cpuTimer() func() time.Duration {
	c := shareddata.CPUClock()
	t0 := c()
	procs := time.Duration(runtime.GOMAXPROCS(0))
	return func() time.Duration { return (c() - t0) * procs }
}

func checkMaxAgainstCBC(t *testing.T, base string, p *Problem, k int) {
	var buf bytes.Buffer
	if err := WriteLP(&buf, p, k, nil); err != nil {
		t.Fatal(err)
	}
	lp := base + ".lp"
	if err := os.WriteFile(lp, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	want, cbcCPU, cbcOpt := cbcOptimum(t, lp)
	if !cbcOpt {
		t.Fatalf("CBC did not prove the maximal covering optimum within %d s", cbcLimit)
	}
	clock := cpuTimer()
	res, err := SolveMax(context.Background(), p, Options{K: k, TimeLimit: refTimeLimit, Clock: shareddata.CPUClock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("max cover K=%d: objective %v CBC %v, optimal %v, %d nodes, CPU %v (CBC CPU %v)", k, res.Objective, want, res.Optimal, res.Nodes,
		clock().Round(time.Millisecond), cbcCPU.Round(time.Millisecond))
	if !res.Optimal || math.Abs(res.Objective-want) > 1e-6 {
		t.Errorf("objective %v (optimal %v), CBC's optimum %v", res.Objective, res.Optimal, want)
	}
	if got := coverValue(p, res.Chosen); got != res.Objective {
		t.Errorf("chosen sites cover %v, objective says %v", got, res.Objective)
	}
}

func checkSetAgainstCBC(t *testing.T, base string, p *Problem, proven bool) {
	lp := base + ".lp"
	writeSetCoverLP(t, lp, p)
	want, cbcCPU, cbcOpt := cbcOptimum(t, lp)
	clock := cpuTimer()
	sc, err := SolveSet(context.Background(), p, 1, Options{TimeLimit: refTimeLimit, Clock: shareddata.CPUClock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("set cover: %d sites (lower bound %d, optimal %v, %d nodes) CBC %v (optimal %v), CPU %v (CBC CPU %v)", len(sc.Chosen), sc.LowerBound, sc.Optimal,
		sc.Nodes, want, cbcOpt, clock().Round(time.Millisecond), cbcCPU.Round(time.Millisecond))
	if !cbcOpt {
		// CBC's best is only an upper bound on the minimum.
		if sc.Optimal && float64(len(sc.Chosen)) > want || float64(sc.LowerBound) > want {
			t.Errorf("set cover: %d sites (lower bound %d, optimal %v), CBC found %v", len(sc.Chosen), sc.LowerBound, sc.Optimal, want)
		}
	} else {
		if (proven || sc.Optimal) && (!sc.Optimal || float64(len(sc.Chosen)) != want) {
			t.Errorf("set cover: %d sites (optimal %v), CBC's minimum %v", len(sc.Chosen), sc.Optimal, want)
		}
		if float64(sc.LowerBound) > want || float64(len(sc.Chosen)) < want {
			t.Errorf("set cover: %d sites, lower bound %d, CBC's minimum %v", len(sc.Chosen), sc.LowerBound, want)
		}
	}
	if sc.Covered < sc.Coverable {
		t.Errorf("set cover covers %v of %v", sc.Covered, sc.Coverable)
	}
	if got := coverValue(p, sc.Chosen); got != sc.Covered {
		t.Errorf("chosen sites cover %v, result says %v", got, sc.Covered)
	}
}
