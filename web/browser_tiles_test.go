package web

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/lifecircle/lifecircle/web/browsertest"
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

// TestBrowserBackground loads the bundled sample's page: the offline
// background (from the sample's OSM extract) is drawn within a second of
// navigation (performance mark lifecircle-background), its canvases hold
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
		// The acceptance: under a second for the sample.
		if bgMS >= 1000 {
			t.Errorf("run %d: background drawn after %.0f ms, want under 1 s", run, bgMS)
		}
	}
	t.Logf("background draw times: %s", strings.Join(figures, ", "))
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
