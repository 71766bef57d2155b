package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/planner"
)

func init() {
	register("propose", "propose new sites that close the most gap, with a bound on the optimum", runPropose)
}

const proposeHelp = `Proposes where new sites of an amenity type should go.

  --k N          maximal covering: the N sites that newly cover the most residents
                 (lazy greedy start, improved by swaps), with an upper bound on what
                 any N sites could cover, so the gap to the optimum is proven.
  --target S     set covering: the fewest sites that cover share S (0..1] of the
                 residents that any candidate can cover, with a lower bound on that number.

Existing facilities of the type (from the OSM extract, --amenities or --facilities)
stay where they are: residents they already reach count for nothing. Without
--type, give --radius; then nothing is fixed.

Candidates come from --candidates (points, or polygons such as vacant lots reached
at their boundary) or are generated along the streets every --spacing metres where
residents are uncovered (--spacing ≥ 1 m; at most 200,000 generated candidates:
a larger network needs a larger --spacing). Several types at one site (a community service complex):
--types clinic,elderly:2 counts each type's residents with its weight.

--phases "2026:3,2027:5" gives a build order: each phase's sites are the best given
the earlier phases' sites (with a bound per phase; --time-limit is per phase).

--shards N / --distributed nats://HOST:4222: coverage sets in shards with exact halos, or on
workers; solved once on the merged sets (the sites and bound of a single run).

Writes proposals.geojson, before_after.json and report.html into --out (atomically)
and prints a ranked table. --export-model FILE.lp writes the same instance as an integer program
(CPLEX LP format) for a MIP solver; with --phases FILE-phaseN.lp per phase.

Example:
  lifecircle propose --sample --type elderly --k 5 --out proposals`

// proposeFlags are propose's own flags.
type proposeFlags struct {
	typ, types, candidates, demand, exportModel, facilities, phases string
	k                                                               int
	target, radius, spacing                                         float64
	timeLimit                                                       time.Duration
	scale                                                           proposeScale // propose_scale.go
}

func (o *proposeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.typ, "type", "", "amenity type to site (an id of the profile)")
	fs.StringVar(&o.types, "types", "", "several types hosted by each site, with optional weights: clinic,elderly:2")
	fs.IntVar(&o.k, "k", 0, "number of sites (maximal covering)")
	fs.StringVar(&o.phases, "phases", "", `a build order: YEAR:SITES per phase, e.g. "2026:3,2027:5,2028:4" (instead of --k)`)
	fs.Float64Var(&o.target, "target", 0, "share of coverable residents to reach with the fewest sites (set covering), e.g. 1 or 0.95")
	fs.StringVar(&o.candidates, "candidates", "", "candidate sites: GeoJSON/CSV points or polygons (default: generated along the streets)")
	fs.StringVar(&o.demand, "demand", "", "demand points with a `population` property (replaces the estimated residents)")
	fs.StringVar(&o.facilities, "facilities", "", "existing facilities of the type, any geometry (fixed), besides those in the OSM extract")
	fs.Float64Var(&o.radius, "radius", 0, "walking distance that counts as covered, metres (default: the type's threshold)")
	fs.Float64Var(&o.spacing, "spacing", planner.DefaultSpacing, "least spacing of generated candidates, metres")
	fs.DurationVar(&o.timeLimit, "time-limit", planner.DefaultCoverTimeLimit, "time budget for the solve; it stops earlier once the answer is proven optimal")
	fs.StringVar(&o.exportModel, "export-model", "", "also write the integer program to FILE.lp (CPLEX LP format)")
	o.scale.register(fs)
}

// check validates the flags; without --k, --target or --phases, the
// project file's phases, else the target is 1.
func (o *proposeFlags) check(projectPhases string) error {
	if o.phases == "" && o.k == 0 && o.target == 0 {
		o.phases = projectPhases
	}
	if o.phases != "" && (o.k != 0 || o.target != 0) {
		return usagef("--phases gives each phase's number of sites: leave out --k and --target")
	} else if o.phases == "" && (o.k > 0) == (o.target > 0) {
		if o.k < 0 || o.target < 0 {
			return usagef("--k must be ≥ 1 and --target in (0, 1]")
		}
		if o.k != 0 {
			return usagef("give --k N (maximal covering) or --target SHARE (set covering), not both")
		}
		o.target = 1 // DESIGN: set covering to 100 % by default
	}
	if o.target > 1 || o.k < 0 {
		return usagef("--target must be a share in (0, 1] (e.g. 0.95), --k ≥ 1")
	}
	if o.typ != "" && o.types != "" {
		return usagef("give --type or --types, not both")
	}
	if o.typ == "" && o.types == "" && !(o.radius > 0) {
		return usagef("give --type T (an amenity type of the profile), or --radius M for a generic site with nothing fixed")
	}
	if o.radius < 0 || !(o.spacing > 0) || o.timeLimit <= 0 {
		return usagef("--radius must be ≥ 0, --spacing > 0 and --time-limit > 0")
	}
	if !(o.spacing >= planner.MinSpacing) {
		return usagef("--spacing %v is too small: generated candidates are at least %v m apart — give --spacing of at least %v (the default is %v)", o.spacing, planner.MinSpacing, planner.MinSpacing, planner.DefaultSpacing)
	}
	return nil
}

func runPropose(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("propose", "[inputs as for audit] (--type T | --types T1,T2:W) (--k N | --target SHARE) --out DIR", proposeHelp, e.stderr)
	af := auditFlags{proposeTypes: true}
	af.register(fs)
	var o proposeFlags
	o.register(fs)
	fs.StringVar(&af.f.Out, "out", "", "output folder (required)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	var dbf dbFlags // team mode: --db, --project (db.go)
	dbf.register(fs)
	var of outputFlags
	of.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := of.parse(); err != nil {
		return err
	}
	if err := af.resolve(fs); err != nil {
		return err
	}
	if af.s.Out == "" && !dbf.enabled() {
		return usagef("--out DIR is required")
	}
	if err := o.checkGiven(fs); err != nil {
		return err
	}
	if err := o.check(af.s.Phases); err != nil {
		return err
	}
	// The types sited, off by default or not, are turned on (--types).
	for _, spec := range strings.Split(o.types+","+o.typ, ",") {
		if id, _, _ := strings.Cut(strings.TrimSpace(spec), ":"); id != "" {
			af.s.Types = append(af.s.Types, id)
		}
	}
	if err := checkOut(af.s.Out, data.KindProposals, af.inputs(o.demand, o.candidates, o.facilities)...); err != nil {
		return err
	}
	cs, err := data.ParseCoordSystem(af.s.Coords)
	if err != nil {
		return usagef("--coords: %v", err)
	}
	start := time.Now()
	p := newProgress(e.stderr, *quiet)
	af.s.NoDemand = o.demand != ""
	db, err := openDB(ctx, &dbf, p)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.load(ctx, &af, p)
	if err != nil {
		return err
	}
	in, err := o.input(st, cs, p)
	if err != nil {
		return err
	}
	res, err := o.solve(ctx, e, st, in, p)
	if err != nil {
		return err
	}
	meta := data.ProposeMeta{Version: version, Mode: "maximal covering", K: o.k, Target: o.target, Elapsed: time.Since(start),
		Format: of.Format, OutCoords: of.OutCoords}
	if o.k == 0 {
		meta.Mode = map[bool]string{true: "phased maximal covering", false: "set covering"}[o.phases != ""]
	}
	if err := db.writeProposal(ctx, af.s.Out, st.In.Profile, in, res, meta, nil, p); err != nil {
		return err
	}
	if af.s.Out != "" {
		fmt.Fprintf(e.stderr, "wrote (GeoJSON and GeoPackage layers are WGS84, EPSG:4326):\n")
		printOutputs(e.stderr, af.s.Out, data.ProposalOutputs(in, res, meta))
	}
	printProposal(e.stdout, in, res, o.k)
	fmt.Fprintf(e.stderr, "done in %.1fs; wrote %s. %s\n", time.Since(start).Seconds(), af.s.Out, data.Attribution)
	return nil
}

// input builds the proposal from the study and the flags (data/study).
func (o *proposeFlags) input(st *study.Study, cs data.CoordSystem, p *progress) (planner.ProposeInput, error) {
	return st.ProposeInput(study.ProposeOptions{Type: o.typ, Types: o.types, Candidates: o.candidates, Demand: o.demand,
		Facilities: o.facilities, K: o.k, Target: o.target, Phases: o.phases, Radius: o.radius, Spacing: o.spacing, TimeLimit: o.timeLimit}, cs, p)
}

// solve runs the proposal and writes the integer program if asked.
func (o *proposeFlags) solve(ctx context.Context, e *env, st *study.Study, in planner.ProposeInput, p *progress) (*planner.ProposeResult, error) {
	p.Step("coverage sets and solve")
	res, err := o.scale.propose(ctx, e, st, in, p)
	if err != nil {
		return nil, err
	}
	p.Done("%d candidates, %d sites", len(res.Candidates), len(res.Sites))
	if len(res.Skipped) > 0 {
		p.Warn("%d candidates are farther than --max-snap %.0f m from any walkable street and were skipped", len(res.Skipped), in.MaxSnap)
	}
	if res.Max != nil && res.Max.StoppedEarly {
		p.Warn("only %d sites add any gain: every resident a candidate can reach is covered after them (asked --k %d)", len(res.Sites), o.k)
	}
	for i, ph := range res.Phases {
		if ph.StoppedEarly {
			p.Warn("phase %d (%s): only %d of %d sites add any gain: every resident a candidate can reach is covered after them", i+1, ph.Label, ph.Sites, ph.K)
		}
	}
	if o.exportModel != "" {
		p.Step("export model")
		files, err := study.ExportModel(o.exportModel, res, o.k)
		if err != nil {
			return nil, err
		}
		p.Done("wrote the integer program: %s", strings.Join(files, ", "))
	}
	return res, nil
}

func printProposal(w io.Writer, in planner.ProposeInput, res *planner.ProposeResult, k int) {
	var names []string
	for _, t := range in.Types {
		names = append(names, t.ID)
	}
	fmt.Fprintf(w, "\n选址建议 / Proposed sites — %s, %d candidates\n", strings.Join(names, "+"), len(res.Candidates))
	fmt.Fprintf(w, "%4s  %-16s %11s %11s %14s  %s\n", "rank", "site", "lon", "lat", "gain", "cumulative")
	for _, s := range res.Sites {
		fmt.Fprintf(w, "%4d  %-16s %11.6f %11.6f %14.0f  %.0f\n", s.Rank, truncate(s.ID, 16), s.Point[0], s.Point[1], s.Gain, s.Cumulative)
	}
	switch {
	case res.Max != nil && res.Optimal:
		fmt.Fprintf(w, "covers %s residents: proven optimal, no choice of %d sites covers more (%d search nodes)\n",
			thousands(math.Floor(res.Objective+1e-9)), k, res.Nodes)
	case res.Max != nil:
		fmt.Fprintf(w, "covers %s residents; no choice of %d sites covers more than %s (gap ≤ %.2g %%, not proven optimal within the time limit, %d search nodes)\n",
			thousands(math.Floor(res.Objective+1e-9)), k, thousands(math.Ceil(res.UpperBound-1e-9)), 100*res.Gap, res.Nodes)
	case res.Set != nil:
		proof := fmt.Sprintf("no fewer than %d sites can", res.LowerBound)
		if res.Optimal {
			proof = "proven minimum"
		}
		fmt.Fprintf(w, "%d sites cover %s of %s coverable residents (target %s); %s (%d search nodes)\n",
			len(res.Sites), thousands(res.Objective), thousands(res.Coverable), thousands(res.Set.Target), proof, res.Nodes)
	}
	data.WritePhaseTable(w, in, res)
	for _, c := range res.Coverage {
		fmt.Fprintf(w, "  %-12s coverage %5.1f%% → %5.1f%% (within %.0f m)\n", c.ID, 100*c.Before, 100*c.After, c.Radius)
	}
}

// thousands formats a count with thousands separators.
func thousands(x float64) string { return data.Thousands(x, ",") }
