package browsertest

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
)

// A Watch records what a page does that a test forbids: console errors
// and failed assertions, uncaught exceptions, error log entries, and
// requests the page may not make. Set its fields before New starts the
// browser; Listen receives the browser's events and Check reports them.
type Watch struct {
	// Allow reports whether the page may request u. Every other request,
	// and every URL that does not parse, is recorded. Nil allows nothing.
	Allow func(u *url.URL) bool
	// Scope says in words what Allow lets through, for the failure message.
	Scope string
	// Warnings records console.warn calls as errors too.
	Warnings bool

	mu       sync.Mutex
	failOK   func(url string) bool
	errors   []string
	outside  []string
	requests int
}

// AllowFailures stops recording error log entries whose URL ok accepts:
// those of requests the test makes fail on purpose. It may be called while
// the page runs.
func (w *Watch) AllowFailures(ok func(url string) bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.failOK = ok
}

// Listen records one browser event; New passes it to chromedp.WithListener.
func (w *Watch) Listen(ev any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert ||
			(w.Warnings && ev.Type == runtime.ConsoleAPICalledTypeWarning) {
			var parts []string
			for _, a := range ev.Args {
				if len(a.Value) > 0 {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			w.errors = append(w.errors, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		w.errors = append(w.errors, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, msg))
	case *log.EventEntryAdded:
		e := ev.Entry
		if e.Level == log.EntryLevelError && !(w.failOK != nil && w.failOK(e.URL)) {
			w.errors = append(w.errors, fmt.Sprintf("log %s: %s (%s)", e.Source, e.Text, e.URL))
		}
	case *network.EventRequestWillBeSent:
		w.requests++
		u, err := url.Parse(ev.Request.URL)
		if err != nil || w.Allow == nil || !w.Allow(u) {
			w.outside = append(w.outside, ev.Request.URL)
		}
	}
}

// Check fails the test for every error and every request outside Scope
// recorded so far, and when no request was seen at all (the page loads at
// least itself, so the Watch is not listening).
func (w *Watch) Check(tb testing.TB) {
	tb.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.errors {
		tb.Errorf("page error: %s", e)
	}
	for _, u := range w.outside {
		tb.Errorf("request outside %s: %s", w.Scope, u)
	}
	if w.requests == 0 {
		tb.Errorf("saw no request at all: the watcher is not working")
	}
}
