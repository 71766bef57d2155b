package study

import (
	"context"
	"testing"

	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/geo"
)

// TestShardPartsSnapAsWhole checks what makes a shard's snapping exact:
// every demand point of a core, and every sample of a facility that lies
// within the halo, snaps in the whole network to an edge the shard's part
// holds — so it snaps to the same place in the part. A facility sample
// near the halo's edge whose nearest street lies just beyond it would
// otherwise snap to another street of the part, up to --max-snap farther,
// and reach the core by a path up to 2 × --max-snap shorter than its own.
func TestShardPartsSnapAsWhole(t *testing.T) {
	s := Defaults()
	s.OSM = shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf")
	s.MaxDistance, s.MaxSnap = 300, 500 // a snap wider than the walk: samples near the halo's edge are many
	st, err := Load(context.Background(), s, FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := PlanShards(st, ShardOptions{Shards: 64})
	if err != nil {
		t.Fatal(err)
	}
	net := st.In.Net
	checked := 0
	for k := range pl.Shards {
		p, err := pl.Part(st, k)
		if err != nil {
			t.Fatal(err)
		}
		has := map[int32]bool{}
		for _, e := range p.EdgeOf {
			has[e] = true
		}
		lo, hi := pl.rect(p.Shard, pl.Halo)
		inHalo := func(x, y float64) bool { return x >= lo[0] && x <= hi[0] && y >= lo[1] && y <= hi[1] }
		for j, i := range p.Points {
			if pos, ok := net.Snap(st.In.Demand.Points[i], st.In.MaxSnap); ok && !has[pos.Edge] {
				t.Fatalf("shard %d: demand point %d (part's %d) snaps to edge %d, which the part lacks", k, i, j, pos.Edge)
			}
		}
		for _, f := range p.FacOf {
			for _, q := range geo.SamplePoints(st.In.Facilities[f].Geometry, geo.DefaultSampleStep) {
				x, y, _ := pl.pr.Forward(q)
				if !inHalo(x, y) {
					continue
				}
				checked++
				if pos, ok := net.Snap(q, st.In.MaxSnap); ok && !has[pos.Edge] {
					t.Errorf("shard %d: facility %d's sample %v, inside the halo, snaps to edge %d, which the part lacks", k, f, q, pos.Edge)
				}
			}
		}
	}
	t.Logf("%d shards, %d facility samples within halos checked", len(pl.Shards), checked)
}
