package data

import (
	"encoding/json"
	"io"
	"math"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/data/gpkg"
	"github.com/lifecircle/lifecircle/planner"
)

// ProposeMeta describes a proposal run for before_after.json.
type ProposeMeta struct {
	Version string
	Mode    string // "maximal covering" or "set covering"
	K       int
	Target  float64
	Elapsed time.Duration
	// Format: proposals.geojson and/or proposals.gpkg (zero: GeoJSON).
	Format OutputFormat
	// OutCoords, when set, adds proposals.csv with lon/lat in WGS84 and
	// in this system, to paste into Amap, Tencent or Baidu maps.
	OutCoords OutCoords
}

// ProposalGPKG is the name of a proposal's GeoPackage.
const ProposalGPKG = "proposals.gpkg"

// proposalSteps lists the files of a proposal folder: proposals.geojson
// and/or proposals.gpkg (WGS84), proposals.csv with --out-coords,
// before_after.json and report.html.
func proposalSteps(in planner.ProposeInput, res *planner.ProposeResult, meta ProposeMeta) []outputStep {
	var steps []outputStep
	if meta.Format.geojson() {
		steps = append(steps, outputStep{OutputFile: OutputFile{"proposals.geojson", "WGS84"},
			fn: func(w io.Writer) error { return writeSites(w, in, res) }})
	}
	if meta.Format.GPKG {
		steps = append(steps, outputStep{OutputFile: OutputFile{ProposalGPKG, "WGS84"}, file: func(p string) error {
			return gpkg.WriteLayers(p, []gpkg.Layer{ProposalGPKGLayer(in, res)}, nil)
		}})
	}
	if o := meta.OutCoords; o != "" {
		steps = append(steps, outputStep{OutputFile: OutputFile{"proposals.csv", o.Label()},
			fn: func(w io.Writer) error { return ProposalTable(in, res, o).WriteCSV(w) }})
	}
	return append(steps, outputStep{OutputFile: OutputFile{"before_after.json", ""},
		fn: func(w io.Writer) error { return writeBeforeAfter(w, in, res, meta) }},
		outputStep{OutputFile: OutputFile{"report.html", ""},
			fn: func(w io.Writer) error { return writeProposalReport(w, in, res, meta) }})
}

// ProposalOutputs lists the files WriteProposal writes, each with its
// coordinate systems, for the terminal.
func ProposalOutputs(in planner.ProposeInput, res *planner.ProposeResult, meta ProposeMeta) []OutputFile {
	steps := proposalSteps(in, res, meta)
	out := make([]OutputFile, len(steps))
	for i, s := range steps {
		out[i] = s.OutputFile
	}
	return out
}

// WriteProposal writes the proposal's files (proposalSteps) into dir
// atomically.
func WriteProposal(dir string, in planner.ProposeInput, res *planner.ProposeResult, meta ProposeMeta) error {
	return WriteOutputDir(dir, KindProposals, func(tmp string) error {
		return writeSteps(tmp, proposalSteps(in, res, meta))
	})
}

func typeList(in planner.ProposeInput) string {
	ids := make([]string, len(in.Types))
	for i, t := range in.Types {
		ids[i] = t.ID
	}
	return strings.Join(ids, ",")
}

func writeSites(w io.Writer, in planner.ProposeInput, res *planner.ProposeResult) error {
	g := NewGeoJSONWriter(w)
	for _, s := range res.Sites {
		geom := res.Candidates[s.Candidate].Geometry
		if err := g.Write(s.ID, geom, siteProps(in, s)); err != nil {
			return err
		}
	}
	return g.Close()
}

// siteProps are the properties of a proposed site in proposals.geojson.
func siteProps(in planner.ProposeInput, s planner.Site) Props {
	units := make([]string, len(s.Units))
	for i, u := range s.Units {
		units[i] = u.Unit
	}
	props := Props{{"rank", s.Rank}}
	if s.Phase > 0 {
		props = append(props, Prop{"phase", s.Phase}, Prop{"phase_year", in.Phases[s.Phase-1].Year})
	}
	props = append(props, Props{
		{"site_id", s.ID}, {"types", typeList(in)},
		{"lon", Round(s.Point[0], 6)}, {"lat", Round(s.Point[1], 6)},
		{"gain", Round(s.Gain, 1)}, {"cumulative_covered", Round(s.Cumulative, 1)},
	}...)
	if s.Name != "" {
		props = append(props, Prop{"name", s.Name})
	}
	if len(in.Types) == 1 {
		props = append(props, Prop{"coverage_after", Real(Round(s.CoverageAfter[0], 4))})
	} else {
		for ti, t := range in.Types {
			props = append(props, Prop{"gain_" + t.ID, Round(s.GainByType[ti], 1)},
				Prop{"coverage_after_" + t.ID, Real(Round(s.CoverageAfter[ti], 4))})
		}
	}
	return append(props, Prop{"units", strings.Join(units, ",")})
}

func writeBeforeAfter(w io.Writer, in planner.ProposeInput, res *planner.ProposeResult, meta ProposeMeta) error {
	timings := map[string]float64{"total": math.Round(meta.Elapsed.Seconds()*1000) / 1000}
	for k, v := range res.Timings {
		timings[k] = math.Round(v.Seconds()*1000) / 1000
	}
	types := make([]map[string]any, len(in.Types))
	for i, t := range in.Types {
		types[i] = map[string]any{"id": t.ID, "name_zh": t.Names.Zh, "name_en": t.Names.En,
			"radius_m": t.Radius, "weight": t.Weight, "existing_facilities": len(t.Existing)}
	}
	out := map[string]any{
		"lifecircle":         meta.Version,
		"mode":               meta.Mode,
		"types":              types,
		"demand_source":      in.Demand.Source,
		"candidates":         len(res.Candidates),
		"skipped_candidates": len(res.Skipped),
		"sites":              len(res.Sites),
		"objective":          Round(res.Objective, 3),
		"coverable":          Round(res.Coverable, 3),
		"coverage":           res.Coverage,
		"timings_s":          timings,
		"optimal":            res.Optimal,
		"nodes":              res.Nodes,
		"attribution":        Attribution,
	}
	if res.Max != nil {
		out["k"] = meta.K
		out["upper_bound"] = Round(res.UpperBound, 3)
		out["gap"] = Round(res.Gap, 6)
		out["stopped_early"] = res.Max.StoppedEarly
		out["swaps"] = res.Max.Swaps
	}
	if len(res.Phases) > 0 {
		out["phases"] = phasesJSON(in, res)
	}
	if res.Set != nil {
		out["target"] = meta.Target
		out["target_weight"] = Round(res.Set.Target, 3)
		out["lower_bound_sites"] = res.LowerBound
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
