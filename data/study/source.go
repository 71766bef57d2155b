package study

import (
	"context"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/osm"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// A Source yields a study's inputs: files (FileSource) or a project stored
// in PostgreSQL/PostGIS (DBSource). Load calls Resolve, validates the
// settings, then calls Read.
type Source interface {
	// Resolve lays what the source stores (a stored project's parameters)
	// over s, under the flags the user set; files store nothing.
	Resolve(ctx context.Context, s *Settings, p Progress) error
	// Read returns the inputs as read, before any estimate.
	Read(ctx context.Context, s Settings, p Progress) (*Inputs, error)
}

// Inputs are a study's inputs as a Source reads them, in input order,
// before any estimate: what the database stores at import, so that every
// audit from it computes what a file-based audit computes.
type Inputs struct {
	Profile *planner.Profile
	Coords  data.CoordSystem
	Net     *geo.Network
	NetInfo data.NetworkInfo
	// Facilities from the OSM extract (by the profile's tags), then from
	// the amenity layers, in file order.
	Facilities       []planner.Facility
	Buildings        []planner.Building
	ResidentialAreas []orb.Geometry
	// Population is the population layer's features; PopulationSource
	// names the layer, "" when there is none.
	Population       []planner.PopFeature
	PopulationSource string
	// Units are the analysis units of every level (unit layers, then the
	// extract's administrative units), each with its level; none for grid
	// cells. UnitsSource describes them for the outputs.
	Units       []planner.Unit
	UnitsSource string
	// Sources are the inputs as named in summary.json's "inputs".
	Sources map[string]any
	// Warnings are the readers' warnings, kept in the outputs;
	// WarningDetails those of them with a code and both languages.
	Warnings       []string
	WarningDetails []planner.Warning
	// Timings of the reads, for summary.json.
	Timings map[string]time.Duration

	// OSMWays or Lines are the walk network's input polylines, read only
	// for an import (FileSource.Ways).
	OSMWays []osm.Way
	Lines   []orb.LineString

	// hierarchyLabel prefixes the errors of linking unit levels;
	// overlapLabel the warnings about overlapping units.
	hierarchyLabel, overlapLabel string
	// noPopulationHint ends the warning given when residents are sampled
	// along the streets.
	noPopulationHint string
	// stop is the reading's context's Done channel: layer readers end
	// early once it is closed (Ctrl-C).
	stop <-chan struct{}
}

// Progress reports a study's steps (cmd draws them on stderr). Step starts
// a step, Done ends it with a summary, Warn prints a warning, and OSM
// returns the callback of data/osm's multi-pass reader for a step.
type Progress interface {
	Step(name string)
	Done(format string, a ...any)
	Warn(format string, a ...any)
	OSM(step string) func(pass string, done, total int64)
}

// NoProgress reports nothing (web, tests).
type NoProgress struct{}

func (NoProgress) Step(string)                                     {}
func (NoProgress) Done(string, ...any)                             {}
func (NoProgress) Warn(string, ...any)                             {}
func (NoProgress) OSM(string) func(pass string, done, total int64) { return nil }
