package osm

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/paulmach/orb"
	osmlib "github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"
	"github.com/paulmach/osm/osmxml"
)

func read(t testing.TB, path string, f Filter) *Extract {
	t.Helper()
	x, err := Read(context.Background(), path, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// checkWays asserts the invariants every kept way has.
func checkWays(t *testing.T, x *Extract) {
	t.Helper()
	for i, w := range x.Ways {
		if len(w.Coords) != len(w.NodeIDs) || len(w.Coords) < 2 {
			t.Fatalf("way %d (#%d): %d coords, %d node ids", w.ID, i, len(w.Coords), len(w.NodeIDs))
		}
		for _, c := range w.Coords {
			if !validLonLat(c[0], c[1]) {
				t.Fatalf("way %d: invalid coordinate %v", w.ID, c)
			}
		}
	}
}

// naiveWays is the reference: one pass over the file with paulmach/osm's own
// scanner keeping every node, then the same cut-at-missing-nodes rule.
type naiveResult struct {
	ways           []Way
	missing, split int
	nodes          map[int64]orb.Point
	tagged         []*osmlib.Node
	relations      []*osmlib.Relation
}

func naiveRead(t *testing.T, path string, keepWay func(osmlib.Tags) bool) naiveResult {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sc osmlib.Scanner
	if strings.HasSuffix(path, ".pbf") {
		sc = osmpbf.New(context.Background(), f, 1)
	} else {
		sc = osmxml.New(context.Background(), f)
	}
	defer sc.Close()
	res := naiveResult{nodes: make(map[int64]orb.Point)}
	var ways []*osmlib.Way
	for sc.Scan() {
		switch o := sc.Object().(type) {
		case *osmlib.Node:
			res.nodes[int64(o.ID)] = orb.Point{o.Lon, o.Lat}
			if len(o.Tags) > 0 {
				res.tagged = append(res.tagged, o)
			}
		case *osmlib.Way:
			if keepWay(o.Tags) {
				ways = append(ways, o)
			}
		case *osmlib.Relation:
			res.relations = append(res.relations, o)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, w := range ways {
		var ids []int64
		var pts []orb.Point
		flush := func() {
			if len(ids) >= 2 {
				res.ways = append(res.ways, Way{ID: int64(w.ID), Tags: w.Tags.Map(), NodeIDs: ids, Coords: pts})
			}
			ids, pts = nil, nil
		}
		cut := false
		for _, n := range w.Nodes {
			p, ok := res.nodes[int64(n.ID)]
			if !ok {
				res.missing++
				cut = true
				flush()
				continue
			}
			ids = append(ids, int64(n.ID))
			pts = append(pts, p)
		}
		flush()
		if cut {
			res.split++
		}
	}
	return res
}

func compareWays(t *testing.T, got, want []Way) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d way pieces, reference has %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.ID != w.ID || !slices.Equal(g.NodeIDs, w.NodeIDs) || !reflect.DeepEqual(g.Tags, w.Tags) {
			t.Fatalf("piece %d: got way %d %v %v, want way %d %v %v", i, g.ID, g.NodeIDs, g.Tags, w.ID, w.NodeIDs, w.Tags)
		}
		for k := range g.Coords {
			if math.Abs(g.Coords[k][0]-w.Coords[k][0]) > 1e-9 || math.Abs(g.Coords[k][1]-w.Coords[k][1]) > 1e-9 {
				t.Fatalf("way %d node %d: got %v, want %v", g.ID, g.NodeIDs[k], g.Coords[k], w.Coords[k])
			}
		}
	}
}

func TestReadHelsinkiHighways(t *testing.T) {
	path := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	x := read(t, path, Filter{Way: hasHighway})
	checkWays(t, x)
	ref := naiveRead(t, path, func(tags osmlib.Tags) bool { return tags.Find("highway") != "" })
	compareWays(t, x.Ways, ref.ways)
	if x.MissingNodes != ref.missing || x.SplitWays != ref.split {
		t.Errorf("missing %d, split %d; reference %d, %d", x.MissingNodes, x.SplitWays, ref.missing, ref.split)
	}
	// The extract is cut at its edge, so some highways lose nodes.
	if x.SplitWays == 0 || x.MissingNodes == 0 {
		t.Errorf("expected cut ways in the Helsinki extract, got missing %d, split %d", x.MissingNodes, x.SplitWays)
	}
	if len(x.Nodes) != 0 || len(x.Relations) != 0 {
		t.Errorf("kept %d nodes and %d relations with no Node/Relation filter", len(x.Nodes), len(x.Relations))
	}
	t.Logf("Helsinki: %d highway pieces, %d missing node refs, %d cut ways", len(x.Ways), x.MissingNodes, x.SplitWays)
}

func TestReadHelsinkiNodes(t *testing.T) {
	path := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	x := read(t, path, Filter{Node: hasAmenity})
	ref := naiveRead(t, path, func(osmlib.Tags) bool { return false })
	var want []Node
	for _, n := range ref.tagged {
		if n.Tags.Find("amenity") != "" {
			want = append(want, Node{ID: int64(n.ID), Tags: n.Tags.Map(), Point: orb.Point{n.Lon, n.Lat}})
		}
	}
	if len(want) == 0 || len(x.Nodes) != len(want) {
		t.Fatalf("%d amenity nodes, reference %d", len(x.Nodes), len(want))
	}
	for i := range want {
		g, w := x.Nodes[i], want[i]
		if g.ID != w.ID || !reflect.DeepEqual(g.Tags, w.Tags) || math.Abs(g.Point[0]-w.Point[0]) > 1e-9 || math.Abs(g.Point[1]-w.Point[1]) > 1e-9 {
			t.Fatalf("node %d: got %+v, want %+v", i, g, w)
		}
	}
	if len(x.Ways) != 0 {
		t.Errorf("kept %d ways with no Way filter", len(x.Ways))
	}
}

func TestReadBeijingXML(t *testing.T) {
	path := shareddata.Path(t, "cn_beijing_bupt", "map.osm")
	bupt := func(get func(string) string) bool { return strings.Contains(get("name"), "北京邮电大学") }
	x := read(t, path, Filter{Node: bupt, Way: bupt})
	checkWays(t, x)
	names := map[string]bool{}
	for _, n := range x.Nodes {
		names[n.Tags["name"]] = true
	}
	for _, w := range x.Ways {
		names[w.Tags["name"]] = true
	}
	for _, want := range []string{"北京邮电大学", "校医院（北京邮电大学社区卫生服务中心）", "北京邮电大学南门"} {
		if !names[want] {
			t.Errorf("no feature named %q; have %v", want, names)
		}
	}
	campus := slices.IndexFunc(x.Ways, func(w Way) bool { return w.Tags["name"] == "北京邮电大学" })
	if campus < 0 {
		t.Fatal("campus way missing")
	}
	if _, ok := WayPolygon(x.Ways[campus]); !ok {
		t.Errorf("campus way %d is not a closed polygon", x.Ways[campus].ID)
	}

	// Highways against the reference reader.
	hw := read(t, path, Filter{Way: hasHighway})
	checkWays(t, hw)
	ref := naiveRead(t, path, func(tags osmlib.Tags) bool { return tags.Find("highway") != "" })
	compareWays(t, hw.Ways, ref.ways)
	if hw.MissingNodes != ref.missing || hw.SplitWays != ref.split {
		t.Errorf("missing %d, split %d; reference %d, %d", hw.MissingNodes, hw.SplitWays, ref.missing, ref.split)
	}
}

// TestReadFormatsAgree reads the same XML plain, gzip- and bzip2-compressed
// and under a misleading name, and expects identical extracts.
func TestReadFormatsAgree(t *testing.T) {
	src := shareddata.Path(t, "cn_beijing_bupt", "map.osm")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	f := Filter{Node: hasAmenity, Way: hasHighway, Relation: func(get func(string) string) bool { return get("type") != "" }}
	want := read(t, src, f)
	if len(want.Ways) == 0 || len(want.Nodes) == 0 {
		t.Fatalf("plain XML kept %d ways, %d nodes", len(want.Ways), len(want.Nodes))
	}

	dir := t.TempDir()
	files := map[string]string{
		"gzip":            filepath.Join(dir, "map.osm.gz"),
		"misnamed plain":  filepath.Join(dir, "map.dat"),
		"gzip named .osm": filepath.Join(dir, "map-gz.osm"),
	}
	gz := gzipBytes(t, data)
	writeFile(t, files["gzip"], gz)
	writeFile(t, files["misnamed plain"], data)
	writeFile(t, files["gzip named .osm"], gz)
	if bz, ok := bzip2CLI(t, data); ok {
		files["bzip2 (CLI)"] = filepath.Join(dir, "map.osm.bz2")
		writeFile(t, files["bzip2 (CLI)"], bz)
	} else {
		t.Log("no bzip2 on PATH: only the committed testdata bz2 is read")
	}
	for name, p := range files {
		t.Run(name, func(t *testing.T) {
			got := read(t, p, f)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: extract differs from plain XML (%d ways, %d nodes vs %d, %d)",
					name, len(got.Ways), len(got.Nodes), len(want.Ways), len(want.Nodes))
			}
		})
	}

	// testdata/split.osm.bz2 is testdata/split.osm compressed once with bzip2.
	t.Run("committed bz2", func(t *testing.T) {
		f := Filter{Way: hasHighway, Node: hasAmenity}
		got := read(t, filepath.Join("testdata", "split.osm.bz2"), f)
		plain := read(t, filepath.Join("testdata", "split.osm"), f)
		if len(got.Ways) == 0 || !reflect.DeepEqual(got, plain) {
			t.Errorf("bz2 extract %+v differs from plain %+v", got, plain)
		}
	})
}

// TestReadSplitWay checks the cut-at-missing-nodes rule on testdata/split.osm,
// small enough to check by hand: nodes 3 and 7 are not in the file.
func TestReadSplitWay(t *testing.T) {
	x := read(t, filepath.Join("testdata", "split.osm"), Filter{Way: hasHighway, Node: hasAmenity})
	checkWays(t, x)
	type piece struct {
		id  int64
		ids []int64
	}
	var got []piece
	for _, w := range x.Ways {
		got = append(got, piece{w.ID, w.NodeIDs})
	}
	want := []piece{
		{10, []int64{1, 2}},    // 1 2 [3] 4 5 6: cut at 3...
		{10, []int64{4, 5, 6}}, // ...into two pieces
		{11, []int64{5, 6}},    // intact, 2 nodes
		// way 12 (3 4 7): one node left, dropped
		{13, []int64{6, 5, 4, 2, 1}}, // order kept, reversed against way 10
		// way 14 has no highway tag
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("pieces\n got %v\nwant %v", got, want)
	}
	if x.MissingNodes != 3 || x.SplitWays != 2 {
		t.Errorf("missing %d, split %d; want 3, 2", x.MissingNodes, x.SplitWays)
	}
	if x.Ways[0].Tags["name"] != "Main Street" || x.Ways[1].Tags["name"] != "Main Street" {
		t.Errorf("pieces lost their tags: %v, %v", x.Ways[0].Tags, x.Ways[1].Tags)
	}
	if want := (orb.Point{24.9412, 60.1702}); x.Ways[1].Coords[0] != want {
		t.Errorf("node 4 at %v, want %v", x.Ways[1].Coords[0], want)
	}
	if len(x.Nodes) != 1 || x.Nodes[0].ID != 5 || x.Nodes[0].Tags["amenity"] != "bench" {
		t.Errorf("nodes %+v, want only node 5 (bench)", x.Nodes)
	}
}

func TestReadMonacoRelations(t *testing.T) {
	path := shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf")
	x := read(t, path, Filter{Relation: isAdmin})
	checkWays(t, x)
	ref := naiveRead(t, path, func(osmlib.Tags) bool { return false })
	var wantRels int
	for _, r := range ref.relations {
		if r.Tags.Find("boundary") == "administrative" {
			wantRels++
			i := slices.IndexFunc(x.Relations, func(g Relation) bool { return g.ID == int64(r.ID) })
			if i < 0 {
				t.Fatalf("relation %d missing", r.ID)
			}
			g := x.Relations[i]
			if len(g.Members) != len(r.Members) || !reflect.DeepEqual(g.Tags, r.Tags.Map()) {
				t.Fatalf("relation %d: %d members, tags %v; reference %d, %v", r.ID, len(g.Members), g.Tags, len(r.Members), r.Tags.Map())
			}
			for k, m := range r.Members {
				if g.Members[k] != (Member{Type: string(m.Type), Ref: m.Ref, Role: m.Role}) {
					t.Fatalf("relation %d member %d: %+v, reference %+v", r.ID, k, g.Members[k], m)
				}
			}
		}
	}
	if len(x.Relations) != wantRels {
		t.Fatalf("%d relations, reference %d", len(x.Relations), wantRels)
	}
	for _, w := range x.Ways {
		if !w.Member {
			t.Fatalf("way %d kept without a Way filter but Member=false", w.ID)
		}
	}

	// Monaco's quarters (admin_level 10) and the communes that lie wholly in
	// the extract assemble; together the quarters cover the commune of Monaco.
	quarters := map[string]float64{"Fontvieille": 0, "Monaco-Ville": 0, "La Condamine": 0, "Monte-Carlo": 0,
		"Larvotto": 0, "La Rousse": 0, "Jardin Exotique": 0, "Les Monegetti": 0, "Sainte-Dévote": 0}
	var monaco float64
	levels := map[string]int{}
	for _, r := range x.Relations {
		level, name := r.Tags["admin_level"], r.Tags["name"]
		levels[level]++
		mp, err := x.Polygon(r)
		if _, isQuarter := quarters[name]; level == "10" && isQuarter || level == "8" && (name == "Monaco" || name == "Beausoleil" || name == "Cap-d'Ail" || name == "La Turbie") {
			if err != nil {
				t.Fatalf("%s (admin_level %s): %v", name, level, err)
			}
			area := checkMultiPolygon(t, name, mp)
			if level == "10" {
				quarters[name] = area
			}
			if level == "8" && name == "Monaco" {
				monaco = area
			}
		}
	}
	if levels["8"] == 0 || levels["10"] == 0 {
		t.Fatalf("admin levels %v, want 8 and 10", levels)
	}
	var sum float64
	for name, a := range quarters {
		if a == 0 {
			t.Errorf("quarter %s missing", name)
		}
		sum += a
	}
	// The quarters follow the coast more closely than the commune outline.
	if monaco == 0 || sum < 0.8*monaco || sum > 1.05*monaco {
		t.Errorf("quarters cover %.0f m², Monaco %.0f m²", sum, monaco)
	}
	t.Logf("Monaco %.2f km², its quarters %.2f km²", monaco/1e6, sum/1e6)

	// A relation cut by the extract does not assemble, and says why.
	i := slices.IndexFunc(x.Relations, func(r Relation) bool { return r.Tags["name"] == "Alpes-Maritimes" })
	if i < 0 {
		t.Fatal("Alpes-Maritimes missing")
	}
	if _, err := x.Polygon(x.Relations[i]); err == nil || !strings.Contains(err.Error(), "cannot be closed") {
		t.Errorf("Alpes-Maritimes: %v, want a ring that cannot be closed", err)
	}
}

// TestReadPBFVariants reads the same synthetic data written as dense nodes,
// plain nodes, and uncompressed blobs.
func TestReadPBFVariants(t *testing.T) {
	nodes, ways := gridExtract(30, 0)
	ways = append(ways, tWay{id: 9000, refs: []int64{1, 2, 99999, 3, 4}, tags: []string{"highway", "path"}})
	rels := []tRel{{id: 1, tags: []string{"boundary", "administrative", "name", "Grid"},
		members: []Member{{Type: "way", Ref: 2, Role: "outer"}, {Type: "node", Ref: 5, Role: "admin_centre"}}}}
	f := Filter{Node: hasAmenity, Way: func(get func(string) string) bool { return get("highway") == "path" }, Relation: isAdmin}
	var first *Extract
	for _, o := range []pbfOpts{{}, {plainNodes: true}, {raw: true}, {blockSize: 7}} {
		x := read(t, writeTemp(t, "grid.osm.pbf", encodePBF(nodes, ways, rels, o)), f)
		checkWays(t, x)
		if first == nil {
			first = x
			if len(x.Nodes) != 9 || len(x.Relations) != 1 || x.MissingNodes != 1 || x.SplitWays != 1 {
				t.Fatalf("%+v: %d nodes, %d relations, missing %d, split %d", o, len(x.Nodes), len(x.Relations), x.MissingNodes, x.SplitWays)
			}
			// member way 2, then way 9000 in two pieces (file order)
			if len(x.Ways) != 3 || x.Ways[0].ID != 2 || !x.Ways[0].Member || x.Ways[1].ID != 9000 || x.Ways[2].ID != 9000 || x.Ways[1].Member {
				t.Fatalf("ways %+v", x.Ways)
			}
			if want := (orb.Point{24.9 + 2e-4, 60.1}); math.Abs(x.Ways[2].Coords[0][0]-want[0]) > 1e-9 || math.Abs(x.Ways[2].Coords[0][1]-want[1]) > 1e-9 {
				t.Errorf("node 3 at %v, want %v", x.Ways[2].Coords[0], want)
			}
			continue
		}
		if !reflect.DeepEqual(x, first) {
			t.Errorf("%+v: extract differs from the dense, zlib one", o)
		}
	}
}

func TestReadPasses(t *testing.T) {
	path := filepath.Join("testdata", "split.osm")
	tests := []struct {
		name   string
		f      Filter
		passes []string
	}{
		{"nothing", Filter{}, nil},
		{"nodes only", Filter{Node: hasAmenity}, []string{PassNodes}},
		{"ways", Filter{Way: hasHighway}, []string{PassWays, PassNodes}},
		{"relations without members", Filter{Relation: func(func(string) string) bool { return false }}, []string{PassRelations}},
		{"all", Filter{Node: hasAmenity, Way: hasHighway, Relation: isAdmin}, []string{PassRelations, PassWays, PassNodes}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var passes []string
			var last int64
			_, err := Read(context.Background(), path, tc.f, func(pass string, done, total int64) {
				if len(passes) == 0 || passes[len(passes)-1] != pass {
					passes = append(passes, pass)
					last = -1
				}
				if done < last || done > total {
					t.Errorf("%s: progress %d after %d of %d", pass, done, last, total)
				}
				last = done
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(passes, tc.passes) {
				t.Errorf("passes %v, want %v", passes, tc.passes)
			}
		})
	}
}

// TestReadFilterConcurrency counts filter calls from parallel PBF decoders;
// run with -race it also checks the filters are called safely.
func TestReadFilterConcurrency(t *testing.T) {
	path := shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf")
	prev := runtime.GOMAXPROCS(4)
	defer runtime.GOMAXPROCS(prev)
	a := read(t, path, Filter{Way: hasHighway, Node: hasAmenity})
	runtime.GOMAXPROCS(1)
	b := read(t, path, Filter{Way: hasHighway, Node: hasAmenity})
	if !reflect.DeepEqual(a, b) {
		t.Errorf("4 decoders and 1 decoder disagree: %d/%d ways, %d/%d nodes", len(a.Ways), len(b.Ways), len(a.Nodes), len(b.Nodes))
	}
}

func TestReadErrors(t *testing.T) {
	helsinki := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	pbf, err := os.ReadFile(helsinki)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		writeFile(t, p, data)
		return p
	}
	corrupt := slices.Clone(pbf)
	for i := 2000; i < 2100; i++ { // inside the first data block's zlib stream
		corrupt[i] ^= 0x5a
	}
	nodes, ways := gridExtract(5, 0)
	small := encodePBF(nodes, ways, nil, pbfOpts{})
	zstd := slices.Clone(small)
	// rewrite the first data blob's zlib_data field (3) as zstd_data (7)
	if i := indexBlobField(zstd, 1); i > 0 {
		zstd[i] = 7<<3 | 2
	} else {
		t.Fatal("no data blob in the synthetic PBF")
	}
	history := encodePBF(nodes, ways, nil, pbfOpts{features: []string{"OsmSchema-V0.6", "DenseNodes", "HistoricalInformation"}})
	badString := encodePBF([]tNode{{id: 1, lon: 1, lat: 1, tags: []string{"amenity", "bench"}}}, nil, nil, pbfOpts{raw: true})
	// Point the node's amenity key (string 1) at string 9, which does not exist:
	// keys_vals is field 10, 3 bytes: 1 2 0.
	if i := bytes.Index(badString, []byte{10<<3 | 2, 3, 1, 2, 0}); i > 0 {
		badString[i+2] = 9
	} else {
		t.Fatal("keys_vals not found")
	}
	headerOnly := encodePBF(nil, nil, nil, pbfOpts{})

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	all := Filter{Node: hasAmenity, Way: hasHighway, Relation: isAdmin}
	tests := []struct {
		name string
		path string
		ctx  context.Context
		want string // in the message
		is   error  // errors.Is target, if any
		hint bool   // message has " — what to do"
	}{
		{"missing", filepath.Join(dir, "nope.osm.pbf"), nil, "file not found", os.ErrNotExist, true},
		{"directory", dir, nil, "is a directory", nil, true},
		{"empty", file("empty.osm.pbf", nil), nil, "contains no OSM data", nil, true},
		{"truncated PBF", file("trunc.osm.pbf", pbf[:300<<10]), nil, "truncated or corrupt PBF (unexpected EOF)", nil, true},
		{"corrupt PBF", file("corrupt.osm.pbf", corrupt), nil, "truncated or corrupt PBF", nil, true},
		{"PBF header only", file("header.osm.pbf", headerOnly), nil, "contains no OSM data", nil, true},
		{"PBF of 3 bytes", file("tiny.osm.pbf", pbf[:3]), nil, "truncated or corrupt PBF", nil, true},
		{"zstd PBF", file("zstd.osm.pbf", zstd), nil, "zstd-compressed", nil, true},
		{"history PBF", file("history.osm.pbf", history), nil, "history file", nil, true},
		{"bad string index", file("badstr.osm.pbf", badString), nil, "bad tag string index", nil, true},
		{"text", file("notes.txt", []byte("hello, this is not OSM\n")), nil, "not an OSM file (it starts with \"hello", nil, true},
		{"text named .pbf", file("notes.osm.pbf", []byte("hello, this is not OSM\n")), nil, "not an OSM PBF file", nil, true},
		{"html", file("page.osm", []byte("<!DOCTYPE html>\n<html><body>hi</body></html>")), nil, "not an OSM XML file (root element <html>)", nil, true},
		{"osmChange", file("diff.osc", []byte(`<?xml version="1.0"?><osmChange version="0.6"></osmChange>`)), nil, "osmChange", nil, true},
		{"XML without elements", file("blank.osm", []byte("<?xml version='1.0'?>\n<osm version='0.6'></osm>")), nil, "contains no OSM data", nil, true},
		{"XML declaration only", file("decl.osm", []byte("<?xml version='1.0'?>\n")), nil, "contains no OSM data", nil, true},
		{"broken XML", file("broken.osm", []byte(`<osm><node id="1" lat="1" lon="1"/><way id="2"><nd ref="1"/>`)), nil, "invalid OSM XML after node 1", nil, true},
		{"bad number", file("badnum.osm", []byte(`<osm><node id="1" lat="x" lon="1"/></osm>`)), nil, "invalid OSM XML", nil, true},
		{"latitude out of range", file("lat.osm", []byte(`<osm><node id="7" lat="95.5" lon="1"/><way id="1"><nd ref="7"/><tag k="highway" v="x"/></way></osm>`)), nil, "node 7: latitude 95.5 is outside -90..90", nil, true},
		{"longitude NaN", file("nan.osm", []byte(`<osm><node id="8" lat="1" lon="NaN"><tag k="amenity" v="x"/></node></osm>`)), nil, "node 8: longitude NaN is outside -180..180", nil, true},
		{"truncated gzip", file("trunc.osm.gz", gzipBytes(t, []byte(strings.Repeat(`<osm><node id="1" lat="1" lon="1"/>`, 2000)))[:200]), nil, "truncated or corrupt gzip data", nil, true},
		{"cancelled", helsinki, cancelled, "cancelled", context.Canceled, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			x, err := Read(ctx, tc.path, all, nil)
			if err == nil {
				t.Fatalf("no error; extract has %d nodes, %d ways", len(x.Nodes), len(x.Ways))
			}
			msg := err.Error()
			t.Log(msg)
			if !strings.HasPrefix(msg, "osm: read "+tc.path+": ") {
				t.Errorf("message does not name the file: %q", msg)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not contain %q", msg, tc.want)
			}
			if strings.ContainsAny(msg, "\n\r") {
				t.Errorf("message is not one line: %q", msg)
			}
			if tc.hint && !strings.Contains(msg, " — ") {
				t.Errorf("message says not what to do: %q", msg)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) is false", err, tc.is)
			}
			var re *ReadError
			if !errors.As(err, &re) || re.Path != tc.path {
				t.Errorf("not a *ReadError for %s: %#v", tc.path, err)
			}
		})
	}
}

// TestReadCancelMidPass cancels from the progress callback while a pass runs
// and expects context.Canceled and no goroutine left behind.
func TestReadCancelMidPass(t *testing.T) {
	nodes, ways := gridExtract(100, 0)
	grid := writeTemp(t, "grid.osm.pbf", encodePBF(nodes, ways, nil, pbfOpts{blockSize: 500}))
	tests := []struct {
		name, path string
		at         string // cancel in this pass...
		mid        bool   // ...once some blocks are done, else at its start
	}{
		{"PBF relations pass", grid, PassRelations, true},
		{"PBF ways pass", grid, PassWays, true},
		{"PBF nodes pass", grid, PassNodes, true},
		{"XML nodes pass", filepath.Join("testdata", "split.osm"), PassNodes, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err := Read(ctx, tc.path, Filter{Way: hasHighway, Node: hasAmenity, Relation: isAdmin}, func(pass string, done, total int64) {
				// Mid-pass when a callback comes between blocks; a pass can also
				// report all its blocks at once on a busy machine, and then the
				// cancel lands between this pass and the next.
				if pass == tc.at && (!tc.mid || done > 0) {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v, want context.Canceled", err)
			}
			for i := 0; i < 100 && runtime.NumGoroutine() > before; i++ {
				time.Sleep(10 * time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > before {
				t.Errorf("%d goroutines after cancel, %d before", n, before)
			}
		})
	}
}
