package study

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
)

// ApplyFacilityOverrides applies the overrides o to the facilities fs as
// read (ids as the readers give them, before UniqueFacilityIDs) and
// returns the facilities the audit counts with a summary of the changes.
// Lines apply in file order:
//   - exclude drops every facility with the id (only those of the line's
//     type when it names one);
//   - include adds a facility of the line's type: at lon/lat when given
//     (a new point, or the element moved there), else where the facility
//     with that id already is (an element counted under another type);
//   - retype changes the type of every facility with the id.
//
// Included and retyped facilities say so in their Rule. Every error
// names the file, the line and the fix.
func ApplyFacilityOverrides(o *data.FacilityOverrides, prof *planner.Profile, fs []planner.Facility) ([]planner.Facility, *data.FacilityOverrideSummary, error) {
	sum := &data.FacilityOverrideSummary{File: o.File(), Types: map[string]data.TypeOverrides{}}
	bump := func(typ string, f func(*data.TypeOverrides)) {
		t := sum.Types[typ]
		f(&t)
		sum.Types[typ] = t
	}
	out := slices.Clone(fs)
	for _, ov := range o.Lines {
		where := fmt.Sprintf("%s:%d", o.Path, ov.Line)
		if ov.Type != "" {
			if err := checkOverrideType(where, prof, ov.Type); err != nil {
				return nil, nil, err
			}
		}
		var idx []int
		for i, f := range out {
			if f.ID == ov.ID {
				idx = append(idx, i)
			}
		}
		rule := fmt.Sprintf("%s line %d: %s", o.File(), ov.Line, ov.Action)
		if ov.Reason != "" {
			rule += " (" + ov.Reason + ")"
		}
		switch ov.Action {
		case data.OverrideExclude:
			if len(idx) == 0 {
				return nil, nil, fmt.Errorf("%s: exclude %s: no facility has this id — %s", where, ov.ID, idHint)
			}
			n := 0
			out = slices.DeleteFunc(out, func(f planner.Facility) bool {
				drop := f.ID == ov.ID && (ov.Type == "" || f.Type == ov.Type)
				if drop {
					n++
					bump(f.Type, func(t *data.TypeOverrides) { t.Excluded++ })
				}
				return drop
			})
			if n == 0 {
				return nil, nil, fmt.Errorf("%s: exclude %s from %s: it is counted as %s, not %s — give one of those types, or leave the type empty to exclude it from every type",
					where, ov.ID, ov.Type, typesOf(out, idx), ov.Type)
			}
			sum.Excluded += n
		case data.OverrideInclude:
			f := planner.Facility{ID: ov.ID, Type: ov.Type, Name: ov.Name, Source: o.File(), Rule: rule}
			if len(idx) > 0 {
				for _, i := range idx {
					if out[i].Type == ov.Type {
						return nil, nil, fmt.Errorf("%s: include %s as %s: it is already counted as %s (by %s) — remove the line", where, ov.ID, ov.Type, ov.Type, out[i].Rule)
					}
				}
				old := out[idx[0]]
				f.Geometry, f.Tags, f.Source = old.Geometry, old.Tags, old.Source
				if f.Name == "" {
					f.Name = old.Name
				}
			} else if ov.Point == nil {
				return nil, nil, fmt.Errorf("%s: include %s: no facility has this id, so lon and lat are needed to place it — add lon,lat (and name) columns and fill them on this line, or correct the id (%s)",
					where, ov.ID, idHint)
			}
			if ov.Point != nil {
				f.Geometry = *ov.Point
			}
			out = append(out, f)
			sum.Included++
			bump(ov.Type, func(t *data.TypeOverrides) { t.Included++ })
		case data.OverrideRetype:
			if len(idx) == 0 {
				return nil, nil, fmt.Errorf("%s: retype %s: no facility has this id — %s", where, ov.ID, idHint)
			}
			seen := false
			for _, i := range idx {
				if out[i].Type == ov.Type {
					seen = true
				}
			}
			if seen && len(idx) == 1 {
				return nil, nil, fmt.Errorf("%s: retype %s to %s: it is already a %s — remove the line", where, ov.ID, ov.Type, ov.Type)
			}
			// Retype every type it was counted as; one facility per id remains.
			keep := idx[0]
			for _, i := range idx {
				if out[i].Type == ov.Type {
					keep = i
				}
			}
			for _, i := range idx {
				if out[i].Type != ov.Type {
					bump(out[i].Type, func(t *data.TypeOverrides) { t.RetypedOut++ })
				}
			}
			if out[keep].Type != ov.Type {
				bump(ov.Type, func(t *data.TypeOverrides) { t.RetypedIn++ })
				out[keep].Rule = rule + ", was " + out[keep].Type + " by " + out[keep].Rule
				out[keep].Type = ov.Type
			}
			kept := out[:0]
			for i, f := range out {
				if i == keep || f.ID != ov.ID {
					kept = append(kept, f)
				}
			}
			out = kept
			sum.Retyped++
		}
	}
	return out, sum, nil
}

const idHint = "copy the id from facilities.geojson or `lifecircle facilities` (n123 for an OSM node, w123 for a way, r123 for a relation, a layer's own id otherwise)"

// checkOverrideType checks that typ is a type the study counts.
func checkOverrideType(where string, prof *planner.Profile, typ string) error {
	if _, ok := prof.Type(typ); ok {
		return nil
	}
	for _, t := range prof.Off {
		if t.ID == typ {
			return fmt.Errorf("%s: type %s of profile %s is off by default — turn it on with --types %s", where, typ, prof.ID, typ)
		}
	}
	return fmt.Errorf("%s: unknown type %q — profile %s has: %s", where, typ, prof.ID, strings.Join(prof.TypeIDs(), ", "))
}

// typesOf lists the types of the facilities at idx.
func typesOf(fs []planner.Facility, idx []int) string {
	var ts []string
	for _, i := range idx {
		if i < len(fs) && !slices.Contains(ts, fs[i].Type) {
			ts = append(ts, fs[i].Type)
		}
	}
	return strings.Join(ts, ", ")
}

// enableTypes turns on the off-by-default types ids of prof (--types).
func enableTypes(prof *planner.Profile, ids []string) error {
	if err := prof.Enable(ids...); err != nil {
		return Invalidf("--types: %v — give type ids separated by commas", err)
	}
	return nil
}

// applyOverrides reads the settings' overrides file and applies it to
// the study's facilities, before the audit sees them.
func (st *Study) applyOverrides(path string) error {
	st.p.Step("apply facility overrides")
	o, err := data.ReadFacilityOverrides(path, st.Inputs.Coords)
	if err != nil {
		return err
	}
	fs, sum, err := ApplyFacilityOverrides(o, st.Inputs.Profile, st.Inputs.Facilities)
	if err != nil {
		return err
	}
	st.Inputs.Facilities, st.In.Facilities = fs, fs
	st.Meta.FacilityOverrides = sum
	st.Meta.Inputs["facility_overrides"] = path
	st.p.Done("%s: %d excluded, %d included, %d retyped", sum.File, sum.Excluded, sum.Included, sum.Retyped)
	return nil
}
