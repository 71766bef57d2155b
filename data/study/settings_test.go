package study

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
)

func TestDefaults(t *testing.T) {
	d := Defaults()
	if d.Profile != planner.DefaultProfile || d.Coords != "wgs84" || d.Cell != planner.DefaultCellSize ||
		d.MaxSnap != geo.DefaultMaxSnap || d.MaxDistance != planner.DefaultAuditMaxDistance || d.FloorArea != planner.DefaultFloorAreaPerPerson || d.TotalPopulation != 0 {
		t.Errorf("Defaults() = %+v", d)
	}
	d.OSM = "x.osm.pbf"
	if err := d.Validate(); err != nil {
		t.Errorf("defaults with an extract: %v", err)
	}
}

// TestOverlayOrder: a flag the user set beats the project file, which
// beats the default, whatever the order of the calls.
func TestOverlayOrder(t *testing.T) {
	pf := &data.Project{Name: "district", OSM: "file.osm.pbf", Cell: 100, MaxSnap: 80, Profile: "15min",
		Amenities: []string{"a.csv"}, Units: data.Paths{"u.geojson"}, Sample: true,
		Rules:     []planner.Rule{{Type: "clinic", Min: 1}},
		FailBelow: map[string]float64{"market": 0.5, "clinic": 0.7}}
	flags := Settings{OSM: "flag.osm.pbf", Cell: 500, FailBelow: map[string]float64{"market": 0.9}}
	names := []string{"osm", "cell", "fail-below"}
	for _, flagsFirst := range []bool{true, false} {
		s := Defaults()
		if flagsFirst {
			s.SetFlags(flags, names)
			s.Overlay(pf)
		} else {
			s.Overlay(pf)
			s.SetFlags(flags, names)
		}
		if s.OSM != "flag.osm.pbf" || s.Cell != 500 {
			t.Errorf("flagsFirst=%v: flags lost: osm %q cell %v", flagsFirst, s.OSM, s.Cell)
		}
		if s.MaxSnap != 80 || s.Profile != "15min" || s.Name != "district" || !s.Sample ||
			!reflect.DeepEqual(s.Amenities, []string{"a.csv"}) || !reflect.DeepEqual(s.Units, []string{"u.geojson"}) || len(s.Rules) != 1 {
			t.Errorf("flagsFirst=%v: project keys lost: %+v", flagsFirst, s)
		}
		if s.MaxDistance != planner.DefaultAuditMaxDistance || s.Coords != "wgs84" {
			t.Errorf("flagsFirst=%v: defaults lost: %+v", flagsFirst, s)
		}
		if flagsFirst && !reflect.DeepEqual(s.FailBelow, map[string]float64{"market": 0.9, "clinic": 0.7}) {
			t.Errorf("fail-below %v: the flag's types win, the file's others are added", s.FailBelow)
		}
		if !s.ByFlag("osm") || s.ByFlag("max-snap") {
			t.Errorf("ByFlag wrong")
		}
	}
	// Without flags a later project overlays an earlier one (a batch
	// entry's keys over its project file's); rules add up.
	s := Defaults()
	s.Overlay(pf)
	s.Overlay(&data.Project{OSM: "entry.osm.pbf", FailBelow: map[string]float64{"market": 0.8}, Rules: []planner.Rule{{Type: "market", MinCoverage: 0.8}}})
	if s.OSM != "entry.osm.pbf" || s.Cell != 100 || s.FailBelow["market"] != 0.8 || s.FailBelow["clinic"] != 0.7 || len(s.Rules) != 2 {
		t.Errorf("second overlay: %+v", s)
	}
}

// TestBatchEntrySettings lays a batch entry's project file and its own
// keys, as audit --batch does.
func TestBatchEntrySettings(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "city.yaml"), []byte("osm: city.osm.pbf\nprofile: 15min\ncell: 100\nrules:\n  - {type: clinic, min: 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	batch := filepath.Join(dir, "batch.yaml")
	if err := os.WriteFile(batch, []byte("- {name: c2, project: city.yaml, osm: other.osm.pbf, rules: [{type: market, min_coverage: 0.8}]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, entries, err := data.ReadBatch(batch)
	if err != nil {
		t.Fatal(err)
	}
	s := Defaults()
	for _, p := range entries[0].Projects {
		s.Overlay(p)
	}
	if s.Name != "c2" || s.OSM != filepath.Join(dir, "other.osm.pbf") || s.Profile != "15min" || s.Cell != 100 || len(s.Rules) != 2 {
		t.Errorf("entry settings %+v: inline keys over the project file's", s)
	}
}

func TestValidate(t *testing.T) {
	osm := func(f func(*Settings)) Settings {
		s := Defaults()
		s.OSM = "x.osm.pbf"
		f(&s)
		return s
	}
	cases := []struct {
		name string
		s    Settings
		want string
	}{
		{"no network", Defaults(), "no street network"},
		{"both", osm(func(s *Settings) { s.Network = "n.geojson" }), "either --osm or --network"},
		{"sample and osm", osm(func(s *Settings) { s.Sample = true }), "--sample uses the bundled extract"},
		{"cell small", osm(func(s *Settings) { s.Cell = 5 }), "--cell must be between 10 and 10000"},
		{"cell NaN", osm(func(s *Settings) { s.Cell = zero() / zero() }), "--cell must be"},
		{"snap", osm(func(s *Settings) { s.MaxSnap = 0 }), "--max-snap, --max-distance and --floor-area must be > 0"},
		{"total", osm(func(s *Settings) { s.TotalPopulation = -1 }), "--total-population ≥ 0"},
		{"coords", osm(func(s *Settings) { s.Coords = "utm" }), "--coords"},
		{"units-osm without osm", func() Settings {
			s := Defaults()
			s.Network, s.UnitsOSM = "n.geojson", "admin_level=8"
			return s
		}(), "--units-osm takes boundaries from the OSM extract"},
		{"units-osm spec", osm(func(s *Settings) { s.UnitsOSM = "level=8" }), "--units-osm"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid) {
				t.Errorf("Validate() = %v, want an ErrInvalid containing %q", err, tc.want)
			}
		})
	}
	// A stored project needs no input paths.
	s := Defaults()
	s.Project = "p"
	if err := s.Validate(); err != nil {
		t.Errorf("stored project: %v", err)
	}
	s.Sample = true
	if err := s.Validate(); err != nil {
		t.Errorf("sample: %v", err)
	}
}

func zero() float64 { return 0 }

func TestInputFiles(t *testing.T) {
	s := Defaults()
	s.OSM, s.Amenities, s.Population = "a.osm.pbf", []string{"b.csv", "c.geojson"}, "p.geojson"
	s.Units, s.Profile = []string{"district=d.geojson", "e.geojson"}, "my.yaml"
	want := []string{"a.osm.pbf", "b.csv", "c.geojson", "p.geojson", "d.geojson", "e.geojson", "my.yaml"}
	if got := s.InputFiles(); !reflect.DeepEqual(got, want) {
		t.Errorf("InputFiles() = %v, want %v", got, want)
	}
	if d := Defaults(); len(d.InputFiles()) != 0 {
		t.Errorf("defaults name files: %v", d.InputFiles())
	}
}

func TestRulesChineseTypeNames(t *testing.T) {
	prof, err := data.LoadProfile("gb50180")
	if err != nil {
		t.Fatal(err)
	}
	s := Defaults()
	s.FailBelow = map[string]float64{"菜市场": 0.9, "托老站": 0.5}
	rules, err := Rules(prof, s)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, r := range rules {
		if r.Origin == "--fail-below" {
			got[r.Type] = r.MinCoverage
		}
	}
	if got["market"] != 0.9 || got["elderly"] != 0.5 || len(got) != 2 {
		t.Fatalf("fail-below rules by Chinese names: %v", got)
	}
	s.FailBelow = map[string]float64{"学校": 0.9}
	if _, err := Rules(prof, s); err == nil || !strings.Contains(err.Error(), `"学校" is not a type of profile gb50180`) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown Chinese type: %v", err)
	}
}

func TestProposeTypesChineseNames(t *testing.T) {
	prof, err := data.LoadProfile("gb50180")
	if err != nil {
		t.Fatal(err)
	}
	st := &Study{}
	st.In.Profile = prof
	types, err := st.ProposeTypes("托老站,菜市场:2", false, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(types) != 2 || types[0].ID != "elderly" || types[1].ID != "market" || types[1].Weight != 2 {
		t.Fatalf("propose types by Chinese names: %+v", types)
	}
}

// TestProjectFileSameAsFlags: a project file (audit -c) gives the settings
// the same values as flags give, with its paths — out too — relative to
// the project file's folder; Load being deterministic, the same audit.
func TestProjectFileSameAsFlags(t *testing.T) {
	proj := t.TempDir()
	cfg := "# Central Helsinki audit\nname: helsinki\nosm: Helsinki.osm.pbf\nprofile: 15min\ncell: 300\nout: out\n"
	path := filepath.Join(proj, "lifecircle.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	pf, err := data.ReadProject(path)
	if err != nil {
		t.Fatal(err)
	}
	fromFile := Defaults()
	fromFile.SetFlags(Settings{}, nil)
	fromFile.Overlay(pf)

	osm := filepath.Join(proj, "Helsinki.osm.pbf")
	fromFlags := Defaults()
	fromFlags.SetFlags(Settings{OSM: osm, Profile: "15min", Cell: 300}, []string{"osm", "profile", "cell"})
	if fromFile.OSM != osm || fromFile.Out != filepath.Join(proj, "out") || fromFile.Name != "helsinki" {
		t.Errorf("project file paths not relative to its folder: osm %q out %q name %q", fromFile.OSM, fromFile.Out, fromFile.Name)
	}
	if fromFile.StatusFile != filepath.Join(proj, data.StatusFileName) {
		t.Errorf("status history %q, want status.csv beside the project file", fromFile.StatusFile)
	}
	fromFile.Name, fromFile.Out, fromFile.StatusFile, fromFile.byFlag, fromFlags.byFlag = "", "", "", nil, nil
	if !reflect.DeepEqual(fromFile, fromFlags) {
		t.Errorf("settings from the project file\n%+v\nfrom flags\n%+v", fromFile, fromFlags)
	}
}

// TestMapInputs checks that MapInputs replaces every input file and keeps
// each spec's LEVEL=, #LAYER and @CRS, and built-in profile ids.
func TestMapInputs(t *testing.T) {
	s := Defaults()
	s.OSM, s.Amenities, s.Population = "a.osm.pbf", []string{"b.csv@gcj02", "c.gpkg#shops"}, "p.geojson"
	s.Units, s.Profile, s.FacilityOverrides, s.UnitPopulation = []string{"district=d.geojson", "e.shp@EPSG:4547"}, "my.yaml", "o.csv", "up.csv"
	orig := s
	s.MapInputs(func(f string) string { return "/w/" + f })
	want := Settings{OSM: "/w/a.osm.pbf", Amenities: []string{"/w/b.csv@gcj02", "/w/c.gpkg#shops"}, Population: "/w/p.geojson",
		Units: []string{"district=/w/d.geojson", "/w/e.shp@EPSG:4547"}, Profile: "/w/my.yaml", FacilityOverrides: "/w/o.csv", UnitPopulation: "/w/up.csv"}
	got := Settings{OSM: s.OSM, Amenities: s.Amenities, Population: s.Population, Units: s.Units, Profile: s.Profile, FacilityOverrides: s.FacilityOverrides, UnitPopulation: s.UnitPopulation}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MapInputs:\n got %+v\nwant %+v", got, want)
	}
	if orig.Amenities[0] != "b.csv@gcj02" || orig.Units[0] != "district=d.geojson" {
		t.Errorf("MapInputs changed the lists of a copy: %v %v", orig.Amenities, orig.Units)
	}
	d := Defaults()
	d.MapInputs(func(f string) string { t.Errorf("built-in profile %q mapped", f); return f })
}
