package web

import (
	"math"
	"slices"
	"sync"
	"time"

	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// A bboxIndex is an R-tree over the lon/lat bounds of one collection's
// features, keyed by feature index. It answers which features a bbox
// query must test; the exact test (bboxFilter.match) then decides, as a
// full scan would. It is read-only once built and safe for concurrent
// use.
//
// Keys are float32, rounded outward (as tile38 does), so that a feature
// bound is never smaller in the index than it is: the index may offer a
// few more candidates than intersect, never fewer, at half the memory of
// float64 keys (about 1.7 M street edges on a 1,000,000-node city).
type bboxIndex struct {
	tree rtree.RTreeGN[float32, int32]
	// always are features whose bound has a NaN or infinite coordinate,
	// or one beyond float32: kept out of the tree (a NaN key would make
	// searches miss or match at random) and tested on every query, as
	// the scan tests them.
	always []int32
	n      int // features, indexed or not
}

// newBBoxIndex indexes features 0..n-1 by their bounds; bound reports
// false for a feature that no bbox can match (no geometry, or an empty
// one), which is left out.
func newBBoxIndex(n int, bound func(i int) (orb.Bound, bool)) *bboxIndex {
	x := &bboxIndex{n: n}
	for i := range n {
		b, ok := bound(i)
		if !ok {
			continue
		}
		lo, hi, finite := keyRect(b)
		if !finite {
			x.always = append(x.always, int32(i))
			continue
		}
		if b.IsEmpty() {
			continue // orb's Bound.Intersects, hence the scan, never matches it
		}
		x.tree.Insert(lo, hi, int32(i))
	}
	return x
}

// keyRect rounds b outward to float32; finite is false when a coordinate
// is NaN or infinite in float32.
func keyRect(b orb.Bound) (lo, hi [2]float32, finite bool) {
	for d := range 2 {
		lo[d], hi[d] = down32(b.Min[d]), up32(b.Max[d])
	}
	for _, v := range [4]float32{lo[0], lo[1], hi[0], hi[1]} {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return lo, hi, false
		}
	}
	return lo, hi, true
}

// down32 is the largest float32 ≤ v (NaN stays NaN).
func down32(v float64) float32 {
	f := float32(v)
	if float64(f) > v {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return f
}

// up32 is the smallest float32 ≥ v (NaN stays NaN).
func up32(v float64) float32 {
	f := float32(v)
	if float64(f) < v {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}

// candidates appends to dst the features whose bound may intersect one of
// f's boxes, in ascending index order, each once: the order of a full
// scan, so that paging is the same. f must not be nil.
func (x *bboxIndex) candidates(dst []int32, f bboxFilter) []int32 {
	start := len(dst)
	for _, b := range f {
		lo, hi, finite := keyRect(b)
		if !finite {
			// parseBBox only makes finite boxes; anything else is
			// searched as the whole plane rather than trusted to NaN.
			inf := float32(math.Inf(1))
			lo, hi = [2]float32{-inf, -inf}, [2]float32{inf, inf}
		}
		x.tree.Search(lo, hi, func(_, _ [2]float32, i int32) bool {
			dst = append(dst, i)
			return true
		})
	}
	dst = append(dst, x.always...)
	slices.Sort(dst[start:])
	return slices.Compact(dst)
}

// A lazyIndex is a bboxIndex built in the background from the moment the
// server starts; get waits for it when a query comes first.
type lazyIndex func() *bboxIndex

// startIndex starts building the index of a collection of n features in
// its own goroutine and logs how long it took.
func (s *Server) startIndex(coll string, n int, bound func(i int) (orb.Bound, bool)) lazyIndex {
	get := sync.OnceValue(func() *bboxIndex {
		t0 := time.Now()
		x := newBBoxIndex(n, bound)
		s.log.Info("spatial index built", "collection", coll, "features", n,
			"duration", time.Since(t0).Round(time.Millisecond))
		return x
	})
	go get()
	return get
}

// staticIndexes are the spatial indexes of the collections whose
// geometry never changes: units (cells or imported units), demand points
// and streets. Facility collections have none: edits add, move and remove
// facilities, and a scan of a few thousand points under the scenario's
// lock costs less than keeping an index in step with every edit and undo.
type staticIndexes struct {
	units, demand, streets lazyIndex
}

// startIndexes starts building the static collections' indexes in
// parallel, so that start-up does not wait for them. in's units, demand
// points and network are never modified by the scenario, so reading them
// outside its lock is safe.
func (s *Server) startIndexes(in planner.AuditInput) {
	units, pts, net := in.Units, in.Demand.Points, in.Net
	s.index.units = s.startIndex(s.cfg.UnitsKind, len(units), func(i int) (orb.Bound, bool) {
		g := units[i].Geometry
		if g == nil {
			return orb.Bound{}, false
		}
		return g.Bound(), true
	})
	s.index.demand = s.startIndex("demand", len(pts), func(i int) (orb.Bound, bool) {
		return pts[i].Bound(), true
	})
	s.index.streets = s.startIndex("streets", net.NumEdges(), func(i int) (orb.Bound, bool) {
		return net.EdgeGeometry(int32(i)).Bound(), true
	})
}

// indexOf returns the spatial index of collection c, waiting for it to be
// built, or nil when c has none (facilities, proposals).
func (s *Server) indexOf(c collection) *bboxIndex {
	var get lazyIndex
	switch c.kind {
	case kindUnits:
		get = s.index.units
	case kindDemand:
		get = s.index.demand
	case kindStreets:
		get = s.index.streets
	}
	if get == nil {
		return nil
	}
	return get()
}
