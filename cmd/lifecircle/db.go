package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/postgis"
	"github.com/lifecircle/lifecircle/data/sample"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/lifecircle/lifecircle/web"
)

// Team mode (DESIGN §4 "Storage"): projects in PostgreSQL/PostGIS.
// `import` and `export` live here; audit, propose and serve call in
// through dbFlags when --db, --project or DATABASE_URL says so.

func init() {
	register("import", "store a project's layers in PostgreSQL/PostGIS (team mode)", runImport)
	register("export", "write a stored run's files (audit or proposal) from PostgreSQL/PostGIS", runExport)
}

// dbFlags are --db and --project, shared by the verbs that can work on a
// database.
type dbFlags struct {
	url     string
	project string
}

func (d *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.url, "db", "", "PostgreSQL/PostGIS database URL, postgres://user:password@host:5432/dbname (default: $DATABASE_URL)")
	fs.StringVar(&d.project, "project", "", "project name in the database (letters, digits, _ and -)")
}

// enabled reports whether the verb works on the database: --db or
// --project was given.
func (d *dbFlags) enabled() bool { return d.url != "" || d.project != "" }

// check fills the URL from DATABASE_URL and validates both.
func (d *dbFlags) check() error {
	if d.url == "" {
		d.url = os.Getenv("DATABASE_URL")
	}
	if d.url == "" {
		return usagef("no database: give --db postgres://user:password@host:5432/dbname or set DATABASE_URL")
	}
	if d.project == "" {
		return usagef("--project NAME is required with --db (the project's name in the database)")
	}
	if err := postgis.ValidateProjectName(d.project); err != nil {
		return usageError{err.Error()}
	}
	return nil
}

// open checks the flags and connects.
func (d *dbFlags) open(ctx context.Context, p *progress) (*postgis.Store, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	p.Step("connect to the database")
	s, err := postgis.Open(ctx, d.url)
	if err != nil {
		return nil, err
	}
	p.Done("%s, schema version %d", s.Target(), postgis.SchemaVersion())
	return s, nil
}

// inputFlags are the flags whose data an import stores; working on a
// stored project, they must not be given again.
var inputFlags = []string{"osm", "network", "amenities", "population", "units", "units-osm", "sample", "profile", "coords", "c"}

func (d *dbFlags) refuseInputs(a *auditFlags) error {
	var given []string
	for _, f := range inputFlags {
		if a.set[f] {
			given = append(given, "--"+f)
		}
	}
	if len(given) > 0 {
		return usagef("%s: the inputs of project %s are stored in the database; to change them, run lifecircle import --db URL --project %s with the new inputs",
			strings.Join(given, ", "), d.project, d.project)
	}
	return nil
}

// ----- import -----

func runImport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("import", "--db URL --project NAME [inputs as for audit] [--layer FILE ...]",
		`Stores a project's inputs in PostgreSQL/PostGIS, so that a team audits, proposes
and serves from one database and opens the layers in QGIS: the walk network (the
OSM ways with their node ids, or the GeoJSON lines), the facilities of every
amenity type, the buildings and residential areas (for residents), the population
layer, the analysis units, and any other layer given with --layer (for viewing).
The profile and the parameters (--cell, --max-snap, ...) are stored too; later
audits use them unless their own flags say otherwise.

The import is one transaction: re-importing a project replaces all its layers at
once, and an import that fails or is interrupted leaves the project as it was.
Audit runs and scenarios of the project are kept.

The database needs the PostGIS extension (CREATE EXTENSION postgis, once, as a
superuser); lifecircle creates its schema "lifecircle" itself and needs no
superuser rights after that.

Examples:
  lifecircle import --db postgres://planner@db.local/city --project district-a \
      --osm district.osm.pbf --amenities stations.csv --units communities.geojson
  DATABASE_URL=postgres://planner@db.local/city lifecircle import --project demo --sample
  lifecircle audit --db postgres://planner@db.local/city --project district-a`, e.stderr)
	var af auditFlags
	af.register(fs)
	var d dbFlags
	d.register(fs)
	var layers stringList
	fs.Var(&layers, "layer", "another GeoJSON/CSV layer to share (QGIS, serve); audits do not read it (repeatable)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := af.resolve(fs); err != nil {
		return err
	}
	if err := d.check(); err != nil {
		return err
	}
	start := time.Now()
	p := newProgress(e.stderr, *quiet)
	proj, err := readImport(ctx, &af, layers, d.project, p)
	if err != nil {
		return err
	}
	s, err := d.open(ctx, p)
	if err != nil {
		return err
	}
	defer s.Close()
	p.Step("store in the database (one transaction)")
	st, err := s.Import(ctx, proj)
	if err != nil {
		return err
	}
	p.Done("%d layers: %d network ways, %d features", st.Layers, st.Ways, st.Features)
	fmt.Fprintf(e.stdout, "imported project %s into %s: %d network ways, %d facilities, %d buildings, %d units, %d other features\n",
		d.project, s.Target(), st.Ways, len(proj.Facilities), len(proj.Buildings), len(proj.Units), countLayerFeatures(proj.Layers))
	fmt.Fprintf(e.stderr, "done in %.1fs. Audit it with: lifecircle audit --db URL --project %s. %s\n",
		time.Since(start).Seconds(), d.project, data.Attribution)
	return nil
}

func countLayerFeatures(ls []postgis.Layer) int {
	n := 0
	for _, l := range ls {
		n += len(l.Features)
	}
	return n
}

// readImport reads the inputs an audit would read, as they are before any
// estimate: the database keeps the raw layers, so every audit from it
// computes what a file-based audit computes.
func readImport(ctx context.Context, a *auditFlags, layers []string, name string, p *progress) (*postgis.Project, error) {
	pr, cs, prof, err := a.checked()
	if err != nil {
		return nil, err
	}
	sources := map[string]any{}
	proj := &postgis.Project{Name: name, Profile: prof, Settings: postgis.Settings{
		Cell: pr.Cell, MaxSnap: pr.MaxSnap, MaxDistance: pr.MaxDistance, FloorArea: pr.FloorArea,
		TotalPopulation: pr.TotalPopulation, Coords: pr.Coords, Sources: sources,
	}}
	if pr.OSM != "" {
		p.Step("read OpenStreetMap")
		osmIn, err := data.ReadOSMInputs(ctx, pr.OSM, data.OSMOptions{Profile: prof, Buildings: true}, p.OSM("read OpenStreetMap"))
		if err != nil {
			return nil, err
		}
		ways, err := postgis.ReadOSMWays(ctx, pr.OSM, p.OSM("read OpenStreetMap ways"))
		if err != nil {
			return nil, err
		}
		proj.Network = postgis.Network{Info: osmIn.NetInfo, Ways: ways}
		proj.Facilities = osmIn.Facilities
		proj.Buildings, proj.ResidentialAreas = osmIn.Buildings, osmIn.ResidentialAreas
		src := pr.OSM
		if pr.Sample {
			src = sample.Name
		}
		sources["osm"] = src
		p.Done("%d walkable ways, %d amenities, %d buildings", len(ways), len(osmIn.Facilities), len(osmIn.Buildings))
	} else {
		p.Step("read network")
		_, info, err := data.ReadLineNetwork(pr.Network)
		if err != nil {
			return nil, err
		}
		lines, err := data.ReadLines(pr.Network)
		if err != nil {
			return nil, err
		}
		proj.Network = postgis.Network{Info: info, Ways: postgis.LineWays(lines)}
		sources["network"] = pr.Network
		p.Done("%d lines", len(lines))
	}
	if len(pr.Amenities) > 0 {
		p.Step("read amenity layers")
		n := 0
		for _, path := range pr.Amenities {
			fs, err := data.ReadAmenityLayer(path, prof, cs)
			if err != nil {
				return nil, err
			}
			proj.Facilities = append(proj.Facilities, fs...)
			n += len(fs)
		}
		sources["amenities"] = pr.Amenities
		p.Done("%d amenities from %d file(s)", n, len(pr.Amenities))
	}
	if pr.Population != "" {
		p.Step("read population")
		pf, err := data.ReadPopulationLayer(pr.Population, cs)
		if err != nil {
			return nil, err
		}
		proj.Population, proj.PopulationSource = pf, pr.Population
		sources["population"] = pr.Population
		p.Done("%d features", len(pf))
	}
	if len(pr.Units) > 0 || pr.UnitsOSM != "" {
		p.Step("read units")
		units, desc, err := readImportUnits(ctx, pr, cs, p)
		if err != nil {
			return nil, err
		}
		proj.Units, proj.UnitsSource = units, desc
		sources["units"] = desc
		p.Done("%d units", len(units))
	}
	for _, path := range layers {
		p.Step("read layer " + filepath.Base(path))
		l, err := data.ReadLayer(path, data.ReadOptions{Coords: cs})
		if err != nil {
			return nil, err
		}
		proj.Layers = append(proj.Layers, postgis.Layer{Name: filepath.Base(path), Source: path, Features: l.Features})
		p.Done("%d features", len(l.Features))
	}
	if len(layers) > 0 {
		sources["layers"] = []string(layers)
	}
	return proj, nil
}

// readImportUnits reads the unit layers ([LEVEL=]FILE) and the OSM
// administrative units as the audit's unit hierarchy reads them, with the
// same levels, in the same order.
func readImportUnits(ctx context.Context, pr data.Project, cs data.CoordSystem, p *progress) ([]planner.Unit, string, error) {
	var admin []planner.Unit
	if pr.UnitsOSM != "" {
		if pr.OSM == "" {
			return nil, "", usagef("--units-osm takes boundaries from the OSM extract: give --osm (or --sample), or --units with your own polygons")
		}
		levels, err := data.ParseAdminLevels(pr.UnitsOSM)
		if err != nil {
			return nil, "", usagef("--units-osm %v", err)
		}
		var warns []string
		admin, warns, err = data.ReadAdminUnits(ctx, pr.OSM, levels, p.OSM("read administrative units"))
		for _, w := range warns {
			p.Warn("%s", w)
		}
		if err != nil {
			return nil, "", err
		}
	}
	var all []planner.Unit
	var files []string
	for _, spec := range pr.Units {
		level, path := "", spec
		if l, f, ok := strings.Cut(spec, "="); ok && !strings.ContainsAny(l, `/\`) {
			level, path = strings.TrimSpace(l), f
		}
		units, err := readUnits(path, cs)
		if err != nil {
			return nil, "", err
		}
		for i := range units {
			if level != "" {
				units[i].Level = level
			} else if units[i].Level == "" && len(pr.Units)+min(len(admin), 1) > 1 {
				units[i].Level = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
			}
		}
		all = append(all, units...)
		files = append(files, path)
	}
	all = append(all, admin...)
	desc := strings.Join(files, ", ")
	if pr.UnitsOSM != "" {
		if desc != "" {
			desc += ", "
		}
		desc += "OSM " + pr.UnitsOSM
	}
	return all, desc, nil
}

// ----- audit, propose and serve from the database -----

// dbStudy loads a stored project as an audit's study: the same inputs, in
// the same order, as the file-based load gives, so the audit computes the
// same figures. Units are placed by st.assignUnits as usual.
func dbStudy(ctx context.Context, s *postgis.Store, d *dbFlags, a *auditFlags, p *progress) (*study, *postgis.Project, error) {
	if err := d.refuseInputs(a); err != nil {
		return nil, nil, err
	}
	p.Step("read project " + d.project)
	t0 := time.Now()
	proj, err := s.LoadProject(ctx, d.project)
	if err != nil {
		return nil, nil, err
	}
	pr := a.p
	set := proj.Settings
	use := func(flagName string, dst *float64, stored float64) {
		if !a.set[flagName] && stored != 0 {
			*dst = stored
		}
	}
	use("cell", &pr.Cell, set.Cell)
	use("max-snap", &pr.MaxSnap, set.MaxSnap)
	use("max-distance", &pr.MaxDistance, set.MaxDistance)
	use("floor-area", &pr.FloorArea, set.FloorArea)
	use("total-population", &pr.TotalPopulation, set.TotalPopulation)
	if !(pr.Cell >= 10 && pr.Cell <= 10000) {
		return nil, nil, usagef("--cell must be between 10 and 10000 metres, not %v", pr.Cell)
	}
	if !(pr.MaxSnap > 0) || !(pr.MaxDistance > 0) || !(pr.FloorArea > 0) || !(pr.TotalPopulation >= 0) {
		return nil, nil, usagef("--max-snap, --max-distance and --floor-area must be > 0 and --total-population ≥ 0")
	}
	net, err := proj.Network.Build()
	if err != nil {
		return nil, nil, fmt.Errorf("project %s: %w", d.project, err)
	}
	cs, err := data.ParseCoordSystem(set.Coords)
	if err != nil {
		cs, _ = data.ParseCoordSystem("wgs84")
	}
	prof := proj.Profile
	st := &study{cs: cs, cell: pr.Cell, netInfo: proj.Network.Info}
	st.in.Profile, st.in.Net = prof, net
	st.in.Facilities = append([]planner.Facility(nil), proj.Facilities...)
	st.in.MaxSnap, st.in.MaxDistance = pr.MaxSnap, pr.MaxDistance
	st.admin = proj.Units
	if len(proj.Units) > 0 {
		st.units = orDefault(proj.UnitsSource, "units of project "+d.project)
	}
	inputs := map[string]any{"profile": prof.ID, "database": s.Target(), "project": d.project,
		"imported": proj.Imported.UTC().Format(time.RFC3339)}
	for k, v := range set.Sources {
		if k != "units" && k != "layers" {
			inputs[k] = v
		}
	}
	inputs["cell_m"] = pr.Cell
	inputs["max_snap_m"] = pr.MaxSnap
	inputs["max_distance_m"] = pr.MaxDistance
	inputs["floor_area_m2"] = pr.FloorArea
	st.meta = data.AuditMeta{Version: version, Timings: map[string]time.Duration{"read_database": time.Since(t0)},
		Inputs: inputs, Network: st.netInfo, Title: pr.Name}
	rules, err := auditRules(prof, pr)
	if err != nil {
		return nil, nil, err
	}
	st.in.Rules = rules
	p.Done("%d nodes, %d edges; %d amenities, %d buildings, %d units (imported %s)", net.NumNodes(), net.NumEdges(),
		len(proj.Facilities), len(proj.Buildings), len(proj.Units), proj.Imported.Local().Format("2006-01-02 15:04"))
	if a.skipDemand {
		return st, proj, nil
	}

	// Demand, in order of preference (DESIGN §2), as the file-based load.
	t0 = time.Now()
	p.Step("estimate residents")
	bopt := planner.BuildingOptions{FloorAreaPerPerson: pr.FloorArea, ResidentialAreas: proj.ResidentialAreas}
	var dem *planner.Demand
	switch {
	case proj.PopulationSource != "":
		dem, err = planner.DemandFromPopulation(proj.Population, proj.Buildings, bopt, net)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", proj.PopulationSource, err)
		}
		inputs["population"] = proj.PopulationSource
	default:
		if len(proj.Buildings) > 0 {
			dem, _, err = planner.DemandFromBuildings(proj.Buildings, bopt)
			if err != nil {
				return nil, nil, err
			}
		}
		if dem == nil || len(dem.Points) == 0 {
			if dem, err = planner.DemandFromNetwork(net, 50); err != nil {
				return nil, nil, err
			}
			p.Warn("no population layer and no residential buildings: residents are sampled every 50 m along the streets (weight 1 each); import a --population layer for real figures")
		}
	}
	if len(dem.Points) == 0 {
		return nil, nil, fmt.Errorf("no residents found: the population layer is empty or all zero")
	}
	if pr.TotalPopulation > 0 {
		if err := dem.Rescale(pr.TotalPopulation); err != nil {
			return nil, nil, err
		}
		inputs["total_population"] = pr.TotalPopulation
	}
	st.in.Demand = dem
	p.Done("%s: %d points, %.0f residents", dem.Source, len(dem.Points), dem.Total())
	st.meta.Timings["demand"] = time.Since(t0)
	return st, proj, nil
}

// dbAssignUnits places the demand in the stored units (or grid cells) and
// names the stored units' source in the run's description.
func dbAssignUnits(st *study, proj *postgis.Project, p *progress) error {
	if err := st.assignUnits(p); err != nil {
		return err
	}
	if len(proj.Units) > 0 {
		desc := proj.UnitsSource
		if desc == "" {
			desc = "units of project " + proj.Name
		}
		st.meta.UnitsFile = desc
		st.meta.Inputs["units"] = desc
	}
	return nil
}

// runAuditDB is `audit --db`: inputs from the database, the run stored
// there (results and files), and the files also written to --out if given.
func runAuditDB(ctx context.Context, e *env, a *auditFlags, d *dbFlags, quiet bool) error {
	start := time.Now()
	p := newProgress(e.stderr, quiet)
	s, err := d.open(ctx, p)
	if err != nil {
		return err
	}
	defer s.Close()
	st, proj, err := dbStudy(ctx, s, d, a, p)
	if err != nil {
		return err
	}
	st.quantize()
	if err := dbAssignUnits(st, proj, p); err != nil {
		return err
	}
	p.Step("walkable coverage")
	res, err := planner.Audit(ctx, st.in)
	if err != nil {
		return err
	}
	p.Done("%d types × %d residents' points", len(res.Types), len(st.in.Demand.Points))
	for _, w := range res.Warnings {
		p.Warn("%s", w)
	}
	p.Step("write outputs")
	st.meta.Timings["total_before_write"] = time.Since(start)
	dir, cleanup, err := outDir(a.p.Out)
	if err != nil {
		return err
	}
	defer cleanup()
	if err := data.WriteAudit(dir, st.in, res, st.meta); err != nil {
		return err
	}
	p.Done("%s", orDefault(a.p.Out, "(database only)"))
	p.Step("store the run")
	id, err := s.SaveAudit(ctx, postgis.AuditRun{Project: d.project, In: st.in, Res: res, Meta: st.meta, FilesDir: dir})
	if err != nil {
		return err
	}
	p.Done("run %d of project %s", id, d.project)
	printAuditTable(e.stdout, st, res)
	printRules(e.stdout, res)
	fmt.Fprintf(e.stderr, "done in %.1fs: run %d stored (export it with lifecircle export --db URL --project %s --run %d --out DIR). %s\n",
		time.Since(start).Seconds(), id, d.project, id, data.Attribution)
	return rulesError(res)
}

// outDir returns out, or a temporary folder for a run stored only in the
// database; cleanup removes the temporary folder.
func outDir(out string) (string, func(), error) {
	if out != "" {
		return out, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "lifecircle-run-")
	if err != nil {
		return "", nil, err
	}
	return filepath.Join(tmp, "out"), func() { os.RemoveAll(tmp) }, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// A dbSession is an open project for propose and serve.
type dbSession struct {
	store *postgis.Store
	flags *dbFlags
	proj  *postgis.Project
}

// openDB connects when the verb works on the database; nil otherwise.
func openDB(ctx context.Context, d *dbFlags, p *progress) (*dbSession, error) {
	if !d.enabled() {
		return nil, nil
	}
	s, err := d.open(ctx, p)
	if err != nil {
		return nil, err
	}
	return &dbSession{store: s, flags: d}, nil
}

// Close closes the connection (nil-safe).
func (db *dbSession) Close() {
	if db != nil {
		db.store.Close()
	}
}

// load reads the study from the database, or from files without one.
func (db *dbSession) load(ctx context.Context, a *auditFlags, p *progress) (*study, error) {
	if db == nil {
		return a.load(ctx, p)
	}
	st, proj, err := dbStudy(ctx, db.store, db.flags, a, p)
	db.proj = proj
	return st, err
}

// assignUnits places demand in units (stored ones with a database).
func (db *dbSession) assignUnits(st *study, p *progress) error {
	if db == nil || db.proj == nil {
		return st.assignUnits(p)
	}
	return dbAssignUnits(st, db.proj, p)
}

// writeProposal writes the proposal files to out (a temporary folder when
// out is "" with a database) and stores the run.
func (db *dbSession) writeProposal(ctx context.Context, out string, prof *planner.Profile, in planner.ProposeInput,
	res *planner.ProposeResult, meta data.ProposeMeta, params map[string]any, p *progress) error {
	if db == nil {
		return data.WriteProposal(out, in, res, meta)
	}
	dir, cleanup, err := outDir(out)
	if err != nil {
		return err
	}
	defer cleanup()
	if err := data.WriteProposal(dir, in, res, meta); err != nil {
		return err
	}
	p.Step("store the proposal")
	id, err := db.store.SaveProposal(ctx, postgis.ProposeRun{Project: db.flags.project, Profile: prof, Params: params,
		In: in, Res: res, Meta: meta, FilesDir: dir})
	if err != nil {
		return err
	}
	p.Done("run %d of project %s", id, db.flags.project)
	return nil
}

// ----- export -----

func runExport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("export", "--db URL --project NAME [--run ID | --kind propose] --out DIR | --list",
		`Writes the files of a run stored in PostgreSQL/PostGIS into --out DIR, exactly as
the run wrote them: for an audit cells.geojson (or units.geojson), facilities.geojson,
demand.geojson, summary.json, summary.csv, ...; for a proposal proposals.geojson
and before_after.json. Without --run, the project's latest audit (or, with
--kind propose, its latest proposal).

--list prints the stored projects (without --project) or a project's runs.

Examples:
  lifecircle export --db postgres://planner@db.local/city --project district-a --out latest
  lifecircle export --project district-a --run 12 --out run12      (with DATABASE_URL)
  lifecircle export --project district-a --list`, e.stderr)
	var d dbFlags
	d.register(fs)
	var runID int64
	fs.Int64Var(&runID, "run", 0, "run id (default: the latest run of --kind)")
	kind := fs.String("kind", "audit", "kind of the latest run to export: audit or propose")
	out := fs.String("out", "", "output folder (created, or replaced if it holds an earlier lifecircle output)")
	list := fs.Bool("list", false, "list projects, or the runs of --project, instead of exporting")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *kind != "audit" && *kind != "propose" {
		return usagef("--kind must be audit or propose, not %q", *kind)
	}
	if runID < 0 {
		return usagef("--run must be a run id ≥ 1")
	}
	p := newProgress(e.stderr, *quiet)
	if *list {
		return exportList(ctx, e, &d, p)
	}
	if *out == "" {
		return usagef("--out DIR is required (the folder for the run's files)")
	}
	s, err := d.open(ctx, p)
	if err != nil {
		return err
	}
	defer s.Close()
	k := *kind
	if runID != 0 {
		k = ""
	}
	p.Step("export")
	ri, files, err := s.ExportRun(ctx, d.project, runID, k, *out)
	if err != nil {
		return err
	}
	p.Done("%s run %d of %s (%s): %d files", ri.Kind, ri.ID, d.project, ri.Created.Local().Format("2006-01-02 15:04"), len(files))
	fmt.Fprintf(e.stdout, "wrote %s run %d of project %s to %s: %s\n", ri.Kind, ri.ID, d.project, *out, strings.Join(files, ", "))
	return nil
}

func exportList(ctx context.Context, e *env, d *dbFlags, p *progress) error {
	listProjects := d.project == ""
	if listProjects {
		d.project = "x" // check() wants a name; only the URL matters here
	}
	s, err := d.open(ctx, p)
	if err != nil {
		return err
	}
	defer s.Close()
	if listProjects {
		ps, err := s.ListProjects(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%-24s %-20s %6s  %s\n", "project", "imported", "runs", "layers")
		for _, pi := range ps {
			var ls []string
			for _, k := range []string{"network", "amenity", "buildings", "residential", "population", "units", "layer"} {
				if n, ok := pi.Layers[k]; ok {
					ls = append(ls, fmt.Sprintf("%s %d", k, n))
				}
			}
			fmt.Fprintf(e.stdout, "%-24s %-20s %6d  %s\n", pi.Name, pi.Imported.Local().Format("2006-01-02 15:04"), pi.Runs, strings.Join(ls, ", "))
		}
		return nil
	}
	runs, err := s.ListRuns(ctx, d.project, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%6s  %-8s %-20s %-10s %s\n", "run", "kind", "created", "version", "types")
	for _, r := range runs {
		fmt.Fprintf(e.stdout, "%6d  %-8s %-20s %-10s %s\n", r.ID, r.Kind, r.Created.Local().Format("2006-01-02 15:04:05"), r.Version, strings.Join(r.Types, ","))
	}
	return nil
}

// scenarios returns the store for scenarios saved by serve: the project's
// database, or nil (the workspace folder) without one.
func (db *dbSession) scenarios() web.ScenarioStore {
	if db == nil {
		return nil
	}
	return dbScenarios{db}
}

type dbScenarios struct{ db *dbSession }

func (d dbScenarios) SaveScenario(ctx context.Context, name, author string, edits []planner.Edit, facilities []planner.Facility) (string, error) {
	id, err := d.db.store.SaveScenario(ctx, postgis.Scenario{Project: d.db.flags.project, Name: name, Author: author, Edits: edits, Facilities: facilities})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("scenario %d (%s) of project %s in %s", id, name, d.db.flags.project, d.db.store.Target()), nil
}
