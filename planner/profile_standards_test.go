package planner

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data/shareddata"
)

// allTypes returns a profile's types, those turned off included.
func allTypes(p *Profile) []AmenityType {
	return append(slices.Clip(p.Types), p.Off...)
}

// TestBuiltinSources checks that every type of every built-in profile, off
// or on, says where its threshold and selectors come from, and that the
// standards' profiles cite their standard and the OSM wiki, marking what
// could not be confirmed.
func TestBuiltinSources(t *testing.T) {
	cite := map[string]string{"gb50180": "GB 50180-2018", "gb50180-full": "GB 50180-2018", "tdt1062": "TD/T 1062-2021"}
	for _, id := range BuiltinProfiles() {
		p, err := Builtin(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, typ := range allTypes(p) {
			if strings.TrimSpace(typ.Source) == "" || typ.Names.Zh == "" || typ.Names.En == "" || len(typ.Selectors) == 0 || typ.Weight != 1 {
				t.Errorf("%s/%s incomplete: %+v", id, typ.ID, typ)
			}
			if !strings.Contains(typ.Source, "OSM wiki:") {
				t.Errorf("%s/%s: source cites no OSM wiki page: %q", id, typ.ID, typ.Source)
			}
			if c := cite[id]; c != "" && !strings.Contains(typ.Source, c) {
				t.Errorf("%s/%s: source does not cite %s: %q", id, typ.ID, c, typ.Source)
			}
			// The guide's text could not be consulted: every value says so.
			if id == "tdt1062" && !strings.Contains(typ.Source, "Unconfirmed:") {
				t.Errorf("tdt1062/%s: source does not say its value is unconfirmed: %q", typ.ID, typ.Source)
			}
		}
	}
}

// TestStandardProfilesShape checks tiers, thresholds and the selectors the
// standards' profiles share with gb50180.
func TestStandardProfilesShape(t *testing.T) {
	gb, err := Builtin("gb50180")
	if err != nil {
		t.Fatal(err)
	}
	shared := map[string]AmenityType{}
	for _, typ := range allTypes(gb) {
		shared[typ.ID] = typ
	}
	tierDist := map[string]map[int]float64{
		"gb50180-full": {15: 1000, 10: 500, 5: 300},
		"tdt1062":      {15: 1000, 10: 500},
	}
	wantTypes := map[string][]string{
		"gb50180-full": {"middle_school", "clinic", "nursing_home", "culture_centre", "community_centre", "sports_large", "primary_school", "market", "pitch", "kindergarten", "nursery", "health_station", "elderly", "culture_station", "community_station", "fitness", "playground"},
		"tdt1062":      {"middle_school", "primary_school", "clinic", "nursing_home", "culture_centre", "community_centre", "sports_large", "market", "kindergarten", "nursery", "health_station", "elderly", "culture_station", "community_station", "pitch", "fitness", "playground"},
	}
	for id, dist := range tierDist {
		p, err := Builtin(id)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.TypeIDs(), wantTypes[id]) {
			t.Errorf("%s types %v, want %v", id, p.TypeIDs(), wantTypes[id])
		}
		if len(p.Rules) != 0 {
			t.Errorf("%s has provision rules, but no per-population figure was confirmed: %+v", id, p.Rules)
		}
		clinic, _ := p.Type("clinic")
		for _, typ := range allTypes(p) {
			if d, ok := dist[typ.Tier]; !ok || typ.Threshold != d {
				t.Errorf("%s/%s: tier %d, threshold %v; want the tier's distance %v", id, typ.ID, typ.Tier, typ.Threshold, dist)
			}
			if g, ok := shared[typ.ID]; ok && (!reflect.DeepEqual(g.Selectors, typ.Selectors) || !reflect.DeepEqual(g.Exclude, typ.Exclude)) {
				t.Errorf("%s/%s: selectors or exclusions differ from gb50180's", id, typ.ID)
			}
		}
		if hs, _ := p.Type("health_station"); !reflect.DeepEqual(hs.Selectors, clinic.Selectors) || !reflect.DeepEqual(hs.Exclude, clinic.Exclude) {
			t.Errorf("%s: health_station selectors differ from clinic's", id)
		}
	}
	full, _ := Builtin("gb50180-full")
	if len(full.Off) != 1 || full.Off[0].ID != "hospital" {
		t.Errorf("gb50180-full off types: %+v", full.Off)
	}
}

// TestStandardProfilesMatch classifies hand-written elements: what each new
// type counts and what it must not.
func TestStandardProfilesMatch(t *testing.T) {
	p, err := Builtin("gb50180-full")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		tags func(string) string
		want []string
	}{
		{"kindergarten", tags("amenity=kindergarten", "name=Päiväkoti Kaisa"), []string{"kindergarten"}},
		{"maternelle tagged school", tags("amenity=school", "name=École maternelle La Plage"), []string{"kindergarten"}},
		{"ISCED 0 school", tags("amenity=school", "isced:level=0"), []string{"kindergarten"}},
		{"primary by level", tags("amenity=school", "isced:level=1"), []string{"primary_school"}},
		{"primary and lower secondary", tags("amenity=school", "isced:level=1;2"), []string{"middle_school", "primary_school"}},
		{"Chinese primary", tags("amenity=school", "name=北京市海淀区实验小学"), []string{"primary_school"}},
		{"Finnish primary", tags("amenity=school", "name=Kaisaniemen ala-aste"), []string{"primary_school"}},
		{"Chinese middle school", tags("amenity=school", "name=北京邮电大学附属中学"), []string{"middle_school"}},
		{"collège", tags("amenity=school", "name=Collège privé Saint-Joseph"), []string{"middle_school"}},
		{"senior high only", tags("amenity=school", "name=北京市第八十高级中学"), nil},
		{"lycée", tags("amenity=school", "name=Lycée Albert-1er"), nil},
		{"lukio", tags("amenity=school", "name=Ressun lukio"), nil},
		{"school of unknown level", tags("amenity=school", "name=École de Fontvieille"), nil},
		{"university", tags("amenity=university", "name=北京邮电大学"), nil},
		{"nursery", tags("amenity=childcare", "name=托儿所"), []string{"nursery"}},
		{"after-school care", tags("amenity=childcare", "after_school=yes"), nil},
		{"community centre", tags("amenity=community_centre", "name=Avoin olohuone"), []string{"culture_station"}},
		{"Chinese culture centre", tags("amenity=community_centre", "name=学院路街道文化活动中心"), []string{"culture_centre", "culture_station"}},
		{"concert hall", tags("amenity=arts_centre", "name=Musiikkitalo"), nil},
		{"gallery", tags("amenity=arts_centre", "name=Helsinki Contemporary"), nil},
		{"community service centre", tags("office=government", "name=学院路街道社区服务中心"), []string{"community_centre", "community_station"}},
		{"residents' committee", tags("office=government", "name=北太平庄社区居委会"), []string{"community_station"}},
		{"town hall", tags("amenity=townhall", "name=Helsingin kaupungintalo"), nil},
		{"stadium", tags("leisure=stadium", "name=Sonera Stadium"), []string{"sports_large"}},
		{"running track", tags("leisure=track", "sport=athletics"), []string{"sports_large", "pitch"}},
		{"private track", tags("leisure=track", "access=private"), nil},
		{"gym as sports centre", tags("leisure=sports_centre", "name=Fitness 24Seven Hakaniemi"), nil},
		{"swimming hall", tags("leisure=sports_centre", "sport=swimming"), nil},
		{"basketball court", tags("leisure=pitch", "sport=basketball"), []string{"pitch"}},
		{"nursing home", tags("amenity=nursing_home"), []string{"nursing_home"}},
		{"day care", tags("amenity=social_facility", "social_facility=day_care", "social_facility:for=senior"), []string{"elderly"}},
		{"clinic is centre and station", tags("amenity=clinic"), []string{"clinic", "health_station"}},
		{"dentist", tags("amenity=clinic", "healthcare=dentist"), nil},
		{"hospital (off)", tags("amenity=hospital"), nil},
	}
	for _, c := range cases {
		got := p.Match(c.tags)
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: matched %v, want %v", c.name, got, want)
		}
	}
	// tdt1062 uses the same selectors: spot-check one of each kind.
	tdt, err := Builtin("tdt1062")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		a, b := p.Match(c.tags), tdt.Match(c.tags)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("%s: gb50180-full %v, tdt1062 %v", c.name, a, b)
		}
	}
}

// TestStandardProfilesRealSchools classifies the school layers of real
// extracts; the expected names were read off the layers by hand.
func TestStandardProfilesRealSchools(t *testing.T) {
	p, err := Builtin("gb50180-full")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		place string
		want  map[string][]string // type → names, sorted
	}{
		{"helsinki", map[string][]string{
			"primary_school": {"Kaisaniemen ala-aste"},
			"middle_school":  {"Kruununhaan yläasteen koulu"},
			// Ressun lukio is an upper secondary school: not counted
		}},
		{"monaco_region_2016", map[string][]string{
			"kindergarten":   {"École maternelle La Plage", "École maternelle Manon des Sources"},
			"primary_school": {"École primaire Gianton", "École primaire Pagnol", "École primaire Rataou", "École primaire privée Saint-Joseph Carnoles", "École élémentaire Cigales de mer", "École élémentaire La Plage"},
			"middle_school":  {"Collège privé Institution Saint-Joseph Carnolès", "Collège privé Saint-Joseph Carnolès"},
			// lycées, the vocational section and the four "École de …" whose
			// level the tags and names do not tell are not counted
		}},
	}
	for _, tc := range tests {
		t.Run(tc.place, func(t *testing.T) {
			b, err := os.ReadFile(shareddata.Path(t, tc.place, "layers", "amenity_school.geojson"))
			if err != nil {
				t.Fatal(err)
			}
			var fc struct {
				Features []struct {
					Properties map[string]any `json:"properties"`
				} `json:"features"`
			}
			if err := json.Unmarshal(b, &fc); err != nil {
				t.Fatal(err)
			}
			got := map[string][]string{}
			for _, f := range fc.Features {
				get := func(k string) string { s, _ := f.Properties[k].(string); return s }
				for _, id := range p.Match(get) {
					got[id] = append(got[id], get("name"))
				}
			}
			for id := range got {
				slices.Sort(got[id])
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("matched %v\nwant    %v", got, tc.want)
			}
		})
	}
}
