package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var openLine = regexp.MustCompile(`open (http://[^ ]+/) in a browser`)

// startServe runs `lifecircle serve args...` until the test ends or stop
// is called; it returns the URL the command printed.
func startServe(t *testing.T, args ...string) (base string, stderr *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout syncBuffer
	stderr = &syncBuffer{}
	code := make(chan int, 1)
	go func() { code <- run(ctx, append([]string{"serve"}, args...), &stdout, stderr) }()
	deadline := time.Now().Add(60 * time.Second)
	for base == "" {
		if m := openLine.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case c := <-code:
			cancel()
			t.Fatalf("serve exited with %d before listening:\n%s", c, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start:\n%s", stderr.String())
		}
	}
	stopped := false
	var exit int
	stop = func() int {
		if stopped {
			return exit
		}
		stopped = true
		cancel() // as SIGINT/SIGTERM cancel main's context
		select {
		case exit = <-code:
		case <-time.After(20 * time.Second):
			t.Fatalf("serve did not shut down:\n%s", stderr.String())
		}
		if strings.Contains(stderr.String(), "panic:") {
			t.Fatalf("serve panicked:\n%s", stderr.String())
		}
		if stdout.String() != "" {
			t.Errorf("serve wrote to stdout: %q", stdout.String())
		}
		return exit
	}
	t.Cleanup(func() { stop() })
	return base, stderr, stop
}

func httpDo(t *testing.T, method, url, body string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeSample starts `lifecircle serve` with no inputs: it serves the
// bundled sample on loopback, answers the page, the OGC API and the JSON
// API, logs each request, and stops cleanly when its context ends.
func TestServeSample(t *testing.T) {
	base, stderr, stop := startServe(t, "--addr", "127.0.0.1:0", "--workspace", t.TempDir())
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("URL %s, want loopback", base)
	}
	if !strings.Contains(stderr.String(), "serving the bundled sample") {
		t.Errorf("serve does not say it uses the sample:\n%s", stderr.String())
	}
	if code, body := httpDo(t, "GET", base+"healthz", "", nil); code != 200 || body != "ok\n" {
		t.Errorf("healthz: %d %q", code, body)
	}
	if code, body := httpDo(t, "GET", base, "", nil); code != 200 || !strings.Contains(body, "<html") {
		t.Errorf("page: %d", code)
	}
	code, body := httpDo(t, "GET", base+"api/summary", "", nil)
	var sum struct {
		Population float64 `json:"population"`
		UnitsKind  string  `json:"units_kind"`
		Types      []struct {
			ID         string  `json:"id"`
			Covered    float64 `json:"population_covered"`
			Facilities int     `json:"facilities"`
		} `json:"types"`
		EditEnabled bool `json:"edit_enabled"`
	}
	if err := json.Unmarshal([]byte(body), &sum); code != 200 || err != nil {
		t.Fatalf("summary: %d %v %s", code, err, body)
	}
	// The same figures as `lifecircle audit --sample`.
	out, _, c := runCLI(t, "audit", "--sample", "--quiet", "--out", filepath.Join(t.TempDir(), "audit"))
	if c != 0 || !strings.Contains(out, fmt.Sprintf("%.0f residents", sum.Population)) || sum.UnitsKind != "cells" || !sum.EditEnabled {
		t.Errorf("serve summary (population %.0f, %s) does not match audit --sample:\n%s", sum.Population, sum.UnitsKind, out)
	}
	if code, body := httpDo(t, "GET", base+"ogc/collections/cells/items?limit=2", "", nil); code != 200 || !strings.Contains(body, `"numberMatched"`) {
		t.Errorf("items: %d %s", code, body)
	}
	code, body = httpDo(t, "POST", base+"api/scenario", `{"op":"add","type":"elderly","lon":24.945,"lat":60.17}`, map[string]string{"Content-Type": "application/json"})
	if code != 200 || !strings.Contains(body, `"op":"add"`) {
		t.Errorf("scenario add: %d %s", code, body)
	}
	if exit := stop(); exit != 0 {
		t.Errorf("exit %d after shutdown:\n%s", exit, stderr.String())
	}
	logs := stderr.String()
	for _, want := range []string{"method=GET path=/healthz status=200 duration=", "method=POST path=/api/scenario status=200", "shutting down"} {
		if !strings.Contains(logs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, logs)
		}
	}
	if _, err := net.DialTimeout("tcp", strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/"), time.Second); err == nil {
		t.Error("the port still accepts connections after shutdown")
	}
}

// TestServeEditToken binds a non-loopback address: editing needs the
// token, reading does not.
func TestServeEditToken(t *testing.T) {
	edit := `{"op":"add","type":"market","lon":24.945,"lat":60.17}`
	t.Run("no token", func(t *testing.T) {
		base, stderr, _ := startServe(t, "--sample", "--addr", "0.0.0.0:0", "--quiet")
		base = strings.Replace(base, "localhost", "127.0.0.1", 1)
		if !strings.Contains(stderr.String(), "read-only") {
			t.Errorf("no read-only notice:\n%s", stderr.String())
		}
		if code, body := httpDo(t, "POST", base+"api/scenario", edit, nil); code != 403 || !strings.Contains(body, `"forbidden"`) {
			t.Errorf("edit without token: %d %s", code, body)
		}
		if code, _ := httpDo(t, "GET", base+"api/summary", "", nil); code != 200 {
			t.Errorf("summary: %d", code)
		}
	})
	t.Run("token", func(t *testing.T) {
		t.Setenv("LIFECIRCLE_EDIT_TOKEN", "from-env")
		base, _, _ := startServe(t, "--sample", "--addr", "0.0.0.0:0", "--edit-token", "t0ken", "--quiet")
		base = strings.Replace(base, "localhost", "127.0.0.1", 1)
		if code, _ := httpDo(t, "POST", base+"api/scenario", edit, map[string]string{"Authorization": "Bearer from-env"}); code != 403 {
			t.Errorf("the flag must win over the environment: %d", code)
		}
		if code, body := httpDo(t, "POST", base+"api/scenario", edit, map[string]string{"Authorization": "Bearer t0ken"}); code != 200 {
			t.Errorf("edit with token: %d %s", code, body)
		}
	})
}

// TestServeWorkspaceDefault: with a project file, scenarios are saved in
// the project's folder.
func TestServeWorkspaceDefault(t *testing.T) {
	dir := t.TempDir()
	proj := filepath.Join(dir, "lifecircle.yaml")
	if err := os.WriteFile(proj, []byte("name: test\nsample: true\ncell: 200\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base, _, _ := startServe(t, "-c", proj, "--addr", "127.0.0.1:0", "--quiet")
	code, body := httpDo(t, "POST", base+"api/scenario/save", `{"name":"plan-a"}`, nil)
	if code != 200 {
		t.Fatalf("save: %d %s", code, body)
	}
	for _, f := range []string{"scenario.json", "facilities.geojson"} {
		if _, err := os.Stat(filepath.Join(dir, "scenarios", "plan-a", f)); err != nil {
			t.Errorf("saved file: %v", err)
		}
	}
}

func TestServeBadUsage(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad tiles", []string{"--tiles", "ftp://tiles.example/{z}/{x}/{y}.png"}, exitUsage, "--tiles"},
		{"tiles without placeholders", []string{"--tiles", "https://tiles.example/map.png"}, exitUsage, "{z}"},
		{"bad addr", []string{"--addr", "nonsense"}, exitUsage, "--addr"},
		{"sample and osm", []string{"--sample", "--osm", "x.osm.pbf"}, exitUsage, "--sample"},
		{"extra argument", []string{"now"}, exitUsage, "unexpected argument"},
		{"port in use", []string{"--addr", busy.Addr().String(), "--quiet"}, exitRuntime, "another server"},
		{"missing osm", []string{"--osm", "/no/such/file.osm.pbf", "--addr", "127.0.0.1:0"}, exitRuntime, "file.osm.pbf"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, append([]string{"serve"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d (want %d), stderr lacks %q:\n%s", code, tc.code, tc.want, stderr)
			}
		})
	}
	_, stderr, code := runCLI(t, "serve", "-h")
	if code != 0 || !strings.Contains(stderr, "--edit-token") || !strings.Contains(stderr, "OAPIF") {
		t.Errorf("serve -h: %d\n%s", code, stderr)
	}
}
