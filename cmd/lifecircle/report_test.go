package main

// report.html in a real browser: headless Chromium (Debian's chromium)
// opens the file from disk through chromedp, and `chromium --headless
// --print-to-pdf` prints it.

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/web/browsertest"
)

// TestReportInChromium writes the example project's report (two unit
// levels, rules that break) and opens it from disk in headless Chromium:
// no console error, no request but the file itself, the language switch
// works, every page (the --timeline chart's too) fits an A4 sheet, a screenshot is saved; then
// `chromium --headless --print-to-pdf` prints it to a PDF of exactly one
// page per section.
func TestReportInChromium(t *testing.T) {
	bin := browsertest.Chromium(t)
	root := shareddata.RepoRoot(t)
	out := filepath.Join(t.TempDir(), "audit")
	_, stderr, code := runCLI(t, "audit", "--quiet", "-c", filepath.Join(root, "examples", "district", "lifecircle.yaml"), "--out", out, "--timeline", "2024..2030")
	if code != 3 {
		t.Fatalf("example project: exit %d, want 3 (its communities break the commitments)\n%s", code, stderr)
	}
	report := filepath.Join(out, "report.html")
	html, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	// Self-contained: no URL to load anything from.
	for _, bad := range []string{"http://", "https://", "//fonts.", "@import", "src=\"", "url("} {
		if i := bytes.Index(html, []byte(bad)); i >= 0 && !(bad == "http://" && bytes.Contains(html[max(0, i-20):i+40], []byte("http://www.w3.org/2000/svg"))) {
			t.Errorf("report.html contains %q (…%s…): it must load nothing", bad, html[max(0, i-40):min(len(html), i+60)])
		}
	}
	for _, want := range []string{"© OpenStreetMap contributors", "配置规则", "Provision rules", "<svg", "GB 50180-2018", "timeline-chart", "Coverage year by year"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	m := regexp.MustCompile(`<meta name="lifecircle-pages" content="(\d+)">`).FindSubmatch(html)
	if m == nil {
		t.Fatal("report.html does not state its page count")
	}
	pages, _ := strconv.Atoi(string(m[1]))
	if want := data.ReportPages(2, true); pages != want {
		t.Errorf("report states %d pages, want %d (overview, type maps, 2 levels, timeline, rules, method)", pages, want)
	}

	// The page in a browser.
	w := &browsertest.Watch{
		Scope:    "the report file (the report must load nothing)",
		Allow:    func(u *url.URL) bool { return u.Scheme == "file" || u.Scheme == "data" },
		Warnings: true,
	}
	ctx := browsertest.New(t, w, 1000, 1300)
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, c := context.WithTimeout(ctx, 60*time.Second)
		defer c()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(expr string) string {
		t.Helper()
		return browsertest.Eval[string](t, ctx, expr)
	}
	fileURL := (&url.URL{Scheme: "file", Path: report}).String()
	do("open report.html", chromedp.Navigate(fileURL))
	if got := eval(`document.documentElement.dataset.lang`); got != "en" {
		t.Errorf("language %q in an en-US browser, want en", got)
	}
	visible := func(sel string) string {
		return eval(`String(Array.from(document.querySelectorAll("` + sel + `")).filter(e => e.offsetParent !== null).length)`)
	}
	if visible(".page .zh") != "0" || visible(".page .en") == "0" {
		t.Errorf("English page shows %s Chinese and %s English spans", visible(".page .zh"), visible(".page .en"))
	}
	do("switch to 中文", chromedp.Click(chromedp.CSS(`[data-set-lang="zh"]`)))
	if got := eval(`document.documentElement.dataset.lang`); got != "zh" {
		t.Errorf("after clicking 中文 the language is %q", got)
	}
	if visible(".page .en") != "0" || visible(".page .zh") == "0" {
		t.Errorf("Chinese page shows %s English and %s Chinese spans", visible(".page .en"), visible(".page .zh"))
	}
	if got := eval(`document.querySelector("#rules h2").innerText`); !strings.Contains(got, "配置规则") {
		t.Errorf("rules heading in Chinese %q", got)
	}
	do("back to English", chromedp.Click(chromedp.CSS(`[data-set-lang="en"]`)))
	// Sections, maps and tables as built.
	if got := eval(`String(document.querySelectorAll("section.page").length)`); got != strconv.Itoa(pages) {
		t.Errorf("%s sections, the report states %d pages", got, pages)
	}
	if got := eval(`String(document.querySelectorAll("#types svg.map").length)`); got != "5" {
		t.Errorf("%s type maps, want one per gb50180 type (5)", got)
	}
	if got := eval(`String(document.querySelectorAll("#rules .badge.bad").length)`); got == "0" {
		t.Error("no broken rule badge in the rules table")
	}
	// Nothing overflows its page on screen (the print layout has the same width).
	if got := eval(`String(Array.from(document.querySelectorAll("section.page")).filter(s => s.scrollHeight > s.clientHeight + 1).map(s => s.id))`); got != "" {
		t.Errorf("sections whose content is taller than the page: %s", got)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	// FullScreenshot at quality < 100 is a JPEG; keep a PNG as well.
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	arts := browsertest.ArtifactDir(t)
	for name, b := range map[string][]byte{"report.png": png, "report_full.jpg": shot} {
		if err := os.WriteFile(filepath.Join(arts, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots: %s", filepath.Join(arts, "report.png"))
	w.Check(t)

	// Print to PDF with the browser's own command line.
	pdf := filepath.Join(arts, "report.pdf")
	os.Remove(pdf)
	args := append(append([]string{}, browsertest.Flags...), "--user-data-dir="+t.TempDir(), "--no-pdf-header-footer",
		"--print-to-pdf="+pdf, fileURL)
	pctx, pcancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer pcancel()
	if o, err := exec.CommandContext(pctx, bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("chromium --print-to-pdf: %v\n%s", err, o)
	}
	b, err := os.ReadFile(pdf)
	if err != nil || len(b) < 10000 || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("PDF %s: %d bytes, err %v", pdf, len(b), err)
	}
	n := len(regexp.MustCompile(`/Type\s*/Page\b`).FindAll(b, -1))
	if n != pages {
		t.Errorf("the PDF has %d pages, want %d (one per section)", n, pages)
	}
	if info, err := exec.LookPath("pdfinfo"); err == nil {
		o, err := exec.Command(info, pdf).Output()
		if err == nil {
			if m := regexp.MustCompile(`Pages:\s+(\d+)`).FindSubmatch(o); m == nil || string(m[1]) != strconv.Itoa(pages) {
				t.Errorf("pdfinfo: %s", o)
			}
		}
	}
}
