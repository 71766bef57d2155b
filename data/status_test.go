package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/planner"
)

func TestAmenityLayerStatus(t *testing.T) {
	prof, err := LoadProfile("gb50180")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.csv", "id,type,name,lon,lat,status,opens,closes\n"+
		"a,clinic,A,24.94,60.17,,,\n"+
		"b,clinic,B,24.94,60.17,规划,2027-07-01,\n"+
		"c,clinic,C,24.94,60.17,Under construction,2026-12-31,\n"+
		"d,clinic,D,24.94,60.17,关闭,,2026-05-01\n"+
		"e,clinic,E,24.94,60.17,暂停,2026-09-01,2026-05-01\n")
	fs, err := ReadAmenityLayer(good, prof, WGS84)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		st            planner.Status
		opens, closes string
	}{{"", "", ""}, {planner.StatusPlanned, "2027-07-01", ""}, {planner.StatusUnderConstruction, "2026-12-31", ""},
		{planner.StatusClosed, "", "2026-05-01"}, {planner.StatusTemporarilyClosed, "2026-09-01", "2026-05-01"}}
	for i, w := range want {
		f := fs[i]
		if f.Status != w.st || planner.FormatDate(f.Opens) != w.opens || planner.FormatDate(f.Closes) != w.closes {
			t.Errorf("row %d: %q %s %s, want %q %s %s", i, f.Status, planner.FormatDate(f.Opens), planner.FormatDate(f.Closes), w.st, w.opens, w.closes)
		}
	}
	for _, tc := range []struct{ name, row, want string }{
		{"unknown status", "x,clinic,X,24.94,60.17,maybe,,", `bad.csv: feature 0 ("X"): column status: status "maybe" is not one of`},
		{"bad date", "x,clinic,X,24.94,60.17,planned,30/06/2027,", `bad.csv: feature 0 ("X"): column opens: date "30/06/2027" is not an ISO date YYYY-MM-DD`},
		{"dates reversed", "x,clinic,X,24.94,60.17,open,2028-01-01,2027-01-01", `bad.csv: feature 0 ("X"): opens 2028-01-01 is not before closes 2027-01-01`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write("bad.csv", "id,type,name,lon,lat,status,opens,closes\n"+tc.row+"\n")
			_, err := ReadAmenityLayer(p, prof, WGS84)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
}
