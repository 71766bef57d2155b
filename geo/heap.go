package geo

import (
	"math"
	"math/bits"
)

// heapItem is a node waiting in the Dijkstra queue with its tentative
// distance.
type heapItem struct {
	dist float64
	node int32
}

// nodeHeap is a 4-ary min-heap with lazy deletion; 4-ary heaps do fewer
// cache misses than binary heaps on large graphs. Its order of equal
// distances is the one lifecircle has always listed tied nodes in (see
// Searcher.SetAnyListOrder). (Aligning each group of siblings to a cache
// line measured no faster.)
type nodeHeap struct{ a []heapItem }

func (h *nodeHeap) len() int { return len(h.a) }
func (h *nodeHeap) reset()   { h.a = h.a[:0] }

func (h *nodeHeap) push(it heapItem) {
	a := append(h.a, it)
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
	h.a = a
}

func (h *nodeHeap) pop() heapItem {
	a := h.a
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
			end := min(c+4, n)
			for j := c + 1; j < end; j++ {
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
	h.a = a
	return top
}

// radixHeap is a monotone priority queue (a radix heap): it pops items in
// ascending distance as long as nothing is pushed below the last pop,
// which holds in Dijkstra (lengths are never negative) and, between runs,
// because seeding starts from an empty queue. An item waits in the bucket
// of the highest bit in which its key differs from the last pop's; a pop
// that finds bucket 0 empty takes the least key of the lowest non-empty
// bucket as the new last pop and spreads that bucket over lower ones.
// Pushes and pops read and write bucket ends, sequentially, instead of
// sifting through a heap spread over many cache lines: on a
// 1,000,000-node search the queue is the larger part of the time saved.
//
// Equal distances pop in another order than from nodeHeap; see
// Searcher.SetAnyListOrder.
type radixHeap struct {
	last    uint64 // key of the last pop; 0 when the queue was empty since
	n       int
	mask    uint64 // bit b−1 set: bucket b (1…64) holds items
	buckets [65][]radixItem
}

type radixItem struct {
	key  uint64
	node int32
}

// radixKey maps distances to keys in the same order (negative ones
// included, though a search has none).
func radixKey(d float64) uint64 {
	b := math.Float64bits(d)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

func radixDist(k uint64) float64 {
	if k>>63 != 0 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

func (h *radixHeap) len() int { return h.n }

// reset empties the queue, keeping its storage.
func (h *radixHeap) reset() {
	for b := range h.buckets {
		h.buckets[b] = h.buckets[b][:0]
	}
	h.n, h.mask, h.last = 0, 0, 0
}

func (h *radixHeap) push(it heapItem) {
	k := radixKey(it.dist)
	if h.n == 0 {
		h.last = 0
	} else if k < h.last {
		h.rebase(k) // not in a search; kept correct all the same
	}
	h.put(radixItem{k, it.node})
	h.n++
}

func (h *radixHeap) put(it radixItem) {
	b := bits.Len64(it.key ^ h.last)
	h.buckets[b] = append(h.buckets[b], it)
	if b > 0 {
		h.mask |= 1 << (b - 1)
	}
}

// rebase lowers last to k, re-bucketing every item.
func (h *radixHeap) rebase(k uint64) {
	var all []radixItem
	for b := range h.buckets {
		all = append(all, h.buckets[b]...)
		h.buckets[b] = h.buckets[b][:0]
	}
	h.last, h.mask = k, 0
	for _, it := range all {
		h.put(it)
	}
}

func (h *radixHeap) pop() heapItem {
	if len(h.buckets[0]) == 0 {
		b := bits.TrailingZeros64(h.mask) + 1
		src := h.buckets[b]
		m := src[0].key
		for _, it := range src[1:] {
			m = min(m, it.key)
		}
		h.last = m
		h.buckets[b] = src[:0]
		h.mask &^= 1 << (b - 1)
		for _, it := range src {
			h.put(it) // into a lower bucket: the keys now agree above bit b−1
		}
	}
	z := h.buckets[0]
	it := z[len(z)-1]
	h.buckets[0] = z[:len(z)-1]
	h.n--
	return heapItem{radixDist(it.key), it.node}
}
