package web

// Headless-Chromium tests of the print layout, the saved image, the
// distance histogram and the Chinese page (issue 17, items 7–9).

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/lifecircle/lifecircle/planner/glossary"
	"github.com/lifecircle/lifecircle/web/browsertest"
)

// browserPDF prints the page to PDF as the browser's print dialog does,
// with the page size the page's CSS asks for (@page).
func browserPDF(t *testing.T, ctx context.Context) []byte {
	t.Helper()
	yes := true
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	b, err := chromedp.Run(sctx, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		r, err := cdp.Call(ctx, tg, cdppage.PrintToPDF, cdppage.PrintToPDFParams{PreferCSSPageSize: &yes, PrintBackground: &yes})
		return r.Data, err
	})
	if err != nil {
		t.Fatalf("print to PDF: %v", err)
	}
	return b
}

// pdfText extracts a PDF's text with pdftotext (poppler-utils), "" and
// false when the tool is missing.
func pdfText(t *testing.T, path string) (string, bool) {
	t.Helper()
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Logf("no pdftotext (poppler-utils): the PDF's text is not checked, only its size and pages")
		return "", false
	}
	out, err := exec.Command(tool, "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", path, err)
	}
	return string(out), true
}

// TestBrowserPrint opens the print layout on A4 and A3 landscape: it has
// the title, legend, scale bar, north arrow, date and data sources; the
// PDF the browser prints is one page of that paper with the title, the
// legend and the scale in its text; the saved image decodes as a PNG of
// the sheet's size. It also checks the distance histogram card against
// the summary.
func TestBrowserPrint(t *testing.T) {
	browsertest.Chromium(t)
	srv := browserStudyServer(t, false)
	u, _ := url.Parse(srv.URL)
	w := newBrowserWatch(u.Host)
	ctx := browsertest.New(t, w, 1440, 1000)
	browserStep(t, ctx, "load /", chromedp.Navigate(srv.URL+"/?lang=zh"))
	browserWaitIdle(t, ctx, "first render")

	// The histogram card: the bands within the threshold hold the covered residents.
	var sum browserSummary
	browserAPI(t, "GET", srv.URL+"/api/summary", nil, &sum)
	browserStep(t, ctx, "histogram drawn", chromedp.Poll[chromedp.Void](`document.querySelector("#chart-card svg.hist") !== null`,
		chromedp.WithPollingTimeout(20*time.Second)))
	first := sum.Types[0]
	within, _ := strconv.ParseFloat(browsertest.Eval[string](t, ctx, `document.getElementById("chart-figs").dataset.within`), 64)
	if d := within - first.Covered; d > 0.1 || d < -0.1 {
		t.Errorf("histogram of %s: %v residents within the threshold, the summary covers %v", first.ID, within, first.Covered)
	}
	bars := browsertest.Eval[int](t, ctx, `document.querySelectorAll("#chart-card svg.hist rect.hbar").length`)
	if bars < 5 {
		t.Errorf("histogram has %d bars", bars)
	}
	// Bars drawn to scale: the tallest one spans most of the plot; the
	// bands within the threshold add up to the covered residents.
	type histDOM struct {
		Tallest, Within float64
		Text            string
	}
	hd := browsertest.Eval[histDOM](t, ctx, `(() => {
		const rs = Array.from(document.querySelectorAll("#chart-card svg.hist rect.hbar"));
		return {Tallest: Math.max(...rs.map(r => r.getBoundingClientRect().height)),
			Within: rs.filter(r => r.classList.contains("within")).reduce((s, r) => s + Number(r.dataset.residents), 0),
			Text: document.getElementById("chart-card").textContent};
	})()`)
	if hd.Tallest < 60 || strings.Contains(hd.Text, "NaN") || strings.Contains(hd.Text, "undefined") {
		t.Errorf("histogram: tallest bar %v px, text %q", hd.Tallest, hd.Text)
	}
	if d := hd.Within - first.Covered; d > 1 || d < -1 {
		t.Errorf("bands within the threshold hold %v residents, the summary covers %v", hd.Within, first.Covered)
	}

	for _, paper := range []struct {
		name          string
		w, h          int     // sheet, CSS px
		ptW, ptH      float64 // PDF page, points
		screenW, scrH int
	}{
		{"A4", 1123, 793, 841.89, 595.28, 1200, 900},
		{"A3", 1587, 1122, 1190.55, 841.89, 1660, 1240},
	} {
		t.Run(paper.name, func(t *testing.T) {
			browserStep(t, ctx, "window size", chromedp.EmulateViewport(int64(paper.screenW), int64(paper.scrH)))
			if paper.name == "A4" {
				// The page's own button opens the layout on A4.
				browserStep(t, ctx, "click Print", chromedp.Click(chromedp.CSS("#print-button")))
			} else {
				browserStep(t, ctx, "choose "+paper.name, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("print-paper");
					s.value = "`+paper.name+`"; s.dispatchEvent(new Event("change")); })()`))
			}
			browserStep(t, ctx, "layout ready", chromedp.Poll[chromedp.Void](`document.body.dataset.print === "ready" && document.body.dataset.busy === "0"`,
				chromedp.WithPollingTimeout(30*time.Second)))
			// Let the canvases redraw at the new size.
			browserStep(t, ctx, "settle", chromedp.Sleep(400*time.Millisecond))
			type layout struct {
				Title, Legend, Scale, Date, Foot string
				North, LegendItems               int
				W, H, MapW, MapH                 float64
				Metres, Px                       float64
			}
			l := browsertest.Eval[layout](t, ctx, `(() => {
				const q = (s) => document.querySelector(s);
				const r = q("#print-sheet").getBoundingClientRect(), m = q("#print-map").getBoundingClientRect();
				return {Title: q("#print-title").textContent, Legend: q("#print-legend").innerText, Scale: q("#print-scale-label").textContent,
					Date: q("#print-date").textContent, Foot: q("#print-foot").textContent,
					North: document.querySelectorAll("#print-north svg").length, LegendItems: document.querySelectorAll("#print-legend .item").length,
					W: r.width, H: r.height, MapW: m.width, MapH: m.height,
					Metres: Number(q("#print-scale").dataset.metres), Px: Number(q("#print-scale").dataset.px)};
			})()`)
			if !strings.Contains(l.Title, "生活圈") {
				t.Errorf("title %q", l.Title)
			}
			if !strings.Contains(l.Legend, glossary.Zh("legend")) || !strings.Contains(l.Legend, glossary.Zh("completeness")) || l.LegendItems < 6 {
				t.Errorf("legend %q with %d items", l.Legend, l.LegendItems)
			}
			if !strings.Contains(l.Scale, glossary.Zh("scale")) || !(l.Metres > 0) || !(l.Px > 20 && l.Px <= 150) {
				t.Errorf("scale bar %q: %v m over %v px", l.Scale, l.Metres, l.Px)
			}
			if l.North != 1 || !strings.Contains(l.Date, time.Now().Format("2006-01-02")) || !strings.Contains(l.Foot, "© OpenStreetMap contributors") {
				t.Errorf("north arrow %d, date %q, sources %q", l.North, l.Date, l.Foot)
			}
			if int(l.W+0.5) != paper.w || int(l.H+0.5) != paper.h || l.MapW < 0.6*l.W || l.MapH < 0.6*l.H {
				t.Errorf("sheet %vx%v (want %dx%d), map %vx%v", l.W, l.H, paper.w, paper.h, l.MapW, l.MapH)
			}
			// The scale bar's length is what the map shows: metres per pixel
			// across the map's centre.
			mpp := browsertest.Eval[float64](t, ctx, `(() => { const m = window.lifecircle.map, s = m.getSize();
				return m.distance(m.containerPointToLatLng([s.x/2-50, s.y/2]), m.containerPointToLatLng([s.x/2+50, s.y/2])) / 100; })()`)
			if got := l.Metres / l.Px; got/mpp > 1.01 || got/mpp < 0.99 {
				t.Errorf("scale bar %v m / %v px = %v m/px, the map %v m/px", l.Metres, l.Px, got, mpp)
			}
			browserShot(t, ctx, "print-"+strings.ToLower(paper.name)+".png")

			pdf := browserPDF(t, ctx)
			pdfPath := filepath.Join(browsertest.ArtifactDir(t), "print-"+strings.ToLower(paper.name)+".pdf")
			if err := os.WriteFile(pdfPath, pdf, 0o644); err != nil {
				t.Fatal(err)
			}
			if len(pdf) < 20000 || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Fatalf("PDF: %d bytes", len(pdf))
			}
			if n := len(regexp.MustCompile(`/Type\s*/Page\b`).FindAll(pdf, -1)); n != 1 {
				t.Errorf("PDF has %d pages, want 1", n)
			}
			if info, err := exec.LookPath("pdfinfo"); err == nil {
				o, _ := exec.Command(info, pdfPath).Output()
				m := regexp.MustCompile(`Page size:\s+([\d.]+) x ([\d.]+) pts`).FindSubmatch(o)
				if m == nil {
					t.Errorf("pdfinfo: %s", o)
				} else if pw, _ := strconv.ParseFloat(string(m[1]), 64); pw < paper.ptW-2 || pw > paper.ptW+2 {
					t.Errorf("PDF page %s x %s pt, want %.0f x %.0f (%s landscape)", m[1], m[2], paper.ptW, paper.ptH, paper.name)
				}
			}
			if text, ok := pdfText(t, pdfPath); ok {
				for _, want := range []string{"生活圈", glossary.Zh("legend"), glossary.Zh("scale"), glossary.Zh("completeness"), "OpenStreetMap", glossary.Zh("data_sources")} {
					if !strings.Contains(text, want) {
						t.Errorf("the PDF's text lacks %q:\n%s", want, text)
					}
				}
			}

			// Save image: a PNG of the sheet's size, with the map drawn.
			ictx, icancel := context.WithTimeout(ctx, 60*time.Second)
			dataURL, err := chromedp.Run(ictx, chromedp.Evaluate[string](`window.lifecirclePrint.image()`, chromedp.EvalAwaitPromise))
			icancel()
			if err != nil {
				t.Fatalf("image: %v", err)
			}
			b64, ok := strings.CutPrefix(dataURL, "data:image/png;base64,")
			if !ok {
				t.Fatalf("image: %.60q", dataURL)
			}
			raw, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("the saved image is no PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != paper.w || b.Dy() != paper.h {
				t.Errorf("image %dx%d, want the sheet's %dx%d", b.Dx(), b.Dy(), paper.w, paper.h)
			}
			if n := colours(img); n < 40 {
				t.Errorf("image has %d colours: the map is not drawn", n)
			}
			// The legend's blank space stays blank (a box of no height
			// with a rounded corner was once drawn as a large circle).
			if n := strayLegendPixels(t, ctx, img); n > 0 {
				t.Errorf("image: %d drawn pixels in the legend's blank space", n)
			}
			if err := os.WriteFile(filepath.Join(browsertest.ArtifactDir(t), "print-"+strings.ToLower(paper.name)+"-image.png"), raw, 0o644); err != nil {
				t.Fatal(err)
			}
			if paper.name == "A4" {
				// The "Save image" button downloads the same PNG.
				dl := t.TempDir()
				if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
					Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dl, BrowserContextID: chromedp.FromContext(ctx).BrowserContextID}); err != nil {
					t.Fatalf("allow downloads: %v", err)
				}
				browserStep(t, ctx, "click Save image", chromedp.Click(chromedp.CSS("#print-image")))
				var saved []string
				for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && len(saved) == 0; time.Sleep(100 * time.Millisecond) {
					saved, _ = filepath.Glob(filepath.Join(dl, "*.png"))
				}
				if len(saved) != 1 {
					t.Fatalf("Save image: files %v in the download folder", saved)
				}
				f, err := os.ReadFile(saved[0])
				if err != nil {
					t.Fatal(err)
				}
				if cfg, err := png.DecodeConfig(bytes.NewReader(f)); err != nil || cfg.Width != paper.w || cfg.Height != paper.h {
					t.Errorf("downloaded %s: %dx%d, %v; want a %dx%d PNG", filepath.Base(saved[0]), cfg.Width, cfg.Height, err, paper.w, paper.h)
				}
			}
			browserStep(t, ctx, "close", chromedp.Evaluate[chromedp.Void](`window.lifecirclePrint.close()`))
		})
	}
	if got := browsertest.Eval[bool](t, ctx, `document.body.classList.contains("print-mode")`); got {
		t.Error("still in print mode after close")
	}
	w.Check(t)
}

// colours counts the distinct colours of img (up to 1000).
func strayLegendPixels(t *testing.T, ctx context.Context, img image.Image) int {
	t.Helper()
	// The legend's box and its leaves' boxes (elements with no element
	// child, and texts), in the sheet's pixels.
	boxes := browsertest.Eval[[][]float64](t, ctx, `(() => {
		const o = document.getElementById("print-sheet").getBoundingClientRect();
		const lg = document.getElementById("print-legend");
		const box = e => { const r = e.getBoundingClientRect(); return [r.left - o.left, r.top - o.top, r.right - o.left, r.bottom - o.top]; };
		const out = [box(lg)].concat(Array.from(lg.querySelectorAll("*")).filter(e => e.childElementCount === 0).map(box));
		const w = document.createTreeWalker(lg, NodeFilter.SHOW_TEXT);
		for (let n = w.nextNode(); n; n = w.nextNode()) {
			if (!n.textContent.trim()) continue;
			const r = document.createRange();
			r.selectNodeContents(n);
			out.push(box(r));
		}
		return out;
	})()`)
	if len(boxes) < 2 {
		t.Fatalf("legend boxes %v", boxes)
	}
	lg, leaves := boxes[0], boxes[1:]
	n := 0
	for y := int(lg[1]); y < int(lg[3]); y++ {
	pixel:
		for x := int(lg[0]); x < int(lg[2]); x++ {
			for _, b := range leaves {
				if float64(x) >= b[0]-3 && float64(x) <= b[2]+3 && float64(y) >= b[1]-3 && float64(y) <= b[3]+3 {
					continue pixel
				}
			}
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 < 240 || g>>8 < 240 || bl>>8 < 240 {
				n++
			}
		}
	}
	return n
}

func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r >> 8, g >> 8, bl >> 8, a >> 8}] = true
			if len(seen) >= 1000 {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// visibleTextJS returns the text a reader sees: rendered text nodes and
// the options of shown selects, without user-written text ([data-user]:
// the project's title, rule notes).
const visibleTextJS = `(() => {
	const out = [];
	const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	while (walk.nextNode()) {
		const n = walk.currentNode, p = n.parentElement;
		if (!p || !n.textContent.trim() || p.closest("script,style,option,[data-user]")) continue;
		const r = document.createRange();
		r.selectNodeContents(n);
		if (!Array.from(r.getClientRects()).some(x => x.width > 0 && x.height > 0)) continue;
		if (getComputedStyle(p).visibility === "hidden") continue;
		out.push(n.textContent);
	}
	document.querySelectorAll("select").forEach(s => {
		if (s.getClientRects().length) Array.from(s.options).forEach(o => out.push(o.textContent));
	});
	return out.join("\n");
})()`

// englishIDs returns the type ids and level names found as words in text.
// A word inside an OSM tag or a file path (amenity=clinic, Tag:…,
// units/communities.geojson) is data, not a label, and is not counted.
func englishIDs(text string, ids []string) []string {
	var found []string
	for _, id := range ids {
		re := regexp.MustCompile(`(?i)(^|[^=:/._\pL\pN-])` + regexp.QuoteMeta(id) + `($|[^\pL\pN./_-])`)
		for _, m := range re.FindAllStringIndex(text, 3) {
			lo, hi := max(0, m[0]-40), min(len(text), m[1]+40)
			found = append(found, fmt.Sprintf("%s in %q", id, text[lo:hi]))
		}
	}
	return found
}

// zhForbidden are the words the Chinese page must not show: the profile's
// type ids and the level names (glossary level keys, their plurals and
// the levels of the study).
func zhForbidden(prof *planner.Profile, levels []string) []string {
	var ids []string
	for _, t := range prof.Types {
		ids = append(ids, t.ID)
	}
	for _, k := range glossary.LevelKeys {
		ids = append(ids, k, k+"s")
	}
	ids = append(ids, planner.DefaultLevelName, planner.DistrictLevel)
	return append(ids, levels...)
}

// TestBrowserZhNoEnglishIDs: the Chinese map page and report show no type
// id and no English level name (every label, type and level in Chinese,
// from the glossary); screenshots zh-map.png and zh-report.png. The same
// check finds the ids on the English report, so it can fail.
func TestBrowserZhNoEnglishIDs(t *testing.T) {
	browsertest.Chromium(t)
	prof, err := data.LoadProfile("gb50180")
	if err != nil {
		t.Fatal(err)
	}
	srv := browserStudyServer(t, false)
	u, _ := url.Parse(srv.URL)
	w := newBrowserWatch(u.Host)
	ctx := browsertest.New(t, w, 1440, 1000)
	browserStep(t, ctx, "load /", chromedp.Navigate(srv.URL+"/?lang=zh"))
	browserWaitIdle(t, ctx, "first render")
	browserStep(t, ctx, "histogram drawn", chromedp.Poll[chromedp.Void](`document.querySelector("#chart-card svg.hist") !== null`,
		chromedp.WithPollingTimeout(20*time.Second)))
	forbidden := zhForbidden(prof, []string{"cells"})
	text := browsertest.Eval[string](t, ctx, visibleTextJS)
	if len(text) < 200 {
		t.Fatalf("visible text: %q", text)
	}
	for _, f := range englishIDs(text, forbidden) {
		t.Errorf("Chinese map page shows %s", f)
	}
	if got := browsertest.Eval[string](t, ctx, `document.querySelector('#summary-card [data-i18n="completeness"]').textContent`); got != glossary.Zh("completeness") {
		t.Errorf("completeness label %q, glossary %q", got, glossary.Zh("completeness"))
	}
	for name, want := range map[string]string{"community": "社区", "Subdistrict": "街道", "cells": "方格", "admin8": "行政级别 8", "社区": "社区"} {
		zh, _ := glossary.Level(name)
		if got := browsertest.Eval[string](t, ctx, `lifecircleLevelName(`+strconv.Quote(name)+`, "zh")`); got != want || got != zh {
			t.Errorf("lifecircleLevelName(%q) = %q, want %q (glossary.Level %q)", name, got, want, zh)
		}
	}
	browserShot(t, ctx, "zh-map.png")

	// Popups and results in Chinese too: a proposal, a unit's figures, a facility.
	browserStep(t, ctx, "propose", chromedp.Click(chromedp.CSS("#propose-button")))
	browserStep(t, ctx, "proposal shown", chromedp.Poll[chromedp.Void](`document.querySelector("#proposal-result .claim") !== null && document.body.dataset.busy === "0"`,
		chromedp.WithPollingTimeout(60*time.Second)))
	// Fewer sites than asked: the panel says why, with both counts.
	if n, k := browsertest.Eval[int](t, ctx, `document.querySelectorAll("#proposal-result tr.site").length`),
		browsertest.Eval[int](t, ctx, `Number(document.getElementById("propose-k").value)`); n < k {
		hint := browsertest.Eval[string](t, ctx, `Array.from(document.querySelectorAll("#proposal-result .hint")).map(e => e.textContent).join(" | ")`)
		if want := fmt.Sprintf("只有 %d 个站点能增加覆盖", n); !strings.Contains(hint, want) || !strings.Contains(hint, fmt.Sprintf("要求 %d 个", k)) {
			t.Errorf("proposal of %d sites for %d asked: hints %q, want %q and 要求 %d 个", n, k, hint, want, k)
		}
	}
	browserStep(t, ctx, "worst unit", chromedp.Click(chromedp.CSS("#worst-list li")))
	browserStep(t, ctx, "unit popup", chromedp.Poll[chromedp.Void](`document.querySelector(".leaflet-popup-content table") !== null`,
		chromedp.WithPollingTimeout(20*time.Second)))
	for _, f := range englishIDs(browsertest.Eval[string](t, ctx, visibleTextJS), forbidden) {
		t.Errorf("Chinese page with a proposal and a unit's popup shows %s", f)
	}
	browserStep(t, ctx, "facility popup", chromedp.Evaluate[chromedp.Void](`(() => {
		const l = window.lifecircle.facilityLayer("clinic").getLayers()[0];
		l.fire("click", {latlng: l.getLatLng ? l.getLatLng() : l.getBounds().getCenter()});
	})()`))
	browserStep(t, ctx, "facility popup shown", chromedp.Poll[chromedp.Void](`document.querySelector(".leaflet-popup-content .popup-rule") !== null`,
		chromedp.WithPollingTimeout(20*time.Second)))
	for _, f := range englishIDs(browsertest.Eval[string](t, ctx, visibleTextJS), forbidden) {
		t.Errorf("Chinese facility popup shows %s", f)
	}
	browserShot(t, ctx, "zh-map-popup.png")
	browserStep(t, ctx, "open print layout", chromedp.Evaluate[chromedp.Void](`window.lifecirclePrint.open("A4")`))
	browserStep(t, ctx, "layout ready", chromedp.Poll[chromedp.Void](`document.body.dataset.print === "ready"`, chromedp.WithPollingTimeout(30*time.Second)))
	for _, f := range englishIDs(browsertest.Eval[string](t, ctx, visibleTextJS), forbidden) {
		t.Errorf("Chinese print layout shows %s", f)
	}
	w.Check(t)

	// The district example (two levels, rules) in Chinese: the level
	// switch, the rules panel and the table of units and of facilities.
	dts := newDistrictServer(t)
	dsrv := httptest.NewServer(dts.h)
	t.Cleanup(dsrv.Close)
	du, _ := url.Parse(dsrv.URL)
	dw := newBrowserWatch(du.Host)
	dctx := browsertest.New(t, dw, 1440, 1000)
	browserStep(t, dctx, "load district", chromedp.Navigate(dsrv.URL+"/?lang=zh"))
	browserWaitIdle(t, dctx, "district first render")
	browserStep(t, dctx, "level switch and rules panel", chromedp.Poll[chromedp.Void](
		`document.querySelectorAll("#level-switch option").length === 3 && document.querySelectorAll("#rules-list .rule").length > 0`,
		chromedp.WithPollingTimeout(30*time.Second)))
	dforbidden := zhForbidden(prof, []string{"community", "subdistrict"})
	for _, f := range englishIDs(browsertest.Eval[string](t, dctx, visibleTextJS), dforbidden) {
		t.Errorf("Chinese district map shows %s", f)
	}
	browserStep(t, dctx, "open the table", chromedp.Click(chromedp.CSS("#table-button")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("#data-table tbody tr[data-id]").length > 0 && document.body.dataset.busy === "0"`,
			chromedp.WithPollingTimeout(30*time.Second)))
	for _, f := range englishIDs(browsertest.Eval[string](t, dctx, visibleTextJS), dforbidden) {
		t.Errorf("Chinese units table shows %s", f)
	}
	browserShot(t, dctx, "zh-table-units.png")
	browserStep(t, dctx, "facilities table", chromedp.Click(chromedp.CSS("#table-tab-facilities")),
		chromedp.Poll[chromedp.Void](`document.getElementById("data-table").dataset.table === "facilities" && document.querySelectorAll("#data-table tbody tr").length > 0 && document.body.dataset.busy === "0"`,
			chromedp.WithPollingTimeout(30*time.Second)))
	for _, f := range englishIDs(browsertest.Eval[string](t, dctx, visibleTextJS), dforbidden) {
		t.Errorf("Chinese facilities table shows %s", f)
	}
	browserShot(t, dctx, "zh-table-facilities.png")
	dw.Check(t)

	// The report of the district example (two levels, rules), in Chinese.
	dir := t.TempDir()
	p, err := data.ReadProject(filepath.Join("..", "examples", "district", "lifecircle.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := study.Defaults()
	s.Overlay(p)
	s.Out = dir
	st, err := study.Load(context.Background(), s, study.FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := study.Run(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write(dir, res); err != nil {
		t.Fatal(err)
	}
	var levels []string
	if st.In.Hierarchy != nil {
		levels = st.In.Hierarchy.LevelNames()
	}
	files := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(files.Close)
	fu, _ := url.Parse(files.URL)
	rw := newBrowserWatch(fu.Host)
	rctx := browsertest.New(t, rw, 1240, 1600)
	forbidden = zhForbidden(prof, levels)
	browserStep(t, rctx, "report zh", chromedp.Navigate(files.URL+"/report.html?lang=zh"))
	rtext := browsertest.Eval[string](t, rctx, visibleTextJS)
	if !strings.Contains(rtext, glossary.Zh("distance_histogram")) || !strings.Contains(rtext, glossary.Zh("completeness")) {
		t.Errorf("the report lacks the histogram page or the glossary's completeness")
	}
	for _, f := range englishIDs(rtext, forbidden) {
		t.Errorf("Chinese report shows %s", f)
	}
	if n := browsertest.Eval[int](t, rctx, `document.querySelectorAll("#distances svg.hist").length`); n != len(prof.Types) {
		t.Errorf("%d histograms in the report, want %d", n, len(prof.Types))
	}
	if got := browsertest.Eval[string](t, rctx, `String(Array.from(document.querySelectorAll("section.page")).filter(s => s.scrollHeight > s.clientHeight + 1).map(s => s.id))`); got != "" {
		t.Errorf("Chinese report: sections taller than their page: %s", got)
	}
	browserShot(t, rctx, "zh-report.png")
	if full, err := chromedp.Run(rctx, chromedp.FullScreenshot(85)); err == nil {
		_ = os.WriteFile(filepath.Join(browsertest.ArtifactDir(t), "zh-report-full.jpg"), full, 0o644)
	}
	browserStep(t, rctx, "report en", chromedp.Navigate(files.URL+"/report.html?lang=en"))
	if found := englishIDs(browsertest.Eval[string](t, rctx, visibleTextJS), forbidden); len(found) == 0 {
		t.Error("the English report shows no type id: the check cannot fail")
	}
	rw.Check(t)
}
