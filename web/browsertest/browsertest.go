package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/lifecircle/lifecircle/data/shareddata"
)

// Chromium returns the browser to drive: $LIFECIRCLE_CHROMIUM, else
// /usr/bin/chromium. With none, the test fails on CI (CI=true) and is
// skipped elsewhere.
func Chromium(tb testing.TB) string {
	tb.Helper()
	p := os.Getenv("LIFECIRCLE_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(p); err != nil {
		msg := fmt.Sprintf("no Chromium at %s (%v): install Debian's chromium or set LIFECIRCLE_CHROMIUM", p, err)
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return p
}

// ArtifactDir returns the folder, created if missing, where tests leave
// screenshots and PDFs: $LIFECIRCLE_ARTIFACTS, else test-artifacts in the
// repository root (the folder holding go.mod).
func ArtifactDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("LIFECIRCLE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(shareddata.RepoRoot(tb), "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatalf("artifacts: %v", err)
	}
	return dir
}

// Flags are the command-line flags of every Chromium run, through chromedp
// (New) or on the browser's own command line (--print-to-pdf): headless
// with no sandbox (tests may run as root in a container), no network of
// its own, no proxy, English, and timers at full speed in the never-focused
// window (Leaflet removes closed popups on a timer).
var Flags = []string{
	"--headless", "--hide-scrollbars", "--mute-audio", // what chromedp.Headless sets
	"--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
	"--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-default-apps", "--disable-extensions", "--disable-dev-shm-usage",
	"--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows", "--disable-renderer-backgrounding",
	"--no-proxy-server", "--lang=en-US",
}

// New starts headless Chromium (Chromium) with Flags, a fresh profile and
// a window of width × height CSS pixels, and returns a tab context whose
// events feed w. The browser closes when the test ends.
func New(tb testing.TB, w *Watch, width, height int) context.Context {
	tb.Helper()
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(Chromium(tb))}
	for _, f := range Flags {
		name, value, ok := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if ok {
			opts = append(opts, chromedp.Flag(name, value))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	opts = append(opts, chromedp.WindowSize(width, height), chromedp.UserDataDir(tb.TempDir()))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	tb.Cleanup(acancel)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(w.Listen), chromedp.WithLogf(tb.Logf))
	tb.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // start the browser with no deadline
		tb.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// Eval evaluates the JavaScript expression expr in the page of ctx within
// 60 seconds and returns its value; an error fails the test.
func Eval[T any](tb testing.TB, ctx context.Context, expr string) T {
	tb.Helper()
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}
