package planner

import "math"

// ReportStep is the precision of the walking distances the outputs
// report (demand.geojson's dist_T, the API): 0.1 m.
const ReportStep = 0.1

// coverSlack is how far beyond a threshold a searched distance may be
// and still round to it: searches that decide coverage are bounded by
// threshold + coverSlack.
const coverSlack = ReportStep / 2

// Covers reports whether a resident dist metres from the nearest
// facility (NaN = unreachable) is within threshold. It decides on the
// distance as reported, rounded to ReportStep, so that a point written
// with "300.0" next to a 300 m threshold is always counted as covered,
// even when the exact distance was a few centimetres more (issue 16,
// item 10). Every coverage decision (audit, units, what-if scenarios,
// proposals) goes through it.
func Covers(dist, threshold float64) bool {
	if math.IsNaN(dist) {
		return false
	}
	return math.Round(dist*10)/10 <= threshold
}

// coverBound is the search bound that finds every distance Covers
// accepts for threshold.
func coverBound(threshold float64) float64 { return threshold + coverSlack }

// plural returns one when n is 1, else many ("1 facility", "2 facilities").
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
