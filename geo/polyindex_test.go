package geo

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

func TestPolyIndexLocate(t *testing.T) {
	x := NewPolyIndex(4)
	x.Add(0, orb.Polygon{square(0, 0, 1, 1)})
	x.Add(1, orb.MultiPolygon{{square(1, 0, 2, 1)}, {square(5, 5, 6, 6)}})
	x.Add(2, orb.Polygon{square(1.5, 0.5, 3, 3)})      // overlaps owner 1
	x.Add(3, orb.LineString{{0, 0}, {9, 9}})           // not a polygon: ignored
	x.Add(4, orb.Polygon{square(math.NaN(), 0, 1, 1)}) // NaN: ignored
	if x.Len() != 4 {
		t.Errorf("%d parts indexed, want 4", x.Len())
	}
	var q PolyQuery
	for _, tc := range []struct {
		p       orb.Point
		best    int32
		overlap bool
	}{
		{orb.Point{0.5, 0.5}, 0, false},
		{orb.Point{1, 0.5}, 0, false}, // shared edge: on both, no overlap
		{orb.Point{5.5, 5.5}, 1, false},
		{orb.Point{1.75, 0.75}, 1, true},
		{orb.Point{1.5, 0.75}, 1, true}, // inside 1, on the boundary of 2
		{orb.Point{2.5, 2.5}, 2, false},
		{orb.Point{8, 8}, -1, false},
		{orb.Point{math.NaN(), 0.5}, -1, false},
	} {
		best, overlap := q.Locate(&x, tc.p)
		if best != tc.best || overlap != tc.overlap {
			t.Errorf("%v: (%d, %v), want (%d, %v)", tc.p, best, overlap, tc.best, tc.overlap)
		}
	}
	hits := q.Collect(&x, orb.Point{1, 0.5})
	slices.SortFunc(hits, func(a, b PolyHit) int { return int(a.Owner - b.Owner) })
	if !slices.Equal(hits, []PolyHit{{0, OnBoundary}, {1, OnBoundary}}) {
		t.Errorf("hits on the shared edge %v", hits)
	}
}

// TestPointsInside compares with a brute-force scan.
func TestPointsInside(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pts := make([]orb.Point, 2000)
	var tree rtree.RTreeG[int32]
	for i := range pts {
		pts[i] = orb.Point{r.Float64() * 10, r.Float64() * 10}
		tree.Insert(pts[i], pts[i], int32(i))
	}
	shape := orb.Polygon{
		{{1, 1}, {9, 1}, {9, 9}, {5, 3}, {1, 9}, {1, 1}},
		{{2, 2}, {2, 3}, {3, 3}, {3, 2}, {2, 2}},
	}
	var x PolyIndex
	x.Add(0, shape)
	got := PointsInside(&tree, &x, shape.Bound(), func(k int32) orb.Point { return pts[k] }, nil)
	var want []int32
	for i, p := range pts {
		if PolygonLocate(shape, p) != Outside {
			want = append(want, int32(i))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%d points inside, brute force %d", len(got), len(want))
	}
	if len(want) < 500 {
		t.Errorf("only %d of 2000 random points inside: the test shape is wrong", len(want))
	}
}
