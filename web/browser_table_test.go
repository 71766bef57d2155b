package web

// The levels, the table view and the rules panel in headless Chromium,
// on the district example (two levels of units and the district's
// provision rules).

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/lifecircle/lifecircle/web/browsertest"
	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"
)

// browserShot saves a screenshot among the test artifacts.
func browserShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(browsertest.ArtifactDir(t), name)
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// waitFile waits until dir holds the complete file name (Chromium writes
// a .crdownload first) and returns its content.
func waitFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil && len(b) > 0 {
			return b
		}
		time.Sleep(50 * time.Millisecond)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	t.Fatalf("no download %s in %s (has %v)", name, dir, names)
	return nil
}

// TestBrowserLevelsTableRules switches the map's level (labels follow),
// sorts and filters the units table and exports it (the downloaded CSV
// and workbook hold the API's figures), links table rows and map units
// both ways, and breaks a provision rule by deleting a community's
// clinics in the map: the rules panel and the unit's colour in the
// "broken rules" style follow, and undo repairs it. Screenshots:
// levels.png, table.png, rules-broken.png.
func TestBrowserLevelsTableRules(t *testing.T) {
	browsertest.Chromium(t)
	ts := newDistrictServer(t)
	srv := httptest.NewServer(ts.h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	w := newBrowserWatch(u.Host)
	ctx := browsertest.New(t, w, 1440, 1000)
	dl := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dl}); err != nil {
		t.Fatalf("download behaviour: %v", err)
	}

	browserStep(t, ctx, "load /", chromedp.Navigate(srv.URL+"/?lang=en"))
	browserWaitIdle(t, ctx, "first render")
	browserStep(t, ctx, "level switch and rules panel", chromedp.Poll[chromedp.Void](
		`document.querySelectorAll("#level-switch option").length === 3 && document.querySelectorAll("#rules-list .rule").length > 0`,
		chromedp.WithPollingTimeout(30*time.Second)))
	if n := browsertest.Eval[int](t, ctx, `window.lifecircle.cellCount()`); n != 6 {
		t.Errorf("the map shows %d units first, want the 6 communities", n)
	}

	// Switch level: the two subdistricts, labelled by name.
	setSelect := func(id, v string) {
		t.Helper()
		browserStep(t, ctx, "set "+id, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
			`void (() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event("change")); })()`, id, v)))
	}
	setSelect("level-switch", "units_subdistrict")
	browserStep(t, ctx, "subdistricts drawn", chromedp.Poll[chromedp.Void](
		`window.lifecircle.cellCount() === 2 && document.body.dataset.busy === "0"`, chromedp.WithPollingTimeout(30*time.Second)))
	browserStep(t, ctx, "fit", chromedp.Evaluate[chromedp.Void](`void window.lifecircle.map.fitBounds(window.lifecircle.bounds(), {animate: false})`),
		chromedp.Sleep(300*time.Millisecond))
	labels := browsertest.Eval[[]string](t, ctx, `window.lifecircle.labels()`)
	t.Logf("subdistrict labels: %v", labels)
	if len(labels) != 2 || !strings.Contains(strings.Join(labels, ","), "北街道") {
		t.Errorf("labels at the subdistrict level = %v, want both subdistricts' names", labels)
	}
	browserShot(t, ctx, "levels.png")
	setSelect("level-switch", "units")
	browserStep(t, ctx, "communities drawn", chromedp.Poll[chromedp.Void](
		`window.lifecircle.cellCount() === 6 && document.body.dataset.busy === "0"`, chromedp.WithPollingTimeout(30*time.Second)))

	// The table: open, sort by population (descending), filter, export.
	browserStep(t, ctx, "open the table", chromedp.Click(chromedp.CSS("#table-button")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("#data-table tbody tr[data-id]").length === 6 && document.body.dataset.busy === "0"`,
			chromedp.WithPollingTimeout(30*time.Second)))
	browserStep(t, ctx, "sort by population", chromedp.Click(chromedp.CSS(`#data-table th[data-key="population"]`)),
		chromedp.Poll[chromedp.Void](`window.lifecircle.table.query().includes("sort=-population") && document.body.dataset.busy === "0"`,
			chromedp.WithPollingTimeout(30*time.Second)))
	browserStep(t, ctx, "filter", chromedp.SendKeys(chromedp.CSS("#table-filter"), "coverage_clinic<0.9\r"),
		chromedp.Poll[chromedp.Void](`window.lifecircle.table.query().includes("filter=") && document.body.dataset.busy === "0" && window.lifecircle.table.doc().matched < 6`,
			chromedp.WithPollingTimeout(30*time.Second)))
	query := browsertest.Eval[string](t, ctx, `window.lifecircle.table.query()`)
	domIDs := browsertest.Eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#data-table tbody tr[data-id]")).map(r => r.dataset.id)`)
	t.Logf("table query %s: rows %v", query, domIDs)
	api := decode[tableDoc](t, ts.get("/api/table/units?"+query+"&limit=10000"), 200)
	if len(domIDs) != len(api.Rows) || len(api.Rows) == 0 {
		t.Fatalf("the page shows %d rows, the API %d", len(domIDs), len(api.Rows))
	}
	for i, id := range domIDs {
		if api.Rows[i][0] != id {
			t.Errorf("row %d: page %s, API %v", i, id, api.Rows[i][0])
		}
	}
	browserStep(t, ctx, "export csv", chromedp.Click(chromedp.CSS("#table-csv")))
	raw := waitFile(t, dl, "units_community.csv")
	if !strings.HasPrefix(string(raw), "\ufeff") {
		t.Errorf("the CSV has no UTF-8 byte order mark")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(raw), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	checkTableEqual(t, "downloaded csv", api, recs)
	browserStep(t, ctx, "export xlsx", chromedp.Click(chromedp.CSS("#table-xlsx")))
	xb := waitFile(t, dl, "units_community.xlsx")
	f, err := excelize.OpenReader(strings.NewReader(string(xb)))
	if err != nil {
		t.Fatalf("downloaded xlsx: %v", err)
	}
	xrows, err := f.GetRows("units_community")
	if err != nil {
		t.Fatal(err)
	}
	checkTableEqual(t, "downloaded xlsx", api, xrows)
	browserShot(t, ctx, "table.png")

	// Row → map: the unit highlighted and its popup opened.
	first := domIDs[0]
	browserStep(t, ctx, "select a row", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#data-table tbody tr[data-id=%q] td`, first))),
		chromedp.Poll[chromedp.Void](`document.querySelector(".leaflet-popup-content") !== null && document.body.dataset.busy === "0"`,
			chromedp.WithPollingTimeout(30*time.Second)))
	if pop := browsertest.Eval[string](t, ctx, `document.querySelector(".leaflet-popup-content").textContent`); !strings.Contains(pop, first) {
		t.Errorf("popup after selecting row %s = %q", first, pop)
	}
	// Map → row: click another unit on the map.
	other := domIDs[len(domIDs)-1]
	ll := browsertest.Eval[[]float64](t, ctx, fmt.Sprintf(`(() => { const c = window.lifecircle.ext.unitLayers().get(%q).getCenter(); return [c.lng, c.lat]; })()`, other))
	browserStep(t, ctx, "close popup", chromedp.Evaluate[chromedp.Void](`void window.lifecircle.map.closePopup()`))
	browserClickAt(t, ctx, ll[0], ll[1])
	browserStep(t, ctx, "row of the clicked unit", chromedp.Poll[chromedp.Void](
		fmt.Sprintf(`document.querySelector('#data-table tbody tr.selected[data-id=%q]') !== null && document.body.dataset.busy === "0"`, other),
		chromedp.WithPollingTimeout(30*time.Second)))

	// Break a rule in the map: delete the clinics of a community that has
	// its clinic, in the "broken rules" style.
	comm, clinics := communityClinics(t, ts)
	rule := browsertest.Eval[int](t, ctx, `(() => { const r = window.lifecircle.rules().rules.find(r => r.level === "community" && r.type === "clinic" && r.kind === "count"); return r ? r.rule : 0; })()`)
	if rule == 0 {
		t.Fatal("no community clinic rule in the panel")
	}
	brokenBefore := browsertest.Eval[string](t, ctx, fmt.Sprintf(`document.getElementById("rule-%d").dataset.broken`, rule))
	setSelect("colour-by", "rules")
	browserStep(t, ctx, "broken rules style", chromedp.Poll[chromedp.Void](`document.querySelector(".legend h3") && document.querySelector(".legend h3").textContent === "Rules broken per unit"`,
		chromedp.WithPollingTimeout(10*time.Second)))
	colourBefore := browsertest.Eval[map[string]any](t, ctx, fmt.Sprintf(`window.lifecircle.unitStyle(%q)`, comm))["fillColor"]
	// Only clinics on the map, so that the click finds one.
	for _, ty := range ts.profile.Types {
		if ty.ID != "clinic" {
			browserStep(t, ctx, "hide "+ty.ID, chromedp.Click(chromedp.CSS("#layer-toggle-"+ty.ID)))
		}
	}
	browserStep(t, ctx, "table off the map", chromedp.Click(chromedp.CSS("#table-close")))
	for _, c := range clinics {
		browserStep(t, ctx, "close popup", chromedp.Evaluate[chromedp.Void](`void window.lifecircle.map.closePopup()`))
		browserClickAt(t, ctx, c.pt[0], c.pt[1])
		browserStep(t, ctx, "clinic popup "+c.id, chromedp.Poll[chromedp.Void](`document.querySelector(".leaflet-popup .delete-facility") !== null`,
			chromedp.WithPollingTimeout(10*time.Second)))
		if pop := browsertest.Eval[string](t, ctx, `document.querySelector(".leaflet-popup").textContent`); !strings.Contains(pop, c.id) {
			t.Fatalf("popup at clinic %s shows %q", c.id, pop)
		}
		browserStep(t, ctx, "delete "+c.id, chromedp.Click(chromedp.CSS(".leaflet-popup .delete-facility")),
			chromedp.Poll[chromedp.Void](`document.getElementById("message-text").textContent.startsWith("Removed") && document.body.dataset.busy === "0"`,
				chromedp.WithPollingTimeout(30*time.Second)))
	}
	browserStep(t, ctx, "rule broken in the panel", chromedp.Poll[chromedp.Void](
		fmt.Sprintf(`document.getElementById("rule-%d").dataset.broken !== %q && document.body.dataset.busy === "0"`, rule, brokenBefore),
		chromedp.WithPollingTimeout(30*time.Second)))
	brokenAfter := browsertest.Eval[string](t, ctx, fmt.Sprintf(`document.getElementById("rule-%d").dataset.broken`, rule))
	colourAfter := browsertest.Eval[map[string]any](t, ctx, fmt.Sprintf(`window.lifecircle.unitStyle(%q)`, comm))["fillColor"]
	t.Logf("deleted clinics %v of %s: rule %d broken in %s → %s communities; %s %v → %v", clinics, comm, rule, brokenBefore, brokenAfter, comm, colourBefore, colourAfter)
	if colourAfter == colourBefore {
		t.Errorf("community %s keeps colour %v after its clinics were deleted", comm, colourAfter)
	}
	browserStep(t, ctx, "fit", chromedp.Evaluate[chromedp.Void](`void (window.lifecircle.map.closePopup(), window.lifecircle.map.fitBounds(window.lifecircle.bounds(), {animate: false}))`),
		chromedp.Click(chromedp.CSS("#message-close")),
		chromedp.Evaluate[chromedp.Void](`void document.getElementById("rules-card").scrollIntoView()`), chromedp.Sleep(300*time.Millisecond))
	browserShot(t, ctx, "rules-broken.png")
	for range clinics {
		browserStep(t, ctx, "undo", chromedp.Click(chromedp.CSS("#undo-button")),
			chromedp.Poll[chromedp.Void](`document.getElementById("message-text").textContent.startsWith("Undone") && document.body.dataset.busy === "0"`,
				chromedp.WithPollingTimeout(30*time.Second)),
			chromedp.Evaluate[chromedp.Void](`void (document.getElementById("message-text").textContent = "")`))
	}
	browserStep(t, ctx, "rule repaired", chromedp.Poll[chromedp.Void](
		fmt.Sprintf(`document.getElementById("rule-%d").dataset.broken === %q && window.lifecircle.unitStyle(%q).fillColor === %q`, rule, brokenBefore, comm, colourBefore),
		chromedp.WithPollingTimeout(30*time.Second)))

	// The facilities in Chinese: type names, not ids.
	browserStep(t, ctx, "facilities table", chromedp.Click(chromedp.CSS("#table-button")),
		chromedp.Click(chromedp.CSS("#table-tab-facilities")),
		chromedp.Poll[chromedp.Void](`window.lifecircle.table.doc() && window.lifecircle.table.doc().table === "facilities" && document.body.dataset.busy === "0"`,
			chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Click(chromedp.CSS("#lang-switch")),
		chromedp.Poll[chromedp.Void](`document.getElementById("table-tab-facilities").textContent === "设施"`, chromedp.WithPollingTimeout(10*time.Second)))
	cells := browsertest.Eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#data-table tbody tr")).map(r => r.cells[0].textContent)`)
	for _, c := range cells {
		if _, isID := ts.profile.Type(c); isID || c == "" {
			t.Errorf("facility row type %q in the Chinese table, want the type's Chinese name", c)
		}
	}
	// Map → row for a facility: click a clinic.
	browserStep(t, ctx, "close popup", chromedp.Evaluate[chromedp.Void](`void window.lifecircle.map.closePopup()`))
	browserClickAt(t, ctx, clinics[0].pt[0], clinics[0].pt[1])
	browserStep(t, ctx, "row of the clicked clinic", chromedp.Poll[chromedp.Void](
		fmt.Sprintf(`document.querySelector('#data-table tbody tr.selected[data-id=%q]') !== null && document.body.dataset.busy === "0"`, clinics[0].id),
		chromedp.WithPollingTimeout(30*time.Second)))
	browserShot(t, ctx, "table-zh.png")
	w.Check(t)
}

type pointFacility struct {
	id string
	pt orb.Point
}

// communityClinics returns a community that has clinics inside it, all
// points (so that a click finds each), and those clinics.
func communityClinics(t *testing.T, ts *testServer) (string, []pointFacility) {
	t.Helper()
	byUnit := map[string][]pointFacility{}
	bad := map[string]bool{}
	ts.sc.View(func(in planner.AuditInput, _ *planner.AuditResult, active []bool) {
		h := ts.hier
		k := len(h.Levels) - 1
		assign, _ := h.Locate(planner.FacilityPoints(in.Facilities))
		for i, f := range in.Facilities {
			if !active[i] || f.Type != "clinic" || assign[k][i] < 0 {
				continue
			}
			id := h.Levels[k].Units[assign[k][i]].ID
			if p, ok := f.Geometry.(orb.Point); ok {
				byUnit[id] = append(byUnit[id], pointFacility{f.ID, p})
			} else {
				bad[id] = true
			}
		}
	})
	best := ""
	for id, fs := range byUnit {
		if !bad[id] && (best == "" || len(fs) < len(byUnit[best]) || len(fs) == len(byUnit[best]) && id < best) {
			best = id
		}
	}
	if best == "" {
		t.Fatal("no community whose clinics are all points")
	}
	return best, byUnit[best]
}
