package geo

// layoutSearch numbers the nodes along a Hilbert curve of their positions
// and lays out the adjacency the searches read in that numbering, each
// node's edges in ascending edge order as before. A search settles nodes
// in waves that spread through space; in the build order (the order the
// input's ways name them) a node's neighbours lie anywhere in memory,
// while along the curve most of them share the node's cache lines and
// pages. Only the Searcher sees search numbers (it translates every node
// it hands out), and nothing it computes depends on the numbering: the
// queue compares distances only and each node's arcs keep their order,
// so runs settle, touch and report nodes in the same order as in build
// numbers.
func (net *Network) layoutSearch() {
	nn := len(net.nodes)
	net.outer = HilbertOrder(net.nodes)
	net.inner = make([]int32, nn)
	for k, v := range net.outer {
		net.inner[v] = int32(k)
	}
	net.setEdgeIn()
	net.adjStart = make([]int32, nn+1)
	for e := range net.edgeA {
		net.adjStart[net.edgeIn[2*e]+1]++
		net.adjStart[net.edgeIn[2*e+1]+1]++
	}
	for i := 0; i < nn; i++ {
		net.adjStart[i+1] += net.adjStart[i]
	}
	net.adjEdge = make([]int32, net.adjStart[nn])
	net.adjNode = make([]int32, net.adjStart[nn])
	net.adjLen = make([]float64, net.adjStart[nn])
	pos := make([]int32, nn)
	copy(pos, net.adjStart[:nn])
	for e := range net.edgeA {
		a, b := net.edgeIn[2*e], net.edgeIn[2*e+1]
		l := net.edgeLen[e]
		net.adjEdge[pos[a]], net.adjNode[pos[a]], net.adjLen[pos[a]] = int32(e), b, l
		pos[a]++
		net.adjEdge[pos[b]], net.adjNode[pos[b]], net.adjLen[pos[b]] = int32(e), a, l
		pos[b]++
	}
}

// setEdgeIn sets the search numbers of every edge's ends from inner.
func (net *Network) setEdgeIn() {
	net.edgeIn = make([]int32, 2*len(net.edgeA))
	for e := range net.edgeA {
		net.edgeIn[2*e], net.edgeIn[2*e+1] = net.inner[net.edgeA[e]], net.inner[net.edgeB[e]]
	}
}
