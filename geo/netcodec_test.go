package geo

import (
	"bytes"
	"errors"
	"io"
	"math"
	"math/rand"
	"reflect"
	"testing"
)

// TestNetworkCodecSameAsSub: the network WriteSubNetwork writes reads
// back with every array bit for bit as Sub builds it, so it snaps and
// searches alike; the edge map is Sub's.
func TestNetworkCodecSameAsSub(t *testing.T) {
	n := randomGrid(t, rand.New(rand.NewSource(5)), 30)
	keep := func(e int32) bool { return n.nodes[n.edgeA[e]][0] < n.Bound().Center()[0] || e%7 == 0 }
	want, wantOf, err := n.Sub(keep)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSubNetwork(&buf, n, wantOf); err != nil {
		t.Fatal(err)
	}
	got, err := ReadNetwork(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]any{
		"nodes": {got.nodes, want.nodes}, "edgeA": {got.edgeA, want.edgeA}, "edgeB": {got.edgeB, want.edgeB},
		"edgeLen": {got.edgeLen, want.edgeLen}, "geomStart": {got.geomStart, want.geomStart}, "geom": {got.geom, want.geom},
		"cum": {got.cum, want.cum}, "adjEdge": {got.adjEdge, want.adjEdge}, "segEdge": {got.segEdge, want.segEdge}, "bounds": {got.bounds, want.bounds},
	} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s differs after a round trip", name)
		}
	}
	p := m(1000, 1200)
	a, okA := got.Snap(p, 200)
	b, okB := want.Snap(p, 200)
	if okA != okB || a != b {
		t.Errorf("snap differs: %+v vs %+v", a, b)
	}
}

// TestReadNetworkRefuses: damaged encodings are refused with an error,
// never a panic or a huge allocation.
func TestReadNetworkRefuses(t *testing.T) {
	n := randomGrid(t, rand.New(rand.NewSource(6)), 6)
	var buf bytes.Buffer
	if err := WriteSubNetwork(&buf, n, edgesWhere(n, func(int32) bool { return true })); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	flip := func(off int, v byte) []byte { b := bytes.Clone(good); b[off] = v; return b }
	nanNode := bytes.Clone(good)
	copy(nanNode[39:47], []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f}) // first node's lon: NaN
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"magic", flip(0, 'X'), ErrBadNetwork},
		{"huge count", flip(14, 0x7f), ErrBadNetwork},
		{"truncated", good[:len(good)-3], ErrBadNetwork},
		{"nan node", nanNode, ErrBadNetwork},
		{"edge end out of range", flip(39+16*n.NumNodes()+3, 0x7f), ErrBadNetwork},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadNetwork(bytes.NewReader(tc.b), int64(len(tc.b)))
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	// A reader that ends before its announced size.
	if _, err := ReadNetwork(bytes.NewReader(good[:len(good)-3]), int64(len(good))); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a reader ending early: got %v", err)
	}
	// A length made shorter than the straight line is refused by
	// checkLengths, as Build would.
	short := bytes.Clone(good)
	off := 39 + 16*n.NumNodes() + 8*n.NumEdges()
	copy(short[off:off+8], []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f}) // 1.0 m
	if _, err := ReadNetwork(bytes.NewReader(short), int64(len(short))); err == nil {
		t.Errorf("an edge shorter than its straight line was accepted")
	}
}

func FuzzReadNetwork(f *testing.F) {
	n := lattice(f, 4)
	var buf bytes.Buffer
	if err := WriteSubNetwork(&buf, n, edgesWhere(n, func(e int32) bool { return e%2 == 0 })); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(netMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ReadNetwork(bytes.NewReader(b), int64(len(b)))
		if err == nil {
			<-got.treeReady
			if _, ok := got.Snap(got.Node(0), 1e6); !ok || math.IsNaN(got.TotalLength()) {
				t.Errorf("a network read without error does not snap its own node")
			}
		}
	})
}

// BenchmarkNetworkCodec1M writes a quarter of a 1,000,000-node lattice
// (what a coordinator sends for one shard) and reads it back, index
// included (what a worker does before it searches).
func BenchmarkNetworkCodec1M(b *testing.B) {
	n := lattice(b, 1000)
	mid := n.Bound().Center()
	keep := func(e int32) bool {
		p := n.nodes[n.edgeA[e]]
		return p[0] < mid[0]+0.06 && p[1] < mid[1]+0.05
	}
	edges := edgesWhere(n, keep)
	var buf bytes.Buffer
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf.Reset()
		if err := WriteSubNetwork(&buf, n, edges); err != nil {
			b.Fatal(err)
		}
		got, err := ReadNetwork(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			b.Fatal(err)
		}
		<-got.treeReady
	}
	b.SetBytes(int64(buf.Len()))
}

// edgesWhere lists the edges of n for which keep is true.
func edgesWhere(n *Network, keep func(int32) bool) []int32 {
	var out []int32
	for e := range n.edgeLen {
		if keep(int32(e)) {
			out = append(out, int32(e))
		}
	}
	return out
}
