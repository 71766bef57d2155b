package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/paulmach/orb"
)

// facilityPoints reads the points of facilities.geojson of one type.
func facilityPoints(t *testing.T, dir, typ string) []orb.Point {
	t.Helper()
	fc, err := data.ReadOutputLayer(filepath.Join(dir, "facilities.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	var pts []orb.Point
	for _, f := range fc.Features {
		if f.Properties["type"] != typ {
			continue
		}
		p, ok := f.Geometry.(orb.Point)
		if !ok {
			t.Fatalf("a %s facility is a %s; this test counts points only", typ, f.Geometry.GeoJSONType())
		}
		pts = append(pts, p)
	}
	return pts
}

// TestAuditRulesExitCode runs hand-made count, per-population and coverage
// rules (and --fail-below), each breaking and passing, on central Helsinki
// with the example's subdistricts and communities. The expected failing
// units are computed here from the written layers: facilities counted by
// containment in the unit polygons, requirements from the units'
// populations, coverage from the units' figures. Exit code 3 exactly when
// a rule breaks, 0 otherwise; rules.csv lists exactly the failing units.
func TestAuditRulesExitCode(t *testing.T) {
	t.Parallel()
	osmFile := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	units := filepath.Join(shareddata.RepoRoot(t), "examples", "district", "units.geojson")

	// A first audit without rules gives the layers the expectations use.
	base := filepath.Join(t.TempDir(), "base")
	if _, stderr, code := runCLI(t, "audit", "--quiet", "--osm", osmFile, "--units", units, "--out", base); code != 0 {
		t.Fatalf("audit without rules: exit %d\n%s", code, stderr)
	}
	level := map[string][]levelUnit{
		"community":   readLevelUnits(t, filepath.Join(base, "units_community.geojson")),
		"subdistrict": readLevelUnits(t, filepath.Join(base, "units_subdistrict.geojson")),
	}
	clinics := facilityPoints(t, base, "clinic")
	count := func(u levelUnit) int {
		n := 0
		for _, p := range clinics {
			if contains(u.geom, p) {
				n++
			}
		}
		return n
	}
	var sum auditSummary
	b, _ := os.ReadFile(filepath.Join(base, "summary.json"))
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	coverage := map[string]float64{}
	for _, ty := range sum.Types {
		coverage[ty.ID] = ty.Coverage
	}
	// Every clinic count of units_<level>.geojson is the count by containment.
	for name, us := range level {
		for _, u := range us {
			if got, want := num(u.props, "facilities_clinic"), float64(count(u)); got != want {
				t.Errorf("%s %s: facilities_clinic %v, %v clinics inside its polygon", name, u.id, got, want)
			}
		}
	}
	failing := func(lv string, bad func(u levelUnit) bool) []string {
		var ids []string
		for _, u := range level[lv] {
			if bad(u) {
				ids = append(ids, u.id)
			}
		}
		return ids
	}
	perPop := func(lv string, per float64) []string {
		return failing(lv, func(u levelUnit) bool {
			return float64(count(u)) < math.Ceil(num(u.props, "population")/per)
		})
	}
	district := func(bad bool) []string {
		if bad {
			return []string{"district"}
		}
		return nil
	}
	for _, tc := range []struct {
		name  string
		rule  string // one rule of the project file ("" = none)
		flags []string
		want  []string // failing unit ids
	}{
		{"count breaks", "{level: community, type: clinic, min: 1}", nil,
			failing("community", func(u levelUnit) bool { return count(u) < 1 })},
		{"count holds", "{level: subdistrict, type: clinic, min: 1}", nil,
			failing("subdistrict", func(u levelUnit) bool { return count(u) < 1 })},
		{"per population breaks", "{level: community, type: clinic, per_population: 1000}", nil, perPop("community", 1000)},
		{"per population holds", "{level: subdistrict, type: clinic, per_population: 2000}", nil, perPop("subdistrict", 2000)},
		{"coverage breaks", "{type: market, min_coverage: 0.9}", nil, district(coverage["market"] < 0.9)},
		{"coverage holds", "{type: market, min_coverage: 0.3}", nil, district(coverage["market"] < 0.3)},
		{"unit coverage breaks", "{level: community, type: clinic, min_coverage: 0.6}", nil,
			failing("community", func(u levelUnit) bool {
				return num(u.props, "population") > 0 && num(u.props, "coverage_clinic") < 0.6
			})},
		{"fail-below breaks", "", []string{"--fail-below", "market=0.9"}, district(coverage["market"] < 0.9)},
		{"fail-below holds", "", []string{"--fail-below", "market=30%"}, district(coverage["market"] < 0.3)},
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
			wantCode := 0
			if len(tc.want) > 0 {
				wantCode = 3
			}
			if code != wantCode {
				t.Fatalf("exit %d, want %d (failing units %v)\n%s", code, wantCode, tc.want, stderr)
			}
			out := filepath.Join(dir, "out")
			// Outputs are written whatever the rules say.
			for _, f := range []string{"summary.json", "rules.csv", "report.html", "units_community.geojson"} {
				if _, err := os.Stat(filepath.Join(out, f)); err != nil {
					t.Errorf("%s not written: %v", f, err)
				}
			}
			rows := readOutputCSV(t, filepath.Join(out, "rules.csv"))
			col := map[string]int{}
			for i, h := range rows[0] {
				col[h] = i
			}
			var got []string
			for _, r := range rows[1:] {
				if r[col["status"]] == "broken" {
					got = append(got, r[col["unit_id"]])
					if sf := r[col["shortfall"]]; sf == "" || strings.HasPrefix(sf, "-") || sf == "0" {
						t.Errorf("broken row %v: shortfall %q, want > 0", r, sf)
					}
				}
			}
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("rules.csv breaks %v, want %v", got, want)
			}
			if wantCode == 3 {
				if !strings.Contains(stdout, "BROKEN") || !strings.Contains(stderr, "see rules.csv") {
					t.Errorf("a broken rule is not reported on stdout/stderr:\n%s\n%s", stdout, stderr)
				}
			} else if len(rows) != 2 || rows[1][col["status"]] != "ok" {
				t.Errorf("rules.csv for a rule that holds: %v", rows)
			}
		})
	}
	// Not every case may be vacuous: the breaking ones must break something.
	if len(perPop("community", 1000)) == 0 || len(failing("community", func(u levelUnit) bool { return count(u) < 1 })) == 0 {
		t.Error("the hand-made breaking cases break nothing: the test data changed")
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
