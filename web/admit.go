package web

import (
	"net/http"
	"runtime"
)

// Reads that compute (OGC item pages, the summary, a unit's figures) run
// at most readSlots at a time, one per core: they are CPU-bound, so more
// would not answer sooner; the others wait in line without using a core.
// Edits never wait for a slot. Without the bound, 150 readers on two cores
// share the CPU with an edit, which then gets a 150th of it: an edit of a
// few milliseconds took seconds (BENCHMARKS.md, "Editing under load").
// With it, an edit competes with a couple of reads only, and waits for the
// scenario's write lock behind no more than readSlots of them.
func readSlots() int { return max(2, runtime.GOMAXPROCS(0)) }

// While an edit waits or runs, reads that start compute in one slot fewer
// (readSemEditing): edits run one at a time (editMu), so one core is
// theirs and the others the readers'; an edit then shares its core with no
// read, only with the reads that had started before it.
func readSlotsEditing() int { return readSlots() - 1 }

// readSlot runs next in one of the server's read slots. The answer is
// built into memory inside the slot and sent after leaving it, so that a
// slow client does not hold a slot while it receives.
func (s *Server) readSlot(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.readSem <- struct{}{}:
		case <-r.Context().Done():
			s.fail(w, r, r.Context().Err())
			return
		}
		narrowed := s.editing.Load() > 0
		if narrowed {
			select {
			case s.readSemEditing <- struct{}{}:
			case <-r.Context().Done():
				<-s.readSem
				s.fail(w, r, r.Context().Err())
				return
			}
		}
		bw := &bufferedResponse{header: w.Header()}
		func() {
			defer func() {
				if narrowed {
					<-s.readSemEditing
				}
				<-s.readSem
			}()
			next.ServeHTTP(bw, r)
		}()
		if bw.status == 0 {
			bw.status = http.StatusOK
		}
		w.WriteHeader(bw.status)
		_, _ = w.Write(bw.body)
	})
}

// bufferedResponse is an http.ResponseWriter that keeps the answer in
// memory; its header map is the real response's.
type bufferedResponse struct {
	header http.Header
	status int
	body   []byte
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	b.body = append(b.body, p...)
	return len(p), nil
}
