package geo

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// An LAEA is the spherical Lambert azimuthal equal-area projection (radius
// EarthRadius) centred on a lon/lat point (WGS84 degrees). Projected
// coordinates are x east and y north, in metres from the centre. Areas are
// true on the sphere, so footprints and grid cells measured on it have their
// real size wherever they are.
type LAEA struct {
	lon0, lat0       float64 // degrees
	sinLat0, cosLat0 float64
}

// NewLAEA returns the projection centred on c, a [lon, lat] point in
// degrees.
func NewLAEA(c orb.Point) LAEA {
	s, co := math.Sincos(c[1] * rad)
	return LAEA{lon0: c[0], lat0: c[1], sinLat0: s, cosLat0: co}
}

// Forward projects the [lon, lat] point q (degrees) to (x, y) in metres,
// x east and y north of the centre; ok is false at the antipode of the
// centre, where the projection is undefined.
func (pr LAEA) Forward(q orb.Point) (x, y float64, ok bool) {
	sp, cp := math.Sincos(q[1] * rad)
	sl, cl := math.Sincos((q[0] - pr.lon0) * rad)
	d := 1 + pr.sinLat0*sp + pr.cosLat0*cp*cl
	if !(d > 1e-12) {
		return 0, 0, false
	}
	k := EarthRadius * math.Sqrt(2/d)
	return k * cp * sl, k * (pr.cosLat0*sp - pr.sinLat0*cp*cl), true
}

// Inverse returns the [lon, lat] point (degrees, lon in -180..180) of the
// projected metres (x east, y north).
func (pr LAEA) Inverse(x, y float64) orb.Point {
	rho := math.Hypot(x, y)
	if rho == 0 {
		return orb.Point{pr.lon0, pr.lat0}
	}
	s := rho / (2 * EarthRadius)
	if s > 1 {
		s = 1
	}
	c := 2 * math.Asin(s)
	sc, cc := math.Sincos(c)
	sinLat := cc*pr.sinLat0 + y*sc*pr.cosLat0/rho
	lat := math.Asin(max(-1, min(1, sinLat))) / rad
	lon := pr.lon0 + math.Atan2(x*sc, rho*pr.cosLat0*cc-y*pr.sinLat0*sc)/rad
	if lon > 180 {
		lon -= 360
	} else if lon < -180 {
		lon += 360
	}
	return orb.Point{lon, lat}
}

// Footprint returns the area-weighted centroid ([lon, lat]) and the area in
// m² (holes subtracted) of a Polygon or MultiPolygon in lon/lat, measured on
// an equal-area projection centred on the geometry. Outer rings add and
// holes subtract whatever their winding. Other geometries, and polygons of
// no area, give a zero area. err reports coordinates that are not lon/lat.
func Footprint(g orb.Geometry) (centroid orb.Point, area float64, err error) {
	var polys []orb.Polygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = []orb.Polygon{g}
	case orb.MultiPolygon:
		polys = g
	default:
		return centroid, 0, nil
	}
	var ref orb.Point
	found := false
	for _, p := range polys {
		for _, r := range p {
			for _, q := range r {
				if !ValidLonLat(q) {
					return centroid, 0, fmt.Errorf("invalid lon/lat %v", q)
				}
				if !found {
					ref, found = q, true
				}
			}
		}
	}
	if !found {
		return centroid, 0, nil
	}
	pr := NewLAEA(ref)
	var sa, sx, sy float64
	for _, p := range polys {
		for ri, r := range p {
			a, cx, cy := ringMoments(pr, r)
			// Outer rings add, holes subtract, whatever their winding.
			if (ri == 0) != (a >= 0) {
				a, cx, cy = -a, -cx, -cy
			}
			sa += a
			sx += cx
			sy += cy
		}
	}
	if !(sa > 0) {
		return centroid, 0, nil
	}
	return pr.Inverse(sx/sa, sy/sa), sa, nil
}

// ringMoments returns the signed area (positive counter-clockwise) and the
// first moments ∫x dA, ∫y dA of ring r on projection pr, in metres.
func ringMoments(pr LAEA, r orb.Ring) (a, mx, my float64) {
	if len(r) < 3 {
		return 0, 0, 0
	}
	// Project relative to the first vertex to keep the products small.
	x0, y0, _ := pr.Forward(r[0])
	px, py := 0.0, 0.0
	for i := 1; i <= len(r); i++ {
		var x, y float64
		if i < len(r) {
			x, y, _ = pr.Forward(r[i])
			x, y = x-x0, y-y0
		}
		c := px*y - x*py
		a += c
		mx += (px + x) * c
		my += (py + y) * c
		px, py = x, y
	}
	a /= 2
	mx /= 6
	my /= 6
	return a, mx + x0*a, my + y0*a
}
