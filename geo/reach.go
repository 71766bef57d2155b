package geo

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// A ReachPiece is a stretch of one edge that lies within a search's limit,
// over which the walking distance from the sources grows linearly (one
// metre per metre) from Near at offset From to Far at offset To. Offsets
// are metres along the edge from its A end; From may be greater than To
// when the stretch runs towards the A end.
type ReachPiece struct {
	Edge      int32
	From, To  float64
	Near, Far float64
}

// Len returns the piece's length in metres.
func (p ReachPiece) Len() float64 { return math.Abs(p.To - p.From) }

// cone is a point on an edge from which walking distance grows both ways:
// an end node (reached at its distance) or a source on the edge.
type cone struct{ pos, val float64 }

// EdgeReach calls fn for every stretch of edge e within limit metres of
// the sources of the last Run, cut exactly where the distance reaches
// limit (limit ≤ the run's bound). The distance at offset x is the least of
// dist(A) + x, dist(B) + length − x and, for every source on the edge, its
// access leg + |offset − x| — the same terms At uses, so a position lies on
// a piece exactly when At reports it within limit. When band > 0 the
// stretches are also cut where the distance crosses a multiple of band,
// so that each piece lies within one band.
func (s *Searcher) EdgeReach(e int32, limit, band float64, fn func(ReachPiece)) {
	net := s.net
	if e < 0 || int(e) >= len(net.edgeLen) {
		return
	}
	l := net.edgeLen[e]
	var buf [8]cone
	cones := buf[:0]
	if d := s.reach[net.edgeIn[2*e]].dist; d <= limit {
		cones = append(cones, cone{0, d})
	}
	if d := s.reach[net.edgeIn[2*e+1]].dist; d <= limit {
		cones = append(cones, cone{l, d})
	}
	for _, src := range s.edgeSrc[e] {
		if src.access <= limit {
			cones = append(cones, cone{math.Min(math.Max(src.offset, 0), l), src.access})
		}
	}
	if len(cones) == 0 {
		return
	}
	slices.SortFunc(cones, func(a, b cone) int {
		switch {
		case a.pos < b.pos:
			return -1
		case a.pos > b.pos:
			return 1
		}
		return 0
	})
	// Keep the cones on the lower envelope: a cone is hidden when another
	// one reaches its apex at no greater distance.
	env := cones[:0:0]
	for _, c := range cones {
		hidden := false
		for len(env) > 0 {
			t := env[len(env)-1]
			if t.val+(c.pos-t.pos) <= c.val {
				hidden = true
				break
			}
			if c.val+(c.pos-t.pos) <= t.val {
				env = env[:len(env)-1]
				continue
			}
			break
		}
		if !hidden {
			env = append(env, c)
		}
	}
	// Each monotone stretch runs from a cone's apex, away from it, up to
	// the edge's end or the peak between two neighbouring cones.
	emit := func(from, near, dir, length float64) {
		if near > limit {
			return
		}
		length = math.Min(length, limit-near)
		if !(length > 0) {
			return
		}
		splitBand(ReachPiece{Edge: e, From: from, To: from + dir*length, Near: near, Far: near + length}, band, fn)
	}
	first, last := env[0], env[len(env)-1]
	emit(first.pos, first.val, -1, first.pos)
	for k := 0; k+1 < len(env); k++ {
		a, b := env[k], env[k+1]
		peak := (a.pos + b.pos + b.val - a.val) / 2
		emit(a.pos, a.val, 1, peak-a.pos)
		emit(b.pos, b.val, -1, b.pos-peak)
	}
	emit(last.pos, last.val, 1, l-last.pos)
}

// splitBand cuts p where its distance crosses a multiple of band.
func splitBand(p ReachPiece, band float64, fn func(ReachPiece)) {
	if !(band > 0) {
		fn(p)
		return
	}
	dir := 1.0
	if p.To < p.From {
		dir = -1
	}
	for {
		next := (math.Floor(p.Near/band) + 1) * band
		if next >= p.Far-1e-9 {
			fn(p)
			return
		}
		cut := p.From + dir*(next-p.Near)
		fn(ReachPiece{Edge: p.Edge, From: p.From, To: cut, Near: p.Near, Far: next})
		p.From, p.Near = cut, next
	}
}

// EdgeSlice returns the part of edge e's polyline between offsets from
// and to (metres from its A end, clamped to the edge), running from the
// point at from to the point at to: reversed when from > to. Points
// between vertices are interpolated as Snap places positions, so a
// position's Point lies on the slice that covers its offset.
func (n *Network) EdgeSlice(e int32, from, to float64) orb.LineString {
	rev := from > to
	if rev {
		from, to = to, from
	}
	lo, hi := n.geomStart[e], n.geomStart[e+1]
	cum := n.cum[lo:hi]
	pts := n.geom[lo:hi]
	l := cum[len(cum)-1]
	from = math.Min(math.Max(from, 0), l)
	to = math.Min(math.Max(to, 0), l)
	at := func(x float64) (orb.Point, int) {
		// the segment k holding x: cum[k] <= x <= cum[k+1]
		k, _ := slices.BinarySearch(cum, x)
		if k > 0 {
			k--
		}
		if k >= len(cum)-1 {
			k = len(cum) - 2
		}
		seg := cum[k+1] - cum[k]
		t := 0.0
		if seg > 0 {
			t = (x - cum[k]) / seg
		}
		a, b := pts[k], pts[k+1]
		return orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}, k
	}
	p0, k0 := at(from)
	p1, k1 := at(to)
	ls := make(orb.LineString, 0, k1-k0+2)
	ls = append(ls, p0)
	for k := k0 + 1; k <= k1; k++ {
		if cum[k] > from && cum[k] < to {
			ls = append(ls, pts[k])
		}
	}
	ls = append(ls, p1)
	if rev {
		slices.Reverse(ls)
	}
	return ls
}
