package data

import (
	"math"
	"sort"
)

// Rules by which DiffFacilities matches a facility of run A to one of run
// B, in the order they apply, and their distances in metres.
const (
	MatchID       = "id"       // same type and id
	MatchName     = "name"     // same type and name, within MatchNameM
	MatchPosition = "position" // same type, within MatchPositionM
	// MatchNameM is how far apart two facilities of one type and name may
	// be and still be the same facility (its id changed, and it may have
	// moved a little).
	MatchNameM = 50.0
	// MatchPositionM is how far apart two facilities of one type may be
	// and still be the same one when neither id nor name tells (renamed
	// and renumbered, or unnamed with a derived id that moved to the next
	// grid cell).
	MatchPositionM = 10.0
)

// DiffFacilities matches the facilities of run A to those of run B: first
// by type and id, then the rest by type and name within MatchNameM, then
// by type and position within MatchPositionM. Within a rule the closest
// pairs match first (ties by id), so the result does not depend on the
// order of either list. Unmatched facilities of A are closed, of B new;
// matched pairs more than samePlaceM apart moved.
func DiffFacilities(a, b []DiffFacility) FacilityChanges {
	fc := FacilityChanges{New: []DiffFacility{}, Closed: []DiffFacility{}, Moved: []FacilityMove{},
		Matched: map[string]int{MatchID: 0, MatchName: 0, MatchPosition: 0}}
	usedA, usedB := make([]bool, len(a)), make([]bool, len(b))
	match := func(rule string, pairs []diffPair) {
		sort.Slice(pairs, func(x, y int) bool { return pairs[x].less(pairs[y], a, b) })
		for _, p := range pairs {
			if usedA[p.i] || usedB[p.j] {
				continue
			}
			usedA[p.i], usedB[p.j] = true, true
			fc.Matched[rule]++
			if p.d > samePlaceM && !math.IsInf(p.d, 0) {
				m := FacilityMove{DiffFacility: b[p.j], From: a[p.i].At, Distance: math.Round(p.d*10) / 10, MatchedBy: rule}
				if a[p.i].ID != b[p.j].ID {
					m.FromID = a[p.i].ID
				}
				fc.Moved = append(fc.Moved, m)
			}
		}
	}
	// By id: every pair of one type and id (several only when a run has
	// an id twice).
	byKey := map[[2]string][]int{}
	for j, g := range b {
		if g.ID != "" {
			k := [2]string{g.Type, g.ID}
			byKey[k] = append(byKey[k], j)
		}
	}
	var pairs []diffPair
	for i, f := range a {
		if f.ID == "" {
			continue
		}
		for _, j := range byKey[[2]string{f.Type, f.ID}] {
			pairs = append(pairs, diffPair{i, j, greatCircleM(f.At, b[j].At)})
		}
	}
	match(MatchID, pairs)
	near := newLatIndex(b)
	match(MatchName, near.pairs(a, usedA, usedB, MatchNameM, func(f, g DiffFacility) bool {
		return f.Type == g.Type && f.Name != "" && f.Name == g.Name
	}))
	match(MatchPosition, near.pairs(a, usedA, usedB, MatchPositionM, func(f, g DiffFacility) bool { return f.Type == g.Type }))
	for i, f := range a {
		if !usedA[i] {
			fc.Closed = append(fc.Closed, f)
		}
	}
	for j, g := range b {
		if !usedB[j] {
			fc.New = append(fc.New, g)
		}
	}
	byTypeID := func(fs []DiffFacility) func(x, y int) bool {
		return func(x, y int) bool {
			if fs[x].Type != fs[y].Type {
				return fs[x].Type < fs[y].Type
			}
			return fs[x].ID < fs[y].ID
		}
	}
	sort.SliceStable(fc.New, byTypeID(fc.New))
	sort.SliceStable(fc.Closed, byTypeID(fc.Closed))
	sort.SliceStable(fc.Moved, func(x, y int) bool {
		if fc.Moved[x].Type != fc.Moved[y].Type {
			return fc.Moved[x].Type < fc.Moved[y].Type
		}
		return fc.Moved[x].ID < fc.Moved[y].ID
	})
	return fc
}

// A diffPair is facility i of run A and j of run B, d metres apart.
type diffPair struct {
	i, j int
	d    float64
}

// less orders pairs closest first, then by the ids and positions of A's
// and B's facility, so that the order of the input lists never matters.
func (p diffPair) less(q diffPair, a, b []DiffFacility) bool {
	if p.d != q.d {
		return p.d < q.d
	}
	fa, ga, fb, gb := a[p.i], a[q.i], b[p.j], b[q.j]
	if fa.ID != ga.ID {
		return fa.ID < ga.ID
	}
	if fb.ID != gb.ID {
		return fb.ID < gb.ID
	}
	if fa.At != ga.At {
		return fa.At[0] < ga.At[0] || fa.At[0] == ga.At[0] && fa.At[1] < ga.At[1]
	}
	if fb.At != gb.At {
		return fb.At[0] < gb.At[0] || fb.At[0] == gb.At[0] && fb.At[1] < gb.At[1]
	}
	return p.i < q.i || p.i == q.i && p.j < q.j
}

// latIndex holds run B's placed facilities sorted by latitude, to find
// those within a distance of a point by a latitude window.
type latIndex struct {
	b   []DiffFacility
	ord []int
}

func newLatIndex(b []DiffFacility) latIndex {
	x := latIndex{b: b}
	for j, g := range b {
		if !math.IsNaN(g.At[0]) && !math.IsNaN(g.At[1]) {
			x.ord = append(x.ord, j)
		}
	}
	sort.Slice(x.ord, func(p, q int) bool { return b[x.ord[p]].At[1] < b[x.ord[q]].At[1] })
	return x
}

// pairs returns the unused pairs within dist metres for which same holds.
func (x latIndex) pairs(a []DiffFacility, usedA, usedB []bool, dist float64, same func(f, g DiffFacility) bool) []diffPair {
	// Degrees of latitude per metre, with a margin for rounding.
	dlat := 1.001 * dist * 180 / (math.Pi * 6371009.0)
	var out []diffPair
	for i, f := range a {
		if usedA[i] || math.IsNaN(f.At[1]) {
			continue
		}
		k := sort.Search(len(x.ord), func(k int) bool { return x.b[x.ord[k]].At[1] >= f.At[1]-dlat })
		for ; k < len(x.ord); k++ {
			j := x.ord[k]
			g := x.b[j]
			if g.At[1] > f.At[1]+dlat {
				break
			}
			if usedB[j] || !same(f, g) {
				continue
			}
			if d := greatCircleM(f.At, g.At); d <= dist {
				out = append(out, diffPair{i, j, d})
			}
		}
	}
	return out
}
