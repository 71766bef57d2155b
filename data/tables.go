package data

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/lifecircle/lifecircle/data/xlsx"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/lifecircle/lifecircle/planner/glossary"
)

// This file builds the tables of an audit that are written both as CSV
// and as sheets of summary.xlsx (and tables of audit.gpkg) — summary.csv
// (one row per type), rules.csv, and the units of each level — so that a
// workbook cell and a CSV field come from one value.

// SummaryTable is summary.csv: one row per amenity type with its district
// figures.
func SummaryTable(res *planner.AuditResult) Table {
	t := Table{Header: []string{"type", "name_zh", "name_en", "threshold_m", "facilities", "population", "covered",
		"coverage", "gap", "gap_units", "unreachable", "dist_mean_m", "dist_p90_m"}}
	for _, ty := range res.Types {
		t.Rows = append(t.Rows, []any{ty.ID, ty.Names.Zh, ty.Names.En, F(ty.Threshold, 0), ty.Facilities,
			F(ty.Population, 1), F(ty.Covered, 1), F(ty.Coverage, 4), F(ty.Gap, 1), ty.GapUnits,
			F(ty.Unreachable, 1), F(ty.DistMean, 1), F(ty.DistP90, 1)})
	}
	// Capacity columns only when some type has capacity figures; empty
	// for the other types (absent, never 0).
	if res.Capacity != nil {
		t.Header = append(t.Header, "capacity_places", "capacity_ratio", "served_by_capacity", "over_capacity", "facilities_full")
		for ti, c := range res.Capacity {
			if c == nil {
				t.Rows[ti] = append(t.Rows[ti], nil, nil, nil, nil, nil)
				continue
			}
			t.Rows[ti] = append(t.Rows[ti], F(c.Places, 1), F(c.Ratio, 2), F(c.Served, 1), F(c.OverCapacity, 1), c.Full)
		}
	}
	return t
}

// RulesTable is rules.csv: one row per unit that breaks a rule, and one
// row per rule that holds (unit_id empty, status ok), so every rule
// appears.
func RulesTable(res *planner.AuditResult) Table {
	t := Table{Header: []string{"rule", "origin", "level", "type", "kind", "rule_zh", "rule_en", "status", "unit_id", "unit_name",
		"population", "required", "actual", "shortfall", "residents_to_reach"}}
	for _, c := range res.Rules {
		level := c.Rule.Level
		if level == "" {
			level = planner.DistrictLevel
		}
		head := []any{c.Index + 1, c.Rule.Origin, level, c.Rule.Type, c.Kind, c.Text.Zh, c.Text.En}
		if !c.Broken() {
			t.Rows = append(t.Rows, append(head, "ok", nil, nil, nil, nil, nil, nil, nil))
			continue
		}
		d := 0
		if c.Kind == planner.RuleCoverage {
			d = 4
		}
		for _, b := range c.Breaches {
			var reach any
			if c.Kind == planner.RuleCoverage {
				reach = F(b.Residents, 1)
			}
			row := append(head[:len(head):len(head)], "broken", b.UnitID, b.UnitName, F(b.Population, 1),
				F(b.Required, d), F(b.Actual, d), F(b.Shortfall, d), reach)
			t.Rows = append(t.Rows, row)
		}
	}
	return t
}

// A UnitsTable is the units of one level as a table: the columns of the
// level's GeoJSON layer, with name and parent present for every unit
// (empty when not set) when any unit has them.
type UnitsTable struct {
	Level string // level name, "cells" or "units" without a hierarchy
	Table
}

// UnitsTables returns one table per level of the audit: per hierarchy
// level (as units_<level>.geojson) when there are several, else the units
// (or grid cells) of units.geojson or cells.geojson.
func UnitsTables(in planner.AuditInput, res *planner.AuditResult, meta AuditMeta) []UnitsTable {
	if in.Hierarchy != nil && len(res.Levels) > 1 {
		out := make([]UnitsTable, len(res.Levels))
		for k := range res.Levels {
			lv := &in.Hierarchy.Levels[k]
			props := make([]UnitProperties, len(lv.Units))
			for u := range lv.Units {
				props[u] = NewLevelUnitProperties(in, res, k, u)
			}
			out[k] = UnitsTable{Level: res.Levels[k].Name, Table: unitsTable(in.Profile.Types, props, true)}
		}
		return out
	}
	props := make([]UnitProperties, len(in.Units))
	for u := range in.Units {
		props[u] = NewUnitProperties(in, res, u)
	}
	name := "cells"
	if meta.UnitsFile != "" {
		name = "units"
	}
	return []UnitsTable{{Level: name, Table: unitsTable(in.Profile.Types, props, false)}}
}

// LevelUnitsTable is the table of one level's units from their
// properties (NewLevelUnitProperties): the columns of
// units_<level>.geojson, facilities_T included.
func LevelUnitsTable(types []planner.AmenityType, props []UnitProperties) Table {
	return unitsTable(types, props, true)
}

func unitsTable(types []planner.AmenityType, props []UnitProperties, levelLayer bool) Table {
	var names, parents, levels bool
	overCap := make([]bool, len(types)) // the type's over_capacity_T column
	for _, p := range props {
		names = names || p.Name != ""
		parents = parents || p.Parent != ""
		levels = levels || (!levelLayer && p.Level != "")
		for ti, f := range p.Types {
			overCap[ti] = overCap[ti] || f.OverCapacity != nil
		}
	}
	h := []string{"unit_id"}
	if names {
		h = append(h, "name")
	}
	if parents {
		h = append(h, "parent")
	}
	if levels {
		h = append(h, "level")
	}
	h = append(h, "population")
	for ti, t := range types {
		h = append(h, "covered_"+t.ID, "coverage_"+t.ID, "gap_"+t.ID, "unreachable_"+t.ID)
		if overCap[ti] {
			h = append(h, "over_capacity_"+t.ID)
		}
		h = append(h, "dist_"+t.ID+"_mean", "dist_"+t.ID+"_p90")
		if levelLayer {
			h = append(h, "facilities_"+t.ID)
		}
	}
	h = append(h, "completeness", "fully_served")
	t := Table{Header: h, Rows: make([][]any, len(props))}
	for i, p := range props {
		row := make([]any, 0, len(h))
		row = append(row, p.UnitID)
		if names {
			row = append(row, p.Name)
		}
		if parents {
			row = append(row, p.Parent)
		}
		if levels {
			row = append(row, p.Level)
		}
		row = append(row, F(float64(p.Population), 1))
		for ti, f := range p.Types {
			row = append(row, F(float64(f.Covered), 1), F(float64(f.Coverage), 4), F(float64(f.Gap), 1),
				F(float64(f.Unreachable), 1))
			if overCap[ti] {
				oc := math.NaN()
				if f.OverCapacity != nil {
					oc = float64(*f.OverCapacity)
				}
				row = append(row, F(oc, 1))
			}
			row = append(row, F(float64(f.DistMean), 1), F(float64(f.DistP90), 1))
			if levelLayer {
				row = append(row, f.Facilities)
			}
		}
		t.Rows[i] = append(row, F(float64(p.Completeness), 4), F(float64(p.FullyServed), 4))
	}
	return t
}

// ColumnsTable explains every column of the unit sheets in Chinese and
// English: key, name_zh, name_en.
func ColumnsTable(types []planner.AmenityType) Table {
	t := Table{Header: []string{"column", "name_zh", "name_en"}}
	add := func(k, zh, en string) { t.Rows = append(t.Rows, []any{k, zh, en}) }
	add("unit_id", "单元编号", "unit id")
	add("name", "名称", "name")
	add("parent", "上级单元", "parent unit")
	add("level", "层级", "level")
	add("population", glossary.Zh("residents")+"（人）", "residents")
	for _, ty := range types {
		zh, en := ty.Names.Zh, ty.Names.En
		if zh == "" {
			zh = ty.ID
		}
		if en == "" {
			en = ty.ID
		}
		add("covered_"+ty.ID, zh+"：覆盖人口", en+": residents covered")
		add("coverage_"+ty.ID, zh+"：覆盖率（0–1）", en+": coverage (share 0–1)")
		add("gap_"+ty.ID, zh+"：未覆盖人口", en+": residents not covered")
		add("unreachable_"+ty.ID, zh+"：不可达人口", en+": residents who reach none")
		if ty.CapacityRatio > 0 {
			add("over_capacity_"+ty.ID, zh+"：可达但设施满员的人口", en+": residents within reach whose facilities are full")
		}
		add("dist_"+ty.ID+"_mean", zh+"：平均步行距离（米）", en+": mean walking distance (m)")
		add("dist_"+ty.ID+"_p90", zh+"：90%步行距离（米）", en+": 90th percentile walking distance (m)")
		add("facilities_"+ty.ID, zh+"：单元内设施数", en+": facilities inside the unit")
	}
	add("completeness", glossary.Zh("completeness")+"（0–1）", "completeness (share of types within reach, 0–1)")
	add("fully_served", glossary.Zh("fully_served")+"的居民比例（0–1）", "share of residents reaching every type (0–1)")
	return t
}

// excelMaxRows is the row limit of an Excel sheet, the header included.
const excelMaxRows = 1 << 20

// SummarySheets returns the sheets of summary.xlsx: types (as
// summary.csv), one sheet of units per level, rules (as rules.csv, when
// rules were checked) and columns (what each unit column means, in
// Chinese and English). Numbers are number cells with the values of the
// CSV text.
func SummarySheets(in planner.AuditInput, res *planner.AuditResult, meta AuditMeta) []xlsx.Sheet {
	sheets := []xlsx.Sheet{sheet("types", SummaryTable(res))}
	used := map[string]bool{"types": true, "rules": true, "columns": true}
	for _, ut := range UnitsTables(in, res, meta) {
		name := sheetName(ut.Level, used)
		if len(ut.Rows) >= excelMaxRows {
			sheets = append(sheets, xlsx.Sheet{Name: name, Header: []string{"note"}, Rows: [][]any{{
				fmt.Sprintf("%d units are more than an Excel sheet holds (%d rows); they are in %s and audit.gpkg",
					len(ut.Rows), excelMaxRows-1, UnitsFileName(meta))}}})
			continue
		}
		sheets = append(sheets, sheet(name, ut.Table))
	}
	if len(res.Rules) > 0 {
		sheets = append(sheets, sheet("rules", RulesTable(res)))
	}
	return append(sheets, sheet("columns", ColumnsTable(in.Profile.Types)))
}

// WriteTableWorkbook writes t as a workbook to w: the sheet name (made
// valid for Excel) holding t, and a sheet "columns" (key, name_zh,
// name_en) when columns has rows. Numbers are number cells with the
// values of the CSV text; text is never a formula.
func WriteTableWorkbook(w io.Writer, name string, t Table, columns Table) error {
	if len(t.Rows) >= excelMaxRows {
		return fmt.Errorf("%d rows are more than an Excel sheet holds (%d): %w", len(t.Rows), excelMaxRows-1, planner.ErrInvalid)
	}
	used := map[string]bool{"columns": true}
	sheets := []xlsx.Sheet{sheet(sheetName(name, used), t)}
	if len(columns.Rows) > 0 {
		sheets = append(sheets, sheet("columns", columns))
	}
	return xlsx.WriteTo(w, sheets)
}

func sheet(name string, t Table) xlsx.Sheet {
	return xlsx.Sheet{Name: name, Header: t.Header, Rows: t.PlainRows()}
}

// sheetName makes a level name a valid, unused Excel sheet name: the
// characters Excel refuses replaced by _, at most 31 characters, and a
// number appended when taken.
func sheetName(level string, used map[string]bool) string {
	r := strings.NewReplacer(":", "_", `\`, "_", "/", "_", "?", "_", "*", "_", "[", "_", "]", "_")
	base := strings.Trim(r.Replace(level), "' ")
	if base == "" {
		base = "units"
	}
	base = truncRunes(base, 31)
	name := base
	for i := 2; used[strings.ToLower(name)]; i++ {
		suffix := "_" + strconv.Itoa(i)
		name = truncRunes(base, 31-len(suffix)) + suffix
	}
	used[strings.ToLower(name)] = true
	return name
}

func truncRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
