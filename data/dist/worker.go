package dist

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/nats-io/nats.go/jetstream"
)

// Worker pulls tasks and runs them, Concurrency at a time.
type Worker struct {
	E           *Engine
	Concurrency int
	Log         *slog.Logger
	// ID names the worker in task states (host-pid by default).
	ID string
	// Dir holds the worker's input copies and outputs (a new temporary
	// folder when empty; removed at the end).
	Dir string
	// DB, when set, also stores each batch entry's audit in the PostGIS
	// project of the entry's name, once per task (dbstore.go).
	DB RunStore
}

// A RunStore keeps a batch entry's audit under its task's key, once
// (study.TaskRuns on a PostGIS project).
type RunStore interface {
	SaveTaskRun(ctx context.Context, project, key string, st *study.Study, res *planner.AuditResult, meta data.AuditMeta, dir string) (int64, error)
}

// Test hooks, read from the environment by Run: fail every task with
// this message, or wait this long (holding the lease) before each task.
const (
	envFail  = "LIFECIRCLE_TEST_WORKER_FAIL"
	envStall = "LIFECIRCLE_TEST_WORKER_STALL"
)

// Run pulls tasks until ctx ends (SIGTERM): the tasks running then are
// stopped and given back (Nak) for another worker, and Run returns nil.
func (w *Worker) Run(ctx context.Context) error {
	if w.Concurrency < 1 {
		w.Concurrency = 1
	}
	if w.ID == "" {
		host, _ := os.Hostname()
		w.ID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if w.Dir == "" {
		d, err := os.MkdirTemp("", "lifecircle-worker-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		w.Dir = d
	}
	w.Log.Info("worker started", "worker", w.ID, "version", w.E.Version, "stream", w.E.streamName(),
		"consumer", w.E.consumerName(), "ack_wait", w.E.AckWait, "max_deliver", w.E.MaxDeliver, "concurrency", w.Concurrency, "gomaxprocs", runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range w.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loop(ctx, i)
		}()
	}
	wg.Wait()
	w.Log.Info("worker stopped", "worker", w.ID)
	return nil
}

func (w *Worker) loop(ctx context.Context, slot int) {
	for ctx.Err() == nil {
		batch, err := w.E.Cons.Fetch(1, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			w.Log.Warn("fetch", "err", err)
			sleep(ctx, time.Second)
			continue
		}
		for msg := range batch.Messages() {
			w.handle(ctx, msg, slot)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			w.Log.Warn("fetch", "err", err)
			sleep(ctx, time.Second)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// handle runs one delivery of a task.
func (w *Worker) handle(ctx context.Context, msg jetstream.Msg, slot int) {
	bg := context.WithoutCancel(ctx)
	attempt := 1
	if md, err := msg.Metadata(); err == nil {
		attempt = int(md.NumDelivered)
	}
	var t Task
	if err := json.Unmarshal(msg.Data(), &t); err != nil || t.Run == "" || t.ID == "" {
		w.Log.Error("not a lifecircle task: dropped", "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return
	}
	log := w.Log.With("run", t.Run, "task", t.ID, "entry", t.Name, "attempt", attempt)
	st := State{Task: t.ID, Name: t.Name, Worker: w.ID, Attempt: attempt}
	last := attempt >= w.E.MaxDeliver
	if t.Schema != Schema || t.Version != w.E.Version {
		st.State, st.Error = Refused, fmt.Sprintf("worker %s runs lifecircle %s (task schema %d) but the task was made by lifecircle %s (schema %d): run workers of the coordinator's version / 工作进程版本与任务不符",
			w.ID, w.E.Version, Schema, t.Version, t.Schema)
		log.Error("task refused: another version", "task_version", t.Version, "task_schema", t.Schema)
		if last {
			st.State = Failed
		}
		_ = putState(bg, w.E.KV, t.Run, st)
		if last {
			_ = msg.Term()
		} else {
			_ = msg.NakWithDelay(2 * time.Second)
		}
		return
	}
	// A task of a run that ended (a copy delivered late): nothing to do.
	if ent, err := w.E.KV.Get(bg, runKey(t.Run)); err == nil {
		var man Manifest
		if json.Unmarshal(ent.Value(), &man) == nil && man.State != "running" {
			log.Info("run ended: task dropped", "run_state", man.State)
			_ = msg.Term()
			return
		}
	}
	// A result stored by an earlier delivery: done already.
	if _, err := w.E.Results.GetInfo(bg, t.resultName()); err == nil {
		log.Info("result already stored: acknowledged", "result", t.resultName())
		_ = msg.DoubleAck(bg)
		return
	}
	st.State = Running
	_ = putState(bg, w.E.KV, t.Run, st)
	log.Info("task started")
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := w.keepAlive(tctx, msg)
	// Stopping (SIGTERM): give the task back at once, without waiting for
	// the audit to notice.
	finished, released := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(released)
		select {
		case <-finished:
		case <-ctx.Done():
			st := st
			st.State, st.Error = Pending, "given back by a stopping worker"
			_ = putState(bg, w.E.KV, t.Run, st)
			_ = msg.Nak()
			log.Info("task given back: worker stopping")
		}
	}()
	row, err := w.run(tctx, t, slot, log)
	stop()
	close(finished)
	<-released
	switch {
	case err == nil:
		st.State, st.Row, st.Result = Done, row, t.resultName()
		_ = putState(bg, w.E.KV, t.Run, st)
		if err := msg.DoubleAck(bg); err != nil {
			log.Warn("ack", "err", err)
		}
		log.Info("task done", "status", row)
	case ctx.Err() != nil:
		// Given back above.
	default:
		st.State, st.Error = Errored, err.Error()
		if last {
			st.State = Failed
		}
		_ = putState(bg, w.E.KV, t.Run, st)
		log.Error("task failed", "err", err, "final", last)
		if last {
			_ = msg.Term()
		} else {
			_ = msg.NakWithDelay(time.Second)
		}
	}
}

// keepAlive tells the server the task is in progress every third of
// AckWait until stop is called.
func (w *Worker) keepAlive(ctx context.Context, msg jetstream.Msg) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(max(w.E.AckWait/3, 100*time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				_ = msg.InProgress()
			}
		}
	}()
	return func() { cancel(); <-done }
}

// run fetches the task's inputs, audits the entry into a folder of its
// own, maps the worker's input paths in the outputs back to the
// coordinator's and stores the result. It returns the row's status.
func (w *Worker) run(ctx context.Context, t Task, slot int, log *slog.Logger) (string, error) {
	if d := os.Getenv(envStall); d != "" {
		if dd, err := time.ParseDuration(d); err == nil {
			log.Info("test hook: stalling", "for", dd)
			sleep(ctx, dd)
		}
	}
	if msg := os.Getenv(envFail); msg != "" {
		return "", fmt.Errorf("%s (test hook %s)", msg, envFail)
	}
	if t.Digest != t.digest() {
		return "", fmt.Errorf("task %s/%s: digest does not match its content (damaged in transit?)", t.Run, t.ID)
	}
	if t.Kind == KindCover {
		return w.runCover(ctx, t, log)
	}
	if t.Shard != nil {
		return w.runShard(ctx, t, log)
	}
	inRoot := filepath.Join(w.Dir, "in")
	local := map[string]string{}    // coordinator path → worker path
	prefixes := map[string]string{} // worker folder/ → coordinator folder/
	for _, in := range t.Inputs {
		p, err := fetchInput(ctx, w.E.Inputs, inRoot, in)
		if err != nil {
			return "", err
		}
		local[in.Path] = p
		prefixes[filepath.Dir(p)+string(filepath.Separator)] = in.Path[:len(in.Path)-len(filepath.Base(in.Path))]
	}
	s := t.Settings
	s.MapInputs(func(file string) string {
		if p, ok := local[file]; ok {
			return p
		}
		return file
	})
	out := filepath.Join(w.Dir, fmt.Sprintf("out%d", slot), t.Run+"-"+t.ID)
	_ = os.RemoveAll(out)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	defer os.RemoveAll(out)
	row, types, st, res := study.AuditEntryStudy(ctx, t.Name, s, nil, out, t.Out, t.Version)
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	row.Error = string(unmap([]byte(row.Error), prefixes))
	dir := ""
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		dir = out
		if err := unmapDir(out, prefixes, w.Dir); err != nil {
			return "", err
		}
	}
	if strings.Contains(row.Error, w.Dir) {
		return "", fmt.Errorf("entry %s: its error names the worker's copy of an input and cannot be mapped back: %s", t.Name, row.Error)
	}
	if w.DB != nil && st != nil {
		id, err := w.storeRun(ctx, t, st, res, dir, prefixes)
		if err != nil {
			return "", err
		}
		log.Info("run stored in the database", "project", t.Name, "db_run", id, "task_key", t.resultName())
	}
	if err := putResult(ctx, w.E.Results, t, result{Row: row, Types: types}, dir); err != nil {
		return "", fmt.Errorf("store the result of %s/%s: %w", t.Run, t.ID, err)
	}
	return row.Status, nil
}

// unmap replaces, in b, every worker folder of an input by the
// coordinator's.
func unmap(b []byte, prefixes map[string]string) []byte {
	for from, to := range prefixes {
		b = bytes.ReplaceAll(b, []byte(from), []byte(to))
	}
	return b
}

// plain reports whether s is written the same raw, in JSON and in HTML,
// so that replacing it in an output file needs no escaping.
func plain(s string) bool {
	return !strings.ContainsAny(s, "\"<>&'+\x00") && strings.IndexFunc(s, func(r rune) bool { return r < 0x20 }) < 0
}

// unmapDir maps the worker's input folders back in every output file and
// refuses an output that still names the worker's folder root.
func unmapDir(dir string, prefixes map[string]string, root string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Contains(b, []byte(root)) {
			return nil
		}
		for from, to := range prefixes {
			if bytes.Contains(b, []byte(from)) && !plain(to) {
				return fmt.Errorf("output %s names the input folder %q, which has characters (quotes, <>&'+, \\) that JSON or HTML write escaped: the worker cannot map its copy back to it — rename the folder, or run the batch without --distributed", filepath.Base(p), to)
			}
		}
		nb := unmap(b, prefixes)
		if bytes.Contains(nb, []byte(root)) {
			return fmt.Errorf("output %s names the worker's copy of an input (under %s) in a form that cannot be mapped back to the coordinator's path — rename the input folder to plain letters and digits, or run the batch without --distributed", filepath.Base(p), root)
		}
		return os.WriteFile(p, nb, 0o644)
	})
}
