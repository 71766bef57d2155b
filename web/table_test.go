package web

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/xuri/excelize/v2"
)

// TestTableSortFilterExport sorts and filters the units table of the
// district example and checks the JSON page against the CSV and XLSX
// downloads of the same query: same rows, same order, same figures.
func TestTableSortFilterExport(t *testing.T) {
	ts := newDistrictServer(t)
	q := "level=units_community&sort=-population&filter=" + url.QueryEscape("coverage_clinic<0.9") + "&q=%E7%A4%BE%E5%8C%BA" // q=社区
	doc := decode[tableDoc](t, ts.get("/api/table/units?"+q+"&limit=10000"), 200)
	if doc.Matched == 0 || doc.Matched > doc.Total || len(doc.Rows) != doc.Matched {
		t.Fatalf("matched %d of %d, %d rows", doc.Matched, doc.Total, len(doc.Rows))
	}
	pi, ci := colIndex(doc, "population"), colIndex(doc, "coverage_clinic")
	for i, row := range doc.Rows {
		if c := row[ci].(float64); !(c < 0.9) {
			t.Errorf("row %d: coverage_clinic %v passes the filter <0.9", i, c)
		}
		if i > 0 && row[pi].(float64) > doc.Rows[i-1][pi].(float64) {
			t.Errorf("row %d: population %v after %v: not sorted descending", i, row[pi], doc.Rows[i-1][pi])
		}
	}
	all := decode[tableDoc](t, ts.get("/api/table/units?level=units_community&limit=10000"), 200)
	if all.Matched <= doc.Matched {
		t.Errorf("the filter kept %d of %d communities: want some dropped", doc.Matched, all.Matched)
	}

	w := ts.get("/api/table/units.csv?" + q)
	if w.Code != 200 || !strings.HasPrefix(w.Body.String(), "\ufeff") || !strings.Contains(w.Header().Get("Content-Disposition"), "units_community.csv") {
		t.Fatalf("csv: %d, BOM %v, %s", w.Code, strings.HasPrefix(w.Body.String(), "\ufeff"), w.Header().Get("Content-Disposition"))
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.Body.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	checkTableEqual(t, "csv", doc, recs)

	w = ts.get("/api/table/units.xlsx?" + q)
	if w.Code != 200 {
		t.Fatalf("xlsx: %d %s", w.Code, w.Body.String())
	}
	f, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	sheets := f.GetSheetList()
	if len(sheets) != 2 || sheets[0] != "units_community" || sheets[1] != "columns" {
		t.Errorf("xlsx sheets = %v", sheets)
	}
	xrows, err := f.GetRows(sheets[0])
	if err != nil {
		t.Fatal(err)
	}
	checkTableEqual(t, "xlsx", doc, xrows)

	// Facilities: by type, searched by name, with the rule that counted them.
	fac := decode[tableDoc](t, ts.get("/api/table/facilities?type=clinic&sort=name&limit=10000"), 200)
	if fac.Matched == 0 {
		t.Fatal("no clinic in the facilities table")
	}
	ri, ni, ti := colIndex(fac, "rule"), colIndex(fac, "name"), colIndex(fac, "type")
	for _, row := range fac.Rows {
		if row[ti] != "clinic" || !strings.Contains(row[ri].(string), "=") {
			t.Errorf("facility row %v: want type clinic and its rule (key=value)", row)
		}
	}
	name := ""
	for _, row := range fac.Rows {
		if n, _ := row[ni].(string); n != "" {
			name = n
			break
		}
	}
	if name != "" {
		one := decode[tableDoc](t, ts.get("/api/table/facilities?q="+url.QueryEscape(strings.ToUpper(name))), 200)
		if one.Matched < 1 {
			t.Errorf("search %q found nothing", name)
		}
	}
	// The page holding a row: at=id.
	last := doc.Rows[len(doc.Rows)-1][0].(string)
	page := decode[tableDoc](t, ts.get("/api/table/units?"+q+"&limit=1&at="+url.QueryEscape(last)), 200)
	if page.At != 0 || page.Offset != len(doc.Rows)-1 || page.Rows[0][0] != last {
		t.Errorf("at=%s: offset %d, at %d, rows %v", last, page.Offset, page.At, page.Rows)
	}
}

// TestTableExportFormulaSafe: a facility named like a formula (added by
// a what-if edit) is exported as text, in the CSV with a leading
// apostrophe and in the workbook as a text cell, never a formula.
func TestTableExportFormulaSafe(t *testing.T) {
	ts := newDistrictServer(t)
	var lon, lat float64
	ts.sc.View(func(in planner.AuditInput, _ *planner.AuditResult, _ []bool) {
		p := in.Demand.Points[0]
		lon, lat = p[0], p[1]
	})
	name := `=HYPERLINK("http://example.com","x")`
	if w := ts.post("/api/scenario", map[string]any{"op": "add", "type": "clinic", "name": name, "lon": lon, "lat": lat}); w.Code != 200 {
		t.Fatalf("add: %d %s", w.Code, w.Body.String())
	}
	q := "?q=" + url.QueryEscape("hyperlink")
	doc := decode[tableDoc](t, ts.get("/api/table/facilities"+q), 200)
	if doc.Matched != 1 || doc.Rows[0][colIndex(doc, "name")] != name || doc.Rows[0][colIndex(doc, "source")] != "scenario" {
		t.Fatalf("the added facility in the table: %v", doc.Rows)
	}
	w := ts.get("/api/table/facilities.csv" + q)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.Body.String(), "\ufeff"))).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("csv: %v, %d records", err, len(recs))
	}
	if got := recs[1][4]; got != "'"+name {
		t.Errorf("csv name = %q, want %q", got, "'"+name)
	}
	f, err := excelize.OpenReader(bytes.NewReader(ts.get("/api/table/facilities.xlsx" + q).Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	cell, _ := excelize.CoordinatesToCellName(5, 2)
	formula, _ := f.GetCellFormula("facilities", cell)
	value, _ := f.GetCellValue("facilities", cell)
	if formula != "" || value != name {
		t.Errorf("xlsx %s: formula %q, value %q; want the text %q", cell, formula, value, name)
	}
}

// checkTableEqual compares a JSON table page with the rows of a download
// (header first): the same keys, and each cell the same number or text.
func checkTableEqual(t *testing.T, what string, doc tableDoc, recs [][]string) {
	t.Helper()
	if len(recs) != len(doc.Rows)+1 {
		t.Fatalf("%s: %d records, want header + %d rows", what, len(recs), len(doc.Rows))
	}
	for j, c := range doc.Columns {
		if recs[0][j] != c.Key {
			t.Fatalf("%s: header %d = %q, want %q", what, j, recs[0][j], c.Key)
		}
	}
	for i, row := range doc.Rows {
		rec := recs[i+1]
		for j, v := range row {
			got := ""
			if j < len(rec) {
				got = rec[j]
			}
			switch x := v.(type) {
			case nil:
				if got != "" {
					t.Errorf("%s row %d %s = %q, want empty", what, i, doc.Columns[j].Key, got)
				}
			case float64:
				y, err := strconv.ParseFloat(got, 64)
				if err != nil || y != x {
					t.Errorf("%s row %d %s = %q, want %v", what, i, doc.Columns[j].Key, got, x)
				}
			case string:
				if got != x {
					t.Errorf("%s row %d %s = %q, want %q", what, i, doc.Columns[j].Key, got, x)
				}
			}
		}
	}
}

// TestTableBadInput: bad parameters are 400, unknown tables and levels
// 404, each with the JSON error shape.
func TestTableBadInput(t *testing.T) {
	ts := newDistrictServer(t)
	for _, tc := range []struct {
		name, target string
		status       int
		want         string
	}{
		{"unknown table", "/api/table/streets", 404, "no table"},
		{"unknown level", "/api/table/units?level=units_nowhere", 404, "no level"},
		{"unknown level csv", "/api/table/units.csv?level=x", 404, "no level"},
		{"unknown column", "/api/table/units?sort=nope", 400, "no column"},
		{"bad filter", "/api/table/units?filter=" + url.QueryEscape("population>>1"), 400, "population"},
		{"filter syntax", "/api/table/units?filter=" + url.QueryEscape("(x)"), 400, "COLUMN OP VALUE"},
		{"filter text on number", "/api/table/units?filter=" + url.QueryEscape("population>abc"), 400, "holds numbers"},
		{"less-than on text", "/api/table/units?filter=" + url.QueryEscape("name<a"), 400, "holds text"},
		{"unknown parameter", "/api/table/units?bbox=1,2,3,4", 400, "unknown parameter"},
		{"twice", "/api/table/units?sort=a&sort=b", 400, "given 2 times"},
		{"limit", "/api/table/units?limit=0", 400, "limit"},
		{"offset", "/api/table/units?offset=-1", 400, "offset"},
		{"type on units", "/api/table/units?type=clinic", 400, "facilities table only"},
		{"level on facilities", "/api/table/facilities?level=cells", 400, "units table only"},
		{"unknown type", "/api/table/facilities?type=spa", 400, "not in profile"},
		{"unit level", "/api/units/sub-N?level=units_x", 404, "no level"},
		{"unit at level", "/api/units/com-S1?level=units_subdistrict", 404, "has no unit"},
		{"levels param", "/api/levels?x=1", 400, "unknown parameter"},
		{"rules param", "/api/rules?x=1", 400, "unknown parameter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := ts.get(tc.target)
			e := decode[struct {
				Error struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}](t, w, tc.status)
			if !strings.Contains(e.Error.Message, tc.want) || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
				t.Errorf("%s: %q (%s), want a message with %q", tc.target, e.Error.Message, w.Header().Get("Content-Type"), tc.want)
			}
		})
	}
}

// FuzzTableQuery: any query string parses to a query or a 400 error, and
// a parsed query filters and sorts a table without panicking, keeping only
// rows of the table.
func FuzzTableQuery(f *testing.F) {
	for _, s := range []string{"sort=-population", "filter=coverage_clinic%3C0.5&q=park", "filter=name~%E5%85%AC&filter=population%3E%3D1",
		"sort=name&limit=5&offset=2&at=u2", "filter=%3D%3D", "filter=population!=", "level=x&sort=-", "filter=rules~1"} {
		f.Add(s)
	}
	base := func() *builtTable {
		t := &builtTable{name: "units", key: "unit_id"}
		t.Header = []string{"unit_id", "name", "population", "coverage_clinic", "rules_broken", "rules"}
		t.Rows = [][]any{
			{"u1", "North park", data.F(120, 1), data.F(0.25, 4), 1, "1"},
			{"u2", "", data.F(0, 1), data.F(math.NaN(), 4), 0, ""},
			{"u3", "=cmd", data.F(3000.5, 1), data.F(1, 4), 2, "1 3"},
		}
		t.describe(nil)
		return t
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseTableQuery(v, "units")
		if err != nil {
			if !errors.Is(err, planner.ErrInvalid) {
				t.Fatalf("%q: error %v is not a bad request", raw, err)
			}
			return
		}
		tb := base()
		if err := tb.apply(q); err != nil {
			if !errors.Is(err, planner.ErrInvalid) {
				t.Fatalf("%q: error %v is not a bad request", raw, err)
			}
			return
		}
		if len(tb.Rows) > 3 || q.limit < 1 || q.limit > maxTableLimit || q.offset < 0 {
			t.Fatalf("%q: %d rows, limit %d, offset %d", raw, len(tb.Rows), q.limit, q.offset)
		}
	})
}
