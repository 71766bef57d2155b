package planner

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

// rect returns a w × h metre rectangle (w east, h north) centred on c,
// as a closed counter-clockwise lon/lat ring.
func rect(c orb.Point, w, h float64) orb.Ring {
	return orb.Ring{offset(c, -w/2, -h/2), offset(c, w/2, -h/2), offset(c, w/2, h/2), offset(c, -w/2, h/2), offset(c, -w/2, -h/2)}
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

var helsinki = orb.Point{24.94, 60.17}

func TestDemandFromBuildings(t *testing.T) {
	c := helsinki
	landuse := orb.Polygon{rect(c, 400, 400)}
	outside := offset(c, 1000, 0)
	// L-shape: 20 × 10 m plus 10 × 10 m on top of its west half; area
	// 300 m², centroid (25/3, 25/3) m from its south-west corner.
	lshape := orb.Polygon{{c, offset(c, 20, 0), offset(c, 20, 10), offset(c, 10, 10), offset(c, 10, 20), offset(c, 0, 20), c}}
	tests := []struct {
		name     string
		b        Building
		o        BuildingOptions
		want     float64   // residents; 0 = not residential / skipped
		at       orb.Point // expected point (when want > 0)
		levelTag bool      // counted in WithLevels
	}{
		{"20x10 residential, 3 levels", Building{"a", orb.Polygon{rect(c, 20, 10)}, map[string]string{"building": "residential", "building:levels": "3"}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson}, 15, c, true},
		{"apartments default 5 levels", Building{"b", orb.Polygon{rect(c, 20, 10)}, map[string]string{"building": "apartments"}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson}, 25, c, false},
		{"house unreadable levels", Building{"c", orb.Polygon{rect(c, 20, 10)}, map[string]string{"building": "house", "building:levels": "abc"}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson}, 10, c, false},
		{"levels 3;4 takes 4", Building{"d", orb.Polygon{rect(c, 20, 10)}, map[string]string{"building": "terrace", "building:levels": "3;4"}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson}, 20, c, true},
		{"yes inside residential landuse", Building{"e", orb.Polygon{rect(c, 20, 10)}, map[string]string{"building": "yes"}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson, ResidentialAreas: []orb.Geometry{landuse}}, 15, c, false},
		{"yes outside residential landuse", Building{"f", orb.Polygon{rect(outside, 20, 10)}, map[string]string{"building": "yes"}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson, ResidentialAreas: []orb.Geometry{landuse}}, 0, c, false},
		{"yes without landuse", Building{"g", orb.Polygon{rect(c, 20, 10)}, map[string]string{"building": "yes"}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson}, 0, c, false},
		{"commercial", Building{"h", orb.Polygon{rect(c, 20, 10)}, map[string]string{"building": "commercial", "building:levels": "3"}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson}, 0, c, false},
		{"building=no", Building{"i", orb.Polygon{rect(c, 20, 10)}, map[string]string{"building": "no"}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson, ResidentialAreas: []orb.Geometry{landuse}}, 0, c, false},
		// 20 × 20 with a 10 × 10 hole: 300 m² × 1 level / 40 = 7.5.
		{"hole subtracted", Building{"j", orb.Polygon{rect(c, 20, 20), rect(c, 10, 10)}, map[string]string{"building": "residential", "building:levels": "1"}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson}, 7.5, c, true},
		// Same, hole wound the wrong way (clockwise outer, CCW hole).
		{"hole any winding", Building{"k", orb.Polygon{reversed(rect(c, 20, 20)), rect(c, 10, 10)}, map[string]string{"building": "residential", "building:levels": "1"}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson}, 7.5, c, true},
		// Two 10 × 10 parts 30 m apart, 2 levels: 400 / 40 = 10, centre between.
		{"multipolygon", Building{"l", orb.MultiPolygon{{rect(offset(c, -15, 0), 10, 10)}, {rect(offset(c, 15, 0), 10, 10)}}, map[string]string{"building": "detached", "building:levels": "2"}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson}, 10, c, true},
		{"L-shape centroid", Building{"m", lshape, map[string]string{"building": "residential", "building:levels": "2"}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson}, 15, offset(c, 25.0/3, 25.0/3), true},
		{"30 m² per person", Building{"n", orb.Polygon{rect(c, 20, 10)}, map[string]string{"building": "residential", "building:levels": "3"}}, BuildingOptions{FloorAreaPerPerson: 30}, 20, c, true},
		{"default levels override", Building{"o", orb.Polygon{rect(c, 20, 10)}, map[string]string{"building": "apartments"}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson, DefaultLevels: map[string]float64{"apartments": 10}}, 50, c, false},
		{"override leaves other defaults", Building{"p", orb.Polygon{rect(c, 20, 10)}, map[string]string{"building": "dormitory"}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson, DefaultLevels: map[string]float64{"apartments": 10}}, 25, c, false},
		{"other building in landuse uses yes default", Building{"q", orb.Polygon{rect(c, 20, 10)}, map[string]string{"building": "retail"}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson, ResidentialAreas: []orb.Geometry{landuse}, DefaultLevels: map[string]float64{"yes": 1}}, 5, c, false},
		{"node building skipped", Building{"r", c, map[string]string{"building": "house"}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson}, 0, c, false},
		{"zero area skipped", Building{"s", orb.Polygon{{c, c, c, c}}, map[string]string{"building": "house"}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson}, 0, c, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, st, err := DemandFromBuildings([]Building{tc.b}, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if d.Source != DemandBuildings || st.Buildings != 1 {
				t.Errorf("source %q, buildings %d", d.Source, st.Buildings)
			}
			if tc.want == 0 {
				if len(d.Points) != 0 || st.Residential != 0 {
					t.Fatalf("got %d points (%v), want none", len(d.Points), d.Pop)
				}
				return
			}
			if len(d.Points) != 1 || len(d.Pop) != 1 || len(d.IDs) != 1 || st.Residential != 1 {
				t.Fatalf("got %d points, want 1", len(d.Points))
			}
			// 1e-5: the L-shape's test geometry itself is off by 3e-6.
			if !near(d.Pop[0], tc.want, 1e-5*tc.want) {
				t.Errorf("population %.9f, want %v", d.Pop[0], tc.want)
			}
			fa := tc.o.FloorAreaPerPerson
			if !near(st.FloorArea, tc.want*fa, 1e-5*tc.want*fa) {
				t.Errorf("floor area %v, want %v", st.FloorArea, tc.want*fa)
			}
			if (st.WithLevels == 1) != tc.levelTag {
				t.Errorf("WithLevels = %d, want tagged %v", st.WithLevels, tc.levelTag)
			}
			if dist := geo.Haversine(d.Points[0], tc.at); dist > 0.01 {
				t.Errorf("point %v is %.3f m from the expected centroid", d.Points[0], dist)
			}
			if d.IDs[0] != tc.b.ID {
				t.Errorf("id %q, want %q", d.IDs[0], tc.b.ID)
			}
		})
	}
}

func reversed(r orb.Ring) orb.Ring {
	r = slices.Clone(r)
	slices.Reverse(r)
	return r
}

func TestDemandFromBuildingsErrors(t *testing.T) {
	good := Building{"a", orb.Polygon{rect(helsinki, 20, 10)}, map[string]string{"building": "house"}}
	bad := Building{"way/7", orb.Polygon{{{440000, 6670000}, {440020, 6670000}, {440020, 6670010}, {440000, 6670000}}}, map[string]string{"building": "house"}}
	tests := []struct {
		name string
		bs   []Building
		o    BuildingOptions
		want string
	}{
		{"projected coordinates", []Building{good, bad}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson}, `building 1 ("way/7")`},
		{"negative floor area", []Building{good}, BuildingOptions{FloorAreaPerPerson: -1}, "floor area per person"},
		{"no default floor area", []Building{good}, BuildingOptions{}, "floor area per person"},
		{"zero default levels", []Building{good}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson, DefaultLevels: map[string]float64{"house": 0}}, "building=house"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DemandFromBuildings(tc.bs, tc.o)
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalid containing %q", err, tc.want)
			}
		})
	}
	// Generated ids for buildings without one.
	d, _, err := DemandFromBuildings([]Building{good, {Geometry: good.Geometry, Tags: good.Tags}}, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson})
	if err != nil || len(d.IDs) != 2 || d.IDs[1] != "b1" {
		t.Fatalf("ids %v, err %v; want generated id b1", d.IDs, err)
	}
}

func TestDemandRescale(t *testing.T) {
	d := &Demand{Source: DemandBuildings, Points: make([]orb.Point, 2), Pop: []float64{15, 25}, IDs: []string{"a", "b"}}
	if got := d.Total(); got != 40 {
		t.Fatalf("Total = %v, want 40", got)
	}
	if err := d.Rescale(80); err != nil {
		t.Fatal(err)
	}
	if d.Pop[0] != 30 || d.Pop[1] != 50 || d.Total() != 80 {
		t.Errorf("after Rescale(80): %v", d.Pop)
	}
	for _, bad := range []float64{0, -5, math.NaN(), math.Inf(1)} {
		if err := d.Rescale(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Rescale(%v): err = %v, want ErrInvalid", bad, err)
		}
	}
	empty := &Demand{Source: DemandBuildings}
	if err := empty.Rescale(100); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "no residents") {
		t.Errorf("empty demand: err = %v", err)
	}
}

func TestParseLevels(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"5", 5, true},
		{"5.5", 5.5, true},
		{"3;4", 4, true},
		{"4; 3", 4, true},
		{" 6 ", 6, true},
		{"3,5", 3.5, true},
		{"abc", 0, false},
		{"", 0, false},
		{"0", 0, false},
		{"-2", 0, false},
		{"1000", 0, false},
		{"NaN", 0, false},
		{"Inf", 0, false},
		{"abc;2", 2, true},
	}
	for _, tc := range tests {
		got, ok := parseLevels(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseLevels(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseLevels(f *testing.F) {
	for _, s := range []string{"5", "5.5", "3;4", "abc", "", "3,5", "1e3", ";;", "-0", "0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseLevels(s)
		if ok != (v > 0) || v > maxLevels || math.IsNaN(v) {
			t.Fatalf("parseLevels(%q) = %v, %v", s, v, ok)
		}
	})
}

// line1km returns a straight 1 km line due north from c (along a meridian,
// so its great-circle length is exactly 1000 m up to rounding).
func line1km(c orb.Point) orb.LineString {
	return orb.LineString{c, {c[0], c[1] + 1000/(geo.EarthRadius*math.Pi/180)}}
}

func buildNet(t testing.TB, lines ...orb.LineString) *geo.Network {
	t.Helper()
	b := geo.NewNetworkBuilder(0)
	for _, l := range lines {
		if err := b.AddLine(l); err != nil {
			t.Fatal(err)
		}
	}
	n, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// sample is DemandFromNetwork that fails the test on an error.
func sample(t testing.TB, net *geo.Network, step float64) *Demand {
	t.Helper()
	d, err := DemandFromNetwork(net, step)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDemandFromNetwork(t *testing.T) {
	c := helsinki
	l := line1km(c)
	// Along a meridian a point's distance from c is R·Δlat.
	along := func(p orb.Point) float64 { return geo.Haversine(c, p) }
	t.Run("1 km line: 21 points, both ends", func(t *testing.T) {
		d := sample(t, buildNet(t, l), 50)
		if d.Source != DemandNetworkSample || len(d.Points) != 21 {
			t.Fatalf("source %q, %d points; want network sample, 21", d.Source, len(d.Points))
		}
		var ds []float64
		for i, p := range d.Points {
			ds = append(ds, along(p))
			if d.Pop[i] != 1 || d.IDs[i] != fmt.Sprintf("s%d", i) {
				t.Errorf("point %d: pop %v id %q", i, d.Pop[i], d.IDs[i])
			}
		}
		slices.Sort(ds)
		for i, x := range ds {
			if !near(x, 50*float64(i), 1e-6) {
				t.Errorf("point %d is %.6f m along, want %d", i, x, 50*i)
			}
		}
	})
	t.Run("no default step", func(t *testing.T) {
		for _, step := range []float64{0, -50, math.NaN(), math.Inf(1)} {
			if _, err := DemandFromNetwork(buildNet(t, l), step); !errors.Is(err, ErrInvalid) {
				t.Errorf("step %v: err = %v, want ErrInvalid", step, err)
			}
		}
	})
	t.Run("120 m line: 3 intervals of 40 m", func(t *testing.T) {
		short := orb.LineString{c, {c[0], c[1] + 120/(geo.EarthRadius*math.Pi/180)}}
		d := sample(t, buildNet(t, short), 50)
		var ds []float64
		for _, p := range d.Points {
			ds = append(ds, along(p))
		}
		slices.Sort(ds)
		if len(ds) != 4 || !near(ds[1], 40, 1e-6) || !near(ds[2], 80, 1e-6) {
			t.Errorf("distances %v, want 0 40 80 120", ds)
		}
	})
	t.Run("junction counted once", func(t *testing.T) {
		// Three 100 m arms from c: 4 nodes + 1 midpoint per arm.
		n := buildNet(t,
			orb.LineString{c, offset(c, 100, 0)},
			orb.LineString{c, offset(c, -100, 0)},
			orb.LineString{c, offset(c, 0, 100)})
		d := sample(t, n, 50)
		if len(d.Points) != 7 {
			t.Errorf("%d points, want 7", len(d.Points))
		}
		seen := map[orb.Point]bool{}
		for _, p := range d.Points {
			if seen[p] {
				t.Errorf("point %v repeated", p)
			}
			seen[p] = true
		}
	})
	t.Run("bent edge follows the geometry", func(t *testing.T) {
		// An L of 60 m east then 60 m north: 120 m → 3 intervals of 40 m;
		// the 80 m point is 20 m up the north leg.
		n := buildNet(t, orb.LineString{c, offset(c, 60, 0), offset(offset(c, 60, 0), 0, 60)})
		d := sample(t, n, 50)
		if len(d.Points) != 4 {
			t.Fatalf("%d points, want 4", len(d.Points))
		}
		want := offset(offset(c, 60, 0), 0, 20)
		found := false
		for _, p := range d.Points {
			found = found || geo.Haversine(p, want) < 0.01
		}
		if !found {
			t.Errorf("no point 20 m up the north leg: %v", d.Points)
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		n := buildNet(t, l, orb.LineString{c, offset(c, 300, 0)})
		a, b := sample(t, n, 25), sample(t, n, 25)
		if !slices.Equal(a.Points, b.Points) || !slices.Equal(a.IDs, b.IDs) {
			t.Error("two runs differ")
		}
	})
	t.Run("nil network", func(t *testing.T) {
		if d := sample(t, nil, 50); len(d.Points) != 0 || d.Source != DemandNetworkSample {
			t.Errorf("nil network gave %d points", len(d.Points))
		}
	})
}

func TestDemandFromPopulationPoints(t *testing.T) {
	c := helsinki
	fs := []PopFeature{
		{"p", c, 10, nil},
		{"m", orb.MultiPoint{offset(c, 10, 0), offset(c, 20, 0), offset(c, 30, 0)}, 9, nil},
		{"z", offset(c, 50, 0), 0, nil},
		{"", offset(c, 60, 0), 2, nil},
	}
	d, err := DemandFromPopulation(fs, nil, BuildingOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs := []string{"p", "m/0", "m/1", "m/2", "p3"}
	wantPop := []float64{10, 3, 3, 3, 2}
	if d.Source != DemandPopulationLayer || !slices.Equal(d.IDs, wantIDs) || !slices.Equal(d.Pop, wantPop) {
		t.Errorf("got %q ids %v pop %v; want ids %v pop %v", d.Source, d.IDs, d.Pop, wantIDs, wantPop)
	}
	if d.Points[2] != offset(c, 20, 0) || d.Total() != 21 {
		t.Errorf("points %v total %v", d.Points, d.Total())
	}
}

func TestDemandFromPopulationPolygons(t *testing.T) {
	c := helsinki
	area := orb.Polygon{rect(c, 200, 200)}
	a := Building{"A", orb.Polygon{rect(offset(c, -50, 0), 20, 10)}, map[string]string{"building": "residential", "building:levels": "3"}} // 600 m²
	b := Building{"B", orb.Polygon{rect(offset(c, 50, 0), 10, 10)}, map[string]string{"building": "house", "building:levels": "2"}}        // 200 m²
	shop := Building{"S", orb.Polygon{rect(offset(c, 0, 50), 10, 10)}, map[string]string{"building": "retail"}}
	far := Building{"F", orb.Polygon{rect(offset(c, 500, 0), 10, 10)}, map[string]string{"building": "house"}}
	buildings := []Building{shop, a, far, b}

	t.Run("spread over two buildings by floor area", func(t *testing.T) {
		d, err := DemandFromPopulation([]PopFeature{{"blk", area, 100, nil}}, buildings, BuildingOptions{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.IDs, []string{"blk/A", "blk/B"}) {
			t.Fatalf("ids %v, want blk/A blk/B", d.IDs)
		}
		if !near(d.Pop[0], 75, 1e-9) || !near(d.Pop[1], 25, 1e-9) {
			t.Errorf("pop %v, want 75 25", d.Pop)
		}
		if geo.Haversine(d.Points[0], offset(c, -50, 0)) > 0.01 {
			t.Errorf("A's point %v is not at its centroid", d.Points[0])
		}
	})

	t.Run("buildings in residential landuse count", func(t *testing.T) {
		yes := Building{"Y", orb.Polygon{rect(offset(c, 0, -50), 10, 10)}, map[string]string{"building": "yes"}}
		o := BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson, ResidentialAreas: []orb.Geometry{orb.Polygon{rect(offset(c, 0, -50), 30, 30)}}}
		d, err := DemandFromPopulation([]PopFeature{{"blk", area, 90, nil}}, []Building{yes, b}, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Y: 100 m² × 3 levels = 300; B: 200 → 54 and 36.
		if !slices.Equal(d.IDs, []string{"blk/Y", "blk/B"}) || !near(d.Pop[0], 54, 1e-9) || !near(d.Pop[1], 36, 1e-9) {
			t.Errorf("ids %v pop %v, want Y 54, B 36", d.IDs, d.Pop)
		}
	})

	t.Run("no buildings: network samples inside", func(t *testing.T) {
		net := buildNet(t, line1km(c))
		// A box over the first 225 m of the line holds samples at 0, 50,
		// 100, 150 and 200 m.
		box := orb.Polygon{{offset(c, -20, -20), offset(c, 20, -20), offset(c, 20, 225), offset(c, -20, 225), offset(c, -20, -20)}}
		d, err := DemandFromPopulation([]PopFeature{{"q", box, 50, nil}}, []Building{far}, BuildingOptions{}, net)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Points) != 5 {
			t.Fatalf("%d points (%v), want 5", len(d.Points), d.IDs)
		}
		for i, p := range d.Points {
			if d.Pop[i] != 10 || !strings.HasPrefix(d.IDs[i], "q/s") || !planar.PolygonContains(box, p) {
				t.Errorf("point %d: %v pop %v id %q", i, p, d.Pop[i], d.IDs[i])
			}
		}
	})

	t.Run("nothing inside: one interior point", func(t *testing.T) {
		// A U open to the north, 1 km north of the buildings: its centroid
		// lies in the notch, outside it.
		o := offset(c, 0, 1000)
		u := orb.Polygon{{offset(o, 0, 0), offset(o, 300, 0), offset(o, 300, 300), offset(o, 200, 300),
			offset(o, 200, 100), offset(o, 100, 100), offset(o, 100, 300), offset(o, 0, 300), offset(o, 0, 0)}}
		cen, _, _ := geo.Footprint(u)
		if planar.PolygonContains(u, cen) {
			t.Fatal("test polygon's centroid should lie outside it")
		}
		for _, g := range []orb.Geometry{u, orb.MultiPolygon{{rect(offset(c, 2000, 0), 5, 5)}, u}} {
			d, err := DemandFromPopulation([]PopFeature{{"u", g, 7, nil}}, buildings, BuildingOptions{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Points) != 1 || d.Pop[0] != 7 || d.IDs[0] != "u" || !planar.PolygonContains(u, d.Points[0]) {
				t.Errorf("%s: points %v pop %v; want one point inside the U", g.GeoJSONType(), d.Points, d.Pop)
			}
		}
	})
}

func TestDemandFromPopulationErrors(t *testing.T) {
	c := helsinki
	tests := []struct {
		name string
		f    PopFeature
		want string
	}{
		{"negative", PopFeature{"blk-9", c, -3, nil}, `feature 1 ("blk-9"): population -3 is negative`},
		{"NaN", PopFeature{"n", c, math.NaN(), nil}, `feature 1 ("n"): population NaN is not a number`},
		{"infinite", PopFeature{"n", c, math.Inf(1), nil}, "is not a number"},
		{"line", PopFeature{"road", orb.LineString{c, offset(c, 10, 0)}, 5, nil}, `feature 1 ("road") is a LineString — population features must be points or polygons`},
		{"no geometry", PopFeature{"x", nil, 5, nil}, `feature 1 ("x") has no geometry`},
		{"projected point", PopFeature{"pp", orb.Point{440000, 6670000}, 5, nil}, `feature 1 ("pp"): invalid lon/lat`},
		{"projected polygon", PopFeature{"pq", orb.Polygon{{{440000, 6670000}, {440020, 6670000}, {440020, 6670010}, {440000, 6670000}}}, 5, nil}, `feature 1 ("pq")`},
		{"empty multipoint", PopFeature{"e", orb.MultiPoint{}, 5, nil}, "empty MultiPoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := []PopFeature{{"ok", c, 1, nil}, tc.f}
			_, err := DemandFromPopulation(fs, nil, BuildingOptions{}, nil)
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalid containing %q", err, tc.want)
			}
		})
	}
}

// readBuildings reads an osmium-exported building layer; ids are
// "<@type>/<@id>" and every other property becomes a tag.
func readBuildings(t testing.TB, path string) []Building {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	bs := make([]Building, len(fc.Features))
	for i, f := range fc.Features {
		tags := map[string]string{}
		for k, v := range f.Properties {
			tags[k] = fmt.Sprint(v)
		}
		bs[i] = Building{ID: fmt.Sprintf("%v/%.0f", f.Properties["@type"], f.Properties["@id"]), Geometry: f.Geometry, Tags: tags}
	}
	return bs
}

// TestDemandFromBuildingsHelsinki runs the estimate on central Helsinki's
// 21 apartment buildings (18 tagged with building:levels). Each footprint
// area is cross-checked with orb's spherical area.
func TestDemandFromBuildingsHelsinki(t *testing.T) {
	bs := readBuildings(t, shareddata.Path(t, "helsinki", "layers", "buildings_residential.geojson"))
	d, st, err := DemandFromBuildings(bs, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson})
	if err != nil {
		t.Fatal(err)
	}
	total := d.Total()
	t.Logf("Helsinki: %d buildings, %d residential, %d with levels, floor area %.0f m², %.0f residents (%.0f per building)",
		st.Buildings, st.Residential, st.WithLevels, st.FloorArea, total, total/float64(st.Residential))
	if st.Buildings != 21 || st.Residential != 21 || st.WithLevels != 18 || len(d.Points) != 21 {
		t.Fatalf("stats %+v, %d points; want 21 residential, 18 with levels", st, len(d.Points))
	}
	// An inner-city apartment block of 4–7 floors houses tens to a few
	// hundred people; the 21 blocks together a few thousand.
	if per := total / 21; per < 20 || per > 1000 || math.Abs(total-st.FloorArea/40) > 1e-6*total {
		t.Errorf("total %.0f residents (%.0f per building) is implausible", total, per)
	}
	for i, b := range bs {
		_, area, _ := geo.Footprint(b.Geometry)
		if want := sphereArea(b.Geometry); !near(area, want, 1e-3*want) {
			t.Errorf("building %s: footprint %.2f m², orb says %.2f", b.ID, area, want)
		}
		if !planar.MultiPolygonContains(b.Geometry.(orb.MultiPolygon), d.Points[i]) {
			// Courtyard blocks may have their centroid in the courtyard;
			// it must still be within the building's bound.
			if !b.Geometry.Bound().Contains(d.Points[i]) {
				t.Errorf("building %s: point %v outside its bound", b.ID, d.Points[i])
			}
		}
	}
}

// TestDemandFromBuildingsHelsinkiAll checks the residential filter on all
// 446 Helsinki buildings: alone it keeps the 21 apartment blocks; with one
// residential-landuse polygon over the whole extract every building counts.
func TestDemandFromBuildingsHelsinkiAll(t *testing.T) {
	bs := readBuildings(t, shareddata.Path(t, "helsinki", "layers", "buildings_all.geojson"))
	d, st, err := DemandFromBuildings(bs, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson})
	if err != nil {
		t.Fatal(err)
	}
	if st.Buildings != 446 || st.Residential != 21 {
		t.Fatalf("stats %+v, want 446 buildings, 21 residential", st)
	}
	var b orb.Bound
	for i, x := range bs {
		if i == 0 {
			b = x.Geometry.Bound()
		}
		b = b.Union(x.Geometry.Bound())
	}
	all, st2, err := DemandFromBuildings(bs, BuildingOptions{FloorAreaPerPerson: DefaultFloorAreaPerPerson, ResidentialAreas: []orb.Geometry{b.ToPolygon()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Helsinki, all buildings inside residential landuse: %d residential, %.0f residents (apartments only: %.0f)",
		st2.Residential, all.Total(), d.Total())
	if st2.Residential != 446 || all.Total() <= d.Total() {
		t.Errorf("stats %+v, total %.0f; want every building residential", st2, all.Total())
	}
}
