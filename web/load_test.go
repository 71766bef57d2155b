package web

// Under load (issue 8, point 4): a real listener on loopback driven by
// concurrent readers and what-if writers, and slow or oversized clients
// cut off by the server's timeouts and limits while others are served.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/cmd/lifecircle/loadtest"
	"github.com/lifecircle/lifecircle/data/synth"
	"github.com/lifecircle/lifecircle/planner"
)

// liveServer is a Server behind a real listener, built as `lifecircle
// serve` builds it (New, then HTTPServer).
type liveServer struct {
	*Server
	url  string // http://127.0.0.1:PORT
	addr string // 127.0.0.1:PORT
	hs   *http.Server
	logs *logBuffer
}

// startLive serves in on addr (127.0.0.1:0 when empty) until the test
// ends. Request logs are formatted as serve formats them; they are kept
// only when keepLogs is set (a load test would fill memory with them).
func startLive(tb testing.TB, in planner.AuditInput, cfg Config, addr string, keepLogs bool) *liveServer {
	tb.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Addr = ln.Addr().String()
	if cfg.Workspace == "" {
		cfg.Workspace = tb.TempDir()
	}
	logs := &logBuffer{}
	var w io.Writer = io.Discard
	if keepLogs {
		w = logs
	}
	s, err := New(newScenario(tb, in), cfg, slog.New(slog.NewTextHandler(w, nil)))
	if err != nil {
		ln.Close()
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	hs := s.HTTPServer(ctx)
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	tb.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := hs.Shutdown(sctx); err != nil {
			hs.Close()
		}
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			tb.Errorf("serve: %v", err)
		}
	})
	return &liveServer{Server: s, url: "http://" + cfg.Addr, addr: cfg.Addr, hs: hs, logs: logs}
}

func envInt(tb testing.TB, name string, def int) int {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		tb.Fatalf("%s=%q: want a whole number ≥ 0", name, v)
	}
	return n
}

func envDuration(tb testing.TB, name string, def time.Duration) time.Duration {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		tb.Fatalf("%s=%q: want a duration such as 30s", name, v)
	}
	return d
}

// memSample is the process's memory at one moment.
type memSample struct {
	heapInuse, sys uint64 // runtime.MemStats, bytes
	rss, hwm       uint64 // /proc/self/status VmRSS, VmHWM (peak RSS), bytes
}

func readMem() memSample {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := memSample{heapInuse: ms.HeapInuse, sys: ms.Sys}
	m.rss, m.hwm = procStatus("VmRSS"), procStatus("VmHWM")
	return m
}

// procStatus reads a kB field of /proc/self/status in bytes (0 where
// there is no /proc).
func procStatus(field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != field {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0
		}
		return n << 10
	}
	return 0
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

// TestLoad drives a server on loopback with concurrent readers of the OGC
// API (units pages and bbox queries, facility collections, streets and
// demand in a bbox, the summary) and what-if writers (add/undo pairs), and
// logs throughput, p50/p95/p99 latency per endpoint class and memory. It
// asserts that every request succeeds (each writer is its own client,
// and its undo must take away its own add, not another writer's: the
// undo stacks stay independent under load), that the scenario is back where it
// started once every add is undone, and that memory after the run stays
// within 4× the heap before it plus 200 MB. No timing is asserted.
//
// By default it runs 50 clients (5 writing) for 4 s on the bundled sample;
// LIFECIRCLE_LOAD_CLIENTS, LIFECIRCLE_LOAD_WRITERS, LIFECIRCLE_LOAD_DURATION
// and LIFECIRCLE_LOAD_REQUESTS change that, LIFECIRCLE_LOAD_NODES=N serves a
// generated city of about N nodes, and LIFECIRCLE_BIG=1 serves the
// generated 1,000,000-node city instead. The benchmark figures come from
//
//	LIFECIRCLE_LOAD_DURATION=30s go test ./web -run '^TestLoad$' -count=1 -v
func TestLoad(t *testing.T) {
	clients := envInt(t, "LIFECIRCLE_LOAD_CLIENTS", 50)
	writers := envInt(t, "LIFECIRCLE_LOAD_WRITERS", max(1, clients/10))
	dur := envDuration(t, "LIFECIRCLE_LOAD_DURATION", 4*time.Second)
	requests := envInt(t, "LIFECIRCLE_LOAD_REQUESTS", 0)
	if dur == 0 && requests == 0 {
		t.Fatal("LIFECIRCLE_LOAD_DURATION=0 needs LIFECIRCLE_LOAD_REQUESTS")
	}
	var in planner.AuditInput
	study := "bundled sample (central Helsinki), 100 m cells"
	if n := envInt(t, "LIFECIRCLE_LOAD_NODES", 0); n > 0 || os.Getenv("LIFECIRCLE_BIG") != "" {
		if n == 0 {
			n = 1000000
		}
		t0 := time.Now()
		in = synthStudy(t, synth.Options{Nodes: n, Facilities: max(10, n/500), Points: n, Seed: 11}, 250)
		study = fmt.Sprintf("generated city, %d nodes, %d demand points, 250 m cells (loaded in %v)",
			in.Net.NumNodes(), len(in.Demand.Points), time.Since(t0).Round(time.Second))
	} else {
		in = sampleInput(t)
	}
	ls := startLive(t, in, Config{}, "", false)
	before := ls.currentSummary()
	nFac := func() (n int) {
		ls.sc.View(func(in planner.AuditInput, _ *planner.AuditResult, _ []bool) { n = len(in.Facilities) })
		return n
	}
	fac0 := nFac()
	t.Logf("study: %s; %d cells, %d facilities, %d street edges", study, len(in.Units), len(in.Facilities), in.Net.NumEdges())

	runtime.GC()
	m0 := readMem()
	var peak memSample
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			m := readMem()
			peak.heapInuse = max(peak.heapInuse, m.heapInuse)
			peak.sys = max(peak.sys, m.sys)
			peak.rss = max(peak.rss, m.rss)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	cpu0 := processCPU()
	rep, err := loadtest.Run(context.Background(), loadtest.Options{
		BaseURL: ls.url, Clients: clients, Writers: writers, Duration: dur, Requests: requests, Seed: 1,
	})
	cpu := processCPU() - cpu0
	close(stop)
	sampler.Wait()
	if err != nil {
		t.Fatal(err)
	}
	// On a shared machine the process gets what other jobs leave: the
	// CPU it used says how busy the machine was.
	t.Logf("CPU used by server and clients: %.1f s in %.1f s (%.2f of %d cores)",
		cpu.Seconds(), rep.Elapsed.Seconds(), cpu.Seconds()/rep.Elapsed.Seconds(), runtime.NumCPU())
	runtime.GC()
	m1 := readMem()

	t.Logf("load test (%s, GOMAXPROCS %d):\n%s", study, runtime.GOMAXPROCS(0), rep)
	t.Logf("memory: HeapInuse %.0f MB before, peak %.0f MB, %.0f MB after (GC); Sys %.0f MB before, peak %.0f MB; RSS %.0f MB before, peak %.0f MB during, VmHWM (process peak RSS, study loading included) %.0f MB",
		mb(m0.heapInuse), mb(peak.heapInuse), mb(m1.heapInuse), mb(m0.sys), mb(peak.sys), mb(m0.rss), mb(peak.rss), mb(m1.hwm))

	if rep.Failed > 0 {
		t.Errorf("%d of %d requests failed; first: %s", rep.Failed, rep.Requests, strings.Join(rep.Failures, "\n"))
	}
	for _, c := range rep.Classes {
		if c.Requests == 0 {
			t.Errorf("class %q got no requests: the run is too short to cover every endpoint", c.Name)
		}
	}
	if limit := 4*m0.heapInuse + 200<<20; m1.heapInuse > limit {
		t.Errorf("heap in use after the run %.0f MB > 4 × %.0f MB + 200 MB: memory is not released", mb(m1.heapInuse), mb(m0.heapInuse))
	}
	// Every add was undone: the scenario holds the facilities it started
	// with (an undone add leaves nothing behind, so a long session does
	// not grow), and the figures are those before the run.
	if n := nFac(); n != fac0 {
		t.Errorf("the scenario holds %d facilities after every add was undone, %d before", n, fac0)
	}
	after := ls.currentSummary()
	if after.Edits != 0 {
		t.Errorf("%d edits left after every add was undone", after.Edits)
	}
	a, _ := json.Marshal(before)
	b, _ := json.Marshal(after)
	if !sameSummary(t, string(a), string(b)) {
		t.Errorf("summary after the load differs from before:\n%s\n%s", shorten(string(a), 800), shorten(string(b), 800))
	}
}

// rawConn is a client that writes exactly the bytes it is given.
func rawConn(tb testing.TB, addr string) net.Conn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// trickle writes b one byte every gap until the server closes the
// connection (or stop is closed); it reports how many bytes went out.
func trickle(c net.Conn, b []byte, gap time.Duration, stop <-chan struct{}) int {
	for i := range b {
		select {
		case <-stop:
			return i
		case <-time.After(gap):
		}
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(b[i : i+1]); err != nil {
			return i
		}
	}
	return len(b)
}

// readAnswer reads what the server sends until it closes the connection
// (or wait passes): the status line's code (0 when none came) and
// whether the connection was closed by the server.
func readAnswer(c net.Conn, wait time.Duration) (status int, closed bool, body string) {
	c.SetReadDeadline(time.Now().Add(wait))
	b, err := io.ReadAll(c)
	s := string(b)
	if strings.HasPrefix(s, "HTTP/1.1 ") && len(s) >= 12 {
		status, _ = strconv.Atoi(s[9:12])
	}
	var ne net.Error
	closed = err == nil || !(errors.As(err, &ne) && ne.Timeout())
	if i := strings.Index(s, "\r\n\r\n"); i >= 0 {
		body = s[i+4:]
	}
	return status, closed, body
}

// TestSlowClientsCutOff: clients that send their headers or body byte by
// byte (slowloris) are cut off by the read timeouts, while other clients
// keep being served; oversized bodies get 413 without the server reading
// them, oversized headers 431. The server is built through the same
// Config.Timeouts and HTTPServer as `lifecircle serve`, with short
// timeouts.
func TestSlowClientsCutOff(t *testing.T) {
	to := Timeouts{ReadHeader: 400 * time.Millisecond, Read: 1500 * time.Millisecond, Write: 10 * time.Second, Idle: 2 * time.Second}
	ls := startLive(t, sampleInput(t), Config{Timeouts: to}, "", true)
	if ls.hs.ReadHeaderTimeout != to.ReadHeader || ls.hs.ReadTimeout != to.Read || ls.hs.MaxHeaderBytes != maxHeaderBytes {
		t.Fatalf("HTTPServer does not take Config.Timeouts: %+v", ls.hs)
	}
	if d := (Timeouts{}).orDefault(); d != DefaultTimeouts || d.ReadHeader == 0 || d.Read == 0 || d.Write == 0 || d.Idle == 0 {
		t.Fatalf("zero timeouts give %+v, want the defaults %+v", d, DefaultTimeouts)
	}

	// Well-behaved clients poll the server the whole time.
	stopGood := make(chan struct{})
	var good, goodFailed atomic.Int64
	var firstGoodErr atomic.Value
	var gw sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for g := 0; g < 4; g++ {
		gw.Add(1)
		go func() {
			defer gw.Done()
			for {
				select {
				case <-stopGood:
					return
				default:
				}
				resp, err := client.Get(ls.url + "/ogc/collections/cells/items?limit=50")
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					goodFailed.Add(1)
					firstGoodErr.CompareAndSwap(nil, err.Error())
				} else {
					good.Add(1)
				}
			}
		}()
	}

	header := []byte("GET /api/summary HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\nAccept: */*\r\nX-Padding: " + strings.Repeat("a", 100) + "\r\n\r\n")
	t.Run("slow headers", func(t *testing.T) {
		// 20 connections, each sending a byte every 50 ms: all of the
		// header would take 8 s; the server must close long before.
		var wg sync.WaitGroup
		var sent [20]int
		var closed [20]bool
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := rawConn(t, ls.addr)
				stop := make(chan struct{})
				done := make(chan int, 1)
				go func() { done <- trickle(c, header, 50*time.Millisecond, stop) }()
				_, closed[i], _ = readAnswer(c, 6*time.Second)
				close(stop)
				sent[i] = <-done
			}()
		}
		wg.Wait()
		for i := range 20 {
			if !closed[i] || sent[i] >= len(header) {
				t.Errorf("slow client %d: closed %v after %d of %d header bytes; want the server to cut it off before the end", i, closed[i], sent[i], len(header))
			}
		}
	})
	t.Run("slow body", func(t *testing.T) {
		c := rawConn(t, ls.addr)
		body := `{"op":"add","type":"market","lon":24.94,"lat":60.17,"name":"` + strings.Repeat("x", 200) + `"}`
		fmt.Fprintf(c, "POST /api/scenario HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
		stop := make(chan struct{})
		done := make(chan int, 1)
		go func() { done <- trickle(c, []byte(body), 50*time.Millisecond, stop) }()
		status, closed, msg := readAnswer(c, 8*time.Second)
		close(stop)
		n := <-done
		if !closed || n >= len(body) {
			t.Errorf("slow body: closed %v after %d of %d body bytes; want it cut off", closed, n, len(body))
		}
		// The handler is reading the body when the read deadline passes:
		// it answers 408 with the JSON error shape, then the server closes.
		if status != http.StatusRequestTimeout || !strings.Contains(msg, `"code":"timeout"`) {
			t.Errorf("slow body answered %d %q, want 408 with code timeout", status, msg)
		}
	})
	t.Run("oversized body declared", func(t *testing.T) {
		for _, target := range []string{"/api/scenario", "/api/propose", "/api/scenario/save", "/api/layer?name=big.geojson"} {
			c := rawConn(t, ls.addr)
			// Declare 100 MB, send 64 KiB of it and wait: the answer must
			// come without the rest.
			fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", target, 100<<20)
			c.Write([]byte(strings.Repeat(" ", 64<<10)))
			status, _, msg := readAnswer(c, 5*time.Second)
			if status != http.StatusRequestEntityTooLarge || !strings.Contains(msg, `"code":"too_large"`) {
				t.Errorf("%s with 100 MB declared: %d %q, want 413 too_large before the body is sent", target, status, shorten(msg, 200))
			}
		}
	})
	t.Run("oversized body chunked", func(t *testing.T) {
		c := rawConn(t, ls.addr)
		fmt.Fprintf(c, "POST /api/scenario HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
		chunk := strings.Repeat("a", 64<<10)
		// A JSON string of 2 MiB in chunks, twice the JSON limit; the
		// server may close before all of it is written.
		go func() {
			fmt.Fprintf(c, "14\r\n{\"op\":\"add\",\"name\":\"\r\n")
			for range 32 {
				c.SetWriteDeadline(time.Now().Add(5 * time.Second))
				if _, err := fmt.Fprintf(c, "%x\r\n%s\r\n", len(chunk), chunk); err != nil {
					return
				}
			}
		}()
		status, _, msg := readAnswer(c, 5*time.Second)
		if status != http.StatusRequestEntityTooLarge || !strings.Contains(msg, `"code":"too_large"`) {
			t.Errorf("chunked 2 MiB body: %d %q, want 413 too_large", status, shorten(msg, 200))
		}
	})
	t.Run("oversized headers", func(t *testing.T) {
		c := rawConn(t, ls.addr)
		fmt.Fprintf(c, "GET /api/summary HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: %s\r\n\r\n", strings.Repeat("h", 2*maxHeaderBytes))
		status, _, _ := readAnswer(c, 5*time.Second)
		if status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("128 KiB of headers: %d, want 431", status)
		}
	})
	close(stopGood)
	gw.Wait()
	if good.Load() == 0 || goodFailed.Load() > 0 {
		t.Errorf("other clients: %d served, %d failed (first: %v) while slow clients were cut off", good.Load(), goodFailed.Load(), firstGoodErr.Load())
	}
	t.Logf("other clients were served %d times while slow and oversized clients were cut off", good.Load())
	if strings.Contains(ls.logs.String(), "level=ERROR") {
		t.Errorf("internal errors logged:\n%s", shorten(ls.logs.String(), 3000))
	}
}

// processCPU returns the user and system CPU time this process used so
// far (0 where getrusage is not available).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
