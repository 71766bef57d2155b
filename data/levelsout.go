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
// units_<level>.geojson carries them: those of UnitProps (with the parent
// as linked), then facilities_T, the count of type-T facilities inside
// the unit.
func LevelUnitProps(in planner.AuditInput, res *planner.AuditResult, k, u int) Props {
	lv := &in.Hierarchy.Levels[k]
	lr := &res.Levels[k]
	unit := lv.Units[u]
	r := lr.Units[u]
	types := in.Profile.Types
	props := make(Props, 0, 6+7*len(types))
	props = append(props, Prop{"unit_id", unit.ID})
	if unit.Name != "" {
		props = append(props, Prop{"name", unit.Name})
	}
	props = append(props, Prop{"level", lv.Name})
	if k > 0 && lv.Parent[u] >= 0 {
		props = append(props, Prop{"parent", in.Hierarchy.Levels[k-1].Units[lv.Parent[u]].ID})
	} else if unit.Parent != "" {
		props = append(props, Prop{"parent", unit.Parent})
	}
	return appendUnitFigures(props, types, r, func(props Props, ti int) Props {
		return append(props, Prop{"facilities_" + types[ti].ID, lr.Facilities[u][ti]})
	})
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

// addHierarchySummary adds the "levels" and "rules" tables to summary.json.
func addHierarchySummary(s map[string]any, in planner.AuditInput, res *planner.AuditResult) {
	if in.Hierarchy != nil && len(res.Levels) > 0 {
		levels := make([]map[string]any, len(res.Levels))
		for k, l := range res.Levels {
			file := LevelFileName(l.Name)
			if len(res.Levels) == 1 {
				file = ""
			}
			types := make([]map[string]any, len(l.Types))
			for ti, t := range l.Types {
				cov := 0.0
				if l.Population > 0 {
					cov = t.Covered / l.Population
				}
				types[ti] = map[string]any{
					"id": t.ID, "population_covered": num(t.Covered, 1), "coverage": num(cov, 4),
					"population_gap": num(l.Population-t.Covered, 1), "population_unreachable": num(t.Unreachable, 1),
					"gap_units": t.GapUnits, "facilities": t.Facilities,
				}
			}
			levels[k] = map[string]any{
				"name": l.Name, "file": file, "units": len(l.Units),
				"population": num(l.Population, 1), "population_outside": num(l.Outside, 1),
				"demand_points_outside": l.OutsidePoints,
				"completeness":          num(l.Completeness, 4), "fully_served": num(l.FullyServed, 4),
				"types": types,
			}
		}
		s["levels"] = levels
	}
	if len(res.Rules) > 0 {
		rules := make([]map[string]any, len(res.Rules))
		for i, c := range res.Rules {
			level := c.Rule.Level
			if level == "" {
				level = planner.DistrictLevel
			}
			breaches := make([]map[string]any, len(c.Breaches))
			for j, b := range c.Breaches {
				d := 0
				if c.Kind == planner.RuleCoverage {
					d = 4
				}
				m := map[string]any{
					"unit_id": b.UnitID, "name": b.UnitName, "population": num(b.Population, 1),
					"required": num(b.Required, d), "actual": num(b.Actual, d), "shortfall": num(b.Shortfall, d),
				}
				if c.Kind == planner.RuleCoverage {
					m["residents_to_reach"] = num(b.Residents, 1)
				}
				breaches[j] = m
			}
			r := map[string]any{
				"rule": c.Index + 1, "origin": c.Rule.Origin, "level": level, "type": c.Rule.Type, "kind": c.Kind,
				"text_zh": c.Text.Zh, "text_en": c.Text.En, "units_checked": c.Checked,
				"units_broken": len(c.Breaches), "broken": c.Broken(), "breaches": breaches,
			}
			if c.Rule.Min != 0 {
				r["min"] = c.Rule.Min
			}
			if c.Rule.PerPopulation != 0 {
				r["per_population"] = c.Rule.PerPopulation
			}
			if c.Rule.MinCoverage != 0 {
				r["min_coverage"] = c.Rule.MinCoverage
			}
			if c.Rule.Note != "" {
				r["note"] = c.Rule.Note
			}
			rules[i] = r
		}
		s["rules"] = rules
		s["rules_broken"] = planner.BrokenRules(res.Rules)
	}
}
