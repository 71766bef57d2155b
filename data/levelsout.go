package data

import (
	"io"
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

// levelLayerFiles lists the layers units_<level>.geojson (WGS84), one
// per level when there are several.
func levelLayerFiles(in planner.AuditInput, res *planner.AuditResult) []outputStep {
	var out []outputStep
	if in.Hierarchy != nil && len(res.Levels) > 1 {
		for k := range res.Levels {
			out = append(out, outputStep{OutputFile: OutputFile{LevelFileName(res.Levels[k].Name), "WGS84"},
				fn: func(w io.Writer) error { return writeLevelUnits(w, in, res, k) }})
		}
	}
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

// writeRulesCSV writes rules.csv (RulesTable).
func writeRulesCSV(w io.Writer, res *planner.AuditResult) error {
	return RulesTable(res).WriteCSV(w)
}
