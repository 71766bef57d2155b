package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/lifecircle/lifecircle/data/shareddata"
)

func writeAll(t *testing.T, fn func(w *GeoJSONWriter)) string {
	t.Helper()
	var buf bytes.Buffer
	w := NewGeoJSONWriter(&buf)
	fn(w)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("output is not valid JSON:\n%s", buf.String())
	}
	return buf.String()
}

func TestGeoJSONWriterFeatures(t *testing.T) {
	cw := orb.Ring{{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}}              // clockwise
	ccwHole := orb.Ring{{0.2, 0.2}, {0.8, 0.2}, {0.8, 0.8}, {0.2, 0.2}} // counter-clockwise
	tests := []struct {
		name  string
		id    any
		geom  orb.Geometry
		props Props
		want  string
	}{
		{"point rounding", 1, orb.Point{24.93847519, 60.1699}, Props{{"name", "Kamppi"}, {"population", 12.5}},
			`{"type":"Feature","id":1,"geometry":{"type":"Point","coordinates":[24.938475,60.1699]},"properties":{"name":"Kamppi","population":12.5}}`},
		{"trailing zeros and negative zero", "a", orb.Point{-0.0000001, 2.5000000}, nil,
			`{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[0,2.5]},"properties":{}}`},
		{"rounds half up at 7th decimal", nil, orb.Point{1.0000005000001, -1.23456749}, nil,
			`{"type":"Feature","geometry":{"type":"Point","coordinates":[1.000001,-1.234567]},"properties":{}}`},
		{"property order kept", nil, nil, Props{{"z", 1}, {"a", 2}, {"m", 3}},
			`{"type":"Feature","geometry":null,"properties":{"z":1,"a":2,"m":3}}`},
		{"polygon orientation fixed", "p", orb.Polygon{cw, ccwHole}, nil,
			`{"type":"Feature","id":"p","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]],[[0.2,0.2],[0.8,0.8],[0.8,0.2],[0.2,0.2]]]},"properties":{}}`},
		{"multipolygon ccw kept", nil, orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}, nil,
			`{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]},"properties":{}}`},
		{"lines", nil, orb.MultiLineString{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}, nil,
			`{"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[5,6],[7,8]]]},"properties":{}}`},
		{"bound as polygon", nil, orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}, nil,
			`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]},"properties":{}}`},
		{"float values", nil, nil, Props{{"nan", math.NaN()}, {"inf", math.Inf(-1)}, {"big", 1e21}, {"small", 1e-7}, {"f32", float32(0.1)}, {"int", int64(-3)}, {"u8", uint8(7)}, {"t", true}, {"nil", nil}},
			`{"type":"Feature","geometry":null,"properties":{"nan":null,"inf":null,"big":1e+21,"small":1e-07,"f32":0.1,"int":-3,"u8":7,"t":true,"nil":null}}`},
		{"strings escaped", "引号\"", nil, Props{{"name", "北京邮电大学社区卫生服务中心"}, {"esc", "a\"b\\c\nd\te\x01\u2028"}, {"bad utf8", "x\xffy"}, {"键", "<&>"}},
			`{"type":"Feature","id":"引号\"","geometry":null,"properties":{"name":"北京邮电大学社区卫生服务中心","esc":"a\"b\\c\nd\te\u0001\u2028","bad utf8":"x\ufffdy","键":"<&>"}}`},
		{"nested and fallback values", 2.5, nil, Props{{"o", Props{{"k", "v"}}}, {"n", json.Number("12")}, {"raw", json.RawMessage(`[1,2]`)}, {"list", []string{"a"}}},
			`{"type":"Feature","id":2.5,"geometry":null,"properties":{"o":{"k":"v"},"n":12,"raw":[1,2],"list":["a"]}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := writeAll(t, func(w *GeoJSONWriter) {
				if err := w.Write(tc.id, tc.geom, tc.props); err != nil {
					t.Fatal(err)
				}
			})
			want := geojsonHeader + "\n" + tc.want + geojsonFooter
			if out != want {
				t.Errorf("got\n%s\nwant\n%s", out, want)
			}
		})
	}
}

func TestGeoJSONWriterEmptyAndErrors(t *testing.T) {
	out := writeAll(t, func(*GeoJSONWriter) {})
	if out != `{"type":"FeatureCollection","features":[`+"\n]}\n" {
		t.Errorf("empty collection = %q", out)
	}

	// A bad feature is skipped; the output stays valid GeoJSON.
	out = writeAll(t, func(w *GeoJSONWriter) {
		for _, bad := range []struct {
			id   any
			geom orb.Geometry
			p    Props
		}{
			{1, orb.Point{math.NaN(), 1}, nil},
			{2, orb.LineString{{1, 1}, {math.Inf(1), 1}}, nil},
			{3, nil, Props{{"ch", make(chan int)}}},
			{math.NaN(), nil, nil},
			{[]int{1}, nil, nil},
			{4, nil, Props{{"n", json.Number("1x")}}},
		} {
			if err := w.Write(bad.id, bad.geom, bad.p); err == nil {
				t.Errorf("Write(%v, %v, %v) succeeded, want error", bad.id, bad.geom, bad.p)
			}
		}
		if err := w.Write(5, orb.Point{1, 2}, nil); err != nil {
			t.Fatal(err)
		}
	})
	fc, err := geojson.UnmarshalFeatureCollection([]byte(out))
	if err != nil || len(fc.Features) != 1 {
		t.Fatalf("after errors: %v, %q", err, out)
	}

	var buf bytes.Buffer
	w := NewGeoJSONWriter(&buf)
	_ = w.Close()
	if err := w.Write(1, orb.Point{}, nil); err == nil {
		t.Error("Write after Close succeeded")
	}

	// Errors from the underlying writer are reported and sticky.
	fw := NewGeoJSONWriter(failWriter{})
	for i := 0; i < 10000; i++ {
		if err = fw.Write(i, orb.Point{1, 2}, Props{{"name", strings.Repeat("x", 100)}}); err != nil {
			break
		}
	}
	if err == nil {
		err = fw.Close()
	}
	if err == nil || !errors.Is(err, errDiskFull) {
		t.Fatalf("error %v, want disk full", err)
	}
	if err2 := fw.Close(); !errors.Is(err2, errDiskFull) {
		t.Errorf("Close after failure = %v", err2)
	}
}

var errDiskFull = errors.New("disk full")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

// TestGeoJSONWriterRoundTrip writes real buildings and reads them back
// with orb/geojson and with ReadLayer: same features, coordinates within
// the 6-decimal rounding, outer rings counter-clockwise, holes clockwise.
func TestGeoJSONWriterRoundTrip(t *testing.T) {
	in, err := ReadLayer(shareddata.Path(t, "helsinki", "layers", "buildings_all.geojson"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := writeAll(t, func(w *GeoJSONWriter) {
		for _, f := range in.Features {
			name, _ := f.Properties["name"].(string)
			if err := w.Write(f.ID, f.Geometry, Props{{"name", name}, {"building", f.Properties["building"]}}); err != nil {
				t.Fatal(err)
			}
		}
	})
	fc, err := geojson.UnmarshalFeatureCollection([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != len(in.Features) {
		t.Fatalf("read back %d features, wrote %d", len(fc.Features), len(in.Features))
	}
	var holes int
	for i, f := range fc.Features {
		if f.ID != in.Features[i].ID || f.Properties["building"] != in.Features[i].Properties["building"] {
			t.Fatalf("feature %d: id %v props %v", i, f.ID, f.Properties)
		}
		mp, ok := f.Geometry.(orb.MultiPolygon)
		if !ok {
			t.Fatalf("feature %d: %T", i, f.Geometry)
		}
		orig := in.Features[i].Geometry.(orb.MultiPolygon)
		for j, pg := range mp {
			for k, r := range pg {
				want := orb.CCW
				if k > 0 {
					want = orb.CW
					holes++
				}
				if o := r.Orientation(); o != want && o != 0 {
					t.Fatalf("feature %d polygon %d ring %d: orientation %v, want %v", i, j, k, o, want)
				}
				// Same vertex set (possibly reversed), within rounding.
				or := orig[j][k]
				if len(r) != len(or) {
					t.Fatalf("feature %d ring %d: %d points, want %d", i, k, len(r), len(or))
				}
				for m := range r {
					a, b1, b2 := r[m], or[m], or[len(or)-1-m]
					if !(near(a, b1) || near(a, b2)) {
						t.Fatalf("feature %d ring %d point %d: %v not near %v or %v", i, k, m, a, b1, b2)
					}
				}
			}
		}
	}
	t.Logf("%d features, %d holes", len(fc.Features), holes)

	back, err := ReadLayer(writeTemp(t, "out.geojson", out), ReadOptions{RequireIDs: true})
	if err != nil || len(back.Features) != len(in.Features) {
		t.Fatalf("ReadLayer of our own output: %v", err)
	}
}

func near(a, b orb.Point) bool {
	return math.Abs(a[0]-b[0]) <= 5e-7+1e-12 && math.Abs(a[1]-b[1]) <= 5e-7+1e-12
}

func BenchmarkGeoJSONWriterPoints(b *testing.B) {
	const n = 1_000_000
	props := Props{{"name", "社区卫生服务站"}, {"dist_m", 0.0}}
	for b.Loop() {
		w := NewGeoJSONWriter(io.Discard)
		for i := 0; i < n; i++ {
			props[1].Value = float64(i) * 0.1
			if err := w.Write(i, orb.Point{116.35 + float64(i)*1e-7, 39.95 + float64(i)*1e-7}, props); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/feature")
}
