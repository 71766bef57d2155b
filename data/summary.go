package data

import (
	"math"
	"time"

	"github.com/lifecircle/lifecircle/planner"
)

// This file defines summary.json: the Summary type WriteAudit writes and
// ReadAudit reads back. summary.json was first written from maps, which
// encoding/json writes with their keys sorted; the fields of every object
// below are declared in the order of their JSON keys so that the file
// stays byte for byte the same (TestSummaryKeysSorted keeps it so).

// A Summary is summary.json: the district figures of an audit, its inputs
// and its levels and provision rules.
type Summary struct {
	// AsOf says when the facilities were counted (--as-of; every audit
	// since facility status has one).
	AsOf         *AsOfSummary `json:"as_of,omitempty"`
	Attribution  string       `json:"attribution"`
	Created      string       `json:"created"` // RFC 3339, UTC, seconds
	DemandSource string       `json:"demand_source"`
	// FacilityOverrides are the changes of a facility overrides file
	// (only with one).
	FacilityOverrides *FacilityOverrideSummary `json:"facility_overrides,omitempty"`
	Inputs            map[string]any           `json:"inputs"` // the inputs and settings, keys vary with the run
	// Levels are the figures per unit level, coarsest first (only with a
	// unit hierarchy).
	Levels  []LevelSummary `json:"levels,omitempty"`
	Version string         `json:"lifecircle"`
	Network NetworkInfo    `json:"network"`
	Profile ProfileSummary `json:"profile"`
	// Rules are the provision rules checked (only when there were some),
	// RulesBroken how many of them are broken.
	Rules       []RuleSummary `json:"rules,omitempty"`
	RulesBroken *int          `json:"rules_broken,omitempty"`
	// Timeline is --timeline's coverage per year and type (timeline.csv).
	Timeline []TimelineRow      `json:"timeline,omitempty"`
	Timings  map[string]float64 `json:"timings_s"` // seconds, rounded to 1 ms
	Totals   Totals             `json:"totals"`
	Types    []TypeSummary      `json:"types"`
	Units    UnitsSummary       `json:"units"`
	// WarningDetails are the typed, bilingual warnings (code, what they
	// affect); their English texts are among Warnings too.
	WarningDetails []planner.Warning `json:"warning_details,omitempty"`
	Warnings       []string          `json:"warnings"`
}

// ProfileSummary names the profile of an audit.
type ProfileSummary struct {
	ID     string `json:"id"`
	NameEn string `json:"name_en"`
	NameZh string `json:"name_zh"`
}

// Totals are the district figures over every amenity type.
type Totals struct {
	Completeness          Num `json:"completeness"`
	DemandPoints          int `json:"demand_points"`
	DemandPointsOutside   int `json:"demand_points_outside"`
	FullyServed           Num `json:"fully_served"`
	Population            Num `json:"population"`
	PopulationFullyServed Num `json:"population_fully_served"`
	PopulationOutside     Num `json:"population_outside"`
	PopulationUnsnapped   Num `json:"population_unsnapped"`
}

// A TypeSummary is the district figures of one amenity type.
type TypeSummary struct {
	// Capacity are the type's capacity figures (only for a type with a
	// capacity_ratio and facilities that give their capacity).
	Capacity *CapacitySummary `json:"capacity,omitempty"`
	Coverage Num              `json:"coverage"`
	// Demand is the resident group the type is judged by ("" = all).
	Demand              string `json:"demand,omitempty"`
	DistMean            Num    `json:"dist_mean_m"`
	DistP90             Num    `json:"dist_p90_m"`
	Facilities          int    `json:"facilities"`
	FacilitiesUnsnapped int    `json:"facilities_unsnapped"`
	// Overrides are a facility overrides file's changes to this type's
	// facilities (only when it changed them).
	Overrides   *TypeOverrides `json:"facility_overrides,omitempty"`
	GapUnits    int            `json:"gap_units"`
	ID          string         `json:"id"`
	NameEn      string         `json:"name_en"`
	NameZh      string         `json:"name_zh"`
	Population  Num            `json:"population"`
	Covered     Num            `json:"population_covered"`
	Gap         Num            `json:"population_gap"`
	Unreachable Num            `json:"population_unreachable"`
	Source      string         `json:"source"`
	Threshold   Num            `json:"threshold_m"`
	Tier        int            `json:"tier_min"`
}

// A CapacitySummary is a type's capacity figures (planner.TypeCapacity):
// residents of the type's group, places, and the ratio of places per
// 1,000 residents by which a facility of C places serves C × 1000 / ratio
// residents.
type CapacitySummary struct {
	FacilitiesFull         int `json:"facilities_full"`
	FacilitiesWithCapacity int `json:"facilities_with_capacity"`
	Places                 Num `json:"places"`
	// PopulationOverCapacity are residents within the threshold whose
	// facilities are full; PopulationServed those given a place.
	PopulationOverCapacity Num `json:"population_over_capacity"`
	PopulationServed       Num `json:"population_served"`
	RatioPer1000           Num `json:"ratio_per_1000"`
}

// NewCapacitySummary returns c as summary.json carries it; nil for nil.
func NewCapacitySummary(c *planner.TypeCapacity) *CapacitySummary {
	if c == nil {
		return nil
	}
	return &CapacitySummary{FacilitiesFull: c.Full, FacilitiesWithCapacity: c.Facilities, Places: Round(c.Places, 1),
		PopulationOverCapacity: Round(c.OverCapacity, 1), PopulationServed: Round(c.Served, 1), RatioPer1000: Num(c.Ratio)}
}

// UnitsSummary describes the units of an audit: grid cells (CellM and
// Grid set) or imported units (File set).
type UnitsSummary struct {
	CellM *Num    `json:"cell_m,omitempty"`
	Count int     `json:"count"`
	File  string  `json:"file,omitempty"`
	Grid  *string `json:"grid,omitempty"`
	Kind  string  `json:"kind"` // UnitsImported or UnitsGrid
}

// Kinds of units in UnitsSummary.Kind.
const (
	UnitsImported = "imported"
	UnitsGrid     = "grid cells"
)

// A LevelSummary is the figures of one level of the unit hierarchy.
type LevelSummary struct {
	Completeness        Num                `json:"completeness"`
	DemandPointsOutside int                `json:"demand_points_outside"`
	File                string             `json:"file"` // units_<level>.geojson, "" with a single level
	FullyServed         Num                `json:"fully_served"`
	Name                string             `json:"name"`
	Population          Num                `json:"population"`
	PopulationOutside   Num                `json:"population_outside"`
	Types               []LevelTypeSummary `json:"types"`
	Units               int                `json:"units"`
}

// A LevelTypeSummary is the figures of one amenity type at one level.
// FacilitiesInside counts the facilities of the type inside the level's
// units (facilities_inside), unlike the district's types[].facilities,
// which counts all of them, wherever they are (issue 16, item 12).
type LevelTypeSummary struct {
	Coverage    Num    `json:"coverage"`
	Facilities  int    `json:"facilities_inside"`
	GapUnits    int    `json:"gap_units"`
	ID          string `json:"id"`
	Covered     Num    `json:"population_covered"`
	Gap         Num    `json:"population_gap"`
	Unreachable Num    `json:"population_unreachable"`
}

// A RuleSummary is one provision rule checked, with the units breaking it.
type RuleSummary struct {
	Breaches      []BreachSummary `json:"breaches"`
	Broken        bool            `json:"broken"`
	Kind          string          `json:"kind"`
	Level         string          `json:"level"`
	Min           int             `json:"min,omitempty"`
	MinCoverage   float64         `json:"min_coverage,omitempty"`
	Note          string          `json:"note,omitempty"`
	Origin        string          `json:"origin"`
	PerPopulation float64         `json:"per_population,omitempty"`
	Rule          int             `json:"rule"` // 1-based position in the rule list
	TextEn        string          `json:"text_en"`
	TextZh        string          `json:"text_zh"`
	Type          string          `json:"type"`
	UnitsBroken   int             `json:"units_broken"`
	UnitsChecked  int             `json:"units_checked"`
}

// A BreachSummary is one unit breaking a rule; ResidentsToReach is set for
// coverage rules only.
type BreachSummary struct {
	Actual           Num    `json:"actual"`
	Name             string `json:"name"`
	Population       Num    `json:"population"`
	Required         Num    `json:"required"`
	ResidentsToReach *Num   `json:"residents_to_reach,omitempty"`
	Shortfall        Num    `json:"shortfall"`
	UnitID           string `json:"unit_id"`
}

// NewSummary returns summary.json of an audit, created at meta.Created
// (now when that is zero).
func NewSummary(in planner.AuditInput, res *planner.AuditResult, meta AuditMeta) Summary {
	created := meta.Created
	if created.IsZero() {
		created = time.Now()
	}
	s := Summary{
		Attribution:  Attribution,
		Created:      created.UTC().Format(time.RFC3339),
		DemandSource: in.Demand.Source,
		Inputs:       meta.Inputs,
		Version:      meta.Version,
		Network:      meta.Network,
		Profile:      ProfileSummary{ID: in.Profile.ID, NameEn: in.Profile.Names.En, NameZh: in.Profile.Names.Zh},
		Timings:      map[string]float64{},
		Totals: Totals{
			Completeness:          Round(res.Completeness, 4),
			DemandPoints:          len(in.Demand.Points),
			DemandPointsOutside:   res.OutsidePoints,
			FullyServed:           Round(res.FullyServed, 4),
			Population:            Round(res.Population, 1),
			PopulationFullyServed: Round(res.FullyServedPop, 1),
			PopulationOutside:     Round(res.Outside, 1),
			PopulationUnsnapped:   Round(res.UnsnappedPop, 1),
		},
		Types:          make([]TypeSummary, len(res.Types)),
		Units:          UnitsSummary{Count: len(in.Units)},
		Warnings:       append(append([]string{}, meta.Warnings...), res.Warnings...),
		WarningDetails: meta.WarningDetails,
	}
	for i, t := range res.Types {
		s.Types[i] = NewTypeSummary(in.Profile, t)
		s.Types[i].Overrides = meta.FacilityOverrides.Type(t.ID)
		if res.Capacity != nil {
			s.Types[i].Capacity = NewCapacitySummary(res.Capacity[i])
		}
	}
	s.FacilityOverrides = meta.FacilityOverrides
	s.AsOf, s.Timeline = meta.AsOf, meta.Timeline
	if meta.UnitsFile != "" {
		s.Units.Kind, s.Units.File = UnitsImported, meta.UnitsFile
	} else {
		cell, grid := Num(meta.CellSize), meta.GridID
		s.Units.Kind, s.Units.CellM, s.Units.Grid = UnitsGrid, &cell, &grid
	}
	for k, v := range meta.Timings {
		s.Timings[k] = math.Round(v.Seconds()*1000) / 1000
	}
	for k, v := range res.Timings {
		s.Timings[k] = math.Round(v.Seconds()*1000) / 1000
	}
	s.Levels = levelSummaries(in, res)
	if len(res.Rules) > 0 {
		s.Rules = ruleSummaries(res.Rules)
		n := planner.BrokenRules(res.Rules)
		s.RulesBroken = &n
	}
	return s
}

// NewTypeSummary returns the district figures of type t as summary.json
// carries them.
func NewTypeSummary(prof *planner.Profile, t planner.TypeSummary) TypeSummary {
	return TypeSummary{
		Coverage: Round(t.Coverage, 4), Demand: t.Demand, DistMean: Round(t.DistMean, 1), DistP90: Round(t.DistP90, 1),
		Facilities: t.Facilities, FacilitiesUnsnapped: t.FacilitiesUnsnapped, GapUnits: t.GapUnits,
		ID: t.ID, NameEn: t.Names.En, NameZh: t.Names.Zh,
		Population: Round(t.Population, 1), Covered: Round(t.Covered, 1), Gap: Round(t.Gap, 1),
		Unreachable: Round(t.Unreachable, 1), Source: typeSource(prof, t.ID), Threshold: Num(t.Threshold), Tier: t.Tier,
	}
}

// levelSummaries returns the "levels" table of summary.json (nil without
// a hierarchy).
func levelSummaries(in planner.AuditInput, res *planner.AuditResult) []LevelSummary {
	if in.Hierarchy == nil || len(res.Levels) == 0 {
		return nil
	}
	levels := make([]LevelSummary, len(res.Levels))
	for k, l := range res.Levels {
		file := LevelFileName(l.Name)
		if len(res.Levels) == 1 {
			file = ""
		}
		types := make([]LevelTypeSummary, len(l.Types))
		for ti, t := range l.Types {
			cov := 0.0
			if l.Population > 0 {
				cov = t.Covered / l.Population
			}
			types[ti] = LevelTypeSummary{
				Coverage: Round(cov, 4), Facilities: t.Facilities, GapUnits: t.GapUnits, ID: t.ID,
				Covered: Round(t.Covered, 1), Gap: Round(l.Population-t.Covered, 1), Unreachable: Round(t.Unreachable, 1),
			}
		}
		levels[k] = LevelSummary{
			Completeness: Round(l.Completeness, 4), DemandPointsOutside: l.OutsidePoints, File: file,
			FullyServed: Round(l.FullyServed, 4), Name: l.Name, Population: Round(l.Population, 1),
			PopulationOutside: Round(l.Outside, 1), Types: types, Units: len(l.Units),
		}
	}
	return levels
}

// ruleSummaries returns the "rules" table of summary.json.
func ruleSummaries(checks []planner.RuleCheck) []RuleSummary {
	rules := make([]RuleSummary, len(checks))
	for i, c := range checks {
		level := c.Rule.Level
		if level == "" {
			level = planner.DistrictLevel
		}
		d := 0
		if c.Kind == planner.RuleCoverage {
			d = 4
		}
		breaches := make([]BreachSummary, len(c.Breaches))
		for j, b := range c.Breaches {
			breaches[j] = BreachSummary{
				Actual: Round(b.Actual, d), Name: b.UnitName, Population: Round(b.Population, 1),
				Required: Round(b.Required, d), Shortfall: Round(b.Shortfall, d), UnitID: b.UnitID,
			}
			if c.Kind == planner.RuleCoverage {
				r := Round(b.Residents, 1)
				breaches[j].ResidentsToReach = &r
			}
		}
		rules[i] = RuleSummary{
			Breaches: breaches, Broken: c.Broken(), Kind: c.Kind, Level: level,
			Min: c.Rule.Min, MinCoverage: c.Rule.MinCoverage, Note: c.Rule.Note, Origin: c.Rule.Origin,
			PerPopulation: c.Rule.PerPopulation, Rule: c.Index + 1, TextEn: c.Text.En, TextZh: c.Text.Zh,
			Type: c.Rule.Type, UnitsBroken: len(c.Breaches), UnitsChecked: c.Checked,
		}
	}
	return rules
}
