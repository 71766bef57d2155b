package data

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/lifecircle/lifecircle/data/xlsx"
	"github.com/lifecircle/lifecircle/planner"
)

// Attribution is the credit every output that carries OSM data shows.
const Attribution = "Map data © OpenStreetMap contributors (ODbL)"

// AuditMeta describes an audit run for summary.json.
type AuditMeta struct {
	Version   string
	Inputs    map[string]any
	Network   NetworkInfo
	UnitsFile string  // "" for grid cells
	CellSize  float64 // metres, for grid cells
	GridID    string  // anchor description, for grid cells
	Timings   map[string]time.Duration
	// Title names the project in the report ("" = the inputs' names).
	Title string
	// Created is when the audit ran (zero = when its summary is made), so
	// that summary.json and the run stored in the database carry one time.
	Created time.Time
	// Warnings are the input warnings (cut boundaries, overlapping
	// units) shown with the audit's own in summary.json and the report.
	Warnings []string
	// WarningDetails are the typed warnings (planner.Warning) among
	// them, in summary.json's warning_details.
	WarningDetails []planner.Warning
	// Format says whether the layers are written as GeoJSON files, as
	// audit.gpkg, or both (zero: GeoJSON).
	Format OutputFormat
	// OutCoords, when set, adds facilities.csv and demand.csv with
	// lon/lat in WGS84 and in this system (GCJ-02 or BD-09).
	OutCoords OutCoords
	// FacilityOverrides are the changes of a facility overrides file; nil
	// without one.
	FacilityOverrides *FacilityOverrideSummary
	// AsOf says when the facilities were counted; nil for outputs made
	// without facility status (older callers).
	AsOf *AsOfSummary
	// Timeline is --timeline's coverage per year and type; written to
	// timeline.csv, summary.json and the report's chart.
	Timeline []TimelineRow
}

// UnitsFileName is the name of the per-unit layer: cells.geojson for the
// grid, units.geojson for imported units.
func UnitsFileName(meta AuditMeta) string {
	if meta.UnitsFile != "" {
		return "units.geojson"
	}
	return "cells.geojson"
}

// An outputStep is one file of an output folder: written to a stream
// (fn) or, for the binary formats, to a path (file).
type outputStep struct {
	OutputFile
	fn   func(io.Writer) error
	file func(path string) error
}

// auditSteps lists the files of an audit folder in the order they are
// written: the layers (GeoJSON and/or audit.gpkg; WGS84), summary.json,
// summary.csv, summary.xlsx, the point CSVs of --out-coords, rules.csv
// and report.html.
func auditSteps(in planner.AuditInput, res *planner.AuditResult, meta AuditMeta) []outputStep {
	var steps []outputStep
	add := func(name, coords string, fn func(io.Writer) error) {
		steps = append(steps, outputStep{OutputFile: OutputFile{name, coords}, fn: fn})
	}
	const wgs = "WGS84"
	if meta.Format.geojson() {
		add(UnitsFileName(meta), wgs, func(w io.Writer) error { return writeUnits(w, in, res) })
		add("facilities.geojson", wgs, func(w io.Writer) error { return writeFacilities(w, in) })
		add("demand.geojson", wgs, func(w io.Writer) error { return writeDemand(w, in, res) })
		steps = append(steps, levelLayerFiles(in, res)...)
	}
	if meta.Format.GPKG {
		steps = append(steps, outputStep{OutputFile: OutputFile{AuditGPKG, wgs}, file: func(p string) error {
			return writeAuditGPKG(p, in, res, meta)
		}})
	}
	add("summary.json", "", func(w io.Writer) error { return writeSummaryJSON(w, in, res, meta) })
	add("summary.csv", "", func(w io.Writer) error { return writeSummaryCSV(w, res) })
	steps = append(steps, outputStep{OutputFile: OutputFile{"summary.xlsx", ""}, file: func(p string) error {
		return xlsx.Write(p, SummarySheets(in, res, meta))
	}})
	if o := meta.OutCoords; o != "" {
		add("facilities.csv", o.Label(), func(w io.Writer) error { return writeFacilitiesCSV(w, in, o) })
		add("demand.csv", o.Label(), func(w io.Writer) error { return writeDemandCSV(w, in, res, o) })
	}
	if len(res.Rules) > 0 {
		add("rules.csv", "", func(w io.Writer) error { return writeRulesCSV(w, res) })
	}
	if len(meta.Timeline) > 0 {
		add("timeline.csv", "", func(w io.Writer) error { return writeTimelineCSV(w, in.Profile, meta.Timeline) })
	}
	add("report.html", "", func(w io.Writer) error { return WriteReport(w, in, res, meta) })
	return steps
}

// AuditOutputs lists the files WriteAudit writes, each with its
// coordinate systems, for the terminal.
func AuditOutputs(in planner.AuditInput, res *planner.AuditResult, meta AuditMeta) []OutputFile {
	steps := auditSteps(in, res, meta)
	out := make([]OutputFile, len(steps))
	for i, s := range steps {
		out[i] = s.OutputFile
	}
	return out
}

// WriteAudit writes every audit output into dir atomically: the folder
// holds either the previous complete set or the new one.
func WriteAudit(dir string, in planner.AuditInput, res *planner.AuditResult, meta AuditMeta) error {
	return WriteOutputDir(dir, KindAudit, func(tmp string) error {
		return writeSteps(tmp, auditSteps(in, res, meta))
	})
}

// writeSteps writes each file into dir, all at once (the files are
// independent and each is written to its own temporary name first; the
// large ones encode on all cores, and one waiting for the disk leaves the
// cores to the others). The error reported is that of the first failing
// step in step order, so a run with several bad steps always says the
// same thing.
func writeSteps(dir string, steps []outputStep) error {
	errs := make([]error, len(steps))
	next := make(chan int)
	var wg sync.WaitGroup
	for range len(steps) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if inflight.aborted.Load() {
					errs[i] = ErrAborted // interrupted: start no other file
					continue
				}
				errs[i] = steps[i].write(dir)
			}
		}()
	}
	for i := range steps {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("write %s: %w", steps[i].Name, err)
		}
	}
	return nil
}

// write writes the step's file into dir.
func (s outputStep) write(dir string) error {
	p := filepath.Join(dir, s.Name)
	if s.file != nil {
		return s.file(p)
	}
	return WriteFileAtomic(p, s.fn)
}

func writeFacilities(w io.Writer, in planner.AuditInput) error {
	g := NewGeoJSONWriter(w)
	for _, f := range in.Facilities {
		if err := g.Write(nil, f.Geometry, FacilityProps(in.Profile, f)); err != nil {
			return err
		}
	}
	return g.Close()
}

func writeSummaryJSON(w io.Writer, in planner.AuditInput, res *planner.AuditResult, meta AuditMeta) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(NewSummary(in, res, meta))
}

func typeSource(p *planner.Profile, id string) string {
	if t, ok := p.Type(id); ok {
		return t.Source
	}
	return ""
}

func writeSummaryCSV(w io.Writer, res *planner.AuditResult) error {
	return SummaryTable(res).WriteCSV(w)
}
