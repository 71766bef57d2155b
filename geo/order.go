package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// HilbertOrder returns the indices of pts sorted along a Hilbert curve
// over their bounding box (points with a NaN or infinite coordinate
// last, in their order). Working through many points in this order keeps
// neighbours together, so the index nodes, edges and distances each one
// reads are mostly still in the cache from the previous one; the order
// changes no result.
func HilbertOrder(pts []orb.Point) []int32 {
	n := len(pts)
	lo := orb.Point{math.Inf(1), math.Inf(1)}
	hi := orb.Point{math.Inf(-1), math.Inf(-1)}
	finite := func(p orb.Point) bool {
		return !math.IsNaN(p[0]) && !math.IsNaN(p[1]) && !math.IsInf(p[0], 0) && !math.IsInf(p[1], 0)
	}
	for _, p := range pts {
		if finite(p) {
			lo = orb.Point{math.Min(lo[0], p[0]), math.Min(lo[1], p[1])}
			hi = orb.Point{math.Max(hi[0], p[0]), math.Max(hi[1], p[1])}
		}
	}
	keys := make([]uint32, n)
	idx := make([]int32, n)
	w, h := hi[0]-lo[0], hi[1]-lo[1]
	parallelRanges(n, func(a, b int) {
		for i := a; i < b; i++ {
			idx[i] = int32(i)
			p := pts[i]
			if !finite(p) {
				keys[i] = math.MaxUint32
				continue
			}
			var hx, hy uint32
			if w > 0 {
				hx = uint32(math.Floor(65535 * (p[0] - lo[0]) / w))
			}
			if h > 0 {
				hy = uint32(math.Floor(65535 * (p[1] - lo[1]) / h))
			}
			keys[i] = hilbert16(hx, hy) >> 1 // MaxUint32 stays above every key
		}
	})
	radixSortByKey(keys, idx)
	return idx
}
