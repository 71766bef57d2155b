package web

// Test fixtures: studies built from the bundled sample (real OSM data of
// central Helsinki) or from generated cities, and servers over them.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lifecircle/lifecircle/data/sample"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/data/synth"
	"github.com/lifecircle/lifecircle/planner"
)

// studyOptions name a study's inputs, as `lifecircle audit` takes them.
type studyOptions struct {
	osm        string
	amenities  []string
	population string  // points with population; "" = residential buildings
	cell       float64 // metres; 0 = 250
}

// loadStudy reads the inputs through the study pipeline, as `lifecircle
// audit` does (network, OSM and layer facilities, demand from a population
// layer or buildings, grid cells), and returns the audit input.
func loadStudy(tb testing.TB, o studyOptions) planner.AuditInput {
	tb.Helper()
	s := study.Defaults()
	s.OSM, s.Amenities, s.Population = o.osm, o.amenities, o.population
	if o.cell != 0 {
		s.Cell = o.cell
	}
	st, err := study.Load(context.Background(), s, study.FileSource{}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := st.AssignUnits(); err != nil {
		tb.Fatal(err)
	}
	return st.In
}

// sampleStudy is the bundled sample as `lifecircle serve` with no inputs
// loads it, with cells of the given size.
func sampleStudy(tb testing.TB, cell float64) planner.AuditInput {
	tb.Helper()
	path, err := sample.OSMFile()
	if err != nil {
		tb.Fatal(err)
	}
	return loadStudy(tb, studyOptions{osm: path, cell: cell})
}

// synthStudy generates a city into a temp folder and loads it with its
// facilities and demand points.
func synthStudy(tb testing.TB, o synth.Options, cell float64) planner.AuditInput {
	tb.Helper()
	dir := tb.TempDir()
	if _, err := synth.Generate(dir, o); err != nil {
		tb.Fatal(err)
	}
	return loadStudy(tb, studyOptions{
		osm:        filepath.Join(dir, synth.FileCity),
		amenities:  []string{filepath.Join(dir, synth.FileFacilities)},
		population: filepath.Join(dir, synth.FilePoints),
		cell:       cell,
	})
}

func newScenario(tb testing.TB, in planner.AuditInput) *planner.Scenario {
	tb.Helper()
	sc, err := planner.NewScenario(context.Background(), in)
	if err != nil {
		tb.Fatal(err)
	}
	return sc
}

// logBuffer collects a server's logs for tests that check them.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testServer is a Server for one test, with its logs.
type testServer struct {
	*Server
	h    http.Handler
	logs *logBuffer
}

// newTestServer serves in with cfg (Addr defaults to loopback, Workspace
// to a temp folder).
func newTestServer(tb testing.TB, in planner.AuditInput, cfg Config) *testServer {
	tb.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if cfg.Workspace == "" {
		cfg.Workspace = tb.TempDir()
	}
	logs := &logBuffer{}
	s, err := New(newScenario(tb, in), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	return &testServer{Server: s, h: s.Handler(), logs: logs}
}

var (
	sampleOnce sync.Once
	sampleIn   planner.AuditInput
)

// sampleInput returns a fresh copy of the bundled sample study in 100 m
// cells (more cells than the default 250 m, for paging), read once per
// test binary; the facilities slice is copied since a scenario owns it.
func sampleInput(tb testing.TB) planner.AuditInput {
	tb.Helper()
	sampleOnce.Do(func() { sampleIn = sampleStudy(tb, 100) })
	if sampleIn.Net == nil {
		tb.Fatal("sample study failed to load")
	}
	in := sampleIn
	in.Facilities = append([]planner.Facility(nil), sampleIn.Facilities...)
	return in
}

// ----- requests -----

// request builds a request as a browser on the same machine sends it.
func request(method, target string, body io.Reader) *http.Request {
	r := httptest.NewRequest(method, target, body)
	r.Host = "127.0.0.1:8080"
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}

// serve runs one request through the server's handler.
func (ts *testServer) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	ts.h.ServeHTTP(w, r)
	return w
}

func (ts *testServer) get(target string) *httptest.ResponseRecorder {
	return ts.serve(request("GET", target, nil))
}

func (ts *testServer) post(target string, body any) *httptest.ResponseRecorder {
	var rd io.Reader
	switch b := body.(type) {
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(body)
		if err != nil {
			panic(err)
		}
		rd = bytes.NewReader(raw)
	}
	return ts.serve(request("POST", target, rd))
}

// decode parses a JSON response, failing the test on another status.
func decode[T any](tb testing.TB, w *httptest.ResponseRecorder, status int) T {
	tb.Helper()
	var v T
	if w.Code != status {
		tb.Fatalf("status %d, want %d: %s", w.Code, status, shorten(w.Body.String(), 600))
	}
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		tb.Fatalf("response is not the expected JSON: %v: %s", err, shorten(w.Body.String(), 600))
	}
	return v
}

// checkError asserts the one JSON error shape with the given status and code.
func checkError(tb testing.TB, w *httptest.ResponseRecorder, status int, code string) string {
	tb.Helper()
	if w.Code != status {
		tb.Fatalf("status %d, want %d: %s", w.Code, status, shorten(w.Body.String(), 600))
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		tb.Errorf("error Content-Type %q, want application/json", ct)
	}
	var e struct {
		Error *struct {
			Code    *string `json:"code"`
			Message *string `json:"message"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Error == nil || e.Error.Code == nil || e.Error.Message == nil {
		tb.Fatalf("error body is not {\"error\":{\"code\",\"message\"}}: %v: %s", err, w.Body.String())
	}
	if *e.Error.Code != code {
		tb.Errorf("error code %q, want %q (message %q)", *e.Error.Code, code, *e.Error.Message)
	}
	if *e.Error.Message == "" {
		tb.Error("error message is empty")
	}
	return *e.Error.Message
}

// featureCollection is a decoded items response or GeoJSON file.
type featureCollection struct {
	Type           string `json:"type"`
	NumberMatched  *int   `json:"numberMatched"`
	NumberReturned *int   `json:"numberReturned"`
	TimeStamp      string `json:"timeStamp"`
	Links          []link `json:"links"`
	Features       []struct {
		Type       string          `json:"type"`
		ID         any             `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	} `json:"features"`
}

func linkOf(links []link, rel string) (link, bool) {
	for _, l := range links {
		if l.Rel == rel {
			return l, true
		}
	}
	return link{}, false
}

func jsonNum(tb testing.TB, v any) float64 {
	tb.Helper()
	f, ok := v.(float64)
	if !ok {
		tb.Fatalf("%v (%T) is not a number", v, v)
	}
	return f
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// tempDirPrefix is how the server's temp paths start, which must never
// reach a client.
func tempDirPrefix() string { return filepath.Clean(os.TempDir()) }

// sameSummary compares two JSON documents (summaries) for equality,
// except that district-wide dist_p90_m may differ by the 0.1 m resolution
// of the scenario's incremental percentiles (planner.Scenario keeps
// distance histograms with 0.1 m bins after the first edit of a type),
// and that vector_tiles is not compared: its units URL carries the
// scenario's version, which an undo moves on, never back.
func sameSummary(tb testing.TB, a, b string) bool {
	tb.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		tb.Fatal(err)
	}
	return sameJSON(x, y, "")
}

func sameJSON(x, y any, key string) bool {
	switch xv := x.(type) {
	case map[string]any:
		yv, ok := y.(map[string]any)
		if !ok || len(xv) != len(yv) {
			return false
		}
		for k, v := range xv {
			if k == "vector_tiles" {
				continue
			}
			if !sameJSON(v, yv[k], k) {
				return false
			}
		}
		return true
	case []any:
		yv, ok := y.([]any)
		if !ok || len(xv) != len(yv) {
			return false
		}
		for i := range xv {
			if !sameJSON(xv[i], yv[i], key) {
				return false
			}
		}
		return true
	case float64:
		yv, ok := y.(float64)
		if !ok {
			return false
		}
		if key == "dist_p90_m" {
			return math.Abs(xv-yv) <= 0.1+1e-9
		}
		return xv == yv
	}
	return x == y
}
