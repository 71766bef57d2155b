package geo

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

// TestPackedIndexMatchesScan checks the packed R-tree against a scan of
// every box: random segments (points, either diagonal of a box, clusters,
// duplicates, NaN ones left out) and random queries, for sizes around the
// fan-out's powers; each hit comes with its own two points.
func TestPackedIndexMatchesScan(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 2, 15, 16, 17, 255, 256, 257, 4097, 20000} {
		boxes := make([][4]float64, n)
		for i := range boxes {
			x, y := r.Float64()*100, r.Float64()*50
			if i%5 == 0 { // clusters and exact duplicates
				x, y = float64(i%7), float64(i%3)
			}
			w, h := r.Float64()*2, r.Float64()*2
			if i%11 == 0 {
				w, h = 0, 0
			}
			boxes[i] = [4]float64{x, y, x + w, y + h}
			if i%4 == 1 { // segments run either way
				boxes[i] = [4]float64{x + w, y, x, y + h}
			}
			if i%13 == 0 {
				boxes[i][2] = math.NaN()
			}
		}
		x := buildPacked(n, func(i int) (float64, float64, float64, float64) {
			b := boxes[i]
			return b[0], b[1], b[2], b[3]
		})
		for q := 0; q < 200; q++ {
			lo := [2]float64{r.Float64()*110 - 5, r.Float64()*60 - 5}
			hi := [2]float64{lo[0] + r.Float64()*r.Float64()*40, lo[1] + r.Float64()*r.Float64()*20}
			var got, want []int32
			x.search(lo, hi, func(i int32, x0, y0, x1, y1 float64) bool {
				if b := boxes[i]; x0 != b[0] || y0 != b[1] || x1 != b[2] || y1 != b[3] {
					t.Fatalf("item %d handed as %v %v %v %v, not %v", i, x0, y0, x1, y1, b)
				}
				got = append(got, i)
				return true
			})
			for i, b := range boxes {
				if slices.ContainsFunc(b[:], math.IsNaN) {
					continue
				}
				if !(max(b[0], b[2]) < lo[0] || max(b[1], b[3]) < lo[1] || min(b[0], b[2]) > hi[0] || min(b[1], b[3]) > hi[1]) {
					want = append(want, int32(i))
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d query %v–%v: %d hits, want %d", n, lo, hi, len(got), len(want))
			}
		}
		// Stopping early visits no more items.
		if n > 100 {
			count := 0
			x.search([2]float64{-10, -10}, [2]float64{200, 200}, func(int32, float64, float64, float64, float64) bool { count++; return count < 3 })
			if count != 3 {
				t.Errorf("n=%d: search went on after visit returned false (%d visits)", n, count)
			}
		}
	}
}

func TestRadixSortByKey(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	keys := make([]uint32, 5000)
	vals := make([]int32, len(keys))
	for i := range keys {
		keys[i] = r.Uint32() >> (r.IntN(4) * 8)
		if i%3 == 0 {
			keys[i] = 42
		}
		vals[i] = int32(i)
	}
	orig := slices.Clone(keys)
	radixSortByKey(keys, vals)
	for i := range keys {
		if keys[i] != orig[vals[i]] {
			t.Fatalf("value %d moved without its key", i)
		}
		if i > 0 && (keys[i] < keys[i-1] || keys[i] == keys[i-1] && vals[i] < vals[i-1]) {
			t.Fatalf("not sorted stably at %d", i)
		}
	}
}

// TestHilbertOrder: a permutation of every point, invalid points last,
// and neighbours along it near each other on a lattice.
func TestHilbertOrder(t *testing.T) {
	var pts []orb.Point
	for i := range 64 {
		for j := range 64 {
			pts = append(pts, orb.Point{116 + float64((i*37)%64)*1e-3, 39 + float64(j)*1e-3})
		}
	}
	pts = append(pts, orb.Point{math.NaN(), 1}, orb.Point{116, math.Inf(1)})
	order := HilbertOrder(pts)
	seen := make([]bool, len(pts))
	for _, i := range order {
		if seen[i] {
			t.Fatalf("point %d twice", i)
		}
		seen[i] = true
	}
	if len(order) != len(pts) || order[len(order)-2] != int32(len(pts)-2) || order[len(order)-1] != int32(len(pts)-1) {
		t.Fatalf("invalid points not last in their order: %v", order[len(order)-2:])
	}
	for k := 1; k < len(order)-2; k++ {
		a, b := pts[order[k-1]], pts[order[k]]
		if math.Abs(a[0]-b[0])+math.Abs(a[1]-b[1]) > 1.01e-3 {
			t.Fatalf("steps %d→%d jump from %v to %v", order[k-1], order[k], a, b)
		}
	}
}
