package geo

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// This file holds planar geometry on coordinates taken as they are: [x, y]
// pairs, [lon, lat] degrees for the project's layers, with no projection.
// It answers containment and picks points; areas and lengths here are in
// squared and plain coordinate units, good for comparing shapes, not for
// measuring them (use Footprint and LineLength for metres).

// A Location tells where a point lies relative to a ring or polygon. The
// values are ordered: Outside < OnBoundary < Inside.
type Location int8

// Locations of a point relative to a ring or polygon.
const (
	Outside    Location = 0 // outside, or inside a hole
	OnBoundary Location = 1 // on a ring (outer or hole)
	Inside     Location = 2 // strictly inside
)

// PolygonLocate tells where the point p lies relative to poly, an outer
// ring followed by holes in the same coordinates ([lon, lat]): Inside when
// strictly inside, OnBoundary on any ring, Outside outside or inside a hole.
func PolygonLocate(poly orb.Polygon, p orb.Point) Location {
	if len(poly) == 0 {
		return Outside
	}
	w := RingLocate(poly[0], p)
	if w != Inside {
		return w
	}
	for _, h := range poly[1:] {
		switch RingLocate(h, p) {
		case Inside:
			return Outside
		case OnBoundary:
			return OnBoundary
		}
	}
	return Inside
}

// RingLocate is a crossing-number test of the point p against the ring r
// (same coordinates, [lon, lat]); the ring may be open or closed and of
// either winding. Each edge is evaluated with its end points in a canonical
// order, so two polygons sharing an edge give the same answer for it: a
// point near a shared edge falls in exactly one of them, and a point exactly
// on it is OnBoundary of both.
func RingLocate(r orb.Ring, p orb.Point) Location {
	n := len(r)
	if n < 3 {
		return Outside
	}
	in := false
	for i := 0; i < n; i++ {
		a := r[i]
		var b orb.Point
		if i+1 < n {
			b = r[i+1]
		} else {
			b = r[0]
		}
		if a[1] > b[1] || (a[1] == b[1] && a[0] > b[0]) {
			a, b = b, a
		}
		if p[1] < a[1] || p[1] > b[1] || p[0] > max(a[0], b[0]) {
			continue
		}
		cross := (b[0]-a[0])*(p[1]-a[1]) - (b[1]-a[1])*(p[0]-a[0])
		if cross == 0 {
			if p[0] >= min(a[0], b[0]) {
				return OnBoundary
			}
			continue
		}
		// The edge goes upward from a to b; p is left of it when cross > 0,
		// i.e. a ray from p towards +x crosses it (half-open in y).
		if cross > 0 && p[1] < b[1] {
			in = !in
		}
	}
	if in {
		return Inside
	}
	return Outside
}

// RingArea returns the signed planar area of the closed ring r in squared
// coordinate units (degrees² for [lon, lat]): positive when r runs
// counter-clockwise (x east, y north), negative clockwise.
func RingArea(r orb.Ring) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return s / 2
}

// PlanarLength returns the length of l in coordinate units (degrees for
// [lon, lat]), as if the coordinates were planar.
func PlanarLength(l orb.LineString) float64 {
	var s float64
	for i := 1; i < len(l); i++ {
		s += math.Hypot(l[i][0]-l[i-1][0], l[i][1]-l[i-1][1])
	}
	return s
}

// LineMiddle returns the point halfway along l by PlanarLength; ok is false
// for an empty line.
func LineMiddle(l orb.LineString) (orb.Point, bool) {
	if len(l) == 0 {
		return orb.Point{}, false
	}
	half := PlanarLength(l) / 2
	for i := 1; i < len(l); i++ {
		d := math.Hypot(l[i][0]-l[i-1][0], l[i][1]-l[i-1][1])
		if d >= half && d > 0 {
			t := half / d
			return orb.Point{l[i-1][0] + t*(l[i][0]-l[i-1][0]), l[i-1][1] + t*(l[i][1]-l[i-1][1])}, true
		}
		half -= d
	}
	return l[len(l)-1], true
}

// RepresentativePoint returns one [lon, lat] point standing for g: a point
// itself, the first point of a multipoint, the middle (by PlanarLength) of a
// line or of a multiline's longest part, PolygonPoint of a polygon or of a
// multipolygon's largest part (by outer-ring RingArea), and the first
// representable member of a collection. ok is false for an empty or
// unsupported geometry and for a point that is not a valid lon/lat.
func RepresentativePoint(g orb.Geometry) (orb.Point, bool) {
	switch g := g.(type) {
	case orb.Point:
		return g, ValidLonLat(g)
	case orb.MultiPoint:
		if len(g) == 0 {
			return orb.Point{}, false
		}
		return g[0], true
	case orb.LineString:
		return LineMiddle(g)
	case orb.MultiLineString:
		best, bestLen := -1, -1.0
		for i, l := range g {
			if n := PlanarLength(l); n > bestLen {
				best, bestLen = i, n
			}
		}
		if best < 0 {
			return orb.Point{}, false
		}
		return LineMiddle(g[best])
	case orb.Polygon:
		return PolygonPoint(g)
	case orb.MultiPolygon:
		best, bestA := -1, -1.0
		for i, p := range g {
			if len(p) == 0 {
				continue
			}
			if a := math.Abs(RingArea(p[0])); a > bestA {
				best, bestA = i, a
			}
		}
		if best < 0 {
			return orb.Point{}, false
		}
		return PolygonPoint(g[best])
	case orb.Collection:
		for _, c := range g {
			if p, ok := RepresentativePoint(c); ok {
				return p, true
			}
		}
	}
	return orb.Point{}, false
}

// PolygonPoint returns a point of p ([lon, lat]): the planar area centroid
// of the outer ring when it lies strictly inside p, else the middle of the
// widest inside span of a horizontal line through the centroid (or, failing
// that, through fixed heights of the bound). ok is false for a polygon
// without a closed outer ring (fewer than 4 points).
func PolygonPoint(p orb.Polygon) (orb.Point, bool) {
	if len(p) == 0 || len(p[0]) < 4 {
		return orb.Point{}, false
	}
	var cx, cy, a2 float64
	r := p[0]
	for i := 0; i+1 < len(r); i++ {
		c := r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
		a2 += c
		cx += (r[i][0] + r[i+1][0]) * c
		cy += (r[i][1] + r[i+1][1]) * c
	}
	if a2 != 0 {
		c := orb.Point{cx / (3 * a2), cy / (3 * a2)}
		if PolygonLocate(p, c) == Inside {
			return c, true
		}
		if q, ok := widestSpan(p, c[1]); ok {
			return q, true
		}
	}
	b := r.Bound()
	for _, f := range []float64{0.5, 0.25, 0.75, 0.125, 0.375, 0.625, 0.875} {
		if q, ok := widestSpan(p, b.Min[1]+f*(b.Max[1]-b.Min[1])); ok {
			return q, true
		}
	}
	return r[0], ValidLonLat(r[0])
}

// widestSpan intersects the horizontal line at y with every ring of p and
// returns the middle of the widest inside interval.
func widestSpan(p orb.Polygon, y float64) (orb.Point, bool) {
	var xs []float64
	for _, r := range p {
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i], r[i+1]
			if (a[1] > y) == (b[1] > y) {
				continue
			}
			t := (y - a[1]) / (b[1] - a[1])
			xs = append(xs, a[0]+t*(b[0]-a[0]))
		}
	}
	slices.Sort(xs)
	best, bestW := -1, 0.0
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > bestW {
			best, bestW = i, w
		}
	}
	if best < 0 {
		return orb.Point{}, false
	}
	q := orb.Point{(xs[best] + xs[best+1]) / 2, y}
	return q, PolygonLocate(p, q) == Inside
}

// InteriorPoint returns a [lon, lat] point inside the Polygon or
// MultiPolygon g, given c, usually its Footprint centroid: c itself when it
// lies strictly inside a part, else the middle of the widest stretch of the
// largest part (by Footprint area) along the horizontal line through c (or
// through the part's middle), else c.
func InteriorPoint(g orb.Geometry, c orb.Point) orb.Point {
	var polys []orb.Polygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = []orb.Polygon{g}
	case orb.MultiPolygon:
		polys = g
	}
	for _, p := range polys {
		if PolygonLocate(p, c) == Inside {
			return c
		}
	}
	var best orb.Polygon
	bestArea := -1.0
	for _, p := range polys {
		if _, a, _ := Footprint(p); a > bestArea {
			best, bestArea = p, a
		}
	}
	if len(best) == 0 {
		return c
	}
	b := best[0].Bound()
	for _, y := range []float64{c[1], (b.Min[1] + b.Max[1]) / 2} {
		if y <= b.Min[1] || y >= b.Max[1] {
			continue
		}
		var xs []float64
		for _, r := range best {
			for i := range r {
				a, e := r[i], r[(i+1)%len(r)]
				if (a[1] <= y) != (e[1] <= y) {
					xs = append(xs, a[0]+(y-a[1])*(e[0]-a[0])/(e[1]-a[1]))
				}
			}
		}
		slices.Sort(xs)
		w, mid := 0.0, 0.0
		for k := 0; k+1 < len(xs); k += 2 {
			if xs[k+1]-xs[k] > w {
				w, mid = xs[k+1]-xs[k], (xs[k]+xs[k+1])/2
			}
		}
		if w > 0 {
			return orb.Point{mid, y}
		}
	}
	return c
}
