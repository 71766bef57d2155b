package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/dist"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/lifecircle/lifecircle/planner/glossary"
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

// auditFlags are the inputs shared by audit, propose, serve and import:
// flags bound to f, resolved into s (study.Settings) by resolve.
type auditFlags struct {
	project   string
	f         study.Settings // flag values
	amenities stringList
	units     stringList
	failBelow failBelowFlag
	s         study.Settings // defaults ⊕ project file ⊕ flags
	set       map[string]bool
	scenario  string // saved scenario folder whose edits apply to the facilities
	types     typeList
	// proposeTypes: propose's own --types (the types each site hosts)
	// stands for --types, and turns on those that are off by default.
	proposeTypes bool
}

func (a *auditFlags) register(fs *flag.FlagSet) {
	d := study.Defaults()
	fs.StringVar(&a.project, "c", "", "project file (lifecircle.yaml) holding any of these settings; flags override it")
	fs.StringVar(&a.f.OSM, "osm", "", "OpenStreetMap extract (.osm.pbf/.osm/.osm.gz/.osm.bz2): walk network, amenities, buildings")
	fs.StringVar(&a.f.Network, "network", "", "walk network as GeoJSON LineStrings (instead of --osm)")
	fs.Var(&a.amenities, "amenities", "amenity layer with a `type` column: GeoJSON, CSV (UTF-8 or GBK), .xlsx, .shp or .gpkg[#LAYER], optionally FILE@CRS (repeatable)")
	fs.StringVar(&a.f.Population, "population", "", "population layer: points or polygons with a `population` property (any layer format, optionally FILE@CRS)")
	fs.Var(&a.units, "units", "analysis units: polygons (GeoJSON, .shp, .gpkg[#LAYER]) with id, name, optional parent and level (default: grid cells); repeat for several levels, [LEVEL=]FILE[@CRS]")
	fs.StringVar(&a.f.UnitPopulation, "unit-population", "", "official residents per unit, a `FILE`: CSV unit_id,population, or a unit layer with a population property; spread over each unit's residential buildings (else streets) so units sum exactly to them")
	fs.StringVar(&a.f.UnitsOSM, "units-osm", "", "analysis units from the OSM extract's administrative boundaries: admin_level=8,10 (or admin_level=8:subdistrict,10:community)")
	fs.StringVar(&a.f.Profile, "profile", d.Profile, "amenity profile: built-in id (gb50180, gb50180-full, tdt1062, 15min; see lifecircle profiles) or a YAML file")
	fs.Float64Var(&a.f.Cell, "cell", d.Cell, "grid cell size in metres, when no --units")
	fs.BoolVar(&a.f.Sample, "sample", false, "use the bundled sample (central Helsinki, OSM)")
	fs.StringVar(&a.f.Coords, "coords", d.Coords, "coordinates of input layers that give none (no @CRS suffix, .prj or GeoPackage SRS): wgs84, gcj02 (Amap/Tencent), bd09 (Baidu)")
	fs.Float64Var(&a.f.MaxSnap, "max-snap", d.MaxSnap, "largest straight access leg to the street network, metres")
	fs.Float64Var(&a.f.MaxDistance, "max-distance", d.MaxDistance, "search bound, metres: farther counts as unreachable")
	fs.Float64Var(&a.f.FloorArea, "floor-area", d.FloorArea, "residential floor area per person, m² (demand from buildings)")
	fs.Float64Var(&a.f.TotalPopulation, "total-population", d.TotalPopulation, "rescale estimated residents to this census total (0 = no rescaling)")
	if !a.proposeTypes {
		fs.Var(&a.types, "types", "turn on off-by-default types of the profile: ID,ID (e.g. hospital,nursing_home; `lifecircle profiles NAME` lists them)")
	}
	fs.StringVar(&a.f.FacilityOverrides, "facility-overrides", "", "CSV of corrections to the facilities counted: id,action,type,reason[,lon,lat,name], action exclude, include or retype")
	fs.StringVar(&a.f.AsOf, "as-of", "", "count the facilities open on this day: YYYY-MM-DD, or planned (everything not closed for good); default today")
	fs.StringVar(&a.f.StatusFile, "status", "", "status history of field reports (`lifecircle status import`; default with -c: status.csv beside the project file)")
	fs.StringVar(&a.scenario, "scenario", "", "saved what-if scenario folder (WORKSPACE/scenarios/NAME): its edits apply to the facilities of these same inputs")
}

// resolve lays the project file (-c) over the defaults and the flags the
// user set over both.
func (a *auditFlags) resolve(fs *flag.FlagSet) error {
	a.set = map[string]bool{}
	var names []string
	fs.Visit(func(f *flag.Flag) {
		a.set[f.Name] = true
		names = append(names, f.Name)
	})
	a.f.Amenities, a.f.Units, a.f.FailBelow, a.f.Types = a.amenities, a.units, a.failBelow, a.types
	a.s = study.Defaults()
	a.s.SetFlags(a.f, names)
	if a.project == "" {
		return nil
	}
	pf, err := data.ReadProject(a.project)
	if err != nil {
		return err
	}
	a.s.Overlay(pf)
	return nil
}

// auditHelp is audit -h.
const auditHelp = `Audits walkable access: for every grid cell (or imported unit), how many residents
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

Input layers: GeoJSON, CSV (UTF-8 with or without BOM, or GBK), Excel .xlsx
(lon/lat or x/y columns), Shapefile .shp (.dbf, .prj, .cpg beside it) and
GeoPackage .gpkg (FILE.gpkg#LAYER picks a layer). Any input file may end in
@CRS: wgs84, cgcs2000, gcj02 (Amap, Tencent), bd09 (Baidu) or EPSG:nnnn, e.g.
--amenities stations.csv@gcj02 --units communities.shp@EPSG:4547. The suffix
wins over a .prj or GeoPackage SRS; --coords is for inputs that give none. A
layer whose points look like GCJ-02 or BD-09 read as WGS84 gets a warning.

Provision rules (the profile's, the project file's rules:, and --fail-below) are
checked after the audit: broken rules are listed (rules.csv, report.html) and the
exit code is 3, after all outputs are written.

Writes to --out DIR (atomically): cells.geojson (or units.geojson and
units_<level>.geojson), facilities.geojson, demand.geojson, summary.json,
summary.csv, summary.xlsx, rules.csv (with rules) and report.html; prints a
bilingual table. --format gpkg writes the layers (and summary and rules
tables) as one audit.gpkg instead, --format geojson,gpkg both; layers are
always WGS84. --out-coords gcj02|bd09 adds facilities.csv and demand.csv with
lon/lat in WGS84 and in that system, for Amap/Tencent or Baidu maps. CSVs start
with a UTF-8 BOM (Excel); text that would run as a formula starts with '.

Facilities carry a status (open, planned, under_construction, closed,
temporarily_closed; status/opens/closes columns, OSM lifecycle prefixes): --as-of
DAY counts those open that day (default today), --as-of planned everything not
closed for good; field reports (lifecircle status import) apply on top. --timeline
2025..2030 adds timeline.csv: coverage per type as of each 31 December.

--batch FILE runs many audits (a list of entries, each a name and a project file
or project keys) into --out DIR/<name>/ and writes DIR/batch_summary.csv/.json.

Examples:
  lifecircle audit --sample --out out
  lifecircle audit --osm district.osm.pbf --amenities stations.csv --coords gcj02 --out out
  lifecircle audit --osm district.osm.pbf --amenities stations.xlsx@gcj02 --units 社区=communities.shp@EPSG:4547 --out out
  lifecircle audit --osm monaco.osm.pbf --units-osm admin_level=8,10 --fail-below market=0.9 --out out
  lifecircle audit -c lifecircle.yaml
  lifecircle audit --batch batch.yaml --out runs`

func runAudit(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("audit", "[--sample | --osm FILE | --network FILE] [flags] --out DIR",
		auditHelp, e.stderr)
	var af auditFlags
	af.register(fs)
	fs.StringVar(&af.f.Out, "out", "", "output folder (required; created, or replaced if it holds an earlier audit)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	var dbf dbFlags // team mode: --db, --project (db.go)
	dbf.register(fs)
	batch := fs.String("batch", "", "batch file: run every entry (a project) into --out DIR/<name>/")
	natsURL := fs.String("distributed", "", "run the shards (or --batch entries) on `lifecircle worker`s through NATS JetStream at URL (nats://HOST:4222)")
	workers := fs.Uint("workers", 0, "start N local `lifecircle worker` processes (on --distributed URL, else on an embedded NATS server) and run on them")
	shards := fs.String("shards", "", "run in square shards with exact halos: auto (by --shard-nodes) or at least N shards")
	shardNodes := fs.Int("shard-nodes", 0, fmt.Sprintf("network nodes per shard, core and halo (default %d with --shards auto)", study.DefaultShardNodes))
	var of outputFlags
	of.register(fs)
	af.failBelow = failBelowFlag{}
	fs.StringVar(&af.f.Timeline, "timeline", "", "coverage per type as of 31 December of each year FROM..TO (e.g. 2025..2030): timeline.csv and a chart in report.html")
	fs.Var(af.failBelow, "fail-below", "exit with code 3 when a type's district coverage is below SHARE: TYPE=SHARE (repeatable, e.g. market=0.9)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := of.parse(); err != nil {
		return err
	}
	so, err := study.ParseShards(*shards, *shardNodes)
	if err != nil || (so.Enabled() && *batch != "") {
		return usagef("%v", cmp.Or(err, errors.New("--shards and --shard-nodes run one audit, not a --batch")))
	}
	if dbf.enabled() && (*natsURL != "" || *workers > 0) {
		return usagef("--distributed and --workers run file inputs, not --db")
	}
	if *batch != "" {
		return runBatch(ctx, e, fs, *batch, af.f.Out, *natsURL, int(*workers), af.failBelow, *quiet)
	}
	if err := af.resolve(fs); err != nil {
		return err
	}
	if err := checkOut(af.s.Out, data.KindAudit, af.inputs()...); err != nil {
		return err
	}
	if dbf.enabled() {
		af.s.Shard = so
		return runAuditDB(ctx, e, &af, &dbf, *quiet)
	}
	if af.s.Out == "" {
		return usagef("--out DIR is required (the folder for cells.geojson, summary.json, ...)")
	}
	ctx, stop, err := dist.NewShards(ctx, *natsURL, int(*workers), version, af.s.Out, e.stderr, *quiet, &so)
	if err != nil {
		return err
	}
	defer stop()
	af.s.Shard = so
	start := time.Now()
	p := newProgress(e.stderr, *quiet)
	st, res, err := auditFiles(ctx, af.s, af.scenario, of, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote (GeoJSON and GeoPackage layers are WGS84, EPSG:4326):\n")
	printOutputs(e.stderr, af.s.Out, data.AuditOutputs(st.In, res, st.Meta))
	printAuditTable(e.stdout, st, res)
	printRules(e.stdout, res)
	fmt.Fprintf(e.stderr, "done in %.1fs. %s\n", time.Since(start).Seconds(), data.Attribution)
	return rulesError(res)
}

// auditFiles reads the inputs s names, audits them and writes every
// output to s.Out, in the formats of of.
func auditFiles(ctx context.Context, s study.Settings, scenario string, of outputFlags, p *progress) (*study.Study, *planner.AuditResult, error) {
	st, err := study.Load(ctx, s, study.FileSource{}, p)
	if err != nil {
		return nil, nil, err
	}
	if err := st.ApplyScenario(scenario, p); err != nil {
		return nil, nil, err
	}
	st.Meta.Version = version
	st.Meta.Format, st.Meta.OutCoords = of.Format, of.OutCoords
	res, err := study.Run(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	st.ReleaseInputs()
	p.Step("write outputs")
	if err := st.Write(s.Out, res); err != nil {
		return nil, nil, err
	}
	p.Done("%s", s.Out)
	return st, res, nil
}

// printAuditTable prints a bilingual coverage table and the worst units.
func printAuditTable(w io.Writer, st *study.Study, res *planner.AuditResult) {
	fmt.Fprintf(w, "\n生活圈覆盖 / Walkable coverage — %s, %s: %.0f residents (%s)\n",
		st.In.Profile.ID, st.In.Profile.Names.En, res.Population, st.In.Demand.Source)
	if zh, en := st.Meta.AsOf.Label(); en != "" {
		fmt.Fprintf(w, "设施统计时点 %s / facilities counted %s (%d not counted 未计入)\n", zh, en, st.Meta.AsOf.NotCounted)
	}
	fmt.Fprintf(w, "%s %s %s %8s %6s %12s %8s %10s\n", pad("type", 11), pad("名称", 26), pad("name", 30), "dist_m", "sites", "covered", "share", "gap")
	for ti, t := range res.Types {
		ov := ""
		if o := st.Meta.FacilityOverrides.Type(t.ID); o != nil {
			ov = "  (overrides 更正: " + o.Text() + ")"
		}
		if res.Capacity != nil && res.Capacity[ti] != nil {
			ov += fmt.Sprintf("  (within reach but over capacity 可达但满员 %.0f)", res.Capacity[ti].OverCapacity)
		}
		fmt.Fprintf(w, "%s %s %s %8.0f %6d %12.0f %7.1f%% %10.0f%s\n",
			pad(t.ID, 11), pad(t.Names.Zh, 26), pad(t.Names.En, 30), t.Threshold, t.Facilities, t.Covered, 100*t.Coverage, t.Gap, ov)
	}
	if o := st.Meta.FacilityOverrides; o != nil {
		fmt.Fprintf(w, "facility overrides 设施更正 %s: %d excluded 排除, %d included 加入, %d retyped 改类\n", o.File, o.Excluded, o.Included, o.Retyped)
	}
	fmt.Fprintf(w, "%s %.1f%%, %s %.1f%%\n", glossary.Both("completeness"), 100*res.Completeness, glossary.Both("fully_served"), 100*res.FullyServed)
	// Worst units: lowest completeness among the most populous gaps.
	idx := planner.WorstUnits(res.Units, 5)
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
				pad(truncate(unitLabel(st.In.Units[u]), 28), 28), r.Population, 100*r.Completeness, strings.Join(miss, ", "))
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

// typeList is a repeatable flag of type ids separated by commas (--types).
type typeList []string

func (t *typeList) String() string { return strings.Join(*t, ",") }
func (t *typeList) Set(v string) error {
	for _, id := range strings.Split(v, ",") {
		if id = strings.TrimSpace(id); id != "" {
			*t = append(*t, id)
		}
	}
	return nil
}
