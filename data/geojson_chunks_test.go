package data

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// TestWriteFeatureChunksMatchesWriter: the chunked, parallel writer gives
// the bytes of GeoJSONWriter for empty, one-feature and many-chunk
// collections, and stops at the first bad feature with its error.
func TestWriteFeatureChunksMatchesWriter(t *testing.T) {
	feature := func(i int) (any, orb.Geometry, Props) {
		p := orb.Point{116 + float64(i)*1e-6, 39.9 - float64(i%977)*1e-5}
		return i, p, Props{{"id", "p" + strings.Repeat("x", i%3)}, {"v", Num(float64(i) / 7)}, {"nil", nil}}
	}
	for _, n := range []int{0, 1, 2, featureChunk, 2*featureChunk + 3} {
		var want bytes.Buffer
		g := NewGeoJSONWriter(&want)
		for i := range n {
			id, geom, props := feature(i)
			if err := g.Write(id, geom, props); err != nil {
				t.Fatal(err)
			}
		}
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		err := writeFeatureChunks(&got, n, func() featureEncoder {
			return func(b []byte, i int) ([]byte, error) {
				id, geom, props := feature(i)
				return AppendFeature(b, id, geom, props)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("n=%d: %d bytes differ from GeoJSONWriter's %d", n, got.Len(), want.Len())
		}
	}
	bad := featureChunk + 5
	err := writeFeatureChunks(&bytes.Buffer{}, 3*featureChunk, func() featureEncoder {
		return func(b []byte, i int) ([]byte, error) {
			x := 116.0
			if i == bad || i == bad+featureChunk {
				x = math.NaN()
			}
			return AppendFeature(b, nil, orb.Point{x, 39.9}, nil)
		}
	})
	if err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("bad feature: got %v, want the NaN coordinate's error", err)
	}
}
