package study

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"
)

// A Study is a study's inputs, read and estimated: the audit's input and
// what its outputs say about how it was made.
type Study struct {
	Settings Settings
	In       planner.AuditInput
	Inputs   *Inputs
	Meta     data.AuditMeta
	// Grid is the grid of the cells, nil with units.
	Grid *planner.Grid
	// All are the facilities read, overrides and field reports applied,
	// whether or not they count as of the audit's --as-of (In.Facilities
	// are those that do).
	All []planner.Facility

	reports []planner.StatusReport // the field report history
	asOf    planner.AsOf

	p           Progress
	start       time.Time
	prepped     bool
	auditWarned bool // auditWarnings ran
}

// Load validates the settings (after the source's stored ones are laid
// over them), reads the inputs from src and estimates the residents
// (unless s.NoDemand). Units are placed by Prepare (or Run), after the
// caller may have replaced the demand.
func Load(ctx context.Context, s Settings, src Source, p Progress) (*Study, error) {
	if p == nil {
		p = NoProgress{}
	}
	st := &Study{p: p, start: time.Now()}
	if err := src.Resolve(ctx, &s, p); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	in, err := src.Read(ctx, s, p)
	if err != nil {
		return nil, err
	}
	st.Settings, st.Inputs = s, in
	st.In = planner.AuditInput{Profile: in.Profile, Net: in.Net, Facilities: in.Facilities,
		MaxSnap: s.MaxSnap, MaxDistance: s.MaxDistance}
	inputs := map[string]any{"profile": in.Profile.ID}
	for k, v := range in.Sources {
		inputs[k] = v
	}
	inputs["cell_m"] = s.Cell
	inputs["max_snap_m"] = s.MaxSnap
	inputs["max_distance_m"] = s.MaxDistance
	inputs["floor_area_m2"] = s.FloorArea
	st.Meta = data.AuditMeta{Created: time.Now(), Title: s.Name, Inputs: inputs, Network: in.NetInfo, Timings: map[string]time.Duration{},
		Warnings: append([]string(nil), in.Warnings...), WarningDetails: append([]planner.Warning(nil), in.WarningDetails...)}
	for k, v := range in.Timings {
		st.Meta.Timings[k] = v
	}
	if s.FacilityOverrides != "" {
		if err := st.applyOverrides(s.FacilityOverrides); err != nil {
			return nil, err
		}
	}
	if err := st.applyStatus(ctx, src); err != nil {
		return nil, err
	}
	if st.In.Rules, err = Rules(in.Profile, s); err != nil {
		return nil, err
	}
	if s.NoDemand {
		return st, nil
	}
	t0 := time.Now()
	if err := st.estimateDemand(); err != nil {
		return nil, err
	}
	st.Meta.Timings["demand"] = time.Since(t0)
	// The demand holds the residents now: a million population features
	// need not stay in memory through the audit. A collection now, while
	// what stays is mostly arrays without pointers (quick to mark), sets
	// the heap's next goal from what the audit keeps instead of from the
	// features just dropped: without it the heap grows to twice the
	// features' size before the next collection (1M residents: 1.4 GB
	// peak instead of 1.1 GB; BENCHMARKS.md).
	big := len(st.Inputs.Population) >= bigPopulation
	st.Inputs.Population = nil
	if big {
		runtime.GC()
		lowerGCGoal()
	}
	return st, nil
}

// bigPopulation is the number of population features from which Load
// collects the heap once they are dropped.
const bigPopulation = 200_000

// lowerGCGoal lets the heap grow by half its live size between
// collections instead of by all of it (GOGC 50 instead of 100), unless the
// user set GOGC: a large audit's memory is mostly arrays without pointers,
// quick to mark, so collecting twice as often costs little time while the
// peak stays well under the machine's memory (1M residents: peak RSS
// 1.42 → 1.0 GB at the same CPU time; BENCHMARKS.md).
func lowerGCGoal() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
}

// estimateDemand estimates the residents, in order of preference (DESIGN
// §2): the population layer, else residential buildings, else points every
// 50 m along the streets.
func (st *Study) estimateDemand() error {
	in, s, p := st.Inputs, st.Settings, st.p
	p.Step("estimate residents")
	bopt := planner.BuildingOptions{FloorAreaPerPerson: s.FloorArea, ResidentialAreas: in.ResidentialAreas}
	var dem *planner.Demand
	var err error
	switch {
	case in.PopulationSource != "":
		dem, err = planner.DemandFromPopulation(in.Population, in.Buildings, bopt, in.Net)
		if err != nil {
			return fmt.Errorf("%s: %w", in.PopulationSource, err)
		}
		st.Meta.Inputs["population"] = in.PopulationSource
	default:
		if len(in.Buildings) > 0 {
			dem, _, err = planner.DemandFromBuildings(in.Buildings, bopt)
			if err != nil {
				return err
			}
		}
		if dem == nil || len(dem.Points) == 0 {
			if dem, err = planner.DemandFromNetwork(in.Net, 50); err != nil {
				return err
			}
			p.Warn("no population layer and no residential buildings: residents are sampled every 50 m along the streets (weight 1 each); %s", in.noPopulationHint)
		}
	}
	if len(dem.Points) == 0 {
		return fmt.Errorf("no residents found: the population layer is empty or all zero")
	}
	if dem, err = st.officialDemand(dem, bopt); err != nil {
		return err
	}
	if s.TotalPopulation > 0 {
		if err := dem.Rescale(s.TotalPopulation); err != nil {
			return err
		}
		st.Meta.Inputs["total_population"] = s.TotalPopulation
	}
	st.In.Demand = dem
	p.Done("%s: %d points, %.0f residents", dem.Source, len(dem.Points), dem.Total())
	return nil
}

// Rules gathers the provision rules of a study: the profile's, the
// settings' (project file), and one district-wide coverage rule per
// fail-below type, in type order.
func Rules(prof *planner.Profile, s Settings) ([]planner.Rule, error) {
	rules := append([]planner.Rule(nil), prof.Rules...)
	rules = append(rules, s.Rules...)
	types := make([]string, 0, len(s.FailBelow))
	for t := range s.FailBelow {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		ty, err := prof.Lookup(t)
		if err != nil {
			return nil, Invalidf("--fail-below %s=%v: %v", t, s.FailBelow[t], strings.TrimSuffix(err.Error(), ": "+planner.ErrInvalid.Error()))
		}
		rules = append(rules, planner.Rule{Type: ty.ID, MinCoverage: s.FailBelow[t], Origin: "--fail-below"})
	}
	return rules, nil
}

// HasUnits reports whether the study has analysis units (not grid cells).
func (st *Study) HasUnits() bool { return len(st.Inputs.Units) > 0 }

// Prepare rounds the demand and the facilities to the outputs' precision
// (Quantize) and places every demand point in its unit (AssignUnits).
func (st *Study) Prepare() error {
	if st.prepped {
		return nil
	}
	st.Quantize()
	if err := st.AssignUnits(); err != nil {
		return err
	}
	st.prepped = true
	return nil
}

// Run prepares the study and audits it, and as of each year of the
// settings' --timeline (RunTimeline).
func Run(ctx context.Context, st *Study) (*planner.AuditResult, error) {
	if err := st.Prepare(); err != nil {
		return nil, err
	}
	var res *planner.AuditResult
	var err error
	if st.Settings.Shard.Enabled() {
		res, _, err = RunSharded(ctx, st, st.Settings.Shard)
	} else {
		st.p.Step("walkable coverage")
		if res, err = planner.Audit(ctx, st.In); err == nil {
			st.finishRun(res)
		}
	}
	if err != nil {
		return nil, err
	}
	if _, err := RunTimeline(ctx, st); err != nil {
		return nil, err
	}
	return res, nil
}

// finishRun reports an audit's outcome and warnings.
func (st *Study) finishRun(res *planner.AuditResult) {
	st.p.Done("%d types × %d residents' points", len(res.Types), len(st.In.Demand.Points))
	for _, w := range res.Warnings {
		st.p.Warn("%s", w)
	}
	st.AuditWarnings(res)
}

// ReleaseInputs lets go of what a one-shot audit no longer needs once it
// has run: the walk network with its index, when no output draws it
// (data.DrawsNetwork) — the largest thing in memory, while writing the
// outputs needs much memory of its own. (Load already let go of the
// population layer's features, once the demand held the residents.) The
// study can write its outputs afterwards, but not run again.
func (st *Study) ReleaseInputs() {
	if !data.DrawsNetwork(st.In.Net) {
		st.In.Net, st.Inputs.Net = nil, nil
	}
}

// Write writes the audit's outputs into dir (data.WriteAudit), with the
// time from Load to here as total_before_write.
func (st *Study) Write(dir string, res *planner.AuditResult) error {
	st.Meta.Timings["total_before_write"] = time.Since(st.start)
	return data.WriteAudit(dir, st.In, res, st.Meta)
}

// Quantize rounds the demand points and the facilities' positions to 6
// decimals (≈0.1 m), the precision of the GeoJSON outputs, so that every
// distance in demand.geojson is what `lifecircle nearest` computes from the
// points and facilities as written. Unrounded, a point within centimetres
// of being equidistant from two streets can snap to the other street once
// rounded, tens of metres away along the network.
func (st *Study) Quantize() {
	pts := st.In.Demand.Points
	for i, p := range pts {
		pts[i] = round6(p)
	}
	for i := range st.In.Facilities {
		st.In.Facilities[i].Geometry = roundGeometry6(st.In.Facilities[i].Geometry)
	}
}

func round6(p orb.Point) orb.Point {
	return orb.Point{math.Round(p[0]*1e6) / 1e6, math.Round(p[1]*1e6) / 1e6}
}

// roundGeometry6 returns a copy of g with every position rounded to 6
// decimals (a copy: OSM facilities may share coordinates with buildings).
func roundGeometry6(g orb.Geometry) orb.Geometry {
	return project.Geometry(orb.Clone(g), round6)
}

// AssignUnits puts every demand point in its unit: the units of every
// level, or the grid cells that hold residents.
func (st *Study) AssignUnits() error {
	t0 := time.Now()
	if st.HasUnits() {
		if err := st.buildHierarchy(); err != nil {
			return err
		}
	} else {
		dem := st.In.Demand
		var b orb.Bound
		for i, pt := range dem.Points {
			if i == 0 {
				b = orb.Bound{Min: pt, Max: pt}
			}
			b = b.Extend(pt)
		}
		cell := st.Settings.Cell
		g, err := planner.NewGrid(cell, b)
		if err != nil {
			return Invalidf("--cell: %v", err)
		}
		st.Grid = &g
		st.In.Units, st.In.Assign = planner.CellUnits(g, dem.Points, dem.Pop)
		st.In.Hierarchy = planner.SingleLevel("cell", st.In.Units, st.In.Assign)
		st.Meta.CellSize = cell
		st.Meta.GridID = fmt.Sprintf("%.0f m cells, Lambert azimuthal equal-area centred on %.0f°, %.0f°", cell, g.Anchor[0], g.Anchor[1])
	}
	st.Meta.Timings["units"] = time.Since(t0)
	return nil
}

// buildHierarchy links the unit levels, places every demand point at
// every level and makes the finest level the audit's units.
func (st *Study) buildHierarchy() error {
	in, p := st.Inputs, st.p
	p.Step("link unit levels")
	h, warns, err := planner.BuildHierarchy(in.Units, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", in.hierarchyLabel, err)
	}
	overlaps := h.AssignDemand(st.In.Demand.Points)
	// Write each unit's parent as linked (by id or by containment).
	for k := 1; k < len(h.Levels); k++ {
		lv, up := &h.Levels[k], &h.Levels[k-1]
		for u, pi := range lv.Parent {
			if pi >= 0 {
				lv.Units[u].Parent = up.Units[pi].ID
			}
		}
	}
	fin := h.Finest()
	st.In.Units, st.In.Assign, st.In.Hierarchy = fin.Units, fin.Assign, h
	st.Meta.UnitsFile = in.UnitsSource
	st.Meta.Inputs["units"] = in.UnitsSource
	var counts []string
	for _, l := range h.Levels {
		counts = append(counts, fmt.Sprintf("%d %s", len(l.Units), l.Name))
	}
	p.Done("%s", strings.Join(counts, " ⊃ "))
	for _, w := range warns {
		p.Warn("%s", w)
		st.Meta.Warnings = append(st.Meta.Warnings, w)
	}
	for k, n := range overlaps {
		if n > 0 {
			w := fmt.Sprintf("%s: level %s: %d demand points lie in more than one unit (overlapping polygons); each is counted in the first unit only — check the unit boundaries", in.overlapLabel, h.Levels[k].Name, n)
			p.Warn("%s", w)
			st.Meta.Warnings = append(st.Meta.Warnings, w)
		}
	}
	return nil
}
