package planner

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data/shareddata"
)

// tags returns a get function over a literal tag list "k=v", "k=v", ...
func tags(kv ...string) func(string) string {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

const minimalProfile = `id: mini
types:
  - id: clinic
    names: {en: Clinic}
    tier: 15
    threshold: 1000
    selectors: [amenity=clinic]
`

func TestParseProfileDefaults(t *testing.T) {
	p, err := ParseProfile("dir/my-profile.yaml", []byte(strings.Replace(minimalProfile, "id: mini\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	want := &Profile{ID: "my-profile", Types: []AmenityType{{
		ID: "clinic", Names: Names{En: "Clinic"}, Tier: 15, Threshold: 1000, Weight: 1,
		Selectors: []Selector{{All: []TagMatch{{Key: "amenity", Values: []string{"clinic"}}}}},
	}}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got %+v\nwant %+v", p, want)
	}
}

func TestParseProfileForms(t *testing.T) {
	// Accepted variants: a single selector as a string, anchors and aliases,
	// null names.zh, weight 0 on one type, no selectors, float threshold.
	text := `id: forms
names: {zh: 测试, en: Forms}
description: |
  two
  lines
types:
  - id: a
    names: &n {zh: ~, en: A}
    tier: 5
    threshold: 300.5
    weight: 0
    selectors: leisure=playground
  - id: b_2
    names: *n
    tier: 10
    threshold: 500
    weight: 2.5
    selectors: &s
      - " amenity = clinic | doctors ; healthcare != pharmacy "
  - id: c
    names: {en: C}
    tier: 15
    threshold: 1
    selectors: []
`
	p, err := ParseProfile("forms.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if p.Description != "two\nlines\n" || p.Names.Zh != "测试" {
		t.Errorf("profile fields: %+v", p)
	}
	a, _ := p.Type("a")
	b, _ := p.Type("b_2")
	c, _ := p.Type("c")
	if a.Weight != 0 || a.Threshold != 300.5 || a.Names != (Names{En: "A"}) || len(a.Selectors) != 1 {
		t.Errorf("type a: %+v", a)
	}
	if got := b.Selectors[0].String(); got != "amenity=clinic|doctors;healthcare!=pharmacy" || b.Weight != 2.5 || b.Names.En != "A" {
		t.Errorf("type b: %+v selector %q", b, got)
	}
	if len(c.Selectors) != 0 || c.Weight != 1 {
		t.Errorf("type c: %+v", c)
	}
	back, err := ParseProfile("again.yaml", p.YAML())
	if err != nil {
		t.Fatalf("reparse: %v\n%s", err, p.YAML())
	}
	if !reflect.DeepEqual(p, back) {
		t.Errorf("round trip differs:\n%+v\n%+v\n%s", p, back, p.YAML())
	}
}

func TestParseProfileErrors(t *testing.T) {
	// Each case replaces one line of this valid profile (or appends) and
	// expects a message at a given line.
	base := `id: bad
names: {en: Bad}
types:
  - id: clinic
    names:
      zh: 诊所
      en: Clinic
    tier: 15
    threshold: 1000
    weight: 1
    source: test
    selectors:
      - amenity=clinic
      - healthcare=*;healthcare!=pharmacy
`
	if _, err := ParseProfile("bad.yaml", []byte(base)); err != nil {
		t.Fatalf("base profile must parse: %v", err)
	}
	replace := func(line int, with string) string {
		lines := strings.Split(base, "\n")
		lines[line-1] = with
		return strings.Join(lines, "\n")
	}
	second := "  - id: play\n    names: {en: Play}\n    tier: 5\n    threshold: 300\n    selectors: [leisure=playground]\n"
	tests := []struct {
		name, text string
		want       []string // each must be in the error
	}{
		{"negative threshold", replace(9, "    threshold: -5"), []string{`bad.yaml:9: type "clinic": threshold must be > 0 metres, got -5`}},
		{"zero threshold", replace(9, "    threshold: 0"), []string{`bad.yaml:9: type "clinic": threshold must be > 0 metres`}},
		{"threshold in km", replace(9, "    threshold: 1km"), []string{`bad.yaml:9: type "clinic": threshold must be a number of metres, not "1km"`}},
		{"threshold too far", replace(9, "    threshold: 12000"), []string{`bad.yaml:9: type "clinic": threshold must be at most 5000 metres`}},
		{"threshold nan", replace(9, "    threshold: NaN"), []string{`bad.yaml:9: type "clinic": threshold must be > 0 metres, got NaN`}},
		{"threshold missing", replace(9, ""), []string{`bad.yaml:4: type "clinic": threshold is required`}},
		{"tier 20", replace(8, "    tier: 20"), []string{`bad.yaml:8: type "clinic": tier must be 5, 10 or 15 (minutes), got 20`}},
		{"tier fraction", replace(8, "    tier: 7.5"), []string{`bad.yaml:8: type "clinic": tier must be 5, 10 or 15`}},
		{"tier text", replace(8, "    tier: 15min"), []string{`bad.yaml:8: type "clinic": tier must be a number of minutes`}},
		{"tier missing", replace(8, ""), []string{`bad.yaml:4: type "clinic": tier is required`}},
		{"weight negative", replace(10, "    weight: -1"), []string{`bad.yaml:10: type "clinic": weight must be a number ≥ 0, got -1`}},
		{"all weights zero", replace(10, "    weight: 0"), []string{`bad.yaml:1: every type has weight 0`}},
		{"unknown field", replace(9, "    treshold: 1000"), []string{`bad.yaml:9: type "clinic": unknown field "treshold" (did you mean "threshold"?`, `bad.yaml:4: type "clinic": threshold is required`}},
		{"unknown top field", replace(2, "name: {en: Bad}"), []string{`bad.yaml:2: unknown field "name" (did you mean "names"?`}},
		{"unknown names field", replace(6, "      fr: Clinique"), []string{`bad.yaml:6: type "clinic": names: unknown field "fr"`}},
		{"repeated field", replace(10, "    tier: 5"), []string{`bad.yaml:10: type "clinic": field "tier" appears twice (first at line 8)`}},
		{"no en name", replace(7, ""), []string{`bad.yaml:5: type "clinic": names.en is required`}},
		{"empty id", replace(4, "  - id: \"\""), []string{`bad.yaml:4: type 1: id is required`}},
		{"no id", replace(4, "  - tier: 15") + "", []string{`type 1: id is required`, `field "tier" appears twice`}},
		{"id with capitals", replace(4, "  - id: Clinic"), []string{`bad.yaml:4: type "Clinic": id must be 1 to 40 characters of a-z, 0-9 and _`}},
		{"id with dash", replace(4, "  - id: health-station"), []string{`bad.yaml:4: type "health-station": id must be`}},
		{"duplicate id", base + strings.Replace(second, "id: play", "id: clinic", 1), []string{`bad.yaml:15: type "clinic": defined twice (first at line 4)`}},
		{"selector without =", replace(13, "      - amenity"), []string{`bad.yaml:13: type "clinic": selector 1 "amenity": condition "amenity" has no "="; write amenity=* for any value`}},
		{"selector ==", replace(13, "      - amenity==clinic"), []string{`bad.yaml:13: type "clinic": selector 1 "amenity==clinic": condition "amenity==clinic": value "=clinic" contains one of = ; |`}},
		{"selector stray semicolon", replace(14, "      - healthcare=*;"), []string{`bad.yaml:14: type "clinic": selector 2 "healthcare=*;": empty condition`}},
		{"selector only negative", replace(14, "      - healthcare!=pharmacy"), []string{`bad.yaml:14: type "clinic": selector 2 "healthcare!=pharmacy": selector "healthcare!=pharmacy" has only negative conditions`}},
		{"selector star and value", replace(13, "      - amenity=*|clinic"), []string{`bad.yaml:13: type "clinic": selector 1 "amenity=*|clinic": condition "amenity=*|clinic": "*" cannot be combined`}},
		{"selector mapping", replace(13, "      - amenity: clinic"), []string{`bad.yaml:13: type "clinic": selector 1 must be text such as amenity=clinic, not a mapping`}},
		{"selectors mapping", strings.Replace(base, "selectors:\n      - amenity=clinic\n      - healthcare=*;healthcare!=pharmacy", "selectors: {amenity: clinic}", 1), []string{`bad.yaml:12: type "clinic": selectors must be a list`}},
		{"yaml syntax", replace(9, "    threshold: [1000"), []string{`bad.yaml:`, `YAML syntax:`}},
		{"tab indent", replace(9, "\tthreshold: 1000"), []string{`bad.yaml:9: YAML syntax: found a tab character that violates indentation; indent with spaces, not tabs`}},
		{"types not a list", "id: x\ntypes:\n  clinic: 1\n", []string{`bad.yaml:3: types must be a list`}},
		{"no types field", "id: x\nnames: {en: X}\n", []string{`bad.yaml:1: no types: field`}},
		{"empty types", "id: x\ntypes: []\n", []string{`bad.yaml:1: no amenity types`}},
		{"type not a mapping", "id: x\ntypes:\n  - clinic\n", []string{`bad.yaml:3: type 1: must be a mapping`, `bad.yaml:3: type 1: id is required`}},
		{"scalar document", "just text\n", []string{`bad.yaml:1: a profile is a YAML mapping`}},
		{"list document", "- a\n- b\n", []string{`bad.yaml:1: a profile is a YAML mapping`}},
		{"empty file", "", []string{`bad.yaml: empty profile`}},
		{"only comments", "# nothing\n", []string{`bad.yaml: empty profile`}},
		{"two documents", base + "---\nid: other\n", []string{`bad.yaml:15: a second YAML document`}},
		{"bad profile id", replace(1, "id: my profile"), []string{`bad.yaml:1: profile id "my profile" must be letters`}},
		{"non-mapping key", replace(2, "? [a, b]\n: 1"), []string{`bad.yaml:2: a field name must be a plain word, not a list`}},
		{"several errors at once", replace(8, "    tier: 4") + strings.Replace(second, "threshold: 300", "threshold: -1", 1), []string{`bad.yaml:8: type "clinic": tier must be`, `bad.yaml:18: type "play": threshold must be > 0 metres, got -1`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseProfile("bad.yaml", []byte(tc.text))
			if err == nil {
				t.Fatalf("no error; parsed %+v", p)
			}
			if p != nil {
				t.Errorf("profile returned with an error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			var pe *ProfileError
			if !errors.As(err, &pe) {
				t.Errorf("error is not a *ProfileError: %T", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\ndoes not contain\n%s", err, w)
				}
			}
		})
	}
}

func TestParseProfileErrorCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("id: many\ntypes:\n")
	for range 50 {
		b.WriteString("  - id: x\n    names: {en: X}\n    tier: 3\n    threshold: 100\n")
	}
	_, err := ParseProfile("many.yaml", []byte(b.String()))
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxErrors+1 || !strings.Contains(lines[maxErrors], "further errors not shown") {
		t.Errorf("got %d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

func TestParseSelector(t *testing.T) {
	tests := []struct {
		in, want string // want "" = error
		errPart  string
	}{
		{"amenity=clinic", "amenity=clinic", ""},
		{"amenity=clinic|doctors|hospital", "amenity=clinic|doctors|hospital", ""},
		{"healthcare=*", "healthcare=*", ""},
		{"healthcare=*;healthcare!=pharmacy", "healthcare=*;healthcare!=pharmacy", ""},
		{" shop = supermarket | greengrocer ", "shop=supermarket|greengrocer", ""},
		{"amenity=social_facility;social_facility:for=senior|elderly", "amenity=social_facility;social_facility:for=senior|elderly", ""},
		{"leisure=playground;access!=*", "leisure=playground;access!=*", ""},
		{"name:zh=菜市场", "name:zh=菜市场", ""},
		{"shop=farm shop", "shop=farm shop", ""},
		{"", "", "empty selector"},
		{"   ", "", "empty selector"},
		{"amenity", "", `has no "="`},
		{"=clinic", "", "missing key"},
		{"!=clinic", "", "missing key"},
		{"amenity=", "", "has no value"},
		{"amenity=clinic;", "", "empty condition"},
		{";amenity=clinic", "", "empty condition"},
		{"amenity=clinic||doctors", "", "empty value"},
		{"amenity=clinic|", "", "empty value"},
		{"amenity==clinic", "", "contains one of"},
		{"amenity=*|clinic", "", `"*" cannot be combined`},
		{"amen ity=clinic", "", `contains ' '`},
		{"a*b=c", "", `contains '*'`},
		{"amenity!=clinic", "", "only negative conditions"},
		{"amenity!=*;shop!=*", "", "only negative conditions"},
		{"amenity=cl\x01inic", "", "control character"},
		{"amenity=\xff", "", "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			s, err := ParseSelector(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("no error; got %q", s.String())
				}
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.errPart) {
					t.Errorf("error %q: want ErrInvalid containing %q", err, tc.errPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.String() != tc.want {
				t.Errorf("String() = %q, want %q", s.String(), tc.want)
			}
			again, err := ParseSelector(s.String())
			if err != nil || !reflect.DeepEqual(again, s) {
				t.Errorf("reparse: %+v, %v", again, err)
			}
		})
	}
}

func TestSelectorJSON(t *testing.T) {
	s, err := ParseSelector("healthcare=*;healthcare!=pharmacy")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal([]Selector{s})
	if err != nil || string(b) != `["healthcare=*;healthcare!=pharmacy"]` {
		t.Fatalf("marshal: %s, %v", b, err)
	}
	var back []Selector
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back[0], s) {
		t.Fatalf("unmarshal: %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`["amenity"]`), &back); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad selector in JSON: %v", err)
	}
}

func TestBuiltinProfiles(t *testing.T) {
	ids := BuiltinProfiles()
	if len(ids) == 0 || ids[0] != DefaultProfile {
		t.Fatalf("BuiltinProfiles() = %v, want the default %q first", ids, DefaultProfile)
	}
	// Every embedded file is listed, and every listed id has a file.
	entries, err := builtinFS.ReadDir("profiles")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		files = append(files, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	if a, b := slices.Sorted(slices.Values(files)), slices.Sorted(slices.Values(ids)); !slices.Equal(a, b) {
		t.Errorf("embedded files %v, listed ids %v", a, b)
	}
	ids[0] = "changed" // a copy: must not change the list
	if BuiltinProfiles()[0] != DefaultProfile {
		t.Error("BuiltinProfiles returns its internal slice")
	}
	for _, id := range BuiltinProfiles() {
		t.Run(id, func(t *testing.T) {
			p, err := Builtin(id)
			if err != nil {
				t.Fatal(err)
			}
			if p.ID != id || p.Names.En == "" || p.Names.Zh == "" || p.Description == "" {
				t.Errorf("profile header: %+v", p)
			}
			if err := p.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			text := p.YAML()
			back, err := ParseProfile(id+".yaml", text)
			if err != nil {
				t.Fatalf("YAML() does not parse: %v\n%s", err, text)
			}
			if !reflect.DeepEqual(p, back) {
				t.Errorf("round trip differs:\n%+v\n%+v", p, back)
			}
			if again := back.YAML(); string(again) != string(text) {
				t.Errorf("YAML() not stable:\n%s\n---\n%s", text, again)
			}
			for _, typ := range p.Types {
				if typ.Source == "" || typ.Names.Zh == "" || typ.Weight != 1 || len(typ.Selectors) == 0 {
					t.Errorf("type %s incomplete: %+v", typ.ID, typ)
				}
			}
			// Fresh copy per call.
			p.Types[0].Threshold = 1
			if q, _ := Builtin(id); q.Types[0].Threshold == 1 {
				t.Error("Builtin returns shared state")
			}
		})
	}
}

func TestBuiltinValues(t *testing.T) {
	// DESIGN §6: the gb50180 table; 15min uses 1200 m for every type.
	want := map[string]struct {
		tier      int
		threshold float64
		zh        string
	}{
		"clinic":     {15, 1000, "社区卫生服务站/中心"},
		"elderly":    {5, 300, "老年人日间照料中心/托老站"},
		"market":     {10, 500, "菜市场/生鲜超市"},
		"fitness":    {5, 300, "健身路径/室外健身场地"},
		"playground": {5, 300, "儿童游乐场"},
	}
	order := []string{"clinic", "elderly", "market", "fitness", "playground"}
	gb, err := Builtin("")
	if err != nil {
		t.Fatal(err)
	}
	fifteen, err := Builtin("15min")
	if err != nil {
		t.Fatal(err)
	}
	if gb.ID != "gb50180" || !slices.Equal(gb.TypeIDs(), order) || !slices.Equal(fifteen.TypeIDs(), order) {
		t.Fatalf("ids: %s %v, 15min %v", gb.ID, gb.TypeIDs(), fifteen.TypeIDs())
	}
	for _, id := range order {
		w := want[id]
		g, _ := gb.Type(id)
		f, _ := fifteen.Type(id)
		if g.Tier != w.tier || g.Threshold != w.threshold || g.Names.Zh != w.zh || !strings.Contains(g.Source, "GB 50180-2018") {
			t.Errorf("gb50180 %s: %+v", id, g)
		}
		if f.Tier != 15 || f.Threshold != 1200 || !strings.Contains(f.Source, "1200 m") {
			t.Errorf("15min %s: %+v", id, f)
		}
		if !reflect.DeepEqual(f.Selectors, g.Selectors) || f.Names != g.Names {
			t.Errorf("15min %s differs from gb50180 beyond tier, threshold and source", id)
		}
	}
	if gb.MaxThreshold() != 1000 || fifteen.MaxThreshold() != 1200 {
		t.Errorf("MaxThreshold: %v, %v", gb.MaxThreshold(), fifteen.MaxThreshold())
	}
	if _, ok := gb.Type("school"); ok {
		t.Error("Type(school) found")
	}
	wantKeys := []string{"amenity", "healthcare", "shop", "leisure", "route"}
	if !slices.Equal(gb.Keys(), wantKeys) {
		t.Errorf("Keys() = %v, want %v", gb.Keys(), wantKeys)
	}
}

func TestMatch(t *testing.T) {
	p, err := Builtin("gb50180")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		tags func(string) string
		want []string
	}{
		{"clinic", tags("amenity=clinic", "name=社区卫生服务站"), []string{"clinic"}},
		{"doctors", tags("amenity=doctors"), []string{"clinic"}},
		{"hospital both tags", tags("amenity=hospital", "healthcare=hospital"), nil},
		{"community health centre mapped as hospital", tags("amenity=hospital", "healthcare=hospital", "name=校医院（北京邮电大学社区卫生服务中心）"), []string{"clinic"}},
		{"healthcare only", tags("healthcare=centre"), []string{"clinic"}},
		{"dentist by healthcare", tags("amenity=dentist", "healthcare=dentist"), nil},
		{"dentist tagged clinic", tags("amenity=clinic", "healthcare=dentist"), nil},
		{"blood donation", tags("healthcare=blood_donation"), nil},
		{"alternative medicine", tags("healthcare=alternative", "healthcare:speciality=osteopathy"), nil},
		{"hypnosis among specialities", tags("healthcare=clinic", "healthcare:speciality=hypnosis; herbalism"), nil},
		{"plastic surgery clinic", tags("amenity=clinic", "healthcare=yes", "healthcare:speciality=plastic_surgery"), nil},
		{"x-ray clinic by name", tags("amenity=clinic", "name=Elielinaukion röntgen"), nil},
		{"laboratory", tags("amenity=clinic", "healthcare=laboratory"), nil},
		{"physiotherapist", tags("healthcare=physiotherapist"), nil},
		{"general practice", tags("amenity=doctors", "healthcare=doctor", "healthcare:speciality=general"), []string{"clinic"}},
		{"pharmacy excluded", tags("amenity=pharmacy", "healthcare=pharmacy"), nil},
		{"pharmacy amenity only", tags("amenity=pharmacy"), nil},
		{"chemist", tags("shop=chemist"), nil},
		{"social facility for senior", tags("amenity=social_facility", "social_facility=day_care", "social_facility:for=senior"), []string{"elderly"}},
		{"senior among several", tags("amenity=social_facility", "social_facility=day_care", "social_facility:for=disabled;senior"), []string{"elderly"}},
		{"senior with spaces", tags("amenity=social_facility", "social_facility=day_care", "social_facility:for=disabled; senior"), []string{"elderly"}},
		{"elderly value", tags("amenity=social_facility", "social_facility=outreach", "social_facility:for=elderly"), []string{"elderly"}},
		{"senior facility of unknown kind", tags("amenity=social_facility", "social_facility:for=senior"), nil},
		{"nursing home as social facility", tags("amenity=social_facility", "social_facility=nursing_home", "social_facility:for=senior"), nil},
		{"assisted living", tags("amenity=social_facility", "social_facility=assisted_living", "social_facility:for=senior"), nil},
		{"day care for whom unknown", tags("amenity=social_facility", "social_facility=day_care"), []string{"elderly"}},
		{"child day care", tags("amenity=social_facility", "social_facility=day_care", "social_facility:for=child"), nil},
		{"outreach for diseased", tags("amenity=social_facility", "social_facility=outreach", "social_facility:for=diseased"), nil},
		{"senior tag without social facility", tags("social_facility:for=senior"), nil},
		{"nursing home", tags("amenity=nursing_home"), nil},
		{"day care in a nursing home", tags("amenity=nursing_home", "social_facility=day_care"), nil},
		{"marketplace", tags("amenity=marketplace"), []string{"market"}},
		{"supermarket", tags("shop=supermarket", "name=物美"), []string{"market"}},
		{"greengrocer", tags("shop=greengrocer"), []string{"market"}},
		{"convenience excluded", tags("shop=convenience"), nil},
		{"fitness station", tags("leisure=fitness_station"), []string{"fitness"}},
		{"basketball pitch", tags("leisure=pitch", "sport=basketball"), nil},
		{"outdoor fitness pitch", tags("leisure=pitch", "sport=fitness"), []string{"fitness"}},
		{"indoor fitness station", tags("leisure=fitness_station", "indoor=yes"), nil},
		{"swimming hall", tags("leisure=sports_centre", "sport=swimming"), nil},
		{"gym as sports centre", tags("leisure=sports_centre", "name=Fitness 24Seven Hakaniemi"), nil},
		{"calisthenics in a sports hall", tags("leisure=pitch", "sport=calisthenics", "building=yes"), nil},
		{"fitness trail", tags("type=route", "route=fitness_trail"), []string{"fitness"}},
		{"gym excluded", tags("leisure=fitness_centre"), nil},
		{"dance studio", tags("leisure=dance"), nil},
		{"playground", tags("leisure=playground"), []string{"playground"}},
		{"several types", tags("amenity=clinic", "shop=supermarket"), []string{"clinic", "market"}},
		{"no tags", tags(), nil},
		{"street", tags("highway=residential"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Match(tc.tags); !slices.Equal(got, tc.want) {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTagMatch(t *testing.T) {
	get := tags("a=x", "b=y;z")
	tests := []struct {
		m    TagMatch
		want bool
	}{
		{TagMatch{Key: "a"}, true},
		{TagMatch{Key: "c"}, false},
		{TagMatch{Key: "a", Not: true}, false},
		{TagMatch{Key: "c", Not: true}, true},
		{TagMatch{Key: "a", Values: []string{"x"}}, true},
		{TagMatch{Key: "a", Values: []string{"w", "x"}}, true},
		{TagMatch{Key: "a", Values: []string{"w"}}, false},
		{TagMatch{Key: "c", Values: []string{"x"}}, false},
		{TagMatch{Key: "a", Values: []string{"x"}, Not: true}, false},
		{TagMatch{Key: "a", Values: []string{"w"}, Not: true}, true},
		{TagMatch{Key: "c", Values: []string{"w"}, Not: true}, true},
		{TagMatch{Key: "b", Values: []string{"z"}}, true},
		{TagMatch{Key: "b", Values: []string{"y;z"}}, true},
		{TagMatch{Key: "b", Values: []string{"z"}, Not: true}, false},
		{TagMatch{Key: "b", Values: []string{"q"}, Not: true}, true},
	}
	for _, tc := range tests {
		if got := tc.m.Matches(get); got != tc.want {
			t.Errorf("%s on a=x, b=y;z: got %v", tc.m, got)
		}
	}
	if (Selector{}).Matches(get) {
		t.Error("empty selector matches")
	}
}

// TestMatchRealData classifies the amenity layers exported from real OSM
// extracts; the expected counts were read off the layers by hand (e.g.
// Helsinki's 21 health features include 6 pharmacies and 4 dentists tagged
// only amenity=dentist, its 16 markets 9 convenience shops, its 17 fitness
// sites 4 gyms).
func TestMatchRealData(t *testing.T) {
	p, err := Builtin("gb50180")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		place, layer, typ string
		features, matched int
	}{
		{"helsinki", "health", "clinic", 21, 4},       // 2 doctors, 2 clinics; not blood donation, therapists, dentists, cosmetic or X-ray
		{"helsinki", "elderly_care", "elderly", 2, 0}, // child day care and outreach
		{"helsinki", "market", "market", 16, 7},
		{"helsinki", "fitness", "fitness", 17, 3}, // fitness stations; not pitches, gyms, swimming hall, studio
		{"helsinki", "playground", "playground", 4, 4},
		{"cn_beijing_bupt", "health", "clinic", 2, 1}, // the campus community health centre; not the TCM hospital
		{"cn_beijing_bupt", "market", "market", 4, 3},
		{"cn_beijing_bupt", "fitness", "fitness", 28, 4}, // fitness stations; not basketball/tennis courts, tracks
	}
	for _, tc := range tests {
		t.Run(tc.place+"/"+tc.layer, func(t *testing.T) {
			b, err := os.ReadFile(shareddata.Path(t, tc.place, "layers", "amenity_"+tc.layer+".geojson"))
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
			matched := 0
			for _, f := range fc.Features {
				get := func(k string) string { s, _ := f.Properties[k].(string); return s }
				ids := p.Match(get)
				if slices.Contains(ids, tc.typ) {
					matched++
				}
				if slices.Contains(ids, "clinic") && get("amenity") == "pharmacy" {
					t.Errorf("pharmacy %v matched as clinic", f.Properties["name"])
				}
			}
			if len(fc.Features) != tc.features || matched != tc.matched {
				t.Errorf("%d features, %d matched %s; want %d, %d", len(fc.Features), matched, tc.typ, tc.features, tc.matched)
			}
		})
	}
}

func TestBuiltinUnknown(t *testing.T) {
	_, err := Builtin("gb5018")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "gb50180, 15min") {
		t.Errorf("unknown name: %v", err)
	}
	p, err := Builtin("")
	if err != nil || p.ID != DefaultProfile {
		t.Errorf("Builtin(\"\") = %+v, %v", p, err)
	}
}

func TestValidate(t *testing.T) {
	p, err := Builtin("gb50180")
	if err != nil {
		t.Fatal(err)
	}
	p.Types[0].Threshold = 0
	p.Types[1].ID = "clinic"
	p.Types[2].Selectors = append(p.Types[2].Selectors, Selector{All: []TagMatch{{Key: "shop", Not: true}}})
	err = p.Validate()
	for _, w := range []string{
		`profile "gb50180": type "clinic": threshold must be > 0 metres, got 0`,
		`type "clinic": defined twice (first at type 1)`,
		`type "market": selector 3: selector "shop!=*" has only negative conditions`,
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate() = %v, want %q", err, w)
		}
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("not ErrInvalid: %v", err)
	}
}

func TestYAMLFolding(t *testing.T) {
	long := strings.Repeat("word ", 40) + "end"
	p := &Profile{ID: "fold", Description: long, Types: []AmenityType{
		{ID: "a", Names: Names{En: "A"}, Tier: 5, Threshold: 300, Weight: 1, Source: "lifecircle-fold-0 " + long,
			Selectors: []Selector{{All: []TagMatch{{Key: "k", Values: []string{"lifecircle-fold-0"}}}}}},
	}}
	// The placeholder prefix appears in user text: folding must be off.
	text := string(p.YAML())
	if strings.Contains(text, ">-") {
		t.Errorf("folded although text contains the placeholder:\n%s", text)
	}
	back, err := ParseProfile("fold.yaml", []byte(text))
	if err != nil || !reflect.DeepEqual(back, p) {
		t.Fatalf("round trip: %v\n%s", err, text)
	}
	p.Types[0].Source = "short"
	p.Types[0].Selectors = nil
	text = string(p.YAML())
	for line := range strings.Lines(text) {
		if !strings.HasPrefix(line, "#") && len(line) > foldWidth+1 {
			t.Errorf("line longer than %d: %q", foldWidth, line)
		}
	}
	if back, err := ParseProfile("fold.yaml", []byte(text)); err != nil || !reflect.DeepEqual(back, p) {
		t.Fatalf("round trip: %v\n%s", err, text)
	}
}

func FuzzParseProfile(f *testing.F) {
	for _, id := range BuiltinProfiles() {
		b, _ := builtinFS.ReadFile("profiles/" + id + ".yaml")
		f.Add(b)
	}
	f.Add([]byte(minimalProfile))
	f.Add([]byte("id: x\ntypes:\n  - id: a\n    names: &n {en: A}\n    tier: 5\n    threshold: 1e2\n    weight: 0.5\n    selectors: k=v\n  - id: b\n    names: *n\n    tier: 10\n    threshold: 1\n    selectors: []\n"))
	f.Add([]byte("- a\n"))
	f.Add([]byte("a: [1,\n"))
	f.Add([]byte("id: x\n---\nid: y\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProfile("fuzz.yaml", b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed profile fails Validate: %v", err)
		}
		text := p.YAML()
		back, err := ParseProfile("fuzz.yaml", text)
		if err != nil {
			t.Fatalf("YAML() does not parse: %v\n%s", err, text)
		}
		if !reflect.DeepEqual(p, back) {
			t.Fatalf("round trip differs:\n%#v\n%#v\n%s", p, back, text)
		}
	})
}

func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"amenity=clinic|doctors", "healthcare=*;healthcare!=pharmacy", " a = b ", "a!=*;b=c", "a==b", "", ";", "name~röntgen|x-ray;amenity!~z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseSelector(s)
		if err != nil {
			return
		}
		back, err := ParseSelector(sel.String())
		if err != nil || !reflect.DeepEqual(back, sel) {
			t.Fatalf("%q -> %q -> %+v, %v", s, sel.String(), back, err)
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	p, err := Builtin("gb50180")
	if err != nil {
		b.Fatal(err)
	}
	elems := []func(string) string{
		tags("highway=residential", "name=Mannerheimintie"),
		tags("building=yes", "building:levels=5"),
		tags("amenity=pharmacy", "healthcare=pharmacy"),
		tags("amenity=social_facility", "social_facility:for=disabled;senior"),
		tags("leisure=playground"),
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p.Match(elems[i%len(elems)])
	}
}

func TestParseProfileCRLFAndBOM(t *testing.T) {
	want, err := ParseProfile("mini.yaml", []byte(minimalProfile))
	if err != nil {
		t.Fatal(err)
	}
	crlf := "\ufeff" + strings.ReplaceAll(minimalProfile, "\n", "\r\n")
	got, err := ParseProfile("mini.yaml", []byte(crlf))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("CRLF with BOM: %+v, %v", got, err)
	}
	_, err = ParseProfile("mini.yaml", []byte(strings.ReplaceAll(strings.Replace(minimalProfile, "1000", "-1", 1), "\n", "\r\n")))
	if err == nil || !strings.Contains(err.Error(), "mini.yaml:6:") {
		t.Errorf("CRLF line numbers: %v", err)
	}
}

func TestExcludeAndOffTypes(t *testing.T) {
	text := minimalProfile + `    exclude: [healthcare=dentist, name~röntgen]
  - id: hospital
    names: {en: Hospital}
    tier: 15
    threshold: 1000
    selectors: [amenity=hospital]
    enabled: false
`
	p, err := ParseProfile("off.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.TypeIDs(), []string{"clinic"}) || len(p.Off) != 1 || p.Off[0].ID != "hospital" {
		t.Fatalf("types %v, off %+v", p.TypeIDs(), p.Off)
	}
	clinic, _ := p.Type("clinic")
	if got := []string{clinic.Exclude[0].String(), clinic.Exclude[1].String()}; !slices.Equal(got, []string{"healthcare=dentist", "name~röntgen"}) {
		t.Errorf("exclude = %v", got)
	}
	cases := []struct {
		tags func(string) string
		want []TypeMatch
	}{
		{tags("amenity=clinic"), []TypeMatch{{"clinic", "amenity=clinic"}}},
		{tags("amenity=clinic", "healthcare=dentist"), nil},
		{tags("amenity=clinic", "name=Elielinaukion RÖNTGEN"), nil},
		{tags("amenity=hospital"), nil}, // off
	}
	for _, c := range cases {
		if got := p.MatchRules(c.tags); !reflect.DeepEqual(got, c.want) {
			t.Errorf("MatchRules = %v, want %v", got, c.want)
		}
	}
	back, err := ParseProfile("off.yaml", p.YAML())
	if err != nil || !reflect.DeepEqual(back, p) {
		t.Fatalf("round trip: %v\n%s", err, p.YAML())
	}
	if !strings.Contains(string(p.YAML()), "enabled: false") {
		t.Errorf("YAML lacks enabled: false:\n%s", p.YAML())
	}
	if err := p.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if err := p.Enable("school"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "clinic, hospital") {
		t.Errorf("Enable(school) = %v", err)
	}
	if err := p.Enable("hospital", "clinic"); err != nil || !slices.Equal(p.TypeIDs(), []string{"clinic", "hospital"}) || p.Off != nil {
		t.Fatalf("Enable: %v, types %v, off %v", err, p.TypeIDs(), p.Off)
	}
	if got := p.MatchRules(tags("amenity=hospital")); !reflect.DeepEqual(got, []TypeMatch{{"hospital", "amenity=hospital"}}) {
		t.Errorf("after Enable, MatchRules = %v", got)
	}

	bad := []struct{ name, text, want string }{
		{"enabled not bool", strings.Replace(text, "enabled: false", "enabled: maybe", 1), `off.yaml:14: type "hospital": enabled must be true or false`},
		{"bad exclusion", strings.Replace(text, "name~röntgen", "name~", 1), `type "clinic": exclusion 2 "name~"`},
		{"negative exclusion", strings.Replace(text, "name~röntgen", "name!=x", 1), "only negative conditions"},
		{"all off", strings.Replace(text, "    selectors: [amenity=clinic]\n", "    selectors: [amenity=clinic]\n    enabled: false\n", 1), "every type has enabled: false"},
		{"rule on an off type", text + "rules:\n  - {type: hospital, min: 1}\n", `rule 1: type "hospital" has enabled: false`},
		{"duplicate across on and off", strings.Replace(text, "id: hospital", "id: clinic", 1), `type "clinic": defined twice`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseProfile("off.yaml", []byte(tc.text))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestContainsCondition(t *testing.T) {
	get := tags("name=Elielinaukion Röntgen", "amenity=clinic")
	for _, tc := range []struct {
		sel  string
		want bool
	}{
		{"name~röntgen", true},
		{"name~x-ray|RÖNTGEN", true},
		{"name~lab", false},
		{"name!~lab;amenity=clinic", true},
		{"name!~röntgen;amenity=clinic", false},
		{"ref~1;amenity=clinic", false},
		{"ref!~1;amenity=clinic", true},
	} {
		s, err := ParseSelector(tc.sel)
		if err != nil {
			t.Fatalf("%s: %v", tc.sel, err)
		}
		if s.String() != tc.sel {
			t.Errorf("%s prints as %s", tc.sel, s)
		}
		if got := s.Matches(get); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.sel, got, tc.want)
		}
	}
	for _, bad := range []string{"name~*", "name~", "na~me~x=y"} {
		if _, err := ParseSelector(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
