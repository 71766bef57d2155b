package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data/shareddata"
)

// mclpRef is the part of reference/<name>/mclp_ref.json the tests use:
// exact optima by CBC (cross-checked with GLPK).
type mclpRef struct {
	Instances map[string]struct {
		Radius     float64 `json:"radius_m"`
		Candidates string  `json:"candidates"`
		MCLP       map[string]struct {
			CBC struct {
				Objective float64 `json:"objective"`
				SolveS    float64 `json:"solve_s"`
			} `json:"cbc"`
		} `json:"mclp"`
		LSCP struct {
			CBC struct {
				Objective float64 `json:"objective"`
				SolveS    float64 `json:"solve_s"`
			} `json:"cbc"`
		} `json:"lscp"`
	} `json:"instances"`
}

type beforeAfter struct {
	Objective  float64 `json:"objective"`
	UpperBound float64 `json:"upper_bound"`
	Gap        float64 `json:"gap"`
	Sites      int     `json:"sites"`
	LowerBound int     `json:"lower_bound_sites"`
	Coverable  float64 `json:"coverable"`
}

func readBeforeAfter(t *testing.T, dir string) beforeAfter {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "before_after.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ba beforeAfter
	if err := json.Unmarshal(b, &ba); err != nil {
		t.Fatal(err)
	}
	return ba
}

// TestProposeMatchesReference runs lifecircle propose on the reference
// instances and requires an objective ≥ 99.5 % of the exact optimum, an
// upper bound ≥ the optimum, and set covering within one site of the
// minimum.
func TestProposeMatchesReference(t *testing.T) {
	for _, name := range []string{"andorra_2014", "monaco_2012", "helsinki_2019"} {
		t.Run(name, func(t *testing.T) {
			dir := shareddata.Path(t, "reference", name)
			b, err := os.ReadFile(filepath.Join(dir, "mclp_ref.json"))
			if err != nil {
				t.Fatal(err)
			}
			var ref mclpRef
			if err := json.Unmarshal(b, &ref); err != nil {
				t.Fatal(err)
			}
			for iname, inst := range ref.Instances {
				cands := "candidates.geojson"
				if strings.HasPrefix(inst.Candidates, "candidates_hard") {
					cands = "candidates_hard.geojson"
				}
				base := []string{"propose", "--quiet",
					"--osm", filepath.Join(dir, name+".osm.pbf"),
					"--demand", filepath.Join(dir, "points.geojson"),
					"--candidates", filepath.Join(dir, cands),
					"--radius", strconv.FormatFloat(inst.Radius, 'f', -1, 64),
					"--time-limit", "10s"} // the solve stops earlier once proven optimal
				for p, sol := range inst.MCLP {
					t.Run(iname+"/k="+p, func(t *testing.T) {
						out := t.TempDir()
						_, stderr, code := runCLI(t, append(base, "--k", p, "--out", out)...)
						if code != 0 {
							t.Fatalf("exit %d: %s", code, stderr)
						}
						ba := readBeforeAfter(t, out)
						opt := sol.CBC.Objective
						if ba.Objective < 0.995*opt {
							t.Errorf("objective %.0f < 99.5 %% of the optimum %.0f", ba.Objective, opt)
						}
						if ba.UpperBound < opt {
							t.Errorf("upper bound %.1f below the optimum %.0f: not a valid bound", ba.UpperBound, opt)
						}
						if ba.Objective > opt {
							t.Errorf("objective %.0f above the exact optimum %.0f: coverage sets differ from the reference", ba.Objective, opt)
						}
						t.Logf("objective %.0f, optimum %.0f, bound %.1f (gap %.3f %%)", ba.Objective, opt, ba.UpperBound, 100*ba.Gap)
					})
				}
				t.Run(iname+"/setcover", func(t *testing.T) {
					out := t.TempDir()
					_, stderr, code := runCLI(t, append(base, "--target", "1", "--out", out)...)
					if code != 0 {
						t.Fatalf("exit %d: %s", code, stderr)
					}
					ba := readBeforeAfter(t, out)
					min := int(inst.LSCP.CBC.Objective)
					if ba.Sites > min+1 {
						t.Errorf("%d sites, minimum is %d", ba.Sites, min)
					}
					if ba.LowerBound > min {
						t.Errorf("lower bound %d above the true minimum %d", ba.LowerBound, min)
					}
					t.Logf("%d sites (minimum %d, lower bound %d)", ba.Sites, min, ba.LowerBound)
				})
			}
		})
	}
}

// TestExportModelSolvedByCBC writes a reference instance as an LP file,
// solves it with CBC (Debian's coinor-cbc) and compares with the exact
// optimum of the reference.
func TestExportModelSolvedByCBC(t *testing.T) {
	cbc, err := exec.LookPath("cbc")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("cbc not found: scripts/test installs coinor-cbc")
		}
		t.Skip("cbc not installed (scripts/test installs coinor-cbc)")
	}
	dir := shareddata.Path(t, "reference", "helsinki_2019")
	tmp := t.TempDir()
	lp := filepath.Join(tmp, "model.lp")
	_, stderr, code := runCLI(t, "propose", "--quiet",
		"--osm", filepath.Join(dir, "helsinki_2019.osm.pbf"),
		"--demand", filepath.Join(dir, "points.geojson"),
		"--candidates", filepath.Join(dir, "candidates.geojson"),
		"--radius", "300", "--k", "10", "--out", filepath.Join(tmp, "out"), "--export-model", lp)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out, err := exec.Command(cbc, lp, "solve", "quit").CombinedOutput()
	if err != nil {
		t.Fatalf("cbc: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Objective value:\s+([-0-9.e+]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no objective in cbc output:\n%s", out)
	}
	got, _ := strconv.ParseFloat(string(m[1]), 64)
	const want = 66421 // mclp_ref.json: R300, p = 10
	if got < 0 {
		got = -got // LP files that minimise the negated objective
	}
	if got < want-0.5 || got > want+0.5 {
		t.Fatalf("cbc optimum of the exported model %.1f, reference %d", got, want)
	}
}
