package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data/synth"
)

// interruptLimit is issue 16's contract: Ctrl-C stops any verb within a
// second.
const interruptLimit = time.Second

// interruptCase interrupts one verb in one phase.
type interruptCase struct {
	name  string
	args  []string // after the verb's name; OUT is replaced by the output path
	phase string   // the progress step interrupted: its line must not appear
	// The phase has begun when the progress line of the step before it
	// (after) appears on stderr, when the OSM extract is open (osmOpen),
	// or when the run's temporary output exists (writing).
	after   string
	osmOpen bool
	writing bool
	out     string // output name in the folder: "out" (a folder) or a file
	// batch is the batch file's entry (audit --batch): the output is the
	// batch folder, whose entry "city" is written last time by the sample.
	batch string
}

// tmpName matches the temporary output of process pid.
func (tc interruptCase) tmpName(pid int) (sub string, re *regexp.Regexp) {
	base := tc.out
	if tc.batch != "" {
		sub, base = tc.out, "city"
	}
	return sub, regexp.MustCompile(fmt.Sprintf(`^\.%s\.tmp-%d-`, regexp.QuoteMeta(base), pid))
}

// TestInterruptEachPhase sends SIGINT (Ctrl-C) to audit, nearest and
// propose on a generated city of 300,000 street nodes and 100,000
// residents' points, once in each long phase (reading the OSM extract,
// reading a large layer, the search, the proposals, writing), as soon as
// the phase has begun. Each run must exit within interruptLimit with code
// 130, without finishing the phase, and leave the output as it was before
// (a previous output, byte for byte) with no temporary beside it.
func TestInterruptEachPhase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and a generated city")
	}
	bin := buildBinary(t)
	city := t.TempDir()
	if _, err := synth.Generate(city, synth.Options{Nodes: 300_000, Facilities: 600, Points: 100_000, Candidates: 3000, Seed: 16}); err != nil {
		t.Fatal(err)
	}
	in := func(name string) string { return filepath.Join(city, name) }
	osmArgs := []string{"--osm", in(synth.FileCity)}
	auditArgs := append(osmArgs, "--amenities", in(synth.FileFacilities), "--population", in(synth.FilePoints), "--out", "OUT")
	nearestArgs := append(osmArgs, "--facilities", in(synth.FileFacilities), "--points", in(synth.FilePointsCSV), "--out", "OUT")
	proposeArgs := append(osmArgs, "--amenities", in(synth.FileFacilities), "--population", in(synth.FilePointsCSV),
		"--candidates", in(synth.FileCandidates), "--type", "clinic", "--k", "50", "--out", "OUT")
	cases := []interruptCase{
		{name: "audit/read OSM", args: auditArgs, phase: "read OpenStreetMap", osmOpen: true, out: "out"},
		{name: "audit/read population", args: auditArgs, phase: "read population", after: "read amenity layers", out: "out"},
		{name: "audit/search", args: auditArgs, phase: "walkable coverage", after: "estimate residents", out: "out"},
		{name: "audit/write", args: auditArgs, phase: "write outputs", writing: true, out: "out"},
		{name: "nearest/read OSM", args: nearestArgs, phase: "read OSM walk network", osmOpen: true, out: "near.csv"},
		{name: "nearest/snap", args: nearestArgs, phase: "snap", after: "read points", out: "near.csv"},
		{name: "nearest/search", args: nearestArgs, phase: "search", after: "snap", out: "near.csv"},
		{name: "propose/proposals", args: proposeArgs, phase: "coverage sets and solve", after: "read candidates", out: "out"},
		{name: "audit/batch entry write", args: []string{"--quiet", "--batch", "BATCH", "--out", "OUT"}, phase: "batch", writing: true, out: "runs",
			batch: fmt.Sprintf("- {name: city, osm: %s, amenities: [%s], population: %s}\n", in(synth.FileCity), in(synth.FileFacilities), in(synth.FilePoints))},
	}
	var mu sync.Mutex
	var lines []string
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			verb, _, _ := strings.Cut(tc.name, "/")
			dir := t.TempDir()
			out := filepath.Join(dir, tc.out)
			// A previous output of the same verb, which must survive.
			var prev string
			batchDir := t.TempDir()
			batchFile := filepath.Join(batchDir, "batch.yaml")
			if tc.batch != "" {
				writeFile(t, batchDir, "batch.yaml", "- {name: city, sample: true}\n")
				if _, stderr, code := runBinary(t, bin, "audit", "--quiet", "--batch", batchFile, "--out", out); code != 0 {
					t.Fatalf("previous batch: exit %d: %s", code, stderr)
				}
				prev = snapshotOutput(t, out)
				writeFile(t, batchDir, "batch.yaml", tc.batch)
			} else {
				prev = previousOutput(t, bin, verb, out)
			}
			args := []string{verb}
			for _, a := range tc.args {
				switch a {
				case "OUT":
					a = out
				case "BATCH":
					a = batchFile
				}
				args = append(args, a)
			}
			res := interruptRun(t, bin, args, tc, dir)
			how := "the verb stopped"
			if strings.Contains(res.stderr, "without waiting") {
				how = "forced exit after the grace period"
			}
			t.Logf("SIGINT %v after start, %v after the phase began; exit %d %v later (%s)", res.sent.Round(time.Millisecond), (res.sent - res.began).Round(time.Millisecond), res.code, res.latency.Round(time.Millisecond), how)
			mu.Lock()
			lines = append(lines, fmt.Sprintf("%-24s exit %3d after %v (phase began %v after start; %s)", tc.name, res.code, res.latency.Round(time.Millisecond), res.began.Round(time.Millisecond), how))
			mu.Unlock()
			if res.code != 130 {
				t.Errorf("exit %d, want 130 (interrupted); stderr:\n%s", res.code, res.stderr)
			}
			if res.latency > interruptLimit {
				t.Errorf("exited %v after SIGINT, want within %v; stderr:\n%s", res.latency, interruptLimit, res.stderr)
			}
			if strings.Contains(res.stderr, "\n"+tc.phase+" ") || strings.HasPrefix(res.stderr, tc.phase+" ") {
				t.Errorf("phase %q finished although interrupted when it began: the test did not interrupt it; stderr:\n%s", tc.phase, res.stderr)
			}
			if !strings.Contains(res.stderr, "interrupted") || !strings.Contains(res.stderr, "untouched") {
				t.Errorf("stderr does not say the run was interrupted and the output untouched:\n%s", res.stderr)
			}
			// The previous output, as it was, and nothing beside it.
			if now := snapshotOutput(t, out); now != prev {
				t.Errorf("the output %s changed:\nbefore %s\nafter  %s", out, prev, now)
			}
			if names := dirNames(t, dir); len(names) != 1 || names[0] != tc.out {
				t.Errorf("the output's folder holds %v after the interrupt, want only %s (a temporary left behind)", names, tc.out)
			}
		})
	}
	t.Logf("exit latencies after SIGINT (limit %v):\n%s", interruptLimit, strings.Join(lines, "\n"))
}

// previousOutput writes a small output of verb to out (the bundled
// sample) and returns its snapshot.
func previousOutput(t *testing.T, bin, verb, out string) string {
	t.Helper()
	args := []string{verb, "--quiet", "--sample", "--out", out}
	switch verb {
	case "nearest": // a file: any earlier one
		if err := os.WriteFile(out, []byte("id,distance_m,facility_id\np1,12.5,f1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return snapshotOutput(t, out)
	case "propose":
		args = append(args, "--type", "clinic", "--k", "1")
	}
	if _, stderr, code := runBinary(t, bin, args...); code != 0 {
		t.Fatalf("previous output: %v: exit %d: %s", args, code, stderr)
	}
	return snapshotOutput(t, out)
}

// snapshotOutput describes a file, or every file under a folder, by
// its SHA-256.
func snapshotOutput(t *testing.T, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		return "missing: " + err.Error()
	}
	var b strings.Builder
	err := filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		c, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(path, p)
		fmt.Fprintf(&b, "%s=%.12s ", rel, sha256Hex(c))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

type interruptResult struct {
	code                 int
	began, sent, latency time.Duration // phase began and SIGINT sent after start; exit after SIGINT
	stderr               string
}

// interruptRun starts bin with args, sends SIGINT as soon as tc's phase
// has begun, and waits for it to exit.
func interruptRun(t *testing.T, bin string, args []string, tc interruptCase, dir string) interruptResult {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var (
		mu     sync.Mutex
		text   strings.Builder
		seen   = make(chan struct{})
		once   sync.Once
		readed = make(chan struct{})
	)
	go func() {
		defer close(readed)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			text.WriteString(line + "\n")
			mu.Unlock()
			if tc.after != "" && strings.HasPrefix(line, tc.after+" ") {
				once.Do(func() { close(seen) })
			}
		}
	}()
	exited := make(chan error, 1)
	go func() {
		<-readed
		exited <- cmd.Wait()
	}()

	sub, tmp := tc.tmpName(cmd.Process.Pid)
	began := func() bool {
		switch {
		case tc.after != "":
			select {
			case <-seen:
				return true
			default:
				return false
			}
		case tc.osmOpen:
			return fileOpen(cmd.Process.Pid, args)
		case tc.writing:
			for _, n := range dirNamesAll(filepath.Join(dir, sub)) {
				if tmp.MatchString(n) {
					return true
				}
			}
		}
		return false
	}
	// Once begun, the OSM read goes on another 200 ms: well into the
	// step (parsing, then building the network), which lasts seconds.
	var beganAt time.Time
	begun := func() bool {
		if beganAt.IsZero() && began() {
			beganAt = time.Now()
		}
		return !beganAt.IsZero() && (!tc.osmOpen || time.Since(beganAt) >= 200*time.Millisecond)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for !begun() {
		select {
		case err := <-exited:
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("exited (%v) before phase %q began:\n%s", err, tc.phase, text.String())
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("phase %q did not begin within 5 minutes", tc.phase)
		}
		time.Sleep(time.Millisecond)
	}
	res := interruptResult{began: beganAt.Sub(start)}
	sent := time.Now()
	res.sent = sent.Sub(start)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		t.Errorf("still running 30 s after SIGINT")
	}
	res.latency = time.Since(sent)
	res.code = cmd.ProcessState.ExitCode()
	mu.Lock()
	res.stderr = text.String()
	mu.Unlock()
	if strings.Contains(res.stderr, "panic:") || strings.Contains(res.stderr, "goroutine ") {
		t.Fatalf("panicked:\n%s", res.stderr)
	}
	return res
}

// fileOpen reports whether process pid has the file after --osm in args
// open (Linux: /proc/PID/fd).
func fileOpen(pid int, args []string) bool {
	var want string
	for i, a := range args {
		if a == "--osm" && i+1 < len(args) {
			want = args[i+1]
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false
	}
	for _, fd := range fds {
		if p, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && p == want {
			return true
		}
	}
	return false
}

// dirNamesAll lists dir's entries (none when it cannot be read).
func dirNamesAll(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}
