package data

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// This file reads a facility overrides file: a planner's corrections to
// what the profile's selectors counted, one facility a line, applied by
// every verb (data/study) after the facilities are read.

// Facility override actions.
const (
	OverrideExclude = "exclude" // drop the facility with that id
	OverrideInclude = "include" // count a facility: a new point, or an element read under another type
	OverrideRetype  = "retype"  // change the facility's type
)

// A FacilityOverride is one line of a facility overrides file.
type FacilityOverride struct {
	Line   int // line in the file, from 1 (the header is line 1)
	ID     string
	Action string // OverrideExclude, OverrideInclude or OverrideRetype
	Type   string // the type to count it as (include, retype), or to exclude it from ("" = every type)
	Reason string
	// Point is where an included facility stands (lon/lat, WGS84, after the
	// study's coordinate system is applied); nil when not given.
	Point *orb.Point
	Name  string // name of an included facility
}

// FacilityOverrides is a facility overrides file as read.
type FacilityOverrides struct {
	Path  string
	Lines []FacilityOverride
}

// File returns the overrides file's base name, as the outputs name it.
func (o *FacilityOverrides) File() string { return filepath.Base(o.Path) }

// ReadFacilityOverrides reads a facility overrides file: CSV (UTF-8, a
// byte-order mark allowed) with a header naming the columns id, action,
// type, reason and, for include, lon, lat and name (any order; other
// columns are refused, so that a misspelt one is not silently ignored).
// Coordinates are in cs and returned in WGS84. The file is checked on
// its own here (actions, columns, coordinates, one line per id); ids and
// types are checked against the facilities and the profile when applied.
func ReadFacilityOverrides(path string, cs CoordSystem) (*FacilityOverrides, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("facility overrides: %w", err)
	}
	return ParseFacilityOverrides(path, b, cs)
}

// overrideColumns are the columns of an overrides file.
var overrideColumns = []string{"id", "action", "type", "reason", "lon", "lat", "name"}

const overrideHelp = "the file needs a header line id,action,type,reason (and lon,lat,name for include)"

// ParseFacilityOverrides parses the content b of the overrides file path
// (ReadFacilityOverrides).
func ParseFacilityOverrides(path string, b []byte, cs CoordSystem) (*FacilityOverrides, error) {
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	head, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: the file is empty — %s", path, overrideHelp)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v — %s", path, err, overrideHelp)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range overrideColumns {
			known = known || c == h
		}
		if !known {
			return nil, fmt.Errorf("%s:1: unknown column %q — %s; known columns: %s", path, head[i], overrideHelp, strings.Join(overrideColumns, ", "))
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("%s:1: column %q appears twice — keep one", path, h)
		}
		col[h] = i
	}
	for _, c := range []string{"id", "action"} {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("%s:1: no %q column — %s", path, c, overrideHelp)
		}
	}
	_, hasLon := col["lon"]
	_, hasLat := col["lat"]
	if hasLon != hasLat {
		return nil, fmt.Errorf("%s:1: give both lon and lat columns, or neither", path)
	}
	o := &FacilityOverrides{Path: path}
	first := map[string]int{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s:%d: %v — check the quotes on that line", path, pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		line, _ := r.FieldPos(0)
		get := func(c string) string {
			if i, ok := col[c]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		blank := true
		for _, v := range rec {
			blank = blank && strings.TrimSpace(v) == ""
		}
		if blank {
			continue
		}
		ov := FacilityOverride{Line: line, ID: get("id"), Action: strings.ToLower(get("action")), Type: get("type"), Reason: get("reason"), Name: get("name")}
		where := fmt.Sprintf("%s:%d", path, line)
		if ov.ID == "" {
			return nil, fmt.Errorf("%s: no id — give the facility's id as facilities.geojson or `lifecircle facilities` shows it (n123 for an OSM node, w123 for a way, r123 for a relation), or a new id for an include", where)
		}
		switch ov.Action {
		case OverrideExclude:
		case OverrideInclude, OverrideRetype:
			if ov.Type == "" {
				return nil, fmt.Errorf("%s: %s %s needs a type — give the type id to count it as", where, ov.Action, ov.ID)
			}
		default:
			return nil, fmt.Errorf("%s: unknown action %q for %s — use exclude, include or retype", where, get("action"), ov.ID)
		}
		if lon, lat := get("lon"), get("lat"); lon != "" || lat != "" {
			if ov.Action != OverrideInclude {
				return nil, fmt.Errorf("%s: lon/lat are given for a %s — coordinates place an included facility only; leave them empty", where, ov.Action)
			}
			x, errX := strconv.ParseFloat(lon, 64)
			y, errY := strconv.ParseFloat(lat, 64)
			if errX != nil || errY != nil || math.IsNaN(x) || math.IsNaN(y) || math.Abs(x) > 180 || math.Abs(y) > 90 {
				return nil, fmt.Errorf("%s: lon %q, lat %q are not a longitude in -180..180 and a latitude in -90..90 — give decimal degrees (lon first)", where, lon, lat)
			}
			p := cs.toWGS84(orb.Point{x, y})
			ov.Point = &p
		}
		if prev, dup := first[ov.ID]; dup {
			return nil, fmt.Errorf("%s: %s already has a line (line %d) — keep one line per id", where, ov.ID, prev)
		}
		first[ov.ID] = line
		o.Lines = append(o.Lines, ov)
	}
	return o, nil
}

// FacilityOverrideSummary is summary.json's facility_overrides: the
// overrides file and how many facilities it excluded, included (added, or
// counted under one more type) and retyped.
type FacilityOverrideSummary struct {
	// Types are the changes per type id, shown next to each type's
	// facility count (summary.json carries them in types[].facility_overrides).
	Types    map[string]TypeOverrides `json:"-"`
	Excluded int                      `json:"excluded"`
	File     string                   `json:"file"`
	Included int                      `json:"included"`
	Retyped  int                      `json:"retyped"`
}

// TypeOverrides are the overrides' changes to one type's facilities:
// excluded from it, included in it, retyped into it and out of it.
type TypeOverrides struct {
	Excluded   int `json:"excluded"`
	Included   int `json:"included"`
	RetypedIn  int `json:"retyped_in"`
	RetypedOut int `json:"retyped_out"`
}

// Text describes the changes, e.g. "−1 excluded, +2 included", "" when none.
func (t TypeOverrides) Text() string {
	var parts []string
	add := func(n int, f string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf(f, n))
		}
	}
	add(t.Excluded, "−%d excluded")
	add(t.Included, "+%d included")
	add(t.RetypedIn, "+%d retyped in")
	add(t.RetypedOut, "−%d retyped out")
	return strings.Join(parts, ", ")
}

// Type returns the changes to type id's facilities, nil when none (or
// when o is nil).
func (o *FacilityOverrideSummary) Type(id string) *TypeOverrides {
	if o == nil {
		return nil
	}
	t, ok := o.Types[id]
	if !ok || t == (TypeOverrides{}) {
		return nil
	}
	return &t
}

// facilitiesKPI is the report's facility count, with the overrides file's
// changes as its note.
func facilitiesKPI(n int, o *FacilityOverrideSummary) reportKPI {
	k := reportKPI{Zh: "设施", En: "Facilities", Value: strconv.Itoa(n)}
	if o != nil {
		k.Note = fmt.Sprintf("%s: −%d excluded 排除, +%d included 加入, %d retyped 改类", o.File, o.Excluded, o.Included, o.Retyped)
	}
	return k
}
