package osm

import (
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

// checkMultiPolygon asserts closed rings, CCW outers, CW holes inside their
// outer and positive area; it returns the area in square metres.
func checkMultiPolygon(t *testing.T, name string, mp orb.MultiPolygon) float64 {
	t.Helper()
	if len(mp) == 0 {
		t.Fatalf("%s: empty multipolygon", name)
	}
	for i, poly := range mp {
		for j, ring := range poly {
			if !ring.Closed() {
				t.Fatalf("%s: polygon %d ring %d is not closed (%d points)", name, i, j, len(ring))
			}
			want := orb.CCW
			if j > 0 {
				want = orb.CW
				for _, p := range ring {
					if !planar.RingContains(poly[0], p) {
						t.Fatalf("%s: hole %d of polygon %d leaves its outer at %v", name, j, i, p)
					}
				}
			}
			if ring.Orientation() != want {
				t.Fatalf("%s: polygon %d ring %d orientation %v, want %v", name, i, j, ring.Orientation(), want)
			}
		}
		if a := orbgeo.Area(poly); !(a > 0) {
			t.Fatalf("%s: polygon %d area %v", name, i, a)
		}
	}
	return orbgeo.Area(mp)
}

// square returns a closed ring around (x, y) with half-side h, CCW or CW.
func square(x, y, h float64, ccw bool) []orb.Point {
	r := []orb.Point{{x - h, y - h}, {x + h, y - h}, {x + h, y + h}, {x - h, y + h}, {x - h, y - h}}
	if !ccw {
		orb.LineString(r).Reverse()
	}
	return r
}

func way(id int64, pts ...orb.Point) Way {
	ids := make([]int64, len(pts))
	for i := range ids {
		ids[i] = id*100 + int64(i)
	}
	return Way{ID: id, NodeIDs: ids, Coords: pts}
}

func TestPolygon(t *testing.T) {
	outer := square(10, 50, 1, false) // CW on input: must come out CCW
	// the outer ring split into three open ways, one of them reversed
	w1 := way(1, outer[0], outer[1])
	w2 := way(2, outer[3], outer[2], outer[1]) // reversed
	w3 := way(3, outer[3], outer[4])
	hole := way(4, square(10, 50, 0.2, true)...) // CCW on input: must come out CW
	second := way(5, square(20, 50, 1, true)...)
	holeElsewhere := way(6, square(30, 50, 0.1, true)...)
	x := &Extract{Ways: []Way{w1, w2, w3, hole, second, holeElsewhere, way(7, orb.Point{0, 0}, orb.Point{1, 1})}}
	m := func(ref int64, role string) Member { return Member{Type: "way", Ref: ref, Role: role} }
	rel := func(ms ...Member) Relation {
		return Relation{ID: 99, Tags: map[string]string{"name": "Test"}, Members: ms}
	}

	tests := []struct {
		name    string
		r       Relation
		polys   int
		holes   int
		area    float64 // in square degrees, planar
		wantErr string
	}{
		{"joined outer with hole", rel(m(1, "outer"), m(2, "outer"), m(3, "outer"), m(4, "inner")), 1, 1, 4 - 0.16, ""},
		{"empty role is outer; duplicate member once", rel(m(1, ""), m(2, ""), m(3, ""), m(3, "")), 1, 0, 4, ""},
		{"two outers, hole goes to the one containing it", rel(m(5, "outer"), m(1, "outer"), m(2, "outer"), m(3, "outer"), m(4, "inner")), 2, 1, 8 - 0.16, ""},
		{"other roles and node members ignored", rel(m(5, "outer"), m(7, "subarea"), Member{Type: "node", Ref: 1, Role: "label"}), 1, 0, 4, ""},
		{"open ring", rel(m(1, "outer"), m(2, "outer")), 0, 0, 0, "outer ring cannot be closed"},
		{"missing member", rel(m(5, "outer"), m(42, "outer")), 0, 0, 0, "member way 42 is not in the extract"},
		{"no outer", rel(m(4, "inner")), 0, 0, 0, "has no outer member ways"},
		{"hole outside", rel(m(5, "outer"), m(6, "inner")), 0, 0, 0, "lies in no outer ring"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mp, err := x.Polygon(tc.r)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), `relation 99 ("Test")`) {
					t.Fatalf("error %v, want %q naming the relation", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkMultiPolygon(t, tc.name, mp)
			holes := 0
			for _, p := range mp {
				holes += len(p) - 1
			}
			if len(mp) != tc.polys || holes != tc.holes {
				t.Errorf("%d polygons, %d holes; want %d, %d", len(mp), holes, tc.polys, tc.holes)
			}
			if a := planar.Area(mp); math.Abs(a-tc.area) > 1e-9 {
				t.Errorf("area %v, want %v", a, tc.area)
			}
		})
	}
	// the extract's ways are not modified
	if w2.Coords[0] != outer[3] || hole.Coords[1] != square(10, 50, 0.2, true)[1] {
		t.Error("Polygon modified the extract's coordinates")
	}
	// with the index Read builds, the answer is the same
	x.buildWayIndex()
	mp, err := x.Polygon(tests[0].r)
	if err != nil || len(mp) != 1 || len(mp[0]) != 2 {
		t.Errorf("indexed: %v, %v", mp, err)
	}
}

func TestWayPolygon(t *testing.T) {
	tests := []struct {
		name string
		w    Way
		ok   bool
	}{
		{"closed CW", way(1, square(0, 0, 1, false)...), true},
		{"closed CCW", way(2, square(0, 0, 1, true)...), true},
		{"open", way(3, orb.Point{0, 0}, orb.Point{1, 0}, orb.Point{1, 1}, orb.Point{0, 1}), false},
		{"three points closed", way(4, orb.Point{0, 0}, orb.Point{1, 0}, orb.Point{0, 0}), false},
		{"empty", Way{ID: 5}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := append([]orb.Point(nil), tc.w.Coords...)
			p, ok := WayPolygon(tc.w)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if len(p) != 1 || !p[0].Closed() || p[0].Orientation() != orb.CCW || math.Abs(planar.Area(p)-4) > 1e-12 {
				t.Errorf("polygon %v", p)
			}
			for i := range before {
				if tc.w.Coords[i] != before[i] {
					t.Fatal("WayPolygon modified the way")
				}
			}
		})
	}
}
