package web

import (
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

// TestBrowserScenarios drives scenario management in headless Chromium,
// in Chinese: name a scenario 试验方案, add a station, reload (the page
// still shows the scenario and its edit, not the baseline), undo, redo,
// reset, save, list, open, compare with the baseline (the panel shows the
// change per type), delete; screenshot scenarios.png.
func TestBrowserScenarios(t *testing.T) {
	browsertest.Chromium(t)
	srv := browserStudyServer(t, false)
	u, _ := url.Parse(srv.URL)
	w := newBrowserWatch(u.Host)
	ctx := browsertest.New(t, w, 1440, 1000)
	const name = "试验方案"

	text := func(sel string) string {
		t.Helper()
		return browsertest.Eval[string](t, ctx, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel))
	}
	waitFor := func(what, cond string) {
		t.Helper()
		browserStep(t, ctx, what, chromedp.Poll[chromedp.Void](cond+` && document.body.dataset.busy === "0"`,
			chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(20*time.Millisecond)))
	}
	badge := `document.getElementById("scenario-badge")`
	load := func() {
		t.Helper()
		browserStep(t, ctx, "load /?lang=zh", chromedp.Navigate(srv.URL+"/?lang=zh"))
		browserWaitIdle(t, ctx, "first render")
		// Confirmations (reset, delete) answer yes in the test.
		browserStep(t, ctx, "confirm", chromedp.Evaluate[chromedp.Void](`void (window.confirm = () => true)`))
		waitFor("scenario state", `document.getElementById("scenario-edits").textContent !== ""`)
	}
	load()
	if b := text("#scenario-badge"); b != "基线（现状）" {
		t.Fatalf("fresh page badge %q, want the baseline", b)
	}

	// Name the scenario.
	browserStep(t, ctx, "name it",
		chromedp.Click(chromedp.CSS("#new-button")),
		chromedp.SetValue(chromedp.CSS("#save-name"), name),
		chromedp.Click(chromedp.CSS("#save-confirm")))
	waitFor("named", badge+`.textContent.includes(`+fmt.Sprintf("%q", name)+`)`)

	// Add an elderly station where residents live.
	var sum browserSummary
	browserAPI(t, "GET", srv.URL+"/api/summary", nil, &sum)
	var prop browserProposal
	browserAPI(t, "POST", srv.URL+"/api/propose", map[string]any{"type": "elderly", "k": 1}, &prop)
	if len(prop.Sites) == 0 {
		t.Fatal("no site for elderly")
	}
	browserStep(t, ctx, "add mode",
		chromedp.SetValue(chromedp.CSS("#edit-type"), "elderly"),
		chromedp.Click(chromedp.CSS("#edit-add-button")))
	browserClickAt(t, ctx, prop.Sites[0].Lon, prop.Sites[0].Lat)
	waitFor("one edit", `document.getElementById("scenario-edits").textContent.startsWith("1 处修改")`)
	browserStep(t, ctx, "leave add mode", chromedp.Click(chromedp.CSS("#edit-add-button")))

	// Reload: still the scenario, with its edit, unsaved.
	load()
	if b, e := text("#scenario-badge"), text("#scenario-edits"); !strings.Contains(b, name) || !strings.HasPrefix(e, "1 处修改") || !strings.Contains(e, "未保存") {
		t.Errorf("after reload: badge %q, edits %q; want the scenario %s with 1 unsaved edit", b, e, name)
	}
	if cls := browsertest.Eval[string](t, ctx, badge+`.className`); !strings.Contains(cls, "scenario") || strings.Contains(cls, "baseline") {
		t.Errorf("after reload the badge is styled %q", cls)
	}

	// Undo, redo (this tab's session survives the reload), reset.
	browserStep(t, ctx, "undo", chromedp.Click(chromedp.CSS("#undo-button")))
	waitFor("undone", `document.getElementById("scenario-edits").textContent === "无修改，与基线相同"`)
	browserStep(t, ctx, "redo", chromedp.Click(chromedp.CSS("#redo-button")))
	waitFor("redone", `document.getElementById("scenario-edits").textContent.startsWith("1 处修改")`)
	browserStep(t, ctx, "reset", chromedp.Click(chromedp.CSS("#reset-button")))
	waitFor("reset", `document.getElementById("scenario-edits").textContent === "无修改，与基线相同"`)
	browserStep(t, ctx, "redo is gone after reset", chromedp.Poll[chromedp.Void](`document.getElementById("redo-button").disabled`, chromedp.WithPollingTimeout(5*time.Second)))

	// Add again, save, list.
	browserStep(t, ctx, "add mode again",
		chromedp.SetValue(chromedp.CSS("#edit-type"), "elderly"),
		chromedp.Click(chromedp.CSS("#edit-add-button")))
	browserClickAt(t, ctx, prop.Sites[0].Lon, prop.Sites[0].Lat)
	waitFor("edit again", `document.getElementById("scenario-edits").textContent.startsWith("1 处修改")`)
	browserStep(t, ctx, "leave add mode", chromedp.Click(chromedp.CSS("#edit-add-button")))
	browserStep(t, ctx, "save",
		chromedp.Click(chromedp.CSS("#save-button")),
		chromedp.SetValue(chromedp.CSS("#save-name"), name),
		chromedp.Click(chromedp.CSS("#save-confirm")))
	waitFor("saved", `document.getElementById("scenario-edits").textContent.includes("已保存")`)
	browserStep(t, ctx, "list", chromedp.Click(chromedp.CSS("#list-button")))
	item := fmt.Sprintf(`document.querySelector('#scenario-items li[data-name=%q]')`, name)
	waitFor("listed", item+` !== null`)

	// Reset, then open the saved scenario: its edit is back.
	browserStep(t, ctx, "reset before open", chromedp.Click(chromedp.CSS("#reset-button")))
	waitFor("reset", `document.getElementById("scenario-edits").textContent === "无修改，与基线相同"`)
	browserStep(t, ctx, "open", chromedp.Evaluate[chromedp.Void](`void `+item+`.querySelectorAll("button")[0].click()`))
	waitFor("opened", `document.getElementById("scenario-edits").textContent.startsWith("1 处修改")`)

	// Compare the saved scenario with the baseline.
	browserStep(t, ctx, "compare panel", chromedp.Click(chromedp.CSS("#compare-button")))
	waitFor("compare options", fmt.Sprintf(`[...document.querySelectorAll("#compare-b option")].some(o => o.value === %q)`, name))
	browserStep(t, ctx, "compare", chromedp.SetValue(chromedp.CSS("#compare-a"), "baseline"),
		chromedp.SetValue(chromedp.CSS("#compare-b"), name),
		chromedp.Click(chromedp.CSS("#compare-run")))
	waitFor("compared", `document.querySelector('#compare-table tr[data-type="elderly"]') !== null`)
	change := text(`#compare-table tr[data-type="elderly"] td:nth-child(4)`)
	if !strings.HasPrefix(change, "+") {
		t.Errorf("compare: elderly change %q, want a gain", change)
	}
	tableText := text("#compare-result")
	if strings.Contains(tableText, "-0") || strings.Contains(tableText, "−0 ") || strings.Contains(tableText, "elderly") {
		t.Errorf("compare panel reads %q: a -0 or a type id", tableText)
	}
	browserStep(t, ctx, "show it", chromedp.Click(chromedp.CSS("#message-close")),
		chromedp.Evaluate[chromedp.Void](`void (document.getElementById("edit-card").scrollIntoView())`),
		chromedp.Sleep(400*time.Millisecond))
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(browsertest.ArtifactDir(t), "scenarios.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)

	// Delete it: the list no longer has it.
	browserStep(t, ctx, "delete", chromedp.Evaluate[chromedp.Void](`void `+item+`.querySelectorAll("button")[1].click()`))
	waitFor("deleted", item+` === null`)
	w.Check(t)
}
