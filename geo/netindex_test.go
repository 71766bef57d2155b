package geo

import (
	"bytes"
	"math"
	"math/rand"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
)

// TestIndexedNetworkRoundTrip: a network read back with its index has the
// very arrays index() computes, snaps and searches as the original, and a
// damaged index section is refused or read without reading out of bounds.
func TestIndexedNetworkRoundTrip(t *testing.T) {
	if !bulkCodec {
		t.Skip("big-endian machine: no index section")
	}
	n := lattice(t, 40)
	var buf bytes.Buffer
	if err := WriteIndexedNetwork(&buf, n); err != nil {
		t.Fatal(err)
	}
	enc := buf.Bytes()
	got, err := ReadOwnIndexedNetwork(bytes.NewReader(enc), int64(len(enc)))
	if err != nil {
		t.Fatal(err)
	}
	<-n.treeReady
	for name, pair := range map[string][2]any{
		"outer": {n.outer, got.outer}, "inner": {n.inner, got.inner}, "edgeIn": {n.edgeIn, got.edgeIn},
		"adjStart": {n.adjStart, got.adjStart}, "adjEdge": {n.adjEdge, got.adjEdge}, "adjNode": {n.adjNode, got.adjNode},
		"adjLen": {n.adjLen, got.adjLen}, "segEdge": {n.segEdge, got.segEdge}, "bounds": {n.bounds, got.bounds},
		"tree": {*n.tree, *got.tree},
	} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s differs after the round trip", name)
		}
	}
	rng := rand.New(rand.NewSource(3))
	bd := n.Bound()
	for i := 0; i < 200; i++ {
		p := orb.Point{bd.Min[0] + rng.Float64()*(bd.Max[0]-bd.Min[0]), bd.Min[1] + rng.Float64()*(bd.Max[1]-bd.Min[1])}
		a, ok1 := n.Snap(p, 100)
		b, ok2 := got.Snap(p, 100)
		if a != b || ok1 != ok2 {
			t.Fatalf("snap of %v: %+v, want %+v", p, b, a)
		}
	}
	srcs := randomPositions(t, n, 20, 5)
	s1, s2 := n.NewSearcher(), got.NewSearcher()
	s1.Run(srcs, math.Inf(1))
	s2.Run(srcs, math.Inf(1))
	for v := int32(0); v < int32(n.NumNodes()); v++ {
		d1, l1 := s1.NodeDist(v)
		d2, l2 := s2.NodeDist(v)
		if math.Float64bits(d1) != math.Float64bits(d2) || l1 != l2 {
			t.Fatalf("node %d: %v %d, want %v %d", v, d2, l2, d1, l1)
		}
	}

	// Damage anywhere in the index section: an error, or a network whose
	// snaps and searches stay inside its arrays.
	var base bytes.Buffer
	WriteNetwork(&base, n)
	for i := 0; i < 300; i++ {
		bad := bytes.Clone(enc)
		k := base.Len() + rng.Intn(len(enc)-base.Len())
		bad[k] ^= byte(1 + rng.Intn(255))
		m, err := ReadOwnIndexedNetwork(bytes.NewReader(bad), int64(len(bad)))
		if err != nil {
			continue
		}
		m.Snap(bd.Center(), 1000)
		m.NewSearcher().Run(srcs[:1], 500)
	}
}
