package planner

import (
	"context"
	"testing"
)

// TestScenarioVersion: every change (edit, undo, added layer, reset) moves
// the version on; a refused edit and a view do not.
func TestScenarioVersion(t *testing.T) {
	sc, err := NewScenario(context.Background(), scenarioInput(t, 5))
	if err != nil {
		t.Fatal(err)
	}
	v := sc.Version()
	step := func(what string, changed bool) {
		t.Helper()
		nv := sc.Version()
		if (nv > v) != changed || nv < v {
			t.Errorf("%s: version %d → %d (want changed %v)", what, v, nv, changed)
		}
		v = nv
	}
	sc.View(func(AuditInput, *AuditResult, []bool) {})
	step("view", false)
	if _, err := sc.Apply(Edit{Op: "add", Type: "clinic", Geometry: mp(500, 500)}); err != nil {
		t.Fatal(err)
	}
	step("add", true)
	if _, err := sc.Apply(Edit{Op: "remove", ID: "no-such-facility"}); err == nil {
		t.Fatal("removing a missing facility succeeded")
	}
	step("refused remove", false)
	if _, err := sc.Undo(); err != nil {
		t.Fatal(err)
	}
	step("undo", true)
	if _, _, err := sc.ApplyAdds([]Edit{{Op: "add", Type: "market", Geometry: mp(800, 300)}, {Op: "add", Type: "clinic", Geometry: mp(100, 900)}}); err != nil {
		t.Fatal(err)
	}
	step("adds", true)
	if _, err := sc.Reset(); err != nil {
		t.Fatal(err)
	}
	step("reset", true)
}
