package geo

import (
	"math"
	"math/rand"
	"testing"

	"github.com/paulmach/orb"
)

// lattice builds a jittered n×n street grid with ~80 m blocks around
// Beijing, the shape of the generated benchmark cities.
func lattice(tb testing.TB, n int) *Network { return latticeWays(tb, n, false) }

// latticeWays is lattice with its streets added in a random order when
// shuffle is set: nodes are then numbered all over the city, as in an
// OSM extract whose ways come by id, not by place.
func latticeWays(tb testing.TB, n int, shuffle bool) *Network {
	tb.Helper()
	rng := rand.New(rand.NewSource(1))
	const step = 80.0
	lat0 := 39.9
	kx := metresPerDegree * math.Cos(lat0*rad)
	pt := func(i, j int) orb.Point {
		x := float64(i)*step + (rng.Float64()-0.5)*20
		y := float64(j)*step + (rng.Float64()-0.5)*20
		return orb.Point{116.4 + x/kx, lat0 + y/metresPerDegree}
	}
	pts := make([]orb.Point, n*n)
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			pts[j*n+i] = pt(i, j)
		}
	}
	var ways [][2]int64
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			id := int64(j*n + i)
			if i+1 < n {
				ways = append(ways, [2]int64{id, id + 1})
			}
			if j+1 < n {
				ways = append(ways, [2]int64{id, id + int64(n)})
			}
		}
	}
	if shuffle {
		r := rand.New(rand.NewSource(2))
		r.Shuffle(len(ways), func(i, j int) { ways[i], ways[j] = ways[j], ways[i] })
	}
	b := NewNetworkBuilder(n * n)
	for _, w := range ways {
		b.AddWay(w[:], []orb.Point{pts[w[0]], pts[w[1]]})
	}
	net, err := b.Build()
	if err != nil {
		tb.Fatal(err)
	}
	return net
}

func randomPositions(tb testing.TB, net *Network, k int, seed int64) []Source {
	rng := rand.New(rand.NewSource(seed))
	bd := net.Bound()
	var out []Source
	for len(out) < k {
		p := orb.Point{bd.Min[0] + rng.Float64()*(bd.Max[0]-bd.Min[0]), bd.Min[1] + rng.Float64()*(bd.Max[1]-bd.Min[1])}
		if pos, ok := net.Snap(p, DefaultMaxSnap); ok {
			out = append(out, Source{pos, int32(len(out))})
		}
	}
	return out
}

// BenchmarkSearch1M is one unbounded multi-source search from 2,000
// facilities over a 1,000,000-node street lattice.
func BenchmarkSearch1M(b *testing.B) {
	net := lattice(b, 1000)
	srcs := randomPositions(b, net, 2000, 1)
	s := net.NewSearcher()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Run(srcs, math.Inf(1))
	}
	b.ReportMetric(float64(net.NumNodes()), "nodes")
}

// BenchmarkSearch1MAnyOrder is BenchmarkSearch1M with the radix heap
// (SetAnyListOrder), as nearest and audit run it.
func BenchmarkSearch1MAnyOrder(b *testing.B) {
	net := lattice(b, 1000)
	srcs := randomPositions(b, net, 2000, 1)
	s := net.NewSearcher()
	s.SetAnyListOrder(true)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Run(srcs, math.Inf(1))
	}
	b.ReportMetric(float64(net.NumNodes()), "nodes")
}

// BenchmarkSearch1MShuffled is BenchmarkSearch1MAnyOrder bounded at
// 5,000 m (as audit runs it) on the lattice built from its streets in a
// random order: the searches' Hilbert numbering (layout.go) keeps it as
// fast as on the lattice numbered row by row.
func BenchmarkSearch1MShuffled(b *testing.B) {
	net := latticeWays(b, 1000, true)
	srcs := randomPositions(b, net, 2000, 1)
	s := net.NewSearcher()
	s.SetAnyListOrder(true)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Run(srcs, 5000)
	}
	b.ReportMetric(float64(net.NumNodes()), "nodes")
}

// BenchmarkBoundedSearch is one 500 m search from a single candidate, the
// unit of work of coverage sets.
func BenchmarkBoundedSearch(b *testing.B) {
	net := lattice(b, 300)
	srcs := randomPositions(b, net, 1000, 2)
	s := net.NewSearcher()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Run(srcs[i%len(srcs):i%len(srcs)+1], 500)
	}
}

// BenchmarkSnap snaps random points on a 1,000,000-node lattice.
func BenchmarkSnap(b *testing.B) {
	net := lattice(b, 1000)
	rng := rand.New(rand.NewSource(3))
	bd := net.Bound()
	pts := make([]orb.Point, 4096)
	for i := range pts {
		pts[i] = orb.Point{bd.Min[0] + rng.Float64()*(bd.Max[0]-bd.Min[0]), bd.Min[1] + rng.Float64()*(bd.Max[1]-bd.Min[1])}
	}
	net.Snap(pts[0], DefaultMaxSnap) // waits for the background index
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		net.Snap(pts[i%len(pts)], DefaultMaxSnap)
	}
}

// BenchmarkBuild1M compresses, lays out and indexes a 1,000,000-node
// lattice, the segment index included.
func BenchmarkBuild1M(b *testing.B) {
	for i := 0; i < b.N; i++ {
		net := lattice(b, 1000)
		<-net.treeReady
	}
}

// BenchmarkSegmentIndex1M builds the segment index of a 1,000,000-node
// lattice (about 2,000,000 segments) from its laid-out arrays.
func BenchmarkSegmentIndex1M(b *testing.B) {
	net := lattice(b, 1000)
	<-net.treeReady
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		net.tree = buildPacked(len(net.segEdge), func(i int) (float64, float64, float64, float64) {
			if net.segEdge[i] < 0 {
				return math.NaN(), math.NaN(), math.NaN(), math.NaN()
			}
			p, q := net.geom[i], net.geom[i+1]
			return p[0], p[1], q[0], q[1]
		})
	}
	b.ReportMetric(float64(net.NumSegments()), "segments")
}

// BenchmarkSnapOrdered snaps random points on a 1,000,000-node lattice in
// their Hilbert order, as SnapAll works through demand points.
func BenchmarkSnapOrdered(b *testing.B) {
	net := lattice(b, 1000)
	rng := rand.New(rand.NewSource(3))
	bd := net.Bound()
	pts := make([]orb.Point, 1<<16)
	for i := range pts {
		pts[i] = orb.Point{bd.Min[0] + rng.Float64()*(bd.Max[0]-bd.Min[0]), bd.Min[1] + rng.Float64()*(bd.Max[1]-bd.Min[1])}
	}
	order := HilbertOrder(pts)
	net.Snap(pts[0], DefaultMaxSnap) // waits for the background index
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		net.Snap(pts[order[i%len(pts)]], DefaultMaxSnap)
	}
}
