package planner

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

// sphereArea is orb's spherical polygon area rescaled from orb's radius
// (6 378 137 m) to geo.EarthRadius: an independent area measure.
func sphereArea(g orb.Geometry) float64 {
	r := geo.EarthRadius / orb.EarthRadius
	return orbgeo.Area(g) * r * r
}

// offset returns the lon/lat point dx metres east and dy metres north of c
// (local equirectangular approximation, fine for a few hundred metres).
func offset(c orb.Point, dx, dy float64) orb.Point {
	m := geo.EarthRadius * math.Pi / 180
	return orb.Point{c[0] + dx/(m*math.Cos(c[1]*math.Pi/180)), c[1] + dy/m}
}

// square returns the closed CCW lon/lat ring of the box [x0,x1]×[y0,y1] in
// degrees.
func square(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

func TestNewGrid(t *testing.T) {
	beijing := orb.Bound{Min: orb.Point{116.2, 39.8}, Max: orb.Point{116.5, 40.1}}
	tests := []struct {
		name    string
		size    float64
		area    orb.Bound
		anchor  orb.Point
		wantErr bool
	}{
		{"beijing", 250, beijing, orb.Point{116, 40}, false},
		{"smallest", 10, beijing, orb.Point{116, 40}, false},
		{"largest", 10000, beijing, orb.Point{116, 40}, false},
		{"south-west", 100, orb.Bound{Min: orb.Point{-43.6, -23.1}, Max: orb.Point{-43.1, -22.7}}, orb.Point{-43, -23}, false},
		{"too small", 9.9, beijing, orb.Point{}, true},
		{"too large", 10001, beijing, orb.Point{}, true},
		{"nan size", math.NaN(), beijing, orb.Point{}, true},
		{"nan area", 250, orb.Bound{Min: orb.Point{math.NaN(), 0}, Max: orb.Point{1, 1}}, orb.Point{}, true},
		{"projected area", 250, orb.Bound{Min: orb.Point{440000, 4420000}, Max: orb.Point{450000, 4430000}}, orb.Point{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := NewGrid(tc.size, tc.area)
			if tc.wantErr {
				if err == nil || !errors.Is(err, ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.Anchor != tc.anchor || g.Size != tc.size {
				t.Errorf("grid = %+v, want anchor %v size %v", g, tc.anchor, tc.size)
			}
		})
	}
}

func TestGridCellID(t *testing.T) {
	tests := []struct {
		g      Grid
		ix, iy int32
		want   string
	}{
		{Grid{250, orb.Point{116, 40}}, 12, -7, "250m_E116N40_12_-7"},
		{Grid{100, orb.Point{-43, -23}}, 0, 0, "100m_W43S23_0_0"},
		{Grid{12.5, orb.Point{0, 0}}, -1, 3, "12.5m_E0N0_-1_3"},
	}
	for _, tc := range tests {
		if got := tc.g.CellID(tc.ix, tc.iy); got != tc.want {
			t.Errorf("CellID(%d,%d) = %q, want %q", tc.ix, tc.iy, got, tc.want)
		}
	}
}

// TestGridCellNearAnchor checks cells by hand: near the anchor the
// projection is almost metric, so a point 130 m east and 260 m south lies
// in cell (0, -2) of a 250 m grid and 20 m cells give (6, -13).
func TestGridCellNearAnchor(t *testing.T) {
	a := orb.Point{116, 40}
	p := offset(a, 130, -260)
	for _, tc := range []struct {
		size   float64
		ix, iy int32
	}{{250, 0, -2}, {100, 1, -3}, {20, 6, -13}} {
		g := Grid{tc.size, a}
		if ix, iy := g.Cell(p); ix != tc.ix || iy != tc.iy {
			t.Errorf("size %v: Cell = (%d,%d), want (%d,%d)", tc.size, ix, iy, tc.ix, tc.iy)
		}
	}
	if ix, iy := (Grid{250, a}).Cell(orb.Point{math.NaN(), 40}); ix != math.MinInt32 || iy != math.MinInt32 {
		t.Errorf("NaN point: Cell = (%d,%d), want MinInt32", ix, iy)
	}
}

func TestGridSameAreaSameIDs(t *testing.T) {
	a, err := NewGrid(250, orb.Bound{Min: orb.Point{116.2, 39.8}, Max: orb.Point{116.5, 40.1}})
	if err != nil {
		t.Fatal(err)
	}
	// A slightly different extract of the same city.
	b, err := NewGrid(250, orb.Bound{Min: orb.Point{116.25, 39.85}, Max: orb.Point{116.45, 40.05}})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		p := orb.Point{116.25 + 0.2*r.Float64(), 39.85 + 0.2*r.Float64()}
		ax, ay := a.Cell(p)
		bx, by := b.Cell(p)
		if a.CellID(ax, ay) != b.CellID(bx, by) {
			t.Fatalf("%v: ids %s and %s differ", p, a.CellID(ax, ay), b.CellID(bx, by))
		}
	}
}

// TestGridCellPolygon checks that a point lies in the polygon of its cell
// (using orb's point-in-polygon as the independent test) and that every
// cell polygon is closed, counter-clockwise and of area size² within 0.5 %
// (orb's spherical area), near the anchor and 50 km away.
func TestGridCellPolygon(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, g := range []Grid{{250, orb.Point{116, 40}}, {10, orb.Point{25, 60}}, {10000, orb.Point{-70, -33}}} {
		spread := 0.6 // degrees
		for range 2000 {
			p := orb.Point{g.Anchor[0] + spread*(2*r.Float64()-1), g.Anchor[1] + spread*(2*r.Float64()-1)}
			ix, iy := g.Cell(p)
			poly := g.CellPolygon(ix, iy)
			if !planar.PolygonContains(poly, p) {
				t.Fatalf("grid %v: %v not in the polygon of its cell (%d,%d)", g, p, ix, iy)
			}
		}
		for _, p := range []orb.Point{g.Anchor, {g.Anchor[0] + 0.5, g.Anchor[1] - 0.4}} {
			ix, iy := g.Cell(p)
			poly := g.CellPolygon(ix, iy)
			ring := poly[0]
			if len(ring) != 17 || ring[0] != ring[len(ring)-1] {
				t.Errorf("ring has %d points, closed %v", len(ring), ring[0] == ring[len(ring)-1])
			}
			if ring.Orientation() != orb.CCW {
				t.Errorf("cell ring is not counter-clockwise")
			}
			want := g.Size * g.Size
			if got := sphereArea(poly); math.Abs(got-want) > 0.005*want {
				t.Errorf("grid %v cell (%d,%d): area %.1f m², want %.1f", g, ix, iy, got, want)
			}
		}
	}
}

func TestCellUnits(t *testing.T) {
	g := Grid{100, orb.Point{116, 40}}
	a := g.Anchor
	pts := []orb.Point{
		offset(a, 50, 50),   // cell (0,0)
		offset(a, 20, 70),   // cell (0,0)
		offset(a, 150, 50),  // cell (1,0)
		offset(a, -50, 50),  // cell (-1,0), no residents
		offset(a, 50, -50),  // cell (0,-1)
		offset(a, -50, 150), // cell (-1,1)
		{math.NaN(), 40},
	}
	pop := []float64{3, 0, 2, 0, 1, 5, 7}
	units, assign := CellUnits(g, pts, pop)
	wantIDs := []string{"100m_E116N40_0_-1", "100m_E116N40_0_0", "100m_E116N40_1_0", "100m_E116N40_-1_1"}
	if len(units) != len(wantIDs) {
		t.Fatalf("got %d units, want %d", len(units), len(wantIDs))
	}
	for i, u := range units {
		if u.ID != wantIDs[i] || u.Level != "cell" {
			t.Errorf("unit %d = %s/%s, want %s/cell", i, u.ID, u.Level, wantIDs[i])
		}
	}
	wantAssign := []int32{1, 1, 2, -1, 0, 3, -1}
	for i := range assign {
		if assign[i] != wantAssign[i] {
			t.Errorf("assign[%d] = %d, want %d", i, assign[i], wantAssign[i])
		}
	}
	// Every point lies in its unit's polygon, checked with orb.
	for i, u := range assign {
		if u >= 0 && !planar.PolygonContains(units[u].Geometry.(orb.Polygon), pts[i]) {
			t.Errorf("point %d not inside unit %s", i, units[u].ID)
		}
	}
	// pop == nil counts every point.
	units, _ = CellUnits(g, pts, nil)
	if len(units) != 5 {
		t.Errorf("pop nil: %d units, want 5", len(units))
	}
}

func TestCellUnitsMany(t *testing.T) {
	g := Grid{250, orb.Point{25, 60}}
	r := rand.New(rand.NewPCG(7, 8))
	pts := make([]orb.Point, 20000)
	pop := make([]float64, len(pts))
	for i := range pts {
		pts[i] = orb.Point{24.9 + 0.1*r.Float64(), 60.15 + 0.05*r.Float64()}
		pop[i] = float64(r.IntN(3))
	}
	units, assign := CellUnits(g, pts, pop)
	// Brute force: the cell of every point and the populated cells.
	populated := map[string]bool{}
	for i, p := range pts {
		if pop[i] > 0 {
			ix, iy := g.Cell(p)
			populated[g.CellID(ix, iy)] = true
		}
	}
	if len(units) != len(populated) {
		t.Fatalf("%d units, want %d", len(units), len(populated))
	}
	for i, p := range pts {
		ix, iy := g.Cell(p)
		id := g.CellID(ix, iy)
		if populated[id] != (assign[i] >= 0) || (assign[i] >= 0 && units[assign[i]].ID != id) {
			t.Fatalf("point %d: assigned %d, cell %s (populated %v)", i, assign[i], id, populated[id])
		}
	}
	for i := 1; i < len(units); i++ {
		ax, ay := cellIdx(t, units[i-1].ID)
		bx, by := cellIdx(t, units[i].ID)
		if ay > by || (ay == by && ax >= bx) {
			t.Fatalf("units %s, %s not sorted by iy then ix", units[i-1].ID, units[i].ID)
		}
	}
}

// cellIdx reads the indices at the end of a cell id.
func cellIdx(t *testing.T, id string) (ix, iy int32) {
	t.Helper()
	f := strings.Split(id, "_")
	x, err1 := strconv.Atoi(f[len(f)-2])
	y, err2 := strconv.Atoi(f[len(f)-1])
	if err1 != nil || err2 != nil {
		t.Fatalf("bad cell id %s", id)
	}
	return int32(x), int32(y)
}

func TestAssignUnits(t *testing.T) {
	a := Unit{ID: "A", Geometry: orb.Polygon{square(0, 0, 1, 1)}}
	b := Unit{ID: "B", Geometry: orb.Polygon{square(1, 0, 2, 1)}}
	// C overlaps the top half of A; it has a hole at [0.1,0.2]².
	c := Unit{ID: "C", Geometry: orb.Polygon{square(0, 0.5, 1, 1.5), square(0.1, 0.6, 0.2, 0.7)}}
	// D is a MultiPolygon of two far squares.
	d := Unit{ID: "D", Geometry: orb.MultiPolygon{{square(5, 5, 6, 6)}, {square(7, 7, 8, 8)}}}
	line := Unit{ID: "L", Geometry: orb.LineString{{3, 3}, {4, 4}}}
	tests := []struct {
		name     string
		units    []Unit
		pts      []orb.Point
		want     []int32
		overlaps int
	}{
		{"two adjacent squares and a point outside", []Unit{a, b},
			[]orb.Point{{0.5, 0.5}, {1.5, 0.5}, {2.5, 0.5}, {1, 0.5}, {1, 1}, {0, 0}},
			[]int32{0, 1, -1, 0, 0, 0}, 0},
		{"order decides a shared edge", []Unit{b, a},
			[]orb.Point{{1, 0.5}, {0.5, 0.5}},
			[]int32{0, 1}, 0},
		// Overlaps: (0.5,0.75) inside A and C; (0.5,0.5) inside A on C's
		// edge; (0.3,1) on A's edge inside C. (0.15,0.65) is in C's hole.
		{"overlap counted, first wins", []Unit{a, b, c},
			[]orb.Point{{0.5, 0.75}, {0.5, 0.25}, {0.5, 1.25}, {0.15, 0.65}, {0.5, 0.5}, {0.3, 1}},
			[]int32{0, 0, 2, 0, 0, 0}, 3},
		{"overlapping unit first", []Unit{c, a},
			[]orb.Point{{0.5, 0.75}, {0.5, 0.25}},
			[]int32{0, 1}, 1},
		{"multipolygon and non-polygon units", []Unit{line, d},
			[]orb.Point{{7.5, 7.5}, {5.5, 5.5}, {6.5, 6.5}, {3.5, 3.5}, {math.NaN(), 1}},
			[]int32{1, 1, -1, -1, -1}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, over := AssignUnits(tc.units, tc.pts)
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("point %v: unit %d, want %d", tc.pts[i], got[i], tc.want[i])
				}
			}
			if over != tc.overlaps {
				t.Errorf("overlaps = %d, want %d", over, tc.overlaps)
			}
		})
	}
}

// TestAssignUnitsBruteForce compares AssignUnits on real-shaped units
// (grid cells plus overlapping and holed polygons) with a brute-force
// scan using orb's point-in-polygon, in parallel (more than 1024 points).
func TestAssignUnitsBruteForce(t *testing.T) {
	g := Grid{300, orb.Point{7, 44}}
	var units []Unit
	for iy := int32(-5); iy < 5; iy++ {
		for ix := int32(-5); ix < 5; ix++ {
			units = append(units, Unit{ID: g.CellID(ix, iy), Geometry: g.CellPolygon(ix, iy)})
		}
	}
	// A big unit with a hole, overlapping many cells.
	outer := orb.Ring{offset(g.Anchor, -700, -700), offset(g.Anchor, 500, -650), offset(g.Anchor, 600, 400), offset(g.Anchor, -650, 500)}
	outer = append(outer, outer[0])
	hole := orb.Ring{offset(g.Anchor, -100, -100), offset(g.Anchor, -100, 100), offset(g.Anchor, 100, 100), offset(g.Anchor, 100, -100)}
	hole = append(hole, hole[0])
	units = append(units, Unit{ID: "big", Geometry: orb.Polygon{outer, hole}})
	r := rand.New(rand.NewPCG(9, 10))
	pts := make([]orb.Point, 8000)
	for i := range pts {
		pts[i] = offset(g.Anchor, 3400*(2*r.Float64()-1), 3400*(2*r.Float64()-1))
	}
	got, over := AssignUnits(units, pts)
	bounds := make([]orb.Bound, len(units))
	for u := range units {
		bounds[u] = units[u].Geometry.Bound()
	}
	wantOver := 0
	for i, p := range pts {
		want, n := int32(-1), 0
		for u := range units {
			if bounds[u].Contains(p) && planar.PolygonContains(units[u].Geometry.(orb.Polygon), p) {
				if want < 0 {
					want = int32(u)
				}
				n++
			}
		}
		if n > 1 {
			wantOver++
		}
		if got[i] != want {
			t.Fatalf("point %d %v: unit %d, want %d", i, p, got[i], want)
		}
	}
	if over != wantOver || over == 0 {
		t.Errorf("overlaps = %d, want %d (> 0)", over, wantOver)
	}
}

func TestValidateUnits(t *testing.T) {
	ok := orb.Polygon{square(0, 0, 1, 1)}
	tests := []struct {
		name  string
		units []Unit
		want  string // substring of the error; "" = valid
	}{
		{"valid", []Unit{{ID: "a", Geometry: ok}, {ID: "b", Geometry: orb.MultiPolygon{ok}}}, ""},
		{"line", []Unit{{ID: "a", Geometry: orb.LineString{{0, 0}, {1, 1}}}}, `unit 0 ("a") is a LineString — the units file must hold polygons`},
		{"point", []Unit{{ID: "a", Geometry: ok}, {ID: "p", Geometry: orb.Point{1, 1}}}, `unit 1 ("p") is a Point`},
		{"no geometry", []Unit{{ID: "a"}}, "has no geometry"},
		{"missing id", []Unit{{Name: "Grid 7", Geometry: ok}}, `unit 0 (name "Grid 7") has no id`},
		{"duplicate id", []Unit{{ID: "a", Geometry: ok}, {ID: "b", Geometry: ok}, {ID: "a", Geometry: ok}}, `unit 2 ("a") repeats the id of unit 0`},
		{"open ring", []Unit{{ID: "a", Geometry: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}}}, "ring 0 is not closed"},
		{"short ring", []Unit{{ID: "a", Geometry: orb.Polygon{{{0, 0}, {1, 0}, {0, 0}}}}}, "has 3 points"},
		{"projected", []Unit{{ID: "a", Geometry: orb.Polygon{square(440000, 4420000, 440100, 4420100)}}}, "invalid lon/lat"},
		{"empty polygon", []Unit{{ID: "a", Geometry: orb.Polygon{}}}, "has no rings"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateUnits("grids.geojson", tc.units)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "grids.geojson: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want ErrInvalid naming the file and containing %q", err, tc.want)
			}
		})
	}
	// Many problems: five listed and the rest counted.
	var many []Unit
	for range 8 {
		many = append(many, Unit{Geometry: ok})
	}
	if err := ValidateUnits("u.geojson", many); err == nil || !strings.Contains(err.Error(), "and 3 more") {
		t.Errorf("error %v, want five problems and 3 more", err)
	}
}

func BenchmarkAssignUnits(b *testing.B) {
	// 2,000 polygons (50 × 40 cells of 500 m, 17 vertices each) and
	// 1,000,000 points spread over them and a margin around them.
	g := Grid{500, orb.Point{116, 40}}
	var units []Unit
	for iy := int32(-20); iy < 20; iy++ {
		for ix := int32(-25); ix < 25; ix++ {
			units = append(units, Unit{ID: g.CellID(ix, iy), Geometry: g.CellPolygon(ix, iy)})
		}
	}
	r := rand.New(rand.NewPCG(1, 1))
	pts := make([]orb.Point, 1_000_000)
	for i := range pts {
		pts[i] = offset(g.Anchor, 13000*(2*r.Float64()-1), 10500*(2*r.Float64()-1))
	}
	b.ResetTimer()
	for b.Loop() {
		AssignUnits(units, pts)
	}
}

func BenchmarkCellUnits(b *testing.B) {
	g := Grid{250, orb.Point{116, 40}}
	r := rand.New(rand.NewPCG(2, 2))
	pts := make([]orb.Point, 1_000_000)
	pop := make([]float64, len(pts))
	for i := range pts {
		pts[i] = offset(g.Anchor, 15000*(2*r.Float64()-1), 15000*(2*r.Float64()-1))
		pop[i] = 1 + r.Float64()*10
	}
	b.ResetTimer()
	for b.Loop() {
		CellUnits(g, pts, pop)
	}
}
