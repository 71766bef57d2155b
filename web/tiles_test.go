package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/sample"
	"github.com/lifecircle/lifecircle/data/synth"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
)

var (
	sampleBgOnce sync.Once
	sampleBg     *data.Background
	sampleBgErr  error
)

// sampleBackground reads the bundled sample's background once.
func sampleBackground(t *testing.T) *data.Background {
	t.Helper()
	sampleBgOnce.Do(func() {
		path, err := sample.OSMFile()
		if err != nil {
			sampleBgErr = err
			return
		}
		sampleBg, sampleBgErr = data.ReadBackground(context.Background(), path)
	})
	if sampleBgErr != nil {
		t.Fatal(sampleBgErr)
	}
	return sampleBg
}

type tileSummary struct {
	VectorTiles struct {
		Background   *tileLayerDoc `json:"background"`
		Streets      tileLayerDoc  `json:"streets"`
		Units        tileLayerDoc  `json:"units"`
		UnitsCompact string        `json:"units_compact"`
		UnitsTiled   bool          `json:"units_tiled"`
	} `json:"vector_tiles"`
	Bounds [4]float64 `json:"bounds"`
}

func (ts *testServer) tileSummary(t *testing.T) tileSummary {
	t.Helper()
	w := ts.get("/api/summary")
	var s tileSummary
	if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// tileURL fills a summary URL template.
func tileURL(tmpl string, tl maptile.Tile) string {
	r := strings.NewReplacer("{z}", fmt.Sprint(tl.Z), "{x}", fmt.Sprint(tl.X), "{y}", fmt.Sprint(tl.Y))
	return "/" + r.Replace(tmpl)
}

// decodeTile fetches and decodes one tile; 204 is an empty tile.
func (ts *testServer) decodeTile(t *testing.T, target string) map[string]*mvt.Layer {
	t.Helper()
	w := ts.get(target)
	out := map[string]*mvt.Layer{}
	if w.Code == 204 {
		return out
	}
	if w.Code != 200 {
		t.Fatalf("%s: %d %s", target, w.Code, w.Body.String())
	}
	if ct := w.Header().Get("Content-Type"); ct != mimeMVT {
		t.Errorf("%s: Content-Type %q, want %s", target, ct, mimeMVT)
	}
	ls, err := mvt.Unmarshal(w.Body.Bytes())
	if err != nil {
		t.Fatalf("%s: decode: %v", target, err)
	}
	for _, l := range ls {
		out[l.Name] = l
	}
	return out
}

// TestReadBackgroundSample: the sample's extract has buildings, water,
// green areas, railways and boundaries, each of the right geometry.
func TestReadBackgroundSample(t *testing.T) {
	bg := sampleBackground(t)
	count := map[string]int{}
	for i, f := range bg.Features {
		count[f.Kind]++
		switch f.Geometry.(type) {
		case orb.Polygon, orb.MultiPolygon:
			if f.Kind == data.BgRail || f.Kind == data.BgBoundary {
				t.Errorf("feature %d: %s as an area", i, f.Kind)
			}
		case orb.LineString, orb.MultiLineString:
			if f.Kind == data.BgBuilding || f.Kind == data.BgGreen {
				t.Errorf("feature %d: %s as a line", i, f.Kind)
			}
		default:
			t.Errorf("feature %d: %s is a %T", i, f.Kind, f.Geometry)
		}
		if !bg.Bound.Contains(f.Geometry.Bound().Min) || !bg.Bound.Contains(f.Geometry.Bound().Max) {
			t.Errorf("feature %d outside the background's bound", i)
		}
	}
	t.Logf("sample background: %v, bound %v", count, bg.Bound)
	for _, k := range []string{data.BgBuilding, data.BgWater, data.BgGreen, data.BgRail} {
		if count[k] == 0 {
			t.Errorf("no %s in the sample's background", k)
		}
	}
}

// TestTiles checks the tile endpoints on the sample: each layer decodes,
// holds what the study has at that place, and the units' figures equal
// /api/units; bad addresses are 400, missing tiles 404, empty ones 204;
// caching headers follow the version, and an edit changes the units'
// tiles (new version, new figures).
func TestTiles(t *testing.T) {
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{Background: sampleBackground(t)})
	sum := ts.tileSummary(t)
	vt := sum.VectorTiles
	if vt.Background == nil || vt.UnitsTiled {
		t.Fatalf("summary vector_tiles = %+v: want a background and GeoJSON units for the small sample", vt)
	}
	b := sum.Bounds
	centre := orb.Point{(b[0] + b[2]) / 2, (b[1] + b[3]) / 2}
	tl := maptile.At(centre, 15)

	streets := ts.decodeTile(t, tileURL(vt.Streets.URL, tl))["streets"]
	if streets == nil || len(streets.Features) == 0 {
		t.Fatalf("streets tile %v has no streets", tl)
	}
	bgl := ts.decodeTile(t, tileURL(vt.Background.URL, tl))
	if l := bgl["building"]; l == nil || len(l.Features) == 0 {
		t.Errorf("background tile %v has no buildings (layers %v)", tl, keys(bgl))
	}
	corner := maptile.At(orb.Point{b[0], b[1]}, 15)
	if l := ts.decodeTile(t, tileURL(vt.Background.URL, corner))["extent"]; l == nil || len(l.Features) != 1 {
		t.Errorf("background tile %v at the study's corner: extent layer %v", corner, l)
	}
	// Tile coordinates stay within the tile and its buffer.
	for name, l := range bgl {
		for _, f := range l.Features {
			bb := f.Geometry.Bound()
			if bb.Min[0] < -tileBuffer-1 || bb.Min[1] < -tileBuffer-1 || bb.Max[0] > tileExtent+tileBuffer+1 || bb.Max[1] > tileExtent+tileBuffer+1 {
				t.Fatalf("%s feature beyond the tile's buffer: %v", name, bb)
			}
		}
	}

	// Units: every unit whose centre lies in the tile is there, with the
	// API's figures.
	units := ts.decodeTile(t, tileURL(vt.Units.URL, tl))["cells"]
	if units == nil || len(units.Features) == 0 {
		t.Fatalf("cells tile %v is empty", tl)
	}
	got := map[string]map[string]any{}
	for _, f := range units.Features {
		got[fmt.Sprint(f.Properties["unit_id"])] = f.Properties
	}
	inTile := 0
	for _, u := range in.Units {
		c, _ := planar.CentroidArea(u.Geometry)
		if maptile.At(c, 15) != tl {
			continue
		}
		inTile++
		p, ok := got[u.ID]
		if !ok {
			t.Errorf("unit %s (centre in the tile) missing from the tile", u.ID)
			continue
		}
		var api unitJSON
		if err := json.Unmarshal(ts.get("/api/units/"+u.ID).Body.Bytes(), &api); err != nil {
			t.Fatal(err)
		}
		if v := p["completeness"].(float64); math.Abs(v-float64(api.Completeness)) > 1e-9 {
			t.Errorf("unit %s completeness %v in the tile, %v in the API", u.ID, v, api.Completeness)
		}
		for _, ty := range api.Types {
			if v := p["coverage_"+ty.ID].(float64); math.Abs(v-float64(ty.Coverage)) > 1e-9 {
				t.Errorf("unit %s coverage_%s %v in the tile, %v in the API", u.ID, ty.ID, v, ty.Coverage)
			}
		}
	}
	if inTile == 0 {
		t.Fatal("no unit centred in the test tile")
	}

	t.Run("bad addresses", func(t *testing.T) {
		for _, p := range []string{"/tiles/streets/a/1/1.mvt", "/tiles/streets/25/0/0.mvt", "/tiles/streets/3/-1/0.mvt",
			"/tiles/streets/03/1/1.mvt", "/tiles/streets/3/1/1.5.mvt", "/tiles/streets/3/1/x.mvt", "/tiles/streets/3/1/99999999999.mvt"} {
			if w := ts.get(p); w.Code != 400 {
				t.Errorf("%s: %d, want 400", p, w.Code)
			} else if !strings.Contains(w.Body.String(), "tile") {
				t.Errorf("%s: message %s", p, w.Body.String())
			}
		}
		for _, p := range []string{"/tiles/streets/3/8/0.mvt", "/tiles/streets/3/0/8.mvt", "/tiles/streets/0/1/0.mvt", "/tiles/nope/3/1/1.mvt", "/tiles/demand/3/1/1.mvt"} {
			if w := ts.get(p); w.Code != 404 {
				t.Errorf("%s: %d, want 404", p, w.Code)
			}
		}
		// Far from the study: an empty tile.
		far := maptile.At(orb.Point{-120, -40}, 15)
		for _, l := range []string{"streets", "cells", "background"} {
			p := fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", l, far.Z, far.X, far.Y)
			if w := ts.get(p); w.Code != 204 && l != "background" || w.Code != 200 && w.Code != 204 {
				t.Errorf("%s: %d, want 204", p, w.Code)
			}
		}
	})

	t.Run("caching and versions", func(t *testing.T) {
		u := tileURL(vt.Units.URL, tl)
		w := ts.get(u)
		cc, etag := w.Header().Get("Cache-Control"), w.Header().Get("ETag")
		if !strings.Contains(cc, "max-age") || etag == "" {
			t.Errorf("current version: Cache-Control %q, ETag %q; want max-age and an ETag", cc, etag)
		}
		if w := ts.get(strings.Split(u, "?")[0]); w.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("no version: Cache-Control %q, want no-cache", w.Header().Get("Cache-Control"))
		}
		r := request("GET", u, nil)
		r.Header.Set("If-None-Match", etag)
		if w := ts.serve(r); w.Code != 304 {
			t.Errorf("If-None-Match of the current ETag: %d, want 304", w.Code)
		}
		// An edit: a facility at a resident of the tile's units who lacks
		// that type.
		var target planner.Unit
		var typ string
		var at orb.Point
	search:
		for _, ty := range in.Profile.Types {
			for i, p := range in.Demand.Points {
				u := in.Assign[i]
				if u < 0 || in.Demand.Pop[i] <= 0 {
					continue
				}
				if pr := got[in.Units[u].ID]; pr != nil && pr["coverage_"+ty.ID].(float64) < 0.5 {
					target, typ, at = in.Units[u], ty.ID, p
					break search
				}
			}
		}
		if target.ID == "" {
			t.Skip("every unit of the tile is covered for every type")
		}
		if _, err := ts.sc.Apply(planner.Edit{Op: "add", Type: typ, Geometry: at}); err != nil {
			t.Fatal(err)
		}
		sum2 := ts.tileSummary(t)
		if sum2.VectorTiles.Units.URL == vt.Units.URL {
			t.Fatalf("units tile URL %s unchanged after an edit", vt.Units.URL)
		}
		r = request("GET", tileURL(sum2.VectorTiles.Units.URL, tl), nil)
		r.Header.Set("If-None-Match", etag)
		w = ts.serve(r)
		if w.Code != 200 || w.Header().Get("ETag") == etag {
			t.Fatalf("after the edit: %d, ETag %q (before %q); want a new tile", w.Code, w.Header().Get("ETag"), etag)
		}
		after := ts.decodeTile(t, tileURL(sum2.VectorTiles.Units.URL, tl))["cells"]
		for _, f := range after.Features {
			if f.Properties["unit_id"] == target.ID {
				if v := f.Properties["coverage_"+typ].(float64); !(v > got[target.ID]["coverage_"+typ].(float64)) {
					t.Errorf("unit %s coverage_%s %v after adding a facility at its centre, was %v", target.ID, typ, v, got[target.ID]["coverage_"+typ])
				}
				return
			}
		}
		t.Errorf("unit %s missing after the edit", target.ID)
	})
}

// TestTilesNoBackground: a study without an extract has no background
// tiles, and the summary says so.
func TestTilesNoBackground(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{})
	if bg := ts.tileSummary(t).VectorTiles.Background; bg != nil {
		t.Errorf("summary background %+v without an extract", bg)
	}
	w := ts.get("/tiles/background/15/18654/9481.mvt")
	if w.Code != 404 || !strings.Contains(w.Body.String(), "--osm") {
		t.Errorf("background tile without an extract: %d %s", w.Code, w.Body.String())
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestBasemapSources: Tianditu with its key is accepted (any t0–t7
// subdomain allowed by the CSP), without it or in its geographic matrix
// refused; GCJ-02 and BD-09 sources are refused with the reason, in
// English and Chinese.
func TestBasemapSources(t *testing.T) {
	const tdt = "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=0123abcd"
	got, err := TilesSource(tdt)
	if err != nil || got != "https://*.tianditu.gov.cn" {
		t.Errorf("TilesSource(Tianditu) = %q, %v", got, err)
	}
	if s := tileSubdomains(tdt); s != "01234567" {
		t.Errorf("Tianditu subdomains %q", s)
	}
	if s := tileSubdomains("https://{s}.tile.example.org/{z}/{x}/{y}.png"); s != "abc" {
		t.Errorf("default subdomains %q", s)
	}
	if _, err := TilesSource("https://t0.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=k1"); err != nil {
		t.Errorf("Tianditu DataServer refused: %v", err)
	}
	for _, tc := range []struct{ url, want string }{
		{strings.TrimSuffix(tdt, "&tk=0123abcd"), "tk=YOUR_KEY"},
		{strings.ReplaceAll(strings.ReplaceAll(tdt, "vec_w", "vec_c"), "TILEMATRIXSET=w", "TILEMATRIXSET=c"), "_w"},
		{"https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}", "GCJ-02"},
		{"https://rt{s}.map.gtimg.com/tile?z={z}&x={x}&y={y}&type=vector", "GCJ-02"},
		{"https://maponline0.bdimg.com/tile/?qt=vtile&x={x}&y={y}&z={z}", "BD-09"},
	} {
		_, err := TilesSource(tc.url)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "请") {
			t.Errorf("TilesSource(%s) = %v; want a refusal naming %s, in English and Chinese", tc.url, err, tc.want)
		}
	}
}

// BenchmarkTiles times building one tile (no cache) of each layer on a
// generated city of 100,000 street nodes (25 km², 250 m cells) with the
// test background: the whole city at zoom 11, and zoom 14 at its centre.
func BenchmarkTiles(b *testing.B) {
	in := synthStudy(b, synth.Options{Nodes: 100000, Facilities: 200, Points: 100000, Seed: 3}, 250)
	bound := in.Net.Bound()
	ts := newTestServer(b, in, Config{Background: cityBackground(bound)})
	c := bound.Center()
	for _, tc := range []struct {
		layer string
		z     maptile.Zoom
	}{{"cells", 9}, {"cells.lcu", 9}, {"cells", 11}, {"cells.lcu", 11}, {"cells", 12}, {"cells", 14}, {"streets", 12}, {"streets", 13}, {"streets", 14}, {"background", 11}, {"background", 12}, {"background", 13}, {"streets", 15}, {"background", 14}, {"background", 16}} {
		tl := maptile.At(c, tc.z)
		b.Run(fmt.Sprintf("%s/z%d", tc.layer, tc.z), func(b *testing.B) {
			size := 0
			for b.Loop() {
				body, _, err := ts.buildTile(context.Background(), tc.layer, tl)
				if err != nil {
					b.Fatal(err)
				}
				size = len(body)
			}
			b.ReportMetric(float64(size), "bytes/tile")
		})
	}
}

// TestTilesConcurrent asks for the same tiles from many goroutines at
// once (run with -race): every answer is the same tile.
func TestTilesConcurrent(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{Background: sampleBackground(t)})
	sum := ts.tileSummary(t)
	b := sum.Bounds
	tl := maptile.At(orb.Point{(b[0] + b[2]) / 2, (b[1] + b[3]) / 2}, 14)
	for _, tmpl := range []string{sum.VectorTiles.Units.URL, sum.VectorTiles.Streets.URL, sum.VectorTiles.Background.URL} {
		u := tileURL(tmpl, tl)
		bodies := make([]string, 16)
		var wg sync.WaitGroup
		for i := range bodies {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				w := ts.get(u)
				if w.Code != 200 {
					t.Errorf("%s: %d", u, w.Code)
				}
				bodies[i] = w.Body.String()
			}(i)
		}
		wg.Wait()
		for i := range bodies {
			if bodies[i] != bodies[0] || len(bodies[i]) == 0 {
				t.Fatalf("%s: answer %d differs from the first (%d and %d bytes)", u, i, len(bodies[i]), len(bodies[0]))
			}
		}
	}
}

// TestTileStack: /tiles/stack answers, per layer asked, the single tile's
// bytes behind a 4-byte length (0 for an empty tile), cacheable only when
// every layer's version is the current one; unknown layers are 404 and a
// stack of no or too many layers 400.
func TestTileStack(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{Background: sampleBackground(t)})
	sum := ts.tileSummary(t)
	b := sum.Bounds
	for _, z := range []maptile.Zoom{9, 14, 16} {
		tl := maptile.At(orb.Point{(b[0] + b[2]) / 2, (b[1] + b[3]) / 2}, z)
		tmpls := []string{sum.VectorTiles.Background.URL, sum.VectorTiles.Streets.URL, sum.VectorTiles.Units.URL, sum.VectorTiles.UnitsCompact}
		names := []string{"background", "streets", "cells", "cells.lcu"}
		var vs []string
		var want []byte
		for _, tmpl := range tmpls {
			u := tileURL(tmpl, tl)
			_, v, _ := strings.Cut(u, "?v=")
			vs = append(vs, v)
			w := ts.get(u)
			if w.Code != 200 && w.Code != 204 {
				t.Fatalf("%s: %d", u, w.Code)
			}
			want = binary.BigEndian.AppendUint32(want, uint32(w.Body.Len()))
			want = append(want, w.Body.Bytes()...)
		}
		base := fmt.Sprintf("/tiles/stack/%d/%d/%d?layers=%s", tl.Z, tl.X, tl.Y, strings.Join(names, ","))
		w := ts.get(base + "&v=" + strings.Join(vs, ","))
		if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), want) {
			t.Fatalf("z%d stack: %d, %d bytes; want 200 and the single tiles' %d bytes", z, w.Code, w.Body.Len(), len(want))
		}
		if cc := w.Header().Get("Cache-Control"); !strings.Contains(cc, "max-age") {
			t.Errorf("z%d stack with current versions: Cache-Control %q", z, cc)
		}
		if cc := ts.get(base + "&v=old").Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("z%d stack with an old version: Cache-Control %q, want no-store", z, cc)
		}
	}
	for target, code := range map[string]int{
		"/tiles/stack/14/1/2?layers=":                         400,
		"/tiles/stack/14/1/2?layers=a,b,c,d,e,f,g,h,i":        400,
		"/tiles/stack/14/1/2?layers=streets,nosuch":           404,
		"/tiles/stack/14/1/2?layers=streets.lcu":              404,
		"/tiles/stack/3/8/0?layers=streets":                   404,
		"/tiles/stack/x/1/2?layers=streets":                   400,
		"/tiles/stack/14/1/2?layers=streets,background,cells": 200,
	} {
		if w := ts.get(target); w.Code != code {
			t.Errorf("%s: %d, want %d: %s", target, w.Code, code, w.Body.String())
		}
	}
}
