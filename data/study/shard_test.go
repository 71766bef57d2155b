package study

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/data/synth"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// auditOutputs loads s, audits it (sharded when s.Shard says so), writes
// the outputs and returns them by file name, summary.json without its
// timings and creation time, report.html left out (it lists timings).
func auditOutputs(t *testing.T, s Settings) (map[string][]byte, []ShardStats) {
	t.Helper()
	ctx := context.Background()
	st, err := Load(ctx, s, FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var res *planner.AuditResult
	var stats []ShardStats
	if s.Shard.Enabled() {
		res, stats, err = RunSharded(ctx, st, s.Shard)
	} else {
		res, err = Run(ctx, st)
	}
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := st.Write(dir, res); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		name := e.Name()
		if name == "report.html" || strings.HasPrefix(name, ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "summary.json" {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			delete(m, "timings_s")
			delete(m, "created")
			if b, err = json.Marshal(m); err != nil {
				t.Fatal(err)
			}
		}
		out[name] = b
	}
	return out, stats
}

// sameOutputs fails unless got holds exactly the files of want, byte for
// byte.
func sameOutputs(t *testing.T, label string, want, got map[string][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d output files, want %d", label, len(got), len(want))
	}
	for name, w := range want {
		g := got[name]
		if bytes.Equal(g, w) {
			continue
		}
		i := 0
		for i < min(len(g), len(w)) && g[i] == w[i] {
			i++
		}
		t.Errorf("%s: %s differs from the single run's at byte %d: %q vs %q", label, name, i,
			g[max(0, i-80):min(len(g), i+80)], w[max(0, i-80):min(len(w), i+80)])
	}
}

// TestShardedSameAsSingle audits the shared extracts (the cases of
// scripts/golden-audits: cells, communes and quarters, other parameters)
// in 4, 16 and 64 shards, and in as many as a small node budget asks,
// and compares every output with the single run's byte for byte.
func TestShardedSameAsSingle(t *testing.T) {
	cases := []struct {
		name string
		set  func(s *Settings)
	}{
		{"helsinki", func(s *Settings) { s.OSM = shareddata.Path(t, "helsinki", "Helsinki.osm.pbf") }},
		{"monaco", func(s *Settings) {
			s.OSM = shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf")
			s.UnitsOSM = "admin_level=8,10"
		}},
		{"bupt", func(s *Settings) {
			s.OSM = shareddata.Path(t, "cn_beijing_bupt", "map.osm")
			s.Cell, s.MaxSnap, s.FloorArea = 125, 100, 30
		}},
		// A snap wider than the walk: many facility samples lie near a
		// halo's edge with their own street just beyond it.
		{"monaco-wide-snap", func(s *Settings) {
			s.OSM = shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf")
			s.MaxDistance, s.MaxSnap = 300, 500
		}},
		// A search bound short enough for a node budget to split Monaco.
		{"monaco-1km", func(s *Settings) {
			s.OSM = shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf")
			s.UnitsOSM = "admin_level=8,10"
			s.MaxDistance = 1000
			s.Shard = ShardOptions{Nodes: 1500}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := Defaults()
			tc.set(&s)
			opts := []ShardOptions{{Shards: 4}, {Shards: 16, Parallel: 2}, {Shards: 64}}
			if s.Shard.Enabled() {
				opts = []ShardOptions{s.Shard}
				s.Shard = ShardOptions{}
			}
			want, _ := auditOutputs(t, s)
			for _, o := range opts {
				s.Shard = o
				got, stats := auditOutputs(t, s)
				if len(stats) < 2 {
					t.Errorf("%+v: %d shards", o, len(stats))
				}
				sameOutputs(t, fmt.Sprintf("%+v (%d shards)", o, len(stats)), want, got)
			}
		})
	}
}

// TestShardedBigCity is TestShardedSameAsSingle on a generated city of
// LIFECIRCLE_SHARD_BIG nodes (e.g. 1000000; skipped when unset), and
// logs the halo overhead of each shard count.
func TestShardedBigCity(t *testing.T) {
	n := 0
	if v := os.Getenv("LIFECIRCLE_SHARD_BIG"); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil || n < 10000 {
			t.Fatalf("LIFECIRCLE_SHARD_BIG=%q: give a number of nodes ≥ 10000", v)
		}
	}
	if n == 0 {
		t.Skip("set LIFECIRCLE_SHARD_BIG=1000000 to audit a generated city of that many nodes sharded and whole")
	}
	dir := t.TempDir()
	if _, err := synth.Generate(dir, synth.Options{Nodes: n, Facilities: max(20, n/2000), Points: n / 10, Seed: 14}); err != nil {
		t.Fatal(err)
	}
	s := Defaults()
	s.OSM = filepath.Join(dir, synth.FileCity)
	s.Amenities = []string{filepath.Join(dir, synth.FileFacilities)}
	s.Population = filepath.Join(dir, synth.FilePoints)
	t0 := time.Now()
	want, _ := auditOutputs(t, s)
	t.Logf("single run: %v", time.Since(t0))
	for _, o := range []ShardOptions{{Shards: 4}, {Shards: 16}, {Shards: 64}} {
		s.Shard = o
		t0 := time.Now()
		got, stats := auditOutputs(t, s)
		var core, all int
		var reached int64
		for _, st := range stats {
			core, all, reached = core+st.CoreNodes, all+st.SubNodes, reached+st.Reached
		}
		t.Logf("%d shards: %v; nodes in cores %d, in shards %d (halo overhead %.2f); searches reached %d nodes",
			len(stats), time.Since(t0), core, all, float64(all-core)/float64(core), reached)
		sameOutputs(t, fmt.Sprintf("%d shards", len(stats)), want, got)
		runtime.GC()
	}
}

// TestShardDump writes the largest of 16 shards of the generated city in
// LIFECIRCLE_SHARD_CITY (a cmd/gencity folder) into LIFECIRCLE_SHARD_DUMP,
// for BENCHMARKS.md's memory of one shard; skipped unless both are set.
func TestShardDump(t *testing.T) {
	city, dir := os.Getenv("LIFECIRCLE_SHARD_CITY"), os.Getenv("LIFECIRCLE_SHARD_DUMP")
	if city == "" || dir == "" {
		t.Skip("set LIFECIRCLE_SHARD_CITY (a gencity folder) and LIFECIRCLE_SHARD_DUMP (an output folder)")
	}
	s := Defaults()
	s.OSM = filepath.Join(city, synth.FileCity)
	s.Amenities = []string{filepath.Join(city, synth.FileFacilities)}
	s.Population = filepath.Join(city, synth.FilePoints)
	dumpLargestShard(t, s, 16, dir)
}

// dumpLargestShard writes what the largest of n shards of s reads (its
// network as lines, its facilities, its core's residents) as GeoJSON
// into dir, so that an audit of them alone measures one shard's memory.
func dumpLargestShard(t *testing.T, s Settings, n int, dir string) {
	s.Shard = ShardOptions{}
	st, err := Load(context.Background(), s, FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := PlanShards(st, ShardOptions{Shards: n})
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	for i, sh := range pl.Shards {
		if sh.Nodes > pl.Shards[k].Nodes {
			k = i
		}
	}
	part, err := pl.Part(st, k)
	if err != nil {
		t.Fatal(err)
	}
	sh := part.Shard
	write := func(name string, fc *geojson.FeatureCollection) {
		b, err := fc.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	net := geojson.NewFeatureCollection()
	for e := 0; e < part.Net.NumEdges(); e++ {
		net.Append(geojson.NewFeature(append(orb.LineString(nil), part.Net.EdgeGeometry(int32(e))...)))
	}
	write("network.geojson", net)
	fac := geojson.NewFeatureCollection()
	for _, f := range part.Facilities {
		x := geojson.NewFeature(f.Geometry)
		x.Properties = geojson.Properties{"id": f.ID, "type": f.Type}
		fac.Append(x)
	}
	write("facilities.geojson", fac)
	pop := geojson.NewFeatureCollection()
	for j, i := range part.Points {
		x := geojson.NewFeature(part.Demand.Points[j])
		x.Properties = geojson.Properties{"id": st.In.Demand.IDs[i], "population": part.Demand.Pop[j]}
		pop.Append(x)
	}
	write("points.geojson", pop)
	t.Logf("shard %d of %d (%d cells a side): %d edges, %d facilities, %d points written to %s",
		k+1, len(pl.Shards), sh.Side, len(net.Features), len(fac.Features), len(pop.Features), dir)
}

func TestParseShards(t *testing.T) {
	for _, tc := range []struct {
		shards string
		nodes  int
		want   ShardOptions
		err    string
	}{
		{"", 0, ShardOptions{}, ""},
		{"auto", 0, ShardOptions{Nodes: DefaultShardNodes}, ""},
		{"auto", 500, ShardOptions{Nodes: 500}, ""},
		{"", 500, ShardOptions{Nodes: 500}, ""},
		{"16", 0, ShardOptions{Shards: 16}, ""},
		{"0", 0, ShardOptions{}, "--shards \"0\""},
		{"many", 0, ShardOptions{}, "give auto or a number"},
		{"4", -1, ShardOptions{}, "--shard-nodes -1"},
	} {
		got, err := ParseShards(tc.shards, tc.nodes)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrInvalid) {
				t.Errorf("ParseShards(%q, %d) = %v, want an invalid-input error with %q", tc.shards, tc.nodes, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseShards(%q, %d) = %+v, %v, want %+v", tc.shards, tc.nodes, got, err, tc.want)
		}
	}
}

// TestShardPlanCovers checks the plan's cores: disjoint squares on the
// study's grid that own every demand point exactly once, each within the
// node budget unless it is a single cell.
func TestShardPlanCovers(t *testing.T) {
	s := Defaults()
	s.OSM = shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf")
	s.MaxDistance = 1000
	st, err := Load(context.Background(), s, FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const budget = 1500
	pl, err := PlanShards(st, ShardOptions{Nodes: budget})
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Shards) < 4 {
		t.Fatalf("%d shards for a budget of %d nodes of %d", len(pl.Shards), budget, st.In.Net.NumNodes())
	}
	if want := 1000 + 2*250.0; !(pl.Halo >= want && pl.Halo < want*1.05) {
		t.Errorf("halo %.1f m, want a little over %.0f m", pl.Halo, want)
	}
	owner := make([]int, len(st.In.Demand.Points))
	over := 0
	for k, sh := range pl.Shards {
		if sh.Nodes > budget {
			over++
			if w := float64(sh.Side) * pl.Grid.Size; w > pl.Halo {
				t.Errorf("shard %d: %d nodes over the budget of %d, %.0f m wide, wider than its %.0f m halo", k, sh.Nodes, budget, w, pl.Halo)
			}
		}
		for _, i := range sh.points {
			if owner[i] != 0 {
				t.Fatalf("point %d in shards %d and %d", i, owner[i]-1, k)
			}
			owner[i] = k + 1
			if x, y := pl.Grid.Cell(st.In.Demand.Points[i]); x < sh.X0 || x >= sh.X0+sh.Side || y < sh.Y0 || y >= sh.Y0+sh.Side {
				t.Fatalf("point %d in cell %d,%d outside shard %d %+v", i, x, y, k, sh)
			}
		}
	}
	if over != pl.OverBudget {
		t.Errorf("%d shards over the budget, the plan says %d", over, pl.OverBudget)
	}
	for i, o := range owner {
		if o == 0 {
			t.Fatalf("point %d in no shard", i)
		}
	}
}

// TestShardPartsAnyOrder runs the parts of a plan as a distributed runner
// would — each written, read and run on its own, its result written and
// read back, in reverse order, merged as they come — and
// gets the single audit's figures, distances and nearest facilities.
func TestShardPartsAnyOrder(t *testing.T) {
	ctx := context.Background()
	s := Defaults()
	s.OSM = shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf")
	s.UnitsOSM = "admin_level=8,10"
	st, err := Load(ctx, s, FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := PlanShards(st, ShardOptions{Shards: 8})
	if err != nil {
		t.Fatal(err)
	}
	in := st.In
	merged := planner.NewPointResults(len(in.Demand.Points), len(in.Profile.Types), len(in.Facilities))
	for k := len(pl.Shards) - 1; k >= 0; k-- {
		// Through the wire, as a worker gets a part and gives its result.
		var part, res bytes.Buffer
		if err := pl.WritePart(st, k, &part); err != nil {
			t.Fatal(err)
		}
		task, err := ReadShardPart(bytes.NewReader(part.Bytes()), int64(part.Len()))
		if err != nil {
			t.Fatal(err)
		}
		r, err := task.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteResult(&res, r); err != nil {
			t.Fatal(err)
		}
		if r, err = ReadResult(&res); err != nil {
			t.Fatal(err)
		}
		if err := pl.Merge(merged, k, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := planner.AuditMerged(ctx, in, merged)
	if err != nil {
		t.Fatal(err)
	}
	want, err := planner.Audit(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"types", got.Types, want.Types}, {"units", got.Units, want.Units}, {"levels", got.Levels, want.Levels},
		{"dist", got.Dist, want.Dist}, {"nearest", got.Nearest, want.Nearest}, {"snapped", got.Snapped, want.Snapped},
		{"cut off", got.CutOff, want.CutOff}, {"warnings", got.Warnings, want.Warnings},
		{"completeness", got.Completeness, want.Completeness}, {"fully served", got.FullyServedPop, want.FullyServedPop},
	} {
		if g, w := fmt.Sprintf("%v", c.got), fmt.Sprintf("%v", c.want); g != w {
			t.Errorf("%s differ from the single audit's", c.name)
		}
	}
	if len(pl.Shards) < 4 {
		t.Errorf("%d shards", len(pl.Shards))
	}
}
