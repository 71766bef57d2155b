package planner

import (
	"fmt"
	"github.com/lifecircle/lifecircle/planner/glossary"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DistrictLevel names the whole study area in a rule's level.
const DistrictLevel = "district"

// A Rule is a provision rule (DESIGN §2 "Provision rules"), one of the
// district's commitments:
//
//	{level: community, type: clinic, min: 1}              ≥ 1 clinic inside every community
//	{level: subdistrict, type: elderly, per_population: 30000}  ≥ ⌈residents ÷ 30000⌉ in every subdistrict
//	{type: market, min_coverage: 0.9}                     ≥ 90 % of all residents within reach of a market
//
// Level "" (or "district") checks the whole study area. Counts are of the
// facilities whose representative point (RepresentativePoint) lies in the
// unit; coverage is the unit's covered share (0..1). A count rule may give
// both min and per_population: the larger requirement applies.
type Rule struct {
	Level         string  `yaml:"level,omitempty" json:"level,omitempty"`
	Type          string  `yaml:"type" json:"type"`
	Min           int     `yaml:"min,omitempty" json:"min,omitempty"`
	PerPopulation float64 `yaml:"per_population,omitempty" json:"per_population,omitempty"`
	MinCoverage   float64 `yaml:"min_coverage,omitempty" json:"min_coverage,omitempty"`
	// Note says where the rule comes from ("district plan 2024, art. 3").
	Note string `yaml:"note,omitempty" json:"note,omitempty"`
	// Origin is where the rule was read: "profile", the project file, or
	// "--fail-below".
	Origin string `yaml:"-" json:"origin,omitempty"`
}

// Rule kinds, as RuleCheck.Kind.
const (
	RuleCount         = "count"
	RulePerPopulation = "per_population"
	RuleCoverage      = "coverage"
)

// Kind returns RuleCoverage, RulePerPopulation or RuleCount.
func (r Rule) Kind() string {
	switch {
	case r.MinCoverage != 0:
		return RuleCoverage
	case r.PerPopulation != 0:
		return RulePerPopulation
	default:
		return RuleCount
	}
}

// districtWide reports whether r checks the whole study area.
func (r Rule) districtWide() bool { return r.Level == "" || r.Level == DistrictLevel }

// check returns what is wrong with r on its own, or "".
func (r Rule) check() string {
	switch {
	case r.Type == "":
		return "type is required (an amenity type id of the profile, e.g. clinic)"
	case r.MinCoverage != 0 && (r.Min != 0 || r.PerPopulation != 0):
		return "a rule is either a count (min, per_population) or a coverage share (min_coverage); split it in two"
	case r.MinCoverage != 0 && !(r.MinCoverage > 0 && r.MinCoverage <= 1):
		return fmt.Sprintf("min_coverage must be a share in (0, 1], e.g. 0.9 for 90 %%, not %v", r.MinCoverage)
	case r.Min < 0:
		return fmt.Sprintf("min must be a count ≥ 1, not %d", r.Min)
	case r.PerPopulation != 0 && !(r.PerPopulation >= 1) || math.IsInf(r.PerPopulation, 0):
		return fmt.Sprintf("per_population must be a number of residents ≥ 1 (one facility per that many residents), not %v", r.PerPopulation)
	case r.Min == 0 && r.PerPopulation == 0 && r.MinCoverage == 0:
		return "give min (facilities per unit), per_population (residents per facility) or min_coverage (share of residents within reach)"
	}
	return ""
}

// Check reports what is wrong with r on its own (its type and level are
// checked against a profile and units by ValidateRules); the error wraps
// ErrInvalid.
func (r Rule) Check() error {
	if msg := r.check(); msg != "" {
		return invalidError(msg)
	}
	return nil
}

// invalidError is a message that wraps ErrInvalid without repeating it.
type invalidError string

func (e invalidError) Error() string { return string(e) }
func (e invalidError) Unwrap() error { return ErrInvalid }

// label names rule i in messages.
func (r Rule) label(i int) string {
	s := fmt.Sprintf("rule %d", i+1)
	if r.Origin != "" {
		s += " (" + r.Origin + ")"
	}
	return s
}

// ValidateRules checks every rule against the profile's types and the
// hierarchy's level names (h may be nil: then only district-wide rules
// are allowed). It reports every problem in one error wrapping ErrInvalid.
func ValidateRules(rules []Rule, p *Profile, h *Hierarchy) error {
	var probs []string
	for i, r := range rules {
		if msg := r.check(); msg != "" {
			probs = append(probs, r.label(i)+": "+msg)
			continue
		}
		if _, ok := p.Type(r.Type); !ok {
			probs = append(probs, fmt.Sprintf("%s: type %q is not in profile %q (its types: %s)", r.label(i), r.Type, p.ID, strings.Join(p.TypeIDs(), ", ")))
		}
		if !r.districtWide() {
			if _, ok := h.Level(r.Level); !ok {
				levels := append(h.LevelNames(), DistrictLevel)
				probs = append(probs, fmt.Sprintf("%s: level %q is not a level of the units (levels: %s) — give units with that level (--units, a \"level\" property, or --units-osm)",
					r.label(i), r.Level, strings.Join(levels, ", ")))
			}
		}
	}
	if len(probs) == 0 {
		return nil
	}
	return fmt.Errorf("rules: %w: %s", ErrInvalid, strings.Join(probs, "; "))
}

// A RuleCheck is the outcome of one rule: how many units it checked and
// every unit that breaks it.
type RuleCheck struct {
	Index    int // position in the rule list
	Rule     Rule
	Kind     string // RuleCount, RulePerPopulation or RuleCoverage
	Text     Names  // the rule in words
	Checked  int    // units checked (1 for a district-wide rule)
	Breaches []RuleBreach
}

// Broken reports whether any unit breaks the rule.
func (c RuleCheck) Broken() bool { return len(c.Breaches) > 0 }

// A RuleBreach is one unit that breaks a rule, and by how much.
type RuleBreach struct {
	Unit       int // index in the level's units; -1 for the district
	UnitID     string
	UnitName   string
	Population float64
	// Required and Actual are facility counts, or coverage shares (0..1).
	Required float64
	Actual   float64
	// Shortfall is Required − Actual: facilities missing, or the share of
	// residents missing.
	Shortfall float64
	// Residents is, for coverage rules, how many more residents must be
	// within reach to meet the rule.
	Residents float64
}

// CheckRules checks every rule on an audit's figures: res for
// district-wide rules, levels (from AggregateLevels over h) for per-unit
// rules. Units without residents pass per-population and coverage rules;
// count rules (min) apply to every unit.
func CheckRules(rules []Rule, in AuditInput, res *AuditResult, h *Hierarchy, levels []LevelResult) ([]RuleCheck, error) {
	if err := ValidateRules(rules, in.Profile, h); err != nil {
		return nil, err
	}
	out := make([]RuleCheck, len(rules))
	for i, r := range rules {
		ti := 0
		for k, t := range in.Profile.Types {
			if t.ID == r.Type {
				ti = k
			}
		}
		t := in.Profile.Types[ti]
		c := RuleCheck{Index: i, Rule: r, Kind: r.Kind(), Text: r.Describe(t)}
		if r.districtWide() {
			c.Checked = 1
			n := 0
			for _, f := range in.Facilities {
				if f.Type == r.Type {
					n++
				}
			}
			if b, bad := r.judge(res.Population, float64(n), res.Types[ti].Covered); bad {
				b.Unit = -1
				b.UnitID = DistrictLevel
				c.Breaches = append(c.Breaches, b)
			}
			out[i] = c
			continue
		}
		k := 0
		for j, l := range h.Levels {
			if l.Name == r.Level {
				k = j
			}
		}
		if k >= len(levels) {
			return nil, fmt.Errorf("rules: %w: level %q has no aggregated figures", ErrInvalid, r.Level)
		}
		lv, lr := &h.Levels[k], &levels[k]
		for u, ur := range lr.Units {
			if r.Kind() != RuleCount && ur.Population <= 0 {
				continue
			}
			c.Checked++
			if b, bad := r.judge(ur.Population, float64(lr.Facilities[u][ti]), ur.Covered[ti]); bad {
				b.Unit, b.UnitID, b.UnitName = u, lv.Units[u].ID, lv.Units[u].Name
				c.Breaches = append(c.Breaches, b)
			}
		}
		out[i] = c
	}
	return out, nil
}

// judge returns the breach of a unit with pop residents, n facilities and
// covered residents within reach, and whether the rule is broken.
func (r Rule) judge(pop, n, covered float64) (RuleBreach, bool) {
	b := RuleBreach{Population: pop}
	if r.Kind() == RuleCoverage {
		share := 0.0
		if pop > 0 {
			share = covered / pop
		}
		b.Required, b.Actual = r.MinCoverage, share
		b.Shortfall = r.MinCoverage - share
		b.Residents = math.Max(0, r.MinCoverage*pop-covered)
		// A share within rounding of the target passes.
		return b, pop > 0 && share < r.MinCoverage-1e-9
	}
	need := float64(r.Min)
	if r.PerPopulation > 0 {
		need = math.Max(need, math.Ceil(pop/r.PerPopulation-1e-9))
	}
	b.Required, b.Actual = need, n
	b.Shortfall = need - n
	return b, n < need
}

// Describe returns the rule in words, in Chinese and English, for type t.
func (r Rule) Describe(t AmenityType) Names {
	zhType, enType := t.Names.Zh, t.Names.En
	if zhType == "" {
		zhType = t.ID
	}
	if enType == "" {
		enType = t.ID
	}
	where, whereZh := "the district", "全区"
	if !r.districtWide() {
		zh, _ := glossary.Level(r.Level)
		if zh == r.Level {
			zh += " " // a name of the user's, e.g. "wards": 每个wards reads badly
		}
		where, whereZh = "every "+r.Level, "每个"+zh
	}
	switch r.Kind() {
	case RuleCoverage:
		pct := strconv.FormatFloat(100*r.MinCoverage, 'f', -1, 64)
		return Names{
			Zh: fmt.Sprintf("%s ≥ %s%% 居民步行 %.0f 米内可达%s", whereZh, pct, t.Threshold, zhType),
			En: fmt.Sprintf("In %s, ≥ %s %% of residents within %.0f m of %s", where, pct, t.Threshold, enType),
		}
	case RulePerPopulation:
		per := strconv.FormatFloat(r.PerPopulation, 'f', -1, 64)
		zh := fmt.Sprintf("%s 每 %s 居民至少 1 处%s", whereZh, per, zhType)
		en := fmt.Sprintf("%s has ≥ 1 %s per %s residents", capitalize(where), enType, per)
		if r.Min > 0 {
			zh += fmt.Sprintf("，且不少于 %d 处", r.Min)
			en += fmt.Sprintf(", and at least %d", r.Min)
		}
		return Names{Zh: zh, En: en}
	default:
		return Names{
			Zh: fmt.Sprintf("%s至少 %d 处%s", whereZh, r.Min, zhType),
			En: fmt.Sprintf("%s has ≥ %d %s", capitalize(where), r.Min, enType),
		}
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// BrokenRules counts the rules that at least one unit breaks.
func BrokenRules(checks []RuleCheck) int {
	n := 0
	for _, c := range checks {
		if c.Broken() {
			n++
		}
	}
	return n
}

// rules parses a profile's rules: list; errors carry the line.
func (ps *parser) rules(n *yaml.Node) []Rule {
	if n.Kind != yaml.SequenceNode {
		ps.add(n.Line, "rules must be a list (each item like \"- {level: community, type: clinic, min: 1}\"), not %s", kindName(n))
		return nil
	}
	var out []Rule
	for i, item := range n.Content {
		item = deref(item)
		ctx := fmt.Sprintf("rule %d: ", i+1)
		if item.Kind != yaml.MappingNode {
			ps.add(item.Line, "%smust be a mapping with level, type and min, per_population or min_coverage, not %s", ctx, kindName(item))
			continue
		}
		r := Rule{Origin: "profile"}
		before := len(ps.errs)
		ok := true
		for _, f := range ps.fields(item, ctx, "level", "type", "min", "per_population", "min_coverage", "note") {
			switch f.key {
			case "level":
				r.Level = ps.str(f.v, ctx, "level")
			case "type":
				r.Type = ps.str(f.v, ctx, "type")
			case "note":
				r.Note = ps.str(f.v, ctx, "note")
			case "min":
				v, good := ps.number(f.v, ctx, "min", " of facilities")
				if good && (v != math.Trunc(v) || v < 1 || v > 1e6) {
					ps.add(f.v.Line, "%smin must be a whole number of facilities ≥ 1, not %s", ctx, f.v.Value)
					good = false
				}
				ok = ok && good
				r.Min = int(v)
			case "per_population":
				v, good := ps.number(f.v, ctx, "per_population", " of residents")
				ok = ok && good
				r.PerPopulation = v
			case "min_coverage":
				v, good := ps.number(f.v, ctx, "min_coverage", " (a share, e.g. 0.9)")
				ok = ok && good
				r.MinCoverage = v
			}
		}
		if !ok || len(ps.errs) > before {
			continue
		}
		if msg := r.check(); msg != "" {
			ps.add(item.Line, "%s%s", ctx, msg)
			continue
		}
		out = append(out, r)
	}
	return out
}

// checkRuleTypes reports rules naming a type the profile lacks.
func (ps *parser) checkRuleTypes(p *Profile, line int) {
	for i, r := range p.Rules {
		if _, ok := p.Type(r.Type); ok {
			continue
		}
		if slices.ContainsFunc(p.Off, func(t AmenityType) bool { return t.ID == r.Type }) {
			ps.add(line, "rule %d: type %q has enabled: false; turn it on or drop the rule", i+1, r.Type)
		} else {
			ps.add(line, "rule %d: type %q is not one of this profile's types (%s)", i+1, r.Type, strings.Join(p.TypeIDs(), ", "))
		}
	}
}

// rulesNode renders rules for Profile.YAML.
func rulesNode(rules []Rule) *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, r := range rules {
		m := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		add := func(k string, v *yaml.Node) { m.Content = append(m.Content, strNode(k), v) }
		if r.Level != "" {
			add("level", strNode(r.Level))
		}
		add("type", strNode(r.Type))
		if r.Min != 0 {
			add("min", numNode(float64(r.Min)))
		}
		if r.PerPopulation != 0 {
			add("per_population", numNode(r.PerPopulation))
		}
		if r.MinCoverage != 0 {
			add("min_coverage", numNode(r.MinCoverage))
		}
		if r.Note != "" {
			add("note", strNode(r.Note))
		}
		seq.Content = append(seq.Content, m)
	}
	return seq
}
