package data

import (
	"encoding/json"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/planner"
)

// ProposeMeta describes a proposal run for before_after.json.
type ProposeMeta struct {
	Version string
	Mode    string // "maximal covering" or "set covering"
	K       int
	Target  float64
	Elapsed time.Duration
}

// WriteProposal writes proposals.geojson and before_after.json into dir
// atomically.
func WriteProposal(dir string, in planner.ProposeInput, res *planner.ProposeResult, meta ProposeMeta) error {
	return WriteDirAtomic(dir, func(tmp string) error {
		if err := WriteFileAtomic(filepath.Join(tmp, "proposals.geojson"), func(w io.Writer) error {
			return writeSites(w, in, res)
		}); err != nil {
			return err
		}
		return WriteFileAtomic(filepath.Join(tmp, "before_after.json"), func(w io.Writer) error {
			return writeBeforeAfter(w, in, res, meta)
		})
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
	types := typeList(in)
	for _, s := range res.Sites {
		units := make([]string, len(s.Units))
		for i, u := range s.Units {
			units[i] = u.Unit
		}
		props := Props{
			{"rank", s.Rank}, {"site_id", s.ID}, {"types", types},
			{"lon", Round(s.Point[0], 6)}, {"lat", Round(s.Point[1], 6)},
			{"gain", Round(s.Gain, 1)}, {"cumulative_covered", Round(s.Cumulative, 1)},
		}
		if s.Name != "" {
			props = append(props, Prop{"name", s.Name})
		}
		if len(in.Types) == 1 {
			props = append(props, Prop{"coverage_after", Round(s.CoverageAfter[0], 4)})
		} else {
			for ti, t := range in.Types {
				props = append(props, Prop{"gain_" + t.ID, Round(s.GainByType[ti], 1)},
					Prop{"coverage_after_" + t.ID, Round(s.CoverageAfter[ti], 4)})
			}
		}
		props = append(props, Prop{"units", strings.Join(units, ",")})
		geom := res.Candidates[s.Candidate].Geometry
		if err := g.Write(s.ID, geom, props); err != nil {
			return err
		}
	}
	return g.Close()
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
