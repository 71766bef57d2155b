package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// DefaultMaxSnap is the default largest access leg in metres (DESIGN §2).
const DefaultMaxSnap = 250.0

// A Position is where a point joins the network: on edge Edge, Offset
// metres along it from its A end, reached by a straight access leg of
// Access metres from the original point. Point is the lon/lat on the edge.
type Position struct {
	Edge   int32
	Offset float64
	Access float64
	Point  orb.Point
}

// metresPerDegree is the length of one degree of latitude on the sphere.
const metresPerDegree = EarthRadius * rad

// SnapIndexReady returns a channel closed once the spatial index that Snap
// uses is built (in the background, from when the network is built); Snap
// waits for it. Wait on it with a context to stay responsive meanwhile.
func (n *Network) SnapIndexReady() <-chan struct{} { return n.treeReady }

// Snap joins p to the network at the nearest point on the nearest edge,
// if that point is within maxSnap metres. ok is false when no edge is
// that close or p is not a valid lon/lat.
func (n *Network) Snap(p orb.Point, maxSnap float64) (pos Position, ok bool) {
	if !ValidLonLat(p) || !(maxSnap >= 0) {
		return Position{}, false
	}
	<-n.treeReady
	coslat := math.Cos(p[1] * rad)
	if coslat < 1e-6 {
		coslat = 1e-6
	}
	kx := metresPerDegree * coslat
	ky := metresPerDegree

	best := math.Inf(1)
	bestSeg := int32(-1)
	bestT := 0.0
	var bestA, bestB orb.Point // the best segment's ends (its geom entries)
	visit := func(i int32, x0, y0, x1, y1 float64) bool {
		// The segment from geom[i] = (x0, y0) to geom[i+1] = (x1, y1) in a
		// local equirectangular frame centred on p, in metres.
		ax, ay := (x0-p[0])*kx, (y0-p[1])*ky
		bx, by := (x1-p[0])*kx, (y1-p[1])*ky
		dx, dy := bx-ax, by-ay
		l2 := dx*dx + dy*dy
		t := 0.0
		if l2 > 0 {
			t = -(ax*dx + ay*dy) / l2
			if t < 0 {
				t = 0
			} else if t > 1 {
				t = 1
			}
		}
		cx, cy := ax+t*dx, ay+t*dy
		d := math.Sqrt(cx*cx + cy*cy)
		if d < best || (d == best && i < bestSeg) {
			best, bestSeg, bestT = d, i, t
			bestA, bestB = orb.Point{x0, y0}, orb.Point{x1, y1}
		}
		return true
	}
	// Search a growing box: a segment whose bounding box misses the box
	// of half-width r lies farther than r, so once the best hit is within
	// r no larger search can beat it.
	r := math.Min(40, maxSnap)
	for {
		dlat := r / ky
		dlon := r / kx
		n.tree.search([2]float64{p[0] - dlon, p[1] - dlat}, [2]float64{p[0] + dlon, p[1] + dlat}, visit)
		if best <= r || r >= maxSnap {
			break
		}
		r = math.Min(r*2, maxSnap)
	}
	if bestSeg < 0 {
		return Position{}, false
	}
	a, b := bestA, bestB
	q := orb.Point{a[0] + bestT*(b[0]-a[0]), a[1] + bestT*(b[1]-a[1])}
	access := Haversine(p, q)
	if access > maxSnap {
		return Position{}, false
	}
	e := n.segEdge[bestSeg]
	off := n.cum[bestSeg] + bestT*(n.cum[bestSeg+1]-n.cum[bestSeg])
	return Position{Edge: e, Offset: off, Access: access, Point: q}, true
}
