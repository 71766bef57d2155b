package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/planner"
)

func TestParseProjectUnitsRules(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		check      func(t *testing.T, p *Project)
		err        string
	}{
		{"units as one path", "units: a.geojson\n", func(t *testing.T, p *Project) {
			if len(p.Units) != 1 || p.Units[0] != "a.geojson" {
				t.Errorf("units %v", p.Units)
			}
		}, ""},
		{"units as a list with levels", "units: [subdistrict=s.geojson, c.geojson]\nunits_osm: admin_level=8,10\n", func(t *testing.T, p *Project) {
			if len(p.Units) != 2 || p.Units[0] != "subdistrict=s.geojson" || p.UnitsOSM != "admin_level=8,10" {
				t.Errorf("units %v, units_osm %q", p.Units, p.UnitsOSM)
			}
		}, ""},
		{"rules and fail_below", "rules:\n  - {level: community, type: clinic, min: 1}\n  - {type: market, min_coverage: 0.9, note: plan}\nfail_below: {playground: 0.5}\n", func(t *testing.T, p *Project) {
			want := []planner.Rule{{Level: "community", Type: "clinic", Min: 1, Origin: "p.yaml"}, {Type: "market", MinCoverage: 0.9, Note: "plan", Origin: "p.yaml"}}
			if len(p.Rules) != 2 || p.Rules[0] != want[0] || p.Rules[1] != want[1] {
				t.Errorf("rules %+v, want %+v", p.Rules, want)
			}
			if p.FailBelow["playground"] != 0.5 {
				t.Errorf("fail_below %v", p.FailBelow)
			}
		}, ""},
		{"unknown rule key", "rules:\n  - {type: clinic, mni: 1}\n", nil, "p.yaml:2: field mni not found in a rule (known: level, type, min"},
		{"rule without requirement", "rules:\n  - {type: clinic}\n", nil, "p.yaml: rules: item 1: give min"},
		{"coverage in percent", "rules:\n  - {type: clinic, min_coverage: 90}\n", nil, "min_coverage must be a share in (0, 1]"},
		{"fail_below in percent", "fail_below: {clinic: 90}\n", nil, "fail_below: clinic: 90 is not a share"},
		{"units not a path", "units: {a: b}\n", nil, `unknown key "a" in a layer entry`},
		{"units not a path either", "units: [[a]]\n", nil, "expected a path or {path: …, coords: …}"},
		{"layers with coords", "amenities: [a.csv, {path: s.csv, coords: GCJ-02}]\npopulation: {path: p.gpkg#blocks, coords: cgcs2000}\nunits:\n  - {path: c.shp, coords: \"EPSG:4547\", level: 社区}\n  - s@x.geojson@wgs84\n", func(t *testing.T, p *Project) {
			if len(p.Amenities) != 2 || p.Amenities[0] != "a.csv" || p.Amenities[1] != "s.csv@gcj02" {
				t.Errorf("amenities %q", p.Amenities)
			}
			if p.Population != "p.gpkg#blocks@cgcs2000" {
				t.Errorf("population %q", p.Population)
			}
			if len(p.Units) != 2 || p.Units[0] != "社区=c.shp@EPSG:4547" || p.Units[1] != "s@x.geojson@wgs84" {
				t.Errorf("units %q", p.Units)
			}
		}, ""},
		{"layer with bad coords", "amenities:\n  - {path: s.csv, coords: gcj2}\n", nil, `p.yaml:2: s.csv: coords: "gcj2" is not a coordinate system`},
		{"layer without path", "population: {coords: gcj02}\n", nil, "a layer entry needs path:"},
		{"unknown key lists the new ones", "unitz: a\n", nil, "units_osm, profile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseProject("p.yaml", []byte(tc.text))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, p)
		})
	}
}

func TestReadProjectResolvesUnitPaths(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lifecircle.yaml")
	if err := os.WriteFile(path, []byte("units: [community=c.geojson, s.geojson, /abs/x.geojson]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := ReadProject(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"community=" + filepath.Join(dir, "c.geojson"), filepath.Join(dir, "s.geojson"), "/abs/x.geojson"}
	for i := range want {
		if p.Units[i] != want[i] {
			t.Errorf("units[%d] = %q, want %q", i, p.Units[i], want[i])
		}
	}
}

func TestReadBatch(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "proj")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "city.yaml"), []byte("name: ignored\nosm: city.osm.pbf\nprofile: 15min\nrules:\n  - {type: clinic, min: 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	text := `out: runs
entries:
  - project: proj/city.yaml
  - name: city-2025
    project: proj/city.yaml
    osm: city-2025.osm.pbf
    rules:
      - {type: market, min_coverage: 0.8}
  - name: inline
    sample: true
    units: u.geojson
  - name: broken
    project: proj/missing.yaml
`
	path := filepath.Join(dir, "batch.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, entries, err := ReadBatch(path)
	if err != nil {
		t.Fatal(err)
	}
	if out != filepath.Join(dir, "runs") || len(entries) != 4 {
		t.Fatalf("out %q, %d entries", out, len(entries))
	}
	// Each entry: its project file's keys, then its own (study.Settings
	// lays them in that order; data/study tests the merge).
	e := entries[0]
	if e.Name != "city" || e.Err != nil || len(e.Projects) != 2 || e.Projects[0].OSM != filepath.Join(sub, "city.osm.pbf") || e.Projects[0].Profile != "15min" {
		t.Errorf("entry 1 %+v: name from the project file's name, paths relative to it", e)
	}
	if p := e.Projects[len(e.Projects)-1]; p.Name != "city" || p.OSM != "" {
		t.Errorf("entry 1's own keys %+v: only its name", p)
	}
	e = entries[1]
	if e.Name != "city-2025" || len(e.Projects) != 2 || e.Projects[1].OSM != filepath.Join(dir, "city-2025.osm.pbf") ||
		e.Projects[0].Profile != "15min" || len(e.Projects[0].Rules) != 1 || len(e.Projects[1].Rules) != 1 {
		t.Errorf("entry 2 %+v: the project file's keys, then the inline keys with paths relative to the batch file", e.Projects)
	}
	e = entries[2]
	if len(e.Projects) != 1 || !e.Projects[0].Sample || len(e.Projects[0].Units) != 1 || e.Projects[0].Units[0] != filepath.Join(dir, "u.geojson") {
		t.Errorf("entry 3 %+v", e.Projects)
	}
	if e := entries[3]; e.Err == nil || e.Projects != nil || !strings.Contains(e.Err.Error(), "missing.yaml") {
		t.Errorf("entry 4: err %v: a missing project file is the entry's error, not the batch's", e.Err)
	}
	// A plain list of entries works too.
	if err := os.WriteFile(path, []byte("- {name: a, sample: true}\n- {name: b, sample: true, profile: 15min}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, entries, err = ReadBatch(path)
	if err != nil || out != "" || len(entries) != 2 || entries[1].Projects[0].Profile != "15min" {
		t.Errorf("list form: out %q entries %+v err %v", out, entries, err)
	}
}

func FuzzReadBatch(f *testing.F) {
	for _, s := range []string{
		"- {name: a, sample: true}\n",
		"out: x\nentries:\n  - {name: a, osm: a.pbf, rules: [{type: clinic, min: 1}]}\n",
		"entries: 3\n", "- 1\n", "- {name: ../x}\n", "", "out: [1]\n",
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, s string) {
		path := filepath.Join(dir, "batch.yaml")
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		_, entries, err := ReadBatch(path)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, e := range entries {
			if e.Name == "" || strings.ContainsAny(e.Name, `/\`) || seen[e.Name] || (e.Projects == nil) == (e.Err == nil) {
				t.Fatalf("entry %+v from %q", e, s)
			}
			seen[e.Name] = true
		}
	})
}
