package data

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"time"

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
}

// UnitsFileName is the name of the per-unit layer: cells.geojson for the
// grid, units.geojson for imported units.
func UnitsFileName(meta AuditMeta) string {
	if meta.UnitsFile != "" {
		return "units.geojson"
	}
	return "cells.geojson"
}

// WriteAudit writes every audit output into dir atomically: the folder
// holds either the previous complete set or the new one.
func WriteAudit(dir string, in planner.AuditInput, res *planner.AuditResult, meta AuditMeta) error {
	return WriteDirAtomic(dir, func(tmp string) error {
		steps := []struct {
			name string
			fn   func(io.Writer) error
		}{
			{UnitsFileName(meta), func(w io.Writer) error { return writeUnits(w, in, res) }},
			{"facilities.geojson", func(w io.Writer) error { return writeFacilities(w, in) }},
			{"demand.geojson", func(w io.Writer) error { return writeDemand(w, in, res) }},
			{"summary.json", func(w io.Writer) error { return writeSummaryJSON(w, in, res, meta) }},
			{"summary.csv", func(w io.Writer) error { return writeSummaryCSV(w, res) }},
		}
		steps = append(steps, hierarchyFiles(in, res, meta)...)
		for _, s := range steps {
			if err := WriteFileAtomic(filepath.Join(tmp, s.name), s.fn); err != nil {
				return fmt.Errorf("write %s: %w", s.name, err)
			}
		}
		return nil
	})
}

func writeUnits(w io.Writer, in planner.AuditInput, res *planner.AuditResult) error {
	g := NewGeoJSONWriter(w)
	for u, unit := range in.Units {
		if err := g.Write(unit.ID, unit.Geometry, UnitProps(in, res, u)); err != nil {
			return err
		}
	}
	return g.Close()
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

func writeDemand(w io.Writer, in planner.AuditInput, res *planner.AuditResult) error {
	g := NewGeoJSONWriter(w)
	props := make(Props, 0, 4+len(in.Profile.Types))
	for i, p := range in.Demand.Points {
		props = DemandProps(props[:0], in, res, i)
		if err := g.Write(nil, p, props); err != nil {
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
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	cw.Write([]string{"type", "name_zh", "name_en", "threshold_m", "facilities", "population", "covered", "coverage", "gap", "gap_units", "unreachable", "dist_mean_m", "dist_p90_m"})
	f := func(x float64, d int) string {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return ""
		}
		return strconv.FormatFloat(x, 'f', d, 64)
	}
	for _, t := range res.Types {
		cw.Write([]string{t.ID, t.Names.Zh, t.Names.En, f(t.Threshold, 0), strconv.Itoa(t.Facilities),
			f(t.Population, 1), f(t.Covered, 1), f(t.Coverage, 4), f(t.Gap, 1), strconv.Itoa(t.GapUnits),
			f(t.Unreachable, 1), f(t.DistMean, 1), f(t.DistP90, 1)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
