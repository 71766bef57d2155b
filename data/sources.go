package data

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/lifecircle/lifecircle/data/osm"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// OSMInputs is what one OpenStreetMap extract gives an audit.
type OSMInputs struct {
	Net              *geo.Network
	NetInfo          NetworkInfo
	Facilities       []planner.Facility
	Buildings        []planner.Building
	ResidentialAreas []orb.Geometry
	// Warnings are notes on the extract's facilities (a capacity tag that
	// is not a number of places, date tags not read).
	Warnings []string
	// IgnoredDates counts the facilities' opening_date and end_date tags
	// that were not read (not YYYY-MM-DD, or opening after the end).
	IgnoredDates int
	// FromCache names the cache entry all this was loaded from, "" when
	// the extract was read.
	FromCache string
}

// OSMOptions says what to take from an extract besides the walk network.
type OSMOptions struct {
	Profile   *planner.Profile // amenity selectors; nil = no facilities
	Buildings bool             // residential buildings and landuse=residential for demand
	// Source names the extract in the facilities' Source; "" = the
	// file's base name (e.g. "Helsinki.osm.pbf").
	Source string
	// Cache keeps and gives back what the extract gave (nil: none).
	Cache *OSMCache
}

// ReadOSMInputs reads an extract once (in streaming passes) and returns
// the walk network, the facilities the profile selects, and buildings.
func ReadOSMInputs(ctx context.Context, path string, o OSMOptions, progress func(pass string, done, total int64)) (*OSMInputs, error) {
	what := fmt.Sprintf("inputs\x00%t\x00%q\x00", o.Buildings, o.Source)
	if o.Profile != nil {
		what += fmt.Sprintf("%#v", *o.Profile)
	}
	in, from, err := o.Cache.cached(path, what, func() (*OSMInputs, error) { return readOSMInputs(ctx, path, o, progress) })
	if in != nil {
		in.FromCache = from
	}
	return in, err
}

func readOSMInputs(ctx context.Context, path string, o OSMOptions, progress func(pass string, done, total int64)) (*OSMInputs, error) {
	lc := newLifecycle(o.Profile)
	match := lc.any
	areaLike := func(get func(string) string) bool {
		return o.Buildings && (get("building") != "" || get("landuse") == "residential")
	}
	f := osm.Filter{
		Node: func(get func(string) string) bool { return match(get) },
		Way: func(get func(string) string) bool {
			return geo.Walkable(get) || match(get) || areaLike(get)
		},
		Relation: func(get func(string) string) bool {
			t := get("type")
			if t != "multipolygon" && t != "route" {
				return false
			}
			return match(get) || (t == "multipolygon" && areaLike(get))
		},
	}
	x, err := osm.Read(ctx, path, f, progress)
	if err != nil {
		return nil, err
	}
	net, info, err := WalkNetwork(ctx, path, x)
	if err != nil {
		return nil, err
	}
	in := &OSMInputs{Net: net, NetInfo: info}
	src := o.Source
	if src == "" {
		src = filepath.Base(path)
	}

	var badCapacity, badDates []string
	addFacility := func(id string, tags map[string]string, g orb.Geometry) {
		if o.Profile == nil || g == nil {
			return
		}
		for _, m := range lc.matches(tags) {
			// The capacity tag counts for types whose profile gives a
			// capacity_ratio (elsewhere it may mean seats or spectators).
			var capacity float64
			if v, ok := tags["capacity"]; ok && capacityRatio(o.Profile, m.Type) > 0 {
				var err error
				if capacity, err = ParseCapacity(v); err != nil {
					badCapacity = append(badCapacity, fmt.Sprintf("%s capacity=%s", id, v))
				}
			}
			f := planner.Facility{
				ID: id, Type: m.Type, Name: osmName(tags), Source: src, Geometry: g,
				Rule: m.Rule, Tags: tags, Capacity: capacity, Status: m.Status,
			}
			if m.Status == planner.StatusOpen {
				f.Status = "" // as a layer without a status column
			}
			for _, u := range osmDates(&f, tags) {
				badDates = append(badDates, id+" "+u)
			}
			in.Facilities = append(in.Facilities, f)
		}
	}
	for _, n := range x.Nodes {
		addFacility("n"+strconv.FormatInt(n.ID, 10), n.Tags, n.Point)
	}
	// Ways split at the extract's edge come in pieces with the same id:
	// a facility keeps all its pieces.
	pieces := map[int64][]int{}
	var order []int64
	for i := range x.Ways {
		w := &x.Ways[i]
		if _, seen := pieces[w.ID]; !seen {
			order = append(order, w.ID)
		}
		pieces[w.ID] = append(pieces[w.ID], i)
	}
	for _, id := range order {
		idx := pieces[id]
		w := x.Ways[idx[0]]
		tags := tagGetter(w.Tags)
		isFac := match(tags)
		isBuilding := o.Buildings && tags("building") != ""
		isLanduse := o.Buildings && tags("landuse") == "residential"
		if !isFac && !isBuilding && !isLanduse {
			continue
		}
		var g orb.Geometry
		if len(idx) == 1 {
			if poly, ok := osm.WayPolygon(w); ok && !lineLike(w.Tags) {
				g = poly
			} else {
				g = orb.LineString(w.Coords)
			}
		} else {
			var ml orb.MultiLineString
			for _, k := range idx {
				ml = append(ml, orb.LineString(x.Ways[k].Coords))
			}
			g = ml
		}
		sid := "w" + strconv.FormatInt(id, 10)
		if isFac {
			addFacility(sid, w.Tags, g)
		}
		if poly, ok := g.(orb.Polygon); ok {
			if isBuilding {
				in.Buildings = append(in.Buildings, planner.Building{ID: sid, Geometry: poly, Tags: w.Tags})
			}
			if isLanduse {
				in.ResidentialAreas = append(in.ResidentialAreas, poly)
			}
		}
	}
	for _, r := range x.Relations {
		tags := tagGetter(r.Tags)
		sid := "r" + strconv.FormatInt(r.ID, 10)
		var g orb.Geometry
		if r.Tags["type"] == "multipolygon" {
			mp, err := x.Polygon(r)
			if err != nil || len(mp) == 0 {
				continue // broken multipolygons are common at extract edges
			}
			g = mp
			if o.Buildings && tags("building") != "" {
				in.Buildings = append(in.Buildings, planner.Building{ID: sid, Geometry: mp, Tags: r.Tags})
			}
			if o.Buildings && tags("landuse") == "residential" {
				in.ResidentialAreas = append(in.ResidentialAreas, mp)
			}
		} else {
			g = routeLines(x, r, pieces)
		}
		if match(tags) && g != nil {
			addFacility(sid, r.Tags, g)
		}
	}
	sort.SliceStable(in.Facilities, func(a, b int) bool { return in.Facilities[a].Type < in.Facilities[b].Type })
	if n := len(badCapacity); n > 0 {
		in.Warnings = append(in.Warnings, fmt.Sprintf("%s: %d %s a capacity tag that is not a number of places > 0 (%s): counted as unknown — fix the tag in OpenStreetMap, or give the capacity in an amenity layer",
			filepath.Base(path), n, plural(n, "facility has", "facilities have"), strings.Join(badCapacity[:min(n, 5)], ", ")))
	}
	if n := len(badDates); n > 0 {
		in.IgnoredDates = n
		in.Warnings = append(in.Warnings, fmt.Sprintf("%s: %d facility date %s not a full YYYY-MM-DD date, or opening after the end (%s): not read, so %s — fix the tag in OpenStreetMap, or give the dates in an amenity layer",
			filepath.Base(path), n, plural(n, "tag is", "tags are"), strings.Join(badDates[:min(n, 5)], ", "), plural(n, "that facility counts as if undated", "those facilities count as if undated")))
	}
	return in, nil
}

// routeLines returns the member ways of a route relation (a fitness
// trail) as lines; nil when none of them is in the extract.
func routeLines(x *osm.Extract, r osm.Relation, pieces map[int64][]int) orb.Geometry {
	var ml orb.MultiLineString
	for _, m := range r.Members {
		if m.Type != "way" {
			continue
		}
		for _, k := range pieces[m.Ref] {
			ml = append(ml, orb.LineString(x.Ways[k].Coords))
		}
	}
	if len(ml) == 0 {
		return nil
	}
	return ml
}

// lineLike reports closed ways that are lines, not areas (a circular
// fitness trail or running track is walked along, as a line).
func lineLike(tags map[string]string) bool {
	if tags["area"] == "yes" {
		return false
	}
	if tags["highway"] != "" || tags["route"] != "" || tags["barrier"] != "" {
		return true
	}
	return false
}

// osmName prefers the Chinese name, then the local name.
func osmName(tags map[string]string) string {
	for _, k := range []string{"name:zh", "name:zh-Hans", "name", "name:en", "operator", "brand"} {
		if v := tags[k]; v != "" {
			return v
		}
	}
	return ""
}

// ReadAmenityLayer reads a user's amenity layer (GeoJSON or CSV): each
// feature names its amenity type in a `type` property or column, given as
// the type id or its English or Chinese name.
func ReadAmenityLayer(path string, prof *planner.Profile, cs CoordSystem) ([]planner.Facility, error) {
	l, err := ReadLayer(path, ReadOptions{Coords: cs, Allow: AnyGeom})
	if err != nil {
		return nil, err
	}
	fs, _, err := AmenitiesFromLayer(l, prof)
	return fs, err
}

// AmenitiesFromLayer reads the amenities of a layer read by ReadLayer
// (as ReadAmenityLayer does). Each facility's id is stable across versions
// of the file (stableIDs): the feature's id, one of AmenityIDColumns, else
// derived from type, name and position; derived counts those, for the
// warning planner.DerivedIDs.
func AmenitiesFromLayer(l *Layer, prof *planner.Profile) (fs []planner.Facility, derived int, err error) {
	path := l.Path
	lookup := map[string]string{}
	var ids []string
	for _, t := range prof.Types {
		ids = append(ids, t.ID)
		for _, k := range []string{t.ID, t.Names.En, t.Names.Zh} {
			if k != "" {
				lookup[strings.ToLower(strings.TrimSpace(k))] = t.ID
			}
		}
	}
	out := make([]planner.Facility, 0, len(l.Features))
	for _, f := range l.Features {
		capacity, err := featureCapacity(f.Properties)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %s: %v", path, featureLabel(f), err)
		}
		col, raw := propStringKey(f.Properties, "type", "category", "amenity_type", "类型")
		if raw == "" {
			return nil, 0, fmt.Errorf("%s: %s has no `type` property — add a `type` column naming one of: %s",
				path, featureLabel(f), strings.Join(ids, ", "))
		}
		t, ok := lookup[strings.ToLower(strings.TrimSpace(raw))]
		if !ok {
			return nil, 0, fmt.Errorf("%s: %s: unknown amenity type %q — profile %q has: %s (use one of these ids, or edit the profile)",
				path, featureLabel(f), raw, prof.ID, strings.Join(ids, ", "))
		}
		fac := planner.Facility{
			ID: f.ID, Type: t, Name: propString(f.Properties, "name:zh", "name", "名称", "name:en"),
			Source: filepath.Base(path), Geometry: f.Geometry,
			Rule: col + "=" + raw, Capacity: capacity,
		}
		if err := layerStatus(path, f, &fac); err != nil {
			return nil, 0, err
		}
		out = append(out, fac)
	}
	if derived, err = stableIDs(l, out); err != nil {
		return nil, 0, err
	}
	return out, derived, nil
}

// capacityRatio returns the capacity_ratio of type id of prof (0 when
// none).
func capacityRatio(prof *planner.Profile, id string) float64 {
	if t, ok := prof.Type(id); ok {
		return t.CapacityRatio
	}
	return 0
}

// CapacityColumns are the names of an amenity layer's capacity column or
// property, in order of preference: places (day-care places, beds).
var CapacityColumns = []string{"capacity", "容量", "床位", "床位数", "托位", "托位数"}

// featureCapacity returns a feature's capacity (CapacityColumns): 0 when
// it has none (absent, null or empty), else a number of places > 0.
func featureCapacity(props map[string]any) (float64, error) {
	for _, k := range CapacityColumns {
		switch v := props[k].(type) {
		case nil:
			continue
		case string:
			if strings.TrimSpace(v) == "" {
				continue
			}
			c, err := ParseCapacity(v)
			if err != nil {
				return 0, fmt.Errorf("%s %v — give the number of places (e.g. 30), or leave it empty when unknown", k, err)
			}
			return c, nil
		case float64:
			c, err := checkCapacity(v, strconv.FormatFloat(v, 'f', -1, 64))
			if err != nil {
				return 0, fmt.Errorf("%s %v — give the number of places (e.g. 30), or leave it empty when unknown", k, err)
			}
			return c, nil
		default:
			return 0, fmt.Errorf("%s is %v, not a number — give the number of places (e.g. 30), or leave it empty when unknown", k, v)
		}
	}
	return 0, nil
}

// ParseCapacity parses a capacity: a number of places > 0 and at most
// planner.MaxCapacity, as written in a layer or an OSM capacity tag.
func ParseCapacity(s string) (float64, error) {
	t := strings.TrimSpace(s)
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return checkCapacity(v, t)
}

func checkCapacity(v float64, text string) (float64, error) {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0) || v < 0:
		return 0, fmt.Errorf("%s is not a number of places > 0", text)
	case v == 0:
		return 0, fmt.Errorf("is 0: a capacity is a number of places > 0 (a station without places is closed: leave it out)")
	case v > planner.MaxCapacity:
		return 0, fmt.Errorf("%s is more than %.0f places — is it the right column?", text, planner.MaxCapacity)
	}
	return v, nil
}

// ReadPopulationLayer reads points or polygons with a `population`
// property (DESIGN §2, demand source 1), and the resident groups named
// (columns such as age_60_plus, which profile types may serve): a group
// no feature has is left out (the types serving it fall back to all
// residents); a group some features have must be a number ≥ 0 in every
// feature.
func ReadPopulationLayer(path string, cs CoordSystem, groups ...string) ([]planner.PopFeature, error) {
	return ReadPopulation(path, ReadOptions{Coords: cs, Allow: Points | Polygons}, groups...)
}

// PopulationFromLayer reads the population features of a layer read by
// ReadLayer (as ReadPopulationLayer does), with the resident groups named.
func PopulationFromLayer(l *Layer, groups ...string) ([]planner.PopFeature, error) {
	path := l.Path
	var present []string
	for _, g := range groups {
		for _, f := range l.Features {
			if _, ok := f.Properties[g]; ok {
				present = append(present, g)
				break
			}
		}
	}
	out := make([]planner.PopFeature, 0, len(l.Features))
	for _, f := range l.Features {
		p, ok := propNumber(f.Properties, "population", "pop", "人口")
		if !ok {
			return nil, fmt.Errorf("%s: %s has no numeric `population` property — each feature needs the number of residents it stands for: add a population property (or column)",
				path, featureLabel(f))
		}
		pf := planner.PopFeature{ID: f.ID, Geometry: f.Geometry, Population: p}
		for _, g := range present {
			v, ok := propNumber(f.Properties, g)
			if !ok || !(v >= 0) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s: %s: resident group %s is %v — a profile type serves this group, so every feature needs its number of residents (≥ 0; 0 when none)",
					path, featureLabel(f), g, f.Properties[g])
			}
			if pf.Groups == nil {
				pf.Groups = map[string]float64{}
			}
			pf.Groups[g] = v
		}
		out = append(out, pf)
	}
	return out, nil
}

func featureLabel(f Feature) string {
	if n := propString(f.Properties, "name"); n != "" {
		return fmt.Sprintf("feature %d (%q)", f.Index, n)
	}
	if f.ID != "" {
		return fmt.Sprintf("feature %d (id %s)", f.Index, f.ID)
	}
	return fmt.Sprintf("feature %d", f.Index)
}

func propString(props map[string]any, keys ...string) string {
	_, v := propStringKey(props, keys...)
	return v
}

// propStringKey returns the first of keys with a non-empty text or
// number value, and that value as text; "", "" when none has one.
func propStringKey(props map[string]any, keys ...string) (key, value string) {
	for _, k := range keys {
		switch v := props[k].(type) {
		case string:
			if v != "" {
				return k, v
			}
		case float64:
			return k, strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return "", ""
}

func propNumber(props map[string]any, keys ...string) (float64, bool) {
	for _, k := range keys {
		switch v := props[k].(type) {
		case float64:
			return v, true
		case int:
			return float64(v), true
		case string:
			if x, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return x, true
			}
		}
	}
	return 0, false
}
