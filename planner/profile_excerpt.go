package planner

import (
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// hasAnyKey reports whether the mapping node m has one of keys at its
// top level.
func hasAnyKey(m *yaml.Node, keys ...string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := deref(m.Content[i]); k != nil && k.Kind == yaml.ScalarNode && contains(keys, k.Value) {
			return true
		}
	}
	return false
}

// excerpt is text from a file as a message may quote it: control
// characters dropped and at most 32 characters, so that a message never
// echoes a whole line of a file given by mistake.
func excerpt(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if unicode.IsControl(r) {
			continue
		}
		if n == 32 {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
