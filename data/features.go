package data

import (
	"math"

	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// This file holds the per-feature properties of the audit layers, shared by
// the files WriteAudit writes and the web layer's collections, so that a
// cell served over HTTP carries exactly the figures of cells.geojson.

// UnitProps returns the properties of unit u as cells.geojson (or
// units.geojson) carries them: NewUnitProperties(in, res, u).Props().
func UnitProps(in planner.AuditInput, res *planner.AuditResult, u int) Props {
	return NewUnitProperties(in, res, u).Props()
}

// UnitProperties are the properties of one unit of cells.geojson,
// units.geojson or units_<level>.geojson: unit_id; name, parent and level
// when set; population; per amenity type T covered_T, coverage_T (0..1),
// gap_T, unreachable_T (residents), over_capacity_T (residents within
// reach whose facilities are full; only for types with capacity figures),
// dist_T_mean and dist_T_p90 (metres, population-weighted, null when
// nobody in the unit reaches T), and in a level layer facilities_T; then
// completeness and fully_served (0..1).
// Residents are rounded to 0.1, shares to 1e-4, metres to 0.1.
type UnitProperties struct {
	UnitID string
	Name   string // "" = not written
	Parent string // "" = not written
	Level  string // "" = not written, except in a level layer
	// LevelLayer is the layout of units_<level>.geojson: level always
	// written, before parent, and facilities_T per type.
	LevelLayer   bool
	Population   Num
	Types        []UnitTypeFigures // one per amenity type, in the profile's order
	Completeness Num
	FullyServed  Num
}

// UnitTypeFigures are a unit's figures for one amenity type.
type UnitTypeFigures struct {
	ID          string
	Covered     Num
	Coverage    Num
	Gap         Num
	Unreachable Num
	DistMean    Num
	DistP90     Num
	Facilities  int // facilities_T: type-T facilities inside the unit, level layers only
	// OverCapacity is over_capacity_T: residents within reach whose
	// facilities are full; nil (not written) without capacity figures.
	OverCapacity *Num
}

// Type returns the figures of type id, and whether the unit has them.
func (p *UnitProperties) Type(id string) (UnitTypeFigures, bool) {
	for _, t := range p.Types {
		if t.ID == id {
			return t, true
		}
	}
	return UnitTypeFigures{}, false
}

// NewUnitProperties returns the properties of unit u of the audit.
func NewUnitProperties(in planner.AuditInput, res *planner.AuditResult, u int) UnitProperties {
	unit := in.Units[u]
	p := UnitProperties{UnitID: unit.ID, Name: unit.Name, Parent: unit.Parent, Level: unit.Level}
	setUnitFigures(&p, in.Profile.Types, res.Units[u])
	return p
}

// setUnitFigures sets a unit's population, its figures per amenity type,
// completeness and fully_served.
func setUnitFigures(p *UnitProperties, types []planner.AmenityType, r planner.UnitResult) {
	p.Population = Round(r.Population, 1)
	p.Types = make([]UnitTypeFigures, len(types))
	for ti, t := range types {
		cov := 0.0
		if r.Population > 0 {
			cov = r.Covered[ti] / r.Population
		}
		p.Types[ti] = UnitTypeFigures{ID: t.ID,
			Covered:     Round(r.Covered[ti], 1),
			Coverage:    Round(cov, 4),
			Gap:         Round(r.Population-r.Covered[ti], 1),
			Unreachable: Round(r.Unreachable[ti], 1),
			DistMean:    Round(r.DistMean[ti], 1),
			DistP90:     Round(r.DistP90[ti], 1),
		}
		if r.OverCapacity != nil && !math.IsNaN(r.OverCapacity[ti]) {
			oc := Round(r.OverCapacity[ti], 1)
			p.Types[ti].OverCapacity = &oc
		}
	}
	p.Completeness, p.FullyServed = Round(r.Completeness, 4), Round(r.FullyServed, 4)
}

// Props returns the properties in the order the layers carry them.
func (p UnitProperties) Props() Props {
	props := make(Props, 0, 6+7*len(p.Types))
	props = append(props, Prop{"unit_id", p.UnitID})
	if p.Name != "" {
		props = append(props, Prop{"name", p.Name})
	}
	if p.LevelLayer {
		props = append(props, Prop{"level", p.Level})
	}
	if p.Parent != "" {
		props = append(props, Prop{"parent", p.Parent})
	}
	if !p.LevelLayer && p.Level != "" {
		props = append(props, Prop{"level", p.Level})
	}
	props = append(props, Prop{"population", p.Population})
	for _, t := range p.Types {
		props = append(props,
			Prop{"covered_" + t.ID, t.Covered},
			Prop{"coverage_" + t.ID, Real(t.Coverage)},
			Prop{"gap_" + t.ID, t.Gap},
			Prop{"unreachable_" + t.ID, t.Unreachable},
		)
		if t.OverCapacity != nil {
			props = append(props, Prop{"over_capacity_" + t.ID, *t.OverCapacity})
		}
		props = append(props,
			Prop{"dist_" + t.ID + "_mean", t.DistMean},
			Prop{"dist_" + t.ID + "_p90", t.DistP90},
		)
		if p.LevelLayer {
			props = append(props, Prop{"facilities_" + t.ID, t.Facilities})
		}
	}
	return append(props, Prop{"completeness", Real(p.Completeness)}, Prop{"fully_served", Real(p.FullyServed)})
}

// FacilityProps returns the properties of a facility as facilities.geojson
// carries them: NewFacilityProperties(prof, f).Props().
func FacilityProps(prof *planner.Profile, f planner.Facility) Props {
	return NewFacilityProperties(prof, f).Props()
}

// FacilityProperties are the properties of one facility of
// facilities.geojson: id, type, type_zh and type_en (when the profile
// knows the type), name, source (the input file's base name), rule (why
// it counts: the profile selector that matched, a layer's type column, or
// an override), tags (the OSM element's tags as an object, null for a
// layer's features) and capacity (places, only when known).
type FacilityProperties struct {
	ID        string
	Type      string
	TypeNames *planner.Names // nil when the profile does not know the type
	Name      string
	Source    string
	Rule      string
	Tags      map[string]string // nil = written as null
	Capacity  float64           // places; 0 = unknown, not written
	// Status is "open" for a facility without one; Opens and Closes are
	// YYYY-MM-DD or "" (written as null).
	Status, Opens, Closes string
}

// NewFacilityProperties returns the properties of facility f.
func NewFacilityProperties(prof *planner.Profile, f planner.Facility) FacilityProperties {
	p := FacilityProperties{ID: f.ID, Type: f.Type, Name: f.Name, Source: f.Source, Rule: f.Rule, Tags: f.Tags, Capacity: f.Capacity,
		Status: string(f.Status.Norm()), Opens: planner.FormatDate(f.Opens), Closes: planner.FormatDate(f.Closes)}
	if t, ok := prof.Type(f.Type); ok {
		names := t.Names
		p.TypeNames = &names
	}
	return p
}

// Props returns the properties in the order facilities.geojson carries
// them.
func (p FacilityProperties) Props() Props {
	props := Props{{"id", p.ID}, {"type", p.Type}}
	if p.TypeNames != nil {
		props = append(props, Prop{"type_zh", p.TypeNames.Zh}, Prop{"type_en", p.TypeNames.En})
	}
	var tags any
	if p.Tags != nil {
		tags = p.Tags
	}
	date := func(d string) any {
		if d == "" {
			return nil
		}
		return d
	}
	props = append(props, Prop{"name", p.Name}, Prop{"source", p.Source}, Prop{"rule", p.Rule}, Prop{"tags", tags})
	if p.Capacity > 0 {
		props = append(props, Prop{"capacity", p.Capacity})
	}
	return append(props, Prop{"status", p.Status}, Prop{"opens", date(p.Opens)}, Prop{"closes", date(p.Closes)})
}

// DemandProps appends to props (usually a reused props[:0]) the properties
// of demand point i as demand.geojson carries them:
// NewDemandProperties(in, res, i).AppendProps(props).
func DemandProps(props Props, in planner.AuditInput, res *planner.AuditResult, i int) Props {
	return NewDemandProperties(in, res, i).AppendProps(props)
}

// DemandProperties are the properties of one demand point of
// demand.geojson: id, population (residents, 0.01), unit_id (null outside
// every unit) and dist_T per amenity type T (walking metres to the
// nearest facility, 0.1, null when unreachable).
type DemandProperties struct {
	ID         string
	Population Num
	UnitID     string // "" = outside every unit, written as null
	Dist       []TypeDistance
}

// A TypeDistance is the walking distance to the nearest facility of a type.
type TypeDistance struct {
	Type string
	Dist Num
}

// NewDemandProperties returns the properties of demand point i.
func NewDemandProperties(in planner.AuditInput, res *planner.AuditResult, i int) DemandProperties {
	d := in.Demand
	p := DemandProperties{ID: d.IDs[i], Population: Round(d.Pop[i], 2), Dist: make([]TypeDistance, len(in.Profile.Types))}
	if in.Assign != nil && in.Assign[i] >= 0 {
		p.UnitID = in.Units[in.Assign[i]].ID
	}
	for ti, t := range in.Profile.Types {
		p.Dist[ti] = TypeDistance{t.ID, Round(res.Dist[ti][i], 1)}
	}
	return p
}

// AppendProps appends the properties to props in the order demand.geojson
// carries them.
func (p DemandProperties) AppendProps(props Props) Props {
	props = append(props, Prop{"id", p.ID}, Prop{"population", p.Population})
	if p.UnitID != "" {
		props = append(props, Prop{"unit_id", p.UnitID})
	} else {
		props = append(props, Prop{"unit_id", nil})
	}
	for _, d := range p.Dist {
		props = append(props, Prop{"dist_" + d.Type, d.Dist})
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
