package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb/geojson"
)

// A Scenario is a saved set of what-if edits of a project's facilities,
// with the facilities they give.
type Scenario struct {
	ID         int64 // set by SaveScenario and LoadScenario
	Project    string
	Name       string
	Author     string
	Created    time.Time // set by LoadScenario
	Edits      []planner.Edit
	Facilities []planner.Facility
}

// ScenarioInfo describes a saved scenario.
type ScenarioInfo struct {
	ID         int64
	Name       string
	Author     string
	Created    time.Time
	Edits      int
	Facilities int
}

// editJSON is planner.Edit with its geometries as GeoJSON.
type editJSON struct {
	Op       string            `json:"op"`
	ID       string            `json:"id,omitempty"`
	Type     string            `json:"type,omitempty"`
	Name     string            `json:"name,omitempty"`
	Geometry *geojson.Geometry `json:"geometry,omitempty"`
	Previous *geojson.Geometry `json:"previous,omitempty"`
	At       time.Time         `json:"at"`
	Author   string            `json:"author,omitempty"`
	Index    int               `json:"index"`
}

// maxScenarioName bounds scenario names and authors (characters).
const maxScenarioName = 200

// SaveScenario stores a scenario in one transaction and returns its id.
// Saving under an existing name adds a newer version; LoadScenario by name
// returns the newest.
func (s *Store) SaveScenario(ctx context.Context, sc Scenario) (int64, error) {
	if err := ValidateProjectName(sc.Project); err != nil {
		return 0, err
	}
	if sc.Name == "" || len([]rune(sc.Name)) > maxScenarioName || len([]rune(sc.Author)) > maxScenarioName {
		return 0, fmt.Errorf("postgis: scenario name must be 1 to %d characters and the author at most %d", maxScenarioName, maxScenarioName)
	}
	if err := checkText("scenario name", sc.Name, sc.Author); err != nil {
		return 0, err
	}
	edits := make([]editJSON, len(sc.Edits))
	for i, e := range sc.Edits {
		if err := checkText(fmt.Sprintf("scenario %s: edit %d", sc.Name, i+1), e.ID, e.Type, e.Name, e.Author); err != nil {
			return 0, err
		}
		edits[i] = editJSON{Op: e.Op, ID: e.ID, Type: e.Type, Name: e.Name, At: e.At, Author: e.Author, Index: e.Index}
		if e.Geometry != nil {
			edits[i].Geometry = geojson.NewGeometry(e.Geometry)
		}
		if e.Previous != nil {
			edits[i].Previous = geojson.NewGeometry(e.Previous)
		}
	}
	ej, err := json.Marshal(edits)
	if err != nil {
		return 0, fmt.Errorf("postgis: save scenario %s: edits: %w", sc.Name, err)
	}
	var id int64
	err = s.inTx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		var pid int64
		if err := tx.QueryRow(ctx, `SELECT id FROM lifecircle.projects WHERE name = $1 FOR SHARE`, sc.Project).Scan(&pid); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return s.projectNotFound(ctx, sc.Project)
			}
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO lifecircle.scenarios (project, name, author, edits) VALUES ($1, $2, $3, $4) RETURNING id`,
			pid, sc.Name, sc.Author, ej).Scan(&id); err != nil {
			return err
		}
		return s.copyFacilities(ctx, tx, "scenario_facilities", "scenario", id, sc.Facilities)
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return 0, err
		}
		return 0, markUnavailable(fmt.Errorf("postgis: save scenario %s of %s in %s: %w", sc.Name, sc.Project, s.target, err))
	}
	return id, nil
}

// ListScenarios returns a project's scenarios, newest first.
func (s *Store) ListScenarios(ctx context.Context, project string) ([]ScenarioInfo, error) {
	if err := ValidateProjectName(project); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT s.id, s.name, s.author, s.created, jsonb_array_length(s.edits),
		(SELECT count(*) FROM lifecircle.scenario_facilities f WHERE f.scenario = s.id)
		FROM lifecircle.scenarios s JOIN lifecircle.projects p ON p.id = s.project
		WHERE p.name = $1 ORDER BY s.id DESC`, project)
	if err != nil {
		return nil, markUnavailable(fmt.Errorf("postgis: list scenarios of %s: %w", project, err))
	}
	var out []ScenarioInfo
	for rows.Next() {
		var si ScenarioInfo
		var nf int64
		if err := rows.Scan(&si.ID, &si.Name, &si.Author, &si.Created, &si.Edits, &nf); err != nil {
			return nil, markUnavailable(fmt.Errorf("postgis: list scenarios of %s: %w", project, err))
		}
		si.Facilities = int(nf)
		out = append(out, si)
	}
	if err := rows.Err(); err != nil {
		return nil, markUnavailable(fmt.Errorf("postgis: list scenarios of %s: %w", project, err))
	}
	return out, nil
}

// LoadScenario reads a scenario by id, or the newest with the given name
// when id is 0.
func (s *Store) LoadScenario(ctx context.Context, project string, id int64, name string) (*Scenario, error) {
	if err := ValidateProjectName(project); err != nil {
		return nil, err
	}
	sc := &Scenario{Project: project}
	err := s.inTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		sc.Edits = nil
		var ej []byte
		if err := tx.QueryRow(ctx, `SELECT s.id, s.name, s.author, s.created, s.edits
			FROM lifecircle.scenarios s JOIN lifecircle.projects p ON p.id = s.project
			WHERE p.name = $1 AND (($2 <> 0 AND s.id = $2) OR ($2 = 0 AND s.name = $3))
			ORDER BY s.id DESC LIMIT 1`, project, id, name).Scan(&sc.ID, &sc.Name, &sc.Author, &sc.Created, &ej); err != nil {
			return err
		}
		var edits []editJSON
		if err := json.Unmarshal(ej, &edits); err != nil {
			return fmt.Errorf("edits: %w", err)
		}
		for _, e := range edits {
			pe := planner.Edit{Op: e.Op, ID: e.ID, Type: e.Type, Name: e.Name, At: e.At, Author: e.Author, Index: e.Index}
			if e.Geometry != nil {
				pe.Geometry = e.Geometry.Geometry()
			}
			if e.Previous != nil {
				pe.Previous = e.Previous.Geometry()
			}
			sc.Edits = append(sc.Edits, pe)
		}
		var err error
		sc.Facilities, err = loadFacilities(ctx, tx, "scenario_facilities", "scenario", sc.ID)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		what := fmt.Sprintf("named %q", name)
		if id != 0 {
			what = fmt.Sprintf("with id %d", id)
		}
		return nil, fmt.Errorf("postgis: project %s has no scenario %s: %w", project, what, ErrNotFound)
	}
	if err != nil {
		return nil, markUnavailable(fmt.Errorf("postgis: load scenario of %s from %s: %w", project, s.target, err))
	}
	return sc, nil
}

// DeleteScenario deletes every version of a project's scenario name (its
// facilities go with it); ErrNotFound when there is none.
func (s *Store) DeleteScenario(ctx context.Context, project, name string) error {
	if err := ValidateProjectName(project); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM lifecircle.scenarios s USING lifecircle.projects p
		WHERE p.id = s.project AND p.name = $1 AND s.name = $2`, project, name)
	if err != nil {
		return markUnavailable(fmt.Errorf("postgis: delete scenario %s of %s in %s: %w", name, project, s.target, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgis: project %s has no scenario named %q: %w", project, name, ErrNotFound)
	}
	return nil
}

// ProjectScenarios is the scenario store of one project in the database,
// as `serve --db` hands it to the web server (web.ScenarioStore): saving
// a name again adds a newer version, Open and List see the newest.
type ProjectScenarios struct {
	Store   *Store
	Project string
}

// Save stores sc and returns where, for the user.
func (p ProjectScenarios) Save(ctx context.Context, sc *data.SavedScenario) (string, error) {
	if err := data.ValidateScenarioName(sc.Name); err != nil {
		return "", err
	}
	id, err := p.Store.SaveScenario(ctx, Scenario{Project: p.Project, Name: sc.Name, Author: sc.Author, Edits: sc.Edits, Facilities: sc.Facilities})
	if err != nil {
		return "", err
	}
	sc.Saved = time.Now().UTC()
	return fmt.Sprintf("scenario %d (%s) of project %s in %s", id, sc.Name, p.Project, p.Store.Target()), nil
}

// List returns the newest version of each scenario, newest first.
func (p ProjectScenarios) List(ctx context.Context) ([]data.ScenarioInfo, error) {
	all, err := p.Store.ListScenarios(ctx, p.Project)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	out := []data.ScenarioInfo{}
	for _, si := range all { // newest first
		if seen[si.Name] {
			continue
		}
		seen[si.Name] = true
		out = append(out, data.ScenarioInfo{Name: si.Name, Author: si.Author, Saved: si.Created, Edits: si.Edits,
			Facilities: si.Facilities, Where: fmt.Sprintf("scenario %d of project %s", si.ID, p.Project)})
	}
	return out, nil
}

// Open reads the newest version of scenario name.
func (p ProjectScenarios) Open(ctx context.Context, name string) (*data.SavedScenario, error) {
	sc, err := p.Store.LoadScenario(ctx, p.Project, 0, name)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("%w: no saved scenario named %q in project %s", planner.ErrNotFound, name, p.Project)
		}
		return nil, err
	}
	return &data.SavedScenario{Name: sc.Name, Author: sc.Author, Saved: sc.Created, Edits: sc.Edits, Facilities: sc.Facilities}, nil
}

// Delete deletes every version of scenario name.
func (p ProjectScenarios) Delete(ctx context.Context, name string) error {
	err := p.Store.DeleteScenario(ctx, p.Project, name)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: no saved scenario named %q in project %s", planner.ErrNotFound, name, p.Project)
	}
	return err
}

// checkText refuses text that PostgreSQL would refuse (NUL) or that has
// no place in a name (other control characters), before it reaches the
// database: the error names what and wraps planner.ErrInvalid.
func checkText(what string, texts ...string) error {
	for _, t := range texts {
		if !utf8.ValidString(t) || strings.ContainsFunc(t, unicode.IsControl) {
			return fmt.Errorf("postgis: %s: %w: %q holds a control character or invalid UTF-8; remove it", what, planner.ErrInvalid, t)
		}
	}
	return nil
}
