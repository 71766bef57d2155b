package web

import (
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/lifecircle/lifecircle/web/browsertest"
)

// interiorJS returns, per unit drawn from GeoJSON, a lon/lat inside it
// as far from its edges as a 15 × 15 grid over its bounds finds, with
// that distance in metres.
const interiorJS = `(() => {
	const m = window.lifecircle.map, out = {};
	window.lifecircle.ext.unitLayers().forEach((l, id) => {
		const b = l.getBounds(), z = 18;
		const rings = [];
		const walk = (a) => { if (a.length && a[0].lat !== undefined) rings.push(a.map(p => m.project(p, z))); else a.forEach(walk); };
		walk(l.getLatLngs());
		const inside = (p) => { let c = false; for (const r of rings) for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
			if ((r[i].y > p.y) !== (r[j].y > p.y) && p.x < (r[j].x - r[i].x) * (p.y - r[i].y) / (r[j].y - r[i].y) + r[i].x) c = !c; } return c; };
		const edge = (p) => { let d = Infinity; for (const r of rings) for (let i = 0, j = r.length - 1; i < r.length; j = i++) d = Math.min(d, L.LineUtil.pointToSegmentDistance(p, r[i], r[j])); return d; };
		let best = null, bestD = -1;
		for (let i = 1; i < 15; i++) for (let j = 1; j < 15; j++) {
			const ll = L.latLng(b.getSouth() + (b.getNorth() - b.getSouth()) * i / 15, b.getWest() + (b.getEast() - b.getWest()) * j / 15);
			const p = m.project(ll, z);
			if (!inside(p)) continue;
			const d = edge(p);
			if (d > bestD) { bestD = d; best = ll; }
		}
		if (best) out[id] = [best.lng, best.lat, bestD * 40075016 * Math.cos(best.lat * Math.PI / 180) / (256 * Math.pow(2, z))];
	});
	return out;
})()`

// TestBrowserTiledUnits draws the district example's communities from
// tiles (?cells=tiles) and from GeoJSON (?cells=geojson): in each style
// (completeness, clinic coverage, broken rules) every community's pixel
// on the tiled map, at an overview zoom (compact tiles, painted into the
// canvas's pixels) and at a close one (MVT tiles, filled as paths), has
// the colour and opacity the GeoJSON map gives it; and the tiled map
// labels the same communities by name. With ?facilities=lite (as a
// city's) a facility's popup fetches the properties its feature lacks.
func TestBrowserTiledUnits(t *testing.T) {
	browsertest.Chromium(t)
	ts := newDistrictServer(t)
	srv := httptest.NewServer(ts.h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	w := newBrowserWatch(u.Host)
	ctx := browsertest.New(t, w, 1200, 900)
	setSelect := func(id, v string) {
		t.Helper()
		browserStep(t, ctx, "set "+id+" "+v, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
			`void (() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event("change")); })()`, id, v)),
			chromedp.Poll[chromedp.Void](`window.lifecircleTiles.pending() === 0 && document.body.dataset.busy === "0"`, chromedp.WithPollingTimeout(20*time.Second)))
	}
	load := func(mode string) {
		t.Helper()
		browserStep(t, ctx, "load "+mode, chromedp.Navigate(srv.URL+"/?lang=en&cells="+mode))
		browserWaitIdle(t, ctx, "first render, "+mode)
		browserStep(t, ctx, "rules loaded", chromedp.Poll[chromedp.Void](`Array.from(document.querySelectorAll("#colour-by option")).some(o => o.value === "rules")`,
			chromedp.WithPollingTimeout(20*time.Second)))
		browserStep(t, ctx, "fit", chromedp.Evaluate[chromedp.Void](`void window.lifecircle.map.fitBounds(window.lifecircle.bounds(), {animate: false})`),
			chromedp.Poll[chromedp.Void](`window.lifecircleTiles.pending() === 0`, chromedp.WithPollingTimeout(20*time.Second)), chromedp.Sleep(300*time.Millisecond))
	}
	styles := []string{"completeness", "clinic", "rules"}

	// The GeoJSON map: each community's style, a point inside it, labels.
	load("geojson")
	points := browsertest.Eval[map[string][]float64](t, ctx, interiorJS)
	if len(points) != 6 {
		t.Fatalf("interior points of %d communities, want 6: %v", len(points), points)
	}
	fitZoom := browsertest.Eval[float64](t, ctx, `window.lifecircle.map.getZoom()`)
	labels := browsertest.Eval[[]string](t, ctx, `window.lifecircle.labels().sort()`)
	want := map[string]map[string][]int{}
	for _, st := range styles {
		setSelect("colour-by", st)
		want[st] = map[string][]int{}
		for id := range points {
			s := browsertest.Eval[map[string]any](t, ctx, fmt.Sprintf(`window.lifecircle.unitStyle(%q)`, id))
			want[st][id] = rgbaOf(t, s["fillColor"].(string), s["fillOpacity"].(float64))
		}
	}
	t.Logf("GeoJSON map at zoom %.2f: labels %v; styles %v", fitZoom, labels, want)
	if len(labels) == 0 {
		t.Fatal("no community labelled on the GeoJSON map")
	}

	// The tiled map: the same labels, the same colours.
	load("tiles")
	if n := browsertest.Eval[int](t, ctx, `window.lifecircle.cellCount()`); n != 6 {
		t.Fatalf("the tiled map draws %d communities, want 6", n)
	}
	if got := browsertest.Eval[[]string](t, ctx, `window.lifecircle.labels().sort()`); !slices.Equal(got, labels) {
		t.Errorf("labels on the tiled map %v, on the GeoJSON map %v", got, labels)
	}
	overview := math.Min(float64(unitIDMinZoom), math.Floor(fitZoom))
	for _, zoom := range []float64{overview, 16} {
		for _, st := range styles {
			setSelect("colour-by", st)
			for id, p := range points {
				got := tiledPixel(t, ctx, p, zoom)
				if !closeRGBA(got, want[st][id]) {
					t.Errorf("zoom %v, style %s: community %s (%.1f m inside) has pixel %v on the tiled map, %v on the GeoJSON map", zoom, st, id, p[2], got, want[st][id])
				}
			}
		}
	}

	// The units pane is one canvas composed from the tiles (tiles.js,
	// Composite): after an animated zoom and an animated pan to each
	// community it still shows the community's colour there.
	for id, p := range points {
		for _, how := range []string{"zoom", "pan", "drag"} {
			got := animatedPixel(t, ctx, p, 14, how)
			if !closeRGBA(got, want["rules"][id]) {
				t.Errorf("after an animated %s to community %s: pixel %v, want %v", how, id, got, want["rules"][id])
			}
		}
	}

	// Facilities with a few properties (?facilities=lite, as a city's):
	// a click shows the popup, then the rest of the facility's properties.
	browserStep(t, ctx, "load lite facilities", chromedp.Navigate(srv.URL+"/?lang=en&cells=tiles&facilities=lite"))
	browserWaitIdle(t, ctx, "first render, lite facilities")
	if p := browsertest.Eval[map[string]any](t, ctx, `window.lifecircle.facilityLayer("clinic").getLayers()[0].feature.properties`); len(p) != 3 || p["rule"] != nil {
		t.Errorf("lite facility properties %v, want id, name and source", p)
	}
	browserStep(t, ctx, "facility popup", chromedp.Evaluate[chromedp.Void](`(() => {
		const l = window.lifecircle.facilityLayer("clinic").getLayers()[0];
		l.fire("click", {latlng: l.getLatLng()});
	})()`), chromedp.Poll[chromedp.Void](`document.querySelector(".leaflet-popup-content .popup-rule") !== null`, chromedp.WithPollingTimeout(20*time.Second)))
	w.Check(t)
}

// tiledPixel centres the map on p at zoom, waits for its tiles and
// returns the units pane's pixel there.
func tiledPixel(t *testing.T, ctx context.Context, p []float64, zoom float64) []int {
	t.Helper()
	browserStep(t, ctx, "view", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`void window.lifecircle.map.setView([%g, %g], %g, {animate: false})`, p[1], p[0], zoom)),
		chromedp.Poll[chromedp.Void](`window.lifecircleTiles.pending() === 0`, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Sleep(50*time.Millisecond))
	return browsertest.Eval[[]int](t, ctx, fmt.Sprintf(`(%s)("lcUnits", %g, %g)`, pixelJS, p[0], p[1]))
}

// animatedPixel reaches p at zoom with an animation (a zoom in from one
// level out, or a pan from 300 px away) or a drag, waits for the tiles
// and returns the units pane's pixel at p.
func animatedPixel(t *testing.T, ctx context.Context, p []float64, zoom float64, how string) []int {
	t.Helper()
	start, move := fmt.Sprintf(`m.setView([%g, %g], %g, {animate: false})`, p[1], p[0], zoom-1), fmt.Sprintf(`m.setZoom(%g, {animate: true})`, zoom)
	switch how {
	case "pan":
		start = fmt.Sprintf(`(m.setView([%g, %g], %g, {animate: false}), m.panBy([300, -200], {animate: false}))`, p[1], p[0], zoom)
		move = fmt.Sprintf(`m.panTo([%g, %g], {animate: true, duration: 0.3})`, p[1], p[0])
	case "drag":
		// p starts 100 px beyond the map's left edge; the map pane is then
		// moved 200 px right as a drag moves it (a "move" event, no
		// "moveend"): the view drawn before the drag already holds p.
		start = fmt.Sprintf(`(m.setView([%g, %g], %g, {animate: false}), m.panBy([m.getSize().x / 2 + 100, 0], {animate: false}))`, p[1], p[0], zoom)
		move = `(L.DomUtil.setPosition(m._mapPane, m._getMapPanePos().add([200, 0])), m.fire("move"))`
	}
	browserStep(t, ctx, "animated "+how, chromedp.Evaluate[chromedp.Void](`void (() => { const m = window.lifecircle.map; `+start+`; })()`),
		chromedp.Poll[chromedp.Void](`window.lifecircleTiles.pending() === 0`, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Evaluate[chromedp.Void](`void (() => { const m = window.lifecircle.map; `+move+`; })()`),
		chromedp.Sleep(600*time.Millisecond),
		chromedp.Poll[chromedp.Void](`window.lifecircleTiles.pending() === 0`, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Evaluate[chromedp.Void](`window.lifecircleTiles.idle()`, chromedp.EvalAwaitPromise))
	if z := browsertest.Eval[float64](t, ctx, `window.lifecircle.map.getZoom()`); z != zoom {
		t.Fatalf("animated %s: map at zoom %v, want %v", how, z, zoom)
	}
	return browsertest.Eval[[]int](t, ctx, fmt.Sprintf(`(%s)("lcUnits", %g, %g)`, pixelJS, p[0], p[1]))
}

// rgbaOf is a #rrggbb colour at an opacity as the canvas stores it.
func rgbaOf(t *testing.T, hex string, opacity float64) []int {
	t.Helper()
	if len(hex) != 7 || hex[0] != '#' {
		t.Fatalf("colour %q: want #rrggbb", hex)
	}
	out := make([]int, 4)
	for i := range 3 {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			t.Fatalf("colour %q: %v", hex, err)
		}
		out[i] = int(v)
	}
	out[3] = int(math.Round(opacity * 255))
	return out
}

// closeRGBA: the same colour within the canvas's rounding of
// premultiplied alpha.
func closeRGBA(a, b []int) bool {
	if len(a) != 4 || len(b) != 4 {
		return false
	}
	for i := range 4 {
		if d := a[i] - b[i]; d < -3 || d > 3 {
			return false
		}
	}
	return true
}
