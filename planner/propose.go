package planner

import (
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner/cover"
	"github.com/paulmach/orb"
)

// DefaultSpacing is the least distance in metres between generated
// candidate sites (DESIGN §2).
const DefaultSpacing = 100.0

// A Candidate is a possible new site: a point, or a polygon (a vacant lot)
// reached at its boundary.
type Candidate struct {
	ID        string
	Name      string
	Geometry  orb.Geometry
	Generated bool
}

// ProposeType is one amenity type a new site would host.
type ProposeType struct {
	ID       string
	Names    Names
	Radius   float64        // walking distance that counts as covered, metres
	Weight   float64        // weight of this type's residents in the objective (> 0)
	Existing []orb.Geometry // existing facilities of the type: fixed
	// Dated are facilities of the type that open later (planned, under
	// construction): fixed from the first phase of their year on; a
	// proposal without phases leaves them out.
	Dated []DatedFacility
}

// ProposeInput is a proposal problem, already read and built.
type ProposeInput struct {
	Net        *geo.Network
	Demand     *Demand
	Types      []ProposeType
	Candidates []Candidate          // nil = generate along the streets where residents are uncovered
	Spacing    float64              // for generated candidates, metres, > 0 (DefaultSpacing is usual)
	MaxSnap    float64              // metres, > 0 (geo.DefaultMaxSnap is usual)
	K          int                  // maximal covering with K sites, or
	Target     float64              // set covering to this share of coverable residents (when K == 0)
	TimeLimit  time.Duration        // solver budget, > 0 (DefaultCoverTimeLimit is usual)
	Clock      func() time.Duration // measures the budget instead of the wall clock (cover.Options.Clock); nil = wall clock
	// Phases, when set, make a phased proposal: maximal covering phase by
	// phase, each given the sites of the ones before (K and Target are
	// then ignored); TimeLimit applies to each phase.
	Phases []Phase
	Units  []Unit
	Assign []int32
}

// Site is one proposed site, in rank order.
type Site struct {
	Rank       int
	Phase      int // 1-based phase of a phased proposal, else 0
	Candidate  int // index into ProposeResult.Candidates
	ID         string
	Name       string
	Point      orb.Point // where it joins the network's neighbourhood: the candidate's point or centroid
	Gain       float64   // weighted residents newly covered by this site given the sites ranked before
	GainByType []float64
	Cumulative float64
	// CoverageAfter[t] is type t's coverage share once sites 1..Rank exist.
	CoverageAfter []float64
	Units         []UnitGain // units where its gain lands, largest first
}

// UnitGain is a site's gain inside one unit.
type UnitGain struct {
	Unit string
	Gain float64
}

// TypeCoverage is a type's coverage before and after the proposal.
type TypeCoverage struct {
	ID            string  `json:"type"`
	Radius        float64 `json:"radius_m"`
	Population    float64 `json:"population"`
	CoveredBefore float64 `json:"covered_before"`
	CoveredAfter  float64 `json:"covered_after"`
	Before        float64 `json:"coverage_before"`
	After         float64 `json:"coverage_after"`
}

// The covering solver's types (package cover) as they appear in planner's
// API.
type (
	// CoverProblem is the covering instance a proposal solves.
	CoverProblem = cover.Problem
	// CoverResult is the answer of maximal covering.
	CoverResult = cover.MaxResult
	// SetCoverResult is the answer of set covering.
	SetCoverResult = cover.SetResult
)

// DefaultCoverTimeLimit is the usual solver budget of ProposeInput.TimeLimit.
const DefaultCoverTimeLimit = cover.DefaultTimeLimit

// WriteLP writes the maximal covering model of p with k sites in CPLEX LP
// format (see cover.WriteLP), so that an outside solver can check a proposal.
func WriteLP(w io.Writer, p *CoverProblem, k int, names []string) error {
	return cover.WriteLP(w, p, k, names)
}

// ProposeResult is the outcome of Propose.
type ProposeResult struct {
	Candidates []Candidate
	Skipped    []int // candidates farther than MaxSnap from any street
	Problem    *CoverProblem
	Max        *CoverResult    // maximal covering (K > 0)
	Set        *SetCoverResult // set covering (K == 0)
	Sites      []Site
	Coverage   []TypeCoverage
	Objective  float64
	UpperBound float64 // maximal covering: bound on the best objective for K
	Gap        float64
	LowerBound int  // set covering: no fewer sites can reach the target
	Optimal    bool // the answer is proven optimal (bound met, or exact search finished)
	Nodes      int  // branch-and-bound nodes explored
	Coverable  float64
	// Phases are the phases of a phased proposal, in order (Max and Set
	// are nil; Objective and UpperBound sum the phases').
	Phases  []PhaseResult
	Timings map[string]time.Duration
}

// Propose builds coverage sets by bounded walking searches from every
// candidate and solves maximal or set covering (DESIGN §2 "Proposal").
func Propose(ctx context.Context, in ProposeInput) (*ProposeResult, error) {
	if in.Net == nil || in.Demand == nil || len(in.Types) == 0 {
		return nil, fmt.Errorf("propose: %w: a network, demand and at least one type are required", ErrInvalid)
	}
	if in.K < 0 || (in.K == 0 && len(in.Phases) == 0 && !(in.Target > 0 && in.Target <= 1)) {
		return nil, fmt.Errorf("propose: %w: give a number of sites k ≥ 1, or a target share in (0, 1]", ErrInvalid)
	}
	if !(in.MaxSnap > 0) || !(in.TimeLimit > 0) || (in.Candidates == nil && !(in.Spacing > 0)) {
		return nil, fmt.Errorf("propose: %w: max snap (%v m), time limit (%v) and, for generated candidates, spacing (%v m) must be positive: pass the defaults (%v m, %v, %v m) when the user sets none",
			ErrInvalid, in.MaxSnap, in.TimeLimit, in.Spacing, geo.DefaultMaxSnap, DefaultCoverTimeLimit, DefaultSpacing)
	}
	if in.Candidates == nil {
		if err := checkSpacing(in); err != nil {
			return nil, err
		}
	}
	maxSnap := in.MaxSnap
	rmax := 0.0
	for _, t := range in.Types {
		if !(t.Radius > 0) || !(t.Weight > 0) {
			return nil, fmt.Errorf("propose: %w: type %s needs a radius > 0 and a weight > 0", ErrInvalid, t.ID)
		}
		rmax = math.Max(rmax, t.Radius)
	}
	res := &ProposeResult{Timings: map[string]time.Duration{}}
	d := in.Demand
	np := len(d.Points)
	nt := len(in.Types)

	t0 := time.Now()
	pos, snapped, err := SnapAllContext(ctx, in.Net, d.Points, maxSnap)
	if err != nil {
		return nil, err
	}
	byEdge := groupByEdge(in.Net.NumEdges(), pos, snapped)
	res.Timings["snap"] = time.Since(t0)

	// Items are (type, point) pairs: item t*np+i.
	t0 = time.Now()
	weights := make([]float64, nt*np)
	fixed := make([]bool, nt*np)
	for ti, t := range in.Types {
		for i, p := range d.Pop {
			weights[ti*np+i] = p * t.Weight
		}
		if len(t.Existing) == 0 {
			continue
		}
		srcs, _ := SnapFacilities(in.Net, t.Existing, maxSnap)
		s := in.Net.NewSearcher()
		s.SetStop(ctx.Done())
		s.Run(srcs, coverBound(t.Radius))
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		parallelRange(np, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				if snapped[i] {
					if dd, _, ok := s.At(pos[i]); ok && Covers(dd, t.Radius) {
						fixed[ti*np+i] = true
					}
				}
			}
		})
	}
	datedFrom, dated := datedCoverage(in, pos, snapped)
	res.Timings["existing"] = time.Since(t0)

	t0 = time.Now()
	cands := in.Candidates
	if cands == nil {
		var err error
		if cands, err = generateCandidates(in, pos, snapped, fixed, rmax); err != nil {
			return nil, fmt.Errorf("propose: %w", err)
		}
		if len(cands) == 0 {
			return nil, fmt.Errorf("propose: %w: every resident who can reach a street is already covered — nothing to propose", ErrInvalid)
		}
	}
	if len(cands) == 0 {
		return nil, fmt.Errorf("propose: %w: the candidate set is empty — give a --candidates layer with points or polygons, or leave it out to generate candidates along the streets", ErrInvalid)
	}
	res.Timings["candidates"] = time.Since(t0)

	// Coverage sets, one bounded search per candidate, in parallel.
	t0 = time.Now()
	sets := make([][]int32, len(cands))
	reach := make([]bool, len(cands))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	var next int64
	var mu sync.Mutex
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		j := int(next)
		next++
		return j
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := in.Net.NewSearcher()
			s.SetStop(ctx.Done()) // checked after wg.Wait
			mark := make([]bool, in.Net.NumEdges())
			for {
				j := take()
				if j >= len(cands) || ctx.Err() != nil {
					return
				}
				srcs, _ := SnapFacilities(in.Net, []orb.Geometry{cands[j].Geometry}, maxSnap)
				if len(srcs) == 0 {
					continue
				}
				reach[j] = true
				s.Run(srcs, coverBound(rmax))
				var set []int32
				s.ReachedEdges(mark, func(e int32) {
					for _, i := range byEdge.of(int(e)) {
						dd, _, ok := s.At(pos[i])
						if !ok {
							continue
						}
						for ti, t := range in.Types {
							if Covers(dd, t.Radius) {
								set = append(set, int32(ti*np)+i)
							}
						}
					}
				})
				sort.Slice(set, func(a, b int) bool { return set[a] < set[b] })
				sets[j] = dedupe(set)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Candidates beyond max snap are reported and skipped.
	var keep []Candidate
	var keepSets [][]int32
	for j, c := range cands {
		if !reach[j] {
			res.Skipped = append(res.Skipped, j)
			continue
		}
		keep = append(keep, c)
		keepSets = append(keepSets, sets[j])
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("propose: %w: none of the %d candidates is within %.0f m of a walkable street", ErrInvalid, len(cands), maxSnap)
	}
	res.Candidates = keep
	res.Problem = &cover.Problem{Weights: weights, Sets: keepSets, Fixed: fixed}
	res.Timings["coverage_sets"] = time.Since(t0)

	t0 = time.Now()
	opt := cover.Options{K: in.K, TimeLimit: in.TimeLimit, Clock: in.Clock}
	var chosen, phaseOf []int
	if len(in.Phases) > 0 {
		var err error
		if chosen, phaseOf, err = proposePhases(ctx, in, res, datedFrom); err != nil {
			return nil, err
		}
	} else if in.K > 0 {
		r, err := cover.SolveMax(ctx, res.Problem, opt)
		if err != nil {
			return nil, err
		}
		res.Max = r
		chosen = r.Chosen
		for k, v := range r.Timings {
			res.Timings["solve_"+k] = v
		}
		res.Objective, res.UpperBound, res.Gap, res.Coverable = r.Objective, r.UpperBound, r.Gap, r.Coverable
		res.Optimal, res.Nodes = r.Optimal, r.Nodes
	} else {
		opt.K = 0
		r, err := cover.SolveSet(ctx, res.Problem, in.Target, opt)
		if err != nil {
			return nil, err
		}
		res.Set = r
		chosen = r.Chosen
		for k, v := range r.Timings {
			res.Timings["solve_"+k] = v
		}
		res.Objective, res.LowerBound, res.Coverable = r.Covered, r.LowerBound, r.Coverable
		res.Optimal, res.Nodes = r.Optimal, r.Nodes
	}
	res.Timings["solve"] = time.Since(t0)
	res.Sites, res.Coverage = describeSites(in, res, chosen, phaseOf, datedFrom)
	if len(in.Phases) > 0 {
		phaseCoverage(in, res, datedFrom, dated)
	}
	return res, nil
}

// describeSites walks the chosen sites in rank order and records what
// each adds, per type and unit. In a phased proposal (phaseOf[k] is site
// k's phase index) the dated facilities open by a phase's year count as
// covered before its sites, adding to coverage but not to any site's gain.
func describeSites(in ProposeInput, res *ProposeResult, chosen, phaseOf []int, datedFrom []int32) ([]Site, []TypeCoverage) {
	d := in.Demand
	np := len(d.Points)
	nt := len(in.Types)
	total := d.Total()
	covered := make([]bool, len(res.Problem.Weights))
	copy(covered, res.Problem.Fixed)
	cov := make([]TypeCoverage, nt)
	for ti, t := range in.Types {
		cov[ti] = TypeCoverage{ID: t.ID, Radius: t.Radius, Population: total}
		for i := 0; i < np; i++ {
			if covered[ti*np+i] {
				cov[ti].CoveredBefore += d.Pop[i]
			}
		}
	}
	after := make([]float64, nt)
	for ti := range cov {
		after[ti] = cov[ti].CoveredBefore
	}
	open := func(year int) {
		for it, y := range datedFrom {
			if int(y) <= year && !covered[it] {
				covered[it] = true
				after[it/np] += d.Pop[it%np]
			}
		}
	}
	var sites []Site
	cum := 0.0
	for rank, j := range chosen {
		c := res.Candidates[j]
		s := Site{Rank: rank + 1, Candidate: j, ID: c.ID, Name: c.Name, Point: representativePoint(c.Geometry),
			GainByType: make([]float64, nt)}
		if phaseOf != nil {
			s.Phase = phaseOf[rank] + 1
			open(in.Phases[phaseOf[rank]].Year)
		}
		units := map[int32]float64{}
		for _, it := range res.Problem.Sets[j] {
			if covered[it] {
				continue
			}
			covered[it] = true
			w := res.Problem.Weights[it]
			ti, i := int(it)/np, int(it)%np
			s.Gain += w
			s.GainByType[ti] += w
			after[ti] += d.Pop[i]
			if in.Assign != nil && in.Assign[i] >= 0 {
				units[in.Assign[i]] += w
			}
		}
		cum += s.Gain
		s.Cumulative = cum
		s.CoverageAfter = make([]float64, nt)
		for ti := range after {
			if total > 0 {
				s.CoverageAfter[ti] = after[ti] / total
			}
		}
		for u, g := range units {
			s.Units = append(s.Units, UnitGain{Unit: in.Units[u].ID, Gain: g})
		}
		sort.Slice(s.Units, func(a, b int) bool {
			if s.Units[a].Gain != s.Units[b].Gain {
				return s.Units[a].Gain > s.Units[b].Gain
			}
			return s.Units[a].Unit < s.Units[b].Unit
		})
		sites = append(sites, s)
	}
	if len(in.Phases) > 0 {
		open(in.Phases[len(in.Phases)-1].Year)
	}
	for ti := range cov {
		cov[ti].CoveredAfter = after[ti]
		if total > 0 {
			cov[ti].Before = cov[ti].CoveredBefore / total
			cov[ti].After = after[ti] / total
		}
	}
	return sites, cov
}

// datedCoverage returns, per item (type, point), the earliest year from
// which a dated facility of the type covers it (math.MaxInt32: none), and
// the number of dated facilities per year; nil without phases.
func datedCoverage(in ProposeInput, pos []geo.Position, snapped []bool) ([]int32, map[int]int) {
	if len(in.Phases) == 0 {
		return nil, nil
	}
	np := len(in.Demand.Points)
	from := make([]int32, len(in.Types)*np)
	for i := range from {
		from[i] = math.MaxInt32
	}
	count := map[int]int{}
	for ti, t := range in.Types {
		byYear := map[int][]orb.Geometry{}
		for _, f := range t.Dated {
			byYear[f.From] = append(byYear[f.From], f.Geometry)
			count[f.From]++
		}
		for y, gs := range byYear {
			srcs, _ := SnapFacilities(in.Net, gs, in.MaxSnap)
			s := in.Net.NewSearcher()
			s.Run(srcs, coverBound(t.Radius))
			for i := 0; i < np; i++ {
				if snapped[i] {
					if dd, _, ok := s.At(pos[i]); ok && Covers(dd, t.Radius) && int32(y) < from[ti*np+i] {
						from[ti*np+i] = int32(y)
					}
				}
			}
		}
	}
	return from, count
}

// representativePoint is a candidate's point, or its centroid.
func representativePoint(g orb.Geometry) orb.Point {
	if p, ok := g.(orb.Point); ok {
		return p
	}
	return g.Bound().Center()
}

// generateCandidates places candidate sites along the streets, at least
// Spacing metres apart, wherever some uncovered resident lives within the
// largest radius.
func generateCandidates(in ProposeInput, pos []geo.Position, snapped, fixed []bool, rmax float64) ([]Candidate, error) {
	spacing := in.Spacing
	np := len(in.Demand.Points)
	var srcs []geo.Source
	for i := 0; i < np; i++ {
		if !snapped[i] || in.Demand.Pop[i] <= 0 {
			continue
		}
		for ti := range in.Types {
			if !fixed[ti*np+i] {
				srcs = append(srcs, geo.Source{Pos: pos[i], Label: int32(i)})
				break
			}
		}
	}
	if len(srcs) == 0 {
		return nil, nil
	}
	s := in.Net.NewSearcher()
	s.Run(srcs, coverBound(rmax))
	samples, err := DemandFromNetwork(in.Net, spacing)
	if err != nil {
		return nil, err
	}
	spos, sok := SnapAll(in.Net, samples.Points, 1)
	var out []Candidate
	for k, p := range samples.Points {
		if !sok[k] {
			continue
		}
		if _, _, ok := s.At(spos[k]); ok {
			out = append(out, Candidate{ID: fmt.Sprintf("g%d", len(out)+1), Geometry: p, Generated: true})
		}
	}
	if err := checkGenerated(in, len(out)); err != nil {
		return nil, err
	}
	return out, nil
}

// edgePoints lists the demand points on each edge in CSR form.
type edgePoints struct {
	start []int32
	pts   []int32
}

func (e edgePoints) of(edge int) []int32 { return e.pts[e.start[edge]:e.start[edge+1]] }

func groupByEdge(nedges int, pos []geo.Position, ok []bool) edgePoints {
	g := edgePoints{start: make([]int32, nedges+1)}
	for i, p := range pos {
		if ok[i] {
			g.start[p.Edge+1]++
		}
	}
	for e := 0; e < nedges; e++ {
		g.start[e+1] += g.start[e]
	}
	g.pts = make([]int32, g.start[nedges])
	fill := make([]int32, nedges)
	copy(fill, g.start[:nedges])
	for i, p := range pos {
		if ok[i] {
			g.pts[fill[p.Edge]] = int32(i)
			fill[p.Edge]++
		}
	}
	return g
}

func dedupe(s []int32) []int32 {
	if len(s) < 2 {
		return s
	}
	k := 1
	for i := 1; i < len(s); i++ {
		if s[i] != s[k-1] {
			s[k] = s[i]
			k++
		}
	}
	return s[:k]
}
