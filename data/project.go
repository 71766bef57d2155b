package data

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A Project is a planner's saved set of inputs and parameters
// (lifecircle.yaml), so an audit re-runs with `lifecircle audit -c
// lifecircle.yaml`. Paths are relative to the project file's folder.
type Project struct {
	Name            string   `yaml:"name,omitempty"`
	OSM             string   `yaml:"osm,omitempty"`
	Network         string   `yaml:"network,omitempty"`
	Amenities       []string `yaml:"amenities,omitempty"`
	Population      string   `yaml:"population,omitempty"`
	Units           string   `yaml:"units,omitempty"`
	Profile         string   `yaml:"profile,omitempty"`
	Cell            float64  `yaml:"cell,omitempty"`
	Coords          string   `yaml:"coords,omitempty"`
	MaxSnap         float64  `yaml:"max_snap,omitempty"`
	MaxDistance     float64  `yaml:"max_distance,omitempty"`
	FloorArea       float64  `yaml:"floor_area,omitempty"`
	TotalPopulation float64  `yaml:"total_population,omitempty"`
	Sample          bool     `yaml:"sample,omitempty"`
	Out             string   `yaml:"out,omitempty"`
}

// ReadProject reads a project file; errors carry the line number.
func ReadProject(path string) (*Project, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("project: %w", err)
	}
	p, err := ParseProject(path, b)
	if err != nil {
		return nil, err
	}
	p.resolve(filepath.Dir(path))
	return p, nil
}

// ParseProject parses project YAML; name is used in messages.
func ParseProject(name string, b []byte) (*Project, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("%s: the project file is empty — see `lifecircle audit -h` for the keys it can hold", name)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var p Project
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.Replace(msg, "unmarshal errors:\n  ", "", 1)
		if strings.HasPrefix(msg, "line ") {
			// "line 3: field foo not found in type data.Project"
			msg = strings.Replace(msg, " in type data.Project", "", 1)
			if i := strings.Index(msg, ": "); i > 0 {
				return nil, fmt.Errorf("%s:%s: %s (known keys: osm, network, amenities, population, units, profile, cell, coords, max_snap, max_distance, floor_area, total_population, sample, out)",
					name, strings.TrimPrefix(msg[:i], "line "), msg[i+2:])
			}
		}
		return nil, fmt.Errorf("%s: %s", name, msg)
	}
	return &p, nil
}

// resolve makes relative paths relative to dir.
func (p *Project) resolve(dir string) {
	abs := func(s string) string {
		if s == "" || filepath.IsAbs(s) {
			return s
		}
		return filepath.Join(dir, s)
	}
	p.OSM = abs(p.OSM)
	p.Network = abs(p.Network)
	p.Population = abs(p.Population)
	p.Units = abs(p.Units)
	p.Out = abs(p.Out)
	for i := range p.Amenities {
		p.Amenities[i] = abs(p.Amenities[i])
	}
	if p.Profile != "" && (strings.HasSuffix(p.Profile, ".yaml") || strings.HasSuffix(p.Profile, ".yml")) {
		p.Profile = abs(p.Profile)
	}
}
