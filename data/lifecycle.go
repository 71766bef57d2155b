package data

import (
	"time"

	"github.com/lifecircle/lifecircle/planner"
)

// OSM lifecycle tagging (https://wiki.openstreetmap.org/wiki/Lifecycle_prefix
// and https://wiki.openstreetmap.org/wiki/Comparison_of_life_cycle_concepts):
// a prefix before the main keys says the feature is not (or no longer) in
// use — disused:amenity=clinic is a clinic that has closed. An element the
// profile selects only through such a prefix is a facility with that
// status; one that the profile selects directly is open unless a status
// tag (disused=yes, construction=yes, …) says otherwise. The prefixes of
// things that no longer exist (demolished:, removed:, razed:, was:) are
// not read: such a place is no facility at any date the data can tell,
// and every prefix probed costs the reader a lookup per tagged element
// (BenchmarkLifecycleFilter).
var lifecyclePrefixes = []struct {
	prefix string
	status planner.Status
}{
	{"construction", planner.StatusUnderConstruction},
	{"proposed", planner.StatusPlanned},
	{"planned", planner.StatusPlanned},
	{"disused", planner.StatusClosed},
	{"abandoned", planner.StatusClosed},
}

// lifecycleValues are the value-form of the wiki's "<key>=construction +
// construction=<value>" (as highway=construction, building=construction):
// leisure=construction + construction=playground is a playground under
// construction; likewise proposed.
var lifecycleValues = []struct {
	value  string
	status planner.Status
}{
	{"construction", planner.StatusUnderConstruction},
	{"proposed", planner.StatusPlanned},
}

// A lifecycle finds the facilities an OSM element stands for, with their
// status: the profile's matches on its plain tags, then on its tags read
// through each lifecycle prefix or value form.
type lifecycle struct {
	prof *planner.Profile
	// probes are "prefix:key" for the main key of every selector (its
	// first required key: amenity, shop, leisure, …), with the
	// index of the prefix: the keys whose presence calls for a prefixed
	// match.
	probes []struct {
		key    string
		prefix int
	}
}

func newLifecycle(prof *planner.Profile) *lifecycle {
	l := &lifecycle{prof: prof}
	if prof == nil {
		return l
	}
	keys := map[string]bool{}
	var order []string
	for _, t := range prof.Types {
		for _, s := range t.Selectors {
			for _, m := range s.All {
				if m.Not {
					continue
				}
				// the selector's main key, where a prefix goes
				if !keys[m.Key] {
					keys[m.Key] = true
					order = append(order, m.Key)
				}
				break
			}
		}
	}
	for i, p := range lifecyclePrefixes {
		for _, k := range order {
			l.probes = append(l.probes, struct {
				key    string
				prefix int
			}{p.prefix + ":" + k, i})
		}
	}
	return l
}

// any reports whether the element whose tags get returns is a facility of
// any status (the reader's filter).
func (l *lifecycle) any(get func(string) string) bool {
	if l.prof == nil {
		return false
	}
	if len(l.prof.Match(get)) > 0 {
		return true
	}
	for _, pr := range l.probes {
		if get(pr.key) != "" {
			if len(l.prof.Match(prefixGetter(get, lifecyclePrefixes[pr.prefix].prefix))) > 0 {
				return true
			}
		}
	}
	for _, v := range lifecycleValues {
		if get(v.value) != "" && len(l.prof.Match(valueGetter(get, v.value))) > 0 {
			return true
		}
	}
	return false
}

// A statusMatch is a type an element is of, with the rule and the status.
type statusMatch struct {
	planner.TypeMatch
	Status planner.Status
}

// matches returns the types the element with tags is of: its direct
// matches (status from disused=yes, abandoned=yes, construction=yes,
// proposed=yes; else open), then the types only a lifecycle prefix or
// value form selects, each type once.
func (l *lifecycle) matches(tags map[string]string) []statusMatch {
	if l.prof == nil {
		return nil
	}
	get := tagGetter(tags)
	var out []statusMatch
	seen := map[string]bool{}
	st := planner.StatusOpen
	switch {
	case tags["disused"] == "yes" || tags["abandoned"] == "yes":
		st = planner.StatusClosed
	case tags["construction"] == "yes":
		st = planner.StatusUnderConstruction
	case tags["proposed"] == "yes":
		st = planner.StatusPlanned
	}
	for _, m := range l.prof.MatchRules(get) {
		seen[m.Type] = true
		out = append(out, statusMatch{m, st})
	}
	add := func(g func(string) string, status planner.Status, rule func(string) string) {
		for _, m := range l.prof.MatchRules(g) {
			if !seen[m.Type] {
				seen[m.Type] = true
				m.Rule = rule(m.Rule)
				out = append(out, statusMatch{m, status})
			}
		}
	}
	done := map[int]bool{}
	for _, pr := range l.probes {
		if done[pr.prefix] || tags[pr.key] == "" {
			continue
		}
		done[pr.prefix] = true
		p := lifecyclePrefixes[pr.prefix]
		add(prefixGetter(get, p.prefix), p.status, func(r string) string { return p.prefix + ":" + r })
	}
	for _, v := range lifecycleValues {
		if tags[v.value] != "" && tags[v.value] != "yes" {
			add(valueGetter(get, v.value), v.status, func(r string) string { return r + " (" + v.value + "=" + tags[v.value] + ")" })
		}
	}
	return out
}

// prefixGetter reads prefix:key before key.
func prefixGetter(get func(string) string, prefix string) func(string) string {
	return func(k string) string {
		if v := get(prefix + ":" + k); v != "" {
			return v
		}
		return get(k)
	}
}

// valueGetter reads a key whose value is the lifecycle word (leisure=
// construction) as the value of that word's key (construction=playground).
func valueGetter(get func(string) string, word string) func(string) string {
	return func(k string) string {
		v := get(k)
		if v == word && k != word {
			return get(word)
		}
		return v
	}
}

// osmDates reads a facility's dates from its OSM tags: opening_date
// (https://wiki.openstreetmap.org/wiki/Key:opening_date, the expected
// opening of something planned or under construction), else start_date
// (https://wiki.openstreetmap.org/wiki/Key:start_date), as opens; end_date
// (https://wiki.openstreetmap.org/wiki/Key:end_date) as closes. Only full
// YYYY-MM-DD dates are read. It returns the opening_date and end_date tags
// it could not read ("opening_date=2027"), for a warning: those would
// change when the facility counts. A start_date that is not a full date is
// skipped silently (mappers often write a year alone for a place opened
// long ago). Dates that contradict each other are both dropped.
func osmDates(f *planner.Facility, tags map[string]string) (unread []string) {
	read := func(keys ...string) time.Time {
		for _, k := range keys {
			v := tags[k]
			if v == "" {
				continue
			}
			d, err := planner.ParseDate(v)
			if err != nil {
				if k != "start_date" {
					unread = append(unread, k+"="+v)
				}
				continue
			}
			return d
		}
		return time.Time{}
	}
	f.Opens = read("opening_date", "start_date")
	f.Closes = read("end_date")
	if f.CheckDates() != nil {
		unread = append(unread, "opening_date="+planner.FormatDate(f.Opens)+" after end_date="+planner.FormatDate(f.Closes))
		f.Opens, f.Closes = time.Time{}, time.Time{}
	}
	return unread
}
