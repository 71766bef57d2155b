package web

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/planner"
	"github.com/lifecircle/lifecircle/planner/glossary"
)

type apiDistances struct {
	Types []struct {
		ID     string  `json:"id"`
		NameZh string  `json:"name_zh"`
		Thresh float64 `json:"threshold_m"`
		BinM   float64 `json:"bin_m"`
		Bins   []struct {
			From      float64 `json:"from_m"`
			To        float64 `json:"to_m"`
			Residents float64 `json:"residents"`
		} `json:"bins"`
		Within      float64 `json:"within"`
		Beyond      float64 `json:"beyond"`
		Unreachable float64 `json:"unreachable"`
		Residents   float64 `json:"residents"`
		NBins       int     `json:"threshold_bins"`
	} `json:"types"`
}

// TestDistancesEndpoint checks /api/charts/distances on the sample against
// a direct count over the residents' distances of a fresh audit (each
// resident in the band lo < d ≤ hi, d to 0.1 m), and, after a what-if
// edit, its residents within the threshold against the summary.
func TestDistancesEndpoint(t *testing.T) {
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{})
	got := decode[apiDistances](t, ts.get("/api/charts/distances"), 200)
	res, err := planner.Audit(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Types) != len(in.Profile.Types) {
		t.Fatalf("%d types, want %d", len(got.Types), len(in.Profile.Types))
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 0.1+1e-9 }
	for ti, ty := range in.Profile.Types {
		h := got.Types[ti]
		if h.ID != ty.ID || h.Thresh != ty.Threshold || len(h.Bins) == 0 || h.Bins[h.NBins-1].To != ty.Threshold {
			t.Fatalf("type %d: %s threshold %v, %d bins, band %d ends at %v", ti, h.ID, h.Thresh, len(h.Bins), h.NBins, h.Bins[h.NBins-1].To)
		}
		if last := h.Bins[len(h.Bins)-1].To; last < 1.5*ty.Threshold-1e-9 {
			t.Errorf("%s: bands end at %v m, before 1.5 × %v", ty.ID, last, ty.Threshold)
		}
		count := make([]float64, len(h.Bins))
		var beyond, unreach, total float64
		for i, d := range res.Dist[ti] {
			p := in.Demand.Pop[i]
			total += p
			if math.IsNaN(d) {
				unreach += p
				continue
			}
			r := math.Round(d*10) / 10
			placed := false
			for k, b := range h.Bins {
				if (r > b.From || k == 0) && r <= b.To {
					count[k] += p
					placed = true
					break
				}
			}
			if !placed {
				beyond += p
			}
		}
		for k := range count {
			if !near(count[k], h.Bins[k].Residents) {
				t.Errorf("%s band (%v, %v]: endpoint %v residents, direct count %v", ty.ID, h.Bins[k].From, h.Bins[k].To, h.Bins[k].Residents, count[k])
			}
		}
		var within float64
		for k := 0; k < h.NBins; k++ {
			within += count[k]
		}
		if !near(beyond, h.Beyond) || !near(unreach, h.Unreachable) || !near(total, h.Residents) || !near(within, h.Within) {
			t.Errorf("%s: beyond %v/%v unreachable %v/%v residents %v/%v within %v/%v (endpoint/direct)",
				ty.ID, h.Beyond, beyond, h.Unreachable, unreach, h.Residents, total, h.Within, within)
		}
		if !near(h.Within, res.Types[ti].Covered) {
			t.Errorf("%s: %v within the threshold, the audit covers %v", ty.ID, h.Within, res.Types[ti].Covered)
		}
	}

	// A what-if edit: the histogram follows the live scenario.
	pt, _, _ := uncoveredPoint(t, ts, "market")
	decode[apiScenario](t, ts.post("/api/scenario", map[string]any{"op": "add", "type": "market", "lon": pt[0], "lat": pt[1]}), 200)
	after := decode[apiDistances](t, ts.get("/api/charts/distances"), 200)
	sum := decode[browserSummary](t, ts.get("/api/summary"), 200)
	for ti, ty := range sum.Types {
		if !near(after.Types[ti].Within, ty.Covered) {
			t.Errorf("after the edit, %s: %v within the threshold, the summary covers %v", ty.ID, after.Types[ti].Within, ty.Covered)
		}
	}
	mi := 2
	if in.Profile.Types[mi].ID != "market" || !(after.Types[mi].Within > got.Types[mi].Within) {
		t.Errorf("adding a market left its residents within the threshold at %v (before %v)", after.Types[mi].Within, got.Types[mi].Within)
	}
}

// TestGlossaryServed: the page's glossary.js and /api/glossary carry the
// glossary's terms.
func TestGlossaryServed(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{})
	w := ts.get("/glossary.js")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/javascript") ||
		!strings.Contains(w.Body.String(), "window.lifecircleGlossary = ") || !strings.Contains(w.Body.String(), `"zh":"`+glossary.Zh("completeness")+`"`) {
		t.Errorf("glossary.js: %d %s %.200s", w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
	g := decode[struct {
		Terms []glossary.Term `json:"terms"`
	}](t, ts.get("/api/glossary"), 200)
	if len(g.Terms) != len(glossary.All()) {
		t.Errorf("%d terms served, %d in the glossary", len(g.Terms), len(glossary.All()))
	}
}

// TestSummaryProject: the project's name reaches the page (the print
// layout's default title).
func TestSummaryProject(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{Title: "城区生活圈体检"})
	got := decode[struct {
		Project string `json:"project"`
	}](t, ts.get("/api/summary"), 200)
	if got.Project != "城区生活圈体检" {
		t.Errorf("summary project %q", got.Project)
	}
}
