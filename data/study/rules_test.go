package study

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// TestRulesOnHelsinkiUnits checks hand-made count, per-population and
// coverage rules (and --fail-below), each breaking and holding, on central
// Helsinki with the example's subdistricts and communities. The expected
// failing units are computed here from the written layers: facilities
// counted by containment in the unit polygons, requirements from the
// units' populations, coverage from the units' figures. (cmd's
// TestAuditRulesExitCode checks the exit code, rules.csv and the printing.)
func TestRulesOnHelsinkiUnits(t *testing.T) {
	s := helsinki(t)
	s.Units = []string{filepath.Join(shareddata.RepoRoot(t), "examples", "district", "units.geojson")}
	st, err := Load(context.Background(), s, FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := st.Write(dir, res); err != nil {
		t.Fatal(err)
	}
	run, err := data.ReadAudit(dir)
	if err != nil {
		t.Fatal(err)
	}
	level := map[string][]data.UnitFeature{}
	for _, l := range run.Levels {
		level[l.Level] = l.Units
	}
	if len(level["community"]) == 0 || len(level["subdistrict"]) == 0 {
		t.Fatalf("levels %v: want community and subdistrict", run.Summary.Levels)
	}
	var clinics []orb.Point
	for _, f := range run.Facilities {
		if f.Type != "clinic" {
			continue
		}
		p, ok := f.Geometry.(orb.Point)
		if !ok {
			t.Fatalf("a clinic is a %s; this test counts points only", f.Geometry.GeoJSONType())
		}
		clinics = append(clinics, p)
	}
	count := func(u data.UnitFeature) int {
		n := 0
		for _, p := range clinics {
			switch g := u.Geometry.(type) {
			case orb.Polygon:
				if planar.PolygonContains(g, p) {
					n++
				}
			case orb.MultiPolygon:
				if planar.MultiPolygonContains(g, p) {
					n++
				}
			}
		}
		return n
	}
	// Every clinic count of units_<level>.geojson is the count by containment.
	for name, us := range level {
		for _, u := range us {
			if f, _ := u.Type("clinic"); f.Facilities != count(u) {
				t.Errorf("%s %s: facilities_clinic %v, %v clinics inside its polygon", name, u.UnitID, f.Facilities, count(u))
			}
		}
	}
	coverage := map[string]float64{}
	for _, ty := range run.Summary.Types {
		coverage[ty.ID] = float64(ty.Coverage)
	}
	failing := func(lv string, bad func(u data.UnitFeature) bool) []string {
		var ids []string
		for _, u := range level[lv] {
			if bad(u) {
				ids = append(ids, u.UnitID)
			}
		}
		return ids
	}
	perPop := func(lv string, per float64) []string {
		return failing(lv, func(u data.UnitFeature) bool {
			return float64(count(u)) < math.Ceil(float64(u.Population)/per)
		})
	}
	district := func(bad bool) []string {
		if bad {
			return []string{planner.DistrictLevel}
		}
		return nil
	}
	for _, tc := range []struct {
		name      string
		rule      *planner.Rule
		failBelow map[string]float64
		want      []string // failing unit ids
	}{
		{"count breaks", &planner.Rule{Level: "community", Type: "clinic", Min: 1}, nil,
			failing("community", func(u data.UnitFeature) bool { return count(u) < 1 })},
		{"count holds", &planner.Rule{Level: "subdistrict", Type: "clinic", Min: 1}, nil,
			failing("subdistrict", func(u data.UnitFeature) bool { return count(u) < 1 })},
		{"per population breaks", &planner.Rule{Level: "community", Type: "clinic", PerPopulation: 1000}, nil, perPop("community", 1000)},
		{"per population holds", &planner.Rule{Level: "subdistrict", Type: "clinic", PerPopulation: 2000}, nil, perPop("subdistrict", 2000)},
		{"coverage breaks", &planner.Rule{Type: "market", MinCoverage: 0.9}, nil, district(coverage["market"] < 0.9)},
		{"coverage holds", &planner.Rule{Type: "market", MinCoverage: 0.3}, nil, district(coverage["market"] < 0.3)},
		{"unit coverage breaks", &planner.Rule{Level: "community", Type: "clinic", MinCoverage: 0.6}, nil,
			failing("community", func(u data.UnitFeature) bool {
				f, _ := u.Type("clinic")
				return u.Population > 0 && float64(f.Coverage) < 0.6
			})},
		{"fail-below breaks", nil, map[string]float64{"market": 0.9}, district(coverage["market"] < 0.9)},
		{"fail-below holds", nil, map[string]float64{"market": 0.3}, district(coverage["market"] < 0.3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := Settings{FailBelow: tc.failBelow}
			if tc.rule != nil {
				rs.Rules = []planner.Rule{*tc.rule}
			}
			rules, err := Rules(st.In.Profile, rs)
			if err != nil {
				t.Fatal(err)
			}
			checks, err := planner.CheckRules(rules, st.In, res, st.In.Hierarchy, res.Levels)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range checks {
				for _, b := range c.Breaches {
					got = append(got, b.UnitID)
				}
			}
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("breaches %v, want %v", got, want)
			}
			if n := planner.BrokenRules(checks); (n > 0) != (len(want) > 0) {
				t.Errorf("%d broken rules for breaches %v", n, want)
			}
		})
	}
	// Not every case may be vacuous: the breaking ones must break something.
	if len(perPop("community", 1000)) == 0 || len(failing("community", func(u data.UnitFeature) bool { return count(u) < 1 })) == 0 {
		t.Error("the hand-made breaking cases break nothing: the test data changed")
	}
}
