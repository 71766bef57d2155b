package data

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/planner"
)

// forbidden lists, per type of gb50180 and independently of the profile's
// own exclusions, tags a counted facility must never have (issue 11).
var forbidden = map[string][]string{
	"clinic": {"amenity=dentist", "healthcare=dentist", "healthcare=blood_donation", "healthcare=alternative",
		"healthcare=laboratory", "healthcare=physiotherapist", "healthcare=psychotherapist", "healthcare=optometrist",
		"healthcare:speciality=osteopathy", "healthcare:speciality=hypnosis", "healthcare:speciality=plastic_surgery",
		"healthcare:speciality=dentistry", "amenity=pharmacy", "healthcare=pharmacy"},
	"elderly":    {"amenity=nursing_home", "social_facility=nursing_home", "social_facility=assisted_living"},
	"fitness":    {"leisure=sports_centre", "leisure=fitness_centre", "leisure=sports_hall", "leisure=swimming_pool", "leisure=dance", "sport=swimming", "indoor=yes", "leisure=pitch;sport=tennis", "leisure=pitch;sport=basketball", "leisure=pitch;sport=soccer"},
	"playground": {"indoor=yes"},
	"market":     {"shop=convenience"},
	"pitch":      {"indoor=yes", "access=private"},
}

// TestFacilitiesRealExtracts reads the facilities gb50180 counts in three
// real extracts (with its off-by-default types turned on) and checks each
// against its type's exclusions, the forbidden tags above, and a list of
// places looked up by hand.
func TestFacilitiesRealExtracts(t *testing.T) {
	const notCounted = ""
	tests := []struct {
		place, file string
		want        map[string]string // OSM name → the one type it is of, or notCounted
		counts      map[string]int    // facilities per type
	}{
		{"helsinki", "Helsinki.osm.pbf", map[string]string{
			"Sanomatalon veripalvelutoimisto":                 notCounted, // healthcare=blood_donation
			"Hypnoosi- ja luontaisterapeuttia Anneli Rusanen": notCounted, // hypnosis, herbalism
			"Osteopaatti Veikko Vuorela":                      notCounted, // healthcare=alternative
			"Osteopaatit Nora Seppä Petri Vuorjoki":           notCounted,
			"Postitalon Hammaslääkärit":                       notCounted, // dentist
			"Dextra":                                          notCounted, // plastic surgery
			"Elielinaukion röntgen":                           notCounted, // X-ray laboratory
			"Diacor Keskusta":                                 "clinic",   // amenity=doctors
			"Mehiläinen":                                      "clinic",
			"Vita Lääkäriasema":                               "clinic",
			"Bulevardin Klinikka":                             "clinic",
			"Yrjönkadun uimahalli":                            notCounted, // indoor swimming hall
			"Fitness 24Seven Hakaniemi":                       notCounted, // commercial gym
			"Somatic Studio":                                  notCounted, // dance/movement studio
			"UniSport, Kluuvi":                                notCounted, // university gym
			"Kaisaniemen tenniskentät":                        "pitch",
			"Leikkipaikka Kaisaniemi":                         "playground",
			"Hakaniemen Lihakauppa":                           "market", // butcher
			"Lidl":                                            "market",
		}, map[string]int{"clinic": 4, "fitness": 3, "market": 9, "playground": 5, "pitch": 6}},
		{"monaco_region_2016", "monaco.osm.pbf", map[string]string{
			"Centre Hospitalier de Menton - La Palmosa": "hospital",
			"Centre Cardio Thoracique de Monaco":        "hospital",
			"Monaco Fitness Center":                     notCounted, // indoor gym tagged sports_centre
			"Monte-Carlo Country Club":                  notCounted, // tennis club
			"Salle de la mer":                           notCounted,
			"Stade des Moneghetti":                      "pitch",
			"Boucherie des Arcades":                     "market",
			"Jardin Des Enfants":                        "playground",
		}, map[string]int{"hospital": 5, "market": 16, "playground": 11, "pitch": 60}},
		{"cn_beijing_bupt", "map.osm", map[string]string{
			"校医院（北京邮电大学社区卫生服务中心）": "clinic", // a community health centre mapped as amenity=hospital
			"北京中仁中医医院":            "hospital",
			"南区超市":                "market",
			"物美":                  "market",
			"体育场":                 "pitch",
		}, map[string]int{"clinic": 1, "fitness": 4, "hospital": 1, "market": 3, "pitch": 27}},
	}
	for _, tc := range tests {
		t.Run(tc.place, func(t *testing.T) {
			prof, err := LoadProfile("gb50180")
			if err != nil {
				t.Fatal(err)
			}
			if err := prof.Enable("hospital", "nursing_home", "pitch"); err != nil {
				t.Fatal(err)
			}
			in, err := ReadOSMInputs(context.Background(), shareddata.Path(t, tc.place, tc.file), OSMOptions{Profile: prof}, nil)
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]int{}
			byName := map[string][]string{}
			for _, f := range in.Facilities {
				counts[f.Type]++
				byName[f.Name] = append(byName[f.Name], f.Type)
				typ, _ := prof.Type(f.Type)
				get := func(k string) string { return f.Tags[k] }
				if f.Tags == nil || f.Rule == "" {
					t.Errorf("%s %s (%q): rule %q, tags %v", f.Type, f.ID, f.Name, f.Rule, f.Tags)
					continue
				}
				if sel, err := planner.ParseSelector(f.Rule); err != nil || !sel.Matches(get) ||
					!slices.ContainsFunc(typ.Selectors, func(s planner.Selector) bool { return s.String() == f.Rule }) {
					t.Errorf("%s %s (%q): rule %q is not a selector of the type that matches its tags %v", f.Type, f.ID, f.Name, f.Rule, f.Tags)
				}
				if ex := typ.Excluded(get); ex != "" {
					t.Errorf("%s %s (%q) counted although it falls under exclusion %q: %v", f.Type, f.ID, f.Name, ex, f.Tags)
				}
				for _, bad := range forbidden[f.Type] {
					if sel, _ := planner.ParseSelector(bad); sel.Matches(get) {
						t.Errorf("%s %s (%q) counted with %s: %v", f.Type, f.ID, f.Name, bad, f.Tags)
					}
				}
			}
			for name, want := range tc.want {
				got := byName[name]
				if (want == notCounted && len(got) > 0) || (want != notCounted && !slices.Equal(got, []string{want})) {
					t.Errorf("%q: counted as %v, want %q", name, got, want)
				}
			}
			for typ, n := range counts {
				if tc.counts[typ] != n {
					t.Errorf("%d %s facilities, want %d", n, typ, tc.counts[typ])
				}
			}
			for typ, n := range tc.counts {
				if counts[typ] != n {
					t.Errorf("%d %s facilities, want %d", counts[typ], typ, n)
				}
			}
			if t.Failed() {
				var lines []string
				for _, f := range in.Facilities {
					lines = append(lines, f.Type+" "+f.ID+" "+f.Name+" ["+f.Rule+"]")
				}
				t.Log(strings.Join(lines, "\n"))
			}
		})
	}
}
