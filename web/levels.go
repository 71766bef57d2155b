package web

import (
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// This file serves the levels of analysis units: one collection per level
// of the unit hierarchy (units_<level>, named as units_<level>.geojson of
// an audit), the grid cells (cells: the audit's units of a cell study, or
// a grid the server lays over the residents of a units study), their
// figures after the scenario's edits, and the provision rules checked on
// them (/api/levels, /api/rules).

// A unitLevel is one level of units the server offers as a collection.
type unitLevel struct {
	id    string // collection id: units_<level> or cells
	alias string // the collection with the same units: units (finest level of a units study), else ""
	name  string // the level's name
	grid  bool   // the server's own grid (units study): level 0 of Server.gridH
	k     int    // index in Server.hier (or Server.gridH)
	bound orb.Bound
	index map[string]int // unit id → index
	named bool           // some unit has a name
}

// levelFigures are the figures of every level at one version of the
// scenario (planner.Scenario.Version), computed on demand and cached.
type levelFigures struct {
	version uint64
	levels  []planner.LevelResult // per level of Server.hier
	grid    []planner.LevelResult // Server.gridH's one level, nil without one
	rules   []planner.RuleCheck
	// broken[k][u] lists the rules (1-based, as rules.csv numbers them)
	// that unit u of hier level k breaks.
	broken [][][]int

	// tables are the units tables built from these figures, by level
	// collection (table.go), read-only once built.
	tabMu  sync.Mutex
	tables map[string]*builtTable
}

// levelCache holds the latest levelFigures; mu is held while they are
// computed, so that concurrent readers wait for one computation.
type levelCache struct {
	mu  sync.Mutex
	fig *levelFigures
}

// initLevels sets up the hierarchy the server aggregates (the study's, or
// one level of its units) and, for a units study, a grid of cellSize
// metres over the residents; it lists the level collections.
func (s *Server) initLevels(in planner.AuditInput, cellSize float64) error {
	s.hier = in.Hierarchy
	if s.hier == nil || len(s.hier.Levels) == 0 {
		name := "cell"
		if s.cfg.UnitsKind == "units" {
			name = planner.DefaultLevelName
		}
		s.hier = planner.SingleLevel(name, in.Units, in.Assign)
	}
	if err := planner.ValidateRules(in.Rules, in.Profile, s.hier); err != nil {
		return fmt.Errorf("web: %w", err)
	}
	s.rules = in.Rules
	if s.cfg.UnitsKind != "units" {
		s.levels = []unitLevel{newUnitLevel("cells", "", s.hier.Levels[0].Name, false, 0, s.hier.Levels[0].Units)}
		return nil
	}
	used := map[string]bool{"units": true, "cells": true}
	for k, lv := range s.hier.Levels {
		id := strings.TrimSuffix(data.LevelFileName(lv.Name), ".geojson")
		for n := 2; used[id]; n++ {
			id = fmt.Sprintf("%s_%d", strings.TrimSuffix(data.LevelFileName(lv.Name), ".geojson"), n)
		}
		used[id] = true
		alias := ""
		if k == len(s.hier.Levels)-1 {
			alias = "units"
		}
		s.levels = append(s.levels, newUnitLevel(id, alias, lv.Name, false, k, lv.Units))
	}
	if len(in.Demand.Points) == 0 {
		return nil
	}
	g, err := planner.NewGrid(cellSize, s.demandExt)
	if err != nil {
		s.log.Warn("no grid cells beside the units", "err", err)
		return nil
	}
	cells, assign := planner.CellUnits(g, in.Demand.Points, in.Demand.Pop)
	s.gridH = planner.SingleLevel("cell", cells, assign)
	s.levels = append(s.levels, newUnitLevel("cells", "", "cell", true, 0, cells))
	return nil
}

func newUnitLevel(id, alias, name string, grid bool, k int, units []planner.Unit) unitLevel {
	l := unitLevel{id: id, alias: alias, name: name, grid: grid, k: k, index: make(map[string]int, len(units))}
	for u, unit := range units {
		if _, dup := l.index[unit.ID]; !dup {
			l.index[unit.ID] = u
		}
		l.named = l.named || unit.Name != ""
		if g := unit.Geometry; g != nil {
			if u == 0 {
				l.bound = g.Bound()
			} else {
				l.bound = l.bound.Union(g.Bound())
			}
		}
	}
	return l
}

// level returns the level collection id (or its alias: units is the
// finest level of a units study).
func (s *Server) level(id string) (*unitLevel, bool) {
	for i := range s.levels {
		if l := &s.levels[i]; l.id == id || (l.alias != "" && l.alias == id) {
			return l, true
		}
	}
	return nil, false
}

// finestLevel is the level the map shows first: the finest unit level, or
// the cells of a cell study.
func (s *Server) finestLevel() *unitLevel {
	for i := range s.levels {
		if !s.levels[i].grid && s.levels[i].k == len(s.hier.Levels)-1 {
			return &s.levels[i]
		}
	}
	return &s.levels[0]
}

// figures returns the figures of every level for the scenario's current
// state, computing them when an edit has changed it since the last call.
// The computation works on a copy of the scenario's state (Snapshot), so
// that edits wait for the copy only, not for the aggregation.
func (s *Server) figures() *levelFigures {
	s.lvCache.mu.Lock()
	defer s.lvCache.mu.Unlock()
	// The version is read before the copy: a copy newer than v is only
	// kept under an older key, which a later request recomputes.
	v := s.sc.Version()
	if f := s.lvCache.fig; f != nil && f.version == v {
		return f
	}
	in, res, active := s.sc.Snapshot()
	cur := in
	cur.Facilities = make([]planner.Facility, 0, len(in.Facilities))
	for i, f := range in.Facilities {
		if active[i] {
			cur.Facilities = append(cur.Facilities, f)
		}
	}
	f := &levelFigures{version: v, levels: planner.AggregateLevels(cur, res, s.hier)}
	if s.gridH != nil {
		f.grid = planner.AggregateLevels(cur, res, s.gridH)
	}
	rules, err := planner.CheckRules(s.rules, cur, res, s.hier, f.levels)
	if err != nil {
		// Validated in New: only a bug gets here.
		s.log.Error("rules not checked", "err", err)
	}
	f.rules = rules
	f.broken = make([][][]int, len(s.hier.Levels))
	for k, lv := range s.hier.Levels {
		f.broken[k] = make([][]int, len(lv.Units))
	}
	for _, c := range rules {
		if c.Rule.Level == "" || c.Rule.Level == planner.DistrictLevel {
			continue
		}
		for k, lv := range s.hier.Levels {
			if lv.Name != c.Rule.Level {
				continue
			}
			for _, b := range c.Breaches {
				if b.Unit >= 0 && b.Unit < len(f.broken[k]) {
					f.broken[k][b.Unit] = append(f.broken[k][b.Unit], c.Index+1)
				}
			}
		}
	}
	s.lvCache.fig = f
	return f
}

// unitProps returns the properties of unit u of level l, as
// units_<level>.geojson carries them.
func (s *Server) unitProps(f *levelFigures, l *unitLevel, u int) data.UnitProperties {
	in := planner.AuditInput{Profile: s.profile, Hierarchy: s.hier}
	res := &planner.AuditResult{Levels: f.levels}
	if l.grid {
		in.Hierarchy, res.Levels = s.gridH, f.grid
	}
	return data.NewLevelUnitProperties(in, res, l.k, u)
}

// levelUnits returns the units of level l.
func (s *Server) levelUnits(l *unitLevel) []planner.Unit {
	if l.grid {
		return s.gridH.Levels[0].Units
	}
	return s.hier.Levels[l.k].Units
}

// brokenOf lists the rules unit u of level l breaks (none for the grid).
func (f *levelFigures) brokenOf(l *unitLevel, u int) []int {
	if l.grid || l.k >= len(f.broken) || u >= len(f.broken[l.k]) {
		return nil
	}
	return f.broken[l.k][u]
}

// levelView is the items view of a level collection at figures f.
func (s *Server) levelView(l *unitLevel, f *levelFigures) *itemView {
	units := s.levelUnits(l)
	return &itemView{
		n:     len(units),
		geom:  func(i int) orb.Geometry { return units[i].Geometry },
		id:    func(i int) any { return units[i].ID },
		props: func(i int, _ data.Props) data.Props { return s.unitProps(f, l, i).Props() },
		find: func(fid string) int {
			if u, ok := l.index[fid]; ok {
				return u
			}
			return -1
		},
	}
}

// ----- /api/levels -----

type levelJSON struct {
	Collection string `json:"collection"`
	// Alias is another collection with the same units (units, for the
	// finest level of a units study).
	Alias  string `json:"alias,omitempty"`
	Level  string `json:"level"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
	Units  int    `json:"units"`
	// Named says that units have names (the map labels them).
	Named bool `json:"named"`
	// Grid is true for grid cells.
	Grid bool `json:"grid"`
	// Rules counts the provision rules checked at this level.
	Rules int `json:"rules"`
}

type levelsDoc struct {
	Levels []levelJSON `json:"levels"`
	// Default is the collection the map shows first.
	Default string `json:"default"`
}

func (s *Server) handleLevels(w http.ResponseWriter, r *http.Request) {
	if err := checkOnlyF(r.URL.Query()); err != nil {
		s.fail(w, r, err)
		return
	}
	out := levelsDoc{Default: s.cfg.UnitsKind}
	for _, l := range s.levels {
		j := levelJSON{Collection: l.id, Alias: l.alias, Level: l.name, Units: len(s.levelUnits(&l)), Named: l.named, Grid: l.grid || s.cfg.UnitsKind == "cells"}
		n := planner.LevelLabel(l.name)
		if j.Grid {
			n = planner.Names{Zh: "网格单元", En: "grid cells"}
		}
		j.NameZh, j.NameEn = n.Zh, n.En
		if !l.grid {
			for _, rule := range s.rules {
				if rule.Level == l.name {
					j.Rules++
				}
			}
		}
		out.Levels = append(out.Levels, j)
	}
	writeJSON(w, http.StatusOK, mimeJSON, out)
}

// ----- /api/rules -----

type ruleJSON struct {
	Rule       int          `json:"rule"` // 1-based, as rules.csv
	Level      string       `json:"level"`
	LevelZh    string       `json:"level_zh"`
	LevelEn    string       `json:"level_en"`
	Collection string       `json:"collection,omitempty"` // the level's collection; "" for the district
	Type       string       `json:"type"`
	Kind       string       `json:"kind"`
	TextZh     string       `json:"text_zh"`
	TextEn     string       `json:"text_en"`
	Note       string       `json:"note,omitempty"`
	Origin     string       `json:"origin,omitempty"`
	Checked    int          `json:"checked"`
	Broken     int          `json:"broken"`
	Passed     int          `json:"passed"`
	Breaches   []breachJSON `json:"breaches"`
}

type breachJSON struct {
	UnitID    string   `json:"unit_id"`
	Name      string   `json:"name,omitempty"`
	Required  data.Num `json:"required"`
	Actual    data.Num `json:"actual"`
	Shortfall data.Num `json:"shortfall"`
}

type rulesDoc struct {
	Rules       []ruleJSON `json:"rules"`
	BrokenRules int        `json:"broken_rules"`
	// Units maps a level collection to its units that break rules, each
	// with the rules (numbers) it breaks; the alias of the finest level
	// (units) is listed too.
	Units map[string]map[string][]int `json:"units"`
	// Aliases maps another name of a level collection to it (units →
	// units_<finest level>).
	Aliases map[string]string `json:"aliases"`
}

func (s *Server) handleRules(w http.ResponseWriter, r *http.Request) {
	if err := checkOnlyF(r.URL.Query()); err != nil {
		s.fail(w, r, err)
		return
	}
	f := s.figures()
	out := rulesDoc{Rules: []ruleJSON{}, BrokenRules: planner.BrokenRules(f.rules), Units: map[string]map[string][]int{}, Aliases: map[string]string{}}
	collOf := map[string]string{}
	for _, l := range s.levels {
		if !l.grid {
			collOf[l.name] = l.id
		}
	}
	for _, c := range f.rules {
		level := c.Rule.Level
		if level == "" {
			level = planner.DistrictLevel
		}
		d := 0
		if c.Kind == planner.RuleCoverage {
			d = 4
		}
		ln := planner.LevelLabel(level)
		if level == planner.DistrictLevel {
			ln = planner.Names{Zh: "全区", En: "district"}
		}
		j := ruleJSON{Rule: c.Index + 1, Level: level, LevelZh: ln.Zh, LevelEn: ln.En, Collection: collOf[c.Rule.Level], Type: c.Rule.Type, Kind: c.Kind,
			TextZh: c.Text.Zh, TextEn: c.Text.En, Note: c.Rule.Note, Origin: c.Rule.Origin,
			Checked: c.Checked, Broken: len(c.Breaches), Passed: c.Checked - len(c.Breaches), Breaches: []breachJSON{}}
		for _, b := range c.Breaches {
			j.Breaches = append(j.Breaches, breachJSON{UnitID: b.UnitID, Name: b.UnitName,
				Required: data.Round(b.Required, d), Actual: data.Round(b.Actual, d), Shortfall: data.Round(b.Shortfall, d)})
		}
		out.Rules = append(out.Rules, j)
	}
	for i := range s.levels {
		l := &s.levels[i]
		if l.grid {
			continue
		}
		m := map[string][]int{}
		units := s.levelUnits(l)
		for u := range units {
			if b := f.brokenOf(l, u); len(b) > 0 {
				m[units[u].ID] = b
			}
		}
		out.Units[l.id] = m
		if l.alias != "" {
			out.Units[l.alias] = m
			out.Aliases[l.alias] = l.id
		}
	}
	writeJSON(w, http.StatusOK, mimeJSON, out)
}

// levelUnitJSON answers /api/units/{id}?level=<collection> for a level
// other than the map's first: the unit's figures at that level.
func (s *Server) levelUnitJSON(level, id string) (unitJSON, error) {
	l, ok := s.level(level)
	if !ok {
		return unitJSON{}, notFound("no level %q: see /api/levels", shorten(level, 80))
	}
	u, ok := l.index[id]
	if !ok {
		return unitJSON{}, notFound("level %q has no unit %q", l.id, shorten(id, 80))
	}
	f := s.figures()
	p := s.unitProps(f, l, u)
	out := unitJSON{UnitID: p.UnitID, Name: p.Name, Parent: p.Parent, Level: p.Level, Population: p.Population,
		Completeness: p.Completeness, FullyServed: p.FullyServed, Types: make([]unitTypeJSON, len(p.Types))}
	for ti, t := range p.Types {
		out.Types[ti] = unitTypeJSON{ID: t.ID, Covered: t.Covered, Coverage: t.Coverage, Gap: t.Gap,
			DistMean: t.DistMean, DistP90: t.DistP90, Unreachable: t.Unreachable}
	}
	out.RulesBroken = f.brokenOf(l, u)
	return out, nil
}
