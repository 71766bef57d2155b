package data

import (
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// TestOverviewLevel: the report's maps show the finest level with at most
// reportMapMaxUnits units, else the coarsest.
func TestOverviewLevel(t *testing.T) {
	level := func(n int) planner.Level { return planner.Level{Units: make([]planner.Unit, n)} }
	for _, tc := range []struct {
		sizes []int
		want  int
	}{
		{[]int{1}, 0},
		{[]int{50000}, 0},                         // a grid: the only level
		{[]int{2, 6}, 1},                          // subdistrict ⊃ community
		{[]int{13, 86, reportMapMaxUnits}, 2},     // at the limit
		{[]int{13, 86, reportMapMaxUnits + 1}, 1}, // grids too many: communities
		{[]int{3000, 9000}, 0},                    // none legible: the coarsest
	} {
		h := &planner.Hierarchy{}
		for _, n := range tc.sizes {
			h.Levels = append(h.Levels, level(n))
		}
		if got := overviewLevel(h); got != tc.want {
			t.Errorf("levels of %v units: overview level %d, want %d", tc.sizes, got, tc.want)
		}
	}
}

// TestReportMapDrawsFinerOverCoarser: a coarse unit (drawn first) never
// covers the finer units inside it, whatever their colours.
func TestReportMapDrawsFinerOverCoarser(t *testing.T) {
	sq := func(x0, y0, d float64) orb.Polygon {
		return orb.Polygon{{{x0, y0}, {x0 + d, y0}, {x0 + d, y0 + d}, {x0, y0 + d}, {x0, y0}}}
	}
	units := []planner.Unit{
		{ID: "district", Geometry: sq(24.9, 60.1, 0.02)},
		{ID: "a", Geometry: sq(24.9, 60.1, 0.01)},
		{ID: "b", Geometry: sq(24.91, 60.11, 0.01)},
	}
	// The coarse unit's colour sorts after the fine ones': grouping by
	// colour alone would draw it on top.
	fill := []string{"#ffffbf", "#2c7bb6", "#d7191c"}
	proj := newMapProjection(units, nil)
	svg := string(proj.svg(units, fill, []int{0, 1, 1}, nil, "", nil, "map-main"))
	coarse := strings.Index(svg, `fill="#ffffbf"`)
	for _, c := range fill[1:] {
		if i := strings.Index(svg, `fill="`+c+`"`); i < 0 || i < coarse {
			t.Errorf("fine unit %s drawn at %d, before the coarse one at %d", c, i, coarse)
		}
	}
}
