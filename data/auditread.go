package data

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/lifecircle/lifecircle/data/infile"
	"io/fs"
	"math"
	"path/filepath"

	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// An AuditRun is an audit output folder read back by ReadAudit: its
// summary, unit layers and facilities as typed values.
type AuditRun struct {
	Dir     string
	Summary Summary
	// UnitsFile is the per-unit layer (cells.geojson or units.geojson),
	// Units its features.
	UnitsFile string
	Units     []UnitFeature
	// Levels are the layers units_<level>.geojson, coarsest first, when
	// the audit had several levels (nil otherwise).
	Levels     []UnitLayer
	Facilities []FacilityFeature
}

// A UnitLayer is the units of one level.
type UnitLayer struct {
	Level string
	File  string
	Units []UnitFeature
}

// A UnitFeature is one unit with its figures.
type UnitFeature struct {
	UnitProperties
	Geometry orb.Geometry
}

// A FacilityFeature is one facility of facilities.geojson.
type FacilityFeature struct {
	FacilityProperties
	Geometry orb.Geometry
}

// ReadAudit reads the audit output folder dir written by WriteAudit:
// summary.json, the unit layers and facilities.geojson. Numbers written
// as null are read as NaN.
func ReadAudit(dir string) (*AuditRun, error) {
	path := filepath.Join(dir, "summary.json")
	b, err := infile.ReadFile(path, "an audit's summary.json")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s is not an audit output folder (no summary.json) — give folders written by lifecircle audit --out", dir)
		}
		return nil, err
	}
	r := &AuditRun{Dir: dir}
	if err := json.Unmarshal(b, &r.Summary); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	types := make([]string, len(r.Summary.Types))
	for i, t := range r.Summary.Types {
		types[i] = t.ID
	}
	r.UnitsFile = "cells.geojson"
	if r.Summary.Units.Kind == UnitsImported {
		r.UnitsFile = "units.geojson"
	}
	if r.Units, err = readUnitLayer(filepath.Join(dir, r.UnitsFile), types, false); err != nil {
		return nil, err
	}
	if len(r.Summary.Levels) > 1 {
		for _, l := range r.Summary.Levels {
			units, err := readUnitLayer(filepath.Join(dir, l.File), types, true)
			if err != nil {
				return nil, err
			}
			r.Levels = append(r.Levels, UnitLayer{Level: l.Name, File: l.File, Units: units})
		}
	}
	fc, err := ReadOutputLayer(filepath.Join(dir, "facilities.geojson"))
	if err != nil {
		return nil, err
	}
	for _, f := range fc.Features {
		p := FacilityProperties{}
		var names planner.Names
		var hasZh, hasEn bool
		for k, v := range f.Properties {
			s, _ := v.(string)
			switch k {
			case "id":
				p.ID = s
			case "type":
				p.Type = s
			case "type_zh":
				names.Zh, hasZh = s, true
			case "type_en":
				names.En, hasEn = s, true
			case "name":
				p.Name = s
			case "source":
				p.Source = s
			case "rule":
				p.Rule = s
			case "capacity":
				p.Capacity, _ = v.(float64)
			case "status":
				p.Status = s
			case "opens":
				p.Opens = s
			case "closes":
				p.Closes = s
			case "tags":
				if m, ok := v.(map[string]any); ok {
					p.Tags = make(map[string]string, len(m))
					for tk, tv := range m {
						p.Tags[tk], _ = tv.(string)
					}
				}
			}
		}
		if hasZh || hasEn {
			p.TypeNames = &names
		}
		r.Facilities = append(r.Facilities, FacilityFeature{FacilityProperties: p, Geometry: f.Geometry})
	}
	return r, nil
}

// ReadOutputLayer reads a GeoJSON layer of an output folder, with a
// message naming the file when it is missing or broken.
func ReadOutputLayer(path string) (*geojson.FeatureCollection, error) {
	b, err := infile.ReadFile(path, "a GeoJSON layer of an audit output")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: not found — the folder is not a complete audit output", path)
		}
		return nil, err
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return fc, nil
}

// readUnitLayer reads a unit layer whose features carry the figures of
// the amenity types types.
func readUnitLayer(path string, types []string, levelLayer bool) ([]UnitFeature, error) {
	fc, err := ReadOutputLayer(path)
	if err != nil {
		return nil, err
	}
	units := make([]UnitFeature, 0, len(fc.Features))
	for i, f := range fc.Features {
		p, err := ParseUnitProperties(f.Properties, types, levelLayer)
		if err != nil {
			return nil, fmt.Errorf("%s: feature %d %w", path, i, err)
		}
		units = append(units, UnitFeature{UnitProperties: p, Geometry: f.Geometry})
	}
	return units, nil
}

// ParseUnitProperties reads the properties of a unit feature (as decoded
// from JSON) carrying the figures of the amenity types types; a number
// that is null or missing is NaN.
func ParseUnitProperties(props map[string]any, types []string, levelLayer bool) (UnitProperties, error) {
	str := func(k string) string { s, _ := props[k].(string); return s }
	num := func(k string) Num {
		if x, ok := props[k].(float64); ok {
			return Num(x)
		}
		return Num(math.NaN())
	}
	p := UnitProperties{UnitID: str("unit_id"), Name: str("name"), Parent: str("parent"), Level: str("level"), LevelLayer: levelLayer}
	if p.UnitID == "" {
		return p, errors.New("has no unit_id — is this an audit output?")
	}
	p.Population = num("population")
	p.Types = make([]UnitTypeFigures, len(types))
	for ti, id := range types {
		t := UnitTypeFigures{ID: id, Covered: num("covered_" + id), Coverage: num("coverage_" + id), Gap: num("gap_" + id),
			Unreachable: num("unreachable_" + id), DistMean: num("dist_" + id + "_mean"), DistP90: num("dist_" + id + "_p90")}
		if levelLayer {
			if n := num("facilities_" + id); n.Valid() {
				t.Facilities = int(n)
			}
		}
		if _, ok := props["over_capacity_"+id]; ok {
			oc := num("over_capacity_" + id)
			t.OverCapacity = &oc
		}
		p.Types[ti] = t
	}
	p.Completeness, p.FullyServed = num("completeness"), num("fully_served")
	return p, nil
}
