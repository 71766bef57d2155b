package planner

import "math"

// A DistanceBin is one band of walking distance, (From, To] metres (the
// first band includes 0), with the residents whose nearest facility is
// that far.
type DistanceBin struct {
	From      float64 `json:"from_m"`
	To        float64 `json:"to_m"`
	Residents float64 `json:"residents"`
}

// A DistanceHistogram counts one type's residents by walking distance to
// their nearest facility: equal bands up to at least 1.5 × the threshold,
// with the threshold on a band edge, then those farther (still reachable)
// and those who reach none. Residents are weighted as the type's coverage
// counts them (its resident group, if it names one), so the bands up to
// the threshold sum to its covered residents.
type DistanceHistogram struct {
	Threshold   float64       `json:"threshold_m"`
	BinWidth    float64       `json:"bin_m"`
	Bins        []DistanceBin `json:"bins"`
	Within      float64       `json:"within"`      // residents within the threshold: the first ThresholdBins bands
	Beyond      float64       `json:"beyond"`      // reachable, farther than the last band
	Unreachable float64       `json:"unreachable"` // no street within max snap, or no facility within the search bound
	Residents   float64       `json:"residents"`   // all of them
	// ThresholdBins is the number of bands within the threshold.
	ThresholdBins int `json:"threshold_bins"`
}

// HistogramBands returns the band width for a threshold and the number of
// bands within it and in all: bands of about 100 m, between 2 and 10 up
// to the threshold, continued to at least 1.5 × the threshold.
func HistogramBands(threshold float64) (width float64, within, total int) {
	if !(threshold > 0) || math.IsInf(threshold, 0) {
		return 100, 0, 0
	}
	within = int(math.Round(threshold / 100))
	within = max(2, min(10, within))
	width = threshold / float64(within)
	total = int(math.Ceil(1.5*float64(within) - 1e-9))
	return width, within, total
}

// Histogram returns the distance histogram of type ti of an audit.
func Histogram(in AuditInput, res *AuditResult, ti int) DistanceHistogram {
	w, _ := GroupWeights(in.Demand, in.Profile.Types[ti])
	return HistogramOf(res.Dist[ti], w, in.Profile.Types[ti].Threshold)
}

// HistogramOf counts the weights w of points at walking distances dist
// (NaN: unreachable) in bands for threshold. A distance is within the
// threshold exactly when Covers says so.
func HistogramOf(dist, w []float64, threshold float64) DistanceHistogram {
	width, within, total := HistogramBands(threshold)
	h := DistanceHistogram{Threshold: threshold, BinWidth: width, ThresholdBins: within, Bins: make([]DistanceBin, total)}
	for k := range h.Bins {
		h.Bins[k] = DistanceBin{From: float64(k) * width, To: float64(k+1) * width}
	}
	if within > 0 {
		h.Bins[within-1].To = threshold // exactly, whatever the rounding of within × width
	}
	for i, d := range dist {
		p := w[i]
		h.Residents += p
		if math.IsNaN(d) {
			h.Unreachable += p
			continue
		}
		r := math.Round(d*10) / 10 // the precision Covers decides at
		k := int(math.Ceil(r/width)) - 1
		if Covers(d, threshold) {
			k = max(0, min(within-1, k))
			h.Within += p
		} else {
			k = max(within, k)
		}
		if k >= total || k < 0 {
			h.Beyond += p
			continue
		}
		h.Bins[k].Residents += p
	}
	return h
}
