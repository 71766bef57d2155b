package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// DefaultSampleStep is the spacing in metres at which the boundary of a
// line or polygon facility is sampled (DESIGN §2 asks for 25 m or finer).
const DefaultSampleStep = 10.0

// SamplePoints returns the points from which a facility of geometry g is
// reached: a point is reached at itself; a line anywhere along it and a
// polygon anywhere along its rings, sampled every step metres or finer,
// every vertex included.
func SamplePoints(g orb.Geometry, step float64) []orb.Point {
	if !(step > 0) {
		step = DefaultSampleStep
	}
	var out []orb.Point
	var line func(ls []orb.Point)
	line = func(ls []orb.Point) {
		for i := 0; i < len(ls); i++ {
			out = append(out, ls[i])
			if i+1 == len(ls) {
				break
			}
			a, b := ls[i], ls[i+1]
			d := Haversine(a, b)
			if k := int(math.Ceil(d / step)); k > 1 {
				for j := 1; j < k; j++ {
					t := float64(j) / float64(k)
					out = append(out, orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])})
				}
			}
		}
	}
	switch g := g.(type) {
	case orb.Point:
		out = append(out, g)
	case orb.MultiPoint:
		out = append(out, g...)
	case orb.LineString:
		line(g)
	case orb.MultiLineString:
		for _, l := range g {
			line(l)
		}
	case orb.Ring:
		line(g)
	case orb.Polygon:
		for _, r := range g {
			line(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				line(r)
			}
		}
	case orb.Collection:
		for _, c := range g {
			out = append(out, SamplePoints(c, step)...)
		}
	case orb.Bound:
		line(g.ToRing())
	}
	return out
}
