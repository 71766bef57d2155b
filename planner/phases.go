package planner

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/planner/cover"
	"github.com/paulmach/orb"
)

// A Phase is one step of a phased proposal: K new sites in Year. Facilities
// dated to open in Year or before count as existing from this phase on.
type Phase struct {
	Label string `json:"label"` // as written, e.g. "2026"
	Year  int    `json:"year"`
	K     int    `json:"k"`
}

// A DatedFacility is an existing facility that counts only from a year
// on: a planned or under-construction station with its opening date.
type DatedFacility struct {
	ID   string
	From int // the year it opens
	// Geometry as Facility.Geometry.
	Geometry orb.Geometry
}

// PlannedOpening returns the year a planned or under-construction
// facility opens, when its opens date is known and after day: a phased
// proposal counts it as existing from the phases of that year on.
func (f Facility) PlannedOpening(day time.Time) (int, bool) {
	switch f.Status.Norm() {
	case StatusPlanned, StatusUnderConstruction:
		if !f.Opens.IsZero() && f.Opens.After(Day(day)) {
			return f.Opens.Year(), true
		}
	}
	return 0, false
}

// ParsePhases reads a phase plan "2026:3,2027:5,2028:4": years in
// increasing order, each with a number of new sites ≥ 1.
func ParsePhases(s string) ([]Phase, error) {
	var out []Phase
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		y, k, ok := strings.Cut(part, ":")
		year, err1 := strconv.Atoi(strings.TrimSpace(y))
		n, err2 := strconv.Atoi(strings.TrimSpace(k))
		if !ok || err1 != nil || err2 != nil || year < 1000 || year > 9999 {
			return nil, fmt.Errorf("%w: phase %q: write YEAR:SITES, e.g. \"2026:3,2027:5\"", ErrInvalid, part)
		}
		if n < 1 {
			return nil, fmt.Errorf("%w: phase %s: %d sites — each phase builds at least 1", ErrInvalid, y, n)
		}
		if len(out) > 0 && year <= out[len(out)-1].Year {
			return nil, fmt.Errorf("%w: phase %d comes after %d: list the phases by increasing year", ErrInvalid, year, out[len(out)-1].Year)
		}
		out = append(out, Phase{Label: strings.TrimSpace(y), Year: year, K: n})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no phase in %q: write YEAR:SITES,…, e.g. \"2026:3,2027:5\"", ErrInvalid, s)
	}
	return out, nil
}

// PhaseResult is what one phase of a phased proposal builds and gains.
type PhaseResult struct {
	Phase
	// Sites is the number of sites chosen (below K when fewer add any gain).
	Sites int `json:"sites"`
	// Opened counts the dated facilities that open in this phase (after
	// the previous phase's year, up to this one); OpenedGain is the
	// weighted residents they newly cover.
	Opened     int     `json:"opened_facilities"`
	OpenedGain float64 `json:"opened_gain"`
	// Gain is the weighted residents the phase's sites newly cover, given
	// every earlier phase's sites and the facilities open by Year.
	Gain float64 `json:"gain"`
	// UpperBound bounds the gain of any K sites in this phase given the
	// earlier phases' sites (the solver's Lagrangian bound, or the optimum
	// when proven); Gap = (UpperBound-Gain)/UpperBound.
	UpperBound   float64 `json:"upper_bound"`
	Gap          float64 `json:"gap"`
	Optimal      bool    `json:"optimal"`
	StoppedEarly bool    `json:"stopped_early"`
	Nodes        int     `json:"nodes"`
	// CoveredAfter and CoverageAfter are each type's covered residents and
	// coverage share once the phase is built.
	CoveredAfter  []float64 `json:"covered_after"`
	CoverageAfter []float64 `json:"coverage_after"`
	// Fixed marks the items counted as covered when the phase was solved
	// (existing and opened facilities, earlier phases' sites): the phase's
	// problem is Problem with this Fixed (WritePhaseLP).
	Fixed []bool `json:"-"`
}

// proposePhases solves the phases in order: phase p is maximal covering
// with K_p sites where the existing facilities, the dated ones open by
// Year_p and every earlier phase's sites are fixed. It returns the chosen
// candidates in build order and the phase of each.
func proposePhases(ctx context.Context, in ProposeInput, res *ProposeResult, datedFrom []int32) ([]int, []int, error) {
	p := res.Problem
	fixed := append([]bool(nil), p.Fixed...)
	var chosen, phaseOf []int
	for pi, ph := range in.Phases {
		for it, y := range datedFrom {
			if int(y) <= ph.Year {
				fixed[it] = true
			}
		}
		for _, j := range chosen {
			for _, it := range p.Sets[j] {
				fixed[it] = true
			}
		}
		pr := PhaseResult{Phase: ph, Fixed: append([]bool(nil), fixed...)}
		r, err := cover.SolveMax(ctx, &cover.Problem{Weights: p.Weights, Sets: p.Sets, Fixed: pr.Fixed}, cover.Options{K: ph.K, TimeLimit: in.TimeLimit, Clock: in.Clock})
		if err != nil {
			return nil, nil, fmt.Errorf("phase %s: %w", ph.Label, err)
		}
		pr.Sites, pr.Gain, pr.UpperBound, pr.Gap = len(r.Chosen), r.Objective, r.UpperBound, r.Gap
		pr.Optimal, pr.StoppedEarly, pr.Nodes = r.Optimal, r.StoppedEarly, r.Nodes
		for k, v := range r.Timings {
			res.Timings["solve_"+k] += v
		}
		res.Phases = append(res.Phases, pr)
		res.Objective += r.Objective
		chosen = append(chosen, r.Chosen...)
		for range r.Chosen {
			phaseOf = append(phaseOf, pi)
		}
		if pi == 0 {
			res.Coverable = r.Coverable
		}
	}
	res.Optimal = true
	for _, pr := range res.Phases {
		res.UpperBound += pr.UpperBound
		res.Optimal = res.Optimal && pr.Optimal
	}
	if res.UpperBound > 0 {
		res.Gap = (res.UpperBound - res.Objective) / res.UpperBound
	}
	return chosen, phaseOf, nil
}

// phaseCoverage fills each phase's opened facilities' gain and coverage
// after it, walking the same order as describeSites.
func phaseCoverage(in ProposeInput, res *ProposeResult, datedFrom []int32, dated map[int]int) {
	d := in.Demand
	np := len(d.Points)
	total := d.Total()
	covered := append([]bool(nil), res.Problem.Fixed...)
	after := make([]float64, len(in.Types))
	for it, c := range covered {
		if c {
			after[it/np] += d.Pop[it%np]
		}
	}
	site := 0
	prevYear := math.MinInt
	for pi := range res.Phases {
		pr := &res.Phases[pi]
		for it, y := range datedFrom {
			if int(y) <= pr.Year && !covered[it] {
				covered[it] = true
				pr.OpenedGain += res.Problem.Weights[it]
				after[it/np] += d.Pop[it%np]
			}
		}
		for y, n := range dated {
			if y > prevYear && y <= pr.Year {
				pr.Opened += n
			}
		}
		prevYear = pr.Year
		for ; site < len(res.Sites) && res.Sites[site].Phase == pi+1; site++ {
			for _, it := range res.Problem.Sets[res.Sites[site].Candidate] {
				if !covered[it] {
					covered[it] = true
					after[int(it)/np] += d.Pop[int(it)%np]
				}
			}
		}
		pr.CoveredAfter = make([]float64, len(after))
		pr.CoverageAfter = make([]float64, len(after))
		for ti, a := range after {
			pr.CoveredAfter[ti] = a
			if total > 0 {
				pr.CoverageAfter[ti] = a / total
			}
		}
	}
}

// WritePhaseLP writes phase pi's maximal covering model (see WriteLP):
// the items covered by the existing facilities, the dated ones open by
// the phase's year and the earlier phases' sites are fixed, so the
// model's optimum is the best gain of the phase given the ones before —
// what its UpperBound bounds.
func WritePhaseLP(w io.Writer, res *ProposeResult, pi int, names []string) error {
	if pi < 0 || pi >= len(res.Phases) {
		return fmt.Errorf("write lp: no phase %d", pi+1)
	}
	ph := res.Phases[pi]
	var earlier []string
	for _, s := range res.Sites {
		if s.Phase <= pi {
			earlier = append(earlier, "x"+strconv.Itoa(s.Candidate))
		}
	}
	if _, err := fmt.Fprintf(w, "\\ phase %d of %d (%s): %d new sites; earlier phases' sites fixed (their items count as covered): %s\n",
		pi+1, len(res.Phases), ph.Label, ph.K, strings.Join(earlier, " ")); err != nil {
		return err
	}
	p := &cover.Problem{Weights: res.Problem.Weights, Sets: res.Problem.Sets, Fixed: ph.Fixed}
	return cover.WriteLP(w, p, ph.K, names)
}
