package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
)

func TestLAEARoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range []orb.Point{{116, 40}, {0, 0}, {179, -60}, {-10, 89}} {
		pr := NewLAEA(c)
		for range 500 {
			x, y := 2e6*(2*r.Float64()-1), 2e6*(2*r.Float64()-1)
			p := pr.Inverse(x, y)
			x2, y2, ok := pr.Forward(p)
			if !ok || math.Hypot(x2-x, y2-y) > 1e-6 {
				t.Fatalf("centre %v: (%v,%v) → %v → (%v,%v)", c, x, y, p, x2, y2)
			}
		}
	}
}

// TestLAEAAxes: x grows east and y north, in metres along the meridian and
// the parallel through the centre; the antipode is not projected.
func TestLAEAAxes(t *testing.T) {
	c := orb.Point{116.4, 39.9}
	pr := NewLAEA(c)
	if x, y, ok := pr.Forward(c); !ok || x != 0 || y != 0 {
		t.Errorf("centre → (%v, %v, %v), want (0, 0, true)", x, y, ok)
	}
	north := orb.Point{c[0], c[1] + 0.01}
	x, y, _ := pr.Forward(north)
	if want := Haversine(c, north); math.Abs(x) > 1e-6 || math.Abs(y-want) > 0.01 {
		t.Errorf("0.01° north → (%v, %v), want (0, %v)", x, y, want)
	}
	east := orb.Point{c[0] + 0.01, c[1]}
	x, y, _ = pr.Forward(east)
	// A parallel bends poleward of the straight line east: y is a little
	// positive in the northern hemisphere.
	if want := Haversine(c, east); math.Abs(x-want) > 0.01 || y < 0 || y > 0.1 {
		t.Errorf("0.01° east → (%v, %v), want about (%v, 0)", x, y, want)
	}
	if _, _, ok := pr.Forward(orb.Point{c[0] - 180, -c[1]}); ok {
		t.Error("the antipode was projected")
	}
}

// TestFootprint compares areas with orb's spherical area (rescaled to
// EarthRadius), an independent measure, and checks holes, winding and the
// centroid of a symmetric shape.
func TestFootprint(t *testing.T) {
	sphereArea := func(g orb.Geometry) float64 {
		r := EarthRadius / orb.EarthRadius
		return orbgeo.Area(g) * r * r
	}
	box := func(x0, y0, x1, y1 float64) orb.Ring {
		return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
	}
	outer := box(116.40, 39.90, 116.41, 39.91)
	hole := box(116.402, 39.902, 116.404, 39.904)
	rev := func(r orb.Ring) orb.Ring {
		o := append(orb.Ring(nil), r...)
		for i, j := 0, len(o)-1; i < j; i, j = i+1, j-1 {
			o[i], o[j] = o[j], o[i]
		}
		return o
	}
	for _, tc := range []struct {
		name string
		g    orb.Geometry
	}{
		{"square", orb.Polygon{outer}},
		{"clockwise square", orb.Polygon{rev(outer)}},
		{"with a hole", orb.Polygon{outer, hole}},
		{"hole wound like the outer ring", orb.Polygon{outer, rev(hole)}},
		{"multipolygon", orb.MultiPolygon{{outer}, {box(-0.01, 51.5, 0.01, 51.51)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, area, err := Footprint(tc.g)
			if err != nil {
				t.Fatal(err)
			}
			want := sphereArea(orb.Polygon{outer})
			switch tc.g.(type) {
			case orb.MultiPolygon:
				want = sphereArea(tc.g)
			case orb.Polygon:
				if len(tc.g.(orb.Polygon)) == 2 {
					want -= sphereArea(orb.Polygon{hole})
				}
			}
			if math.Abs(area-want) > 1e-3*want {
				t.Errorf("area %.1f m², want %.1f", area, want)
			}
		})
	}
	c, _, _ := Footprint(orb.Polygon{outer})
	if Haversine(c, outer.Bound().Center()) > 1 {
		t.Errorf("centroid %v of a square, want its centre %v", c, outer.Bound().Center())
	}
	if _, a, err := Footprint(orb.LineString{{0, 0}, {1, 1}}); a != 0 || err != nil {
		t.Errorf("a line has area %v (err %v), want 0", a, err)
	}
	if _, _, err := Footprint(orb.Polygon{box(400000, 4000000, 400100, 4000100)}); err == nil {
		t.Error("projected coordinates: no error")
	}
}
