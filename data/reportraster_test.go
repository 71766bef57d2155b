package data

import (
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

func squareUnits(n int, side float64) []planner.Unit {
	var units []planner.Unit
	for i := range n {
		for j := range n {
			x, y := 116+float64(i)*side, 39.9+float64(j)*side
			units = append(units, planner.Unit{ID: "u", Geometry: orb.Polygon{{{x, y}, {x + side, y}, {x + side, y + side}, {x, y + side}, {x, y}}}})
		}
	}
	return units
}

// TestReportRasterUnits: a map of more units than reportVectorUnitsMax is
// an image of fixed size where each unit's centre shows that unit, holes
// stay empty, and later layers cover earlier ones.
func TestReportRasterUnits(t *testing.T) {
	units := squareUnits(150, 0.002)
	hole := orb.Polygon{
		{{115.99, 39.89}, {116.31, 39.89}, {116.31, 40.21}, {115.99, 40.21}, {115.99, 39.89}},
		{{116.1, 40.0}, {116.2, 40.0}, {116.2, 40.1}, {116.1, 40.1}, {116.1, 40.0}},
	}
	units = append([]planner.Unit{{ID: "under", Geometry: hole}}, units...)
	layer := make([]int, len(units))
	for u := 1; u < len(units); u++ {
		layer[u] = 1
	}
	m := newMapProjection(units, nil)
	r := m.raster(units, layer)
	at := func(p orb.Point) int32 {
		x, y := m.xy(p)
		px := reportRasterWidth / m.w
		return r.idx[int(y*px)*r.w+int(x*px)]
	}
	for u := 1; u < len(units); u++ {
		if got := at(units[u].Geometry.Bound().Center()); got != int32(u) {
			t.Fatalf("unit %d's centre shows unit %d", u, got)
		}
	}
	if got := at(orb.Point{116.0, 39.895}); got != 0 {
		t.Fatalf("the lower layer's ring shows unit %d, want 0", got)
	}
	m2 := newMapProjection(units[:1], nil)
	r2 := m2.raster(units[:1], layer[:1])
	x, y := m2.xy(orb.Point{116.15, 40.05})
	px := reportRasterWidth / m2.w
	if got := r2.idx[int(y*px)*r2.w+int(x*px)]; got != -1 {
		t.Fatalf("the hole shows unit %d, want none", got)
	}
	fill := make([]string, len(units))
	for u := range fill {
		fill[u] = shareClasses[u%len(shareClasses)].color
	}
	svg := string(m.svg(units, fill, layer, nil, "", nil, "map-main"))
	if !strings.Contains(svg, `<image href="data:image/png;base64,`) || strings.Contains(svg, "<path") {
		t.Fatalf("map of %d units is not drawn as an image", len(units))
	}
	if len(svg) > 2<<20 {
		t.Fatalf("map of %d units is %d bytes", len(units), len(svg))
	}
}

func BenchmarkReportRaster(b *testing.B) {
	units := squareUnits(320, 0.0025)
	layer := make([]int, len(units))
	fill := make([]string, len(units))
	for u := range fill {
		fill[u] = shareClasses[u%len(shareClasses)].color
	}
	b.ReportAllocs()
	for b.Loop() {
		m := newMapProjection(units, nil)
		for range 6 {
			_ = m.svg(units, fill, layer, nil, "", nil, "map-small")
		}
	}
}
