package planner

import (
	"bytes"
	"cmp"
	"embed"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// DefaultProfile is the id of the built-in profile used when none is named.
const DefaultProfile = "gb50180"

// MaxThreshold is the largest walking threshold a profile may set, in
// metres. Beyond it an amenity is no longer a walk-up amenity and the
// bounded searches of an audit stop being cheap.
const MaxThreshold = 5000.0

const (
	maxProfileBytes = 4 << 20 // profiles are a few kB; refuse anything absurd
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

// LoadProfile returns a built-in profile by id (DefaultProfile when
// nameOrPath is ""), or reads and parses the YAML file at nameOrPath. Each
// call returns a fresh copy the caller may modify. A name that is neither
// a built-in nor a file wraps ErrNotFound; a malformed file wraps
// ErrInvalid.
func LoadProfile(nameOrPath string) (*Profile, error) {
	if nameOrPath == "" {
		nameOrPath = DefaultProfile
	}
	if isBuiltin(nameOrPath) {
		file := "profiles/" + nameOrPath + ".yaml"
		text, err := builtinFS.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("built-in profile %s: %w", nameOrPath, err)
		}
		return ParseProfile(file, text)
	}
	f, err := os.Open(nameOrPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("profile %q is neither a built-in (%s) nor an existing file: %w",
				nameOrPath, strings.Join(builtinIDs, ", "), ErrNotFound)
		}
		if errors.Is(err, syscall.ENAMETOOLONG) {
			return nil, fmt.Errorf("profile %s: file name too long (%d characters) — check the path", nameOrPath, len(nameOrPath))
		}
		return nil, fmt.Errorf("profile: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("profile %s: is a directory — give the path of a profile .yaml file (or a built-in id: %s)",
			nameOrPath, strings.Join(builtinIDs, ", "))
	}
	text, err := io.ReadAll(io.LimitReader(f, maxProfileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("profile: read %s: %w", nameOrPath, err)
	}
	return ParseProfile(nameOrPath, text)
}

// A ProfileError is one problem in a profile file, at a 1-based line (0
// when unknown). It wraps ErrInvalid.
type ProfileError struct {
	File string
	Line int
	Msg  string
}

func (e *ProfileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// Unwrap returns ErrInvalid.
func (e *ProfileError) Unwrap() error { return ErrInvalid }

// ParseProfile parses a profile from YAML; name (usually the file path)
// prefixes every error, with the line, as in
//
//	myprofile.yaml:12: type "clinic": threshold must be > 0 metres, got -5
//
// All problems found (up to 20) are reported together, joined by newlines;
// each is a *ProfileError and the result wraps ErrInvalid. Absent fields
// take defaults: the profile id is the file's base name without its
// extension, a type's weight is 1.
func ParseProfile(name string, yamlText []byte) (p *Profile, err error) {
	ps := &parser{file: name}
	if len(yamlText) > maxProfileBytes {
		ps.add(0, "file is %d bytes; a profile is a few kilobytes of YAML — is this the right file?", len(yamlText))
		return nil, ps.err()
	}
	root, err := ps.decode(yamlText)
	if err != nil {
		return nil, err
	}
	p, ln := ps.profile(root)
	if p == nil {
		return nil, ps.err()
	}
	if p.ID == "" && !ps.hasID {
		base := filepath.Base(name)
		p.ID = strings.TrimSuffix(base, filepath.Ext(base))
	}
	ps.validate(p, ln)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// parser collects errors with their lines while walking the YAML tree.
type parser struct {
	file  string
	errs  []*ProfileError
	more  bool // errors beyond maxErrors were dropped
	hasID bool // the profile had an explicit id field
}

// profileLines records where each field was, for validation messages.
type profileLines struct {
	root, id     int
	typesMissing bool // "no types" already reported
	types        []typeLines
}

// typeLines holds one type's field lines (0 = absent) and which fields
// already had a parse error, so validation does not report them twice.
type typeLines struct {
	item, id, names, tier, threshold, weight int
	badTier, badThreshold, badWeight         bool
	hasTier, hasThreshold                    bool
}

func (ps *parser) add(line int, format string, a ...any) {
	if len(ps.errs) >= maxErrors {
		ps.more = true
		return
	}
	ps.errs = append(ps.errs, &ProfileError{File: ps.file, Line: line, Msg: fmt.Sprintf(format, a...)})
}

func (ps *parser) err() error {
	if len(ps.errs) == 0 {
		return nil
	}
	errs := ps.errs
	// In file order; problems without a line last.
	slices.SortStableFunc(errs, func(a, b *ProfileError) int {
		la, lb := a.Line, b.Line
		if la == 0 {
			la = math.MaxInt
		}
		if lb == 0 {
			lb = math.MaxInt
		}
		return cmp.Compare(la, lb)
	})
	if ps.more {
		errs = append(errs[:len(errs):len(errs)], &ProfileError{File: ps.file, Msg: "further errors not shown; fix these first"})
	}
	if len(errs) == 1 {
		return errs[0]
	}
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return errors.Join(all...)
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// decode parses the YAML text and returns the document's root node.
func (ps *parser) decode(text []byte) (root *yaml.Node, err error) {
	defer func() {
		// The YAML library has panicked on malformed input in the past;
		// bad input must never crash the program.
		if r := recover(); r != nil {
			ps.add(0, "YAML syntax: %v", r)
			root, err = nil, ps.err()
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(text))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			ps.add(0, "empty profile; add id, names and types (print an example with: lifecircle profiles %s)", DefaultProfile)
		} else {
			ps.yamlError(err, text)
		}
		return nil, ps.err()
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		ps.add(extra.Line, "a second YAML document; a profile file holds one (remove the \"---\")")
	case !errors.Is(err, io.EOF):
		ps.yamlError(err, text)
	}
	if len(doc.Content) == 0 {
		ps.add(doc.Line, "empty profile; add id, names and types (print an example with: lifecircle profiles %s)", DefaultProfile)
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return doc.Content[0], nil
}

// yamlError reports a syntax error. The library gives the line where the
// enclosing block starts, which for a tab is not where the tab is; tabs
// are common enough (editors) to be located exactly.
func (ps *parser) yamlError(err error, text []byte) {
	msg := err.Error()
	if m := yamlLineErr.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		// go-yaml numbers parser errors (unlike scanner errors) from 0
		// (decode.go, parser.fail); its parser errors are the "did not
		// find expected …" ones.
		if strings.HasPrefix(m[2], "did not find expected") {
			line++
		}
		if strings.Contains(m[2], "tab character") {
			n := 0
			for l := range strings.Lines(string(text)) {
				n++
				indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
				if n >= line && strings.Contains(indent, "\t") {
					line = n
					break
				}
			}
			m[2] += "; indent with spaces, not tabs"
		}
		ps.add(line, "YAML syntax: %s — fix the YAML on that line", m[2])
		return
	}
	ps.add(0, "YAML syntax: %s — check that this is a profile (YAML text in UTF-8; print an example with: lifecircle profiles %s)",
		strings.TrimPrefix(msg, "yaml: "), DefaultProfile)
}

// field is one key/value pair of a mapping.
type field struct {
	key string
	k   *yaml.Node
	v   *yaml.Node
}

func deref(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", n.Value)
	default:
		return "nothing"
	}
}

// fields returns the pairs of mapping n whose keys are in known, reporting
// unknown and repeated keys. ctx prefixes messages ("" or `type "x": `).
func (ps *parser) fields(n *yaml.Node, ctx string, known ...string) []field {
	var out []field
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k == nil || v == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			ps.add(k.Line, "%sa field name must be a plain word, not %s", ctx, kindName(k))
			continue
		}
		if line, dup := first[k.Value]; dup {
			ps.add(k.Line, "%sfield %q appears twice (first at line %d)", ctx, k.Value, line)
			continue
		}
		first[k.Value] = k.Line
		if !contains(known, k.Value) {
			hint := ""
			if s := closest(k.Value, known); s != "" {
				hint = fmt.Sprintf("did you mean %q? ", s)
			}
			ps.add(k.Line, "%sunknown field %q (%sknown fields: %s) — remove it or fix its spelling", ctx, k.Value, hint, strings.Join(known, ", "))
			continue
		}
		out = append(out, field{key: k.Value, k: k, v: v})
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// closest returns the entry of known within edit distance 2 of s, if any.
func closest(s string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(s), k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 99
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			c := prev[j-1]
			if ra[i-1] != rb[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// str reads a string scalar; null reads as "".
func (ps *parser) str(n *yaml.Node, ctx, what string) string {
	if n.Kind != yaml.ScalarNode {
		ps.add(n.Line, "%s%s must be text, not %s", ctx, what, kindName(n))
		return ""
	}
	if n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

func (ps *parser) number(n *yaml.Node, ctx, what, unit string) (float64, bool) {
	if n.Kind != yaml.ScalarNode {
		ps.add(n.Line, "%s%s must be a number%s, not %s", ctx, what, unit, kindName(n))
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(n.Value), 64)
	if err != nil {
		ps.add(n.Line, "%s%s must be a number%s, not %q", ctx, what, unit, n.Value)
		return 0, false
	}
	return f, true
}

func (ps *parser) names(n *yaml.Node, ctx string) Names {
	if n.Kind != yaml.MappingNode {
		ps.add(n.Line, "%snames must be a mapping with en (and optionally zh), not %s", ctx, kindName(n))
		return Names{}
	}
	var out Names
	for _, f := range ps.fields(n, ctx+"names: ", "zh", "en") {
		switch f.key {
		case "zh":
			out.Zh = ps.str(f.v, ctx, "names.zh")
		case "en":
			out.En = ps.str(f.v, ctx, "names.en")
		}
	}
	return out
}

func (ps *parser) profile(root *yaml.Node) (*Profile, *profileLines) {
	root = deref(root)
	if root.Kind != yaml.MappingNode {
		ps.add(root.Line, "a profile is a YAML mapping with id, names, description and types, not %s — check that this is a profile (print an example with: lifecircle profiles %s)", kindName(root), DefaultProfile)
		return nil, nil
	}
	p := &Profile{}
	ln := &profileLines{root: root.Line}
	sawTypes := false
	rulesLine := 0
	for _, f := range ps.fields(root, "", "id", "names", "description", "types", "rules") {
		switch f.key {
		case "id":
			p.ID = ps.str(f.v, "", "id")
			ln.id = f.v.Line
			ps.hasID = true
		case "names":
			p.Names = ps.names(f.v, "")
		case "description":
			p.Description = ps.str(f.v, "", "description")
		case "types":
			sawTypes = true
			if f.v.Kind != yaml.SequenceNode {
				ps.add(f.v.Line, "types must be a list (each item starting with \"- id: ...\"), not %s", kindName(f.v))
				continue
			}
			for i, item := range f.v.Content {
				t, tl := ps.amenityType(deref(item), i)
				p.Types = append(p.Types, t)
				ln.types = append(ln.types, tl)
			}
		case "rules":
			p.Rules = ps.rules(f.v)
			rulesLine = f.v.Line
		}
	}
	if sawTypes {
		ps.checkRuleTypes(p, rulesLine)
	}
	if !sawTypes {
		ps.add(root.Line, "no types: field; a profile lists its amenity types under types: (see lifecircle profiles %s)", DefaultProfile)
		ln.typesMissing = true
	}
	return p, ln
}

func (ps *parser) amenityType(n *yaml.Node, index int) (AmenityType, typeLines) {
	t := AmenityType{Weight: 1}
	tl := typeLines{item: n.Line}
	if n.Kind != yaml.MappingNode {
		ps.add(n.Line, "type %d: must be a mapping with id, names, tier, threshold, source and selectors, not %s", index+1, kindName(n))
		return t, tl
	}
	// Find the id first so that every message can name the type.
	ctx := fmt.Sprintf("type %d: ", index+1)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k != nil && v != nil && k.Kind == yaml.ScalarNode && k.Value == "id" && v.Kind == yaml.ScalarNode && v.Value != "" {
			ctx = fmt.Sprintf("type %q: ", v.Value)
			break
		}
	}
	var ok bool
	for _, f := range ps.fields(n, ctx, "id", "names", "tier", "threshold", "weight", "source", "selectors") {
		switch f.key {
		case "id":
			t.ID = ps.str(f.v, ctx, "id")
			tl.id = f.v.Line
		case "names":
			t.Names = ps.names(f.v, ctx)
			tl.names = f.k.Line
		case "tier":
			tl.tier, tl.hasTier = f.v.Line, true
			v, ok := ps.number(f.v, ctx, "tier", " of minutes (5, 10 or 15)")
			switch {
			case !ok:
				tl.badTier = true
			case v != math.Trunc(v) || math.Abs(v) > 1e6:
				ps.add(f.v.Line, "%stier must be 5, 10 or 15 (minutes), got %s", ctx, f.v.Value)
				tl.badTier = true
			default:
				t.Tier = int(v)
			}
		case "threshold":
			tl.threshold, tl.hasThreshold = f.v.Line, true
			t.Threshold, ok = ps.number(f.v, ctx, "threshold", " of metres")
			tl.badThreshold = !ok
		case "weight":
			tl.weight = f.v.Line
			t.Weight, ok = ps.number(f.v, ctx, "weight", "")
			tl.badWeight = !ok
		case "source":
			t.Source = ps.str(f.v, ctx, "source")
		case "selectors":
			t.Selectors = ps.selectors(f.v, ctx)
		}
	}
	return t, tl
}

func (ps *parser) selectors(n *yaml.Node, ctx string) []Selector {
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		items = n.Content
	default:
		ps.add(n.Line, "%sselectors must be a list of OSM tag conditions such as \"- amenity=clinic\", not %s", ctx, kindName(n))
		return nil
	}
	var out []Selector
	for i, item := range items {
		item = deref(item)
		if item.Kind != yaml.ScalarNode {
			ps.add(item.Line, "%sselector %d must be text such as amenity=clinic, not %s", ctx, i+1, kindName(item))
			continue
		}
		s, err := ParseSelector(item.Value)
		if err != nil {
			ps.add(item.Line, "%sselector %d %q: %s", ctx, i+1, item.Value, strings.TrimSuffix(err.Error(), ": "+ErrInvalid.Error()))
			continue
		}
		out = append(out, s)
	}
	return out
}

var typeIDRe = regexp.MustCompile(`^[a-z0-9_]+$`)
var profileIDRe = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// validate checks value ranges and cross-type rules; ln gives lines (0 =
// unknown, -1 = already reported).
func (ps *parser) validate(p *Profile, ln *profileLines) {
	if !profileIDRe.MatchString(p.ID) {
		line := ln.id
		if line == 0 {
			line = ln.root
		}
		ps.add(line, "profile id %q must be letters, digits, _ . or - (set it with id: at the top of the file)", p.ID)
	}
	if len(p.Types) == 0 && !ln.typesMissing {
		ps.add(ln.root, "no amenity types; add at least one under types: (see lifecircle profiles %s)", DefaultProfile)
	}
	seen := map[string]int{} // type id → index
	sumWeight := 0.0
	for i := range p.Types {
		t := &p.Types[i]
		var tl typeLines
		if i < len(ln.types) {
			tl = ln.types[i]
		}
		at := func(line int) int {
			if line > 0 {
				return line
			}
			return tl.item
		}
		ctx := fmt.Sprintf("type %q: ", t.ID)
		switch {
		case t.ID == "":
			ctx = fmt.Sprintf("type %d: ", i+1)
			ps.add(at(tl.id), "%sid is required: a short lower-case name such as clinic", ctx)
		case len(t.ID) > maxTypeIDLen || !typeIDRe.MatchString(t.ID):
			ps.add(at(tl.id), "%sid must be 1 to %d characters of a-z, 0-9 and _ (it is used in column names such as coverage_<id>)", ctx, maxTypeIDLen)
		default:
			if first, dup := seen[t.ID]; dup {
				where := fmt.Sprintf("type %d", first+1)
				if first < len(ln.types) && ln.types[first].id > 0 {
					where = fmt.Sprintf("line %d", ln.types[first].id)
				}
				ps.add(at(tl.id), "%sdefined twice (first at %s); type ids must be unique", ctx, where)
			} else {
				seen[t.ID] = i
			}
		}
		if t.Names.En == "" {
			ps.add(at(tl.names), "%snames.en is required (the English name shown in reports; names.zh is optional)", ctx)
		}
		if !tl.badTier && t.Tier != 5 && t.Tier != 10 && t.Tier != 15 {
			if !tl.hasTier {
				ps.add(at(0), "%stier is required: 5, 10 or 15 (minutes of walking)", ctx)
			} else {
				ps.add(at(tl.tier), "%stier must be 5, 10 or 15 (minutes), got %d", ctx, t.Tier)
			}
		}
		if !tl.badThreshold {
			switch {
			case !tl.hasThreshold:
				ps.add(at(0), "%sthreshold is required: the walking distance in metres (e.g. 300)", ctx)
			case !(t.Threshold > 0):
				ps.add(at(tl.threshold), "%sthreshold must be > 0 metres, got %s — give the walking distance in metres, e.g. 300", ctx, fmtNum(t.Threshold))
			case t.Threshold > MaxThreshold:
				ps.add(at(tl.threshold), "%sthreshold must be at most %s metres, got %s — is it in metres? Give the walking distance in metres", ctx, fmtNum(MaxThreshold), fmtNum(t.Threshold))
			}
		}
		if tl.badWeight {
			// reported while parsing
		} else if !(t.Weight >= 0) || math.IsInf(t.Weight, 0) {
			ps.add(at(tl.weight), "%sweight must be a number ≥ 0, got %s", ctx, fmtNum(t.Weight))
		} else {
			sumWeight += t.Weight
		}
		for j, s := range t.Selectors {
			if err := s.validate(); err != nil {
				ps.add(at(0), "%sselector %d: %s", ctx, j+1, strings.TrimSuffix(err.Error(), ": "+ErrInvalid.Error()))
			}
		}
	}
	if len(p.Types) > 0 && sumWeight == 0 {
		ps.add(ln.root, "every type has weight 0; give at least one a weight > 0 so completeness is defined")
	}
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// yamlHeader explains the format at the top of every printed profile.
const yamlHeader = `# lifecircle amenity profile — copy this file, edit it and pass it with --profile FILE.
# Print a built-in one with: lifecircle profiles <id>; check yours with: lifecircle profiles FILE
#
# Each type has:
#   id         a-z, 0-9 and _ (used in column names such as coverage_<id>)
#   names      en (required) and zh (optional)
#   tier       life-circle tier in minutes of walking: 5, 10 or 15
#   threshold  walking distance in metres (> 0, at most 5000); residents within it are served
#   weight     weight in completeness (default 1; 0 leaves the type out of it)
#   source     where the threshold comes from
#   selectors  OSM elements of the type; an element matches when ANY selector matches.
#              A selector is conditions joined by ";", ALL of which must hold:
#                key=value   key=v1|v2 (either)   key=* (any value)
#                key!=value  (absent or different)   key!=* (absent)
#              Example: amenity=social_facility;social_facility:for=senior|elderly`

// YAML returns p as commented YAML that a user can copy and edit;
// ParseProfile reads it back to an equal profile.
func (p *Profile) YAML() []byte {
	// Long texts are written as folded block scalars wrapped at about 80
	// columns, which the encoder cannot do: it writes a placeholder that
	// is replaced afterwards. Folding is off if any text contains the
	// placeholder's prefix, so that no user text is ever replaced.
	var folds []string
	canFold := !p.contains(foldToken)
	text := func(s string) *yaml.Node {
		if canFold && foldable(s) {
			folds = append(folds, s)
			return &yaml.Node{Kind: yaml.ScalarNode, Value: foldToken + strconv.Itoa(len(folds)-1)}
		}
		return strNode(s)
	}
	root := &yaml.Node{Kind: yaml.MappingNode}
	add := func(m *yaml.Node, key string, v *yaml.Node) {
		m.Content = append(m.Content, strNode(key), v)
	}
	add(root, "id", strNode(p.ID))
	if p.Names != (Names{}) {
		add(root, "names", namesNode(p.Names))
	}
	if p.Description != "" {
		add(root, "description", text(p.Description))
	}
	types := &yaml.Node{Kind: yaml.SequenceNode}
	for _, t := range p.Types {
		m := &yaml.Node{Kind: yaml.MappingNode}
		add(m, "id", strNode(t.ID))
		add(m, "names", namesNode(t.Names))
		tier := numNode(float64(t.Tier))
		tier.LineComment = "minutes of walking"
		add(m, "tier", tier)
		th := numNode(t.Threshold)
		th.LineComment = "metres"
		add(m, "threshold", th)
		add(m, "weight", numNode(t.Weight))
		if t.Source != "" {
			add(m, "source", text(t.Source))
		}
		sels := &yaml.Node{Kind: yaml.SequenceNode}
		for _, s := range t.Selectors {
			sels.Content = append(sels.Content, strNode(s.String()))
		}
		if len(t.Selectors) == 0 {
			sels.Style = yaml.FlowStyle
			sels.LineComment = "none: facilities come only from layers that name this type"
		}
		add(m, "selectors", sels)
		types.Content = append(types.Content, m)
	}
	add(root, "types", types)
	if len(p.Rules) > 0 {
		add(root, "rules", rulesNode(p.Rules))
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: yamlHeader, Content: []*yaml.Node{root}}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		// Only malformed nodes fail to encode, and these are built above.
		panic("planner: encode profile: " + err.Error())
	}
	enc.Close()
	if len(folds) == 0 {
		return b.Bytes()
	}
	return unfold(b.Bytes(), folds)
}

const (
	foldToken = "lifecircle-fold-"
	foldWidth = 80 // columns
)

// contains reports whether any text of p contains s.
func (p *Profile) contains(s string) bool {
	texts := []string{p.ID, p.Names.Zh, p.Names.En, p.Description}
	for _, t := range p.Types {
		texts = append(texts, t.ID, t.Names.Zh, t.Names.En, t.Source)
		for _, sel := range t.Selectors {
			texts = append(texts, sel.String())
		}
	}
	for _, t := range texts {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

// foldable reports whether s is long and reads back unchanged from a
// folded block scalar wrapped at its spaces: printable, single spaces
// only, none at either end.
func foldable(s string) bool {
	if displayWidth(s) <= foldWidth-30 || s != strings.TrimSpace(s) || strings.Contains(s, "  ") {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// unfold replaces each "key: <placeholder>" line with a folded block scalar.
func unfold(text []byte, folds []string) []byte {
	var out bytes.Buffer
	for line := range strings.Lines(string(text)) {
		body := strings.TrimSuffix(line, "\n")
		i := strings.LastIndex(body, ": "+foldToken)
		if i < 0 {
			out.WriteString(line)
			continue
		}
		n, err := strconv.Atoi(body[i+2+len(foldToken):])
		if err != nil || n < 0 || n >= len(folds) {
			out.WriteString(line)
			continue
		}
		indent := strings.Repeat(" ", len(body)-len(strings.TrimLeft(body, " "))+2)
		out.WriteString(body[:i] + ": >-\n")
		col := 0
		for j, word := range strings.Split(folds[n], " ") {
			w := displayWidth(word)
			switch {
			case j == 0:
				out.WriteString(indent)
				col = len(indent)
			case col+1+w > foldWidth:
				out.WriteString("\n" + indent)
				col = len(indent)
			default:
				out.WriteByte(' ')
				col++
			}
			out.WriteString(word)
			col += w
		}
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// displayWidth returns the columns s takes in a terminal: two for East
// Asian wide characters, one otherwise.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		w++
		if isWide(r) {
			w++
		}
	}
	return w
}

func isWide(r rune) bool {
	return r >= 0x1100 && (r <= 0x115f || (r >= 0x2e80 && r <= 0xa4cf && r != 0x303f) ||
		(r >= 0xac00 && r <= 0xd7a3) || (r >= 0xf900 && r <= 0xfaff) ||
		(r >= 0xfe30 && r <= 0xfe4f) || (r >= 0xff00 && r <= 0xff60) ||
		(r >= 0xffe0 && r <= 0xffe6) || (r >= 0x20000 && r <= 0x3fffd))
}

// strNode returns a string scalar; the encoder quotes it when it would
// otherwise read as a number, bool or null.
func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.ToValidUTF8(s, "\uFFFD")}
}

// numNode returns a number scalar that ParseProfile reads back exactly.
func numNode(f float64) *yaml.Node {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatFloat(f, 'f', -1, 64)}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: fmtNum(f)}
}

func namesNode(n Names) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	if n.Zh != "" {
		m.Content = append(m.Content, strNode("zh"), strNode(n.Zh))
	}
	m.Content = append(m.Content, strNode("en"), strNode(n.En))
	return m
}
