package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// TestDiffAddedFacilities audits central Helsinki, adds two playgrounds
// where residents lacked one, audits again and diffs the runs. The units
// that changed are found independently from the two demand.geojson files
// (residents whose playground coverage flipped, by community and through
// the parent links by subdistrict): the diff must report exactly those,
// as improved, and exactly the two new playgrounds.
func TestDiffAddedFacilities(t *testing.T) {
	t.Parallel()
	osmFile := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	units := filepath.Join(shareddata.RepoRoot(t), "examples", "district", "units.geojson")
	dir := t.TempDir()
	runA, runB := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if _, stderr, code := runCLI(t, "audit", "--quiet", "--osm", osmFile, "--units", units, "--out", runA); code != 0 {
		t.Fatalf("audit A: exit %d\n%s", code, stderr)
	}
	types := []string{"clinic", "elderly", "market", "fitness", "playground"}
	ptsA := readDemand(t, filepath.Join(runA, "demand.geojson"), types)
	// New playgrounds at two uncovered residents of different communities.
	fc := geojson.NewFeatureCollection()
	used := map[string]bool{}
	var added []string
	for _, p := range ptsA {
		if p.unit == "" || used[p.unit] || p.dist["playground"] <= 300 || p.pop < 1 {
			continue
		}
		used[p.unit] = true
		f := geojson.NewFeature(p.at)
		id := fmt.Sprintf("new-play-%d", len(added)+1)
		f.Properties["id"], f.Properties["type"], f.Properties["name"] = id, "playground", "planned playground"
		fc.Append(f)
		added = append(added, id)
		if len(added) == 2 {
			break
		}
	}
	if len(added) != 2 {
		t.Fatalf("found %d communities with uncovered residents, want 2", len(added))
	}
	b, _ := fc.MarshalJSON()
	layer := filepath.Join(dir, "new_playgrounds.geojson")
	if err := os.WriteFile(layer, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCLI(t, "audit", "--quiet", "--osm", osmFile, "--units", units, "--amenities", layer, "--out", runB); code != 0 {
		t.Fatalf("audit B: exit %d\n%s", code, stderr)
	}
	ptsB := readDemand(t, filepath.Join(runB, "demand.geojson"), types)

	// The level layers are RFC 7946 and read by GDAL (the hierarchy's
	// figures are data/study's TestHierarchyMonaco).
	readAuditGeoJSON(t, filepath.Join(runA, "units_subdistrict.geojson"))

	// Independent expectation.
	parent := map[string]string{}
	for _, u := range readLevelUnits(t, filepath.Join(runA, "units_community.geojson")) {
		parent[u.id] = u.parent
	}
	wantCom, wantSub := map[string]bool{}, map[string]bool{}
	for i := range ptsA {
		a, b := ptsA[i], ptsB[i]
		if a.at != b.at {
			t.Fatalf("demand point %d moved between the runs", i)
		}
		for _, ty := range types {
			ca, cb := a.dist[ty] <= 300, b.dist[ty] <= 300
			if ty != "playground" && a.dist[ty] != b.dist[ty] && !(math.IsNaN(a.dist[ty]) && math.IsNaN(b.dist[ty])) {
				t.Errorf("point %d: %s distance changed (%v → %v) though only playgrounds were added", i, ty, a.dist[ty], b.dist[ty])
			}
			if ty == "playground" && ca != cb && a.pop > 0 && a.unit != "" {
				wantCom[a.unit] = true
				wantSub[parent[a.unit]] = true
			}
		}
	}
	if len(wantCom) == 0 {
		t.Fatal("adding the playgrounds covered nobody new")
	}

	out := filepath.Join(dir, "change")
	stdout, stderr, code := runCLI(t, "diff", runA, runB, "--out", out)
	if code != 0 {
		t.Fatalf("diff: exit %d\n%s", code, stderr)
	}
	var d data.RunDiff
	raw, err := os.ReadFile(filepath.Join(out, "diff.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	check := func(level string, want map[string]bool) {
		t.Helper()
		for _, l := range d.Levels {
			if l.Name != level {
				continue
			}
			var got []string
			for _, u := range l.Units {
				got = append(got, u.ID)
				if u.Status != data.DiffImproved {
					t.Errorf("%s %s: status %s, want improved", level, u.ID, u.Status)
				}
				for _, ty := range u.Types {
					if (ty.ID == "playground") != (ty.Status == data.DiffImproved) {
						t.Errorf("%s %s type %s: %s", level, u.ID, ty.ID, ty.Status)
					}
				}
			}
			var w []string
			for id := range want {
				w = append(w, id)
			}
			slices.Sort(got)
			slices.Sort(w)
			if !slices.Equal(got, w) {
				t.Errorf("level %s: changed units %v, want %v", level, got, w)
			}
			return
		}
		t.Errorf("diff.json has no level %s", level)
	}
	check("community", wantCom)
	check("subdistrict", wantSub)
	var newIDs []string
	for _, f := range d.Facilities.New {
		newIDs = append(newIDs, f.ID)
		if f.Type != "playground" {
			t.Errorf("new facility %+v is not a playground", f)
		}
	}
	slices.Sort(newIDs)
	if !slices.Equal(newIDs, added) || len(d.Facilities.Closed) != 0 || len(d.Facilities.Moved) != 0 {
		t.Errorf("facilities: new %v closed %v moved %v; want new %v only", newIDs, d.Facilities.Closed, d.Facilities.Moved, added)
	}
	for _, tc := range d.Types {
		if tc.ID == "playground" {
			if tc.Status != data.DiffImproved || tc.FacilitiesB != tc.FacilitiesA+2 {
				t.Errorf("playground: %+v", tc)
			}
		} else if tc.Status != data.DiffUnchanged {
			t.Errorf("%s: %s, want unchanged", tc.ID, tc.Status)
		}
	}
	for _, want := range []string{"facilities: 2 new, 0 closed, 0 moved", "level community:", "playground"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	// diff.geojson: every unit of every level with its deltas.
	g := readAuditGeoJSON(t, filepath.Join(out, "diff.geojson"))
	if len(g) != 8 {
		t.Errorf("diff.geojson has %d features, want the 2 subdistricts and 6 communities", len(g))
	}
	for _, f := range g {
		if _, ok := f.props["status_playground"]; !ok {
			t.Errorf("diff.geojson feature %s has no status_playground", f.id)
		}
	}

	// The other way round: the playgrounds closed, the same units worse.
	stdout, _, code = runCLI(t, "diff", runB, runA)
	if code != 0 || !strings.Contains(stdout, "facilities: 0 new, 2 closed, 0 moved") ||
		!strings.Contains(stdout, fmt.Sprintf("%d worse", len(wantCom))) {
		t.Errorf("reverse diff (exit %d):\n%s", code, stdout)
	}
	// A run against itself: nothing changed.
	stdout, _, _ = runCLI(t, "diff", runA, runA)
	if !strings.Contains(stdout, "0 improved, 0 worse, 0 mixed, 6 unchanged") || !strings.Contains(stdout, "facilities: 0 new, 0 closed, 0 moved") {
		t.Errorf("self diff:\n%s", stdout)
	}
}

func TestDiffBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"one folder", []string{"diff", dir}, 2, "give two audit output folders"},
		{"not an audit", []string{"diff", dir, dir}, 1, "is not an audit output folder (no summary.json)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s", code, tc.code, tc.want, stderr)
			}
		})
	}
}

// levelUnit is one feature of a units_<level>.geojson.
type levelUnit struct {
	id, parent string
	props      map[string]any
	geom       orb.Geometry
}

func readLevelUnits(t *testing.T, path string) []levelUnit {
	t.Helper()
	fc, err := data.ReadOutputLayer(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]levelUnit, len(fc.Features))
	for i, f := range fc.Features {
		id, _ := f.Properties["unit_id"].(string)
		parent, _ := f.Properties["parent"].(string)
		out[i] = levelUnit{id: id, parent: parent, props: f.Properties, geom: f.Geometry}
	}
	return out
}

// demandPoint is one feature of demand.geojson.
type demandPoint struct {
	at   orb.Point
	pop  float64
	unit string             // finest unit, "" outside
	dist map[string]float64 // NaN unreachable
}

func readDemand(t *testing.T, path string, types []string) []demandPoint {
	t.Helper()
	fc, err := data.ReadOutputLayer(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]demandPoint, len(fc.Features))
	for i, f := range fc.Features {
		d := demandPoint{at: f.Geometry.(orb.Point), dist: map[string]float64{}}
		d.pop, _ = f.Properties["population"].(float64)
		d.unit, _ = f.Properties["unit_id"].(string)
		for _, ty := range types {
			if v, ok := f.Properties["dist_"+ty].(float64); ok {
				d.dist[ty] = v
			} else {
				d.dist[ty] = math.NaN()
			}
		}
		out[i] = d
	}
	return out
}
