package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/planner"
)

// as sends a JSON POST as client id (X-Client-Id), in language lang.
func (ts *testServer) as(id, lang, target string, body any) *httptest.ResponseRecorder {
	raw, _ := json.Marshal(body)
	if s, ok := body.(string); ok {
		raw = []byte(s)
	}
	r := request("POST", target, bytes.NewReader(raw))
	r.Header.Set("X-Client-Id", id)
	if lang != "" {
		r.Header.Set("X-Lang", lang)
	}
	return ts.serve(r)
}

func activeIDs(ts *testServer, typ string) map[string]bool {
	fc := struct {
		Features []struct {
			ID any `json:"id"`
		} `json:"features"`
	}{}
	_ = json.Unmarshal(ts.get("/ogc/collections/"+typ+"/items?limit=10000").Body.Bytes(), &fc)
	out := map[string]bool{}
	for _, f := range fc.Features {
		if s, ok := f.ID.(string); ok {
			out[s] = true
		}
	}
	return out
}

// TestScenarioClientsUndoOwn: two clients add stations in turn; each
// undo takes away the undoing client's last station only, and redo puts
// it back; a client with nothing left to undo is told so.
func TestScenarioClientsUndoOwn(t *testing.T) {
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{})
	pts := in.Demand.Points
	mine := map[string][]string{}
	for i := 0; i < 6; i++ {
		c := []string{"alice", "bob"}[i%2]
		p := pts[(i*7)%len(pts)]
		a := decode[apiScenario](t, ts.as(c, "", "/api/scenario", map[string]any{"op": "add", "type": "elderly", "lon": p[0], "lat": p[1]}), 200)
		mine[c] = append(mine[c], a.Edit.ID)
	}
	// alice undoes twice: her last two stations go, all of bob's stay.
	for k := 0; k < 2; k++ {
		decode[apiScenario](t, ts.as("alice", "", "/api/scenario", `{"op":"undo"}`), 200)
	}
	ids := activeIDs(ts, "elderly")
	for _, id := range mine["bob"] {
		if !ids[id] {
			t.Errorf("alice's undo removed bob's station %s", id)
		}
	}
	if !ids[mine["alice"][0]] || ids[mine["alice"][1]] || ids[mine["alice"][2]] {
		t.Errorf("after alice's two undos: %v (alice's %v)", ids, mine["alice"])
	}
	// bob undoes once, alice redoes once.
	decode[apiScenario](t, ts.as("bob", "", "/api/scenario", `{"op":"undo"}`), 200)
	r := decode[struct {
		Scenario scenarioState `json:"scenario"`
	}](t, ts.as("alice", "", "/api/scenario", `{"op":"redo"}`), 200)
	ids = activeIDs(ts, "elderly")
	if !ids[mine["alice"][1]] || ids[mine["bob"][2]] || !ids[mine["bob"][0]] || !ids[mine["bob"][1]] {
		t.Errorf("after bob's undo and alice's redo: %v", ids)
	}
	if r.Scenario.Edits != 4 || r.Scenario.Undo != 2 || r.Scenario.Redo != 1 {
		t.Errorf("alice's state after redo: %+v, want 4 edits, 2 undo, 1 redo", r.Scenario)
	}
	// carol has nothing to undo, in her language.
	msg := checkError(t, ts.as("carol", "zh", "/api/scenario", `{"op":"undo"}`), 400, "bad_request")
	if !strings.Contains(msg, "没有可撤销") {
		t.Errorf("carol's undo: %q", msg)
	}
	// A reset goes back to the baseline and forgets every stack.
	st := decode[struct {
		Scenario scenarioState `json:"scenario"`
	}](t, ts.as("bob", "", "/api/scenario/reset", `{}`), 200)
	if !st.Scenario.Baseline || st.Scenario.Edits != 0 || len(activeIDs(ts, "elderly")) != 0 {
		t.Errorf("after reset: %+v, %v", st.Scenario, activeIDs(ts, "elderly"))
	}
	checkError(t, ts.as("alice", "", "/api/scenario", `{"op":"undo"}`), 400, "bad_request")
}

// TestScenarioTextValidated: control characters and overlong text are
// refused with 400 before they reach the scenario; a Chinese client reads
// the message in Chinese.
func TestScenarioTextValidated(t *testing.T) {
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{})
	p := in.Demand.Points[0]
	for _, tc := range []map[string]any{
		{"op": "add", "type": "elderly", "id": "a\x00b", "lon": p[0], "lat": p[1]},
		{"op": "add", "type": "elderly", "name": "line\nbreak", "lon": p[0], "lat": p[1]},
		{"op": "add", "type": "elderly", "name": strings.Repeat("长", 201), "lon": p[0], "lat": p[1]},
		{"op": "remove", "id": "x\u0007"},
	} {
		checkError(t, ts.as("a", "", "/api/scenario", tc), 400, "bad_request")
	}
	if n := len(ts.sc.History()); n != 0 {
		t.Fatalf("%d refused edits reached the scenario", n)
	}
	msg := checkError(t, ts.as("a", "zh", "/api/scenario/save", map[string]string{"name": "试验\x00方案"}), 400, "bad_request")
	if !strings.Contains(msg, "控制字符") {
		t.Errorf("zh message: %q", msg)
	}
	msg = checkError(t, ts.as("a", "en", "/api/scenario/name", map[string]string{"name": "x\ty"}), 400, "bad_request")
	if !strings.Contains(msg, "control character") {
		t.Errorf("en message: %q", msg)
	}
	checkError(t, ts.as("bad id!", "", "/api/scenario", `{"op":"undo"}`), 400, "bad_request")
}

// TestScenarioManage: name a scenario 试验方案, add, save, list, reset,
// compare with the baseline, open, delete.
func TestScenarioManage(t *testing.T) {
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{})
	const name = "试验方案"
	decode[scenarioState](t, ts.as("a", "", "/api/scenario/name", map[string]string{"name": name}), 200)
	p := in.Demand.Points[3]
	add := decode[apiScenario](t, ts.as("a", "", "/api/scenario", map[string]any{"op": "add", "type": "elderly", "lon": p[0], "lat": p[1]}), 200)
	st := decode[scenarioState](t, ts.get("/api/scenario"), 200)
	if st.Name != name || st.Edits != 1 || st.Baseline || st.Saved {
		t.Fatalf("state after an add: %+v", st)
	}
	decode[map[string]any](t, ts.as("a", "", "/api/scenario/save", map[string]string{"name": name}), 200)
	if st := decode[scenarioState](t, ts.get("/api/scenario"), 200); !st.Saved {
		t.Errorf("state after save: %+v", st)
	}
	list := decode[struct {
		Scenarios []struct {
			Name  string `json:"name"`
			Edits int    `json:"edits"`
			Where string `json:"where"`
		} `json:"scenarios"`
	}](t, ts.get("/api/scenarios"), 200)
	if len(list.Scenarios) != 1 || list.Scenarios[0].Name != name || list.Scenarios[0].Edits != 1 || !strings.HasPrefix(list.Scenarios[0].Where, "scenarios/scenario-") {
		t.Fatalf("list: %+v", list)
	}

	type cmpDoc struct {
		Types []struct {
			ID     string  `json:"id"`
			A      float64 `json:"a_covered"`
			B      float64 `json:"b_covered"`
			Change float64 `json:"change"`
		} `json:"types"`
		Units []struct {
			ID      string             `json:"id"`
			Changes map[string]float64 `json:"changes"`
		} `json:"units"`
	}
	check := func(c cmpDoc, what string) {
		t.Helper()
		for _, ty := range c.Types {
			if ty.ID == "elderly" && !(ty.Change > 0 && ty.B-ty.A > 0) {
				t.Errorf("%s: elderly %+v, want a gain", what, ty)
			}
			if ty.ID != "elderly" && ty.Change != 0 {
				t.Errorf("%s: %s changed by %v", what, ty.ID, ty.Change)
			}
		}
		var sum float64
		for _, u := range c.Units {
			sum += u.Changes["elderly"]
		}
		for _, ty := range c.Types {
			if ty.ID == "elderly" && (sum-ty.Change > 0.5 || ty.Change-sum > 0.5) {
				t.Errorf("%s: units add up to %v, district %v", what, sum, ty.Change)
			}
		}
	}
	live := decode[cmpDoc](t, ts.get("/api/scenarios/compare?a=baseline&b=current"), 200)
	check(live, "current vs baseline")

	decode[map[string]any](t, ts.as("a", "", "/api/scenario/reset", `{}`), 200)
	saved := decode[cmpDoc](t, ts.get("/api/scenarios/compare?a=baseline&b="+urlQuery(name)), 200)
	check(saved, "saved vs baseline")
	same := decode[cmpDoc](t, ts.get("/api/scenarios/compare?a=baseline&b=current"), 200)
	for _, ty := range same.Types {
		if ty.Change != 0 {
			t.Errorf("after reset, current differs from the baseline: %+v", ty)
		}
	}
	if strings.Contains(ts.get("/api/scenarios/compare?a=baseline&b=current").Body.String(), "-0") {
		t.Error("a comparison reads -0")
	}

	decode[map[string]any](t, ts.as("a", "", "/api/scenarios/open", map[string]string{"name": name}), 200)
	if ids := activeIDs(ts, "elderly"); !ids[add.Edit.ID] {
		t.Errorf("the opened scenario lacks its station %s: %v", add.Edit.ID, ids)
	}
	if st := decode[scenarioState](t, ts.get("/api/scenario"), 200); st.Name != name || st.Edits != 1 || !st.Saved {
		t.Errorf("state after open: %+v", st)
	}
	decode[map[string]any](t, ts.as("a", "", "/api/scenarios/delete", map[string]string{"name": name}), 200)
	checkError(t, ts.as("a", "", "/api/scenarios/open", map[string]string{"name": name}), 404, "not_found")
	checkError(t, ts.as("a", "", "/api/scenarios/delete", map[string]string{"name": name}), 404, "not_found")
}

func urlQuery(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", " ", "%20", "#", "%23")
	return r.Replace(s)
}

// TestExportConsistent exports a facilities collection while another
// client adds a pair of facilities as one layer and undoes it, again and
// again. The pair's indices straddle the export's 4,096-feature chunks
// (a filler layer puts it there), so an export that took the lock per
// chunk would hold half a pair; one consistent view holds both or none.
func TestExportConsistent(t *testing.T) {
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{})
	pts := in.Demand.Points
	var n int
	ts.sc.View(func(in planner.AuditInput, _ *planner.AuditResult, _ []bool) { n = len(in.Facilities) })
	var filler []planner.Edit
	for i := n; i < 4095; i++ {
		filler = append(filler, planner.Edit{Op: "add", Type: "fitness", Geometry: pts[i%len(pts)]})
	}
	if _, _, err := ts.sc.ApplyAdds(filler); err != nil {
		t.Fatal(err)
	}
	base := len(activeIDs(ts, "fitness"))
	stop := make(chan bool)
	done := make(chan bool)
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			csv := "id,type,lon,lat\n"
			for k := 0; k < 2; k++ {
				p := pts[(i*2+k)%len(pts)]
				csv += fmt.Sprintf("p%d,fitness,%v,%v\n", k, p[0], p[1])
			}
			r := request("POST", "/api/layer?name=pair.csv", strings.NewReader(csv))
			r.Header.Set("X-Client-Id", "writer")
			if w := ts.serve(r); w.Code != 200 {
				t.Errorf("layer: %d %s", w.Code, w.Body)
				return
			}
			if w := ts.as("writer", "", "/api/scenario", `{"op":"undo"}`); w.Code != 200 {
				t.Errorf("undo: %d %s", w.Code, w.Body)
				return
			}
		}
	}()
	seen := map[int]int{}
	for k := 0; k < 80; k++ {
		w := ts.get("/api/export/fitness")
		var fc struct {
			Features []json.RawMessage `json:"features"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &fc); err != nil {
			t.Fatalf("export %d: %v", k, err)
		}
		extra := len(fc.Features) - base
		seen[extra]++
		if extra != 0 && extra != 2 {
			t.Errorf("export %d holds %d of the pair: a torn view", k, extra)
		}
	}
	close(stop)
	<-done
	t.Logf("exports by facilities of the pair held: %v", seen)
}

func ftoa(x float64) string { b, _ := json.Marshal(x); return string(b) }
