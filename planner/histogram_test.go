package planner

import (
	"math"
	"testing"
)

func TestHistogramBands(t *testing.T) {
	for _, tc := range []struct {
		threshold     float64
		width         float64
		within, total int
	}{
		{300, 100, 3, 5}, {500, 100, 5, 8}, {1000, 100, 10, 15}, {1200, 120, 10, 15}, {150, 75, 2, 3}, {0, 100, 0, 0},
	} {
		w, n, total := HistogramBands(tc.threshold)
		if math.Abs(w-tc.width) > 1e-9 || n != tc.within || total != tc.total {
			t.Errorf("HistogramBands(%v) = %v, %d, %d; want %v, %d, %d", tc.threshold, w, n, total, tc.width, tc.within, tc.total)
		}
	}
}

// TestHistogramOf counts a hand-made set: band edges belong to the band
// below, the threshold is decided as Covers decides it (to 0.1 m).
func TestHistogramOf(t *testing.T) {
	nan := math.NaN()
	dist := []float64{0, 100, 100.04, 100.06, 250, 300.04, 300.06, 449, 500, 500.1, 4000, nan}
	w := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	h := HistogramOf(dist, w, 300)
	want := []float64{1 + 2 + 3, 4, 5 + 6, 7, 8 + 9}
	if len(h.Bins) != len(want) {
		t.Fatalf("%d bins, want %d", len(h.Bins), len(want))
	}
	for k, b := range h.Bins {
		if b.Residents != want[k] {
			t.Errorf("bin %d (%v, %v]: %v residents, want %v", k, b.From, b.To, b.Residents, want[k])
		}
	}
	if h.Within != 1+2+3+4+5+6 || h.Beyond != 10+11 || h.Unreachable != 12 || h.Residents != 78 {
		t.Errorf("within %v beyond %v unreachable %v residents %v", h.Within, h.Beyond, h.Unreachable, h.Residents)
	}
	if h.Bins[2].To != 300 || h.ThresholdBins != 3 {
		t.Errorf("threshold edge %v, bands within %d", h.Bins[2].To, h.ThresholdBins)
	}
	var covered float64
	for i, d := range dist {
		if Covers(d, 300) {
			covered += w[i]
		}
	}
	if covered != h.Within {
		t.Errorf("within %v, Covers counts %v", h.Within, covered)
	}
}

// BenchmarkHistogramOf: one type's histogram over a million residents,
// as /api/charts/distances computes after every what-if edit.
func BenchmarkHistogramOf(b *testing.B) {
	const n = 1_000_000
	dist, w := make([]float64, n), make([]float64, n)
	for i := range dist {
		dist[i] = float64((i*7919)%2000) + 0.05*float64(i%3)
		if i%97 == 0 {
			dist[i] = math.NaN()
		}
		w[i] = 1 + float64(i%5)
	}
	b.ResetTimer()
	for b.Loop() {
		HistogramOf(dist, w, 500)
	}
}
