package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options say how hard and how long to drive the server.
type Options struct {
	// BaseURL is the server's root, e.g. http://127.0.0.1:8080.
	BaseURL string
	// Clients is the number of concurrent clients, Writers of which edit
	// (add a facility, undo it) while the others read.
	Clients, Writers int
	// Duration ends the run: no request starts after it (0: Requests
	// alone ends it). A writer finishes its add/undo pair.
	Duration time.Duration
	// Requests ends the run after this many requests in all (0: Duration
	// alone ends it).
	Requests int
	// Seed makes the choice of requests repeatable.
	Seed uint64
	// EditToken is sent with edits when set (a server on a non-loopback
	// address).
	EditToken string
	// Client sends the requests; nil means one with a kept-alive
	// connection per client.
	Client *http.Client
}

// A Report holds what a run measured.
type Report struct {
	Clients, Writers int
	Elapsed          time.Duration
	Requests, Failed int
	Bytes            int64
	// Failures are the first failed requests, each with what went wrong.
	Failures []string
	// Classes are per endpoint class, in a fixed order.
	Classes []ClassStats
}

// ClassStats are the figures of one endpoint class.
type ClassStats struct {
	Name               string
	Requests, Failed   int
	Bytes              int64
	P50, P95, P99, Max time.Duration
}

// Throughput is the number of requests answered per second.
func (r *Report) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// String prints the report as a table: one line per class.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d clients (%d writing) for %v: %d requests, %d failed, %.0f req/s, %.1f MB received\n",
		r.Clients, r.Writers, r.Elapsed.Round(time.Millisecond), r.Requests, r.Failed, r.Throughput(), float64(r.Bytes)/1e6)
	fmt.Fprintf(&b, "%-16s %8s %7s %10s %10s %10s %10s %10s\n", "class", "requests", "failed", "req/s", "p50", "p95", "p99", "max")
	for _, c := range r.Classes {
		fmt.Fprintf(&b, "%-16s %8d %7d %10.1f %10v %10v %10v %10v\n", c.Name, c.Requests, c.Failed,
			float64(c.Requests)/r.Elapsed.Seconds(), round(c.P50), round(c.P95), round(c.P99), round(c.Max))
	}
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "failed: %s\n", f)
	}
	return b.String()
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// Endpoint classes, in report order.
const (
	classUnitsPage = iota
	classUnitsBBox
	classFacilities
	classStreetsBBox
	classDemandBBox
	classSummary
	classAdd
	classUndo
	numClasses
)

var classNames = [numClasses]string{"units page", "units bbox", "facilities", "streets bbox", "demand bbox", "summary", "scenario add", "scenario undo"}

// readerClasses are what readers choose among, uniformly.
var readerClasses = []int{classUnitsPage, classUnitsBBox, classFacilities, classStreetsBBox, classDemandBBox, classSummary}

// A target is what the run learnt about the server before starting.
type target struct {
	units    string // units collection id
	nUnits   int
	types    []string
	bounds   [4]float64 // lon/lat
	spots    [][2]float64
	bboxSize float64 // degrees of a bbox query's side
}

// maxFailures bounds Report.Failures.
const maxFailures = 20

// Run drives the server as opts say and reports what it measured. It
// returns an error when the server cannot be prepared for the run (no
// summary, no streets); failed requests during the run are counted in
// the report, not returned.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Clients < 1 || opts.Writers < 0 || opts.Writers > opts.Clients {
		return nil, fmt.Errorf("loadtest: %d clients with %d writers: want clients ≥ 1 and 0 ≤ writers ≤ clients", opts.Clients, opts.Writers)
	}
	if opts.Duration <= 0 && opts.Requests <= 0 {
		return nil, errors.New("loadtest: give a duration or a request count")
	}
	base := strings.TrimSuffix(opts.BaseURL, "/")
	client := opts.Client
	if client == nil {
		client = &http.Client{
			Timeout: 2 * time.Minute,
			Transport: &http.Transport{
				MaxIdleConns:        opts.Clients,
				MaxIdleConnsPerHost: opts.Clients,
				DisableCompression:  true,
				IdleConnTimeout:     time.Minute,
			},
		}
		defer client.CloseIdleConnections()
	}
	tg, err := discover(ctx, client, base)
	if err != nil {
		return nil, err
	}

	var issued atomic.Int64
	// next reports whether another request may start.
	start := time.Now()
	deadline := time.Time{}
	if opts.Duration > 0 {
		deadline = start.Add(opts.Duration)
	}
	next := func(n int64) bool {
		if ctx.Err() != nil || (!deadline.IsZero() && time.Now().After(deadline)) {
			return false
		}
		return opts.Requests <= 0 || issued.Add(n) <= int64(opts.Requests)
	}

	type clientResult struct {
		lat      [numClasses][]time.Duration
		failed   [numClasses]int
		bytes    [numClasses]int64
		failures []string
	}
	results := make([]clientResult, opts.Clients)
	var wg sync.WaitGroup
	for c := 0; c < opts.Clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			res := &results[c]
			rng := rand.New(rand.NewPCG(opts.Seed, uint64(c)+1))
			do := func(class int, req *http.Request, check func([]byte) error) bool {
				t0 := time.Now()
				n, err := send(client, req, check)
				res.lat[class] = append(res.lat[class], time.Since(t0))
				res.bytes[class] += n
				if err != nil {
					res.failed[class]++
					if len(res.failures) < maxFailures {
						res.failures = append(res.failures, fmt.Sprintf("%s %s: %v", req.Method, req.URL.RequestURI(), err))
					}
					return false
				}
				return true
			}
			writer := c < opts.Writers
			for {
				if writer {
					if !next(2) {
						return
					}
					p := tg.spots[rng.IntN(len(tg.spots))]
					body := fmt.Sprintf(`{"op":"add","type":%q,"name":"load test","lon":%.7f,"lat":%.7f}`, tg.types[rng.IntN(len(tg.types))], p[0], p[1])
					// The undo goes out even after the deadline, so that
					// every add is undone; the pair is one unit of work.
					// Each writer is its own client (X-Client-Id): its undo
					// must take away its own add, whatever the other
					// writers did meanwhile.
					var added string
					if do(classAdd, tg.edit(base, body, opts.EditToken, c), editID(&added, "add")) {
						var undone string
						do(classUndo, tg.edit(base, `{"op":"undo"}`, opts.EditToken, c), func(b []byte) error {
							if err := editID(&undone, "undo add")(b); err != nil {
								return err
							}
							if undone != added {
								return fmt.Errorf("undo took away facility %q, but this client added %q: another client's edit", undone, added)
							}
							return nil
						})
					}
					continue
				}
				if !next(1) {
					return
				}
				class := readerClasses[rng.IntN(len(readerClasses))]
				do(class, tg.read(base, class, rng), checkJSON)
			}
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)

	rep := &Report{Clients: opts.Clients, Writers: opts.Writers, Elapsed: elapsed}
	for class := 0; class < numClasses; class++ {
		var all []time.Duration
		cs := ClassStats{Name: classNames[class]}
		for c := range results {
			all = append(all, results[c].lat[class]...)
			cs.Failed += results[c].failed[class]
			cs.Bytes += results[c].bytes[class]
		}
		cs.Requests = len(all)
		if len(all) == 0 && (class == classAdd || class == classUndo) && opts.Writers == 0 {
			continue
		}
		slices.Sort(all)
		cs.P50, cs.P95, cs.P99 = quantile(all, 0.50), quantile(all, 0.95), quantile(all, 0.99)
		if len(all) > 0 {
			cs.Max = all[len(all)-1]
		}
		rep.Classes = append(rep.Classes, cs)
		rep.Requests += cs.Requests
		rep.Failed += cs.Failed
		rep.Bytes += cs.Bytes
	}
	for c := range results {
		for _, f := range results[c].failures {
			if len(rep.Failures) < maxFailures {
				rep.Failures = append(rep.Failures, f)
			}
		}
	}
	return rep, nil
}

// quantile returns the q-quantile of sorted durations (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// send runs one request and reads the whole answer; anything but 200 with
// a body that check accepts is an error. It returns the bytes received.
func send(client *http.Client, req *http.Request, check func([]byte) error) (int64, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	n := int64(len(body))
	if err != nil {
		return n, fmt.Errorf("status %d, body cut off after %d bytes: %w", resp.StatusCode, n, err)
	}
	if resp.StatusCode != http.StatusOK {
		return n, fmt.Errorf("status %d: %s", resp.StatusCode, shorten(string(body), 200))
	}
	if err := check(body); err != nil {
		return n, err
	}
	return n, nil
}

func checkJSON(b []byte) error {
	if !json.Valid(b) {
		return fmt.Errorf("answer is not valid JSON: %s", shorten(string(b), 200))
	}
	return nil
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// editID returns a check of an edit's answer that wants the edit op and
// stores the facility's id in id.
func editID(id *string, op string) func([]byte) error {
	return func(b []byte) error {
		var ans struct {
			Edit struct {
				Op string `json:"op"`
				ID string `json:"id"`
			} `json:"edit"`
		}
		if err := json.Unmarshal(b, &ans); err != nil {
			return fmt.Errorf("answer is not valid JSON: %s", shorten(string(b), 200))
		}
		if ans.Edit.Op != op || ans.Edit.ID == "" {
			return fmt.Errorf("answer's edit is %q of %q, want %s of a facility", ans.Edit.Op, ans.Edit.ID, op)
		}
		*id = ans.Edit.ID
		return nil
	}
}

// edit builds an edit request of writer c, which is client
// loadtest-writer-c.
func (tg *target) edit(base, body, token string, c int) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, base+"/api/scenario", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Client-Id", fmt.Sprintf("loadtest-writer-%d", c))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// read builds a reader's request of the given class.
func (tg *target) read(base string, class int, rng *rand.Rand) *http.Request {
	items := func(coll string, q url.Values) string {
		return base + "/ogc/collections/" + url.PathEscape(coll) + "/items?" + q.Encode()
	}
	bbox := func() string {
		b := tg.bounds
		w := min(tg.bboxSize, b[2]-b[0])
		h := min(tg.bboxSize, b[3]-b[1])
		x := b[0] + rng.Float64()*(b[2]-b[0]-w)
		y := b[1] + rng.Float64()*(b[3]-b[1]-h)
		return fmt.Sprintf("%.6f,%.6f,%.6f,%.6f", x, y, x+w, y+h)
	}
	var u string
	switch class {
	case classUnitsPage:
		limit := 100
		u = items(tg.units, url.Values{"limit": {fmt.Sprint(limit)}, "offset": {fmt.Sprint(rng.IntN(max(1, tg.nUnits-limit+1)))}})
	case classUnitsBBox:
		u = items(tg.units, url.Values{"bbox": {bbox()}, "limit": {"1000"}})
	case classFacilities:
		u = items(tg.types[rng.IntN(len(tg.types))], url.Values{"limit": {"1000"}})
	case classStreetsBBox:
		u = items("streets", url.Values{"bbox": {bbox()}, "limit": {"1000"}})
	case classDemandBBox:
		u = items("demand", url.Values{"bbox": {bbox()}, "limit": {"1000"}})
	default:
		u = base + "/api/summary"
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return req
}

// discover reads the summary (collections, bounds), the number of units
// and street vertices where writers can place facilities.
func discover(ctx context.Context, client *http.Client, base string) (*target, error) {
	get := func(u string, v any) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+u, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("loadtest: GET %s: %w", u, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("loadtest: GET %s: status %d: %s %v", u, resp.StatusCode, shorten(string(b), 200), err)
		}
		return json.NewDecoder(bytes.NewReader(b)).Decode(v)
	}
	var sum struct {
		Bounds      [4]float64 `json:"bounds"`
		Collections struct {
			Units      string   `json:"units"`
			Facilities []string `json:"facilities"`
		} `json:"collections"`
	}
	if err := get("/api/summary", &sum); err != nil {
		return nil, err
	}
	tg := &target{units: sum.Collections.Units, types: sum.Collections.Facilities, bounds: sum.Bounds}
	if tg.units == "" || len(tg.types) == 0 {
		return nil, errors.New("loadtest: the summary names no units collection or no amenity types")
	}
	// A bbox query covers about 1/8 of the study area's side: a district
	// view on the map.
	tg.bboxSize = max(0.002, min(tg.bounds[2]-tg.bounds[0], tg.bounds[3]-tg.bounds[1])/8)
	var units struct {
		NumberMatched int `json:"numberMatched"`
	}
	if err := get("/ogc/collections/"+url.PathEscape(tg.units)+"/items?limit=1", &units); err != nil {
		return nil, err
	}
	tg.nUnits = units.NumberMatched
	var streets struct {
		Features []struct {
			Geometry struct {
				Coordinates [][2]float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := get("/ogc/collections/streets/items?limit=2000", &streets); err != nil {
		return nil, err
	}
	for _, f := range streets.Features {
		tg.spots = append(tg.spots, f.Geometry.Coordinates...)
	}
	if len(tg.spots) == 0 {
		return nil, errors.New("loadtest: the server has no streets, where writers would place facilities")
	}
	return tg, nil
}
