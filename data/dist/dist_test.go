package dist

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/dist/natstest"
	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/nats-io/nats.go/jetstream"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testEngine opens the engine of a test on the test NATS server, under
// a prefix of its own removed at its end, closed at its end.
func testEngine(t *testing.T) *Engine {
	t.Helper()
	url := natstest.URL(t)
	prefix := natstest.Prefix(t.Name())
	natstest.Cleanup(t, url, prefix)
	e, err := Open(context.Background(), Config{URL: url, Prefix: prefix, AckWait: 5 * time.Second, MaxDeliver: 3, Version: "test"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// TestDuplicateDelivery sends one task twice (as a publisher retrying
// after a lost acknowledgement would) to a real JetStream work queue: the
// worker runs it once, finds the stored result on the second delivery
// and only acknowledges it, so one result exists under the task's key and
// the queue ends empty.
func TestDuplicateDelivery(t *testing.T) {
	ctx := context.Background()
	e := testEngine(t)
	s := study.Defaults()
	s.OSM = shareddata.Path(t, "cn_beijing_bupt", "map.osm")
	s.Profile = "15min"
	out := filepath.Join(t.TempDir(), "bupt")
	task, err := newTask(ctx, e, "rdup", "t0001", "bupt", out, s, map[string]*Input{})
	if err != nil {
		t.Fatal(err)
	}
	if len(task.Inputs) != 1 || task.Inputs[0].Path != s.OSM || len(task.Inputs[0].Files[0].SHA256) != 64 {
		t.Fatalf("task inputs %+v: want the extract by SHA-256", task.Inputs)
	}
	if err := putJSON(ctx, e.KV, runKey("rdup"), Manifest{Run: "rdup", State: "running"}); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(task)
	for _, id := range []string{"first", "second"} {
		if _, err := e.JS.Publish(ctx, e.subject("rdup"), b, jetstream.WithMsgID(id)); err != nil {
			t.Fatal(err)
		}
	}
	var logs syncBuffer
	w := &Worker{E: e, Concurrency: 1, Log: slog.New(slog.NewTextHandler(&logs, nil)), Dir: t.TempDir()}
	wctx, stop := context.WithCancel(ctx)
	stopped := make(chan error)
	go func() { stopped <- w.Run(wctx) }()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(logs.String(), "result already stored") {
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("the second delivery was not handled:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), "task started"); n != 1 {
		t.Errorf("the task ran %d times, want once:\n%s", n, logs.String())
	}
	info, err := e.Stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 0 {
		t.Errorf("%d messages left in the work queue, want 0", info.State.Msgs)
	}
	objs, err := e.Results.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Name != task.resultName() {
		t.Fatalf("results %v, want one under %s", objs, task.resultName())
	}
	res, err := getResult(ctx, e.Results, task.resultName(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if res.Row.Status != data.BatchOK || res.Row.Out != out || res.Row.Population == nil {
		t.Errorf("row %+v: want the entry audited, naming the coordinator's folder", res.Row)
	}
	_, states, err := Status(ctx, e, "rdup")
	if err != nil {
		t.Fatal(err)
	}
	_ = states // the manifest lists no tasks (made by hand above)
	ent, err := e.KV.Get(ctx, taskKey("rdup", "t0001"))
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.Unmarshal(ent.Value(), &st); err != nil || st.State != Done || st.Attempt != 1 {
		t.Errorf("task state %s, want done at attempt 1", ent.Value())
	}
}

// TestUnmap checks that the worker's input folders in outputs become the
// coordinator's, and that an output naming a folder that JSON or HTML
// would write escaped is refused rather than written wrong.
func TestUnmap(t *testing.T) {
	p := map[string]string{"/w/in/abc/": "/data/城市 A/"}
	if got := string(unmap([]byte(`x "/w/in/abc/f.pbf" y /w/in/abc/g.shp`), p)); got != `x "/data/城市 A/f.pbf" y /data/城市 A/g.shp` {
		t.Errorf("unmap: %s", got)
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "summary.json")
	if err := os.WriteFile(f, []byte(`{"osm": "/w/in/abc/f.pbf"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unmapDir(dir, map[string]string{"/w/in/abc/": `/data/A&B "x"/`}, "/w"); err == nil || !strings.Contains(err.Error(), "rename the folder") {
		t.Errorf("a folder needing escapes: err %v", err)
	}
	if err := unmapDir(dir, p, "/w"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(f); string(b) != `{"osm": "/data/城市 A/f.pbf"}` {
		t.Errorf("summary.json after unmapDir: %s", b)
	}
	if err := os.WriteFile(f, []byte(`{"x": "/w/other/f"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unmapDir(dir, p, "/w"); err == nil || !strings.Contains(err.Error(), "cannot be mapped back") {
		t.Errorf("a worker path left: err %v", err)
	}
}
