package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// Hand-checkable cases for lifecircle nearest on micro-networks near
// (0°, 0°), where one metre east or north is 1/111195.0837 degree (the
// sphere of radius 6 371 009 m the distances use), so every expected
// distance below is simple arithmetic on the metre coordinates.

// mPerDeg is the length of one degree of latitude (and of longitude on the
// equator) in metres on the sphere geo.EarthRadius.
const mPerDeg = 111195.0837

// xy is a position in metres east (x) and north (y) of an origin; the
// origin is (0°, 0°) unless a frame says otherwise.
type xy struct{ x, y float64 }

// frame maps local metres to lon/lat around an origin.
type frame struct{ lon0, lat0 float64 }

var equator = frame{}

func (f frame) ll(p xy) orb.Point {
	return orb.Point{f.lon0 + p.x/(mPerDeg*math.Cos(f.lat0*math.Pi/180)), f.lat0 + p.y/mPerDeg}
}

// An mNode is an OSM node of a micro-network.
type mNode struct {
	id int64
	p  xy
}

// An mWay is an OSM way; tags are key, value pairs.
type mWay struct {
	id    int64
	nodes []int64
	tags  []string
}

// mNet is a micro-network: nodes and ways of an OSM XML file.
type mNet struct {
	nodes []mNode
	ways  []mWay
}

func (n mNet) node(id int64) (xy, bool) {
	for _, nd := range n.nodes {
		if nd.id == id {
			return nd.p, true
		}
	}
	return xy{}, false
}

// osmXML renders the network as an OSM XML document in frame f.
func (n mNet) osmXML(f frame) string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osm version=\"0.6\" generator=\"nearest_cases_test\">\n")
	for _, nd := range n.nodes {
		p := f.ll(nd.p)
		fmt.Fprintf(&b, "  <node id=\"%d\" version=\"1\" lat=\"%.9f\" lon=\"%.9f\"/>\n", nd.id, p[1], p[0])
	}
	for _, w := range n.ways {
		fmt.Fprintf(&b, "  <way id=\"%d\" version=\"1\">\n", w.id)
		for _, r := range w.nodes {
			fmt.Fprintf(&b, "    <nd ref=\"%d\"/>\n", r)
		}
		for i := 0; i+1 < len(w.tags); i += 2 {
			fmt.Fprintf(&b, "    <tag k=%q v=%q/>\n", w.tags[i], w.tags[i+1])
		}
		b.WriteString("  </way>\n")
	}
	b.WriteString("</osm>\n")
	return b.String()
}

// linesGeoJSON renders the ways (all of them: give only walkable ones) as
// GeoJSON LineStrings with the same coordinates the OSM file has.
func (n mNet) linesGeoJSON(t testing.TB, f frame) string {
	var feats []string
	for _, w := range n.ways {
		var cs []string
		for _, r := range w.nodes {
			p, ok := n.node(r)
			if !ok {
				t.Fatalf("way %d: node %d missing", w.id, r)
			}
			q := f.ll(p)
			cs = append(cs, fmt.Sprintf("[%.9f,%.9f]", q[0], q[1]))
		}
		feats = append(feats, fmt.Sprintf(`{"type":"Feature","properties":{"osm_id":%d},"geometry":{"type":"LineString","coordinates":[%s]}}`,
			w.id, strings.Join(cs, ",")))
	}
	return fc(feats...)
}

func fc(feats ...string) string {
	return `{"type":"FeatureCollection","features":[` + strings.Join(feats, ",\n") + "]}\n"
}

func coord(f frame, p xy) string {
	q := f.ll(p)
	return fmt.Sprintf("[%.9f,%.9f]", q[0], q[1])
}

func ptFeature(f frame, id string, p xy) string {
	return fmt.Sprintf(`{"type":"Feature","id":%q,"properties":{},"geometry":{"type":"Point","coordinates":%s}}`, id, coord(f, p))
}

func lineFeature(f frame, id string, ps ...xy) string {
	var cs []string
	for _, p := range ps {
		cs = append(cs, coord(f, p))
	}
	return fmt.Sprintf(`{"type":"Feature","id":%q,"properties":{},"geometry":{"type":"LineString","coordinates":[%s]}}`, id, strings.Join(cs, ","))
}

func polyFeature(f frame, id string, ring ...xy) string {
	var cs []string
	for _, p := range ring {
		cs = append(cs, coord(f, p))
	}
	return fmt.Sprintf(`{"type":"Feature","id":%q,"properties":{},"geometry":{"type":"Polygon","coordinates":[[%s]]}}`, id, strings.Join(cs, ","))
}

// idPt is an input point.
type idPt struct {
	id string
	p  xy
}

// pointsCSV renders points as CSV with the given id, lon and lat column
// names (in that order).
func pointsCSV(f frame, idCol, lonCol, latCol string, pts []idPt) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s,%s,%s\n", idCol, lonCol, latCol)
	for _, pt := range pts {
		q := f.ll(pt.p)
		fmt.Fprintf(&b, "%s,%.9f,%.9f\n", string(data.AppendCSVField(nil, pt.id)), q[0], q[1])
	}
	return b.String()
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// want is one expected output row: distance in metres (NaN: unreachable)
// and facility id. The reported distance must lie in [dist-0.06,
// dist+0.06+slack] (0.06 m: the 0.1 m rounding plus float noise; slack:
// the boundary sampling of line and polygon facilities).
type want struct {
	id    string
	dist  float64
	fid   string
	slack float64
}

var unreachable = math.NaN()

// runNearestCSV runs lifecircle nearest with args plus --out and returns
// the data rows, after checking exit 0 and the header.
func runNearestCSV(t *testing.T, args ...string) [][]string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "nearest.csv")
	args = append([]string{"nearest", "--quiet"}, append(args, "--out", out)...)
	stdout, stderr, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("lifecircle %s: exit %d:\n%s", strings.Join(args, " "), code, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout not empty with --out: %q", stdout)
	}
	rows := readOutputCSV(t, out)
	if len(rows) == 0 || strings.Join(rows[0], ",") != "id,distance_m,facility_id" {
		t.Fatalf("header %v, want id,distance_m,facility_id", rows)
	}
	return rows[1:]
}

func checkRows(t *testing.T, rows [][]string, ws []want) {
	t.Helper()
	if len(rows) != len(ws) {
		t.Fatalf("%d rows, want %d: %v", len(rows), len(ws), rows)
	}
	for i, w := range ws {
		r := rows[i]
		if len(r) != 3 {
			t.Errorf("row %d: %d fields: %v", i+1, len(r), r)
			continue
		}
		if r[0] != w.id {
			t.Errorf("row %d: id %q, want %q (rows must follow the input order)", i+1, r[0], w.id)
			continue
		}
		if math.IsNaN(w.dist) {
			if r[1] != "" || r[2] != "" {
				t.Errorf("point %s: got %q m to %q, want unreachable (empty, empty)", w.id, r[1], r[2])
			}
			continue
		}
		if r[1] == "" {
			t.Errorf("point %s: unreachable, want %.2f m to %s", w.id, w.dist, w.fid)
			continue
		}
		d, err := strconv.ParseFloat(r[1], 64)
		if err != nil {
			t.Errorf("point %s: distance %q: %v", w.id, r[1], err)
			continue
		}
		if i := strings.IndexByte(r[1], '.'); i < 0 || len(r[1])-i != 2 {
			t.Errorf("point %s: distance %q does not have exactly one decimal", w.id, r[1])
		}
		if d < w.dist-0.06 || d > w.dist+0.06+w.slack {
			if w.slack > 0 {
				t.Errorf("point %s: %s m, want %.2f..%.2f m", w.id, r[1], w.dist, w.dist+w.slack)
			} else {
				t.Errorf("point %s: %s m, want %.2f m", w.id, r[1], w.dist)
			}
		}
		if r[2] != w.fid {
			t.Errorf("point %s: facility %q, want %q", w.id, r[2], w.fid)
		}
	}
}

// streetNet: a main street 1–2–3 along y = 0 (0..1000 m) with a side
// street 2–4 north from x = 600 (300 m), and a separate street 5–6 five
// kilometres north (another component).
var streetNet = mNet{
	nodes: []mNode{{1, xy{0, 0}}, {2, xy{600, 0}}, {3, xy{1000, 0}}, {4, xy{600, 300}}, {5, xy{0, 5000}}, {6, xy{100, 5000}}},
	ways: []mWay{
		{100, []int64{1, 2, 3}, []string{"highway", "residential", "name", "Main Street"}},
		{101, []int64{2, 4}, []string{"highway", "footway"}},
		{102, []int64{5, 6}, []string{"highway", "footway"}},
	},
}

// Facilities on streetNet: f1 10 m south of the main street at x = 200
// (mid-edge, offset 200 m on edge 1–2); f2 30 m east of the side street,
// 250 m up it.
func streetFacilities(f frame) string {
	return fc(ptFeature(f, "f1", xy{200, -10}), ptFeature(f, "f2", xy{630, 250}))
}

// streetPoints and their hand-computed answers (ids deliberately not sorted).
var streetPoints = []idPt{
	{"mid", xy{800, 20}},    // on edge 2–3, 200 m from node 2, access 20
	{"same-a", xy{50, 15}},  // on f1's edge, west of it
	{"same-b", xy{350, -5}}, // on f1's edge, east of it
	{"side", xy{590, 100}},  // on f2's edge (the side street), below it
	{"island", xy{50, 5010}},
	{"end", xy{1000, 0}}, // exactly on node 3
}

var streetWant = []want{
	// f1: 10 + (600-200) + 200 + 20 = 630; f2: 30 + 250 + 200 + 20 = 500.
	{id: "mid", dist: 500, fid: "f2"},
	// f1 along the same edge: 10 + (200-50) + 15.
	{id: "same-a", dist: 175, fid: "f1"},
	// f1 along the same edge: 10 + (350-200) + 5.
	{id: "same-b", dist: 165, fid: "f1"},
	// f2 along the same edge: 30 + (250-100) + 10; f1: 10 + 400 + 100 + 10 = 520.
	{id: "side", dist: 190, fid: "f2"},
	// nearest street is the separate component.
	{id: "island", dist: unreachable},
	// f2: 30 + 250 + 400 = 680; f1: 10 + 400 + 400 = 810.
	{id: "end", dist: 680, fid: "f2"},
}

// loopNet: a walkable U-shaped street A(0,0)–B(0,300)–C(400,300)–D(400,0),
// 1000 m from A to D. Each case adds a 400 m short-cut A–D along y = 0.
func loopNet(shortcutTags ...string) mNet {
	n := mNet{
		nodes: []mNode{{1, xy{0, 0}}, {2, xy{0, 300}}, {3, xy{400, 300}}, {4, xy{400, 0}}, {5, xy{200, 0}}},
		ways:  []mWay{{200, []int64{1, 2, 3, 4}, []string{"highway", "residential"}}},
	}
	if shortcutTags != nil {
		n.ways = append(n.ways, mWay{201, []int64{1, 5, 4}, shortcutTags})
	}
	return n
}

// TestNearestHandCases checks distances on micro-networks against
// hand-computed values.
func TestNearestHandCases(t *testing.T) {
	// A straight street 0..1000 m along y = 0.
	street := mNet{
		nodes: []mNode{{1, xy{0, 0}}, {2, xy{1000, 0}}},
		ways:  []mWay{{100, []int64{1, 2}, []string{"highway", "residential"}}},
	}
	loopFac := fc(ptFeature(equator, "f", xy{0, -5}))
	loopPts := []idPt{{"across", xy{400, -5}}, {"near-cut", xy{250, -5}}}
	// across: 5 + 1000 + 5 around the U; through the short-cut 5 + 400 + 5.
	// near-cut: its nearest walkable point is D, √(150² + 5²) away, then
	// 1000 m back to A and 5 m to f; through the short-cut 5 + 250 + 5.
	nearCut := math.Hypot(150, 5) + 1000 + 5
	loopWant := []want{{id: "across", dist: 1010, fid: "f"}, {id: "near-cut", dist: nearCut, fid: "f"}}
	// With --max-snap 100 near-cut (150 m from any walkable street) is out.
	loopWantSnap100 := []want{{id: "across", dist: 1010, fid: "f"}, {id: "near-cut", dist: unreachable}}

	type tc struct {
		name  string
		net   mNet
		fac   string // facilities GeoJSON
		pts   []idPt
		args  []string
		wants []want
	}
	cases := []tc{
		{name: "street network", net: streetNet, fac: streetFacilities(equator), pts: streetPoints, wants: streetWant},
		// The control for the excluded kinds: a walkable short-cut is used.
		{name: "shortcut footway walked", net: loopNet("highway", "footway"), fac: loopFac, pts: loopPts,
			wants: []want{{id: "across", dist: 410, fid: "f"}, {id: "near-cut", dist: 260, fid: "f"}}},
		{name: "shortcut foot=yes walked", net: loopNet("highway", "residential", "foot", "yes"), fac: loopFac, pts: loopPts,
			wants: []want{{id: "across", dist: 410, fid: "f"}, {id: "near-cut", dist: 260, fid: "f"}}},
		{name: "no shortcut", net: loopNet(), fac: loopFac, pts: loopPts, wants: loopWant},
	}
	excluded := []struct {
		name string
		tags []string
	}{
		{"foot=no", []string{"highway", "residential", "foot", "no"}},
		{"access=private", []string{"highway", "residential", "access", "private"}},
		{"highway=motorway", []string{"highway", "motorway"}},
		{"highway=cycleway", []string{"highway", "cycleway"}},
		{"area=yes", []string{"highway", "pedestrian", "area", "yes"}},
		{"highway=construction", []string{"highway", "construction", "construction", "footway"}},
	}
	for _, x := range excluded {
		cases = append(cases,
			tc{name: "shortcut " + x.name + " not walked", net: loopNet(x.tags...), fac: loopFac, pts: loopPts, wants: loopWant},
			tc{name: "shortcut " + x.name + " not snapped to, max-snap 100", net: loopNet(x.tags...), fac: loopFac, pts: loopPts,
				args: []string{"--max-snap", "100"}, wants: loopWantSnap100})
	}
	streetFac := fc(ptFeature(equator, "f", xy{0, 0}))
	cases = append(cases,
		// A point 120 m north of the street at x = 500: 500 + 120.
		tc{name: "max-snap 150 reaches 120 m", net: street, fac: streetFac, pts: []idPt{{"p", xy{500, 120}}},
			args: []string{"--max-snap", "150"}, wants: []want{{id: "p", dist: 620, fid: "f"}}},
		tc{name: "max-snap 100 misses 120 m", net: street, fac: streetFac, pts: []idPt{{"p", xy{500, 120}}},
			args: []string{"--max-snap", "100"}, wants: []want{{id: "p", dist: unreachable}}},
		tc{name: "default max-snap 250 reaches 120 m", net: street, fac: streetFac, pts: []idPt{{"p", xy{500, 120}}},
			wants: []want{{id: "p", dist: 620, fid: "f"}}},
		// q at 300 m along the street; r 200 m along and 30 m off it (230 m).
		tc{name: "max-distance 250", net: street, fac: streetFac, pts: []idPt{{"q", xy{300, 0}}, {"r", xy{200, 30}}},
			args: []string{"--max-distance", "250"}, wants: []want{{id: "q", dist: unreachable}, {id: "r", dist: 230, fid: "f"}}},
		tc{name: "max-distance 350", net: street, fac: streetFac, pts: []idPt{{"q", xy{300, 0}}, {"r", xy{200, 30}}},
			args: []string{"--max-distance", "350"}, wants: []want{{id: "q", dist: 300, fid: "f"}, {id: "r", dist: 230, fid: "f"}}},
		// The access leg counts toward --max-distance: r is 230 m away.
		tc{name: "max-distance 220 counts the access leg", net: street, fac: streetFac, pts: []idPt{{"r", xy{200, 30}}},
			args: []string{"--max-distance", "220"}, wants: []want{{id: "r", dist: unreachable}}},
		// A trail crossing the street at x = 600 (from 95 m south to 100 m
		// north): reached where it crosses, 500 m from x = 100 and 400 m
		// from x = 1000, not at its ends (≥ 95 m more). The boundary is
		// sampled every 10 m or finer, so up to 5 m more is allowed.
		tc{name: "line facility at its nearest point", net: street,
			fac:   fc(lineFeature(equator, "trail", xy{600, -95}, xy{600, 100})),
			pts:   []idPt{{"p", xy{100, 0}}, {"q", xy{1000, 0}}},
			wants: []want{{id: "p", dist: 500, fid: "trail", slack: 5}, {id: "q", dist: 400, fid: "trail", slack: 5}}},
		// A park 595..700 m × -47..53 m straddling the street: reached where
		// its west side crosses the street (495 m from x = 100) and where
		// its east side does (300 m from x = 1000) — not at its centroid
		// (x = 647.5, 3 m north: 550.5 m from x = 100).
		tc{name: "polygon facility at its nearest boundary point", net: street,
			fac:   fc(polyFeature(equator, "park", xy{595, -47}, xy{700, -47}, xy{700, 53}, xy{595, 53}, xy{595, -47})),
			pts:   []idPt{{"p", xy{100, 0}}, {"q", xy{1000, 0}}},
			wants: []want{{id: "p", dist: 495, fid: "park", slack: 5}, {id: "q", dist: 300, fid: "park", slack: 5}}},
		// A ring street made only of degree-2 vertices (a 400 m square)
		// with the facility and point on opposite corners' sides.
		tc{name: "ring street", net: mNet{
			nodes: []mNode{{1, xy{0, 0}}, {2, xy{100, 0}}, {3, xy{100, 100}}, {4, xy{0, 100}}},
			ways:  []mWay{{100, []int64{1, 2, 3, 4, 1}, []string{"highway", "living_street"}}},
		}, fac: fc(ptFeature(equator, "f", xy{50, -10})),
			// p on the north side: 10 + 50 + 100 + 30 + 5 either way round;
			// s on the east side 20 m up: 10 + 50 + 20 + 5.
			pts:   []idPt{{"p", xy{70, 105}}, {"s", xy{105, 20}}},
			wants: []want{{id: "p", dist: 195, fid: "f"}, {id: "s", dist: 85, fid: "f"}}},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			osmPath := writeFile(t, dir, "net.osm", c.net.osmXML(equator))
			facPath := writeFile(t, dir, "facilities.geojson", c.fac)
			ptsPath := writeFile(t, dir, "points.csv", pointsCSV(equator, "id", "lon", "lat", c.pts))
			args := append([]string{"--osm", osmPath, "--facilities", facPath, "--points", ptsPath}, c.args...)
			checkRows(t, runNearestCSV(t, args...), c.wants)
		})
	}
}

// TestNearestSplitsWaysAtMissingNodes checks that a way referencing a node
// the extract lacks is cut there, not joined across the gap.
func TestNearestSplitsWaysAtMissingNodes(t *testing.T) {
	// Way 300 runs 1(0,0)–2(100,0)–[3 missing]–4(300,0)–5(400,0); the only
	// walkable link between its pieces is the detour 2–6(100,200)–7(300,200)–4.
	net := mNet{
		nodes: []mNode{{1, xy{0, 0}}, {2, xy{100, 0}}, {4, xy{300, 0}}, {5, xy{400, 0}}, {6, xy{100, 200}}, {7, xy{300, 200}}},
		ways: []mWay{
			{300, []int64{1, 2, 3, 4, 5}, []string{"highway", "residential"}},
			{301, []int64{2, 6, 7, 4}, []string{"highway", "footway"}},
		},
	}
	dir := t.TempDir()
	osmPath := writeFile(t, dir, "cut.osm", net.osmXML(equator))
	facPath := writeFile(t, dir, "f.geojson", fc(ptFeature(equator, "f", xy{0, -5})))
	ptsPath := writeFile(t, dir, "p.csv", pointsCSV(equator, "id", "lon", "lat", []idPt{
		{"across", xy{400, -5}}, // joined across the gap: 5 + 400 + 5
		{"gap", xy{180, -5}},    // in the gap: nearest walkable point is node 2
	}))
	rows := runNearestCSV(t, "--osm", osmPath, "--facilities", facPath, "--points", ptsPath)
	checkRows(t, rows, []want{
		{id: "across", dist: 5 + 100 + 200 + 200 + 200 + 100 + 5, fid: "f"},
		{id: "gap", dist: math.Hypot(80, 5) + 100 + 5, fid: "f"},
	})
}

// TestNearestLineNetworkMatchesOSM runs the same micro-networks from OSM
// XML and from GeoJSON lines: the outputs must be identical.
func TestNearestLineNetworkMatchesOSM(t *testing.T) {
	for _, c := range []struct {
		name string
		net  mNet
		fac  string
		pts  []idPt
	}{
		{"street network", streetNet, streetFacilities(equator), streetPoints},
		{"loop", loopNet(), fc(ptFeature(equator, "f", xy{0, -5})), []idPt{{"across", xy{400, -5}}, {"near-cut", xy{250, -5}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			osmPath := writeFile(t, dir, "net.osm", c.net.osmXML(equator))
			linesPath := writeFile(t, dir, "net.geojson", c.net.linesGeoJSON(t, equator))
			facPath := writeFile(t, dir, "facilities.geojson", c.fac)
			ptsPath := writeFile(t, dir, "points.csv", pointsCSV(equator, "id", "lon", "lat", c.pts))
			fromOSM := runNearestCSV(t, "--osm", osmPath, "--facilities", facPath, "--points", ptsPath)
			fromLines := runNearestCSV(t, "--network", linesPath, "--facilities", facPath, "--points", ptsPath)
			if fmt.Sprint(fromOSM) != fmt.Sprint(fromLines) {
				t.Fatalf("--network gives\n%v\n--osm gives\n%v", fromLines, fromOSM)
			}
			if c.name == "street network" {
				checkRows(t, fromLines, streetWant)
			}
		})
	}
}

// TestNearestCSVOutput checks the exact CSV text: header, input order, one
// decimal, empty fields when unreachable, quoting of ids.
func TestNearestCSVOutput(t *testing.T) {
	dir := t.TempDir()
	osmPath := writeFile(t, dir, "net.osm", streetNet.osmXML(equator))
	facPath := writeFile(t, dir, "facilities.geojson", fc(
		ptFeature(equator, "f1", xy{200, -10}),
		ptFeature(equator, `Clinic "B", east`, xy{630, 250})))
	pts := []idPt{{"z9", xy{800, 20}}, {"a1", xy{50, 15}}, {`Home "7", left`, xy{350, -5}}, {"island", xy{50, 5010}}, {"m5", xy{1000, 0}}}
	ptsPath := writeFile(t, dir, "points.csv", pointsCSV(equator, "id", "lon", "lat", pts))
	out := filepath.Join(dir, "out.csv")
	stdout, stderr, code := runCLI(t, "nearest", "--osm", osmPath, "--facilities", facPath, "--points", ptsPath, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout with --out: %q", stdout)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := data.UTF8BOM + "id,distance_m,facility_id\n" +
		"z9,500.0,\"Clinic \"\"B\"\", east\"\n" +
		"a1,175.0,f1\n" +
		"\"Home \"\"7\"\", left\",165.0,f1\n" +
		"island,,\n" +
		"m5,680.0,\"Clinic \"\"B\"\", east\"\n"
	if string(got) != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

// TestNearestGeoJSONOutput checks --format geojson: a FeatureCollection of
// the input points with id, distance_m and facility_id (null when
// unreachable).
func TestNearestGeoJSONOutput(t *testing.T) {
	dir := t.TempDir()
	osmPath := writeFile(t, dir, "net.osm", streetNet.osmXML(equator))
	facPath := writeFile(t, dir, "facilities.geojson", streetFacilities(equator))
	ptsPath := writeFile(t, dir, "points.csv", pointsCSV(equator, "id", "lon", "lat", streetPoints))
	outFile := filepath.Join(dir, "out.json")
	for _, how := range []string{"stdout", "--out"} {
		t.Run(how, func(t *testing.T) {
			args := []string{"nearest", "--osm", osmPath, "--facilities", facPath, "--points", ptsPath, "--format", "geojson"}
			if how == "--out" {
				args = append(args, "--out", outFile)
			}
			stdout, stderr, code := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			body := []byte(stdout)
			if how == "--out" {
				if stdout != "" {
					t.Errorf("stdout with --out: %q", stdout)
				}
				var err error
				if body, err = os.ReadFile(outFile); err != nil {
					t.Fatal(err)
				}
			}
			var doc struct {
				Type     string `json:"type"`
				Features []struct {
					Type     string          `json:"type"`
					ID       json.RawMessage `json:"id"`
					Geometry struct {
						Type        string    `json:"type"`
						Coordinates []float64 `json:"coordinates"`
					} `json:"geometry"`
					Properties map[string]json.RawMessage `json:"properties"`
				} `json:"features"`
			}
			dec := json.NewDecoder(bytes.NewReader(body))
			if err := dec.Decode(&doc); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, body)
			}
			if _, err := dec.Token(); err != io.EOF {
				t.Errorf("data after the FeatureCollection: %v", err)
			}
			if doc.Type != "FeatureCollection" || len(doc.Features) != len(streetPoints) {
				t.Fatalf("type %q with %d features, want FeatureCollection with %d", doc.Type, len(doc.Features), len(streetPoints))
			}
			for i, f := range doc.Features {
				pt, w := streetPoints[i], streetWant[i]
				if f.Type != "Feature" || f.Geometry.Type != "Point" || len(f.Geometry.Coordinates) != 2 {
					t.Errorf("feature %d: type %q, geometry %q %v", i, f.Type, f.Geometry.Type, f.Geometry.Coordinates)
					continue
				}
				ll := equator.ll(pt.p)
				if math.Abs(f.Geometry.Coordinates[0]-ll[0]) > 1e-6 || math.Abs(f.Geometry.Coordinates[1]-ll[1]) > 1e-6 {
					t.Errorf("feature %d: coordinates %v, input %v", i, f.Geometry.Coordinates, ll)
				}
				var id string
				if err := json.Unmarshal(f.ID, &id); err != nil || id != pt.id {
					t.Errorf("feature %d: id member %s, want %q", i, f.ID, pt.id)
				}
				for _, k := range []string{"id", "distance_m", "facility_id"} {
					if _, ok := f.Properties[k]; !ok {
						t.Errorf("feature %d: no %q property: %v", i, k, f.Properties)
					}
				}
				if string(f.Properties["id"]) != strconv.Quote(pt.id) {
					t.Errorf("feature %d: id property %s, want %q", i, f.Properties["id"], pt.id)
				}
				if math.IsNaN(w.dist) {
					if string(f.Properties["distance_m"]) != "null" || string(f.Properties["facility_id"]) != "null" {
						t.Errorf("point %s: distance_m %s, facility_id %s; want null, null", pt.id, f.Properties["distance_m"], f.Properties["facility_id"])
					}
					continue
				}
				var d float64
				if err := json.Unmarshal(f.Properties["distance_m"], &d); err != nil || math.Abs(d-w.dist) > 0.06 {
					t.Errorf("point %s: distance_m %s, want number %.1f", pt.id, f.Properties["distance_m"], w.dist)
				}
				if string(f.Properties["facility_id"]) != strconv.Quote(w.fid) {
					t.Errorf("point %s: facility_id %s, want %q", pt.id, f.Properties["facility_id"], w.fid)
				}
			}
		})
	}
}

// TestNearestCSVPointColumns reads the points from CSVs with each accepted
// pair of coordinate column names (and columns in another order).
func TestNearestCSVPointColumns(t *testing.T) {
	dir := t.TempDir()
	osmPath := writeFile(t, dir, "net.osm", streetNet.osmXML(equator))
	facPath := writeFile(t, dir, "facilities.geojson", streetFacilities(equator))
	for _, cols := range [][2]string{{"lon", "lat"}, {"lng", "lat"}, {"longitude", "latitude"}, {"x", "y"}, {"LON", "Lat"}} {
		t.Run(cols[0]+"/"+cols[1], func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "points.csv", pointsCSV(equator, "id", cols[0], cols[1], streetPoints))
			checkRows(t, runNearestCSV(t, "--osm", osmPath, "--facilities", facPath, "--points", p), streetWant)
		})
	}
	t.Run("lat,id,lon order", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("latitude,id,longitude\n")
		for _, pt := range streetPoints {
			q := equator.ll(pt.p)
			fmt.Fprintf(&b, "%.9f,%s,%.9f\n", q[1], pt.id, q[0])
		}
		p := writeFile(t, t.TempDir(), "points.csv", b.String())
		checkRows(t, runNearestCSV(t, "--osm", osmPath, "--facilities", facPath, "--points", p), streetWant)
	})
	t.Run("GeoJSON points", func(t *testing.T) {
		var feats []string
		for _, pt := range streetPoints {
			feats = append(feats, ptFeature(equator, pt.id, pt.p))
		}
		p := writeFile(t, t.TempDir(), "points.geojson", fc(feats...))
		checkRows(t, runNearestCSV(t, "--osm", osmPath, "--facilities", facPath, "--points", p), streetWant)
	})
}

// TestNearestGCJ02 runs a micro-network in Beijing with facilities and
// points given in GCJ-02 (as Amap exports them): --coords gcj02 must give
// the WGS84 answer; reading them as WGS84 puts them hundreds of metres off.
func TestNearestGCJ02(t *testing.T) {
	bj := frame{lon0: 116.39, lat0: 39.91}
	street := mNet{
		nodes: []mNode{{1, xy{0, 0}}, {2, xy{1000, 0}}},
		ways:  []mWay{{100, []int64{1, 2}, []string{"highway", "residential"}}},
	}
	gcj := func(id string, p xy) string {
		q := geo.WGS84ToGCJ02(bj.ll(p))
		return fmt.Sprintf("%s,%.9f,%.9f\n", id, q[0], q[1])
	}
	dir := t.TempDir()
	osmPath := writeFile(t, dir, "bj.osm", street.osmXML(bj))
	facPath := writeFile(t, dir, "amap_clinics.csv", "id,lng,lat\n"+gcj("f", xy{0, -10}))
	ptsPath := writeFile(t, dir, "amap_homes.csv", "id,lng,lat\n"+gcj("p", xy{300, 20})+gcj("q", xy{900, -40}))
	// p: 10 + 300 + 20; q: 10 + 900 + 40.
	wantGCJ := []want{{id: "p", dist: 330, fid: "f"}, {id: "q", dist: 950, fid: "f"}}
	checkRows(t, runNearestCSV(t, "--osm", osmPath, "--facilities", facPath, "--points", ptsPath, "--coords", "gcj02"), wantGCJ)

	rows := runNearestCSV(t, "--osm", osmPath, "--facilities", facPath, "--points", ptsPath)
	if len(rows) == 2 && rows[0][1] != "" {
		if d, _ := strconv.ParseFloat(rows[0][1], 64); math.Abs(d-330) < 50 {
			t.Errorf("GCJ-02 input read as WGS84 gives %.1f m, within 50 m of the converted answer: the test does not tell them apart", d)
		}
	}
}

// TestNearestBadInput checks that bad input gives a one-line error naming
// the file and what to do, exit 1 (2 for bad flags), no panic, nothing on
// stdout and no --out file.
func TestNearestBadInput(t *testing.T) {
	dir := t.TempDir()
	osmPath := writeFile(t, dir, "net.osm", streetNet.osmXML(equator))
	linesPath := writeFile(t, dir, "net.geojson", streetNet.linesGeoJSON(t, equator))
	facPath := writeFile(t, dir, "facilities.geojson", streetFacilities(equator))
	ptsPath := writeFile(t, dir, "points.csv", pointsCSV(equator, "id", "lon", "lat", streetPoints))

	emptyGeoJSON := writeFile(t, dir, "empty.geojson", "")
	emptyCSV := writeFile(t, dir, "empty.csv", "")
	emptyOSM := writeFile(t, dir, "empty.osm.pbf", "")
	blankGeoJSON := writeFile(t, dir, "blank.geojson", " \n\n")

	src, err := os.ReadFile(shareddata.Path(t, "helsinki", "Helsinki.osm.pbf"))
	if err != nil {
		t.Fatal(err)
	}
	truncPBF := writeFile(t, dir, "truncated.osm.pbf", string(src[:300<<10]))

	linePoints := writeFile(t, dir, "roads_as_points.geojson", fc(
		ptFeature(equator, "p1", xy{10, 10}),
		lineFeature(equator, "road", xy{0, 0}, xy{100, 0})))
	multiPoints := writeFile(t, dir, "multi.geojson", fc(
		`{"type":"Feature","id":"mp","properties":{},"geometry":{"type":"MultiPoint","coordinates":[[0,0],[0.001,0]]}}`))
	projectedCSV := writeFile(t, dir, "homes_utm.csv", "id,x,y\nh1,385012.5,6672034.1\n")
	projectedFac := writeFile(t, dir, "clinics_3857.geojson", fc(
		`{"type":"Feature","id":"c1","properties":{"name":"Clinic A"},"geometry":{"type":"Point","coordinates":[12958034.0,4852834.0]}}`))
	nanCSV := writeFile(t, dir, "nan.csv", "id,lon,lat\nok,0.001,0.0001\nbad,NaN,0.0001\n")
	infCSV := writeFile(t, dir, "inf.csv", "id,lon,lat\nbad,0.001,+Inf\n")
	dupCSV := writeFile(t, dir, "dup.csv", "id,lon,lat\nh1,0.001,0.0001\nh2,0.002,0.0001\nh1,0.003,0.0001\n")
	dupGeoJSON := writeFile(t, dir, "dup.geojson", fc(ptFeature(equator, "h1", xy{1, 1}), ptFeature(equator, "h1", xy{2, 2})))
	noIDCSV := writeFile(t, dir, "noid.csv", "lon,lat\n0.001,0.0001\n")
	missing := filepath.Join(dir, "no_such_file.geojson")

	base := func(osm, fac, pts string) []string {
		return []string{"--osm", osm, "--facilities", fac, "--points", pts}
	}
	cases := []struct {
		name string
		args []string
		code int
		msg  []string // substrings of the error line
	}{
		{"missing facilities file", base(osmPath, missing, ptsPath), 1, []string{"no_such_file.geojson", "not found", "check the path"}},
		{"missing points file", base(osmPath, facPath, filepath.Join(dir, "homes.csv")), 1, []string{"homes.csv", "not found"}},
		{"missing osm file", base(filepath.Join(dir, "city.osm.pbf"), facPath, ptsPath), 1, []string{"city.osm.pbf", "not found"}},
		{"missing network file", []string{"--network", filepath.Join(dir, "lines.geojson"), "--facilities", facPath, "--points", ptsPath}, 1, []string{"lines.geojson", "not found"}},
		{"empty facilities file", base(osmPath, emptyGeoJSON, ptsPath), 1, []string{"empty.geojson", "empty", "export the layer again"}},
		{"blank facilities file", base(osmPath, blankGeoJSON, ptsPath), 1, []string{"blank.geojson", "empty"}},
		{"empty points file", base(osmPath, facPath, emptyCSV), 1, []string{"empty.csv", "empty"}},
		{"empty osm file", base(emptyOSM, facPath, ptsPath), 1, []string{"empty.osm.pbf", "no OSM data"}},
		{"truncated pbf", base(truncPBF, facPath, ptsPath), 1, []string{"truncated.osm.pbf", "re-download"}},
		{"points file with a LineString", base(osmPath, facPath, linePoints), 1, []string{"roads_as_points.geojson", "feature 1", "road", "LineString", "points"}},
		{"points file with a MultiPoint", base(osmPath, facPath, multiPoints), 1, []string{"multi.geojson", `feature 0 (id "mp")`, "MultiPoint", "split it into Point features"}},
		{"projected points", base(osmPath, facPath, projectedCSV), 1, []string{"homes_utm.csv", "h1", "projected", "WGS84"}},
		{"projected facilities", base(osmPath, projectedFac, ptsPath), 1, []string{"clinics_3857.geojson", "Clinic A", "projected"}},
		{"NaN coordinate", base(osmPath, facPath, nanCSV), 1, []string{"nan.csv", "bad", "NaN", "not a finite number"}},
		{"infinite coordinate", base(osmPath, facPath, infCSV), 1, []string{"inf.csv", "bad", "not a finite number"}},
		{"duplicate point ids (CSV)", base(osmPath, facPath, dupCSV), 1, []string{"dup.csv", "h1", "unique"}},
		{"duplicate point ids (GeoJSON)", base(osmPath, facPath, dupGeoJSON), 1, []string{"dup.geojson", "h1", "unique"}},
		{"points without ids", base(osmPath, facPath, noIDCSV), 1, []string{"noid.csv", "no id"}},
		{"format xml", append(base(osmPath, facPath, ptsPath), "--format", "xml"), 2, []string{"--format", "xml"}},
		{"max-snap -1", append(base(osmPath, facPath, ptsPath), "--max-snap", "-1"), 2, []string{"--max-snap"}},
		{"max-snap NaN", append(base(osmPath, facPath, ptsPath), "--max-snap", "NaN"), 2, []string{"--max-snap"}},
		{"max-distance -5", append(base(osmPath, facPath, ptsPath), "--max-distance", "-5"), 2, []string{"--max-distance"}},
		{"max-snap not a number", append(base(osmPath, facPath, ptsPath), "--max-snap", "far"), 2, []string{"max-snap"}},
		{"missing --points", []string{"--osm", osmPath, "--facilities", facPath}, 2, []string{"--points"}},
		{"missing --facilities", []string{"--osm", osmPath, "--points", ptsPath}, 2, []string{"--facilities"}},
		{"no network", []string{"--facilities", facPath, "--points", ptsPath}, 2, []string{"--osm", "--network"}},
		{"both --osm and --network", append(base(osmPath, facPath, ptsPath), "--network", linesPath), 2, []string{"--osm", "--network"}},
		{"unknown flag", append(base(osmPath, facPath, ptsPath), "--frobnicate"), 2, []string{"frobnicate"}},
		{"unknown --coords", append(base(osmPath, facPath, ptsPath), "--coords", "epsg3857"), 2, []string{"--coords", "epsg3857"}},
		{"stray argument", append(base(osmPath, facPath, ptsPath), "extra.csv"), 2, []string{"extra.csv"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			outDir := t.TempDir()
			out := filepath.Join(outDir, "nearest.csv")
			args := append([]string{"nearest"}, c.args...)
			args = append(args, "--out", out)
			stdout, stderr, code := runCLI(t, args...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, c.code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout not empty: %q", stdout)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "lifecircle nearest: ") {
				t.Fatalf("the error is not one line starting with \"lifecircle nearest: \" at the end of stderr:\n%s", stderr)
			}
			for _, s := range c.msg {
				if !strings.Contains(last, s) {
					t.Errorf("error line lacks %q:\n%s", s, last)
				}
			}
			if ents, err := os.ReadDir(outDir); err != nil || len(ents) != 0 {
				t.Errorf("--out directory holds %v after a failure (err %v)", ents, err)
			}
		})
	}
}

// TestNearestStdoutOnlyData checks that without --out stdout is exactly the
// CSV and progress goes to stderr.
func TestNearestStdoutOnlyData(t *testing.T) {
	dir := t.TempDir()
	osmPath := writeFile(t, dir, "net.osm", streetNet.osmXML(equator))
	facPath := writeFile(t, dir, "facilities.geojson", streetFacilities(equator))
	ptsPath := writeFile(t, dir, "points.csv", pointsCSV(equator, "id", "lon", "lat", streetPoints))
	out := filepath.Join(dir, "out.csv")
	args := []string{"nearest", "--osm", osmPath, "--facilities", facPath, "--points", ptsPath}
	if _, stderr, code := runCLI(t, append(args, "--out", out)...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != string(want) {
		t.Errorf("stdout is not exactly the CSV:\n%q\nwant\n%q", stdout, want)
	}
	for _, step := range []string{"read OSM walk network", "read facilities", "read points", "search"} {
		if !strings.Contains(stderr, step) {
			t.Errorf("no %q progress on stderr:\n%s", step, stderr)
		}
	}
	// --quiet silences the progress but not the data.
	stdout, stderr, code = runCLI(t, append(args, "--quiet")...)
	if code != 0 || stdout != string(want) || stderr != "" {
		t.Errorf("--quiet: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestNearestNoFacilities: a facilities file without features is not an
// error, but every point is unreachable and stderr says why.
func TestNearestNoFacilities(t *testing.T) {
	dir := t.TempDir()
	osmPath := writeFile(t, dir, "net.osm", streetNet.osmXML(equator))
	facPath := writeFile(t, dir, "none.geojson", fc())
	ptsPath := writeFile(t, dir, "points.csv", pointsCSV(equator, "id", "lon", "lat", streetPoints[:2]))
	stdout, stderr, code := runCLI(t, "nearest", "--osm", osmPath, "--facilities", facPath, "--points", ptsPath)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := data.UTF8BOM + "id,distance_m,facility_id\nmid,,\nsame-a,,\n"; stdout != want {
		t.Errorf("stdout %q, want %q", stdout, want)
	}
	if !strings.Contains(stderr, "warning: "+facPath+" has no features") {
		t.Errorf("no warning about the empty facilities file:\n%s", stderr)
	}
}

// FuzzNearestNetwork runs lifecircle nearest on arbitrary GeoJSON network
// files: it must exit 0, 1 or 2 and never panic.
func FuzzNearestNetwork(f *testing.F) {
	f.Add([]byte(streetNet.linesGeoJSON(f, equator)))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[0,0],[0,0]]},"properties":{}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[[[0,0],[0.001,0],[0,0]],[[0.001,0],[0.001,0.001]]]},"properties":{}}]}`))
	f.Add([]byte(`{"type":"LineString","coordinates":[[179.9999,89.9999],[-180,-90]]}`))
	f.Add([]byte(`{"type":"Feature","geometry":{"type":"Point","coordinates":[0,0]},"properties":{}}`))
	f.Fuzz(func(t *testing.T, net []byte) {
		dir := t.TempDir()
		netPath := filepath.Join(dir, "net.geojson")
		if err := os.WriteFile(netPath, net, 0o644); err != nil {
			t.Fatal(err)
		}
		facPath := writeFile(t, dir, "f.geojson", fc(ptFeature(equator, "f", xy{0, -5}), lineFeature(equator, "l", xy{50, 50}, xy{60, 60})))
		ptsPath := writeFile(t, dir, "p.csv", "id,lon,lat\na,0.001,0\nb,0,0\nc,-179.5,89\n")
		stdout, stderr, code := runCLI(t, "nearest", "--quiet", "--network", netPath, "--facilities", facPath, "--points", ptsPath)
		switch code {
		case 0:
			if !strings.HasPrefix(stdout, data.UTF8BOM+"id,distance_m,facility_id\n") || strings.Count(stdout, "\n") != 4 {
				t.Fatalf("exit 0 with output %q", stdout)
			}
		case 1:
			if stdout != "" || !strings.HasPrefix(stderr, "lifecircle nearest: ") || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("exit 1 with stdout %q, stderr %q", stdout, stderr)
			}
		default:
			t.Fatalf("exit %d: %s", code, stderr)
		}
	})
}
