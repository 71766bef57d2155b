package shp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data/crs"
	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func gbk(t testing.TB, s string) string {
	b, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var testFields = []Field{
	{Name: "name", Type: 'C', Length: 40},
	{Name: "pop", Type: 'N', Length: 10},
	{Name: "area", Type: 'F', Length: 12, Decimals: 3},
	{Name: "open", Type: 'L', Length: 1},
	{Name: "since", Type: 'D', Length: 8},
}

// TestReadShapes covers every supported shape type, ring grouping, fields,
// blanks and deleted records on a file written by the test writer.
func TestReadShapes(t *testing.T) {
	dir := t.TempDir()
	outer := square(0, 0, 10, true)
	hole := square(0, 0, 2, false)
	far := square(100, 100, 5, true)
	farHole := square(100, 100, 1, false)
	shapes := []testShape{
		{typ: typePoint, parts: [][]orb.Point{{{1, 2}}}},
		{typ: typePointZ, parts: [][]orb.Point{{{3, 4}}}},
		{typ: typeMultiPoint, parts: [][]orb.Point{{{1, 1}, {2, 2}}}},
		{typ: typePolyLine, parts: [][]orb.Point{{{0, 0}, {1, 1}}}},
		{typ: typePolyLineZ, parts: [][]orb.Point{{{0, 0}, {1, 1}}, {{5, 5}, {6, 6}, {7, 7}}}},
		{typ: typePolygon, parts: [][]orb.Point{outer, hole}},
		{typ: typePolygonZ, parts: [][]orb.Point{outer, hole, far, farHole}},
		{typ: typeNull},
		{typ: typePoint, parts: [][]orb.Point{{{9, 9}}}}, // deleted in the .dbf
	}
	writeFile(t, filepath.Join(dir, "t.shp"), shpBytes(typePolygon, shapes))
	rows := [][]string{
		{"社区卫生服务中心", "1234", "12.500", "T", "20240131"},
		{"", "", "", "?", ""},
		{"b", "-7", "1e3", "F", "00000000"},
		{"c", "9999999999", " 0.250", "y", ""},
		{"d", "**********", "", "n", ""},
		{"e", "1", "", "", ""}, {"f", "2", "", "", ""}, {"null shape", "3", "", "", ""}, {"gone", "4", "", "", ""},
	}
	writeFile(t, filepath.Join(dir, "t.dbf"), dbfBytes(testFields, rows, map[int]bool{8: true}, 0))
	writeFile(t, filepath.Join(dir, "t.cpg"), []byte("UTF-8\n"))
	l, err := Read(filepath.Join(dir, "t.shp"))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Features) != 8 {
		t.Fatalf("%d features; want 8 (one deleted)", len(l.Features))
	}
	if l.HasCRS || l.Encoding != "UTF-8" || l.EncodingGuessed {
		t.Errorf("HasCRS %v Encoding %q guessed %v; want false, UTF-8 from the .cpg", l.HasCRS, l.Encoding, l.EncodingGuessed)
	}
	f := l.Features
	if f[0].Geometry != (orb.Point{1, 2}) || f[1].Geometry != (orb.Point{3, 4}) {
		t.Errorf("points: %v %v", f[0].Geometry, f[1].Geometry)
	}
	if mp, ok := f[2].Geometry.(orb.MultiPoint); !ok || len(mp) != 2 {
		t.Errorf("multipoint: %#v", f[2].Geometry)
	}
	if ls, ok := f[3].Geometry.(orb.LineString); !ok || len(ls) != 2 {
		t.Errorf("line: %#v", f[3].Geometry)
	}
	if ml, ok := f[4].Geometry.(orb.MultiLineString); !ok || len(ml) != 2 || len(ml[1]) != 3 {
		t.Errorf("multiline: %#v", f[4].Geometry)
	}
	pg, ok := f[5].Geometry.(orb.Polygon)
	if !ok || len(pg) != 2 || pg[0].Orientation() != orb.CCW || pg[1].Orientation() != orb.CW || pg.Bound() != orb.MultiPoint(outer).Bound() {
		t.Errorf("polygon with hole: %#v", f[5].Geometry)
	}
	mpg, ok := f[6].Geometry.(orb.MultiPolygon)
	if !ok || len(mpg) != 2 || len(mpg[0]) != 2 || len(mpg[1]) != 2 || mpg[1].Bound() != orb.MultiPoint(far).Bound() || mpg[1][1].Bound() != orb.MultiPoint(farHole).Bound() {
		t.Errorf("multipolygon, each hole in its outer ring: %#v", f[6].Geometry)
	}
	if f[7].Geometry != nil || f[7].Record != 8 {
		t.Errorf("null shape: %#v record %d", f[7].Geometry, f[7].Record)
	}
	want0 := map[string]any{"name": "社区卫生服务中心", "pop": int64(1234), "area": 12.5, "open": true, "since": "2024-01-31"}
	for k, v := range want0 {
		if f[0].Properties[k] != v {
			t.Errorf("record 1 %s = %#v; want %#v", k, f[0].Properties[k], v)
		}
	}
	for _, k := range []string{"name", "pop", "area", "open", "since"} {
		if v, ok := f[1].Properties[k]; !ok || v != nil {
			t.Errorf("record 2 %s = %#v, present %v; want a nil value for a blank", k, v, ok)
		}
	}
	if f[2].Properties["pop"] != int64(-7) || f[2].Properties["area"] != 1000.0 || f[2].Properties["open"] != false || f[2].Properties["since"] != nil {
		t.Errorf("record 3: %v", f[2].Properties)
	}
	if f[3].Properties["pop"] != int64(9999999999) || f[3].Properties["area"] != 0.25 || f[3].Properties["open"] != true {
		t.Errorf("record 4: %v", f[3].Properties)
	}
	if f[4].Properties["pop"] != nil {
		t.Errorf("record 5: overflow stars %v; want nil", f[4].Properties["pop"])
	}
}

// TestEncodings: GBK text with a .cpg, without (guessed), with the language
// driver, and ASCII without a .cpg.
func TestEncodings(t *testing.T) {
	name := "菜市场"
	cases := []struct {
		label       string
		cpg         *string
		ldid        byte
		text        string
		enc         string
		guessed     bool
		wantGarbled bool
	}{
		{"gbk cpg", ptr("GBK"), 0, gbk(t, name), "GBK", false, false},
		{"936 cpg", ptr("936"), 0, gbk(t, name), "GBK", false, false},
		{"gb2312 cpg", ptr("GB2312"), 0, gbk(t, name), "GBK", false, false},
		{"gb18030 cpg", ptr("GB18030"), 0, gbk(t, name), "GB18030", false, false},
		{"utf-8 cpg", ptr("UTF-8"), 0, name, "UTF-8", false, false},
		{"65001 cpg", ptr("65001"), 0, name, "UTF-8", false, false},
		{"no cpg, gbk", nil, 0, gbk(t, name), "GBK", true, false},
		{"no cpg, utf-8", nil, 0x57, name, "UTF-8", true, false},
		{"no cpg, ldid 936", nil, 0x4D, gbk(t, name), "GBK", false, false},
		{"wrong cpg", ptr("UTF-8"), 0, gbk(t, name), "UTF-8", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.label, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "m.shp")
			writeFile(t, p, shpBytes(typePoint, []testShape{{typ: typePoint, parts: [][]orb.Point{{{116, 40}}}}}))
			writeFile(t, filepath.Join(dir, "m.dbf"), dbfBytes([]Field{{Name: "name", Type: 'C', Length: 20}}, [][]string{{tc.text}}, nil, tc.ldid))
			if tc.cpg != nil {
				writeFile(t, filepath.Join(dir, "m.cpg"), []byte(*tc.cpg))
			}
			l, err := Read(p)
			if err != nil {
				t.Fatal(err)
			}
			got := l.Features[0].Properties["name"]
			if (got == name) == tc.wantGarbled || l.Encoding != tc.enc || l.EncodingGuessed != tc.guessed {
				t.Errorf("name %q encoding %q guessed %v; want %q %q %v", got, l.Encoding, l.EncodingGuessed, name, tc.enc, tc.guessed)
			}
		})
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "m.shp")
	writeFile(t, p, shpBytes(typePoint, []testShape{{typ: typePoint, parts: [][]orb.Point{{{116, 40}}}}}))
	writeFile(t, filepath.Join(dir, "m.dbf"), dbfBytes([]Field{{Name: "name", Type: 'C', Length: 20}}, [][]string{{"x"}}, nil, 0))
	writeFile(t, filepath.Join(dir, "m.cpg"), []byte("KLINGON-1"))
	if _, err := Read(p); err == nil || !strings.Contains(err.Error(), "m.dbf") || !strings.Contains(err.Error(), "UTF-8 or GBK") {
		t.Errorf("unknown .cpg: %v", err)
	}
}

func ptr(s string) *string { return &s }

func TestReadErrors(t *testing.T) {
	pts := shpBytes(typePoint, []testShape{{typ: typePoint, parts: [][]orb.Point{{{116, 40}}}}, {typ: typePoint, parts: [][]orb.Point{{{116, 41}}}}})
	dbf := dbfBytes([]Field{{Name: "id", Type: 'N', Length: 5}}, [][]string{{"1"}, {"2"}}, nil, 0)
	cgcs := `PROJCS["CGCS2000_3_Degree_GK_CM_117E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	multipatch := shpBytes(typeMultiPatch, nil)
	cases := []struct {
		name      string
		shp, dbf  []byte
		prj       string
		wants     []string
		wantLayer func(*Layer) bool
	}{
		{"no dbf", pts, nil, "", []string{"x.dbf is missing", "copy all the files of the shapefile: .shp, .shx, .dbf, .prj"}, nil},
		{"truncated shp", pts[:len(pts)-5], dbf, "", []string{"x.shp", "truncated"}, nil},
		{"truncated record", fixLen(pts[:len(pts)-5]), dbf, "", []string{"x.shp: record 2: truncated"}, nil},
		{"not a shp", []byte(strings.Repeat("hello ", 30)), dbf, "", []string{"x.shp: not a .shp file"}, nil},
		{"multipatch", multipatch, dbf, "", []string{"x.shp", "MultiPatch is not supported"}, nil},
		{"record count", pts, dbfBytes([]Field{{Name: "id", Type: 'N', Length: 5}}, [][]string{{"1"}}, nil, 0), "", []string{"x.shp has 2 records but x.dbf has 1"}, nil},
		{"truncated dbf", pts, dbf[:40], "", []string{"x.dbf", "truncated"}, nil},
		{"bad number", pts, dbfBytes([]Field{{Name: "id", Type: 'N', Length: 5}}, [][]string{{"1"}, {"abc"}}, nil, 0), "", []string{"x.dbf: record 2: field id", "not a number"}, nil},
		{"broken prj", pts, dbf, "PROJCS[\"x\",GEOGCS[", []string{"x.prj", "not valid WKT"}, nil},
		{"gauss-kruger prj", pts, dbf, cgcs, nil, func(l *Layer) bool { return l.HasCRS && l.CRS.EPSG() == 4548 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "x.shp")
			writeFile(t, p, tc.shp)
			if tc.dbf != nil {
				writeFile(t, filepath.Join(dir, "x.dbf"), tc.dbf)
			}
			if tc.prj != "" {
				writeFile(t, filepath.Join(dir, "x.prj"), []byte(tc.prj))
			}
			l, err := Read(p)
			if tc.wantLayer != nil {
				if err != nil || !tc.wantLayer(l) {
					t.Fatalf("Read: %+v, %v", l, err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if _, err := Read(filepath.Join(t.TempDir(), "none.shp")); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing .shp: %v", err)
	}
}

// fixLen rewrites the header's file length to the data's, so that the
// truncation is found in the last record rather than in the header.
func fixLen(b []byte) []byte {
	b = append([]byte(nil), b...)
	n := uint32(len(b) / 2)
	b[24], b[25], b[26], b[27] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return b
}

func TestReadWGS84UpperCaseAndDefault(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "u.shp")
	c, _ := crs.Parse("EPSG:4547")
	xy, _ := c.FromWGS84(orb.Point{116.3, 39.9})
	writeFile(t, p, shpBytes(typePoint, []testShape{{typ: typePoint, parts: [][]orb.Point{{xy}}}}))
	writeFile(t, filepath.Join(dir, "u.DBF"), dbfBytes([]Field{{Name: "id", Type: 'N', Length: 5}}, [][]string{{"1"}}, nil, 0))
	if _, err := ReadWGS84(p, crs.WGS84); err == nil || !strings.Contains(err.Error(), "u.shp: record 1") || !strings.Contains(err.Error(), "projected") {
		t.Errorf("projected numbers read as WGS84: %v", err)
	}
	l, err := ReadWGS84(p, c)
	if err != nil {
		t.Fatal(err)
	}
	got := l.Features[0].Geometry.(orb.Point)
	if dx, dy := got[0]-116.3, got[1]-39.9; dx*dx+dy*dy > 1e-16 || l.CRS != crs.WGS84 {
		t.Errorf("converted: %v %s", got, l.CRS)
	}
	if err := os.WriteFile(filepath.Join(dir, "u.prj"), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadWGS84(p, c); err == nil || !strings.Contains(err.Error(), "u.prj") {
		t.Errorf("broken .prj: %v", err)
	}
}

func FuzzReadSHP(f *testing.F) {
	f.Add(shpBytes(typePoint, []testShape{{typ: typePoint, parts: [][]orb.Point{{{1, 2}}}}}))
	f.Add(shpBytes(typePolygon, []testShape{{typ: typePolygon, parts: [][]orb.Point{square(0, 0, 10, true), square(0, 0, 1, false), square(50, 0, 3, true)}}}))
	f.Add(shpBytes(typePolyLineZ, []testShape{{typ: typePolyLineZ, parts: [][]orb.Point{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}}}}))
	f.Add(shpBytes(typeMultiPoint, []testShape{{typ: typeMultiPoint, parts: [][]orb.Point{{{0, 0}, {1, 1}}}}, {typ: typeNull}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		geoms, err := decodeSHP("f.shp", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.shp") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for i, g := range geoms {
			if pg, ok := g.(orb.Polygon); ok && len(pg) == 0 {
				t.Fatalf("record %d: empty polygon", i+1)
			}
		}
	})
}

func FuzzReadDBF(f *testing.F) {
	f.Add(dbfBytes(testFields, [][]string{{"社区", "12", "1.5", "T", "20240101"}, {"", "", "", "", ""}}, map[int]bool{1: true}, 0), "", false)
	f.Add(dbfBytes([]Field{{Name: gbk(f, "名称"), Type: 'C', Length: 10}}, [][]string{{gbk(f, "菜市场")}}, nil, 0), "GBK", true)
	f.Add(dbfBytes([]Field{{Name: "x", Type: 'C', Length: 10}}, [][]string{{"\xff\xfe"}}, nil, 0x4D), "", false)
	f.Fuzz(func(t *testing.T, data []byte, cpg string, hasCPG bool) {
		tab, err := decodeDBF("f.dbf", data, cpg, hasCPG)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.dbf") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, r := range tab.records {
			for k, v := range r {
				if s, ok := v.(string); ok && !isUTF8(s) || !isUTF8(k) {
					t.Fatalf("invalid UTF-8 in %q = %q", k, v)
				}
			}
		}
	})
}

func isUTF8(s string) bool { return strings.ToValidUTF8(s, "") == s }
