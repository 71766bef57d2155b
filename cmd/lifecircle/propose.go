package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

func init() {
	register("propose", "propose new sites that close the most gap, with a bound on the optimum", runPropose)
}

func runPropose(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("propose", "[inputs as for audit] (--type T | --types T1,T2:W) (--k N | --target SHARE) --out DIR",
		`Proposes where new sites of an amenity type should go.

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
residents are uncovered. Several types at one site (a community service complex):
--types clinic,elderly:2 counts each type's residents with its weight.

Writes proposals.geojson and before_after.json into --out (atomically) and prints a
ranked table. --export-model FILE.lp writes the same instance as an integer program
(CPLEX LP format) for a MIP solver.

Example:
  lifecircle propose --sample --type elderly --k 5 --out proposals`, e.stderr)
	var af auditFlags
	af.register(fs)
	var typeFlag, typesFlag, candidates, demandPath, exportModel, facilities string
	var k int
	var target, radius, spacing float64
	var timeLimit time.Duration
	fs.StringVar(&af.p.Out, "out", "", "output folder (required)")
	fs.StringVar(&typeFlag, "type", "", "amenity type to site (an id of the profile)")
	fs.StringVar(&typesFlag, "types", "", "several types hosted by each site, with optional weights: clinic,elderly:2")
	fs.IntVar(&k, "k", 0, "number of sites (maximal covering)")
	fs.Float64Var(&target, "target", 0, "share of coverable residents to reach with the fewest sites (set covering), e.g. 1 or 0.95")
	fs.StringVar(&candidates, "candidates", "", "candidate sites: GeoJSON/CSV points or polygons (default: generated along the streets)")
	fs.StringVar(&demandPath, "demand", "", "demand points with a `population` property (replaces the estimated residents)")
	fs.StringVar(&facilities, "facilities", "", "existing facilities of the type, any geometry (fixed), besides those in the OSM extract")
	fs.Float64Var(&radius, "radius", 0, "walking distance that counts as covered, metres (default: the type's threshold)")
	fs.Float64Var(&spacing, "spacing", planner.DefaultSpacing, "least spacing of generated candidates, metres")
	fs.DurationVar(&timeLimit, "time-limit", 10*time.Second, "time budget for improving the solution and the bound")
	fs.StringVar(&exportModel, "export-model", "", "also write the integer program to FILE.lp (CPLEX LP format)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	var dbf dbFlags // team mode: --db, --project (db.go)
	dbf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := af.resolve(fs); err != nil {
		return err
	}
	if af.p.Out == "" && !dbf.enabled() {
		return usagef("--out DIR is required")
	}
	if (k > 0) == (target > 0) {
		if k < 0 || target < 0 {
			return usagef("--k must be ≥ 1 and --target in (0, 1]")
		}
		if k == 0 {
			target = 1 // DESIGN: set covering to 100 % by default
		} else {
			return usagef("give --k N (maximal covering) or --target SHARE (set covering), not both")
		}
	}
	if target > 1 || k < 0 {
		return usagef("--target must be a share in (0, 1] (e.g. 0.95), --k ≥ 1")
	}
	if typeFlag != "" && typesFlag != "" {
		return usagef("give --type or --types, not both")
	}
	if typeFlag == "" && typesFlag == "" && !(radius > 0) {
		return usagef("give --type T (an amenity type of the profile), or --radius M for a generic site with nothing fixed")
	}
	if radius < 0 || !(spacing > 0) || timeLimit <= 0 {
		return usagef("--radius must be ≥ 0, --spacing > 0 and --time-limit > 0")
	}
	cs, err := data.ParseCoordSystem(af.p.Coords)
	if err != nil {
		return usagef("--coords: %v", err)
	}

	start := time.Now()
	p := newProgress(e.stderr, *quiet)
	af.skipDemand = demandPath != ""
	db, err := openDB(ctx, &dbf, p)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.load(ctx, &af, p)
	if err != nil {
		return err
	}
	in := planner.ProposeInput{Net: st.in.Net, Demand: st.in.Demand, MaxSnap: st.in.MaxSnap,
		K: k, Target: target, TimeLimit: timeLimit, Spacing: spacing}
	if demandPath != "" {
		p.Step("read demand")
		dem, err := readDemandPoints(demandPath, cs)
		if err != nil {
			return err
		}
		in.Demand = dem
		st.in.Demand = dem
		p.Done("%d points, %.0f residents", len(dem.Points), dem.Total())
	}
	if err := db.assignUnits(st, p); err != nil {
		return err
	}
	in.Units, in.Assign = st.in.Units, st.in.Assign

	// Types.
	var existing []planner.Facility
	if facilities != "" {
		l, err := data.ReadLayer(facilities, data.ReadOptions{Coords: cs, Allow: data.AnyGeom})
		if err != nil {
			return err
		}
		for _, f := range l.Features {
			existing = append(existing, planner.Facility{ID: f.ID, Geometry: f.Geometry})
		}
	}
	specs := typesFlag
	if typeFlag != "" {
		specs = typeFlag
	}
	if specs == "" {
		in.Types = []planner.ProposeType{{ID: "site", Names: planner.Names{Zh: "新设施", En: "new site"}, Radius: radius, Weight: 1}}
		for _, f := range existing {
			in.Types[0].Existing = append(in.Types[0].Existing, f.Geometry)
		}
	}
	for _, spec := range splitNonEmpty(specs) {
		id, w := spec, 1.0
		if i := strings.IndexByte(spec, ':'); i >= 0 {
			id = spec[:i]
			w, err = strconv.ParseFloat(spec[i+1:], 64)
			if err != nil || !(w > 0) {
				return usagef("--types: weight of %q must be a number > 0", id)
			}
		}
		t, ok := st.in.Profile.Type(id)
		if !ok {
			return usagef("unknown amenity type %q; profile %s has: %s", id, st.in.Profile.ID, typeIDs(st.in.Profile))
		}
		pt := planner.ProposeType{ID: t.ID, Names: t.Names, Radius: t.Threshold, Weight: w}
		if radius > 0 {
			pt.Radius = radius
		}
		for _, f := range st.in.Facilities {
			if f.Type == t.ID {
				pt.Existing = append(pt.Existing, f.Geometry)
			}
		}
		if typeFlag != "" {
			for _, f := range existing {
				pt.Existing = append(pt.Existing, f.Geometry)
			}
		}
		in.Types = append(in.Types, pt)
	}
	if candidates != "" {
		p.Step("read candidates")
		l, err := data.ReadLayer(candidates, data.ReadOptions{Coords: cs, Allow: data.Points | data.Polygons})
		if err != nil {
			return err
		}
		in.Candidates = make([]planner.Candidate, 0, len(l.Features))
		for _, f := range l.Features {
			in.Candidates = append(in.Candidates, planner.Candidate{ID: f.ID, Name: strProp(f.Properties, "name", "name:zh"), Geometry: f.Geometry})
		}
		if len(in.Candidates) == 0 {
			return fmt.Errorf("%s: the candidate layer has no features — give points or polygons of possible sites, or leave --candidates out to generate them", candidates)
		}
		p.Done("%d candidates", len(in.Candidates))
	}

	p.Step("coverage sets and solve")
	res, err := planner.Propose(ctx, in)
	if err != nil {
		return err
	}
	p.Done("%d candidates, %d sites", len(res.Candidates), len(res.Sites))
	if len(res.Skipped) > 0 {
		p.Warn("%d candidates are farther than --max-snap %.0f m from any walkable street and were skipped", len(res.Skipped), in.MaxSnap)
	}
	if res.Max != nil && res.Max.StoppedEarly {
		p.Warn("only %d sites add any gain: every resident a candidate can reach is covered after them (asked --k %d)", len(res.Sites), k)
	}
	if exportModel != "" {
		names := make([]string, len(res.Candidates))
		for j, c := range res.Candidates {
			names[j] = c.ID
		}
		kk := k
		if kk == 0 {
			kk = len(res.Sites)
		}
		if err := data.WriteFileAtomic(exportModel, func(w io.Writer) error {
			return planner.WriteLP(w, res.Problem, kk, names)
		}); err != nil {
			return err
		}
	}
	meta := data.ProposeMeta{Version: version, Mode: "maximal covering", K: k, Target: target, Elapsed: time.Since(start)}
	if k == 0 {
		meta.Mode = "set covering"
	}
	if err := db.writeProposal(ctx, af.p.Out, st.in.Profile, in, res, meta, nil, p); err != nil {
		return err
	}
	printProposal(e.stdout, in, res, k)
	fmt.Fprintf(e.stderr, "done in %.1fs; wrote %s. %s\n", time.Since(start).Seconds(), af.p.Out, data.Attribution)
	return nil
}

// readDemandPoints reads a layer of points with population.
func readDemandPoints(path string, cs data.CoordSystem) (*planner.Demand, error) {
	pf, err := data.ReadPopulationLayer(path, cs)
	if err != nil {
		return nil, err
	}
	d := &planner.Demand{Source: "demand layer " + path}
	for _, f := range pf {
		pt, ok := f.Geometry.(orb.Point)
		if !ok {
			return nil, fmt.Errorf("%s: feature %s is a %s; --demand needs points with a population", path, f.ID, f.Geometry.GeoJSONType())
		}
		if !(f.Population >= 0) || math.IsInf(f.Population, 0) {
			return nil, fmt.Errorf("%s: feature %s: population %v must be a number ≥ 0", path, f.ID, f.Population)
		}
		d.Points = append(d.Points, pt)
		d.Pop = append(d.Pop, f.Population)
		d.IDs = append(d.IDs, f.ID)
	}
	if len(d.Points) == 0 {
		return nil, fmt.Errorf("%s: no demand points", path)
	}
	return d, nil
}

func splitNonEmpty(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func typeIDs(p *planner.Profile) string {
	var ids []string
	for _, t := range p.Types {
		ids = append(ids, t.ID)
	}
	return strings.Join(ids, ", ")
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
	if res.Max != nil {
		fmt.Fprintf(w, "covers %s residents; no choice of %d sites covers more than %s (gap ≤ %.2g %%)\n",
			thousands(math.Floor(res.Objective+1e-9)), k, thousands(math.Ceil(res.UpperBound-1e-9)), 100*res.Gap)
	} else if res.Set != nil {
		fmt.Fprintf(w, "%d sites cover %s of %s coverable residents (target %s); no fewer than %d sites can\n",
			len(res.Sites), thousands(res.Objective), thousands(res.Coverable), thousands(res.Set.Target), res.LowerBound)
	}
	for _, c := range res.Coverage {
		fmt.Fprintf(w, "  %-12s coverage %5.1f%% → %5.1f%% (within %.0f m)\n", c.ID, 100*c.Before, 100*c.After, c.Radius)
	}
}

// thousands formats a count with thousands separators.
func thousands(x float64) string { return data.Thousands(x, ",") }
