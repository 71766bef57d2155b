package web

// The real-browser test of the map page: headless Chromium (Debian's
// chromium) driven by chromedp against the real server over httptest.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/sample"
	"github.com/lifecircle/lifecircle/data/synth"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/lifecircle/lifecircle/planner/glossary"
	"github.com/lifecircle/lifecircle/web/browsertest"
	"github.com/paulmach/orb"
)

// newBrowserWatch returns a Watch that allows the page requests to the
// test server at host (host:port) and inline data: and blob: URLs.
func newBrowserWatch(host string) *browsertest.Watch {
	return &browsertest.Watch{
		Scope: "the test server (" + host + ")",
		Allow: func(u *url.URL) bool {
			return u.Scheme == "data" || u.Scheme == "blob" ||
				(u.Scheme == "http" || u.Scheme == "https") && u.Host == host
		},
	}
}

// step runs actions with a deadline and fails the test with what on error.
func browserStep(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		browserFailureShot(t, ctx)
		t.Fatalf("%s: %v", what, err)
	}
}

// browserFailureShot saves what the page showed when a step failed
// (failure.png among the artifacts).
func browserFailureShot(t *testing.T, ctx context.Context) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	shot, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("no failure screenshot: %v", err)
		return
	}
	path := filepath.Join(browsertest.ArtifactDir(t), "failure.png")
	if err := os.WriteFile(path, shot, 0o644); err == nil {
		t.Logf("failure screenshot: %s", path)
	}
}

// waitIdle waits until the page has rendered and no request is in flight.
func browserWaitIdle(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	browserStep(t, ctx, what, chromedp.Poll[chromedp.Void](
		`window.lifecircle && window.lifecircle.ready === true && document.body.dataset.busy === "0"`,
		chromedp.WithPollingTimeout(60*time.Second), chromedp.WithPollingInterval(20*time.Millisecond)))
}

// apiJSON sends a request to the server and decodes its JSON answer.
func browserAPI(t *testing.T, method, u string, body, out any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e bytes.Buffer
		e.ReadFrom(resp.Body)
		t.Fatalf("%s %s: %s: %s", method, u, resp.Status, e.String())
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s %s: decode: %v", method, u, err)
	}
}

type browserSummary struct {
	Population float64 `json:"population"`
	Types      []struct {
		ID         string  `json:"id"`
		Facilities int     `json:"facilities"`
		Covered    float64 `json:"population_covered"`
		Coverage   float64 `json:"coverage"`
	} `json:"types"`
	EditEnabled bool `json:"edit_enabled"`
	Collections struct {
		Units      string   `json:"units"`
		Facilities []string `json:"facilities"`
	} `json:"collections"`
}

type browserProposal struct {
	Sites []struct {
		Rank int     `json:"rank"`
		Lon  float64 `json:"lon"`
		Lat  float64 `json:"lat"`
		Gain float64 `json:"gain"`
	} `json:"sites"`
}

// clickAt clicks the map at a lon/lat after centring the map there.
func browserClickAt(t *testing.T, ctx context.Context, lon, lat float64) {
	t.Helper()
	xy := browsertest.Eval[[]float64](t, ctx, fmt.Sprintf(`(() => {
		const m = window.lifecircle.map;
		m.setView([%[2]g, %[1]g], 16, {animate: false});
		const p = m.latLngToContainerPoint([%[2]g, %[1]g]);
		const r = document.getElementById("map").getBoundingClientRect();
		return [r.left + p.x, r.top + p.y];
	})()`, lon, lat))
	if len(xy) != 2 {
		t.Fatalf("map point of %g,%g: got %v", lon, lat, xy)
	}
	// Let the canvas redraw at the new view before clicking.
	browserStep(t, ctx, "settle map", chromedp.Sleep(300*time.Millisecond))
	browserStep(t, ctx, "click map", chromedp.MouseClickXY(xy[0], xy[1]))
}

func browserCovered(t *testing.T, ctx context.Context, typ string) (float64, string) {
	t.Helper()
	raw := browsertest.Eval[string](t, ctx, fmt.Sprintf(`document.getElementById("coverage-%s").dataset.covered`, typ))
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		t.Fatalf("#coverage-%s data-covered = %q: %v", typ, raw, err)
	}
	text := browsertest.Eval[string](t, ctx, fmt.Sprintf(`document.querySelector("#coverage-%s .cov-covered").textContent`, typ))
	return v, text
}

// TestBrowserMap drives the map page in headless Chromium: it loads with
// no console error and no request to another host, toggles a facility
// layer, runs a proposal, adds a what-if facility by clicking the map and
// sees the covered population change, undoes it, shows a dropped file's
// error, switches language and saves a screenshot (map.png).
func TestBrowserMap(t *testing.T) {
	browsertest.Chromium(t)
	srv := browserStudyServer(t, false)
	u, _ := url.Parse(srv.URL)
	w := newBrowserWatch(u.Host)
	ctx := browsertest.New(t, w, 1440, 1000)

	start := time.Now()
	browserStep(t, ctx, "load /", chromedp.Navigate(srv.URL+"/"))
	browserWaitIdle(t, ctx, "first render")
	t.Logf("sample study: load to idle %v", time.Since(start).Round(time.Millisecond))

	var sum browserSummary
	browserAPI(t, "GET", srv.URL+"/api/summary", nil, &sum)
	if len(sum.Types) == 0 {
		t.Fatal("summary has no types")
	}
	// The type to work with: the one with the largest uncovered population
	// among those that have facilities.
	typ := ""
	worst := -1.0
	for _, ty := range sum.Types {
		if gap := sum.Population - ty.Covered; ty.Facilities > 0 && gap > worst {
			typ, worst = ty.ID, gap
		}
	}
	if typ == "" {
		typ = sum.Types[0].ID
	}
	t.Logf("working type %s (uncovered %.0f of %.0f)", typ, worst, sum.Population)

	pop := browsertest.Eval[string](t, ctx, `document.getElementById("summary-population").textContent`)
	if strings.TrimSpace(pop) == "" || pop == "–" {
		t.Errorf("#summary-population = %q, want the population", pop)
	}

	// Toggle a facility layer off and on.
	toggle := "#layer-toggle-" + typ
	shown := `(id) => window.lifecircle.map.hasLayer(window.lifecircle.facilityLayer(id))`
	if !browsertest.Eval[bool](t, ctx, fmt.Sprintf(`(%s)(%q)`, shown, typ)) {
		t.Fatalf("facility layer %s is not on the map after load", typ)
	}
	browserStep(t, ctx, "toggle layer off", chromedp.Click(chromedp.CSS(toggle)))
	if browsertest.Eval[bool](t, ctx, fmt.Sprintf(`(%s)(%q)`, shown, typ)) {
		t.Errorf("facility layer %s still shown after unticking %s", typ, toggle)
	}
	browserStep(t, ctx, "toggle layer on", chromedp.Click(chromedp.CSS(toggle)))
	if !browsertest.Eval[bool](t, ctx, fmt.Sprintf(`(%s)(%q)`, shown, typ)) {
		t.Errorf("facility layer %s not shown after ticking %s again", typ, toggle)
	}

	// Run a proposal of 3 sites.
	browserStep(t, ctx, "propose",
		chromedp.SetValue(chromedp.CSS("#propose-type"), typ),
		chromedp.SetValue(chromedp.CSS("#propose-k"), "3"),
		chromedp.Click(chromedp.CSS("#propose-button")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("#proposal-result tr.site").length > 0 && document.body.dataset.busy === "0"`,
			chromedp.WithPollingTimeout(60*time.Second)),
	)
	nsites := browsertest.Eval[int](t, ctx, `document.querySelectorAll("#proposal-result tr.site").length`)
	claim := browsertest.Eval[string](t, ctx, `document.querySelector("#proposal-result .claim").textContent`)
	if nsites < 1 || nsites > 3 {
		t.Errorf("proposal shows %d sites, want 1..3", nsites)
	}
	if !strings.Contains(claim, "no choice of 3 sites covers more than") {
		t.Errorf("proposal claim = %q, want the bound", claim)
	}
	markers := browsertest.Eval[int](t, ctx, `document.querySelectorAll(".site-icon").length`)
	if markers != nsites {
		t.Errorf("%d numbered site markers on the map, want %d", markers, nsites)
	}

	// Where to add a what-if facility: the best single site, from the API.
	var prop browserProposal
	browserAPI(t, "POST", srv.URL+"/api/propose", map[string]any{"type": typ, "k": 1}, &prop)
	if len(prop.Sites) == 0 || !(prop.Sites[0].Gain > 0) {
		t.Fatalf("no site with a gain for %s: %+v", typ, prop)
	}
	site := prop.Sites[0]

	if !sum.EditEnabled {
		t.Fatal("the sample server does not allow editing on loopback")
	}
	before, beforeText := browserCovered(t, ctx, typ)
	// Clear the proposal so its markers do not catch the click.
	browserStep(t, ctx, "clear proposal", chromedp.Click(chromedp.CSS("#proposal-clear")))
	browserStep(t, ctx, "add mode",
		chromedp.SetValue(chromedp.CSS("#edit-type"), typ),
		chromedp.Click(chromedp.CSS("#edit-add-button")))
	browserClickAt(t, ctx, site.Lon, site.Lat)
	browserStep(t, ctx, "wait for the what-if result", chromedp.Poll[chromedp.Void](
		fmt.Sprintf(`document.getElementById("coverage-%s").dataset.covered !== %q && document.body.dataset.busy === "0"`, typ, strconv.FormatFloat(before, 'g', -1, 64)),
		chromedp.WithPollingTimeout(30*time.Second)))
	after, afterText := browserCovered(t, ctx, typ)
	t.Logf("what-if %s at %.6f,%.6f: covered %s → %s (proposal gain %.1f)", typ, site.Lon, site.Lat, beforeText, afterText, site.Gain)
	if !(after > before) {
		t.Errorf("covered %s after adding a facility = %v, want more than %v", typ, after, before)
	}
	if afterText == beforeText {
		t.Errorf("#coverage-%s text unchanged (%q) after the what-if", typ, afterText)
	}
	msg := browsertest.Eval[string](t, ctx, `document.getElementById("message").hidden ? "" : document.getElementById("message-text").textContent`)
	if !strings.Contains(msg, "Added") {
		t.Errorf("message after adding = %q, want the added note", msg)
	}
	browserStep(t, ctx, "leave add mode", chromedp.Click(chromedp.CSS("#edit-add-button")))

	// Undo restores the figure.
	browserStep(t, ctx, "undo", chromedp.Click(chromedp.CSS("#undo-button")),
		chromedp.Poll[chromedp.Void](
			fmt.Sprintf(`document.getElementById("coverage-%s").dataset.covered !== %q && document.body.dataset.busy === "0"`, typ, strconv.FormatFloat(after, 'g', -1, 64)),
			chromedp.WithPollingTimeout(30*time.Second)))
	undone, undoneText := browserCovered(t, ctx, typ)
	if math.Abs(undone-before) > 1e-6*math.Max(1, before) || undoneText != beforeText {
		t.Errorf("after undo covered %s = %v (%q), want %v (%q)", typ, undone, undoneText, before, beforeText)
	}

	// Edit mode: drag a facility of the type to move it, then delete one
	// from its popup; undo each.
	waitMsg := func(prefix string) string {
		t.Helper()
		browserStep(t, ctx, "wait for "+prefix, chromedp.Poll[chromedp.Void](
			fmt.Sprintf(`!document.getElementById("message").hidden && document.getElementById("message-text").textContent.startsWith(%q) && document.body.dataset.busy === "0"`, prefix),
			chromedp.WithPollingTimeout(30*time.Second)))
		return browsertest.Eval[string](t, ctx, `document.getElementById("message-text").textContent`)
	}
	// The type to drag: one with point facilities (playgrounds may all be areas).
	ptype := ""
	for _, ty := range sum.Types {
		var fc struct {
			Features []struct {
				Geometry struct {
					Type string `json:"type"`
				} `json:"geometry"`
			} `json:"features"`
		}
		browserAPI(t, "GET", srv.URL+"/ogc/collections/"+ty.ID+"/items?limit=10000", nil, &fc)
		for _, f := range fc.Features {
			if f.Geometry.Type == "Point" {
				ptype = ty.ID
				break
			}
		}
		if ptype != "" {
			break
		}
	}
	if ptype == "" {
		t.Fatal("no type has a point facility to drag")
	}
	pbefore, pbeforeText := browserCovered(t, ctx, ptype)
	marker := fmt.Sprintf(`document.querySelector(".fac-icon.fac-%s")`, ptype)
	browserStep(t, ctx, "edit mode",
		chromedp.Evaluate[chromedp.Void](`void window.lifecircle.map.fitBounds(window.lifecircle.bounds(), {animate: false})`),
		chromedp.Click(chromedp.CSS("#edit-mode")),
		chromedp.Poll[chromedp.Void](marker+` !== null`, chromedp.WithPollingTimeout(10*time.Second)))
	xy := browsertest.Eval[[]float64](t, ctx, `(() => { const r = `+marker+`.getBoundingClientRect(); return [r.left + r.width/2, r.top + r.height/2]; })()`)
	browserStep(t, ctx, "drag a facility", chromedp.DragAndDropXY(xy[0], xy[1], xy[0]+40, xy[1]+30, 8))
	t.Logf("drag: %s", waitMsg("Moved"))
	browserStep(t, ctx, "undo the move", chromedp.Click(chromedp.CSS("#undo-button")))
	waitMsg("Undone")
	browserStep(t, ctx, "open a facility popup", chromedp.Click(chromedp.CSS(".fac-icon.fac-"+ptype)),
		chromedp.Poll[chromedp.Void](`document.querySelector(".leaflet-popup .delete-facility") !== null`, chromedp.WithPollingTimeout(10*time.Second)))
	// The popup says why the facility counts: the profile's selector.
	rule := browsertest.Eval[string](t, ctx, `(document.querySelector(".leaflet-popup .popup-rule") || {}).textContent || ""`)
	if !strings.Contains(rule, "=") || !strings.Contains(browsertest.Eval[string](t, ctx, `document.querySelector(".leaflet-popup").textContent`), "Counted by") {
		t.Errorf("facility popup shows rule %q, want the selector that counted it (key=value)", rule)
	}
	browserStep(t, ctx, "delete the facility", chromedp.Click(chromedp.CSS(".leaflet-popup .delete-facility")))
	t.Logf("delete: %s", waitMsg("Removed"))
	if removed, _ := browserCovered(t, ctx, ptype); removed > pbefore+1e-6 {
		t.Errorf("covered %s rose from %v to %v after deleting a facility", ptype, pbefore, removed)
	}
	browserStep(t, ctx, "undo the delete", chromedp.Click(chromedp.CSS("#undo-button")))
	waitMsg("Undone")
	if v, text := browserCovered(t, ctx, ptype); math.Abs(v-pbefore) > 1e-6*math.Max(1, pbefore) || text != pbeforeText {
		t.Errorf("after moving, deleting and two undos covered %s = %v (%q), want %v (%q)", ptype, v, text, pbefore, pbeforeText)
	}
	browserStep(t, ctx, "leave edit mode", chromedp.Click(chromedp.CSS("#edit-mode")))

	// Save the scenario under a name.
	browserStep(t, ctx, "save scenario", chromedp.Click(chromedp.CSS("#save-button")),
		chromedp.SetValue(chromedp.CSS("#save-name"), "browser-test"),
		chromedp.Click(chromedp.CSS("#save-confirm")))
	saved := waitMsg("Scenario saved")
	t.Logf("save: %s", saved)
	if !strings.Contains(saved, "scenarios/browser-test/scenario.json") {
		t.Errorf("the save message %q does not name the saved scenario's folder", saved)
	}

	// The worst unit: a click zooms to it and shows its figures.
	browserStep(t, ctx, "worst unit", chromedp.Click(chromedp.CSS("#worst-list li")),
		chromedp.Poll[chromedp.Void](`Array.from(document.querySelectorAll(".leaflet-popup-content")).some(p => p.textContent.includes("Walk (mean / p90)"))`,
			chromedp.WithPollingTimeout(30*time.Second)))
	popup := browsertest.Eval[string](t, ctx, `Array.from(document.querySelectorAll(".leaflet-popup-content")).map(p => p.textContent).find(s => s.includes("Walk (mean / p90)"))`)
	worstID := browsertest.Eval[string](t, ctx, `document.querySelector("#worst-list li").title`)
	if !strings.Contains(popup, glossary.En("residents")) || !strings.Contains(popup, worstID) {
		t.Errorf("unit popup = %q, want its population and walking distances", popup)
	}

	// A dropped file the server refuses: its message is shown in the page.
	w.AllowFailures(func(u string) bool { return strings.Contains(u, "/api/layer") })
	browsertest.Eval[bool](t, ctx, `(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(["lon,lat\nnot-a-number,60.17\n"], "broken.csv", {type: "text/csv"}));
		document.getElementById("map").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
		return true;
	})()`)
	browserStep(t, ctx, "drop error shown", chromedp.Poll[chromedp.Void](
		`!document.getElementById("message").hidden && document.getElementById("message").classList.contains("ok") === false && document.body.dataset.busy === "0"`,
		chromedp.WithPollingTimeout(30*time.Second)))
	dropMsg := browsertest.Eval[string](t, ctx, `document.getElementById("message-text").textContent`)
	if !strings.Contains(dropMsg, "broken.csv") || len(dropMsg) < len("broken.csv")+5 {
		t.Errorf("message after dropping a broken CSV = %q, want the server's error about broken.csv", dropMsg)
	}
	t.Logf("dropped broken.csv: %s", dropMsg)

	// A good file: one facility of the point type at the best site; the
	// type's facility count and covered population follow.
	countOf := func(id string) int {
		t.Helper()
		n, err := strconv.Atoi(browsertest.Eval[string](t, ctx, fmt.Sprintf(`document.querySelector("label[for=layer-toggle-%s] .count").textContent.replace(/[^0-9]/g, "")`, id)))
		if err != nil {
			t.Fatalf("facility count of %s: %v", id, err)
		}
		return n
	}
	nbefore := countOf(ptype)
	csv := fmt.Sprintf("id,type,name,lon,lat\\ndrop1,%s,Dropped site,%.6f,%.6f\\n", ptype, site.Lon, site.Lat)
	browsertest.Eval[bool](t, ctx, `(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(["`+csv+`"], "good.csv", {type: "text/csv"}));
		document.getElementById("map").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
		return true;
	})()`)
	t.Logf("good drop: %s", waitMsg("Added 1 facilities from good.csv"))
	browserWaitIdle(t, ctx, "after the good drop")
	if n := countOf(ptype); n != nbefore+1 {
		t.Errorf("%s facilities after dropping good.csv = %d, want %d", ptype, n, nbefore+1)
	}

	// Switch language: a label changes.
	enLabel := browsertest.Eval[string](t, ctx, `document.getElementById("propose-button").textContent`)
	browserStep(t, ctx, "switch language", chromedp.Click(chromedp.CSS("#lang-switch")))
	zhLabel := browsertest.Eval[string](t, ctx, `document.getElementById("propose-button").textContent`)
	if zhLabel == enLabel {
		t.Errorf("#propose-button says %q in both languages", zhLabel)
	}
	if lang := browsertest.Eval[string](t, ctx, `document.documentElement.lang`); !strings.HasPrefix(lang, "zh") {
		t.Errorf("html lang after switching = %q, want zh", lang)
	}

	// Screenshot with a proposal drawn, in Chinese.
	browserStep(t, ctx, "propose again",
		chromedp.Evaluate[chromedp.Void](`void window.lifecircle.map.fitBounds(window.lifecircle.bounds(), {animate: false})`),
		chromedp.Click(chromedp.CSS("#propose-button")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("#proposal-result tr.site").length > 0 && document.body.dataset.busy === "0"`,
			chromedp.WithPollingTimeout(60*time.Second)),
		chromedp.Click(chromedp.CSS("#message-close")),
		chromedp.Evaluate[chromedp.Void](`void (document.getElementById("panel").scrollTop = 0)`),
		chromedp.Sleep(400*time.Millisecond))
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(browsertest.ArtifactDir(t), "map.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	t.Logf("screenshot: %s", path)

	w.Check(t)
}

// TestBrowserBigCity measures load to idle of the map page with about
// 20,000 cells (set LIFECIRCLE_BIG=1). It logs the time; the issue asks
// for under 3 s, checked in BENCHMARKS.md, not here.
func TestBrowserBigCity(t *testing.T) {
	if os.Getenv("LIFECIRCLE_BIG") == "" {
		t.Skip("set LIFECIRCLE_BIG=1 to measure the map page with ~20,000 cells")
	}
	browsertest.Chromium(t)
	srv := browserStudyServer(t, true)
	u, _ := url.Parse(srv.URL)
	w := newBrowserWatch(u.Host)
	ctx := browsertest.New(t, w, 1440, 1000)

	var sum browserSummary
	browserAPI(t, "GET", srv.URL+"/api/summary", nil, &sum)
	var first struct {
		NumberMatched int `json:"numberMatched"`
	}
	browserAPI(t, "GET", srv.URL+"/ogc/collections/"+sum.Collections.Units+"/items?limit=1", nil, &first)

	for run := 1; run <= 2; run++ {
		start := time.Now()
		browserStep(t, ctx, "load /", chromedp.Navigate(srv.URL+"/"))
		browserWaitIdle(t, ctx, "first render")
		elapsed := time.Since(start)
		drawn := browsertest.Eval[int](t, ctx, `window.lifecircle.cellCount()`)
		steps := browsertest.Eval[string](t, ctx, `JSON.stringify(window.lifecircle.timings)`)
		t.Logf("run %d: %d cells (%d drawn): load to idle %v; page steps (ms since navigation): %s", run, first.NumberMatched, drawn, elapsed.Round(time.Millisecond), steps)
		if drawn != first.NumberMatched {
			t.Errorf("page drew %d cells, the server has %d", drawn, first.NumberMatched)
		}
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err == nil {
		os.WriteFile(filepath.Join(browsertest.ArtifactDir(t), "map-big.png"), shot, 0o644)
	}
	w.Check(t)
}

// browserStudyServer starts the real server over httptest with a study
// loaded as `lifecircle serve` loads one: the bundled Helsinki sample
// (buildings as demand, 250 m cells), or with big a synthetic city of about
// 20,000 populated 100 m cells (synth lattice, 100,000 population points,
// 150 facilities of each type).
func browserStudyServer(t *testing.T, big bool) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	prof, err := data.LoadProfile("gb50180")
	if err != nil {
		t.Fatal(err)
	}
	in := planner.AuditInput{Profile: prof, MaxSnap: geo.DefaultMaxSnap, MaxDistance: planner.DefaultAuditMaxDistance}
	cell := planner.DefaultCellSize
	var bg *data.Background
	if !big {
		path, err := sample.OSMFile()
		if err != nil {
			t.Fatal(err)
		}
		if bg, err = data.ReadBackground(ctx, path); err != nil {
			t.Fatal(err)
		}
		osmIn, err := data.ReadOSMInputs(ctx, path, data.OSMOptions{Profile: prof, Buildings: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		in.Net, in.Facilities = osmIn.Net, osmIn.Facilities
		if len(osmIn.Buildings) > 0 {
			in.Demand, _, err = planner.DemandFromBuildings(osmIn.Buildings, planner.BuildingOptions{FloorAreaPerPerson: planner.DefaultFloorAreaPerPerson, ResidentialAreas: osmIn.ResidentialAreas})
			if err != nil {
				t.Fatal(err)
			}
		}
		if in.Demand == nil || len(in.Demand.Points) == 0 {
			if in.Demand, err = planner.DemandFromNetwork(in.Net, planner.DefaultDemandSampleStep); err != nil {
				t.Fatal(err)
			}
		}
	} else {
		// 177 × 80 m ≈ 14.2 km a side: about 20,000 cells of 100 m.
		dir := t.TempDir()
		if _, err := synth.Generate(dir, synth.Options{Nodes: 177 * 177, Facilities: 150, Points: 100000, Seed: 5}); err != nil {
			t.Fatal(err)
		}
		osmIn, err := data.ReadOSMInputs(ctx, filepath.Join(dir, synth.FileCity), data.OSMOptions{Profile: prof}, nil)
		if err != nil {
			t.Fatal(err)
		}
		in.Net = osmIn.Net
		in.Facilities, err = data.ReadAmenityLayer(filepath.Join(dir, synth.FileFacilities), prof, data.WGS84)
		if err != nil {
			t.Fatal(err)
		}
		pf, err := data.ReadPopulationLayer(filepath.Join(dir, synth.FilePoints), data.WGS84)
		if err != nil {
			t.Fatal(err)
		}
		in.Demand, err = planner.DemandFromPopulation(pf, nil, planner.BuildingOptions{}, in.Net)
		if err != nil {
			t.Fatal(err)
		}
		cell = 100
	}
	var b orb.Bound
	for i, p := range in.Demand.Points {
		if i == 0 {
			b = orb.Bound{Min: p, Max: p}
		}
		b = b.Extend(p)
	}
	g, err := planner.NewGrid(cell, b)
	if err != nil {
		t.Fatal(err)
	}
	in.Units, in.Assign = planner.CellUnits(g, in.Demand.Points, in.Demand.Pop)
	sc, err := planner.NewScenario(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(sc, Config{Addr: "127.0.0.1:0", Workspace: t.TempDir(), UnitsKind: "cells", Background: bg}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	t.Logf("study: %d residents in %d cells, %d facilities", int(in.Demand.Total()), len(in.Units), len(in.Facilities))
	return ts
}
