package geo

import (
	"bufio"
	"fmt"
	"io"
	"math"

	"github.com/paulmach/orb"
)

// indexMagic starts the index section WriteIndexedNetwork writes after a
// network; noIndexMagic says none follows (a big-endian machine).
const indexMagic, noIndexMagic = "LCIDX1\n", "LCIDX0\n"

// WriteIndexedNetwork writes n as WriteNetwork does, then what index()
// computes from it — the searches' layout and the segment index — as it
// lies in memory, so that ReadOwnIndexedNetwork gives back a network ready
// to snap and search without building them (a third of a second for a
// million nodes, the larger part of loading an extract from the cache).
// It waits for n's segment index.
func WriteIndexedNetwork(w io.Writer, n *Network) error {
	if err := WriteNetwork(w, n); err != nil {
		return err
	}
	bw := &binWriter{w: bufio.NewWriterSize(w, 1<<16)}
	if !bulkCodec {
		bw.bytes([]byte(noIndexMagic))
		return bw.flush()
	}
	<-n.treeReady
	t := n.tree
	bw.bytes([]byte(indexMagic))
	for _, v := range []int{len(n.adjEdge), t.n, len(t.box), len(t.ref), len(t.levels)} {
		bw.u64(uint64(v))
	}
	for _, v := range []float64{n.bounds.Min[0], n.bounds.Min[1], n.bounds.Max[0], n.bounds.Max[1]} {
		bw.f64(v)
	}
	levels := make([]int64, len(t.levels))
	for i, l := range t.levels {
		levels[i] = int64(l)
	}
	for _, a := range [][]byte{rawBytes(n.outer), rawBytes(n.adjStart), rawBytes(n.adjEdge), rawBytes(n.adjNode),
		rawBytes(n.adjLen), rawBytes(t.leaf), rawBytes(t.box), rawBytes(t.ref), rawBytes(levels)} {
		bw.bytes(a)
	}
	return bw.flush()
}

// ReadOwnIndexedNetwork reads what WriteIndexedNetwork wrote, with its
// index as written, for a network this very program wrote and whose bytes
// were checked since (a cache entry with its CRC): it skips the check of
// every edge's length against the straight line between its ends (a
// haversine per edge), which Build made when it measured them. The
// index's arrays are checked to point inside the network, so that even a
// damaged one cannot make a search or a snap read out of bounds.
func ReadOwnIndexedNetwork(r io.Reader, budget int64) (*Network, error) {
	n, err := readArrays(r, budget, false)
	if err != nil {
		return nil, err
	}
	br := &binReader{r: r}
	m := br.bytes(len(indexMagic))
	if br.err != nil {
		return nil, fmt.Errorf("geo: read network index: %w", br.err)
	}
	if string(m) == noIndexMagic || !bulkCodec {
		if string(m) != noIndexMagic {
			return nil, fmt.Errorf("geo: %w: an index written on a machine of another byte order", ErrBadNetwork)
		}
		n.index()
		return n, nil
	}
	if string(m) != indexMagic {
		return nil, fmt.Errorf("geo: %w: no index section", ErrBadNetwork)
	}
	na, nleaf, nbox, nref, nlev := br.u64(), br.u64(), br.u64(), br.u64(), br.u64()
	var b [4]float64
	for i := range b {
		b[i] = math.Float64frombits(br.u64())
	}
	nn, ne := uint64(len(n.nodes)), uint64(len(n.edgeLen))
	if br.err != nil || na != 2*ne || nleaf > uint64(len(n.geom)) || nref < nleaf || nbox != 4*(nref-nleaf) || nlev == 0 || nlev > 64 {
		return nil, fmt.Errorf("geo: %w: index sizes do not fit the network (%v)", ErrBadNetwork, br.err)
	}
	t := &packedIndex{n: int(nleaf), leaf: make([]float64, 4*nleaf), box: make([]float32, nbox), ref: make([]int32, nref), levels: make([]int, nlev)}
	n.outer, n.adjStart = make([]int32, nn), make([]int32, nn+1)
	n.adjEdge, n.adjNode, n.adjLen = make([]int32, na), make([]int32, na), make([]float64, na)
	levels := make([]int64, nlev)
	for _, a := range [][]byte{rawBytes(n.outer), rawBytes(n.adjStart), rawBytes(n.adjEdge), rawBytes(n.adjNode),
		rawBytes(n.adjLen), rawBytes(t.leaf), rawBytes(t.box), rawBytes(t.ref), rawBytes(levels)} {
		br.raw(a)
	}
	if br.err != nil {
		return nil, fmt.Errorf("geo: read network index: %w", br.err)
	}
	for i, l := range levels {
		t.levels[i] = int(l)
	}
	n.bounds = orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}
	if err := n.adoptIndex(t); err != nil {
		return nil, fmt.Errorf("geo: %w: %v", ErrBadNetwork, err)
	}
	return n, nil
}

// adoptIndex checks an index read back against the network's arrays and
// derives what it did not store (search numbers of the nodes and edge
// ends, the segment → edge map).
func (n *Network) adoptIndex(t *packedIndex) error {
	nn, ne := int32(len(n.nodes)), int32(len(n.edgeLen))
	n.inner = make([]int32, nn)
	for i := range n.inner {
		n.inner[i] = -1
	}
	for k, v := range n.outer {
		if v < 0 || v >= nn || n.inner[v] >= 0 {
			return fmt.Errorf("search numbering: node %d", v)
		}
		n.inner[v] = int32(k)
	}
	if n.adjStart[0] != 0 || int(n.adjStart[nn]) != len(n.adjEdge) {
		return fmt.Errorf("adjacency bounds")
	}
	for k := int32(0); k < nn; k++ {
		if n.adjStart[k+1] < n.adjStart[k] {
			return fmt.Errorf("adjacency of search node %d", k)
		}
	}
	n.setEdgeIn()
	// Every arc is an edge of its node, to the edge's other end, of the
	// edge's length (finite, checked with the network).
	for k := int32(0); k < nn; k++ {
		for j := n.adjStart[k]; j < n.adjStart[k+1]; j++ {
			e := n.adjEdge[j]
			if e < 0 || e >= ne {
				return fmt.Errorf("adjacency entry %d", j)
			}
			a, b := n.edgeIn[2*e], n.edgeIn[2*e+1]
			if !(a == k && n.adjNode[j] == b || b == k && n.adjNode[j] == a) || n.adjLen[j] != n.edgeLen[e] {
				return fmt.Errorf("adjacency entry %d", j)
			}
		}
	}
	n.setSegEdges()
	if err := t.check(len(n.geom)); err != nil {
		return err
	}
	for _, it := range t.ref[:t.n] {
		if n.segEdge[it] < 0 {
			return fmt.Errorf("segment index: item %d is no segment", it)
		}
	}
	n.tree = t
	n.treeReady = make(chan struct{})
	close(n.treeReady)
	return nil
}

// check reports whether x's entries all point inside it and at items
// below items.
func (x *packedIndex) check(items int) error {
	if x.levels[0] != x.n || x.levels[len(x.levels)-1] != len(x.ref) {
		return fmt.Errorf("segment index levels")
	}
	for l := 1; l < len(x.levels); l++ {
		if x.levels[l] <= x.levels[l-1] && x.n > 0 {
			return fmt.Errorf("segment index level %d", l)
		}
	}
	for j, r := range x.ref {
		if j < x.n && (r < 0 || int(r) >= items) || j >= x.n && (r < 0 || int(r) >= j) {
			return fmt.Errorf("segment index entry %d", j)
		}
	}
	return nil
}
