package geo

import (
	"fmt"
	"sync"

	"github.com/paulmach/orb"
)

// lengthSlack is how much shorter than the great-circle line between its
// ends an edge may be, relative, before checkLengths refuses it: only the
// rounding of summing haversine lengths vertex by vertex.
const lengthSlack = 1e-9

// checkLengths refuses a network with an edge shorter than the
// great-circle distance between its end nodes (less rounding). A sharded
// audit (data/study's shard plan) relies on it: a path of network length
// L never strays farther than L in a straight line from where it starts,
// so a halo of the largest searched distance holds every path that
// matters. Build measures each edge along its polyline, so only corrupt
// arrays or a future reader that takes lengths from elsewhere can fail it.
func (n *Network) checkLengths() error {
	// On all cores; the first bad edge is the one reported, as one pass
	// would.
	var mu sync.Mutex
	bad := len(n.edgeLen)
	parallelRanges(len(n.edgeLen), func(lo, hi int) {
		for e := lo; e < hi; e++ {
			a, b := n.nodes[n.edgeA[e]], n.nodes[n.edgeB[e]]
			if l := n.edgeLen[e]; !(l >= Haversine(a, b)*(1-lengthSlack)-1e-6) {
				mu.Lock()
				bad = min(bad, e)
				mu.Unlock()
				return
			}
		}
	})
	if e := bad; e < len(n.edgeLen) {
		a, b := n.nodes[n.edgeA[e]], n.nodes[n.edgeB[e]]
		return fmt.Errorf("geo: edge %d from %.7f,%.7f to %.7f,%.7f is %.3f m long, shorter than the %.3f m straight line between its ends: a walk network's lengths must be measured along its lines (rebuild the network from its polylines)",
			e, a[0], a[1], b[0], b[1], n.edgeLen[e], Haversine(a, b))
	}
	return nil
}

// Sub returns the network of the edges e for which keep(e) is true, with
// their end nodes, and for each of its edges the edge of n it copies.
// Edges, nodes and segments keep their relative order and their lengths
// and geometry are copied bit for bit, so that snapping (ties go to the
// lower segment) and searches (ties go to the lower label) on the
// sub-network give the same positions, distances and labels as on n
// wherever the sub-network holds every edge that matters.
func (n *Network) Sub(keep func(e int32) bool) (sub *Network, edgeOf []int32, err error) {
	nodeOf := make([]int32, len(n.nodes))
	for i := range nodeOf {
		nodeOf[i] = -1
	}
	nv := 0
	for e := range n.edgeLen {
		if keep(int32(e)) {
			edgeOf = append(edgeOf, int32(e))
			nodeOf[n.edgeA[e]] = 0
			nodeOf[n.edgeB[e]] = 0
			nv += int(n.geomStart[e+1] - n.geomStart[e])
		}
	}
	if len(edgeOf) == 0 {
		return nil, nil, fmt.Errorf("geo: the sub-network has no edges")
	}
	s := &Network{geom: make([]orb.Point, 0, nv), cum: make([]float64, 0, nv)}
	nn := 0
	for _, k := range nodeOf {
		if k == 0 {
			nn++
		}
	}
	s.nodes = make([]orb.Point, 0, nn)
	for i, k := range nodeOf {
		if k == 0 {
			nodeOf[i] = int32(len(s.nodes))
			s.nodes = append(s.nodes, n.nodes[i])
		}
	}
	s.edgeA = make([]int32, len(edgeOf))
	s.edgeB = make([]int32, len(edgeOf))
	s.edgeLen = make([]float64, len(edgeOf))
	s.geomStart = make([]int32, 0, len(edgeOf)+1)
	for k, e := range edgeOf {
		s.edgeA[k], s.edgeB[k], s.edgeLen[k] = nodeOf[n.edgeA[e]], nodeOf[n.edgeB[e]], n.edgeLen[e]
		s.geomStart = append(s.geomStart, int32(len(s.geom)))
		lo, hi := n.geomStart[e], n.geomStart[e+1]
		s.geom = append(s.geom, n.geom[lo:hi]...)
		s.cum = append(s.cum, n.cum[lo:hi]...)
	}
	s.geomStart = append(s.geomStart, int32(len(s.geom)))
	s.index()
	return s, edgeOf, nil
}
