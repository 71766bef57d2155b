package planner

import (
	"embed"
	"fmt"
	"math"
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
var builtinIDs = []string{"gb50180", "15min"}

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
}

// Matches reports whether any of t's selectors matches the element whose
// tags get returns ("" for an absent key).
func (t *AmenityType) Matches(get func(key string) string) bool {
	for i := range t.Selectors {
		if t.Selectors[i].Matches(get) {
			return true
		}
	}
	return false
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
//
// OSM values that list several items separated by ";" (such as
// social_facility:for=senior;disabled) match when any item matches.
type TagMatch struct {
	Key    string
	Values []string // empty: any value (key=* or key!=*)
	Not    bool
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
	return valueIn(v, m.Values) != m.Not
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
	if m.Not {
		op = "!="
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
	eq := strings.IndexByte(c, '=')
	if eq < 0 {
		return TagMatch{}, fmt.Errorf("condition %q has no \"=\"; write %s=* for any value or %s=value: %w", c, c, c, ErrInvalid)
	}
	var m TagMatch
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
	return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError || strings.ContainsRune("=!|;*", r)
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

// TypeIDs returns the ids of p's types in profile order.
func (p *Profile) TypeIDs() []string {
	ids := make([]string, len(p.Types))
	for i := range p.Types {
		ids[i] = p.Types[i].ID
	}
	return ids
}

// Match returns the ids, in profile order, of the types whose selectors
// match an OSM element; get returns the element's value for a key ("" when
// absent). An element may be of several types (a sports centre with a
// playground) or of none (nil).
func (p *Profile) Match(get func(key string) string) []string {
	var ids []string
	for i := range p.Types {
		if p.Types[i].Matches(get) {
			ids = append(ids, p.Types[i].ID)
		}
	}
	return ids
}

// Keys returns the distinct OSM keys that selectors require to be present,
// in first-use order. An element with none of these keys matches no type,
// so readers may skip it without calling Match.
func (p *Profile) Keys() []string {
	var keys []string
	seen := map[string]bool{}
	for _, t := range p.Types {
		for _, s := range t.Selectors {
			for _, m := range s.All {
				if !m.Not && !seen[m.Key] {
					seen[m.Key] = true
					keys = append(keys, m.Key)
				}
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
	ln := &profileLines{types: make([]typeLines, len(p.Types))}
	for i := range ln.types {
		ln.types[i].hasTier, ln.types[i].hasThreshold = true, true
	}
	ps := &parser{file: "profile " + strconv.Quote(p.ID)}
	ps.validate(p, ln)
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
