package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/shareddata"
)

// TestAuditBatch runs a batch of three entries over the datasets in
// testdata/shared — Helsinki inline with a rule it breaks, the Beijing
// campus from a project file, and an entry whose extract is missing —
// and checks that the failing entry is reported clearly while the others
// complete, each in its own folder, with batch_summary.csv/.json.
func TestAuditBatch(t *testing.T) {
	t.Parallel()
	helsinki := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	bupt := shareddata.Path(t, "cn_beijing_bupt", "map.osm")
	units := filepath.Join(shareddata.RepoRoot(t), "examples", "district", "units.geojson")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bupt.yaml"), []byte("osm: "+bupt+"\nprofile: 15min\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	entries := []string{
		"  - name: helsinki\n    osm: " + helsinki + "\n    units: " + units + "\n    rules:\n      - {level: community, type: clinic, min: 1}\n",
		"  - name: bupt\n    project: bupt.yaml\n",
		"  - name: missing\n    osm: no-such-extract.osm.pbf\n",
	}
	write := func(name string, es ...string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("out: runs-"+strings.TrimSuffix(name, ".yaml")+"\nentries:\n"+strings.Join(es, "")), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	// All three: the missing extract fails (exit 1), the others complete.
	stdout, stderr, code := runCLI(t, "audit", "--batch", write("all.yaml", entries...))
	if code != 1 {
		t.Fatalf("exit %d, want 1 (one entry failed)\n%s", code, stderr)
	}
	for _, want := range []string{"batch 1/3 helsinki", "batch 3/3 missing", "FAILED", "1 of 3 batch entries failed: missing (", "no-such-extract.osm.pbf", "the other entries completed"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	out := filepath.Join(dir, "runs-all")
	rows := readOutputCSV(t, filepath.Join(out, "batch_summary.csv"))
	if len(rows) != 4 {
		t.Fatalf("batch_summary.csv has %d rows, want a header and 3 entries: %v", len(rows), rows)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range []string{"name", "status", "population", "completeness", "coverage_clinic", "coverage_market", "rules_broken", "error"} {
		if _, ok := col[h]; !ok {
			t.Errorf("batch_summary.csv has no %s column: %v", h, rows[0])
		}
	}
	want := map[string]string{"helsinki": "broken", "bupt": "ok", "missing": "failed"}
	for _, r := range rows[1:] {
		name, status := r[col["name"]], r[col["status"]]
		if want[name] != status {
			t.Errorf("entry %s: status %s, want %s (row %v)", name, status, want[name], r)
		}
		switch status {
		case "failed":
			if !strings.Contains(r[col["error"]], "no-such-extract.osm.pbf") || r[col["population"]] != "" {
				t.Errorf("failed entry row %v: want the error naming the file and no figures", r)
			}
			if _, err := os.Stat(filepath.Join(out, name)); err == nil {
				t.Errorf("the failed entry left a folder %s", name)
			}
		default:
			if r[col["population"]] == "" || r[col["coverage_clinic"]] == "" || r[col["error"]] != "" {
				t.Errorf("completed entry row %v: want figures and no error", r)
			}
			for _, f := range []string{"summary.json", "report.html", "demand.geojson"} {
				if _, err := os.Stat(filepath.Join(out, name, f)); err != nil {
					t.Errorf("entry %s: %s not written: %v", name, f, err)
				}
			}
		}
	}
	if !strings.Contains(stdout, "missing") || !strings.Contains(stdout, "failed") {
		t.Errorf("stdout table lacks the failed entry:\n%s", stdout)
	}
	var sum struct {
		OK, Broken, Failed int
		Entries            []data.BatchRow
	}
	b, err := os.ReadFile(filepath.Join(out, "batch_summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.OK != 1 || sum.Broken != 1 || sum.Failed != 1 || len(sum.Entries) != 3 {
		t.Errorf("batch_summary.json counts ok %d broken %d failed %d entries %d, want 1 1 1 3", sum.OK, sum.Broken, sum.Failed, len(sum.Entries))
	}
	for _, e := range sum.Entries {
		if e.Name == "helsinki" && (e.RulesBroken != 1 || len(e.BrokenRules) != 1 || e.Coverage["clinic"] <= 0) {
			t.Errorf("helsinki entry %+v: want 1 broken rule and its coverage", e)
		}
		if e.Name == "bupt" && e.Profile != "15min" {
			t.Errorf("bupt entry profile %q, want 15min from its project file", e.Profile)
		}
	}
	// The Helsinki entry ran with its own inputs (that an entry's settings
	// are its keys over its project file's is data/study's
	// TestBatchEntrySettings; the audit is auditFiles, as for audit).
	got := checkAuditDir(t, filepath.Join(out, "helsinki"))
	if got.summary.Inputs["osm"] != helsinki || len(got.units) == 0 {
		t.Errorf("batch entry helsinki: inputs %v, %d units", got.summary.Inputs, len(got.units))
	}

	// Without the failing entry: a broken rule makes the exit code 3.
	_, stderr, code = runCLI(t, "audit", "--quiet", "--batch", write("good.yaml", entries[:2]...))
	if code != 3 || !strings.Contains(stderr, "1 of 2 batch entries broke a provision rule") {
		t.Fatalf("exit %d, want 3 with the entry that broke a rule:\n%s", code, stderr)
	}
	// Only entries that pass: exit 0; --out overrides the file's out.
	other := filepath.Join(dir, "elsewhere")
	if _, stderr, code := runCLI(t, "audit", "--quiet", "--batch", write("ok.yaml", entries[1]), "--out", other); code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(other, "bupt", "summary.json")); err != nil {
		t.Errorf("--out was not used: %v", err)
	}
}

// TestAuditBatchBadFile checks batch files that cannot run at all.
func TestAuditBatchBadFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name, text string
		args       []string
		code       int
		want       string
	}{
		{"no entries", "out: x\nentries: []\n", nil, 1, "no entries"},
		{"duplicate names", "- {name: a, sample: true}\n- {name: a, sample: true}\n", []string{"--out", "o"}, 1, `same name "a" as entry 1`},
		{"unknown key", "- {name: a, osmm: x.pbf}\n", []string{"--out", "o"}, 1, "field osmm not found"},
		{"bad name", "- {name: ../up, sample: true}\n", []string{"--out", "o"}, 1, "must be letters, digits"},
		{"no out", "- {name: a, sample: true}\n", nil, 2, "--out DIR is required with --batch"},
		{"other flags", "- {name: a, sample: true}\n", []string{"--out", "o", "--sample"}, 2, "cannot be given with it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".yaml")
			if err := os.WriteFile(p, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"audit", "--quiet", "--batch", p}, tc.args...)
			for i, a := range args {
				if a == "o" {
					args[i] = filepath.Join(dir, "o")
				}
			}
			_, stderr, code := runCLI(t, args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s", code, tc.code, tc.want, stderr)
			}
		})
	}
}
