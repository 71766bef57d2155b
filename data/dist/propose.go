package dist

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// KindCover is the kind of a task that computes one shard's coverage
// sets of a proposal (propose --distributed); "" is a batch entry.
const KindCover = "cover"

// coverInput is a proposal shard as it travels to a worker, in the
// inputs store under the SHA-256 of its JSON: the part of the network
// within the halo (geo's binary form, bit for bit), the core's demand
// points and the candidates within reach.
type coverInput struct {
	Net        []byte            `json:"net,omitempty"` // nil: no street near the core
	Points     []int32           `json:"points"`
	Pos        []orb.Point       `json:"pos"`
	Cands      []int32           `json:"cands"`
	Candidates []json.RawMessage `json:"candidates"` // GeoJSON geometries
	NP         int               `json:"np"`
	Types      []coverType       `json:"types"`
	MaxSnap    float64           `json:"max_snap_m"`
}

type coverType struct {
	ID     string  `json:"id"`
	Radius float64 `json:"radius_m"`
}

func encodeCover(p *study.ProposePart, types []planner.ProposeType, maxSnap float64) ([]byte, error) {
	c := coverInput{Points: p.Points, Pos: p.Pos, Cands: p.Cands, NP: p.NP, MaxSnap: maxSnap}
	if p.Net != nil {
		var err error
		if c.Net, err = p.Net.MarshalBinary(); err != nil {
			return nil, err
		}
	}
	for _, cand := range p.Candidates {
		b, err := geojson.NewGeometry(cand.Geometry).MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("candidate %s: %w", cand.ID, err)
		}
		c.Candidates = append(c.Candidates, b)
	}
	for _, t := range types {
		c.Types = append(c.Types, coverType{ID: t.ID, Radius: t.Radius})
	}
	return json.Marshal(c)
}

func decodeCover(b []byte) (*study.ProposePart, []planner.ProposeType, float64, error) {
	var c coverInput
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, nil, 0, err
	}
	if len(c.Pos) != len(c.Points) || len(c.Cands) != len(c.Candidates) || !(c.MaxSnap > 0) {
		return nil, nil, 0, fmt.Errorf("%d points with %d positions, %d candidates with %d geometries, max snap %v", len(c.Points), len(c.Pos), len(c.Cands), len(c.Candidates), c.MaxSnap)
	}
	for _, i := range c.Points {
		if i < 0 || int(i) >= c.NP {
			return nil, nil, 0, fmt.Errorf("demand point %d out of range (%d points)", i, c.NP)
		}
	}
	p := &study.ProposePart{Points: c.Points, Pos: c.Pos, Cands: c.Cands, NP: c.NP}
	if c.Net != nil {
		var err error
		if p.Net, err = geo.UnmarshalNetwork(c.Net); err != nil {
			return nil, nil, 0, err
		}
	}
	for k, g := range c.Candidates {
		geom, err := geojson.UnmarshalGeometry(g)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("candidate %d: %w", c.Cands[k], err)
		}
		p.Candidates = append(p.Candidates, planner.Candidate{Geometry: geom.Geometry()})
	}
	var types []planner.ProposeType
	for _, t := range c.Types {
		types = append(types, planner.ProposeType{ID: t.ID, Radius: t.Radius, Weight: 1})
	}
	return p, types, c.MaxSnap, nil
}

// putBytes stores b in the inputs store under its SHA-256, unless there.
func putBytes(ctx context.Context, obs jetstream.ObjectStore, name string, b []byte) (File, error) {
	s := sha256.Sum256(b)
	f := File{Name: name, SHA256: hex.EncodeToString(s[:]), Size: int64(len(b))}
	err := retryTransient(ctx, func() error {
		if info, err := obs.GetInfo(ctx, f.SHA256); err == nil && info.Size == uint64(len(b)) {
			return nil
		}
		_, err := obs.PutBytes(ctx, f.SHA256, b)
		return err
	})
	if err != nil {
		return f, fmt.Errorf("send %s to the engine: %w", name, err)
	}
	return f, nil
}

// getBytes reads an input by SHA-256 and checks its content.
func getBytes(ctx context.Context, obs jetstream.ObjectStore, f File) ([]byte, error) {
	ctx, cancel := readContext(ctx, obs, f.SHA256)
	defer cancel()
	b, err := obs.GetBytes(ctx, f.SHA256)
	if err != nil {
		return nil, fmt.Errorf("fetch %s (%s): %w", f.Name, f.SHA256, err)
	}
	if s := sha256.Sum256(b); hex.EncodeToString(s[:]) != f.SHA256 {
		return nil, fmt.Errorf("fetch %s: content SHA-256 %x, want %s", f.Name, s, f.SHA256)
	}
	return b, nil
}

// runCover is a worker's run of a cover task: it reads the shard, computes
// its coverage sets and stores them under the task's result name (a
// second delivery replaces them with the same).
func (w *Worker) runCover(ctx context.Context, t Task, log *slog.Logger) (string, error) {
	if t.Part == nil {
		return "", fmt.Errorf("task %s/%s: a cover task without its shard", t.Run, t.ID)
	}
	b, err := getBytes(ctx, w.E.Inputs, *t.Part)
	if err != nil {
		return "", err
	}
	p, types, maxSnap, err := decodeCover(b)
	if err != nil {
		return "", fmt.Errorf("task %s/%s: shard %s: %w", t.Run, t.ID, t.Part.SHA256, err)
	}
	c, err := p.Run(ctx, types, maxSnap)
	if err != nil {
		return "", err
	}
	out, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	if _, err := w.E.Results.PutBytes(ctx, t.resultName(), out); err != nil {
		return "", fmt.Errorf("store the result of %s/%s: %w", t.Run, t.ID, err)
	}
	log.Info("coverage sets stored", "points", len(p.Points), "candidates", len(p.Candidates), "sets", len(c.Sets))
	return fmt.Sprintf("%d sets", len(c.Sets)), nil
}

// ProposeOptions are what RunPropose takes besides the proposal.
type ProposeOptions struct {
	Shards study.ShardOptions
	// Started and Progress are as in BatchOptions.
	Started  func(run string, tasks int)
	Progress func(Progress)
}

// RunPropose runs a proposal with its coverage sets computed on the
// engine's workers, one task per shard of the study's plan
// (study.PlanProposal), and solves it once here on the merged sets: the
// sites and bound of planner.Propose on in. A task that fails MaxDeliver
// times fails the run with its error.
func RunPropose(ctx context.Context, e *Engine, st *study.Study, in planner.ProposeInput, o ProposeOptions) (*planner.ProposeResult, error) {
	pl, err := st.PlanProposal(ctx, in, o.Shards)
	if err != nil {
		return nil, err
	}
	run := newRunID()
	man := Manifest{Run: run, Version: e.Version, Batch: "propose", Created: time.Now().UTC(), State: "running"}
	var tasks []*Task
	shardOf := map[string]int{}
	for k := range pl.Shards {
		p, err := pl.Part(in.Net, k)
		if err != nil {
			return nil, err
		}
		if p.Net == nil || len(p.Points) == 0 || len(p.Candidates) == 0 {
			continue // covers nothing
		}
		b, err := encodeCover(p, in.Types, in.MaxSnap)
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("shard %d/%d", k+1, len(pl.Shards))
		f, err := putBytes(ctx, e.Inputs, name, b)
		if err != nil {
			return nil, err
		}
		t := &Task{Schema: Schema, Version: e.Version, Run: run, ID: fmt.Sprintf("s%04d", k+1), Name: name, Kind: KindCover, Part: &f}
		t.Digest = t.digest()
		tasks = append(tasks, t)
		shardOf[t.ID] = k
		man.Tasks = append(man.Tasks, State{Task: t.ID, Name: t.Name})
	}
	bg, t0 := context.WithoutCancel(ctx), time.Now()
	defer func() {
		_ = e.Stream.Purge(bg, jetstream.WithPurgeSubject(e.subject(run)))
		deleteResults(bg, e, tasks)
		for _, t := range tasks {
			_ = e.Inputs.Delete(bg, t.Part.SHA256)
		}
	}()
	if err := runTasks(ctx, e, &man, tasks, o.Started, o.Progress); err != nil {
		return nil, err
	}
	m := study.NewCoverMerge(len(pl.Prep.Candidates))
	for _, t := range tasks {
		rctx, cancel := readContext(ctx, e.Results, t.resultName())
		b, err := e.Results.GetBytes(rctx, t.resultName())
		cancel()
		if err != nil {
			return nil, fmt.Errorf("task %s (%s): result: %w", t.ID, t.Name, err)
		}
		var c study.CoverPart
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("task %s (%s): result: %w", t.ID, t.Name, err)
		}
		if _, err := m.Add(shardOf[t.ID], &c); err != nil {
			return nil, err
		}
	}
	sets, took := m.Sets(), time.Since(t0)
	res, err := pl.Prep.Solve(ctx, sets)
	man.State = "done"
	if err != nil {
		man.State, man.Error = "failed", err.Error()
	} else {
		res.Timings["coverage_sets"] = took
	}
	_ = putJSON(bg, e.KV, runKey(run), man)
	return res, err
}

// runTasks records the run, publishes its tasks and waits until every
// one is done (dispatch); on failure the manifest says why.
func runTasks(ctx context.Context, e *Engine, man *Manifest, tasks []*Task, started func(string, int), progress func(Progress)) error {
	_, _, err := dispatch(ctx, e, man, len(tasks), func(i int) (*Task, error) { return tasks[i], nil }, started, progress)
	return err
}

// Scale says where a proposal's coverage sets are computed: at once (the
// zero value), in shards in this process (Shards enabled), or on the
// workers of the engine at URL, with progress lines on Log.
type Scale struct {
	URL, Version string
	Shards       study.ShardOptions
	Log          io.Writer // nil: no progress lines
}

// Propose solves in as s says: the same sites and bound every way.
func Propose(ctx context.Context, s Scale, st *study.Study, in planner.ProposeInput) (*planner.ProposeResult, error) {
	switch {
	case s.URL != "":
		e, err := OpenEnv(ctx, s.URL, s.Version, "coordinator")
		if err != nil {
			return nil, err
		}
		defer e.Close()
		last := ""
		say := func(line string) {
			if s.Log != nil && line != last {
				fmt.Fprintln(s.Log, line)
				last = line
			}
		}
		return RunPropose(ctx, e, st, in, ProposeOptions{Shards: s.Shards,
			Started: func(run string, n int) {
				say(fmt.Sprintf("运行 / run %s: %d coverage tasks on %s (status: lifecircle worker --nats %s --status %s)", run, n, s.URL, s.URL, run))
			},
			Progress: func(p Progress) { say(p.String()) },
		})
	case s.Shards.Enabled():
		s.Shards.Parallel = 1
		res, _, err := st.ProposeSharded(ctx, in, s.Shards)
		return res, err
	}
	return planner.Propose(ctx, in)
}

// label names the task's work in messages: a batch entry, a shard of a
// proposal or a shard of an audit.
func (t *Task) label() string {
	switch {
	case t.Kind == KindCover:
		return "proposal " + t.Name
	case t.Shard != nil:
		return t.Name // "shard 3 of 16 (cells …)"
	}
	return "batch entry " + t.Name
}
