package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestEditsTakeNoReadSlot: with every read slot taken (reads busy), an
// edit and its undo are answered at once, while a read waits in line for
// a slot (and gets 503 when its client gives up); once a slot frees, the
// read is answered with the figures the edits left, whole.
func TestEditsTakeNoReadSlot(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{})
	for range cap(ts.readSem) {
		ts.readSem <- struct{}{}
	}
	release := func() {
		for range cap(ts.readSem) {
			<-ts.readSem
		}
	}

	start := time.Now()
	w := ts.post("/api/scenario", `{"op":"add","type":"clinic","name":"slot test","lon":24.94,"lat":60.17}`)
	if w.Code != http.StatusOK {
		t.Fatalf("add while reads are busy: %d %s", w.Code, w.Body)
	}
	if w := ts.post("/api/scenario", `{"op":"undo"}`); w.Code != http.StatusOK {
		t.Fatalf("undo while reads are busy: %d %s", w.Code, w.Body)
	}
	t.Logf("add and undo with every read slot taken: %v", time.Since(start))

	// A read waits for a slot; its client gives up after 100 ms.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	w = ts.serve(request("GET", "/api/summary", nil).WithContext(ctx))
	if waited := time.Since(start); waited < 90*time.Millisecond || w.Code != http.StatusServiceUnavailable {
		t.Fatalf("summary with every read slot taken: %d after %v, want 503 after the client's 100 ms", w.Code, waited)
	}

	// Freed slots serve reads again, each answer complete.
	release()
	for _, target := range []string{"/api/summary", "/ogc/collections/cells/items?limit=5", "/ogc/collections/demand/items?bbox=24.93,60.16,24.95,60.18&limit=50"} {
		w := ts.get(target)
		if w.Code != http.StatusOK || !strings.HasSuffix(strings.TrimSpace(w.Body.String()), "}") {
			t.Errorf("GET %s after the slots were freed: %d %s", target, w.Code, shorten(w.Body.String(), 200))
		}
	}
	if n := len(ts.readSem); n != 0 {
		t.Errorf("%d read slots still taken after the reads", n)
	}
}
