package data

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/planner"
)

// TestSummaryNamesFacilitiesApart: per level, summary.json counts the
// facilities inside the units as facilities_inside, so that it is not
// read as the district's count of all facilities (issue 16, item 12).
func TestSummaryNamesFacilitiesApart(t *testing.T) {
	b, err := json.Marshal(LevelTypeSummary{ID: "clinic", Facilities: 5})
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); !strings.Contains(s, `"facilities_inside":5`) || strings.Contains(s, `"facilities":`) {
		t.Errorf("level type summary %s", s)
	}
	b, _ = json.Marshal(TypeSummary{ID: "clinic", Facilities: 11})
	if !strings.Contains(string(b), `"facilities":11`) {
		t.Errorf("type summary %s", b)
	}
}

// TestReportNoResidentsDash: a unit without residents shows "–" for its
// completeness, not "0.0 %".
func TestReportNoResidentsDash(t *testing.T) {
	prof, err := planner.Builtin("")
	if err != nil {
		t.Fatal(err)
	}
	in := planner.AuditInput{Profile: prof}
	n := len(prof.Types)
	empty := planner.UnitResult{Covered: make([]float64, n), Unreachable: make([]float64, n)}
	row := unitRow(in, planner.Unit{ID: "c1", Name: "空社区"}, empty, nil, "")
	if got := pctText(row.Completeness); got != "–" {
		t.Errorf("completeness of a unit without residents: %q, want –", got)
	}
	full := planner.UnitResult{Population: 10, Completeness: 0, Covered: make([]float64, n), Unreachable: make([]float64, n)}
	if got := pctText(unitRow(in, planner.Unit{ID: "c2"}, full, nil, "").Completeness); got != "0.0 %" {
		t.Errorf("completeness of a unit with residents and nothing reached: %q, want 0.0 %%", got)
	}
}
