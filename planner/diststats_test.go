package planner

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// distStatsSorted is distStatsBuf as it was before selection: every
// reachable point sorted by distance (slices.SortFunc), the reference
// the figures must equal bit for bit.
func distStatsSorted(dist, pop []float64, idx []int32) (mean, p90 float64) {
	var v []distPop
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
		return math.NaN(), math.NaN()
	}
	slices.SortFunc(v, func(a, b distPop) int {
		if a.d < b.d {
			return -1
		}
		if a.d > b.d {
			return 1
		}
		return 0
	})
	target := 0.9 * w
	var acc float64
	p90 = v[len(v)-1].d
	for _, x := range v {
		acc += x.p
		if acc >= target-1e-9*w {
			p90 = x.d
			break
		}
	}
	return sum / w, p90
}

// sameFloat is equality of the bits (NaN equals NaN, -0 differs from 0).
func sameFloat(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

// checkDistStats compares distStats with the sort on one case.
func checkDistStats(t *testing.T, dist, pop []float64, idx []int32) {
	t.Helper()
	m, p := distStats(dist, pop, idx)
	wm, wp := distStatsSorted(dist, pop, idx)
	if !sameFloat(m, wm) || !sameFloat(p, wp) {
		t.Fatalf("%d points: mean %v, p90 %v; sorting gives %v, %v\ndist %v\npop %v\nidx %v", len(idx), m, p, wm, wp, dist, pop, idx)
	}
}

// TestDistStatsMatchesSort: the same mean and 90th percentile, bit for
// bit, as sorting every point, for whole and fractional weights, many
// equal distances, unreachable points, empty points, -0, a million
// points and sizes around the insertion limit.
func TestDistStatsMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	sizes := []int{0, 1, 2, 5, 11, 12, 13, 14, 20, 50, 100, 1000, 20000}
	for trial := range 3000 {
		n := sizes[trial%len(sizes)]
		if n > 1000 && trial%7 != 0 {
			n = 1 + r.IntN(300)
		}
		dist, pop, idx := randomDistPop(r, n, trial)
		checkDistStats(t, dist, pop, idx)
	}
	dist, pop, idx := randomDistPop(r, 1000000, 0)
	checkDistStats(t, dist, pop, idx)
	dist, pop, idx = randomDistPop(r, 1000000, 3)
	checkDistStats(t, dist, pop, idx)
	// Sorted, reversed and constant distances: poor pivots for selection.
	for _, shape := range []func(i int) float64{
		func(i int) float64 { return float64(i) },
		func(i int) float64 { return float64(-i) },
		func(i int) float64 { return 7 },
		func(i int) float64 { return float64(i % 2) },
	} {
		dist, pop, idx := make([]float64, 5000), make([]float64, 5000), make([]int32, 5000)
		for i := range dist {
			dist[i], pop[i], idx[i] = shape(i), float64(1+i%3), int32(i)
		}
		checkDistStats(t, dist, pop, idx)
	}
}

// randomDistPop makes n points in one of several kinds (by kind % 6):
// whole or fractional weights, few or many distinct distances, some
// unreachable (NaN) or empty, some -0 distances; idx is a shuffled subset.
func randomDistPop(r *rand.Rand, n, kind int) (dist, pop []float64, idx []int32) {
	dist, pop = make([]float64, n), make([]float64, n)
	for i := range n {
		switch kind % 6 {
		case 0, 3:
			dist[i] = math.Round(r.ExpFloat64()*8000) / 10
		case 1:
			dist[i] = float64(r.IntN(5) * 100)
		case 2:
			dist[i] = r.Float64() * 1000
		case 4:
			dist[i] = float64(r.IntN(3)) // ties and zeros
			if r.IntN(4) == 0 {
				dist[i] = math.Copysign(0, -1)
			}
		default:
			dist[i] = float64(r.IntN(40))
		}
		switch {
		case r.IntN(20) == 0:
			dist[i] = math.NaN()
		case r.IntN(30) == 0:
			pop[i] = 0
		case kind%6 == 2 || kind%6 == 5 && r.IntN(2) == 0:
			pop[i] = r.Float64() * 30 // a fraction of residents
		case kind%6 == 3:
			pop[i] = float64(r.IntN(3) + 1e15) // large whole numbers
		default:
			pop[i] = float64(1 + r.IntN(60))
		}
	}
	idx = make([]int32, 0, n)
	for i := range n {
		if r.IntN(10) != 0 {
			idx = append(idx, int32(i))
		}
	}
	r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	return dist, pop, idx
}

// FuzzDistStatsMatchesSort compares distStats with the sort on points
// made from fuzzed bytes: a distance and a weight per 3 bytes.
func FuzzDistStatsMatchesSort(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40}, false)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, true)
	f.Fuzz(func(t *testing.T, b []byte, frac bool) {
		n := len(b) / 3
		dist, pop, idx := make([]float64, n), make([]float64, n), make([]int32, n)
		for i := range n {
			dist[i] = float64(b[3*i]) * 10
			if b[3*i] == 255 {
				dist[i] = math.NaN()
			} else if b[3*i] == 254 {
				dist[i] = math.Copysign(0, -1)
			}
			pop[i] = float64(int(b[3*i+1])<<8|int(b[3*i+2])) - 1000
			if frac {
				pop[i] /= 7
			}
			idx[i] = int32(n - 1 - i)
		}
		checkDistStats(t, dist, pop, idx)
	})
}

// BenchmarkDistStatsUnits is the units' statistics: 100,000 units of 10
// points each (the 1M audit's cells), one buffer for all.
func BenchmarkDistStatsUnits(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	dist, pop, idx := randomDistPop(r, 1000000, 0)
	b.ResetTimer()
	for b.Loop() {
		var buf []distPop
		for lo := 0; lo+10 <= len(idx); lo += 10 {
			_, _, buf = distStatsBuf(dist, pop, idx[lo:lo+10], buf)
		}
	}
}
