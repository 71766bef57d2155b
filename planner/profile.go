package planner

import (
	"embed"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultProfile is the id of the built-in profile used when none is named.
const DefaultProfile = "gb50180"

// MaxThreshold is the largest walking threshold a profile may set, in
// metres. Beyond it an amenity is no longer a walk-up amenity and the
// bounded searches of an audit stop being cheap.
const MaxThreshold = 5000.0

const (
	// MaxProfileBytes is the largest profile file read: profiles are a few kB.
	MaxProfileBytes = 4 << 20
	maxTypeIDLen    = 40
	maxErrors       = 20 // errors reported by one ParseProfile call
)

//go:embed profiles/*.yaml
var builtinFS embed.FS

// builtinIDs lists the embedded profiles, the default first.
var builtinIDs = []string{"gb50180", "15min", "gb50180-full", "tdt1062"}

// Names is a bilingual label: Zh in Chinese (optional), En in English.
type Names struct {
	Zh string `yaml:"zh" json:"zh,omitempty"`
	En string `yaml:"en" json:"en,omitempty"`
}

// String returns "En / Zh", or whichever of the two is set.
func (n Names) String() string {
	switch {
	case n.En != "" && n.Zh != "":
		return n.En + " / " + n.Zh
	case n.En != "":
		return n.En
	default:
		return n.Zh
	}
}

// An AmenityType is one kind of everyday amenity (a clinic, a playground)
// with the walking distance within which residents count as served.
type AmenityType struct {
	// ID is lower-case [a-z0-9_]; it appears in column names such as
	// coverage_<id>.
	ID    string `json:"id"`
	Names Names  `json:"names"`
	// Tier is the life-circle tier in minutes of walking: 5, 10 or 15.
	Tier int `json:"tier"`
	// Threshold is the walking distance in metres, in (0, MaxThreshold].
	Threshold float64 `json:"threshold_m"`
	// Weight is the type's weight in completeness (default 1, ≥ 0).
	Weight float64 `json:"weight"`
	// Source says where the threshold comes from.
	Source string `json:"source,omitempty"`
	// Selectors map OSM elements to the type: an element is of this type
	// when any selector matches it. A type without selectors only takes
	// facilities from user layers that name the type.
	Selectors []Selector `json:"selectors"`
	// Exclude lists selectors of elements that are never of this type,
	// even when a selector matches them (a dentist tagged amenity=clinic,
	// an indoor gym tagged leisure=fitness_centre).
	Exclude []Selector `json:"exclude,omitempty"`
	// Demand names the resident group the type serves: a column of the
	// population layer (age_60_plus, age_0_14, …) whose residents the
	// type's coverage counts; "" counts all residents.
	Demand string `json:"demand,omitempty"`
	// CapacityRatio is how many places (day-care places, beds) of the
	// type 1,000 of the residents it is judged by (its Demand group, else
	// all residents) need; 0 = not set. With it, a facility of capacity C
	// places serves C × 1000 / CapacityRatio residents, and the audit
	// allocates residents to facilities with room (capacity.go).
	CapacityRatio float64 `json:"capacity_ratio,omitempty"`
}

// Match reports whether the element whose tags get returns ("" for an
// absent key) is of type t: one of t's selectors matches it and none of
// its exclusions does. rule is the first selector that matched, in its
// text form (as written in a profile file).
func (t *AmenityType) Match(get func(key string) string) (rule string, ok bool) {
	for i := range t.Selectors {
		if t.Selectors[i].Matches(get) {
			if t.Excluded(get) != "" {
				return "", false
			}
			return t.Selectors[i].String(), true
		}
	}
	return "", false
}

// Excluded returns the text form of the first of t's exclusions that
// matches the element, or "" when none does.
func (t *AmenityType) Excluded(get func(key string) string) string {
	for i := range t.Exclude {
		if t.Exclude[i].Matches(get) {
			return t.Exclude[i].String()
		}
	}
	return ""
}

// A Selector matches an OSM element when all of its conditions hold.
// Its text form is the conditions joined by ";", for example
// "amenity=social_facility;social_facility:for=senior|elderly".
type Selector struct {
	All []TagMatch
}

// A TagMatch is one condition on an OSM tag.
//
//	key=*        the key is present (any value)
//	key=v1|v2    the value is v1 or v2
//	key!=*       the key is absent
//	key!=v1|v2   the key is absent or its value is neither v1 nor v2
//	key~t1|t2    the value contains t1 or t2, ignoring case (names)
//	key!~t1|t2   the key is absent or its value contains neither
//
// OSM values that list several items separated by ";" (such as
// social_facility:for=senior;disabled) match when any item matches.
type TagMatch struct {
	Key    string
	Values []string // empty: any value (key=* or key!=*)
	Not    bool
	// Contains makes Values substrings of the value, compared without
	// case (key~text), for places whose tags alone do not tell what they
	// are but whose names do ("社区卫生服务中心" tagged as a hospital).
	Contains bool
}

// Matches reports whether the condition holds for the element whose tags
// get returns ("" for an absent key).
func (m TagMatch) Matches(get func(key string) string) bool {
	v := get(m.Key)
	if v == "" {
		return m.Not
	}
	if len(m.Values) == 0 {
		return !m.Not
	}
	if m.Contains {
		return containsAny(v, m.Values) != m.Not
	}
	return valueIn(v, m.Values) != m.Not
}

// containsAny reports whether v contains one of subs, ignoring case.
func containsAny(v string, subs []string) bool {
	v = strings.ToLower(v)
	for _, w := range subs {
		if strings.Contains(v, strings.ToLower(w)) {
			return true
		}
	}
	return false
}

// valueIn reports whether v, or one of its ";"-separated items, is in values.
func valueIn(v string, values []string) bool {
	for _, w := range values {
		if v == w {
			return true
		}
	}
	if !strings.Contains(v, ";") {
		return false
	}
	for part := range strings.SplitSeq(v, ";") {
		part = strings.TrimSpace(part)
		for _, w := range values {
			if part == w {
				return true
			}
		}
	}
	return false
}

// String returns the condition's text form, e.g. "healthcare!=pharmacy".
func (m TagMatch) String() string {
	op := "="
	if m.Contains {
		op = "~"
	}
	if m.Not {
		op = "!" + op
	}
	if len(m.Values) == 0 {
		return m.Key + op + "*"
	}
	return m.Key + op + strings.Join(m.Values, "|")
}

// Matches reports whether every condition of s holds. An empty selector
// matches nothing.
func (s Selector) Matches(get func(key string) string) bool {
	if len(s.All) == 0 {
		return false
	}
	for _, m := range s.All {
		if !m.Matches(get) {
			return false
		}
	}
	return true
}

// String returns the selector's text form, which ParseSelector reads back.
func (s Selector) String() string {
	parts := make([]string, len(s.All))
	for i, m := range s.All {
		parts[i] = m.String()
	}
	return strings.Join(parts, ";")
}

// MarshalText implements encoding.TextMarshaler, so selectors appear as
// their text form in JSON.
func (s Selector) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseSelector.
func (s *Selector) UnmarshalText(b []byte) error {
	sel, err := ParseSelector(string(b))
	if err != nil {
		return err
	}
	*s = sel
	return nil
}

// ParseSelector reads a selector such as "amenity=clinic|doctors" or
// "healthcare=*;healthcare!=pharmacy" (";" = and). Spaces around keys and
// values are ignored. Errors wrap ErrInvalid.
func ParseSelector(text string) (Selector, error) {
	if !utf8.ValidString(text) {
		return Selector{}, fmt.Errorf("selector is not valid UTF-8: %w", ErrInvalid)
	}
	if strings.TrimSpace(text) == "" {
		return Selector{}, fmt.Errorf("empty selector; write conditions such as amenity=clinic: %w", ErrInvalid)
	}
	var s Selector
	for cond := range strings.SplitSeq(text, ";") {
		m, err := parseCondition(strings.TrimSpace(cond))
		if err != nil {
			return Selector{}, err
		}
		s.All = append(s.All, m)
	}
	if err := s.validate(); err != nil {
		return Selector{}, err
	}
	return s, nil
}

func parseCondition(c string) (TagMatch, error) {
	if c == "" {
		return TagMatch{}, fmt.Errorf("empty condition (a stray \";\"?): %w", ErrInvalid)
	}
	var m TagMatch
	eq := strings.IndexAny(c, "=~")
	if eq < 0 {
		return TagMatch{}, fmt.Errorf("condition %q has no \"=\"; write %s=* for any value or %s=value: %w", c, c, c, ErrInvalid)
	}
	m.Contains = c[eq] == '~'
	key := c[:eq]
	if strings.HasSuffix(key, "!") {
		m.Not = true
		key = key[:len(key)-1]
	}
	m.Key = strings.TrimSpace(key)
	val := strings.TrimSpace(c[eq+1:])
	if val == "" {
		return TagMatch{}, fmt.Errorf("condition %q has no value; write %s=* for any value: %w", c, m.Key, ErrInvalid)
	}
	if val == "*" && m.Contains {
		return TagMatch{}, fmt.Errorf("condition %q: \"~\" needs text to look for; write %s=* for any value: %w", c, m.Key, ErrInvalid)
	}
	if val != "*" {
		for v := range strings.SplitSeq(val, "|") {
			m.Values = append(m.Values, strings.TrimSpace(v))
		}
	}
	if err := m.validate(); err != nil {
		return TagMatch{}, fmt.Errorf("condition %q: %w", c, err)
	}
	return m, nil
}

func (m TagMatch) validate() error {
	if m.Key == "" {
		return fmt.Errorf("missing key before \"=\": %w", ErrInvalid)
	}
	if i := strings.IndexFunc(m.Key, badKeyRune); i >= 0 {
		r, _ := utf8.DecodeRuneInString(m.Key[i:])
		return fmt.Errorf("key %q contains %q; keys are OSM keys such as amenity or social_facility:for: %w", m.Key, r, ErrInvalid)
	}
	if m.Contains && len(m.Values) == 0 {
		return fmt.Errorf("%s~ needs text to look for, such as %s~clinic: %w", m.Key, m.Key, ErrInvalid)
	}
	for _, v := range m.Values {
		switch {
		case v == "":
			return fmt.Errorf("empty value in %q (a stray \"|\"?): %w", m.String(), ErrInvalid)
		case v == "*":
			return fmt.Errorf("\"*\" cannot be combined with other values; use %s=* alone: %w", m.Key, ErrInvalid)
		case strings.TrimSpace(v) != v:
			return fmt.Errorf("value %q has surrounding spaces: %w", v, ErrInvalid)
		case strings.ContainsAny(v, "=;|"):
			return fmt.Errorf("value %q contains one of = ; | (did you write == ?): %w", v, ErrInvalid)
		case strings.IndexFunc(v, unicode.IsControl) >= 0 || !utf8.ValidString(v):
			return fmt.Errorf("value %q contains a control character or invalid UTF-8: %w", v, ErrInvalid)
		}
	}
	return nil
}

func badKeyRune(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError || strings.ContainsRune("=!|;*~", r)
}

func (s Selector) validate() error {
	positive := false
	for _, m := range s.All {
		if err := m.validate(); err != nil {
			return err
		}
		positive = positive || !m.Not
	}
	if !positive {
		return fmt.Errorf("selector %q has only negative conditions and would match almost everything; add one such as amenity=clinic: %w", s.String(), ErrInvalid)
	}
	return nil
}

// A Profile is a set of amenity types with their walking thresholds: the
// yardstick of an audit.
type Profile struct {
	ID          string        `json:"id"`
	Names       Names         `json:"names"`
	Description string        `json:"description,omitempty"`
	Types       []AmenityType `json:"types"`
	// Off holds the types the profile defines but leaves out of an audit
	// ("enabled: false" in the file): places a standard counts apart,
	// such as hospitals beside community health stations. They match
	// nothing until Enable turns them on.
	Off []AmenityType `json:"off,omitempty"`
	// Rules are provision rules checked by every audit with this profile
	// (see Rule); optional.
	Rules []Rule `json:"rules,omitempty"`
}

// Type returns the type with the given id.
func (p *Profile) Type(id string) (*AmenityType, bool) {
	for i := range p.Types {
		if p.Types[i].ID == id {
			return &p.Types[i], true
		}
	}
	return nil, false
}

// Lookup finds the type a user named: by its id (clinic), by its Chinese
// or English name (社区卫生服务站/中心, Fresh-food market; English ignoring
// case), or by one "/"-separated part of a name (托老站, 菜市场), so that
// planners may write --fail-below 菜市场=0.9 or --type 托老站. A name that
// fits several types is an error listing them; an unknown one lists the
// profile's types.
func (p *Profile) Lookup(name string) (*AmenityType, error) {
	name = strings.TrimSpace(name)
	if t, ok := p.Type(name); ok {
		return t, nil
	}
	var found []int
	for i := range p.Types {
		if typeNamed(p.Types[i].Names, name) {
			found = append(found, i)
		}
	}
	switch len(found) {
	case 1:
		return &p.Types[found[0]], nil
	case 0:
		var known []string
		for _, t := range p.Types {
			known = append(known, t.ID+" ("+t.Names.Zh+")")
		}
		return nil, fmt.Errorf("%q is not a type of profile %s; its types: %s: %w", name, p.ID, strings.Join(known, ", "), ErrInvalid)
	default:
		var ids []string
		for _, i := range found {
			ids = append(ids, p.Types[i].ID)
		}
		return nil, fmt.Errorf("%q names several types of profile %s (%s): use one of the ids: %w", name, p.ID, strings.Join(ids, ", "), ErrInvalid)
	}
}

// typeNamed reports whether name is one of n's names or one of their
// "/"-separated parts.
func typeNamed(n Names, name string) bool {
	if name == "" {
		return false
	}
	for _, full := range []string{n.Zh, n.En} {
		if full == "" {
			continue
		}
		if strings.EqualFold(full, name) {
			return true
		}
		for _, part := range strings.FieldsFunc(full, func(r rune) bool { return r == '/' || r == '／' }) {
			if strings.EqualFold(strings.TrimSpace(part), name) {
				return true
			}
		}
	}
	return false
}

// TypeIDs returns the ids of p's types in profile order.
func (p *Profile) TypeIDs() []string {
	ids := make([]string, len(p.Types))
	for i := range p.Types {
		ids[i] = p.Types[i].ID
	}
	return ids
}

// Match returns the ids, in profile order, of the types an OSM element is
// of (AmenityType.Match); get returns the element's value for a key (""
// when absent). An element may be of several types (a sports centre with a
// playground) or of none (nil).
func (p *Profile) Match(get func(key string) string) []string {
	var ids []string
	for i := range p.Types {
		if _, ok := p.Types[i].Match(get); ok {
			ids = append(ids, p.Types[i].ID)
		}
	}
	return ids
}

// A TypeMatch is one type an element is of, with the selector that
// matched it in its text form.
type TypeMatch struct {
	Type string
	Rule string
}

// MatchRules is Match with the selector that matched each type.
func (p *Profile) MatchRules(get func(key string) string) []TypeMatch {
	var out []TypeMatch
	for i := range p.Types {
		if rule, ok := p.Types[i].Match(get); ok {
			out = append(out, TypeMatch{Type: p.Types[i].ID, Rule: rule})
		}
	}
	return out
}

// Enable turns on the named types of p.Off, appending them to p.Types in
// the order given. Naming a type that is already on does nothing; naming
// one the profile lacks wraps ErrNotFound.
func (p *Profile) Enable(ids ...string) error {
	for _, id := range ids {
		if _, err := p.Lookup(id); err == nil {
			continue
		}
		i := slices.IndexFunc(p.Off, func(t AmenityType) bool { return t.ID == id || typeNamed(t.Names, id) })
		if i < 0 {
			all := p.TypeIDs()
			for _, t := range p.Off {
				all = append(all, t.ID)
			}
			return fmt.Errorf("profile %s has no type %q (its types: %s): %w", p.ID, id, strings.Join(all, ", "), ErrNotFound)
		}
		p.Types = append(p.Types, p.Off[i])
		p.Off = slices.Delete(p.Off, i, i+1)
	}
	if len(p.Off) == 0 {
		p.Off = nil
	}
	return nil
}

// Keys returns distinct OSM keys, in first-use order, such that every
// selector requires one of them to be present (the first key of each
// selector that must be present). An element with none of these keys
// matches no type, so readers may skip it without calling Match.
func (p *Profile) Keys() []string {
	var keys []string
	seen := map[string]bool{}
	for _, t := range p.Types {
		for _, s := range t.Selectors {
			i := slices.IndexFunc(s.All, func(m TagMatch) bool { return !m.Not })
			if i >= 0 && !seen[s.All[i].Key] {
				seen[s.All[i].Key] = true
				keys = append(keys, s.All[i].Key)
			}
		}
	}
	return keys
}

// MaxThreshold returns the largest threshold of p's types in metres (the
// halo a partitioned audit needs), or 0 for an empty profile.
func (p *Profile) MaxThreshold() float64 {
	max := 0.0
	for _, t := range p.Types {
		max = math.Max(max, t.Threshold)
	}
	return max
}

// Validate checks a profile built or edited in code by the rules
// ParseProfile applies to files. Errors wrap ErrInvalid.
func (p *Profile) Validate() error {
	all := *p
	all.Types = append(slices.Clip(p.Types), p.Off...)
	ln := &profileLines{types: make([]typeLines, len(all.Types))}
	for i := range ln.types {
		ln.types[i].hasTier, ln.types[i].hasThreshold = true, true
		ln.types[i].off = i >= len(p.Types)
	}
	ps := &parser{file: "profile " + strconv.Quote(p.ID)}
	ps.validate(&all, ln)
	ps.checkRuleTypes(p, 0)
	return ps.err()
}

// BuiltinProfiles returns the ids of the profiles built into the binary,
// the default (DefaultProfile) first.
func BuiltinProfiles() []string {
	return append([]string(nil), builtinIDs...)
}

// isBuiltin reports whether id names a built-in profile.
func isBuiltin(id string) bool {
	for _, b := range builtinIDs {
		if b == id {
			return true
		}
	}
	return false
}

// Builtin returns the built-in profile with the given id (DefaultProfile
// when id is ""), embedded in the binary. Each call returns a fresh copy
// the caller may modify. An unknown id wraps ErrNotFound. Reading a
// profile file is the data package's job (data.LoadProfile).
func Builtin(id string) (*Profile, error) {
	if id == "" {
		id = DefaultProfile
	}
	if !isBuiltin(id) {
		return nil, fmt.Errorf("%q is not a built-in profile (%s): %w", id, strings.Join(builtinIDs, ", "), ErrNotFound)
	}
	file := "profiles/" + id + ".yaml"
	text, err := builtinFS.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("built-in profile %s: %w", id, err)
	}
	return ParseProfile(file, text)
}
