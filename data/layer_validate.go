package data

// Checks of input geometries and feature ids shared by the layer readers,
// and the error wording that names a feature.

import (
	"cmp"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"
)

// featureRef names a feature in an error: `feature 17 ("Clinic A")`.
func featureRef(noun string, n int, id, name string) string {
	switch {
	case name != "":
		return fmt.Sprintf("%s %d (%q)", noun, n, name)
	case id != "":
		return fmt.Sprintf("%s %d (id %q)", noun, n, id)
	}
	return fmt.Sprintf("%s %d", noun, n)
}

// fmtNum renders a coordinate for a message without exponent noise.
func fmtNum(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// checkPosition validates one lon/lat pair as read from the file.
func checkPosition(p orb.Point) error {
	lon, lat := p[0], p[1]
	if math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0) {
		return fmt.Errorf("coordinate (%s, %s) is not a finite number — fix or remove it", fmtNum(lon), fmtNum(lat))
	}
	lonOK := lon >= -180 && lon <= 180
	latOK := lat >= -90 && lat <= 90
	if lonOK && latOK {
		return nil
	}
	if !latOK && math.Abs(lat) <= 180 && math.Abs(lon) <= 90 {
		return fmt.Errorf("latitude %s is outside -90..90 but (%s, %s) fits the other way round — lon/lat look swapped: swap them, longitude (x) first",
			fmtNum(lat), fmtNum(lon), fmtNum(lat))
	}
	if !latOK {
		return fmt.Errorf("latitude %s is outside -90..90: looks projected (metres?) — reproject to WGS84 lon/lat (EPSG:4326)", fmtNum(lat))
	}
	return fmt.Errorf("longitude %s is outside -180..180: looks projected (metres?) — reproject to WGS84 lon/lat (EPSG:4326)", fmtNum(lon))
}

func checkPoints(ps []orb.Point) error {
	for _, p := range ps {
		if err := checkPosition(p); err != nil {
			return err
		}
	}
	return nil
}

func checkLine(ls orb.LineString) error {
	if err := checkPoints(ls); err != nil {
		return err
	}
	if len(ls) < 2 {
		return fmt.Errorf("line has %d point(s); a LineString needs at least 2 — add a point or remove the feature", len(ls))
	}
	return nil
}

func checkPolygon(pg orb.Polygon) error {
	if len(pg) == 0 {
		return errors.New("polygon has no rings")
	}
	for i, r := range pg {
		if err := checkPoints(r); err != nil {
			return err
		}
		if len(r) < 4 {
			return fmt.Errorf("ring %d has %d point(s); a polygon ring needs at least 4, the last repeating the first — add the missing corners or remove the feature", i, len(r))
		}
		if r[0] != r[len(r)-1] {
			return fmt.Errorf("ring %d is not closed (first and last points differ) — close the ring by repeating its first point at the end", i)
		}
		if j, k, ok := ringCrossing(r); ok {
			at := r[j]
			return fmt.Errorf("ring %d crosses itself (its edges %d and %d cross, near %s, %s): its inside is undefined — fix the geometry (QGIS: Fix Geometries; PostGIS: ST_MakeValid) and export it again",
				i, j, k, fmtNum(at[0]), fmtNum(at[1]))
		}
	}
	return nil
}

// ringCrossing finds two edges of a closed ring that cross at a point
// inside both (a bow-tie), and returns their indexes (edge j runs from
// r[j] to r[j+1]). Edges that only touch or overlap are not reported: rings
// that touch themselves at a vertex are common in real data and harmless
// here. Edges are swept in order of their smallest longitude, so a ring
// of n edges costs O(n log n) plus the pairs whose x ranges overlap.
func ringCrossing(r orb.Ring) (int, int, bool) {
	n := len(r) - 1 // edges
	if n < 4 {
		return 0, 0, false
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	minX := func(i int) float64 { return math.Min(r[i][0], r[i+1][0]) }
	maxX := func(i int) float64 { return math.Max(r[i][0], r[i+1][0]) }
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(minX(a), minX(b)) })
	for a, i := range order {
		hi := maxX(i)
		for _, j := range order[a+1:] {
			if minX(j) > hi {
				break
			}
			if d := i - j; d == 1 || d == -1 || d == n-1 || d == 1-n {
				continue // neighbours share a vertex
			}
			if segmentsCross(r[i], r[i+1], r[j], r[j+1]) {
				return min(i, j), max(i, j), true
			}
		}
	}
	return 0, 0, false
}

// segmentsCross reports whether segments ab and cd cross at a point that
// is strictly inside both.
func segmentsCross(a, b, c, d orb.Point) bool {
	orient := func(p, q, r orb.Point) float64 {
		return (q[0]-p[0])*(r[1]-p[1]) - (q[1]-p[1])*(r[0]-p[0])
	}
	d1, d2 := orient(c, d, a), orient(c, d, b)
	d3, d4 := orient(a, b, c), orient(a, b, d)
	return (d1 > 0 && d2 < 0 || d1 < 0 && d2 > 0) && (d3 > 0 && d4 < 0 || d3 < 0 && d4 > 0)
}

// checkGeometry validates every coordinate and the structure of g.
func checkGeometry(g orb.Geometry) error {
	switch g := g.(type) {
	case orb.Point:
		return checkPosition(g)
	case orb.MultiPoint:
		if len(g) == 0 {
			return errors.New("MultiPoint has no points")
		}
		return checkPoints(g)
	case orb.LineString:
		return checkLine(g)
	case orb.MultiLineString:
		if len(g) == 0 {
			return errors.New("MultiLineString has no lines")
		}
		for i, ls := range g {
			if err := checkLine(ls); err != nil {
				return fmt.Errorf("part %d: %w", i, err)
			}
		}
	case orb.Polygon:
		return checkPolygon(g)
	case orb.MultiPolygon:
		if len(g) == 0 {
			return errors.New("MultiPolygon has no polygons")
		}
		for i, pg := range g {
			if err := checkPolygon(pg); err != nil {
				return fmt.Errorf("polygon %d: %w", i, err)
			}
		}
	default:
		return fmt.Errorf("unsupported geometry %T", g)
	}
	return nil
}

// convertGeometry converts g's coordinates to WGS84 in place and returns it.
func convertGeometry(g orb.Geometry, c CoordSystem) orb.Geometry {
	if c == WGS84 {
		return g
	}
	return project.Geometry(g, c.toWGS84)
}

// finishIDs assigns missing ids and rejects duplicates. fromFile[i] says
// whether feature i's id came from the file; refs name features in errors.
func finishIDs(path string, feats []Feature, fromFile []bool, names []string, o ReadOptions) error {
	if o.skipIDs {
		return nil
	}
	anyFromFile := false
	for i := range feats {
		if fromFile[i] {
			anyFromFile = true
			continue
		}
		if o.RequireIDs {
			return fmt.Errorf("%s: %s has no id: this layer needs an id on every feature (an \"id\" member, property or column)",
				path, featureRef("feature", feats[i].Index, "", names[i]))
		}
		feats[i].ID = strconv.Itoa(feats[i].Index + 1)
		feats[i].Numbered = true
	}
	if !anyFromFile && !o.RequireIDs {
		return nil // ids are 1..n, unique by construction
	}
	j, i, dup := firstDuplicate(feats)
	if !dup {
		return nil
	}
	first, f := feats[j], feats[i]
	hint := ""
	if fromFile[i] != fromFile[j] {
		hint = " (one of them had no id and was numbered by its position; give it an id)"
	}
	return fmt.Errorf("%s: %s and %s both have id %q — ids must be unique: give each feature its own id%s",
		path, featureRef("feature", first.Index, "", names[j]), featureRef("feature", f.Index, "", names[i]), f.ID, hint)
}

// firstDuplicate finds the first feature i whose id an earlier one j has
// (the first such j). It is a map from id to first feature, kept in an
// open-addressing table of 64-bit slots (32 bits of the id's hash, the
// feature's index) instead of a map[string]int: a million ids are
// checked in a third of the time, and the table holds no pointer for the
// garbage collector to scan.
func firstDuplicate(feats []Feature) (j, i int, dup bool) {
	return firstDuplicateOf(len(feats), func(i int) string { return feats[i].ID })
}

// firstDuplicateOf is firstDuplicate on the n ids id(0)…id(n−1).
func firstDuplicateOf(n int, id func(i int) string) (j, i int, dup bool) {
	if n >= math.MaxUint32 {
		return firstDuplicateMap(n, id)
	}
	size := 1 << bits.Len(uint(2*n)) // at most half full
	slots := make([]uint64, size)
	mask := uint64(size - 1)
	seed := maphash.MakeSeed()
	for i := range n {
		h := maphash.String(seed, id(i))
		tag := h >> 32 << 32
		for k := h & mask; ; k = (k + 1) & mask {
			s := slots[k]
			if s == 0 {
				slots[k] = tag | uint64(i+1)
				break
			}
			if s&^0xFFFFFFFF == tag {
				if j := int(s&0xFFFFFFFF) - 1; id(j) == id(i) {
					return j, i, true
				}
			}
		}
	}
	return 0, 0, false
}

// firstDuplicateMap is firstDuplicate for more features than 32 bits
// count.
func firstDuplicateMap(n int, id func(i int) string) (j, i int, dup bool) {
	seen := make(map[string]int, n)
	for i := range n {
		if j, ok := seen[id(i)]; ok {
			return j, i, true
		}
		seen[id(i)] = i
	}
	return 0, 0, false
}
