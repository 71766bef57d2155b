package postgis

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data"
)

// TestDBSaveAuditTaskKey: saves under one task key, one after the other
// and four at once, store one run and all return its id; another key
// stores another run.
func TestDBSaveAuditTaskKey(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	p := helsinki(t)
	if _, err := s.Import(ctx, p); err != nil {
		t.Fatal(err)
	}
	in, res := auditOf(t, p)
	meta := data.AuditMeta{Version: "test", Created: time.Now(), CellSize: 250}
	run := AuditRun{Project: "helsinki", In: in, Res: res, Meta: meta, TaskKey: "r1/t0001/abc"}
	first, err := s.SaveAudit(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, 5)
	errs := make([]error, 5)
	ids[0], errs[0] = s.SaveAudit(ctx, run)
	var wg sync.WaitGroup
	run.TaskKey = "r1/t0002/abc"
	for k := 1; k < 5; k++ {
		wg.Add(1)
		go func() { defer wg.Done(); ids[k], errs[k] = s.SaveAudit(ctx, run) }()
	}
	wg.Wait()
	for k, err := range errs {
		if err != nil {
			t.Fatalf("save %d: %v", k, err)
		}
	}
	if ids[0] != first || ids[1] == first || ids[2] != ids[1] || ids[3] != ids[1] || ids[4] != ids[1] {
		t.Errorf("ids %d then %v: want the first key's run once, the second key's once", first, ids)
	}
	var runs, demand int
	// Only this test's keys: the package's other tests share the database.
	keys := []string{"r1/t0001/abc", "r1/t0002/abc"}
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM lifecircle.runs WHERE task_key = ANY($1)`, keys).Scan(&runs); err != nil {
		t.Fatal(err)
	}
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM lifecircle.demand_results d JOIN lifecircle.runs r ON r.id = d.run WHERE r.task_key = ANY($1)`, keys).Scan(&demand); err != nil {
		t.Fatal(err)
	}
	if runs != 2 || demand != 2*len(in.Demand.Points) {
		t.Errorf("%d runs, %d demand rows: want 2 runs of %d points", runs, demand, len(in.Demand.Points))
	}
}
