package geo

import (
	"math"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

// TestRemoveLabelKeepsReachedExact: after any sequence of AddSources and
// RemoveLabel, Reached holds each node with a finite distance exactly
// once. (RemoveLabel used to leave the nodes it reset in the list, and
// they were added again when reached again: a long what-if session of
// adds and undos grew the list, and the time of every remove, without
// bound.)
func TestRemoveLabelKeepsReachedExact(t *testing.T) {
	// A 6×6 grid of 100 m blocks.
	var lines []orb.LineString
	for i := 0; i <= 6; i++ {
		for j := 0; j < 6; j++ {
			lines = append(lines, orb.LineString{m(float64(j)*100, float64(i)*100), m(float64(j+1)*100, float64(i)*100)})
			lines = append(lines, orb.LineString{m(float64(i)*100, float64(j)*100), m(float64(i)*100, float64(j+1)*100)})
		}
	}
	n := build(t, lines...)
	s := n.NewSearcher()
	s.Run(nil, 250)
	fixed, ok := n.Snap(m(10, 10), 50)
	if !ok {
		t.Fatal("no snap")
	}
	s.AddSources([]Source{{fixed, 0}})
	check := func(step int) {
		t.Helper()
		got := slices.Clone(s.Reached())
		slices.Sort(got)
		var want []int32
		for v := int32(0); v < int32(n.NumNodes()); v++ {
			if d, _ := s.NodeDist(v); !math.IsInf(d, 1) {
				want = append(want, v)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("step %d: Reached has %d entries, %d nodes are reached", step, len(got), len(want))
		}
	}
	for step := 1; step <= 200; step++ {
		p, ok := n.Snap(m(float64(step%7)*90, float64(step%5)*120), 50)
		if !ok {
			t.Fatal("no snap")
		}
		s.AddSources([]Source{{p, int32(step)}})
		check(step)
		s.RemoveLabel(int32(step))
		check(step)
	}
}
