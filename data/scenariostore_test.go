package data

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

func TestScenarioFolder(t *testing.T) {
	safe := regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	seen := map[string]string{}
	for _, name := range []string{"plan-A_2", "试验方案", "试验方案2", "../escape", "a/b", `a\b`, "..", "Plan A", "plan a", strings.Repeat("名", 64), "%2e%2e"} {
		f := ScenarioFolder(name)
		if !safe.MatchString(f) || f == "." || f == ".." {
			t.Errorf("ScenarioFolder(%q) = %q: not a safe folder name", name, f)
		}
		if other, ok := seen[f]; ok {
			t.Errorf("%q and %q share the folder %q", name, other, f)
		}
		seen[f] = name
	}
	if ScenarioFolder("plan-A_2") != "plan-A_2" {
		t.Error("a plain name is not its own folder")
	}
	for _, bad := range []string{"", " ", "a\x00b", "a\nb", strings.Repeat("x", 65), "\xff"} {
		if err := ValidateScenarioName(bad); !errors.Is(err, planner.ErrInvalid) {
			t.Errorf("ValidateScenarioName(%q) = %v", bad, err)
		}
	}
}

// TestWorkspaceScenarios saves 试验方案, lists, opens (edits and their
// geometries back as saved), reads the folder as --scenario does, and
// deletes it; a foreign folder of the same name is never replaced.
func TestWorkspaceScenarios(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "scenarios")
	st := NewWorkspaceScenarios(dir)
	prof, err := LoadProfile("gb50180")
	if err != nil {
		t.Fatal(err)
	}
	edits := []planner.Edit{
		{Op: "add", ID: "new-1", Type: "elderly", Name: "托老站", Geometry: orb.Point{116.3, 39.9}},
		{Op: "move", ID: "osm-7", Type: "clinic", Geometry: orb.Point{116.31, 39.91}, Previous: orb.Point{116.32, 39.92}},
		{Op: "remove", ID: "osm-8", Type: "market", Previous: orb.Point{116.33, 39.93}},
	}
	facs := []planner.Facility{{ID: "new-1", Type: "elderly", Name: "托老站", Geometry: orb.Point{116.3, 39.9}}}
	sc := &SavedScenario{Name: "试验方案", Profile: prof, Edits: edits, Facilities: facs, Summary: map[string]int{"edits": 3}}
	where, err := st.Save(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(where, "scenarios/scenario-") || sc.Stamp == "" {
		t.Errorf("saved to %q, stamp %q", where, sc.Stamp)
	}
	list, err := st.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "试验方案" || list[0].Edits != 3 || list[0].Facilities != 1 {
		t.Fatalf("list: %+v %v", list, err)
	}
	got, err := st.Open(ctx, "试验方案")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Edits) != 3 || got.Edits[1].Op != "move" || got.Edits[1].Geometry.(orb.Point) != (orb.Point{116.31, 39.91}) ||
		got.Edits[2].Previous.(orb.Point) != (orb.Point{116.33, 39.93}) || got.Edits[0].Name != "托老站" {
		t.Errorf("opened edits: %+v", got.Edits)
	}
	byDir, err := ReadScenarioDir(filepath.Join(dir, ScenarioFolder("试验方案")))
	if err != nil || len(byDir.Edits) != 3 {
		t.Errorf("ReadScenarioDir: %v", err)
	}
	if _, err := st.Open(ctx, "无此方案"); !errors.Is(err, planner.ErrNotFound) {
		t.Errorf("open of a missing scenario: %v", err)
	}
	if err := st.Delete(ctx, "试验方案"); err != nil {
		t.Fatal(err)
	}
	if list, _ := st.List(ctx); len(list) != 0 {
		t.Errorf("after delete: %+v", list)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		t.Errorf("after delete the folder holds %v", ents)
	}

	// A folder someone else made under the name is left alone.
	if err := os.MkdirAll(filepath.Join(dir, "mine"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mine", "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Save(ctx, &SavedScenario{Name: "mine", Profile: prof}); !errors.Is(err, planner.ErrInvalid) {
		t.Errorf("save over a foreign folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "mine", "notes.txt")); err != nil {
		t.Error("the foreign folder was replaced")
	}
}
