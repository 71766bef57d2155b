package planner

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
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
// It is PrepareProposal, the coverage sets on the whole network and
// ProposalPrep.Solve: a sharded proposal (data/study) runs the same
// steps with the sets computed shard by shard.
func Propose(ctx context.Context, in ProposeInput) (*ProposeResult, error) {
	pp, err := PrepareProposal(ctx, in)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	sets, err := coverageSets(ctx, in.Net, pp.pos, pp.snapped, len(in.Demand.Points), in.Types, pp.srcs)
	if err != nil {
		return nil, err
	}
	pp.res.Timings["coverage_sets"] = time.Since(t0)
	return pp.Solve(ctx, sets)
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
			s.SetAnyListOrder(true) // only distances are read
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
	s.SetAnyListOrder(true) // only distances are read
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
