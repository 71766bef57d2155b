package geo

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// A Network is an undirected walk graph held in compact arrays. Nodes are
// the junctions and dead ends of the input lines; chains of degree-2
// vertices are compressed into one edge whose full geometry is kept, so
// snapping still sees every bend. Every connected component is kept.
//
// A Network is immutable after Build and safe for concurrent readers.
type Network struct {
	nodes []orb.Point // lon/lat of each node

	edgeA, edgeB []int32   // end nodes of each edge
	edgeLen      []float64 // great-circle length in metres

	geomStart []int32     // edge e's vertices are geom[geomStart[e]:geomStart[e+1]]
	geom      []orb.Point // vertices of all edges, edge after edge
	cum       []float64   // distance in metres from the edge's A end at each vertex
	segEdge   []int32     // edge of the segment starting at geom[i] (-1 at an edge's last vertex)

	// The searches' view of the graph (layout.go): nodes numbered along
	// a Hilbert curve ("search numbers"), so that neighbours in space are
	// neighbours in memory. Node numbers of the methods above and below
	// are the build order's; only the Searcher sees search numbers.
	inner    []int32 // search number of each node
	outer    []int32 // node of each search number
	edgeIn   []int32 // search numbers of edge e's A and B ends: edgeIn[2e], edgeIn[2e+1]
	adjStart []int32 // search node k's incident edges are adjEdge[adjStart[k]:adjStart[k+1]]
	adjEdge  []int32
	adjNode  []int32   // the search number of the other end of adjEdge[j]
	adjLen   []float64 // the length of adjEdge[j], metres (copied for cache locality in searches)

	tree      *packedIndex  // segments by start vertex index
	treeReady chan struct{} // closed once tree is built
	bounds    orb.Bound
}

// NumNodes returns the number of graph nodes (junctions and dead ends).
func (n *Network) NumNodes() int { return len(n.nodes) }

// NumEdges returns the number of compressed edges.
func (n *Network) NumEdges() int { return len(n.edgeLen) }

// NumSegments returns the number of straight segments over all edges.
func (n *Network) NumSegments() int { return len(n.geom) - len(n.edgeLen) }

// Bound returns the lon/lat bounding box of the network.
func (n *Network) Bound() orb.Bound { return n.bounds }

// TotalLength returns the summed length of all edges in metres.
func (n *Network) TotalLength() float64 {
	var s float64
	for _, l := range n.edgeLen {
		s += l
	}
	return s
}

// Node returns the lon/lat of node i.
func (n *Network) Node(i int32) orb.Point { return n.nodes[i] }

// Edge returns edge e's end nodes and its length in metres.
func (n *Network) Edge(e int32) (a, b int32, length float64) {
	return n.edgeA[e], n.edgeB[e], n.edgeLen[e]
}

// EdgeGeometry returns the polyline of edge e from its A end to its B end.
// The slice aliases the network's storage and must not be modified.
func (n *Network) EdgeGeometry(e int32) orb.LineString {
	return orb.LineString(n.geom[n.geomStart[e]:n.geomStart[e+1]])
}

// Incident returns the edges that touch node i. The slice aliases the
// network's storage and must not be modified.
func (n *Network) Incident(i int32) []int32 {
	k := n.inner[i]
	return n.adjEdge[n.adjStart[k]:n.adjStart[k+1]]
}

// Components returns, for each node, the id of its connected component
// (0-based, largest first) and the number of components.
func (n *Network) Components() (comp []int32, count int) {
	// The walk runs over search numbers, whose adjacency lies together
	// in memory; components get their ids in the order of their first
	// node in node numbers, as they always have (equal sizes keep that
	// order below).
	in := make([]int32, len(n.nodes))
	for i := range in {
		in[i] = -1
	}
	var sizes []int
	stack := make([]int32, 0, 64)
	for s := range n.nodes {
		k := n.inner[s]
		if in[k] >= 0 {
			continue
		}
		id := int32(len(sizes))
		size := 0
		in[k] = id
		stack = append(stack[:0], k)
		for len(stack) > 0 {
			u := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			for _, v := range n.adjNode[n.adjStart[u]:n.adjStart[u+1]] {
				if in[v] < 0 {
					in[v] = id
					stack = append(stack, v)
				}
			}
		}
		sizes = append(sizes, size)
	}
	comp = make([]int32, len(n.nodes))
	for i := range comp {
		comp[i] = in[n.inner[i]]
	}
	// Renumber largest first so component 0 is the main network.
	order := make([]int32, len(sizes))
	for i := range order {
		order[i] = int32(i)
	}
	sortByDesc(order, sizes)
	rank := make([]int32, len(sizes))
	for r, c := range order {
		rank[c] = int32(r)
	}
	for i, c := range comp {
		comp[i] = rank[c]
	}
	return comp, len(sizes)
}

func sortByDesc(order []int32, sizes []int) {
	// insertion sort is fine for few components; use a simple merge for many
	if len(order) < 64 {
		for i := 1; i < len(order); i++ {
			for j := i; j > 0 && sizes[order[j]] > sizes[order[j-1]]; j-- {
				order[j], order[j-1] = order[j-1], order[j]
			}
		}
		return
	}
	mergeSortDesc(order, sizes, make([]int32, len(order)))
}

func mergeSortDesc(a []int32, sizes []int, tmp []int32) {
	if len(a) < 2 {
		return
	}
	m := len(a) / 2
	mergeSortDesc(a[:m], sizes, tmp[:m])
	mergeSortDesc(a[m:], sizes, tmp[m:])
	copy(tmp, a)
	i, j, k := 0, m, 0
	for i < m && j < len(a) {
		if sizes[tmp[j]] > sizes[tmp[i]] {
			a[k] = tmp[j]
			j++
		} else {
			a[k] = tmp[i]
			i++
		}
		k++
	}
	for i < m {
		a[k] = tmp[i]
		i++
		k++
	}
	for j < len(a) {
		a[k] = tmp[j]
		j++
		k++
	}
}

// A NetworkBuilder collects lines and builds a Network. Lines connect where
// they share a vertex: the same node id (AddWay) or the same coordinate
// (AddLine). Use one of the two kinds of keys per builder.
type NetworkBuilder struct {
	hint  int
	byID  map[int64]int32
	dense []int32 // AddWayNumbered: vertex of each node number, -1 before it is seen
	byPt  map[orb.Point]int32
	pts   []orb.Point
	ea    []int32
	eb    []int32
	nways int
}

// NewNetworkBuilder returns an empty builder. sizeHint is the expected
// number of vertices (0 if unknown).
func NewNetworkBuilder(sizeHint int) *NetworkBuilder {
	return &NetworkBuilder{
		hint: sizeHint,
		pts:  make([]orb.Point, 0, sizeHint),
		ea:   make([]int32, 0, sizeHint),
		eb:   make([]int32, 0, sizeHint),
	}
}

// AddWay adds a polyline whose vertices are identified by ids (for OSM,
// node ids); coords[i] is the lon/lat of ids[i]. Ways sharing an id connect.
func (b *NetworkBuilder) AddWay(ids []int64, coords []orb.Point) error {
	if len(ids) != len(coords) {
		return fmt.Errorf("geo: way has %d ids but %d coordinates", len(ids), len(coords))
	}
	prev := int32(-1)
	for i, id := range ids {
		if !ValidLonLat(coords[i]) {
			return fmt.Errorf("geo: vertex %d has invalid lon/lat %v", id, coords[i])
		}
		if b.byID == nil {
			b.byID = make(map[int64]int32, b.hint)
		}
		v, ok := b.byID[id]
		if !ok {
			v = int32(len(b.pts))
			b.byID[id] = v
			b.pts = append(b.pts, coords[i])
		}
		if prev >= 0 && prev != v {
			b.ea = append(b.ea, prev)
			b.eb = append(b.eb, v)
		}
		prev = v
	}
	b.nways++
	return nil
}

// AddWayNumbered is AddWay for ids already numbered densely: num[i] in
// [0, count) is the number of ids[i], equal numbers for equal ids (an OSM
// extract's osm.Way.NodeIdx). It builds the same network as AddWay, without
// a map from ids. Use one of the two per builder.
func (b *NetworkBuilder) AddWayNumbered(num []int32, count int, ids []int64, coords []orb.Point) error {
	if len(ids) != len(coords) || len(num) != len(ids) {
		return fmt.Errorf("geo: way has %d ids, %d numbers and %d coordinates", len(ids), len(num), len(coords))
	}
	if b.dense == nil {
		b.dense = make([]int32, count)
		for i := range b.dense {
			b.dense[i] = -1
		}
	}
	prev := int32(-1)
	for i, k := range num {
		if !ValidLonLat(coords[i]) {
			return fmt.Errorf("geo: vertex %d has invalid lon/lat %v", ids[i], coords[i])
		}
		if k < 0 || int(k) >= len(b.dense) {
			return fmt.Errorf("geo: vertex %d has number %d outside [0, %d)", ids[i], k, len(b.dense))
		}
		v := b.dense[k]
		if v < 0 {
			v = int32(len(b.pts))
			b.dense[k] = v
			b.pts = append(b.pts, coords[i])
		}
		if prev >= 0 && prev != v {
			b.ea = append(b.ea, prev)
			b.eb = append(b.eb, v)
		}
		prev = v
	}
	b.nways++
	return nil
}

// AddLine adds a polyline whose vertices connect to other lines by exact
// coordinate equality (a network from GeoJSON lines).
func (b *NetworkBuilder) AddLine(ls orb.LineString) error {
	if b.byPt == nil {
		b.byPt = make(map[orb.Point]int32)
	}
	prev := int32(-1)
	for _, p := range ls {
		if !ValidLonLat(p) {
			return fmt.Errorf("geo: vertex has invalid lon/lat %v", p)
		}
		v, ok := b.byPt[p]
		if !ok {
			v = int32(len(b.pts))
			b.byPt[p] = v
			b.pts = append(b.pts, p)
		}
		if prev >= 0 && prev != v {
			b.ea = append(b.ea, prev)
			b.eb = append(b.eb, v)
		}
		prev = v
	}
	b.nways++
	return nil
}

// Build compresses degree-2 chains, lays the graph out in CSR arrays and
// indexes every segment for snapping. The builder must not be used after.
func (b *NetworkBuilder) Build() (*Network, error) {
	nv := len(b.pts)
	ne := len(b.ea)
	if ne == 0 {
		return nil, fmt.Errorf("geo: the network has no edges (%d lines, %d vertices)", b.nways, nv)
	}
	b.byID, b.byPt = nil, nil

	// Raw adjacency in CSR form: vertex → raw edges.
	deg := make([]int32, nv+1)
	for i := 0; i < ne; i++ {
		deg[b.ea[i]]++
		deg[b.eb[i]]++
	}
	rawStart := make([]int32, nv+1)
	for v := 0; v < nv; v++ {
		rawStart[v+1] = rawStart[v] + deg[v]
	}
	rawAdj := make([]int32, 2*ne)
	fill := make([]int32, nv)
	copy(fill, rawStart[:nv])
	for i := 0; i < ne; i++ {
		a, bb := b.ea[i], b.eb[i]
		rawAdj[fill[a]] = int32(i)
		fill[a]++
		rawAdj[fill[bb]] = int32(i)
		fill[bb]++
	}
	fill = nil

	// Vertices kept as graph nodes: every vertex whose degree is not 2.
	nodeOf := make([]int32, nv)
	for v := range nodeOf {
		nodeOf[v] = -1
	}
	net := &Network{}
	keep := func(v int32) int32 {
		if nodeOf[v] < 0 {
			nodeOf[v] = int32(len(net.nodes))
			net.nodes = append(net.nodes, b.pts[v])
		}
		return nodeOf[v]
	}
	// Every edge runs between two kept vertices (the rings of degree-2
	// vertices left at the end aside), so there are half their degrees of
	// edges: the arrays are made once at their size.
	nodes, chains := 0, 0
	for v := 0; v < nv; v++ {
		if d := deg[v]; d != 2 && d != 0 {
			nodes++
			chains += int(d)
		}
	}
	chains /= 2
	net.nodes = make([]orb.Point, 0, nodes+16)
	for v := 0; v < nv; v++ {
		if d := deg[v]; d != 2 && d != 0 {
			keep(int32(v))
		}
	}

	visited := make([]bool, ne)
	net.geom = make([]orb.Point, 0, ne+chains+16)
	net.cum = make([]float64, 0, ne+chains+16)
	net.geomStart = make([]int32, 0, chains+17)
	net.edgeA = make([]int32, 0, chains+16)
	net.edgeB = make([]int32, 0, chains+16)
	net.edgeLen = make([]float64, 0, chains+16)
	other := func(e, v int32) int32 {
		if b.ea[e] == v {
			return b.eb[e]
		}
		return b.ea[e]
	}
	walk := func(start int32, e int32) {
		a := nodeOf[start]
		net.geomStart = append(net.geomStart, int32(len(net.geom)))
		net.geom = append(net.geom, b.pts[start])
		net.cum = append(net.cum, 0)
		length := 0.0
		cur := start
		for {
			visited[e] = true
			nxt := other(e, cur)
			length += Haversine(b.pts[cur], b.pts[nxt])
			net.geom = append(net.geom, b.pts[nxt])
			net.cum = append(net.cum, length)
			cur = nxt
			if nodeOf[cur] >= 0 {
				break
			}
			// A degree-2 vertex: continue on its other raw edge.
			adj := rawAdj[rawStart[cur]:rawStart[cur+1]]
			if adj[0] == e {
				e = adj[1]
			} else {
				e = adj[0]
			}
			if visited[e] {
				keep(cur) // cannot happen for a consistent chain; end the edge safely
				break
			}
		}
		net.edgeA = append(net.edgeA, a)
		net.edgeB = append(net.edgeB, nodeOf[cur])
		net.edgeLen = append(net.edgeLen, length)
	}
	for v := 0; v < nv; v++ {
		if nodeOf[v] < 0 {
			continue
		}
		for _, e := range rawAdj[rawStart[v]:rawStart[v+1]] {
			if !visited[e] {
				walk(int32(v), e)
			}
		}
	}
	// What is left are rings made only of degree-2 vertices: anchor each
	// at one vertex.
	for e := 0; e < ne; e++ {
		if !visited[e] {
			v := b.ea[e]
			keep(v)
			walk(v, int32(e))
		}
	}
	net.geomStart = append(net.geomStart, int32(len(net.geom)))
	b.pts, b.ea, b.eb = nil, nil, nil
	if err := net.checkLengths(); err != nil {
		return nil, err
	}
	net.index()
	return net, nil
}

// setSegEdges sets the edge of every segment, by its start vertex (-1 at
// an edge's last vertex).
func (net *Network) setSegEdges() {
	net.segEdge = make([]int32, len(net.geom))
	for e := 0; e < len(net.edgeLen); e++ {
		s, t := net.geomStart[e], net.geomStart[e+1]
		for i := s; i < t-1; i++ {
			net.segEdge[i] = int32(e)
		}
		net.segEdge[t-1] = -1
	}
}

// index lays out the segment → edge map, the bounds and the node → edge
// adjacency, and builds the segments' R-tree in the background, from the
// nodes and edges already set.
func (net *Network) index() {
	// Segment → edge map, then the R-tree, built in the background: the
	// caller usually reads its point layers meanwhile, and Snap waits for it.
	net.setSegEdges()
	net.bounds = orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, p := range net.geom {
		net.bounds = net.bounds.Extend(p)
	}
	net.treeReady = make(chan struct{})
	go func() {
		defer close(net.treeReady)
		net.tree = buildPacked(len(net.segEdge), func(i int) (float64, float64, float64, float64) {
			if net.segEdge[i] < 0 {
				return math.NaN(), math.NaN(), math.NaN(), math.NaN()
			}
			p, q := net.geom[i], net.geom[i+1]
			return p[0], p[1], q[0], q[1]
		})
	}()
	// The searches' adjacency, while the R-tree is built.
	net.layoutSearch()
}
