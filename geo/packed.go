package geo

import (
	"math"
	"runtime"
	"sync"
)

// packedIndex is a static R-tree packed in one pass (the Flatbush layout):
// the items' boxes sorted along a Hilbert curve of their centres form the
// leaves, and every packedFanout consecutive entries of a level get one
// parent entry on the next. Built from all boxes at once it costs a sort
// instead of one R-tree insertion per item, and searches touch compact
// arrays. Entries are numbered leaves first, root last.
type packedIndex struct {
	n      int       // number of items (leaf entries)
	box    []float64 // minX, minY, maxX, maxY of every entry
	ref    []int32   // leaf: the item; internal: its first child entry
	levels []int     // levels[l] is one past the last entry of level l
}

const packedFanout = 16

// buildPacked indexes n boxes; boxOf(i) gives item i's box. Items whose box
// has a NaN are left out. It uses every core for the boxes and keys.
func buildPacked(n int, boxOf func(i int) (minX, minY, maxX, maxY float64)) *packedIndex {
	x := &packedIndex{}
	if n == 0 {
		return x
	}
	leafBox := make([]float64, 4*n)
	parallelRanges(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			a, b, c, d := boxOf(i)
			leafBox[4*i], leafBox[4*i+1], leafBox[4*i+2], leafBox[4*i+3] = a, b, c, d
		}
	})
	all := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	keep := make([]int32, 0, n)
	for i := 0; i < n; i++ {
		b := leafBox[4*i : 4*i+4]
		if math.IsNaN(b[0]) || math.IsNaN(b[1]) || math.IsNaN(b[2]) || math.IsNaN(b[3]) {
			continue
		}
		keep = append(keep, int32(i))
		all[0], all[1] = math.Min(all[0], b[0]), math.Min(all[1], b[1])
		all[2], all[3] = math.Max(all[2], b[2]), math.Max(all[3], b[3])
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
			b := leafBox[4*keep[k]:]
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
	x.box = make([]float64, 4*total)
	x.ref = make([]int32, total)
	for k, it := range keep {
		copy(x.box[4*k:4*k+4], leafBox[4*it:4*it+4])
		x.ref[k] = it
	}
	start := 0
	for l := 0; l+1 < len(x.levels); l++ {
		end := x.levels[l]
		p := end
		for c := start; c < end; c += packedFanout {
			cEnd := min(c+packedFanout, end)
			b := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
			for j := c; j < cEnd; j++ {
				b[0], b[1] = math.Min(b[0], x.box[4*j]), math.Min(b[1], x.box[4*j+1])
				b[2], b[3] = math.Max(b[2], x.box[4*j+2]), math.Max(b[3], x.box[4*j+3])
			}
			copy(x.box[4*p:4*p+4], b[:])
			x.ref[p] = int32(c)
			p++
		}
		start = end
	}
	return x
}

// search calls visit with every item whose box meets [lo, hi] (in no
// particular order) until visit returns false.
func (x *packedIndex) search(lo, hi [2]float64, visit func(item int32) bool) {
	if x.n == 0 {
		return
	}
	var stackBuf [64]int32
	stack := append(stackBuf[:0], int32(len(x.ref)-1))
	level := make([]int8, 0, 64) // level of each stacked entry's children
	level = append(level, int8(len(x.levels)-1))
	for len(stack) > 0 {
		node := int(stack[len(stack)-1])
		lv := int(level[len(level)-1])
		stack, level = stack[:len(stack)-1], level[:len(level)-1]
		b := x.box[4*node : 4*node+4]
		if b[2] < lo[0] || b[3] < lo[1] || b[0] > hi[0] || b[1] > hi[1] {
			continue
		}
		if lv == 0 {
			if !visit(x.ref[node]) {
				return
			}
			continue
		}
		c := int(x.ref[node])
		cEnd := min(c+packedFanout, x.levels[lv-1])
		for j := c; j < cEnd; j++ {
			stack = append(stack, int32(j))
			level = append(level, int8(lv-1))
		}
	}
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
