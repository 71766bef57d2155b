package dist

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lifecircle/lifecircle/data/dist/natstest"
	"github.com/lifecircle/lifecircle/data/postgis"
	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/nats-io/nats.go/jetstream"
)

// testDatabase creates a fresh database with PostGIS on the test server
// (LIFECIRCLE_TEST_DATABASE_URL, exported by scripts/test), dropped at the
// end, and returns its URL.
func testDatabase(t *testing.T) string {
	t.Helper()
	admin := os.Getenv("LIFECIRCLE_TEST_DATABASE_URL")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to the test server %s: %v (run the tests through scripts/test or set LIFECIRCLE_TEST_DATABASE_URL)", postgis.Redact(admin), err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "lc_dist_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), admin)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	return u.String()
}

// TestWorkerDBDeliveredTwice: a worker with --db stores a batch entry's
// audit in the PostGIS project of the entry's name; the task delivered
// again after its run was committed but before its result was stored (a
// worker that died in between) runs again and stores nothing more: one
// run under the task's key, with one row per demand point.
func TestWorkerDBDeliveredTwice(t *testing.T) {
	nurl := natstest.URL(t)
	prefix := natstest.Prefix(t.Name())
	natstest.Cleanup(t, nurl, prefix)
	ctx := context.Background()
	dbURL := testDatabase(t)
	store, err := postgis.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s := study.Defaults()
	s.OSM = shareddata.Path(t, "cn_beijing_bupt", "map.osm")
	s.Profile = "15min"
	proj, err := study.Import(ctx, s, nil, "bupt", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(ctx, proj); err != nil {
		t.Fatal(err)
	}
	e, err := Open(ctx, Config{URL: nurl, Prefix: prefix, AckWait: 5 * time.Second, MaxDeliver: 3, Version: "test"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	task, err := newTask(ctx, e, "rdb", "t0001", "bupt", filepath.Join(t.TempDir(), "bupt"), s, map[string]*Input{})
	if err != nil {
		t.Fatal(err)
	}
	if err := putJSON(ctx, e.KV, runKey("rdb"), Manifest{Run: "rdb", State: "running"}); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	w := &Worker{E: e, Concurrency: 1, Log: slog.New(slog.NewTextHandler(&logs, nil)), Dir: t.TempDir(), DB: study.TaskRuns{S: store}}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = w.Run(wctx) }()
	b, _ := json.Marshal(task)
	deliver := func(id string, stored int) {
		t.Helper()
		if _, err := e.JS.Publish(ctx, e.subject("rdb"), b, jetstream.WithMsgID(id)); err != nil {
			t.Fatal(err)
		}
		for end := time.Now().Add(2 * time.Minute); strings.Count(logs.String(), "task done") < stored; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("delivery %s was not handled:\n%s", id, logs.String())
			}
		}
	}
	deliver("first", 1)
	// The worker "died" after committing its run, before storing its result.
	if err := e.Results.Delete(ctx, task.resultName()); err != nil {
		t.Fatal(err)
	}
	deliver("second", 2)
	if n := strings.Count(logs.String(), "run stored in the database"); n != 2 {
		t.Fatalf("the run was saved %d times, want twice (once written, once found):\n%s", n, logs.String())
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var runs, withKey, demand, points int
	q := func(sql string, dst *int, args ...any) {
		t.Helper()
		if err := conn.QueryRow(ctx, sql, args...).Scan(dst); err != nil {
			t.Fatal(err)
		}
	}
	q(`SELECT count(*) FROM lifecircle.runs`, &runs)
	q(`SELECT count(*) FROM lifecircle.runs WHERE task_key = $1`, &withKey, task.resultName())
	q(`SELECT count(*) FROM lifecircle.demand_results`, &demand)
	q(`SELECT count(DISTINCT seq) FROM lifecircle.demand_results`, &points)
	if runs != 1 || withKey != 1 || demand != points || points == 0 {
		t.Errorf("%d runs (%d under the task's key), %d demand rows for %d points: want one run, one row per point", runs, withKey, demand, points)
	}
	t.Logf("two deliveries: %d run, %d demand rows", runs, demand)
}
