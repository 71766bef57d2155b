package planner

import (
	"fmt"
	"strings"
)

// checkParentCycles refuses unit parent ids that form a cycle (A names B
// as its parent and B names A, or A names itself): a parent is a coarser
// unit, so such links are a mistake in the parent column, not a
// hierarchy (issue 16, messages). Ids may repeat across levels: a unit
// links to every other unit with its parent id.
func checkParentCycles(units []Unit) error {
	byID := map[string][]int{}
	for i, u := range units {
		byID[u.ID] = append(byID[u.ID], i)
	}
	next := func(i int) []int {
		p := units[i].Parent
		if p == "" {
			return nil
		}
		var out []int
		for _, j := range byID[p] {
			if j != i {
				out = append(out, j)
			}
		}
		if len(out) == 0 && p == units[i].ID {
			return []int{i} // names itself, and no other unit has its id
		}
		return out
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]uint8, len(units))
	var path []int
	var visit func(i int) []int
	visit = func(i int) []int {
		state[i] = onPath
		path = append(path, i)
		for _, j := range next(i) {
			switch state[j] {
			case onPath:
				for k, p := range path {
					if p == j {
						return append(append([]int(nil), path[k:]...), j)
					}
				}
			case unseen:
				if c := visit(j); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[i] = done
		return nil
	}
	for i := range units {
		if state[i] != unseen {
			continue
		}
		if c := visit(i); c != nil {
			ids := make([]string, len(c))
			for k, u := range c {
				ids[k] = fmt.Sprintf("%q", units[u].ID)
			}
			return fmt.Errorf("units: %w: unit parents form a cycle: %s — a unit's parent is a larger unit that contains it; fix the parent column of these units (or leave it empty to link them by containment)",
				ErrInvalid, strings.Join(ids, " → "))
		}
	}
	return nil
}
