package data

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// writeKind writes a folder of kind at out holding name=content.
func writeKind(t *testing.T, out string, kind OutputKind, name, content string) error {
	t.Helper()
	return WriteOutputDir(out, kind, files(map[string]string{name: content}))
}

// TestOutputKinds: a verb replaces only a folder of its own kind, and a
// folder written before markers named their kind is told by its files
// (issue 16, item 1).
func TestOutputKinds(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "runA")
	if err := writeKind(t, run, KindAudit, "summary.json", "audit"); err != nil {
		t.Fatal(err)
	}
	if k, ok := FolderKind(run); !ok || k != KindAudit {
		t.Fatalf("FolderKind = %q, %v, want audit", k, ok)
	}
	for _, k := range []OutputKind{KindProposals, KindDiff, KindScenario, KindExport} {
		err := writeKind(t, run, k, "x.json", "other")
		if err == nil || !strings.Contains(err.Error(), "holds a lifecircle audit output") || !strings.Contains(err.Error(), "choose another --out") {
			t.Errorf("%s over an audit: error %v", k, err)
		}
		if _, err := CheckOutputDir(run, k); err == nil {
			t.Errorf("CheckOutputDir(%s over an audit) passed", k)
		}
		if got := readString(t, filepath.Join(run, "summary.json")); got != "audit" {
			t.Fatalf("audit replaced by %s: %q", k, got)
		}
	}
	if err := writeKind(t, run, KindAudit, "summary.json", "audit 2"); err != nil {
		t.Fatalf("audit over an audit: %v", err)
	}

	// An earlier lifecircle's marker (no kind): the files tell.
	legacy := filepath.Join(dir, "scenarios", "plan")
	if err := os.MkdirAll(legacy, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{OutputMarker: "written by lifecircle\n", "scenario.json": "{}", "facilities.geojson": "{}"} {
		if err := os.WriteFile(filepath.Join(legacy, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeKind(t, legacy, KindAudit, "summary.json", "audit"); err == nil || !strings.Contains(err.Error(), "scenario output") {
		t.Errorf("audit over a saved scenario: %v", err)
	}
	if err := writeKind(t, legacy, KindScenario, "scenario.json", "{}"); err != nil {
		t.Errorf("scenario over a scenario: %v", err)
	}
}

// TestOutputHoldsInput: an output folder that is, or holds, an input is
// refused before any work.
func TestOutputHoldsInput(t *testing.T) {
	dir := t.TempDir()
	runA, runB := filepath.Join(dir, "runA"), filepath.Join(dir, "runB")
	for _, r := range []string{runA, runB} {
		if err := writeKind(t, r, KindDiff, "diff.json", "{}"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := CheckOutputDir(runB, KindDiff, runA, runB); err == nil || !strings.Contains(err.Error(), "holds the input "+runB) {
		t.Errorf("output = input: %v", err)
	}
	if _, err := CheckOutputDir(runA, KindDiff, filepath.Join(runA, "diff.json")); err == nil || !strings.Contains(err.Error(), "holds the input") {
		t.Errorf("output holding an input file: %v", err)
	}
	if _, err := CheckOutputDir(filepath.Join(dir, "new"), KindDiff, runA, runB); err != nil {
		t.Errorf("new folder: %v", err)
	}
}

// TestOnlyOwnTemporariesRemoved: names beside the output that look like
// temporaries but were not made by lifecircle survive (issue 16, item
// 2); real temporaries of a dead process are removed.
func TestOnlyOwnTemporariesRemoved(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("no true command:", err)
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "results")
	keep := []string{".results.old-2024", ".results.old-backup.txt", ".results.tmp-notes", ".results.old-12-backup", ".results.tmp-2024-final.txt"}
	for _, k := range keep {
		if strings.HasSuffix(k, ".txt") {
			mustWrite(t, filepath.Join(parent, k), "precious")
		} else {
			mustMkdir(t, filepath.Join(parent, k))
			mustWrite(t, filepath.Join(parent, k, "important.txt"), "precious")
		}
	}
	// Older than this process, as on a user's disk.
	past := time.Now().Add(-48 * time.Hour)
	for _, k := range keep {
		if err := os.Chtimes(filepath.Join(parent, k), past, past); err != nil {
			t.Fatal(err)
		}
	}
	ours := fmt.Sprintf(".results.tmp-%d-3d4e5f", dead.Process.Pid)
	mustMkdir(t, filepath.Join(parent, ours))
	if err := writeKind(t, out, KindAudit, "summary.json", "new"); err != nil {
		t.Fatal(err)
	}
	if err := writeKind(t, out, KindAudit, "summary.json", "newer"); err != nil {
		t.Fatal(err)
	}
	names := dirNames(t, parent)
	if strings.Join(names, ",") != strings.Join(append(sortedCopy(keep), "results"), ",") {
		t.Errorf("beside the output: %v, want %v and results", names, keep)
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	for i := range c {
		for j := i + 1; j < len(c); j++ {
			if c[j] < c[i] {
				c[i], c[j] = c[j], c[i]
			}
		}
	}
	return c
}

func mustWrite(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOutputSymlinks: a link to a folder is followed (the link stays),
// a dangling link is refused clearly.
func TestOutputSymlinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	mustMkdir(t, real)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Skip("no symlinks:", err)
	}
	if _, err := CheckOutputDir(link, KindAudit); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := writeKind(t, link, KindAudit, "summary.json", "x"); err != nil {
			t.Fatal(err)
		}
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", st, err)
	}
	if got := readString(t, filepath.Join(real, "summary.json")); got != "x" {
		t.Errorf("real/summary.json = %q", got)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "missing"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{writeKind(t, dangling, KindAudit, "a", "b"), func() error { _, err := CheckOutputDir(dangling, KindAudit); return err }()} {
		if err == nil || !strings.Contains(err.Error(), "which does not exist") {
			t.Errorf("dangling link: %v", err)
		}
	}
}

// TestOutputMountPoint: a mount point is refused with advice.
func TestOutputMountPoint(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("mount points are detected on Linux")
	}
	if _, err := os.Stat("/proc/self"); err != nil {
		t.Skip("no /proc")
	}
	_, err := CheckOutputDir("/proc", KindAudit)
	if err == nil || !strings.Contains(err.Error(), "is a mount point") {
		t.Errorf("CheckOutputDir(/proc): %v", err)
	}
}

// TestConcurrentFirstWrite: when another run creates the folder while
// this one works, this one fails clearly and the other's output stays.
func TestConcurrentFirstWrite(t *testing.T) {
	out := filepath.Join(t.TempDir(), "X")
	err := WriteOutputDir(out, KindAudit, func(tmp string) error {
		if err := writeKind(t, out, KindAudit, "summary.json", "winner"); err != nil {
			return err
		}
		return files(map[string]string{"summary.json": "loser"})(tmp)
	})
	if err == nil || !strings.Contains(err.Error(), "another lifecircle run created this output folder at the same time") {
		t.Errorf("error %v", err)
	}
	if errors.Is(err, os.ErrExist) {
		t.Errorf("raw error: %v", err)
	}
	if got := readString(t, filepath.Join(out, "summary.json")); got != "winner" {
		t.Errorf("summary.json = %q", got)
	}
	if names := dirNames(t, filepath.Dir(out)); len(names) != 1 {
		t.Errorf("beside: %v", names)
	}
}
