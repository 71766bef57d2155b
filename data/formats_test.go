package data

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/lifecircle/lifecircle/data/crs"
	"github.com/lifecircle/lifecircle/data/gpkg"
	"github.com/lifecircle/lifecircle/data/xlsx"
	"github.com/lifecircle/lifecircle/geo"
)

func TestSplitInput(t *testing.T) {
	gcj, _ := crs.Parse("gcj02")
	gk, _ := crs.Parse("EPSG:4547")
	for _, tc := range []struct {
		spec, file string
		c          crs.CRS
		ok         bool
	}{
		{"a.csv", "a.csv", crs.WGS84, false},
		{"a.csv@gcj02", "a.csv", gcj, true},
		{"a.csv@GCJ-02", "a.csv", gcj, true},
		{"units.shp@EPSG:4547", "units.shp", gk, true},
		{"me@home/a.csv", "me@home/a.csv", crs.WGS84, false},
		{"me@home/a.csv@gcj02", "me@home/a.csv", gcj, true},
		{"p.gpkg#blocks@4547", "p.gpkg#blocks", gk, true},
		{"a.csv@gcj2", "a.csv@gcj2", crs.WGS84, false},
	} {
		file, c, ok := SplitInput(tc.spec)
		if file != tc.file || c != tc.c || ok != tc.ok {
			t.Errorf("SplitInput(%q) = %q, %v, %v; want %q, %v, %v", tc.spec, file, c, ok, tc.file, tc.c, tc.ok)
		}
	}
	if got := InputPath("p.gpkg#blocks@cgcs2000"); got != "p.gpkg" {
		t.Errorf("InputPath = %q", got)
	}
}

// TestReadGBKCSV reads a CSV saved by Excel on a Chinese Windows (GBK, no
// BOM) and one in UTF-8 with a BOM: the same Chinese names; the GBK one
// reports how it was read.
func TestReadGBKCSV(t *testing.T) {
	dir := t.TempDir()
	text := "名称,经度,纬度,type\n南区超市,116.3510136,39.9581307,market\n校医院,116.3506488,39.9585889,clinic\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, body string
		note       bool
	}{{"gbk.csv", gbk, true}, {"bom.csv", "\xef\xbb\xbf" + text, false}, {"utf8.csv", text, false}} {
		p := filepath.Join(dir, tc.name)
		if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		var notes []string
		l, err := ReadLayer(p, ReadOptions{Report: func(n string) { notes = append(notes, n) }})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Features) != 2 || l.Features[0].Properties["名称"] != "南区超市" || l.Features[1].Properties["名称"] != "校医院" {
			t.Errorf("%s: features %+v", tc.name, l.Features)
		}
		if got := len(notes) == 1 && strings.Contains(notes[0], "GBK"); got != tc.note {
			t.Errorf("%s: notes %q", tc.name, notes)
		}
	}
}

// TestReadGCJ02Suffix reads a CSV of GCJ-02 points with @gcj02: the
// positions come back within a metre of the WGS84 originals.
func TestReadGCJ02Suffix(t *testing.T) {
	wgs := orb.Point{116.3510136, 39.9581307}
	g := geo.WGS84ToGCJ02(wgs)
	p := filepath.Join(t.TempDir(), "s.csv")
	if err := os.WriteFile(p, []byte("lon,lat\n"+fmtNum(g[0])+","+fmtNum(g[1])+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := ReadLayer(p+"@gcj02", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d := geo.Haversine(l.Features[0].Geometry.(orb.Point), wgs); d > 1 {
		t.Errorf("@gcj02 point %v is %.2f m from %v", l.Features[0].Geometry, d, wgs)
	}
	if l.Path != p {
		t.Errorf("layer path %q, want %q", l.Path, p)
	}
}

// TestReadFormatErrors: bad inputs in the new formats give messages that
// name the file and the fix.
func TestReadFormatErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// An empty point Shapefile: the 100-byte header only.
	head := make([]byte, 100)
	binary.BigEndian.PutUint32(head[0:], 9994)
	binary.BigEndian.PutUint32(head[24:], 50)
	binary.LittleEndian.PutUint32(head[28:], 1000)
	binary.LittleEndian.PutUint32(head[32:], 1)
	noDBF := write("nodbf.shp", head)
	badPrj := write("badprj.shp", head)
	write("badprj.dbf", []byte("x"))
	write("badprj.prj", []byte(`GEOGCS["broken`))
	csvFile := write("s.csv", []byte("lon,lat\n116.35,39.96\n"))
	gj := write("u.geojson", []byte(`{"type":"FeatureCollection","features":[]}`))

	noCoords := filepath.Join(dir, "nocoords.xlsx")
	if err := xlsx.Write(noCoords, []xlsx.Sheet{{Name: "站点", Header: []string{"名称", "地址"}, Rows: [][]any{{"南区超市", "西土城路10号"}}}}); err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(dir, "p.gpkg")
	fc := geojson.NewFeatureCollection()
	fc.Append(geojson.NewFeature(orb.Point{116.35, 39.96}))
	if err := gpkg.WriteLayers(pkg, []gpkg.Layer{{Name: "stations", Features: fc}}, nil); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, spec string
		want       []string
	}{
		{"shp without dbf", noDBF, []string{noDBF, "nodbf.dbf is missing", "copy all the files"}},
		{"broken prj", badPrj, []string{"badprj.prj"}},
		{"unknown EPSG code", gj + "@EPSG:9999", []string{gj + "@EPSG:9999", `"EPSG:9999" after the @ is not a coordinate system`, "@EPSG:nnnn"}},
		{"bad suffix", csvFile + "@gcj2", []string{csvFile + "@gcj2", `"gcj2" after the @`, "@gcj02"}},
		{"projected suffix on CSV", csvFile + "@EPSG:4547", []string{"projected", "Shapefile or GeoPackage"}},
		{"xlsx without coordinates", noCoords, []string{noCoords}},
		{"missing GeoPackage layer", pkg + "#blocks", []string{pkg, `no layer "blocks"`, "stations"}},
		{"dbf given", write("a.dbf", []byte("x")), []string{"give the .shp (a.shp)"}},
		{"missing shp", filepath.Join(dir, "none.shp"), []string{"none.shp: file not found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadLayer(tc.spec, ReadOptions{})
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
