package dist

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/lifecircle/lifecircle/data/study"
	"github.com/nats-io/nats.go/jetstream"
)

// A ShardSpec makes a task one shard of a sharded audit: the worker reads
// the shard's part (study.ShardPlan.WritePart: its core's demand points,
// the network and facilities within its halo, the search settings) from
// the inputs store under its SHA-256, runs it and stores its
// study.ShardResult under the task's result name.
type ShardSpec struct {
	Index int  `json:"index"` // 0-based, in the plan's order
	Of    int  `json:"of"`
	Part  File `json:"part"`
}

// Shards runs a sharded audit's shards on the engine's workers: it is the
// study.ShardRunner of `audit --distributed`. Each shard's part is sent
// to the inputs store under its SHA-256 (which the worker checks, getChecked; the
// parts are removed when the run ends, as a proposal's are) and published
// as a task as soon as it is stored, so the workers start while the
// coordinator cuts the next parts; the results are merged in the plan's
// order once every task is done.
type Shards struct {
	E *Engine
	// Name describes the audit in the run's manifest (its --out folder).
	Name string
	// Started is told the run id once the tasks are published; Progress
	// at each change of a task's state.
	Started  func(run string, tasks int)
	Progress func(Progress)
	// Sent is told, once every part is sent, their number and bytes and
	// the time from the first cut to the last part stored (two parts are
	// cut and sent at a time).
	Sent func(parts int, bytes int64, took time.Duration)
	// Dir holds the coordinator's copy of a part while it is sent ("":
	// the system's temporary folder).
	Dir string
}

// RunShards implements study.ShardRunner.
func (c *Shards) RunShards(ctx context.Context, st *study.Study, pl *study.ShardPlan, merge func(k int, r *study.ShardResult) error) error {
	e, n := c.E, len(pl.Shards)
	run := newRunID()
	man := Manifest{Run: run, Version: e.Version, Batch: "audit " + c.Name, Created: time.Now().UTC(), State: "running"}
	for k, s := range pl.Shards {
		man.Tasks = append(man.Tasks, State{Task: shardID(k), Name: shardName(k, n, s)})
	}
	actx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the parts still being sent when the run fails
	order := largestFirst(pl.Shards)
	parts := c.sendAhead(actx, st, pl, order, 2)
	var sent int64
	var shas []string
	defer func() { // the parts are this run's: removed at its end
		for _, sha := range shas {
			_ = e.Inputs.Delete(context.WithoutCancel(ctx), sha)
		}
	}()
	t0 := time.Now()
	published, _, err := dispatch(ctx, e, &man, n, func(i int) (*Task, error) {
		k := order[i]
		sp := <-parts[k]
		if sp.err != nil {
			return nil, fmt.Errorf("shard %d of %d: send its part: %w", k+1, n, sp.err)
		}
		f := sp.f
		sent, shas = sent+f.Size, append(shas, f.SHA256)
		if i == n-1 && c.Sent != nil {
			c.Sent(n, sent, time.Since(t0))
		}
		t := &Task{Schema: Schema, Version: e.Version, Run: run, ID: shardID(k), Name: shardName(k, n, pl.Shards[k]),
			Shard: &ShardSpec{Index: k, Of: n, Part: f}}
		t.Digest = t.digest()
		return t, nil
	}, c.Started, c.Progress)
	if err != nil {
		return err
	}
	tasks := make([]*Task, n) // in the plan's order, which the merge keeps
	for i, t := range published {
		tasks[order[i]] = t
	}
	for k, t := range tasks {
		r, err := readShardResult(ctx, e, t)
		if err == nil {
			err = merge(k, r)
		}
		if err != nil {
			return failRun(ctx, e, &man, tasks, fmt.Errorf("task %s (%s) of run %s: %w", t.ID, t.Name, run, err))
		}
	}
	finish(ctx, e, &man, tasks)
	return nil
}

func shardID(k int) string { return fmt.Sprintf("s%04d", k+1) }

func shardName(k, n int, s study.Shard) string {
	return fmt.Sprintf("shard %d of %d (cells %d,%d +%d)", k+1, n, s.X0, s.Y0, s.Side)
}

// A sentPart is a part in the inputs store, or why it is not.
type sentPart struct {
	f   File
	err error
}

// largestFirst orders shards by their estimated nodes, largest first (ties
// in plan order): the tasks are published, and so taken, in that order, so
// that the last task a worker takes is a small one and the workers finish
// together (a big shard last kept one worker busy alone: 4M region, 16
// shards, 2 workers, 8.95 and 10.73 s).
func largestFirst(shards []study.Shard) []int {
	order := make([]int, len(shards))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(shards[b].Nodes, shards[a].Nodes) })
	return order
}

// sendAhead cuts and sends the plan's parts in the given order, ahead at a time
// (cutting one while the previous one is stored), and gives each through
// its channel; it stops when ctx ends.
func (c *Shards) sendAhead(ctx context.Context, st *study.Study, pl *study.ShardPlan, order []int, ahead int) []chan sentPart {
	out := make([]chan sentPart, len(pl.Shards))
	for k := range out {
		out[k] = make(chan sentPart, 1)
	}
	sem := make(chan struct{}, ahead)
	go func() {
		for _, k := range order {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out[k] <- sentPart{err: ctx.Err()}
				continue
			}
			go func() {
				defer func() { <-sem }()
				f, err := c.sendPart(ctx, st, pl, k)
				out[k] <- sentPart{f, err}
			}()
		}
	}()
	return out
}

// sendPart writes shard k's part to a temporary file, hashing it as it
// is written, and stores it in the inputs store under its SHA-256.
func (c *Shards) sendPart(ctx context.Context, st *study.Study, pl *study.ShardPlan, k int) (File, error) {
	f, err := os.CreateTemp(c.Dir, "lifecircle-part-*.bin")
	if err != nil {
		return File{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h := sha256.New()
	err = pl.WritePart(st, k, io.MultiWriter(f, h))
	var n int64
	if err == nil {
		n, err = f.Seek(0, io.SeekCurrent)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		return File{}, fmt.Errorf("write the part of shard %d to %s: %w", k+1, f.Name(), err)
	}
	return putHashed(ctx, c.E.Inputs, f, File{Name: filepath.Base(f.Name()), SHA256: hex.EncodeToString(h.Sum(nil)), Size: n})
}

// readShardResult reads a done shard task's result.
func readShardResult(ctx context.Context, e *Engine, t *Task) (*study.ShardResult, error) {
	ctx, cancel := readContext(ctx, e.Results, t.resultName())
	defer cancel()
	r, err := e.Results.Get(ctx, t.resultName())
	if err != nil {
		return nil, fmt.Errorf("read its result %s: %w", t.resultName(), err)
	}
	defer r.Close()
	return study.ReadResult(r)
}

// runShard reads a shard task's part from the inputs store (checking its
// SHA-256), runs it and stores its result.
func (w *Worker) runShard(ctx context.Context, t Task, log *slog.Logger) (string, error) {
	spec := t.Shard
	fctx, cancel := context.WithTimeout(ctx, fetchTimeout(spec.Part.Size))
	defer cancel()
	r, err := getChecked(fctx, w.E.Inputs, spec.Part.SHA256)
	if err != nil {
		return "", fmt.Errorf("shard %d of %d: fetch its part %s: %w", spec.Index+1, spec.Of, spec.Part.SHA256, err)
	}
	defer r.Close()
	task, err := study.ReadShardPart(r, spec.Part.Size)
	if err == nil { // to the end: the store checks the content's SHA-256 there
		_, err = io.Copy(io.Discard, r)
	}
	if err != nil {
		hint := ""
		if errors.Is(err, jetstream.ErrDigestMismatch) {
			hint = " (its content is not what was stored: damaged in the store?)"
		}
		return "", fmt.Errorf("shard %d of %d: read its part %s%s: %w", spec.Index+1, spec.Of, spec.Part.SHA256, hint, err)
	}
	p := task.Part
	nodes := 0
	if p.Net != nil {
		nodes = p.Net.NumNodes()
	}
	log.Info("shard read", "points", len(p.Points), "nodes", nodes, "facilities", len(p.Facilities))
	res, err := task.Run(ctx)
	if err != nil {
		return "", err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(study.WriteResult(pw, res)) }()
	_, err = w.E.Results.Put(ctx, jetstream.ObjectMeta{Name: t.resultName()}, pr)
	pr.CloseWithError(err)
	if err != nil {
		return "", fmt.Errorf("store the result of %s/%s: %w", t.Run, t.ID, err)
	}
	return fmt.Sprintf("%d points, %d nodes reached", len(res.Points), res.Reached), nil
}
