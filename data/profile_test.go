package data

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/planner"
)

const miniProfile = `id: mini
types:
  - id: clinic
    names: {en: Clinic}
    tier: 15
    threshold: 1000
    source: test
    selectors: [amenity=clinic]
`

func TestLoadProfile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "mine.yaml")
	if err := os.WriteFile(good, []byte(miniProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(strings.Replace(miniProfile, "1000", "-1", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.yaml")
	if err := os.WriteFile(huge, make([]byte, planner.MaxProfileBytes+10), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := LoadProfile(good)
	if err != nil || p.ID != "mini" || len(p.Types) != 1 {
		t.Fatalf("LoadProfile(%s) = %+v, %v", good, p, err)
	}
	for _, id := range append(planner.BuiltinProfiles(), "") {
		p, err := LoadProfile(id)
		if err != nil || len(p.Types) == 0 || (id != "" && p.ID != id) || (id == "" && p.ID != planner.DefaultProfile) {
			t.Errorf("LoadProfile(%q) = %+v, %v", id, p, err)
		}
	}
	_, err = LoadProfile(bad)
	if !errors.Is(err, planner.ErrInvalid) || !strings.Contains(err.Error(), bad+":6: type \"clinic\": threshold must be > 0 metres") {
		t.Errorf("bad file: %v", err)
	}
	_, err = LoadProfile(huge)
	if !errors.Is(err, planner.ErrInvalid) || !strings.Contains(err.Error(), huge+": file is") {
		t.Errorf("huge file: %v", err)
	}
	_, err = LoadProfile("gb5018")
	if !errors.Is(err, planner.ErrNotFound) || !strings.Contains(err.Error(), strings.Join(planner.BuiltinProfiles(), ", ")) {
		t.Errorf("unknown name: %v", err)
	}
	_, err = LoadProfile(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, planner.ErrNotFound) {
		t.Errorf("missing file: %v", err)
	}
	_, err = LoadProfile(dir)
	if err == nil || errors.Is(err, planner.ErrNotFound) || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	_, err = LoadProfile(strings.Repeat("x", 5000))
	if err == nil || !strings.Contains(err.Error(), "file name too long") {
		t.Errorf("long name: %v", err)
	}
}

func TestAmenityLayerRule(t *testing.T) {
	path := filepath.Join(t.TempDir(), "amenities.geojson")
	text := `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"A","type":"Clinic"},"geometry":{"type":"Point","coordinates":[24.94,60.17]}},
{"type":"Feature","properties":{"name":"B","类型":"clinic"},"geometry":{"type":"Point","coordinates":[24.95,60.17]}}]}`
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	prof, err := planner.ParseProfile("mini.yaml", []byte(miniProfile))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := ReadAmenityLayer(path, prof, WGS84)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || fs[0].Rule != "type=Clinic" || fs[1].Rule != "类型=clinic" || fs[0].Tags != nil {
		t.Errorf("facilities %+v", fs)
	}
}
