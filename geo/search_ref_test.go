package geo

import (
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

// refSearcher is the Searcher as it was before the search numbering
// (layout.go) and the current queue: a 4-ary heap over node numbers and
// an adjacency of its own. TestSearcherMatchesReference holds the
// Searcher to it, order of every list included.
type refSearcher struct {
	net      *Network
	adjStart []int32
	adjEdge  []int32
	adjNode  []int32
	reach    []refState
	touched  []int32
	heap     refHeap
	maxDist  float64
	track    bool
	changed  []int32
	edgeSrc  map[int32][]edgeSource
}

func newRefSearcher(n *Network) *refSearcher {
	nn := len(n.nodes)
	s := &refSearcher{net: n, adjStart: make([]int32, nn+1), reach: make([]refState, nn), edgeSrc: map[int32][]edgeSource{}}
	for e := range n.edgeA {
		s.adjStart[n.edgeA[e]+1]++
		s.adjStart[n.edgeB[e]+1]++
	}
	for i := 0; i < nn; i++ {
		s.adjStart[i+1] += s.adjStart[i]
	}
	s.adjEdge = make([]int32, s.adjStart[nn])
	s.adjNode = make([]int32, s.adjStart[nn])
	pos := slices.Clone(s.adjStart[:nn])
	for e := range n.edgeA {
		a, b := n.edgeA[e], n.edgeB[e]
		s.adjEdge[pos[a]], s.adjNode[pos[a]] = int32(e), b
		pos[a]++
		s.adjEdge[pos[b]], s.adjNode[pos[b]] = int32(e), a
		pos[b]++
	}
	for i := range s.reach {
		s.reach[i] = refState{inf, -1}
	}
	return s
}

func (s *refSearcher) Run(sources []Source, maxDist float64) {
	for _, v := range s.touched {
		s.reach[v] = refState{inf, -1}
	}
	s.touched = s.touched[:0]
	clear(s.edgeSrc)
	s.heap = s.heap[:0]
	s.maxDist = maxDist
	for _, src := range sources {
		s.seed(src)
	}
	s.settle()
}

func (s *refSearcher) AddSources(sources []Source) []int32 {
	s.track, s.changed = true, s.changed[:0]
	for _, src := range sources {
		s.seed(src)
	}
	s.settle()
	s.track = false
	return s.changed
}

func (s *refSearcher) RemoveLabels(drop func(int32) bool) []int32 {
	net := s.net
	s.track, s.changed = true, s.changed[:0]
	var region []int32
	k := 0
	for _, v := range s.touched {
		if s.reach[v].dist != inf && drop(s.reach[v].label) {
			s.reach[v] = refState{inf, -1}
			region = append(region, v)
			continue
		}
		s.touched[k] = v
		k++
	}
	s.touched = s.touched[:k]
	for e, list := range s.edgeSrc {
		k := 0
		for _, src := range list {
			if !drop(src.label) {
				list[k] = src
				k++
			}
		}
		if k == 0 {
			delete(s.edgeSrc, e)
		} else {
			s.edgeSrc[e] = list[:k]
		}
	}
	s.changed = append(s.changed, region...)
	for _, u := range region {
		for k := s.adjStart[u]; k < s.adjStart[u+1]; k++ {
			v := s.adjNode[k]
			e := s.adjEdge[k]
			if r := s.reach[v]; r.dist != inf {
				s.relax(u, r.dist+net.edgeLen[e], r.label)
			}
			for _, src := range s.edgeSrc[e] {
				s.relax(net.edgeA[e], src.access+src.offset, src.label)
				s.relax(net.edgeB[e], src.access+net.edgeLen[e]-src.offset, src.label)
			}
		}
	}
	s.settle()
	s.track = false
	return s.changed
}

func (s *refSearcher) seed(src Source) {
	net := s.net
	e := src.Pos.Edge
	if e < 0 || int(e) >= len(net.edgeLen) {
		return
	}
	s.edgeSrc[e] = append(s.edgeSrc[e], edgeSource{src.Pos.Offset, src.Pos.Access, src.Label})
	s.relax(net.edgeA[e], src.Pos.Access+src.Pos.Offset, src.Label)
	s.relax(net.edgeB[e], src.Pos.Access+net.edgeLen[e]-src.Pos.Offset, src.Label)
}

func (s *refSearcher) relax(v int32, d float64, l int32) {
	if d > s.maxDist {
		return
	}
	r := &s.reach[v]
	if d < r.dist || (d == r.dist && l < r.label) {
		if r.dist == inf {
			s.touched = append(s.touched, v)
		}
		*r = refState{d, l}
		s.heap.push(heapItem{d, v})
		if s.track {
			s.changed = append(s.changed, v)
		}
	}
}

func (s *refSearcher) settle() {
	for len(s.heap) > 0 {
		it := s.heap.pop()
		u := it.node
		if it.dist > s.reach[u].dist {
			continue
		}
		lu := s.reach[u].label
		for k := s.adjStart[u]; k < s.adjStart[u+1]; k++ {
			s.relax(s.adjNode[k], it.dist+s.net.edgeLen[s.adjEdge[k]], lu)
		}
	}
}

// ReachedEdges returns how many edges come from reached nodes, before
// those of sources (in map order).
func (s *refSearcher) ReachedEdges(fn func(e int32)) int {
	seen := map[int32]bool{}
	visit := func(e int32) {
		if !seen[e] {
			seen[e] = true
			fn(e)
		}
	}
	for _, u := range s.touched {
		for _, e := range s.adjEdge[s.adjStart[u]:s.adjStart[u+1]] {
			visit(e)
		}
	}
	k := len(seen)
	for e := range s.edgeSrc {
		visit(e)
	}
	return k
}

func (s *refSearcher) At(p Position) (float64, int32, bool) {
	net := s.net
	e := p.Edge
	best, bl := math.Inf(1), int32(-1)
	try := func(d float64, l int32) {
		if d < best || (d == best && l < bl) {
			best, bl = d, l
		}
	}
	if r := s.reach[net.edgeA[e]]; r.dist != inf {
		try(r.dist+p.Offset, r.label)
	}
	if r := s.reach[net.edgeB[e]]; r.dist != inf {
		try(r.dist+net.edgeLen[e]-p.Offset, r.label)
	}
	for _, src := range s.edgeSrc[e] {
		try(src.access+math.Abs(src.offset-p.Offset), src.label)
	}
	best += p.Access
	if math.IsInf(best, 1) || best > s.maxDist {
		return 0, -1, false
	}
	return best, bl, true
}

// refHeap is the 4-ary heap the Searcher used.
type refHeap []heapItem

func (h *refHeap) push(it heapItem) {
	a := append(*h, it)
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 4
		if a[p].dist <= it.dist {
			break
		}
		a[i] = a[p]
		i = p
	}
	a[i] = it
	*h = a
}

func (h *refHeap) pop() heapItem {
	a := *h
	top := a[0]
	last := a[len(a)-1]
	a = a[:len(a)-1]
	n := len(a)
	if n > 0 {
		i := 0
		for {
			c := 4*i + 1
			if c >= n {
				break
			}
			m := c
			for j := c + 1; j < min(c+4, n); j++ {
				if a[j].dist < a[m].dist {
					m = j
				}
			}
			if a[m].dist >= last.dist {
				break
			}
			a[i] = a[m]
			i = m
		}
		a[i] = last
	}
	*h = a
	return top
}

// tiedNetwork is a random network whose edges are 0 to 3 metres long in
// whole metres, so that many nodes lie at exactly the same distance and
// labels decide; nodes lie within a metre of each other so any such
// length is consistent with them.
func tiedNetwork(rng *rand.Rand) *Network {
	nn := 20 + rng.Intn(200)
	n := &Network{}
	for range nn {
		n.nodes = append(n.nodes, orb.Point{116 + rng.Float64()*5e-6, 40 + rng.Float64()*5e-6})
	}
	ne := nn + rng.Intn(3*nn)
	for e := range ne {
		a, b := int32(rng.Intn(nn)), int32(rng.Intn(nn))
		if e < nn-1 && rng.Intn(4) > 0 {
			a, b = int32(e), int32(e+1) // mostly connected
		}
		l := float64(rng.Intn(4))
		n.edgeA, n.edgeB, n.edgeLen = append(n.edgeA, a), append(n.edgeB, b), append(n.edgeLen, l)
		n.geomStart = append(n.geomStart, int32(len(n.geom)))
		n.geom = append(n.geom, n.nodes[a], n.nodes[b])
		n.cum = append(n.cum, 0, l)
	}
	n.geomStart = append(n.geomStart, int32(len(n.geom)))
	n.index()
	<-n.treeReady
	return n
}

// tiedSources places k sources at whole or half metres along random
// edges, with whole-metre access legs and few distinct labels.
func tiedSources(rng *rand.Rand, n *Network, k int) []Source {
	var out []Source
	for range k {
		e := int32(rng.Intn(len(n.edgeLen)))
		off := math.Min(float64(rng.Intn(7))/2, n.edgeLen[e])
		out = append(out, Source{Pos: Position{Edge: e, Offset: off, Access: float64(rng.Intn(3))}, Label: int32(rng.Intn(5))})
	}
	return out
}

// TestSearcherMatchesReference runs the Searcher and refSearcher side by
// side through runs, additions and removals on networks full of exact
// ties: every node's distance and label must be equal bit for bit, and
// Reached, the changed lists and ReachedEdges must list the same nodes
// and edges in the same order (callers sum figures in those orders). A
// Searcher with SetAnyListOrder must give the same distances and labels
// and list the same nodes and edges, in any order.
func TestSearcherMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	for trial := range 300 {
		n := tiedNetwork(rng)
		s, ref, fast := n.NewSearcher(), newRefSearcher(n), n.NewSearcher()
		fast.SetAnyListOrder(true)
		bound := math.Inf(1)
		if trial%3 == 1 {
			bound = float64(2 + rng.Intn(10))
		}
		srcs := tiedSources(rng, n, 1+rng.Intn(6))
		s.Run(srcs, bound)
		fast.Run(srcs, bound)
		ref.Run(srcs, bound)
		compareSearch(t, rng, trial, 0, n, s, ref, nil, nil)
		compareAnyOrder(t, trial, 0, n, fast, ref, nil, nil)
		for step := 1; step <= 6; step++ {
			var got, gotFast, want []int32
			if rng.Intn(2) == 0 {
				add := tiedSources(rng, n, 1+rng.Intn(3))
				got, want = s.AddSources(add), ref.AddSources(add)
				gotFast = fast.AddSources(add)
			} else {
				l := int32(rng.Intn(5))
				drop := func(x int32) bool { return x == l }
				got, want = s.RemoveLabels(drop), ref.RemoveLabels(drop)
				gotFast = fast.RemoveLabels(drop)
			}
			compareSearch(t, rng, trial, step, n, s, ref, got, want)
			compareAnyOrder(t, trial, step, n, fast, ref, gotFast, want)
		}
	}
}

func compareSearch(t *testing.T, rng *rand.Rand, trial, step int, n *Network, s *Searcher, ref *refSearcher, got, want []int32) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("trial %d step %d: changed %v, reference %v", trial, step, got, want)
	}
	for v := range int32(n.NumNodes()) {
		d, l := s.NodeDist(v)
		r := ref.reach[v]
		if math.Float64bits(d) != math.Float64bits(r.dist) || l != r.label {
			t.Fatalf("trial %d step %d node %d: %v/%d, reference %v/%d", trial, step, v, d, l, r.dist, r.label)
		}
	}
	if g := s.Reached(); !slices.Equal(g, ref.touched) {
		t.Fatalf("trial %d step %d: Reached %v, reference %v", trial, step, g, ref.touched)
	}
	var ge, we []int32
	s.ReachedEdges(make([]bool, n.NumEdges()), func(e int32) { ge = append(ge, e) })
	k := ref.ReachedEdges(func(e int32) { we = append(we, e) })
	// Edges holding sources come last, in map order: compare those as sets.
	if len(ge) < k || !slices.Equal(ge[:k], we[:k]) {
		t.Fatalf("trial %d step %d: ReachedEdges %v, reference %v", trial, step, ge, we)
	}
	slices.Sort(ge)
	slices.Sort(we)
	if !slices.Equal(ge, we) {
		t.Fatalf("trial %d step %d: ReachedEdges %v, reference %v", trial, step, ge, we)
	}
	for range 20 {
		e := int32(rng.Intn(n.NumEdges()))
		p := Position{Edge: e, Offset: n.edgeLen[e] / 2, Access: 1}
		d1, l1, ok1 := s.At(p)
		d2, l2, ok2 := ref.At(p)
		if d1 != d2 || l1 != l2 || ok1 != ok2 {
			t.Fatalf("trial %d step %d: At %v %v/%d/%v, reference %v/%d/%v", trial, step, p, d1, l1, ok1, d2, l2, ok2)
		}
	}
}

// TestHeapMatchesReference: through random pushes and pops with many equal
// distances, nodeHeap hands out the same items in the same order as the
// plain 4-ary heap.
func TestHeapMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for trial := range 200 {
		var h nodeHeap
		var ref refHeap
		if trial%2 == 0 {
			h.reset()
		}
		for op := range 2000 {
			if ref.len() > 0 && rng.Intn(5) < 2 {
				got, want := h.pop(), ref.pop()
				if got != want {
					t.Fatalf("trial %d op %d: pop %v, reference %v", trial, op, got, want)
				}
				continue
			}
			it := heapItem{float64(rng.Intn(1 + trial%20)), int32(op)}
			h.push(it)
			ref.push(it)
		}
		for ref.len() > 0 {
			if got, want := h.pop(), ref.pop(); got != want {
				t.Fatalf("trial %d drain: pop %v, reference %v", trial, got, want)
			}
		}
		if h.len() != 0 {
			t.Fatalf("trial %d: %d items left", trial, h.len())
		}
	}
}

func (h refHeap) len() int { return len(h) }

// compareAnyOrder is compareSearch for a Searcher with SetAnyListOrder:
// lists compared as sets.
func compareAnyOrder(t *testing.T, trial, step int, n *Network, s *Searcher, ref *refSearcher, got, want []int32) {
	t.Helper()
	set := func(a []int32) []int32 {
		b := slices.Clone(a)
		slices.Sort(b)
		return slices.Compact(b)
	}
	if !slices.Equal(set(got), set(want)) {
		t.Fatalf("any order, trial %d step %d: changed %v, reference %v", trial, step, set(got), set(want))
	}
	for v := range int32(n.NumNodes()) {
		d, l := s.NodeDist(v)
		r := ref.reach[v]
		if math.Float64bits(d) != math.Float64bits(r.dist) || l != r.label {
			t.Fatalf("any order, trial %d step %d node %d: %v/%d, reference %v/%d", trial, step, v, d, l, r.dist, r.label)
		}
	}
	if g := s.Reached(); len(g) != len(ref.touched) || !slices.Equal(set(g), set(ref.touched)) {
		t.Fatalf("any order, trial %d step %d: Reached %v, reference %v", trial, step, g, ref.touched)
	}
	var ge, we []int32
	s.ReachedEdges(make([]bool, n.NumEdges()), func(e int32) { ge = append(ge, e) })
	ref.ReachedEdges(func(e int32) { we = append(we, e) })
	if len(ge) != len(we) || !slices.Equal(set(ge), set(we)) {
		t.Fatalf("any order, trial %d step %d: ReachedEdges %v, reference %v", trial, step, ge, we)
	}
}

// TestRadixHeapOrder: through random pushes (never below the last pop,
// now and then below it) and pops with many equal keys, radixHeap pops
// the least distance every time and loses nothing.
func TestRadixHeapOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	for trial := range 200 {
		var h radixHeap
		var ref refHeap
		last := math.Inf(-1)
		for op := range 3000 {
			if ref.len() > 0 && rng.Intn(5) < 2 {
				got, want := h.pop(), ref.pop()
				if got.dist != want.dist {
					t.Fatalf("trial %d op %d: pop %v, least is %v", trial, op, got, want)
				}
				last = got.dist
				continue
			}
			d := float64(rng.Intn(1+trial%30)) - 3 // a few negative distances
			if ref.len() > 0 && rng.Intn(50) > 0 {
				d = max(d, last) + float64(rng.Intn(3))/4
			}
			h.push(heapItem{d, int32(op)})
			ref.push(heapItem{d, int32(op)})
		}
		for ref.len() > 0 {
			if got, want := h.pop(), ref.pop(); got.dist != want.dist {
				t.Fatalf("trial %d drain: pop %v, least is %v", trial, got, want)
			}
		}
		if h.len() != 0 {
			t.Fatalf("trial %d: %d items left", trial, h.len())
		}
	}
}

type refState struct {
	dist  float64
	label int32
}

// TestComponentsMatchReference: Components, walking search numbers, gives
// every node the id the walk over node numbers gave it, on networks of
// many small pieces of equal sizes (ties in the largest-first order).
func TestComponentsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for trial := range 100 {
		n := &Network{}
		nn := 10 + rng.Intn(300)
		for range nn {
			n.nodes = append(n.nodes, orb.Point{116 + rng.Float64()*1e-5, 40 + rng.Float64()*1e-5})
		}
		for e := range nn / 2 {
			a, b := int32(rng.Intn(nn)), int32(rng.Intn(nn))
			if trial%2 == 0 { // pairs and chains: many equal sizes
				a, b = int32(2*e), int32(min(2*e+1+rng.Intn(2), nn-1))
			}
			n.edgeA, n.edgeB, n.edgeLen = append(n.edgeA, a), append(n.edgeB, b), append(n.edgeLen, 1)
			n.geomStart = append(n.geomStart, int32(len(n.geom)))
			n.geom = append(n.geom, n.nodes[a], n.nodes[b])
			n.cum = append(n.cum, 0, 1)
		}
		n.geomStart = append(n.geomStart, int32(len(n.geom)))
		n.index()
		<-n.treeReady
		got, gc := n.Components()
		want, wc := refComponents(n)
		if gc != wc || !slices.Equal(got, want) {
			t.Fatalf("trial %d: %d components %v, reference %d %v", trial, gc, got, wc, want)
		}
	}
}

// refComponents is Components as it was: a walk over node numbers.
func refComponents(n *Network) ([]int32, int) {
	adj := make([][]int32, len(n.nodes))
	for e := range n.edgeA {
		a, b := n.edgeA[e], n.edgeB[e]
		adj[a] = append(adj[a], b)
		adj[b] = append(adj[b], a)
	}
	comp := make([]int32, len(n.nodes))
	for i := range comp {
		comp[i] = -1
	}
	var sizes []int
	for s := range n.nodes {
		if comp[s] >= 0 {
			continue
		}
		id := int32(len(sizes))
		comp[s] = id
		stack, size := []int32{int32(s)}, 0
		for len(stack) > 0 {
			u := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			for _, v := range adj[u] {
				if comp[v] < 0 {
					comp[v] = id
					stack = append(stack, v)
				}
			}
		}
		sizes = append(sizes, size)
	}
	order := make([]int32, len(sizes))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return sizes[b] - sizes[a] })
	rank := make([]int32, len(sizes))
	for r, c := range order {
		rank[c] = int32(r)
	}
	for i, c := range comp {
		comp[i] = rank[c]
	}
	return comp, len(sizes)
}
