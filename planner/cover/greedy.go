package cover

import (
	"context"
	"math"
)

// --- lazy greedy (CELF) ---

type gainEntry struct {
	gain  float64
	cand  int32
	stamp int32 // number of chosen sites when gain was computed
}

// gainHeap is a max-heap on gain, ties to the lower candidate index.
type gainHeap []gainEntry

func (h gainHeap) less(a, b int) bool {
	if h[a].gain != h[b].gain {
		return h[a].gain > h[b].gain
	}
	return h[a].cand < h[b].cand
}

func (h gainHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func (h gainHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// gain returns the weight of the items of candidate j that cnt leaves
// uncovered. Summing in set order keeps recomputed gains ≤ stale ones.
func (c *coverInst) gain(j int32, cnt []int32) float64 {
	g := 0.0
	for _, i := range c.set(j) {
		if cnt[i] == 0 {
			g += c.w[i]
		}
	}
	return g
}

// greedy adds up to k candidates from pool (nil = all) by lazy greedy,
// incrementing cnt for every item a chosen set covers and passing over
// candidates marked in skip (nil = none). It stops early when no
// candidate adds weight or when the covered weight reaches stopAt. It returns
// the chosen candidates with their marginal gains.
func (c *coverInst) greedy(pool []int32, k int, cnt []int32, stopAt float64, skip []bool, ctx context.Context) ([]int32, []float64, error) {
	var h gainHeap
	if pool == nil {
		h = make(gainHeap, 0, c.nCand)
		for j := 0; j < c.nCand; j++ {
			if c.setW[j] > 0 && (skip == nil || !skip[j]) {
				h = append(h, gainEntry{gain: c.setW[j], cand: int32(j), stamp: -1})
			}
		}
	} else {
		h = make(gainHeap, 0, len(pool))
		for _, j := range pool {
			h = append(h, gainEntry{gain: c.setW[j], cand: j, stamp: -1})
		}
	}
	h.init()
	var chosen []int32
	var gains []float64
	covered := 0.0
	for len(chosen) < k && len(h) > 0 && covered < stopAt {
		top := &h[0]
		if top.stamp != int32(len(chosen)) {
			top.gain = c.gain(top.cand, cnt)
			top.stamp = int32(len(chosen))
			h.down(0)
			continue
		}
		if top.gain <= 0 {
			break
		}
		j := top.cand
		chosen = append(chosen, j)
		gains = append(gains, top.gain)
		covered += top.gain
		for _, i := range c.set(j) {
			cnt[i]++
		}
		h[0] = h[len(h)-1]
		h = h[:len(h)-1]
		h.down(0)
		if len(chosen)%64 == 0 && ctx != nil {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
	}
	return chosen, gains, nil
}

// rank orders a final set greedily and returns it with marginal gains.
func (c *coverInst) rank(set []int32, scratch []int32) ([]int, []float64) {
	order, gains, _ := c.greedy(set, len(set), scratch, math.Inf(1), nil, nil)
	// Sets that add nothing on top of the others keep their place at the end.
	in := make(map[int32]bool, len(order))
	for _, j := range order {
		in[j] = true
	}
	for _, j := range set {
		if !in[j] {
			order = append(order, j)
			gains = append(gains, 0)
		}
	}
	for _, j := range order {
		for _, i := range c.set(j) {
			scratch[i] = 0
		}
	}
	out := make([]int, len(order))
	for k, j := range order {
		out[k] = int(j)
	}
	return out, gains
}

// --- local search ---
