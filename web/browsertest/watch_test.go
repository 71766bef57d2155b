package browsertest

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
)

// recorder is a testing.TB that keeps what Check reports instead of failing.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func request(u string) *network.EventRequestWillBeSent {
	return &network.EventRequestWillBeSent{Request: &network.Request{URL: u}}
}

func console(typ runtime.ConsoleAPICalledType, value string) *runtime.EventConsoleAPICalled {
	return &runtime.EventConsoleAPICalled{Type: typ, Args: []*runtime.RemoteObject{{Value: jsonv2.Value(value)}}}
}

func logError(u string) *log.EventEntryAdded {
	return &log.EventEntryAdded{Entry: &log.Entry{Level: log.EntryLevelError, Source: log.EntrySourceNetwork, Text: "failed", URL: u}}
}

func TestWatch(t *testing.T) {
	server := func(u *url.URL) bool {
		return u.Scheme == "data" || u.Scheme == "blob" || (u.Scheme == "http" || u.Scheme == "https") && u.Host == "127.0.0.1:8080"
	}
	file := func(u *url.URL) bool { return u.Scheme == "file" || u.Scheme == "data" }
	for _, tc := range []struct {
		name     string
		w        *Watch
		failOK   func(string) bool
		events   []any
		want     []string // substrings of the messages, in order
		notWant  string   // a substring no message may hold
		requests int
	}{
		{
			name:     "own server and inline data pass",
			w:        &Watch{Allow: server, Scope: "the server"},
			events:   []any{request("http://127.0.0.1:8080/"), request("data:image/png;base64,AA=="), request("blob:http://127.0.0.1:8080/x"), console(runtime.ConsoleAPICalledTypeLog, `"hello"`)},
			requests: 3,
		},
		{
			name:     "other host and bad URL are recorded",
			w:        &Watch{Allow: server, Scope: "the server"},
			events:   []any{request("https://tile.openstreetmap.org/1/1/1.png"), request("http://127.0.0.1:9090/"), request("http://[::1"), request("file:///etc/passwd")},
			want:     []string{"request outside the server: https://tile.openstreetmap.org", "request outside the server: http://127.0.0.1:9090/", "request outside the server: http://[::1", "request outside the server: file:///etc/passwd"},
			requests: 4,
		},
		{
			name:     "file page: only file and data",
			w:        &Watch{Allow: file, Scope: "the file"},
			events:   []any{request("file:///tmp/report.html"), request("data:,x"), request("blob:file:///x"), request("http://127.0.0.1:8080/")},
			want:     []string{"request outside the file: blob:file:///x", "request outside the file: http://127.0.0.1:8080/"},
			requests: 4,
		},
		{
			name:     "nil Allow allows nothing",
			w:        &Watch{Scope: "nothing"},
			events:   []any{request("file:///tmp/report.html")},
			want:     []string{"request outside nothing: file:///tmp/report.html"},
			requests: 1,
		},
		{
			name:   "no request at all",
			w:      &Watch{Allow: file},
			events: []any{console(runtime.ConsoleAPICalledTypeLog, `"hello"`)},
			want:   []string{"saw no request at all"},
		},
		{
			name:     "console error and assert; warning ignored by default",
			w:        &Watch{Allow: file},
			events:   []any{request("file:///r.html"), console(runtime.ConsoleAPICalledTypeError, `"boom"`), console(runtime.ConsoleAPICalledTypeWarning, `"careful"`), console(runtime.ConsoleAPICalledTypeAssert, `"false"`)},
			want:     []string{`page error: console.error: "boom"`, `page error: console.assert: "false"`},
			notWant:  "careful",
			requests: 1,
		},
		{
			name:     "warnings as errors",
			w:        &Watch{Allow: file, Warnings: true},
			events:   []any{request("file:///r.html"), console(runtime.ConsoleAPICalledTypeWarning, `"careful"`)},
			want:     []string{`page error: console.warning: "careful"`},
			requests: 1,
		},
		{
			name: "object argument shows its description",
			w:    &Watch{Allow: file},
			events: []any{request("file:///r.html"), &runtime.EventConsoleAPICalled{Type: runtime.ConsoleAPICalledTypeError,
				Args: []*runtime.RemoteObject{{Value: jsonv2.Value(`"got"`)}, {Description: "TypeError: x is undefined"}}}},
			want:     []string{`page error: console.error: "got" TypeError: x is undefined`},
			requests: 1,
		},
		{
			name: "uncaught exception",
			w:    &Watch{Allow: file},
			events: []any{request("file:///r.html"), &runtime.EventExceptionThrown{ExceptionDetails: &runtime.ExceptionDetails{
				Text: "Uncaught", URL: "file:///r.html", LineNumber: 41, Exception: &runtime.RemoteObject{Description: "ReferenceError: y"}}}},
			want:     []string{"page error: exception at file:///r.html:42: Uncaught ReferenceError: y"},
			requests: 1,
		},
		{
			name:     "error log entries, some allowed to fail",
			w:        &Watch{Allow: server},
			failOK:   func(u string) bool { return strings.Contains(u, "/api/layer") },
			events:   []any{request("http://127.0.0.1:8080/"), logError("http://127.0.0.1:8080/api/layer"), logError("http://127.0.0.1:8080/api/summary")},
			want:     []string{"page error: log network: failed (http://127.0.0.1:8080/api/summary)"},
			notWant:  "/api/layer",
			requests: 1,
		},
		{
			name:     "log entries below error pass",
			w:        &Watch{Allow: server},
			events:   []any{request("http://127.0.0.1:8080/"), &log.EventEntryAdded{Entry: &log.Entry{Level: log.EntryLevelWarning, Text: "slow"}}},
			requests: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.failOK != nil {
				tc.w.AllowFailures(tc.failOK)
			}
			for _, ev := range tc.events {
				tc.w.Listen(ev)
			}
			if tc.w.requests != tc.requests {
				t.Errorf("counted %d requests, want %d", tc.w.requests, tc.requests)
			}
			r := &recorder{TB: t}
			tc.w.Check(r)
			if len(r.msgs) != len(tc.want) {
				t.Fatalf("Check reported %d messages, want %d:\n%s", len(r.msgs), len(tc.want), strings.Join(r.msgs, "\n"))
			}
			for i, want := range tc.want {
				if !strings.Contains(r.msgs[i], want) {
					t.Errorf("message %d = %q, want it to contain %q", i, r.msgs[i], want)
				}
			}
			if tc.notWant != "" {
				for _, m := range r.msgs {
					if strings.Contains(m, tc.notWant) {
						t.Errorf("message %q mentions %q", m, tc.notWant)
					}
				}
			}
		})
	}
}
