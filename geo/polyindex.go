package geo

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// A PolyIndex finds the polygons containing a point: an R-tree over the
// bounds of every polygon part, each labelled with its owner (a caller's
// index, such as a unit or a residential area). Coordinates are [lon, lat]
// as given; containment is PolygonLocate's. The zero value is an empty
// index ready to use.
type PolyIndex struct {
	tree  rtree.RTreeG[int32] // part index by bound
	parts []polyPart
}

type polyPart struct {
	owner int32
	poly  orb.Polygon
}

// NewPolyIndex returns an empty index with room for sizeHint parts.
func NewPolyIndex(sizeHint int) PolyIndex {
	return PolyIndex{parts: make([]polyPart, 0, sizeHint)}
}

// Add indexes the Polygon or MultiPolygon g under owner; other geometries,
// parts without an outer ring of 3 points and parts with NaN coordinates
// (whose bound would make the R-tree match everything) are ignored.
func (x *PolyIndex) Add(owner int32, g orb.Geometry) {
	var polys []orb.Polygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = []orb.Polygon{g}
	case orb.MultiPolygon:
		polys = g
	default:
		return
	}
	for _, p := range polys {
		if len(p) == 0 || len(p[0]) < 3 {
			continue
		}
		b := p[0].Bound()
		if math.IsNaN(b.Min[0]) || math.IsNaN(b.Min[1]) || math.IsNaN(b.Max[0]) || math.IsNaN(b.Max[1]) {
			continue
		}
		x.tree.Insert(b.Min, b.Max, int32(len(x.parts)))
		x.parts = append(x.parts, polyPart{owner: owner, poly: p})
	}
}

// Len returns the number of polygon parts indexed.
func (x *PolyIndex) Len() int { return len(x.parts) }

// A PolyQuery holds one goroutine's scratch space for PolyIndex lookups;
// the zero value is ready to use. A PolyIndex may be shared by many
// queries once it is built.
type PolyQuery struct {
	hits []PolyHit
	p    orb.Point
	idx  *PolyIndex
	fn   func(min, max [2]float64, k int32) bool
}

// A PolyHit is one owner containing a point, and where the point lies: on
// the boundary or strictly inside (the best over the owner's parts).
type PolyHit struct {
	Owner int32
	Where Location
}

// Locate returns the smallest owner whose polygons contain p (-1 if none)
// and whether p lies inside more than one owner: strictly inside two, or
// strictly inside one and on the boundary of another. Sharing only
// boundaries is not an overlap.
func (q *PolyQuery) Locate(x *PolyIndex, p orb.Point) (best int32, overlap bool) {
	q.Collect(x, p)
	best = -1
	inside, on := 0, 0
	for _, h := range q.hits {
		if best < 0 || h.Owner < best {
			best = h.Owner
		}
		if h.Where == Inside {
			inside++
		} else {
			on++
		}
	}
	return best, inside >= 2 || (inside >= 1 && on >= 1)
}

// Collect returns one hit per owner containing p (inside or on the
// boundary), in no particular order; a NaN point is in nothing. The slice is
// q's scratch space, valid until q's next call.
func (q *PolyQuery) Collect(x *PolyIndex, p orb.Point) []PolyHit {
	if q.fn == nil {
		q.fn = func(_, _ [2]float64, k int32) bool {
			part := &q.idx.parts[k]
			w := PolygonLocate(part.poly, q.p)
			if w == Outside {
				return true
			}
			for j := range q.hits {
				if q.hits[j].Owner == part.owner {
					q.hits[j].Where = max(q.hits[j].Where, w)
					return true
				}
			}
			q.hits = append(q.hits, PolyHit{Owner: part.owner, Where: w})
			return true
		}
	}
	q.hits = q.hits[:0]
	if math.IsNaN(p[0]) || math.IsNaN(p[1]) {
		return q.hits
	}
	q.p, q.idx = p, x
	x.tree.Search(p, p, q.fn)
	return q.hits
}

// PointsInside appends to out, in ascending index order, the indices of the
// points of tree (an R-tree of points keyed by index, at(k) giving point k)
// that lie within the bound b and inside or on some polygon of shape.
func PointsInside(tree *rtree.RTreeG[int32], shape *PolyIndex, b orb.Bound, at func(int32) orb.Point, out []int32) []int32 {
	var q PolyQuery
	tree.Search(b.Min, b.Max, func(_, _ [2]float64, k int32) bool {
		if len(q.Collect(shape, at(k))) > 0 {
			out = append(out, k)
		}
		return true
	})
	slices.Sort(out)
	return out
}
