package planner

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// A Facility is one amenity of one type (DESIGN §2). Its geometry may be
// a point, a line or a polygon (reached along the line or boundary).
type Facility struct {
	ID       string
	Type     string // amenity type id of the profile
	Name     string // zh or local name, may be empty
	Source   string // "osm" or the file it came from
	Geometry orb.Geometry
	// Rule says why the facility is of its type: the profile selector
	// that matched its OSM tags, as written in the profile (e.g.
	// "amenity=clinic|doctors"), or the layer's type column and value
	// (e.g. "type=clinic").
	Rule string
	// Tags are the OSM tags of the element (shared, not copied: read
	// only); nil for a layer's features.
	Tags map[string]string
	// Capacity is the facility's places (day-care places, beds), > 0;
	// 0 = unknown (capacity.go).
	Capacity float64
	// Status is where the facility stands in the programme; "" is open
	// (status.go: OpenOn, CountsAsOf say when it counts).
	Status Status
	// Opens is the first day the facility is open (for a temporarily
	// closed one, the day it reopens) and Closes the first day it is no
	// longer open; both are midnight UTC, the zero time when unknown.
	Opens, Closes time.Time
}

// DefaultAuditMaxDistance is the usual bound in metres of each type's
// search (AuditInput.MaxDistance): distances beyond it (an hour's walk)
// count as unreachable.
const DefaultAuditMaxDistance = 5000.0

// AuditInput is everything an audit needs, already read and built.
type AuditInput struct {
	Profile    *Profile
	Net        *geo.Network
	Facilities []Facility
	Demand     *Demand
	Units      []Unit
	Assign     []int32 // unit index of each demand point, -1 outside every unit
	// MaxSnap is the largest straight access leg to the network, metres,
	// > 0 (geo.DefaultMaxSnap is usual).
	MaxSnap float64
	// MaxDistance bounds every search, metres, > 0
	// (DefaultAuditMaxDistance is usual).
	MaxDistance float64
	// Hierarchy, when set, holds every level of units with its demand
	// assignment (Units and Assign are then its finest level); the audit
	// aggregates each level into AuditResult.Levels.
	Hierarchy *Hierarchy
	// Rules are checked after aggregation into AuditResult.Rules.
	Rules []Rule
}

// TypeSummary is the district-wide result for one amenity type.
type TypeSummary struct {
	ID                  string  `json:"id"`
	Names               Names   `json:"names"`
	Tier                int     `json:"tier_min"`
	Threshold           float64 `json:"threshold_m"`
	Facilities          int     `json:"facilities"`
	FacilitiesUnsnapped int     `json:"facilities_unsnapped"`
	Population          float64 `json:"population"`
	Covered             float64 `json:"population_covered"`
	Coverage            float64 `json:"coverage"`
	Gap                 float64 `json:"population_gap"`
	GapUnits            int     `json:"gap_units"`
	Unreachable         float64 `json:"population_unreachable"`
	DistMean            float64 `json:"dist_mean_m"` // NaN when nothing reachable
	DistP90             float64 `json:"dist_p90_m"`
	// Demand is the resident group the type is judged by (its profile
	// Demand when the demand carries it); "" for all residents.
	Demand string `json:"demand,omitempty"`
}

// UnitResult holds one unit's figures; slices are indexed like the
// profile's types.
type UnitResult struct {
	Population  float64
	Points      int
	Covered     []float64
	Unreachable []float64
	DistMean    []float64 // NaN when no resident of the unit reaches the type
	DistP90     []float64
	// Completeness is the population-weighted mean share of the profile's
	// types (by weight) a resident has within reach (0..1).
	Completeness float64
	// FullyServed is the share of the population covered for every type.
	FullyServed float64
	// OverCapacity are the unit's residents within reach of a type whose
	// facilities are full (capacity.go), per type; NaN for a type without
	// capacity figures, and nil when no type has them.
	OverCapacity []float64
}

// AuditResult is the outcome of Audit.
type AuditResult struct {
	Types []TypeSummary
	// Dist[t][i] is demand point i's walking distance in metres to the
	// nearest facility of type t; NaN when unreachable.
	Dist [][]float64
	// Nearest[t][i] is the index in Facilities of that facility, -1 if none.
	Nearest [][]int32
	// Snapped[i] is false for demand points beyond MaxSnap of any street.
	Snapped []bool

	Units []UnitResult

	Population     float64 // all residents
	Outside        float64 // residents outside every unit
	OutsidePoints  int
	UnsnappedPop   float64 // residents farther than MaxSnap from any street
	UnsnappedPts   int
	Completeness   float64
	FullyServed    float64 // population share covered for every type
	FullyServedPop float64
	Warnings       []string
	Timings        map[string]time.Duration

	// Levels are the figures of every level of AuditInput.Hierarchy,
	// coarsest first; Rules the outcome of AuditInput.Rules. A Scenario
	// does not update them after edits.
	Levels []LevelResult
	Rules  []RuleCheck
	// CutOff are the street pieces, cut off from the largest one, that
	// residents snap to (CutOffWarning).
	CutOff []CutOffPiece
	// Capacity are each type's capacity figures (capacity.go), nil for a
	// type without; Capacity itself is nil when no type has them.
	Capacity []*TypeCapacity
}

// Audit computes coverage per type and unit (DESIGN §2 "Coverage") with
// one bounded multi-source search per type, run in parallel.
func Audit(ctx context.Context, in AuditInput) (*AuditResult, error) {
	res, _, err := audit(ctx, in, nil, nil)
	return res, err
}

// lookups lists the demand points the types' lookups read — the snapped
// ones, in the order given (geo.HilbertOrder: neighbours together) — with
// their positions copied side by side, once for all types: each type then
// reads the positions in memory order instead of gathering them from the
// whole array, a cache miss a point.
type lookups struct {
	n   int // demand points in all
	idx []int32
	pos []geo.Position
}

// newLookups makes the lookups of pos's snapped points in order (nil:
// their own order).
func newLookups(pos []geo.Position, snapped []bool, order []int32) *lookups {
	lk := &lookups{n: len(pos)}
	k := 0
	for _, ok := range snapped {
		if ok {
			k++
		}
	}
	lk.idx, lk.pos = make([]int32, 0, k), make([]geo.Position, 0, k)
	for j := range pos {
		i := int32(j)
		if order != nil {
			i = order[j]
		}
		if snapped[i] {
			lk.idx = append(lk.idx, i)
			lk.pos = append(lk.pos, pos[i])
		}
	}
	return lk
}

// searchType runs one type's bounded search from its facilities (source
// labels are indices into in.Facilities) and reads every demand point's
// distance and nearest facility, the points in lk's order. anyOrder is
// the searcher's SetAnyListOrder: on for a searcher that only answers
// these distances, off for one a scenario keeps (its edits sum figures
// in the order the searcher lists nodes).
func searchType(ctx context.Context, in AuditInput, facilities []int, lk *lookups, maxSnap, bound float64, anyOrder bool) (s *geo.Searcher, dist []float64, near []int32, unsnapped int) {
	s, unsnapped, any := runType(ctx, in, facilities, maxSnap, bound, anyOrder)
	dist, near = lookupType(s, any, lk)
	return s, dist, near, unsnapped
}

// runType is searchType's search; any reports whether it had a source.
func runType(ctx context.Context, in AuditInput, facilities []int, maxSnap, bound float64, anyOrder bool) (s *geo.Searcher, unsnapped int, any bool) {
	var srcs []geo.Source
	geom := make([]orb.Geometry, 1)
	for _, fi := range facilities {
		geom[0] = in.Facilities[fi].Geometry
		fs, un := SnapFacilities(in.Net, geom, maxSnap)
		unsnapped += len(un)
		for k := range fs {
			fs[k].Label = int32(fi)
		}
		srcs = append(srcs, fs...)
	}
	s = in.Net.NewSearcher()
	s.SetAnyListOrder(anyOrder)
	s.SetStop(ctx.Done()) // the caller checks ctx
	s.Run(srcs, bound)
	s.SetStop(nil) // a scenario's searcher answers edits long after
	return s, unsnapped, len(srcs) > 0
}

// lookupType is searchType's reading of the demand points.
func lookupType(s *geo.Searcher, any bool, lk *lookups) (dist []float64, near []int32) {
	dist = make([]float64, lk.n)
	near = make([]int32, lk.n)
	for i := range dist {
		dist[i] = math.NaN()
		near[i] = -1
	}
	if any {
		parallelRange(len(lk.idx), func(lo, hi int) {
			for k := lo; k < hi; k++ {
				if dd, l, ok := s.At(lk.pos[k]); ok {
					i := lk.idx[k]
					dist[i] = dd
					near[i] = l
				}
			}
		})
	}
	return dist, near
}

// auditType gives type ti's distance and nearest facility per demand
// point: from given (a sharded run), else by its search (its searcher
// kept in keep[ti] when keep is not nil, the search holding a place in
// sem while it runs), and how many of its facilities are beyond maxSnap
// of any street. lk waits for the demand points' lookups.
func auditType(ctx context.Context, in AuditInput, facilities []int, lk func() (*lookups, error), given *PointResults, keep []*geo.Searcher, ti int, sem chan struct{}) (dist []float64, near []int32, unsnapped int, err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, 0, err
	}
	if given != nil {
		for _, fi := range facilities {
			if !given.FacSnapped[fi] {
				unsnapped++
			}
		}
		return given.Dist[ti], given.Nearest[ti], unsnapped, nil
	}
	sem <- struct{}{}
	s, unsnapped, any := runType(ctx, in, facilities, in.MaxSnap, in.MaxDistance, keep == nil)
	<-sem
	if err := ctx.Err(); err != nil {
		return nil, nil, 0, err
	}
	l, err := lk()
	if err != nil {
		return nil, nil, 0, err
	}
	dist, near = lookupType(s, any, l)
	if keep != nil {
		keep[ti] = s
	}
	return dist, near, unsnapped, nil
}

// audit is Audit that can keep each type's searcher (keep[t], when keep
// is not nil) for incremental what-if updates.
//
// With given (a sharded run, AuditMerged), the snapping and searches are
// not run: their per-point results and the facilities' snapping come from
// given, and only the figures are computed here.
func audit(ctx context.Context, in AuditInput, keep []*geo.Searcher, given *PointResults) (*AuditResult, []geo.Position, error) {
	if in.Profile == nil || len(in.Profile.Types) == 0 {
		return nil, nil, fmt.Errorf("audit: %w: the profile has no amenity types", ErrInvalid)
	}
	if in.Net == nil || in.Demand == nil {
		return nil, nil, fmt.Errorf("audit: %w: a walk network and demand are required", ErrInvalid)
	}
	d := in.Demand
	np := len(d.Points)
	if len(d.Pop) != np {
		return nil, nil, fmt.Errorf("audit: %w: %d demand points but %d populations", ErrInvalid, np, len(d.Pop))
	}
	if err := d.checkGroups(); err != nil {
		return nil, nil, fmt.Errorf("audit: %w", err)
	}
	if in.Assign != nil && len(in.Assign) != np {
		return nil, nil, fmt.Errorf("audit: %w: %d demand points but %d unit assignments", ErrInvalid, np, len(in.Assign))
	}
	if len(in.Rules) > 0 {
		if err := ValidateRules(in.Rules, in.Profile, in.Hierarchy); err != nil {
			return nil, nil, fmt.Errorf("audit: %w", err)
		}
	}
	if !(in.MaxSnap > 0) || math.IsInf(in.MaxSnap, 0) || !(in.MaxDistance > 0) || math.IsInf(in.MaxDistance, 0) {
		return nil, nil, fmt.Errorf("audit: %w: max snap (%v m) and max distance (%v m) must be positive numbers of metres: pass the defaults (%v m, %v m) when the user sets none",
			ErrInvalid, in.MaxSnap, in.MaxDistance, geo.DefaultMaxSnap, DefaultAuditMaxDistance)
	}
	maxSnap := in.MaxSnap
	types := in.Profile.Types
	res := &AuditResult{Timings: map[string]time.Duration{}}

	// The demand points are snapped while the types' searches run (they
	// need only the facilities): on two cores the snapping fills the time
	// the last search would leave one core idle.
	t0 := time.Now()
	var pos []geo.Position
	var snapped []bool
	var lk *lookups
	snapDone := make(chan struct{})
	var snapErr error
	if given != nil {
		if err := given.check(np, len(types), len(in.Facilities)); err != nil {
			return nil, nil, err
		}
		pos, snapped = given.Pos, given.Snapped
		res.CutOff = CutOff(in.Net, pos, snapped, d.Pop, in.Units, in.Assign)
		res.Timings["snap_demand"] = time.Since(t0)
		close(snapDone)
	} else {
		go func() {
			defer close(snapDone)
			order := geo.HilbertOrder(d.Points)
			if pos, snapped, snapErr = snapAllOrdered(ctx, in.Net, d.Points, order, maxSnap); snapErr == nil {
				lk = newLookups(pos, snapped, order)
				res.CutOff = CutOff(in.Net, pos, snapped, d.Pop, in.Units, in.Assign)
			}
			res.Timings["snap_demand"] = time.Since(t0)
		}()
	}
	waitLookups := func() (*lookups, error) {
		select {
		case <-snapDone:
			return lk, snapErr
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}

	// Facilities by type.
	byType := make([][]int, len(types))
	typeIdx := map[string]int{}
	for i, t := range types {
		typeIdx[t.ID] = i
	}
	for i, f := range in.Facilities {
		ti, ok := typeIdx[f.Type]
		if !ok {
			<-snapDone
			return nil, nil, fmt.Errorf("audit: %w: facility %s has type %q, which profile %q does not define", ErrInvalid, f.ID, f.Type, in.Profile.ID)
		}
		byType[ti] = append(byType[ti], i)
	}

	res.Dist = make([][]float64, len(types))
	res.Nearest = make([][]int32, len(types))
	res.Types = make([]TypeSummary, len(types))
	weightsOf := make([][]float64, len(types))
	all := make([]int32, np)
	for i := range all {
		all[i] = int32(i)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(types))
	sem := make(chan struct{}, 2) // two searches at a time
	for ti := range types {
		wg.Add(1)
		go func(ti int) {
			defer wg.Done()
			dist, near, unsnapped, err := auditType(ctx, in, byType[ti], waitLookups, given, keep, ti, sem)
			if err != nil {
				errs[ti] = err
				return
			}
			// The type's district-wide distance statistics: they share
			// the cores with the next searches.
			t := &types[ti]
			w, group := GroupWeights(d, *t)
			mean, p90 := distStats(dist, w, all)
			res.Dist[ti], res.Nearest[ti], weightsOf[ti] = dist, near, w
			res.Types[ti] = TypeSummary{ID: t.ID, Names: t.Names, Tier: t.Tier, Threshold: t.Threshold,
				Facilities: len(byType[ti]), FacilitiesUnsnapped: unsnapped, Demand: group, DistMean: mean, DistP90: p90}
		}(ti)
	}
	wg.Wait()
	<-snapDone
	if snapErr != nil {
		return nil, nil, snapErr
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, nil, err
		}
	}
	res.Timings["search"] = time.Since(t0) // the snapping included, which ran meanwhile
	res.Snapped = snapped

	caps, capWarn, err := capacityTypes(ctx, in, byType, pos, snapped)
	if err != nil {
		return nil, nil, err
	}
	if slices.ContainsFunc(caps, func(c *TypeCapacity) bool { return c != nil }) {
		res.Capacity = caps
		res.Timings["capacity"] = time.Since(t0) - res.Timings["search"]
	}

	t0 = time.Now()
	aggregate(in, res, weightsOf)
	if in.Hierarchy != nil {
		res.Levels = aggregateLevels(in, res, in.Hierarchy, res.Units)
	}
	res.Timings["aggregate"] = time.Since(t0)
	if len(in.Rules) > 0 {
		t0 = time.Now()
		checks, err := CheckRules(in.Rules, in, res, in.Hierarchy, res.Levels)
		if err != nil {
			return nil, nil, fmt.Errorf("audit: %w", err)
		}
		res.Rules = checks
		res.Timings["rules"] = time.Since(t0)
	}
	res.Warnings = append(res.Warnings, capWarn...)
	for _, ts := range res.Types {
		if ts.Facilities == 0 {
			res.Warnings = append(res.Warnings, fmt.Sprintf("no %s (%s) facilities found: coverage is 0 %%", ts.ID, ts.Names.En))
		} else if ts.FacilitiesUnsnapped > 0 {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%d of %d %s %s %s farther than %.0f m from any walkable street and %s no one",
				ts.FacilitiesUnsnapped, ts.Facilities, ts.ID, plural(ts.Facilities, "facility", "facilities"),
				plural(ts.FacilitiesUnsnapped, "is", "are"), maxSnap, plural(ts.FacilitiesUnsnapped, "reaches", "reach")))
		}
	}
	if res.UnsnappedPts > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d demand %s (%.0f residents) %s farther than %.0f m from any walkable street: counted as not covered",
			res.UnsnappedPts, plural(res.UnsnappedPts, "point", "points"), res.UnsnappedPop, plural(res.UnsnappedPts, "is", "are"), maxSnap))
	}
	if len(res.Levels) > 1 {
		for _, l := range res.Levels {
			if l.OutsidePoints > 0 {
				res.Warnings = append(res.Warnings, fmt.Sprintf("level %s: %d demand points (%.0f residents) lie outside its units: counted in the totals, not in any unit of that level",
					l.Name, l.OutsidePoints, l.Outside))
			}
		}
	} else if res.OutsidePoints > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d demand points (%.0f residents) lie outside every unit: counted in the totals, not in any unit",
			res.OutsidePoints, res.Outside))
	}
	return res, pos, nil
}

// aggregate fills unit and district figures from the per-point distances.
//
// weightsOf[t] are type t's residents per point (GroupWeights), whose
// district-wide distance statistics the searches already set.
func aggregate(in AuditInput, res *AuditResult, weightsOf [][]float64) {
	d := in.Demand
	types := in.Profile.Types
	weights := completenessWeights(types)
	var wsum float64
	for _, w := range weights {
		wsum += w
	}
	covered := func(ti, i int) bool {
		x := res.Dist[ti][i]
		return Covers(x, types[ti].Threshold)
	}
	for i, p := range d.Pop {
		res.Population += p
		if !res.Snapped[i] {
			res.UnsnappedPop += p
			res.UnsnappedPts++
		}
		full := true
		var comp float64
		for ti := range types {
			c := covered(ti, i)
			if c {
				comp += weights[ti]
			} else {
				full = false
			}
		}
		if wsum > 0 {
			comp /= wsum
		}
		res.Completeness += p * comp
		if full {
			res.FullyServedPop += p
		}
	}
	if res.Population > 0 {
		res.Completeness /= res.Population
		res.FullyServed = res.FullyServedPop / res.Population
	}
	// Units, from their own points; distance statistics district-wide.
	units := unitResults(types, res.Dist, d.Pop, in.Assign, len(in.Units))
	for i := range d.Pop {
		if in.Assign == nil || in.Assign[i] < 0 {
			res.Outside += d.Pop[i]
			res.OutsidePoints++
		}
	}
	for ti := range types {
		ts := &res.Types[ti]
		// A type serving a resident group counts that group's residents.
		w, group := weightsOf[ti], ts.Demand
		ts.Population = res.Population
		if group != "" {
			ts.Population = 0
			for _, p := range w {
				ts.Population += p
			}
		}
		for i, p := range w {
			if math.IsNaN(res.Dist[ti][i]) {
				ts.Unreachable += p
			} else if covered(ti, i) {
				ts.Covered += p
			}
		}
		ts.Gap = ts.Population - ts.Covered
		if ts.Population > 0 {
			ts.Coverage = ts.Covered / ts.Population
		}
		for u := range units {
			if units[u].Population-units[u].Covered[ti] > 0 {
				ts.GapUnits++
			}
		}
	}
	setUnitOverCapacity(units, res.Capacity, d.Pop, in.Assign)
	res.Units = units
}

// completenessWeights returns each type's weight in completeness: its
// Weight, where 0 (or a negative or NaN value) leaves the type out, as the
// profile format documents. A profile built in code with no weight set at
// all (every Weight 0, which Validate rejects) counts every type once.
func completenessWeights(types []AmenityType) []float64 {
	w := make([]float64, len(types))
	var sum float64
	for i, t := range types {
		if t.Weight > 0 && !math.IsInf(t.Weight, 1) {
			w[i] = t.Weight
			sum += t.Weight
		}
	}
	if sum == 0 {
		for i := range w {
			w[i] = 1
		}
	}
	return w
}

// unitMembers lists the demand points of each unit in CSR form.
type unitMembers struct {
	start []int32
	pts   []int32
}

func (m unitMembers) of(u int) []int32 { return m.pts[m.start[u]:m.start[u+1]] }

func groupByUnit(assign []int32, nunits, npts int) unitMembers {
	m := unitMembers{start: make([]int32, nunits+1)}
	if assign == nil {
		return m
	}
	for _, u := range assign {
		if u >= 0 {
			m.start[u+1]++
		}
	}
	for u := 0; u < nunits; u++ {
		m.start[u+1] += m.start[u]
	}
	m.pts = make([]int32, m.start[nunits])
	fill := make([]int32, nunits)
	copy(fill, m.start[:nunits])
	for i, u := range assign {
		if u >= 0 {
			m.pts[fill[u]] = int32(i)
			fill[u]++
		}
	}
	return m
}
