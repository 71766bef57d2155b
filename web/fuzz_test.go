package web

// Fuzzing the HTTP API (issue 8, point 2): query parameters of the OGC
// items and item requests, and the JSON bodies of what-if edits and
// proposals, through the whole handler (router, middleware, handler).
// Whatever the input, the answer is never a 5xx and never a panic (the
// recoverer would turn one into a 500), errors have the one JSON shape,
// and nothing is logged as an internal error.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/planner"
)

// fuzzServer is one server per fuzz process, over the bundled sample;
// its log keeps warnings and errors only.
type fuzzServer struct {
	*Server
	h    http.Handler
	errs *logBuffer
	s0   string // summary JSON before any edit
}

var (
	fuzzOnce sync.Once
	fuzzSrv  *fuzzServer
)

func newFuzzServer(f *testing.F) *fuzzServer {
	f.Helper()
	fuzzOnce.Do(func() {
		in := sampleInput(f)
		errs := &logBuffer{}
		log := slog.New(slog.NewTextHandler(errs, &slog.HandlerOptions{Level: slog.LevelWarn}))
		s, err := New(newScenario(f, in), Config{Addr: "127.0.0.1:8080", Workspace: f.TempDir()}, log)
		if err != nil {
			f.Fatal(err)
		}
		fs := &fuzzServer{Server: s, h: s.Handler(), errs: errs}
		b, _ := json.Marshal(s.currentSummary())
		fs.s0 = string(b)
		fuzzSrv = fs
	})
	if fuzzSrv == nil {
		f.Fatal("fuzz server failed to start")
	}
	return fuzzSrv
}

// serveFuzz runs one request and checks what every answer must be: not
// 5xx, a JSON content type, valid JSON, and for errors the one shape.
func (fs *fuzzServer) serveFuzz(t *testing.T, r *http.Request, what string) *httptest.ResponseRecorder {
	t.Helper()
	mark := len(fs.errs.String())
	w := httptest.NewRecorder()
	fs.h.ServeHTTP(w, r)
	if w.Code >= 500 {
		t.Fatalf("%s: %d %s", what, w.Code, shorten(w.Body.String(), 500))
	}
	ct := w.Header().Get("Content-Type")
	if ct != mimeJSON && ct != mimeGeoJSON {
		t.Fatalf("%s: %d with Content-Type %q", what, w.Code, ct)
	}
	if !json.Valid(w.Body.Bytes()) {
		t.Fatalf("%s: %d, answer is not JSON: %s", what, w.Code, shorten(w.Body.String(), 500))
	}
	if w.Code >= 400 {
		var e errorBody
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("%s: %d without the JSON error shape: %s", what, w.Code, shorten(w.Body.String(), 500))
		}
		if strings.Contains(e.Error.Message, "json:") || strings.Contains(e.Error.Message, "Go struct") || strings.Contains(e.Error.Message, tempDirPrefix()) {
			t.Fatalf("%s: message shows internals: %q", what, e.Error.Message)
		}
	}
	if logs := fs.errs.String()[mark:]; strings.Contains(logs, "level=ERROR") {
		t.Fatalf("%s: internal error logged: %s", what, shorten(logs, 1000))
	}
	return w
}

// FuzzItemsQuery sends any query string (bbox, limit, offset, f, crs…) and
// feature id to the items and item endpoints of every kind of collection.
func FuzzItemsQuery(f *testing.F) {
	fs := newFuzzServer(f)
	colls := []string{"cells", "market", "clinic", "demand", "proposals", "streets", "nope", "catchments_market"}
	var fid string
	fs.sc.View(func(in planner.AuditInput, _ *planner.AuditResult, _ []bool) { fid = in.Facilities[0].ID })
	b := fs.bounds
	seeds := []struct {
		coll  uint8
		fid   string
		query string
	}{
		{0, "", ""},
		{0, "", "limit=10&offset=10"},
		{0, "", fmt.Sprintf("bbox=%.4f,%.4f,%.4f,%.4f&limit=100", b.Min[0], b.Min[1], b.Max[0], b.Max[1])},
		{0, "", "bbox=24.9352,60.1642,24.9534,60.1791&limit=100&offset=200"},
		{1, "", "limit=10000&f=json"},
		{5, "", "bbox=24.94,60.16,24.95,60.17&bbox-crs=http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
		{3, "", "offset=999999999999999999999"},
		{5, "", "limit=99999999999999999999"},
		{0, "", "bbox=170,0,-170,1"},
		{0, "", "bbox=NaN,1,2,3"},
		{0, "", "bbox=1e400,0,0,0"},
		{0, "", "limit=-1&offset=-1"},
		{0, "", "bbox=1,2,3&bbox=1,2,3,4"},
		{0, "", "f=html"},
		{0, "", "%zz=1&;&&=="},
		{5, "0", ""},
		{5, "-1", ""},
		{5, "007", "f=json"},
		{1, fid, ""},
		{0, "nope/../..", "f=json"},
		{2, "%00", ""},
		{6, "x", "limit=1"},
		{7, "", "limit=3&offset=2"},
		{7, fid, ""},
	}
	for _, s := range seeds {
		f.Add(s.coll, s.fid, s.query)
	}
	f.Fuzz(func(t *testing.T, coll uint8, fid, query string) {
		c := colls[int(coll)%len(colls)]
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = "127.0.0.1:8080"
		r.URL.Path = "/ogc/collections/" + c + "/items"
		r.URL.RawPath = ""
		if fid != "" {
			r.URL.Path += "/" + fid
			r.URL.RawPath = "/ogc/collections/" + c + "/items/" + url.PathEscape(fid)
		}
		r.URL.RawQuery = query
		w := fs.serveFuzz(t, r, fmt.Sprintf("GET %s?%s", r.URL.Path, query))
		switch {
		case w.Code == 200 && fid == "":
			var fc struct {
				Features       []json.RawMessage `json:"features"`
				NumberMatched  *int              `json:"numberMatched"`
				NumberReturned *int              `json:"numberReturned"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &fc); err != nil || fc.NumberMatched == nil || fc.NumberReturned == nil ||
				*fc.NumberReturned != len(fc.Features) || *fc.NumberReturned > *fc.NumberMatched || len(fc.Features) > maxLimit {
				t.Fatalf("items %s?%s: inconsistent page: %v %s", c, query, err, shorten(w.Body.String(), 300))
			}
		case w.Code != 200 && w.Code != 400 && w.Code != 404:
			t.Fatalf("items %s/%q?%s: %d, want 200, 400 or 404", c, fid, query, w.Code)
		}
	})
}

// FuzzCatchment asks for the catchment of any facility id with any query:
// the answer is a GeoJSON Feature (200), 400 or 404, never a panic or a
// 500.
func FuzzCatchment(f *testing.F) {
	fs := newFuzzServer(f)
	var fid string
	fs.sc.View(func(in planner.AuditInput, _ *planner.AuditResult, _ []bool) { fid = in.Facilities[0].ID })
	for _, s := range [][2]string{{fid, ""}, {fid, "view=network"}, {fid, "view=feature&f=json"}, {"nope", ""}, {"", ""},
		{"%00", ""}, {"a/b", ""}, {fid, "type=clinic"}, {fid, "view=x&view=y"}, {"../..", "%zz=1"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, id, query string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = "127.0.0.1:8080"
		r.URL.Path = "/api/facilities/" + id + "/catchment"
		r.URL.RawPath = "/api/facilities/" + url.PathEscape(id) + "/catchment"
		r.URL.RawQuery = query
		w := fs.serveFuzz(t, r, fmt.Sprintf("GET %s?%s", r.URL.RawPath, query))
		switch w.Code {
		case 200:
			var v struct {
				Type string `json:"type"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil || (v.Type != "Feature" && v.Type != "FeatureCollection") {
				t.Fatalf("catchment %q?%s: %v %s", id, query, err, shorten(w.Body.String(), 300))
			}
		case 400, 404:
		default:
			t.Fatalf("catchment %q?%s: %d, want 200, 400 or 404", id, query, w.Code)
		}
	})
}

// FuzzScenarioBody posts any body as a what-if edit. An edit that is
// accepted is undone at once, and the figures must be back to where they
// started.
func FuzzScenarioBody(f *testing.F) {
	fs := newFuzzServer(f)
	var facID string
	var pts [][2]float64
	fs.sc.View(func(in planner.AuditInput, res *planner.AuditResult, _ []bool) {
		facID = in.Facilities[0].ID
		for i, ok := range res.Snapped {
			if ok && len(pts) < 3 {
				pts = append(pts, [2]float64{in.Demand.Points[i][0], in.Demand.Points[i][1]})
			}
		}
	})
	for _, s := range []string{
		fmt.Sprintf(`{"op":"add","type":"market","lon":%v,"lat":%v}`, pts[0][0], pts[0][1]),
		fmt.Sprintf(`{"op":"add","id":"new-1","type":"clinic","name":"诊所 A & B","lon":%v,"lat":%v}`, pts[1][0], pts[1][1]),
		fmt.Sprintf(`{"op":"move","id":%q,"lon":%v,"lat":%v}`, facID, pts[2][0], pts[2][1]),
		fmt.Sprintf(`{"op":"remove","id":%q}`, facID),
		`{"op":"undo"}`,
		`{"op":"add","type":"clinic","lon":0,"lat":0}`,
		`{"op":"add","type":"clinic","lon":1e309,"lat":-0}`,
		`{"op":"move","id":"nope","lon":24.94,"lat":60.17}`,
		`{"op":"add","type":"market","lon":"24.9","lat":60.17}`,
		`{"op":"add"}{"op":"undo"}`,
		`[{"op":"undo"}]`,
		`{"op":null,"id":{}}`,
		``,
		"\xff\xfe{",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		w := fs.serveFuzz(t, request("POST", "/api/scenario", strings.NewReader(string(body))), fmt.Sprintf("POST /api/scenario %q", shorten(string(body), 200)))
		switch w.Code {
		case 200:
			var out struct {
				Edit struct {
					Op string `json:"op"`
				} `json:"edit"`
			}
			json.Unmarshal(w.Body.Bytes(), &out)
			if strings.HasPrefix(out.Edit.Op, "undo") {
				t.Fatalf("undo accepted with no edit made: %s", shorten(w.Body.String(), 300))
			}
			u := fs.serveFuzz(t, request("POST", "/api/scenario", strings.NewReader(`{"op":"undo"}`)), "undo")
			if u.Code != 200 {
				t.Fatalf("undo after %q: %d %s", shorten(string(body), 200), u.Code, shorten(u.Body.String(), 300))
			}
			now, _ := json.Marshal(fs.currentSummary())
			if !sameSummary(t, string(now), fs.s0) {
				t.Fatalf("edit %q then undo: the summary changed\nbefore %s\nafter  %s", shorten(string(body), 200), shorten(fs.s0, 600), shorten(string(now), 600))
			}
		case 400, 404, 413:
		default:
			t.Fatalf("POST /api/scenario %q: %d, want 200, 400, 404 or 413", shorten(string(body), 200), w.Code)
		}
	})
}

// FuzzProposeBody posts any body as a proposal request. Each request has
// 10 s at most; a proposal cut off by that deadline answers 503, which is
// the one 5xx allowed.
func FuzzProposeBody(f *testing.F) {
	fs := newFuzzServer(f)
	for _, s := range []string{
		`{"type":"market","k":3,"time_limit_s":1}`,
		`{"type":"clinic","target":0.9,"time_limit_s":1}`,
		`{"types":[{"id":"market","weight":1},{"id":"playground","weight":2}],"k":2,"radius":400,"time_limit_s":1}`,
		`{"type":"elderly","k":200,"time_limit_s":0.1}`,
		`{"type":"clinic","target":1e-300}`,
		`{"type":"clinic","k":2,"radius":1e-9,"time_limit_s":1e-9}`,
		`{"types":[{"id":"market","weight":1e308},{"id":"clinic","weight":1e-308}],"k":1,"time_limit_s":0.5}`,
		`{"types":[],"k":1}`,
		`{"type":"clinic","k":2,"target":0.5}`,
		`{"type":"zoo","k":2}`,
		`{"type":"clinic","k":9223372036854775807}`,
		`{"type":`,
		`null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r := request("POST", "/api/propose", strings.NewReader(string(body))).WithContext(ctx)
		mark := len(fs.errs.String())
		w := httptest.NewRecorder()
		fs.h.ServeHTTP(w, r)
		what := fmt.Sprintf("POST /api/propose %q", shorten(string(body), 200))
		if w.Code == 503 && ctx.Err() != nil {
			return // the request's own deadline
		}
		if w.Code >= 500 {
			t.Fatalf("%s: %d %s", what, w.Code, shorten(w.Body.String(), 500))
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s: answer is not JSON: %s", what, shorten(w.Body.String(), 500))
		}
		if logs := fs.errs.String()[mark:]; strings.Contains(logs, "level=ERROR") {
			t.Fatalf("%s: internal error logged: %s", what, shorten(logs, 1000))
		}
		switch w.Code {
		case 200:
			var p struct {
				Sites []struct {
					Gain float64 `json:"gain"`
				} `json:"sites"`
				Objective  *float64 `json:"objective"`
				UpperBound *float64 `json:"upper_bound"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if p.Objective != nil && p.UpperBound != nil && *p.UpperBound < *p.Objective-1e-6*max(1, *p.Objective) {
				t.Fatalf("%s: upper bound %v below the objective %v", what, *p.UpperBound, *p.Objective)
			}
		case 400, 413:
			var e errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("%s: %d without the JSON error shape: %s", what, w.Code, shorten(w.Body.String(), 500))
			}
		default:
			t.Fatalf("%s: %d, want 200, 400 or 413", what, w.Code)
		}
	})
}
