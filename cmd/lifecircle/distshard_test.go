package main

import (
	"bytes"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data/dist/natstest"
	"github.com/lifecircle/lifecircle/data/shareddata"
)

// sameAudit checks that the audit folder got holds want's files, byte
// for byte but for the timings and creation time of summary.json and
// report.html (normalized).
func sameAudit(t *testing.T, want, got string) {
	t.Helper()
	entries, err := os.ReadDir(want)
	if err != nil {
		t.Fatal(err)
	}
	gotEntries, _ := os.ReadDir(got)
	if len(gotEntries) != len(entries) || len(entries) < 5 {
		t.Fatalf("%d output files, want the single run's %d", len(gotEntries), len(entries))
	}
	for _, de := range entries {
		a, b := filepath.Join(want, de.Name()), filepath.Join(got, de.Name())
		var x, y []byte
		if strings.HasSuffix(de.Name(), ".json") || de.Name() == "report.html" {
			x, y = normalized(t, a), normalized(t, b)
		} else {
			x, _ = os.ReadFile(a)
			y, _ = os.ReadFile(b)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs from the single-process audit's", de.Name())
		}
	}
}

var shardsDoneRe = regexp.MustCompile(`tasks (\d+)/(\d+) done`)

// TestDistributedShards audits the Helsinki and Monaco extracts (Monaco
// with its two levels of administrative units) on 1, 2 and 4 worker
// processes through a real NATS JetStream server, in 4 to 64 shards, and
// on an embedded server (--workers without --distributed); every output
// is the single-process audit's, byte for byte, and so is the table on
// stdout.
func TestDistributedShards(t *testing.T) {
	url := natstest.URL(t)
	bin := buildBinary(t)
	for _, x := range []struct {
		name string
		args []string
	}{
		{"helsinki", []string{"--osm", shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")}},
		{"monaco", []string{"--osm", shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf"), "--units-osm", "admin_level=8,10"}},
	} {
		dir := t.TempDir()
		single := filepath.Join(dir, "single")
		args := append(append([]string{"audit"}, x.args...), "--out")
		want, stderr, code := runWith(t, bin, os.Environ(), append(args, single, "--quiet")...)
		if code != 0 {
			t.Fatalf("%s single: exit %d\n%s", x.name, code, stderr)
		}
		for _, c := range []struct{ workers, shards int }{{1, 4}, {2, 16}, {4, 64}, {1, 64}} {
			t.Run(x.name+" "+strconv.Itoa(c.workers)+" workers "+strconv.Itoa(c.shards)+" shards", func(t *testing.T) {
				out := filepath.Join(dir, "dist")
				os.RemoveAll(out)
				env := distEnv(t, url)
				got, stderr, code := runWith(t, bin, env, append(args, out, "--distributed", url,
					"--workers", strconv.Itoa(c.workers), "--shards", strconv.Itoa(c.shards))...)
				if code != 0 {
					t.Fatalf("exit %d\n%s", code, stderr)
				}
				sameAudit(t, single, out)
				if got != want {
					t.Errorf("stdout differs:\n%s\nvs\n%s", got, want)
				}
				m := shardsDoneRe.FindAllStringSubmatch(stderr, -1)
				if len(m) == 0 || m[len(m)-1][1] != m[len(m)-1][2] || m[len(m)-1][1] == "1" {
					t.Fatalf("no progress to all of several shard tasks done:\n%s", stderr)
				}
				run := runIDRe.FindStringSubmatch(stderr)
				if run == nil {
					t.Fatalf("no run id:\n%s", stderr)
				}
				status, _, _ := runWith(t, bin, env, "worker", "--nats", url, "--status", run[1])
				if !strings.Contains(status, "done): done "+m[len(m)-1][1]) || !strings.Contains(status, "shard 1 of ") {
					t.Errorf("--status of run %s:\n%s", run[1], status)
				}
			})
		}
		t.Run(x.name+" embedded server", func(t *testing.T) {
			out := filepath.Join(dir, "embedded")
			got, stderr, code := runWith(t, bin, os.Environ(), append(args, out, "--workers", "2")...)
			if code != 0 || got != want {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			sameAudit(t, single, out)
		})
	}
}

// TestBatchLocalWorkers: `audit --batch FILE --workers 2` runs the batch
// on two local workers and an embedded NATS server, with the outputs of a
// local batch.
func TestBatchLocalWorkers(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	batch := filepath.Join(dir, "b.yaml")
	text := "out: runs\nentries:\n  - name: helsinki\n    osm: " + shareddata.Path(t, "helsinki", "Helsinki.osm.pbf") +
		"\n  - name: monaco\n    osm: " + shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf") + "\n"
	if err := os.WriteFile(batch, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, local := filepath.Join(dir, "runs"), filepath.Join(dir, "local")
	if _, stderr, code := runWith(t, bin, os.Environ(), "audit", "--quiet", "--batch", batch, "--out", out); code != 0 {
		t.Fatalf("local batch: exit %d\n%s", code, stderr)
	}
	if err := os.Rename(out, local); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runWith(t, bin, os.Environ(), "audit", "--batch", batch, "--out", out, "--workers", "2")
	if code != 0 || !strings.Contains(stderr, "2/2 done, 0 running, 2 workers seen") && !strings.Contains(stderr, "2/2 done, 0 running, 1 workers seen") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	sameOutputs(t, local, out)
}

// TestDistributedShardFaults: a worker killed (SIGKILL) at random points
// of a run, each time while it holds a shard task, leaves outputs identical
// to the single run's (its task is redelivered), and so does a restart of
// the NATS server (file storage) in the middle of a run; a worker that fails every
// task fails the run after MaxDeliver deliveries, naming the shard task,
// and writes nothing; an unreachable server is a quick error; bad
// --workers values are usage errors.
func TestDistributedShardFaults(t *testing.T) {
	url := natstest.URL(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	args := []string{"audit", "--osm", shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf"), "--units-osm", "admin_level=8,10", "--out"}
	single := filepath.Join(dir, "single")
	if _, stderr, code := runWith(t, bin, os.Environ(), append(args, single, "--quiet")...); code != 0 {
		t.Fatalf("single: exit %d\n%s", code, stderr)
	}
	out := filepath.Join(dir, "dist")
	t.Run("worker killed at random points", func(t *testing.T) {
		runs := 5
		if testing.Short() {
			runs = 1
		}
		hit := 0
		for i := range runs {
			env := distEnv(t, url)
			// Both workers hold each task 150 ms before they compute it
			// (Monaco's shards take milliseconds): the run lasts about a
			// second and most kills land while A holds a task.
			stall := append(env, "LIFECIRCLE_TEST_WORKER_STALL=150ms")
			a, alog := startWorker(t, bin, url, stall)
			startWorker(t, bin, url, stall)
			done := make(chan string, 1)
			go func() {
				os.RemoveAll(out)
				_, s, c := runWith(t, bin, env, append(args, out, "--distributed", url, "--shards", "16")...)
				if c != 0 {
					s = "exit " + strconv.Itoa(c) + "\n" + s
				}
				done <- s
			}()
			waitFor(t, time.Minute, "worker A to take a task", func() bool { return strings.Contains(alog.String(), "task started") })
			// A random point of the run, then the first moment A holds a
			// task from there (unless the run ends first).
			time.Sleep(time.Duration(mrand.Int64N(int64(time.Second))))
			var stderr string
			for stderr == "" {
				l := alog.String()
				if strings.Count(l, "task started") > strings.Count(l, "task done") {
					_ = a.Process.Kill()
					stderr = <-done
					break
				}
				select {
				case stderr = <-done:
				case <-time.After(5 * time.Millisecond):
				}
			}
			if strings.HasPrefix(stderr, "exit ") {
				t.Fatalf("run %d: %s", i+1, stderr)
			}
			sameAudit(t, single, out)
			if _, red := lastCounts(stderr); red > 0 {
				hit++
			}
		}
		t.Logf("%d runs with a worker killed at a random point: %d killed it holding a shard task (redelivered)", runs, hit)
		if hit == 0 {
			t.Errorf("no kill landed in the middle of a shard task")
		}
	})
	t.Run("NATS server restarted during the run", func(t *testing.T) {
		srv := natstest.Start(t)
		env := distEnv(t, srv.URL, "LIFECIRCLE_NATS_ACK_WAIT=5s")
		_, alog := startWorker(t, bin, srv.URL, append(env, "LIFECIRCLE_TEST_WORKER_STALL=1s"))
		done := make(chan string, 1)
		go func() {
			os.RemoveAll(out)
			_, s, c := runWith(t, bin, env, append(args, out, "--distributed", srv.URL, "--shards", "4")...)
			if c != 0 {
				s = "exit " + strconv.Itoa(c) + "\n" + s
			}
			done <- s
		}()
		waitFor(t, time.Minute, "the worker to start a task", func() bool { return strings.Contains(alog.String(), "test hook: stalling") })
		srv.Restart(t, time.Second)
		if stderr := <-done; strings.HasPrefix(stderr, "exit ") {
			t.Fatalf("%s\nworker:\n%s", stderr, alog.String())
		}
		sameAudit(t, single, out)
	})
	t.Run("worker fails every time", func(t *testing.T) {
		env := distEnv(t, url, "LIFECIRCLE_NATS_MAX_DELIVER=2")
		startWorker(t, bin, url, append(env, "LIFECIRCLE_TEST_WORKER_FAIL=simulated disk failure"))
		os.RemoveAll(out)
		_, stderr, code := runWith(t, bin, env, append(args, out, "--distributed", url, "--shards", "4")...)
		if code != 1 || !regexp.MustCompile(`task s000\d \(shard \d of \d+ \(cells [-\d]+,[-\d]+ \+\d+\)\) of run \S+ failed after 2 deliveries \(MaxDeliver 2\): simulated disk failure`).MatchString(stderr) {
			t.Fatalf("exit %d, want 1 naming the shard task, MaxDeliver and its error:\n%s", code, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("a failed run wrote %s", out)
		}
	})
	t.Run("unreachable server", func(t *testing.T) {
		t0 := time.Now()
		_, stderr, code := runWith(t, bin, os.Environ(), append(args, out, "--distributed", "nats://127.0.0.1:1")...)
		if code != 1 || !strings.Contains(stderr, "cannot reach NATS at nats://127.0.0.1:1") || time.Since(t0) > 15*time.Second {
			t.Errorf("exit %d after %v, want 1 quickly:\n%s", code, time.Since(t0), stderr)
		}
	})
	t.Run("bad flags", func(t *testing.T) {
		for _, extra := range [][]string{{"--workers", "-1"}, {"--workers", "2", "--db", "postgres://x"}} {
			_, stderr, code := runWith(t, bin, os.Environ(), append(append(args, out), extra...)...)
			if code != 2 || !strings.Contains(stderr, "workers") {
				t.Errorf("%v: exit %d, want a usage error naming --workers:\n%s", extra, code, stderr)
			}
		}
	})
}
