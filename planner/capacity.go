package planner

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// Capacity where it is known (issue 13, item 6).
//
// A facility may give its capacity: places (day-care places, beds), > 0;
// Facility.Capacity 0 means unknown. A type's CapacityRatio r says how many
// places 1,000 of the residents it is judged by need, so a facility of C
// places serves C × 1000 / r residents. Facilities whose capacity is
// unknown are taken to have room for everyone within their reach.
//
// Allocation rule (closest pairs first): every (demand point, facility)
// pair within the type's threshold is taken in increasing walking
// distance (ties: lower demand point index, then lower facility index);
// each pair places as many of the point's not yet placed residents as the
// facility still has room for. So a facility's places go first to the
// residents closest to it, and a resident whose nearest facility is full
// by then spills to the next nearest within the threshold. Residents
// within the threshold of some facility who find none with room are
// "over capacity": covered, but not served by capacity. The allocation is
// deterministic: only exact ties in distance depend on the input order.
//
// Figures are only computed for types with a CapacityRatio and at least
// one facility with a known capacity; they are absent (nil, NaN), never
// 0, otherwise.

// A CapacityPair is a demand point within a type's threshold of a
// facility: Dist is the walking distance in metres.
type CapacityPair struct {
	Dist     float64
	Point    int32 // demand point index
	Facility int32 // facility index (any numbering the caller uses)
}

// AllocateCapacity places the residents of demand points at facilities by
// the closest-pairs-first rule above. weight[i] is point i's residents
// (≥ 0); room[f] is how many residents facility f serves (+Inf when its
// capacity is unknown); pairs are every point–facility pair within the
// threshold, in any order (AllocateCapacity sorts them). It returns the
// residents of each point that found no place (0 for points without a
// pair: they are not covered at all) and the residents placed at each
// facility.
func AllocateCapacity(weight, room []float64, pairs []CapacityPair) (unplaced, placed []float64) {
	slices.SortFunc(pairs, func(a, b CapacityPair) int {
		if c := cmp.Compare(a.Dist, b.Dist); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Point, b.Point); c != 0 {
			return c
		}
		return cmp.Compare(a.Facility, b.Facility)
	})
	left := slices.Clone(weight)
	placed = make([]float64, len(room))
	for _, p := range pairs {
		w := left[p.Point]
		if w <= 0 {
			continue
		}
		free := room[p.Facility] - placed[p.Facility]
		if free <= 0 {
			continue
		}
		take := math.Min(w, free)
		placed[p.Facility] += take
		left[p.Point] = w - take
	}
	unplaced = make([]float64, len(weight))
	seen := make([]bool, len(weight))
	for _, p := range pairs {
		seen[p.Point] = true
	}
	for i := range unplaced {
		if seen[i] {
			unplaced[i] = left[i]
		}
	}
	return unplaced, placed
}

// A TypeCapacity is the capacity figures of one amenity type.
type TypeCapacity struct {
	Ratio      float64 // places per 1,000 residents (the type's CapacityRatio)
	Facilities int     // facilities of the type with a known capacity
	Places     float64 // their places
	// Served are the residents (of the type's group) placed at a
	// facility; OverCapacity those within the threshold of some facility
	// who found none with room.
	Served       float64
	OverCapacity float64
	// Full counts the facilities with a known capacity that are full.
	Full int
	// OverShare[i] is the share (0..1) of demand point i's residents
	// within reach who found no place; 0 for points not covered. Unit
	// figures apply it to all the point's residents, as units count all
	// residents.
	OverShare []float64
}

// capacityTypes computes TypeCapacity for every type of the audit that
// has a CapacityRatio and a facility with a known capacity (nil for the
// others), and returns warnings for types whose figures had to be left
// out.
func capacityTypes(ctx context.Context, in AuditInput, byType [][]int, pos []geo.Position, snapped []bool) ([]*TypeCapacity, []string, error) {
	types := in.Profile.Types
	out := make([]*TypeCapacity, len(types))
	var warnings []string
	var byEdge *edgePoints
	for ti, t := range types {
		known, fromLayers := 0, 0
		for _, fi := range byType[ti] {
			if f := &in.Facilities[fi]; f.Capacity > 0 {
				known++
				if f.Tags == nil {
					fromLayers++
				}
			}
		}
		if known == 0 {
			continue
		}
		if !(t.CapacityRatio > 0) {
			// A user's layer gave capacities the profile cannot use; OSM
			// readers only read the tag for types with a ratio.
			if fromLayers > 0 {
				warnings = append(warnings, fmt.Sprintf("%d %s %s give a capacity, but profile %q gives no capacity_ratio for the type: capacity is not reported — add capacity_ratio (places per 1,000 residents) to the type in a copy of the profile (lifecircle profiles %s > my.yaml)",
					fromLayers, t.ID, plural(fromLayers, "facility", "facilities"), in.Profile.ID, in.Profile.ID))
			}
			continue
		}
		w, group := GroupWeights(in.Demand, t)
		if t.Demand != "" && group == "" {
			warnings = append(warnings, fmt.Sprintf("%s: capacity_ratio counts the residents of group %s, which the population layer does not give: capacity is not reported — add the %s column to the population layer",
				t.ID, t.Demand, t.Demand))
			continue
		}
		if byEdge == nil {
			g := groupByEdge(in.Net.NumEdges(), pos, snapped)
			byEdge = &g
		}
		pairs, err := capacityPairs(ctx, in, byType[ti], t.Threshold, w, pos, *byEdge)
		if err != nil {
			return nil, nil, err
		}
		room := make([]float64, len(byType[ti]))
		tc := &TypeCapacity{Ratio: t.CapacityRatio, Facilities: known}
		for k, fi := range byType[ti] {
			room[k] = math.Inf(1)
			if c := in.Facilities[fi].Capacity; c > 0 {
				room[k] = c * 1000 / t.CapacityRatio
				tc.Places += c
			}
		}
		unplaced, placed := AllocateCapacity(w, room, pairs)
		tc.OverShare = make([]float64, len(w))
		for i, u := range unplaced {
			if u > 0 && w[i] > 0 {
				tc.OverShare[i] = math.Min(1, u/w[i])
				tc.OverCapacity += u
			}
		}
		for k, p := range placed {
			tc.Served += p
			if !math.IsInf(room[k], 1) && p >= room[k]*(1-1e-12) {
				tc.Full++
			}
		}
		out[ti] = tc
	}
	return out, warnings, nil
}

// capacityPairs returns every (demand point, facility) pair within
// threshold of the facilities fac (indices into in.Facilities; a pair's
// Facility is the position in fac), for points with residents, by one
// bounded search per facility.
func capacityPairs(ctx context.Context, in AuditInput, fac []int, threshold float64, w []float64, pos []geo.Position, byEdge edgePoints) ([]CapacityPair, error) {
	per := make([][]CapacityPair, len(fac))
	workers := min(runtime.GOMAXPROCS(0), len(fac))
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := in.Net.NewSearcher()
			s.SetAnyListOrder(true) // AllocateCapacity sorts the pairs
			mark := make([]bool, in.Net.NumEdges())
			for {
				mu.Lock()
				k := next
				next++
				mu.Unlock()
				if k >= len(fac) || ctx.Err() != nil {
					return
				}
				srcs, _ := SnapFacilities(in.Net, []orb.Geometry{in.Facilities[fac[k]].Geometry}, in.MaxSnap)
				if len(srcs) == 0 {
					continue
				}
				s.Run(srcs, coverBound(threshold))
				s.ReachedEdges(mark, func(e int32) {
					for _, i := range byEdge.of(int(e)) {
						if !(w[i] > 0) {
							continue
						}
						if d, _, ok := s.At(pos[i]); ok && Covers(d, threshold) {
							per[k] = append(per[k], CapacityPair{Dist: d, Point: i, Facility: int32(k)})
						}
					}
				})
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var pairs []CapacityPair
	for _, p := range per {
		pairs = append(pairs, p...)
	}
	return pairs, nil
}

// setUnitOverCapacity sets every unit's OverCapacity from the per-point
// shares of caps: residents of the unit within reach whose facilities
// were full, per type; NaN for types without capacity figures. Units
// keep a nil OverCapacity when no type has figures.
func setUnitOverCapacity(units []UnitResult, caps []*TypeCapacity, pop []float64, assign []int32) {
	if !slices.ContainsFunc(caps, func(c *TypeCapacity) bool { return c != nil }) {
		return
	}
	for u := range units {
		units[u].OverCapacity = make([]float64, len(caps))
		for ti, c := range caps {
			if c == nil {
				units[u].OverCapacity[ti] = math.NaN()
			}
		}
	}
	if assign == nil {
		return
	}
	for ti, c := range caps {
		if c == nil {
			continue
		}
		for i, s := range c.OverShare {
			if u := assign[i]; u >= 0 && s > 0 {
				units[u].OverCapacity[ti] += pop[i] * s
			}
		}
	}
}
