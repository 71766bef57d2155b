package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/sample"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func init() {
	register("audit", "walkable coverage of every amenity type per grid cell or unit", runAudit)
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// auditFlags are the inputs shared by audit, propose and serve.
type auditFlags struct {
	project   string
	p         data.Project
	amenities stringList
	units     stringList
	set       map[string]bool
	// skipDemand leaves demand to the caller (propose --demand).
	skipDemand bool
}

func (a *auditFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.project, "c", "", "project file (lifecircle.yaml) holding any of these settings; flags override it")
	fs.StringVar(&a.p.OSM, "osm", "", "OpenStreetMap extract (.osm.pbf/.osm/.osm.gz/.osm.bz2): walk network, amenities, buildings")
	fs.StringVar(&a.p.Network, "network", "", "walk network as GeoJSON LineStrings (instead of --osm)")
	fs.Var(&a.amenities, "amenities", "amenity layer, GeoJSON or CSV with a `type` column (repeatable)")
	fs.StringVar(&a.p.Population, "population", "", "population layer: points or polygons with a `population` property")
	fs.Var(&a.units, "units", "analysis units: GeoJSON polygons with id, name, optional parent and level (default: grid cells); repeat for several levels, [LEVEL=]FILE")
	fs.StringVar(&a.p.UnitsOSM, "units-osm", "", "analysis units from the OSM extract's administrative boundaries: admin_level=8,10 (or admin_level=8:subdistrict,10:community)")
	fs.StringVar(&a.p.Profile, "profile", "gb50180", "amenity profile: built-in id (gb50180, 15min) or a YAML file")
	fs.Float64Var(&a.p.Cell, "cell", 250, "grid cell size in metres, when no --units")
	fs.BoolVar(&a.p.Sample, "sample", false, "use the bundled sample (central Helsinki, OSM)")
	fs.StringVar(&a.p.Coords, "coords", "wgs84", "coordinates of CSV/GeoJSON inputs: wgs84, gcj02 (Amap/Tencent), bd09 (Baidu)")
	fs.Float64Var(&a.p.MaxSnap, "max-snap", geo.DefaultMaxSnap, "largest straight access leg to the street network, metres")
	fs.Float64Var(&a.p.MaxDistance, "max-distance", planner.DefaultAuditMaxDistance, "search bound, metres: farther counts as unreachable")
	fs.Float64Var(&a.p.FloorArea, "floor-area", 40, "residential floor area per person, m² (demand from buildings)")
	fs.Float64Var(&a.p.TotalPopulation, "total-population", 0, "rescale estimated residents to this census total (0 = no rescaling)")
}

// resolve merges the project file under the flags that were set.
func (a *auditFlags) resolve(fs *flag.FlagSet) error {
	a.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { a.set[f.Name] = true })
	a.p.Amenities = a.amenities
	a.p.Units = data.Paths(a.units)
	if a.project == "" {
		return nil
	}
	pf, err := data.ReadProject(a.project)
	if err != nil {
		return err
	}
	a.applyProject(pf)
	return nil
}

// applyProject merges a project's settings under the flags that were set.
func (a *auditFlags) applyProject(pf *data.Project) {
	merge := func(flagName string, dst *string, v string) {
		if !a.set[flagName] && v != "" {
			*dst = v
		}
	}
	mergeF := func(flagName string, dst *float64, v float64) {
		if !a.set[flagName] && v != 0 {
			*dst = v
		}
	}
	merge("osm", &a.p.OSM, pf.OSM)
	merge("network", &a.p.Network, pf.Network)
	merge("population", &a.p.Population, pf.Population)
	if !a.set["units"] {
		a.p.Units = pf.Units
	}
	merge("units-osm", &a.p.UnitsOSM, pf.UnitsOSM)
	if a.p.Name == "" {
		a.p.Name = pf.Name
	}
	a.p.Rules = append(a.p.Rules, pf.Rules...)
	for t, v := range pf.FailBelow {
		if _, given := a.p.FailBelow[t]; !given {
			if a.p.FailBelow == nil {
				a.p.FailBelow = map[string]float64{}
			}
			a.p.FailBelow[t] = v
		}
	}
	merge("profile", &a.p.Profile, pf.Profile)
	merge("coords", &a.p.Coords, pf.Coords)
	merge("out", &a.p.Out, pf.Out)
	mergeF("cell", &a.p.Cell, pf.Cell)
	mergeF("max-snap", &a.p.MaxSnap, pf.MaxSnap)
	mergeF("max-distance", &a.p.MaxDistance, pf.MaxDistance)
	mergeF("floor-area", &a.p.FloorArea, pf.FloorArea)
	mergeF("total-population", &a.p.TotalPopulation, pf.TotalPopulation)
	if !a.set["amenities"] {
		a.p.Amenities = pf.Amenities
	}
	if !a.set["sample"] && pf.Sample {
		a.p.Sample = true
	}
}

// study is an audit's inputs, read and built.
type study struct {
	in      planner.AuditInput
	netInfo data.NetworkInfo
	meta    data.AuditMeta
	grid    *planner.Grid
	cs      data.CoordSystem
	units   string  // units description, "" for grid cells
	cell    float64 // grid cell size, metres
	// unitFiles are the unit layers ([LEVEL=]path), none for grid cells.
	unitFiles []string
	// admin are units from the OSM extract's boundaries (--units-osm).
	admin     []planner.Unit
	adminSpec string
}

// checked validates the resolved inputs shared by every verb that reads
// a study (the bundled sample resolved to its file), and returns them
// with the coordinate system and the profile.
func (a *auditFlags) checked() (data.Project, data.CoordSystem, *planner.Profile, error) {
	pr := a.p
	if pr.Sample && (pr.OSM != "" || pr.Network != "") {
		return pr, 0, nil, usagef("--sample uses the bundled extract; do not give --osm or --network with it")
	}
	if pr.Sample {
		path, err := sample.OSMFile()
		if err != nil {
			return pr, 0, nil, err
		}
		pr.OSM = path
	}
	if pr.OSM == "" && pr.Network == "" {
		return pr, 0, nil, usagef("no street network: give --osm FILE.osm.pbf, --network LINES.geojson, -c lifecircle.yaml, or --sample to try the bundled sample")
	}
	if pr.OSM != "" && pr.Network != "" {
		return pr, 0, nil, usagef("give either --osm or --network, not both")
	}
	if !(pr.Cell >= 10 && pr.Cell <= 10000) {
		return pr, 0, nil, usagef("--cell must be between 10 and 10000 metres, not %v", pr.Cell)
	}
	if !(pr.MaxSnap > 0) || !(pr.MaxDistance > 0) || !(pr.FloorArea > 0) || !(pr.TotalPopulation >= 0) {
		return pr, 0, nil, usagef("--max-snap, --max-distance and --floor-area must be > 0 and --total-population ≥ 0")
	}
	cs, err := data.ParseCoordSystem(pr.Coords)
	if err != nil {
		return pr, 0, nil, usagef("--coords: %v", err)
	}
	prof, err := planner.LoadProfile(pr.Profile)
	if err != nil {
		return pr, 0, nil, err
	}
	return pr, cs, prof, nil
}

// load reads every input an audit needs.
func (a *auditFlags) load(ctx context.Context, p *progress) (*study, error) {
	pr, cs, prof, err := a.checked()
	if err != nil {
		return nil, err
	}
	st := &study{}
	st.in.Profile = prof
	st.in.MaxSnap = pr.MaxSnap
	st.in.MaxDistance = pr.MaxDistance
	st.meta = data.AuditMeta{Version: version, Timings: map[string]time.Duration{}}
	inputs := map[string]any{"profile": prof.ID}

	var buildings []planner.Building
	var resAreas []orb.Geometry
	t0 := time.Now()
	if pr.OSM != "" {
		p.Step("read OpenStreetMap")
		osmIn, err := data.ReadOSMInputs(ctx, pr.OSM, data.OSMOptions{Profile: prof, Buildings: true}, p.OSM("read OpenStreetMap"))
		if err != nil {
			return nil, err
		}
		st.in.Net, st.netInfo = osmIn.Net, osmIn.NetInfo
		st.in.Facilities = osmIn.Facilities
		buildings, resAreas = osmIn.Buildings, osmIn.ResidentialAreas
		name := pr.OSM
		if pr.Sample {
			name = sample.Name
		}
		inputs["osm"] = name
		p.Done("%d nodes, %d edges, %.1f km of walkable street; %d amenities, %d buildings",
			st.netInfo.Nodes, st.netInfo.Edges, st.netInfo.LengthKm, len(osmIn.Facilities), len(buildings))
	} else {
		p.Step("read network")
		st.in.Net, st.netInfo, err = data.ReadLineNetwork(pr.Network)
		if err != nil {
			return nil, err
		}
		inputs["network"] = pr.Network
		p.Done("%d nodes, %d edges, %.1f km", st.netInfo.Nodes, st.netInfo.Edges, st.netInfo.LengthKm)
	}
	st.meta.Timings["read_network"] = time.Since(t0)
	if len(pr.Amenities) > 0 {
		p.Step("read amenity layers")
		n := 0
		for _, path := range pr.Amenities {
			fs, err := data.ReadAmenityLayer(path, prof, cs)
			if err != nil {
				return nil, err
			}
			if err := checkSwapped(path, st.in.Net, len(fs), func(i int) (string, orb.Geometry) { return fs[i].ID, fs[i].Geometry }); err != nil {
				return nil, err
			}
			st.in.Facilities = append(st.in.Facilities, fs...)
			n += len(fs)
		}
		inputs["amenities"] = pr.Amenities
		p.Done("%d amenities from %d file(s)", n, len(pr.Amenities))
	}

	if pr.UnitsOSM != "" {
		if pr.OSM == "" {
			return nil, usagef("--units-osm takes boundaries from the OSM extract: give --osm (or --sample), or --units with your own polygons")
		}
		levels, err := data.ParseAdminLevels(pr.UnitsOSM)
		if err != nil {
			return nil, usagef("--units-osm %v", err)
		}
		p.Step("read administrative units")
		admin, warns, err := data.ReadAdminUnits(ctx, pr.OSM, levels, p.OSM("read administrative units"))
		for _, w := range warns {
			p.Warn("%s", w)
			st.meta.Warnings = append(st.meta.Warnings, w)
		}
		if err != nil {
			return nil, err
		}
		st.admin, st.adminSpec = admin, pr.UnitsOSM
		p.Done("%d units at admin_level %s", len(admin), strings.TrimPrefix(pr.UnitsOSM, "admin_level="))
	}
	rules, err := auditRules(prof, pr)
	if err != nil {
		return nil, err
	}
	st.in.Rules = rules
	st.meta.Title = pr.Name
	st.cs, st.unitFiles, st.cell = cs, pr.Units, pr.Cell
	st.units = strings.Join(pr.Units, ", ")
	if pr.UnitsOSM != "" {
		st.units = strings.TrimPrefix(st.units+", OSM "+pr.UnitsOSM, ", ")
	}
	inputs["cell_m"] = pr.Cell
	inputs["max_snap_m"] = pr.MaxSnap
	inputs["max_distance_m"] = pr.MaxDistance
	inputs["floor_area_m2"] = pr.FloorArea
	st.meta.Inputs = inputs
	st.meta.Network = st.netInfo
	if a.skipDemand {
		return st, nil
	}

	// Demand, in order of preference (DESIGN §2).
	t0 = time.Now()
	p.Step("estimate residents")
	bopt := planner.BuildingOptions{FloorAreaPerPerson: pr.FloorArea, ResidentialAreas: resAreas}
	var dem *planner.Demand
	switch {
	case pr.Population != "":
		pf, err := data.ReadPopulationLayer(pr.Population, cs)
		if err != nil {
			return nil, err
		}
		if err := checkSwapped(pr.Population, st.in.Net, len(pf), func(i int) (string, orb.Geometry) { return pf[i].ID, pf[i].Geometry }); err != nil {
			return nil, err
		}
		dem, err = planner.DemandFromPopulation(pf, buildings, bopt, st.in.Net)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pr.Population, err)
		}
		inputs["population"] = pr.Population
	default:
		if len(buildings) > 0 {
			dem, _, err = planner.DemandFromBuildings(buildings, bopt)
			if err != nil {
				return nil, err
			}
		}
		if dem == nil || len(dem.Points) == 0 {
			if dem, err = planner.DemandFromNetwork(st.in.Net, 50); err != nil {
				return nil, err
			}
			p.Warn("no population layer and no residential buildings: residents are sampled every 50 m along the streets (weight 1 each); give --population for real figures")
		}
	}
	if len(dem.Points) == 0 {
		return nil, fmt.Errorf("no residents found: the population layer is empty or all zero")
	}
	if pr.TotalPopulation > 0 {
		if err := dem.Rescale(pr.TotalPopulation); err != nil {
			return nil, err
		}
		inputs["total_population"] = pr.TotalPopulation
	}
	st.in.Demand = dem
	p.Done("%s: %d points, %.0f residents", dem.Source, len(dem.Points), dem.Total())
	st.meta.Timings["demand"] = time.Since(t0)

	return st, nil
}

// assignUnits puts every demand point in its unit: imported polygons,
// or the grid cells that hold residents.
func (st *study) assignUnits(p *progress) error {
	dem := st.in.Demand
	t0 := time.Now()
	if len(st.unitFiles) > 0 || len(st.admin) > 0 {
		if err := st.buildHierarchy(p); err != nil {
			return err
		}
	} else {
		var b orb.Bound
		for i, pt := range dem.Points {
			if i == 0 {
				b = orb.Bound{Min: pt, Max: pt}
			}
			b = b.Extend(pt)
		}
		g, err := planner.NewGrid(st.cell, b)
		if err != nil {
			return usagef("--cell: %v", err)
		}
		st.grid = &g
		st.in.Units, st.in.Assign = planner.CellUnits(g, dem.Points, dem.Pop)
		st.in.Hierarchy = planner.SingleLevel("cell", st.in.Units, st.in.Assign)
		st.meta.CellSize = st.cell
		st.meta.GridID = fmt.Sprintf("%.0f m cells, Lambert azimuthal equal-area centred on %.0f°, %.0f°", st.cell, g.Anchor[0], g.Anchor[1])
	}
	st.meta.Timings["units"] = time.Since(t0)
	return nil
}

// quantize rounds the demand points and the facilities' positions to 6
// decimals (≈0.1 m), the precision of the GeoJSON outputs, so that every
// distance in demand.geojson is what `lifecircle nearest` computes from the
// points and facilities as written. Unrounded, a point within centimetres
// of being equidistant from two streets can snap to the other street once
// rounded, tens of metres away along the network.
func (st *study) quantize() {
	pts := st.in.Demand.Points
	for i, p := range pts {
		pts[i] = round6(p)
	}
	for i := range st.in.Facilities {
		st.in.Facilities[i].Geometry = roundGeometry6(st.in.Facilities[i].Geometry)
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

// checkSwapped refuses a layer of n features whose lon/lat look exchanged
// relative to the walk network's area (data.CheckSwapped): such a layer
// would otherwise run with every feature silently unreachable.
func checkSwapped(path string, net *geo.Network, n int, feature func(i int) (id string, g orb.Geometry)) error {
	l := &data.Layer{Path: path, Features: make([]data.Feature, n)}
	for i := range l.Features {
		id, g := feature(i)
		l.Features[i] = data.Feature{Index: i, ID: id, Geometry: g}
	}
	return data.CheckSwapped(path, l, net.Bound())
}

// readUnits reads a polygon layer of analysis units.
func readUnits(path string, cs data.CoordSystem) ([]planner.Unit, error) {
	l, err := data.ReadLayer(path, data.ReadOptions{Coords: cs, Allow: data.Polygons})
	if err != nil {
		if strings.Contains(err.Error(), "accepts only") {
			return nil, fmt.Errorf("%w (--units needs polygons: grids, communities or subdistricts)", err)
		}
		return nil, err
	}
	units := make([]planner.Unit, len(l.Features))
	for i, f := range l.Features {
		units[i] = planner.Unit{
			ID:       f.ID,
			Name:     strProp(f.Properties, "name", "name:zh", "名称"),
			Parent:   strProp(f.Properties, "parent", "parent_id"),
			Level:    strProp(f.Properties, "level"),
			Geometry: f.Geometry,
		}
	}
	if err := planner.ValidateUnits(path, units); err != nil {
		return nil, err
	}
	return units, nil
}

func strProp(props map[string]any, keys ...string) string {
	for _, k := range keys {
		if v, ok := props[k]; ok && v != nil {
			s := fmt.Sprint(v)
			if s != "" {
				return s
			}
		}
	}
	return ""
}

func runAudit(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("audit", "[--sample | --osm FILE | --network FILE] [flags] --out DIR",
		`Audits walkable access: for every grid cell (or imported unit), how many residents
reach each amenity type of the profile on foot within its standard distance
(gb50180: clinic 1000 m, elderly care 300 m, market 500 m, fitness 300 m,
playground 300 m), and where the gaps are.

Residents come from --population if given, else from residential buildings in the
OSM extract (footprint × levels ÷ --floor-area), else from points every 50 m
along the streets. Facilities come from the OSM extract (by the profile's tags)
and from --amenities layers.

Units: --units FILE (repeatable, one file per level, or one file whose features
carry a "level"; [LEVEL=]FILE names a file's level) or --units-osm admin_level=8,10
(the extract's administrative boundaries). Levels are linked by "parent" ids or
by containment, and every figure is given at every level (units_<level>.geojson).

Provision rules (the profile's, the project file's rules:, and --fail-below) are
checked after the audit: broken rules are listed (rules.csv, report.html) and the
exit code is 3, after all outputs are written.

Writes to --out DIR (atomically): cells.geojson (or units.geojson and
units_<level>.geojson), facilities.geojson, demand.geojson, summary.json,
summary.csv, rules.csv (with rules) and report.html; prints a bilingual table.

--batch FILE runs many audits (a list of entries, each a name and a project file
or project keys) into --out DIR/<name>/ and writes DIR/batch_summary.csv/.json.

Examples:
  lifecircle audit --sample --out out
  lifecircle audit --osm district.osm.pbf --amenities stations.csv --coords gcj02 --out out
  lifecircle audit --osm monaco.osm.pbf --units-osm admin_level=8,10 --fail-below market=0.9 --out out
  lifecircle audit -c lifecircle.yaml
  lifecircle audit --batch batch.yaml --out runs`, e.stderr)
	var af auditFlags
	af.register(fs)
	fs.StringVar(&af.p.Out, "out", "", "output folder (required; created, or replaced if it holds an earlier audit)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	var dbf dbFlags // team mode: --db, --project (db.go)
	dbf.register(fs)
	batch := fs.String("batch", "", "batch file: run every entry (a project) into --out DIR/<name>/")
	failBelow := failBelowFlag{}
	fs.Var(failBelow, "fail-below", "exit with code 3 when a type's district coverage is below SHARE: TYPE=SHARE (repeatable, e.g. market=0.9)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *batch != "" {
		return runBatch(ctx, e, fs, *batch, af.p.Out, failBelow, *quiet)
	}
	if len(failBelow) > 0 {
		af.p.FailBelow = failBelow
	}
	if err := af.resolve(fs); err != nil {
		return err
	}
	if dbf.enabled() {
		return runAuditDB(ctx, e, &af, &dbf, *quiet)
	}
	if af.p.Out == "" {
		return usagef("--out DIR is required (the folder for cells.geojson, summary.json, ...)")
	}
	start := time.Now()
	p := newProgress(e.stderr, *quiet)
	st, res, err := af.run(ctx, p)
	if err != nil {
		return err
	}
	printAuditTable(e.stdout, st, res)
	printRules(e.stdout, res)
	fmt.Fprintf(e.stderr, "done in %.1fs. %s\n", time.Since(start).Seconds(), data.Attribution)
	return rulesError(res)
}

// run reads the inputs, audits them and writes every output to a.p.Out.
func (a *auditFlags) run(ctx context.Context, p *progress) (*study, *planner.AuditResult, error) {
	start := time.Now()
	st, err := a.load(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	st.quantize()
	if err := st.assignUnits(p); err != nil {
		return nil, nil, err
	}
	p.Step("walkable coverage")
	res, err := planner.Audit(ctx, st.in)
	if err != nil {
		return nil, nil, err
	}
	p.Done("%d types × %d residents' points", len(res.Types), len(st.in.Demand.Points))
	for _, w := range res.Warnings {
		p.Warn("%s", w)
	}
	p.Step("write outputs")
	st.meta.Timings["total_before_write"] = time.Since(start)
	if err := data.WriteAudit(a.p.Out, st.in, res, st.meta); err != nil {
		return nil, nil, err
	}
	p.Done("%s", a.p.Out)
	return st, res, nil
}

// printAuditTable prints a bilingual coverage table and the worst units.
func printAuditTable(w io.Writer, st *study, res *planner.AuditResult) {
	fmt.Fprintf(w, "\n生活圈覆盖 / Walkable coverage — %s, %s: %.0f residents (%s)\n",
		st.in.Profile.ID, st.in.Profile.Names.En, res.Population, st.in.Demand.Source)
	fmt.Fprintf(w, "%s %s %s %8s %6s %12s %8s %10s\n", pad("type", 11), pad("名称", 26), pad("name", 30), "dist_m", "sites", "covered", "share", "gap")
	for _, t := range res.Types {
		fmt.Fprintf(w, "%s %s %s %8.0f %6d %12.0f %7.1f%% %10.0f\n",
			pad(t.ID, 11), pad(t.Names.Zh, 26), pad(t.Names.En, 30), t.Threshold, t.Facilities, t.Covered, 100*t.Coverage, t.Gap)
	}
	fmt.Fprintf(w, "completeness 完整度 %.1f%%, fully served 全部可达 %.1f%%\n", 100*res.Completeness, 100*res.FullyServed)
	// Worst units: lowest completeness among the most populous gaps.
	idx := make([]int, 0, len(res.Units))
	for u := range res.Units {
		if res.Units[u].Population > 0 {
			idx = append(idx, u)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ua, ub := res.Units[idx[a]], res.Units[idx[b]]
		ga := ua.Population * (1 - ua.Completeness)
		gb := ub.Population * (1 - ub.Completeness)
		if ga != gb {
			return ga > gb
		}
		return idx[a] < idx[b]
	})
	if len(idx) > 5 {
		idx = idx[:5]
	}
	if len(idx) > 0 {
		fmt.Fprintf(w, "worst units 缺口最大 (residents × missing share):\n")
		for _, u := range idx {
			r := res.Units[u]
			var miss []string
			for ti, t := range res.Types {
				if r.Population-r.Covered[ti] > 0.5 {
					miss = append(miss, fmt.Sprintf("%s %.0f%%", t.ID, 100*r.Covered[ti]/r.Population))
				}
			}
			fmt.Fprintf(w, "  %s %8.0f residents, completeness %5.1f%%  %s\n",
				pad(truncate(st.in.Units[u].ID, 28), 28), r.Population, 100*r.Completeness, strings.Join(miss, ", "))
		}
	}
}

// pad truncates or pads s to width terminal columns (CJK characters take two).
func pad(s string, width int) string {
	w := 0
	var b strings.Builder
	for _, r := range s {
		rw := 1
		if r >= 0x1100 && (r <= 0x115f || (r >= 0x2e80 && r <= 0xa4cf) || (r >= 0xac00 && r <= 0xd7a3) ||
			(r >= 0xf900 && r <= 0xfaff) || (r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60) || (r >= 0xffe0 && r <= 0xffe6)) {
			rw = 2
		}
		if w+rw > width {
			break
		}
		b.WriteRune(r)
		w += rw
	}
	return b.String() + strings.Repeat(" ", width-w)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
