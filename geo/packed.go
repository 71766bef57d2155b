package geo

import (
	"math"
	"runtime"
	"sync"
)

// packedIndex is a static R-tree packed in one pass (the Flatbush layout):
// the items sorted along a Hilbert curve of their centres form the leaves,
// and every packedFanout consecutive entries of a level get one parent
// entry on the next. Built from all items at once it costs a sort instead
// of one R-tree insertion per item, and searches touch compact arrays.
// Entries are numbered leaves first, root last.
//
// An item is a segment (two points; a box is the segment of its
// diagonal): a leaf keeps its two points exactly, so a search tests the
// item's own box and hands the points to the caller, who need not look
// them up again (for snapping, one cache miss less per segment). The
// boxes of internal entries only steer the descent: they are kept in
// float32, rounded outwards, half the bytes to read, and may let a search
// look at a few more leaves but never miss one.
type packedIndex struct {
	n      int       // number of items (leaf entries)
	leaf   []float64 // x0, y0, x1, y1 of every leaf
	box    []float32 // minX, minY, maxX, maxY of every internal entry, from entry n on
	ref    []int32   // leaf: the item; internal: its first child entry
	levels []int     // levels[l] is one past the last entry of level l
}

const packedFanout = 16

// buildPacked indexes n segments; ends(i) gives item i's two points.
// Items with a NaN coordinate are left out. It uses every core for the
// boxes and keys.
func buildPacked(n int, ends func(i int) (x0, y0, x1, y1 float64)) *packedIndex {
	x := &packedIndex{}
	if n == 0 {
		return x
	}
	pts := make([]float64, 4*n)
	parallelRanges(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			a, b, c, d := ends(i)
			pts[4*i], pts[4*i+1], pts[4*i+2], pts[4*i+3] = a, b, c, d
		}
	})
	all := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	keep := make([]int32, 0, n)
	for i := 0; i < n; i++ {
		b := pts[4*i : 4*i+4]
		if math.IsNaN(b[0]) || math.IsNaN(b[1]) || math.IsNaN(b[2]) || math.IsNaN(b[3]) {
			continue
		}
		keep = append(keep, int32(i))
		all[0], all[1] = math.Min(all[0], math.Min(b[0], b[2])), math.Min(all[1], math.Min(b[1], b[3]))
		all[2], all[3] = math.Max(all[2], math.Max(b[0], b[2])), math.Max(all[3], math.Max(b[1], b[3]))
	}
	n = len(keep)
	x.n = n
	if n == 0 {
		return x
	}
	// Hilbert keys of the box centres on a 2^16 grid over all boxes.
	keys := make([]uint32, n)
	w, h := all[2]-all[0], all[3]-all[1]
	parallelRanges(n, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			b := pts[4*keep[k]:]
			var hx, hy uint32
			if w > 0 {
				hx = uint32(math.Floor(65535 * ((b[0]+b[2])/2 - all[0]) / w))
			}
			if h > 0 {
				hy = uint32(math.Floor(65535 * ((b[1]+b[3])/2 - all[1]) / h))
			}
			keys[k] = hilbert16(hx, hy)
		}
	})
	radixSortByKey(keys, keep)

	// Levels: n leaves, then ceil(n/fanout) parents, … up to one root.
	total := n
	x.levels = append(x.levels, n)
	for m := n; m > 1; {
		m = (m + packedFanout - 1) / packedFanout
		total += m
		x.levels = append(x.levels, total)
	}
	x.leaf = make([]float64, 4*n)
	x.box = make([]float32, 4*(total-n))
	x.ref = make([]int32, total)
	for k, it := range keep {
		copy(x.leaf[4*k:4*k+4], pts[4*it:4*it+4])
		x.ref[k] = it
	}
	x.buildLevels()
	return x
}

// buildLevels gives every internal entry the box around its children.
func (x *packedIndex) buildLevels() {
	start := 0
	for l := 0; l+1 < len(x.levels); l++ {
		end := x.levels[l]
		p := end
		for c := start; c < end; c += packedFanout {
			cEnd := min(c+packedFanout, end)
			b := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
			for j := c; j < cEnd; j++ {
				lo, hi := x.entryBox(j)
				b[0], b[1] = math.Min(b[0], lo[0]), math.Min(b[1], lo[1])
				b[2], b[3] = math.Max(b[2], hi[0]), math.Max(b[3], hi[1])
			}
			q := x.box[4*(p-x.n):]
			q[0], q[1], q[2], q[3] = down32(b[0]), down32(b[1]), up32(b[2]), up32(b[3])
			x.ref[p] = int32(c)
			p++
		}
		start = end
	}
}

// entryBox returns the box of entry j: exact for a leaf, as stored for
// an internal entry.
func (x *packedIndex) entryBox(j int) (lo, hi [2]float64) {
	if j < x.n {
		s := x.leaf[4*j : 4*j+4]
		return [2]float64{math.Min(s[0], s[2]), math.Min(s[1], s[3])}, [2]float64{math.Max(s[0], s[2]), math.Max(s[1], s[3])}
	}
	q := x.box[4*(j-x.n) : 4*(j-x.n)+4]
	return [2]float64{float64(q[0]), float64(q[1])}, [2]float64{float64(q[2]), float64(q[3])}
}

// down32 and up32 round x to a float32 no greater, no less than x.
func down32(x float64) float32 {
	f := float32(x)
	if float64(f) > x {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return f
}

func up32(x float64) float32 {
	f := float32(x)
	if float64(f) < x {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}

// search calls visit with every item whose box meets [lo, hi] and its
// two points (in no particular order) until visit returns false.
func (x *packedIndex) search(lo, hi [2]float64, visit func(item int32, x0, y0, x1, y1 float64) bool) {
	if x.n == 0 {
		return
	}
	if x.n == 1 {
		x.searchLeaves(0, 1, lo, hi, visit)
		return
	}
	// Internal entries are tested in float32 against the query rounded
	// outwards: a pruned entry is surely apart from the query.
	l0, l1, h0, h1 := down32(lo[0]), down32(lo[1]), up32(hi[0]), up32(hi[1])
	var stackBuf [128]int32
	stack := append(stackBuf[:0], int32(len(x.ref)-1))
	for len(stack) > 0 {
		node := int(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		b := x.box[4*(node-x.n) : 4*(node-x.n)+4]
		if b[2] < l0 || b[3] < l1 || b[0] > h0 || b[1] > h1 {
			continue
		}
		c := int(x.ref[node])
		if c < x.n {
			if !x.searchLeaves(c, min(c+packedFanout, x.n), lo, hi, visit) {
				return
			}
			continue
		}
		cEnd := c + packedFanout
		for lv := 1; ; lv++ {
			if c < x.levels[lv] {
				cEnd = min(cEnd, x.levels[lv])
				break
			}
		}
		for j := c; j < cEnd; j++ {
			stack = append(stack, int32(j))
		}
	}
}

// searchLeaves visits the leaves c..cEnd whose box meets [lo, hi]; false
// when visit asked to stop.
func (x *packedIndex) searchLeaves(c, cEnd int, lo, hi [2]float64, visit func(item int32, x0, y0, x1, y1 float64) bool) bool {
	for j := c; j < cEnd; j++ {
		s := x.leaf[4*j : 4*j+4 : 4*j+4]
		x0, y0, x1, y1 := s[0], s[1], s[2], s[3]
		// The box of the two points misses [lo, hi] (no NaN is indexed).
		if x0 < lo[0] && x1 < lo[0] || y0 < lo[1] && y1 < lo[1] || x0 > hi[0] && x1 > hi[0] || y0 > hi[1] && y1 > hi[1] {
			continue
		}
		if !visit(x.ref[j], x0, y0, x1, y1) {
			return false
		}
	}
	return true
}

// hilbert16 maps (x, y) on a 2^16 × 2^16 grid to its index along a Hilbert
// curve (from "Fast Hilbert curve generation" by rawrunprotected, public
// domain, as used by Flatbush).
func hilbert16(x, y uint32) uint32 {
	a := x ^ y
	b := 0xFFFF ^ a
	c := 0xFFFF ^ (x | y)
	d := x & (y ^ 0xFFFF)

	A := a | (b >> 1)
	B := (a >> 1) ^ a
	C := ((c >> 1) ^ (b & (d >> 1))) ^ c
	D := ((a & (c >> 1)) ^ (d >> 1)) ^ d

	a, b, c, d = A, B, C, D
	A = (a & (a >> 2)) ^ (b & (b >> 2))
	B = (a & (b >> 2)) ^ (b & ((a ^ b) >> 2))
	C ^= (a & (c >> 2)) ^ (b & (d >> 2))
	D ^= (b & (c >> 2)) ^ ((a ^ b) & (d >> 2))

	a, b, c, d = A, B, C, D
	A = (a & (a >> 4)) ^ (b & (b >> 4))
	B = (a & (b >> 4)) ^ (b & ((a ^ b) >> 4))
	C ^= (a & (c >> 4)) ^ (b & (d >> 4))
	D ^= (b & (c >> 4)) ^ ((a ^ b) & (d >> 4))

	a, b, c, d = A, B, C, D
	C ^= (a & (c >> 8)) ^ (b & (d >> 8))
	D ^= (b & (c >> 8)) ^ ((a ^ b) & (d >> 8))

	a = C ^ (C >> 1)
	b = D ^ (D >> 1)

	i0 := x ^ y
	i1 := b | (0xFFFF ^ (i0 | a))

	return (interleave16(i1) << 1) | interleave16(i0)
}

func interleave16(x uint32) uint32 {
	x = (x | (x << 8)) & 0x00FF00FF
	x = (x | (x << 4)) & 0x0F0F0F0F
	x = (x | (x << 2)) & 0x33333333
	x = (x | (x << 1)) & 0x55555555
	return x
}

// radixSortByKey sorts keys ascending, moving vals along; equal keys keep
// their order (LSD radix sort, four 8-bit passes).
func radixSortByKey(keys []uint32, vals []int32) {
	n := len(keys)
	k2 := make([]uint32, n)
	v2 := make([]int32, n)
	for shift := 0; shift < 32; shift += 8 {
		var count [257]int
		for _, k := range keys {
			count[(k>>shift)&0xFF+1]++
		}
		if allSameByte(count[:]) {
			continue
		}
		for i := 1; i < 257; i++ {
			count[i] += count[i-1]
		}
		for i, k := range keys {
			b := (k >> shift) & 0xFF
			k2[count[b]], v2[count[b]] = k, vals[i]
			count[b]++
		}
		copy(keys, k2)
		copy(vals, v2)
	}
}

// allSameByte reports whether one bucket holds every key.
func allSameByte(count []int) bool {
	n := 0
	for _, c := range count {
		n += c
	}
	for _, c := range count {
		if c == n {
			return true
		}
	}
	return false
}

// parallelRanges calls f on consecutive ranges of [0, n) on every core and
// waits for them.
func parallelRanges(n int, f func(lo, hi int)) {
	w := runtime.GOMAXPROCS(0)
	if w < 2 || n < 1<<14 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + w - 1) / w
	for lo := 0; lo < n; lo += step {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			f(lo, hi)
		}(lo, min(lo+step, n))
	}
	wg.Wait()
}
