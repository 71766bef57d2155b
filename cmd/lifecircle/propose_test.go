package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data/shareddata"
)

// TestExportModelSolvedByCBC runs propose end to end on a reference
// instance (Helsinki, R300, k = 10): the binary's before_after.json reaches
// 99.5 % of the exact optimum, not more; then the LP file it exported is
// solved with CBC (Debian's coinor-cbc) and must give that optimum. The
// pipeline's answers on every reference instance are data/study's
// TestProposeMatchesReference.
func TestExportModelSolvedByCBC(t *testing.T) {
	const want = 66421 // mclp_ref.json: R300, p = 10
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
	var ba struct {
		Objective  float64 `json:"objective"`
		UpperBound float64 `json:"upper_bound"`
		Sites      int     `json:"sites"`
	}
	b, err := os.ReadFile(filepath.Join(tmp, "out", "before_after.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ba); err != nil {
		t.Fatal(err)
	}
	if ba.Sites != 10 || ba.Objective < 0.995*want || ba.Objective > want || ba.UpperBound < want {
		t.Errorf("before_after.json: %d sites, objective %.0f, bound %.1f; optimum %d", ba.Sites, ba.Objective, ba.UpperBound, want)
	}

	cbc, err := exec.LookPath("cbc")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("cbc not found: scripts/test installs coinor-cbc")
		}
		t.Skip("cbc not installed (scripts/test installs coinor-cbc)")
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
	if got < 0 {
		got = -got // LP files that minimise the negated objective
	}
	if got < want-0.5 || got > want+0.5 {
		t.Fatalf("cbc optimum of the exported model %.1f, reference %d", got, want)
	}
}

// TestPhasesBoundsByCBC runs a phased proposal end to end on two small
// reference instances and solves each phase's exported model (the
// earlier phases' sites fixed) with CBC: the phase's optimum given the
// phases before must lie between the gain the binary reports and its
// bound. On Andorra the solver proves every phase optimal and phase 1 must
// equal --k 3's choice; on Monaco's 2,000 hard candidates a 100 ms budget
// per phase leaves a gap, so the bound itself is what CBC checks.
func TestPhasesBoundsByCBC(t *testing.T) {
	cbc, err := exec.LookPath("cbc")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("cbc not found: scripts/test installs coinor-cbc")
		}
		t.Skip("cbc not installed (scripts/test installs coinor-cbc)")
	}
	for _, tc := range []struct{ name, candidates, timeLimit string }{
		{"andorra_2014", "candidates.geojson", "10s"},
		{"monaco_2012", "candidates_hard.geojson", "100ms"},
	} {
		name := tc.name
		t.Run(name, func(t *testing.T) {
			dir := shareddata.Path(t, "reference", name)
			tmp := t.TempDir()
			args := []string{"propose", "--quiet", "--osm", filepath.Join(dir, name+".osm.pbf"), "--time-limit", tc.timeLimit,
				"--demand", filepath.Join(dir, "points.geojson"), "--candidates", filepath.Join(dir, tc.candidates), "--radius", "500"}
			run := func(out string, more ...string) {
				if _, stderr, code := runCLI(t, append(append(args[:len(args):len(args)], "--out", filepath.Join(tmp, out)), more...)...); code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
			}
			run("phased", "--phases", "2026:3,2027:5,2028:4", "--export-model", filepath.Join(tmp, "model.lp"))
			var ba struct {
				Phases []struct {
					Gain       float64 `json:"gain"`
					UpperBound float64 `json:"upper_bound"`
					Sites      int     `json:"sites"`
				} `json:"phases"`
			}
			b, err := os.ReadFile(filepath.Join(tmp, "phased", "before_after.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &ba); err != nil || len(ba.Phases) != 3 {
				t.Fatalf("before_after.json: %v, %d phases", err, len(ba.Phases))
			}
			for i, p := range ba.Phases {
				lp := filepath.Join(tmp, "model-phase"+strconv.Itoa(i+1)+".lp")
				out, err := exec.Command(cbc, lp, "solve", "quit").CombinedOutput()
				if err != nil {
					t.Fatalf("cbc %s: %v\n%s", lp, err, out)
				}
				m := regexp.MustCompile(`Objective value:\s+([-0-9.e+]+)`).FindSubmatch(out)
				if m == nil || !regexp.MustCompile(`Result - Optimal solution found`).Match(out) {
					t.Fatalf("cbc %s did not prove an optimum:\n%s", lp, out)
				}
				opt, _ := strconv.ParseFloat(string(m[1]), 64)
				if opt < 0 {
					opt = -opt
				}
				if opt > p.UpperBound+1e-6 || opt < p.Gain-1e-6 {
					t.Errorf("phase %d: CBC optimum %.1f given the earlier phases, reported gain %.1f and bound %.1f", i+1, opt, p.Gain, p.UpperBound)
				}
				t.Logf("phase %d: gain %.0f, bound %.0f, CBC optimum %.0f", i+1, p.Gain, p.UpperBound, opt)
			}
			// The report's phase table, in both languages.
			rep, err := os.ReadFile(filepath.Join(tmp, "phased", "report.html"))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"分期建设", "Build phases", "<td>2026</td>", "<td>2028</td>"} {
				if !strings.Contains(string(rep), want) {
					t.Errorf("report.html lacks %q", want)
				}
			}
			if tc.timeLimit != "10s" {
				return
			}
			// Phase 1 is --k 3's choice.
			run("k3", "--k", "3")
			ids := func(dir string, phase1 bool) []string {
				var fc struct {
					Features []struct {
						Properties map[string]any `json:"properties"`
					} `json:"features"`
				}
				b, err := os.ReadFile(filepath.Join(tmp, dir, "proposals.geojson"))
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(b, &fc); err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, f := range fc.Features {
					if !phase1 || f.Properties["phase"] == 1.0 {
						out = append(out, f.Properties["site_id"].(string))
					}
				}
				return out
			}
			if a, b := ids("phased", true), ids("k3", false); !slices.Equal(a, b) {
				t.Errorf("phase 1 sites %v, --k 3 sites %v", a, b)
			}
		})
	}
}

func TestPhasesBadInput(t *testing.T) {
	for _, tc := range []struct{ phases, want string }{
		{"2027:3,2026:2", "increasing year"},
		{"2026", "YEAR:SITES"},
		{"2026:0", "at least 1"},
	} {
		_, stderr, code := runCLI(t, "propose", "--quiet", "--sample", "--radius", "300", "--phases", tc.phases, "--out", filepath.Join(t.TempDir(), "o"))
		if code != 2 || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "--phases") {
			t.Errorf("--phases %s: exit %d, %s", tc.phases, code, stderr)
		}
	}
	_, stderr, code := runCLI(t, "propose", "--quiet", "--sample", "--radius", "300", "--phases", "2026:3", "--k", "3", "--out", filepath.Join(t.TempDir(), "o"))
	if code != 2 || !strings.Contains(stderr, "leave out --k") {
		t.Errorf("--phases with --k: exit %d, %s", code, stderr)
	}
}

// TestPhasesProjectFile: a project file's phases: apply when propose gets
// neither --k, --target nor --phases; a bad plan there is named.
func TestPhasesProjectFile(t *testing.T) {
	dir := t.TempDir()
	proj := filepath.Join(dir, "lifecircle.yaml")
	os.WriteFile(proj, []byte("sample: true\nphases: \"2026:2,2027:1\"\n"), 0o644)
	out := filepath.Join(dir, "o")
	if _, stderr, code := runCLI(t, "propose", "--quiet", "-c", proj, "--type", "playground", "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var ba struct {
		Mode   string `json:"mode"`
		Phases []struct {
			Year  int `json:"year"`
			Sites int `json:"sites"`
		} `json:"phases"`
	}
	b, err := os.ReadFile(filepath.Join(out, "before_after.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ba); err != nil || ba.Mode != "phased maximal covering" || len(ba.Phases) != 2 || ba.Phases[1].Year != 2027 || ba.Phases[0].Sites != 2 {
		t.Errorf("before_after.json: %v %+v", err, ba)
	}
	os.WriteFile(proj, []byte("sample: true\nphases: \"2027:2,2026:1\"\n"), 0o644)
	_, stderr, code := runCLI(t, "propose", "--quiet", "-c", proj, "--type", "playground", "--out", filepath.Join(dir, "p"))
	if code != 2 || !strings.Contains(stderr, "phases") || !strings.Contains(stderr, "increasing year") {
		t.Errorf("bad phases in the project file: exit %d, %s", code, stderr)
	}
}
