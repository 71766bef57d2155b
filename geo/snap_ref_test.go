package geo

import (
	"math"
	"math/rand"
	"testing"

	"github.com/paulmach/orb"
)

// refSnap is Snap with its index replaced by a scan of every segment: the
// same growing boxes, the same segments tested, the same arithmetic.
func refSnap(n *Network, p orb.Point, maxSnap float64) (Position, bool) {
	if !ValidLonLat(p) || !(maxSnap >= 0) {
		return Position{}, false
	}
	coslat := math.Max(math.Cos(p[1]*rad), 1e-6)
	kx, ky := metresPerDegree*coslat, metresPerDegree
	best, bestSeg, bestT := math.Inf(1), int32(-1), 0.0
	for r := math.Min(40, maxSnap); ; r = math.Min(r*2, maxSnap) {
		lo := [2]float64{p[0] - r/kx, p[1] - r/ky}
		hi := [2]float64{p[0] + r/kx, p[1] + r/ky}
		for i := range int32(len(n.geom) - 1) {
			if n.segEdge[i] < 0 {
				continue
			}
			a, b := n.geom[i], n.geom[i+1]
			if math.Max(a[0], b[0]) < lo[0] || math.Max(a[1], b[1]) < lo[1] || math.Min(a[0], b[0]) > hi[0] || math.Min(a[1], b[1]) > hi[1] {
				continue
			}
			ax, ay := (a[0]-p[0])*kx, (a[1]-p[1])*ky
			bx, by := (b[0]-p[0])*kx, (b[1]-p[1])*ky
			dx, dy := bx-ax, by-ay
			l2 := dx*dx + dy*dy
			t := 0.0
			if l2 > 0 {
				t = min(max(-(ax*dx+ay*dy)/l2, 0), 1)
			}
			cx, cy := ax+t*dx, ay+t*dy
			if d := math.Sqrt(cx*cx + cy*cy); d < best || (d == best && i < bestSeg) {
				best, bestSeg, bestT = d, i, t
			}
		}
		if best <= r || r >= maxSnap {
			break
		}
	}
	if bestSeg < 0 {
		return Position{}, false
	}
	a, b := n.geom[bestSeg], n.geom[bestSeg+1]
	q := orb.Point{a[0] + bestT*(b[0]-a[0]), a[1] + bestT*(b[1]-a[1])}
	access := Haversine(p, q)
	if access > maxSnap {
		return Position{}, false
	}
	off := n.cum[bestSeg] + bestT*(n.cum[bestSeg+1]-n.cum[bestSeg])
	return Position{Edge: n.segEdge[bestSeg], Offset: off, Access: access, Point: q}, true
}

// TestSnapMatchesScan holds Snap to refSnap bit for bit on random bent
// streets and on a lattice (many equally near segments), for points near
// and far, with several snapping distances.
func TestSnapMatchesScan(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	nets := []*Network{lattice(t, 12)}
	for range 20 {
		nets = append(nets, randomStreets(t, rng))
	}
	for k, n := range nets {
		bd := n.Bound()
		for q := range 400 {
			// Points up to half the extent outside the network's box.
			w, h := bd.Max[0]-bd.Min[0], bd.Max[1]-bd.Min[1]
			p := orb.Point{bd.Min[0] - w/2 + rng.Float64()*2*w, bd.Min[1] - h/2 + rng.Float64()*2*h}
			if q%4 == 0 { // exactly on a vertex
				p = n.geom[rng.Intn(len(n.geom))]
			}
			maxSnap := []float64{0, 1, 30, 250, 1000}[q%5]
			got, gok := n.Snap(p, maxSnap)
			want, wok := refSnap(n, p, maxSnap)
			if got != want || gok != wok {
				t.Fatalf("network %d point %v within %v m: %+v %v, scan %+v %v", k, p, maxSnap, got, gok, want, wok)
			}
		}
	}
}
