package synth

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"
)

// Defaults used when an Options field is left zero: 80 m spacing around
// central Beijing (lon, lat).
const (
	DefaultSpacing = 80.0
	DefaultLon     = 116.40
	DefaultLat     = 39.90
)

// DefaultTypes returns the facility types used when Options.Types is empty:
// clinic, elderly, market, fitness, playground.
func DefaultTypes() []string {
	return []string{"clinic", "elderly", "market", "fitness", "playground"}
}

// File names written by Generate, in the order of Result.Files.
const (
	FileCity       = "city.osm.pbf"
	FileFacilities = "facilities.geojson"
	FilePoints     = "points.geojson"
	FilePointsCSV  = "points.csv"
	FileCandidates = "candidates.geojson"
)

// Options says what city Generate makes.
type Options struct {
	// Nodes is the number of street nodes (at least 4). About sqrt(Nodes)
	// per side on the main lattice; from 100 nodes on, 18 of them form two
	// small islands not connected to it.
	Nodes int
	// Spacing is the lattice spacing in metres; 0 means DefaultSpacing.
	Spacing float64
	// Center is the lon/lat of the lattice centre; the zero point means
	// DefaultLon, DefaultLat.
	Center orb.Point
	// Facilities is the number of facilities of each type.
	Facilities int
	// Types are the facility types; nil or empty means DefaultTypes().
	Types []string
	// Points is the number of demand points, Candidates the number of
	// candidate sites.
	Points     int
	Candidates int
	// Seed makes the output: the same options give byte-identical files.
	Seed int64
	// Log receives progress; nil discards it.
	Log *slog.Logger
}

// Result describes what Generate wrote.
type Result struct {
	Nodes, Ways int
	// Files are the paths written: city.osm.pbf, facilities.geojson,
	// points.geojson, points.csv, candidates.geojson.
	Files []string
	// Bounds is the lon/lat bounding box of the street nodes; every layer
	// point lies inside it.
	Bounds orb.Bound
}

// Generate writes a synthetic city into dir (created if missing): the street
// network as city.osm.pbf and the facility, demand-point and candidate
// layers. Each file is written to a temp file in dir and renamed into place.
func Generate(dir string, o Options) (Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Result{}, err
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{}, fmt.Errorf("synth: create output directory: %w", err)
	}

	start := time.Now()
	c := buildCity(o.Nodes, o.Spacing, o.Center, o.Seed)
	b := c.bounds
	if b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 {
		return Result{}, fmt.Errorf("synth: a city of %d nodes %g m apart around (%g, %g) reaches past ±180° longitude or ±90° latitude: move -center or use fewer nodes or a smaller spacing",
			o.Nodes, o.Spacing, o.Center[0], o.Center[1])
	}
	log.Info("built street lattice", "nodes", len(c.nodes), "ways", len(c.ways), "took", time.Since(start).Round(time.Millisecond))

	res := Result{
		Nodes:  len(c.nodes),
		Ways:   len(c.ways),
		Bounds: c.bounds,
	}
	for _, name := range []string{FileCity, FileFacilities, FilePoints, FilePointsCSV, FileCandidates} {
		res.Files = append(res.Files, filepath.Join(dir, name))
	}

	// The layers are independent, so write them at once.
	timed := func(name string, fn func() error) func() error {
		return func() error {
			t := time.Now()
			if err := fn(); err != nil {
				return err
			}
			log.Info("wrote "+name, "took", time.Since(t).Round(time.Millisecond))
			return nil
		}
	}
	tasks := []func() error{
		timed(FileCity, func() error {
			return writeOut(dir, FileCity, func(w *bufio.Writer) error { return WritePBF(w, c.nodes, c.ways) })
		}),
		timed(FileFacilities, func() error {
			return writeOut(dir, FileFacilities, func(w *bufio.Writer) error {
				return writeFacilities(w, c, o.Types, o.Facilities, o.Seed)
			})
		}),
		timed(FilePoints+" and "+FilePointsCSV, func() error { return writePointFiles(dir, c, o.Points, o.Seed) }),
		timed(FileCandidates, func() error {
			return writeOut(dir, FileCandidates, func(w *bufio.Writer) error {
				return writeCandidates(w, c, o.Candidates, o.Seed)
			})
		}),
	}
	errs := make([]error, len(tasks))
	var wg sync.WaitGroup
	for i, task := range tasks {
		wg.Go(func() { errs[i] = task() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Result{}, err
	}
	log.Info("generated city", "dir", dir, "took", time.Since(start).Round(time.Millisecond))
	return res, nil
}

// withDefaults fills zero fields and rejects values that cannot make a city.
func (o Options) withDefaults() (Options, error) {
	if o.Nodes < 4 {
		return o, fmt.Errorf("synth: nodes %d: need at least 4 street nodes (a 2×2 lattice)", o.Nodes)
	}
	if o.Spacing == 0 {
		o.Spacing = DefaultSpacing
	}
	if !(o.Spacing > 0) || math.IsInf(o.Spacing, 0) {
		return o, fmt.Errorf("synth: spacing %v: need a positive number of metres", o.Spacing)
	}
	if o.Center == (orb.Point{}) {
		o.Center = orb.Point{DefaultLon, DefaultLat}
	}
	if !(o.Center[0] >= -180 && o.Center[0] <= 180) || !(o.Center[1] > -85 && o.Center[1] < 85) {
		return o, fmt.Errorf("synth: center (%v, %v): need lon in -180..180 and lat in -85..85 (lon,lat order)", o.Center[0], o.Center[1])
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"facilities", o.Facilities}, {"points", o.Points}, {"candidates", o.Candidates}} {
		if f.v < 0 {
			return o, fmt.Errorf("synth: %s %d: need a count ≥ 0", f.name, f.v)
		}
	}
	if len(o.Types) == 0 {
		o.Types = DefaultTypes()
	}
	seen := map[string]bool{}
	for i, t := range o.Types {
		if strings.TrimSpace(t) == "" {
			return o, fmt.Errorf("synth: facility type %d is empty: give names such as clinic,market", i+1)
		}
		if seen[t] {
			return o, fmt.Errorf("synth: facility type %q is listed twice", t)
		}
		seen[t] = true
	}
	return o, nil
}
