package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/postgis"
	"github.com/lifecircle/lifecircle/data/study"
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
		return usagef("%v", err)
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
	if af.set["facility-overrides"] {
		return usagef("import stores the facilities as read; give --facility-overrides %s to the audits instead (lifecircle audit --db ... --project %s --facility-overrides FILE)", af.s.FacilityOverrides, d.project)
	}
	if af.set["as-of"] || af.set["status"] {
		return usagef("import stores every facility with its status: give --as-of to the audits, and add field reports with lifecircle status import FILE --db URL --project %s", d.project)
	}
	if err := d.check(); err != nil {
		return err
	}
	start := time.Now()
	p := newProgress(e.stderr, *quiet)
	proj, err := study.Import(ctx, af.s, layers, d.project, p)
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
		d.project, s.Target(), st.Ways, len(proj.Facilities), len(proj.Buildings), len(proj.Units), study.LayerFeatures(proj.Layers))
	fmt.Fprintf(e.stderr, "done in %.1fs. Audit it with: lifecircle audit --db URL --project %s. %s\n",
		time.Since(start).Seconds(), d.project, data.Attribution)
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
	if err := d.refuseInputs(a); err != nil {
		return err
	}
	st, err := study.Load(ctx, a.s, &study.DBSource{Store: s, Name: d.project}, p)
	if err != nil {
		return err
	}
	if err := st.ApplyScenario(a.scenario, p); err != nil {
		return err
	}
	st.Meta.Version = version
	res, err := study.Run(ctx, st)
	if err != nil {
		return err
	}
	id, err := st.WriteStored(ctx, s, d.project, a.s.Out, res, p)
	if err != nil {
		return err
	}
	printAuditTable(e.stdout, st, res)
	printRules(e.stdout, res)
	fmt.Fprintf(e.stderr, "done in %.1fs: run %d stored (export it with lifecircle export --db URL --project %s --run %d --out DIR). %s\n",
		time.Since(start).Seconds(), id, d.project, id, data.Attribution)
	return rulesError(res)
}

// A dbSession is an open project for propose and serve.
type dbSession struct {
	store *postgis.Store
	flags *dbFlags
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
func (db *dbSession) load(ctx context.Context, a *auditFlags, p *progress) (*study.Study, error) {
	var src study.Source = study.FileSource{}
	if db != nil {
		if err := db.flags.refuseInputs(a); err != nil {
			return nil, err
		}
		src = &study.DBSource{Store: db.store, Name: db.flags.project}
	}
	st, err := study.Load(ctx, a.s, src, p)
	if err != nil {
		return nil, err
	}
	if err := st.ApplyScenario(a.scenario, p); err != nil {
		return nil, err
	}
	st.Meta.Version = version
	return st, nil
}

// writeProposal writes the proposal files to out (a temporary folder when
// out is "" with a database) and stores the run.
func (db *dbSession) writeProposal(ctx context.Context, out string, prof *planner.Profile, in planner.ProposeInput,
	res *planner.ProposeResult, meta data.ProposeMeta, params map[string]any, p *progress) error {
	if db == nil {
		return data.WriteProposal(out, in, res, meta)
	}
	return study.StoreProposal(ctx, db.store, db.flags.project, out,
		postgis.ProposeRun{Profile: prof, Params: params, In: in, Res: res, Meta: meta}, p)
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
	if runID < 0 || runID > math.MaxInt32 {
		return usagef("--run %d is not a run id: run ids are whole numbers from 1 to %d — list the project's runs with lifecircle export --project NAME --list", runID, math.MaxInt32)
	}
	p := newProgress(e.stderr, *quiet)
	if *list {
		return exportList(ctx, e, &d, p)
	}
	if *out == "" {
		return usagef("--out DIR is required (the folder for the run's files)")
	}
	if err := checkOut(*out, data.KindExport); err != nil {
		return err
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
	return postgis.ProjectScenarios{Store: db.store, Project: db.flags.project}
}
