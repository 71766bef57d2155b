package data

import (
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// This file holds the per-feature properties of the audit layers, shared by
// the files WriteAudit writes and the web layer's collections, so that a
// cell served over HTTP carries exactly the figures of cells.geojson.

// UnitProps returns the properties of unit u as cells.geojson (or
// units.geojson) carries them: unit_id; name, parent and level when set;
// population; per amenity type T covered_T, coverage_T (0..1), gap_T,
// unreachable_T (residents), dist_T_mean and dist_T_p90 (metres,
// population-weighted, null when nobody in the unit reaches T); then
// completeness and fully_served (0..1). Residents are rounded to 0.1,
// shares to 1e-4, metres to 0.1.
func UnitProps(in planner.AuditInput, res *planner.AuditResult, u int) Props {
	unit := in.Units[u]
	r := res.Units[u]
	types := in.Profile.Types
	props := make(Props, 0, 6+6*len(types))
	props = append(props, Prop{"unit_id", unit.ID})
	if unit.Name != "" {
		props = append(props, Prop{"name", unit.Name})
	}
	if unit.Parent != "" {
		props = append(props, Prop{"parent", unit.Parent})
	}
	if unit.Level != "" {
		props = append(props, Prop{"level", unit.Level})
	}
	return appendUnitFigures(props, types, r, nil)
}

// appendUnitFigures appends a unit's population, its figures per amenity
// type (with what extra adds for each type, when not nil), completeness
// and fully_served, as UnitProps documents them.
func appendUnitFigures(props Props, types []planner.AmenityType, r planner.UnitResult, extra func(props Props, ti int) Props) Props {
	props = append(props, Prop{"population", num(r.Population, 1)})
	for ti, t := range types {
		cov := 0.0
		if r.Population > 0 {
			cov = r.Covered[ti] / r.Population
		}
		props = append(props,
			Prop{"covered_" + t.ID, num(r.Covered[ti], 1)},
			Prop{"coverage_" + t.ID, num(cov, 4)},
			Prop{"gap_" + t.ID, num(r.Population-r.Covered[ti], 1)},
			Prop{"unreachable_" + t.ID, num(r.Unreachable[ti], 1)},
			Prop{"dist_" + t.ID + "_mean", num(r.DistMean[ti], 1)},
			Prop{"dist_" + t.ID + "_p90", num(r.DistP90[ti], 1)},
		)
		if extra != nil {
			props = extra(props, ti)
		}
	}
	return append(props, Prop{"completeness", num(r.Completeness, 4)}, Prop{"fully_served", num(r.FullyServed, 4)})
}

// FacilityProps returns the properties of a facility as facilities.geojson
// carries them: id, type, type_zh and type_en (when the profile knows the
// type), name and source.
func FacilityProps(prof *planner.Profile, f planner.Facility) Props {
	props := Props{{"id", f.ID}, {"type", f.Type}}
	if t, ok := prof.Type(f.Type); ok {
		props = append(props, Prop{"type_zh", t.Names.Zh}, Prop{"type_en", t.Names.En})
	}
	return append(props, Prop{"name", f.Name}, Prop{"source", f.Source})
}

// DemandProps appends to props (usually a reused props[:0]) the properties
// of demand point i as demand.geojson carries them: id, population
// (residents, 0.01), unit_id (null outside every unit) and dist_T per
// amenity type T (walking metres to the nearest facility, 0.1, null when
// unreachable).
func DemandProps(props Props, in planner.AuditInput, res *planner.AuditResult, i int) Props {
	d := in.Demand
	props = append(props, Prop{"id", d.IDs[i]}, Prop{"population", num(d.Pop[i], 2)})
	if in.Assign != nil && in.Assign[i] >= 0 {
		props = append(props, Prop{"unit_id", in.Units[in.Assign[i]].ID})
	} else {
		props = append(props, Prop{"unit_id", nil})
	}
	for ti, t := range in.Profile.Types {
		props = append(props, Prop{"dist_" + t.ID, num(res.Dist[ti][i], 1)})
	}
	return props
}

// AppendFeature appends one GeoJSON Feature object to b, encoded as
// GeoJSONWriter.Write encodes it (RFC 7946: lon/lat, 6 decimals,
// counter-clockwise outer rings), for callers that frame features
// themselves, such as paged OGC API responses. id may be nil, a string or
// a number. On error b is returned unchanged.
func AppendFeature(b []byte, id any, geom orb.Geometry, props Props) ([]byte, error) {
	out := append(b, `{"type":"Feature"`...)
	var err error
	if id != nil {
		out = append(out, `,"id":`...)
		if out, err = appendID(out, id); err != nil {
			return b, err
		}
	}
	out = append(out, `,"geometry":`...)
	if out, err = appendGeometry(out, geom); err != nil {
		return b, err
	}
	out = append(out, `,"properties":`...)
	if out, err = appendProps(out, props); err != nil {
		return b, err
	}
	return append(out, '}'), nil
}

// AppendGeometry appends a GeoJSON geometry object (or null) to b, encoded
// as in AppendFeature. On error b is returned unchanged.
func AppendGeometry(b []byte, geom orb.Geometry) ([]byte, error) {
	out, err := appendGeometry(b, geom)
	if err != nil {
		return b, err
	}
	return out, nil
}

// MarshalJSON encodes the properties as one JSON object, keys in order.
func (p Props) MarshalJSON() ([]byte, error) {
	return appendProps(nil, p)
}
