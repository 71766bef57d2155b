package web

import (
	"net/http"
	"testing"

	"github.com/lifecircle/lifecircle/data/synth"
)

// BenchmarkLevelFiguresAfterEdit is the cost of the first table or rules
// request after a what-if edit: the figures of every level recomputed
// from the residents' distances (a generated city of 100,000 residents'
// points in about 6,000 cells of 100 m), then one page of the units table
// sorted by population.
func BenchmarkLevelFiguresAfterEdit(b *testing.B) {
	in := synthStudy(b, synth.Options{Nodes: 10000, Facilities: 20, Points: 100000, Seed: 3}, 100)
	ts := newTestServer(b, in, Config{})
	p := in.Demand.Points[len(in.Demand.Points)/2]
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		w := ts.post("/api/scenario", map[string]any{"op": "add", "type": in.Profile.Types[0].ID, "lon": p[0], "lat": p[1]})
		if w.Code != http.StatusOK {
			b.Fatalf("edit: %d %s", w.Code, w.Body.String())
		}
		if w := ts.post("/api/scenario", map[string]any{"op": "undo"}); w.Code != http.StatusOK {
			b.Fatalf("undo: %d %s", w.Code, w.Body.String())
		}
		b.StartTimer()
		if w := ts.get("/api/table/units?sort=-population&limit=200"); w.Code != http.StatusOK {
			b.Fatalf("table: %d %s", w.Code, w.Body.String())
		}
	}
}
