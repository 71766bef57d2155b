package study

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/postgis"
	"github.com/lifecircle/lifecircle/planner"
)

// statusStudy writes a hand-made study: one straight street along the
// equator, five residents' points on it 0.01° (≈1112 m) apart with 100,
// 200, 300, 400 and 500 residents, and on each point a clinic (threshold
// 1000 m, so each covers its own point only) of one status:
//
//	a open                                                     (100)
//	b planned, opens 2027-07-01                                (200)
//	c under construction, opens 2026-12-31                     (300)
//	d closed on 2026-05-01 (opened 2020-01-01)                 (400)
//	e temporarily closed on 2026-05-01, reopens 2026-09-01     (500)
func statusStudy(t *testing.T) Settings {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	s := Defaults()
	s.Network = write("street.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[-0.005,0],[0.045,0]]}}]}`)
	s.Population = write("pop.csv", "id,lon,lat,population\np1,0.00,0,100\np2,0.01,0,200\np3,0.02,0,300\np4,0.03,0,400\np5,0.04,0,500\n")
	s.Amenities = []string{write("clinics.csv", "id,type,name,lon,lat,status,opens,closes\n"+
		"a,clinic,A,0.00,0,open,,\n"+
		"b,clinic,B,0.01,0,planned,2027-07-01,\n"+
		"c,clinic,C,0.02,0,under_construction,2026-12-31,\n"+
		"d,clinic,D,0.03,0,closed,2020-01-01,2026-05-01\n"+
		"e,clinic,E,0.04,0,temporarily_closed,2026-09-01,2026-05-01\n")}
	s.StatusFile = filepath.Join(dir, data.StatusFileName)
	return s
}

func clinicCovered(t *testing.T, s Settings) float64 {
	t.Helper()
	ctx := context.Background()
	st, err := Load(ctx, s, FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	for _, ty := range res.Types {
		if ty.ID == "clinic" {
			return ty.Covered
		}
	}
	t.Fatal("no clinic type")
	return 0
}

// TestAsOfHandComputed audits the hand-made layer as of three days and
// the plan's end state and compares the clinic coverage with the sums
// worked out by hand from OpenOn's rules.
func TestAsOfHandComputed(t *testing.T) {
	for _, tc := range []struct {
		asOf    string
		covered float64
	}{
		{"2026-03-01", 100 + 400 + 500}, // a; d before it closed; e before it shut
		{"2026-06-30", 100},             // d closed, e shut, b and c not open yet
		{"2027-06-30", 100 + 300 + 500}, // c opened 2026-12-31, e reopened; b not yet
		{"planned", 100 + 200 + 300 + 500},
	} {
		t.Run(tc.asOf, func(t *testing.T) {
			s := statusStudy(t)
			s.AsOf = tc.asOf
			if got := clinicCovered(t, s); math.Abs(got-tc.covered) > 1e-9 {
				t.Errorf("covered %v, want %v", got, tc.covered)
			}
		})
	}
}

// TestTimelineEqualsAsOf checks that every row of --timeline 2025..2028
// equals a separate audit --as-of that year's 31 December.
func TestTimelineEqualsAsOf(t *testing.T) {
	ctx := context.Background()
	s := statusStudy(t)
	s.Timeline = "2025..2028"
	st, err := Load(ctx, s, FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, st); err != nil {
		t.Fatal(err)
	}
	rows := st.Meta.Timeline
	if len(rows) != 4*len(st.In.Profile.Types) {
		t.Fatalf("%d timeline rows, want %d", len(rows), 4*len(st.In.Profile.Types))
	}
	want := map[int]float64{2025: 100 + 400 + 500, 2026: 100 + 300 + 500, 2027: 100 + 200 + 300 + 500, 2028: 1100}
	for _, r := range rows {
		one := statusStudy(t)
		one.AsOf = r.AsOf
		st1, err := Load(ctx, one, FileSource{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(ctx, st1)
		if err != nil {
			t.Fatal(err)
		}
		var sep []data.TimelineRow
		for _, x := range data.NewTimelineRows(r.Year, r.AsOf, res) {
			if x.Type == r.Type {
				sep = append(sep, x)
			}
		}
		if len(sep) != 1 || sep[0] != r {
			t.Errorf("timeline %+v, separate --as-of %s %+v", r, r.AsOf, sep)
		}
		if r.Type == "clinic" && float64(r.Covered) != want[r.Year] {
			t.Errorf("%d: clinic covered %v, want %v", r.Year, r.Covered, want[r.Year])
		}
	}
}

// TestStatusReportsFile imports two reports for one station into the
// history beside the project, checks both are kept, and that the audit
// applies the latest (by date, then by order in the history).
func TestStatusReportsFile(t *testing.T) {
	s := statusStudy(t)
	rep := filepath.Join(t.TempDir(), "reports.csv")
	if err := os.WriteFile(rep, []byte("facility_id,status,date,note,reported_by\n"+
		"a,closed,2026-11-20,shut after the flood,王网格员\n"+
		"a,open,2026-11-15,seen open,李网格员\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	n, total, err := ImportStatusFile(context.Background(), s, nil, rep)
	if err != nil || n != 2 || total != 2 {
		t.Fatalf("import: %d, %d, %v", n, total, err)
	}
	hist, err := data.ReadStatusReports(s.StatusFile, planner.Day(timeNow()))
	if err != nil || len(hist) != 2 || hist[0].Status != planner.StatusClosed || hist[1].ReportedBy != "李网格员" {
		t.Fatalf("history %+v, %v", hist, err)
	}
	for _, tc := range []struct {
		asOf    string
		covered float64
	}{
		{"2026-11-14", 100 + 500}, // no report yet: a open, as the layer says (e reopened)
		{"2026-11-16", 100 + 500}, // a seen open on the 15th
		{"2026-11-20", 500},       // a closed on the 20th: the later date wins, not the later line
		{"2027-06-30", 300 + 500}, // a still closed; c and e open
	} {
		s.AsOf = tc.asOf
		if got := clinicCovered(t, s); got != tc.covered {
			t.Errorf("as of %s: covered %v, want %v", tc.asOf, got, tc.covered)
		}
	}
	// A second import appends: a report on the same day as the last
	// wins by coming later.
	if err := os.WriteFile(rep, []byte("facility_id,status,date\na,open,2026-11-20\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, total, err = ImportStatusFile(context.Background(), s, nil, rep); err != nil || total != 3 {
		t.Fatalf("second import: %d, %v", total, err)
	}
	s.AsOf = "2026-11-20"
	if got := clinicCovered(t, s); got != 100+500 {
		t.Errorf("same-day tie: covered %v, want 600 (a by the later report, open; e)", got)
	}
}

// TestStatusReportsDBSameAsFiles imports the hand-made study into PostGIS
// and the same two field reports into the database and into status.csv:
// the database keeps both reports (also across a re-import of the
// project, and refuses to change one), and every audit gives the same
// figures from files and from the database.
func TestStatusReportsDBSameAsFiles(t *testing.T) {
	db := testDatabase(t)
	ctx := context.Background()
	s := statusStudy(t)
	proj, err := Import(ctx, s, nil, "st", nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := postgis.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Import(ctx, proj); err != nil {
		t.Fatal(err)
	}
	src := &DBSource{Store: store, Name: "st"}
	rep := filepath.Join(t.TempDir(), "reports.csv")
	for i, text := range []string{
		"facility_id,status,date,note,reported_by\nc,open,2026-11-01,opened early,张\n",
		"facility_id,status,date,note,reported_by\nc,temporarily_closed,2026-11-25,repairs,李\na,closed,2026-11-25,,\n",
	} {
		if err := os.WriteFile(rep, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, fileTotal, err := ImportStatusFile(ctx, s, nil, rep)
		if err != nil {
			t.Fatal(err)
		}
		_, dbTotal, err := ImportStatusFile(ctx, s, src, rep)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int{1, 3}[i]; fileTotal != want || dbTotal != want {
			t.Fatalf("import %d: history holds %d reports in the file, %d in the database, want %d", i+1, fileTotal, dbTotal, want)
		}
	}
	if _, err := store.Import(ctx, proj); err != nil { // a re-import keeps the history
		t.Fatal(err)
	}
	p, err := store.LoadProject(ctx, "st")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.StatusReports) != 3 || p.StatusReports[0].FacilityID != "c" || p.StatusReports[0].Status != planner.StatusOpen ||
		p.StatusReports[1].Status != planner.StatusTemporarilyClosed || p.StatusReports[1].ReportedBy != "李" {
		t.Fatalf("database history %+v", p.StatusReports)
	}
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE lifecircle.status_reports SET status = 'open'`); err == nil {
		t.Error("the database let a field report be changed")
	}
	for _, tc := range []struct {
		asOf    string
		covered float64
	}{
		{"2026-10-15", 100 + 500},       // no report yet
		{"2026-11-10", 100 + 300 + 500}, // c seen open on 1 November
		{"2026-11-25", 500},             // c shut for repairs, a closed
		{"2027-06-30", 500},             // c's closure has no reopening date
		{"planned", 200 + 300 + 500},    // c only temporarily closed; a closed
	} {
		s.AsOf = tc.asOf
		fst, err := Load(ctx, s, FileSource{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		fres, err := Run(ctx, fst)
		if err != nil {
			t.Fatal(err)
		}
		d := Defaults()
		d.AsOf = tc.asOf
		dst, err := Load(ctx, d, &DBSource{Store: store, Name: "st"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		dres, err := Run(ctx, dst)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%v", fres.Types) != fmt.Sprintf("%v", dres.Types) || !reflect.DeepEqual(fst.Meta.AsOf, dst.Meta.AsOf) {
			t.Errorf("as of %s: files and database differ:\n%v %+v\n%v %+v", tc.asOf, fres.Types[0], fst.Meta.AsOf, dres.Types[0], dst.Meta.AsOf)
		}
		if fres.Types[0].ID != "clinic" || fres.Types[0].Covered != tc.covered {
			t.Errorf("as of %s: %s covered %v, want %v", tc.asOf, fres.Types[0].ID, fres.Types[0].Covered, tc.covered)
		}
	}
}
