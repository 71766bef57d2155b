package osm

import (
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Polygon assembles relation r's outer and inner member ways (looked up in
// x.Ways) into a multipolygon in lon/lat: open member ways are joined end to
// end into rings, outer rings are made counter-clockwise and holes clockwise,
// and each hole goes to the smallest outer ring that contains it. Members with
// a role other than "outer", "inner" or "" (taken as outer) are ignored.
//
// It fails when a member way is not in x, when rings cannot be closed (the
// relation is incomplete, often because the extract cuts it), or when a hole
// lies in no outer ring.
func (x *Extract) Polygon(r Relation) (orb.MultiPolygon, error) {
	var outer, inner [][]orb.Point
	seen := make(map[int64]bool)
	var lookup map[int64][]int
	if x.wayIndex != nil && x.wayIndexLen == len(x.Ways) {
		lookup = x.wayIndex
	} else {
		lookup = make(map[int64][]int)
		for _, m := range r.Members {
			if m.Type == "way" {
				lookup[m.Ref] = nil
			}
		}
		for i, w := range x.Ways {
			if _, ok := lookup[w.ID]; ok {
				lookup[w.ID] = append(lookup[w.ID], i)
			}
		}
	}
	for _, m := range r.Members {
		if m.Type != "way" || seen[m.Ref] {
			continue
		}
		var dst *[][]orb.Point
		switch m.Role {
		case "outer", "":
			dst = &outer
		case "inner":
			dst = &inner
		default:
			continue
		}
		seen[m.Ref] = true
		pieces := lookup[m.Ref]
		if len(pieces) == 0 {
			return nil, fmt.Errorf("osm: %s: member way %d is not in the extract — the extract cuts the relation; use a larger extract", relName(r), m.Ref)
		}
		for _, i := range pieces {
			*dst = append(*dst, x.Ways[i].Coords)
		}
	}
	if len(outer) == 0 {
		return nil, fmt.Errorf("osm: %s: has no outer member ways — it is not an area relation", relName(r))
	}
	outers, err := joinRings(outer)
	if err != nil {
		return nil, fmt.Errorf("osm: %s: outer %w", relName(r), err)
	}
	inners, err := joinRings(inner)
	if err != nil {
		return nil, fmt.Errorf("osm: %s: inner %w", relName(r), err)
	}

	areas := make([]float64, len(outers))
	for i, ring := range outers {
		if ring.Orientation() == orb.CW {
			ring.Reverse()
		}
		areas[i] = math.Abs(planar.Area(ring))
	}
	// smallest outer first, so a hole goes to the innermost outer containing it
	order := make([]int, len(outers))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case areas[a] < areas[b]:
			return -1
		case areas[a] > areas[b]:
			return 1
		}
		return 0
	})
	mp := make(orb.MultiPolygon, len(outers))
	for i, ring := range outers {
		mp[i] = orb.Polygon{ring}
	}
	for _, hole := range inners {
		if hole.Orientation() == orb.CCW {
			hole.Reverse()
		}
		placed := false
		for _, i := range order {
			if ringInside(hole, outers[i]) {
				mp[i] = append(mp[i], hole)
				placed = true
				break
			}
		}
		if !placed {
			return nil, fmt.Errorf("osm: %s: inner ring at %v lies in no outer ring — fix the member roles in OSM", relName(r), hole[0])
		}
	}
	return mp, nil
}

// WayPolygon returns a closed way as a polygon with a counter-clockwise ring
// (lon/lat). ok is false when the way is not closed or has fewer than 4
// coordinates. The ring is a copy.
func WayPolygon(w Way) (orb.Polygon, bool) {
	c := w.Coords
	if len(c) < 4 || c[0] != c[len(c)-1] {
		return nil, false
	}
	ring := make(orb.Ring, len(c))
	copy(ring, c)
	if ring.Orientation() == orb.CW {
		ring.Reverse()
	}
	return orb.Polygon{ring}, true
}

func relName(r Relation) string {
	if n := r.Tags["name"]; n != "" {
		return fmt.Sprintf("relation %d (%q)", r.ID, n)
	}
	return fmt.Sprintf("relation %d", r.ID)
}

// joinRings joins line pieces end to end into closed rings (new slices; the
// pieces are not modified).
func joinRings(pieces [][]orb.Point) ([]orb.Ring, error) {
	var rings []orb.Ring
	var open []int
	for i, p := range pieces {
		switch {
		case len(p) < 2:
			continue
		case p[0] == p[len(p)-1]:
			if len(p) < 4 {
				return nil, fmt.Errorf("ring at %v has fewer than 4 points", p[0])
			}
			rings = append(rings, orb.Ring(slices.Clone(p)))
		default:
			open = append(open, i)
		}
	}
	ends := make(map[orb.Point][]int, 2*len(open))
	for _, i := range open {
		p := pieces[i]
		ends[p[0]] = append(ends[p[0]], i)
		ends[p[len(p)-1]] = append(ends[p[len(p)-1]], i)
	}
	used := make(map[int]bool, len(open))
	for _, i := range open {
		if used[i] {
			continue
		}
		used[i] = true
		ring := slices.Clone(pieces[i])
		for ring[0] != ring[len(ring)-1] {
			end := ring[len(ring)-1]
			next := -1
			for _, j := range ends[end] {
				if !used[j] {
					next = j
					break
				}
			}
			if next < 0 {
				return nil, fmt.Errorf("ring cannot be closed at %v (lon, lat) — the relation is incomplete, or the extract cuts it; use a larger extract", end)
			}
			used[next] = true
			p := pieces[next]
			if p[0] == end {
				ring = append(ring, p[1:]...)
			} else {
				for k := len(p) - 2; k >= 0; k-- {
					ring = append(ring, p[k])
				}
			}
		}
		if len(ring) < 4 {
			return nil, fmt.Errorf("ring at %v has fewer than 4 points", ring[0])
		}
		rings = append(rings, orb.Ring(ring))
	}
	for _, r := range rings {
		if r.Orientation() == 0 {
			return nil, fmt.Errorf("ring at %v has no area", r[0])
		}
	}
	return rings, nil
}

// ringInside reports whether every vertex of inner lies in or on outer.
func ringInside(inner, outer orb.Ring) bool {
	if !outer.Bound().Contains(inner.Bound().Min) || !outer.Bound().Contains(inner.Bound().Max) {
		return false
	}
	for _, p := range inner {
		if !planar.RingContains(outer, p) {
			return false
		}
	}
	return true
}
