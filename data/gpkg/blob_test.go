package gpkg

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// order is a byte order that can append.
type order interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// gpBlob assembles a blob by hand: header in order o with envelope env
// (its length picks the code), then w.
func gpBlob(o order, empty bool, srs int32, env []float64, w []byte) []byte {
	flags := byte(0)
	if o.String() == "LittleEndian" {
		flags |= flagLittle
	}
	if empty {
		flags |= flagEmpty
	}
	code := map[int]byte{0: 0, 4: 1, 6: 2, 8: 4}[len(env)]
	flags |= code << 1
	b := []byte{'G', 'P', 0, flags}
	b = o.AppendUint32(b, uint32(srs))
	for _, v := range env {
		b = o.AppendUint64(b, math.Float64bits(v))
	}
	return append(b, w...)
}

// isoWKB writes a WKB geometry of base type with dims ordinates per
// position in order o: a point (one position) or a linestring.
func isoWKB(o order, typ uint32, pts [][]float64) []byte {
	b := []byte{0}
	if o.String() == "LittleEndian" {
		b[0] = 1
	}
	b = o.AppendUint32(b, typ)
	if typ%1000 != 1 {
		b = o.AppendUint32(b, uint32(len(pts)))
	}
	for _, p := range pts {
		for _, v := range p {
			b = o.AppendUint64(b, math.Float64bits(v))
		}
	}
	return b
}

// TestDecodeBlobGDAL decodes blobs written by GDAL (from the GeoPackage
// TestReadGDALGeoPackage builds): a point without envelope and a line
// with an xy envelope.
func TestDecodeBlobGDAL(t *testing.T) {
	pt, _ := hex.DecodeString("47500001E610000001010000006D18AA0771165D4081E7830AB3FA4340")
	b, err := DecodeBlob(pt)
	if err != nil {
		t.Fatal(err)
	}
	if b.SRSID != 4326 || b.Envelope != nil || b.Geometry != (orb.Point{116.3506488, 39.9585889}) {
		t.Errorf("point: %+v", b)
	}
	line, _ := hex.DecodeString("47500003E61000006BBD3A22BA165D40BC6367C00F175D407556B032BFFA4340AA9784B0BFFA434001020000000200000" +
		"06BBD3A22BA165D40AA9784B0BFFA4340BC6367C00F175D407556B032BFFA4340")
	b, err = DecodeBlob(line)
	if err != nil {
		t.Fatal(err)
	}
	ls, ok := b.Geometry.(orb.LineString)
	if !ok || len(ls) != 2 || len(b.Envelope) != 4 || b.Envelope[0] != ls[0][0] || b.Envelope[1] != ls[1][0] {
		t.Errorf("line: %+v", b)
	}
}

func TestDecodeBlob(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	line := [][]float64{{116.1, 39.1, 50, 7}, {116.2, 39.2, 51, 8}}
	xy := func(ps [][]float64, d int) [][]float64 {
		out := make([][]float64, len(ps))
		for i, p := range ps {
			out[i] = p[:d]
		}
		return out
	}
	want := orb.LineString{{116.1, 39.1}, {116.2, 39.2}}
	for _, tc := range []struct {
		name      string
		blob      []byte
		want      orb.Geometry
		flattened bool
		srs       int32
	}{
		{"little endian header, xy envelope", gpBlob(le, false, 4326, []float64{116.1, 116.2, 39.1, 39.2}, isoWKB(le, 2, xy(line, 2))), want, false, 4326},
		{"big endian header and WKB", gpBlob(be, false, 4547, []float64{116.1, 116.2, 39.1, 39.2}, isoWKB(be, 2, xy(line, 2))), want, false, 4547},
		{"big endian header, little endian WKB", gpBlob(be, false, 4326, nil, isoWKB(le, 2, xy(line, 2))), want, false, 4326},
		{"LINESTRING Z, xyz envelope", gpBlob(le, false, 4490, []float64{116.1, 116.2, 39.1, 39.2, 50, 51}, isoWKB(le, 1002, xy(line, 3))), want, true, 4490},
		{"LINESTRING M", gpBlob(le, false, 4326, nil, isoWKB(be, 2002, xy(line, 3))), want, true, 4326},
		{"LINESTRING ZM, xyzm envelope", gpBlob(be, false, 4326, []float64{116.1, 116.2, 39.1, 39.2, 50, 51, 7, 8}, isoWKB(le, 3002, line)), want, true, 4326},
		{"EWKB-style Z flag", gpBlob(le, false, 4326, nil, isoWKB(le, 0x80000002, xy(line, 3))), want, true, 4326},
		{"POINT Z", gpBlob(le, false, 4326, nil, isoWKB(le, 1001, [][]float64{{1, 2, 3}})), orb.Point{1, 2}, true, 4326},
		{"empty flag", gpBlob(le, true, 4326, nil, isoWKB(le, 1, [][]float64{{math.NaN(), math.NaN()}})), nil, false, 4326},
		{"POINT EMPTY as NaN without the flag", gpBlob(le, false, 4326, nil, isoWKB(le, 1, [][]float64{{math.NaN(), math.NaN()}})), nil, false, 4326},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := DecodeBlob(tc.blob)
			if err != nil {
				t.Fatal(err)
			}
			if b.SRSID != tc.srs || b.Flattened != tc.flattened {
				t.Errorf("srs %d flattened %v, want %d %v", b.SRSID, b.Flattened, tc.srs, tc.flattened)
			}
			if tc.want == nil {
				if b.Geometry != nil {
					t.Errorf("geometry %v, want nil (empty)", b.Geometry)
				}
				return
			}
			if err := sameGeometry(b.Geometry, tc.want, 0); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestDecodeBlobZCollection(t *testing.T) {
	le := binary.LittleEndian
	// MULTIPOLYGON Z with one triangle, and a GEOMETRYCOLLECTION M of a
	// point and that multipolygon.
	ring := [][]float64{{0, 0, 1}, {1, 0, 1}, {0, 1, 1}, {0, 0, 1}}
	poly := isoWKB(le, 1003, nil)[:5]
	poly = le.AppendUint32(poly, 1)
	poly = append(poly, isoWKB(le, 1002, ring)[5:]...) // the ring: count + positions
	mp := le.AppendUint32(isoWKB(le, 1006, nil)[:5], 1)
	mp = append(mp, poly...)
	b, err := DecodeBlob(gpBlob(le, false, 4326, nil, mp))
	if err != nil {
		t.Fatal(err)
	}
	want := orb.MultiPolygon{{{{0, 0}, {1, 0}, {0, 1}, {0, 0}}}}
	if err := sameGeometry(b.Geometry, want, 0); err != nil || !b.Flattened {
		t.Errorf("multipolygon Z: %v %+v", err, b)
	}
	gc := le.AppendUint32(isoWKB(le, 1007, nil)[:5], 2)
	gc = append(gc, isoWKB(le, 1001, [][]float64{{5, 6, 7}})...)
	gc = append(gc, mp...)
	b, err = DecodeBlob(gpBlob(le, false, 4326, nil, gc))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := b.Geometry.(orb.Collection); !ok || len(c) != 2 || c[0] != (orb.Point{5, 6}) {
		t.Errorf("collection: %#v", b.Geometry)
	}
}

func TestDecodeBlobErrors(t *testing.T) {
	le := binary.LittleEndian
	pt := isoWKB(le, 1, [][]float64{{1, 2}})
	good := gpBlob(le, false, 4326, nil, pt)
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for _, tc := range []struct {
		name, want string
		blob       []byte
	}{
		{"short", "shorter than", good[:5]},
		{"not GP", "magic", append([]byte("XX"), good[2:]...)},
		{"version", "version 1", mut(func(b []byte) []byte { b[2] = 1; return b })},
		{"extended", "extended", mut(func(b []byte) []byte { b[3] |= flagExtended; return b })},
		{"envelope code 5", "envelope code 5", mut(func(b []byte) []byte { b[3] |= 5 << 1; return b })},
		{"envelope cut", "too short for its 64-byte envelope", mut(func(b []byte) []byte { b[3] |= 4 << 1; return b })},
		{"WKB cut", "WKB", good[:len(good)-3]},
		{"bad WKB order", "byte order 7", mut(func(b []byte) []byte { b[8] = 7; return b })},
		{"unknown type", "type 17", mut(func(b []byte) []byte { le.PutUint32(b[9:], 17); return b })},
		{"huge count", "more than", gpBlob(le, false, 0, nil, le.AppendUint32(isoWKB(le, 1002, nil)[:5], 1<<30))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeBlob(tc.blob)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestEncodeBlobRoundTrip(t *testing.T) {
	for _, g := range []orb.Geometry{
		orb.Point{116.35, 39.96},
		orb.MultiPoint{{1, 2}, {3, 4}},
		orb.LineString{{1, 2}, {3, 4}},
		orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}},
		orb.MultiLineString{{{1, 2}, {3, 4}}},
		orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}},
		orb.Collection{orb.Point{1, 2}, orb.LineString{{1, 2}, {3, 4}}},
		orb.LineString{},
		nil,
	} {
		b, err := EncodeBlob(g, 4326)
		if err != nil {
			t.Fatal(err)
		}
		d, err := DecodeBlob(b)
		if err != nil {
			t.Fatalf("%v: %v", g, err)
		}
		if g == nil || isEmpty(g) {
			if d.Geometry != nil || b[3]&flagEmpty == 0 {
				t.Errorf("%v: decoded %v, flags %#x", g, d.Geometry, b[3])
			}
			continue
		}
		if err := sameGeometry(d.Geometry, g, 0); err != nil {
			t.Errorf("%v: %v", g, err)
		}
		_, pt := g.(orb.Point)
		if pt != (d.Envelope == nil) {
			t.Errorf("%v: envelope %v", g, d.Envelope)
		}
		if !pt {
			bd := g.Bound()
			if d.Envelope[0] != bd.Min[0] || d.Envelope[1] != bd.Max[0] || d.Envelope[2] != bd.Min[1] || d.Envelope[3] != bd.Max[1] {
				t.Errorf("%v: envelope %v, bound %v", g, d.Envelope, bd)
			}
		}
	}
}

// FuzzGeometryBlob: any bytes decode to a geometry or an error, never a
// panic; a decoded 2D geometry encodes and decodes to the same positions.
func FuzzGeometryBlob(f *testing.F) {
	le, be := binary.LittleEndian, binary.BigEndian
	for _, g := range []orb.Geometry{orb.Point{1, 2}, orb.LineString{{1, 2}, {3, 4}},
		orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}, orb.Collection{orb.Point{1, 2}}} {
		b, _ := EncodeBlob(g, 4326)
		f.Add(b)
		w, _ := wkb.Marshal(g, be)
		f.Add(gpBlob(be, false, 4326, []float64{0, 1, 0, 1}, w))
	}
	f.Add(gpBlob(le, false, 4326, nil, isoWKB(le, 3002, [][]float64{{1, 2, 3, 4}, {5, 6, 7, 8}})))
	f.Add(gpBlob(le, true, 4326, nil, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBlob(data)
		if err != nil || b.Geometry == nil {
			return
		}
		enc, err := EncodeBlob(b.Geometry, b.SRSID)
		if err != nil {
			t.Fatalf("re-encode %v: %v", b.Geometry, err)
		}
		d, err := DecodeBlob(enc)
		if err != nil {
			t.Fatalf("decode own blob of %v: %v", b.Geometry, err)
		}
		if isEmpty(b.Geometry) {
			return
		}
		pa, pb := positions(b.Geometry), positions(d.Geometry)
		if len(pa) != len(pb) {
			t.Fatalf("%d positions after a round trip, had %d", len(pb), len(pa))
		}
		for i := range pa {
			if !samePoint(pa[i], pb[i]) {
				t.Fatalf("position %d: %v became %v", i, pa[i], pb[i])
			}
		}
	})
}

func samePoint(a, b orb.Point) bool {
	eq := func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) }
	return eq(a[0], b[0]) && eq(a[1], b[1])
}
