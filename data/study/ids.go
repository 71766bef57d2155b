package study

import (
	"strconv"

	"github.com/lifecircle/lifecircle/planner"
)

// UniqueFacilityIDs makes facility ids unique, since what-if edits and the
// OGC collections address a facility by its id: a clash (an OSM object
// matching two types, or layers numbered alike) becomes "id:type", then
// "id~2", "id~3"… It returns the number of ids changed.
func UniqueFacilityIDs(fs []planner.Facility) int {
	seen := make(map[string]bool, len(fs))
	for _, f := range fs {
		seen[f.ID] = true
	}
	count := map[string]int{}
	for _, f := range fs {
		count[f.ID]++
	}
	changed := 0
	first := map[string]bool{}
	for i := range fs {
		id := fs[i].ID
		if id != "" && count[id] == 1 {
			continue
		}
		if id != "" && !first[id] {
			first[id] = true // the first keeps its id
			continue
		}
		cand := id + ":" + fs[i].Type
		if id == "" {
			cand = "f" + strconv.Itoa(i+1)
		}
		for n := 2; seen[cand]; n++ {
			cand = id + "~" + strconv.Itoa(n)
			if id == "" {
				cand = "f" + strconv.Itoa(i+1) + "~" + strconv.Itoa(n)
			}
		}
		seen[cand] = true
		fs[i].ID = cand
		changed++
	}
	return changed
}
