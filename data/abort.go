package data

import (
	"errors"
	"os"
	"sync"
	"sync/atomic"
)

// ErrAborted is returned by a write that AbortWrites stopped before its
// output was moved into place.
var ErrAborted = errors.New("interrupted: the output was not written")

// inflight are the temporaries of the atomic writes in progress in this
// process. A process that exits on Ctrl-C without waiting for its verb
// (AbortWrites) removes them, so that nothing half-written is left beside
// an output. mu also guards each write's final step (the rename or
// exchange): a write either completes it before AbortWrites or never.
var inflight = struct {
	mu      sync.Mutex
	paths   map[string]bool
	aborted atomic.Bool
}{paths: map[string]bool{}}

func track(path string) {
	inflight.mu.Lock()
	inflight.paths[path] = true
	inflight.mu.Unlock()
}

func untrack(path string) {
	inflight.mu.Lock()
	delete(inflight.paths, path)
	inflight.mu.Unlock()
}

// commit runs a write's final step (moving its output into place) unless
// AbortWrites ran first.
func commit(step func() error) error {
	inflight.mu.Lock()
	defer inflight.mu.Unlock()
	if inflight.aborted.Load() {
		return ErrAborted
	}
	return step()
}

// AbortWrites removes the temporaries of every write in progress and makes
// every write that has not moved its output into place fail with
// ErrAborted, at its next write to a file (WriteFileAtomic) or at the
// latest when it would move its output into place: outputs stay as they
// were. It is for a process stopping on an interrupt; it may be called
// again (a write may have created files meanwhile).
func AbortWrites() {
	inflight.mu.Lock()
	defer inflight.mu.Unlock()
	inflight.aborted.Store(true)
	for p := range inflight.paths {
		_ = os.RemoveAll(p)
	}
}

// abortable fails its writes once AbortWrites ran.
type abortable struct {
	w *os.File
	// written and flushed count the bytes written and those whose
	// writeback to disk has been started (startWriteback): a large output
	// goes to disk while it is written, so its fsync has little left to do.
	written, flushed int64
}

// writebackStep is how many written bytes start their writeback at once.
const writebackStep = 8 << 20

func (a *abortable) Write(p []byte) (int, error) {
	if inflight.aborted.Load() {
		return 0, ErrAborted
	}
	n, err := a.w.Write(p)
	a.written += int64(n)
	if a.written-a.flushed >= writebackStep {
		startWriteback(a.w, a.flushed, a.written-a.flushed)
		a.flushed = a.written
	}
	return n, err
}
