package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// A Project is what an audit reads for one project: the inputs as the
// data readers return them, in input order, so an audit from the database
// computes exactly what the file-based audit computes.
type Project struct {
	Name     string
	Profile  *planner.Profile // stored as YAML
	Settings Settings
	Network  Network
	// Facilities in audit order; each keeps its Source.
	Facilities       []planner.Facility
	Buildings        []planner.Building
	ResidentialAreas []orb.Geometry
	Population       []planner.PopFeature
	PopulationSource string // the population layer's file, "" when none
	Units            []planner.Unit
	UnitsSource      string // the units layer's file, "" for grid cells
	// Layers are other layers shared for viewing (QGIS, serve); audits do
	// not read them.
	Layers []Layer
	// StatusReports are the project's field reports (set by LoadProject,
	// in the order they were stored; Import never writes them: see
	// AppendStatusReports).
	StatusReports []planner.StatusReport

	Imported time.Time // set by LoadProject
}

// Settings are the audit parameters given at import; an audit from the
// database uses them unless its own flags say otherwise. Zero = default.
type Settings struct {
	Cell            float64        `json:"cell_m,omitempty"`
	MaxSnap         float64        `json:"max_snap_m,omitempty"`
	MaxDistance     float64        `json:"max_distance_m,omitempty"`
	FloorArea       float64        `json:"floor_area_m2,omitempty"`
	TotalPopulation float64        `json:"total_population,omitempty"`
	Coords          string         `json:"coords,omitempty"` // datum the inputs were converted from
	Sources         map[string]any `json:"sources,omitempty"`
}

// A Layer is a layer shared for viewing, stored feature by feature.
type Layer struct {
	Name     string // short name, e.g. the file's base name
	Source   string // where it came from
	Features []data.Feature
}

// ImportStats count what an import stored.
type ImportStats struct {
	Layers   int
	Ways     int
	Features int
	Elapsed  time.Duration
}

// ErrNotFound is wrapped by errors for a project or run that does not exist.
var ErrNotFound = errors.New("not found")

var projectName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidateProjectName checks a project name: 1 to 64 letters A-Z a-z,
// digits, '_' or '-'.
func ValidateProjectName(name string) error {
	if !projectName.MatchString(name) {
		return fmt.Errorf("project name %q is not allowed: use 1 to 64 letters A-Z/a-z, digits, '_' or '-' (e.g. helsinki-2019)", name)
	}
	return nil
}

// Import stores p, replacing the project's layers if it exists, in one
// transaction: until it commits, readers see the project as it was, and a
// failed or cancelled import leaves it so. Audit runs and scenarios of the
// project are kept.
func (s *Store) Import(ctx context.Context, p *Project) (ImportStats, error) {
	start := time.Now()
	var st ImportStats
	if err := ValidateProjectName(p.Name); err != nil {
		return st, err
	}
	if p.Profile == nil {
		return st, fmt.Errorf("postgis: import %s: no profile", p.Name)
	}
	if err := p.Network.validate(); err != nil {
		return st, fmt.Errorf("postgis: import %s: %w", p.Name, err)
	}
	settings, err := json.Marshal(p.Settings)
	if err != nil {
		return st, fmt.Errorf("postgis: import %s: settings: %w", p.Name, err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var pid int64
		if err := tx.QueryRow(ctx, `INSERT INTO lifecircle.projects (name, profile, settings) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET imported = now(), profile = EXCLUDED.profile, settings = EXCLUDED.settings
			RETURNING id`, p.Name, string(p.Profile.YAML()), settings).Scan(&pid); err != nil {
			return fmt.Errorf("store the project: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM lifecircle.layers WHERE project = $1`, pid); err != nil {
			return fmt.Errorf("remove the previous layers: %w", err)
		}
		addLayer := func(kind, name, source string, meta any) (int64, error) {
			m, err := json.Marshal(meta)
			if err != nil {
				return 0, err
			}
			var id int64
			err = tx.QueryRow(ctx, `INSERT INTO lifecircle.layers (project, kind, name, source, meta) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
				pid, kind, name, source, m).Scan(&id)
			st.Layers++
			return id, err
		}

		// The walk network.
		if len(p.Network.Ways) > 0 {
			lid, err := addLayer("network", "network", p.Network.Info.Source, p.Network.Info)
			if err != nil {
				return fmt.Errorf("store the network layer: %w", err)
			}
			n, err := s.copyWays(ctx, tx, lid, p.Network.Ways)
			if err != nil {
				return err
			}
			st.Ways = int(n)
		}

		// Every feature layer, in one COPY.
		var fl []featureLayer
		for i := 0; i < len(p.Facilities); {
			j := i + 1
			for j < len(p.Facilities) && p.Facilities[j].Source == p.Facilities[i].Source {
				j++
			}
			fs := p.Facilities[i:j]
			src := fs[0].Source
			fl = append(fl, featureLayer{kind: "amenity", name: src, source: src, n: len(fs), row: func(k int) (featureRow, error) {
				f := fs[k]
				return featureRow{fid: f.ID, typ: &f.Type, name: f.Name, props: map[string]any{"source": f.Source}, geom: f.Geometry,
					rule: f.Rule, tags: f.Tags, capacity: f.Capacity, status: string(f.Status), opens: f.Opens, closes: f.Closes}, nil
			}})
			i = j
		}
		if len(p.Buildings) > 0 {
			bs := p.Buildings
			fl = append(fl, featureLayer{kind: "buildings", name: "buildings", source: p.Network.Info.Source, n: len(bs), row: func(k int) (featureRow, error) {
				return featureRow{fid: bs[k].ID, props: bs[k].Tags, geom: bs[k].Geometry}, nil
			}})
		}
		if len(p.ResidentialAreas) > 0 {
			ra := p.ResidentialAreas
			fl = append(fl, featureLayer{kind: "residential", name: "residential areas", source: p.Network.Info.Source, n: len(ra), row: func(k int) (featureRow, error) {
				return featureRow{fid: fmt.Sprint(k + 1), geom: ra[k]}, nil
			}})
		}
		if len(p.Population) > 0 || p.PopulationSource != "" {
			pf := p.Population
			fl = append(fl, featureLayer{kind: "population", name: baseName(p.PopulationSource), source: p.PopulationSource, n: len(pf), row: func(k int) (featureRow, error) {
				pop := pf[k].Population
				return featureRow{fid: pf[k].ID, population: &pop, geom: pf[k].Geometry}, nil
			}})
		}
		if len(p.Units) > 0 {
			us := p.Units
			fl = append(fl, featureLayer{kind: "units", name: baseName(p.UnitsSource), source: p.UnitsSource, n: len(us), row: func(k int) (featureRow, error) {
				u := us[k]
				props := map[string]any{}
				if u.Parent != "" {
					props["parent"] = u.Parent
				}
				if u.Level != "" {
					props["level"] = u.Level
				}
				return featureRow{fid: u.ID, name: u.Name, props: props, geom: u.Geometry}, nil
			}})
		}
		for _, l := range p.Layers {
			fs := l.Features
			fl = append(fl, featureLayer{kind: "layer", name: l.Name, source: l.Source, n: len(fs), row: func(k int) (featureRow, error) {
				f := fs[k]
				name, _ := f.Properties["name"].(string)
				return featureRow{fid: f.ID, name: name, props: f.Properties, geom: f.Geometry}, nil
			}})
		}
		for i := range fl {
			id, err := addLayer(fl[i].kind, fl[i].name, fl[i].source, map[string]any{"features": fl[i].n})
			if err != nil {
				return fmt.Errorf("store the %s layer %s: %w", fl[i].kind, fl[i].name, err)
			}
			fl[i].id = id
		}
		n, err := s.copyFeatures(ctx, tx, fl)
		if err != nil {
			return err
		}
		st.Features = int(n)
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return st, fmt.Errorf("postgis: import %s into %s: cancelled; the project is as it was before: %w", p.Name, s.target, ctx.Err())
		}
		return st, fmt.Errorf("postgis: import %s into %s: %w (nothing was changed)", p.Name, s.target, err)
	}
	st.Elapsed = time.Since(start)
	return st, nil
}

func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}

// A featureLayer is one layer's rows for the features COPY.
type featureLayer struct {
	kind, name, source string
	id                 int64
	n                  int
	row                func(k int) (featureRow, error)
}

type featureRow struct {
	fid        string
	typ        *string
	name       string
	population *float64
	props      any
	geom       orb.Geometry
	rule       string            // amenities: why the facility counts
	tags       map[string]string // amenities: the OSM element's tags
	capacity   float64           // amenities: places, 0 = unknown (NULL)
	// amenities: status ("" = open, stored NULL) and dates (zero = NULL)
	status        string
	opens, closes time.Time
}

func (s *Store) copyFeatures(ctx context.Context, tx pgx.Tx, fl []featureLayer) (int64, error) {
	li, k := 0, 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		for li < len(fl) && k >= fl[li].n {
			li, k = li+1, 0
		}
		if li >= len(fl) {
			return nil, nil
		}
		l := &fl[li]
		r, err := l.row(k)
		if err != nil {
			return nil, err
		}
		g, err := toEWKB(r.geom)
		if err != nil {
			return nil, fmt.Errorf("%s layer %s: feature %d (id %s): %w", l.kind, l.name, k, r.fid, err)
		}
		props := []byte("{}")
		if r.props != nil {
			if props, err = json.Marshal(r.props); err != nil {
				return nil, fmt.Errorf("%s layer %s: feature %d (id %s): properties: %w", l.kind, l.name, k, r.fid, err)
			}
		}
		var name any
		if r.name != "" {
			name = r.name
		}
		tags, err := tagsJSON(r.tags)
		if err != nil {
			return nil, fmt.Errorf("%s layer %s: feature %d (id %s): tags: %w", l.kind, l.name, k, r.fid, err)
		}
		row := []any{l.id, int32(k), r.fid, r.typ, name, r.population, props, g, nullable(r.rule), tags, nullCapacity(r.capacity),
			nullable(r.status), nullDate(r.opens), nullDate(r.closes)}
		k++
		return row, nil
	})
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"lifecircle", "features"},
		[]string{"layer", "seq", "fid", "type", "name", "population", "props", "geom", "rule", "tags", "capacity", "status", "opens", "closes"}, src)
	if err != nil {
		return n, fmt.Errorf("copy features: %w", err)
	}
	if s.afterCopy != nil {
		if err := s.afterCopy(ctx, "features"); err != nil {
			return n, err
		}
	}
	return n, nil
}

// ProjectInfo describes a stored project.
type ProjectInfo struct {
	Name     string
	Created  time.Time
	Imported time.Time
	Layers   map[string]int // features (or ways) per layer kind
	Runs     int            // complete runs
}

// ListProjects returns the stored projects by name.
func (s *Store) ListProjects(ctx context.Context) ([]ProjectInfo, error) {
	rows, err := s.pool.Query(ctx, `SELECT p.name, p.created, p.imported,
		(SELECT coalesce(jsonb_object_agg(kind, n), '{}') FROM (
			SELECT l.kind, sum(coalesce((l.meta ->> 'features')::int, (l.meta ->> 'ways')::int, 0)) AS n
			FROM lifecircle.layers l WHERE l.project = p.id GROUP BY l.kind) k),
		(SELECT count(*) FROM lifecircle.runs r WHERE r.project = p.id AND r.complete)
		FROM lifecircle.projects p ORDER BY p.name`)
	if err != nil {
		return nil, fmt.Errorf("postgis: list projects in %s: %w", s.target, err)
	}
	var out []ProjectInfo
	for rows.Next() {
		var pi ProjectInfo
		if err := rows.Scan(&pi.Name, &pi.Created, &pi.Imported, &pi.Layers, &pi.Runs); err != nil {
			return nil, fmt.Errorf("postgis: list projects: %w", err)
		}
		out = append(out, pi)
	}
	return out, rows.Err()
}

// DeleteProject removes a project with its layers, runs and scenarios.
func (s *Store) DeleteProject(ctx context.Context, name string) error {
	if err := ValidateProjectName(name); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM lifecircle.projects WHERE name = $1`, name)
	if err != nil {
		return fmt.Errorf("postgis: delete project %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return s.projectNotFound(ctx, name)
	}
	return nil
}

// projectNotFound names the projects that do exist.
func (s *Store) projectNotFound(ctx context.Context, name string) error {
	var names []string
	if ps, err := s.ListProjects(ctx); err == nil {
		for _, p := range ps {
			names = append(names, p.Name)
		}
	}
	have := "none yet"
	if len(names) > 0 {
		have = strings.Join(names, ", ")
	}
	return fmt.Errorf("postgis: project %q is not in %s (projects there: %s) — import it first: lifecircle import --db URL --project %s --osm FILE: %w",
		name, s.target, have, name, ErrNotFound)
}

// LoadProject reads a project's inputs from one consistent snapshot: an
// import running meanwhile is either wholly seen or not at all.
func (s *Store) LoadProject(ctx context.Context, name string) (*Project, error) {
	if err := ValidateProjectName(name); err != nil {
		return nil, err
	}
	var p *Project
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		p, err = loadProject(ctx, tx, name)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, s.projectNotFound(ctx, name)
	}
	if err != nil {
		return nil, fmt.Errorf("postgis: load project %s from %s: %w", name, s.target, err)
	}
	return p, nil
}

func loadProject(ctx context.Context, tx pgx.Tx, name string) (*Project, error) {
	p := &Project{Name: name}
	var pid int64
	var profile string
	var settings []byte
	if err := tx.QueryRow(ctx, `SELECT id, profile, settings, imported FROM lifecircle.projects WHERE name = $1`, name).
		Scan(&pid, &profile, &settings, &p.Imported); err != nil {
		return nil, err
	}
	prof, err := planner.ParseProfile("profile of project "+name, []byte(profile))
	if err != nil {
		return nil, err
	}
	p.Profile = prof
	if err := json.Unmarshal(settings, &p.Settings); err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}

	type layerInfo struct {
		kind, name, source string
		idx                int // index into p.Layers for kind "layer"
	}
	layers := map[int64]*layerInfo{}
	rows, err := tx.Query(ctx, `SELECT id, kind, name, source, meta FROM lifecircle.layers WHERE project = $1 ORDER BY id`, pid)
	if err != nil {
		return nil, err
	}
	var networkLayer int64 = -1
	for rows.Next() {
		var id int64
		var li layerInfo
		var meta []byte
		if err := rows.Scan(&id, &li.kind, &li.name, &li.source, &meta); err != nil {
			return nil, err
		}
		switch li.kind {
		case "network":
			networkLayer = id
			if err := json.Unmarshal(meta, &p.Network.Info); err != nil {
				return nil, fmt.Errorf("network layer meta: %w", err)
			}
		case "population":
			p.PopulationSource = li.source
		case "units":
			p.UnitsSource = li.source
		case "layer":
			li.idx = len(p.Layers)
			p.Layers = append(p.Layers, Layer{Name: li.name, Source: li.source})
		}
		layers[id] = &li
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}

	if networkLayer >= 0 {
		if p.Network.Ways, err = loadWays(ctx, tx, networkLayer); err != nil {
			return nil, err
		}
	}

	rows, err = tx.Query(ctx, `SELECT f.layer, f.fid, f.type, f.name, f.population, f.props, ST_AsBinary(f.geom), f.rule, f.tags, f.capacity,
			f.status, f.opens, f.closes
		FROM lifecircle.features f JOIN lifecircle.layers l ON l.id = f.layer
		WHERE l.project = $1 ORDER BY l.id, f.seq`, pid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var lid int64
		var fid string
		var typ, fname, rule, status *string
		var pop, capacity *float64
		var props, gb, tags []byte
		var opens, closes *time.Time
		if err := rows.Scan(&lid, &fid, &typ, &fname, &pop, &props, &gb, &rule, &tags, &capacity, &status, &opens, &closes); err != nil {
			return nil, err
		}
		li := layers[lid]
		g, err := fromWKB(gb)
		if err != nil {
			return nil, fmt.Errorf("%s layer %s: feature %s: %w", li.kind, li.name, fid, err)
		}
		str := func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		}
		switch li.kind {
		case "amenity":
			var pr struct {
				Source string `json:"source"`
			}
			_ = json.Unmarshal(props, &pr)
			f := planner.Facility{ID: fid, Type: str(typ), Name: str(fname), Source: pr.Source, Geometry: g, Rule: str(rule), Capacity: derefCapacity(capacity),
				Status: planner.Status(str(status)), Opens: dateOf(opens), Closes: dateOf(closes)}
			if f.Tags, err = tagsFromJSON(tags); err != nil {
				return nil, fmt.Errorf("amenity %s: tags: %w", fid, err)
			}
			p.Facilities = append(p.Facilities, f)
		case "buildings":
			var tags map[string]string
			if err := json.Unmarshal(props, &tags); err != nil {
				return nil, fmt.Errorf("building %s: tags: %w", fid, err)
			}
			p.Buildings = append(p.Buildings, planner.Building{ID: fid, Geometry: g, Tags: tags})
		case "residential":
			p.ResidentialAreas = append(p.ResidentialAreas, g)
		case "population":
			pf := planner.PopFeature{ID: fid, Geometry: g}
			if pop != nil {
				pf.Population = *pop
			}
			p.Population = append(p.Population, pf)
		case "units":
			var pr struct {
				Parent string `json:"parent"`
				Level  string `json:"level"`
			}
			_ = json.Unmarshal(props, &pr)
			p.Units = append(p.Units, planner.Unit{ID: fid, Name: str(fname), Parent: pr.Parent, Level: pr.Level, Geometry: g})
		case "layer":
			var m map[string]any
			if err := json.Unmarshal(props, &m); err != nil {
				return nil, fmt.Errorf("layer %s: feature %s: properties: %w", li.name, fid, err)
			}
			l := &p.Layers[li.idx]
			l.Features = append(l.Features, data.Feature{Index: len(l.Features), ID: fid, Geometry: g, Properties: m})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	p.StatusReports, err = loadStatusReports(ctx, tx, pid)
	return p, err
}
