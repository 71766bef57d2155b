package planner

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

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
#              Example: amenity=social_facility;social_facility:for=senior|elderly
#   exclude    optional selectors of elements never of the type, even when a selector matches
#              (a dentist tagged amenity=clinic): same syntax as selectors
#   demand     optional resident group the type serves: a column of the population layer
#              (age_60_plus, age_0_14, …); without it the type is judged by all residents
#   capacity_ratio  optional places (day-care places, beds) needed per 1,000 of the residents the
#              type is judged by; with it, facilities that give a capacity serve
#              capacity × 1000 / capacity_ratio residents, and the audit reports residents
#              within reach whose stations are full (over_capacity_<id>)
#   enabled    optional; false defines the type but leaves it out of audits until turned on`

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
	for i, t := range append(slices.Clip(p.Types), p.Off...) {
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
		if len(t.Exclude) > 0 {
			ex := &yaml.Node{Kind: yaml.SequenceNode}
			for _, s := range t.Exclude {
				ex.Content = append(ex.Content, strNode(s.String()))
			}
			add(m, "exclude", ex)
		}
		if t.Demand != "" {
			add(m, "demand", strNode(t.Demand))
		}
		if t.CapacityRatio > 0 {
			r := numNode(t.CapacityRatio)
			r.LineComment = "places per 1,000 residents"
			add(m, "capacity_ratio", r)
		}
		if i >= len(p.Types) {
			off := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"}
			off.LineComment = "left out of audits unless turned on"
			add(m, "enabled", off)
		}
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
	for _, t := range append(slices.Clip(p.Types), p.Off...) {
		texts = append(texts, t.ID, t.Names.Zh, t.Names.En, t.Source)
		for _, sel := range append(slices.Clip(t.Selectors), t.Exclude...) {
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
