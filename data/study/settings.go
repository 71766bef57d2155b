package study

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
)

// Settings are every setting of a study: its inputs and its parameters.
// Defaults gives the built-in values; Overlay lays a project file over
// them and SetFlags the flags the user set, which win over any file;
// Validate checks the result once. Distances are metres, areas m².
type Settings struct {
	Name string // title of the outputs

	// Inputs.
	OSM     string // OpenStreetMap extract
	Network string // walk network as GeoJSON lines (instead of OSM)
	// Amenity layers and the population layer: each FILE[#LAYER][@CRS],
	// the suffix giving the layer's coordinate system (data.SplitInput).
	Amenities  []string
	Population string
	// UnitPopulation holds official residents per unit (a CSV
	// unit_id,population or a unit layer with a population property).
	UnitPopulation string
	// Units are unit layers, [LEVEL=]FILE[@CRS] each; none for grid cells.
	Units []string
	// UnitsOSM takes units from the extract's administrative boundaries
	// ("admin_level=8,10", data.ParseAdminLevels).
	UnitsOSM string
	Profile  string // built-in profile id or a YAML file
	Coords   string // default coordinates of layer inputs without @CRS: wgs84, gcj02, bd09
	Sample   bool   // the bundled sample stands for OSM
	// Types are off-by-default types of the profile to turn on
	// (planner.Profile.Enable).
	Types []string
	// FacilityOverrides is a CSV file of corrections to the facilities
	// (data.ReadFacilityOverrides), applied after they are read.
	FacilityOverrides string
	// StatusFile is the status history of field reports (status.csv,
	// data.ReadStatusReports) applied to the facilities; "" or a missing
	// file: none. A database Source keeps the history in the database.
	StatusFile string

	// AsOf is the moment the audit counts facilities at
	// (planner.ParseAsOf): YYYY-MM-DD, "planned", or "" for today.
	AsOf string
	// Timeline "FROM..TO" (years) adds an audit as of each 31 December
	// (timeline.csv and a chart in the report); "" = none.
	Timeline string

	// Parameters.
	Cell            float64 // grid cell size
	MaxSnap         float64 // longest straight access leg to the network
	MaxDistance     float64 // search bound
	FloorArea       float64 // residential floor area per person
	TotalPopulation float64 // census total to rescale to; 0 = no rescaling

	// Checks: provision rules besides the profile's, and the least
	// district-wide coverage share per type (--fail-below).
	Rules     []planner.Rule
	FailBelow map[string]float64

	Out string // output folder
	// Phases is the project file's phase plan for propose ("2026:3,…").
	Phases string

	// NoDemand leaves demand to the caller (propose --demand): Load
	// neither reads the population layer nor estimates residents.
	NoDemand bool
	// Project is the stored project whose inputs a database Source reads
	// (set by DBSource); the input paths above are then unused.
	Project string

	// Shard asks Run for a sharded audit (--shards, --shard-nodes): a way
	// to run, not a setting of the study, so neither stored nor overlaid.
	Shard ShardOptions

	byFlag map[string]bool // settings the user gave as flags
}

// Defaults returns the built-in settings.
func Defaults() Settings {
	return Settings{
		Profile:     planner.DefaultProfile,
		Coords:      "wgs84",
		Cell:        planner.DefaultCellSize,
		MaxSnap:     geo.DefaultMaxSnap,
		MaxDistance: planner.DefaultAuditMaxDistance,
		FloorArea:   planner.DefaultFloorAreaPerPerson,
	}
}

// FlagNames are the names of the flags that set Settings, as SetFlags
// takes them.
var FlagNames = []string{"osm", "network", "amenities", "population", "unit-population", "units", "units-osm", "profile", "coords", "sample", "types", "facility-overrides",
	"status", "as-of", "timeline", "cell", "max-snap", "max-distance", "floor-area", "total-population", "fail-below", "out"}

// SetFlags copies from f the settings whose flag names (FlagNames) the
// user set; project files overlaid before or after do not change them.
// Other names are ignored. For fail-below, the types given by flag win
// and a project's other types are added.
func (s *Settings) SetFlags(f Settings, names []string) {
	if s.byFlag == nil {
		s.byFlag = map[string]bool{}
	}
	for _, n := range names {
		s.byFlag[n] = true
		switch n {
		case "osm":
			s.OSM = f.OSM
		case "network":
			s.Network = f.Network
		case "amenities":
			s.Amenities = f.Amenities
		case "population":
			s.Population = f.Population
		case "unit-population":
			s.UnitPopulation = f.UnitPopulation
		case "units":
			s.Units = f.Units
		case "units-osm":
			s.UnitsOSM = f.UnitsOSM
		case "profile":
			s.Profile = f.Profile
		case "coords":
			s.Coords = f.Coords
		case "sample":
			s.Sample = f.Sample
		case "types":
			s.Types = f.Types
		case "facility-overrides":
			s.FacilityOverrides = f.FacilityOverrides
		case "status":
			s.StatusFile = f.StatusFile
		case "as-of":
			s.AsOf = f.AsOf
		case "timeline":
			s.Timeline = f.Timeline
		case "out":
			s.Out = f.Out
		case "fail-below":
			s.FailBelow = map[string]float64{}
			for k, v := range f.FailBelow {
				s.FailBelow[k] = v
			}
		default:
			if dst, src := s.number(n), f.number(n); dst != nil {
				*dst = *src
			}
		}
	}
}

// number returns the parameter of flag name n, nil for another name.
func (s *Settings) number(n string) *float64 {
	switch n {
	case "cell":
		return &s.Cell
	case "max-snap":
		return &s.MaxSnap
	case "max-distance":
		return &s.MaxDistance
	case "floor-area":
		return &s.FloorArea
	case "total-population":
		return &s.TotalPopulation
	}
	return nil
}

// ByFlag reports whether the user set the setting of flag name n.
func (s *Settings) ByFlag(n string) bool { return s.byFlag[n] }

// Overlay lays the keys given in a project file (or a batch entry, or a
// stored project's parameters) over s: every non-empty value replaces s's
// unless the user set it by flag; rules are added; fail_below adds types
// and replaces a type's share unless fail-below was given by flag.
func (s *Settings) Overlay(p *data.Project) {
	str := func(flagName string, dst *string, v string) {
		if v != "" && !s.byFlag[flagName] {
			*dst = v
		}
	}
	num := func(flagName string, v float64) {
		if v != 0 && !s.byFlag[flagName] {
			*s.number(flagName) = v
		}
	}
	str("", &s.Name, p.Name)
	str("osm", &s.OSM, p.OSM)
	str("network", &s.Network, p.Network)
	str("population", &s.Population, string(p.Population))
	str("unit-population", &s.UnitPopulation, p.UnitPopulation)
	str("units-osm", &s.UnitsOSM, p.UnitsOSM)
	str("profile", &s.Profile, p.Profile)
	str("coords", &s.Coords, p.Coords)
	str("out", &s.Out, p.Out)
	str("facility-overrides", &s.FacilityOverrides, p.FacilityOverrides)
	str("status", &s.StatusFile, p.Status)
	str("phases", &s.Phases, p.Phases)
	if len(p.Types) > 0 && !s.byFlag["types"] {
		s.Types = append([]string(nil), p.Types...)
	}
	num("cell", p.Cell)
	num("max-snap", p.MaxSnap)
	num("max-distance", p.MaxDistance)
	num("floor-area", p.FloorArea)
	num("total-population", p.TotalPopulation)
	if len(p.Amenities) > 0 && !s.byFlag["amenities"] {
		s.Amenities = append([]string(nil), p.Amenities...)
	}
	if len(p.Units) > 0 && !s.byFlag["units"] {
		s.Units = append([]string(nil), p.Units...)
	}
	if p.Sample && !s.byFlag["sample"] {
		s.Sample = true
	}
	s.Rules = append(s.Rules, p.Rules...)
	for t, v := range p.FailBelow {
		if _, given := s.FailBelow[t]; given && s.byFlag["fail-below"] {
			continue
		}
		if s.FailBelow == nil {
			s.FailBelow = map[string]float64{}
		}
		s.FailBelow[t] = v
	}
}

// ErrInvalid is wrapped by every error that says the settings are wrong
// (cmd exits with code 2 for them).
var ErrInvalid = errors.New("invalid settings")

type invalidError struct{ msg string }

func (e invalidError) Error() string { return e.msg }
func (e invalidError) Unwrap() error { return ErrInvalid }

// Invalidf returns an error wrapping ErrInvalid with the given message.
func Invalidf(format string, a ...any) error { return invalidError{fmt.Sprintf(format, a...)} }

// Validate checks the settings; its errors wrap ErrInvalid and name the
// flag to fix. The profile is checked when Load reads it.
func (s *Settings) Validate() error {
	if s.Project == "" {
		if err := s.validateInputs(); err != nil {
			return err
		}
	}
	if s.Phases != "" {
		if _, err := planner.ParsePhases(s.Phases); err != nil {
			return Invalidf("project file, phases: %v", strings.TrimPrefix(err.Error(), planner.ErrInvalid.Error()+": "))
		}
	}
	if !(s.Cell >= 10 && s.Cell <= 10000) {
		return Invalidf("--cell must be between 10 and 10000 metres, not %v", s.Cell)
	}
	if !(s.MaxSnap > 0) || !(s.MaxDistance > 0) || !(s.FloorArea > 0) || !(s.TotalPopulation >= 0) {
		return Invalidf("--max-snap, --max-distance and --floor-area must be > 0 and --total-population ≥ 0")
	}
	if !(s.FloorArea >= MinFloorArea && s.FloorArea <= MaxFloorArea) {
		return Invalidf("--floor-area %v m² per person is not plausible: give the residential floor area per person between %v and %v m² (about 30–45 in Chinese cities)", s.FloorArea, MinFloorArea, MaxFloorArea)
	}
	if s.TotalPopulation > planner.MaxTotalPopulation || math.IsInf(s.TotalPopulation, 0) {
		return Invalidf("--total-population %v is more than %v residents — give the census total of the study area", s.TotalPopulation, planner.MaxTotalPopulation)
	}
	if err := s.validateUnitPopulation(); err != nil {
		return err
	}
	if s.Project != "" && s.StatusFile != "" {
		return Invalidf("--status: project %s keeps its field reports in the database — add them with lifecircle status import FILE --db URL --project %s", s.Project, s.Project)
	}
	if _, err := s.ParsedAsOf(time.Now()); err != nil {
		return err
	}
	if _, _, err := ParseTimeline(s.Timeline); err != nil {
		return err
	}
	if _, err := data.ParseCoordSystem(s.Coords); err != nil {
		return Invalidf("--coords: %v", err)
	}
	if s.Project == "" && s.UnitsOSM != "" {
		if s.OSM == "" && !s.Sample {
			return Invalidf("--units-osm takes boundaries from the OSM extract: give --osm (or --sample), or --units with your own polygons")
		}
		if _, err := data.ParseAdminLevels(s.UnitsOSM); err != nil {
			return Invalidf("--units-osm %v", err)
		}
	}
	return nil
}

func (s *Settings) validateInputs() error {
	switch {
	case s.Sample && (s.OSM != "" || s.Network != ""):
		return Invalidf("--sample uses the bundled extract; do not give --osm or --network with it")
	case !s.Sample && s.OSM == "" && s.Network == "":
		return Invalidf("no street network: give --osm FILE.osm.pbf, --network LINES.geojson, -c lifecircle.yaml, or --sample to try the bundled sample")
	case s.OSM != "" && s.Network != "":
		return Invalidf("give either --osm or --network, not both")
	}
	return nil
}

// InputFiles returns the files the settings name, in the order Load
// reads them: the OSM extract or network, the amenity layers, the
// population layer, the unit layers and a profile file. The bundled
// sample is not named.
func (s *Settings) InputFiles() []string {
	var files []string
	add := func(p string) {
		if p != "" {
			files = append(files, data.InputPath(p))
		}
	}
	add(s.OSM)
	add(s.Network)
	for _, a := range s.Amenities {
		add(a)
	}
	add(s.Population)
	add(s.UnitPopulation)
	for _, u := range s.Units {
		_, path := splitUnitSpec(u)
		add(path)
	}
	if strings.HasSuffix(s.Profile, ".yaml") || strings.HasSuffix(s.Profile, ".yml") {
		add(s.Profile)
	}
	add(s.FacilityOverrides)
	return files
}

// splitUnitSpec splits a unit layer "[LEVEL=]path" into its level ("" when
// none) and its path.
func splitUnitSpec(spec string) (level, path string) {
	if l, f, ok := strings.Cut(spec, "="); ok && !strings.ContainsAny(l, `/\`) {
		return strings.TrimSpace(l), f
	}
	return "", spec
}

// The plausible residential floor area per person, m² (--floor-area).
const (
	MinFloorArea = 1.0
	MaxFloorArea = 1000.0
)

// warnNodeIDs warns of node ids an OSM extract should not hold: negative
// ids (objects never uploaded, as JOSM saves them) and ids given twice.
func warnNodeIDs(p Progress, path string, info data.NetworkInfo) {
	if info.NegativeNodeIDs > 0 {
		p.Warn("%s: %d nodes have negative ids (objects not uploaded to OpenStreetMap, as JOSM saves them): they are used as they are — check that the file is the extract you mean", path, info.NegativeNodeIDs)
	}
	if info.DuplicateNodeIDs > 0 {
		p.Warn("%s: %d nodes appear more than once with the same id; the last position of each is used — the file was merged or edited badly: re-export it (osmium sort and osmium merge fix this)", path, info.DuplicateNodeIDs)
	}
}

// MapInputs replaces the file of every input the settings name (the
// extract or network, layers, unit-population table, profile file and
// facility overrides) by f(file), keeping each spec's LEVEL=, #LAYER and
// @CRS parts. A distributed batch (data/dist) uses it to read on a worker
// the copies of the coordinator's files. Built-in profile ids are left.
func (s *Settings) MapInputs(f func(file string) string) {
	spec := func(v string) string {
		if v == "" {
			return v
		}
		file := data.InputPath(v)
		if !strings.HasPrefix(v, file) {
			return v
		}
		return f(file) + v[len(file):]
	}
	s.OSM, s.Network = spec(s.OSM), spec(s.Network)
	s.Population, s.UnitPopulation = spec(s.Population), spec(s.UnitPopulation)
	s.FacilityOverrides = spec(s.FacilityOverrides)
	if s.Profile != "" && !slices.Contains(planner.BuiltinProfiles(), s.Profile) {
		s.Profile = f(s.Profile)
	}
	s.Amenities = slices.Clone(s.Amenities)
	for i, a := range s.Amenities {
		s.Amenities[i] = spec(a)
	}
	s.Units = slices.Clone(s.Units)
	for i, u := range s.Units {
		if level, path := splitUnitSpec(u); level != "" {
			s.Units[i] = u[:len(u)-len(path)] + spec(path)
		} else {
			s.Units[i] = spec(u)
		}
	}
}
