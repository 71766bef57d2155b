package data

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/lifecircle/lifecircle/data/osm"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// An AdminLevel is one OSM admin_level taken as a level of analysis units,
// with the level name the units get (e.g. 8 → "admin8", or "subdistrict").
type AdminLevel struct {
	AdminLevel int
	Name       string
}

var adminSpecRe = regexp.MustCompile(`^admin_level=(.+)$`)

// ParseAdminLevels parses a --units-osm value: "admin_level=8,10" (levels
// named admin8 and admin10), or with names, "admin_level=8:subdistrict,10:community".
// Levels are returned in the order given.
func ParseAdminLevels(spec string) ([]AdminLevel, error) {
	m := adminSpecRe.FindStringSubmatch(strings.TrimSpace(spec))
	if m == nil {
		return nil, fmt.Errorf("%q: expected admin_level=N[,N…] (OSM admin_level values, e.g. admin_level=8,10), optionally naming levels: admin_level=8:subdistrict,10:community", spec)
	}
	var out []AdminLevel
	seen := map[int]bool{}
	names := map[string]bool{}
	for _, part := range strings.Split(m[1], ",") {
		part = strings.TrimSpace(part)
		num, name, named := strings.Cut(part, ":")
		n, err := strconv.Atoi(strings.TrimSpace(num))
		if err != nil || n < 1 || n > 12 {
			return nil, fmt.Errorf("%q: admin_level %q is not a whole number 1..12", spec, num)
		}
		if seen[n] {
			return nil, fmt.Errorf("%q: admin_level %d is given twice", spec, n)
		}
		seen[n] = true
		name = strings.TrimSpace(name)
		if !named || name == "" {
			name = "admin" + strconv.Itoa(n)
		}
		if names[name] {
			return nil, fmt.Errorf("%q: level name %q is given twice", spec, name)
		}
		names[name] = true
		out = append(out, AdminLevel{AdminLevel: n, Name: name})
	}
	return out, nil
}

// ReadAdminUnits reads the administrative boundaries (boundary=administrative
// relations, and closed ways) of the given admin levels from an OSM extract
// as analysis units: id "osm-r<relation id>" (or "osm-w<way id>"), name from
// name:zh, else name, level the AdminLevel's name, geometry the assembled
// multipolygon (osm.Extract.Polygon). Boundaries the extract cuts cannot be
// closed and are left out with a warning. Units come coarsest level first.
// It fails when a level has no complete boundary, naming the levels the
// extract does have.
func ReadAdminUnits(ctx context.Context, path string, levels []AdminLevel, progress func(pass string, done, total int64)) ([]planner.Unit, []string, error) {
	if len(levels) == 0 {
		return nil, nil, fmt.Errorf("%s: no admin levels asked for", path)
	}
	want := map[string]int{} // admin_level tag value → index in levels
	for i, l := range levels {
		want[strconv.Itoa(l.AdminLevel)] = i
	}
	isAdmin := func(get func(string) string) bool {
		if get("boundary") != "administrative" {
			return false
		}
		_, ok := want[strings.TrimSpace(get("admin_level"))]
		return ok
	}
	x, err := osm.Read(ctx, path, osm.Filter{
		Relation: isAdmin,
		Way: func(get func(string) string) bool {
			return isAdmin(get) && get("type") != "multipolygon"
		},
	}, progress)
	if err != nil {
		return nil, nil, err
	}
	per := make([][]planner.Unit, len(levels))
	var warnings []string
	cut := make([][]string, len(levels))
	found := make([]int, len(levels))
	name := func(tags map[string]string) string {
		for _, k := range []string{"name:zh", "name", "name:en", "official_name"} {
			if v := strings.TrimSpace(tags[k]); v != "" {
				return v
			}
		}
		return ""
	}
	for _, r := range x.Relations {
		if r.Tags["boundary"] != "administrative" {
			continue
		}
		li, ok := want[strings.TrimSpace(r.Tags["admin_level"])]
		if !ok {
			continue
		}
		found[li]++
		mp, err := x.Polygon(r)
		if err != nil || len(mp) == 0 {
			label := name(r.Tags)
			if label == "" {
				label = "r" + strconv.FormatInt(r.ID, 10)
			}
			cut[li] = append(cut[li], label)
			continue
		}
		var g orb.Geometry = mp
		if len(mp) == 1 {
			g = mp[0]
		}
		per[li] = append(per[li], planner.Unit{
			ID: "osm-r" + strconv.FormatInt(r.ID, 10), Name: name(r.Tags), Level: levels[li].Name, Geometry: g,
		})
	}
	// Closed boundary ways that stand alone: ways used by a relation (a
	// shared border, or a relation's only ring) are not areas of their own.
	members := map[int64]bool{}
	for _, r := range x.Relations {
		for _, m := range r.Members {
			if m.Type == "way" {
				members[m.Ref] = true
			}
		}
	}
	seenWay := map[int64]bool{}
	for _, w := range x.Ways {
		if w.Member || members[w.ID] || w.Tags["boundary"] != "administrative" || seenWay[w.ID] {
			continue
		}
		seenWay[w.ID] = true
		li, ok := want[strings.TrimSpace(w.Tags["admin_level"])]
		if !ok {
			continue
		}
		poly, ok := osm.WayPolygon(w)
		if !ok {
			continue // an open border line, not an area
		}
		found[li]++
		per[li] = append(per[li], planner.Unit{
			ID: "osm-w" + strconv.FormatInt(w.ID, 10), Name: name(w.Tags), Level: levels[li].Name, Geometry: poly,
		})
	}
	order := make([]int, len(levels))
	for i := range order {
		order[i] = i
	}
	// Coarsest first: smaller admin_level values are larger areas.
	slices.SortStableFunc(order, func(a, b int) int { return levels[a].AdminLevel - levels[b].AdminLevel })
	var units []planner.Unit
	var empty []string
	for _, li := range order {
		l := levels[li]
		if len(cut[li]) > 0 {
			shown := cut[li]
			more := ""
			if len(shown) > 5 {
				more = fmt.Sprintf(" and %d more", len(shown)-5)
				shown = shown[:5]
			}
			warnings = append(warnings, fmt.Sprintf("%s: %d admin_level=%d boundar%s cut by the extract's edge, left out: %s%s",
				path, len(cut[li]), l.AdminLevel, plural(len(cut[li]), "y is", "ies are"), strings.Join(shown, ", "), more))
		}
		if len(per[li]) == 0 {
			empty = append(empty, fmt.Sprintf("admin_level=%d (%d found, %d complete)", l.AdminLevel, found[li], 0))
		}
		slices.SortStableFunc(per[li], func(a, b planner.Unit) int { return strings.Compare(a.ID, b.ID) })
		units = append(units, per[li]...)
	}
	if len(empty) > 0 {
		return nil, warnings, fmt.Errorf("%s: no complete boundary=administrative area for %s — %s; use a larger extract, another admin_level, or --units with your own polygons",
			path, strings.Join(empty, ", "), adminLevelsIn(ctx, path))
	}
	return units, warnings, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// adminLevelsIn describes the admin levels an extract has, for messages.
func adminLevelsIn(ctx context.Context, path string) string {
	x, err := osm.Read(ctx, path, osm.Filter{Relation: func(get func(string) string) bool {
		return get("boundary") == "administrative"
	}}, nil)
	if err != nil {
		return "the extract's boundaries could not be listed"
	}
	complete := map[int]int{}
	all := map[int]int{}
	for _, r := range x.Relations {
		n, err := strconv.Atoi(strings.TrimSpace(r.Tags["admin_level"]))
		if err != nil {
			continue
		}
		all[n]++
		if mp, err := x.Polygon(r); err == nil && len(mp) > 0 {
			complete[n]++
		}
	}
	if len(all) == 0 {
		return "the extract has no boundary=administrative relations"
	}
	var keys []int
	for k := range all {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d (%d of %d complete)", k, complete[k], all[k]))
	}
	return "the extract has admin_level " + strings.Join(parts, ", ")
}
