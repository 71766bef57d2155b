package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/geojson"
)

func TestOGCLandingAndConformance(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{})
	for _, path := range []string{"/ogc", "/ogc/", "/ogc?f=json"} {
		w := ts.get(path)
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
		doc := decode[struct {
			Title string `json:"title"`
			Links []link `json:"links"`
		}](t, w, 200)
		for _, rel := range []string{"self", "conformance", "data"} {
			l, ok := linkOf(doc.Links, rel)
			if !ok || !strings.HasPrefix(l.Href, "http://127.0.0.1:8080/ogc") {
				t.Errorf("%s: link %s = %+v", path, rel, l)
			}
		}
		if _, ok := linkOf(doc.Links, "service-desc"); ok {
			t.Errorf("%s: links to an API definition the server does not provide", path)
		}
	}
	conf := decode[struct {
		ConformsTo []string `json:"conformsTo"`
	}](t, ts.get("/ogc/conformance"), 200)
	want := []string{
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	}
	if !slices.Equal(conf.ConformsTo, want) {
		t.Errorf("conformsTo = %v, want only %v (no oas30 or html: not implemented)", conf.ConformsTo, want)
	}
	checkError(t, ts.get("/ogc/conformance?f=html"), 400, "bad_request")
}

func TestOGCCollections(t *testing.T) {
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{})
	doc := decode[struct {
		Links       []link           `json:"links"`
		Collections []collectionJSON `json:"collections"`
	}](t, ts.get("/ogc/collections"), 200)
	var ids []string
	for _, c := range doc.Collections {
		ids = append(ids, c.ID)
		if c.ItemType != "feature" || c.Title == "" {
			t.Errorf("collection %s: itemType %q title %q", c.ID, c.ItemType, c.Title)
		}
		items, ok := linkOf(c.Links, "items")
		if !ok || items.Type != "application/geo+json" || !strings.HasSuffix(items.Href, "/ogc/collections/"+c.ID+"/items") {
			t.Errorf("collection %s: items link %+v", c.ID, items)
		}
	}
	want := []string{"cells"}
	want = append(want, in.Profile.TypeIDs()...)
	want = append(want, "demand", "proposals", "streets")
	for _, id := range in.Profile.TypeIDs() {
		want = append(want, "catchments_"+id)
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("collections %v, want %v", ids, want)
	}
	// Extents: the cells' bbox contains every cell; empty collections
	// (no proposal yet, no elderly care in the sample) have none.
	for _, c := range doc.Collections {
		switch c.ID {
		case "proposals", "elderly":
			if c.Extent != nil {
				t.Errorf("empty collection %s has extent %+v", c.ID, c.Extent)
			}
		default:
			if c.Extent == nil || len(c.Extent.Spatial.BBox) != 1 || c.Extent.Spatial.CRS != crs84 {
				t.Errorf("collection %s: extent %+v", c.ID, c.Extent)
			}
		}
	}
	var cells collectionJSON
	for _, c := range doc.Collections {
		if c.ID == "cells" {
			cells = c
		}
	}
	eb := cells.Extent.Spatial.BBox[0]
	ext := orb.Bound{Min: orb.Point{eb[0], eb[1]}, Max: orb.Point{eb[2], eb[3]}}
	for _, u := range in.Units {
		b := u.Geometry.Bound()
		if !ext.Contains(b.Min) || !ext.Contains(b.Max) {
			t.Fatalf("cell %s %v outside the extent %v", u.ID, b, ext)
		}
	}

	one := decode[collectionJSON](t, ts.get("/ogc/collections/clinic"), 200)
	if one.Title != "社区卫生服务站/中心 / Community health station" {
		t.Errorf("clinic title %q, want the bilingual name", one.Title)
	}
	checkError(t, ts.get("/ogc/collections/zoo"), 404, "not_found")
	checkError(t, ts.get("/ogc/collections/zoo/items"), 404, "not_found")
	checkError(t, ts.get("/ogc/collections/cells/items/nope"), 404, "not_found")
	checkError(t, ts.get("/ogc/collections/streets/items/007"), 404, "not_found")
	checkError(t, ts.get("/ogc/collections/streets/items/-1"), 404, "not_found")
	checkError(t, ts.get("/ogc/collections/proposals/items/g1"), 404, "not_found")
}

func TestOGCItemsBadInput(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{})
	cases := []struct {
		name, query string
		status      int
	}{
		{"bbox 3 numbers", "bbox=24.9,60.1,25.0", 400},
		{"bbox 6 numbers", "bbox=24.9,60.1,0,25.0,60.2,10", 400},
		{"bbox words", "bbox=a,b,c,d", 400},
		{"bbox NaN", "bbox=NaN,60.1,25,60.2", 400},
		{"bbox empty", "bbox=", 400},
		{"bbox lat out of range", "bbox=24.9,60.1,25.0,95", 400},
		{"bbox lon out of range", "bbox=-200,60.1,25.0,60.2", 400},
		{"bbox miny > maxy", "bbox=24.9,60.2,25.0,60.1", 400},
		{"bbox twice", "bbox=24.9,60.1,25.0,60.2&bbox=24.9,60.1,25.0,60.2", 400},
		{"limit 0", "limit=0", 400},
		{"limit -1", "limit=-1", 400},
		{"limit abc", "limit=abc", 400},
		{"limit fraction", "limit=1.5", 400},
		{"offset -1", "offset=-1", 400},
		{"offset abc", "offset=x", 400},
		{"properties empty", "properties=", 400},
		{"properties empty name", "properties=population,,completeness", 400},
		{"properties", "properties=population,completeness", 200},
		{"unknown parameter", "colour=red", 400},
		{"format html", "f=html", 400},
		{"other crs", "bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326", 400},
		{"limit 100000 is clamped", "limit=100000", 200},
		{"huge limit is clamped", "limit=99999999999999999999999", 200},
		{"f=json", "f=json", 200},
		{"antimeridian bbox", "bbox=170,-10,-170,10", 200},
		{"CRS84 bbox-crs", "bbox-crs=" + url.QueryEscape(crs84), 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := ts.get("/ogc/collections/cells/items?" + tc.query)
			if tc.status != 200 {
				checkError(t, w, tc.status, "bad_request")
				return
			}
			fc := decode[featureCollection](t, w, 200)
			if fc.NumberMatched == nil || fc.NumberReturned == nil || *fc.NumberReturned != len(fc.Features) {
				t.Fatalf("numberMatched %v numberReturned %v features %d", fc.NumberMatched, fc.NumberReturned, len(fc.Features))
			}
		})
	}
	// The limit is clamped to 10000: a page of the streets.
	w := ts.get("/ogc/collections/streets/items?limit=100000")
	fc := decode[featureCollection](t, w, 200)
	if want := min(ts.net.NumEdges(), maxLimit); len(fc.Features) != want {
		t.Errorf("streets with limit=100000: %d features, want %d", len(fc.Features), want)
	}
}

// TestOGCItemsProperties: properties=… keeps only the named properties
// (in their usual order), for every feature, through the next link too.
func TestOGCItemsProperties(t *testing.T) {
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{})
	full := decode[featureCollection](t, ts.get("/ogc/collections/clinic/items?limit=3"), 200)
	lite := decode[featureCollection](t, ts.get("/ogc/collections/clinic/items?limit=3&properties=name,id,nosuch"), 200)
	if len(full.Features) == 0 || len(lite.Features) != len(full.Features) {
		t.Fatalf("%d features with all properties, %d with some", len(full.Features), len(lite.Features))
	}
	for i, f := range lite.Features {
		want := map[string]any{"id": full.Features[i].Properties["id"], "name": full.Features[i].Properties["name"]}
		if fmt.Sprint(f.Properties) != fmt.Sprint(want) || fmt.Sprint(f.Geometry) != fmt.Sprint(full.Features[i].Geometry) {
			t.Errorf("feature %d: %v %v, want %v %v", i, f.Properties, f.Geometry, want, full.Features[i].Geometry)
		}
	}
	if next, ok := linkOf(lite.Links, "next"); !ok || !strings.Contains(next.Href, "properties=name%2Cid%2Cnosuch") {
		t.Errorf("next link %+v keeps no properties", next)
	}
}

// TestOGCPagingWalksAllCells follows next links from the first page and
// sees every cell exactly once, then walks back with prev links.
func TestOGCPagingWalksAllCells(t *testing.T) {
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{})
	if len(in.Units) < 20 {
		t.Fatalf("only %d cells: the paging test needs more", len(in.Units))
	}
	seen := map[string]int{}
	var order []string
	next := "/ogc/collections/cells/items?limit=7"
	pages := 0
	var last featureCollection
	for next != "" {
		w := ts.get(next)
		if ct := w.Header().Get("Content-Type"); ct != "application/geo+json" {
			t.Fatalf("items Content-Type %q", ct)
		}
		fc := decode[featureCollection](t, w, 200)
		pages++
		if *fc.NumberMatched != len(in.Units) {
			t.Fatalf("numberMatched %d, want %d cells", *fc.NumberMatched, len(in.Units))
		}
		if fc.TimeStamp == "" {
			t.Error("no timeStamp")
		}
		for _, f := range fc.Features {
			id := f.ID.(string)
			seen[id]++
			order = append(order, id)
			if f.Properties["unit_id"] != id {
				t.Fatalf("feature %s has unit_id %v", id, f.Properties["unit_id"])
			}
		}
		if pages > 1 {
			if _, ok := linkOf(fc.Links, "prev"); !ok {
				t.Errorf("page %d has no prev link", pages)
			}
		}
		next = ""
		if l, ok := linkOf(fc.Links, "next"); ok {
			u, err := url.Parse(l.Href)
			if err != nil || u.Host != "127.0.0.1:8080" {
				t.Fatalf("next link %q", l.Href)
			}
			next = u.RequestURI()
		}
		last = fc
		if pages > 100 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != len(in.Units) || len(order) != len(in.Units) {
		t.Fatalf("walked %d features (%d distinct), want each of %d cells once", len(order), len(seen), len(in.Units))
	}
	for u, unit := range in.Units {
		if order[u] != unit.ID {
			t.Fatalf("feature %d is %s, want %s (stable unit order)", u, order[u], unit.ID)
		}
	}
	if want := (len(in.Units) + 6) / 7; pages != want {
		t.Errorf("%d pages, want %d", pages, want)
	}
	// Back from the last page with prev links.
	back := 0
	for {
		l, ok := linkOf(last.Links, "prev")
		if !ok {
			break
		}
		u, _ := url.Parse(l.Href)
		last = decode[featureCollection](t, ts.get(u.RequestURI()), 200)
		back++
		if back > 100 {
			t.Fatal("prev links do not end")
		}
	}
	if back != pages-1 || last.Features[0].ID != in.Units[0].ID {
		t.Errorf("prev links: %d steps back to %v, want %d to %s", back, last.Features[0].ID, pages-1, in.Units[0].ID)
	}
	// An offset past the end: no features, a prev link, no next.
	fc := decode[featureCollection](t, ts.get(fmt.Sprintf("/ogc/collections/cells/items?offset=%d", len(in.Units)+5)), 200)
	if len(fc.Features) != 0 || *fc.NumberReturned != 0 {
		t.Errorf("past the end: %d features", len(fc.Features))
	}
	if _, ok := linkOf(fc.Links, "next"); ok {
		t.Error("past the end: next link")
	}
}

// clipCount counts the geometries that share a point with b, computed
// with orb's clipping (independent of the server's own test).
func clipCount(gs []orb.Geometry, b orb.Bound) int {
	n := 0
	for _, g := range gs {
		if g == nil || !g.Bound().Intersects(b) {
			continue
		}
		switch c := clip.Geometry(b, orb.Clone(g)).(type) {
		case nil:
		case orb.Polygon:
			if len(c) > 0 && len(c[0]) > 0 {
				n++
			}
		case orb.MultiPolygon:
			if len(c) > 0 {
				n++
			}
		case orb.LineString:
			if len(c) > 0 {
				n++
			}
		case orb.MultiLineString:
			if len(c) > 0 {
				n++
			}
		case orb.MultiPoint:
			if len(c) > 0 {
				n++
			}
		default:
			n++
		}
	}
	return n
}

func TestOGCItemsBBox(t *testing.T) {
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{})
	nb := in.Net.Bound()
	// An inner box not aligned with anything.
	b := orb.Bound{
		Min: orb.Point{nb.Min[0] + 0.31*(nb.Max[0]-nb.Min[0]), nb.Min[1] + 0.27*(nb.Max[1]-nb.Min[1])},
		Max: orb.Point{nb.Min[0] + 0.63*(nb.Max[0]-nb.Min[0]), nb.Min[1] + 0.71*(nb.Max[1]-nb.Min[1])},
	}
	var cells, streets, demand []orb.Geometry
	for _, u := range in.Units {
		cells = append(cells, u.Geometry)
	}
	for e := 0; e < in.Net.NumEdges(); e++ {
		streets = append(streets, in.Net.EdgeGeometry(int32(e)))
	}
	for _, p := range in.Demand.Points {
		demand = append(demand, orb.MultiPoint{p})
	}
	bbox := fmt.Sprintf("%.7f,%.7f,%.7f,%.7f", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	for _, c := range []struct {
		id   string
		gs   []orb.Geometry
		name string
	}{{"cells", cells, "cells"}, {"streets", streets, "streets"}, {"demand", demand, "demand"}} {
		want := clipCount(c.gs, b)
		if want == 0 || want == len(c.gs) {
			t.Fatalf("%s: bad test box: %d of %d intersect", c.id, want, len(c.gs))
		}
		fc := decode[featureCollection](t, ts.get("/ogc/collections/"+c.id+"/items?limit=10000&bbox="+bbox), 200)
		if *fc.NumberMatched != want || len(fc.Features) != want {
			t.Errorf("%s in %s: numberMatched %d, %d features; clipping finds %d", c.id, bbox, *fc.NumberMatched, len(fc.Features), want)
		}
		// Paged with a bbox: the pages add up.
		total := 0
		for off := 0; off < want; off += 3 {
			p := decode[featureCollection](t, ts.get(fmt.Sprintf("/ogc/collections/%s/items?limit=3&offset=%d&bbox=%s", c.id, off, bbox)), 200)
			total += len(p.Features)
		}
		if total != want {
			t.Errorf("%s: pages of 3 hold %d features, want %d", c.id, total, want)
		}
	}
	// A box away from the study area matches nothing.
	fc := decode[featureCollection](t, ts.get("/ogc/collections/cells/items?bbox=0,0,1,1"), 200)
	if *fc.NumberMatched != 0 {
		t.Errorf("far box matched %d", *fc.NumberMatched)
	}
}

// TestOGCCellsMatchAuditFile checks that the cells, facilities and demand
// collections carry exactly the features `lifecircle audit` writes.
func TestOGCCellsMatchAuditFile(t *testing.T) {
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{})
	dir := filepath.Join(t.TempDir(), "audit")
	ts.sc.View(func(in planner.AuditInput, res *planner.AuditResult, _ []bool) {
		if err := data.WriteAudit(dir, in, res, data.AuditMeta{CellSize: 100, Timings: map[string]time.Duration{}}); err != nil {
			t.Fatal(err)
		}
	})
	for _, c := range []struct{ coll, file string }{{"cells", "cells.geojson"}, {"demand", "demand.geojson"}, {"clinic", "facilities.geojson"}} {
		raw, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		file, err := geojson.UnmarshalFeatureCollection(raw)
		if err != nil {
			t.Fatal(err)
		}
		w := ts.get("/api/export/" + c.coll)
		got, err := geojson.UnmarshalFeatureCollection(w.Body.Bytes())
		if err != nil {
			t.Fatalf("%s export: %v", c.coll, err)
		}
		var want []*geojson.Feature
		for _, f := range file.Features {
			if c.coll == "clinic" && f.Properties["type"] != "clinic" {
				continue
			}
			want = append(want, f)
		}
		if len(got.Features) != len(want) || len(want) == 0 {
			t.Fatalf("%s: %d features served, %d in %s", c.coll, len(got.Features), len(want), c.file)
		}
		for i := range want {
			gp, _ := json.Marshal(got.Features[i].Properties)
			wp, _ := json.Marshal(want[i].Properties)
			if string(gp) != string(wp) {
				t.Fatalf("%s feature %d: properties\n%s\nwant (%s)\n%s", c.coll, i, gp, c.file, wp)
			}
			gg, _ := json.Marshal(got.Features[i].Geometry)
			wg, _ := json.Marshal(want[i].Geometry)
			if string(gg) != string(wg) {
				t.Fatalf("%s feature %d: geometry differs from %s", c.coll, i, c.file)
			}
		}
	}
}

func TestOGCItem(t *testing.T) {
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{})
	page := decode[featureCollection](t, ts.get("/ogc/collections/cells/items?limit=3&offset=2"), 200)
	for _, f := range page.Features {
		id := f.ID.(string)
		w := ts.get("/ogc/collections/cells/items/" + url.PathEscape(id))
		if ct := w.Header().Get("Content-Type"); ct != "application/geo+json" {
			t.Errorf("item Content-Type %q", ct)
		}
		one := decode[struct {
			Type       string         `json:"type"`
			ID         string         `json:"id"`
			Properties map[string]any `json:"properties"`
			Links      []link         `json:"links"`
		}](t, w, 200)
		if one.Type != "Feature" || one.ID != id {
			t.Errorf("item %s: %s %s", id, one.Type, one.ID)
		}
		a, _ := json.Marshal(one.Properties)
		b, _ := json.Marshal(f.Properties)
		if string(a) != string(b) {
			t.Errorf("item %s properties differ from the items page", id)
		}
		if _, ok := linkOf(one.Links, "collection"); !ok {
			t.Errorf("item %s has no collection link", id)
		}
	}
	st := decode[struct {
		ID         float64        `json:"id"`
		Properties map[string]any `json:"properties"`
	}](t, ts.get("/ogc/collections/streets/items/5"), 200)
	_, _, l := in.Net.Edge(5)
	if st.ID != 5 || !near(jsonNum(t, st.Properties["length_m"]), l, 0.05) {
		t.Errorf("street 5: %+v, length %.2f", st, l)
	}
	var fac planner.Facility
	for _, f := range in.Facilities {
		if f.Type == "market" {
			fac = f
			break
		}
	}
	m := decode[struct {
		ID         string         `json:"id"`
		Properties map[string]any `json:"properties"`
	}](t, ts.get("/ogc/collections/market/items/"+url.PathEscape(fac.ID)), 200)
	if m.ID != fac.ID || m.Properties["type_en"] != "Fresh-food market" {
		t.Errorf("market %s: %+v", fac.ID, m)
	}
	// The item says why it counts: the profile's rule and the OSM tags.
	tags, _ := m.Properties["tags"].(map[string]any)
	if fac.Rule == "" || m.Properties["rule"] != fac.Rule || len(tags) != len(fac.Tags) || len(tags) == 0 {
		t.Errorf("market %s: rule %v, tags %v; want %q and %d tags", fac.ID, m.Properties["rule"], tags, fac.Rule, len(fac.Tags))
	}
	for k, v := range fac.Tags {
		if tags[k] != v {
			t.Errorf("market %s: tag %s = %v, want %q", fac.ID, k, tags[k], v)
		}
	}
	// A facility of another type is not in this collection.
	checkError(t, ts.get("/ogc/collections/clinic/items/"+url.PathEscape(fac.ID)), 404, "not_found")
	d := decode[struct {
		Properties map[string]any `json:"properties"`
	}](t, ts.get("/ogc/collections/demand/items/"+url.PathEscape(in.Demand.IDs[3])), 200)
	if d.Properties["id"] != in.Demand.IDs[3] {
		t.Errorf("demand point: %+v", d.Properties)
	}
}

func TestParseBBox(t *testing.T) {
	cases := []struct {
		in    string
		boxes int
		ok    bool
	}{
		{"1,2,3,4", 1, true},
		{" 1 , 2 , 3 , 4 ", 1, true},
		{"-180,-90,180,90", 1, true},
		{"170,0,-170,1", 2, true},
		{"1,2,3", 0, false},
		{"1,2,3,4,5,6", 0, false},
		{"1,2,3,x", 0, false},
		{"1,2,3,Inf", 0, false},
		{"1,5,3,4", 0, false},
		{"1,2,181,4", 0, false},
		{"", 0, false},
	}
	for _, tc := range cases {
		b, err := parseBBox(tc.in)
		if (err == nil) != tc.ok || len(b) != tc.boxes {
			t.Errorf("parseBBox(%q) = %v, %v", tc.in, b, err)
		}
	}
}

// TestIntersects checks the exact bbox test on hand-made shapes.
func TestIntersects(t *testing.T) {
	box := orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{10, 10}}
	tri := func(pts ...orb.Point) orb.Polygon { return orb.Polygon{append(orb.Ring(pts), pts[0])} }
	cases := []struct {
		name string
		g    orb.Geometry
		want bool
	}{
		{"point inside", orb.Point{5, 5}, true},
		{"point on edge", orb.Point{10, 5}, true},
		{"point outside", orb.Point{11, 5}, false},
		{"line crossing without vertex inside", orb.LineString{{-5, 5}, {15, 5}}, true},
		{"diagonal line missing the corner", orb.LineString{{8, 14}, {14, 8}}, false},
		{"diagonal line through the corner", orb.LineString{{5, 15}, {15, 5}}, true},
		{"polygon around the box", tri(orb.Point{-100, -100}, orb.Point{100, -100}, orb.Point{0, 100}), true},
		{"triangle whose bound overlaps only", tri(orb.Point{11, 20}, orb.Point{20, 20}, orb.Point{20, 11}), false},
		{"triangle corner inside", tri(orb.Point{9, 9}, orb.Point{20, 9}, orb.Point{20, 20}), true},
		{"polygon with the box in its hole", orb.Polygon{
			{{-50, -50}, {50, -50}, {50, 50}, {-50, 50}, {-50, -50}},
			{{-20, -20}, {-20, 20}, {20, 20}, {20, -20}, {-20, -20}},
		}, false},
		{"multipoint one inside", orb.MultiPoint{{20, 20}, {1, 1}}, true},
		{"multipoint none inside", orb.MultiPoint{{20, 20}, {-1, 1}}, false},
	}
	for _, tc := range cases {
		if got := intersects(tc.g, tc.g.Bound(), box); got != tc.want {
			t.Errorf("%s: intersects = %v, want %v", tc.name, got, tc.want)
		}
		// Independent check with orb's clipping.
		if got := clipCount([]orb.Geometry{tc.g}, box) == 1; got != tc.want && tc.name != "point on edge" && !strings.Contains(tc.name, "hole") {
			t.Errorf("%s: clipping says %v, want %v (test case wrong?)", tc.name, got, tc.want)
		}
	}
}

// FuzzParseItemsQuery: any query string is answered with a valid query or
// a bad-request error, never a panic.
func FuzzParseItemsQuery(f *testing.F) {
	for _, s := range []string{"", "limit=10", "bbox=1,2,3,4&limit=5&offset=3", "limit=0", "bbox=170,0,-170,1",
		"limit=99999999999999999999", "f=json", "offset=-1", "bbox=NaN,1,2,3", "x=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		iq, err := parseItemsQuery(q)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.kind != planner.ErrInvalid {
				t.Fatalf("%q: error %v is not a bad request", raw, err)
			}
			return
		}
		if iq.limit < 1 || iq.limit > maxLimit || iq.offset < 0 {
			t.Fatalf("%q: limit %d offset %d", raw, iq.limit, iq.offset)
		}
		for _, b := range iq.bbox {
			if !(b.Min[0] <= b.Max[0] && b.Min[1] <= b.Max[1]) {
				t.Fatalf("%q: box %v", raw, b)
			}
		}
	})
}
