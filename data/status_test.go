package data

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/planner"
	"github.com/xuri/excelize/v2"
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

// TestStatusEveryFormat reads the same five stations — one per status,
// with dates — from CSV, GeoJSON, .xlsx (dates as Excel date cells), and
// from a GeoPackage (DATE columns) and a Shapefile (D fields) written by
// GDAL's ogr2ogr from the CSV.
func TestStatusEveryFormat(t *testing.T) {
	prof, err := LoadProfile("gb50180")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rows := [][]any{
		{"a", "clinic", "A", 24.94, 60.17, "运营", nil, nil},
		{"b", "clinic", "B", 24.95, 60.17, "planned", "2027-07-01", nil},
		{"c", "clinic", "C", 24.96, 60.17, "在建", "2026-12-31", nil},
		{"d", "clinic", "D", 24.97, 60.17, "closed", "2020-01-01", "2026-05-01"},
		{"e", "clinic", "E", 24.98, 60.17, "暂停", "2026-09-01", "2026-05-01"},
	}
	header := []string{"id", "type", "name", "lon", "lat", "status", "opens", "closes"}
	csvText := strings.Join(header, ",") + "\n"
	var feats []string
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, v := range r {
			if v != nil {
				cells[i] = fmt.Sprint(v)
			}
		}
		csvText += strings.Join(cells, ",") + "\n"
		props := fmt.Sprintf(`"type":"clinic","name":%q,"status":%q`, r[2], r[5])
		if r[6] != nil {
			props += fmt.Sprintf(`,"opens":%q`, r[6])
		}
		if r[7] != nil {
			props += fmt.Sprintf(`,"closes":%q`, r[7])
		}
		feats = append(feats, fmt.Sprintf(`{"type":"Feature","id":%q,"properties":{%s},"geometry":{"type":"Point","coordinates":[%v,%v]}}`, r[0], props, r[3], r[4]))
	}
	csvPath := filepath.Join(dir, "stations.csv")
	gj := filepath.Join(dir, "stations.geojson")
	if err := os.WriteFile(csvPath, []byte(csvText), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gj, []byte(`{"type":"FeatureCollection","features":[`+strings.Join(feats, ",")+`]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	xrows := make([][]any, len(rows))
	for i, r := range rows {
		xrows[i] = append([]any(nil), r...)
		for _, c := range []int{6, 7} {
			if s, ok := r[c].(string); ok {
				xrows[i][c] = mustDate(s) // an Excel date cell
			}
		}
	}
	xlsxPath := filepath.Join(dir, "stations.xlsx")
	wb := excelize.NewFile()
	if err := wb.SetSheetRow("Sheet1", "A1", &header); err != nil {
		t.Fatal(err)
	}
	for i, r := range xrows {
		for c, v := range r {
			if v == nil {
				continue
			}
			ref, _ := excelize.CoordinatesToCellName(c+1, i+2)
			if err := wb.SetCellValue("Sheet1", ref, v); err != nil { // a time.Time is a date cell
				t.Fatal(err)
			}
		}
	}
	if err := wb.SaveAs(xlsxPath); err != nil {
		t.Fatal(err)
	}
	paths := []string{csvPath, gj, xlsxPath}
	if ogr, err := exec.LookPath("ogr2ogr"); err == nil {
		for _, f := range []struct{ driver, name string }{{"GPKG", "stations.gpkg"}, {"ESRI Shapefile", "stations.shp"}} {
			out := filepath.Join(dir, f.name)
			args := []string{"-f", f.driver, out, csvPath, "-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat", "-oo", "AUTODETECT_TYPE=YES", "-a_srs", "EPSG:4326"}
			if f.driver == "ESRI Shapefile" {
				args = append(args, "-lco", "ENCODING=UTF-8")
			}
			if o, err := exec.Command(ogr, args...).CombinedOutput(); err != nil {
				t.Fatalf("ogr2ogr %s: %v\n%s", f.driver, err, o)
			}
			paths = append(paths, out)
		}
	} else if os.Getenv("CI") == "true" {
		t.Fatal("ogr2ogr not found: scripts/test installs gdal-bin")
	}
	want := "a open - -|b planned 2027-07-01 -|c under_construction 2026-12-31 -|d closed 2020-01-01 2026-05-01|e temporarily_closed 2026-09-01 2026-05-01"
	for _, p := range paths {
		t.Run(filepath.Ext(p), func(t *testing.T) {
			fs, err := ReadAmenityLayer(p, prof, WGS84)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fs {
				d := func(x time.Time) string {
					if x.IsZero() {
						return "-"
					}
					return planner.FormatDate(x)
				}
				got = append(got, fmt.Sprintf("%s %s %s %s", f.ID, f.Status, d(f.Opens), d(f.Closes)))
			}
			if strings.Join(got, "|") != want {
				t.Errorf("read\n%s\nwant\n%s", strings.Join(got, "|"), want)
			}
		})
	}
}
