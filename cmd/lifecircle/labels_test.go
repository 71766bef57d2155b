package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/lifecircle/lifecircle/planner/glossary"
)

// TestWorstUnitsNamed: the terminal's worst-units list names units by
// their names where they have one (issue 16, item 12).
func TestWorstUnitsNamed(t *testing.T) {
	prof, err := planner.Builtin("")
	if err != nil {
		t.Fatal(err)
	}
	n := len(prof.Types)
	st := &study.Study{In: planner.AuditInput{Profile: prof, Demand: &planner.Demand{},
		Units: []planner.Unit{{ID: "110108-001", Name: "北太平庄社区"}, {ID: "c2"}}}}
	res := &planner.AuditResult{Types: make([]planner.TypeSummary, n), Units: []planner.UnitResult{
		{Population: 100, Covered: make([]float64, n), Unreachable: make([]float64, n)},
		{Population: 50, Covered: make([]float64, n), Unreachable: make([]float64, n)},
	}}
	for ti, ty := range prof.Types {
		res.Types[ti].ID = ty.ID
	}
	var b bytes.Buffer
	printAuditTable(&b, st, res)
	out := b.String()
	if !strings.Contains(out, "110108-001 北太平庄社区") || !strings.Contains(out, "  c2 ") {
		t.Errorf("worst units:\n%s", out)
	}
	if plural(1, "facility", "facilities") != "facility" || plural(2, "facility", "facilities") != "facilities" {
		t.Error("plural")
	}
}

// TestAuditTableGlossary: the terminal names completeness and fully served
// with the glossary's terms, as the map page and the report do.
func TestAuditTableGlossary(t *testing.T) {
	prof, err := planner.Builtin("")
	if err != nil {
		t.Fatal(err)
	}
	st := &study.Study{In: planner.AuditInput{Profile: prof, Demand: &planner.Demand{}}}
	res := &planner.AuditResult{Types: make([]planner.TypeSummary, len(prof.Types)), Completeness: 0.5}
	var b bytes.Buffer
	printAuditTable(&b, st, res)
	for _, want := range []string{"completeness " + glossary.Zh("completeness") + " 50.0%", "fully served " + glossary.Zh("fully_served")} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("terminal lacks %q:\n%s", want, b.String())
		}
	}
}
