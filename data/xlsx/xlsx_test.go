package xlsx

import (
	"archive/zip"
	"encoding/json"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"
)

func sampleSheets() []Sheet {
	return []Sheet{
		{
			Name:   "社区",
			Header: []string{"名称", "经度", "纬度", "人口", "覆盖率", "达标"},
			Rows: [][]any{
				{"北京邮电大学社区", 116.3506488, 39.9585889, 12034, 0.8125, true},
				{"蓟门里社区", 116.3544056, 39.9568664, 8000, math.NaN(), false},
			},
		},
		{
			Name:   "rules",
			Header: []string{"rule", "note"},
			Rows: [][]any{
				{"=HYPERLINK(\"http://x\",\"click\")", "+1"},
				{"-2", "@SUM(A1)"},
				{"\tTab", "\rCR"},
				{"plain", nil},
			},
		},
	}
}

// TestWriteReadExcelize writes sheets and reads them back with excelize
// (as a separate reader) and ReadPoints.
func TestWriteReadExcelize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.xlsx")
	if err := Write(path, sampleSheets()); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 2 || got[0] != "社区" || got[1] != "rules" {
		t.Fatalf("sheets %v", got)
	}
	// Numbers carry no type attribute (OOXML's default, number): Unset.
	types := map[string]excelize.CellType{"A2": excelize.CellTypeInlineString, "B2": excelize.CellTypeUnset, "D2": excelize.CellTypeUnset, "F2": excelize.CellTypeBool}
	for cell, want := range types {
		if got, _ := f.GetCellType("社区", cell); got != want {
			t.Errorf("%s: cell type %v, want %v", cell, got, want)
		}
	}
	if v, _ := f.GetCellValue("社区", "B2", excelize.Options{RawCellValue: true}); v != "116.3506488" {
		t.Errorf("B2 = %q", v)
	}
	if v, _ := f.GetCellValue("社区", "E3"); v != "" {
		t.Errorf("NaN written as %q, want an empty cell", v)
	}
	panes, err := f.GetPanes("社区")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v %v: want the header row frozen", panes, err)
	}
	style, _ := f.GetCellStyle("社区", "A1")
	if s, err := f.GetStyle(style); err != nil || s.Font == nil || !s.Font.Bold {
		t.Errorf("header style %+v %v: want bold", s, err)
	}
	if w, _ := f.GetColWidth("社区", "A"); w < 18 {
		t.Errorf("column A (8 CJK characters) is %.1f wide", w)
	}
	for _, cell := range []string{"A2", "B2", "A3", "B3", "A4", "B4"} {
		formula, _ := f.GetCellFormula("rules", cell)
		v, _ := f.GetCellValue("rules", cell)
		if formula != "" || !formulaLike(v) {
			t.Errorf("rules!%s: formula %q, value %q", cell, formula, v)
		}
	}
	// No formula element anywhere in the package.
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/") {
			continue
		}
		rc, _ := zf.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if strings.Contains(string(b), "<f>") || strings.Contains(string(b), "<f ") {
			t.Errorf("%s holds a formula", zf.Name)
		}
	}

	fc, info, err := ReadPoints(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if info.Sheet != "社区" || info.Lon != "经度" || info.Lat != "纬度" || info.Name != "名称" || info.Points != 2 {
		t.Errorf("info %+v", info)
	}
	if p := fc.Features[0].Geometry.(orb.Point); p != (orb.Point{116.3506488, 39.9585889}) {
		t.Errorf("point %v", p)
	}
	if fc.Features[1].Properties["名称"] != "蓟门里社区" || fc.Features[0].Properties["人口"] != "12034" {
		t.Errorf("properties %v", fc.Features[0].Properties)
	}
}

// TestWriteOpenpyxl reads the workbook with Python's openpyxl, a reader
// independent of excelize.
func TestWriteOpenpyxl(t *testing.T) {
	python := openpyxlPython(t)
	path := filepath.Join(t.TempDir(), "summary.xlsx")
	if err := Write(path, sampleSheets()); err != nil {
		t.Fatal(err)
	}
	script := `
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = {}
for ws in wb.worksheets:
    out[ws.title] = {
        "freeze": ws.freeze_panes,
        "bold": bool(ws["A1"].font.b),
        "cells": [[[c.value, c.data_type, bool(c.quotePrefix)] for c in row] for row in ws.iter_rows()],
    }
print(json.dumps(out, ensure_ascii=False))
`
	out, err := exec.Command(python, "-c", script, path).Output()
	if err != nil {
		t.Fatalf("openpyxl: %v", err)
	}
	var got map[string]struct {
		Freeze string
		Bold   bool
		Cells  [][][]any
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, s := range sampleSheets() {
		g, ok := got[s.Name]
		if !ok {
			t.Fatalf("sheet %q missing: %s", s.Name, out)
		}
		if g.Freeze != "A2" || !g.Bold {
			t.Errorf("%s: freeze %q bold %v", s.Name, g.Freeze, g.Bold)
		}
		rows := append([][]any{toAny(s.Header)}, s.Rows...)
		if len(g.Cells) != len(rows) {
			t.Fatalf("%s: %d rows, wrote %d", s.Name, len(g.Cells), len(rows))
		}
		for r, row := range rows {
			for i, want := range row {
				cell := g.Cells[r][i]
				value, typ, quoted := cell[0], cell[1].(string), cell[2].(bool)
				switch w := want.(type) {
				case string:
					if value != w || typ != "s" || quoted != formulaLike(w) {
						t.Errorf("%s row %d col %d: %v (%s, quotePrefix %v), wrote text %q", s.Name, r, i, value, typ, quoted, w)
					}
				case float64:
					if math.IsNaN(w) {
						if value != nil {
							t.Errorf("%s row %d col %d: NaN read as %v", s.Name, r, i, value)
						}
					} else if value != w || typ != "n" {
						t.Errorf("%s row %d col %d: %v (%s), wrote %v", s.Name, r, i, value, typ, w)
					}
				case int:
					if value != float64(w) || typ != "n" {
						t.Errorf("%s row %d col %d: %v (%s), wrote %v", s.Name, r, i, value, typ, w)
					}
				case bool:
					if value != w || typ != "b" {
						t.Errorf("%s row %d col %d: %v (%s), wrote %v", s.Name, r, i, value, typ, w)
					}
				case nil:
					if value != nil {
						t.Errorf("%s row %d col %d: %v, wrote nothing", s.Name, r, i, value)
					}
				}
			}
		}
	}
}

// openpyxlPython returns a Python that has openpyxl: the python3 on
// PATH, else Debian's /usr/bin/python3 (where python3-openpyxl installs
// it, when PATH has another Python first). Missing, the test fails on CI
// and is skipped elsewhere.
func openpyxlPython(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import openpyxl").Run() == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no python3 with openpyxl: scripts/test installs python3-openpyxl")
	}
	t.Skip("no python3 with openpyxl (apt-get install python3-openpyxl)")
	return ""
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// handMade writes a workbook cell by cell, as a user would type it.
func handMade(t *testing.T, name string, sheets map[string][][]any, order []string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range order {
		if i == 0 {
			f.SetSheetName("Sheet1", s)
		} else {
			f.NewSheet(s)
		}
		for r, row := range sheets[s] {
			for c, v := range row {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if str, ok := v.(string); ok {
					f.SetCellStr(s, ref, str) // numbers stored as text stay text
				} else {
					f.SetCellValue(s, ref, v)
				}
			}
		}
	}
	path := filepath.Join(t.TempDir(), name)
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadPointsHandMade(t *testing.T) {
	path := handMade(t, "stations.xlsx", map[string][][]any{
		"说明": {{"这是站点列表"}, {"来源", "高德"}},
		"stations": {
			{},
			{"ID", "Name", "Lng", "Lat", "type", "population", "opened"},
			{"s1", "Station A", "116.3506488", "39.9585889", "clinic", "120", 2019},
			{},
			{"s2", "站点 B", "116,3544", "39,9568", "market", nil, "2020"},
			{nil, nil, nil, nil},
			{"s3", "C", 116.36, 39.96},
		},
	}, []string{"说明", "stations"})
	fc, info, err := ReadPoints(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if info.Sheet != "stations" || info.Lon != "Lng" || info.Lat != "Lat" || info.ID != "ID" || info.Name != "Name" || info.Type != "type" || info.Points != 3 || info.EmptyRows != 2 {
		t.Errorf("info %+v", info)
	}
	want := []orb.Point{{116.3506488, 39.9585889}, {116.3544, 39.9568}, {116.36, 39.96}}
	for i, f := range fc.Features {
		if f.Geometry.(orb.Point) != want[i] {
			t.Errorf("point %d: %v, want %v", i, f.Geometry, want[i])
		}
	}
	f0 := fc.Features[0]
	if f0.ID != "s1" || f0.Properties["Name"] != "Station A" || f0.Properties["type"] != "clinic" || f0.Properties["population"] != 120.0 || f0.Properties["opened"] != "2019" {
		t.Errorf("feature 0: id %v properties %v", f0.ID, f0.Properties)
	}
	if _, ok := fc.Features[1].Properties["population"]; ok {
		t.Error("empty population cell became a property")
	}

	// Named sheet, other case.
	if _, info, err := ReadPoints(path, "STATIONS"); err != nil || info.Sheet != "stations" {
		t.Errorf("named sheet: %v %+v", err, info)
	}
}

func TestReadPointsErrors(t *testing.T) {
	dir := t.TempDir()
	noCoords := handMade(t, "no-coords.xlsx", map[string][][]any{
		"Sheet1": {{"名称", "地址"}, {"A", "海淀区"}},
		"empty":  {},
	}, []string{"Sheet1", "empty"})
	badNumber := handMade(t, "bad.xlsx", map[string][][]any{
		"s": {{"name", "lon", "lat"}, {"ok", 116.3, 39.9}, {"Clinic A", "116.3E", 39.9}},
	}, []string{"s"})
	emptyLon := handMade(t, "emptylon.xlsx", map[string][][]any{
		"s": {{"id", "x", "y"}, {"7", nil, 39.9}},
	}, []string{"s"})
	dup := handMade(t, "dup.xlsx", map[string][][]any{
		"s": {{"lon", "lat", "LON"}},
	}, []string{"s"})
	emptyBook := handMade(t, "empty.xlsx", map[string][][]any{}, []string{"Sheet1"})
	csv := filepath.Join(dir, "stations.xlsx")
	os.WriteFile(csv, []byte("lon,lat,name\n116.3,39.9,A\n"), 0o644)
	zero := filepath.Join(dir, "zero.xlsx")
	os.WriteFile(zero, nil, 0o644)
	for _, tc := range []struct {
		name, path, sheet string
		want              []string
	}{
		{"no coordinate columns", noCoords, "", []string{noCoords, `sheet "Sheet1" has the header "名称,地址"`, `sheet "empty" is empty`, "经度/纬度"}},
		{"named sheet without coordinates", noCoords, "Sheet1", []string{noCoords, `"Sheet1"`, "名称,地址", "name the coordinate columns"}},
		{"missing sheet", noCoords, "points", []string{noCoords, `no sheet "points"`, "Sheet1, empty"}},
		{"not a number", badNumber, "", []string{badNumber, `sheet "s", row 3 ("Clinic A")`, `lon "116.3E" is not a number`}},
		{"empty coordinate", emptyLon, "", []string{emptyLon, "row 2 (id 7)", "x is empty"}},
		{"duplicate header", dup, "", []string{dup, `"LON" twice`, "columns A and C"}},
		{"empty workbook", emptyBook, "", []string{emptyBook, `sheet "Sheet1" is empty`}},
		{"CSV renamed .xlsx", csv, "", []string{csv, "not an .xlsx workbook", "should be named .csv"}},
		{"zero bytes", zero, "", []string{zero, "empty"}},
		{"missing file", filepath.Join(dir, "nope.xlsx"), "", []string{"nope.xlsx", "no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadPoints(tc.path, tc.sheet)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestWriteErrorsKeepOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "summary.xlsx")
	if err := Write(path, sampleSheets()); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	for _, tc := range []struct {
		name   string
		sheets []Sheet
		want   string
	}{
		{"none", nil, "no sheets"},
		{"bad name", []Sheet{{Name: "a/b"}}, "does not allow"},
		{"long name", []Sheet{{Name: strings.Repeat("长", 32)}}, "31 characters"},
		{"duplicate", []Sheet{{Name: "Units"}, {Name: "units"}}, "used twice"},
		{"long row", []Sheet{{Name: "s", Header: []string{"a"}, Rows: [][]any{{1, 2}}}}, "row 1 has 2 values"},
		{"too long text", []Sheet{{Name: "s", Header: []string{"a"}, Rows: [][]any{{strings.Repeat("x", 40000)}}}}, "longer than an Excel cell"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Write(path, tc.sheets)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v, want one naming %s and containing %q", err, path, tc.want)
			}
		})
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("a failed write changed the existing file")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temporary files left behind: %v", ents)
	}
}

// TestReadPointsFullPrecision: a coordinate cell formatted to show two
// decimals is read at the precision stored, not as shown.
func TestReadPointsFullPrecision(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetRow("Sheet1", "A1", &[]any{"经度", "纬度", "名称"})
	f.SetSheetRow("Sheet1", "A2", &[]any{116.3506488, 39.9585889, "校医院"})
	style, err := f.NewStyle(&excelize.Style{NumFmt: 2}) // "0.00"
	if err != nil {
		t.Fatal(err)
	}
	f.SetCellStyle("Sheet1", "A2", "B2", style)
	if shown, _ := f.GetCellValue("Sheet1", "A2"); shown != "116.35" {
		t.Fatalf("the format should show 116.35, shows %q", shown)
	}
	path := filepath.Join(t.TempDir(), "p.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	fc, info, err := ReadPoints(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if p := fc.Features[0].Geometry.(orb.Point); p != (orb.Point{116.3506488, 39.9585889}) || info.Name != "名称" {
		t.Errorf("point %v, info %+v", p, info)
	}
}

// TestReadPointsDateCells reads a status date typed into Excel as a date
// (stored as a day number, shown as the locale writes dates) as
// YYYY-MM-DD, and one typed as text as written.
func TestReadPointsDateCells(t *testing.T) {
	path := handMade(t, "dates.xlsx", map[string][][]any{
		"s": {
			{"id", "lon", "lat", "type", "opens", "closes"},
			{"a", 116.35, 39.95, "clinic", time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC), "2028-01-01"},
		},
	}, []string{"s"})
	fc, _, err := ReadPoints(path, "")
	if err != nil {
		t.Fatal(err)
	}
	p := fc.Features[0].Properties
	if p["opens"] != "2027-06-30" || p["closes"] != "2028-01-01" {
		t.Errorf("opens %v, closes %v; want 2027-06-30, 2028-01-01", p["opens"], p["closes"])
	}
}
