package synth

import (
	"math"
	"regexp"
	"testing"

	"github.com/paulmach/orb"
)

var testCenter = orb.Point{DefaultLon, DefaultLat}

// haversine is the great-circle distance in metres on the mean-radius
// sphere, written out here so the test does not trust the code under test.
func haversine(lon1, lat1, lon2, lat2 float64) float64 {
	const r = 6371009
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

// walkable is the OSMnx "walk" filter as DESIGN §2 states it.
var walkExcluded = regexp.MustCompile(`abandoned|bus_guideway|construction|cycleway|motor|planned|platform|proposed|raceway`)

func walkable(t map[string]string) bool {
	h, ok := t["highway"]
	return ok && t["area"] != "yes" && t["access"] != "private" && !walkExcluded.MatchString(h) &&
		t["foot"] != "no" && t["service"] != "private"
}

// cell locates node index i on its lattice.
type cell struct{ lattice, r, c int }

func cells(c *city) []cell {
	out := make([]cell, len(c.nodes))
	for li, l := range c.lattices {
		for r := range l.rows {
			for col := range l.rowLen(r) {
				out[l.at(r, col)] = cell{li, r, col}
			}
		}
	}
	return out
}

func TestBuildCityMicro(t *testing.T) {
	cases := []struct {
		n          int
		rows, cols int
		lastRow    int
		lattices   int
	}{
		{4, 2, 2, 2, 1},
		{10, 3, 4, 2, 1},
		{99, 10, 10, 9, 1},
		{100, 9, 10, 2, 3}, // 82 on the main lattice, 18 on two islands
		{2500, 50, 50, 32, 3},
	}
	for _, tc := range cases {
		c := buildCity(tc.n, DefaultSpacing, testCenter, 3)
		m := c.lattices[0]
		if len(c.nodes) != tc.n || m.rows != tc.rows || m.cols != tc.cols || m.rowLen(m.rows-1) != tc.lastRow || len(c.lattices) != tc.lattices {
			t.Errorf("n=%d: %d nodes, %d×%d lattice, last row %d, %d lattices; want %d, %d×%d, %d, %d",
				tc.n, len(c.nodes), m.rows, m.cols, m.rowLen(m.rows-1), len(c.lattices), tc.n, tc.rows, tc.cols, tc.lastRow, tc.lattices)
		}
	}

	// 2×2: nodes 1,2 on the north row, 3,4 on the south row; every way is
	// one of the four sides.
	c := buildCity(4, 100, testCenter, 1)
	sides := map[[2]int64]bool{{1, 2}: true, {3, 4}: true, {1, 3}: true, {2, 4}: true}
	for _, w := range c.ways {
		if len(w.NodeIDs) != 2 || !sides[[2]int64{w.NodeIDs[0], w.NodeIDs[1]}] {
			t.Errorf("2×2 city: way %d refs %v is not a side of the square", w.ID, w.NodeIDs)
		}
	}
	n := c.nodes
	if !(n[0].Lon < n[1].Lon && n[2].Lon < n[3].Lon && n[0].Lat > n[2].Lat && n[1].Lat > n[3].Lat) {
		t.Errorf("2×2 city nodes are not laid out NW, NE, SW, SE: %+v", n)
	}
	// The unjittered square is 100 m a side centred on the centre, so each
	// node is within 50·√2 + 25·√2 m of it.
	for _, p := range n {
		if d := haversine(p.Lon, p.Lat, testCenter[0], testCenter[1]); d > 75*math.Sqrt2+0.1 {
			t.Errorf("node %d is %.1f m from the centre", p.ID, d)
		}
	}
}

func TestBuildCityShape(t *testing.T) {
	const n, spacing = 2500, 80.0
	c := buildCity(n, spacing, testCenter, 7)
	where := cells(c)

	// Ids ascending from 1, way refs resolve to nodes.
	for i, p := range c.nodes {
		if p.ID != int64(i+1) {
			t.Fatalf("node %d has id %d", i, p.ID)
		}
	}
	for i, w := range c.ways {
		if w.ID != int64(i+1) {
			t.Fatalf("way %d has id %d", i, w.ID)
		}
	}

	// Jitter: every node within ±25% of the spacing of its lattice position
	// on each axis, and the jitter is really used.
	maxJ := 0.0
	for i := range c.nodes {
		cl := where[i]
		l := c.lattices[cl.lattice]
		x, y := c.proj.toLocal(c.nodes[i].Lon, c.nodes[i].Lat)
		dx, dy := x-(l.x0+float64(cl.c)*spacing), y-(l.y0-float64(cl.r)*spacing)
		if math.Abs(dx) > spacing/4+0.02 || math.Abs(dy) > spacing/4+0.02 {
			t.Fatalf("node %d is (%.2f, %.2f) m off its lattice position", i+1, dx, dy)
		}
		maxJ = max(maxJ, math.Abs(dx), math.Abs(dy))
	}
	if maxJ < 0.9*spacing/4 {
		t.Errorf("largest jitter %.1f m; want close to %.1f m", maxJ, spacing/4)
	}

	// Segments join lattice neighbours; mean length is the spacing (jitter
	// averages out); ways hold about 10 segments.
	segs, sum := 0, 0.0
	seen := map[[2]int64]bool{}
	for _, w := range c.ways {
		if len(w.NodeIDs) < 2 {
			t.Fatalf("way %d has %d refs", w.ID, len(w.NodeIDs))
		}
		for k := 1; k < len(w.NodeIDs); k++ {
			a, b := w.NodeIDs[k-1]-1, w.NodeIDs[k]-1
			ca, cb := where[a], where[b]
			if ca.lattice != cb.lattice || abs(ca.r-cb.r)+abs(ca.c-cb.c) != 1 {
				t.Fatalf("way %d joins nodes %d %v and %d %v, which are not lattice neighbours", w.ID, a+1, ca, b+1, cb)
			}
			key := [2]int64{min(a, b), max(a, b)}
			if seen[key] {
				t.Fatalf("segment %v appears twice", key)
			}
			seen[key] = true
			segs++
			sum += haversine(c.nodes[a].Lon, c.nodes[a].Lat, c.nodes[b].Lon, c.nodes[b].Lat)
		}
	}
	if mean := sum / float64(segs); math.Abs(mean-spacing) > 0.03*spacing {
		t.Errorf("mean segment %.1f m, want about %.0f m", mean, spacing)
	}
	if per := float64(segs) / float64(len(c.ways)); per < 6 || per > 12 {
		t.Errorf("%.1f segments per way, want about 10", per)
	}

	// Some segments removed (about 2%), none on the islands.
	full := 0
	for _, l := range c.lattices {
		for r := range l.rows {
			for col := range l.rowLen(r) {
				if l.at(r, col+1) >= 0 {
					full++
				}
				if l.at(r+1, col) >= 0 {
					full++
				}
			}
		}
	}
	if missing := float64(full-segs) / float64(full); missing < 0.005 || missing > 0.05 {
		t.Errorf("%d of %d lattice segments missing (%.1f%%), want about 2%%", full-segs, full, 100*missing)
	}

	// Tag variety and a small non-walkable share.
	highways := map[string]int{}
	footNo, private, notWalk := 0, 0, 0
	for _, w := range c.ways {
		highways[w.Tags["highway"]]++
		if w.Tags["foot"] == "no" {
			footNo++
		}
		if w.Tags["access"] == "private" {
			private++
		}
		if !walkable(w.Tags) {
			notWalk++
		}
	}
	for _, h := range []string{"residential", "footway", "path", "service", "primary", "motorway", "cycleway"} {
		if highways[h] == 0 {
			t.Errorf("no highway=%s way", h)
		}
	}
	if footNo == 0 || private == 0 {
		t.Errorf("foot=no ways %d, access=private ways %d; want some of each", footNo, private)
	}
	if share := float64(notWalk) / float64(len(c.ways)); share < 0.03 || share > 0.15 {
		t.Errorf("%.1f%% of ways not walkable, want a small share (~8%%)", 100*share)
	}

	// Components over all ways: each island is its own component of 9, the
	// main lattice stays mostly in one piece.
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for _, w := range c.ways {
		for k := 1; k < len(w.NodeIDs); k++ {
			parent[find(int(w.NodeIDs[k-1]-1))] = find(int(w.NodeIDs[k] - 1))
		}
	}
	size := map[int]int{}
	for i := range parent {
		size[find(i)]++
	}
	for li, l := range c.lattices[1:] {
		root := find(l.first)
		if size[root] != 9 {
			t.Errorf("island %d: component of %d nodes, want 9", li+1, size[root])
		}
	}
	biggest := 0
	for _, s := range size {
		biggest = max(biggest, s)
	}
	if biggest < int(0.95*float64(c.lattices[0].count)) {
		t.Errorf("largest component %d of %d main-lattice nodes", biggest, c.lattices[0].count)
	}

	// The lattice is centred on the centre.
	var mlon, mlat float64
	for _, p := range c.nodes[:c.lattices[0].count] {
		mlon += p.Lon
		mlat += p.Lat
	}
	k := float64(c.lattices[0].count)
	if d := haversine(mlon/k, mlat/k, testCenter[0], testCenter[1]); d > spacing {
		t.Errorf("main lattice centroid %.1f m from the centre", d)
	}
}

func TestNearNode(t *testing.T) {
	c := buildCity(400, 80, testCenter, 5)
	for i := range c.nodes {
		x, y := c.proj.toLocal(c.nodes[i].Lon, c.nodes[i].Lat)
		if !c.nearNode(x+0.3, y-0.3, 1) {
			t.Fatalf("point 0.42 m from node %d not reported near", i+1)
		}
		if c.nearNode(x+1.5, y, 1) {
			t.Fatalf("point 1.5 m from node %d reported near", i+1)
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
