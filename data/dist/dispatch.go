package dist

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// dispatch records run man (its Tasks list every task's id and name),
// publishes the tasks next makes, one by one (next(i) for i < n; a nil
// task is one the caller handles itself), tells started the run id and
// the number of tasks, and waits until every task published is done. It returns the tasks and their final states. On an
// error (a task failed MaxDeliver times, ctx ended) the run is recorded
// as failed or canceled, its queued tasks and stored results are
// removed, and the error names the failed task.
func dispatch(ctx context.Context, e *Engine, man *Manifest, n int, next func(i int) (*Task, error), started func(run string, tasks int), progress func(Progress)) ([]*Task, map[string]State, error) {
	run := man.Run
	tasks := make([]*Task, n)
	fail := func(err error) ([]*Task, map[string]State, error) {
		return nil, nil, failRun(ctx, e, man, tasks, err)
	}
	if err := putJSON(ctx, e.KV, runKey(run), man); err != nil {
		return nil, nil, fmt.Errorf("record run %s: %w", run, err)
	}
	// Watch before publishing, so that no state is missed.
	w, err := e.KV.Watch(ctx, "task."+run+".*")
	if err != nil {
		return nil, nil, err
	}
	defer w.Stop()
	maxDel := make(chan uint64, n)
	sub, err := e.NC.Subscribe(fmt.Sprintf("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.%s.%s", e.streamName(), e.consumerName()), func(m *nats.Msg) {
		var a struct {
			StreamSeq uint64 `json:"stream_seq"`
		}
		if json.Unmarshal(m.Data, &a) == nil {
			select {
			case maxDel <- a.StreamSeq:
			default: // another run's task
			}
		}
	})
	if err != nil {
		return nil, nil, err
	}
	defer sub.Unsubscribe()
	seqs := map[uint64]*Task{}
	byID := map[string]*Task{}
	for i := range n {
		t, err := next(i)
		if err != nil {
			return fail(err)
		}
		if t == nil {
			continue
		}
		tasks[i] = t
		byID[t.ID] = t
		if err := retryTransient(ctx, func() error {
			return putState(ctx, e.KV, run, State{Task: t.ID, Name: t.Name, State: Pending})
		}); err != nil {
			return fail(err)
		}
		b, _ := json.Marshal(t)
		var ack *jetstream.PubAck
		if err := retryTransient(ctx, func() (err error) {
			ack, err = e.JS.Publish(ctx, e.subject(run), b, jetstream.WithMsgID(run+"."+t.ID))
			return err
		}); err != nil {
			return fail(fmt.Errorf("publish task %s (%s): %w", t.ID, t.Name, err))
		}
		seqs[ack.Sequence] = t
	}
	if started != nil {
		started(run, len(byID))
	}
	states, err := wait(ctx, e, run, w, maxDel, seqs, byID, progress)
	if err != nil {
		return fail(err)
	}
	return tasks, states, nil
}

// failRun records run man as failed (canceled when ctx ended), removes
// its queued tasks and stored results, and returns err.
func failRun(ctx context.Context, e *Engine, man *Manifest, tasks []*Task, err error) error {
	bg := context.WithoutCancel(ctx)
	man.State, man.Error = "failed", err.Error()
	if ctx.Err() != nil {
		man.State = "canceled"
	}
	_ = putJSON(bg, e.KV, runKey(man.Run), man)
	_ = e.Stream.Purge(bg, jetstream.WithPurgeSubject(e.subject(man.Run)))
	deleteResults(bg, e, tasks)
	return err
}

// finish records run man as done and removes its queued copies and its
// results.
func finish(ctx context.Context, e *Engine, man *Manifest, tasks []*Task) {
	man.State = "done"
	_ = putJSON(ctx, e.KV, runKey(man.Run), man)
	// Copies of tasks still queued (a message sent twice) are dropped.
	_ = e.Stream.Purge(ctx, jetstream.WithPurgeSubject(e.subject(man.Run)))
	deleteResults(ctx, e, tasks)
}

// retryFor is how long retryTransient keeps trying: longer than a NATS
// server takes to restart and the client to reconnect.
const retryFor = 30 * time.Second

// retryTransient runs op until it succeeds, fails for good, or retryFor
// has passed, retrying the failures a restarting server or a lost reply
// gives (a timeout, no responders, a dropped connection). The operations
// retried are idempotent: a task published again under its message id is
// stored once (JetStream's duplicate window), a state put again is the
// same state.
func retryTransient(ctx context.Context, op func() error) error {
	deadline := time.Now().Add(retryFor)
	for {
		err := op()
		if err == nil || ctx.Err() != nil || !transient(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// transient reports whether err is one a retry may cure.
func transient(err error) bool {
	for _, t := range []error{context.DeadlineExceeded, nats.ErrTimeout, nats.ErrNoResponders, nats.ErrDisconnected,
		jetstream.ErrNoStreamResponse, nats.ErrConnectionReconnecting} {
		// (by text too: a store call may pass the client's error on as text)
		if errors.Is(err, t) || strings.Contains(err.Error(), t.Error()) {
			return true
		}
	}
	return false
}
