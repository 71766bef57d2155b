package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data/dist/natstest"
	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// distEnv is the environment of one test's processes: its own prefix,
// a short AckWait so that a killed worker's task moves on quickly.
func distEnv(t *testing.T, url string, extra ...string) []string {
	p := natstest.Prefix(t.Name())
	natstest.Cleanup(t, url, p)
	return append(append(os.Environ(), "LIFECIRCLE_NATS_PREFIX="+p, "LIFECIRCLE_NATS_ACK_WAIT=2s"), extra...)
}

// startWorker starts `lifecircle worker` (stopped by SIGTERM at the end
// of the test) and returns it with its log.
func startWorker(t *testing.T, bin, url string, env []string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(bin, "worker", "--nats", url)
	cmd.Env = env
	log := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("worker did not stop within 15 s of SIGTERM:\n%s", log.String())
		}
		if strings.Contains(log.String(), "panic:") {
			t.Errorf("worker panicked:\n%s", log.String())
		}
		if t.Failed() {
			t.Logf("worker log:\n%s", log.String())
		}
	})
	return cmd, log
}

// runWith runs bin with args under env and returns stderr and the exit
// code.
func runWith(t *testing.T, bin string, env []string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	_ = cmd.Run()
	if strings.Contains(errb.String(), "panic:") {
		t.Fatalf("lifecircle %v panicked:\n%s", args, errb.String())
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// waitFor polls cond for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

var createdRe = regexp.MustCompile(`(lang="en">Created</span> )\d{4}-\d\d-\d\d \d\d:\d\d`)

// normalized returns a batch output file without the fields that differ
// between two local runs: created, timings_s and elapsed_s in the JSON
// files, the creation time and the timings table of report.html,
// elapsed_s in
// batch_summary.csv.
// durationRe matches a timing of the report's timings table.
var durationRe = regexp.MustCompile(`<dd>[0-9.,]+ (ms|s)</dd>`)

func normalized(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case strings.HasSuffix(path, ".json"):
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var strip func(any)
		strip = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				delete(v, "created")
				delete(v, "timings_s")
				delete(v, "elapsed_s")
				for _, x := range v {
					strip(x)
				}
			case []any:
				for _, x := range v {
					strip(x)
				}
			}
		}
		strip(v)
		b, _ = json.Marshal(v)
	case filepath.Base(path) == "report.html":
		var keep [][]byte
		for _, l := range bytes.Split(b, []byte("\n")) {
			if !bytes.Contains(l, []byte("<dt>total_before_write</dt>")) {
				l = durationRe.ReplaceAll(l, []byte("<dd>DURATION</dd>"))
				keep = append(keep, createdRe.ReplaceAll(l, []byte("${1}TIME")))
			}
		}
		b = bytes.Join(keep, []byte("\n"))
	case filepath.Base(path) == "batch_summary.csv":
		lines := strings.Split(string(b), "\n")
		for i, l := range lines {
			if j := strings.LastIndexByte(l, ','); j >= 0 {
				lines[i] = l[:j]
			}
		}
		b = []byte(strings.Join(lines, "\n"))
	}
	return b
}

// sameOutputs checks that got holds the files of want, with the same
// content but for the timing fields (normalized).
func sameOutputs(t *testing.T, want, got string) {
	t.Helper()
	files := func(root string) []string {
		var fs_ []string
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(root, p)
				fs_ = append(fs_, rel)
			}
			return nil
		})
		return fs_
	}
	w, g := files(want), files(got)
	if strings.Join(w, " ") != strings.Join(g, " ") {
		t.Fatalf("distributed output files differ from the local ones:\nlocal %v\ndistributed %v", w, g)
	}
	for _, f := range w {
		a, b := normalized(t, filepath.Join(want, f)), normalized(t, filepath.Join(got, f))
		if !bytes.Equal(a, b) {
			i := 0
			for i < min(len(a), len(b)) && a[i] == b[i] {
				i++
			}
			from := max(i-200, 0)
			t.Errorf("%s differs from the local batch's (beyond timing fields) at byte %d:\nlocal …%s…\ndistributed …%s…", f, i, a[from:min(i+200, len(a))], b[from:min(i+200, len(b))])
		}
	}
	if len(w) < 10 {
		t.Errorf("only %d output files: %v", len(w), w)
	}
}

var redeliveriesRe = regexp.MustCompile(`(\d+) workers seen, (\d+) redeliveries`)

// lastCounts returns the workers seen and redeliveries of the last
// progress line.
func lastCounts(stderr string) (workers, redeliveries int) {
	m := redeliveriesRe.FindAllStringSubmatch(stderr, -1)
	if len(m) == 0 {
		return -1, -1
	}
	w, _ := strconv.Atoi(m[len(m)-1][1])
	r, _ := strconv.Atoi(m[len(m)-1][2])
	return w, r
}

var runIDRe = regexp.MustCompile(`run (r\d{8}T\d{6}-[0-9a-f]+):`)

// TestDistributedBatch runs the batch of TestAuditBatch (Helsinki with a
// rule it breaks, the Beijing campus from a project file, a missing
// extract) on `lifecircle worker` processes through a real NATS
// JetStream server and compares every output with the local batch's:
// with 1 and 2 workers, with a worker killed (SIGKILL) in the middle of a
// task, with a worker that always fails (the run fails naming the task
// after MaxDeliver), and with bad input: an unreachable server, a stream
// of another schema, a worker of another version.
func TestDistributedBatch(t *testing.T) {
	url := natstest.URL(t)
	helsinki := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	bupt := shareddata.Path(t, "cn_beijing_bupt", "map.osm")
	units := filepath.Join(shareddata.RepoRoot(t), "examples", "district", "units.geojson")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bupt.yaml"), []byte("osm: "+bupt+"\nprofile: 15min\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	batch := filepath.Join(dir, "batch.yaml")
	text := "out: runs\nentries:\n  - name: helsinki\n    osm: " + helsinki + "\n    units: " + units +
		"\n    rules:\n      - {level: community, type: clinic, min: 1}\n  - name: bupt\n    project: bupt.yaml\n  - name: missing\n    osm: no-such-extract.osm.pbf\n"
	if err := os.WriteFile(batch, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "runs")
	local := filepath.Join(dir, "local")
	if _, stderr, code := runCLI(t, "audit", "--quiet", "--batch", batch); code != 1 {
		t.Fatalf("local batch: exit %d, want 1 (the missing extract)\n%s", code, stderr)
	}
	if err := os.Rename(out, local); err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t)
	other := filepath.Join(t.TempDir(), "lifecircle-other")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	if b, err := exec.Command(goTool, "build", "-ldflags", "-X main.version=other-9.9", "-o", other, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	distributedAt := func(t *testing.T, url string, env []string) (string, int) {
		t.Helper()
		os.RemoveAll(out)
		_, stderr, code := runWith(t, bin, env, "audit", "--batch", batch, "--distributed", url)
		return stderr, code
	}
	distributed := func(t *testing.T, env []string) (string, int) {
		t.Helper()
		return distributedAt(t, url, env)
	}

	for _, n := range []int{1, 2} {
		t.Run(strconv.Itoa(n)+" workers", func(t *testing.T) {
			env := distEnv(t, url)
			for range n {
				startWorker(t, bin, url, env)
			}
			stderr, code := distributed(t, env)
			if code != 1 || !strings.Contains(stderr, "1 of 3 batch entries failed: missing (") {
				t.Fatalf("exit %d, want 1 with the missing entry failed as locally:\n%s", code, stderr)
			}
			sameOutputs(t, local, out)
			if !strings.Contains(stderr, "3/3 done") {
				t.Errorf("no progress to 3/3 done:\n%s", stderr)
			}
			m := runIDRe.FindStringSubmatch(stderr)
			if m == nil {
				t.Fatalf("no run id printed:\n%s", stderr)
			}
			status, _, code := runWith(t, bin, env, "worker", "--nats", url, "--status", m[1])
			if code != 0 || !strings.Contains(status, "done 3") || !strings.Contains(status, "helsinki") {
				t.Errorf("--status: exit %d\n%s", code, status)
			}
		})
	}

	t.Run("worker killed mid-task", func(t *testing.T) {
		env := distEnv(t, url)
		a, alog := startWorker(t, bin, url, append(env, "LIFECIRCLE_TEST_WORKER_STALL=60s"))
		type result struct {
			stderr string
			code   int
		}
		done := make(chan result, 1)
		go func() {
			s, c := distributed(t, env)
			done <- result{s, c}
		}()
		waitFor(t, time.Minute, "worker A to start a task", func() bool { return strings.Contains(alog.String(), "test hook: stalling") })
		if err := a.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		startWorker(t, bin, url, env)
		r := <-done
		if r.code != 1 {
			t.Fatalf("exit %d, want 1:\n%s", r.code, r.stderr)
		}
		sameOutputs(t, local, out)
		if w, red := lastCounts(r.stderr); w != 2 || red < 1 {
			t.Errorf("last progress: %d workers seen, %d redeliveries; want 2 and ≥ 1:\n%s", w, red, r.stderr)
		}
	})

	t.Run("worker killed at random points", func(t *testing.T) {
		if testing.Short() {
			t.Skip("10 runs")
		}
		hit := 0
		for i := range 10 {
			env := distEnv(t, url)
			a, _ := startWorker(t, bin, url, env)
			startWorker(t, bin, url, env)
			done := make(chan string, 1)
			go func() {
				s, c := distributed(t, env)
				if c != 1 {
					s = "exit " + strconv.Itoa(c) + "\n" + s
				}
				done <- s
			}()
			time.Sleep(time.Duration(mrand.Int64N(int64(1500 * time.Millisecond))))
			_ = a.Process.Kill()
			stderr := <-done
			if strings.HasPrefix(stderr, "exit ") {
				t.Fatalf("run %d: %s", i+1, stderr)
			}
			sameOutputs(t, local, out)
			if _, red := lastCounts(stderr); red > 0 {
				hit++
			}
		}
		t.Logf("10 runs with a worker killed at a random point: %d killed it in the middle of a task (redelivered)", hit)
	})

	t.Run("worker stopped by SIGTERM mid-task", func(t *testing.T) {
		// A long lease: the task must come back because the worker gives
		// it back, not because its lease ran out.
		env := distEnv(t, url, "LIFECIRCLE_NATS_ACK_WAIT=90s")
		a, alog := startWorker(t, bin, url, append(env, "LIFECIRCLE_TEST_WORKER_STALL=90s"))
		type result struct {
			stderr string
			code   int
		}
		done := make(chan result, 1)
		t0 := time.Now()
		go func() {
			s, c := distributed(t, env)
			done <- result{s, c}
		}()
		waitFor(t, time.Minute, "worker A to start a task", func() bool { return strings.Contains(alog.String(), "test hook: stalling") })
		if err := a.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "worker A to stop", func() bool { return strings.Contains(alog.String(), "worker stopped") })
		if !strings.Contains(alog.String(), "task given back") {
			t.Errorf("worker A did not give its task back:\n%s", alog.String())
		}
		startWorker(t, bin, url, env)
		r := <-done
		if r.code != 1 || time.Since(t0) > 60*time.Second {
			t.Fatalf("exit %d after %v, want 1 well before the 90 s lease ends:\n%s", r.code, time.Since(t0), r.stderr)
		}
		sameOutputs(t, local, out)
	})

	t.Run("NATS server restarted during the run", func(t *testing.T) {
		srv := natstest.Start(t)
		env := distEnv(t, srv.URL, "LIFECIRCLE_NATS_ACK_WAIT=5s")
		_, alog := startWorker(t, bin, srv.URL, append(env, "LIFECIRCLE_TEST_WORKER_STALL=3s"))
		type result struct {
			stderr string
			code   int
		}
		done := make(chan result, 1)
		go func() {
			s, c := distributedAt(t, srv.URL, env)
			done <- result{s, c}
		}()
		waitFor(t, time.Minute, "the worker to start a task", func() bool { return strings.Contains(alog.String(), "test hook: stalling") })
		srv.Restart(t, time.Second)
		r := <-done
		if r.code != 1 {
			t.Fatalf("exit %d, want 1:\n%s", r.code, r.stderr)
		}
		t.Logf("coordinator:\n%s\nworker:\n%s", r.stderr, alog.String())
		sameOutputs(t, local, out)
	})

	t.Run("worker fails every time", func(t *testing.T) {
		env := distEnv(t, url, "LIFECIRCLE_NATS_MAX_DELIVER=2")
		startWorker(t, bin, url, append(env, "LIFECIRCLE_TEST_WORKER_FAIL=simulated disk failure"))
		stderr, code := distributed(t, env)
		if code != 1 || !regexp.MustCompile(`task t000\d \(batch entry \w+\) of run \S+ failed after 2 deliveries \(MaxDeliver 2\): simulated disk failure`).MatchString(stderr) {
			t.Fatalf("exit %d, want 1 naming the task, MaxDeliver and its error:\n%s", code, stderr)
		}
		if _, err := os.Stat(filepath.Join(out, "batch_summary.csv")); err == nil {
			t.Errorf("a failed run wrote batch_summary.csv")
		}
		m := runIDRe.FindStringSubmatch(stderr)
		if m == nil {
			t.Fatalf("no run id:\n%s", stderr)
		}
		status, _, _ := runWith(t, bin, env, "worker", "--nats", url, "--status", m[1])
		if !strings.Contains(status, "failed") || !strings.Contains(status, "simulated disk failure") {
			t.Errorf("--status does not show the failed task and its error:\n%s", status)
		}
	})

	t.Run("worker of another version", func(t *testing.T) {
		env := distEnv(t, url, "LIFECIRCLE_NATS_MAX_DELIVER=2")
		startWorker(t, other, url, env)
		stderr, code := distributed(t, env)
		if code != 1 || !strings.Contains(stderr, "runs lifecircle other-9.9") || !strings.Contains(stderr, "made by lifecircle dev") {
			t.Fatalf("exit %d, want 1 with the refusal:\n%s", code, stderr)
		}
	})

	t.Run("unreachable server", func(t *testing.T) {
		t0 := time.Now()
		_, stderr, code := runWith(t, bin, os.Environ(), "audit", "--batch", batch, "--distributed", "nats://127.0.0.1:1")
		if code != 1 || !strings.Contains(stderr, "cannot reach NATS at nats://127.0.0.1:1") || time.Since(t0) > 15*time.Second {
			t.Errorf("exit %d after %v, want 1 quickly:\n%s", code, time.Since(t0), stderr)
		}
		_, stderr, code = runWith(t, bin, os.Environ(), "worker", "--nats", "nats://127.0.0.1:1")
		if code != 1 || !strings.Contains(stderr, "cannot reach NATS") {
			t.Errorf("worker: exit %d:\n%s", code, stderr)
		}
	})

	t.Run("stream of another schema", func(t *testing.T) {
		env := distEnv(t, url)
		prefix := strings.TrimPrefix(env[len(env)-2], "LIFECIRCLE_NATS_PREFIX=")
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: prefix + "_TASKS_V1", Description: "lifecircle tasks, schema 2",
			Subjects: []string{prefix + ".v1.tasks.>"}, Retention: jetstream.WorkQueuePolicy}); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"audit", "--batch", batch, "--distributed", url}, {"worker", "--nats", url}} {
			_, stderr, code := runWith(t, bin, env, args...)
			if code != 1 || !strings.Contains(stderr, "is not a lifecircle task stream of schema 1") || !strings.Contains(stderr, "schema 2") {
				t.Errorf("%s: exit %d:\n%s", args[0], code, stderr)
			}
		}
	})
}
