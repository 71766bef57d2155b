package geo

import (
	"math"
)

var inf = math.Inf(1)

// A Source starts a search: a snapped position (a facility, a candidate
// site) and a label the search reports back for the points it reaches
// first (for example the facility's index).
type Source struct {
	Pos   Position
	Label int32
}

// A Searcher runs bounded multi-source Dijkstra searches on one Network
// and answers walking-distance queries for snapped positions. It reuses
// its arrays between runs and resets only what the last run touched, so
// many small bounded searches (one per candidate site) stay cheap. A
// Searcher is not safe for concurrent use; make one per goroutine.
type Searcher struct {
	net     *Network
	reach   []reachState // per search number (layout.go); dist is +Inf where not reached
	touched []int32      // search numbers
	out     []int32      // Reached's answer in node numbers
	heap    nodeHeap
	rq      radixHeap // the queue instead of heap when anyOrder is set
	maxDist float64
	// anyOrder: lists may order tied nodes differently (SetAnyListOrder).
	anyOrder bool
	track    bool    // record changed nodes (incremental updates)
	changed  []int32 // search numbers improved while tracking, may repeat

	// Sources sitting on an edge reach points on the same edge directly.
	edgeSrc map[int32][]edgeSource

	stop <-chan struct{} // closed: runs end early (SetStop)
}

// SetStop makes every later run end early once stop is closed (pass a
// context's Done channel), leaving its distances incomplete: the caller
// must check its context after a run and discard the results.
func (s *Searcher) SetStop(stop <-chan struct{}) { s.stop = stop }

// SetAnyListOrder lets later runs use a faster queue (a radix heap) when
// on is true. Distances and labels come out exactly the same either way,
// and Reached, ReachedEdges and the nodes AddSources and RemoveLabels
// return hold the same nodes; but where distinct nodes lie at exactly
// the same distance they may come in another order than the default
// queue (the 4-ary heap lifecircle has always used) gives them. Callers
// that add up floating-point figures in list order (catchments, a
// scenario's edits) keep the default, so that their sums stay bit for bit
// what they were; callers that only read distances (At, NodeDist) or sort
// what they collect may turn it on.
func (s *Searcher) SetAnyListOrder(on bool) { s.anyOrder = on }

// stopCheck is how many nodes a run settles between looks at its stop
// channel: well under a millisecond of work.
const stopCheck = 1 << 10

// reachState keeps a node's distance and label side by side, and where
// its arcs start (the network's adjStart, copied into what would be
// padding): settling a node reads one cache line for all three instead
// of two.
type reachState struct {
	dist  float64
	label int32
	first int32 // adjStart of the node; the entry after the last node holds the end
}

type edgeSource struct {
	offset, access float64
	label          int32
}

// NewSearcher returns a Searcher for n.
func (n *Network) NewSearcher() *Searcher {
	s := &Searcher{
		net:     n,
		reach:   make([]reachState, len(n.nodes)+1),
		edgeSrc: map[int32][]edgeSource{},
	}
	for i := range s.reach {
		s.reach[i] = reachState{inf, -1, n.adjStart[i]}
	}
	return s
}

// Run searches from all sources at once up to maxDist metres of walking
// (access leg included; use math.Inf(1) for no bound). Afterwards At gives
// each position's distance to its nearest source. A source's access leg
// counts toward the distance.
func (s *Searcher) Run(sources []Source, maxDist float64) {
	for _, v := range s.touched {
		s.reach[v].dist, s.reach[v].label = inf, -1
	}
	s.touched = s.touched[:0]
	clear(s.edgeSrc)
	s.heap.reset()
	s.rq.reset()
	s.maxDist = maxDist
	for _, src := range sources {
		s.seed(src)
	}
	s.settle()
}

// AddSources adds sources to the last run (a facility opened) and updates
// only the nodes they now reach first. It returns those nodes. The result
// equals a new Run over all sources.
func (s *Searcher) AddSources(sources []Source) []int32 {
	s.track, s.changed = true, s.changed[:0]
	for _, src := range sources {
		s.seed(src)
	}
	s.settle()
	s.track = false
	return s.nodeNumbers(s.changed)
}

// nodeNumbers turns the search numbers in list into node numbers, in
// place, and returns it.
func (s *Searcher) nodeNumbers(list []int32) []int32 {
	outer := s.net.outer
	for i, v := range list {
		list[i] = outer[v]
	}
	return list
}

// RemoveLabel removes every source labelled l (a facility closed) and
// recomputes only the nodes it reached first, from their neighbours and
// the remaining sources. It returns the nodes whose distance or label
// changed. The result equals a new Run without those sources.
func (s *Searcher) RemoveLabel(l int32) []int32 {
	return s.RemoveLabels(func(x int32) bool { return x == l })
}

// RemoveLabels is RemoveLabel for every label drop reports true for, in
// one pass: closing thousands of facilities costs about as much as one.
func (s *Searcher) RemoveLabels(drop func(int32) bool) []int32 {
	net := s.net
	s.track, s.changed = true, s.changed[:0]
	// Nodes reset to +Inf leave touched (relax adds them again when they
	// are reached again), so that touched holds each reached node once and
	// does not grow with every remove of a long session of edits.
	var region []int32
	k := 0
	for _, v := range s.touched {
		if s.reach[v].dist != inf && drop(s.reach[v].label) {
			s.reach[v].dist, s.reach[v].label = inf, -1
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
	// Nodes outside the region keep their distance (their shortest paths
	// never crossed it); seed the region from them and from the remaining
	// sources on its edges.
	for _, u := range region {
		for k := net.adjStart[u]; k < net.adjStart[u+1]; k++ {
			if r := s.reach[net.adjNode[k]]; r.dist != inf {
				s.relax(u, r.dist+net.adjLen[k], r.label)
			}
			for _, src := range s.edgeSrc[net.adjEdge[k]] {
				e := net.adjEdge[k]
				s.relax(net.edgeIn[2*e], src.access+src.offset, src.label)
				s.relax(net.edgeIn[2*e+1], src.access+net.edgeLen[e]-src.offset, src.label)
			}
		}
	}
	s.settle()
	s.track = false
	return s.nodeNumbers(s.changed)
}

// seed records a source and relaxes the two ends of its edge.
func (s *Searcher) seed(src Source) {
	net := s.net
	e := src.Pos.Edge
	if e < 0 || int(e) >= len(net.edgeLen) {
		return
	}
	s.edgeSrc[e] = append(s.edgeSrc[e], edgeSource{src.Pos.Offset, src.Pos.Access, src.Label})
	s.relax(net.edgeIn[2*e], src.Pos.Access+src.Pos.Offset, src.Label)
	s.relax(net.edgeIn[2*e+1], src.Pos.Access+net.edgeLen[e]-src.Pos.Offset, src.Label)
}

// relax offers search node v the distance d from the source labelled l.
func (s *Searcher) relax(v int32, d float64, l int32) {
	if d > s.maxDist {
		return
	}
	r := &s.reach[v]
	if d < r.dist || (d == r.dist && l < r.label) {
		if r.dist == inf {
			s.touched = append(s.touched, v)
		}
		r.dist, r.label = d, l
		if s.anyOrder {
			s.rq.push(heapItem{d, v})
		} else {
			s.heap.push(heapItem{d, v})
		}
		if s.track {
			s.changed = append(s.changed, v)
		}
	}
}

// settle runs Dijkstra until the queue is empty.
func (s *Searcher) settle() {
	if s.anyOrder {
		s.settleRadix()
	} else {
		s.settleHeap()
	}
}

// stopped reports, every stopCheck settled nodes, whether the stop
// channel is closed, and then empties the queues.
func (s *Searcher) stopped(n int) bool {
	if n%stopCheck != 0 || s.stop == nil {
		return false
	}
	select {
	case <-s.stop:
		s.heap.reset()
		s.rq.reset()
		return true
	default:
		return false
	}
}

// settleHeap and settleRadix are one loop written out for each queue (a
// queue behind an interface or type parameter costs an indirect call per
// push and pop).
func (s *Searcher) settleHeap() {
	reach, maxDist, adjNode, adjLen := s.reach, s.maxDist, s.net.adjNode, s.net.adjLen
	for n := 1; s.heap.len() > 0; n++ {
		if s.stopped(n) {
			return
		}
		it := s.heap.pop()
		u, du := it.node, it.dist
		ru := &reach[u]
		if du > ru.dist {
			continue // stale entry
		}
		lu := ru.label
		for k := ru.first; k < reach[u+1].first; k++ {
			v, d := adjNode[k], du+adjLen[k]
			if d > maxDist {
				continue
			}
			r := &reach[v]
			if d < r.dist || (d == r.dist && lu < r.label) {
				if r.dist == inf {
					s.touched = append(s.touched, v)
				}
				r.dist, r.label = d, lu
				s.heap.push(heapItem{d, v})
				if s.track {
					s.changed = append(s.changed, v)
				}
			}
		}
	}
}

func (s *Searcher) settleRadix() {
	reach, maxDist, adjNode, adjLen := s.reach, s.maxDist, s.net.adjNode, s.net.adjLen
	for n := 1; s.rq.len() > 0; n++ {
		if s.stopped(n) {
			return
		}
		it := s.rq.pop()
		u, du := it.node, it.dist
		ru := &reach[u]
		if du > ru.dist {
			continue // stale entry
		}
		lu := ru.label
		for k := ru.first; k < reach[u+1].first; k++ {
			v, d := adjNode[k], du+adjLen[k]
			if d > maxDist {
				continue
			}
			r := &reach[v]
			if d < r.dist || (d == r.dist && lu < r.label) {
				if r.dist == inf {
					s.touched = append(s.touched, v)
				}
				r.dist, r.label = d, lu
				s.rq.push(heapItem{d, v})
				if s.track {
					s.changed = append(s.changed, v)
				}
			}
		}
	}
}

// At returns the walking distance in metres from the nearest source of
// the last Run to position p (p's access leg included) and that source's
// label. ok is false when no source is within the run's bound.
func (s *Searcher) At(p Position) (dist float64, label int32, ok bool) {
	net := s.net
	e := p.Edge
	if e < 0 || int(e) >= len(net.edgeLen) {
		return 0, -1, false
	}
	best := math.Inf(1)
	bl := int32(-1)
	try := func(d float64, l int32) {
		if d < best || (d == best && l < bl) {
			best, bl = d, l
		}
	}
	a, b := net.edgeIn[2*e], net.edgeIn[2*e+1]
	if r := s.reach[a]; r.dist != inf {
		try(r.dist+p.Offset, r.label)
	}
	if r := s.reach[b]; r.dist != inf {
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

// NodeDist returns the distance of node i from the nearest source of the
// last run (+Inf when not reached) and that source's label.
func (s *Searcher) NodeDist(i int32) (float64, int32) {
	r := s.reach[s.net.inner[i]]
	return r.dist, r.label
}

// Reached returns the nodes the last run reached, in no particular order.
// The slice is reused by the next call.
func (s *Searcher) Reached() []int32 {
	s.out = append(s.out[:0], s.touched...)
	return s.nodeNumbers(s.out)
}

// NumReached returns how many nodes the last run reached.
func (s *Searcher) NumReached() int { return len(s.touched) }

// ReachedEdges calls fn once for every edge that can hold a position
// within the last run's bound: edges touching a reached node and edges
// holding a source. mark must have one entry per edge, all false; it is
// restored to all false before ReachedEdges returns.
func (s *Searcher) ReachedEdges(mark []bool, fn func(e int32)) {
	net := s.net
	var seen []int32
	visit := func(e int32) {
		if !mark[e] {
			mark[e] = true
			seen = append(seen, e)
			fn(e)
		}
	}
	for _, u := range s.touched {
		for _, e := range net.adjEdge[net.adjStart[u]:net.adjStart[u+1]] {
			visit(e)
		}
	}
	for e := range s.edgeSrc {
		visit(e)
	}
	for _, e := range seen {
		mark[e] = false
	}
}
