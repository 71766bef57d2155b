package planner

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
)

// The 90th percentile of distances was found by sorting every reachable
// point (slices.SortFunc, 0.15 s for each type of the 1M audit and most of
// the aggregation). It is the same figure found by selection when the
// order of points of equal distance cannot change it, and by the same
// sort when it might.
//
// Sorting by distance alone leaves points of equal distance in whatever
// order pdqsort makes, and the percentile adds up residents in that
// order. When every weight is a whole number and the total below 2^53,
// each running sum is exact whatever the order, so the percentile is the
// least distance whose points and all nearer ones hold the threshold —
// which selection finds without sorting. Other weights (a share of
// residents, fractions from floor areas) are sorted as before, and so are
// up to 12 points, which pdqsort sorts by insertion, keeping equal ones
// in their order, as insertionSort does.

// distStats returns the population-weighted mean and 90th percentile of
// the reachable distances of the points idx (NaN, NaN when none reach).
func distStats(dist, pop []float64, idx []int32) (mean, p90 float64) {
	mean, p90, _ = distStatsBuf(dist, pop, idx, nil)
	return mean, p90
}

// distPop is a reachable point's distance and residents.
type distPop struct{ d, p float64 }

// maxExactSum is 2^53: whole numbers up to it add up exactly in float64.
const maxExactSum = 1 << 53

// maxInsertion is pdqsort's (slices) limit for sorting by insertion.
const maxInsertion = 12

// distStatsBuf is distStats sorting in buf (grown as needed and returned
// for the next call): one buffer serves a worker's many small units.
func distStatsBuf(dist, pop []float64, idx []int32, buf []distPop) (mean, p90 float64, _ []distPop) {
	if cap(buf) < len(idx) {
		buf = make([]distPop, 0, len(idx))
	}
	v := buf[:0]
	var sum, w float64
	for _, i := range idx {
		x := dist[i]
		if math.IsNaN(x) || pop[i] <= 0 {
			continue
		}
		v = append(v, distPop{x, pop[i]})
		sum += x * pop[i]
		w += pop[i]
	}
	if w == 0 {
		return math.NaN(), math.NaN(), v
	}
	target := 0.9 * w
	if len(v) <= maxInsertion {
		insertionSort(v)
		return sum / w, percentileSorted(v, target, w), v
	}
	if w <= maxExactSum && wholeWeights(v) {
		return sum / w, percentileSelect(v, target-1e-9*w), v
	}
	// No NaN is left, so this orders exactly as cmp.Compare (the same
	// permutation, hence the same sums), with two float compares.
	slices.SortFunc(v, func(a, b distPop) int {
		if a.d < b.d {
			return -1
		}
		if a.d > b.d {
			return 1
		}
		return 0
	})
	return sum / w, percentileSorted(v, target, w), v
}

// wholeWeights reports whether every weight of v is a whole number and no
// distance is -0 (equal to 0 but printed differently: which of the two
// is the percentile would depend on the order of equal points).
func wholeWeights(v []distPop) bool {
	for _, x := range v {
		if float64(int64(x.p)) != x.p || x.d == 0 && math.Signbit(x.d) {
			return false
		}
	}
	return true
}

// percentileSorted is the distance at which the residents of v, sorted
// by distance, reach target (less a hair for rounding).
func percentileSorted(v []distPop, target, w float64) float64 {
	var acc float64
	for _, x := range v {
		acc += x.p
		if acc >= target-1e-9*w {
			return x.d
		}
	}
	return v[len(v)-1].d
}

// insertionSort sorts v by distance as slices' insertionSortCmpFunc does
// (equal distances keep their order).
func insertionSort(v []distPop) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j].d < v[j-1].d; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

// percentileSelect is the least distance of v whose points and all
// nearer ones hold at least thr residents: v is split three ways around
// a pivot distance, keeping the part where the running sum reaches thr
// (quickselect, linear time). The weights are whole, so every sum is
// exact in any order. After too many poor pivots the rest is sorted,
// which is just as exact.
func percentileSelect(v []distPop, thr float64) float64 {
	var before float64 // residents of the points nearer than all of v; < thr
	for budget := 2*bits.Len(uint(len(v))) + 8; len(v) > maxInsertion && budget > 0; budget-- {
		piv := medianOf3(v[0].d, v[len(v)/2].d, v[len(v)-1].d)
		lt, gt, sl, se := partition3(v, piv)
		switch {
		case before+sl >= thr:
			v = v[:lt]
		case before+sl+se >= thr:
			return piv
		default:
			before += sl + se
			v = v[gt:]
		}
	}
	slices.SortFunc(v, func(a, b distPop) int { return cmp.Compare(a.d, b.d) })
	acc := before
	for _, x := range v {
		acc += x.p
		if acc >= thr {
			return x.d
		}
	}
	return v[len(v)-1].d
}

// partition3 reorders v into the points nearer than piv (v[:lt]), at piv
// and farther (v[gt:]), with the residents of the first two parts.
func partition3(v []distPop, piv float64) (lt, gt int, sl, se float64) {
	i, gt := 0, len(v)
	for i < gt {
		switch d := v[i].d; {
		case d < piv:
			sl += v[i].p
			v[lt], v[i] = v[i], v[lt]
			lt++
			i++
		case d > piv:
			gt--
			v[i], v[gt] = v[gt], v[i]
		default:
			se += v[i].p
			i++
		}
	}
	return lt, gt, sl, se
}

func medianOf3(a, b, c float64) float64 {
	if a > b {
		a, b = b, a
	}
	if b > c {
		b = c
	}
	return max(a, b)
}
