package data

import (
	"context"
	"strconv"

	"github.com/lifecircle/lifecircle/data/osm"
	"github.com/paulmach/orb"
)

// Background kinds: the layers of the map's offline background, drawn
// from the study's own OSM extract.
const (
	BgBuilding = "building" // polygons
	BgWater    = "water"    // polygons (lakes, riverbanks) and lines (rivers, canals)
	BgGreen    = "green"    // polygons (parks, woods, grass, cemeteries)
	BgRail     = "rail"     // lines
	BgBoundary = "boundary" // lines: administrative boundaries (member ways)
)

// BackgroundKinds are the kinds in drawing order, bottom first.
var BackgroundKinds = []string{BgGreen, BgWater, BgBuilding, BgRail, BgBoundary}

// A BackgroundFeature is one feature of the background: its kind, its
// geometry (lon/lat, WGS84) and, for boundaries, the admin_level (0
// otherwise).
type BackgroundFeature struct {
	Kind       string
	Geometry   orb.Geometry
	AdminLevel int
}

// A Background is the context drawn under the analysis layers:
// buildings, water, green areas, railways and administrative boundaries
// of an OSM extract, and the bound of everything the extract held of
// them (lon/lat).
type Background struct {
	Features []BackgroundFeature
	Bound    orb.Bound
}

// backgroundKind says which background kind a tagged OSM object belongs
// to, "" for none. Areas and lines are told apart by the caller.
func backgroundKind(get func(string) string) string {
	if get("building") != "" && get("building") != "no" {
		return BgBuilding
	}
	switch get("natural") {
	case "water", "bay", "wetland":
		return BgWater
	case "wood", "scrub", "grassland", "heath":
		return BgGreen
	}
	switch get("waterway") {
	case "river", "riverbank", "canal", "stream", "dock", "ditch", "drain":
		return BgWater
	}
	switch get("landuse") {
	case "reservoir", "basin":
		return BgWater
	case "grass", "forest", "meadow", "recreation_ground", "cemetery", "village_green", "allotments", "orchard":
		return BgGreen
	}
	switch get("leisure") {
	case "park", "garden", "nature_reserve", "golf_course", "pitch", "playground":
		return BgGreen
	}
	switch get("railway") {
	case "rail", "light_rail", "subway", "tram", "narrow_gauge", "monorail", "funicular":
		if get("tunnel") == "yes" || get("layer") != "" && get("layer")[0] == '-' {
			return "" // underground: not part of what one sees
		}
		return BgRail
	}
	if get("boundary") == "administrative" {
		return BgBoundary
	}
	return ""
}

// lineKind reports whether a kind is drawn as lines only.
func lineKind(kind string) bool { return kind == BgRail || kind == BgBoundary }

// ReadBackground reads the background features of the OSM extract at path
// in its own streaming passes (the audit never calls it: only the map
// server draws them). Broken multipolygons, common at an extract's edge,
// are left out; an extract without any such feature gives an empty
// Background, not an error.
func ReadBackground(ctx context.Context, path string) (*Background, error) {
	f := osm.Filter{
		Way: func(get func(string) string) bool { return backgroundKind(get) != "" },
		Relation: func(get func(string) string) bool {
			t := get("type")
			return (t == "multipolygon" || t == "boundary") && backgroundKind(get) != ""
		},
	}
	x, err := osm.Read(ctx, path, f, nil)
	if err != nil {
		return nil, err
	}
	bg := &Background{}
	add := func(kind string, g orb.Geometry, level int) {
		if g == nil {
			return
		}
		b := g.Bound()
		if len(bg.Features) == 0 {
			bg.Bound = b
		} else {
			bg.Bound = bg.Bound.Union(b)
		}
		bg.Features = append(bg.Features, BackgroundFeature{Kind: kind, Geometry: g, AdminLevel: level})
	}
	pieces := map[int64][]int{}
	for i := range x.Ways {
		pieces[x.Ways[i].ID] = append(pieces[x.Ways[i].ID], i)
	}
	for i := range x.Ways {
		w := &x.Ways[i]
		if len(w.Coords) < 2 {
			continue
		}
		get := tagGetter(w.Tags)
		kind := backgroundKind(get)
		if kind == "" {
			continue // kept only as a relation's member
		}
		level, _ := strconv.Atoi(get("admin_level"))
		if poly, ok := osm.WayPolygon(*w); ok && !lineKind(kind) && len(pieces[w.ID]) == 1 &&
			get("waterway") != "river" && get("waterway") != "canal" && get("waterway") != "stream" {
			add(kind, poly, 0)
			continue
		}
		if kind == BgBuilding || kind == BgGreen {
			continue // an unclosed area (cut at the edge) has no inside to fill
		}
		add(kind, orb.LineString(w.Coords), level)
	}
	for _, r := range x.Relations {
		get := tagGetter(r.Tags)
		kind := backgroundKind(get)
		if lineKind(kind) || r.Tags["type"] == "boundary" {
			level, _ := strconv.Atoi(get("admin_level"))
			if kind == BgBoundary {
				add(kind, routeLines(x, r, pieces), level)
			}
			continue
		}
		mp, err := x.Polygon(r)
		if err != nil || len(mp) == 0 {
			continue
		}
		add(kind, mp, 0)
	}
	return bg, nil
}
