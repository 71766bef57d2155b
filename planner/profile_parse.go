package planner

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

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
	if len(yamlText) > MaxProfileBytes {
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
		base := path.Base(name) // a name, not a file: planner reads no files
		p.ID = strings.TrimSuffix(base, path.Ext(base))
	}
	ps.validate(p, ln)
	p.splitOff(ln)
	if ln.sawTypes {
		ps.checkRuleTypes(p, ln.rules)
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// splitOff moves the types the file turned off (enabled: false) from
// p.Types to p.Off.
func (p *Profile) splitOff(ln *profileLines) {
	var on, off []AmenityType
	for i, t := range p.Types {
		if i < len(ln.types) && ln.types[i].off {
			off = append(off, t)
		} else {
			on = append(on, t)
		}
	}
	p.Types, p.Off = on, off
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
	rules        int  // line of the rules field
	sawTypes     bool // the file had a types field
	typesMissing bool // "no types" already reported
	types        []typeLines
}

// typeLines holds one type's field lines (0 = absent) and which fields
// already had a parse error, so validation does not report them twice.
type typeLines struct {
	item, id, names, tier, threshold, weight int
	badTier, badThreshold, badWeight         bool
	capacityRatio                            int // line of capacity_ratio
	badCapacityRatio                         bool
	hasTier, hasThreshold                    bool
	off                                      bool // enabled: false
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
			ps.add(k.Line, "%sunknown field %q (%sknown fields: %s) — remove it or fix its spelling", ctx, excerpt(k.Value), hint, strings.Join(known, ", "))
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
	if !hasAnyKey(root, "id", "names", "description", "types", "rules") {
		// Not a profile at all (a password file, a CSV, notes): say so
		// without quoting its lines back.
		ps.add(0, "this is not a lifecircle profile: its top level has none of the fields id, names, description, types, rules — give a profile .yaml file (print an example with: lifecircle profiles %s) or a built-in id", DefaultProfile)
		return nil, nil
	}
	p := &Profile{}
	ln := &profileLines{root: root.Line}
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
			ln.sawTypes = true
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
			ln.rules = f.v.Line
		}
	}
	if !ln.sawTypes {
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
	for _, f := range ps.fields(n, ctx, "id", "names", "tier", "threshold", "weight", "source", "selectors", "exclude", "enabled", "demand", "capacity_ratio") {
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
			t.Selectors = ps.selectors(f.v, ctx, "selectors")
		case "exclude":
			t.Exclude = ps.selectors(f.v, ctx, "exclude")
		case "demand":
			t.Demand = strings.TrimSpace(ps.str(f.v, ctx, "demand"))
			if t.Demand == "" || strings.ContainsAny(t.Demand, " \t\n") {
				ps.add(f.v.Line, "%sdemand must name a column of the population layer such as age_60_plus (no spaces), not %q", ctx, f.v.Value)
			}
		case "capacity_ratio":
			tl.capacityRatio = f.v.Line
			t.CapacityRatio, ok = ps.number(f.v, ctx, "capacity_ratio", " of places per 1,000 residents")
			tl.badCapacityRatio = !ok
		case "enabled":
			switch v := strings.ToLower(strings.TrimSpace(f.v.Value)); {
			case f.v.Kind == yaml.ScalarNode && v == "true":
			case f.v.Kind == yaml.ScalarNode && v == "false":
				tl.off = true
			default:
				ps.add(f.v.Line, "%senabled must be true or false (false: the type is defined but left out of audits), not %s", ctx, kindName(f.v))
			}
		}
	}
	return t, tl
}

func (ps *parser) selectors(n *yaml.Node, ctx, field string) []Selector {
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
		ps.add(n.Line, "%s%s must be a list of OSM tag conditions such as \"- amenity=clinic\", not %s", ctx, field, kindName(n))
		return nil
	}
	var out []Selector
	for i, item := range items {
		item = deref(item)
		if item.Kind != yaml.ScalarNode {
			ps.add(item.Line, "%s%s %d must be text such as amenity=clinic, not %s", ctx, itemName(field), i+1, kindName(item))
			continue
		}
		s, err := ParseSelector(item.Value)
		if err != nil {
			ps.add(item.Line, "%s%s %d %q: %s", ctx, itemName(field), i+1, item.Value, strings.TrimSuffix(err.Error(), ": "+ErrInvalid.Error()))
			continue
		}
		out = append(out, s)
	}
	return out
}

// itemName names one item of a type's selectors or exclude list.
func itemName(field string) string {
	if field == "exclude" {
		return "exclusion"
	}
	return "selector"
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
	on := 0
	for i := range p.Types {
		if i >= len(ln.types) || !ln.types[i].off {
			on++
		}
	}
	switch {
	case len(p.Types) == 0 && !ln.typesMissing:
		ps.add(ln.root, "no amenity types; add at least one under types: (see lifecircle profiles %s)", DefaultProfile)
	case len(p.Types) > 0 && on == 0:
		ps.add(ln.root, "every type has enabled: false; turn at least one on (enabled: true, or remove the line)")
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
		} else if t.Weight > MaxTypeWeight {
			ps.add(at(tl.weight), "%sweight must be at most %s, got %s — weights are relative: give small numbers such as 1 or 2", ctx, fmtNum(MaxTypeWeight), fmtNum(t.Weight))
		} else if !tl.off {
			sumWeight += t.Weight
		}
		if !tl.badCapacityRatio && (!(t.CapacityRatio >= 0) || t.CapacityRatio > MaxCapacityRatio || (tl.capacityRatio > 0 && t.CapacityRatio == 0)) {
			ps.add(at(tl.capacityRatio), "%scapacity_ratio must be a number of places per 1,000 residents in (0, %s], got %s — e.g. 20 for 20 day-care places per 1,000 residents; leave it out when the type has no capacity",
				ctx, fmtNum(MaxCapacityRatio), fmtNum(t.CapacityRatio))
		}
		for j, s := range t.Selectors {
			if err := s.validate(); err != nil {
				ps.add(at(0), "%sselector %d: %s", ctx, j+1, strings.TrimSuffix(err.Error(), ": "+ErrInvalid.Error()))
			}
		}
		for j, s := range t.Exclude {
			if err := s.validate(); err != nil {
				ps.add(at(0), "%sexclusion %d: %s", ctx, j+1, strings.TrimSuffix(err.Error(), ": "+ErrInvalid.Error()))
			}
		}
	}
	if on > 0 && sumWeight == 0 {
		ps.add(ln.root, "every type has weight 0; give at least one a weight > 0 so completeness is defined")
	}
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
