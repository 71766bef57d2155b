package geo

import (
	"math"
	"math/rand"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// randomStreets builds a random network of bent streets (several vertices
// per edge) over about 1 km².
func randomStreets(t *testing.T, rng *rand.Rand) *Network {
	nv := 8 + rng.Intn(20)
	pts := make([]orb.Point, nv)
	for i := range pts {
		pts[i] = m(rng.Float64()*1000, rng.Float64()*1000)
	}
	var lines []orb.LineString
	for i := 0; i < nv+rng.Intn(2*nv); i++ {
		a, c := pts[rng.Intn(nv)], pts[rng.Intn(nv)]
		if a == c {
			continue
		}
		ls := orb.LineString{a}
		for k := 0; k < rng.Intn(3); k++ {
			f := rng.Float64()
			ls = append(ls, orb.Point{a[0] + f*(c[0]-a[0]) + (rng.Float64()-0.5)*1e-4, a[1] + f*(c[1]-a[1]) + (rng.Float64()-0.5)*1e-4})
		}
		lines = append(lines, append(ls, c))
	}
	return build(t, lines...)
}

// TestEdgeReachMatchesAt checks the reached pieces against At: a position
// lies on a piece exactly when At puts it within the limit, at the
// distance the piece gives it; pieces run away from the sources and the
// hull holds every piece.
func TestEdgeReachMatchesAt(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for trial := 0; trial < 30; trial++ {
		n := randomStreets(t, rng)
		var srcs []Source
		for k := 0; k < 1+rng.Intn(3); k++ {
			if pos, ok := n.Snap(m(rng.Float64()*1000, rng.Float64()*1000), 300); ok {
				srcs = append(srcs, Source{Pos: pos})
			}
		}
		if len(srcs) == 0 {
			continue
		}
		limit := 150 + rng.Float64()*600
		band := []float64{0, 50, 100}[trial%3]
		s := n.NewSearcher()
		s.Run(srcs, limit+0.05)
		mark := make([]bool, n.NumEdges())
		var lines []orb.LineString
		s.ReachedEdges(mark, func(e int32) {
			var pieces []ReachPiece
			s.EdgeReach(e, limit, band, func(p ReachPiece) { pieces = append(pieces, p) })
			_, _, l := n.Edge(e)
			for _, p := range pieces {
				if p.Far > limit+1e-9 || p.Near < 0 || math.Abs(p.Far-p.Near-p.Len()) > 1e-9 {
					t.Fatalf("trial %d edge %d: piece %+v is not a stretch within %.1f m", trial, e, p, limit)
				}
				if band > 0 && math.Floor(p.Near/band+1e-9) != math.Floor((p.Far-1e-6)/band) && p.Far-p.Near > 1e-6 {
					t.Fatalf("trial %d edge %d: piece %+v crosses a %.0f m band", trial, e, p, band)
				}
				ls := n.EdgeSlice(e, p.From, p.To)
				lines = append(lines, ls)
				if got := pathLen(ls); math.Abs(got-p.Len()) > 0.05 {
					t.Fatalf("trial %d edge %d: slice of %.3f m for a piece of %.3f m", trial, e, got, p.Len())
				}
			}
			for k := 0; k <= 200; k++ {
				x := l * float64(k) / 200
				d, _, ok := s.At(Position{Edge: e, Offset: x})
				in := ok && d <= limit
				on, dp := false, 0.0
				for _, p := range pieces {
					lo, hi := math.Min(p.From, p.To), math.Max(p.From, p.To)
					if x >= lo-1e-7 && x <= hi+1e-7 {
						on, dp = true, p.Near+math.Abs(x-p.From)
						break
					}
				}
				if in && math.Abs(d-limit) < 1e-6 || !in && ok && math.Abs(d-limit) < 1e-6 {
					continue // on the cut itself
				}
				if in != on {
					t.Fatalf("trial %d edge %d offset %.3f of %.3f: At says %.4f (ok %v, limit %.3f) but on a piece: %v", trial, e, x, l, d, ok, limit, on)
				}
				if on && math.Abs(dp-d) > 1e-6 {
					t.Fatalf("trial %d edge %d offset %.3f: piece says %.6f m, At %.6f m", trial, e, x, dp, d)
				}
			}
		})
		hull, area := GridHull(lines, 20)
		if len(lines) > 0 && (len(hull) == 0 || !(area > 0)) {
			t.Fatalf("trial %d: no hull for %d pieces", trial, len(lines))
		}
		for _, ls := range lines {
			for _, p := range ls {
				if !planar.MultiPolygonContains(hull, p) {
					for _, pg := range hull {
						t.Logf("part %d vertices, area %g, contains %v", len(pg[0]), planar.Area(pg[0]), planar.RingContains(pg[0], p))
						for _, q := range pg[0] {
							t.Logf("  %.1f %.1f", q[0]*metresPerDegree, q[1]*metresPerDegree)
						}
					}
					t.Fatalf("trial %d: reached point %v (%.1f, %.1f) outside the hull", trial, p, p[0]*metresPerDegree, p[1]*metresPerDegree)
				}
			}
		}
		for _, pg := range hull {
			if len(pg) != 1 || planar.Area(pg[0]) <= 0 {
				t.Fatalf("trial %d: hull part with %d rings, signed area %g: want one counter-clockwise ring", trial, len(pg), planar.Area(pg[0]))
			}
		}
	}
}

func pathLen(ls orb.LineString) float64 {
	var s float64
	for i := 0; i+1 < len(ls); i++ {
		s += Haversine(ls[i], ls[i+1])
	}
	return s
}

// TestGridHull checks the hull of one straight street: a rectangle of the
// street's cells and their neighbours, holding the street grown by one
// cell and nothing two cells beyond the corners.
func TestGridHull(t *testing.T) {
	ls := orb.LineString{m(0, 0), m(200, 0)}
	hull, area := GridHull([]orb.LineString{ls}, 20)
	if len(hull) != 1 || len(hull[0]) != 1 {
		t.Fatalf("hull of one street: %d parts, want 1 polygon without holes", len(hull))
	}
	ring := hull[0][0]
	if len(ring) != 5 {
		t.Errorf("hull ring has %d vertices, want a rectangle (5 with the closing one): %v", len(ring), ring)
	}
	for _, p := range []orb.Point{m(-19, 0), m(219, 0), m(100, 19), m(100, -19)} {
		if !planar.RingContains(ring, p) {
			t.Errorf("%v (within one cell of the street) is outside the hull", p)
		}
	}
	for _, p := range []orb.Point{m(-60, 0), m(260, 0), m(100, 60), m(100, -60)} {
		if planar.RingContains(ring, p) {
			t.Errorf("%v (3 cells from the street) is inside the hull", p)
		}
	}
	if area < 200*40 || area > 280*60 {
		t.Errorf("hull area %.0f m², want between the street ±20 m and its cells ±1", area)
	}
	// Two far apart streets: two parts.
	hull, _ = GridHull([]orb.LineString{ls, {m(0, 500), m(100, 500)}}, 20)
	if len(hull) != 2 {
		t.Errorf("two streets 500 m apart: %d hull parts, want 2", len(hull))
	}
	// A square block: its inside is filled.
	sq := orb.LineString{m(0, 0), m(300, 0), m(300, 300), m(0, 300), m(0, 0)}
	hull, _ = GridHull([]orb.LineString{sq}, 20)
	if len(hull) != 1 || !planar.MultiPolygonContains(hull, m(150, 150)) {
		t.Errorf("the block's inside is not in the hull: holes must be filled (%d parts)", len(hull))
	}
	if h, a := GridHull(nil, 20); h != nil || a != 0 {
		t.Errorf("hull of nothing: %v, %v", h, a)
	}
}
