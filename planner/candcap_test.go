package planner

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestProposeCandidateLimits: a nonsensical spacing is refused, and
// spacings that would make too many candidates are refused with a
// larger spacing to use, before memory runs out (issue 16, item 7).
func TestProposeCandidateLimits(t *testing.T) {
	gen := func(spacing float64) error {
		in := fixedStreet(t, 1)
		in.Candidates, in.Spacing = nil, spacing
		_, err := Propose(context.Background(), in)
		return err
	}
	for _, s := range []float64{0.001, 0.5} {
		err := gen(s)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "too small") || !strings.Contains(err.Error(), "at least 1") {
			t.Errorf("spacing %v: %v", s, err)
		}
	}
	if err := gen(1); err != nil {
		t.Fatalf("spacing 1 m on a 1 km street: %v", err)
	}

	defer func(g, s int) { maxGenerated, maxCandidateSamples = g, s }(maxGenerated, maxCandidateSamples)
	maxGenerated = 100 // the street's uncovered stretch (x > 200 m) holds ~800 samples at 1 m
	err := gen(1)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "at most 100") || !strings.Contains(err.Error(), "give a larger --spacing (at least 10 m)") {
		t.Errorf("generated cap: %v", err)
	}
	if err := gen(10); err != nil {
		t.Errorf("the suggested spacing fails: %v", err)
	}
	maxCandidateSamples = 500 // 1 km at 1 m: ~1000 samples
	err = gen(1)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "samples at most 500") || !strings.Contains(err.Error(), "along 1 km of streets") {
		t.Errorf("sample cap: %v", err)
	}
}
