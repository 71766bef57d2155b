package data

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/lifecircle/lifecircle/data/infile"
	"io"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	"github.com/lifecircle/lifecircle/planner"
	"go.yaml.in/yaml/v3"
)

// A Project is a planner's saved set of inputs and parameters
// (lifecircle.yaml), so an audit re-runs with `lifecircle audit -c
// lifecircle.yaml`. Paths are relative to the project file's folder.
type Project struct {
	Name    string `yaml:"name,omitempty"`
	OSM     string `yaml:"osm,omitempty"`
	Network string `yaml:"network,omitempty"`
	// Amenities, Population and Units each name a file, or a mapping
	// {path: FILE, coords: CRS} (and level: for units), see paths.go.
	Amenities  Paths `yaml:"amenities,omitempty"`
	Population Path  `yaml:"population,omitempty"`
	// UnitPopulation holds official residents per unit: a CSV
	// unit_id,population or a unit layer with a population property.
	UnitPopulation string `yaml:"unit_population,omitempty"`
	// Units are unit layers (one path or a list), coarsest first or in
	// any order (levels are then ordered by unit size); "LEVEL=path"
	// names the level of a file whose features carry none.
	Units Paths `yaml:"units,omitempty"`
	// UnitsOSM takes units from the OSM extract's administrative
	// boundaries: "admin_level=8,10" (see ParseAdminLevels).
	UnitsOSM        string  `yaml:"units_osm,omitempty"`
	Profile         string  `yaml:"profile,omitempty"`
	Cell            float64 `yaml:"cell,omitempty"`
	Coords          string  `yaml:"coords,omitempty"`
	MaxSnap         float64 `yaml:"max_snap,omitempty"`
	MaxDistance     float64 `yaml:"max_distance,omitempty"`
	FloorArea       float64 `yaml:"floor_area,omitempty"`
	TotalPopulation float64 `yaml:"total_population,omitempty"`
	Sample          bool    `yaml:"sample,omitempty"`
	// Types turns on off-by-default types of the profile (hospital, ...).
	Types []string `yaml:"types,omitempty"`
	// FacilityOverrides is a CSV file of corrections to the facilities
	// counted (exclude, include, retype; see ReadFacilityOverrides).
	FacilityOverrides string `yaml:"facility_overrides,omitempty"`
	// Status is the status history of field reports (lifecircle status
	// import), applied by every audit; ReadProject defaults it to
	// status.csv beside the project file (missing: no reports).
	Status string `yaml:"status,omitempty"`
	Out    string `yaml:"out,omitempty"`
	// Rules are provision rules checked by the audit (planner.Rule), in
	// addition to the profile's.
	Rules []planner.Rule `yaml:"rules,omitempty"`
	// FailBelow maps a type id to the least district-wide coverage share
	// (0..1) the audit accepts; below it the audit exits with code 3.
	FailBelow map[string]float64 `yaml:"fail_below,omitempty"`
	// Phases is propose's phase plan when it is given neither --k,
	// --target nor --phases: "2026:3,2027:5" (planner.ParsePhases).
	Phases string `yaml:"phases,omitempty"`
}

// knownProjectKeys lists the keys of a project file, for messages.
const knownProjectKeys = "name, osm, network, amenities, population, unit_population, units, units_osm, profile, cell, coords, max_snap, max_distance, floor_area, total_population, sample, types, facility_overrides, status, out, rules, fail_below, phases"

// ReadProject reads a project file; errors carry the line number.
func ReadProject(path string) (*Project, error) {
	b, err := infile.ReadFile(path, "a project file (lifecircle.yaml)")
	if err != nil {
		return nil, projectReadError(path, err)
	}
	p, err := ParseProject(path, b)
	if err != nil {
		return nil, err
	}
	p.resolve(filepath.Dir(path))
	if p.Status == "" {
		p.Status = filepath.Join(filepath.Dir(path), StatusFileName)
	}
	return p, nil
}

// projectReadError says what to do when a project file cannot be read.
func projectReadError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: project file not found — check the path", path)
	case errors.Is(err, syscall.EISDIR):
		return fmt.Errorf("%s: is a directory — give the path of the project file (lifecircle.yaml) inside it", path)
	case errors.Is(err, syscall.ENAMETOOLONG):
		return fmt.Errorf("%s: file name too long (%d characters) — check the path", path, len(path))
	}
	return fmt.Errorf("project: %w", err)
}

// ParseProject parses project YAML; name is used in messages.
func ParseProject(name string, b []byte) (*Project, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("%s: the project file is empty — add keys such as osm: and out: (see `lifecircle audit -h` for the keys it can hold)", name)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var p Project
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		// "field x not found in type planner.Rule" inside rules:
		err = errors.New(strings.Replace(err.Error(), " in type planner.Rule", " in a rule (known: level, type, min, per_population, min_coverage, note)", 1))
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.Replace(msg, "unmarshal errors:\n  ", "", 1)
		if strings.HasPrefix(msg, "line ") {
			// "line 3: field foo not found in type data.Project"
			msg = strings.Replace(msg, " in type data.Project", "", 1)
			if i := strings.Index(msg, ": "); i > 0 {
				fix := "fix the value on that line"
				if strings.Contains(msg, " not found") {
					fix = "remove the key or fix its spelling"
				}
				return nil, fmt.Errorf("%s:%s: %s — %s (known keys: %s)",
					name, strings.TrimPrefix(msg[:i], "line "), msg[i+2:], fix, knownProjectKeys)
			}
		}
		return nil, fmt.Errorf("%s: %s — check that this is a project file (YAML text in UTF-8; see lifecircle audit -h)", name, msg)
	}
	if err := p.check(name); err != nil {
		return nil, err
	}
	return &p, nil
}

// check validates the rules and thresholds on their own (types and levels
// are checked against the profile and units when the audit runs).
func (p *Project) check(name string) error {
	for i := range p.Rules {
		p.Rules[i].Origin = filepath.Base(name)
		if err := p.Rules[i].Check(); err != nil {
			return fmt.Errorf("%s: rules: item %d: %v", name, i+1, err)
		}
	}
	for t, v := range p.FailBelow {
		if !(v > 0 && v <= 1) {
			return fmt.Errorf("%s: fail_below: %s: %v is not a share in (0, 1] — write 0.9 for 90 %%", name, t, v)
		}
	}
	return nil
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
	p.Population = Path(abs(string(p.Population)))
	p.UnitPopulation = abs(p.UnitPopulation)
	for i, u := range p.Units {
		if level, path, ok := strings.Cut(u, "="); ok && !strings.ContainsAny(level, `/\`) {
			p.Units[i] = level + "=" + abs(path)
		} else {
			p.Units[i] = abs(u)
		}
	}
	p.Out = abs(p.Out)
	p.FacilityOverrides = abs(p.FacilityOverrides)
	p.Status = abs(p.Status)
	for i := range p.Amenities {
		p.Amenities[i] = abs(p.Amenities[i])
	}
	if p.Profile != "" && (strings.HasSuffix(p.Profile, ".yaml") || strings.HasSuffix(p.Profile, ".yml")) {
		p.Profile = abs(p.Profile)
	}
}

// A BatchEntry is one audit of a batch file: its name, which is also its
// output folder's name, and its settings: the entry's project file, if it
// names one, then the entry's own keys, to lay in that order over the
// defaults (study.Settings.Overlay).
type BatchEntry struct {
	Name     string
	Projects []*Project
	// Err is set when the entry's project file could not be read; the
	// batch goes on with the other entries.
	Err error
}

// batchItem is one entry as written: project names a project file; the
// other keys are those of a project file.
type batchItem struct {
	File    string `yaml:"project,omitempty"`
	Project `yaml:",inline"`
}

type batchFile struct {
	Out     string      `yaml:"out,omitempty"`
	Entries []yaml.Node `yaml:"entries"`
}

var batchNameRe = regexp.MustCompile(`^[\p{L}\p{N}_.-]+$`)

// ReadBatch reads a batch file (lifecircle audit --batch): either a list of
// entries or a mapping with out (the output folder) and entries. Each entry
// has a name and either project (a project file's path) or the keys of a
// project file inline, or both (inline keys override the file's). Paths are
// relative to the file that holds them. A malformed batch file is an error;
// an entry whose project file cannot be read is returned with Err set.
func ReadBatch(path string) (out string, entries []BatchEntry, err error) {
	b, err := infile.ReadFile(path, "a batch file (.yaml)")
	if err != nil {
		return "", nil, fmt.Errorf("batch: %w", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return "", nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(root.Content) == 0 {
		return "", nil, fmt.Errorf("%s: the batch file is empty — list entries, each with a name and a project file or project keys", path)
	}
	doc := root.Content[0]
	var items []yaml.Node
	switch doc.Kind {
	case yaml.SequenceNode:
		for _, n := range doc.Content {
			items = append(items, *n)
		}
	case yaml.MappingNode:
		var bf batchFile
		if err := doc.Decode(&bf); err != nil {
			return "", nil, fmt.Errorf("%s: %s (a batch file has out: and entries:)", path, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		out, items = bf.Out, bf.Entries
	default:
		return "", nil, fmt.Errorf("%s: a batch file is a list of entries, or a mapping with out: and entries:", path)
	}
	if len(items) == 0 {
		return "", nil, fmt.Errorf("%s: no entries", path)
	}
	dir := filepath.Dir(path)
	if out != "" && !filepath.IsAbs(out) {
		out = filepath.Join(dir, out)
	}
	seen := map[string]int{}
	for i := range items {
		n := &items[i]
		var it batchItem
		if err := decodeStrict(n, &it); err != nil {
			return "", nil, fmt.Errorf("%s:%d: entry %d: %s (known keys: project, %s)", path, n.Line, i+1, err, knownProjectKeys)
		}
		if err := it.Project.check(path); err != nil {
			return "", nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		it.Project.resolve(dir)
		e := BatchEntry{Name: it.Name}
		if it.File != "" {
			file := it.File
			if !filepath.IsAbs(file) {
				file = filepath.Join(dir, file)
			}
			if e.Name == "" {
				e.Name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
			}
			pf, err := ReadProject(file)
			if err != nil {
				e.Err = err
			} else {
				e.Projects = []*Project{pf}
			}
		}
		if e.Err == nil {
			p := it.Project
			e.Projects = append(e.Projects, &p)
		}
		if e.Name == "" {
			e.Name = fmt.Sprintf("entry%d", i+1)
		}
		if !batchNameRe.MatchString(e.Name) || e.Name == "." || e.Name == ".." {
			return "", nil, fmt.Errorf("%s:%d: entry %d: name %q must be letters, digits, _ . or - (it names the entry's output folder)", path, n.Line, i+1, e.Name)
		}
		if j, dup := seen[e.Name]; dup {
			return "", nil, fmt.Errorf("%s:%d: entry %d has the same name %q as entry %d — names must be unique (each names an output folder)", path, n.Line, i+1, e.Name, j+1)
		}
		seen[e.Name] = i
		if len(e.Projects) > 0 {
			e.Projects[len(e.Projects)-1].Name = e.Name
		}
		entries = append(entries, e)
	}
	return out, entries, nil
}

// decodeStrict decodes n into v, rejecting unknown keys.
func decodeStrict(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.Replace(msg, "unmarshal errors:\n  ", "", 1)
		msg = strings.Replace(msg, " in type data.batchItem", "", 1)
		if i := strings.Index(msg, ": "); strings.HasPrefix(msg, "line ") && i > 0 {
			msg = msg[i+2:]
		}
		return errors.New(msg)
	}
	return nil
}
