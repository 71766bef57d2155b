package planner

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner/cover"
	"github.com/paulmach/orb"
)

// A ProposalPrep is a proposal up to its coverage sets: the demand
// snapped, the items (type, point) weighted and those the existing
// facilities cover fixed, the candidates generated or read and snapped.
// Its coverage sets come from the whole network (Propose) or from shards
// that each search a part of it (CoverageSets); Solve then runs the
// covering solver once on them, so a sharded proposal has the bound and
// the answer of a single run.
type ProposalPrep struct {
	in ProposeInput
	// Candidates are those within MaxSnap of a street, in their order:
	// Solve wants one coverage set for each.
	Candidates []Candidate
	// Reach is the farthest walk in metres a coverage set looks: a shard
	// whose halo holds every path of that length plus the snapping
	// distances finds the same sets as the whole network.
	Reach float64

	res       *ProposeResult
	weights   []float64
	fixed     []bool
	pos       []geo.Position
	snapped   []bool
	srcs      [][]geo.Source // of Candidates on in.Net
	datedFrom []int32
	dated     map[int]int
	skipped   []int
}

// PrepareProposal checks in and does every step of Propose before the
// coverage sets.
func PrepareProposal(ctx context.Context, in ProposeInput) (*ProposalPrep, error) {
	rmax, err := checkProposeInput(in)
	if err != nil {
		return nil, err
	}
	pp := &ProposalPrep{in: in, res: &ProposeResult{Timings: map[string]time.Duration{}}, Reach: coverBound(rmax)}
	d := in.Demand
	np := len(d.Points)
	t0 := time.Now()
	if pp.pos, pp.snapped, err = SnapAllContext(ctx, in.Net, d.Points, in.MaxSnap); err != nil {
		return nil, err
	}
	pp.res.Timings["snap"] = time.Since(t0)
	t0 = time.Now()
	pp.weights = make([]float64, len(in.Types)*np)
	pp.fixed = make([]bool, len(in.Types)*np)
	for ti, t := range in.Types {
		for i, p := range d.Pop {
			pp.weights[ti*np+i] = p * t.Weight
		}
		if err := pp.fixExisting(ctx, ti); err != nil {
			return nil, err
		}
	}
	pp.datedFrom, pp.dated = datedCoverage(in, pp.pos, pp.snapped)
	pp.res.Timings["existing"] = time.Since(t0)
	t0 = time.Now()
	if err := pp.candidates(rmax); err != nil {
		return nil, err
	}
	pp.res.Timings["candidates"] = time.Since(t0)
	return pp, nil
}

// checkProposeInput refuses an incomplete proposal and returns the
// largest radius of its types.
func checkProposeInput(in ProposeInput) (float64, error) {
	if in.Net == nil || in.Demand == nil || len(in.Types) == 0 {
		return 0, fmt.Errorf("propose: %w: a network, demand and at least one type are required", ErrInvalid)
	}
	if in.K < 0 || (in.K == 0 && len(in.Phases) == 0 && !(in.Target > 0 && in.Target <= 1)) {
		return 0, fmt.Errorf("propose: %w: give a number of sites k ≥ 1, or a target share in (0, 1]", ErrInvalid)
	}
	if !(in.MaxSnap > 0) || !(in.TimeLimit > 0) || (in.Candidates == nil && !(in.Spacing > 0)) {
		return 0, fmt.Errorf("propose: %w: max snap (%v m), time limit (%v) and, for generated candidates, spacing (%v m) must be positive: pass the defaults (%v m, %v, %v m) when the user sets none",
			ErrInvalid, in.MaxSnap, in.TimeLimit, in.Spacing, geo.DefaultMaxSnap, DefaultCoverTimeLimit, DefaultSpacing)
	}
	if in.Candidates == nil {
		if err := checkSpacing(in); err != nil {
			return 0, err
		}
	}
	rmax := 0.0
	for _, t := range in.Types {
		if !(t.Radius > 0) || !(t.Weight > 0) {
			return 0, fmt.Errorf("propose: %w: type %s needs a radius > 0 and a weight > 0", ErrInvalid, t.ID)
		}
		rmax = math.Max(rmax, t.Radius)
	}
	return rmax, nil
}

// fixExisting marks the items of type ti that its existing facilities
// cover.
func (pp *ProposalPrep) fixExisting(ctx context.Context, ti int) error {
	in, t, np := pp.in, pp.in.Types[ti], len(pp.in.Demand.Points)
	if len(t.Existing) == 0 {
		return nil
	}
	srcs, _ := SnapFacilities(in.Net, t.Existing, in.MaxSnap)
	s := in.Net.NewSearcher()
	s.SetAnyListOrder(true) // only distances are read
	s.SetStop(ctx.Done())
	s.Run(srcs, coverBound(t.Radius))
	if err := ctx.Err(); err != nil {
		return err
	}
	parallelRange(np, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if pp.snapped[i] {
				if dd, _, ok := s.At(pp.pos[i]); ok && Covers(dd, t.Radius) {
					pp.fixed[ti*np+i] = true
				}
			}
		}
	})
	return nil
}

// candidates generates or takes the candidates, snaps them and keeps
// those within MaxSnap of a street.
func (pp *ProposalPrep) candidates(rmax float64) error {
	in := pp.in
	cands := in.Candidates
	if cands == nil {
		var err error
		if cands, err = generateCandidates(in, pp.pos, pp.snapped, pp.fixed, rmax); err != nil {
			return fmt.Errorf("propose: %w", err)
		}
		if len(cands) == 0 {
			return fmt.Errorf("propose: %w: every resident who can reach a street is already covered — nothing to propose", ErrInvalid)
		}
	}
	if len(cands) == 0 {
		return fmt.Errorf("propose: %w: the candidate set is empty — give a --candidates layer with points or polygons, or leave it out to generate candidates along the streets", ErrInvalid)
	}
	srcs := snapCandidates(in.Net, cands, in.MaxSnap)
	for j, c := range cands {
		if len(srcs[j]) == 0 {
			pp.skipped = append(pp.skipped, j)
			continue
		}
		pp.Candidates = append(pp.Candidates, c)
		pp.srcs = append(pp.srcs, srcs[j])
	}
	if len(pp.Candidates) == 0 {
		return fmt.Errorf("propose: %w: none of the %d candidates is within %.0f m of a walkable street", ErrInvalid, len(cands), in.MaxSnap)
	}
	return nil
}

// snapCandidates returns each candidate's sources on net (none: farther
// than maxSnap from every street).
func snapCandidates(net *geo.Network, cands []Candidate, maxSnap float64) [][]geo.Source {
	srcs := make([][]geo.Source, len(cands))
	parallelRange(len(cands), func(lo, hi int) {
		for j := lo; j < hi; j++ {
			srcs[j], _ = SnapFacilities(net, []orb.Geometry{cands[j].Geometry}, maxSnap)
		}
	})
	return srcs
}

// Demand is the proposal's demand.
func (pp *ProposalPrep) Demand() *Demand { return pp.in.Demand }

// CoverageSets returns, for each candidate, the items it covers among
// dem's points on net, ascending: item t*len(dem.Points)+i is point i
// covered for type t (within types[t].Radius). A candidate that does not
// snap to net covers nothing. The demand points are snapped to net as
// Propose snaps them; a shard passes its part of the network and the
// points its core owns (data/study, shard_propose.go).
func CoverageSets(ctx context.Context, net *geo.Network, dem *Demand, maxSnap float64, types []ProposeType, cands []Candidate) ([][]int32, error) {
	pos, snapped, err := SnapAllContext(ctx, net, dem.Points, maxSnap)
	if err != nil {
		return nil, err
	}
	return coverageSets(ctx, net, pos, snapped, len(dem.Points), types, snapCandidates(net, cands, maxSnap))
}

// coverageSets runs one bounded search per candidate (srcs[j] are its
// sources), in parallel.
func coverageSets(ctx context.Context, net *geo.Network, pos []geo.Position, snapped []bool, np int, types []ProposeType, srcs [][]geo.Source) ([][]int32, error) {
	rmax := 0.0
	for _, t := range types {
		rmax = math.Max(rmax, t.Radius)
	}
	byEdge := groupByEdge(net.NumEdges(), pos, snapped)
	sets := make([][]int32, len(srcs))
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		next++
		return next - 1
	}
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := net.NewSearcher()
			s.SetAnyListOrder(true) // the sets are sorted
			s.SetStop(ctx.Done())   // checked after wg.Wait
			mark := make([]bool, net.NumEdges())
			for j := take(); j < len(srcs) && ctx.Err() == nil; j = take() {
				if len(srcs[j]) == 0 {
					continue
				}
				s.Run(srcs[j], coverBound(rmax))
				var set []int32
				s.ReachedEdges(mark, func(e int32) {
					for _, i := range byEdge.of(int(e)) {
						dd, _, ok := s.At(pos[i])
						if !ok {
							continue
						}
						for ti, t := range types {
							if Covers(dd, t.Radius) {
								set = append(set, int32(ti*np)+i)
							}
						}
					}
				})
				slices.Sort(set)
				sets[j] = dedupe(set)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return sets, nil
}

// Solve solves the covering problem with sets, one per Candidates in
// their order (items as CoverageSets numbers them on the whole demand),
// and describes the sites.
func (pp *ProposalPrep) Solve(ctx context.Context, sets [][]int32) (*ProposeResult, error) {
	in, res := pp.in, pp.res
	if len(sets) != len(pp.Candidates) {
		return nil, fmt.Errorf("propose: %w: %d coverage sets for %d candidates", ErrInvalid, len(sets), len(pp.Candidates))
	}
	res.Candidates, res.Skipped = pp.Candidates, pp.skipped
	res.Problem = &cover.Problem{Weights: pp.weights, Sets: sets, Fixed: pp.fixed}
	t0 := time.Now()
	opt := cover.Options{K: in.K, TimeLimit: in.TimeLimit, Clock: in.Clock}
	var chosen, phaseOf []int
	if len(in.Phases) > 0 {
		var err error
		if chosen, phaseOf, err = proposePhases(ctx, in, res, pp.datedFrom); err != nil {
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
	res.Sites, res.Coverage = describeSites(in, res, chosen, phaseOf, pp.datedFrom)
	if len(in.Phases) > 0 {
		phaseCoverage(in, res, pp.datedFrom, pp.dated)
	}
	return res, nil
}
