package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress draws step progress on stderr: a redrawn bar on a terminal,
// and one line per finished step elsewhere (logs, CI), so stdout stays
// free for data.
type progress struct {
	w     io.Writer
	tty   bool
	mu    sync.Mutex
	step  string
	start time.Time
	last  time.Time
	quiet bool
}

func newProgress(w io.Writer, quiet bool) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, tty: tty, quiet: quiet}
}

// Step starts a named step.
func (p *progress) Step(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.step = name
	p.start = time.Now()
	p.last = time.Time{}
}

// Update reports done of total units in the current step (total ≤ 0: unknown).
func (p *progress) Update(done, total int64) {
	if p.quiet || !p.tty {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	if total > 0 {
		frac := float64(done) / float64(total)
		if frac > 1 {
			frac = 1
		}
		n := int(frac * 30)
		fmt.Fprintf(p.w, "\r%-28s [%s%s] %3.0f%%", p.step, strings.Repeat("█", n), strings.Repeat("░", 30-n), frac*100)
	} else {
		fmt.Fprintf(p.w, "\r%-28s %d", p.step, done)
	}
}

// OSM returns a callback for data/osm's multi-pass reader.
func (p *progress) OSM(step string) func(pass string, done, total int64) {
	return func(pass string, done, total int64) {
		p.mu.Lock()
		p.step = step + " (" + pass + ")"
		p.mu.Unlock()
		p.Update(done, total)
	}
}

// Done ends the current step with a summary line.
func (p *progress) Done(format string, a ...any) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	el := time.Since(p.start)
	clear := ""
	if p.tty {
		clear = "\r\033[K"
	}
	msg := fmt.Sprintf(format, a...)
	fmt.Fprintf(p.w, "%s%-28s %s (%.2fs)\n", clear, p.step, msg, el.Seconds())
}

// Warn prints a warning line.
func (p *progress) Warn(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear := ""
	if p.tty {
		clear = "\r\033[K"
	}
	fmt.Fprintf(p.w, "%swarning: %s\n", clear, fmt.Sprintf(format, a...))
}
