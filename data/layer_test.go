package data

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/geo"
)

// writeTemp writes content to dir/name in a fresh temp dir.
func writeTemp(tb testing.TB, name, content string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// allPoints calls f for every position of g.
func allPoints(g orb.Geometry, f func(orb.Point)) {
	switch g := g.(type) {
	case orb.Point:
		f(g)
	case orb.MultiPoint:
		for _, p := range g {
			f(p)
		}
	case orb.LineString:
		for _, p := range g {
			f(p)
		}
	case orb.MultiLineString:
		for _, ls := range g {
			allPoints(ls, f)
		}
	case orb.Polygon:
		for _, r := range g {
			for _, p := range r {
				f(p)
			}
		}
	case orb.MultiPolygon:
		for _, pg := range g {
			allPoints(pg, f)
		}
	}
}

func TestReadLayerSharedData(t *testing.T) {
	tests := []struct {
		dataset, layer string
		count          int
		geom           string
		allow          GeomKind
	}{
		{"helsinki", "amenity_health.geojson", 21, "Point", Points},
		{"helsinki", "amenity_market.geojson", 16, "Point", Points},
		{"helsinki", "amenity_fitness.geojson", 17, "Point", Points},
		{"helsinki", "amenity_playground.geojson", 4, "Point", AnyGeom},
		{"helsinki", "amenity_elderly_care.geojson", 2, "Point", AnyGeom},
		{"helsinki", "buildings_residential.geojson", 21, "MultiPolygon", Polygons},
		{"helsinki", "buildings_all.geojson", 446, "MultiPolygon", Polygons},
		{"helsinki", "walk_network.geojson", 2207, "LineString", Lines},
		{"monaco_region_2016", "amenity_elderly_care.geojson", 0, "", Points}, // empty FeatureCollection
		{"monaco_region_2016", "amenity_fitness.geojson", 68, "Point", Points},
		{"monaco_region_2016", "buildings_all.geojson", 23327, "MultiPolygon", Polygons},
		{"cn_beijing_bupt", "amenity_health.geojson", 2, "Point", Points},
		{"cn_beijing_bupt", "buildings_residential.geojson", 57, "MultiPolygon", Polygons},
	}
	for _, tc := range tests {
		t.Run(tc.dataset+"/"+tc.layer, func(t *testing.T) {
			p := shareddata.Path(t, tc.dataset, "layers", tc.layer)
			l, err := ReadLayer(p, ReadOptions{Allow: tc.allow})
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Features) != tc.count {
				t.Fatalf("got %d features, want %d", len(l.Features), tc.count)
			}
			for i, f := range l.Features {
				if f.Index != i || f.Geometry.GeoJSONType() != tc.geom {
					t.Fatalf("feature %d: index %d, geometry %s; want %d, %s", i, f.Index, f.Geometry.GeoJSONType(), i, tc.geom)
				}
				// osmium export has no "id": ids are the 1-based position.
				if want := strconv.Itoa(i + 1); f.ID != want {
					t.Fatalf("feature %d: id %q, want %q", i, f.ID, want)
				}
				if f.Properties["@id"] == nil {
					t.Fatalf("feature %d: properties lost: %v", i, f.Properties)
				}
				allPoints(f.Geometry, func(p orb.Point) {
					if !geo.ValidLonLat(p) {
						t.Fatalf("feature %d: invalid point %v", i, p)
					}
				})
			}
		})
	}
}

func TestReadLayerChineseNames(t *testing.T) {
	l, err := ReadLayer(shareddata.Path(t, "cn_beijing_bupt", "layers", "amenity_health.geojson"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"校医院（北京邮电大学社区卫生服务中心）": false, "北京中仁中医医院": false}
	for _, f := range l.Features {
		name, _ := f.Properties["name"].(string)
		if _, ok := want[name]; ok {
			want[name] = true
		}
	}
	for name, seen := range want {
		if !seen {
			t.Errorf("name %q not read intact", name)
		}
	}
	// Beijing data in WGS84 (OSM) must stay where it is: no accidental conversion.
	p := l.Features[0].Geometry.(orb.Point)
	if p != (orb.Point{116.3506488, 39.9585889}) {
		t.Errorf("first point %v, want [116.3506488 39.9585889]", p)
	}
}

func TestReadLinesSharedData(t *testing.T) {
	for _, tc := range []struct {
		dataset string
		lines   int
	}{{"helsinki", 2207}, {"monaco_region_2016", 2832}, {"cn_beijing_bupt", 189}} {
		t.Run(tc.dataset, func(t *testing.T) {
			lines, err := ReadLines(shareddata.Path(t, tc.dataset, "layers", "walk_network.geojson"))
			if err != nil {
				t.Fatal(err)
			}
			if len(lines) != tc.lines {
				t.Fatalf("got %d lines, want %d", len(lines), tc.lines)
			}
			var km float64
			for _, ls := range lines {
				km += geo.LineLength(ls) / 1000
			}
			if km < 10 {
				t.Errorf("network is only %.1f km long", km)
			}
		})
	}
	_, err := ReadLines(shareddata.Path(t, "helsinki", "layers", "amenity_health.geojson"))
	if err == nil || !strings.Contains(err.Error(), `feature 0 ("Sanomatalon veripalvelutoimisto") is a Point, but this layer accepts only lines`) || !errors.Is(err, ErrGeometryKind) {
		t.Errorf("ReadLines(points) error = %v, want one wrapping ErrGeometryKind", err)
	}
}

func TestReadLinesMulti(t *testing.T) {
	p := writeTemp(t, "net.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":1},"geometry":{"type":"LineString","coordinates":[[24.9,60.1],[24.91,60.1]]}},
{"type":"Feature","properties":{"id":1},"geometry":{"type":"MultiLineString","coordinates":[[[24.9,60.1],[24.9,60.11]],[[24.91,60.1],[24.91,60.11],[24.92,60.11]]]}}]}`)
	lines, err := ReadLines(p) // duplicate ids do not matter for a network
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 || len(lines[2]) != 3 {
		t.Fatalf("got %v, want 3 lines, the last with 3 points", lines)
	}
	if _, err := ReadLines(writeTemp(t, "net.csv", "lon,lat\n1,2\n")); err == nil {
		t.Error("ReadLines(csv) succeeded, want error")
	}
}

func fc(features ...string) string {
	return `{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`
}

func pointFeature(props, coords string) string {
	return `{"type":"Feature","properties":` + props + `,"geometry":{"type":"Point","coordinates":` + coords + `}}`
}

func TestReadGeoJSONForms(t *testing.T) {
	ring := `[[116.40,39.90],[116.41,39.90],[116.41,39.91],[116.40,39.90]]`
	tests := []struct {
		name    string
		content string
		o       ReadOptions
		ids     []string
		types   []string
	}{
		{"feature collection", fc(pointFeature(`{"name":"a"}`, `[24.9,60.1]`), pointFeature(`{}`, `[24.9,60.2]`)), ReadOptions{}, []string{"1", "2"}, []string{"Point", "Point"}},
		{"single feature", pointFeature(`{"id":"x"}`, `[24.9,60.1]`), ReadOptions{}, []string{"x"}, []string{"Point"}},
		{"bare geometry", `{"type":"Polygon","coordinates":[` + ring + `]}`, ReadOptions{}, []string{"1"}, []string{"Polygon"}},
		{"multipoint allowed as points", fc(`{"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[[24.9,60.1],[24.8,60.1]]}}`), ReadOptions{Allow: Points}, []string{"1"}, []string{"MultiPoint"}},
		{"id member number", fc(`{"type":"Feature","id":123,"properties":null,"geometry":{"type":"Point","coordinates":[1,2]}}`), ReadOptions{RequireIDs: true}, []string{"123"}, []string{"Point"}},
		{"id member big integer", fc(`{"type":"Feature","id":12345678901234567890,"geometry":{"type":"Point","coordinates":[1,2]}}`), ReadOptions{}, []string{"12345678901234567890"}, []string{"Point"}},
		{"id member fraction and string", fc(`{"type":"Feature","id":1.5,"geometry":{"type":"Point","coordinates":[1,2]}}`, `{"type":"Feature","id":"b","geometry":{"type":"Point","coordinates":[1,2]}}`), ReadOptions{}, []string{"1.5", "b"}, []string{"Point", "Point"}},
		{"id property number", fc(pointFeature(`{"id":42.0}`, `[1,2]`), pointFeature(`{"id":7}`, `[1,2]`)), ReadOptions{RequireIDs: true}, []string{"42", "7"}, []string{"Point", "Point"}},
		{"member wins over property", fc(`{"type":"Feature","id":"m","properties":{"id":"p"},"geometry":{"type":"Point","coordinates":[1,2]}}`), ReadOptions{}, []string{"m"}, []string{"Point"}},
		{"mixed ids", fc(pointFeature(`{"id":"a"}`, `[1,2]`), pointFeature(`{}`, `[1,2]`)), ReadOptions{}, []string{"a", "2"}, []string{"Point", "Point"}},
		{"altitude dropped", fc(pointFeature(`{}`, `[1,2,300]`)), ReadOptions{}, []string{"1"}, []string{"Point"}},
		{"crs84", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"features":[` + pointFeature(`{}`, `[1,2]`) + `]}`, ReadOptions{}, []string{"1"}, []string{"Point"}},
		{"epsg 4326 after features", `{"type":"FeatureCollection","features":[` + pointFeature(`{}`, `[1,2]`) + `],"crs":{"type":"name","properties":{"name":"EPSG:4326"}}}`, ReadOptions{}, []string{"1"}, []string{"Point"}},
		{"cgcs2000", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}},"features":[]}`, ReadOptions{}, nil, nil},
		{"bom and crlf", "\ufeff" + strings.ReplaceAll(fc(pointFeature(`{}`, `[1,2]`)), ",", ",\r\n"), ReadOptions{}, []string{"1"}, []string{"Point"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ReadLayer(writeTemp(t, "layer.geojson", tc.content), tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Features) != len(tc.ids) {
				t.Fatalf("got %d features, want %d", len(l.Features), len(tc.ids))
			}
			for i, f := range l.Features {
				if f.ID != tc.ids[i] || f.Geometry.GeoJSONType() != tc.types[i] {
					t.Errorf("feature %d: id %q %s, want %q %s", i, f.ID, f.Geometry.GeoJSONType(), tc.ids[i], tc.types[i])
				}
				if f.Properties == nil {
					t.Errorf("feature %d: nil properties", i)
				}
			}
		})
	}
}

func TestReadGeoJSONConvertsCoords(t *testing.T) {
	// eviltransform's Beijing pair (see geo/chinacoords_test.go), as a
	// polygon vertex: the ring must stay closed after conversion.
	gcj := `[116.38404722455657,39.91334545536069]`
	content := fc(`{"type":"Feature","properties":{"name":"天安门西"},"geometry":{"type":"Polygon","coordinates":[[` +
		gcj + `,[116.39,39.9134],[116.39,39.92],` + gcj + `]]}}`)
	l, err := ReadLayer(writeTemp(t, "gcj.geojson", content), ReadOptions{Coords: GCJ02})
	if err != nil {
		t.Fatal(err)
	}
	r := l.Features[0].Geometry.(orb.Polygon)[0]
	if d := geo.Haversine(r[0], orb.Point{116.377817, 39.911954}); d > 0.01 {
		t.Errorf("converted vertex %v is %.3f m from the published WGS84 point", r[0], d)
	}
	if r[0] != r[len(r)-1] {
		t.Errorf("ring no longer closed after conversion: %v", r)
	}
}

func TestReadGeoJSONErrors(t *testing.T) {
	ring3 := `[[1,1],[2,1],[1,1]]`
	open := `[[1,1],[2,1],[2,2],[1,2]]`
	poly := func(rings string) string {
		return fc(`{"type":"Feature","properties":{"name":"Park"},"geometry":{"type":"Polygon","coordinates":[` + rings + `]}}`)
	}
	tests := []struct {
		name    string
		content string
		o       ReadOptions
		want    string
	}{
		{"latitude projected", fc(pointFeature(`{"name":"x"}`, `[1,2]`), pointFeature(`{"name":"Clinic A"}`, `[116.4,123.4]`)), ReadOptions{},
			`amenities.geojson: feature 1 ("Clinic A"): latitude 123.4 is outside -90..90: looks projected (metres?) — reproject to WGS84 lon/lat (EPSG:4326)`},
		{"metres", fc(pointFeature(`{"id":"k9"}`, `[385000.5,4420000]`)), ReadOptions{}, `feature 0 (id "k9"): latitude 4420000 is outside -90..90: looks projected (metres?)`},
		{"longitude projected", fc(pointFeature(`{}`, `[500000,45]`)), ReadOptions{}, `feature 0: longitude 500000 is outside -180..180: looks projected`},
		{"swapped", fc(pointFeature(`{"name":"Clinic A"}`, `[39.9,116.4]`)), ReadOptions{}, `feature 0 ("Clinic A"): latitude 116.4 is outside -90..90 but (39.9, 116.4) fits the other way round — lon/lat look swapped`},
		{"swapped in line", fc(`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[24.9,60.1],[60.1,124.9]]}}`), ReadOptions{}, `lon/lat look swapped`},
		{"huge number", fc(pointFeature(`{}`, `[1e400,2]`)), ReadOptions{}, `feature 0: Point coordinates:`},
		{"crs 3857", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3857"}},"features":[]}`, ReadOptions{},
			`declares crs "urn:ogc:def:crs:EPSG::3857", but lifecircle reads only WGS84 lon/lat — reproject to EPSG:4326`},
		{"crs link", `{"type":"FeatureCollection","crs":{"type":"link","properties":{"href":"x"}},"features":[]}`, ReadOptions{}, `reproject to EPSG:4326`},
		{"crs on feature", fc(`{"type":"Feature","crs":{"type":"name","properties":{"name":"EPSG:4547"}},"geometry":{"type":"Point","coordinates":[1,2]}}`), ReadOptions{}, `declares crs "EPSG:4547"`},
		{"duplicate id members", fc(`{"type":"Feature","id":7,"properties":{"name":"A"},"geometry":{"type":"Point","coordinates":[1,2]}}`,
			pointFeature(`{}`, `[1,2]`), `{"type":"Feature","id":"7","properties":{"name":"B"},"geometry":{"type":"Point","coordinates":[1,2]}}`), ReadOptions{},
			`feature 0 ("A") and feature 2 ("B") both have id "7" — ids must be unique`},
		{"duplicate id property 7 and 7.0", fc(pointFeature(`{"id":7}`, `[1,2]`), pointFeature(`{"id":7.0}`, `[1,2]`)), ReadOptions{}, `feature 0 and feature 1 both have id "7"`},
		{"assigned id collides", fc(pointFeature(`{"id":"2"}`, `[1,2]`), pointFeature(`{}`, `[1,2]`)), ReadOptions{}, `numbered by its position`},
		{"required id missing", fc(pointFeature(`{"id":"a"}`, `[1,2]`), pointFeature(`{"name":"No Id"}`, `[1,2]`)), ReadOptions{RequireIDs: true},
			`feature 1 ("No Id") has no id: this layer needs an id on every feature`},
		{"id object", fc(pointFeature(`{"id":{"a":1}}`, `[1,2]`)), ReadOptions{}, `id is an object or array`},
		{"unclosed ring", poly(open), ReadOptions{}, `feature 0 ("Park"): ring 0 is not closed (first and last points differ) — close the ring`},
		{"short ring", poly(ring3), ReadOptions{}, `feature 0 ("Park"): ring 0 has 3 point(s); a polygon ring needs at least 4`},
		{"no rings", poly(``), ReadOptions{}, `polygon has no rings`},
		{"short hole in multipolygon", fc(`{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[1,1],[2,1],[2,2],[1,1]],` + ring3 + `]]}}`), ReadOptions{}, `polygon 0: ring 1 has 3 point(s)`},
		{"one-point line", fc(`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,2]]}}`), ReadOptions{}, `line has 1 point(s); a LineString needs at least 2`},
		{"empty multipoint", fc(`{"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[]}}`), ReadOptions{}, `MultiPoint has no points`},
		{"short position", fc(pointFeature(`{"name":"P"}`, `[116.4]`)), ReadOptions{}, `feature 0 ("P"): position [116.4] has 1 number(s); a position is [longitude, latitude]`},
		{"null geometry", fc(`{"type":"Feature","properties":{"name":"Ghost"},"geometry":null}`), ReadOptions{}, `feature 0 ("Ghost") has no geometry (null)`},
		{"no coordinates", fc(`{"type":"Feature","geometry":{"type":"Point"}}`), ReadOptions{}, `Point has no coordinates`},
		{"geometry collection", fc(`{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[]}}`), ReadOptions{}, `GeometryCollection is not supported`},
		{"unknown geometry", fc(`{"type":"Feature","geometry":{"type":"Circle","coordinates":[1,2]}}`), ReadOptions{}, `unknown geometry type "Circle"`},
		{"kind not allowed", poly(`[[1,1],[2,1],[2,2],[1,1]]`), ReadOptions{Allow: Points | Lines}, `feature 0 ("Park") is a Polygon, but this layer accepts only points or lines`},
		{"point not allowed", fc(pointFeature(`{}`, `[1,2]`)), ReadOptions{Allow: Polygons}, `is a Point, but this layer accepts only polygons`},
		{"not a feature", fc(`{"type":"Point","coordinates":[1,2]}`), ReadOptions{}, `feature 0: type is "Point", want "Feature"`},
		{"properties not object", fc(`{"type":"Feature","properties":"x","geometry":null}`), ReadOptions{}, `feature 0: properties is a JSON string, want an object`},
		{"syntax error", "{\"type\":\"FeatureCollection\",\n\"features\":[}", ReadOptions{}, `invalid JSON at line 2, column 13`},
		{"syntax error in feature", "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",,}]}", ReadOptions{}, `invalid JSON at line 2`},
		{"truncated", `{"type":"FeatureCollection","features":[{"type":"Feature"`, ReadOptions{}, `invalid JSON: the file ends too early`},
		{"truncated after feature", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}`, ReadOptions{}, `invalid JSON`},
		{"trailing data", fc() + `{}`, ReadOptions{}, `unexpected data after the GeoJSON object`},
		{"array", `[1,2]`, ReadOptions{}, `not GeoJSON: expected a JSON object`},
		{"no type", `{"features":[]}`, ReadOptions{}, `has no "type"`},
		{"unknown type", `{"type":"Topology"}`, ReadOptions{}, `unknown type "Topology"`},
		{"no features", `{"type":"FeatureCollection"}`, ReadOptions{}, `has no "features" array`},
		{"features not array", `{"type":"FeatureCollection","features":{}}`, ReadOptions{}, `"features" is not an array`},
		{"empty", ``, ReadOptions{}, `amenities.geojson: file is empty`},
		{"blank", "\ufeff \n\t\n", ReadOptions{}, `file is empty`},
		{"gbk", fc(pointFeature(`{"name":"`+"\xb1\xb1\xbe\xa9"+`"}`, `[1,2]`)), ReadOptions{}, `file is not UTF-8 (GBK/GB18030?) — re-save it as UTF-8 (QGIS: Export → Save Features As, Encoding UTF-8) (first non-UTF-8 text on line 1)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadLayer(writeTemp(t, "amenities.geojson", tc.content), tc.o)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q\ndoes not contain %q", err, tc.want)
			}
		})
	}
}

func TestReadLayerFileErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadLayer(filepath.Join(dir, "missing.geojson"), ReadOptions{})
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing.geojson: file not found") {
		t.Errorf("missing file: %v", err)
	}
	sub := filepath.Join(dir, "layers.geojson")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadLayer(sub, ReadOptions{}); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	if _, err := ReadLayer(writeTemp(t, "b.shp", "x"), ReadOptions{}); err == nil || !strings.Contains(err.Error(), "b.dbf is missing") {
		t.Errorf("shapefile: %v", err)
	}
	if _, err := ReadLayer(writeTemp(t, "noext", "x"), ReadOptions{}); err == nil || !strings.Contains(err.Error(), "no file extension") {
		t.Errorf("no extension: %v", err)
	}
}

func TestParseCoordSystem(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want CoordSystem
		ok   bool
	}{
		{"wgs84", WGS84, true}, {"WGS84", WGS84, true}, {"", WGS84, true},
		{"gcj02", GCJ02, true}, {"GCJ-02", GCJ02, true}, {" Gcj02 ", GCJ02, true},
		{"bd09", BD09, true}, {"BD09", BD09, true},
		{"epsg:3857", WGS84, false}, {"baidu", WGS84, false},
	} {
		got, err := ParseCoordSystem(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseCoordSystem(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err == nil && tc.in != "" {
			if back, _ := ParseCoordSystem(got.String()); back != got {
				t.Errorf("String round trip of %v failed", got)
			}
		}
	}
}

func TestGeomKindString(t *testing.T) {
	for k, want := range map[GeomKind]string{Points: "points", Lines | Polygons: "lines or polygons", AnyGeom: "points, lines or polygons"} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(k), got, want)
		}
	}
}

// checkFuzzLayer fails when a layer read without error holds an invalid
// coordinate.
func checkFuzzLayer(t *testing.T, l *Layer, err error) {
	if err != nil {
		if l != nil {
			t.Fatalf("non-nil layer with error %v", err)
		}
		return
	}
	for _, f := range l.Features {
		if kindOf(f.Geometry) == 0 {
			t.Fatalf("feature %d: unexpected geometry %T", f.Index, f.Geometry)
		}
		if f.ID == "" {
			t.Fatalf("feature %d: empty id", f.Index)
		}
		allPoints(f.Geometry, func(p orb.Point) {
			if !geo.ValidLonLat(p) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
				t.Fatalf("feature %d: invalid coordinate %v accepted", f.Index, p)
			}
		})
	}
}

func FuzzReadGeoJSON(f *testing.F) {
	f.Add([]byte(fc(pointFeature(`{"name":"a","id":3}`, `[24.9,60.1]`))), uint8(0))
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,1]]]}`), uint8(1))
	f.Add([]byte(`{"type":"Feature","id":1,"geometry":{"type":"MultiLineString","coordinates":[[[1,1],[2,1]]]},"properties":{}}`), uint8(2))
	f.Add([]byte(fc(`{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[116.4,39.9],[116.5,39.9],[116.5,40],[116.4,39.9]]]]}}`)), uint8(1))
	f.Add([]byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4326"}},"features":[null]}`), uint8(0))
	f.Fuzz(func(t *testing.T, content []byte, coords uint8) {
		p := filepath.Join(t.TempDir(), "f.geojson")
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := ReadLayer(p, ReadOptions{Coords: CoordSystem(coords % 3)})
		checkFuzzLayer(t, l, err)
	})
}

func BenchmarkReadGeoJSONMonacoBuildings(b *testing.B) {
	p := shareddata.Path(b, "monaco_region_2016", "layers", "buildings_all.geojson")
	st, err := os.Stat(p)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	for b.Loop() {
		l, err := ReadLayer(p, ReadOptions{Allow: Polygons})
		if err != nil || len(l.Features) != 23327 {
			b.Fatal(err)
		}
	}
}

// TestCheckSwappedFuncMatchesLayer: the function form finds the same
// swapped layers with the same message as CheckSwapped.
func TestCheckSwappedFuncMatchesLayer(t *testing.T) {
	area := orb.Bound{Min: orb.Point{116.3, 39.8}, Max: orb.Point{116.5, 40.0}}
	for _, swap := range []int{0, 5, 10} { // swapped out of 10
		l := &Layer{Path: "p.csv"}
		for i := range 10 {
			p := orb.Point{116.31 + float64(i)*0.01, 39.81 + float64(i)*0.01}
			if i < swap {
				p = orb.Point{p[1], p[0]}
			}
			l.Features = append(l.Features, Feature{Index: i, ID: fmt.Sprint("id", i), Geometry: p})
		}
		want := CheckSwapped("p.csv", l, area)
		got := CheckSwappedFunc("p.csv", len(l.Features), func(i int) (string, orb.Geometry) { return l.Features[i].ID, l.Features[i].Geometry }, area)
		if fmt.Sprint(got) != fmt.Sprint(want) || (swap == 10) != (got != nil) {
			t.Fatalf("%d swapped: got %v, want %v", swap, got, want)
		}
	}
}

// TestFirstDuplicate: the table finds the pair a map from id to first
// feature finds, with no duplicate, duplicates early and late, empty ids
// and sizes around the table's powers of two.
func TestFirstDuplicate(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for trial := range 2000 {
		n := trial % 70
		if trial%100 == 0 {
			n = 100000
		}
		feats := make([]Feature, n)
		space := 1 + r.Intn(4*n+1)
		if trial%3 == 0 {
			space = 1 << 40 // all distinct, almost surely
		}
		for i := range feats {
			feats[i].ID = strconv.FormatInt(r.Int63n(int64(space)), 36)
			if r.Intn(50) == 0 {
				feats[i].ID = ""
			}
		}
		j, i, dup := firstDuplicate(feats)
		wj, wi, wdup := firstDuplicateMap(len(feats), func(i int) string { return feats[i].ID })
		if j != wj || i != wi || dup != wdup {
			t.Fatalf("%d ids: (%d, %d, %v), the map finds (%d, %d, %v)", n, j, i, dup, wj, wi, wdup)
		}
	}
}

// BenchmarkFirstDuplicate checks a million distinct ids (the 1M audit's
// residents' points).
func BenchmarkFirstDuplicate(b *testing.B) {
	feats := make([]Feature, 1000000)
	for i := range feats {
		feats[i].ID = "p" + strconv.Itoa(i+1)
	}
	for _, c := range []struct {
		name string
		f    func([]Feature) (int, int, bool)
	}{{"table", firstDuplicate}, {"map", func(feats []Feature) (int, int, bool) {
		return firstDuplicateMap(len(feats), func(i int) string { return feats[i].ID })
	}}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, dup := c.f(feats); dup {
					b.Fatal("duplicate")
				}
			}
		})
	}
}
