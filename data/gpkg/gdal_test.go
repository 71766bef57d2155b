package gpkg

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// gdalTool returns the path of a GDAL command: missing, the test fails on
// CI (CI=true; scripts/test installs gdal-bin) and is skipped elsewhere.
func gdalTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found: scripts/test installs gdal-bin", name)
		}
		t.Skipf("%s not found (install gdal-bin)", name)
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, stderr.String())
	}
	if s := stderr.String(); strings.Contains(s, "Warning") || strings.Contains(s, "ERROR") {
		t.Errorf("%s %s complained:\n%s", filepath.Base(name), strings.Join(args, " "), s)
	}
	return string(out)
}

func readGeoJSON(t *testing.T, path string) *geojson.FeatureCollection {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return fc
}

// sameGeometry compares two geometries position by position within tol
// degrees.
func sameGeometry(a, b orb.Geometry, tol float64) error {
	if a == nil || b == nil {
		if a == nil && b == nil {
			return nil
		}
		return fmt.Errorf("geometry %v vs %v", a, b)
	}
	if a.GeoJSONType() != b.GeoJSONType() {
		return fmt.Errorf("type %s vs %s", a.GeoJSONType(), b.GeoJSONType())
	}
	pa, pb := positions(a), positions(b)
	if len(pa) != len(pb) {
		return fmt.Errorf("%d positions vs %d", len(pa), len(pb))
	}
	for i := range pa {
		if math.Abs(pa[i][0]-pb[i][0]) > tol || math.Abs(pa[i][1]-pb[i][1]) > tol {
			return fmt.Errorf("position %d: %v vs %v", i, pa[i], pb[i])
		}
	}
	return nil
}

func positions(g orb.Geometry) []orb.Point {
	switch g := g.(type) {
	case orb.Point:
		return []orb.Point{g}
	case orb.MultiPoint:
		return g
	case orb.LineString:
		return g
	case orb.Ring:
		return g
	case orb.Polygon:
		var ps []orb.Point
		for _, r := range g {
			ps = append(ps, r...)
		}
		return ps
	case orb.MultiLineString:
		var ps []orb.Point
		for _, l := range g {
			ps = append(ps, l...)
		}
		return ps
	case orb.MultiPolygon:
		var ps []orb.Point
		for _, p := range g {
			ps = append(ps, positions(p)...)
		}
		return ps
	case orb.Collection:
		var ps []orb.Point
		for _, m := range g {
			ps = append(ps, positions(m)...)
		}
		return ps
	}
	return nil
}

// TestReadGDALGeoPackage converts three real layers (points with Chinese
// names, residential polygons, walking lines) into one GeoPackage with
// ogr2ogr and reads each back: counts, names and coordinates equal the
// GeoJSON originals.
func TestReadGDALGeoPackage(t *testing.T) {
	ogr2ogr := gdalTool(t, "ogr2ogr")
	dir := t.TempDir()
	out := filepath.Join(dir, "bupt.gpkg")
	layers := []string{"amenity_health", "buildings_residential", "walk_network"}
	for i, name := range layers {
		src := shareddata.Path(t, "cn_beijing_bupt", "layers", name+".geojson")
		args := []string{"-f", "GPKG", out, src, "-nln", name}
		if i > 0 {
			args = append([]string{"-update"}, args...)
		}
		run(t, ogr2ogr, args...)
	}

	infos, err := Layers(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != len(layers) {
		t.Fatalf("Layers: %d layers, want %d: %+v", len(infos), len(layers), infos)
	}
	wantType := map[string]string{"amenity_health": "POINT", "buildings_residential": "MULTIPOLYGON", "walk_network": "LINESTRING"}
	for i, info := range infos {
		if info.Name != layers[i] || info.GeometryType != wantType[info.Name] || info.GeometryColumn != "geom" {
			t.Errorf("layer %d: %+v", i, info)
		}
		if info.SRS.ID != 4326 || info.SRS.Organization != "EPSG" || info.SRS.Code != 4326 || !strings.Contains(info.SRS.Definition, "WGS") {
			t.Errorf("layer %s: SRS %+v", info.Name, info.SRS)
		}
	}

	for _, info := range infos {
		t.Run(info.Name, func(t *testing.T) {
			want := readGeoJSON(t, shareddata.Path(t, "cn_beijing_bupt", "layers", info.Name+".geojson"))
			got, err := Read(out, info.Name)
			if err != nil {
				t.Fatal(err)
			}
			if info.Features != int64(len(want.Features)) || len(got.Features.Features) != len(want.Features) {
				t.Fatalf("count: info %d, read %d, GeoJSON %d", info.Features, len(got.Features.Features), len(want.Features))
			}
			names := 0
			for i, w := range want.Features {
				g := got.Features.Features[i]
				if err := sameGeometry(g.Geometry, w.Geometry, 1e-9); err != nil {
					t.Fatalf("feature %d: %v", i, err)
				}
				if g.ID != int64(i+1) {
					t.Errorf("feature %d: ID %v, want fid %d", i, g.ID, i+1)
				}
				for _, k := range []string{"name", "name:zh", "name:en"} {
					if wv, ok := w.Properties[k]; ok {
						if g.Properties[k] != wv {
							t.Errorf("feature %d: %s = %q, want %q", i, k, g.Properties[k], wv)
						}
						names++
					} else if _, ok := g.Properties[k]; ok {
						t.Errorf("feature %d: %s is %q, absent in the GeoJSON (NULL should be left out)", i, k, g.Properties[k])
					}
				}
				if wid, ok := w.Properties["@id"].(float64); !ok || g.Properties["@id"] != int64(wid) {
					t.Errorf("feature %d: @id %v (%T), want %v", i, g.Properties["@id"], g.Properties["@id"], w.Properties["@id"])
				}
			}
			if names == 0 {
				t.Error("no names compared: the test data changed?")
			}
		})
	}
}

// TestWriteGDAL writes a GeoPackage of points, polygons, lines and a
// summary table; ogrinfo lists every layer with its geometry type and
// feature count, and ogr2ogr's GeoJSON of each layer equals what was
// written.
func TestWriteGDAL(t *testing.T) {
	ogrinfo := gdalTool(t, "ogrinfo")
	ogr2ogr := gdalTool(t, "ogr2ogr")
	dir := t.TempDir()
	out := filepath.Join(dir, "audit.gpkg")
	layers := sampleLayers()
	summary := Table{
		Name:   "summary",
		Header: []string{"level", "name", "units", "share", "ok"},
		Rows: [][]any{
			{"社区", "北邮社区", 12, 0.75, true},
			{"街道", "北太平庄街道", 3, 0.5, false},
		},
	}
	if err := WriteLayers(out, layers, []Table{summary}); err != nil {
		t.Fatal(err)
	}

	info := run(t, ogrinfo, "-ro", "-al", "-so", out)
	for _, want := range []string{
		`Layer name: facilities\nGeometry: Point\nFeature Count: 3\n`,
		`Layer name: units\nGeometry: Polygon\nFeature Count: 2\n`,
		`Layer name: streets\nGeometry: Line String\nFeature Count: 2\n`,
		`Layer name: summary\nGeometry: None\nFeature Count: 2\n`,
		`level: String \(0\.0\)\nname: String \(0\.0\)\nunits: Integer64 \(0\.0\)\nshare: Real \(0\.0\)\nok: Integer\(Boolean\) \(0\.0\)\n`,
	} {
		if !regexp.MustCompile(want).MatchString(info) {
			t.Errorf("ogrinfo output lacks %q:\n%s", want, info)
		}
	}
	if !strings.Contains(info, "EPSG\",4326") && !strings.Contains(info, "ID[\"EPSG\",4326]") {
		t.Errorf("ogrinfo does not show EPSG:4326:\n%s", info)
	}

	for _, l := range layers {
		t.Run(l.Name, func(t *testing.T) {
			gj := filepath.Join(dir, l.Name+".geojson")
			run(t, ogr2ogr, "-f", "GeoJSON", gj, out, l.Name)
			got := readGeoJSON(t, gj)
			want := l.Features.Features
			if len(got.Features) != len(want) {
				t.Fatalf("%d features, wrote %d", len(got.Features), len(want))
			}
			for i, w := range want {
				g := got.Features[i]
				if err := sameGeometry(g.Geometry, w.Geometry, 1e-12); err != nil {
					t.Errorf("feature %d: %v", i, err)
				}
				for k, wv := range w.Properties {
					gv := g.Properties[k]
					if n, ok := toFloat(wv); ok {
						if gn, ok := toFloat(gv); !ok || gn != n {
							t.Errorf("feature %d: %s = %v, wrote %v", i, k, gv, wv)
						}
					} else if gv != wv {
						t.Errorf("feature %d: %s = %v (%T), wrote %v (%T)", i, k, gv, gv, wv, wv)
					}
				}
			}
		})
	}

	// The summary table through GDAL too.
	csvOut := filepath.Join(dir, "summary.csv")
	run(t, ogr2ogr, "-f", "CSV", "-lco", "STRING_QUOTING=IF_NEEDED", csvOut, out, "summary")
	b, err := os.ReadFile(csvOut)
	if err != nil {
		t.Fatal(err)
	}
	wantCSV := "level,name,units,share,ok\n社区,北邮社区,12,0.75,1\n街道,北太平庄街道,3,0.5,0\n"
	if got := strings.ReplaceAll(string(b), "\r\n", "\n"); got != wantCSV {
		t.Errorf("summary via ogr2ogr:\n%s\nwant\n%s", got, wantCSV)
	}
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// sampleLayers is a small set of layers of each geometry kind, with
// Chinese text, integers, reals, booleans and a missing value.
func sampleLayers() []Layer {
	pts := geojson.NewFeatureCollection()
	for i, p := range []struct {
		name string
		pt   orb.Point
		cap  any
	}{
		{"北京邮电大学校医院", orb.Point{116.3506488, 39.9585889}, 40},
		{"Clinic \"B\"", orb.Point{116.3544056, 39.9568664}, nil},
		{"社区卫生服务站", orb.Point{116.36, 39.96}, 7},
	} {
		f := geojson.NewFeature(p.pt)
		f.Properties["name"] = p.name
		f.Properties["rank"] = i + 1
		f.Properties["open"] = i != 1
		if p.cap != nil {
			f.Properties["capacity"] = p.cap
		}
		pts.Append(f)
	}
	units := geojson.NewFeatureCollection()
	for i, name := range []string{"北邮社区", "蓟门里社区"} {
		x := 116.35 + float64(i)*0.01
		ring := orb.Ring{{x, 39.95}, {x + 0.01, 39.95}, {x + 0.01, 39.96}, {x, 39.96}, {x, 39.95}}
		hole := orb.Ring{{x + 0.002, 39.952}, {x + 0.002, 39.954}, {x + 0.004, 39.954}, {x + 0.004, 39.952}, {x + 0.002, 39.952}}
		f := geojson.NewFeature(orb.Polygon{ring, hole})
		f.Properties["name"] = name
		f.Properties["population"] = 1234.5 * float64(i+1)
		f.Properties["score"] = 0.1 + float64(i)
		units.Append(f)
	}
	streets := geojson.NewFeatureCollection()
	for i, name := range []string{"西土城路", "蓟门桥南"} {
		f := geojson.NewFeature(orb.LineString{{116.35, 39.95 + float64(i)*0.001}, {116.351, 39.9505}, {116.352 + 1e-9, 39.951}})
		f.Properties["name"] = name
		f.ID = 10 * (i + 1)
		streets.Append(f)
	}
	return []Layer{
		{Name: "facilities", Features: pts, Columns: []string{"name"}},
		{Name: "units", Features: units},
		{Name: "streets", Features: streets},
	}
}
