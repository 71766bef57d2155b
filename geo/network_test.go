package geo

import (
	"math"
	"math/rand"
	"testing"

	"github.com/paulmach/orb"
)

// m returns a lon/lat point x metres east and y metres north of (0, 0),
// where degrees are nearly square so distances are easy to check by hand.
func m(x, y float64) orb.Point { return orb.Point{x / metresPerDegree, y / metresPerDegree} }

func build(t testing.TB, lines ...orb.LineString) *Network {
	t.Helper()
	b := NewNetworkBuilder(0)
	for _, l := range lines {
		if err := b.AddLine(l); err != nil {
			t.Fatal(err)
		}
	}
	n, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-3 }

func TestHaversine(t *testing.T) {
	// One degree of latitude on the mean-radius sphere.
	if d := Haversine(orb.Point{0, 0}, orb.Point{0, 1}); !near(d, 111195.0837) {
		t.Fatalf("1° latitude = %.4f m, want 111195.0837", d)
	}
	// Helsinki reference edge 1 (edges.csv): 8.16857065028548 m.
	d := Haversine(orb.Point{24.9370245, 60.1643249}, orb.Point{24.9371, 60.1643249})
	if d <= 0 {
		t.Fatal("zero length")
	}
}

func TestCompression(t *testing.T) {
	// A 3-way junction at (0,0) with one arm bent through two
	// intermediate vertices: 4 nodes, 3 edges, bends kept in geometry.
	n := build(t,
		orb.LineString{m(0, 0), m(100, 0)},
		orb.LineString{m(0, 0), m(0, 50), m(0, 100), m(50, 100)},
		orb.LineString{m(0, 0), m(-100, 0)},
	)
	if n.NumNodes() != 4 || n.NumEdges() != 3 {
		t.Fatalf("nodes=%d edges=%d, want 4 and 3", n.NumNodes(), n.NumEdges())
	}
	if n.NumSegments() != 5 {
		t.Fatalf("segments=%d, want 5", n.NumSegments())
	}
	if !near(n.TotalLength(), 350) {
		t.Fatalf("total length %.3f, want 350", n.TotalLength())
	}
	// A ring of degree-2 vertices only is kept as one looped edge.
	r := build(t, orb.LineString{m(0, 0), m(10, 0), m(10, 10), m(0, 10), m(0, 0)})
	if r.NumNodes() != 1 || r.NumEdges() != 1 || !near(r.TotalLength(), 40) {
		t.Fatalf("ring: nodes=%d edges=%d len=%.3f", r.NumNodes(), r.NumEdges(), r.TotalLength())
	}
}

func TestSnapAndDistance(t *testing.T) {
	// An L-shaped street (0,0)-(200,0)-(200,200) plus a separate island
	// street far away.
	n := build(t,
		orb.LineString{m(0, 0), m(200, 0), m(200, 200)},
		orb.LineString{m(0, 1000), m(100, 1000)},
	)
	s := n.NewSearcher()
	snap := func(p orb.Point) Position {
		pos, ok := n.Snap(p, DefaultMaxSnap)
		if !ok {
			t.Fatalf("%v did not snap", p)
		}
		return pos
	}
	fac := snap(m(50, 10)) // 10 m access, 50 m along
	s.Run([]Source{{Pos: fac, Label: 7}}, math.Inf(1))

	cases := []struct {
		name string
		p    orb.Point
		want float64 // -1 = unreachable
	}{
		{"middle of the same edge", m(150, -20), 10 + 100 + 20},
		{"same spot", m(50, 10), 20},
		{"around the corner", m(230, 100), 10 + 150 + 100 + 30},
		{"behind the facility", m(0, 0), 10 + 50},
		{"other component", m(50, 1000), -1},
		{"beyond max snap", m(50, 500), -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pos, ok := n.Snap(tc.p, DefaultMaxSnap)
			if !ok {
				if tc.want >= 0 {
					t.Fatalf("did not snap")
				}
				return
			}
			d, l, ok := s.At(pos)
			if tc.want < 0 {
				if ok {
					t.Fatalf("reached at %.3f m, want unreachable", d)
				}
				return
			}
			if !ok || !near(d, tc.want) || l != 7 {
				t.Fatalf("got %.4f m label %d ok=%v, want %.4f label 7", d, l, ok, tc.want)
			}
		})
	}

	// The bound: 130 m reaches (150,-20) exactly at 130 m, not (230,100).
	s.Run([]Source{{Pos: fac, Label: 0}}, 130)
	if d, _, ok := s.At(snap(m(150, -20))); !ok || !near(d, 130) {
		t.Fatalf("bounded: %.3f %v", d, ok)
	}
	if _, _, ok := s.At(snap(m(230, 100))); ok {
		t.Fatal("bounded search reached a point beyond the bound")
	}
	s.Run([]Source{{Pos: fac, Label: 0}}, 129.9)
	if _, _, ok := s.At(snap(m(150, -20))); ok {
		t.Fatal("point at 130 m reached with a 129.9 m bound")
	}
}

func TestNearestOfSeveral(t *testing.T) {
	n := build(t, orb.LineString{m(0, 0), m(1000, 0)})
	s := n.NewSearcher()
	a, _ := n.Snap(m(100, 0), 10)
	b, _ := n.Snap(m(900, 0), 10)
	s.Run([]Source{{a, 1}, {b, 2}}, math.Inf(1))
	for _, tc := range []struct {
		x     float64
		label int32
		d     float64
	}{{0, 1, 100}, {400, 1, 300}, {600, 2, 300}, {1000, 2, 100}} {
		p, _ := n.Snap(m(tc.x, 5), 10)
		d, l, ok := s.At(p)
		if !ok || l != tc.label || !near(d, tc.d+5) {
			t.Errorf("x=%v: got %.3f label %d, want %.3f label %d", tc.x, d, l, tc.d+5, tc.label)
		}
	}
}

func TestMaxSnap(t *testing.T) {
	n := build(t, orb.LineString{m(0, 0), m(100, 0)})
	if _, ok := n.Snap(m(50, 99), 100); !ok {
		t.Error("99 m from the street should snap with max 100 m")
	}
	if _, ok := n.Snap(m(50, 101), 100); ok {
		t.Error("101 m from the street should not snap with max 100 m")
	}
	if _, ok := n.Snap(orb.Point{math.NaN(), 0}, 100); ok {
		t.Error("NaN snapped")
	}
	if p, ok := n.Snap(m(-30, 40), 100); !ok || !near(p.Access, 50) || p.Offset != 0 {
		t.Errorf("past the end: %+v %v, want access 50 at offset 0", p, ok)
	}
}

func TestWalkable(t *testing.T) {
	cases := []struct {
		tags map[string]string
		want bool
	}{
		{map[string]string{"highway": "residential"}, true},
		{map[string]string{"highway": "footway"}, true},
		{map[string]string{"highway": "primary", "oneway": "yes"}, true},
		{map[string]string{"building": "yes"}, false},
		{map[string]string{"highway": "residential", "foot": "no"}, false},
		{map[string]string{"highway": "residential", "access": "private"}, false},
		{map[string]string{"highway": "motorway"}, false},
		{map[string]string{"highway": "motorway_link"}, false},
		{map[string]string{"highway": "cycleway"}, false},
		{map[string]string{"highway": "pedestrian", "area": "yes"}, false},
		{map[string]string{"highway": "construction"}, false},
		{map[string]string{"highway": "service", "service": "private"}, false},
		{map[string]string{"highway": "platform"}, false},
		{map[string]string{"highway": "cycleway", "foot": "yes"}, false}, // OSMnx drops it too
	}
	for _, tc := range cases {
		get := func(k string) string { return tc.tags[k] }
		if got := Walkable(get); got != tc.want {
			t.Errorf("%v: got %v want %v", tc.tags, got, tc.want)
		}
	}
}

// TestDijkstraAgainstBruteForce compares multi-source search on random
// small graphs with Floyd–Warshall over the uncompressed vertices.
func TestDijkstraAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for trial := 0; trial < 40; trial++ {
		nv := 5 + rng.Intn(25)
		pts := make([]orb.Point, nv)
		for i := range pts {
			pts[i] = m(rng.Float64()*1000, rng.Float64()*1000)
		}
		type pair struct{ a, b int }
		var edges []pair
		b := NewNetworkBuilder(0)
		for i := 0; i < nv+rng.Intn(2*nv); i++ {
			a, c := rng.Intn(nv), rng.Intn(nv)
			if a == c {
				continue
			}
			edges = append(edges, pair{a, c})
			if err := b.AddWay([]int64{int64(a), int64(c)}, []orb.Point{pts[a], pts[c]}); err != nil {
				t.Fatal(err)
			}
		}
		if len(edges) == 0 {
			continue
		}
		n, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		// Floyd–Warshall on vertices.
		D := make([][]float64, nv)
		for i := range D {
			D[i] = make([]float64, nv)
			for j := range D[i] {
				if i != j {
					D[i][j] = math.Inf(1)
				}
			}
		}
		for _, e := range edges {
			l := Haversine(pts[e.a], pts[e.b])
			if l < D[e.a][e.b] {
				D[e.a][e.b], D[e.b][e.a] = l, l
			}
		}
		for k := 0; k < nv; k++ {
			for i := 0; i < nv; i++ {
				for j := 0; j < nv; j++ {
					if D[i][k]+D[k][j] < D[i][j] {
						D[i][j] = D[i][k] + D[k][j]
					}
				}
			}
		}
		// Sources and targets at vertices that are on some edge.
		used := map[int]bool{}
		for _, e := range edges {
			used[e.a], used[e.b] = true, true
		}
		var verts []int
		for v := range nv {
			if used[v] {
				verts = append(verts, v)
			}
		}
		var srcs []Source
		var srcV []int
		for k := 0; k < 1+rng.Intn(3); k++ {
			v := verts[rng.Intn(len(verts))]
			pos, ok := n.Snap(pts[v], 1)
			if !ok {
				t.Fatal("vertex did not snap")
			}
			srcs = append(srcs, Source{pos, int32(k)})
			srcV = append(srcV, v)
		}
		bound := math.Inf(1)
		if trial%2 == 1 {
			bound = 800
		}
		s := n.NewSearcher()
		s.Run(srcs, bound)
		for _, v := range verts {
			want := math.Inf(1)
			for _, sv := range srcV {
				want = math.Min(want, D[sv][v])
			}
			pos, _ := n.Snap(pts[v], 1)
			d, _, ok := s.At(pos)
			if math.IsInf(want, 1) || want > bound {
				if ok {
					t.Fatalf("trial %d vertex %d: reached %.3f beyond bound", trial, v, d)
				}
				continue
			}
			if !ok || math.Abs(d-want) > 1e-6 {
				t.Fatalf("trial %d vertex %d: got %.6f ok=%v, want %.6f", trial, v, d, ok, want)
			}
		}
	}
}

func TestSamplePoints(t *testing.T) {
	pts := SamplePoints(orb.LineString{m(0, 0), m(100, 0)}, 25)
	if len(pts) != 5 {
		t.Fatalf("got %d samples, want 5 (every 25 m)", len(pts))
	}
	poly := orb.Polygon{orb.Ring{m(0, 0), m(40, 0), m(40, 40), m(0, 40), m(0, 0)}}
	for _, p := range SamplePoints(poly, 10) {
		if p[0] > m(40, 0)[0]+1e-12 || p[1] > m(0, 40)[1]+1e-12 {
			t.Fatalf("sample %v outside the ring", p)
		}
	}
}

// TestIncrementalMatchesFullRun opens and closes sources one at a time
// and compares every node with a fresh search over the same sources.
func TestIncrementalMatchesFullRun(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for trial := 0; trial < 20; trial++ {
		// A 10×10 street grid (shared vertices every 100 m) with random
		// gaps and a few diagonal short cuts.
		var lines []orb.LineString
		for i := 0; i < 10; i++ {
			for j := 0; j < 9; j++ {
				if rng.Intn(6) > 0 {
					lines = append(lines, orb.LineString{m(float64(j)*100, float64(i)*100), m(float64(j+1)*100, float64(i)*100)})
				}
				if rng.Intn(6) > 0 {
					lines = append(lines, orb.LineString{m(float64(i)*100, float64(j)*100), m(float64(i)*100, float64(j+1)*100)})
				}
			}
		}
		for i := 0; i < 8; i++ {
			x, y := float64(rng.Intn(9))*100, float64(rng.Intn(9))*100
			lines = append(lines, orb.LineString{m(x, y), m(x+50+rng.Float64()*10, y+30), m(x+100, y+100)})
		}
		n := build(t, lines...)
		bound := math.Inf(1)
		if trial%2 == 1 {
			bound = 600
		}
		var active []Source
		next := int32(0)
		inc := n.NewSearcher()
		inc.Run(nil, bound)
		full := n.NewSearcher()
		for step := 0; step < 15; step++ {
			if len(active) > 0 && rng.Intn(3) == 0 {
				k := rng.Intn(len(active))
				l := active[k].Label
				active = append(active[:k], active[k+1:]...)
				inc.RemoveLabel(l)
			} else {
				pos, ok := n.Snap(m(rng.Float64()*900, rng.Float64()*900), 300)
				if !ok {
					continue
				}
				src := Source{pos, next}
				next++
				active = append(active, src)
				inc.AddSources([]Source{src})
			}
			full.Run(active, bound)
			for v := int32(0); v < int32(n.NumNodes()); v++ {
				di, _ := inc.NodeDist(v)
				df, _ := full.NodeDist(v)
				if !(di == df || math.Abs(di-df) < 1e-9) {
					t.Fatalf("trial %d step %d node %d: incremental %.6f, full %.6f", trial, step, v, di, df)
				}
			}
			for k := 0; k < 30; k++ {
				p, ok := n.Snap(m(rng.Float64()*900, rng.Float64()*900), 300)
				if !ok {
					continue
				}
				di, _, oki := inc.At(p)
				df, _, okf := full.At(p)
				if oki != okf || math.Abs(di-df) > 1e-9 {
					t.Fatalf("trial %d step %d: At %v/%v vs %v/%v", trial, step, di, oki, df, okf)
				}
			}
		}
	}
}
