package geo

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// randomGrid builds a jittered street grid of k×k vertices, 100 m apart,
// with some streets left out, and returns it.
func randomGrid(t *testing.T, rng *rand.Rand, k int) *Network {
	t.Helper()
	id := func(i, j int) int64 { return int64(i*k + j) }
	pt := func(i, j int) orb.Point {
		r := rand.New(rand.NewSource(id(i, j)))
		return m(float64(i)*100+r.Float64()*30, float64(j)*100+r.Float64()*30)
	}
	b := NewNetworkBuilder(0)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			if i+1 < k && rng.Intn(10) > 0 {
				if err := b.AddWay([]int64{id(i, j), id(i+1, j)}, []orb.Point{pt(i, j), pt(i+1, j)}); err != nil {
					t.Fatal(err)
				}
			}
			if j+1 < k && rng.Intn(10) > 0 {
				if err := b.AddWay([]int64{id(i, j), id(i, j+1)}, []orb.Point{pt(i, j), pt(i, j+1)}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	n, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSubSameAsWhole checks the claim sharding rests on: on the edges
// within reach of a point, a sub-network snaps it and measures its
// distances exactly as the whole network does, labels included.
func TestSubSameAsWhole(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	n := randomGrid(t, rng, 40)
	// Keep the edges that come within 1300 m of (2000, 2000): 100 m of
	// demand points around it, a search bound of 1000 m, twice a snap of
	// 100 m.
	c := m(2000, 2000)
	sub, edgeOf, err := n.Sub(func(e int32) bool {
		for _, p := range n.EdgeGeometry(e) {
			if Haversine(p, c) <= 1300 {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
	if sub.NumEdges() >= n.NumEdges()/2 || sub.NumEdges() < 50 {
		t.Fatalf("sub-network of %d edges of %d", sub.NumEdges(), n.NumEdges())
	}
	for k := 1; k < len(edgeOf); k++ {
		if edgeOf[k] <= edgeOf[k-1] {
			t.Fatalf("edges out of order: %v", edgeOf[:k+1])
		}
	}
	// Facilities on a ring 500–700 m from the centre, so that the paths
	// that matter run far out; demand points within 100 m of the centre.
	const maxSnap, bound = 100.0, 1000.0
	var srcW, srcS []Source
	for l := int32(0); l < 12; l++ {
		a, r := rng.Float64()*2*3.141592653589793, 500+rng.Float64()*200
		p := m(2000+r*math.Cos(a), 2000+r*math.Sin(a))
		if pos, ok := n.Snap(p, maxSnap); ok {
			srcW = append(srcW, Source{pos, l})
		}
		if pos, ok := sub.Snap(p, maxSnap); ok {
			srcS = append(srcS, Source{pos, l})
		}
	}
	w, s := n.NewSearcher(), sub.NewSearcher()
	w.Run(srcW, bound)
	s.Run(srcS, bound)
	reached := 0
	for i := 0; i < 500; i++ {
		p := m(1900+rng.Float64()*200, 1900+rng.Float64()*200)
		pw, okw := n.Snap(p, maxSnap)
		ps, oks := sub.Snap(p, maxSnap)
		if okw != oks || (okw && (edgeOf[ps.Edge] != pw.Edge || ps.Offset != pw.Offset || ps.Access != pw.Access)) {
			t.Fatalf("point %v: whole snaps %v %+v, sub %v %+v", p, okw, pw, oks, ps)
		}
		if !okw {
			continue
		}
		dw, lw, okw := w.At(pw)
		ds, ls, oks := s.At(ps)
		if okw != oks || dw != ds || lw != ls {
			t.Fatalf("point %v: whole %v %v %v, sub %v %v %v", p, dw, lw, okw, ds, ls, oks)
		}
		if okw {
			reached++
		}
	}
	if reached < 100 {
		t.Errorf("only %d points reached: the test checks too little", reached)
	}
}

// TestCheckLengths: a network whose edge is shorter than the straight
// line between its ends is refused, naming the edge and the fix.
func TestCheckLengths(t *testing.T) {
	n := build(t, orb.LineString{m(0, 0), m(100, 0)}, orb.LineString{m(100, 0), m(100, 100)}, orb.LineString{m(100, 0), m(200, 0)})
	if err := n.checkLengths(); err != nil {
		t.Fatal(err)
	}
	if n.NumEdges() != 3 {
		t.Fatalf("%d edges", n.NumEdges())
	}
	n.edgeLen[1] = 0.5 * Haversine(n.nodes[n.edgeA[1]], n.nodes[n.edgeB[1]])
	err := n.checkLengths()
	if err == nil || !strings.Contains(err.Error(), "edge 1") || !strings.Contains(err.Error(), "shorter than the") || !strings.Contains(err.Error(), "rebuild") {
		t.Fatalf("got %v", err)
	}
	if _, _, err := n.Sub(func(int32) bool { return false }); err == nil {
		t.Error("an empty sub-network was accepted")
	}
}

// BenchmarkSub1M cuts a quarter (with its halo) out of a 1,000,000-node
// lattice: what each shard of a 4-shard audit does before it searches.
func BenchmarkSub1M(b *testing.B) {
	n := lattice(b, 1000)
	mid := n.Bound().Center()
	<-n.treeReady
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sub, _, err := n.Sub(func(e int32) bool {
			p := n.nodes[n.edgeA[e]]
			return p[0] < mid[0]+0.06 && p[1] < mid[1]+0.05
		})
		if err != nil {
			b.Fatal(err)
		}
		<-sub.treeReady
	}
}
