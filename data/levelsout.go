package data

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/lifecircle/lifecircle/planner"
)

// This file writes the outputs of the unit hierarchy and the provision
// rules: units_<level>.geojson per level, rules.csv, the "levels" and
// "rules" tables of summary.json, and report.html (report.go).

// LevelFileName returns the name of a level's unit layer,
// units_<level>.geojson, with characters other than letters, digits, _
// and - replaced by _.
func LevelFileName(level string) string {
	var b strings.Builder
	for _, r := range level {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return "units_" + b.String() + ".geojson"
}

// hierarchyFiles lists the outputs beyond the per-unit layer: one layer
// per level when there are several, rules.csv when rules were checked,
// and report.html.
func hierarchyFiles(in planner.AuditInput, res *planner.AuditResult, meta AuditMeta) []struct {
	name string
	fn   func(io.Writer) error
} {
	var out []struct {
		name string
		fn   func(io.Writer) error
	}
	add := func(name string, fn func(io.Writer) error) {
		out = append(out, struct {
			name string
			fn   func(io.Writer) error
		}{name, fn})
	}
	if in.Hierarchy != nil && len(res.Levels) > 1 {
		for k := range res.Levels {
			add(LevelFileName(res.Levels[k].Name), func(w io.Writer) error { return writeLevelUnits(w, in, res, k) })
		}
	}
	if len(res.Rules) > 0 {
		add("rules.csv", func(w io.Writer) error { return writeRulesCSV(w, in, res) })
	}
	add("report.html", func(w io.Writer) error { return WriteReport(w, in, res, meta) })
	return out
}

// LevelUnitProps returns the properties of unit u of hierarchy level k as
// units_<level>.geojson carries them: NewLevelUnitProperties(in, res, k,
// u).Props().
func LevelUnitProps(in planner.AuditInput, res *planner.AuditResult, k, u int) Props {
	return NewLevelUnitProperties(in, res, k, u).Props()
}

// NewLevelUnitProperties returns the properties of unit u of hierarchy
// level k: those of NewUnitProperties (with the parent as linked and the
// level's name), and per type the count of facilities inside the unit.
func NewLevelUnitProperties(in planner.AuditInput, res *planner.AuditResult, k, u int) UnitProperties {
	lv := &in.Hierarchy.Levels[k]
	lr := &res.Levels[k]
	unit := lv.Units[u]
	p := UnitProperties{UnitID: unit.ID, Name: unit.Name, Level: lv.Name, LevelLayer: true}
	if k > 0 && lv.Parent[u] >= 0 {
		p.Parent = in.Hierarchy.Levels[k-1].Units[lv.Parent[u]].ID
	} else {
		p.Parent = unit.Parent
	}
	setUnitFigures(&p, in.Profile.Types, lr.Units[u])
	for ti := range p.Types {
		p.Types[ti].Facilities = lr.Facilities[u][ti]
	}
	return p
}

func writeLevelUnits(w io.Writer, in planner.AuditInput, res *planner.AuditResult, k int) error {
	g := NewGeoJSONWriter(w)
	for u, unit := range in.Hierarchy.Levels[k].Units {
		if err := g.Write(unit.ID, unit.Geometry, LevelUnitProps(in, res, k, u)); err != nil {
			return err
		}
	}
	return g.Close()
}

// writeRulesCSV writes one row per unit that breaks a rule, and one row
// per rule that holds (unit_id empty, status ok), so every rule appears.
func writeRulesCSV(w io.Writer, in planner.AuditInput, res *planner.AuditResult) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	cw.Write([]string{"rule", "origin", "level", "type", "kind", "rule_zh", "rule_en", "status", "unit_id", "unit_name",
		"population", "required", "actual", "shortfall", "residents_to_reach"})
	f := func(x float64, d int) string { return strconv.FormatFloat(x, 'f', d, 64) }
	for _, c := range res.Rules {
		level := c.Rule.Level
		if level == "" {
			level = planner.DistrictLevel
		}
		head := []string{strconv.Itoa(c.Index + 1), c.Rule.Origin, level, c.Rule.Type, c.Kind, c.Text.Zh, c.Text.En}
		if !c.Broken() {
			cw.Write(append(head, "ok", "", "", "", "", "", "", ""))
			continue
		}
		for _, b := range c.Breaches {
			d := 0
			if c.Kind == planner.RuleCoverage {
				d = 4
			}
			res := ""
			if c.Kind == planner.RuleCoverage {
				res = f(b.Residents, 1)
			}
			cw.Write(append(head, "broken", b.UnitID, b.UnitName, f(b.Population, 1),
				f(b.Required, d), f(b.Actual, d), f(b.Shortfall, d), res))
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
