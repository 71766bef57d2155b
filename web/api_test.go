package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// apiSummary mirrors the /api/summary contract the map page relies on.
type apiSummary struct {
	Profile      data.ProfileSummary `json:"profile"`
	DemandSource string              `json:"demand_source"`
	Population   float64             `json:"population"`
	Completeness *float64            `json:"completeness"`
	FullyServed  *float64            `json:"fully_served"`
	UnitsKind    string              `json:"units_kind"`
	Types        []data.TypeSummary  `json:"types"` // as summary.json has them
	WorstUnits   []struct {
		UnitID       string  `json:"unit_id"`
		Name         string  `json:"name"`
		Population   float64 `json:"population"`
		Completeness float64 `json:"completeness"`
	} `json:"worst_units"`
	Bounds      []float64 `json:"bounds"`
	Attribution string    `json:"attribution"`
	EditEnabled bool      `json:"edit_enabled"`
	Tiles       string    `json:"tiles"`
	Collections struct {
		Units      string   `json:"units"`
		Facilities []string `json:"facilities"`
	} `json:"collections"`
}

func (s apiSummary) covered(t *testing.T, typ string) float64 {
	for _, ty := range s.Types {
		if ty.ID == typ {
			return float64(ty.Covered)
		}
	}
	t.Fatalf("summary has no type %s", typ)
	return 0
}

func (s apiSummary) facilities(t *testing.T, typ string) int {
	for _, ty := range s.Types {
		if ty.ID == typ {
			return ty.Facilities
		}
	}
	t.Fatalf("summary has no type %s", typ)
	return 0
}

func TestAPISummary(t *testing.T) {
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{Tiles: "https://{s}.tile.example.org/{z}/{x}/{y}.png"})
	w := ts.get("/api/summary")
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var raw map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"profile", "demand_source", "population", "completeness", "fully_served", "units_kind", "types",
		"worst_units", "bounds", "attribution", "edit_enabled", "tiles", "collections"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("summary lacks %q", k)
		}
	}
	s := decode[apiSummary](t, w, 200)
	if s.Profile.ID != "gb50180" || s.Profile.NameZh == "" || s.UnitsKind != "cells" || s.Collections.Units != "cells" {
		t.Errorf("profile/units: %+v %s %+v", s.Profile, s.UnitsKind, s.Collections)
	}
	if !near(s.Population, in.Demand.Total(), 0.05) || s.DemandSource != in.Demand.Source {
		t.Errorf("population %v (%s), want %v (%s)", s.Population, s.DemandSource, in.Demand.Total(), in.Demand.Source)
	}
	if len(s.Types) != 5 || len(s.Collections.Facilities) != 5 || s.Types[0].ID != "clinic" || s.Types[0].Threshold != 1000 || s.Types[0].NameEn != "Community health station" {
		t.Errorf("types: %+v", s.Types)
	}
	for _, ty := range s.Types {
		if ty.ID == "elderly" && (ty.DistMean.Valid() || ty.Facilities != 0) {
			t.Errorf("elderly (no facilities in the sample): dist_mean_m %v, want null", ty.DistMean)
		}
		if ty.ID == "clinic" && (!ty.DistMean.Valid() || !(ty.Coverage > 0 && ty.Coverage < 1)) {
			t.Errorf("clinic: %+v", ty)
		}
		if !near(float64(ty.Gap), s.Population-float64(ty.Covered), 0.2) {
			t.Errorf("%s: gap %v, population %v − covered %v", ty.ID, ty.Gap, s.Population, ty.Covered)
		}
	}
	// Worst units: population × (1 − completeness), largest first.
	if len(s.WorstUnits) != min(10, len(in.Units)) {
		t.Errorf("%d worst units", len(s.WorstUnits))
	}
	var worst []float64
	ts.sc.View(func(_ planner.AuditInput, res *planner.AuditResult, _ []bool) {
		for _, u := range res.Units {
			worst = append(worst, u.Population*(1-u.Completeness))
		}
	})
	best := 0.0
	for _, g := range worst {
		best = math.Max(best, g)
	}
	prev := math.Inf(1)
	for i, u := range s.WorstUnits {
		g := u.Population * (1 - u.Completeness)
		if g > prev+0.5 {
			t.Errorf("worst unit %d (%s) gap %.1f after %.1f: not sorted", i, u.UnitID, g, prev)
		}
		prev = g
	}
	if g := s.WorstUnits[0].Population * (1 - s.WorstUnits[0].Completeness); !near(g, best, 0.5) {
		t.Errorf("first worst unit gap %.1f, largest %.1f", g, best)
	}
	if len(s.Bounds) != 4 || !(s.Bounds[0] < s.Bounds[2] && s.Bounds[1] < s.Bounds[3]) {
		t.Errorf("bounds %v", s.Bounds)
	}
	if s.Attribution != "© OpenStreetMap contributors" || !s.EditEnabled || s.Tiles != "https://{s}.tile.example.org/{z}/{x}/{y}.png" {
		t.Errorf("attribution %q edit %v tiles %q", s.Attribution, s.EditEnabled, s.Tiles)
	}
}

func TestAPIUnit(t *testing.T) {
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{})
	u := in.Units[len(in.Units)/2]
	got := decode[struct {
		UnitID       string  `json:"unit_id"`
		Name         *string `json:"name"`
		Population   float64 `json:"population"`
		Completeness float64 `json:"completeness"`
		FullyServed  float64 `json:"fully_served"`
		Types        []struct {
			ID          string   `json:"id"`
			Covered     float64  `json:"covered"`
			Coverage    float64  `json:"coverage"`
			DistMean    *float64 `json:"dist_mean_m"`
			DistP90     *float64 `json:"dist_p90_m"`
			Unreachable float64  `json:"unreachable"`
		} `json:"types"`
	}](t, ts.get("/api/units/"+u.ID), 200)
	if got.UnitID != u.ID || got.Name == nil || len(got.Types) != 5 || !(got.Population > 0) {
		t.Fatalf("unit: %+v", got)
	}
	// Against the cell's feature in the collection.
	item := decode[struct {
		Properties map[string]any `json:"properties"`
	}](t, ts.get("/ogc/collections/cells/items/"+u.ID), 200)
	for _, ty := range got.Types {
		if !near(ty.Covered, jsonNum(t, item.Properties["covered_"+ty.ID]), 1e-9) ||
			!near(ty.Coverage, jsonNum(t, item.Properties["coverage_"+ty.ID]), 1e-9) {
			t.Errorf("unit %s type %s: %+v, cell properties %v", u.ID, ty.ID, ty, item.Properties)
		}
		if (ty.DistMean == nil) != (item.Properties["dist_"+ty.ID+"_mean"] == nil) {
			t.Errorf("unit %s type %s: dist_mean %v vs %v", u.ID, ty.ID, ty.DistMean, item.Properties["dist_"+ty.ID+"_mean"])
		}
	}
	checkError(t, ts.get("/api/units/no-such-unit"), 404, "not_found")
}

// uncoveredPoint returns a demand point not covered for typ, in a unit,
// with the most residents.
func uncoveredPoint(t *testing.T, ts *testServer, typ string) (orb.Point, float64, string) {
	var pt orb.Point
	var pop float64
	var unit string
	ts.sc.View(func(in planner.AuditInput, res *planner.AuditResult, _ []bool) {
		ti := -1
		for i, ty := range in.Profile.Types {
			if ty.ID == typ {
				ti = i
			}
		}
		thr := in.Profile.Types[ti].Threshold
		for i, d := range res.Dist[ti] {
			if (math.IsNaN(d) || d > thr) && res.Snapped[i] && in.Assign[i] >= 0 && in.Demand.Pop[i] > pop {
				pt, pop, unit = in.Demand.Points[i], in.Demand.Pop[i], in.Units[in.Assign[i]].ID
			}
		}
	})
	if pop == 0 {
		t.Fatalf("no uncovered %s resident in the sample", typ)
	}
	return pt, pop, unit
}

type apiScenario struct {
	Edit struct {
		Op     string   `json:"op"`
		ID     string   `json:"id"`
		Type   string   `json:"type"`
		Lon    *float64 `json:"lon"`
		Lat    *float64 `json:"lat"`
		Active bool     `json:"active"`
	} `json:"edit"`
	Summary       apiSummary       `json:"summary"`
	ChangedUnits  []map[string]any `json:"changed_units"`
	PointsChanged int              `json:"points_changed"`
	ElapsedMS     float64          `json:"elapsed_ms"`
}

// TestAPIScenarioAddUndo adds a clinic where residents are uncovered: the
// covered population grows by at least those residents, the changed cells
// carry the new figures, and undo restores every figure exactly.
func TestAPIScenarioAddUndo(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{})
	before := ts.get("/api/summary").Body.String()
	s0 := decode[apiSummary](t, ts.get("/api/summary"), 200)
	cellsBefore := ts.get("/api/export/cells").Body.String()
	pt, pop, unit := uncoveredPoint(t, ts, "clinic")

	add := decode[apiScenario](t, ts.post("/api/scenario", map[string]any{"op": "add", "type": "clinic", "lon": pt[0], "lat": pt[1], "name": "新站 test"}), 200)
	if add.Edit.Op != "add" || add.Edit.Type != "clinic" || add.Edit.ID == "" || !add.Edit.Active ||
		add.Edit.Lon == nil || !near(*add.Edit.Lon, pt[0], 1e-6) || !near(*add.Edit.Lat, pt[1], 1e-6) {
		t.Errorf("edit %+v", add.Edit)
	}
	c0, c1 := s0.covered(t, "clinic"), add.Summary.covered(t, "clinic")
	if !(c1 >= c0+pop-0.1) {
		t.Errorf("covered clinic %.1f → %.1f, want at least +%.1f", c0, c1, pop)
	}
	if add.Summary.facilities(t, "clinic") != s0.facilities(t, "clinic")+1 {
		t.Errorf("clinic facilities %d → %d", s0.facilities(t, "clinic"), add.Summary.facilities(t, "clinic"))
	}
	if add.PointsChanged == 0 || len(add.ChangedUnits) == 0 {
		t.Fatalf("no points or units changed: %+v", add)
	}
	found := false
	for _, u := range add.ChangedUnits {
		id := u["unit_id"].(string)
		if id == unit {
			found = true
		}
		// Each changed unit is reported as the cells collection now has it.
		item := decode[struct {
			Properties map[string]any `json:"properties"`
		}](t, ts.get("/ogc/collections/cells/items/"+id), 200)
		a, _ := json.Marshal(u)
		b, _ := json.Marshal(item.Properties)
		if string(a) != string(b) {
			t.Errorf("changed unit %s:\n%s\ncells collection:\n%s", id, a, b)
		}
	}
	if !found {
		t.Errorf("unit %s of the newly covered resident is not among the changed units", unit)
	}
	// The new facility is in the clinic collection under the edit's id.
	fac := decode[struct {
		Properties map[string]any `json:"properties"`
	}](t, ts.get("/ogc/collections/clinic/items/"+add.Edit.ID), 200)
	if fac.Properties["name"] != "新站 test" {
		t.Errorf("added facility: %v", fac.Properties)
	}

	undo := decode[apiScenario](t, ts.post("/api/scenario", `{"op":"undo"}`), 200)
	if undo.Edit.Op != "undo add" || undo.Edit.ID != add.Edit.ID || undo.Edit.Active {
		t.Errorf("undo edit %+v", undo.Edit)
	}
	if got := undo.Summary.covered(t, "clinic"); got != c0 {
		t.Errorf("covered after undo %v, want exactly %v", got, c0)
	}
	after := ts.get("/api/summary").Body.String()
	if !sameSummary(t, after, before) {
		t.Errorf("summary after undo differs:\n%s\nbefore:\n%s", after, before)
	}
	if cells := ts.get("/api/export/cells").Body.String(); cells != cellsBefore {
		t.Error("cells after undo differ from before the edit")
	}
	checkError(t, ts.get("/ogc/collections/clinic/items/"+add.Edit.ID), 404, "not_found")
}

// TestAPIScenarioMoveRemove moves and removes an existing facility and
// undoes both.
func TestAPIScenarioMoveRemove(t *testing.T) {
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{})
	s0 := ts.get("/api/summary").Body.String()
	var fac planner.Facility
	for _, f := range in.Facilities {
		if f.Type == "playground" {
			fac = f
			break
		}
	}
	pt, _, _ := uncoveredPoint(t, ts, "playground")
	mv := decode[apiScenario](t, ts.post("/api/scenario", map[string]any{"op": "move", "id": fac.ID, "lon": pt[0], "lat": pt[1]}), 200)
	if mv.Edit.Op != "move" || mv.Edit.ID != fac.ID || mv.Edit.Type != "playground" || !near(*mv.Edit.Lon, pt[0], 1e-6) {
		t.Errorf("move: %+v", mv.Edit)
	}
	item := decode[struct {
		Geometry struct {
			Coordinates []float64 `json:"coordinates"`
		} `json:"geometry"`
	}](t, ts.get("/ogc/collections/playground/items/"+fac.ID), 200)
	if len(item.Geometry.Coordinates) != 2 || !near(item.Geometry.Coordinates[0], pt[0], 1e-6) {
		t.Errorf("moved facility at %v, want %v", item.Geometry.Coordinates, pt)
	}
	rm := decode[apiScenario](t, ts.post("/api/scenario", map[string]any{"op": "remove", "id": fac.ID}), 200)
	if rm.Edit.Op != "remove" || rm.Edit.Active {
		t.Errorf("remove: %+v", rm.Edit)
	}
	checkError(t, ts.get("/ogc/collections/playground/items/"+fac.ID), 404, "not_found")
	checkError(t, ts.post("/api/scenario", map[string]any{"op": "remove", "id": fac.ID}), 404, "not_found")
	for _, op := range []string{"undo remove", "undo move"} {
		u := decode[apiScenario](t, ts.post("/api/scenario", `{"op":"undo"}`), 200)
		if u.Edit.Op != op || !u.Edit.Active {
			t.Errorf("undo: %+v, want %s", u.Edit, op)
		}
	}
	if got := ts.get("/api/summary").Body.String(); !sameSummary(t, got, s0) {
		t.Errorf("summary after undoing move and remove differs")
	}
}

func TestAPIScenarioBadInput(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{})
	s0 := ts.get("/api/summary").Body.String()
	big := `{"op":"add","type":"clinic","lon":24.94,"lat":60.17,"name":"` + strings.Repeat("x", 1<<20) + `"}`
	cases := []struct {
		name, body string
		status     int
		code       string
	}{
		{"bad JSON", `{"op":"add",`, 400, "bad_request"},
		{"not JSON", `op=add`, 400, "bad_request"},
		{"empty body", ``, 400, "bad_request"},
		{"array", `[1,2]`, 400, "bad_request"},
		{"trailing data", `{"op":"undo"} {"op":"undo"}`, 400, "bad_request"},
		{"unknown op", `{"op":"paint"}`, 400, "bad_request"},
		{"no op", `{"id":"x"}`, 400, "bad_request"},
		{"unknown field", `{"op":"remove","id":"x","colour":"red"}`, 400, "bad_request"},
		{"missing lon", `{"op":"add","type":"clinic","lat":60.17}`, 400, "bad_request"},
		{"lon as string", `{"op":"add","type":"clinic","lon":"24.9","lat":60.17}`, 400, "bad_request"},
		{"lat out of range", `{"op":"add","type":"clinic","lon":24.9,"lat":160.17}`, 400, "bad_request"},
		{"unknown type", `{"op":"add","type":"zoo","lon":24.94,"lat":60.17}`, 400, "bad_request"},
		{"missing type", `{"op":"add","lon":24.94,"lat":60.17}`, 400, "bad_request"},
		{"far from streets", `{"op":"add","type":"clinic","lon":0,"lat":0}`, 400, "bad_request"},
		{"move without id", `{"op":"move","lon":24.94,"lat":60.17}`, 400, "bad_request"},
		{"move unknown id", `{"op":"move","id":"nope","lon":24.94,"lat":60.17}`, 404, "not_found"},
		{"remove unknown id", `{"op":"remove","id":"nope"}`, 404, "not_found"},
		{"undo with no edits", `{"op":"undo"}`, 400, "bad_request"},
		{"oversized body", big, 413, "too_large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := checkError(t, ts.post("/api/scenario", tc.body), tc.status, tc.code)
			if strings.Contains(msg, "json:") || strings.Contains(msg, "Go struct") {
				t.Errorf("message shows Go internals: %q", msg)
			}
		})
	}
	if got := ts.get("/api/summary").Body.String(); got != s0 {
		t.Error("a refused edit changed the summary")
	}
}

// TestAPIEditSecurity: editing is refused on a non-loopback address
// without the token, from other sites, and under foreign host names.
func TestAPIEditSecurity(t *testing.T) {
	in := sampleInput(t)
	add := func() string {
		p := in.Demand.Points[0]
		return fmt.Sprintf(`{"op":"add","type":"market","lon":%v,"lat":%v}`, p[0], p[1])
	}
	t.Run("non-loopback without token", func(t *testing.T) {
		ts := newTestServer(t, in, Config{Addr: "0.0.0.0:8080"})
		for _, target := range []string{"/api/scenario", "/api/scenario/save", "/api/layer?name=x.csv"} {
			checkError(t, ts.post(target, add()), 403, "forbidden")
		}
		s := decode[apiSummary](t, ts.get("/api/summary"), 200)
		if s.EditEnabled {
			t.Error("edit_enabled on a non-loopback server without token")
		}
		// Proposals stay open: they do not edit.
		decode[map[string]any](t, ts.post("/api/propose", `{"type":"clinic","k":1,"time_limit_s":1}`), 200)
	})
	t.Run("non-loopback with token", func(t *testing.T) {
		ts := newTestServer(t, in, Config{Addr: "192.0.2.7:8080", EditToken: "s3cret"})
		checkError(t, ts.post("/api/scenario", add()), 403, "forbidden")
		r := request("POST", "/api/scenario", strings.NewReader(add()))
		r.Header.Set("Authorization", "Bearer wrong")
		checkError(t, ts.serve(r), 403, "forbidden")
		r = request("POST", "/api/scenario", strings.NewReader(add()))
		r.Header.Set("Authorization", "Bearer s3cret")
		r.Host = "planning.example.org"
		decode[apiScenario](t, ts.serve(r), 200)
		r = request("POST", "/api/scenario", strings.NewReader(`{"op":"undo"}`))
		r.Header.Set("X-Edit-Token", "s3cret")
		decode[apiScenario](t, ts.serve(r), 200)
		if s := decode[apiSummary](t, ts.get("/api/summary"), 200); !s.EditEnabled {
			t.Error("edit_enabled false with a token")
		}
	})
	t.Run("loopback refuses other sites", func(t *testing.T) {
		ts := newTestServer(t, in, Config{})
		r := request("POST", "/api/scenario", strings.NewReader(add()))
		r.Header.Set("Origin", "http://evil.example")
		checkError(t, ts.serve(r), 403, "forbidden")
		r = request("POST", "/api/scenario", strings.NewReader(add()))
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		checkError(t, ts.serve(r), 403, "forbidden")
		r = request("POST", "/api/scenario", strings.NewReader(add()))
		r.Host = "rebound.example:8080" // DNS rebinding
		checkError(t, ts.serve(r), 403, "forbidden")
		r = request("POST", "/api/scenario", strings.NewReader(add()))
		r.Header.Set("Origin", "http://127.0.0.1:8080")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		decode[apiScenario](t, ts.serve(r), 200)
		r = request("POST", "/api/scenario", strings.NewReader(`{"op":"undo"}`))
		r.Host = "localhost:8080"
		decode[apiScenario](t, ts.serve(r), 200)
	})
	t.Run("loopback behind a proxy with token", func(t *testing.T) {
		ts := newTestServer(t, in, Config{EditToken: "tok"})
		r := request("POST", "/api/scenario", strings.NewReader(add()))
		r.Host = "planning.example.org"
		checkError(t, ts.serve(r), 403, "forbidden")
		r = request("POST", "/api/scenario", strings.NewReader(add()))
		r.Host = "planning.example.org"
		r.Header.Set("Origin", "https://planning.example.org")
		r.Header.Set("X-Edit-Token", "tok")
		decode[apiScenario](t, ts.serve(r), 200)
	})
}

func TestAPISave(t *testing.T) {
	in := sampleInput(t)
	ws := t.TempDir()
	ts := newTestServer(t, in, Config{Workspace: ws, Version: "test"})
	pt, _, _ := uncoveredPoint(t, ts, "market")
	add := decode[apiScenario](t, ts.post("/api/scenario", map[string]any{"op": "add", "type": "market", "lon": pt[0], "lat": pt[1]}), 200)
	var fac planner.Facility
	for _, f := range in.Facilities {
		if f.Type == "fitness" {
			fac = f
			break
		}
	}
	decode[apiScenario](t, ts.post("/api/scenario", map[string]any{"op": "remove", "id": fac.ID}), 200)

	got := decode[struct {
		Saved []string `json:"saved"`
	}](t, ts.post("/api/scenario/save", `{"name":"my-plan_2"}`), 200)
	if len(got.Saved) != 2 || got.Saved[0] != "scenarios/my-plan_2/scenario.json" || got.Saved[1] != "scenarios/my-plan_2/facilities.geojson" {
		t.Fatalf("saved %v", got.Saved)
	}
	for _, p := range got.Saved { // the reply's paths are relative to the workspace
		if _, err := os.Stat(filepath.Join(ws, filepath.FromSlash(p))); err != nil {
			t.Errorf("saved %s: %v", p, err)
		}
	}
	raw, err := os.ReadFile(filepath.Join(ws, "scenarios", "my-plan_2", "scenario.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Name           string `json:"name"`
		FacilitiesFile string `json:"facilities_file"`
		Facilities     int    `json:"facilities"`
		Edits          []struct {
			Op       string          `json:"op"`
			ID       string          `json:"id"`
			Type     string          `json:"type"`
			Geometry json.RawMessage `json:"geometry"`
			Previous json.RawMessage `json:"previous"`
		} `json:"edits"`
		Summary apiSummary `json:"summary"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Name != "my-plan_2" || doc.FacilitiesFile != "facilities.geojson" || len(doc.Edits) != 2 ||
		doc.Edits[0].Op != "add" || doc.Edits[0].ID != add.Edit.ID || len(doc.Edits[0].Geometry) == 0 ||
		doc.Edits[1].Op != "remove" || doc.Edits[1].ID != fac.ID || len(doc.Edits[1].Previous) == 0 {
		t.Errorf("saved scenario: %s", raw)
	}
	fraw, err := os.ReadFile(filepath.Join(ws, "scenarios", "my-plan_2", "facilities.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(fraw)
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != len(in.Facilities) || doc.Facilities != len(in.Facilities) { // +1 added, −1 removed
		t.Errorf("%d facilities saved, want %d", len(fc.Features), len(in.Facilities))
	}
	ids := map[string]bool{}
	for _, f := range fc.Features {
		ids[f.Properties.MustString("id", "")] = true
	}
	if !ids[add.Edit.ID] || ids[fac.ID] {
		t.Errorf("saved facilities: added %s present %v, removed %s present %v", add.Edit.ID, ids[add.Edit.ID], fac.ID, ids[fac.ID])
	}

	// Bad names are refused; names of any script, even path-like ones,
	// are saved in a folder of their own inside the workspace's scenarios.
	for _, name := range []string{"", "  ", "a\nb", "a\x00b", "tab\there", strings.Repeat("a", 65), strings.Repeat("名", 65)} {
		body, _ := json.Marshal(map[string]string{"name": name})
		checkError(t, ts.post("/api/scenario/save", body), 400, "bad_request")
	}
	checkError(t, ts.post("/api/scenario/save", `{"name":"ok","path":"/etc"}`), 400, "bad_request")
	odd := []string{"../escape", "a/b", `a\b`, "..", "x.json", "名字", "a b", "%2e%2e", strings.Repeat("名", 64)}
	for _, name := range odd {
		body, _ := json.Marshal(map[string]string{"name": name})
		decode[map[string]any](t, ts.post("/api/scenario/save", body), 200)
	}
	entries, _ := os.ReadDir(filepath.Join(ws, "scenarios"))
	if len(entries) != 1+len(odd) {
		t.Errorf("scenarios folder holds %v, want my-plan_2 and %d more", entries, len(odd))
	}
	for _, e := range entries {
		if !e.IsDir() || !regexp.MustCompile(`^[a-z0-9_-]+$|^my-plan_2$`).MatchString(e.Name()) {
			t.Errorf("scenario folder %q: want a plain ASCII folder name", e.Name())
		}
	}
	list := decode[struct {
		Scenarios []struct{ Name string } `json:"scenarios"`
	}](t, ts.get("/api/scenarios"), 200)
	if len(list.Scenarios) != 1+len(odd) {
		t.Errorf("list: %+v", list)
	}
	if _, err := os.Stat(filepath.Join(ws, "escape.json")); err == nil {
		t.Error("a save escaped the scenarios folder")
	}
}

func TestAPILayer(t *testing.T) {
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{})
	p1, _, _ := uncoveredPoint(t, ts, "elderly")
	p2 := in.Demand.Points[len(in.Demand.Points)/3]
	csv := fmt.Sprintf("name,type,lon,lat\n托老站 A,elderly,%.6f,%.6f\nDay care B,Elderly day-care station,%.6f,%.6f\n", p1[0], p1[1], p2[0], p2[1])
	s0 := decode[apiSummary](t, ts.get("/api/summary"), 200)

	w := ts.serve(request("POST", "/api/layer?name=stations.csv", strings.NewReader(csv)))
	got := decode[struct {
		Added      int `json:"added"`
		Facilities []struct {
			ID   string  `json:"id"`
			Type string  `json:"type"`
			Name string  `json:"name"`
			Lon  float64 `json:"lon"`
		} `json:"facilities"`
		Summary      apiSummary       `json:"summary"`
		ChangedUnits []map[string]any `json:"changed_units"`
	}](t, w, 200)
	if got.Added != 2 || len(got.Facilities) != 2 || !strings.HasPrefix(got.Facilities[0].ID, "stations:"+planner.DerivedIDPrefix) || got.Facilities[0].Name != "托老站 A" ||
		got.Facilities[1].Type != "elderly" {
		t.Fatalf("layer: %+v", got)
	}
	if got.Summary.facilities(t, "elderly") != s0.facilities(t, "elderly")+2 || !(got.Summary.covered(t, "elderly") > s0.covered(t, "elderly")) ||
		len(got.ChangedUnits) == 0 {
		t.Errorf("elderly after the layer: %d facilities, covered %v (before %v)", got.Summary.facilities(t, "elderly"),
			got.Summary.covered(t, "elderly"), s0.covered(t, "elderly"))
	}
	fc := decode[featureCollection](t, ts.get("/ogc/collections/elderly/items"), 200)
	if len(fc.Features) != 2 {
		t.Errorf("elderly collection has %d features", len(fc.Features))
	}
	// The layer is one step of its client: one undo restores the summary.
	u := decode[apiScenario](t, ts.post("/api/scenario", `{"op":"undo"}`), 200)
	if u.Summary.covered(t, "elderly") != s0.covered(t, "elderly") {
		t.Errorf("after undoing the layer: %v, want %v", u.Summary.covered(t, "elderly"), s0.covered(t, "elderly"))
	}

	// The same file twice: refused as a whole, nothing added.
	ts.serve(request("POST", "/api/layer?name=stations.csv", strings.NewReader(csv)))
	s1 := ts.get("/api/summary").Body.String()
	msg := checkError(t, ts.serve(request("POST", "/api/layer?name=stations.csv", strings.NewReader(csv))), 400, "bad_request")
	if !strings.Contains(msg, "stations.csv") || !strings.Contains(msg, "exists already") {
		t.Errorf("second drop: %q", msg)
	}
	if !sameSummary(t, ts.get("/api/summary").Body.String(), s1) {
		t.Error("a refused layer changed the summary")
	}

	tmp := tempDirPrefix()
	far := "name,type,lon,lat\nA,clinic,24.94,60.17\nB,clinic,0,0\n"
	cases := []struct {
		name, file, body string
		status           int
		want             string // in the message
	}{
		{"broken number", "broken.csv", "lon,lat,type\nnot-a-number,60.17,clinic\n", 400, "broken.csv"},
		{"no type column", "notype.csv", "lon,lat,name\n24.94,60.17,A\n", 400, "type"},
		{"unknown type", "zoo.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"type":"zoo","name":"Z"},"geometry":{"type":"Point","coordinates":[24.94,60.17]}}]}`, 400, "zoo"},
		{"not JSON", "bad.geojson", `{"type":"FeatureCollection","features":[`, 400, "bad.geojson"},
		{"far from streets, rolled back", "far.csv", far, 400, "feature 1"},
		{"empty", "empty.csv", "", 400, "empty"},
		{"no features", "none.geojson", `{"type":"FeatureCollection","features":[]}`, 400, "no features"},
		{"path in name", "../../etc/x.csv", "lon,lat\n", 400, "plain name"},
		{"hidden name", ".x.csv", "lon,lat\n", 400, "plain name"},
		{"no name", "", "lon,lat\n", 400, "name"},
		{"shapefile", "roads.shp", "x", 400, "GeoJSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := checkError(t, ts.serve(request("POST", "/api/layer?name="+tc.file, strings.NewReader(tc.body))), tc.status, "bad_request")
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not mention %q", msg, tc.want)
			}
			if strings.Contains(msg, tmp) || strings.Contains(msg, "lifecircle-layer-") {
				t.Errorf("message leaks a server path: %q", msg)
			}
		})
	}
	if !sameSummary(t, ts.get("/api/summary").Body.String(), s1) {
		t.Error("refused layers changed the summary")
	}
	// Over 20 MiB: 413.
	huge := bytes.Repeat([]byte("24.94,60.17,clinic\n"), (maxLayerBody/19)+10)
	checkError(t, ts.serve(request("POST", "/api/layer?name=huge.csv", bytes.NewReader(huge))), 413, "too_large")
}

type apiPropose struct {
	Mode  string `json:"mode"`
	Sites []struct {
		Rank              int      `json:"rank"`
		ID                string   `json:"id"`
		Lon               float64  `json:"lon"`
		Lat               float64  `json:"lat"`
		Gain              float64  `json:"gain"`
		CumulativeCovered float64  `json:"cumulative_covered"`
		CoverageAfter     float64  `json:"coverage_after"`
		Units             []string `json:"units"`
	} `json:"sites"`
	Objective    float64  `json:"objective"`
	UpperBound   *float64 `json:"upper_bound"`
	Gap          *float64 `json:"gap"`
	LowerBound   *int     `json:"lower_bound"`
	Coverable    float64  `json:"coverable"`
	StoppedEarly bool     `json:"stopped_early"`
	Coverage     []struct {
		Type           string  `json:"type"`
		CoverageBefore float64 `json:"coverage_before"`
		CoverageAfter  float64 `json:"coverage_after"`
	} `json:"coverage"`
	ElapsedMS float64 `json:"elapsed_ms"`
}

func TestAPIPropose(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{})
	s0 := decode[apiSummary](t, ts.get("/api/summary"), 200)
	p := decode[apiPropose](t, ts.post("/api/propose", `{"type":"market","k":3,"time_limit_s":2}`), 200)
	if p.Mode != "maximal covering" || len(p.Sites) == 0 || len(p.Sites) > 3 || (!p.StoppedEarly && len(p.Sites) != 3) {
		t.Fatalf("proposal: %+v", p)
	}
	if p.UpperBound == nil || *p.UpperBound < p.Objective-1e-6 || p.Gap == nil || *p.Gap < 0 || p.LowerBound != nil {
		t.Errorf("bound %v objective %v gap %v lower %v", p.UpperBound, p.Objective, p.Gap, p.LowerBound)
	}
	sum := 0.0
	for i, s := range p.Sites {
		sum += s.Gain
		if s.Rank != i+1 || !(s.Gain > 0) || !near(s.CumulativeCovered, sum, 0.5) || len(s.Units) == 0 {
			t.Errorf("site %d: %+v", i, s)
		}
	}
	if !near(sum, p.Objective, 0.5) {
		t.Errorf("gains add to %v, objective %v", sum, p.Objective)
	}
	var market float64
	for _, ty := range s0.Types {
		if ty.ID == "market" {
			market = float64(ty.Coverage)
		}
	}
	if len(p.Coverage) != 1 || !near(p.Coverage[0].CoverageBefore, market, 1e-3) || !(p.Coverage[0].CoverageAfter > market) {
		t.Errorf("coverage %+v, summary %v", p.Coverage, market)
	}
	// The proposals collection holds the sites in rank order.
	fc := decode[featureCollection](t, ts.get("/ogc/collections/proposals/items?limit=100"), 200)
	if len(fc.Features) != len(p.Sites) {
		t.Fatalf("proposals collection: %d features, %d sites", len(fc.Features), len(p.Sites))
	}
	for i, f := range fc.Features {
		if f.ID != p.Sites[i].ID || jsonNum(t, f.Properties["rank"]) != float64(i+1) {
			t.Errorf("proposal feature %d: %v %v", i, f.ID, f.Properties)
		}
	}
	decode[map[string]any](t, ts.get("/ogc/collections/proposals/items/"+p.Sites[0].ID), 200)

	// Set covering and several types.
	sc := decode[apiPropose](t, ts.post("/api/propose", `{"type":"clinic","target":0.9,"time_limit_s":2}`), 200)
	if sc.Mode != "set covering" || sc.LowerBound == nil || *sc.LowerBound > len(sc.Sites) || sc.UpperBound != nil || len(sc.Sites) == 0 {
		t.Errorf("set covering: %+v", sc)
	}
	mt := decode[apiPropose](t, ts.post("/api/propose", `{"types":[{"id":"market","weight":1},{"id":"playground","weight":2}],"k":2,"radius":400,"time_limit_s":2}`), 200)
	if len(mt.Coverage) != 2 || len(mt.Sites) == 0 {
		t.Errorf("two types: %+v", mt)
	}

	cases := []struct{ name, body string }{
		{"k 0", `{"type":"clinic","k":0}`},
		{"k 201", `{"type":"clinic","k":201}`},
		{"k as string", `{"type":"clinic","k":"5"}`},
		{"k and target", `{"type":"clinic","k":2,"target":0.5}`},
		{"neither k nor target", `{"type":"clinic"}`},
		{"target 1.5", `{"type":"clinic","target":1.5}`},
		{"no type", `{"k":2}`},
		{"type and types", `{"type":"clinic","types":[{"id":"market"}],"k":2}`},
		{"unknown type", `{"type":"zoo","k":2}`},
		{"duplicate type", `{"types":[{"id":"market"},{"id":"market"}],"k":2}`},
		{"weight 0", `{"types":[{"id":"market","weight":0}],"k":2}`},
		{"radius -1", `{"type":"clinic","k":2,"radius":-1}`},
		{"time limit 31", `{"type":"clinic","k":2,"time_limit_s":31}`},
		{"unknown field", `{"type":"clinic","k":2,"colour":1}`},
		{"bad JSON", `{"type":`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkError(t, ts.post("/api/propose", tc.body), 400, "bad_request")
		})
	}
	// A cancelled request stops the proposal.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := request("POST", "/api/propose", strings.NewReader(`{"type":"clinic","k":5}`)).WithContext(ctx)
	checkError(t, ts.serve(r), 503, "unavailable")
}

func TestAPIExport(t *testing.T) {
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{})
	for _, c := range []struct {
		id string
		n  int
	}{{"cells", len(in.Units)}, {"streets", in.Net.NumEdges()}, {"demand", len(in.Demand.Points)}, {"proposals", 0}} {
		w := ts.get("/api/export/" + c.id)
		if w.Code != 200 || w.Header().Get("Content-Type") != "application/geo+json" ||
			w.Header().Get("Content-Disposition") != `attachment; filename="`+c.id+`.geojson"` {
			t.Errorf("%s: %d %v", c.id, w.Code, w.Header())
		}
		fc, err := geojson.UnmarshalFeatureCollection(w.Body.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", c.id, err)
		}
		if len(fc.Features) != c.n {
			t.Errorf("%s: %d features, want %d", c.id, len(fc.Features), c.n)
		}
	}
	checkError(t, ts.get("/api/export/zoo"), 404, "not_found")
}

func TestStaticAndHeaders(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{Tiles: "https://tile.example.org/{z}/{x}/{y}.png"})
	w := ts.get("/")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(w.Body.String(), "<html") {
		t.Fatalf("GET /: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	wantCSP := "default-src 'self'; img-src 'self' data: https://tile.example.org; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'"
	if got := w.Header().Get("Content-Security-Policy"); got != wantCSP {
		t.Errorf("CSP %q, want %q", got, wantCSP)
	}
	// Every file the page names is served, at / and under /static/.
	entries, err := staticFiles.ReadDir("static")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		for _, p := range []string{"/static/" + e.Name(), "/" + e.Name()} {
			if w := ts.get(p); w.Code != 200 {
				t.Errorf("%s: %d", p, w.Code)
			}
		}
	}
	r := request("GET", "/healthz", nil)
	r.Header.Set("Origin", "http://evil.example")
	hw := ts.serve(r)
	if hw.Code != 200 || hw.Body.String() != "ok\n" {
		t.Errorf("healthz: %d %q", hw.Code, hw.Body.String())
	}
	for _, p := range []string{"/static/../go.mod", "/static/../web/server.go", "/static/", "/static/vendor", "/static/vendor/", "/../go.mod",
		"/static/%2e%2e/go.mod", "/static/nope.js", "/nope"} {
		w := ts.get(p)
		if w.Code != 404 && w.Code != 400 {
			t.Errorf("%s: %d, want 404 or 400", p, w.Code)
		}
		if strings.Contains(w.Body.String(), "module github.com") || strings.Contains(w.Body.String(), "package web") {
			t.Errorf("%s leaks a source file", p)
		}
	}
	// Security headers everywhere, CORS closed.
	for _, p := range []string{"/", "/api/summary", "/ogc/collections", "/nope", "/healthz"} {
		r := request("GET", p, nil)
		r.Header.Set("Origin", "http://evil.example")
		w := ts.serve(r)
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if w.Header().Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", p, k, w.Header().Get(k), v)
			}
		}
		if w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: CORS header set", p)
		}
	}
	checkError(t, ts.serve(request("DELETE", "/api/summary", nil)), 405, "method_not_allowed")
	checkError(t, ts.get("/api/nope"), 404, "not_found")
	// Request logs name method, path, status and duration.
	logs := ts.logs.String()
	if !strings.Contains(logs, "method=GET path=/healthz status=200 duration=") {
		t.Errorf("request log missing:\n%s", shorten(logs, 2000))
	}
}

func TestTilesSource(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"},
		{"https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"},
		{"http://localhost:8081/tiles/{z}/{x}/{y}.png", "http://localhost:8081"},
	}
	for _, tc := range cases {
		got, err := TilesSource(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("TilesSource(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"ftp://x/{z}/{x}/{y}", "tile.example.org/{z}/{x}/{y}.png", "https://x.org/tiles.png", "javascript:alert(1)//{z}{x}{y}",
		"https://x.org; script-src *{z}/{x}/{y}"} {
		if _, err := TilesSource(bad); err == nil {
			t.Errorf("TilesSource(%q) accepted", bad)
		}
	}
	if _, err := New(newScenario(t, sampleInput(t)), Config{Tiles: "ftp://x"}, nil); err == nil {
		t.Error("New accepted a bad tiles URL")
	}
}

// TestAPIConcurrentEdits runs edits, reads and proposals at once (run with
// -race): the figures after undoing every edit equal the original.
func TestAPIConcurrentEdits(t *testing.T) {
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{})
	s0 := ts.get("/api/summary").Body.String()
	pts := in.Demand.Points
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func(g int) {
			for i := 0; i < 10; i++ {
				p := pts[(g*10+i)%len(pts)]
				ts.post("/api/scenario", map[string]any{"op": "add", "type": "fitness", "lon": p[0], "lat": p[1]})
				ts.get("/ogc/collections/fitness/items?limit=100")
				ts.get("/ogc/collections/cells/items?limit=5")
				ts.get("/api/summary")
			}
			done <- true
		}(g)
	}
	go func() {
		ts.post("/api/propose", `{"type":"fitness","k":2,"time_limit_s":1}`)
		ts.get("/api/export/proposals")
		done <- true
	}()
	for i := 0; i < 5; i++ {
		<-done
	}
	for n := 0; ; n++ {
		w := ts.post("/api/scenario", `{"op":"undo"}`)
		if w.Code != 200 {
			checkError(t, w, 400, "bad_request")
			if n != 40 {
				t.Errorf("undid %d edits, want 40", n)
			}
			break
		}
	}
	if got := ts.get("/api/summary").Body.String(); !sameSummary(t, got, s0) {
		t.Error("summary after undoing concurrent edits differs")
	}
}

var _ = http.StatusOK
