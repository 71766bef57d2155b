package study

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
)

// monacoPart returns the encoded part of the first of 4 shards of the
// Monaco extract, and the plan.
func monacoPart(tb testing.TB) ([]byte, *ShardPlan, *Study) {
	tb.Helper()
	s := Defaults()
	s.OSM = shareddata.Path(tb, "monaco_region_2016", "monaco.osm.pbf")
	st, err := Load(context.Background(), s, FileSource{}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	pl, err := PlanShards(st, ShardOptions{Shards: 4})
	if err != nil {
		tb.Fatal(err)
	}
	var b bytes.Buffer
	if err := pl.WritePart(st, 0, &b); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes(), pl, st
}

// TestReadShardPartRefuses: a damaged part or result is an error naming
// what is wrong, and a result of another shard is refused by Merge.
func TestReadShardPartRefuses(t *testing.T) {
	good, pl, st := monacoPart(t)
	in := st.In
	newMerged := func() *planner.PointResults {
		return planner.NewPointResults(len(in.Demand.Points), len(in.Profile.Types), len(in.Facilities))
	}
	if _, err := ReadShardPart(bytes.NewReader(good), int64(len(good))); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrBadPart},
		{"magic", append([]byte("LCPARTX\n"), good[8:]...), ErrBadPart},
		{"header longer than the part", append(append([]byte{}, good[:8]...), append([]byte{0xff, 0xff, 0xff, 0, 0, 0, 0, 0}, good[16:]...)...), ErrBadPart},
		{"network cut short", good[:len(good)-10], nil},
		{"network damaged", append(bytes.Clone(good[:len(good)-100]), bytes.Repeat([]byte{0xff}, 100)...), geo.ErrBadNetwork},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadShardPart(bytes.NewReader(tc.b), int64(len(tc.b)))
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	task, err := ReadShardPart(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := task.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := pl.Merge(newMerged(), 0, r); err != nil {
		t.Fatal(err)
	}
	if err := pl.Merge(newMerged(), 1, r); err == nil {
		t.Errorf("shard 1's result was merged as shard 2's")
	}
	bad := *r
	bad.Nearest = [][]int32{{99999999}}
	if err := pl.Merge(newMerged(), 0, &bad); err == nil {
		t.Errorf("a result with a foreign facility was merged")
	}
}

func FuzzReadShardPart(f *testing.F) {
	good, _, _ := monacoPart(f)
	f.Add(good)
	f.Add(good[:200])
	f.Fuzz(func(t *testing.T, b []byte) {
		task, err := ReadShardPart(bytes.NewReader(b), int64(len(b)))
		if err == nil {
			if _, err := task.Run(context.Background()); err != nil {
				t.Logf("run: %v", err)
			}
		}
	})
}

// BenchmarkShardPartWire reads a shard's part of the Monaco extract and
// runs it, and writes and reads its result: what a worker and the
// coordinator do for a shard but for the engine.
func BenchmarkShardPartWire(b *testing.B) {
	good, _, _ := monacoPart(b)
	b.SetBytes(int64(len(good)))
	b.ResetTimer()
	for range b.N {
		task, err := ReadShardPart(bytes.NewReader(good), int64(len(good)))
		if err != nil {
			b.Fatal(err)
		}
		r, err := task.Run(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		var res bytes.Buffer
		if err := WriteResult(&res, r); err != nil {
			b.Fatal(err)
		}
		if _, err := ReadResult(&res); err != nil {
			b.Fatal(err)
		}
	}
}
