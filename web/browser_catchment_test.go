package web

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/lifecircle/lifecircle/web/browsertest"
)

type browserCatchment struct {
	Properties struct {
		FacilityID       string  `json:"facility_id"`
		SiteID           string  `json:"site_id"`
		Residents        float64 `json:"residents"`
		ResidentsNearest float64 `json:"residents_nearest"`
		Network          struct {
			Features []struct{} `json:"features"`
		} `json:"network"`
	} `json:"properties"`
}

// TestBrowserCatchment drives catchments in headless Chromium, in
// Chinese: clicking a clinic draws the streets it reaches (an SVG path
// per piece plus the outline) and its popup shows the residents within
// reach and those for whom it is the nearest, as the API computes them;
// the same for a what-if clinic and for a proposed site. Screenshot
// catchment.png.
func TestBrowserCatchment(t *testing.T) {
	browsertest.Chromium(t)
	srv := browserStudyServer(t, false)
	u, _ := url.Parse(srv.URL)
	w := newBrowserWatch(u.Host)
	ctx := browsertest.New(t, w, 1440, 1000)

	// The clinic that reaches the most residents, and a what-if clinic
	// added where the best proposal would put one.
	var cats featureCollection
	browserAPI(t, "GET", srv.URL+"/ogc/collections/catchments_clinic/items?limit=10000", nil, &cats)
	best, most := "", -1.0
	for _, f := range cats.Features {
		if r := jsonNum(t, f.Properties["residents"]); r > most {
			best, most = f.ID.(string), r
		}
	}
	if !(most > 0) {
		t.Fatalf("no clinic of the sample reaches residents: %d catchments", len(cats.Features))
	}
	var prop browserProposal
	browserAPI(t, "POST", srv.URL+"/api/propose", map[string]any{"type": "clinic", "k": 1}, &prop)
	if len(prop.Sites) == 0 {
		t.Fatal("no clinic site proposed")
	}
	var add apiScenario
	browserAPI(t, "POST", srv.URL+"/api/scenario", map[string]any{"op": "add", "type": "clinic", "lon": prop.Sites[0].Lon, "lat": prop.Sites[0].Lat, "name": "新诊所"}, &add)

	browserStep(t, ctx, "load /?lang=zh", chromedp.Navigate(srv.URL+"/?lang=zh"))
	browserWaitIdle(t, ctx, "first render")

	check := func(id string, lon, lat float64, pathOf string) browserCatchment {
		t.Helper()
		var want browserCatchment
		browserAPI(t, "GET", srv.URL+pathOf, nil, &want)
		browserStep(t, ctx, "close popups", chromedp.Evaluate[chromedp.Void](`void (window.lifecircle.clearCatchment(), window.lifecircle.map.closePopup())`))
		browserClickAt(t, ctx, lon, lat)
		browserStep(t, ctx, "catchment of "+id, chromedp.Poll[chromedp.Void](
			fmt.Sprintf(`window.lifecircle.catchment && window.lifecircle.catchment.id === %q && document.querySelector(".leaflet-popup .catchment-residents") !== null && document.body.dataset.busy === "0"`, id),
			chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(20*time.Millisecond)))
		shown := browsertest.Eval[string](t, ctx, `document.querySelector(".leaflet-popup .catchment-residents").dataset.residents`)
		if v, err := strconv.ParseFloat(shown, 64); err != nil || v != want.Properties.Residents {
			t.Errorf("%s: popup shows residents %q, the API %v", id, shown, want.Properties.Residents)
		}
		nearest := browsertest.Eval[string](t, ctx, `document.querySelector(".leaflet-popup .catchment-nearest").dataset.residentsNearest`)
		if v, err := strconv.ParseFloat(nearest, 64); err != nil || v != want.Properties.ResidentsNearest {
			t.Errorf("%s: popup shows residents_nearest %q, the API %v", id, nearest, want.Properties.ResidentsNearest)
		}
		paths := browsertest.Eval[int](t, ctx, `document.querySelectorAll(".leaflet-catchment-pane path").length`)
		if n := len(want.Properties.Network.Features); n == 0 || paths != n+1 {
			t.Errorf("%s: %d paths drawn, want %d pieces and the outline", id, paths, n)
		}
		text := browsertest.Eval[string](t, ctx, `document.querySelector(".leaflet-popup .catchment-info").textContent`)
		for _, s := range []string{"步行服务范围", "范围内居民", "可达道路"} {
			if !strings.Contains(text, s) {
				t.Errorf("%s: popup %q lacks %q", id, text, s)
			}
		}
		t.Logf("%s: %s", id, text)
		return want
	}

	var fac struct {
		Geometry struct {
			Type        string    `json:"type"`
			Coordinates []float64 `json:"coordinates"`
		} `json:"geometry"`
	}
	browserAPI(t, "GET", srv.URL+"/ogc/collections/clinic/items/"+url.PathEscape(best), nil, &fac)
	if fac.Geometry.Type != "Point" {
		t.Fatalf("clinic %s is a %s; the test clicks points", best, fac.Geometry.Type)
	}
	check(best, fac.Geometry.Coordinates[0], fac.Geometry.Coordinates[1], "/api/facilities/"+url.PathEscape(best)+"/catchment")

	// The whole catchment in view, popup open.
	browserStep(t, ctx, "zoom out", chromedp.Evaluate[chromedp.Void](`void window.lifecircle.map.setZoom(14.75, {animate: false})`),
		chromedp.Sleep(300*time.Millisecond))
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(browsertest.ArtifactDir(t), "catchment.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	t.Logf("screenshot: %s", path)

	// The what-if clinic, then a proposed site drawn by the page.
	what := check(add.Edit.ID, *add.Edit.Lon, *add.Edit.Lat, "/api/facilities/"+url.PathEscape(add.Edit.ID)+"/catchment")
	if !(what.Properties.ResidentsNearest > 0) {
		t.Errorf("the what-if clinic at the best site is nearest for no one: %+v", what.Properties)
	}
	// Deleting it from its popup takes its catchment off the map.
	browserStep(t, ctx, "delete the what-if clinic", chromedp.Click(chromedp.CSS(".leaflet-popup .delete-facility")),
		chromedp.Poll[chromedp.Void](`window.lifecircle.catchment === null && document.querySelectorAll(".leaflet-catchment-pane path").length === 0 && document.body.dataset.busy === "0"`,
			chromedp.WithPollingTimeout(30*time.Second)))
	browserStep(t, ctx, "propose",
		chromedp.Evaluate[chromedp.Void](`void window.lifecircle.map.closePopup()`),
		chromedp.SetValue(chromedp.CSS("#propose-type"), "market"),
		chromedp.SetValue(chromedp.CSS("#propose-k"), "1"),
		chromedp.Click(chromedp.CSS("#propose-button")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("#proposal-result tr.site").length > 0 && document.body.dataset.busy === "0"`,
			chromedp.WithPollingTimeout(60*time.Second)))
	var latest featureCollection
	browserAPI(t, "GET", srv.URL+"/ogc/collections/proposals/items", nil, &latest)
	if len(latest.Features) == 0 {
		t.Fatal("the page's proposal has no site")
	}
	site := latest.Features[0].ID.(string)
	check(site, jsonNum(t, latest.Features[0].Properties["lon"]), jsonNum(t, latest.Features[0].Properties["lat"]),
		"/api/proposals/"+url.PathEscape(site)+"/catchment")
	w.Check(t)
}
