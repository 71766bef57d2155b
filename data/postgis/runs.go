package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// An AuditRun is one audit to store: its inputs, results, description
// and the files it wrote.
type AuditRun struct {
	Project string
	In      planner.AuditInput
	Res     *planner.AuditResult
	Meta    data.AuditMeta
	// FilesDir is the folder data.WriteAudit wrote; its files are stored
	// with the run so that Export gives them back unchanged ("" = none).
	FilesDir string
	// TaskKey, when set, makes the save idempotent: a distributed task's
	// run/task/input digest. A run of the same key stored already is kept
	// and its id returned, nothing written again (taskkey.go).
	TaskKey string
}

// A RunInfo describes a stored, complete run.
type RunInfo struct {
	ID      int64
	Project string
	Kind    string // "audit" or "propose"
	Created time.Time
	Version string
	Types   []string
	// Summary is runs.summary as stored; Audit is the same decoded for an
	// audit run (summary.json's figures), nil for other kinds.
	Summary map[string]any
	Audit   *data.Summary
}

// setSummary decodes runs.summary. A summary that does not decode (a run
// stored by an older lifecircle) leaves the fields nil: the run's figures
// are in its tables and files all the same.
func (ri *RunInfo) setSummary(b []byte) {
	_ = json.Unmarshal(b, &ri.Summary)
	if ri.Kind == "audit" {
		var s auditSummary
		if json.Unmarshal(b, &s) == nil && s.Types != nil {
			ri.Audit = &s.Summary
		}
	}
}

// auditParams is runs.params of an audit.
type auditParams struct {
	Inputs       map[string]any   `json:"inputs"`
	Network      data.NetworkInfo `json:"network"`
	UnitsFile    string           `json:"units_file,omitempty"`
	CellSize     float64          `json:"cell_m,omitempty"`
	GridID       string           `json:"grid,omitempty"`
	DemandSource string           `json:"demand_source"`
	MaxSnap      float64          `json:"max_snap_m"`
	MaxDistance  float64          `json:"max_distance_m"`
}

// auditSummary is runs.summary of an audit: summary.json's document
// (data.Summary), with the demand points too far from any street.
type auditSummary struct {
	data.Summary
	UnsnappedPts int `json:"demand_points_unsnapped"`
}

// SaveAudit stores a run and its results in one transaction, flagging it
// complete in the same transaction: nobody sees a run half-written. It
// returns the run's id.
func (s *Store) SaveAudit(ctx context.Context, r AuditRun) (int64, error) {
	if err := ValidateProjectName(r.Project); err != nil {
		return 0, err
	}
	in, res := r.In, r.Res
	if res == nil || in.Profile == nil || in.Demand == nil {
		return 0, fmt.Errorf("postgis: save audit: incomplete run (no result, profile or demand)")
	}
	types := in.Profile.TypeIDs()
	if len(res.Types) != len(types) || len(res.Units) != len(in.Units) || len(res.Dist) != len(types) ||
		(in.Hierarchy != nil && len(res.Levels) != len(in.Hierarchy.Levels)) {
		return 0, fmt.Errorf("postgis: save audit: the result has %d types and %d units for a profile of %d types and %d units",
			len(res.Types), len(res.Units), len(types), len(in.Units))
	}
	params := auditParams{Inputs: r.Meta.Inputs, Network: r.Meta.Network, UnitsFile: r.Meta.UnitsFile,
		CellSize: r.Meta.CellSize, GridID: r.Meta.GridID, DemandSource: in.Demand.Source,
		MaxSnap: in.MaxSnap, MaxDistance: in.MaxDistance}
	sum := auditSummary{Summary: data.NewSummary(in, res, r.Meta), UnsnappedPts: res.UnsnappedPts}
	timings := map[string]float64{}
	for k, v := range r.Meta.Timings {
		timings[k] = v.Seconds()
	}
	for k, v := range res.Timings {
		timings[k] = v.Seconds()
	}

	var id int64
	existing, err := s.writeRun(ctx, r.Project, "audit", r.Meta.Version, r.TaskKey, params, in.Profile, types, sum, timings, func(tx pgx.Tx, run int64) error {
		id = run
		rows := unitRows(in, res)
		if err := s.copyRows(ctx, tx, "unit_results",
			[]string{"run", "seq", "level", "unit_id", "name", "parent", "population", "points", "covered", "unreachable",
				"dist_mean", "dist_p90", "completeness", "fully_served", "geom", "over_capacity"},
			len(rows), func(k int) ([]any, error) {
				r := rows[k]
				u, ur := r.unit, r.res
				g, err := toEWKB(u.Geometry)
				if err != nil {
					return nil, fmt.Errorf("unit %s: %w", u.ID, err)
				}
				return []any{run, int32(k), r.level, u.ID, nullable(u.Name), nullable(u.Parent), ur.Population,
					int32(ur.Points), ur.Covered, ur.Unreachable, ur.DistMean, ur.DistP90, ur.Completeness, ur.FullyServed, g, ur.OverCapacity}, nil
			}); err != nil {
			return err
		}
		d := in.Demand
		dist := make([]float64, len(types))
		if err := s.copyRows(ctx, tx, "demand_results",
			[]string{"run", "seq", "point_id", "population", "unit_id", "snapped", "dist", "geom"},
			len(d.Points), func(k int) ([]any, error) {
				var unit any
				if in.Assign != nil && in.Assign[k] >= 0 {
					unit = in.Units[in.Assign[k]].ID
				}
				for t := range types {
					dist[t] = res.Dist[t][k]
				}
				snapped := res.Snapped == nil || res.Snapped[k]
				g, err := toEWKB(d.Points[k])
				if err != nil {
					return nil, fmt.Errorf("demand point %s: %w", d.IDs[k], err)
				}
				return []any{run, int32(k), d.IDs[k], d.Pop[k], unit, snapped, dist, g}, nil
			}); err != nil {
			return err
		}
		if err := s.copyFacilities(ctx, tx, "run_facilities", "run", run, in.Facilities); err != nil {
			return err
		}
		return s.storeFiles(ctx, tx, run, r.FilesDir)
	})
	if err != nil {
		return 0, err
	}
	if existing > 0 {
		return existing, nil
	}
	return id, nil
}

type unitRow struct {
	level string
	unit  planner.Unit
	res   planner.UnitResult
}

// unitRows lists the units of every level, coarsest first, with their
// figures; the finest level is in.Units with res.Units.
func unitRows(in planner.AuditInput, res *planner.AuditResult) []unitRow {
	var rows []unitRow
	finest := ""
	if h := in.Hierarchy; h != nil && len(h.Levels) > 0 && len(res.Levels) == len(h.Levels) {
		for k := 0; k < len(h.Levels)-1; k++ {
			lv, lr := &h.Levels[k], &res.Levels[k]
			for u := range lv.Units {
				if u < len(lr.Units) {
					rows = append(rows, unitRow{lv.Name, lv.Units[u], lr.Units[u]})
				}
			}
		}
		finest = h.Levels[len(h.Levels)-1].Name
	}
	for u := range in.Units {
		level := finest
		if level == "" {
			level = in.Units[u].Level
		}
		if level == "" {
			level = planner.DefaultLevelName
		}
		rows = append(rows, unitRow{level, in.Units[u], res.Units[u]})
	}
	return rows
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// writeRun inserts a run row, lets fill copy its results, and flags the
// run complete, all in one transaction. With a task key it first looks
// for a run of that key and returns its id (existing > 0) instead,
// writing nothing (taskkey.go).
func (s *Store) writeRun(ctx context.Context, project, kind, version, key string, params any, prof *planner.Profile,
	types []string, summary any, timings map[string]float64, fill func(tx pgx.Tx, run int64) error) (existing int64, err error) {
	pj, err := json.Marshal(params)
	if err != nil {
		return 0, fmt.Errorf("postgis: save %s: parameters: %w", kind, err)
	}
	sj, err := json.Marshal(summary)
	if err != nil {
		return 0, fmt.Errorf("postgis: save %s: summary: %w", kind, err)
	}
	tj, _ := json.Marshal(timings)
	if version == "" {
		version = "dev"
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var pid, run int64
		if err := tx.QueryRow(ctx, `SELECT id FROM lifecircle.projects WHERE name = $1 FOR SHARE`, project).Scan(&pid); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return s.projectNotFound(ctx, project)
			}
			return err
		}
		if existing, err = runOfKey(ctx, tx, key); err != nil || existing > 0 {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO lifecircle.runs (project, kind, version, params, profile, types, summary, timings, task_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			pid, kind, version, pj, string(prof.YAML()), types, sj, tj, nullable(key)).Scan(&run); err != nil {
			return err
		}
		if err := fill(tx, run); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE lifecircle.runs SET complete = true, status = 'complete' WHERE id = $1`, run)
		return err
	})
	if err != nil {
		if id, kerr := s.keyTaken(ctx, key, err); kerr == nil {
			return id, nil // another delivery of the task stored it meanwhile
		}
		if errors.Is(err, ErrNotFound) {
			return 0, err
		}
		if ctx.Err() != nil {
			return 0, fmt.Errorf("postgis: save %s run of %s: cancelled, nothing stored: %w", kind, project, ctx.Err())
		}
		return 0, fmt.Errorf("postgis: save %s run of %s in %s: %w (nothing stored)", kind, project, s.target, err)
	}
	return existing, nil
}

// copyRows COPYs n rows made by row into lifecircle.table.
func (s *Store) copyRows(ctx context.Context, tx pgx.Tx, table string, cols []string, n int, row func(k int) ([]any, error)) error {
	k := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if k >= n {
			return nil, nil
		}
		r, err := row(k)
		k++
		return r, err
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"lifecircle", table}, cols, src); err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	if s.afterCopy != nil {
		return s.afterCopy(ctx, table)
	}
	return nil
}

func (s *Store) copyFacilities(ctx context.Context, tx pgx.Tx, table, owner string, id int64, fs []planner.Facility) error {
	return s.copyRows(ctx, tx, table, []string{owner, "seq", "fid", "type", "name", "source", "geom", "rule", "tags", "capacity"}, len(fs), func(k int) ([]any, error) {
		f := fs[k]
		g, err := toEWKB(f.Geometry)
		if err != nil {
			return nil, fmt.Errorf("facility %s: %w", f.ID, err)
		}
		tags, err := tagsJSON(f.Tags)
		if err != nil {
			return nil, fmt.Errorf("facility %s: tags: %w", f.ID, err)
		}
		return []any{id, int32(k), f.ID, f.Type, nullable(f.Name), nullable(f.Source), g, nullable(f.Rule), tags, nullCapacity(f.Capacity)}, nil
	})
}

// ListRuns returns the complete runs of a project, newest first; kind ""
// lists every kind.
func (s *Store) ListRuns(ctx context.Context, project, kind string) ([]RunInfo, error) {
	if err := ValidateProjectName(project); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT r.id, p.name, r.kind, r.created, r.version, r.types, r.summary
		FROM lifecircle.runs r JOIN lifecircle.projects p ON p.id = r.project
		WHERE p.name = $1 AND r.complete AND ($2 = '' OR r.kind = $2)
		ORDER BY r.id DESC`, project, kind)
	if err != nil {
		return nil, fmt.Errorf("postgis: list runs of %s: %w", project, err)
	}
	var out []RunInfo
	for rows.Next() {
		var ri RunInfo
		var sum []byte
		if err := rows.Scan(&ri.ID, &ri.Project, &ri.Kind, &ri.Created, &ri.Version, &ri.Types, &sum); err != nil {
			return nil, fmt.Errorf("postgis: list runs of %s: %w", project, err)
		}
		ri.setSummary(sum)
		out = append(out, ri)
	}
	return out, rows.Err()
}

// runRow is one runs row.
type runRow struct {
	id              int64
	kind            string
	created         time.Time
	version         string
	params, summary []byte
	timings         map[string]float64
	profile         string
	types           []string
}

// findRun returns run id of project (0 = the latest complete run of kind).
func findRun(ctx context.Context, tx pgx.Tx, project string, id int64, kind string) (*runRow, error) {
	var r runRow
	err := tx.QueryRow(ctx, `SELECT r.id, r.kind, r.created, r.version, r.params, r.summary, r.timings, r.profile, r.types
		FROM lifecircle.runs r JOIN lifecircle.projects p ON p.id = r.project
		WHERE p.name = $1 AND r.complete AND ($2 = 0 OR r.id = $2) AND ($3 = '' OR $2 <> 0 OR r.kind = $3)
		ORDER BY r.id DESC LIMIT 1`, project, id, kind).
		Scan(&r.id, &r.kind, &r.created, &r.version, &r.params, &r.summary, &r.timings, &r.profile, &r.types)
	return &r, err
}

// RunKind returns the kind of a complete run ("audit" or "propose"); id 0
// means the project's latest run.
func (s *Store) RunKind(ctx context.Context, project string, id int64) (int64, string, error) {
	if err := ValidateProjectName(project); err != nil {
		return 0, "", err
	}
	var r *runRow
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		r, err = findRun(ctx, tx, project, id, "")
		return err
	})
	if err != nil {
		return 0, "", s.runError(ctx, project, id, "", err)
	}
	return r.id, r.kind, nil
}

func (s *Store) runError(ctx context.Context, project string, id int64, kind string, err error) error {
	if !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgis: read run of %s from %s: %w", project, s.target, err)
	}
	if _, perr := s.ListRuns(ctx, project, ""); perr != nil {
		return perr
	}
	var exists bool
	_ = s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM lifecircle.projects WHERE name = $1)`, project).Scan(&exists)
	if !exists {
		return s.projectNotFound(ctx, project)
	}
	what := "complete run"
	if kind != "" {
		what = "complete " + kind + " run"
	}
	if id != 0 {
		return fmt.Errorf("postgis: project %s has no %s with id %d — list them with lifecircle export --db URL --project %s --list: %w", project, what, id, project, ErrNotFound)
	}
	return fmt.Errorf("postgis: project %s has no %s yet — run lifecircle %s --db URL --project %s first: %w", project, what, orDefault(kind, "audit"), project, ErrNotFound)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// maxRunFile bounds one stored output file (bytes); a run's files are its
// summary, layers and report, tens of megabytes for a city.
const maxRunFile = 512 << 20

// storeFiles stores the regular files of dir with run.
func (s *Store) storeFiles(ctx context.Context, tx pgx.Tx, run int64, dir string) error {
	if dir == "" {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read the run's files: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return s.copyRows(ctx, tx, "run_files", []string{"run", "name", "content"}, len(names), func(k int) ([]any, error) {
		path := filepath.Join(dir, names[k])
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if fi.Size() > maxRunFile {
			return nil, fmt.Errorf("%s is %d MB; a stored run file may hold at most %d MB", path, fi.Size()>>20, maxRunFile>>20)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return []any{run, names[k], b}, nil
	})
}

// ExportRun writes the files a complete run wrote into dir, atomically
// (data.WriteDirAtomic); id 0 exports the project's latest run of kind
// ("" = any kind). It returns the run exported.
func (s *Store) ExportRun(ctx context.Context, project string, id int64, kind, dir string) (RunInfo, []string, error) {
	var ri RunInfo
	if err := ValidateProjectName(project); err != nil {
		return ri, nil, err
	}
	var files []string
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		r, err := findRun(ctx, tx, project, id, kind)
		if err != nil {
			return err
		}
		ri = RunInfo{ID: r.id, Project: project, Kind: r.kind, Created: r.created, Version: r.version, Types: r.types}
		ri.setSummary(r.summary)
		rows, err := tx.Query(ctx, `SELECT name, content FROM lifecircle.run_files WHERE run = $1 ORDER BY name`, r.id)
		if err != nil {
			return err
		}
		defer rows.Close()
		type file struct {
			name string
			b    []byte
		}
		var fs []file
		for rows.Next() {
			var f file
			if err := rows.Scan(&f.name, &f.b); err != nil {
				return err
			}
			if f.name != filepath.Base(f.name) || f.name == "." || f.name == ".." {
				return fmt.Errorf("run %d: bad stored file name %q", r.id, f.name)
			}
			fs = append(fs, f)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(fs) == 0 {
			return fmt.Errorf("run %d has no stored files (stored by a lifecircle that kept none) — its results are in the tables lifecircle.unit_results and lifecircle.demand_results", r.id)
		}
		return data.WriteOutputDir(dir, data.KindExport, func(tmp string) error {
			for _, f := range fs {
				if err := os.WriteFile(filepath.Join(tmp, f.name), f.b, 0o644); err != nil {
					return err
				}
				files = append(files, f.name)
			}
			return nil
		})
	})
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return ri, nil, s.runError(ctx, project, id, kind, err)
		}
		return ri, nil, fmt.Errorf("postgis: export run of %s from %s: %w", project, s.target, err)
	}
	return ri, files, nil
}

// A UnitFigures row is one unit's stored results; per-type slices follow
// Types of the run.
type UnitFigures struct {
	Level, UnitID, Name, Parent string
	Population                  float64
	Points                      int
	Covered, Unreachable        []float64
	DistMean, DistP90           []float64 // NaN when none reachable
	Completeness, FullyServed   float64
	Geometry                    orb.Geometry
	// OverCapacity are residents within reach whose facilities are full,
	// per type (NaN for a type without capacity figures); nil when no
	// type has them.
	OverCapacity []float64
}

// UnitResults returns the unit figures of a complete audit run (id 0: the
// latest), every level, coarsest first, and the run's type ids.
func (s *Store) UnitResults(ctx context.Context, project string, id int64) ([]UnitFigures, []string, error) {
	if err := ValidateProjectName(project); err != nil {
		return nil, nil, err
	}
	var out []UnitFigures
	var types []string
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		r, err := findRun(ctx, tx, project, id, "audit")
		if err != nil {
			return err
		}
		types = r.types
		rows, err := tx.Query(ctx, `SELECT level, unit_id, name, parent, population, points, covered, unreachable,
			dist_mean, dist_p90, completeness, fully_served, ST_AsBinary(geom), over_capacity
			FROM lifecircle.unit_results WHERE run = $1 ORDER BY seq`, r.id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u UnitFigures
			var name, parent *string
			var points int32
			var gb []byte
			if err := rows.Scan(&u.Level, &u.UnitID, &name, &parent, &u.Population, &points, &u.Covered, &u.Unreachable,
				&u.DistMean, &u.DistP90, &u.Completeness, &u.FullyServed, &gb, &u.OverCapacity); err != nil {
				return err
			}
			u.Name, u.Parent, u.Points = deref(name), deref(parent), int(points)
			if u.Geometry, err = fromWKB(gb); err != nil {
				return fmt.Errorf("unit %s: %w", u.UnitID, err)
			}
			out = append(out, u)
		}
		return rows.Err()
	})
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, nil, s.runError(ctx, project, id, "audit", err)
		}
		return nil, nil, fmt.Errorf("postgis: unit results of %s from %s: %w", project, s.target, err)
	}
	return out, types, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// loadFacilities reads the facilities of a run or scenario; table and
// owner are constants of this package, never user input.
func loadFacilities(ctx context.Context, tx pgx.Tx, table, owner string, id int64) ([]planner.Facility, error) {
	rows, err := tx.Query(ctx, `SELECT fid, type, name, source, ST_AsBinary(geom), rule, tags, capacity FROM lifecircle.`+table+` WHERE `+owner+` = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var fs []planner.Facility
	for rows.Next() {
		var f planner.Facility
		var name, source, rule *string
		var gb, tags []byte
		var capacity *float64
		if err := rows.Scan(&f.ID, &f.Type, &name, &source, &gb, &rule, &tags, &capacity); err != nil {
			return nil, err
		}
		f.Name, f.Source, f.Rule, f.Capacity = deref(name), deref(source), deref(rule), derefCapacity(capacity)
		if f.Tags, err = tagsFromJSON(tags); err != nil {
			return nil, fmt.Errorf("facility %s: tags: %w", f.ID, err)
		}
		if f.Geometry, err = fromWKB(gb); err != nil {
			return nil, fmt.Errorf("facility %s: %w", f.ID, err)
		}
		fs = append(fs, f)
	}
	return fs, rows.Err()
}

// nullCapacity is a facility's capacity for a capacity column: nil (SQL
// NULL) when unknown (0).
func nullCapacity(c float64) any {
	if c > 0 {
		return c
	}
	return nil
}

// derefCapacity reads a capacity column: NULL is unknown (0).
func derefCapacity(c *float64) float64 {
	if c == nil {
		return 0
	}
	return *c
}

// tagsJSON encodes OSM tags for a jsonb column: nil (SQL NULL) for none.
func tagsJSON(tags map[string]string) (any, error) {
	if tags == nil {
		return nil, nil
	}
	b, err := json.Marshal(tags)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// tagsFromJSON decodes a jsonb column of OSM tags; NULL gives nil.
func tagsFromJSON(b []byte) (map[string]string, error) {
	if b == nil {
		return nil, nil
	}
	var tags map[string]string
	if err := json.Unmarshal(b, &tags); err != nil {
		return nil, err
	}
	return tags, nil
}
