package planner

import (
	"fmt"
)

// ApplyEdits applies saved what-if edits (a scenario's history, oldest
// first) to facilities, the same inputs the scenario was made from, and
// returns the facilities they give; facilities is not changed. Moves and
// removes find their facility by id, so an OSM facility that was moved or
// removed is moved or removed, never counted twice; adds append a facility
// with Source "scenario". An edit whose facility is missing (the inputs
// changed since the save), an add whose id is taken or an unknown op is
// an error naming the edit by its position (ErrNotFound, ErrInvalid).
func ApplyEdits(facilities []Facility, edits []Edit) ([]Facility, error) {
	out := make([]Facility, len(facilities), len(facilities)+len(edits))
	copy(out, facilities)
	gone := make([]bool, len(out), cap(out))
	at := make(map[string]int, len(out))
	for i := len(out) - 1; i >= 0; i-- {
		at[out[i].ID] = i // the first of duplicate ids wins, as find does
	}
	for k, e := range edits {
		switch e.Op {
		case "add":
			if e.ID == "" {
				return nil, fmt.Errorf("scenario edit %d (add %s): %w: the added facility has no id", k+1, e.Type, ErrInvalid)
			}
			if _, ok := at[e.ID]; ok {
				return nil, fmt.Errorf("scenario edit %d (add %s): %w: a facility with id %q exists already in the inputs — were the edits saved from other inputs?", k+1, e.Type, ErrInvalid, e.ID)
			}
			if err := checkGeometry(e.Geometry); err != nil {
				return nil, fmt.Errorf("scenario edit %d (add %s): %w", k+1, e.ID, err)
			}
			at[e.ID] = len(out)
			out = append(out, Facility{ID: e.ID, Type: e.Type, Name: e.Name, Source: "scenario", Geometry: e.Geometry})
			gone = append(gone, false)
		case "move", "remove":
			i, ok := at[e.ID]
			if !ok {
				return nil, fmt.Errorf("scenario edit %d (%s %s): %w: no facility with this id in the inputs — were the edits saved from other inputs (another extract, profile or --amenities)?", k+1, e.Op, e.ID, ErrNotFound)
			}
			if e.Op == "remove" {
				gone[i] = true
				delete(at, e.ID)
				continue
			}
			if err := checkGeometry(e.Geometry); err != nil {
				return nil, fmt.Errorf("scenario edit %d (move %s): %w", k+1, e.ID, err)
			}
			out[i].Geometry = e.Geometry
		default:
			return nil, fmt.Errorf("scenario edit %d: %w: unknown op %q (add, move or remove)", k+1, ErrInvalid, e.Op)
		}
	}
	kept := out[:0]
	for i, f := range out {
		if !gone[i] {
			kept = append(kept, f)
		}
	}
	return kept, nil
}
