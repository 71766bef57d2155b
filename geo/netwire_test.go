package geo

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

// TestNetworkWireRoundTrip: a network read back from its binary form has
// the same arrays, snaps and distances, and damaged forms are refused.
func TestNetworkWireRoundTrip(t *testing.T) {
	n := build(t, orb.LineString{m(0, 0), m(100, 0), m(200, 5), m(300, 0)}, orb.LineString{m(100, 0), m(100, 150)},
		orb.LineString{m(300, 0), m(300, 200), m(100, 150)})
	b, err := n.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalNetwork(b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(n.nodes, got.nodes) || !slices.Equal(n.edgeLen, got.edgeLen) || !slices.Equal(n.geom, got.geom) ||
		!slices.Equal(n.cum, got.cum) || !slices.Equal(n.edgeA, got.edgeA) || !slices.Equal(n.adjEdge, got.adjEdge) {
		t.Fatal("arrays differ after the round trip")
	}
	for _, p := range []orb.Point{m(150, 10), m(110, 120), m(290, 180)} {
		a, ok1 := n.Snap(p, 50)
		c, ok2 := got.Snap(p, 50)
		if a != c || ok1 != ok2 || !ok1 {
			t.Fatalf("snap of %v: %+v %v, want %+v %v", p, c, ok2, a, ok1)
		}
		s1, s2 := n.NewSearcher(), got.NewSearcher()
		s1.Run([]Source{{Pos: a}}, 1000)
		s2.Run([]Source{{Pos: c}}, 1000)
		for v := range n.NumNodes() {
			d1, _ := s1.NodeDist(int32(v))
			d2, _ := s2.NodeDist(int32(v))
			if math.Float64bits(d1) != math.Float64bits(d2) {
				t.Fatalf("node %d: distance %v, want %v", v, d2, d1)
			}
		}
	}
	bad := map[string][]byte{"empty": nil, "magic": append([]byte("LCNET9\n"), b[7:]...), "short": b[:len(b)-3], "long": append(slices.Clone(b), 0)}
	edge := slices.Clone(b)
	edge[7+32+16*len(n.nodes)] = 0xff // edgeA[0] far out of range
	bad["node index"] = edge
	for name, d := range bad {
		if _, err := UnmarshalNetwork(d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzUnmarshalNetwork(f *testing.F) {
	n, _ := func() (*Network, error) {
		b := NewNetworkBuilder(4)
		_ = b.AddLine(orb.LineString{m(0, 0), m(100, 0), m(100, 100)})
		return b.Build()
	}()
	b, _ := n.MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, err := UnmarshalNetwork(data); err == nil {
			_, _ = got.Snap(got.Node(0), 10)
		}
	})
}

// TestBulkCodecSameBytes: whole arrays written and read as they lie in
// memory give the very bytes and networks of the value-by-value codec,
// for a whole network (the bulk path) and a part of one (never bulk).
func TestBulkCodecSameBytes(t *testing.T) {
	if !bulkCodec {
		t.Skip("big-endian machine: no bulk codec")
	}
	n := lattice(t, 60)
	encode := func(bulk bool, edges []int32) []byte {
		defer func(b bool) { bulkCodec = b }(bulkCodec)
		bulkCodec = bulk
		var buf bytes.Buffer
		if err := WriteSubNetwork(&buf, n, edges); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	decode := func(bulk bool, b []byte) *Network {
		defer func(b bool) { bulkCodec = b }(bulkCodec)
		bulkCodec = bulk
		got, err := UnmarshalNetwork(b)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	all := edgesWhere(n, func(int32) bool { return true })
	half := edgesWhere(n, func(e int32) bool { return e%3 != 0 })
	for _, edges := range [][]int32{all, half} {
		slow, fast := encode(false, edges), encode(true, edges)
		if !bytes.Equal(slow, fast) {
			t.Fatalf("%d edges: bulk encoding differs from the value-by-value one", len(edges))
		}
		a, b := decode(false, slow), decode(true, slow)
		if !slices.Equal(a.nodes, b.nodes) || !slices.Equal(a.edgeA, b.edgeA) || !slices.Equal(a.edgeB, b.edgeB) ||
			!slices.Equal(a.edgeLen, b.edgeLen) || !slices.Equal(a.geomStart, b.geomStart) ||
			!slices.Equal(a.geom, b.geom) || !slices.Equal(a.cum, b.cum) {
			t.Fatalf("%d edges: bulk decoding differs", len(edges))
		}
	}
	if got := decode(true, encode(true, all)); !slices.Equal(got.nodes, n.nodes) || !slices.Equal(got.cum, n.cum) {
		t.Fatal("whole network does not read back as itself")
	}
}
