package gpkg

import (
	"database/sql"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// TestWriteReadRoundTrip reads back what WriteLayers wrote: types,
// values, IDs, geometries and the file's GeoPackage identity.
func TestWriteReadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.gpkg")
	layers := sampleLayers()
	if err := WriteLayers(path, layers, []Table{{Name: "summary", Header: []string{"a"}, Rows: [][]any{{1}}}}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var appID, uv int64
	var integrity string
	db.QueryRow("PRAGMA application_id").Scan(&appID)
	db.QueryRow("PRAGMA user_version").Scan(&uv)
	db.QueryRow("PRAGMA integrity_check").Scan(&integrity)
	var srs []int
	rows, _ := db.Query("SELECT srs_id FROM gpkg_spatial_ref_sys ORDER BY srs_id")
	for rows.Next() {
		var id int
		rows.Scan(&id)
		srs = append(srs, id)
	}
	var indexed int
	db.QueryRow(`SELECT count(*) FROM "rtree_units_geom" WHERE minx <= 116.355 AND maxx >= 116.355`).Scan(&indexed)
	db.Close()
	if appID != 0x47504B47 || uv != userVersion || integrity != "ok" {
		t.Errorf("application_id %#x user_version %d integrity %q", appID, uv, integrity)
	}
	if len(srs) != 3 || srs[0] != -1 || srs[1] != 0 || srs[2] != 4326 {
		t.Errorf("spatial reference systems %v, want -1 0 4326", srs)
	}
	if indexed != 1 {
		t.Errorf("R-tree finds %d units at x=116.355, want 1", indexed)
	}

	infos, err := Layers(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 3 || infos[0].GeometryType != "POINT" || infos[1].GeometryType != "POLYGON" || infos[2].GeometryType != "LINESTRING" {
		t.Fatalf("Layers: %+v (the summary table is not a feature layer)", infos)
	}
	for _, want := range layers {
		got, err := Read(path, want.Name)
		if err != nil {
			t.Fatal(err)
		}
		if got.SRS.Code != 4326 || len(got.Features.Features) != len(want.Features.Features) {
			t.Fatalf("%s: SRS %+v, %d features", want.Name, got.SRS, len(got.Features.Features))
		}
		if want.Name == "facilities" && (len(got.Columns) != 4 || got.Columns[0] != "name") {
			t.Errorf("columns %v: name first, then the rest sorted", got.Columns)
		}
		for i, w := range want.Features.Features {
			g := got.Features.Features[i]
			if err := sameGeometry(g.Geometry, w.Geometry, 0); err != nil {
				t.Errorf("%s feature %d: %v", want.Name, i, err)
			}
			wantID := any(int64(i + 1))
			if w.ID != nil {
				wantID = int64(w.ID.(int))
			}
			if g.ID != wantID {
				t.Errorf("%s feature %d: ID %v, want %v", want.Name, i, g.ID, wantID)
			}
			if len(g.Properties) != len(w.Properties) {
				t.Errorf("%s feature %d: properties %v, wrote %v", want.Name, i, g.Properties, w.Properties)
			}
			for k, wv := range w.Properties {
				gv := g.Properties[k]
				switch wv := wv.(type) {
				case int:
					if gv != int64(wv) {
						t.Errorf("%s feature %d: %s = %v (%T), wrote int %d", want.Name, i, k, gv, gv, wv)
					}
				default:
					if gv != wv {
						t.Errorf("%s feature %d: %s = %v (%T), wrote %v (%T)", want.Name, i, k, gv, gv, wv, wv)
					}
				}
			}
		}
	}
}

func TestWriteTypesAndIDs(t *testing.T) {
	fc := geojson.NewFeatureCollection()
	for i, p := range []geojson.Properties{
		{"mixed": 1, "text": "a", "list": []int{1, 2}, "nan": math.NaN()},
		{"mixed": 2.5, "text": 3, "list": nil},
		{"mixed": nil, "text": true},
	} {
		f := geojson.NewFeature(orb.Point{float64(i), 0})
		f.Properties = p
		f.ID = []string{"a-1", "b-2", "c-3"}[i]
		fc.Append(f)
	}
	// A feature without geometry: nil on read, and the layer type
	// follows the others.
	fc.Append(&geojson.Feature{Type: "Feature", Properties: geojson.Properties{}})
	path := filepath.Join(t.TempDir(), "t.gpkg")
	if err := WriteLayers(path, []Layer{{Name: "mixed", Features: fc}}, nil); err != nil {
		t.Fatal(err)
	}
	l, err := Read(path, "") // one layer: no name needed
	if err != nil {
		t.Fatal(err)
	}
	fs := l.Features.Features
	if l.GeometryType != "POINT" || len(fs) != 4 || fs[3].Geometry != nil {
		t.Fatalf("type %s, %d features, last geometry %v", l.GeometryType, len(fs), fs[3].Geometry)
	}
	checks := []struct {
		i    int
		k    string
		want any
	}{
		{0, "mixed", 1.0}, {1, "mixed", 2.5}, {0, "text", "a"}, {1, "text", "3"}, {2, "text", "true"},
		{0, "list", "[1,2]"}, {0, "id", "a-1"}, {2, "id", "c-3"},
	}
	for _, c := range checks {
		if got := fs[c.i].Properties[c.k]; got != c.want {
			t.Errorf("feature %d: %s = %v (%T), want %v (%T)", c.i, c.k, got, got, c.want, c.want)
		}
	}
	if v, ok := fs[1].Properties["list"]; ok {
		t.Errorf("feature 1: nil list stored as %v", v)
	}
	if _, ok := fs[0].Properties["nan"]; ok {
		t.Error("NaN should be stored as NULL")
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	two := filepath.Join(dir, "two.gpkg")
	if err := WriteLayers(two, sampleLayers()[:2], nil); err != nil {
		t.Fatal(err)
	}
	csv := filepath.Join(dir, "stations.gpkg")
	os.WriteFile(csv, []byte("lon,lat\n116.3,39.9\n"), 0o644)
	plain := filepath.Join(dir, "plain.gpkg")
	db, _ := sql.Open("sqlite", "file:"+plain)
	db.Exec("CREATE TABLE t(x)")
	db.Close()
	for _, tc := range []struct {
		name, path, layer string
		want              []string
	}{
		{"missing layer", two, "roads", []string{two, `"roads"`, "facilities, units", "#LAYER"}},
		{"several, none named", two, "", []string{two, "2 layers", "facilities, units", two + "#facilities"}},
		{"no such file", filepath.Join(dir, "nope.gpkg"), "", []string{"nope.gpkg", "no such file"}},
		{"CSV renamed", csv, "", []string{csv, "not an SQLite database", "ogr2ogr -f GPKG"}},
		{"SQLite but not GeoPackage", plain, "", []string{plain, "not a GeoPackage", "gpkg_contents"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(tc.path, tc.layer)
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
	if _, err := os.Stat(filepath.Join(dir, "nope.gpkg")); err == nil {
		t.Error("reading a missing file created it")
	}
	// A layer named with other case is found (SQLite names ignore case).
	if l, err := Read(two, "UNITS"); err != nil || l.Name != "units" {
		t.Errorf("Read UNITS: %v", err)
	}
}

func TestWriteErrorsKeepOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.gpkg")
	if err := WriteLayers(path, sampleLayers(), nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	nan := geojson.NewFeatureCollection()
	nan.Append(geojson.NewFeature(orb.LineString{{1, 2}, {math.NaN(), 3}}))
	clash := geojson.NewFeatureCollection()
	f := geojson.NewFeature(orb.Point{1, 2})
	f.Properties["Name"], f.Properties["name"] = "a", "b"
	clash.Append(f)
	fid := geojson.NewFeatureCollection()
	f = geojson.NewFeature(orb.Point{1, 2})
	f.Properties["fid"] = 3
	fid.Append(f)
	declared := geojson.NewFeatureCollection()
	declared.Append(geojson.NewFeature(orb.LineString{{1, 2}, {3, 4}}))
	for _, tc := range []struct {
		name   string
		layers []Layer
		tables []Table
		want   string
	}{
		{"NaN coordinate", []Layer{{Name: "x", Features: nan}}, nil, "NaN"},
		{"case clash", []Layer{{Name: "x", Features: clash}}, nil, "differ only in case"},
		{"fid property", []Layer{{Name: "x", Features: fid}}, nil, `"fid" clashes`},
		{"declared type", []Layer{{Name: "x", GeometryType: "POINT", Features: declared}}, nil, "declared POINT"},
		{"reserved name", []Layer{{Name: "gpkg_x"}}, nil, "reserves"},
		{"duplicate name", []Layer{{Name: "units"}}, []Table{{Name: "Units"}}, "used twice"},
		{"empty name", nil, []Table{{Name: " "}}, "no name"},
		{"other SRS", []Layer{{Name: "x", SRS: SRS{ID: 4547}}}, nil, "WGS84"},
		{"short row", nil, []Table{{Name: "s", Header: []string{"a", "b"}, Rows: [][]any{{1}}}}, "row 1 has 1 values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := WriteLayers(path, tc.layers, tc.tables)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v, want one naming %s and containing %q", err, path, tc.want)
			}
		})
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("a failed write changed the existing file")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("temporary files left behind: %v", ents)
	}
}

// BenchmarkReadPoints reads a 1,000,000-point layer written by
// WriteLayers (made once per run).
func BenchmarkReadPoints(b *testing.B) {
	path := filepath.Join(b.TempDir(), "points.gpkg")
	fc := millionPoints()
	if err := WriteLayers(path, []Layer{{Name: "points", Features: fc}}, nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		l, err := Read(path, "points")
		if err != nil {
			b.Fatal(err)
		}
		if len(l.Features.Features) != len(fc.Features) {
			b.Fatalf("%d features", len(l.Features.Features))
		}
	}
	if st, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(st.Size())/1e6, "MB-file") // after ResetTimer, which drops metrics
	}
}

// BenchmarkWritePoints writes the same 1,000,000 points.
func BenchmarkWritePoints(b *testing.B) {
	dir := b.TempDir()
	fc := millionPoints()
	b.ResetTimer()
	for range b.N {
		if err := WriteLayers(filepath.Join(dir, "points.gpkg"), []Layer{{Name: "points", Features: fc}}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// millionPoints spreads 1,000,000 points over Beijing with a name and
// a population each, like an address-point layer.
func millionPoints() *geojson.FeatureCollection {
	const n = 1_000_000
	fc := geojson.NewFeatureCollection()
	fc.Features = make([]*geojson.Feature, n)
	for i := range n {
		f := geojson.NewFeature(orb.Point{116.2 + float64(i%1000)*1e-4, 39.8 + float64(i/1000)*1e-4})
		f.Properties["name"] = "住宅楼 " + string(rune('A'+i%26))
		f.Properties["population"] = i % 300
		fc.Features[i] = f
	}
	return fc
}

// BenchmarkReadGeoJSONPoints decodes the same 1,000,000 points from
// GeoJSON with orb, for comparison with BenchmarkReadPoints.
func BenchmarkReadGeoJSONPoints(b *testing.B) {
	data, err := millionPoints().MarshalJSON()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		fc, err := geojson.UnmarshalFeatureCollection(data)
		if err != nil {
			b.Fatal(err)
		}
		if len(fc.Features) != 1_000_000 {
			b.Fatalf("%d features", len(fc.Features))
		}
	}
	b.ReportMetric(float64(len(data))/1e6, "MB-file")
}
