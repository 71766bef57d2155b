// Package glossary holds lifecircle's terms: one Chinese and one English
// term per concept (completeness is 完整度 everywhere, never 完备度), read
// from the embedded glossary.tsv. The map page (served as JSON), the report
// and the terminal take their terms from it, so that a concept is named
// the same way wherever a planner meets it.
//
// Import rules: the standard library only (it sits below planner, which
// may use it for its own texts).
package glossary

import (
	_ "embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

//go:embed glossary.tsv
var tsv string

// A Term is one concept's names.
type Term struct {
	Key  string `json:"key"`
	Zh   string `json:"zh"`
	En   string `json:"en"`
	Note string `json:"note,omitempty"`
}

var terms, byKey = mustParse(tsv)

// mustParse reads the embedded glossary; a malformed file is a build
// defect that TestGlossary catches, so it panics at start-up.
func mustParse(s string) ([]Term, map[string]Term) {
	ts, err := Parse(s)
	if err != nil {
		panic(err)
	}
	m := make(map[string]Term, len(ts))
	for _, t := range ts {
		m[t.Key] = t
	}
	return ts, m
}

// Parse reads a glossary: a header "key zh en note" and one term per line,
// tab-separated. Every term needs a key, zh and en; keys are unique and
// no Chinese term names two concepts.
func Parse(s string) ([]Term, error) {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "key\tzh\ten\tnote" {
		return nil, fmt.Errorf("glossary.tsv: line 1 must be the header key<TAB>zh<TAB>en<TAB>note")
	}
	var out []Term
	keys := map[string]int{}
	zh := map[string]string{}
	for i, l := range lines[1:] {
		n := i + 2
		f := strings.Split(l, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("glossary.tsv: line %d has %d fields, want 4 (key, zh, en, note) separated by tabs", n, len(f))
		}
		t := Term{Key: f[0], Zh: strings.TrimSpace(f[1]), En: strings.TrimSpace(f[2]), Note: strings.TrimSpace(f[3])}
		if !keyRe.MatchString(t.Key) || t.Zh == "" || t.En == "" {
			return nil, fmt.Errorf("glossary.tsv: line %d: want a key of a-z, 0-9 and _ and both a zh and an en term", n)
		}
		if p, dup := keys[t.Key]; dup {
			return nil, fmt.Errorf("glossary.tsv: line %d: key %q is on line %d too", n, t.Key, p)
		}
		if k, dup := zh[t.Zh]; dup {
			return nil, fmt.Errorf("glossary.tsv: line %d: %q names %q and %q: one term per concept", n, t.Zh, k, t.Key)
		}
		keys[t.Key], zh[t.Zh] = n, t.Key
		out = append(out, t)
	}
	return out, nil
}

var keyRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// All returns every term, in the file's order.
func All() []Term { return append([]Term(nil), terms...) }

// Lookup returns the term of key.
func Lookup(key string) (Term, bool) {
	t, ok := byKey[key]
	return t, ok
}

// Zh returns the Chinese term of key, or key itself when the glossary
// has none (a test checks that every key the code uses exists).
func Zh(key string) string {
	if t, ok := byKey[key]; ok {
		return t.Zh
	}
	return key
}

// En returns the English term of key, or key itself.
func En(key string) string {
	if t, ok := byKey[key]; ok {
		return t.En
	}
	return key
}

// In returns the term of key in lang ("zh" or "en").
func In(key, lang string) string {
	if lang == "zh" {
		return Zh(key)
	}
	return En(key)
}

// Both returns "English 中文", the terminal's bilingual label.
func Both(key string) string { return strings.ToLower(En(key)) + " " + Zh(key) }

// levelAliases are other spellings of the glossary's level keys.
var levelAliases = map[string]string{
	"street": "subdistrict", "neighbourhood": "community", "neighborhood": "community",
	"cells": "cell", "units": "unit",
}

var adminRe = regexp.MustCompile(`^admin_?(?:level_?)?(\d{1,2})$`)

// Level names a unit level in both languages: a level the glossary knows
// (community, subdistrict, grid, district, cells, units, …, in any case),
// "adminN" (an OSM admin_level), else the name as the user wrote it in
// both (a units file may name its levels 社区 already).
func Level(name string) (zh, en string) {
	k := strings.ToLower(strings.TrimSpace(name))
	if a, ok := levelAliases[k]; ok {
		k = a
	}
	if t, ok := byKey[k]; ok && isLevel(k) {
		return t.Zh, t.En
	}
	if m := adminRe.FindStringSubmatch(k); m != nil {
		return Zh("admin_level") + " " + m[1], En("admin_level") + " " + m[1]
	}
	return name, name
}

// LevelAliases returns the other spellings of level keys (street →
// subdistrict, …), for the map page's copy of Level.
func LevelAliases() map[string]string {
	m := make(map[string]string, len(levelAliases))
	for k, v := range levelAliases {
		m[k] = v
	}
	return m
}

// LevelKeys are the glossary keys that name unit levels.
var LevelKeys = []string{"district", "subdistrict", "community", "grid", "county", "unit", "cell"}

func isLevel(k string) bool {
	for _, l := range LevelKeys {
		if l == k {
			return true
		}
	}
	return false
}

// Map returns the terms keyed by key, as the map page receives them.
func Map() map[string]Term {
	m := make(map[string]Term, len(terms))
	for _, t := range terms {
		m[t.Key] = t
	}
	return m
}

// Keys returns the keys in sorted order.
func Keys() []string {
	k := make([]string, 0, len(terms))
	for _, t := range terms {
		k = append(k, t.Key)
	}
	sort.Strings(k)
	return k
}
