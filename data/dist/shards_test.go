package dist

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestShardsDuplicateDelivery runs a sharded audit of the Monaco extract
// on a real JetStream work queue with every shard task published twice
// (as a publisher retrying after a lost acknowledgement would), on a
// worker that takes two tasks at a time: each shard's result is merged
// once, and the audit, its per-point results and the searches' work are
// those of the in-process sharded run — nothing is counted twice.
func TestShardsDuplicateDelivery(t *testing.T) {
	ctx := context.Background()
	e := testEngine(t)
	load := func() *study.Study {
		s := study.Defaults()
		s.OSM = shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf")
		s.UnitsOSM = "admin_level=8,10"
		st, err := study.Load(ctx, s, study.FileSource{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	want, wantStats, err := study.RunSharded(ctx, load(), study.ShardOptions{Shards: 8})
	if err != nil {
		t.Fatal(err)
	}
	// Every task message is published a second time, under another id.
	var mu sync.Mutex
	seen := map[string]bool{}
	sub, err := e.NC.Subscribe(e.subject("*"), func(m *nats.Msg) {
		mu.Lock()
		dup := !seen[string(m.Data)]
		seen[string(m.Data)] = true
		mu.Unlock()
		if dup {
			if _, err := e.JS.Publish(ctx, m.Subject, m.Data, jetstream.WithMsgID(fmt.Sprintf("dup-%d", len(seen)))); err != nil {
				t.Errorf("republish: %v", err)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	var logs syncBuffer
	w := &Worker{E: e, Concurrency: 2, Log: slog.New(slog.NewTextHandler(&logs, nil)), Dir: t.TempDir()}
	wctx, stop := context.WithCancel(ctx)
	stopped := make(chan error)
	go func() { stopped <- w.Run(wctx) }()
	defer func() { stop(); <-stopped }()
	runner := &Shards{E: e, Name: "monaco", Dir: t.TempDir()}
	got, gotStats, err := study.RunSharded(ctx, load(), study.ShardOptions{Shards: 8, Runner: runner})
	if err != nil {
		t.Fatal(err)
	}
	if len(gotStats) != len(wantStats) || len(seen) != len(wantStats) {
		t.Fatalf("%d shards, %d task messages duplicated; want %d", len(gotStats), len(seen), len(wantStats))
	}
	for k := range wantStats {
		g, w := gotStats[k], wantStats[k]
		if g.Reached != w.Reached || g.Points != w.Points || g.SubNodes != w.SubNodes || g.SubEdges != w.SubEdges || g.Facilities != w.Facilities {
			t.Errorf("shard %d: %+v, want %+v", k+1, g, w)
		}
	}
	sameResult(t, got, want)
	// Wait for the copies to be handled: each is acknowledged without
	// running again (result stored), or dropped once the run ended.
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := e.Stream.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d task messages left in the queue:\n%s", info.State.Msgs, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d tasks, %d runs started, %d copies acknowledged by their stored result, %d dropped after the run",
		len(seen), strings.Count(logs.String(), "task started"), strings.Count(logs.String(), "result already stored"), strings.Count(logs.String(), "run ended"))
}

// sameResult compares the figures of two audits.
func sameResult(t *testing.T, got, want *planner.AuditResult) {
	t.Helper()
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"types", got.Types, want.Types}, {"units", got.Units, want.Units}, {"levels", got.Levels, want.Levels},
		{"dist", got.Dist, want.Dist}, {"nearest", got.Nearest, want.Nearest}, {"snapped", got.Snapped, want.Snapped},
		{"completeness", got.Completeness, want.Completeness}, {"population", got.Population, want.Population},
	} {
		if g, w := fmt.Sprintf("%v", c.got), fmt.Sprintf("%v", c.want); g != w {
			t.Errorf("%s differ from the in-process sharded audit's", c.name)
		}
	}
}
