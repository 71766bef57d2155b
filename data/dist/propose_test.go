package dist

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/dist/natstest"
	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/nats-io/nats.go/jetstream"
)

// countingClock advances a microsecond per reading: the solver's budget
// is a number of its steps, the same in every run.
func countingClock() func() time.Duration {
	var n atomic.Int64
	return func() time.Duration { return time.Duration(n.Add(1)) * time.Microsecond }
}

// TestProposeDistributed runs a reference proposal (Monaco, 300
// candidates, 500 m) with its coverage sets on 1 and 2 workers through a
// real JetStream server, each shard task published twice in the 2-worker
// run, and requires the coverage sets, sites, objective and bound of the
// single run.
func TestProposeDistributed(t *testing.T) {
	url := natstest.URL(t)
	prefix := natstest.Prefix(t.Name())
	natstest.Cleanup(t, url, prefix)
	ctx := context.Background()
	st, in := monacoProposal(t)
	want, err := planner.Propose(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{URL: url, Prefix: prefix, AckWait: 10 * time.Second, MaxDeliver: 3, Version: "test"}
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			stop := startWorkers(t, cfg, workers)
			defer stop()
			e, err := Open(ctx, cfg, "coordinator")
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			twice := workers == 2
			var maxDone, again int
			o := ProposeOptions{Shards: study.ShardOptions{Shards: 8},
				Started: func(run string, n int) {
					if twice {
						again = republish(t, e, run)
					}
				},
				Progress: func(p Progress) { maxDone = max(maxDone, p.Done) },
			}
			in.Clock = countingClock()
			got, err := RunPropose(ctx, e, st, in, o)
			if err != nil {
				t.Fatal(err)
			}
			sameSets(t, want, got)
			t.Logf("%d workers: %d tasks done (%d published twice), sites %v, objective %.0f, bound %.1f", workers, maxDone, again, siteIDs(got), got.Objective, got.UpperBound)
			if twice && again == 0 {
				t.Error("no task was published twice")
			}
			if maxDone < 2 {
				t.Errorf("%d tasks done: want the proposal in several shards", maxDone)
			}
		})
	}
}

// monacoProposal loads the Monaco reference instance as propose does
// (--demand, --candidates, --radius 500, --k 5).
func monacoProposal(t *testing.T) (*study.Study, planner.ProposeInput) {
	t.Helper()
	ctx := context.Background()
	dir := shareddata.Path(t, "reference", "monaco_2012")
	s := study.Defaults()
	s.OSM = filepath.Join(dir, "monaco_2012.osm.pbf")
	s.NoDemand = true
	st, err := study.Load(ctx, s, study.FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.In.Demand, err = study.ReadDemandPoints(filepath.Join(dir, "points.geojson"), data.WGS84); err != nil {
		t.Fatal(err)
	}
	if err := st.AssignUnits(); err != nil {
		t.Fatal(err)
	}
	cs, err := study.ReadCandidates(filepath.Join(dir, "candidates.geojson"), data.WGS84)
	if err != nil {
		t.Fatal(err)
	}
	types, err := st.ProposeTypes("", false, 500, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := planner.ProposeInput{Net: st.In.Net, Demand: st.In.Demand, MaxSnap: st.In.MaxSnap, Units: st.In.Units, Assign: st.In.Assign,
		Types: types, Candidates: cs, K: 5, TimeLimit: 5 * time.Millisecond, Clock: countingClock(), Spacing: planner.DefaultSpacing}
	return st, in
}

// TestProposeDistributedFails: a worker that fails every task fails the
// run after MaxDeliver deliveries, naming the shard's task and its error.
func TestProposeDistributedFails(t *testing.T) {
	url := natstest.URL(t)
	prefix := natstest.Prefix(t.Name())
	natstest.Cleanup(t, url, prefix)
	st, in := monacoProposal(t)
	t.Setenv(envFail, "simulated disk failure")
	cfg := Config{URL: url, Prefix: prefix, AckWait: 5 * time.Second, MaxDeliver: 2, Version: "test"}
	stop := startWorkers(t, cfg, 1)
	defer stop()
	e, err := Open(context.Background(), cfg, "coordinator")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, err = RunPropose(context.Background(), e, st, in, ProposeOptions{Shards: study.ShardOptions{Shards: 4}})
	if err == nil || !strings.Contains(err.Error(), "simulated disk failure") || !strings.Contains(err.Error(), "task s0") {
		t.Fatalf("error %v: want the run failed naming a shard task and its error", err)
	}
	t.Log(err)
}

// republish sends every task of run a second time, under another message
// id (a publisher retrying after a lost acknowledgement).
func republish(t *testing.T, e *Engine, run string) int {
	t.Helper()
	ctx := context.Background()
	info, err := e.Stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := e.Stream.GetMsg(ctx, seq)
		if err != nil || m.Subject != e.subject(run) {
			continue // taken and acknowledged already, or another run's
		}
		if _, err := e.JS.Publish(ctx, m.Subject, m.Data, jetstream.WithMsgID(fmt.Sprintf("again-%d", seq))); err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

func startWorkers(t *testing.T, cfg Config, n int) func() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range n {
		e, err := Open(ctx, cfg, "worker")
		if err != nil {
			t.Fatal(err)
		}
		w := &Worker{E: e, Concurrency: 1, ID: fmt.Sprintf("w%d", i+1), Log: slog.New(slog.DiscardHandler), Dir: t.TempDir()}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer e.Close()
			_ = w.Run(ctx)
		}()
	}
	return func() { cancel(); wg.Wait() }
}

func siteIDs(res *planner.ProposeResult) []string {
	var ids []string
	for _, s := range res.Sites {
		ids = append(ids, s.ID)
	}
	return ids
}

func sameSets(t *testing.T, want, got *planner.ProposeResult) {
	t.Helper()
	wp, gp := want.Problem, got.Problem
	if !slices.Equal(wp.Weights, gp.Weights) || !slices.Equal(wp.Fixed, gp.Fixed) || len(wp.Sets) != len(gp.Sets) {
		t.Fatalf("weights, fixed items or number of sets differ")
	}
	for j := range wp.Sets {
		if !slices.Equal(wp.Sets[j], gp.Sets[j]) {
			t.Fatalf("candidate %s covers %d items, want %d", want.Candidates[j].ID, len(gp.Sets[j]), len(wp.Sets[j]))
		}
	}
	if !slices.Equal(siteIDs(want), siteIDs(got)) || want.Objective != got.Objective || want.UpperBound != got.UpperBound {
		t.Errorf("sites %v objective %v bound %v, want %v %v %v", siteIDs(got), got.Objective, got.UpperBound, siteIDs(want), want.Objective, want.UpperBound)
	}
}

// TestCoverWire: a shard read back from its wire form gives the same
// coverage sets, and a damaged one is refused.
func TestCoverWire(t *testing.T) {
	bad := []string{`{}`, `{"points":[5],"pos":[[0,0]],"np":3,"max_snap_m":50}`, `{"points":[],"pos":[],"cands":[1],"candidates":[],"max_snap_m":50}`}
	for _, b := range bad {
		if _, _, _, err := decodeCover([]byte(b)); err == nil {
			t.Errorf("%s: accepted", b)
		}
	}
	if _, _, _, err := decodeCover([]byte(`{"net":"TENORVQx","points":[],"pos":[],"max_snap_m":50}`)); err == nil {
		t.Error("a truncated network: accepted")
	}
}
