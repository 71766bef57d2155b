package synth

import (
	"bytes"
	"context"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"
)

// readPBF reads data back with paulmach/osm's scanner, the reader the rest of
// the project uses.
func readPBF(t testing.TB, data []byte) (*osmpbf.Header, []*osm.Node, []*osm.Way) {
	t.Helper()
	s := osmpbf.New(context.Background(), bytes.NewReader(data), 2)
	defer s.Close()
	h, err := s.Header()
	if err != nil {
		t.Fatalf("read header: %v", err)
	}
	var nodes []*osm.Node
	var ways []*osm.Way
	for s.Scan() {
		switch o := s.Object().(type) {
		case *osm.Node:
			nodes = append(nodes, o)
		case *osm.Way:
			ways = append(ways, o)
		default:
			t.Fatalf("unexpected object %T", o)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatalf("scan: %v", err)
	}
	return h, nodes, ways
}

// checkRoundTrip asserts that what was read equals what was written: ids,
// coordinates within 1e-7°, refs and tags exactly, in order.
func checkRoundTrip(t *testing.T, wantN []PBFNode, wantW []PBFWay, gotN []*osm.Node, gotW []*osm.Way) {
	t.Helper()
	if len(gotN) != len(wantN) {
		t.Fatalf("read %d nodes, wrote %d", len(gotN), len(wantN))
	}
	if len(gotW) != len(wantW) {
		t.Fatalf("read %d ways, wrote %d", len(gotW), len(wantW))
	}
	for i, g := range gotN {
		w := wantN[i]
		if int64(g.ID) != w.ID {
			t.Fatalf("node %d: id %d, want %d", i, g.ID, w.ID)
		}
		if math.Abs(g.Lon-w.Lon) > 1e-7 || math.Abs(g.Lat-w.Lat) > 1e-7 {
			t.Fatalf("node %d (id %d): read (%.9f, %.9f), wrote (%.9f, %.9f)", i, w.ID, g.Lon, g.Lat, w.Lon, w.Lat)
		}
		if !tagsEqual(g.Tags, w.Tags) {
			t.Fatalf("node %d (id %d): tags %v, want %v", i, w.ID, g.Tags.Map(), w.Tags)
		}
	}
	for i, g := range gotW {
		w := wantW[i]
		if int64(g.ID) != w.ID {
			t.Fatalf("way %d: id %d, want %d", i, g.ID, w.ID)
		}
		refs := make([]int64, len(g.Nodes))
		for k, n := range g.Nodes {
			refs[k] = int64(n.ID)
		}
		if !slices.Equal(refs, w.NodeIDs) {
			t.Fatalf("way %d (id %d): refs %v, want %v", i, w.ID, refs, w.NodeIDs)
		}
		if !tagsEqual(g.Tags, w.Tags) {
			t.Fatalf("way %d (id %d): tags %v, want %v", i, w.ID, g.Tags.Map(), w.Tags)
		}
	}
}

func tagsEqual(got osm.Tags, want map[string]string) bool {
	if len(got) == 0 && len(want) == 0 {
		return true
	}
	return len(got) == len(want) && reflect.DeepEqual(got.Map(), want)
}

func TestWritePBF(t *testing.T) {
	// Long way id/ref deltas, negative coordinates and deltas, tagged nodes,
	// a way without tags and one without refs: every branch by hand.
	micro := struct {
		nodes []PBFNode
		ways  []PBFWay
	}{
		nodes: []PBFNode{
			{ID: 1, Lon: -0.1275, Lat: 51.5072},
			{ID: 2, Lon: 179.9999999, Lat: -89.9999999, Tags: map[string]string{"amenity": "clinic", "name": "诊所 A"}},
			{ID: 1 << 40, Lon: -180, Lat: 90},
			{ID: 1<<40 + 1, Lon: 116.3974, Lat: 39.9093, Tags: map[string]string{"amenity": "clinic"}},
		},
		ways: []PBFWay{
			{ID: 7, NodeIDs: []int64{1 << 40, 1, 2, 1}, Tags: map[string]string{"highway": "residential", "name": "诊所 A"}},
			{ID: 9, NodeIDs: []int64{2, 1<<40 + 1}},
			{ID: 1 << 35, Tags: map[string]string{"highway": "path"}},
		},
	}

	big := func(n, w int) ([]PBFNode, []PBFWay) {
		nodes := make([]PBFNode, n)
		for i := range nodes {
			nodes[i] = PBFNode{ID: int64(3*i + 5), Lon: -10 + float64(i%997)*1e-4, Lat: 20 - float64(i%1009)*1e-4}
		}
		ways := make([]PBFWay, w)
		for i := range ways {
			ways[i] = PBFWay{ID: int64(i + 1), NodeIDs: []int64{nodes[i%n].ID, nodes[(i*7)%n].ID}, Tags: tagResidential}
		}
		return nodes, ways
	}
	bigN, bigW := big(20001, 16001) // 3 node blocks, 3 way blocks

	// Two ways too long to share a block.
	longRef := make([]int64, pbfBlockRefs/2+1)
	for i := range longRef {
		longRef[i] = int64(i%3 + 1)
	}

	cases := []struct {
		name      string
		nodes     []PBFNode
		ways      []PBFWay
		blocks    int // OSMData blobs expected
		sortedHdr bool
	}{
		{"empty", nil, nil, 0, true},
		{"micro", micro.nodes, micro.ways, 2, true},
		{"unsorted", []PBFNode{micro.nodes[1], micro.nodes[0]}, nil, 1, false},
		{"multi-block", bigN, bigW, 6, true},
		{"long ways", micro.nodes[:1], []PBFWay{{ID: 1, NodeIDs: longRef}, {ID: 2, NodeIDs: longRef}}, 3, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WritePBF(&buf, tc.nodes, tc.ways); err != nil {
				t.Fatal(err)
			}
			if got := bytes.Count(buf.Bytes(), []byte("OSMData")); got != tc.blocks {
				t.Errorf("%d OSMData blobs, want %d", got, tc.blocks)
			}
			h, nodes, ways := readPBF(t, buf.Bytes())
			checkRoundTrip(t, tc.nodes, tc.ways, nodes, ways)
			if !slices.Equal(h.RequiredFeatures, []string{"OsmSchema-V0.6", "DenseNodes"}) {
				t.Errorf("required features %v", h.RequiredFeatures)
			}
			if got := slices.Contains(h.OptionalFeatures, "Sort.Type_then_ID"); got != tc.sortedHdr {
				t.Errorf("Sort.Type_then_ID declared %v, want %v", got, tc.sortedHdr)
			}
			if h.WritingProgram != pbfWriter {
				t.Errorf("writing program %q", h.WritingProgram)
			}
			if len(tc.nodes) == 0 {
				if h.Bounds != nil {
					t.Errorf("bbox %v for no nodes", h.Bounds)
				}
				return
			}
			minLon, maxLon, minLat, maxLat := 180.0, -180.0, 90.0, -90.0
			for _, n := range tc.nodes {
				minLon, maxLon = min(minLon, n.Lon), max(maxLon, n.Lon)
				minLat, maxLat = min(minLat, n.Lat), max(maxLat, n.Lat)
			}
			b := h.Bounds
			if b == nil || math.Abs(b.MinLon-minLon) > 1e-7 || math.Abs(b.MaxLon-maxLon) > 1e-7 ||
				math.Abs(b.MinLat-minLat) > 1e-7 || math.Abs(b.MaxLat-maxLat) > 1e-7 {
				t.Errorf("bbox %+v, want lon %v..%v lat %v..%v", b, minLon, maxLon, minLat, maxLat)
			}
		})
	}
}

func TestWritePBFRejectsBadCoordinates(t *testing.T) {
	cases := []struct {
		name     string
		lon, lat float64
	}{
		{"NaN lon", math.NaN(), 0},
		{"NaN lat", 0, math.NaN()},
		{"projected", 500000, 4400000},
		{"lat past pole", 10, 90.5},
		{"infinite", math.Inf(-1), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nodes := []PBFNode{{ID: 1, Lon: 1, Lat: 1}, {ID: 17, Lon: tc.lon, Lat: tc.lat}}
			err := WritePBF(&bytes.Buffer{}, nodes, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), "node 1 (id 17)") {
				t.Errorf("error %q does not name the node", err)
			}
		})
	}
}

type failWriter struct{ left int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.left < len(p) {
		return 0, errShortDisk
	}
	f.left -= len(p)
	return len(p), nil
}

var errShortDisk = &shortDisk{}

type shortDisk struct{}

func (*shortDisk) Error() string { return "disk full" }

func TestWritePBFWriteError(t *testing.T) {
	nodes, ways := make([]PBFNode, 50000), make([]PBFWay, 0)
	for i := range nodes {
		nodes[i] = PBFNode{ID: int64(i + 1), Lon: float64(i%100) * 1e-3, Lat: float64(i/100) * 1e-3}
	}
	var full bytes.Buffer
	if err := WritePBF(&full, nodes, ways); err != nil {
		t.Fatal(err)
	}
	for _, left := range []int{0, 100, full.Len() / 2, full.Len() - 1} {
		err := WritePBF(&failWriter{left: left}, nodes, ways)
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("after %d bytes: error %v, want disk full", left, err)
		}
	}
}

func BenchmarkWritePBF(b *testing.B) {
	c := buildCity(100_000, DefaultSpacing, testCenter, 1)
	b.ResetTimer()
	for b.Loop() {
		var buf bytes.Buffer
		if err := WritePBF(&buf, c.nodes, c.ways); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}
