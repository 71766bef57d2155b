package cover

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data/shareddata"
)

// The flag has its own name so that it cannot clash with other golden tests
// of the package.
var updateLP = flag.Bool("update-lp", false, "rewrite testdata/cover_*.lp")

// coverLPCase is the greedy trap plus a fixed item (6) and an item no
// candidate covers (7), with names that need sanitising.
func coverLPCase() (*Problem, []string) {
	p := coverTrap()
	p.Weights = append(p.Weights, 5, 9)
	p.Weights[2] = 2.5
	p.Sets[0] = append(p.Sets[0], 6)
	p.Fixed = make([]bool, len(p.Weights))
	p.Fixed[6] = true
	return p, []string{"west lot", "east\nlot", "central hall 中心"}
}

func TestWriteLPGolden(t *testing.T) {
	p, names := coverLPCase()
	var buf bytes.Buffer
	if err := WriteLP(&buf, p, 2, names); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "cover_trap.lp")
	if *updateLP {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update-lp to create it)", err)
	}
	if got := buf.String(); got != string(want) {
		t.Errorf("LP differs from %s:\n%s\nwant:\n%s", golden, got, want)
	}
	// Independent of the golden file: the rows a reader needs.
	text := buf.String()
	for _, s := range []string{
		"obj: 1 y0 + 1 y1 + 2.5 y2 + 1 y3 + 1 y4 + 1 y5\n",
		" c2: y2 - x0 - x2 <= 0\n",
		" sites: x0 + x1 + x2 <= 2\n",
		"\\ x1 = east lot\n",
		"End\n",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("LP lacks %q", s)
		}
	}
	for _, s := range []string{"y6", "y7"} {
		if strings.Contains(text, s) {
			t.Errorf("LP mentions %s, a fixed or uncoverable item", s)
		}
	}
}

func TestWriteLPErrors(t *testing.T) {
	p, names := coverLPCase()
	tests := []struct {
		name  string
		p     *Problem
		k     int
		names []string
	}{
		{"k zero", p, 0, nil},
		{"names short", p, 2, names[:2]},
		{"no candidates", &Problem{Weights: []float64{1}}, 1, nil},
		{"unsorted set", &Problem{Weights: []float64{1, 1}, Sets: [][]int32{{1, 0}}}, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := WriteLP(&bytes.Buffer{}, tc.p, tc.k, tc.names); err == nil {
				t.Error("no error")
			}
		})
	}
}

// TestWriteLPSolvedByCBC solves exported reference models with CBC and
// compares the optimum with the reference and with SolveMax.
func TestWriteLPSolvedByCBC(t *testing.T) {
	data := shareddata.Dir(t)
	cbc, err := exec.LookPath("cbc")
	if err != nil {
		t.Skip("cbc not on PATH (Debian package coinor-cbc); the CI script installs it")
	}
	tests := []struct {
		dataset string
		radius  float64
		k       int
		want    float64 // from mclp_ref.json
	}{
		{"monaco_2012", 300, 5, 32495},
		{"andorra_2014", 500, 10, 6341},
	}
	for _, tc := range tests {
		t.Run(tc.dataset, func(t *testing.T) {
			dir := filepath.Join(data, "reference", tc.dataset)
			g := coverLoadGraph(t, dir)
			rp := coverBuild(t, g, coverReadFeatures(t, filepath.Join(dir, "points.geojson")),
				coverReadFeatures(t, filepath.Join(dir, "candidates.geojson")), tc.radius)
			tmp := t.TempDir()
			lp := filepath.Join(tmp, "model.lp")
			f, err := os.Create(lp)
			if err != nil {
				t.Fatal(err)
			}
			if err := WriteLP(f, rp.p, tc.k, rp.candIDs); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			sol := filepath.Join(tmp, "solution.txt")
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, cbc, lp, "-solve", "-solu", sol).CombinedOutput()
			if err != nil {
				t.Fatalf("cbc: %v\n%s", err, out)
			}
			obj, chosen := coverReadCBC(t, sol)
			if obj != tc.want {
				t.Errorf("cbc optimum %v, reference %v", obj, tc.want)
			}
			if v := coverValue(rp.p, chosen); v != obj {
				t.Errorf("cbc chose %v covering %v, but reports %v", chosen, v, obj)
			}
			res, err := SolveMax(context.Background(), rp.p, Options{K: tc.k, TimeLimit: DefaultTimeLimit})
			if err != nil {
				t.Fatal(err)
			}
			if res.Objective != obj {
				t.Errorf("SolveMax %v, cbc %v", res.Objective, obj)
			}
			t.Logf("cbc optimum %v with %d sites; SolveMax %v, bound %v", obj, len(chosen), res.Objective, res.UpperBound)
		})
	}
}

// coverReadCBC reads CBC's solution file: the status line with the objective
// and one row per nonzero variable.
func coverReadCBC(t *testing.T, path string) (float64, []int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		t.Fatal("empty cbc solution file")
	}
	head := sc.Text()
	m := regexp.MustCompile(`^Optimal - objective value (-?[0-9.e+]+)`).FindStringSubmatch(head)
	if m == nil {
		t.Fatalf("cbc did not solve to optimality: %q", head)
	}
	obj, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	if obj < 0 {
		obj = -obj // some CBC builds report the minimised negation
	}
	var chosen []int
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 3 || !strings.HasPrefix(fs[1], "x") {
			continue
		}
		v, err := strconv.ParseFloat(fs[2], 64)
		if err != nil {
			t.Fatalf("cbc solution row %q: %v", sc.Text(), err)
		}
		if v > 0.5 {
			j, err := strconv.Atoi(fs[1][1:])
			if err != nil {
				t.Fatalf("cbc solution row %q: %v", sc.Text(), err)
			}
			chosen = append(chosen, j)
		}
	}
	return obj, chosen
}
