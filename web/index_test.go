package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data/synth"
	"github.com/paulmach/orb"
)

// scanMatches is what a full scan of gs keeps for filter f: the indices
// of the geometries that intersect it, ascending.
func scanMatches(gs []orb.Geometry, f bboxFilter) []int32 {
	var out []int32
	for i, g := range gs {
		if g != nil && f.match(g, g.Bound()) {
			out = append(out, int32(i))
		}
	}
	return out
}

// indexMatches is what the index keeps: its candidates, exactly tested.
func indexMatches(t *testing.T, x *bboxIndex, gs []orb.Geometry, f bboxFilter) []int32 {
	t.Helper()
	cand := x.candidates(nil, f)
	if !slices.IsSorted(cand) || len(slices.Compact(slices.Clone(cand))) != len(cand) {
		t.Fatalf("candidates %v are not ascending and distinct", cand)
	}
	var out []int32
	for _, i := range cand {
		if g := gs[i]; g != nil && f.match(g, g.Bound()) {
			out = append(out, i)
		}
	}
	return out
}

func newGeomIndex(gs []orb.Geometry) *bboxIndex {
	return newBBoxIndex(len(gs), func(i int) (orb.Bound, bool) {
		if gs[i] == nil {
			return orb.Bound{}, false
		}
		return gs[i].Bound(), true
	})
}

func mustBBox(t testing.TB, minx, miny, maxx, maxy float64) bboxFilter {
	t.Helper()
	f, err := parseBBox(fmt.Sprintf("%s,%s,%s,%s", fmtFloat(minx), fmtFloat(miny), fmtFloat(maxx), fmtFloat(maxy)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// fmtFloat writes v so that parseBBox reads back exactly v.
func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// TestBBoxIndexMicro: hand-checkable features, among them ones the tree
// must not hold (no geometry, empty, NaN, infinite, beyond float32) and
// coordinates float32 cannot represent, checked against the scan. The
// scan keeps a point of NaN longitude (3) wherever a box holds its
// latitude (orb's comparisons are all false with NaN); the index keeps
// the scan's answer, whatever it is.
func TestBBoxIndexMicro(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	// 24.9000001 lies between two float32 values: a box ending exactly
	// there touches the point; rounding the key to nearest could lose it.
	x0 := 24.9000001
	if float64(float32(x0)) == x0 {
		t.Fatal("test value is a float32: pick another")
	}
	gs := []orb.Geometry{
		0:  orb.Point{x0, 60.1},
		1:  nil,
		2:  orb.Polygon{},
		3:  orb.Point{nan, 60.1},
		4:  orb.LineString{{24.8, 60.0}, {inf, 60.0}},
		5:  orb.Point{1e39, 60.1}, // beyond float32
		6:  orb.Polygon{{{24.0, 60.0}, {25.0, 60.0}, {25.0, 61.0}, {24.0, 61.0}, {24.0, 60.0}}},
		7:  orb.LineString{{179.5, -17.0}, {179.9, -17.1}},
		8:  orb.Point{-179.9, -17.0},
		9:  orb.Point{x0, 60.1}, // a duplicate of 0
		10: orb.LineString{{24.95, 60.05}, {24.97, 60.05}},
		11: orb.MultiPoint{},
	}
	x := newGeomIndex(gs)
	if got, want := x.tree.Len(), 6; got != want { // 0, 6, 7, 8, 9, 10
		t.Errorf("tree holds %d features, want %d (no nil, empty or non-finite bounds)", got, want)
	}
	if want := []int32{3, 4, 5}; !slices.Equal(x.always, want) {
		t.Errorf("features tested on every query: %v, want %v", x.always, want)
	}
	for _, tc := range []struct {
		name string
		f    bboxFilter
		want []int32
	}{
		{"box ending exactly at a point", mustBBox(t, 24.5, 60.05, x0, 60.1), []int32{0, 3, 6, 9}},
		{"box just before the point", mustBBox(t, 24.5, 60.05, math.Nextafter(x0, 0), 60.1), []int32{3, 6}},
		{"point box on the point", mustBBox(t, x0, 60.1, x0, 60.1), []int32{0, 3, 6, 9}},
		{"line box through the line", mustBBox(t, 24.96, 60.0, 24.96, 60.2), []int32{3, 4, 6, 10}},
		{"inside the polygon only", mustBBox(t, 24.3, 60.5, 24.4, 60.6), []int32{6}},
		{"across the antimeridian", mustBBox(t, 179.7, -17.5, -179.8, -16.5), []int32{7, 8}},
		{"across the antimeridian, east part only", mustBBox(t, 179.95, -17.5, -179.8, -16.5), []int32{8}},
		{"whole world", mustBBox(t, -180, -90, 180, 90), []int32{0, 3, 4, 6, 7, 8, 9, 10}},
		{"whole world across the antimeridian", mustBBox(t, 0, -90, -0.0001, 90), []int32{0, 3, 4, 6, 7, 8, 9, 10}},
		{"far away", mustBBox(t, 0, 0, 1, 1), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scan := scanMatches(gs, tc.f)
			if !slices.Equal(scan, tc.want) {
				t.Fatalf("scan keeps %v, want %v: the test's expectation is wrong", scan, tc.want)
			}
			if got := indexMatches(t, x, gs, tc.f); !slices.Equal(got, tc.want) {
				t.Errorf("index keeps %v, want %v", got, tc.want)
			}
		})
	}
	// A NaN box never reaches the tree: it is searched as the plane.
	f := bboxFilter{{Min: orb.Point{nan, 0}, Max: orb.Point{1, 1}}}
	if got, want := x.candidates(nil, f), []int32{0, 3, 4, 5, 6, 7, 8, 9, 10}; !slices.Equal(got, want) {
		t.Errorf("NaN box: candidates %v, want every indexed and always-tested feature %v", got, want)
	}
	// candidates appends after what dst holds.
	if got := x.candidates([]int32{99}, mustBBox(t, 179.7, -17.5, -179.8, -16.5)); !slices.Equal(got, []int32{99, 3, 4, 5, 7, 8}) {
		t.Errorf("candidates after 99: %v", got)
	}
}

// TestKeyRectRoundsOutward: float32 keys never shrink a bound.
func TestKeyRectRoundsOutward(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := []float64{0, -0.0, 1, -1, 180, -180, 90, -90, 24.9000001, -179.99999999, math.SmallestNonzeroFloat64,
		math.MaxFloat32, -math.MaxFloat32, 1e39, -1e39}
	for range 10000 {
		vals = append(vals, (r.Float64()*2-1)*180, (r.Float64()*2-1)*1e-3)
	}
	for _, v := range vals {
		lo, hi := down32(v), up32(v)
		if float64(lo) > v || float64(hi) < v {
			t.Fatalf("%v: rounded to [%v, %v], which does not hold it", v, lo, hi)
		}
		if float64(float32(v)) == v && (float64(lo) != v || float64(hi) != v) {
			t.Fatalf("%v is a float32 but was rounded to [%v, %v]", v, lo, hi)
		}
	}
	for _, b := range []orb.Bound{
		{Min: orb.Point{math.NaN(), 0}, Max: orb.Point{1, 1}},
		{Min: orb.Point{0, 0}, Max: orb.Point{math.Inf(1), 1}},
		{Min: orb.Point{-1e39, 0}, Max: orb.Point{1, 1}},
	} {
		if _, _, finite := keyRect(b); finite {
			t.Errorf("%v: reported finite", b)
		}
	}
}

// randomBBox draws a bbox query around extent e: boxes of any size from a
// few metres to larger than e, degenerate point and line boxes on a
// feature's own coordinates, boxes touching a feature's bound, boxes
// across the antimeridian and far away ones.
func randomBBox(r *rand.Rand, e orb.Bound, bounds []orb.Bound) (string, bboxFilter) {
	clamp := func(v, lo, hi float64) float64 { return max(lo, min(hi, v)) }
	w, h := e.Max[0]-e.Min[0], e.Max[1]-e.Min[1]
	rx := func() float64 { return e.Min[0] - 0.1*w + r.Float64()*1.2*w }
	ry := func() float64 { return e.Min[1] - 0.1*h + r.Float64()*1.2*h }
	fb := bounds[r.IntN(len(bounds))]
	var x [4]float64
	switch k := r.IntN(10); k {
	case 0, 1, 2: // a box of random size, side 1e-4..1.5 of the extent
		s := math.Pow(10, -4+r.Float64()*4.2)
		x0, y0 := rx(), ry()
		x = [4]float64{x0, y0, x0 + s*w, y0 + s*h*(0.5+r.Float64())}
	case 3: // a point box on a feature's corner
		p := fb.Min
		if r.IntN(2) == 0 {
			p = fb.Max
		}
		x = [4]float64{p[0], p[1], p[0], p[1]}
	case 4: // a vertical or horizontal line box through a feature's edge
		if r.IntN(2) == 0 {
			x = [4]float64{fb.Max[0], ry(), fb.Max[0], 0}
			x[3] = x[1] + r.Float64()*h
		} else {
			x = [4]float64{rx(), fb.Min[1], 0, fb.Min[1]}
			x[2] = x[0] + r.Float64()*w
		}
	case 5: // a box whose corner touches a feature's bound exactly
		s := r.Float64() * 0.2
		x = [4]float64{fb.Max[0], fb.Max[1], fb.Max[0] + s*w, fb.Max[1] + s*h}
		if r.IntN(2) == 0 {
			x = [4]float64{fb.Min[0] - s*w, fb.Min[1] - s*h, fb.Min[0], fb.Min[1]}
		}
	case 6: // across the antimeridian: minx > maxx
		x = [4]float64{rx(), ry(), 0, 0}
		x[2] = x[0] - r.Float64()*w
		if r.IntN(3) == 0 {
			x[2] = -180 + r.Float64()*(x[0]+180)
		}
		x[3] = x[1] + r.Float64()*h
	case 7: // far away
		x = [4]float64{e.Min[0] - 3*w - 1, e.Min[1], e.Min[0] - 3*w - 0.5, e.Max[1]}
	case 8: // the whole world
		x = [4]float64{-180, -90, 180, 90}
	default: // a small box at a feature
		s := r.Float64() * 0.01
		c := fb.Center()
		x = [4]float64{c[0] - s*w, c[1] - s*h, c[0] + s*w, c[1] + s*h}
	}
	x[0], x[2] = clamp(x[0], -180, 180), clamp(x[2], -180, 180)
	x[1], x[3] = clamp(x[1], -90, 90), clamp(x[3], -90, 90)
	if x[1] > x[3] {
		x[1], x[3] = x[3], x[1]
	}
	s := fmtFloat(x[0]) + "," + fmtFloat(x[1]) + "," + fmtFloat(x[2]) + "," + fmtFloat(x[3])
	f, err := parseBBox(s)
	if err != nil {
		panic(fmt.Sprintf("randomBBox made a bad box %s: %v", s, err))
	}
	return s, f
}

// checkIndexedItems compares items pages of the static collections (and
// of the facility and catchment collections, which keep the scan) answered through the
// index with those of a full scan, over n random bbox queries each with a
// random limit and offset: same features in the same order, same
// numberMatched and numberReturned.
func checkIndexedItems(t *testing.T, ts *testServer, n int, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 3))
	for _, c := range ts.collections() {
		if c.kind == kindProposals {
			continue
		}
		var bounds []orb.Bound
		var total int
		ts.withItems(c, func(v *itemView) {
			total = v.n
			for i := range v.n {
				if g := v.geom(i); g != nil && (v.keep == nil || v.keep(i)) {
					bounds = append(bounds, g.Bound())
				}
			}
		})
		if len(bounds) == 0 {
			continue
		}
		e, _ := ts.extent(c)
		static := c.kind != kindFacilities && c.kind != kindCatchments
		if idx := ts.indexOf(c); static != (idx != nil) || idx != nil && idx.n != total {
			t.Fatalf("%s: index %v for a collection of %d features (static %v)", c.id, idx, total, static)
		}
		var hits, partial, paged int
		for q := range n {
			bs, f := randomBBox(r, e, bounds)
			iq := itemsQuery{bbox: f, limit: []int{1, 3, 10, 1000, 10000}[r.IntN(5)]}
			if q%3 == 1 {
				iq.offset = r.IntN(40)
			}
			got := ts.items(c, iq)
			want := ts.itemsWith(c, iq, nil)
			if got.matched != want.matched || got.returned != want.returned || !bytes.Equal(got.features, want.features) {
				t.Fatalf("%s bbox=%s limit=%d offset=%d: indexed %d matched, %d returned; scan %d matched, %d returned; pages equal %v",
					c.id, bs, iq.limit, iq.offset, got.matched, got.returned, want.matched, want.returned, bytes.Equal(got.features, want.features))
			}
			if want.matched > 0 {
				hits++
			}
			if want.matched > 0 && want.matched < len(bounds) {
				partial++
			}
			if iq.offset > 0 && want.returned > 0 {
				paged++
			}
			if static && want.matched > 0 && want.matched < len(bounds)/4 {
				// The index must narrow a small query down, else it is
				// only a scan in disguise.
				if nc := len(ts.indexOf(c).candidates(nil, f)); nc >= total/2 {
					t.Fatalf("%s bbox=%s: %d candidates of %d features for %d matches", c.id, bs, nc, total, want.matched)
				}
			}
		}
		if hits < n/4 || partial < n/8 || (static && paged == 0) {
			t.Errorf("%s: only %d of %d queries matched anything, %d part of the collection, %d paged: the test's boxes miss the data", c.id, hits, n, partial, paged)
		}
	}
}

func TestIndexItemsMatchScanSample(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{})
	checkIndexedItems(t, ts, 400, 1)
}

func TestIndexItemsMatchScanSynth(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    synth.Options
		n    int
	}{
		{"20k nodes", synth.Options{Nodes: 20000, Facilities: 30, Points: 20000, Seed: 9}, 150},
		// East of Fiji, so that antimeridian boxes cut through the city.
		{"near the antimeridian", synth.Options{Nodes: 2000, Facilities: 10, Points: 3000, Seed: 4, Center: orb.Point{179.93, -17.0}}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, synthStudy(t, tc.o, 100), Config{})
			checkIndexedItems(t, ts, tc.n, 2)
		})
	}
}

// TestIndexWhileBuilding: bbox queries that arrive while the indexes are
// still being built, in parallel with what-if edits, wait for them and
// answer what the scan answers.
func TestIndexWhileBuilding(t *testing.T) {
	in := synthStudy(t, synth.Options{Nodes: 20000, Facilities: 30, Points: 20000, Seed: 9}, 100)
	type answer struct{ target, got string }
	answers := make(chan answer, 1000)
	ts := newTestServer(t, in, Config{})
	boxes := benchBBoxes(ts, 24)
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 8 {
				target := fmt.Sprintf("/ogc/collections/%s/items?limit=50&offset=%d&bbox=%s",
					[]string{"cells", "demand", "streets"}[(g+k)%3], k%3*7, boxes[(g*8+k)%len(boxes)])
				answers <- answer{target, idsOf(t, ts.get(target))}
			}
		}()
	}
	pts := snappedPoints(ts)
	types := in.Profile.TypeIDs()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := range 10 {
			p := pts[k*len(pts)/10]
			if w := ts.post("/api/scenario", fmt.Sprintf(`{"op":"add","type":%q,"lon":%.6f,"lat":%.6f}`, types[k%len(types)], p[0], p[1])); w.Code != http.StatusOK {
				t.Errorf("add: %d %s", w.Code, w.Body.String())
			}
		}
	}()
	wg.Wait()
	close(answers)
	expect := map[string]string{} // target → numberMatched and ids, by scan
	for a := range answers {
		want, ok := expect[a.target]
		if !ok {
			u := request("GET", a.target, nil).URL
			c, _ := ts.collection(chiParam(u.Path))
			q, err := parseItemsQuery(u.Query())
			if err != nil {
				t.Fatal(err)
			}
			p := ts.itemsWith(c, q, nil)
			want = idsOfPage(t, p)
			expect[a.target] = want
		}
		if a.got != want {
			t.Errorf("%s: %s, the scan gives %s", a.target, shorten(a.got, 200), shorten(want, 200))
		}
	}
}

// chiParam is the collection id of an items path.
func chiParam(path string) string {
	const pre = "/ogc/collections/"
	rest := path[len(pre):]
	for i := range rest {
		if rest[i] == '/' {
			return rest[:i]
		}
	}
	return rest
}

// idsOf is the numberMatched and the feature ids of an items answer.
func idsOf(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Errorf("status %d: %s", w.Code, shorten(w.Body.String(), 300))
		return ""
	}
	return idsOfJSON(t, w.Body.Bytes())
}

func idsOfPage(t *testing.T, p page) string {
	t.Helper()
	doc := fmt.Sprintf(`{"type":"FeatureCollection","features":[%s],"numberMatched":%d}`, p.features, p.matched)
	return idsOfJSON(t, []byte(doc))
}

func idsOfJSON(t *testing.T, b []byte) string {
	t.Helper()
	var fc featureCollection
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatalf("items answer is not JSON: %v", err)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%d:", *fc.NumberMatched)
	for _, f := range fc.Features {
		fmt.Fprintf(&buf, " %v", f.ID)
	}
	return buf.String()
}

// TestIndexBuildBig measures building the indexes of the generated
// 1,000,000-node city (set LIFECIRCLE_BIG=1): each alone, and all three
// in parallel as New starts them, with the heap they take. No timing is
// asserted.
func TestIndexBuildBig(t *testing.T) {
	if os.Getenv("LIFECIRCLE_BIG") == "" {
		t.Skip("set LIFECIRCLE_BIG=1 to measure index building on the 1,000,000-node city")
	}
	in := synthStudy(t, synth.Options{Nodes: 1000000, Facilities: 2000, Points: 1000000, Seed: 11}, 250)
	sc := newScenario(t, in)
	for _, c := range []struct {
		name  string
		n     int
		bound func(int) (orb.Bound, bool)
	}{
		{"cells", len(in.Units), func(i int) (orb.Bound, bool) { return in.Units[i].Geometry.Bound(), true }},
		{"demand", len(in.Demand.Points), func(i int) (orb.Bound, bool) { return in.Demand.Points[i].Bound(), true }},
		{"streets", in.Net.NumEdges(), func(i int) (orb.Bound, bool) { return in.Net.EdgeGeometry(int32(i)).Bound(), true }},
	} {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		t0 := time.Now()
		x := newBBoxIndex(c.n, c.bound)
		d := time.Since(t0)
		runtime.GC()
		runtime.ReadMemStats(&m1)
		t.Logf("%s: %d features indexed in %v, %.0f MB of heap", c.name, x.tree.Len(), d.Round(time.Millisecond), mb(m1.HeapInuse-m0.HeapInuse))
		if x.tree.Len() != c.n {
			t.Errorf("%s: %d of %d features in the tree", c.name, x.tree.Len(), c.n)
		}
		runtime.KeepAlive(x)
	}
	t0 := time.Now()
	s, err := New(sc, Config{Addr: "127.0.0.1:0", Workspace: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	started := time.Since(t0)
	for _, c := range []string{"cells", "demand", "streets"} {
		coll, _ := s.collection(c)
		s.indexOf(coll)
	}
	t.Logf("New returned in %v; all three indexes ready %v after New was called (GOMAXPROCS %d)",
		started.Round(time.Millisecond), time.Since(t0).Round(time.Millisecond), runtime.GOMAXPROCS(0))
}

// BenchmarkItemsCellsBBox serves bbox queries (1/8 of the city's side,
// limit=1000) on the cells, demand points and streets of the generated
// city of BenchmarkItemsCells.
func BenchmarkItemsCellsBBox(b *testing.B) {
	in := synthStudy(b, synth.Options{Nodes: 10000, Facilities: 20, Points: 30000, Seed: 3}, 100)
	ts := newTestServer(b, in, Config{})
	boxes := benchBBoxes(ts, 64)
	for _, coll := range []string{"cells", "demand", "streets"} {
		b.Run(coll, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				w := ts.get("/ogc/collections/" + coll + "/items?limit=1000&bbox=" + boxes[i%len(boxes)])
				i++
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body.String())
				}
				b.SetBytes(int64(w.Body.Len()))
			}
		})
	}
}

// benchBBoxes are n boxes of 1/8 of the study area's side at random
// places, as the load test's bbox queries are (minx,miny,maxx,maxy).
func benchBBoxes(ts *testServer, n int) []string {
	b := ts.bounds
	w, h := (b.Max[0]-b.Min[0])/8, (b.Max[1]-b.Min[1])/8
	r := rand.New(rand.NewPCG(7, 8))
	out := make([]string, n)
	for i := range out {
		x := b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]-w)
		y := b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1]-h)
		out[i] = fmt.Sprintf("%.6f,%.6f,%.6f,%.6f", x, y, x+w, y+h)
	}
	return out
}
