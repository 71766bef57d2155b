package data

import (
	"io"

	"github.com/lifecircle/lifecircle/planner"
)

// AsOfSummary is summary.json's "as_of": the moment the audit counted
// facilities at and what that left out. Keys are declared in JSON order.
type AsOfSummary struct {
	// Date is the day (YYYY-MM-DD); "" for the plan's end state.
	Date string `json:"date,omitempty"`
	// Default is true when no --as-of was given: open facilities as of
	// the day the audit ran.
	Default bool `json:"default"`
	// Mode is "date" or "planned" (everything not closed for good).
	Mode string `json:"mode"`
	// NotCounted is the number of facilities read that do not count as
	// of this moment (planned, closed, …), left out of every figure.
	NotCounted int `json:"not_counted"`
	// StatusReports is the number of facilities whose status a field
	// report set (the latest report of each, on or before the day).
	StatusReports int `json:"status_reports"`
	// Statuses counts the facilities read by their status (after the
	// field reports), open included.
	Statuses map[string]int `json:"statuses"`
}

// NewAsOfSummary describes an audit as of a over the facilities all (as
// read, reports applied), of which counted count.
func NewAsOfSummary(a planner.AsOf, def bool, all []planner.Facility, counted, reports int) *AsOfSummary {
	s := &AsOfSummary{Default: def, Mode: "date", Date: a.String(), NotCounted: len(all) - counted,
		Statuses: map[string]int{}, StatusReports: reports}
	if a.Planned {
		s.Mode, s.Date = "planned", ""
	}
	for _, f := range all {
		s.Statuses[string(f.Status.Norm())]++
	}
	return s
}

// Label is the moment in both languages, for the report and terminal:
// "as of 2027-06-30 / 截至 2027-06-30", "(today)" for the default.
func (s *AsOfSummary) Label() (zh, en string) {
	if s == nil {
		return "", ""
	}
	if s.Mode == "planned" {
		return "规划全部建成（不含关闭设施）", "as planned (every facility not closed for good)"
	}
	zh, en = "截至 "+s.Date, "as of "+s.Date
	if s.Default {
		zh, en = zh+"（今天）", en+" (today)"
	}
	return zh, en
}

// A TimelineRow is one type's district coverage in an audit as of one
// day of a timeline (summary.json "timeline", timeline.csv).
type TimelineRow struct {
	AsOf       string `json:"as_of"`
	Coverage   Num    `json:"coverage"`
	Covered    Num    `json:"covered"`
	Facilities int    `json:"facilities"`
	Gap        Num    `json:"gap"`
	Population Num    `json:"population"`
	Type       string `json:"type"`
	Year       int    `json:"year"`
}

// NewTimelineRows returns the rows of one audit of a timeline.
func NewTimelineRows(year int, asOf string, res *planner.AuditResult) []TimelineRow {
	rows := make([]TimelineRow, len(res.Types))
	for i, t := range res.Types {
		rows[i] = TimelineRow{Year: year, AsOf: asOf, Type: t.ID, Facilities: t.Facilities,
			Population: Round(t.Population, 1), Covered: Round(t.Covered, 1), Coverage: Round(t.Coverage, 4), Gap: Round(t.Gap, 1)}
	}
	return rows
}

// writeTimelineCSV writes timeline.csv: one row per year and type.
func writeTimelineCSV(w io.Writer, prof *planner.Profile, rows []TimelineRow) error {
	c := NewCSVWriter(w)
	if err := c.Text("year", "as_of", "type", "type_zh", "type_en", "facilities", "population", "covered", "coverage", "gap"); err != nil {
		return err
	}
	for _, r := range rows {
		var zh, en string
		if t, ok := prof.Type(r.Type); ok {
			zh, en = t.Names.Zh, t.Names.En
		}
		if err := c.Row(r.Year, r.AsOf, r.Type, zh, en, r.Facilities, r.Population, r.Covered, r.Coverage, r.Gap); err != nil {
			return err
		}
	}
	return c.Flush()
}
