package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data/shareddata"
)

// TestAuditRulesExitCode runs audits with a rule of the project file or
// --fail-below on central Helsinki with the example's subdistricts and
// communities: exit code 3 exactly when a rule breaks, 0 otherwise, the
// outputs written either way, rules.csv with a positive shortfall for each
// broken row, and a broken rule reported on stdout and stderr. Which units
// break which rules is data/study's TestRulesOnHelsinkiUnits.
func TestAuditRulesExitCode(t *testing.T) {
	t.Parallel()
	osmFile := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	units := filepath.Join(shareddata.RepoRoot(t), "examples", "district", "units.geojson")
	codes := map[int]bool{}
	for _, tc := range []struct {
		name  string
		rule  string // one rule of the project file ("" = none)
		flags []string
		// broken says from the district coverage shares whether the rule
		// breaks.
		broken func(coverage map[string]float64) bool
	}{
		{"count breaks", "{level: community, type: clinic, min: 1}", nil, func(map[string]float64) bool { return true }},
		{"coverage", "{type: market, min_coverage: 0.3}", nil, func(c map[string]float64) bool { return c["market"] < 0.3 }},
		{"fail-below", "", []string{"--fail-below", "market=0.9"}, func(c map[string]float64) bool { return c["market"] < 0.9 }},
		{"fail-below percent", "", []string{"--fail-below", "market=30%"}, func(c map[string]float64) bool { return c["market"] < 0.3 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			proj := "osm: " + osmFile + "\nunits: " + units + "\nout: out\n"
			if tc.rule != "" {
				proj += "rules:\n  - " + tc.rule + "\n"
			}
			if err := os.WriteFile(filepath.Join(dir, "lifecircle.yaml"), []byte(proj), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"audit", "--quiet", "-c", filepath.Join(dir, "lifecircle.yaml")}, tc.flags...)
			stdout, stderr, code := runCLI(t, args...)
			out := filepath.Join(dir, "out")
			// Outputs are written whatever the rules say.
			for _, f := range []string{"summary.json", "rules.csv", "report.html", "units_community.geojson"} {
				if _, err := os.Stat(filepath.Join(out, f)); err != nil {
					t.Fatalf("%s not written (exit %d): %v\n%s", f, code, err, stderr)
				}
			}
			var sum auditSummary
			b, _ := os.ReadFile(filepath.Join(out, "summary.json"))
			if err := json.Unmarshal(b, &sum); err != nil {
				t.Fatal(err)
			}
			coverage := map[string]float64{}
			for _, ty := range sum.Types {
				coverage[ty.ID] = ty.Coverage
			}
			wantCode := 0
			if tc.broken(coverage) {
				wantCode = 3
			}
			codes[wantCode] = true
			if code != wantCode {
				t.Fatalf("exit %d, want %d\n%s", code, wantCode, stderr)
			}
			rows := readOutputCSV(t, filepath.Join(out, "rules.csv"))
			col := map[string]int{}
			for i, h := range rows[0] {
				col[h] = i
			}
			broken := 0
			for _, r := range rows[1:] {
				if r[col["status"]] == "broken" {
					broken++
					if sf := r[col["shortfall"]]; sf == "" || strings.HasPrefix(sf, "-") || sf == "0" {
						t.Errorf("broken row %v: shortfall %q, want > 0", r, sf)
					}
				}
			}
			if wantCode == 3 {
				if broken == 0 {
					t.Errorf("exit 3 but rules.csv has no broken row: %v", rows)
				}
				if !strings.Contains(stdout, "BROKEN") || !strings.Contains(stderr, "see rules.csv") {
					t.Errorf("a broken rule is not reported on stdout/stderr:\n%s\n%s", stdout, stderr)
				}
			} else if len(rows) != 2 || rows[1][col["status"]] != "ok" {
				t.Errorf("rules.csv for a rule that holds: %v", rows)
			}
		})
	}
	if !codes[0] || !codes[3] {
		t.Errorf("exit codes seen %v: the cases must include a rule that breaks and one that holds", codes)
	}
}

// TestAuditRulesBadInput checks that wrong rules stop the audit with a
// message naming the problem (exit 1 for a bad project file, 2 for flags).
func TestAuditRulesBadInput(t *testing.T) {
	t.Parallel()
	osmFile := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	for _, tc := range []struct {
		name, rules string
		flags       []string
		code        int
		want        string
	}{
		{"unknown level", "rules:\n  - {level: street, type: clinic, min: 1}\n", nil, 1, `level "street" is not a level of the units (levels: cell, district)`},
		{"unknown type", "rules:\n  - {type: school, min: 1}\n", nil, 1, `type "school" is not in profile "gb50180"`},
		{"unknown key", "rules:\n  - {type: clinic, mni: 1}\n", nil, 1, "field mni not found in a rule"},
		{"percent coverage", "rules:\n  - {type: clinic, min_coverage: 90}\n", nil, 1, "min_coverage must be a share"},
		{"bad fail_below", "fail_below: {clinic: 80}\n", nil, 1, "not a share in (0, 1]"},
		{"bad --fail-below", "", []string{"--fail-below", "clinic"}, 2, "expected TYPE=SHARE"},
		{"--fail-below unknown type", "", []string{"--fail-below", "school=0.5"}, 2, `"school" is not a type of profile gb50180`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			proj := "osm: " + osmFile + "\nout: out\n" + tc.rules
			if err := os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(proj), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"audit", "--quiet", "-c", filepath.Join(dir, "p.yaml")}, tc.flags...)
			_, stderr, code := runCLI(t, args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s", code, tc.code, tc.want, stderr)
			}
		})
	}
}
