package data

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data/shareddata"
)

// readGeoJSONGeneral is readGeoJSON without the fast path.
func readGeoJSONGeneral(path string, data []byte, o ReadOptions) (*Layer, error) {
	data, err := checkUTF8(path, data, utf8FixGeoJSON)
	if err != nil {
		return nil, err
	}
	r := &gjReader{path: path, data: data, o: o}
	if err := r.parse(); err != nil {
		return nil, err
	}
	if err := finishIDs(path, r.feats, r.fromFile, r.names, o); err != nil {
		return nil, err
	}
	return &Layer{Path: path, Features: r.feats}, nil
}

// fastHandled reports whether the fast path takes the file.
func fastHandled(data []byte) bool {
	r := &gjReader{path: "x.geojson", data: data}
	handled, _ := r.parseFast()
	return handled
}

// sameAsGeneral fails when readGeoJSON (fast path first) and the general
// reader disagree on data: same features, same error text — with the
// features scanned on one core, and on all cores in windows of 1 and 3.
func sameAsGeneral(t *testing.T, name string, data []byte, o ReadOptions) {
	t.Helper()
	defer func(w, m int) { parFeatureWindow, parFeatureMin = w, m }(parFeatureWindow, parFeatureMin)
	for _, c := range [][2]int{{4096, 1 << 62}, {1, 0}, {3, 0}} {
		parFeatureWindow, parFeatureMin = c[0], c[1]
		sameAsGeneralOnce(t, name, data, o)
	}
}

func sameAsGeneralOnce(t *testing.T, name string, data []byte, o ReadOptions) {
	t.Helper()
	fast, ferr := readGeoJSON(name, data, o)
	slow, serr := readGeoJSONGeneral(name, data, o)
	if (ferr == nil) != (serr == nil) || ferr != nil && ferr.Error() != serr.Error() {
		t.Fatalf("%s: fast path error %v, general reader %v", name, ferr, serr)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%s: the fast path read other features than the general reader", name)
	}
}

// TestGeoJSONFastMatchesGeneral reads every GeoJSON file of the shared data
// both ways, and checks that the fast path takes the point layers.
func TestGeoJSONFastMatchesGeneral(t *testing.T) {
	var files []string
	root := shareddata.Dir(t)
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".geojson") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 10 {
		t.Fatalf("%d GeoJSON files under %s, want the shared extracts' layers", len(files), root)
	}
	taken := 0
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if fastHandled(data) {
			taken++
		}
		sameAsGeneral(t, p, data, ReadOptions{Allow: AnyGeom})
	}
	t.Logf("%d of %d files read by the fast path", taken, len(files))
	if taken < len(files)/2 {
		t.Errorf("the fast path took only %d of %d files", taken, len(files))
	}
}

// gjFastCases are small files on the fast path's edges; each must read as
// the general reader reads it (taken or not).
var gjFastCases = []string{
	`{"type":"FeatureCollection","features":[]}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","id":7,"geometry":{"type":"Point","coordinates":[24.9,60.1]},"properties":{"name":"A","n":1.5e2,"ok":true,"x":null,"nest":{"a":[1,2]},"esc":"a\"b\u00e9"}}]}`,
	`{"features":[{"properties":{"id":"k"},"geometry":{"coordinates":[1,2,3],"type":"Point"},"type":"Feature"}],"type":"FeatureCollection","name":"x","bbox":[0,0,1,1]}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1]},"properties":{}}]}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,null]},"properties":{}}]}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{}}]}`,
	`{"type":"FeatureCollection","features":[{"Type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}]}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"geometry":{"type":"Point"}}]}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":1},"properties":{"b":2},"geometry":{"type":"Point","coordinates":[1,2]}}]}`,
	`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3857"}},"features":[]}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[01,2]}}]}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1e400,2]}}]}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}},]}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]},"id":"a"}]} x`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","id":1.5,"geometry":{"type":"Point","coordinates":[1,2]}},{"type":"Feature","id":1.5,"geometry":{"type":"Point","coordinates":[1,2]}}]}`,
	`{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","id":true,"geometry":{"type":"Point","coordinates":[1,2]}}]}`,
	"{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{\"a\":\"tab\there\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,2]}}]}",
	`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":-0,"b":-0.0e-0,"c":tru},"geometry":{"type":"Point","coordinates":[1,2]}}]}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","id":"a,]}","geometry":{"type":"Point","coordinates":[1,2]}} , {"type":"Feature","id":"b\\\"]","geometry":{"type":"Point","coordinates":[3,4]}},{"type":"Feature","geometry":{"type":"Point","coordinates":[5,6]}}]}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}},,{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}]}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}} {"type":"Feature"}]}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]]}]}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}`,
	`  {"type" : "FeatureCollection" , "features" : [ { "type" : "Feature" , "geometry" : { "type" : "Point" , "coordinates" : [ 1 , 2 ] } , "extra" : {"x":[1,{"y":"]"}]} } ] }  `,
}

func TestGeoJSONFastEdges(t *testing.T) {
	for i, c := range gjFastCases {
		for _, o := range []ReadOptions{{Allow: AnyGeom}, {Allow: Points}, {Allow: AnyGeom, RequireIDs: true}} {
			sameAsGeneral(t, "case"+strings.Repeat("x", i)+".geojson", []byte(c), o)
		}
	}
	if !fastHandled([]byte(gjFastCases[1])) || !fastHandled([]byte(gjFastCases[2])) {
		t.Error("the fast path refused plain point collections")
	}
}

// FuzzGeoJSONFast: whatever the bytes, reading with the fast path first
// gives what the general reader gives.
func FuzzGeoJSONFast(f *testing.F) {
	for _, c := range gjFastCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsGeneral(t, "fuzz.geojson", data, ReadOptions{Allow: AnyGeom})
	})
}

// BenchmarkReadGeoJSONPoints reads a FeatureCollection of 100,000 points
// with an id and two properties each (as cmd/gencity writes them), with
// the fast path and with the general reader alone.
func BenchmarkReadGeoJSONPoints(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := 0; i < 100000; i++ {
		if i > 0 {
			sb.WriteString(",\n")
		}
		fmt.Fprintf(&sb, `{"type":"Feature","id":"p%d","geometry":{"type":"Point","coordinates":[%.7f,%.7f]},"properties":{"name":"point %d","population":%d}}`,
			i, 116.3+float64(i%1000)*1e-4, 39.9+float64(i/1000)*1e-4, i, i%37)
	}
	sb.WriteString("]}\n")
	data := []byte(sb.String())
	for _, c := range []struct {
		name string
		read func(string, []byte, ReadOptions) (*Layer, error)
	}{{"fast", readGeoJSON}, {"general", readGeoJSONGeneral}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				l, err := c.read("points.geojson", data, ReadOptions{Allow: Points})
				if err != nil || len(l.Features) != 100000 {
					b.Fatal(err)
				}
			}
		})
	}
}
