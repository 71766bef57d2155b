package planner

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// DefaultLevelName names the level of units that carry no level.
const DefaultLevelName = "units"

// A Level is one level of the unit hierarchy (DESIGN §2 "Analysis units":
// district → subdistrict → community → grid).
type Level struct {
	Name  string
	Units []Unit
	// Parent[u] is the index of unit u's parent in the next coarser level's
	// Units, -1 when it has none (always -1 at the coarsest level).
	Parent []int32
	// Assign[i] is demand point i's unit at this level, -1 outside every
	// unit of the level; set by Hierarchy.Locate's caller (AssignDemand).
	Assign []int32
}

// A Hierarchy is the levels of analysis units, coarsest first. Demand
// points are placed in the finest level's unit that contains them; a
// coarser level's unit holds the points of its children (and the points
// inside its own polygon that no finer unit holds), so every figure of a
// parent is the sum (or, for shares and distances, the recomputation) of
// its children's points.
type Hierarchy struct {
	Levels []Level
}

// SingleLevel returns a one-level hierarchy of units whose demand points
// are already assigned (grid cells, or one unit layer).
func SingleLevel(name string, units []Unit, assign []int32) *Hierarchy {
	if name == "" {
		name = DefaultLevelName
	}
	parent := make([]int32, len(units))
	for i := range parent {
		parent[i] = -1
	}
	return &Hierarchy{Levels: []Level{{Name: name, Units: units, Parent: parent, Assign: assign}}}
}

// Level returns the level named name.
func (h *Hierarchy) Level(name string) (*Level, bool) {
	if h == nil {
		return nil, false
	}
	for i := range h.Levels {
		if h.Levels[i].Name == name {
			return &h.Levels[i], true
		}
	}
	return nil, false
}

// LevelNames returns the level names, coarsest first.
func (h *Hierarchy) LevelNames() []string {
	if h == nil {
		return nil
	}
	names := make([]string, len(h.Levels))
	for i, l := range h.Levels {
		names[i] = l.Name
	}
	return names
}

// Finest returns the finest level, or nil for an empty hierarchy.
func (h *Hierarchy) Finest() *Level {
	if h == nil || len(h.Levels) == 0 {
		return nil
	}
	return &h.Levels[len(h.Levels)-1]
}

// BuildHierarchy groups units by their Level (DefaultLevelName when
// empty), orders the levels coarsest first and links every unit to its
// parent in the next coarser level: by its Parent id when set, else by the
// coarser unit containing the unit's representative point.
//
// order, when not empty, lists every level name coarsest first; otherwise
// levels are ordered by the median area of their units, largest first. A
// unit id may repeat across levels but not within one. warnings lists
// units whose parent id is unknown (linked by containment instead) and
// units with no parent.
func BuildHierarchy(units []Unit, order []string) (*Hierarchy, []string, error) {
	if len(units) == 0 {
		return nil, nil, fmt.Errorf("units: %w: no units", ErrInvalid)
	}
	if err := checkParentCycles(units); err != nil {
		return nil, nil, err
	}
	byLevel := map[string][]Unit{}
	var names []string
	for _, u := range units {
		n := u.Level
		if n == "" {
			n = DefaultLevelName
		}
		if _, ok := byLevel[n]; !ok {
			names = append(names, n)
		}
		byLevel[n] = append(byLevel[n], u)
	}
	for _, n := range names {
		seen := map[string]bool{}
		for _, u := range byLevel[n] {
			if seen[u.ID] {
				return nil, nil, fmt.Errorf("units: %w: level %q has two units with id %q — unit ids must be unique within a level", ErrInvalid, n, u.ID)
			}
			seen[u.ID] = true
		}
	}
	if len(order) > 0 {
		if len(order) != len(names) {
			return nil, nil, fmt.Errorf("units: %w: level order %s does not name every level (%s)", ErrInvalid,
				strings.Join(order, ", "), strings.Join(names, ", "))
		}
		for _, n := range order {
			if _, ok := byLevel[n]; !ok {
				return nil, nil, fmt.Errorf("units: %w: level order names %q, but the units have levels %s", ErrInvalid, n, strings.Join(names, ", "))
			}
		}
		names = order
	} else {
		area := map[string]float64{}
		for _, n := range names {
			area[n] = medianArea(byLevel[n])
		}
		sort.SliceStable(names, func(a, b int) bool { return area[names[a]] > area[names[b]] })
	}
	h := &Hierarchy{Levels: make([]Level, len(names))}
	var warnings []string
	for k, n := range names {
		lv := Level{Name: n, Units: byLevel[n], Parent: make([]int32, len(byLevel[n]))}
		for i := range lv.Parent {
			lv.Parent[i] = -1
		}
		if k > 0 {
			warnings = append(warnings, linkParents(&lv, &h.Levels[k-1])...)
		}
		h.Levels[k] = lv
	}
	return h, warnings, nil
}

// linkParents sets child.Parent from parent ids or containment.
func linkParents(child, parent *Level) []string {
	var warnings []string
	ids := make(map[string]int32, len(parent.Units))
	for i, u := range parent.Units {
		ids[u.ID] = int32(i)
	}
	var need []int
	var reps []orb.Point
	unknown := 0
	firstUnknown := ""
	for i, u := range child.Units {
		if u.Parent != "" {
			if p, ok := ids[u.Parent]; ok {
				child.Parent[i] = p
				continue
			}
			unknown++
			if firstUnknown == "" {
				firstUnknown = fmt.Sprintf("unit %q names parent %q", u.ID, u.Parent)
			}
		}
		rp, ok := RepresentativePoint(u.Geometry)
		if !ok {
			continue
		}
		need = append(need, i)
		reps = append(reps, rp)
	}
	if unknown > 0 {
		warnings = append(warnings, fmt.Sprintf("level %s: %d unit(s) name a parent that is not a unit of level %s (e.g. %s): linked by containment instead",
			child.Name, unknown, parent.Name, firstUnknown))
	}
	if len(need) > 0 {
		assign, _ := AssignUnits(parent.Units, reps)
		for k, i := range need {
			child.Parent[i] = assign[k]
		}
	}
	orphans := 0
	first := ""
	for i, p := range child.Parent {
		if p < 0 {
			orphans++
			if first == "" {
				first = child.Units[i].ID
			}
		}
	}
	if orphans > 0 {
		warnings = append(warnings, fmt.Sprintf("level %s: %d of %d unit(s) lie in no unit of level %s (e.g. %q): their residents count at level %s only where its polygons hold them",
			child.Name, orphans, len(child.Units), parent.Name, first, parent.Name))
	}
	return warnings
}

// Locate returns, for every level, the unit holding each lon/lat point
// (-1 for none): the finest unit whose polygon contains the point, and
// its ancestors through the parent links. Where a chain breaks (a unit
// with no parent) the coarser levels place the point by their own
// polygons. overlaps counts, per level, points inside more than one unit.
func (h *Hierarchy) Locate(pts []orb.Point) (assign [][]int32, overlaps []int) {
	nl := len(h.Levels)
	direct := make([][]int32, nl)
	overlaps = make([]int, nl)
	for k := range h.Levels {
		direct[k], overlaps[k] = AssignUnits(h.Levels[k].Units, pts)
	}
	assign = make([][]int32, nl)
	for k := range assign {
		assign[k] = make([]int32, len(pts))
	}
	parallelRange(len(pts), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			u := int32(-1)
			for k := nl - 1; k >= 0; k-- {
				if u < 0 {
					u = direct[k][i]
				}
				assign[k][i] = u
				if u >= 0 {
					u = h.Levels[k].Parent[u]
				}
			}
		}
	})
	return assign, overlaps
}

// AssignDemand places the demand points at every level (Level.Assign) and
// returns the per-level count of points inside more than one unit.
func (h *Hierarchy) AssignDemand(pts []orb.Point) (overlaps []int) {
	assign, overlaps := h.Locate(pts)
	for k := range h.Levels {
		h.Levels[k].Assign = assign[k]
	}
	return overlaps
}

// RepresentativePoint returns a lon/lat point that stands for g: a point
// itself, the middle (by length) of a line, a point inside a polygon (its
// centroid when that lies inside, else the middle of the widest interior
// span through it) and of a multipolygon's largest part. ok is false for
// an empty or unsupported geometry.
func RepresentativePoint(g orb.Geometry) (orb.Point, bool) {
	return geo.RepresentativePoint(g)
}

// medianArea is the median planar area of the units' polygons, in
// degrees² scaled by cos(latitude): enough to rank levels by unit size.
func medianArea(units []Unit) float64 {
	areas := make([]float64, 0, len(units))
	for _, u := range units {
		var a float64
		var polys []orb.Polygon
		switch g := u.Geometry.(type) {
		case orb.Polygon:
			polys = []orb.Polygon{g}
		case orb.MultiPolygon:
			polys = g
		}
		for _, p := range polys {
			for ri, r := range p {
				ra := math.Abs(geo.RingArea(r)) * math.Cos(r.Bound().Center()[1]*(math.Pi/180))
				if ri == 0 {
					a += ra
				} else {
					a -= ra
				}
			}
		}
		areas = append(areas, a)
	}
	if len(areas) == 0 {
		return 0
	}
	slices.Sort(areas)
	return areas[len(areas)/2]
}

// LevelTypeSummary is one type's figures over the units of one level.
type LevelTypeSummary struct {
	ID          string
	Covered     float64 // residents covered inside the level's units
	Unreachable float64
	GapUnits    int // units with at least one uncovered resident
	Facilities  int // facilities inside the level's units
}

// A LevelResult holds one level's unit figures (UnitResult, computed from
// the demand points of each unit, as for the finest level) and its totals
// over the units. Facilities[u][t] counts the facilities of type t whose
// representative point lies in unit u.
type LevelResult struct {
	Name          string
	Units         []UnitResult
	Facilities    [][]int
	Population    float64 // residents inside the level's units
	Outside       float64 // residents outside every unit of the level
	OutsidePoints int
	Completeness  float64 // population-weighted, over the level's units
	FullyServed   float64
	Types         []LevelTypeSummary
}

// FacilityPoints returns the representative point of every facility
// (RepresentativePoint), NaN for a geometry that has none.
func FacilityPoints(fs []Facility) []orb.Point {
	pts := make([]orb.Point, len(fs))
	for i, f := range fs {
		p, ok := RepresentativePoint(f.Geometry)
		if !ok {
			p = orb.Point{math.NaN(), math.NaN()}
		}
		pts[i] = p
	}
	return pts
}

// AggregateLevels computes every level's unit figures from the audit's
// per-point distances, with each level's Assign (see AssignDemand). The
// levels whose Assign is nil count every point as outside.
func AggregateLevels(in AuditInput, res *AuditResult, h *Hierarchy) []LevelResult {
	return aggregateLevels(in, res, h, nil)
}

// aggregateLevels is AggregateLevels; finest, when not nil, are the unit
// results the audit just computed for in.Units and in.Assign (aggregate),
// copied instead of computed again for the level of the same units.
func aggregateLevels(in AuditInput, res *AuditResult, h *Hierarchy, finest []UnitResult) []LevelResult {
	if h == nil {
		return nil
	}
	types := in.Profile.Types
	typeIdx := make(map[string]int, len(types))
	for i, t := range types {
		typeIdx[t.ID] = i
	}
	facAssign, _ := h.Locate(FacilityPoints(in.Facilities))
	out := make([]LevelResult, len(h.Levels))
	for k := range h.Levels {
		lv := &h.Levels[k]
		assign := lv.Assign
		if assign == nil {
			assign = make([]int32, len(in.Demand.Points))
			for i := range assign {
				assign[i] = -1
			}
		}
		lr := LevelResult{Name: lv.Name}
		if finest != nil && len(lv.Units) == len(finest) && sameAssign(lv.Assign, in.Assign) {
			lr.Units = cloneUnitResults(finest)
		} else {
			lr.Units = unitResults(types, res.Dist, in.Demand.Pop, assign, len(lv.Units))
			setUnitOverCapacity(lr.Units, res.Capacity, in.Demand.Pop, assign)
		}
		lr.Facilities = make([][]int, len(lv.Units))
		for u := range lr.Facilities {
			lr.Facilities[u] = make([]int, len(types))
		}
		lr.Types = make([]LevelTypeSummary, len(types))
		for ti, t := range types {
			lr.Types[ti].ID = t.ID
		}
		for fi, f := range in.Facilities {
			ti, ok := typeIdx[f.Type]
			if u := facAssign[k][fi]; ok && u >= 0 {
				lr.Facilities[u][ti]++
				lr.Types[ti].Facilities++
			}
		}
		for i, u := range assign {
			if u < 0 {
				lr.Outside += in.Demand.Pop[i]
				lr.OutsidePoints++
			}
		}
		var comp, full float64
		for _, ur := range lr.Units {
			lr.Population += ur.Population
			comp += ur.Completeness * ur.Population
			full += ur.FullyServed * ur.Population
			for ti := range types {
				lr.Types[ti].Covered += ur.Covered[ti]
				lr.Types[ti].Unreachable += ur.Unreachable[ti]
				if ur.Population-ur.Covered[ti] > 0 {
					lr.Types[ti].GapUnits++
				}
			}
		}
		if lr.Population > 0 {
			lr.Completeness = comp / lr.Population
			lr.FullyServed = full / lr.Population
		}
		out[k] = lr
	}
	return out
}

// sameAssign reports whether a and b are the same assignment slice.
func sameAssign(a, b []int32) bool {
	return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0]
}

// cloneUnitResults copies units, their per-type figures included (in one
// backing array), so that later edits of one copy leave the other alone.
func cloneUnitResults(units []UnitResult) []UnitResult {
	out := slices.Clone(units)
	n := 0
	for _, u := range units {
		n += len(u.Covered) + len(u.Unreachable) + len(u.DistMean) + len(u.DistP90) + len(u.OverCapacity)
	}
	back := make([]float64, 0, n)
	take := func(x []float64) []float64 {
		if x == nil {
			return nil
		}
		back = append(back, x...)
		return back[len(back)-len(x) : len(back) : len(back)]
	}
	for i, u := range units {
		out[i].Covered, out[i].Unreachable = take(u.Covered), take(u.Unreachable)
		out[i].DistMean, out[i].DistP90 = take(u.DistMean), take(u.DistP90)
		out[i].OverCapacity = take(u.OverCapacity)
	}
	return out
}

// addPoint adds point i, of p residents, to unit ur's figures.
func addPoint(ur *UnitResult, types []AmenityType, weights []float64, wsum float64, dist [][]float64, i int32, p float64) {
	ur.Population += p
	ur.Points++
	full := true
	var comp float64
	for ti := range types {
		x := dist[ti][i]
		switch {
		case math.IsNaN(x):
			ur.Unreachable[ti] += p
			full = false
		case Covers(x, types[ti].Threshold):
			ur.Covered[ti] += p
			comp += weights[ti]
		default:
			full = false
		}
	}
	if wsum > 0 {
		comp /= wsum
	}
	ur.Completeness += p * comp
	if full {
		ur.FullyServed += p
	}
}

// unitResults aggregates the per-point distances into n units: assign[i]
// is point i's unit, -1 for none. Distance statistics are computed from
// each unit's points, never averaged from smaller units.
func unitResults(types []AmenityType, dist [][]float64, pop []float64, assign []int32, n int) []UnitResult {
	nt := len(types)
	weights := completenessWeights(types)
	var wsum float64
	for _, w := range weights {
		wsum += w
	}
	units := make([]UnitResult, n)
	// The units' four figures per type in one allocation, each slice
	// capped at its own (an append copies instead of overwriting the next).
	all := make([]float64, 4*nt*n)
	next := func() []float64 {
		v := all[:nt:nt]
		all = all[nt:]
		return v
	}
	for u := range units {
		units[u] = UnitResult{Covered: next(), Unreachable: next(), DistMean: next(), DistP90: next()}
	}
	if assign == nil {
		for u := range units {
			for ti := range types {
				units[u].DistMean[ti], units[u].DistP90[ti] = math.NaN(), math.NaN()
			}
		}
		return units
	}
	members := groupByUnit(assign, n, len(pop))
	// Units are independent: their figures are computed on all cores, each
	// from its points in file order (the order, hence the sums, of one pass
	// over all points).
	parallelRange(len(units), func(lo, hi int) {
		var buf []distPop
		for u := lo; u < hi; u++ {
			ur := &units[u]
			pts := members.of(u)
			for _, i := range pts {
				addPoint(ur, types, weights, wsum, dist, i, pop[i])
			}
			if ur.Population > 0 {
				ur.Completeness /= ur.Population
				ur.FullyServed /= ur.Population
			}
			for ti := range types {
				ur.DistMean[ti], ur.DistP90[ti], buf = distStatsBuf(dist[ti], pop, pts, buf)
			}
		}
	})
	return units
}

// WorstUnits returns the indices of up to n units with residents, ordered
// by residents × missing completeness (largest first), then by index.
func WorstUnits(units []UnitResult, n int) []int {
	// Each unit's gap computed once, the values the comparisons used.
	type gapUnit struct {
		gap float64
		u   int
	}
	gs := make([]gapUnit, 0, len(units))
	for u := range units {
		if units[u].Population > 0 {
			gs = append(gs, gapUnit{units[u].Population * (1 - units[u].Completeness), u})
		}
	}
	// A total order (no two units compare equal), so the unstable sort
	// gives the order the stable one did, in a third of the time.
	slices.SortFunc(gs, func(a, b gapUnit) int {
		if c := cmp.Compare(b.gap, a.gap); c != 0 {
			return c
		}
		return cmp.Compare(a.u, b.u)
	})
	idx := make([]int, max(0, min(n, len(gs))))
	for k := range idx {
		idx[k] = gs[k].u
	}
	return idx
}
