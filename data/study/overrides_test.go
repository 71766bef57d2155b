package study

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data"
)

// overrideCase writes a hand-made study: one straight street along
// latitude 39.9 from lon 116.300 to 116.330 (0.001° ≈ 85.4 m), residents
// A (100) at 116.301, B (200) at 116.315 and C (400) at 116.329 on it, a
// clinic c1 at 116.300 and a market m1 at 116.315. Clinics count within
// 1000 m (gb50180): c1 reaches A only (85 m; B is 1281 m away).
func overrideCase(t *testing.T) (Settings, string) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	s := Defaults()
	s.Network = write("street.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[116.300,39.9],[116.330,39.9]]}}]}`)
	s.Population = write("people.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","id":"A","properties":{"population":100},"geometry":{"type":"Point","coordinates":[116.301,39.9]}},
{"type":"Feature","id":"B","properties":{"population":200},"geometry":{"type":"Point","coordinates":[116.315,39.9]}},
{"type":"Feature","id":"C","properties":{"population":400},"geometry":{"type":"Point","coordinates":[116.329,39.9]}}]}`)
	s.Amenities = []string{write("stations.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","id":"c1","properties":{"type":"clinic","name":"West clinic"},"geometry":{"type":"Point","coordinates":[116.300,39.9]}},
{"type":"Feature","id":"m1","properties":{"type":"market","name":"Middle market"},"geometry":{"type":"Point","coordinates":[116.315,39.9]}}]}`)}
	return s, dir
}

// covered audits s and returns the residents covered per type.
func covered(t *testing.T, s Settings) (map[string]float64, *Study) {
	t.Helper()
	st, err := Load(context.Background(), s, FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, ty := range res.Types {
		out[ty.ID] = ty.Covered
	}
	return out, st
}

func TestFacilityOverridesCoverage(t *testing.T) {
	base, dir := overrideCase(t)
	got, _ := covered(t, base)
	// Markets count within 500 m: m1 reaches B only (A and C are 1195 m away).
	if got["clinic"] != 100 || got["market"] != 200 {
		t.Fatalf("without overrides: clinic covers %v (want A = 100), market %v (want B = 200)", got["clinic"], got["market"])
	}
	cases := []struct {
		name, csv                   string
		clinic, market              float64
		excluded, included, retyped int
		clinicOverrides             data.TypeOverrides
		wantRule                    string // rule of the clinic at the listed id
		ruleID                      string
	}{
		{name: "exclude the only clinic", csv: "id,action,type,reason\nc1,exclude,,closed in 2024\n",
			clinic: 0, market: got["market"], excluded: 1, clinicOverrides: data.TypeOverrides{Excluded: 1}},
		{name: "include a clinic point at C", csv: "id,action,type,reason,lon,lat,name\nnew1,include,clinic,opened 2025,116.329,39.9,East clinic\n",
			clinic: 100 + 400, market: got["market"], included: 1, clinicOverrides: data.TypeOverrides{Included: 1},
			ruleID: "new1", wantRule: "overrides.csv line 2: include (opened 2025)"},
		{name: "retype the market to a clinic", csv: "id,action,type,reason\nm1,retype,clinic,is a health station\n",
			clinic: 100 + 200, market: 0, retyped: 1, clinicOverrides: data.TypeOverrides{RetypedIn: 1},
			ruleID: "m1", wantRule: "overrides.csv line 2: retype (is a health station), was market by type=market"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			s.FacilityOverrides = filepath.Join(dir, "overrides.csv")
			if err := os.WriteFile(s.FacilityOverrides, []byte(tc.csv), 0o644); err != nil {
				t.Fatal(err)
			}
			got, st := covered(t, s)
			if math.Abs(got["clinic"]-tc.clinic) > 1e-9 || math.Abs(got["market"]-tc.market) > 1e-9 {
				t.Errorf("clinic covers %v, market %v; want %v and %v", got["clinic"], got["market"], tc.clinic, tc.market)
			}
			o := st.Meta.FacilityOverrides
			if o == nil || o.File != "overrides.csv" || o.Excluded != tc.excluded || o.Included != tc.included || o.Retyped != tc.retyped {
				t.Fatalf("summary %+v", o)
			}
			if c := o.Type("clinic"); c == nil || *c != tc.clinicOverrides {
				t.Errorf("clinic overrides %v, want %+v", c, tc.clinicOverrides)
			}
			if tc.ruleID != "" {
				found := false
				for _, f := range st.In.Facilities {
					if f.ID == tc.ruleID && f.Type == "clinic" {
						found = true
						if f.Rule != tc.wantRule {
							t.Errorf("rule %q, want %q", f.Rule, tc.wantRule)
						}
					}
				}
				if !found {
					t.Errorf("no clinic %s after the overrides", tc.ruleID)
				}
			}
		})
	}
}

func TestFacilityOverridesErrors(t *testing.T) {
	base, dir := overrideCase(t)
	cases := []struct{ name, csv, want string }{
		{"unknown id", "id,action,type,reason\nc1,exclude,,\nzz9,exclude,,gone\n", "overrides.csv:3: exclude zz9: no facility has this id"},
		{"unknown type", "id,action,type,reason\nm1,retype,library,\n", `overrides.csv:2: unknown type "library" — profile gb50180 has: clinic`},
		{"off-by-default type", "id,action,type,reason\nm1,retype,hospital,\n", "overrides.csv:2: type hospital of profile gb50180 is off by default — turn it on with --types hospital"},
		{"bad action", "id,action,type,reason\n\nc1,remove,,\n", `overrides.csv:3: unknown action "remove" for c1 — use exclude, include or retype`},
		{"include without coordinates", "id,action,type,reason\nx1,include,clinic,new\n", "overrides.csv:2: include x1: no facility has this id, so lon and lat are needed"},
		{"duplicate id", "id,action,type,reason\nc1,exclude,,\nm1,exclude,,\nc1,retype,market,\n", "overrides.csv:4: c1 already has a line (line 2) — keep one line per id"},
		{"retype without type", "id,action,type,reason\nc1,retype,,\n", "overrides.csv:2: retype c1 needs a type"},
		{"include already counted", "id,action,type,reason\nc1,include,clinic,\n", "overrides.csv:2: include c1 as clinic: it is already counted as clinic"},
		{"bad coordinates", "id,action,type,reason,lon,lat\nx1,include,clinic,,39.9,216.3\n", "overrides.csv:2: lon \"39.9\", lat \"216.3\" are not"},
		{"unknown column", "id,action,type,why\n", `overrides.csv:1: unknown column "why"`},
		{"empty file", "", "overrides.csv: the file is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			s.FacilityOverrides = filepath.Join(dir, "overrides.csv")
			if err := os.WriteFile(s.FacilityOverrides, []byte(tc.csv), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(context.Background(), s, FileSource{}, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestFacilityOverridesOutputs checks that the outputs say why each
// facility counts: facilities.geojson carries a layer facility's rule and
// source, an included one's overrides line, and summary.json the counts.
func TestFacilityOverridesOutputs(t *testing.T) {
	s, dir := overrideCase(t)
	s.FacilityOverrides = filepath.Join(dir, "fixes.csv")
	if err := os.WriteFile(s.FacilityOverrides, []byte("id,action,type,reason,lon,lat,name\nnew1,include,clinic,opened 2025,116.329,39.9,East clinic\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := Load(context.Background(), s, FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := st.Write(out, res); err != nil {
		t.Fatal(err)
	}
	a, err := data.ReadAudit(out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{"c1": {"type=clinic", "stations.geojson"}, "m1": {"type=market", "stations.geojson"},
		"new1": {"fixes.csv line 2: include (opened 2025)", "fixes.csv"}}
	if len(a.Facilities) != len(want) {
		t.Fatalf("%d facilities, want %d", len(a.Facilities), len(want))
	}
	for _, f := range a.Facilities {
		if w := want[f.ID]; f.Rule != w[0] || f.Source != w[1] || f.Tags != nil {
			t.Errorf("facility %s: rule %q, source %q, tags %v; want %q, %q, null", f.ID, f.Rule, f.Source, f.Tags, w[0], w[1])
		}
	}
	if o := a.Summary.FacilityOverrides; o == nil || o.File != "fixes.csv" || o.Included != 1 {
		t.Errorf("summary.json facility_overrides %+v", o)
	}
	for _, ty := range a.Summary.Types {
		if (ty.ID == "clinic") != (ty.Overrides != nil) || (ty.Overrides != nil && ty.Overrides.Included != 1) {
			t.Errorf("summary.json type %s: facility_overrides %+v", ty.ID, ty.Overrides)
		}
	}
	report, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil || !strings.Contains(string(report), "1 included") {
		t.Errorf("report.html does not show the override next to the clinic count (%v)", err)
	}
}
