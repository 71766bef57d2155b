package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStatusVerb imports two field reports for one station through the
// CLI, then audits the project as of a day after both: the history in
// status.csv keeps both reports, the latest wins, and the summary and the
// terminal say which day was counted.
func TestStatusVerb(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("street.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[-0.005,0],[0.015,0]]}}]}`)
	write("pop.csv", "id,lon,lat,population\np1,0.00,0,100\np2,0.01,0,200\n")
	write("clinics.csv", "id,type,name,lon,lat,状态,opens\na,clinic,A,0.00,0,运营,\nb,clinic,B,0.01,0,在建,2027-03-01\n")
	project := write("lifecircle.yaml", "network: street.geojson\npopulation: pop.csv\namenities: [clinics.csv]\n")
	reports := write("reports.csv", "facility_id,status,date,note,reported_by\na,temporarily_closed,2026-10-01,repairs,王\na,open,2026-11-01,reopened,李\n")
	stdout, stderr, code := runCLI(t, "status", "import", reports, "-c", project)
	if code != 0 || !strings.Contains(stdout, "imported 已导入 2 reports") {
		t.Fatalf("status import: exit %d\n%s%s", code, stdout, stderr)
	}
	hist, err := os.ReadFile(filepath.Join(dir, "status.csv"))
	if err != nil || strings.Count(string(hist), "\n") != 3 || !strings.Contains(string(hist), "repairs") {
		t.Fatalf("status.csv: %v\n%s", err, hist)
	}
	out := filepath.Join(dir, "out")
	stdout, stderr, code = runCLI(t, "audit", "--quiet", "-c", project, "--as-of", "2026-11-15", "--out", out)
	if code != 0 || !strings.Contains(stdout, "facilities counted as of 2026-11-15 (1 not counted") {
		t.Fatalf("audit: exit %d\n%s%s", code, stdout, stderr)
	}
	var sum struct {
		AsOf struct {
			Date          string `json:"date"`
			StatusReports int    `json:"status_reports"`
		} `json:"as_of"`
		Types []struct {
			ID       string  `json:"id"`
			Coverage float64 `json:"coverage"`
		} `json:"types"`
	}
	b, _ := os.ReadFile(filepath.Join(out, "summary.json"))
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.AsOf.Date != "2026-11-15" || sum.AsOf.StatusReports != 1 || sum.Types[0].ID != "clinic" || sum.Types[0].Coverage != 0.3333 {
		t.Errorf("summary: %+v (want a open by the report of 1 November: 100 of 300 covered)", sum)
	}
	for _, bad := range [][]string{
		{"status", "import", reports},                                  // no history named
		{"status", "import", reports, "-c", project, "--project", "x"}, // both
		{"status", "export"},
	} {
		if _, _, code := runCLI(t, bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}
