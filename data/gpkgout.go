package data

import (
	"fmt"
	"strings"

	"github.com/lifecircle/lifecircle/data/gpkg"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// OutputFormat says which files hold the audit's layers: GeoJSON (one
// file per layer, the default) and/or one GeoPackage, audit.gpkg. The
// zero value is GeoJSON only.
type OutputFormat struct {
	GeoJSON bool
	GPKG    bool
}

// ParseOutputFormat reads --format: geojson, gpkg, or both separated by a
// comma ("geojson,gpkg").
func ParseOutputFormat(s string) (OutputFormat, error) {
	var f OutputFormat
	for _, part := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(part)) {
		case "geojson", "json":
			f.GeoJSON = true
		case "gpkg", "geopackage":
			f.GPKG = true
		case "":
		default:
			return OutputFormat{}, fmt.Errorf("--format %q: want geojson, gpkg or geojson,gpkg", s)
		}
	}
	if !f.GeoJSON && !f.GPKG {
		f.GeoJSON = true
	}
	return f, nil
}

// geojson reports whether the GeoJSON layers are written (always, unless
// only the GeoPackage was asked for).
func (f OutputFormat) geojson() bool { return f.GeoJSON || !f.GPKG }

// AuditGPKG is the name of the audit's GeoPackage.
const AuditGPKG = "audit.gpkg"

// auditGPKGLayers returns the layers of audit.gpkg, named as the GeoJSON
// files without .geojson: cells or units, units_<level> per level when
// there are several, facilities and demand. Property values are as in
// the GeoJSON files, numbers as float64 (shares always REAL columns,
// NaN as NULL), so a layer's columns are those of its GeoJSON file.
func auditGPKGLayers(in planner.AuditInput, res *planner.AuditResult, meta AuditMeta) []gpkg.Layer {
	unitsName := strings.TrimSuffix(UnitsFileName(meta), ".geojson")
	layers := []gpkg.Layer{propsLayer(unitsName, len(in.Units), func(i int) (orb.Geometry, Props) {
		return in.Units[i].Geometry, UnitProps(in, res, i)
	})}
	if in.Hierarchy != nil && len(res.Levels) > 1 {
		for k := range res.Levels {
			lv := &in.Hierarchy.Levels[k]
			name := strings.TrimSuffix(LevelFileName(res.Levels[k].Name), ".geojson")
			layers = append(layers, propsLayer(name, len(lv.Units), func(i int) (orb.Geometry, Props) {
				return lv.Units[i].Geometry, LevelUnitProps(in, res, k, i)
			}))
		}
	}
	layers = append(layers, propsLayer("facilities", len(in.Facilities), func(i int) (orb.Geometry, Props) {
		f := in.Facilities[i]
		return f.Geometry, FacilityProps(in.Profile, f)
	}))
	layers = append(layers, propsLayer("demand", len(in.Demand.Points), func(i int) (orb.Geometry, Props) {
		return in.Demand.Points[i], DemandProps(nil, in, res, i)
	}))
	return layers
}

// ProposalGPKGLayer is the proposals layer of a GeoPackage: the features
// and properties of proposals.geojson.
func ProposalGPKGLayer(in planner.ProposeInput, res *planner.ProposeResult) gpkg.Layer {
	return propsLayer("proposals", len(res.Sites), func(i int) (orb.Geometry, Props) {
		s := res.Sites[i]
		return res.Candidates[s.Candidate].Geometry, siteProps(in, s)
	})
}

// propsLayer builds a GeoPackage layer of n features; the column order is
// that of the first feature's properties (others follow by name).
func propsLayer(name string, n int, feature func(i int) (orb.Geometry, Props)) gpkg.Layer {
	fc := geojson.NewFeatureCollection()
	fc.Features = make([]*geojson.Feature, 0, n)
	var cols []string
	for i := 0; i < n; i++ {
		g, props := feature(i)
		f := &geojson.Feature{Type: "Feature", Geometry: g, Properties: make(geojson.Properties, len(props))}
		for _, p := range props {
			f.Properties[p.Key] = PlainValue(p.Value)
		}
		if cols == nil {
			cols = make([]string, len(props))
			for j, p := range props {
				cols[j] = p.Key
			}
		}
		fc.Features = append(fc.Features, f)
	}
	return gpkg.Layer{Name: name, Columns: cols, Features: fc}
}

// auditGPKGTables are the attribute tables of audit.gpkg: summary (as
// summary.csv) and rules (as rules.csv, when rules were checked).
func auditGPKGTables(res *planner.AuditResult) []gpkg.Table {
	s := SummaryTable(res)
	tables := []gpkg.Table{{Name: "summary", Header: s.Header, Rows: s.PlainRows()}}
	if len(res.Rules) > 0 {
		r := RulesTable(res)
		tables = append(tables, gpkg.Table{Name: "rules", Header: r.Header, Rows: r.PlainRows()})
	}
	return tables
}

// writeAuditGPKG writes audit.gpkg at path.
func writeAuditGPKG(path string, in planner.AuditInput, res *planner.AuditResult, meta AuditMeta) error {
	return gpkg.WriteLayers(path, auditGPKGLayers(in, res, meta), auditGPKGTables(res))
}
