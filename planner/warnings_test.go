package planner

import (
	"context"
	"strings"
	"testing"
)

// groupProfile has a clinic judged by all residents and an elderly
// station judged by the residents aged 60 and over.
const groupProfile = `id: groups
names: {en: Groups}
types:
  - id: clinic
    names: {en: Clinic}
    tier: 15
    threshold: 300
  - id: elderly
    names: {en: Elderly station}
    tier: 5
    threshold: 300
    demand: age_60_plus
`

// TestAuditDemandGroup: two population points on a 1 km street, A at
// x = 100 (100 residents, 60 aged 60+) and B at x = 900 (100 residents, 5
// aged 60+). An elderly station and a clinic stand at x = 150: both reach
// A only. The clinic covers 100 of 200 residents; the elderly station 60
// of the 65 elderly (60/65), not half.
func TestAuditDemandGroup(t *testing.T) {
	prof := mustProfile(t, groupProfile)
	if got := prof.DemandGroups(); len(got) != 1 || got[0] != "age_60_plus" {
		t.Fatalf("groups %v", got)
	}
	fs := []PopFeature{
		{ID: "A", Geometry: mp(100, 0), Population: 100, Groups: map[string]float64{"age_60_plus": 60}},
		{ID: "B", Geometry: box(850, -20, 950, 20), Population: 100, Groups: map[string]float64{"age_60_plus": 5}},
	}
	net := street1km(t)
	d, err := DemandFromPopulation(fs, nil, BuildingOptions{}, net)
	if err != nil {
		t.Fatal(err)
	}
	// B is spread over the street samples inside its box: its group too.
	if len(d.Points) < 3 || len(d.Groups["age_60_plus"]) != len(d.Points) {
		t.Fatalf("%d points, groups %v", len(d.Points), d.Groups)
	}
	var sumG float64
	for _, v := range d.Groups["age_60_plus"] {
		sumG += v
	}
	approx(t, "elderly total", sumG, 65, tolM)
	in := AuditInput{Profile: prof, Net: net, Demand: d, MaxSnap: 250, MaxDistance: 5000,
		Facilities: []Facility{pointFacility("E", "elderly", 150, 10), pointFacility("C", "clinic", 150, 10)}}
	res := runAudit(t, in)
	cl, el := res.Types[0], res.Types[1]
	if cl.Demand != "" || el.Demand != "age_60_plus" {
		t.Errorf("groups: clinic %q, elderly %q", cl.Demand, el.Demand)
	}
	approx(t, "clinic coverage", cl.Coverage, 0.5, tolM)
	approx(t, "elderly population", el.Population, 65, tolM)
	approx(t, "elderly covered", el.Covered, 60, tolM)
	approx(t, "elderly gap", el.Gap, 5, tolM)
	approx(t, "elderly coverage", el.Coverage, 60.0/65, tolM)
	if w, ok := GroupMissing(d, prof); ok {
		t.Errorf("group present, yet %v", w)
	}

	// Without the column, the type falls back to all residents, and says so.
	d.Groups = nil
	res = runAudit(t, in)
	approx(t, "fallback coverage", res.Types[1].Coverage, 0.5, tolM)
	if res.Types[1].Demand != "" {
		t.Errorf("fallback group %q", res.Types[1].Demand)
	}
	if w, ok := GroupMissing(d, prof); !ok || w.Code != WarnDemandGroupMissing || !strings.Contains(w.En, "elderly (age_60_plus)") {
		t.Errorf("missing group warning %v %v", w, ok)
	}

	// Rescale keeps the group's share.
	d2, _ := DemandFromPopulation(fs, nil, BuildingOptions{}, net)
	if err := d2.Rescale(400); err != nil {
		t.Fatal(err)
	}
	sumG = 0
	for _, v := range d2.Groups["age_60_plus"] {
		sumG += v
	}
	approx(t, "rescaled elderly", sumG, 130, 1e-6)

	bad := []PopFeature{{ID: "X", Geometry: mp(1, 0), Population: 3, Groups: map[string]float64{"age_60_plus": -1}}}
	if _, err := DemandFromPopulation(bad, nil, BuildingOptions{}, net); err == nil || !strings.Contains(err.Error(), `feature 0 ("X"): age_60_plus -1`) {
		t.Errorf("negative group: %v", err)
	}
}

func TestProfileDemandKey(t *testing.T) {
	prof := mustProfile(t, groupProfile)
	back, err := ParseProfile("back.yaml", prof.YAML())
	if err != nil {
		t.Fatal(err)
	}
	if back.Types[1].Demand != "age_60_plus" || back.Types[0].Demand != "" {
		t.Errorf("round trip: %q %q", back.Types[0].Demand, back.Types[1].Demand)
	}
	_, err = ParseProfile("bad.yaml", []byte(strings.Replace(groupProfile, "demand: age_60_plus", "demand: age 60", 1)))
	if err == nil || !strings.Contains(err.Error(), "demand must name a column") {
		t.Errorf("bad demand: %v", err)
	}
}

// TestWarningsTable triggers every warning by a hand-made input and
// checks it is absent on a clean one.
func TestWarningsTable(t *testing.T) {
	// Two street pieces: the main one (x 0..1000) and a cut-off piece of
	// 60 m at y = 500.
	net := toyNet(t, [][2]float64{{0, 0}, {1000, 0}}, [][2]float64{{200, 500}, {260, 500}})
	units := []Unit{{ID: "a", Name: "Alpha", Geometry: box(0, -100, 500, 600)}, {ID: "b", Name: "Beta", Geometry: box(500, -100, 1000, 100)}}
	cases := []struct {
		name string
		w    func() (Warning, bool)
		code string // "" = no warning
		text string
	}{
		{"estimate close", func() (Warning, bool) { return EstimateVsOfficial(1240, 1000, DemandBuildings, "--total-population") }, "", ""},
		{"estimate far above", func() (Warning, bool) { return EstimateVsOfficial(2600, 1000, DemandBuildings, "--total-population") }, WarnEstimateVsOfficial, "+160 %"},
		{"estimate far below", func() (Warning, bool) {
			return EstimateVsOfficial(700, 1000, DemandBuildings, "the unit counts of c.csv")
		}, WarnEstimateVsOfficial, "-30 % off the 1000 of the unit counts of c.csv"},
		{"tagging good", func() (Warning, bool) { return WeakTagging(1000, 500) }, "", ""},
		{"tagging at the threshold", func() (Warning, bool) { return WeakTagging(1000, 200) }, "", ""},
		{"tagging weak", func() (Warning, bool) { return WeakTagging(1000, 100) }, WarnWeakResidentialTagging, "only 10 %"},
		{"no buildings", func() (Warning, bool) { return WeakTagging(0, 0) }, "", ""},
		{"all connected", func() (Warning, bool) {
			d := toyDemand(resident{100, 10, 50}, resident{800, -10, 20})
			pos, snapped := SnapAll(net, d.Points, 250)
			return CutOffWarning(CutOff(net, pos, snapped, d.Pop, units, []int32{0, 1}))
		}, "", ""},
		{"cut off", func() (Warning, bool) {
			d := toyDemand(resident{100, 10, 50}, resident{230, 520, 303}, resident{800, -10, 20})
			pos, snapped := SnapAll(net, d.Points, 250)
			return CutOffWarning(CutOff(net, pos, snapped, d.Pop, units, []int32{0, 0, 1}))
		}, WarnCutOffResidents, "303 residents (1 demand points)"},
		{"units all inhabited", func() (Warning, bool) {
			return EmptyUnits("", units, []UnitResult{{Population: 3}, {Population: 1}})
		}, "", ""},
		{"unit empty", func() (Warning, bool) {
			return EmptyUnits("community", units, []UnitResult{{Population: 3}, {Population: 0}})
		}, WarnUnitsWithoutResidents, "level community: 1 of 2 units have no residents (Beta)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, ok := tc.w()
			if tc.code == "" {
				if ok {
					t.Fatalf("unexpected warning %+v", w)
				}
				return
			}
			if !ok || w.Code != tc.code || !strings.Contains(w.En, tc.text) || w.Zh == "" || w.Affects == "" {
				t.Fatalf("got %v %+v, want %s with %q", ok, w, tc.code, tc.text)
			}
		})
	}
}

// TestCutOffPieces checks the piece's size, residents and units.
func TestCutOffPieces(t *testing.T) {
	net := toyNet(t, [][2]float64{{0, 0}, {1000, 0}}, [][2]float64{{200, 500}, {260, 500}})
	units := []Unit{{ID: "a", Name: "Alpha"}, {ID: "b"}}
	d := toyDemand(resident{100, 10, 50}, resident{230, 520, 303}, resident{250, 480, 7})
	pos, snapped := SnapAll(net, d.Points, 250)
	ps := CutOff(net, pos, snapped, d.Pop, units, []int32{0, 0, 1})
	if len(ps) != 1 {
		t.Fatalf("pieces %+v", ps)
	}
	p := ps[0]
	if p.Nodes != 2 || p.Points != 2 || len(p.Units) != 2 || p.Units[0] != "Alpha" || p.Units[1] != "b" {
		t.Errorf("piece %+v", p)
	}
	approx(t, "residents", p.Residents, 310, tolM)
	approx(t, "length", p.LengthM, 60, 0.01)
}

// TestScenarioDemandGroup: a what-if edit updates a group type's figures
// by the group, as a fresh audit computes them.
func TestScenarioDemandGroup(t *testing.T) {
	prof := mustProfile(t, groupProfile)
	net := street1km(t)
	d := toyDemand(resident{100, 0, 100}, resident{900, 0, 100}, resident{500, 0, 50})
	d.Groups = map[string][]float64{"age_60_plus": {60, 5, 20}}
	in := AuditInput{Profile: prof, Net: net, Demand: d, MaxSnap: 250, MaxDistance: 5000,
		Facilities: []Facility{pointFacility("E", "elderly", 150, 10)}}
	sc, err := NewScenario(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Apply(Edit{Op: "add", Type: "elderly", Geometry: mp(880, 5)}); err != nil {
		t.Fatal(err)
	}
	in.Facilities = append(in.Facilities, pointFacility("E2", "elderly", 880, 5))
	want := runAudit(t, in).Types[1]
	sc.View(func(_ AuditInput, res *AuditResult, _ []bool) {
		got := res.Types[1]
		approx(t, "covered", got.Covered, want.Covered, 1e-9)
		approx(t, "coverage", got.Coverage, 65.0/85, 1e-9)
		approx(t, "mean distance", got.DistMean, want.DistMean, 1e-6)
	})
}
