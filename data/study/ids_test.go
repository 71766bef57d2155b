package study

import (
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/planner"
)

func TestUniqueFacilityIDs(t *testing.T) {
	fs := []planner.Facility{
		{ID: "n1", Type: "clinic"}, {ID: "n1", Type: "market"}, {ID: "n2", Type: "clinic"},
		{ID: "1", Type: "fitness"}, {ID: "1", Type: "fitness"}, {ID: "1", Type: "fitness"},
		{ID: "", Type: "clinic"}, {ID: "n1:market", Type: "playground"},
	}
	n := UniqueFacilityIDs(fs)
	var got []string
	for _, f := range fs {
		got = append(got, f.ID)
	}
	want := []string{"n1", "n1~2", "n2", "1", "1:fitness", "1~2", "f7", "n1:market"}
	if strings.Join(got, " ") != strings.Join(want, " ") || n != 4 {
		t.Errorf("ids %v (%d changed), want %v (4)", got, n, want)
	}
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Errorf("id %s twice", id)
		}
		seen[id] = true
	}
}
