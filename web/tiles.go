package web

// Vector tiles (Mapbox Vector Tile 2.1, encoded by orb/encoding/mvt) of
// the map's large layers: the offline background drawn from the study's
// OSM extract, the walkable streets and the units with their figures.
// The page asks only for the tiles it shows, so a city of a million
// street nodes never travels as one GeoJSON.

import (
	"container/list"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"
	"github.com/lifecircle/lifecircle/data"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"
)

// Tile geometry and limits.
const (
	tileExtent = 4096 // tile units per tile side (16 per pixel of a 256 px tile)
	// tileBuffer is the margin, in tile units, kept around a tile so that
	// lines and fills meet without seams at tile edges.
	tileBuffer = 64
	// maxTileZoom is the deepest zoom served; deeper is a bad request.
	maxTileZoom = 24
	// nativeMaxZoom is the deepest zoom the page asks for; beyond it the
	// page scales these tiles up.
	nativeMaxZoom = 18
	// tileCacheBytes bounds the encoded tiles kept in memory.
	tileCacheBytes = 256 << 20
	// Average features per tile above which a layer is left out at a zoom
	// (as web maps leave out minor streets at city scale).
	streetsPerTile   = 12000
	buildingsPerTile = 8000
	otherPerTile     = 20000
	// UnitsTileThreshold is the number of units above which the page draws
	// them from tiles instead of one GeoJSON of all of them.
	UnitsTileThreshold = 10000
	// simplifyTolerance is the Douglas–Peucker tolerance in tile units
	// (half a pixel).
	simplifyTolerance = 8
	mimeMVT           = "application/vnd.mapbox-vector-tile"
	mimeCompact       = "application/octet-stream"
)

// tileLayerDoc describes one tile layer to the page (summary
// "vector_tiles"): its URL template (relative to the page), the zoom from
// which it holds features, the deepest zoom it is made for, and the MVT
// layers inside its tiles.
type tileLayerDoc struct {
	URL     string   `json:"url"`
	MinZoom int      `json:"minzoom"`
	MaxZoom int      `json:"maxzoom"`
	Layers  []string `json:"layers"`
	// MinZooms are per-MVT-layer start zooms (background), when they
	// differ from MinZoom.
	MinZooms map[string]int `json:"minzooms,omitempty"`
}

// vectorTilesDoc is the summary's "vector_tiles".
type vectorTilesDoc struct {
	// Background is nil when the study has no OSM extract (a GeoJSON
	// network or a database without one): the page then says so.
	Background *tileLayerDoc `json:"background"`
	Streets    tileLayerDoc  `json:"streets"`
	Units      tileLayerDoc  `json:"units"`
	// UnitsCompact is the units' compact (LCU1) tile template, used by the
	// page below CompactMaxZoom + 1 (tiles_compact.go).
	UnitsCompact   string `json:"units_compact"`
	CompactMaxZoom int    `json:"compact_maxzoom"`
	// UnitsTiled says the page should draw the units from tiles (more than
	// UnitsTileThreshold of them) rather than from the OGC collection.
	UnitsTiled bool `json:"units_tiled"`
}

// tileServer holds what the tile endpoints need besides the Server.
type tileServer struct {
	instance    string // changes with every server start: part of tile URLs and ETags
	cache       *tileCache
	bg          *data.Background
	bgIndex     lazyIndex // background features but buildings
	bgBuildings lazyIndex
	streetsMin  int
	bgMin       map[string]int
	bgMinAll    int
	boxOnce     sync.Once
	boxLike     []bool // per unit: a lon/lat box (tiles_compact.go)
}

// initTiles prepares the tile layers: the instance id, the cache, the
// background's spatial index (built in the background) and the zoom from
// which each layer is drawn.
func (s *Server) initTiles(bg *data.Background) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	ts := &tileServer{instance: hex.EncodeToString(b[:]), cache: newTileCache(tileCacheBytes), bg: bg}
	ts.streetsMin = densityMinZoom(s.net.NumEdges(), s.net.Bound(), streetsPerTile)
	if bg != nil && len(bg.Features) > 0 {
		// Buildings, most of the features, have their own index: the
		// zooms without them do not wade through them.
		feats := bg.Features
		ts.bgIndex = s.startIndex("background", len(feats), func(i int) (orb.Bound, bool) {
			return feats[i].Geometry.Bound(), feats[i].Kind != data.BgBuilding
		})
		ts.bgBuildings = s.startIndex("background buildings", len(feats), func(i int) (orb.Bound, bool) {
			return feats[i].Geometry.Bound(), feats[i].Kind == data.BgBuilding
		})
		count := map[string]int{}
		for _, f := range feats {
			count[f.Kind]++
		}
		ts.bgMin = map[string]int{}
		ts.bgMinAll = nativeMaxZoom
		for _, k := range data.BackgroundKinds {
			per := otherPerTile
			if k == data.BgBuilding {
				per = buildingsPerTile
			}
			ts.bgMin[k] = densityMinZoom(count[k], bg.Bound, per)
			ts.bgMinAll = min(ts.bgMinAll, ts.bgMin[k])
		}
	}
	s.tiles = ts
	if len(s.unitIndex) > UnitsTileThreshold {
		go s.warmOverview()
	}
}

// warmOverviewTiles is the most tiles a zoom may need to show the whole
// study for warmOverview to build it ahead.
const warmOverviewTiles = 64

// warmOverview builds the units and background tiles of the overview
// zooms (those at which the whole study fits in at most warmOverviewTiles
// tiles, from the last zoom of compact units tiles down), which every
// visitor of a large study loads first, before anyone asks: the tile
// servers' cache seeding. The zoom a screen shows the
// whole study at (at most 4 × 3 tiles of 512 px) goes first. It stops
// when the scenario changes.
func (s *Server) warmOverview() {
	b := s.unitsExtent
	ver := s.sc.Version()
	span := func(z int) (lo, hi maptile.Tile) {
		return maptile.At(orb.Point{b.Min[0], b.Max[1]}, maptile.Zoom(z)), maptile.At(orb.Point{b.Max[0], b.Min[1]}, maptile.Zoom(z))
	}
	var zooms []int
	first := -1
	for z := unitIDMinZoom - 1; z >= 3; z-- {
		lo, hi := span(z)
		nx, ny := int(hi.X)-int(lo.X)+1, int(hi.Y)-int(lo.Y)+1
		if nx*ny > warmOverviewTiles {
			continue
		}
		if first < 0 && nx <= 4 && ny <= 3 {
			first = len(zooms)
		}
		zooms = append(zooms, z)
	}
	if first > 0 {
		z := zooms[first]
		zooms = slices.Insert(slices.Delete(zooms, first, first+1), 0, z)
	}
	for _, z := range zooms {
		lo, hi := span(z)
		for x := lo.X; x <= hi.X; x++ {
			for y := lo.Y; y <= hi.Y; y++ {
				if s.sc.Version() != ver {
					return
				}
				s.warmTile(maptile.New(x, y, maptile.Zoom(z)))
			}
		}
	}
}

// warmTile builds a tile's compact units and background into the cache.
func (s *Server) warmTile(t maptile.Tile) {
	for _, layer := range []string{s.cfg.UnitsKind + compactSuffix, "background"} {
		if layer == "background" && s.tiles.bgIndex == nil {
			continue
		}
		key := tileKey{layer: layer, z: uint32(t.Z), x: t.X, y: t.Y, version: s.tileVersion(strings.TrimSuffix(layer, compactSuffix))}
		_, _ = s.tiles.cache.getOrBuild(key, func() ([]byte, uint64, error) { return s.buildTile(context.Background(), layer, t) })
	}
}

// densityMinZoom is the first zoom (0..16) at which n features spread
// over b average at most perTile per tile.
func densityMinZoom(n int, b orb.Bound, perTile int) int {
	if n <= perTile {
		return 0
	}
	for z := 0; z <= 16; z++ {
		lo := maptile.At(orb.Point{b.Min[0], b.Max[1]}, maptile.Zoom(z))
		hi := maptile.At(orb.Point{b.Max[0], b.Min[1]}, maptile.Zoom(z))
		tiles := (int(hi.X) - int(lo.X) + 1) * (int(hi.Y) - int(lo.Y) + 1)
		if tiles > 0 && n/tiles <= perTile {
			return z
		}
	}
	return 16
}

// vectorTiles is the summary's description of the tile layers; version
// is the scenario's (call under its view or with Version()).
func (s *Server) vectorTiles(version uint64) vectorTilesDoc {
	ts := s.tiles
	v := ts.instance
	out := vectorTilesDoc{
		Streets: tileLayerDoc{URL: "tiles/streets/{z}/{x}/{y}.mvt?v=" + v, MinZoom: ts.streetsMin, MaxZoom: nativeMaxZoom, Layers: []string{"streets"}},
		Units: tileLayerDoc{URL: "tiles/" + s.cfg.UnitsKind + "/{z}/{x}/{y}.mvt?v=" + v + "." + strconv.FormatUint(version, 10),
			MaxZoom: nativeMaxZoom, Layers: []string{s.cfg.UnitsKind}},
		UnitsCompact:   "tiles/" + s.cfg.UnitsKind + "/{z}/{x}/{y}" + compactSuffix + "?v=" + v + "." + strconv.FormatUint(version, 10),
		CompactMaxZoom: unitIDMinZoom - 1,
		UnitsTiled:     len(s.unitIndex) > UnitsTileThreshold,
	}
	if ts.bgIndex != nil {
		out.Background = &tileLayerDoc{URL: "tiles/background/{z}/{x}/{y}.mvt?v=" + v, MinZoom: ts.bgMinAll,
			MaxZoom: nativeMaxZoom, Layers: append(append([]string(nil), data.BackgroundKinds...), "extent"), MinZooms: ts.bgMin}
	}
	return out
}

// tileVersion is the version of a layer's content: the scenario's for
// the units, 0 for layers that never change.
func (s *Server) tileVersion(layer string) uint64 {
	if layer == s.cfg.UnitsKind {
		return s.sc.Version()
	}
	return 0
}

// handleTile serves GET /tiles/{layer}/{z}/{x}/{y}.mvt. Bad numbers are
// 400; a layer that does not exist, or x or y beyond 2^z, 404; a tile
// with nothing in it 204. With ?v= naming the current version the tile
// may be cached for a day, otherwise it must be revalidated (ETag).
func (s *Server) handleTile(w http.ResponseWriter, r *http.Request) {
	layer := chi.URLParam(r, "layer")
	ys := chi.URLParam(r, "y")
	compact := strings.HasSuffix(ys, compactSuffix)
	z, x, y, err := parseTileAddr(chi.URLParam(r, "z"), chi.URLParam(r, "x"), strings.TrimSuffix(ys, compactSuffix))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.checkTile(layer, compact, z, x, y); err != nil {
		s.fail(w, r, err)
		return
	}
	cur := s.tileCurrent(layer)
	etag := `"` + cur + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Vary", "Accept-Encoding")
	if r.URL.Query().Get("v") == cur {
		h.Set("Cache-Control", "public, max-age=86400")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body, err := s.tileBody(r.Context(), layer, compact, z, x, y)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	mime := mimeMVT
	if compact {
		mime = mimeCompact
	}
	h.Set("Content-Type", mime)
	if len(body) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// checkTile reports why tile z/x/y of layer (compact: its .lcu form)
// cannot be served, or nil.
func (s *Server) checkTile(layer string, compact bool, z, x, y uint32) error {
	if compact && layer != s.cfg.UnitsKind {
		return notFound("no compact tiles of layer %q: only %s come as %s", shorten(layer, 40), s.cfg.UnitsKind, compactSuffix)
	}
	if layer != s.cfg.UnitsKind && layer != "streets" && (layer != "background" || s.tiles.bgIndex == nil) {
		if layer == "background" {
			return notFound("no background tiles: the study has no OpenStreetMap extract (give --osm) to draw buildings, water and parks from")
		}
		return notFound("no tile layer %q: the layers are background, streets and %s", shorten(layer, 40), s.cfg.UnitsKind)
	}
	if n := uint64(1) << z; uint64(x) >= n || uint64(y) >= n {
		return notFound("tile %d/%d/%d does not exist: x and y must be below 2^z = %d", z, x, y, n)
	}
	return nil
}

// tileCurrent is the v= value of a layer's current tiles (the server's
// instance, and the scenario's version for the units).
func (s *Server) tileCurrent(layer string) string {
	cur := s.tiles.instance
	if layer == s.cfg.UnitsKind {
		cur += "." + strconv.FormatUint(s.tileVersion(layer), 10)
	}
	return cur
}

// tileBody is the encoded tile (empty: nothing in it), from the cache or
// built now.
func (s *Server) tileBody(ctx context.Context, layer string, compact bool, z, x, y uint32) ([]byte, error) {
	key := tileKey{layer: layer, z: z, x: x, y: y, version: s.tileVersion(layer)}
	if compact {
		key.layer += compactSuffix
	}
	return s.tiles.cache.getOrBuild(key, func() ([]byte, uint64, error) {
		// Others may wait for this tile: a client that goes away does
		// not cancel it (a tile takes well under a second).
		return s.buildTile(context.WithoutCancel(ctx), key.layer, maptile.New(x, y, maptile.Zoom(z)))
	})
}

// maxStackLayers bounds the layers one /tiles/stack request may ask for.
const maxStackLayers = 8

// handleTileStack serves GET /tiles/stack/{z}/{x}/{y}?layers=L1,L2… (a
// layer is background, streets, the units, or the units' compact form
// UNITS.lcu) with v= naming each layer's current version as the single
// tiles' URLs do (layer:version, comma-separated): the tiles of one place
// for several layers in one answer, so a map moving over new ground asks
// once per place instead of once per layer and place. The body is, per
// layer in the order asked, a 4-byte big-endian length and the tile
// (length 0: nothing there).
func (s *Server) handleTileStack(w http.ResponseWriter, r *http.Request) {
	z, x, y, err := parseTileAddr(chi.URLParam(r, "z"), chi.URLParam(r, "x"), chi.URLParam(r, "y"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	names := strings.Split(r.URL.Query().Get("layers"), ",")
	if len(names) == 0 || names[0] == "" || len(names) > maxStackLayers {
		s.fail(w, r, badRequestL(
			fmt.Sprintf("tile stack: give 1 to %d layers, as in /tiles/stack/14/9326/4741?layers=background,streets", maxStackLayers),
			fmt.Sprintf("瓦片组：应给出 1 至 %d 个图层，例如 /tiles/stack/14/9326/4741?layers=background,streets", maxStackLayers)))
		return
	}
	fresh := true
	vs := strings.Split(r.URL.Query().Get("v"), ",")
	var out []byte
	for i, name := range names {
		layer, compact := strings.CutSuffix(name, compactSuffix)
		if err := s.checkTile(layer, compact, z, x, y); err != nil {
			s.fail(w, r, err)
			return
		}
		if i >= len(vs) || vs[i] != s.tileCurrent(layer) {
			fresh = false
		}
		body, err := s.tileBody(r.Context(), layer, compact, z, x, y)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
		out = append(out, body...)
	}
	h := w.Header()
	if fresh {
		h.Set("Cache-Control", "public, max-age=86400")
	} else {
		h.Set("Cache-Control", "no-store")
	}
	h.Set("Content-Type", mimeCompact)
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// parseTileAddr reads z, x and y (y may end in .mvt): decimal integers,
// z at most maxTileZoom.
func parseTileAddr(zs, xs, ys string) (z, x, y uint32, err error) {
	ys = strings.TrimSuffix(ys, ".mvt")
	parse := func(name, v string, max uint64) (uint32, error) {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n > max || strconv.FormatUint(n, 10) != v {
			return 0, badRequestL(
				fmt.Sprintf("tile %s %q: want a whole number 0..%d, as in /tiles/streets/14/9326/4741.mvt", name, shorten(v, 20), max),
				fmt.Sprintf("瓦片 %s %q 无效：应为 0..%d 的整数，例如 /tiles/streets/14/9326/4741.mvt", name, shorten(v, 20), max))
		}
		return uint32(n), nil
	}
	if z, err = parse("z", zs, maxTileZoom); err != nil {
		return
	}
	if x, err = parse("x", xs, math.MaxUint32); err != nil {
		return
	}
	if y, err = parse("y", ys, math.MaxUint32); err != nil {
		return
	}
	return z, x, y, nil
}

// buildTile encodes one tile of a layer; an empty tile is nil. It returns
// the version of the figures it holds.
func (s *Server) buildTile(ctx context.Context, layer string, t maptile.Tile) ([]byte, uint64, error) {
	var layers mvt.Layers
	var ver uint64
	switch layer {
	case "streets":
		if int(t.Z) < s.tiles.streetsMin {
			return nil, 0, nil
		}
		layers = mvt.Layers{s.streetsLayer(t)}
	case "background":
		layers = s.backgroundLayers(t)
	case s.cfg.UnitsKind + compactSuffix:
		b, ver := s.unitsCompactTile(t)
		return b, ver, nil
	default:
		b, ver := s.unitsTile(t)
		return b, ver, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	n := 0
	for _, l := range layers {
		n += len(l.Features)
	}
	if n == 0 {
		return nil, ver, nil
	}
	b, err := mvt.Marshal(layers)
	if err != nil {
		return nil, 0, fmt.Errorf("tile %s %d/%d/%d: %w", layer, t.Z, t.X, t.Y, err)
	}
	return b, ver, nil
}

// tileQuery is the lon/lat box of a tile with its buffer.
func tileQuery(t maptile.Tile) bboxFilter {
	return bboxFilter{t.Bound(float64(tileBuffer) / tileExtent)}
}

// finishLayer clips a layer's features to the tile and its buffer,
// simplifies them (Douglas–Peucker, tolerance in tile units; 0: not at
// all) and drops lines shorter than half a pixel and areas below
// areaLimit (square tile units).
func finishLayer(l *mvt.Layer, tolerance, areaLimit float64) *mvt.Layer {
	l.Clip(orb.Bound{Min: orb.Point{-tileBuffer, -tileBuffer}, Max: orb.Point{tileExtent + tileBuffer, tileExtent + tileBuffer}})
	if tolerance > 0 {
		l.Simplify(simplify.DouglasPeucker(tolerance))
	}
	l.RemoveEmpty(simplifyTolerance, areaLimit)
	return l
}

func newTileLayer(name string, n int) *mvt.Layer {
	return &mvt.Layer{Name: name, Version: 2, Extent: tileExtent, Features: make([]*geojson.Feature, 0, n)}
}

// streetsLayer is the "streets" layer of tile t: every walkable edge.
func (s *Server) streetsLayer(t maptile.Tile) *mvt.Layer {
	idx := s.index.streets()
	cands := idx.candidates(nil, tileQuery(t))
	l := newTileLayer("streets", len(cands))
	proj := tileProjection(t)
	for _, i := range cands {
		g := projectCopy(s.net.EdgeGeometry(i), proj)
		if g != nil {
			l.Features = append(l.Features, &geojson.Feature{Geometry: g})
		}
	}
	return finishLayer(l, simplifyTolerance, 0)
}

// backgroundLayers are the background's layers of tile t (each kind from
// its own start zoom) and "extent", the outline of the study area.
func (s *Server) backgroundLayers(t maptile.Tile) mvt.Layers {
	ts := s.tiles
	proj := tileProjection(t)
	byKind := map[string]*mvt.Layer{}
	var out mvt.Layers
	for _, k := range data.BackgroundKinds {
		if int(t.Z) >= ts.bgMin[k] {
			byKind[k] = newTileLayer(k, 0)
			out = append(out, byKind[k])
		}
	}
	if len(byKind) > 0 {
		cands := ts.bgIndex().candidates(nil, tileQuery(t))
		if byKind[data.BgBuilding] != nil {
			cands = ts.bgBuildings().candidates(cands, tileQuery(t))
		}
		for _, i := range cands {
			f := ts.bg.Features[i]
			l := byKind[f.Kind]
			if l == nil || tooSmall(f.Geometry, proj, bgAreaLimit) {
				continue
			}
			g := projectCopy(f.Geometry, proj)
			if g == nil {
				continue
			}
			feat := &geojson.Feature{Geometry: g}
			if f.AdminLevel > 0 {
				feat.Properties = geojson.Properties{"admin_level": f.AdminLevel}
			}
			l.Features = append(l.Features, feat)
		}
	}
	for _, l := range out {
		finishLayer(l, simplifyTolerance, bgAreaLimit)
	}
	b := s.bounds.Union(ts.bg.Bound)
	ext := newTileLayer("extent", 1)
	ring := orb.LineString{b.Min, {b.Max[0], b.Min[1]}, b.Max, {b.Min[0], b.Max[1]}, b.Min}
	ext.Features = append(ext.Features, &geojson.Feature{Geometry: projectCopy(ring, proj)})
	return append(out, finishLayer(ext, 0, 0))
}

// bgAreaLimit is the area (square tile units) below which a background
// area is left out of a tile: a quarter of a pixel of the page's tiles.
const bgAreaLimit = 4 * simplifyTolerance * simplifyTolerance

// tooSmall reports an area whose projected bound is below limit (square
// tile units): finishLayer would drop it, so it is not projected at all
// (most buildings at the zoom where they start).
func tooSmall(g orb.Geometry, proj orb.Projection, limit float64) bool {
	switch g.(type) {
	case orb.Polygon, orb.MultiPolygon:
		b := g.Bound()
		p, q := proj(orb.Point{b.Min[0], b.Max[1]}), proj(orb.Point{b.Max[0], b.Min[1]})
		return (q[0]-p[0])*(q[1]-p[1]) < limit
	}
	return false
}

// tileProjection maps lon/lat to the tile's units (Web Mercator, y down),
// rounded to whole units.
func tileProjection(t maptile.Tile) orb.Projection {
	n := math.Exp2(float64(t.Z))
	x0, y0 := float64(t.X), float64(t.Y)
	return func(p orb.Point) orb.Point {
		lat := math.Max(-85.0511287798, math.Min(85.0511287798, p[1]))
		sin := math.Sin(lat * math.Pi / 180)
		x := ((p[0]+180)/360*n - x0) * tileExtent
		y := ((0.5-math.Log((1+sin)/(1-sin))/(4*math.Pi))*n - y0) * tileExtent
		return orb.Point{math.Round(x), math.Round(y)}
	}
}

// tileRings appends to rings the rings of unit polygon g projected into a
// tile's pixels (proj) and clipped to box; false when nothing is left.
func tileRings(rings []orb.Ring, g orb.Geometry, proj orb.Projection, box orb.Bound) ([]orb.Ring, bool) {
	if g = projectCopy(g, proj); g == nil {
		return rings, false
	}
	if b := g.Bound(); !(box.Contains(b.Min) && box.Contains(b.Max)) {
		if g = clip.Geometry(box, g); g == nil {
			return rings, false
		}
	}
	switch g := g.(type) {
	case orb.Polygon:
		rings = append(rings, g...)
	case orb.MultiPolygon:
		for _, p := range g {
			rings = append(rings, p...)
		}
	}
	return rings, true
}

// projectCopy returns a projected copy of g (orb's project works in
// place, and the study's geometries are shared); nil for a kind tiles do
// not carry.
func projectCopy(g orb.Geometry, proj orb.Projection) orb.Geometry {
	pts := func(ps []orb.Point) []orb.Point {
		out := make([]orb.Point, len(ps))
		for i, p := range ps {
			out[i] = proj(p)
		}
		return out
	}
	switch g := g.(type) {
	case orb.Point:
		return proj(g)
	case orb.MultiPoint:
		return orb.MultiPoint(pts(g))
	case orb.LineString:
		return orb.LineString(pts(g))
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(g))
		for i, ls := range g {
			out[i] = pts(ls)
		}
		return out
	case orb.Ring:
		return orb.Polygon{pts(g)}
	case orb.Polygon:
		out := make(orb.Polygon, len(g))
		for i, r := range g {
			out[i] = pts(r)
		}
		return out
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = projectCopy(p, proj).(orb.Polygon)
		}
		return out
	case orb.Bound:
		return projectCopy(g.ToPolygon(), proj)
	}
	return nil
}

// tileKey names one encoded tile of one version of a layer.
type tileKey struct {
	layer   string
	z, x, y uint32
	version uint64
}

// A tileCache keeps encoded tiles, least recently used dropped first
// when their bytes pass max. It is safe for concurrent use.
type tileCache struct {
	mu    sync.Mutex
	max   int
	bytes int
	order *list.List // of *tileEntry, most recent first
	m     map[tileKey]*list.Element
	// building are the tiles being built: a second request for one waits
	// for the first instead of building it again.
	building map[tileKey]*tileBuild
}

type tileBuild struct {
	done chan struct{}
	body []byte
	err  error
}

// getOrBuild returns the cached tile of key, or builds it with build
// (once, however many ask at the same time) and caches it under the
// version build reports: an edit between reading the version and
// building the tile gives a tile of the newer figures.
func (c *tileCache) getOrBuild(key tileKey, build func() ([]byte, uint64, error)) ([]byte, error) {
	if body, ok := c.get(key); ok {
		return body, nil
	}
	c.mu.Lock()
	if b, ok := c.building[key]; ok {
		c.mu.Unlock()
		<-b.done
		return b.body, b.err
	}
	b := &tileBuild{done: make(chan struct{})}
	c.building[key] = b
	c.mu.Unlock()
	var ver uint64
	b.body, ver, b.err = build()
	c.mu.Lock()
	delete(c.building, key)
	c.mu.Unlock()
	close(b.done)
	if b.err == nil {
		key.version = ver
		c.put(key, b.body)
	}
	return b.body, b.err
}

type tileEntry struct {
	key  tileKey
	body []byte
}

func newTileCache(max int) *tileCache {
	return &tileCache{max: max, order: list.New(), m: map[tileKey]*list.Element{}, building: map[tileKey]*tileBuild{}}
}

func (c *tileCache) get(k tileKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*tileEntry).body, true
}

func (c *tileCache) put(k tileKey, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[k]; ok {
		c.order.MoveToFront(e)
		return
	}
	c.m[k] = c.order.PushFront(&tileEntry{key: k, body: body})
	c.bytes += len(body) + 64
	for c.bytes > c.max && c.order.Len() > 1 {
		last := c.order.Back()
		te := last.Value.(*tileEntry)
		c.order.Remove(last)
		delete(c.m, te.key)
		c.bytes -= len(te.body) + 64
	}
}
