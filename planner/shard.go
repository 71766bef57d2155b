package planner

import (
	"context"
	"fmt"
	"math"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// PointResults are what an audit's snapping and searches give per demand
// point and per facility, before any figure is computed: what a shard of a
// sharded audit returns for the points its core owns, and what AuditMerged
// turns into an AuditResult once every shard's part is in place.
type PointResults struct {
	// Pos and Snapped are each point's place on the network (Pos.Edge is
	// an edge of the network the figures are computed with).
	Pos     []geo.Position
	Snapped []bool
	// Dist and Nearest are as in AuditResult, indexed [type][point];
	// Nearest holds indices into the facilities of the audit's input.
	Dist    [][]float64
	Nearest [][]int32
	// FacSnapped[f] is true when a boundary sample of facility f (of those
	// the searches' owner accepted) lies within MaxSnap of a street.
	FacSnapped []bool
	// Reached counts the network nodes the searches reached, summed over
	// the types: the work of the searches.
	Reached int64
}

func (g *PointResults) check(np, nt, nf int) error {
	ok := len(g.Pos) == np && len(g.Snapped) == np && len(g.Dist) == nt && len(g.Nearest) == nt && len(g.FacSnapped) == nf
	for t := 0; ok && t < nt; t++ {
		ok = len(g.Dist[t]) == np && len(g.Nearest[t]) == np
	}
	if !ok {
		return fmt.Errorf("audit: %w: merged point results do not match the audit's %d points, %d types and %d facilities", ErrInvalid, np, nt, nf)
	}
	return nil
}

// NewPointResults returns results for np points, nt types and nf
// facilities, with every point unsnapped and unreached and every facility
// unsnapped: what a merge starts from.
func NewPointResults(np, nt, nf int) *PointResults {
	g := &PointResults{Pos: make([]geo.Position, np), Snapped: make([]bool, np),
		Dist: make([][]float64, nt), Nearest: make([][]int32, nt), FacSnapped: make([]bool, nf)}
	for t := range g.Dist {
		g.Dist[t] = make([]float64, np)
		g.Nearest[t] = make([]int32, np)
		for i := range g.Dist[t] {
			g.Dist[t][i] = math.NaN()
			g.Nearest[t][i] = -1
		}
	}
	return g
}

// SearchPoints snaps in.Demand's points and runs each type's bounded
// search from in.Facilities, exactly as Audit does, and returns the
// per-point results without any figure. FacSnapped is set from the
// facilities' boundary samples that own accepts (a shard passes "lies in
// my core", so that each sample is judged once, where every street within
// MaxSnap of it is known); own nil accepts every sample. Units, Assign,
// Hierarchy and Rules of in are not used.
func SearchPoints(ctx context.Context, in AuditInput, own func(orb.Point) bool) (*PointResults, error) {
	if in.Profile == nil || in.Net == nil || in.Demand == nil {
		return nil, fmt.Errorf("audit: %w: a profile, a walk network and demand are required", ErrInvalid)
	}
	types := in.Profile.Types
	typeIdx := map[string]int{}
	for i, t := range types {
		typeIdx[t.ID] = i
	}
	byType := make([][]int, len(types))
	for i, f := range in.Facilities {
		ti, ok := typeIdx[f.Type]
		if !ok {
			return nil, fmt.Errorf("audit: %w: facility %s has type %q, which profile %q does not define", ErrInvalid, f.ID, f.Type, in.Profile.ID)
		}
		byType[ti] = append(byType[ti], i)
	}
	g := &PointResults{Dist: make([][]float64, len(types)), Nearest: make([][]int32, len(types)), FacSnapped: make([]bool, len(in.Facilities))}
	g.Pos, g.Snapped = SnapAll(in.Net, in.Demand.Points, in.MaxSnap)
	lk := newLookups(g.Pos, g.Snapped, nil)
	for ti := range types {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(in.Demand.Points) == 0 {
			g.Dist[ti], g.Nearest[ti] = []float64{}, []int32{}
			continue
		}
		s, dist, near, _ := searchType(ctx, in, byType[ti], lk, in.MaxSnap, in.MaxDistance, true)
		g.Dist[ti], g.Nearest[ti] = dist, near
		g.Reached += int64(s.NumReached())
	}
	parallelRange(len(in.Facilities), func(lo, hi int) {
		for f := lo; f < hi; f++ {
			for _, p := range geo.SamplePoints(in.Facilities[f].Geometry, geo.DefaultSampleStep) {
				if own != nil && !own(p) {
					continue
				}
				if _, ok := in.Net.Snap(p, in.MaxSnap); ok {
					g.FacSnapped[f] = true
					break
				}
			}
		}
	})
	return g, nil
}

// AuditMerged is Audit with the snapping and searches already done (by
// the shards of a sharded audit, merged into one PointResults in the
// audit's point and facility order): it computes the same figures, in the
// same order, as Audit on in, so the two results are identical. in.Net is
// still read for the street pieces cut off from the main network.
func AuditMerged(ctx context.Context, in AuditInput, pts *PointResults) (*AuditResult, error) {
	if pts == nil {
		return nil, fmt.Errorf("audit: %w: no point results to merge", ErrInvalid)
	}
	res, _, err := audit(ctx, in, nil, pts)
	return res, err
}

// HasCapacity reports whether an audit of in computes capacity figures
// (a type with a capacity ratio and a facility with a capacity), which a
// sharded audit does not yet split.
func HasCapacity(in AuditInput) bool {
	ratio := map[string]bool{}
	for _, t := range in.Profile.Types {
		if t.CapacityRatio > 0 {
			ratio[t.ID] = true
		}
	}
	for _, f := range in.Facilities {
		if f.Capacity > 0 && ratio[f.Type] {
			return true
		}
	}
	return false
}
