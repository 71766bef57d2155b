package main

// report.html in a real browser: headless Chromium (Debian's chromium)
// opens the file from disk through chromedp, and `chromium --headless
// --print-to-pdf` prints it.

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/lifecircle/lifecircle/data"
)

// reportChromium returns the browser: $LIFECIRCLE_CHROMIUM or
// /usr/bin/chromium; missing, the test fails on CI and is skipped elsewhere.
func reportChromium(t *testing.T) string {
	t.Helper()
	p := os.Getenv("LIFECIRCLE_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(p); err != nil {
		msg := fmt.Sprintf("no Chromium at %s (%v): install Debian's chromium or set LIFECIRCLE_CHROMIUM", p, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// reportArtifacts is $LIFECIRCLE_ARTIFACTS, else <repo>/test-artifacts.
func reportArtifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LIFECIRCLE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(repoRoot(t), "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// chromiumFlags are the flags of every Chromium run: no network of its own,
// no sandbox (tests may run as root).
var chromiumFlags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"}

// pageWatch records console errors, exceptions, error log entries and
// every request that is not a file: or data: URL.
type pageWatch struct {
	mu       sync.Mutex
	errors   []string
	network  []string
	requests int
}

func (w *pageWatch) listen(ev any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			w.errors = append(w.errors, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		w.errors = append(w.errors, fmt.Sprintf("exception at line %d: %s", d.LineNumber+1, msg))
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			w.errors = append(w.errors, fmt.Sprintf("log %s: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
		}
	case *network.EventRequestWillBeSent:
		w.requests++
		u, err := url.Parse(ev.Request.URL)
		if err != nil || (u.Scheme != "file" && u.Scheme != "data") {
			w.network = append(w.network, ev.Request.URL)
		}
	}
}

// TestReportInChromium writes the example project's report (two unit
// levels, rules that break) and opens it from disk in headless Chromium:
// no console error, no request but the file itself, the language switch
// works, every page fits an A4 sheet, a screenshot is saved; then
// `chromium --headless --print-to-pdf` prints it to a PDF of exactly one
// page per section.
func TestReportInChromium(t *testing.T) {
	bin := reportChromium(t)
	root := repoRoot(t)
	out := filepath.Join(t.TempDir(), "audit")
	_, stderr, code := runCLI(t, "audit", "--quiet", "-c", filepath.Join(root, "examples", "district", "lifecircle.yaml"), "--out", out)
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
	for _, want := range []string{"© OpenStreetMap contributors", "配置规则", "Provision rules", "<svg", "GB 50180-2018"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	m := regexp.MustCompile(`<meta name="lifecircle-pages" content="(\d+)">`).FindSubmatch(html)
	if m == nil {
		t.Fatal("report.html does not state its page count")
	}
	pages, _ := strconv.Atoi(string(m[1]))
	if want := data.ReportPages(2); pages != want {
		t.Errorf("report states %d pages, want %d (overview, type maps, 2 levels, rules, method)", pages, want)
	}

	// The page in a browser.
	w := &pageWatch{}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("lang", "en-US"), chromedp.WindowSize(1000, 1300), chromedp.UserDataDir(t.TempDir()),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer acancel()
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(w.listen), chromedp.WithLogf(t.Logf))
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
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
		sctx, c := context.WithTimeout(ctx, 60*time.Second)
		defer c()
		v, err := chromedp.Run(sctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
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
	arts := reportArtifacts(t)
	for name, b := range map[string][]byte{"report.png": png, "report_full.jpg": shot} {
		if err := os.WriteFile(filepath.Join(arts, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots: %s", filepath.Join(arts, "report.png"))
	w.mu.Lock()
	for _, e := range w.errors {
		t.Errorf("page error: %s", e)
	}
	for _, u := range w.network {
		t.Errorf("network request: %s (the report must load nothing)", u)
	}
	if w.requests == 0 {
		t.Error("saw no request at all (not even the file): the watcher is not working")
	}
	w.mu.Unlock()

	// Print to PDF with the browser's own command line.
	pdf := filepath.Join(arts, "report.pdf")
	os.Remove(pdf)
	args := append(append([]string{}, chromiumFlags...), "--user-data-dir="+t.TempDir(), "--no-pdf-header-footer",
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
