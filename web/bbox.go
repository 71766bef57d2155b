package web

import (
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// A bboxFilter is the bbox of an items request: one lon/lat box, or two
// when it crosses the antimeridian (minx > maxx).
type bboxFilter []orb.Bound

// parseBBox reads "minx,miny,maxx,maxy" in lon/lat (WGS84).
func parseBBox(v string) (bboxFilter, error) {
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return nil, badRequest("bbox %q: want 4 numbers minx,miny,maxx,maxy (lon/lat, WGS84)", shorten(v, 80))
	}
	var x [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, badRequest("bbox %q: %q is not a number (want minx,miny,maxx,maxy in lon/lat)", shorten(v, 80), shorten(p, 30))
		}
		x[i] = f
	}
	minx, miny, maxx, maxy := x[0], x[1], x[2], x[3]
	if minx < -180 || minx > 180 || maxx < -180 || maxx > 180 || miny < -90 || miny > 90 || maxy < -90 || maxy > 90 {
		return nil, badRequest("bbox %q: longitudes must lie in -180..180 and latitudes in -90..90 (WGS84 lon/lat)", shorten(v, 80))
	}
	if miny > maxy {
		return nil, badRequest("bbox %q: miny %v is larger than maxy %v (the order is minx,miny,maxx,maxy)", shorten(v, 80), miny, maxy)
	}
	if minx > maxx { // crosses the antimeridian
		return bboxFilter{
			{Min: orb.Point{minx, miny}, Max: orb.Point{180, maxy}},
			{Min: orb.Point{-180, miny}, Max: orb.Point{maxx, maxy}},
		}, nil
	}
	return bboxFilter{{Min: orb.Point{minx, miny}, Max: orb.Point{maxx, maxy}}}, nil
}

// match reports whether geometry g (with bound gb) intersects the filter;
// a nil filter matches everything.
func (f bboxFilter) match(g orb.Geometry, gb orb.Bound) bool {
	if f == nil {
		return true
	}
	for _, b := range f {
		if intersects(g, gb, b) {
			return true
		}
	}
	return false
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// intersects reports whether geometry g, whose bound is gb, shares at
// least one point with the closed box b (planar lon/lat, as OGC API bbox
// filters are defined).
func intersects(g orb.Geometry, gb orb.Bound, b orb.Bound) bool {
	if g == nil || !gb.Intersects(b) {
		return false
	}
	if b.Contains(gb.Min) && b.Contains(gb.Max) {
		return true
	}
	switch g := g.(type) {
	case orb.Point:
		return true // its bound is itself
	case orb.MultiPoint:
		for _, p := range g {
			if b.Contains(p) {
				return true
			}
		}
		return false
	case orb.LineString:
		return lineIntersects(g, b)
	case orb.MultiLineString:
		for _, l := range g {
			if lineIntersects(l, b) {
				return true
			}
		}
		return false
	case orb.Ring:
		return polygonIntersects(orb.Polygon{g}, b)
	case orb.Polygon:
		return polygonIntersects(g, b)
	case orb.MultiPolygon:
		for _, p := range g {
			if polygonIntersects(p, b) {
				return true
			}
		}
		return false
	case orb.Bound:
		return true // bounds intersect
	case orb.Collection:
		for _, c := range g {
			if c != nil && intersects(c, c.Bound(), b) {
				return true
			}
		}
		return false
	}
	return true // unknown kinds: the bound test decides
}

func lineIntersects(l []orb.Point, b orb.Bound) bool {
	if len(l) == 1 {
		return b.Contains(l[0])
	}
	for i := 0; i+1 < len(l); i++ {
		if segmentIntersects(l[i], l[i+1], b) {
			return true
		}
	}
	return false
}

// polygonIntersects: a boundary crosses or touches the box, or the box
// lies inside the polygon (then its centre is inside).
func polygonIntersects(p orb.Polygon, b orb.Bound) bool {
	for _, r := range p {
		if lineIntersects(r, b) {
			return true
		}
		if n := len(r); n > 1 && r[0] != r[n-1] && segmentIntersects(r[n-1], r[0], b) {
			return true
		}
	}
	return len(p) > 0 && planar.PolygonContains(p, b.Center())
}

// segmentIntersects clips segment a–b to the closed box (Liang–Barsky)
// and reports whether anything is left.
func segmentIntersects(a, c orb.Point, b orb.Bound) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := c[0]-a[0], c[1]-a[1]
	clipT := func(p, q float64) bool {
		if p == 0 {
			return q >= 0
		}
		r := q / p
		if p < 0 {
			if r > t1 {
				return false
			}
			if r > t0 {
				t0 = r
			}
		} else {
			if r < t0 {
				return false
			}
			if r < t1 {
				t1 = r
			}
		}
		return true
	}
	return clipT(-dx, a[0]-b.Min[0]) && clipT(dx, b.Max[0]-a[0]) &&
		clipT(-dy, a[1]-b.Min[1]) && clipT(dy, b.Max[1]-a[1]) && t0 <= t1
}
