package study

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
)

// TestDiffStationsWithoutIDs is issue 13's case: a planner's CSV of
// stations without an id column is audited (with central Helsinki's
// extract), then again with one market row deleted and two stations
// added, and again with the first file's rows shuffled. diff must report
// 2 new, 1 closed and 0 moved, then nothing changed — whatever the rows'
// order, since ids no longer come from row numbers.
func TestDiffStationsWithoutIDs(t *testing.T) {
	rows := []string{
		"东区卫生站,clinic,24.9431,60.1699",
		"中心菜市场,market,24.9452,60.1686",
		"南区菜市场,market,24.9398,60.1655",
		"西区儿童游乐场,playground,24.9355,60.1689",
		"北区托老站,elderly,24.9420,60.1712",
		",fitness,24.9411,60.1678",
		"滨海健身路径,fitness,24.9470,60.1662",
	}
	added := []string{"新建卫生站,clinic,24.9378,60.1671", "新建托老站,elderly,24.9465,60.1705"}
	csv := func(rs ...string) string { return "name,type,lon,lat\n" + strings.Join(rs, "\n") + "\n" }
	// B: the first market deleted, two stations added at the top.
	b := append(append([]string{}, added...), rows[0])
	b = append(b, rows[2:]...)
	// C: A's rows in another order.
	c := []string{rows[4], rows[6], rows[1], rows[5], rows[0], rows[3], rows[2]}

	dir := t.TempDir()
	audit := func(name, content string) *data.AuditRun {
		t.Helper()
		path := filepath.Join(dir, name+".csv")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		s := helsinki(t)
		s.Amenities = []string{path}
		st, err := Load(context.Background(), s, FileSource{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		warned := 0
		for _, w := range st.Meta.WarningDetails {
			if w.Code == planner.WarnDerivedIDs {
				warned++
				if !strings.Contains(w.En, name+".csv") {
					t.Errorf("warning does not name the file: %s", w.En)
				}
			}
		}
		if warned != 1 {
			t.Errorf("%s: %d derived-id warnings, want one for the layer", name, warned)
		}
		res, err := Run(context.Background(), st)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, name)
		if err := st.Write(out, res); err != nil {
			t.Fatal(err)
		}
		r, err := data.ReadAudit(out)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	runA, runB, runC := audit("a", csv(rows...)), audit("b", csv(b...)), audit("c", csv(c...))

	fc := data.DiffRuns(runA, runB).Facilities
	if len(fc.New) != 2 || len(fc.Closed) != 1 || len(fc.Moved) != 0 {
		t.Errorf("A → B: %d new, %d closed, %d moved; want 2, 1, 0\n%+v", len(fc.New), len(fc.Closed), len(fc.Moved), fc)
	}
	if len(fc.Closed) == 1 && fc.Closed[0].Name != "中心菜市场" {
		t.Errorf("closed %+v, want 中心菜市场", fc.Closed[0])
	}
	for _, f := range fc.New {
		if !strings.HasPrefix(f.Name, "新建") {
			t.Errorf("new %+v is not an added station", f)
		}
	}
	fc = data.DiffRuns(runA, runC).Facilities
	if len(fc.New)+len(fc.Closed)+len(fc.Moved) != 0 || fc.Matched[data.MatchName]+fc.Matched[data.MatchPosition] != 0 {
		t.Errorf("A → shuffled A: %d new, %d closed, %d moved, matched %v; want nothing changed, all by id", len(fc.New), len(fc.Closed), len(fc.Moved), fc.Matched)
	}
}
