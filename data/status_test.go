package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// FuzzParseStatusReports: any bytes give reports or an error, never a
// panic; every report read has an id, a known status and a date not after
// today.
func FuzzParseStatusReports(f *testing.F) {
	f.Add([]byte("facility_id,status,date,note,reported_by\na,closed,2026-11-20,flood,王\n"))
	f.Add([]byte("\ufefffacility_id,status,date\nb,规划,2026-01-01\n"))
	f.Add([]byte("status,date,facility_id,imported_at\n暂停,2026-02-03,c,2026-12-01T00:00:00Z\n"))
	today := planner.Day(mustDate("2026-12-07"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := ParseStatusReports("reports.csv", b, today)
		if err != nil {
			return
		}
		for _, r := range rs {
			if r.FacilityID == "" || r.Date.After(today) || r.Date.IsZero() {
				t.Fatalf("bad report %+v", r)
			}
			if _, err := planner.ParseStatus(string(r.Status)); err != nil {
				t.Fatalf("status %q", r.Status)
			}
		}
	})
}

func mustDate(s string) time.Time {
	d, err := planner.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestStatusHistoryAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), StatusFileName)
	today := mustDate("2026-12-07")
	r1 := []planner.StatusReport{{FacilityID: "a", Status: planner.StatusClosed, Date: mustDate("2026-11-20"), Note: "=HYPERLINK(1)", ReportedBy: "王"}}
	r2 := []planner.StatusReport{{FacilityID: "a", Status: planner.StatusOpen, Date: mustDate("2026-11-25")}, {FacilityID: "b", Status: planner.StatusPlanned, Date: mustDate("2026-11-25")}}
	if n, err := AppendStatusHistory(path, r1, today); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	first, _ := os.ReadFile(path)
	if n, err := AppendStatusHistory(path, r2, today); err != nil || n != 3 {
		t.Fatal(n, err)
	}
	all, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(all), string(first)) {
		t.Errorf("the earlier history changed:\n%s\n%s", first, all)
	}
	rs, err := ReadStatusReports(path, today)
	if err != nil || len(rs) != 3 || rs[0].Note != "'=HYPERLINK(1)" || rs[2].FacilityID != "b" || rs[2].Seq != 3 {
		t.Fatalf("%+v %v", rs, err)
	}
	// A damaged history is named, not extended.
	if err := os.WriteFile(path, append(all, []byte("c,maybe,2026-11-25,,,\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := AppendStatusHistory(path, r2, today); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("damaged history: %v", err)
	}
}
