package dist

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/nats-io/nats.go/jetstream"
)

// Progress is a distributed run's progress, as the coordinator sees it.
type Progress struct {
	Run                   string
	Total, Done, Running  int
	Workers, Redeliveries int
	// Note is the latest event worth telling (a refusal, an error that
	// will be retried); "" when none.
	Note string
}

// String is the progress line the coordinator prints.
func (p Progress) String() string {
	s := fmt.Sprintf("任务 / tasks %d/%d done, %d running, %d workers seen, %d redeliveries", p.Done, p.Total, p.Running, p.Workers, p.Redeliveries)
	if p.Note != "" {
		s += "; " + p.Note
	}
	return s
}

// BatchOptions are what RunBatch takes besides the entries: those of a
// local batch (study.BatchOptions; its Entry and Row callbacks are not
// used) and a progress callback.
type BatchOptions struct {
	study.BatchOptions
	// Started is told the run id once the tasks are published.
	Started func(run string, tasks int)
	// Progress is called at each change of a task's state.
	Progress func(Progress)
}

// Manifest is a run's record in the bucket (run.RUN).
type Manifest struct {
	Run     string    `json:"run"`
	Version string    `json:"version"`
	Batch   string    `json:"batch"`
	Tasks   []State   `json:"tasks"` // id and name of each task
	Created time.Time `json:"created"`
	State   string    `json:"state"` // running, done, failed, canceled
	Error   string    `json:"error,omitempty"`
}

// RunBatch runs a batch on the engine's workers and writes exactly what
// study.RunBatch writes locally (but for the timing fields, see the
// package doc): each entry's folder o.Out/<name>/ and the batch summary.
// An entry whose audit fails is a failed row; a task that no worker
// completes in MaxDeliver deliveries fails the run, naming the task and
// its error, and nothing is written.
func RunBatch(ctx context.Context, e *Engine, entries []data.BatchEntry, o BatchOptions) (*study.Batch, error) {
	start := time.Now()
	run := newRunID()
	tasks := make([]*Task, len(entries))
	local := make([]*struct {
		row   data.BatchRow
		types []string
	}, len(entries))
	sent := map[string]*Input{} // inputs sent by path (nil: not a readable file)
	man := Manifest{Run: run, Version: e.Version, Batch: o.File, Created: time.Now().UTC(), State: "running"}
	for i, en := range entries {
		out := filepath.Join(o.Out, en.Name)
		s, err := study.EntrySettings(en, o.FailBelow)
		if err != nil {
			// The entry cannot run anywhere (its project file is bad): its
			// row is made here, as a local batch makes it.
			row, types := study.AuditEntry(ctx, en.Name, s, err, out, out, o.Version)
			local[i] = &struct {
				row   data.BatchRow
				types []string
			}{row, types}
			continue
		}
		t, err := newTask(ctx, e, run, fmt.Sprintf("t%04d", i+1), en.Name, out, s, sent)
		if err != nil {
			return nil, fmt.Errorf("batch entry %s: %w", en.Name, err)
		}
		tasks[i] = t
		man.Tasks = append(man.Tasks, State{Task: t.ID, Name: t.Name})
	}
	tasks, states, err := dispatch(ctx, e, &man, len(entries), func(i int) (*Task, error) { return tasks[i], nil }, o.Started, o.Progress)
	if err != nil {
		return nil, err
	}
	b := study.NewBatch(o.File, o.Out, len(entries))
	for i, t := range tasks {
		if t == nil {
			b.Add(local[i].row, local[i].types)
			continue
		}
		res, err := collect(ctx, e, t, states[t.ID])
		if err != nil {
			return nil, err
		}
		b.Add(res.Row, res.Types)
	}
	b.Elapsed = time.Since(start)
	if err := b.Write(o.Version); err != nil {
		return nil, err
	}
	finish(ctx, e, &man, tasks)
	return b, nil
}

// deleteResults removes the results of a run that ended.
func deleteResults(ctx context.Context, e *Engine, tasks []*Task) {
	for _, t := range tasks {
		if t != nil {
			_ = e.Results.Delete(ctx, t.resultName())
		}
	}
}

// newTask makes entry name's task, sending its inputs to the engine
// (once per run: sent holds those sent, by path).
func newTask(ctx context.Context, e *Engine, run, id, name, out string, s study.Settings, sent map[string]*Input) (*Task, error) {
	t := &Task{Schema: Schema, Version: e.Version, Run: run, ID: id, Name: name, Out: out, Settings: s}
	var files []string
	s.MapInputs(func(file string) string { files = append(files, file); return file })
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f] {
			continue
		}
		seen[f] = true
		in, known := sent[f]
		if !known {
			up, ok, err := uploadInput(ctx, e.Inputs, f)
			if err != nil {
				return nil, err
			}
			if ok {
				in = &up
			}
			sent[f] = in
		}
		if in != nil {
			t.Inputs = append(t.Inputs, *in)
		}
	}
	t.Digest = t.digest()
	return t, nil
}

// noWorkerHint is how long the coordinator waits for a first worker
// before it says how to start one.
const noWorkerHint = 20 * time.Second

// wait follows the run's task states until every task is done, and
// returns the final states; a failed task ends it with the task's error.
func wait(ctx context.Context, e *Engine, run string, w jetstream.KeyWatcher, maxDel chan uint64, seqs map[uint64]*Task, byID map[string]*Task, progress func(Progress)) (map[string]State, error) {
	states := map[string]State{}
	workers := map[string]bool{}
	redelivered := map[string]int{}
	p := Progress{Run: run, Total: len(byID)}
	report := func() {
		p.Done, p.Running, p.Workers, p.Redeliveries = 0, 0, len(workers), 0
		for _, s := range states {
			switch s.State {
			case Done:
				p.Done++
			case Running:
				p.Running++
			}
		}
		for _, n := range redelivered {
			p.Redeliveries += n
		}
		if progress != nil {
			progress(p)
		}
	}
	report()
	idle := time.NewTimer(noWorkerHint)
	defer idle.Stop()
	for {
		done := 0
		for _, s := range states {
			if s.State == Done {
				done++
			}
		}
		if done == len(byID) {
			return states, nil
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-idle.C:
			if len(workers) == 0 {
				p.Note = fmt.Sprintf("no worker has taken a task in %v: start `lifecircle worker --nats %s` (version %s) / 尚无工作进程", noWorkerHint, e.URL, e.Version)
				report()
			}
		case seq := <-maxDel:
			t, ok := seqs[seq]
			if !ok || states[t.ID].State == Done {
				continue
			}
			last := states[t.ID]
			msg := last.Error
			if msg == "" {
				msg = "no worker finished it in time (workers died or stopped answering)"
			}
			return nil, fmt.Errorf("task %s (%s) of run %s failed: delivered %d times without a result: %s", t.ID, t.label(), run, e.MaxDeliver, msg)
		case ent, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("run %s: the engine stopped sending task states", run)
			}
			if ent == nil {
				continue
			}
			var s State
			if json.Unmarshal(ent.Value(), &s) != nil {
				continue
			}
			t, ok := byID[s.Task]
			if !ok || states[s.Task].State == Done {
				continue
			}
			if s.Worker != "" && s.State != Refused {
				workers[s.Worker] = true
			}
			if s.Attempt > 1 {
				redelivered[s.Task] = max(redelivered[s.Task], s.Attempt-1)
			}
			states[s.Task] = s
			p.Note = ""
			switch s.State {
			case Failed:
				return nil, fmt.Errorf("task %s (%s) of run %s failed after %d deliveries (MaxDeliver %d): %s", t.ID, t.label(), run, s.Attempt, e.MaxDeliver, s.Error)
			case Errored, Refused:
				p.Note = fmt.Sprintf("%s (%s) attempt %d: %s", t.ID, t.Name, s.Attempt, s.Error)
			}
			report()
		}
	}
}

// collect reads a done task's result and writes its output folder.
func collect(ctx context.Context, e *Engine, t *Task, s State) (result, error) {
	var res result
	var err error
	if res, err = getResult(ctx, e.Results, t.resultName(), ""); err != nil {
		return res, fmt.Errorf("task %s (%s): %w", t.ID, t.Name, err)
	}
	if res.Row.Status == data.BatchFailed {
		return res, nil
	}
	err = data.WriteOutputDir(t.Out, data.KindAudit, func(tmp string) error {
		_, err := getResult(ctx, e.Results, t.resultName(), tmp)
		return err
	})
	if err != nil {
		return res, fmt.Errorf("batch entry %s: %w", t.Name, err)
	}
	return res, nil
}

func putJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = kv.Put(ctx, key, b)
	return err
}

func newRunID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return "r" + time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}

// ErrNoRun is returned by Status for a run the bucket does not hold.
var ErrNoRun = errors.New("no such run")

// Status returns a run's manifest and its tasks' states, in task order.
func Status(ctx context.Context, e *Engine, run string) (Manifest, []State, error) {
	var man Manifest
	ent, err := e.KV.Get(ctx, runKey(run))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrInvalidKey) {
		return man, nil, fmt.Errorf("run %q: %w on %s (prefix %s) — the coordinator prints the run id when it starts", run, ErrNoRun, e.URL, e.Prefix)
	}
	if err != nil {
		return man, nil, err
	}
	if err := json.Unmarshal(ent.Value(), &man); err != nil {
		return man, nil, fmt.Errorf("run %s: %w", run, err)
	}
	states := make([]State, len(man.Tasks))
	for i, t := range man.Tasks {
		states[i] = State{Task: t.Task, Name: t.Name, State: Pending}
		if ent, err := e.KV.Get(ctx, taskKey(run, t.Task)); err == nil {
			_ = json.Unmarshal(ent.Value(), &states[i])
		}
	}
	return man, states, nil
}

// WriteStatus prints a run's manifest and its tasks' states (--status).
func WriteStatus(w io.Writer, man Manifest, states []State) {
	fmt.Fprintf(w, "运行 / run %s (lifecircle %s, %s): %s %s\n", man.Run, man.Version, man.State, Counts(states), man.Error)
	for _, s := range states {
		fmt.Fprintf(w, "  %s %-24s %-8s attempt %d %s %s %s\n", s.Task, s.Name, s.State, s.Attempt, s.Worker, s.Row, s.Error)
	}
}

// Counts sums states by state, as "done 3, running 1".
func Counts(states []State) string {
	order := []string{Pending, Running, Errored, Refused, Done, Failed}
	n := map[string]int{}
	for _, s := range states {
		n[s.State]++
	}
	var parts []string
	for _, k := range order {
		if n[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n[k]))
		}
	}
	return strings.Join(parts, ", ")
}
