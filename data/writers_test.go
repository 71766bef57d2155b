package data

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// hostileAudit is handAudit with a unit whose name and id a spreadsheet
// would run as formulas, and a negative figure (which must stay a number).
func hostileAudit(t *testing.T) (planner.AuditInput, *planner.AuditResult, AuditMeta) {
	in, res, meta := handAudit(t)
	const name, id = `=HYPERLINK("x")`, "@n1"
	in.Units[0].Name, in.Units[0].ID = name, id
	in.Hierarchy.Levels[1].Units[0].Name, in.Hierarchy.Levels[1].Units[0].ID = name, id
	res.Rules[0].Breaches[0].UnitName, res.Rules[0].Breaches[0].UnitID = name, id
	res.Types[0].Gap = -1.5
	return in, res, meta
}

// readCSVFile reads a CSV output, failing unless it starts with the
// UTF-8 byte order mark.
func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(UTF8BOM)) {
		t.Errorf("%s: no UTF-8 byte order mark", filepath.Base(path))
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte(UTF8BOM)))).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// xlsxCell is a cell as openpyxl reads it.
type xlsxCell struct {
	V     any    `json:"v"`     // float64, string, bool or nil
	Type  string `json:"t"`     // openpyxl data_type: n, s, b, f (formula)...
	Quote bool   `json:"quote"` // quotePrefix style
}

// readXLSX reads every sheet of a workbook with Python's openpyxl, an
// independent reader (Debian's python3-openpyxl).
func readXLSX(t *testing.T, path string) map[string][][]xlsxCell {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3 (install python3-openpyxl)")
	}
	if err := exec.Command(py, "-c", "import openpyxl").Run(); err != nil {
		t.Skip("python3 has no openpyxl (apt-get install python3-openpyxl)")
	}
	script := `
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = {}
for ws in wb:
    out[ws.title] = [[{"v": c.value, "t": c.data_type, "quote": bool(c.quotePrefix)} for c in row] for row in ws.iter_rows()]
json.dump(out, sys.stdout)
`
	cmd := exec.Command(py, "-c", script, path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("openpyxl %s: %v\n%s", path, err, stderr.String())
	}
	var sheets map[string][][]xlsxCell
	if err := json.Unmarshal(b, &sheets); err != nil {
		t.Fatal(err)
	}
	return sheets
}

// sameCell reports whether a workbook cell holds what the CSV field
// says: the same number, the same text (a formula-like text with the
// CSV's leading apostrophe as a quote-prefixed text cell), or empty.
func sameCell(field string, c xlsxCell) bool {
	if c.Type == "f" {
		return false // never a formula
	}
	switch v := c.V.(type) {
	case nil:
		return field == ""
	case float64:
		x, err := strconv.ParseFloat(field, 64)
		return err == nil && x == v
	case string:
		if FormulaLike(v) {
			return c.Quote && field == "'"+v
		}
		return field == v
	}
	return false
}

// compareSheet compares a sheet with a CSV file cell by cell.
func compareSheet(t *testing.T, name string, sheet [][]xlsxCell, rows [][]string) {
	t.Helper()
	if len(sheet) != len(rows) {
		t.Fatalf("sheet %s has %d rows, the CSV %d", name, len(sheet), len(rows))
	}
	for r := range rows {
		if len(sheet[r]) != len(rows[r]) {
			t.Fatalf("sheet %s row %d: %d cells, the CSV %d", name, r+1, len(sheet[r]), len(rows[r]))
		}
		for c := range rows[r] {
			if !sameCell(rows[r][c], sheet[r][c]) {
				t.Errorf("sheet %s row %d column %s: workbook %+v, CSV %q", name, r+1, rows[0][c], sheet[r][c], rows[r][c])
			}
		}
	}
}

func writeTestAudit(t *testing.T, in planner.AuditInput, res *planner.AuditResult, meta AuditMeta) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "out")
	if err := WriteAudit(dir, in, res, meta); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSummaryXLSX reads summary.xlsx back with openpyxl: the types sheet
// equals summary.csv and the rules sheet rules.csv cell by cell; each
// level's sheet holds the figures of its GeoJSON layer; formula-like text
// is quote-prefixed text, never a formula; negative numbers are numbers.
func TestSummaryXLSX(t *testing.T) {
	in, res, meta := hostileAudit(t)
	dir := writeTestAudit(t, in, res, meta)
	sheets := readXLSX(t, filepath.Join(dir, "summary.xlsx"))
	for _, want := range []string{"types", "district", "neighbourhood", "rules", "columns"} {
		if sheets[want] == nil {
			t.Errorf("summary.xlsx has no sheet %q: %v", want, keys(sheets))
		}
	}
	summary := readCSVFile(t, filepath.Join(dir, "summary.csv"))
	compareSheet(t, "types", sheets["types"], summary)
	rules := readCSVFile(t, filepath.Join(dir, "rules.csv"))
	compareSheet(t, "rules", sheets["rules"], rules)

	// A negative figure is a number in both files.
	gap := slicesIndex(summary[0], "gap")
	if summary[1][gap] != "-1.5" || sheets["types"][1][gap].V != -1.5 {
		t.Errorf("negative gap: CSV %q, workbook %+v; want the number -1.5 in both", summary[1][gap], sheets["types"][1][gap])
	}
	// The hostile unit in rules.csv: neutralised.
	var found bool
	for _, r := range rules[1:] {
		if r[8] == "'@n1" && r[9] == `'=HYPERLINK("x")` {
			found = true
		}
		if strings.HasPrefix(r[8], "@") || strings.HasPrefix(r[9], "=") {
			t.Errorf("rules.csv: formula-like unit written as is: %q", r)
		}
	}
	if !found {
		t.Errorf("rules.csv has no neutralised row for unit @n1: %q", rules)
	}

	// Level sheets: every unit with every figure of units_<level>.geojson.
	for _, level := range []string{"district", "neighbourhood"} {
		fc, err := ReadOutputLayer(filepath.Join(dir, LevelFileName(level)))
		if err != nil {
			t.Fatal(err)
		}
		sh := sheets[level]
		if len(sh)-1 != len(fc.Features) {
			t.Fatalf("sheet %s: %d units, the layer %d", level, len(sh)-1, len(fc.Features))
		}
		for i, f := range fc.Features {
			row := sh[i+1]
			for c, h := range sh[0] {
				key := h.V.(string)
				cell := row[c]
				if cell.Type == "f" {
					t.Errorf("sheet %s row %d column %s is a formula", level, i+2, key)
				}
				want, ok := f.Properties[key]
				if !ok || want == nil {
					if cell.V != nil && cell.V != "" {
						t.Errorf("sheet %s unit %v %s = %v, the layer has none", level, f.ID, key, cell.V)
					}
					continue
				}
				if s, isText := want.(string); isText && FormulaLike(s) && !cell.Quote {
					t.Errorf("sheet %s unit %v %s: formula-like text %q without quote prefix", level, f.ID, key, s)
				}
				if fmt.Sprint(cell.V) != fmt.Sprint(want) {
					t.Errorf("sheet %s unit %v %s = %v, the layer has %v", level, f.ID, key, cell.V, want)
				}
			}
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func slicesIndex(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// ogrLayer is one layer of `ogrinfo -ro -al -so`.
type ogrLayer struct {
	Geometry string
	Count    int
	Fields   map[string]string // name → type, e.g. "Real"
}

// ogrinfo summarises every layer of a file with GDAL's ogrinfo.
func ogrinfo(t *testing.T, path string) map[string]*ogrLayer {
	t.Helper()
	bin, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Skip("no ogrinfo (apt-get install gdal-bin)")
	}
	out, err := exec.Command(bin, "-ro", "-al", "-so", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo %s: %v\n%s", path, err, out)
	}
	layers := map[string]*ogrLayer{}
	var cur *ogrLayer
	field := regexp.MustCompile(`^(\w+): (\w+) \(`)
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(line, "Layer name: "):
			cur = &ogrLayer{Fields: map[string]string{}}
			layers[strings.TrimPrefix(line, "Layer name: ")] = cur
		case cur == nil:
		case strings.HasPrefix(line, "Geometry: "):
			cur.Geometry = strings.TrimPrefix(line, "Geometry: ")
		case strings.HasPrefix(line, "Feature Count: "):
			cur.Count, _ = strconv.Atoi(strings.TrimPrefix(line, "Feature Count: "))
		default:
			if m := field.FindStringSubmatch(line); m != nil {
				cur.Fields[m[1]] = m[2]
			}
		}
	}
	return layers
}

// TestAuditGPKGOgrinfo opens audit.gpkg with GDAL: every layer with its
// geometry type and the audit's feature counts, shares as Real columns;
// and the GeoJSON unit layer types its shares Real too.
func TestAuditGPKGOgrinfo(t *testing.T) {
	in, res, meta := hostileAudit(t)
	meta.Format = OutputFormat{GeoJSON: true, GPKG: true}
	dir := writeTestAudit(t, in, res, meta)
	layers := ogrinfo(t, filepath.Join(dir, AuditGPKG))
	want := map[string]struct {
		geom  string
		count int
	}{
		"units":               {"Polygon", len(in.Units)},
		"units_district":      {"Polygon", len(in.Hierarchy.Levels[0].Units)},
		"units_neighbourhood": {"Polygon", len(in.Hierarchy.Levels[1].Units)},
		"facilities":          {"Unknown (any)", len(in.Facilities)}, // a point and a polygon
		"demand":              {"Point", len(in.Demand.Points)},
		"summary":             {"None", len(res.Types)},
		"rules":               {"None", len(RulesTable(res).Rows)},
	}
	if len(layers) != len(want) {
		t.Errorf("audit.gpkg has layers %v, want %d", keys(layers), len(want))
	}
	for name, w := range want {
		l := layers[name]
		if l == nil {
			t.Errorf("audit.gpkg: no layer %s", name)
			continue
		}
		if l.Geometry != w.geom || l.Count != w.count {
			t.Errorf("layer %s: %s, %d features; want %s, %d", name, l.Geometry, l.Count, w.geom, w.count)
		}
	}
	ty := in.Profile.Types[0].ID
	for _, name := range []string{"units", "units_neighbourhood"} {
		for _, f := range []string{"coverage_" + ty, "completeness", "fully_served"} {
			if got := layers[name].Fields[f]; got != "Real" {
				t.Errorf("audit.gpkg %s.%s is %q, want Real", name, f, got)
			}
		}
	}
	if got := layers["summary"].Fields["coverage"]; got != "Real" {
		t.Errorf("summary.coverage is %q, want Real", got)
	}
	// Unit n2 has no residents: its shares are 0, written 0.0 so that GDAL
	// still types the GeoJSON field Real.
	gj := ogrinfo(t, filepath.Join(dir, "units.geojson"))["units"]
	if gj == nil {
		t.Fatal("ogrinfo units.geojson: no layer")
	}
	for _, f := range []string{"coverage_" + ty, "completeness"} {
		if gj.Fields[f] != "Real" {
			t.Errorf("units.geojson %s is %q, want Real", f, gj.Fields[f])
		}
	}
}

// TestRealShares: whole shares keep a decimal point in GeoJSON.
func TestRealShares(t *testing.T) {
	for _, c := range []struct {
		x    float64
		want string
	}{{0, "0.0"}, {1, "1.0"}, {0.4133, "0.4133"}, {math.NaN(), "null"}, {1e-7, "1e-7"}, {-2, "-2.0"}} {
		b, _ := appendValue(nil, Real(c.x))
		if string(b) != c.want {
			t.Errorf("Real(%v) = %s, want %s", c.x, b, c.want)
		}
	}
}

// TestCSVFormulaNeutralised: text fields that spreadsheets would run get
// a leading apostrophe; numbers, negative ones too, do not.
func TestCSVFormulaNeutralised(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{`=HYPERLINK("x")`, `"'=HYPERLINK(""x"")"`},
		{"+1", "'+1"}, {"-1", "'-1"}, {"@SUM(A1)", "'@SUM(A1)"}, {"\tx", "'\tx"}, {"\rx", "\"'\rx\""},
		{"a=b", "a=b"}, {"北邮社区", "北邮社区"}, {"a,b", `"a,b"`}, {"", ""},
		{-1.5, "-1.5"}, {F(-12, 1), "-12.0"}, {Num(-3), "-3"}, {-7, "-7"}, {F(math.NaN(), 1), ""}, {nil, ""},
	} {
		if got := string(AppendCSVValue(nil, c.v)); got != c.want {
			t.Errorf("%q: got %q, want %q", c.v, got, c.want)
		}
	}
}

// TestEveryCSVHasBOM: every CSV of an audit with --out-coords starts with
// the byte order mark.
func TestEveryCSVHasBOM(t *testing.T) {
	in, res, meta := hostileAudit(t)
	meta.OutCoords = OutGCJ02
	dir := writeTestAudit(t, in, res, meta)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".csv") {
			readCSVFile(t, filepath.Join(dir, e.Name()))
			n++
		}
	}
	if n != 4 { // summary, rules, facilities, demand
		t.Errorf("%d CSV files, want 4", n)
	}
}

// TestOutCoordsGCJ02 checks facilities.csv and demand.csv with
// --out-coords gcj02: the extra columns are geo's WGS84→GCJ-02 of the
// WGS84 columns, and convert back to within 0.5 m.
func TestOutCoordsGCJ02(t *testing.T) {
	in, res, meta := hostileAudit(t)
	meta.OutCoords = OutGCJ02
	dir := writeTestAudit(t, in, res, meta)
	for _, name := range []string{"facilities.csv", "demand.csv"} {
		rows := readCSVFile(t, filepath.Join(dir, name))
		h := rows[0]
		lon, lat, glon, glat := slicesIndex(h, "lon"), slicesIndex(h, "lat"), slicesIndex(h, "lon_gcj02"), slicesIndex(h, "lat_gcj02")
		if lon < 0 || lat < 0 || glon < 0 || glat < 0 {
			t.Fatalf("%s header %v: want lon, lat, lon_gcj02, lat_gcj02", name, h)
		}
		for _, r := range rows[1:] {
			p, q := parsePoint(t, r[lon], r[lat]), parsePoint(t, r[glon], r[glat])
			want := geo.WGS84ToGCJ02(p)
			if math.Abs(want[0]-q[0]) > 6e-7 || math.Abs(want[1]-q[1]) > 6e-7 {
				t.Errorf("%s %s: GCJ-02 %v, geo gives %v", name, r[0], q, want)
			}
			if d := geo.Haversine(geo.GCJ02ToWGS84(q), p); d > 0.5 {
				t.Errorf("%s %s: GCJ-02 back to WGS84 is %.2f m off", name, r[0], d)
			}
			if !geo.OutOfChina(p) && geo.Haversine(p, q) < 100 {
				t.Errorf("%s %s: GCJ-02 %v is not offset from WGS84 %v", name, r[0], q, p)
			}
		}
	}
	// The hostile unit id in demand.csv's unit_id is neutralised.
	rows := readCSVFile(t, filepath.Join(dir, "demand.csv"))
	if rows[1][2] != "'@n1" {
		t.Errorf("demand.csv unit_id %q, want '@n1", rows[1][2])
	}
}

func parsePoint(t *testing.T, lon, lat string) orb.Point {
	t.Helper()
	x, err1 := strconv.ParseFloat(lon, 64)
	y, err2 := strconv.ParseFloat(lat, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("coordinates %q, %q", lon, lat)
	}
	return orb.Point{x, y}
}

// TestProposalOutputs: proposals.csv with BD-09 and GCJ-02 columns that
// put a site where it is on Baidu and Amap (back to WGS84 within 0.5 m),
// and proposals.gpkg beside proposals.geojson.
func TestProposalOutputs(t *testing.T) {
	site := orb.Point{116.397128, 39.916527} // Tiananmen, WGS84
	in := planner.ProposeInput{Demand: &planner.Demand{Source: planner.DemandPopulationLayer}, Types: []planner.ProposeType{{ID: "clinic", Names: planner.Names{Zh: "诊所", En: "Clinic"}, Radius: 1000, Weight: 1}}}
	res := &planner.ProposeResult{
		Candidates: []planner.Candidate{{ID: "=c1", Geometry: site}},
		Sites: []planner.Site{{Rank: 1, Candidate: 0, ID: "=c1", Point: site, Gain: 120.5, GainByType: []float64{120.5},
			Cumulative: 120.5, CoverageAfter: []float64{1}, Units: []planner.UnitGain{{Unit: "n1", Gain: 120.5}}}},
	}
	for _, c := range []struct {
		o    OutCoords
		back func(orb.Point) orb.Point
	}{{OutGCJ02, geo.GCJ02ToWGS84}, {OutBD09, geo.BD09ToWGS84}} {
		dir := filepath.Join(t.TempDir(), "p")
		meta := ProposeMeta{Version: "test", Mode: "maximal covering", K: 1, Format: OutputFormat{GeoJSON: true, GPKG: true}, OutCoords: c.o}
		if err := WriteProposal(dir, in, res, meta); err != nil {
			t.Fatal(err)
		}
		rows := readCSVFile(t, filepath.Join(dir, "proposals.csv"))
		h := rows[0]
		lon, lat := slicesIndex(h, "lon_"+string(c.o)), slicesIndex(h, "lat_"+string(c.o))
		if lon < 0 || lat < 0 || len(rows) != 2 {
			t.Fatalf("proposals.csv: %q", rows)
		}
		q := parsePoint(t, rows[1][lon], rows[1][lat])
		if d := geo.Haversine(c.back(q), site); d > 0.5 {
			t.Errorf("%s: the site pasted into the web map lands %.2f m from where it should", c.o, d)
		}
		if d := geo.Haversine(q, site); d < 100 {
			t.Errorf("%s: %v is not offset from WGS84 (%.0f m)", c.o, q, d)
		}
		if rows[1][1] != "'=c1" {
			t.Errorf("site_id %q, want '=c1", rows[1][1])
		}
		l := ogrinfo(t, filepath.Join(dir, ProposalGPKG))["proposals"]
		if l == nil || l.Count != 1 || l.Geometry != "Point" || l.Fields["coverage_after"] != "Real" {
			t.Errorf("proposals.gpkg: %+v", l)
		}
	}
}
