package data

import (
	"io"
	"strings"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
)

// This file writes the point CSVs that --out-coords asks for:
// facilities.csv and demand.csv (audit) and proposals.csv (propose), each
// with the properties of its GeoJSON layer, lon/lat in WGS84 and the
// same point in GCJ-02 or BD-09, for pasting into Amap, Tencent or Baidu
// maps. A facility mapped as an area is given by a point inside it.

// writeFacilitiesCSV writes facilities.csv (rule: why the facility counts).
func writeFacilitiesCSV(w io.Writer, in planner.AuditInput, o OutCoords) error {
	c := NewCSVWriter(w)
	c.Text(append([]string{"id", "type", "type_zh", "type_en", "name", "source", "rule"}, o.coordHeader()...)...)
	row := make([]any, 0, 10)
	for _, f := range in.Facilities {
		p := NewFacilityProperties(in.Profile, f)
		var zh, en string
		if p.TypeNames != nil {
			zh, en = p.TypeNames.Zh, p.TypeNames.En
		}
		pt, ok := geo.RepresentativePoint(f.Geometry)
		row = append(row[:0], p.ID, p.Type, zh, en, p.Name, p.Source, p.Rule)
		if err := c.Row(o.appendCoords(row, pt, ok)...); err != nil {
			return err
		}
	}
	return c.Flush()
}

// writeDemandCSV writes demand.csv: id, population, unit_id, dist_T per
// type, and the coordinates.
func writeDemandCSV(w io.Writer, in planner.AuditInput, res *planner.AuditResult, o OutCoords) error {
	c := NewCSVWriter(w)
	h := []string{"id", "population", "unit_id"}
	for _, t := range in.Profile.Types {
		h = append(h, "dist_"+t.ID)
	}
	c.Text(append(h, o.coordHeader()...)...)
	row := make([]any, 0, len(h)+4)
	for i, pt := range in.Demand.Points {
		p := NewDemandProperties(in, res, i)
		row = append(row[:0], p.ID, F(float64(p.Population), 2), p.UnitID)
		for _, d := range p.Dist {
			row = append(row, F(float64(d.Dist), 1))
		}
		if err := c.Row(o.appendCoords(row, pt, true)...); err != nil {
			return err
		}
	}
	return c.Flush()
}

// ProposalTable is proposals.csv: the properties of proposals.geojson,
// one row per site, with lon/lat (WGS84) and o's columns.
func ProposalTable(in planner.ProposeInput, res *planner.ProposeResult, o OutCoords) Table {
	h := []string{"rank", "site_id", "name", "types", "gain", "cumulative_covered"}
	if len(res.Phases) > 0 {
		h = append([]string{"rank", "phase", "phase_year"}, h[1:]...)
	}
	if len(in.Types) == 1 {
		h = append(h, "coverage_after")
	} else {
		for _, t := range in.Types {
			h = append(h, "gain_"+t.ID, "coverage_after_"+t.ID)
		}
	}
	h = append(h, "units")
	t := Table{Header: append(h, o.coordHeader()...)}
	types := typeList(in)
	for _, s := range res.Sites {
		units := make([]string, len(s.Units))
		for i, u := range s.Units {
			units[i] = u.Unit
		}
		row := []any{s.Rank, s.ID, s.Name, types, F(s.Gain, 1), F(s.Cumulative, 1)}
		if s.Phase > 0 {
			row = append([]any{s.Rank, s.Phase, in.Phases[s.Phase-1].Year}, row[1:]...)
		}
		if len(in.Types) == 1 {
			row = append(row, F(s.CoverageAfter[0], 4))
		} else {
			for ti := range in.Types {
				row = append(row, F(s.GainByType[ti], 1), F(s.CoverageAfter[ti], 4))
			}
		}
		row = append(row, strings.Join(units, ","))
		t.Rows = append(t.Rows, o.appendCoords(row, s.Point, true))
	}
	return t
}
