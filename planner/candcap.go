package planner

import (
	"fmt"
	"math"
)

// Limits on generated candidate sites (propose without --candidates): a
// tiny spacing on a city's streets would otherwise make tens of millions
// of candidates and exhaust memory (issue 16, item 7).
const (
	// MinSpacing is the least spacing of generated candidates, metres:
	// sites closer than a metre are the same site.
	MinSpacing = 1.0
	// MaxGeneratedCandidates is the most candidate sites generated along
	// the streets; more is refused, suggesting a larger spacing.
	MaxGeneratedCandidates = 200_000
)

// The limits in force (tests lower them). maxCandidateSamples bounds the
// points sampled along the streets before those near uncovered
// residents are kept (about 80 bytes each while candidates are made).
var (
	maxGenerated        = MaxGeneratedCandidates
	maxCandidateSamples = 10 * MaxGeneratedCandidates
)

// checkSpacing refuses a spacing below MinSpacing, and one that would
// sample more than maxCandidateSamples points along net's streets,
// before any is made.
func checkSpacing(in ProposeInput) error {
	if !(in.Spacing >= MinSpacing) || math.IsInf(in.Spacing, 0) {
		return fmt.Errorf("propose: %w: candidate spacing %v m is too small: generated candidates are at least %v m apart — give --spacing of at least %v (the default is %v)",
			ErrInvalid, in.Spacing, MinSpacing, MinSpacing, DefaultSpacing)
	}
	length := in.Net.TotalLength()
	if n := float64(in.Net.NumNodes()) + length/in.Spacing; n > float64(maxCandidateSamples) {
		return fmt.Errorf("propose: %w: --spacing %v m along %.0f km of streets would sample about %.0f candidate sites; lifecircle samples at most %d — give a larger --spacing (at least %v m), or your own --candidates",
			ErrInvalid, in.Spacing, length/1000, n, maxCandidateSamples, suggestSpacing(in.Spacing, n, float64(maxCandidateSamples)))
	}
	return nil
}

// checkGenerated refuses more than MaxGeneratedCandidates generated
// candidates.
func checkGenerated(in ProposeInput, n int) error {
	if n <= maxGenerated {
		return nil
	}
	return fmt.Errorf("%w: --spacing %v m generates %d candidate sites near uncovered residents; lifecircle uses at most %d — give a larger --spacing (at least %v m), or your own --candidates",
		ErrInvalid, in.Spacing, n, maxGenerated, suggestSpacing(in.Spacing, float64(n), float64(maxGenerated)))
}

// suggestSpacing is a round spacing that brings n samples at spacing
// under limit.
func suggestSpacing(spacing, n, limit float64) float64 {
	s := spacing * n / limit * 1.1
	p := math.Pow(10, math.Floor(math.Log10(s)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= s {
			return math.Max(MinSpacing, m*p)
		}
	}
	return math.Max(MinSpacing, 10*p)
}
