package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/planner"
)

var (
	districtOnce sync.Once
	districtIn   planner.AuditInput
	districtErr  error
)

// districtInput is the example project examples/district (the bundled
// sample with two levels of hand-drawn units, subdistrict ⊃ community, and
// the district's provision rules), loaded as `lifecircle serve -c` loads
// it; the facilities slice is a fresh copy (a scenario owns it).
func districtInput(tb testing.TB) planner.AuditInput {
	tb.Helper()
	districtOnce.Do(func() {
		path := filepath.Join(shareddata.RepoRoot(tb), "examples", "district", "lifecircle.yaml")
		pf, err := data.ReadProject(path)
		if err != nil {
			districtErr = err
			return
		}
		s := study.Defaults()
		s.Overlay(pf)
		st, err := study.Load(context.Background(), s, study.FileSource{}, nil)
		if err != nil {
			districtErr = err
			return
		}
		if err := st.Prepare(); err != nil {
			districtErr = err
			return
		}
		districtIn = st.In
	})
	if districtErr != nil {
		tb.Fatal(districtErr)
	}
	in := districtIn
	in.Facilities = append([]planner.Facility(nil), districtIn.Facilities...)
	return in
}

func newDistrictServer(tb testing.TB) *testServer {
	tb.Helper()
	return newTestServer(tb, districtInput(tb), Config{UnitsKind: "units"})
}

type levelsResp struct {
	Levels []struct {
		Collection string `json:"collection"`
		Alias      string `json:"alias"`
		Level      string `json:"level"`
		NameZh     string `json:"name_zh"`
		Units      int    `json:"units"`
		Named      bool   `json:"named"`
		Grid       bool   `json:"grid"`
		Rules      int    `json:"rules"`
	} `json:"levels"`
	Default string `json:"default"`
}

type rulesResp struct {
	Rules []struct {
		Rule       int    `json:"rule"`
		Level      string `json:"level"`
		Collection string `json:"collection"`
		Type       string `json:"type"`
		Kind       string `json:"kind"`
		Checked    int    `json:"checked"`
		Broken     int    `json:"broken"`
		Passed     int    `json:"passed"`
		Breaches   []struct {
			UnitID string `json:"unit_id"`
		} `json:"breaches"`
	} `json:"rules"`
	BrokenRules int                         `json:"broken_rules"`
	Units       map[string]map[string][]int `json:"units"`
}

// TestLevelCollections checks that every level of the district example is
// an OGC collection (units_subdistrict, units_community, and the cells a
// grid lays over the residents), that each level's residents add up to the
// district's, that a parent's residents are the sum of its children's,
// and that /api/levels lists them.
func TestLevelCollections(t *testing.T) {
	ts := newDistrictServer(t)
	lv := decode[levelsResp](t, ts.get("/api/levels"), 200)
	var ids []string
	for _, l := range lv.Levels {
		ids = append(ids, l.Collection)
	}
	if got := strings.Join(ids, ","); got != "units_subdistrict,units_community,cells" || lv.Default != "units" {
		t.Fatalf("levels = %s (default %s), want units_subdistrict,units_community,cells (default units)", got, lv.Default)
	}
	if lv.Levels[1].Alias != "units" || lv.Levels[0].NameZh != "街道" || lv.Levels[1].NameZh != "社区" || !lv.Levels[2].Grid || !lv.Levels[0].Named {
		t.Errorf("levels = %+v: want the community level aliased as units, Chinese names, the grid marked", lv.Levels)
	}
	if lv.Levels[0].Rules == 0 || lv.Levels[1].Rules == 0 {
		t.Errorf("levels = %+v: want the rules per level counted", lv.Levels)
	}
	colls := decode[struct {
		Collections []struct {
			ID string `json:"id"`
		} `json:"collections"`
	}](t, ts.get("/ogc/collections"), 200)
	have := map[string]bool{}
	for _, c := range colls.Collections {
		have[c.ID] = true
	}
	sum := decode[struct {
		Population float64 `json:"population"`
	}](t, ts.get("/api/summary"), 200)
	pops := map[string]map[string]float64{}
	parents := map[string]string{}
	for _, l := range lv.Levels {
		if !have[l.Collection] {
			t.Errorf("/ogc/collections lacks %s", l.Collection)
		}
		fc := decode[struct {
			Features []struct {
				ID         string         `json:"id"`
				Properties map[string]any `json:"properties"`
			} `json:"features"`
			NumberMatched int `json:"numberMatched"`
		}](t, ts.get("/ogc/collections/"+l.Collection+"/items?limit=10000"), 200)
		if fc.NumberMatched != l.Units || len(fc.Features) != l.Units {
			t.Errorf("%s: %d features (matched %d), /api/levels says %d", l.Collection, len(fc.Features), fc.NumberMatched, l.Units)
		}
		pops[l.Collection] = map[string]float64{}
		var total float64
		for _, f := range fc.Features {
			p, _ := f.Properties["population"].(float64)
			total += p
			pops[l.Collection][f.ID] = p
			if l.Collection == "units_community" {
				parents[f.ID], _ = f.Properties["parent"].(string)
				if _, ok := f.Properties["facilities_clinic"]; !ok {
					t.Errorf("%s %s: no facilities_clinic property", l.Collection, f.ID)
				}
			}
		}
		t.Logf("%s: %d units, %.1f residents (district %.1f)", l.Collection, l.Units, total, sum.Population)
		if l.Collection == "cells" && !approx(total, sum.Population, 0.5) {
			t.Errorf("cells hold %.1f residents, the district %.1f", total, sum.Population)
		}
	}
	bySub := map[string]float64{}
	for id, p := range pops["units_community"] {
		bySub[parents[id]] += p
	}
	for id, p := range pops["units_subdistrict"] {
		if !approx(bySub[id], p, 0.5) {
			t.Errorf("subdistrict %s: %.1f residents, its communities %.1f", id, p, bySub[id])
		}
	}
	// One feature, a missing one, a bbox query and the GeoJSON export.
	if w := ts.get("/ogc/collections/units_subdistrict/items/sub-N"); w.Code != 200 || !strings.Contains(w.Body.String(), `"facilities_clinic"`) {
		t.Errorf("item sub-N: %d %s", w.Code, shorten(w.Body.String(), 200))
	}
	if w := ts.get("/ogc/collections/units_subdistrict/items/com-S1"); w.Code != 404 {
		t.Errorf("a community in the subdistricts: %d, want 404", w.Code)
	}
	all := decode[struct {
		NumberMatched int `json:"numberMatched"`
	}](t, ts.get("/ogc/collections/cells/items?bbox=-180,-90,180,90"), 200)
	none := decode[struct {
		NumberMatched int `json:"numberMatched"`
	}](t, ts.get("/ogc/collections/cells/items?bbox=0,0,1,1"), 200)
	if all.NumberMatched != lv.Levels[2].Units || none.NumberMatched != 0 {
		t.Errorf("cells in the world bbox %d (want %d), in 0,0,1,1 %d", all.NumberMatched, lv.Levels[2].Units, none.NumberMatched)
	}
	if w := ts.get("/api/export/units_community"); w.Code != 200 || strings.Count(w.Body.String(), `"type":"Feature"`) != lv.Levels[1].Units {
		t.Errorf("export units_community: %d, %d features", w.Code, strings.Count(w.Body.String(), `"type":"Feature"`))
	}
	// A unit at a level: /api/units/{id}?level=.
	for id := range pops["units_subdistrict"] {
		u := decode[unitJSON](t, ts.get("/api/units/"+url.PathEscape(id)+"?level=units_subdistrict"), 200)
		if u.UnitID != id || !approx(float64(u.Population), pops["units_subdistrict"][id], 0.05) {
			t.Errorf("/api/units/%s?level=units_subdistrict = %+v", id, u)
		}
		break
	}
}

func approx(a, b, tol float64) bool { return a-b <= tol && b-a <= tol }

// TestRulesFollowEdits breaks a provision rule through the scenario API —
// removes the only clinic of a community whose rule "≥ 1 clinic in every
// community" holds — and checks that /api/rules, the units table and the
// community's rules_broken follow, and that undo repairs it.
func TestRulesFollowEdits(t *testing.T) {
	ts := newDistrictServer(t)
	before := decode[rulesResp](t, ts.get("/api/rules"), 200)
	rule := -1
	for i, r := range before.Rules {
		if r.Level == "community" && r.Type == "clinic" && r.Kind == "count" {
			rule = i
		}
	}
	if rule < 0 {
		t.Fatalf("no community clinic count rule in %+v", before.Rules)
	}
	r0 := before.Rules[rule]
	if r0.Checked != r0.Broken+r0.Passed || r0.Passed == 0 {
		t.Fatalf("rule %d: checked %d, broken %d, passed %d: want some passing", r0.Rule, r0.Checked, r0.Broken, r0.Passed)
	}
	// A community that passes (its clinics inside it), and its clinics.
	units := decode[tableDoc](t, ts.get("/api/table/units?level=units_community&filter="+url.QueryEscape("facilities_clinic>=1")+"&sort=facilities_clinic"), 200)
	if len(units.Rows) == 0 {
		t.Fatal("no community with a clinic")
	}
	comm := units.Rows[0][0].(string)
	var clinics []string
	ts.sc.View(func(in planner.AuditInput, _ *planner.AuditResult, active []bool) {
		h := ts.hier
		k := len(h.Levels) - 1
		assign, _ := h.Locate(planner.FacilityPoints(in.Facilities))
		for i, f := range in.Facilities {
			if active[i] && f.Type == "clinic" && assign[k][i] >= 0 && h.Levels[k].Units[assign[k][i]].ID == comm {
				clinics = append(clinics, f.ID)
			}
		}
	})
	if len(clinics) == 0 {
		t.Fatalf("no clinic found inside community %s", comm)
	}
	if b := before.Units["units_community"][comm]; containsInt(b, r0.Rule) {
		t.Fatalf("community %s breaks rule %d before the edit", comm, r0.Rule)
	}
	for _, clinic := range clinics {
		if w := ts.post("/api/scenario", map[string]any{"op": "remove", "id": clinic}); w.Code != 200 {
			t.Fatalf("remove %s: %d %s", clinic, w.Code, w.Body.String())
		}
	}
	after := decode[rulesResp](t, ts.get("/api/rules"), 200)
	r1 := after.Rules[rule]
	clinic := strings.Join(clinics, ", ")
	t.Logf("removed clinics %s of community %s: rule %d broken in %d → %d communities; units breaking: %v", clinic, comm, r0.Rule, r0.Broken, r1.Broken, after.Units["units_community"])
	if r1.Broken != r0.Broken+1 || !containsInt(after.Units["units_community"][comm], r0.Rule) || !containsInt(after.Units["units"][comm], r0.Rule) {
		t.Errorf("after removing %s: rule %d broken %d times (was %d); community %s breaks %v", clinic, r0.Rule, r1.Broken, r0.Broken, comm, after.Units["units_community"][comm])
	}
	// Two computations agree after the edit: the scenario's incremental
	// figures of the finest level (units) and the level's aggregation
	// from the residents' distances (units_community).
	checkSameFigures(t, ts, "units", "units_community")
	row := decode[tableDoc](t, ts.get("/api/table/units?level=units_community&filter="+url.QueryEscape("unit_id="+comm)), 200)
	if len(row.Rows) != 1 {
		t.Fatalf("table row of %s: %v", comm, row.Rows)
	}
	ci := colIndex(row, "facilities_clinic")
	ri := colIndex(row, "rules_broken")
	if row.Rows[0][ci] != 0.0 || row.Rows[0][ri].(float64) < 1 {
		t.Errorf("table row of %s after the edit: facilities_clinic %v, rules_broken %v", comm, row.Rows[0][ci], row.Rows[0][ri])
	}
	for range clinics {
		if w := ts.post("/api/scenario", map[string]any{"op": "undo"}); w.Code != 200 {
			t.Fatalf("undo: %d %s", w.Code, w.Body.String())
		}
	}
	undone := decode[rulesResp](t, ts.get("/api/rules"), 200)
	if undone.Rules[rule].Broken != r0.Broken || containsInt(undone.Units["units_community"][comm], r0.Rule) {
		t.Errorf("after undo rule %d broken %d times, want %d", r0.Rule, undone.Rules[rule].Broken, r0.Broken)
	}
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func colIndex(d tableDoc, key string) int {
	for j, c := range d.Columns {
		if c.Key == key {
			return j
		}
	}
	panic(fmt.Sprintf("no column %s", key))
}

// TestLevelsCellStudy: a cell study has one level, cells, and no
// units_ collections.
func TestLevelsCellStudy(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{})
	lv := decode[levelsResp](t, ts.get("/api/levels"), 200)
	if len(lv.Levels) != 1 || lv.Levels[0].Collection != "cells" || lv.Default != "cells" || !lv.Levels[0].Grid {
		t.Errorf("levels of a cell study = %+v", lv)
	}
	rules := decode[rulesResp](t, ts.get("/api/rules"), 200)
	if len(rules.Rules) != 0 || rules.BrokenRules != 0 {
		t.Errorf("rules of a study without rules = %+v", rules)
	}
	tab := decode[tableDoc](t, ts.get("/api/table/units?limit=5&sort=-population"), 200)
	if tab.Level != "cells" || len(tab.Rows) != 5 || tab.Matched != tab.Total {
		t.Errorf("cells table: level %s, %d rows, matched %d of %d", tab.Level, len(tab.Rows), tab.Matched, tab.Total)
	}
	raw, _ := json.Marshal(tab.Columns)
	if !strings.Contains(string(raw), `"key":"coverage_clinic"`) {
		t.Errorf("cells table columns lack coverage_clinic: %s", raw)
	}
}

// checkSameFigures compares every numeric property two collections share,
// unit by unit.
func checkSameFigures(t *testing.T, ts *testServer, a, b string) {
	t.Helper()
	type fc struct {
		Features []struct {
			ID         string         `json:"id"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	fa := decode[fc](t, ts.get("/ogc/collections/"+a+"/items?limit=10000"), 200)
	fb := decode[fc](t, ts.get("/ogc/collections/"+b+"/items?limit=10000"), 200)
	byID := map[string]map[string]any{}
	for _, f := range fb.Features {
		byID[f.ID] = f.Properties
	}
	if len(fa.Features) != len(fb.Features) || len(fa.Features) == 0 {
		t.Fatalf("%s has %d units, %s %d", a, len(fa.Features), b, len(fb.Features))
	}
	compared := 0
	for _, f := range fa.Features {
		pb, ok := byID[f.ID]
		if !ok {
			t.Errorf("%s %s is not in %s", a, f.ID, b)
			continue
		}
		for k, va := range f.Properties {
			x, ok1 := va.(float64)
			y, ok2 := pb[k].(float64)
			if !ok1 || !ok2 {
				continue
			}
			compared++
			if !approx(x, y, 0.05+1e-6*x) {
				t.Errorf("%s %s: %s %v in %s, %v in %s", a, f.ID, k, x, a, y, b)
			}
		}
	}
	if compared < 10*len(fa.Features) {
		t.Errorf("only %d figures compared", compared)
	}
}
