package geo

// heapItem is a node waiting in the Dijkstra queue with its tentative
// distance.
type heapItem struct {
	dist float64
	node int32
}

// nodeHeap is a 4-ary min-heap with lazy deletion; 4-ary heaps do fewer
// cache misses than binary heaps on large graphs. The root sits at slot
// heapRoot so that the four children of slot s, 4s−8 … 4s−5, start on a
// multiple of four slots: with 16-byte items every group of siblings is
// one 64-byte cache line (the allocator aligns large arrays to pages), so
// a level of a pop reads one line, not two.
//
// Ties make the order of equal distances matter to callers (a search
// lists the nodes it reaches in the order it first reaches them), so the
// heap keeps exactly the comparisons of the plain 4-ary heap with its
// root at 0: the same pushes and pops give the same items in the same
// order (TestSearcherMatchesReference).
type nodeHeap struct {
	a []heapItem // a[:heapRoot] is padding
}

const heapRoot = 3

func (h *nodeHeap) len() int { return max(len(h.a)-heapRoot, 0) }

// reset empties the heap, keeping its storage.
func (h *nodeHeap) reset() {
	if cap(h.a) < heapRoot {
		h.a = make([]heapItem, heapRoot, 1024)
	}
	h.a = h.a[:heapRoot]
}

func (h *nodeHeap) push(it heapItem) {
	if len(h.a) < heapRoot {
		h.reset()
	}
	a := append(h.a, it)
	i := len(a) - 1
	for i > heapRoot {
		p := i/4 + 2
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
	top := a[heapRoot]
	last := a[len(a)-1]
	a = a[:len(a)-1]
	n := len(a)
	if n > heapRoot {
		i := heapRoot
		for {
			c := 4*i - 8
			if c+4 > n {
				if c >= n {
					break
				}
				// A last, partial group of siblings.
				m := c
				for j := c + 1; j < n; j++ {
					if a[j].dist < a[m].dist {
						m = j
					}
				}
				if a[m].dist < last.dist {
					a[i] = a[m]
					i = m
				}
				break
			}
			// The first of the least of four, as a scan would pick it.
			g := a[c : c+4 : c+4]
			m := 0
			if g[1].dist < g[0].dist {
				m = 1
			}
			r := 2
			if g[3].dist < g[2].dist {
				r = 3
			}
			if g[r].dist < g[m].dist {
				m = r
			}
			if g[m].dist >= last.dist {
				break
			}
			a[i] = g[m]
			i = c + m
		}
		a[i] = last
	}
	h.a = a
	return top
}
