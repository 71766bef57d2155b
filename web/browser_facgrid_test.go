package web

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/lifecircle/lifecircle/data/synth"
	"github.com/lifecircle/lifecircle/web/browsertest"
)

// isolatedJS returns the clinic farthest from any other facility drawn
// on the tiles: [lon, lat, id, name], and the clinic's colour on the
// map's layer list as [r, g, b, 255].
const isolatedJS = `(() => {
	const lc = window.lifecircle, all = [];
	["clinic", "market", "elderly", "fitness", "playground"].forEach(id => {
		const l = lc.facilityLayer(id);
		if (l) l.getLayers().forEach(x => all.push({id, ll: x.getLatLng(), f: x.feature}));
	});
	let best = null, bestD = -1;
	for (const a of all) {
		if (a.id !== "clinic") continue;
		let d = Infinity;
		for (const b of all) if (b !== a) d = Math.min(d, lc.map.distance(a.ll, b.ll));
		if (d > bestD) { bestD = d; best = a; }
	}
	const rgb = getComputedStyle(document.querySelector('label[for="layer-toggle-clinic"] .swatch')).backgroundColor.match(/\d+/g).map(Number);
	return {at: [best.ll.lng, best.ll.lat], id: String(best.f.properties.id !== undefined ? best.f.properties.id : best.f.id),
		name: String(best.f.properties.name || ""), apart: bestD, colour: [rgb[0], rgb[1], rgb[2], 255]};
})()`

// TestBrowserFacilityTiles loads a generated study with 3,500 facilities
// (above the 3,000 where the page draws them as tiles, facgrid.js): they
// are no circle markers; an isolated clinic's pixel on the facilities'
// tiles has the clinic colour at zoom 14 and 16, none when the clinic
// toggle is off; and a real click there opens that clinic's popup and
// its catchment.
func TestBrowserFacilityTiles(t *testing.T) {
	browsertest.Chromium(t)
	dir := t.TempDir()
	if _, err := synth.Generate(dir, synth.Options{Nodes: 10000, Facilities: 700, Points: 10000, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	in := loadStudy(t, studyOptions{osm: filepath.Join(dir, synth.FileCity),
		amenities: []string{filepath.Join(dir, synth.FileFacilities)}, population: filepath.Join(dir, synth.FilePoints), cell: 250})
	if len(in.Facilities) <= 3000 {
		t.Fatalf("%d facilities, want over 3,000", len(in.Facilities))
	}
	ts := newTestServer(t, in, Config{})
	srv := httptest.NewServer(ts.h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	w := newBrowserWatch(u.Host)
	ctx := browsertest.New(t, w, 1200, 900)
	browserStep(t, ctx, "load /", chromedp.Navigate(srv.URL+"/?lang=en"))
	browserWaitIdle(t, ctx, "first render")
	if !browsertest.Eval[bool](t, ctx, `window.lifecircle.facilityLayer("clinic")._lcGrid === true && !(window.lifecircle.facilityLayer("clinic") instanceof L.FeatureGroup)`) {
		t.Fatal("the clinics of a study with over 3,000 facilities are not drawn as tiles")
	}
	type isolated struct {
		At     []float64
		ID     string
		Name   string
		Apart  float64
		Colour []int
	}
	clinic := browsertest.Eval[isolated](t, ctx, isolatedJS)
	t.Logf("%d facilities; clinic %s (%q) at %v, %.0f m from the nearest other facility, colour %v", len(in.Facilities), clinic.ID, clinic.Name, clinic.At, clinic.Apart, clinic.Colour)
	pixel := func(zoom float64) []int {
		t.Helper()
		browserStep(t, ctx, "view", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`void window.lifecircle.map.setView([%g, %g], %g, {animate: false})`, clinic.At[1], clinic.At[0], zoom)),
			chromedp.Sleep(200*time.Millisecond))
		return browsertest.Eval[[]int](t, ctx, fmt.Sprintf(`(%s)("lcFacilities", %g, %g)`, pixelJS, clinic.At[0], clinic.At[1]))
	}
	for _, z := range []float64{14, 16} {
		if got := pixel(z); !closeRGBA(got, clinic.Colour) {
			t.Errorf("zoom %v: pixel %v at the clinic, want its colour %v", z, got, clinic.Colour)
		}
	}
	browserStep(t, ctx, "hide clinics", chromedp.Click(chromedp.CSS("#layer-toggle-clinic")))
	if got := pixel(16); len(got) == 4 && got[3] != 0 {
		t.Errorf("clinics hidden: pixel %v at the clinic, want none", got)
	}
	browserStep(t, ctx, "show clinics", chromedp.Click(chromedp.CSS("#layer-toggle-clinic")))
	if got := pixel(16); !closeRGBA(got, clinic.Colour) {
		t.Errorf("clinics shown again: pixel %v at the clinic, want its colour %v", got, clinic.Colour)
	}

	// A click 3 px off the centre opens the clinic's popup with its
	// properties fetched (the rule), and its catchment.
	xy := browsertest.Eval[[]float64](t, ctx, fmt.Sprintf(`(() => {
		const p = window.lifecircle.map.latLngToContainerPoint([%g, %g]), r = document.getElementById("map").getBoundingClientRect();
		return [r.left + p.x + 3, r.top + p.y];
	})()`, clinic.At[1], clinic.At[0]))
	browserStep(t, ctx, "click the clinic", chromedp.MouseClickXY(xy[0], xy[1]),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector(".leaflet-popup-content .popup-rule") !== null && window.lifecircle.catchment && window.lifecircle.catchment.id === %q && document.querySelector(".leaflet-popup .catchment-residents") !== null`, clinic.ID),
			chromedp.WithPollingTimeout(20*time.Second)))
	text := browsertest.Eval[string](t, ctx, `document.querySelector(".leaflet-popup-content").textContent`)
	if !strings.Contains(text, clinic.ID) || !strings.Contains(text, clinic.Name) {
		t.Errorf("popup after clicking clinic %s (%q): %q", clinic.ID, clinic.Name, text)
	}
	w.Check(t)
}
