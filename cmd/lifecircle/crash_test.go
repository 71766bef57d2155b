package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/shareddata"
)

// The tests in this file check that outputs survive crashes and faults:
// a process killed at any moment, a directory it may not write, a full
// disk. They run the built binary (buildBinary) as a subprocess.

// publicDir returns a new temporary directory that every user can enter
// and read (t.TempDir's parent is private to root), removed after the test.
func publicDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "lifecircle-crash-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = os.Chmod(dir, 0o755)
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				_ = os.Chmod(p, 0o755)
			}
			return nil
		})
		os.RemoveAll(dir)
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// outputState is what an output directory holds: each file's SHA-256.
type outputState map[string]string

func readState(t *testing.T, dir string) (outputState, error) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	st := outputState{}
	for _, e := range ents {
		if e.IsDir() {
			return nil, fmt.Errorf("%s holds a directory %s", dir, e.Name())
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		h := sha256.Sum256(b)
		st[e.Name()] = hex.EncodeToString(h[:])
	}
	return st, nil
}

func (s outputState) names() string {
	var n []string
	for k := range s {
		n = append(n, k)
	}
	slices.Sort(n)
	return strings.Join(n, ",")
}

// sameState reports whether a and b hold the same files with the same
// contents, except the files in volatile (timings, dates), which must only
// exist.
func sameState(a, b outputState, volatile ...string) bool {
	if a.names() != b.names() {
		return false
	}
	for k, v := range a {
		if !slices.Contains(volatile, k) && b[k] != v {
			return false
		}
	}
	return true
}

// checkComplete parses every file of an output directory: JSON files and
// GeoJSON FeatureCollections must be whole, report.html must end.
func checkComplete(t *testing.T, dir string) error {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(ents) == 0 {
		return fmt.Errorf("%s is empty", dir)
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(e.Name(), ".geojson"):
			var fc struct {
				Type     string            `json:"type"`
				Features []json.RawMessage `json:"features"`
			}
			if err := json.Unmarshal(b, &fc); err != nil || fc.Type != "FeatureCollection" {
				return fmt.Errorf("%s does not parse as a FeatureCollection: %v", p, err)
			}
		case strings.HasSuffix(e.Name(), ".json"):
			if !json.Valid(b) {
				return fmt.Errorf("%s is not valid JSON", p)
			}
		case strings.HasSuffix(e.Name(), ".html"):
			if !bytes.Contains(b, []byte("</html>")) {
				return fmt.Errorf("%s is cut short", p)
			}
		case strings.HasSuffix(e.Name(), ".csv"):
			if len(b) == 0 || b[len(b)-1] != '\n' {
				return fmt.Errorf("%s is cut short", p)
			}
		}
	}
	return nil
}

// killVariant is one complete run of a verb; variants differ in their
// output so that a mix of two runs is seen.
type killVariant struct {
	args     []string // after the verb, without --out
	want     outputState
	volatile []string
}

// killTest runs verb into one output directory again and again, killing
// the process with SIGKILL after a random delay (half the time spread over
// the whole run, half within window after the output's temporary directory
// appears, i.e. while outputs are written and swapped). After each kill
// the directory must hold exactly one complete earlier or new output,
// anything beside it must be a temporary by name, and a final successful
// run must clean those up.
func killTest(t *testing.T, verb string, variants []killVariant, volatile []string, rounds int, window time.Duration) {
	bin := buildBinary(t)
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	tempName := regexp.MustCompile(`^\.out\.(tmp|old)-\d+-[0-9a-f]+$`)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	// Reference outputs of every variant, and the time a run takes.
	var full time.Duration
	for i := range variants {
		v := &variants[i]
		v.volatile = volatile
		start := time.Now()
		_, stderr, code := runBinary(t, bin, append([]string{verb, "--quiet", "--out", out}, v.args...)...)
		full = max(full, time.Since(start))
		if code != 0 {
			t.Fatalf("variant %d: exit %d: %s", i, code, stderr)
		}
		if err := checkComplete(t, out); err != nil {
			t.Fatal(err)
		}
		st, err := readState(t, out)
		if err != nil {
			t.Fatal(err)
		}
		v.want = st
	}
	for i := 1; i < len(variants); i++ {
		if sameState(variants[0].want, variants[i].want, volatile...) {
			t.Fatalf("variants 0 and %d write the same output: a mix would go unseen", i)
		}
	}
	t.Logf("a run takes %v", full)

	current := len(variants) - 1 // the output now in place
	var killed, duringWrite, finished, gotNew int
	for round := 0; round < rounds; round++ {
		next := (current + 1) % len(variants)
		cmd := exec.Command(bin, append([]string{verb, "--quiet", "--out", out}, variants[next].args...)...)
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// writing reports whether this run's temporary output exists.
		mine := fmt.Sprintf(".out.tmp-%d-", cmd.Process.Pid)
		writing := func() bool {
			for _, e := range mustReadDir(t, parent) {
				if strings.HasPrefix(e.Name(), mine) {
					return true
				}
			}
			return false
		}
		if round%2 == 0 {
			time.Sleep(time.Duration(rng.Int64N(int64(full) * 11 / 10)))
		} else {
			// Wait for the temporary output directory, then a little more.
			deadline := time.Now().Add(2 * full)
			for time.Now().Before(deadline) && !writing() {
				time.Sleep(200 * time.Microsecond)
			}
			time.Sleep(time.Duration(rng.Int64N(int64(window))))
		}
		if writing() {
			duringWrite++
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ProcessState.Sys().(syscall.WaitStatus).Signaled() {
			killed++
		} else {
			finished++
		}

		// Exactly one complete output, of the previous or the new run.
		if err := checkComplete(t, out); err != nil {
			t.Fatalf("round %d: after the kill: %v", round, err)
		}
		st, err := readState(t, out)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		switch {
		case sameState(st, variants[next].want, volatile...):
			current = next
			gotNew++
		case sameState(st, variants[current].want, volatile...):
		default:
			t.Fatalf("round %d: the output is neither the previous run's nor the new run's: %s", round, st.names())
		}
		for _, e := range mustReadDir(t, parent) {
			if e.Name() != "out" && !tempName.MatchString(e.Name()) {
				t.Fatalf("round %d: %s beside the output is not a temporary by name", round, e.Name())
			}
		}
	}
	t.Logf("%d rounds: %d killed (%d while the output was being written), %d finished before the kill; %d left the new output",
		rounds, killed, duringWrite, finished, gotNew)
	if duringWrite < rounds/8 {
		t.Errorf("only %d of %d kills hit the writing phase: the test did not test the swap", duringWrite, rounds)
	}

	// A successful run replaces the output and removes the leftovers.
	_, stderr, code := runBinary(t, bin, append([]string{verb, "--quiet", "--out", out}, variants[0].args...)...)
	if code != 0 {
		t.Fatalf("final run: exit %d: %s", code, stderr)
	}
	if names := dirNames(t, parent); len(names) != 1 {
		t.Errorf("after a successful run the output's folder holds %v, want only out (stale temporaries not removed)", names)
	}
}

func mustReadDir(t *testing.T, dir string) []os.DirEntry {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ents
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	for _, e := range mustReadDir(t, dir) {
		names = append(names, e.Name())
	}
	return names
}

// TestKillDuringAudit kills `audit --out` on the Monaco extract at random
// moments, 30 times: the output folder always holds one complete audit.
func TestKillDuringAudit(t *testing.T) {
	monaco := shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf")
	killTest(t, "audit", []killVariant{
		{args: []string{"--osm", monaco, "--cell", "250"}},
		{args: []string{"--osm", monaco, "--cell", "200"}},
	}, []string{"summary.json", "report.html"}, 30, 30*time.Millisecond)
}

// TestKillDuringPropose does the same for `propose --out`.
func TestKillDuringPropose(t *testing.T) {
	monaco := shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf")
	base := []string{"--osm", monaco, "--type", "clinic", "--time-limit", "300ms"}
	killTest(t, "propose", []killVariant{
		{args: append(slices.Clone(base), "--k", "2")},
		{args: append(slices.Clone(base), "--k", "3")},
	}, []string{"before_after.json"}, 20, time.Millisecond)
}

// TestWriteDirAtomicRestoresInterruptedSwap: where directories cannot be
// exchanged in one step, a kill between moving the old output aside and
// moving the new one in leaves .NAME.old-PID-*; the next write puts it
// back before anything else, so a failing write still leaves it in place.
func TestWriteDirAtomicRestoresInterruptedSwap(t *testing.T) {
	// The pid of a process that has exited.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "results")
	old := filepath.Join(parent, fmt.Sprintf(".results.old-%d-0a1b2c", dead.Process.Pid))
	if err := os.Mkdir(old, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{data.OutputMarker: "", "cells.geojson": "old"} {
		if err := os.WriteFile(filepath.Join(old, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stale := filepath.Join(parent, fmt.Sprintf(".results.tmp-%d-3d4e5f", dead.Process.Pid))
	if err := os.Mkdir(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	err := data.WriteDirAtomic(out, func(string) error { return errors.New("boom") })
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("error %v, want boom", err)
	}
	if b, err := os.ReadFile(filepath.Join(out, "cells.geojson")); err != nil || string(b) != "old" {
		t.Errorf("previous output not restored: %q, %v", b, err)
	}
	if names := dirNames(t, parent); len(names) != 1 || names[0] != "results" {
		t.Errorf("folder holds %v, want only results", names)
	}
}

// TestPermissionDenied runs audit with --out in a folder the user may not
// write: a clear error naming the output, exit 1, the previous output
// untouched. As root (who may write anywhere) the run is made as user
// nobody through runuser.
func TestPermissionDenied(t *testing.T) {
	src := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	dir := publicDir(t)
	// The binary, where nobody can run it.
	bin := filepath.Join(dir, "lifecircle")
	copyFile(t, buildBinary(t), bin)
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// Inputs nobody can read: a copy in the public folder.
	osmPath := filepath.Join(dir, "helsinki.osm.pbf")
	copyFile(t, src, osmPath)
	parent := filepath.Join(dir, "locked")
	out := filepath.Join(parent, "audit")
	if err := os.Mkdir(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"audit", "--quiet", "--osm", osmPath, "--out", out}
	if _, stderr, code := runBinary(t, bin, args...); code != 0 {
		t.Fatalf("first audit: exit %d: %s", code, stderr)
	}
	before, err := readState(t, out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(parent, 0o555); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, int) {
		if os.Geteuid() != 0 {
			_, stderr, code := runBinary(t, bin, args...)
			return stderr, code
		}
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			t.Skip("running as root without runuser: cannot drop to a user that permissions apply to")
		}
		_, stderr, code := runBinary(t, runuser, append([]string{"-u", "nobody", "--", bin}, args...)...)
		return stderr, code
	}
	stderr, code := run(args...)
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	msg := errorText("audit", stderr)
	for _, s := range []string{out, "permission denied", "choose an output folder", "previous output is untouched"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error lacks %q:\n%s", s, msg)
		}
	}
	t.Log(msg)
	after, err := readState(t, out)
	if err != nil || !sameState(before, after) {
		t.Errorf("previous output changed: %v", err)
	}
	if names := dirNames(t, parent); len(names) != 1 {
		t.Errorf("locked folder holds %v", names)
	}

	// nearest --out FILE in the same folder: WriteFileAtomic.
	pts := filepath.Join(dir, "points.csv")
	copyFile(t, bad("ok_points.csv"), pts)
	fac := filepath.Join(dir, "facilities.geojson")
	copyFile(t, bad("ok_facilities.geojson"), fac)
	csvOut := filepath.Join(parent, "nearest.csv")
	stderr, code = run("nearest", "--quiet", "--osm", osmPath, "--facilities", fac, "--points", pts, "--out", csvOut)
	msg = errorText("nearest", stderr)
	if code != 1 || !strings.Contains(msg, csvOut) || !strings.Contains(msg, "permission denied") || !fixPhrase.MatchString(msg) {
		t.Errorf("nearest into a locked folder: exit %d: %s", code, stderr)
	}
}

// TestDiskFull runs audit with --out on a tiny tmpfs that holds an earlier
// small audit but has no room for the new one: a clear error naming the
// output and the full disk, exit 1, the earlier output untouched and no
// temporary left. Mounting needs root (or CAP_SYS_ADMIN); without it the
// test is skipped, except in CI, where it must run.
func TestDiskFull(t *testing.T) {
	bin := buildBinary(t)
	hel := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	monaco := shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf")
	mnt := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	// The Helsinki audit is about 0.8 MB, Monaco's 5 MB: 1.5 MB holds one
	// Helsinki audit but not a Monaco audit beside it.
	if b, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1536k", "tmpfs", mnt).CombinedOutput(); err != nil {
		msg := fmt.Sprintf("cannot mount a tmpfs to fill (%v: %s); the disk-full path is untested here", err, bytes.TrimSpace(b))
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if b, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, b)
		}
	})
	out := filepath.Join(mnt, "audit")
	if _, stderr, code := runBinary(t, bin, "audit", "--quiet", "--osm", hel, "--out", out); code != 0 {
		t.Fatalf("first audit: exit %d: %s", code, stderr)
	}
	before, err := readState(t, out)
	if err != nil {
		t.Fatal(err)
	}
	// propose writes its own folder: it may not replace the audit's.
	propOut := filepath.Join(mnt, "proposals")
	for _, tc := range []struct {
		verb string
		args []string
		out  string
	}{
		{"audit", []string{"--osm", monaco, "--out", out}, out},
		{"propose", []string{"--osm", monaco, "--type", "clinic", "--k", "40", "--time-limit", "200ms", "--out", propOut}, propOut},
	} {
		t.Run(tc.verb, func(t *testing.T) {
			// propose writes little: fill the disk to its last few KB first.
			if tc.verb == "propose" {
				fill := filepath.Join(mnt, "filler")
				f, err := os.Create(fill)
				if err != nil {
					t.Fatal(err)
				}
				_, err = f.Write(make([]byte, 4<<20))
				f.Close()
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("filling the tmpfs: %v", err)
				}
				t.Cleanup(func() { os.Remove(fill) })
			}
			_, stderr, code := runBinary(t, bin, append([]string{tc.verb, "--quiet"}, tc.args...)...)
			if code != 1 {
				t.Fatalf("exit %d, want 1: %s", code, stderr)
			}
			msg := errorText(tc.verb, stderr)
			for _, s := range []string{tc.out, "no space left", "disk is full", "previous output is untouched"} {
				if !strings.Contains(msg, s) {
					t.Errorf("error lacks %q:\n%s", s, msg)
				}
			}
			if !fixPhrase.MatchString(msg) {
				t.Errorf("error does not say what to do:\n%s", msg)
			}
			t.Log(msg)
			after, err := readState(t, out)
			if err != nil || !sameState(before, after) {
				t.Errorf("previous output changed: %v", err)
			}
			for _, n := range dirNames(t, mnt) {
				if n != "audit" && n != "filler" {
					t.Errorf("%s left on the full disk", n)
				}
			}
		})
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
