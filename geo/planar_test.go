package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// square returns the closed CCW ring of the box [x0,x1]×[y0,y1].
func square(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

// TestRingLocate checks the shared-edge rule by hand: a point on an edge
// is on both squares; points a hair either side fall in exactly one.
func TestRingLocate(t *testing.T) {
	a, b := square(0, 0, 1, 1), square(1, 0, 2, 1)
	for _, tc := range []struct {
		p    orb.Point
		a, b Location
	}{
		{orb.Point{1, 0.5}, OnBoundary, OnBoundary},
		{orb.Point{1, 1}, OnBoundary, OnBoundary},
		{orb.Point{math.Nextafter(1, 0), 0.5}, Inside, Outside},
		{orb.Point{math.Nextafter(1, 2), 0.5}, Outside, Inside},
		{orb.Point{0.5, 0}, OnBoundary, Outside},
		{orb.Point{-1, 0}, Outside, Outside},
		{orb.Point{0.5, 1.5}, Outside, Outside},
	} {
		if ga, gb := RingLocate(a, tc.p), RingLocate(b, tc.p); ga != tc.a || gb != tc.b {
			t.Errorf("%v: (%d,%d), want (%d,%d)", tc.p, ga, gb, tc.a, tc.b)
		}
	}
}

// TestPolygonLocateAgreesWithOrb compares strict insideness with orb's
// planar.PolygonContains on random points around a polygon with a hole.
func TestPolygonLocateAgreesWithOrb(t *testing.T) {
	poly := orb.Polygon{
		{{0, 0}, {10, 0}, {10, 10}, {6, 10}, {6, 4}, {4, 4}, {4, 10}, {0, 10}, {0, 0}},
		{{1, 1}, {1, 3}, {3, 3}, {3, 1}, {1, 1}},
	}
	r := rand.New(rand.NewPCG(7, 8))
	for range 5000 {
		p := orb.Point{r.Float64()*12 - 1, r.Float64()*12 - 1}
		got := PolygonLocate(poly, p)
		if got == OnBoundary {
			continue // a random point is on a ring with probability 0
		}
		if want := planar.PolygonContains(poly, p); (got == Inside) != want {
			t.Fatalf("%v: %v, orb says inside = %v", p, got, want)
		}
	}
	if got := PolygonLocate(poly, orb.Point{1, 2}); got != OnBoundary {
		t.Errorf("point on the hole's ring: %v, want OnBoundary", got)
	}
	if got := PolygonLocate(poly, orb.Point{2, 2}); got != Outside {
		t.Errorf("point in the hole: %v, want Outside", got)
	}
	if got := PolygonLocate(nil, orb.Point{2, 2}); got != Outside {
		t.Errorf("empty polygon: %v, want Outside", got)
	}
}

func TestRingArea(t *testing.T) {
	r := square(0, 0, 2, 3)
	if a := RingArea(r); a != 6 {
		t.Errorf("CCW area %v, want 6", a)
	}
	rev := orb.Ring{{0, 0}, {0, 3}, {2, 3}, {2, 0}, {0, 0}}
	if a := RingArea(rev); a != -6 {
		t.Errorf("CW area %v, want -6", a)
	}
}

func TestLineMiddle(t *testing.T) {
	l := orb.LineString{{0, 0}, {4, 0}, {4, 2}}
	if n := PlanarLength(l); n != 6 {
		t.Errorf("length %v, want 6", n)
	}
	if p, ok := LineMiddle(l); !ok || p != (orb.Point{3, 0}) {
		t.Errorf("middle %v %v, want [3 0] true", p, ok)
	}
	if _, ok := LineMiddle(nil); ok {
		t.Error("empty line has a middle")
	}
}

// TestRepresentativePointInside: for polygons whose centroid lies outside
// (a U, a ring-shaped polygon) the point is still strictly inside.
func TestRepresentativePointInside(t *testing.T) {
	u := orb.Polygon{{{0, 0}, {0.003, 0}, {0.003, 0.003}, {0.002, 0.003}, {0.002, 0.001}, {0.001, 0.001}, {0.001, 0.003}, {0, 0.003}, {0, 0}}}
	donut := orb.Polygon{square(0, 0, 0.004, 0.004), square(0.001, 0.001, 0.003, 0.003)}
	for _, tc := range []struct {
		name string
		g    orb.Geometry
		part orb.Polygon
	}{
		{"U", u, u},
		{"donut", donut, donut},
		{"multipolygon: largest part", orb.MultiPolygon{{square(1, 1, 1.0001, 1.0001)}, u}, u},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := RepresentativePoint(tc.g)
			if !ok || PolygonLocate(tc.part, p) != Inside {
				t.Errorf("point %v (ok %v) is not strictly inside", p, ok)
			}
			c, _, err := Footprint(tc.g)
			if err != nil {
				t.Fatal(err)
			}
			if q := InteriorPoint(tc.g, c); PolygonLocate(tc.part, q) != Inside {
				t.Errorf("interior point %v is not strictly inside", q)
			}
		})
	}
	for _, g := range []orb.Geometry{nil, orb.LineString{}, orb.MultiPoint{}, orb.Polygon{}, orb.Point{200, 0}} {
		if p, ok := RepresentativePoint(g); ok {
			t.Errorf("%#v: point %v, want none", g, p)
		}
	}
}
