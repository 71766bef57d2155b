package data

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// OutputMarker is the file WriteDirAtomic puts in every directory it
// writes; a directory holding it may be replaced by the next run.
const OutputMarker = ".lifecircle-output"

// Temporary names beside an output called NAME: ".NAME.tmp-PID-RANDOM"
// while it is written, ".NAME.old-PID-RANDOM" for a replaced directory
// until it is removed. A process killed meanwhile leaves them behind; the
// next write of NAME removes them (cleanStale).
const (
	tmpInfix = ".tmp-"
	oldInfix = ".old-"
)

// processStart bounds the age of temporaries whose writer cannot be
// asked whether it still runs.
var processStart = time.Now()

// tempPattern is the os.CreateTemp/MkdirTemp pattern for base.
func tempPattern(base, infix string) string {
	return "." + base + infix + strconv.Itoa(os.Getpid()) + "-"
}

// writeError wraps an error writing the output path and says what to do
// when the cause is one a user can fix: a full disk, missing permission or
// a read-only file system. The previous output is untouched in every case.
func writeError(path string, err error) error {
	var h hinted
	if errors.As(err, &h) {
		return fmt.Errorf("write %s: %w", path, err)
	}
	hint := ""
	switch {
	case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT):
		hint = "the disk is full (no space left): free some space or choose another output folder"
	case errors.Is(err, fs.ErrPermission):
		hint = "you may not write there: choose an output folder you can write to, or check its permissions"
	case errors.Is(err, syscall.EROFS):
		hint = "the file system is read-only: choose another output folder"
	default:
		return fmt.Errorf("write %s: %w", path, err)
	}
	return hinted{fmt.Errorf("write %s: %w — %s; the previous output is untouched", path, err, hint)}
}

// hinted marks an error that already says what to do.
type hinted struct{ error }

func (h hinted) Unwrap() error { return h.error }

// cleanStale removes the temporaries of earlier, killed writes of
// dir/base: entries named .base.tmp-* or .base.old-* whose writer is no
// longer running (or, where that cannot be checked, which are older than
// this process). Errors are ignored: leftovers are harmless, only untidy.
func cleanStale(dir, base string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if stale(base, e) {
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// stale reports whether e is a temporary of base left by a writer that
// is gone.
func stale(base string, e fs.DirEntry) bool {
	rest, ok := strings.CutPrefix(e.Name(), "."+base)
	if !ok {
		return false
	}
	if r, ok := strings.CutPrefix(rest, tmpInfix); ok {
		rest = r
	} else if r, ok := strings.CutPrefix(rest, oldInfix); ok {
		rest = r
	} else {
		return false
	}
	// Only names lifecircle made: PID-RANDOM, both parts digits or hex
	// (os.MkdirTemp/CreateTemp and randomSuffix), nothing else. A file or
	// folder a user named ".results.old-2024" or ".results.old-backup.txt"
	// is not ours and is never removed.
	pidText, suffix, ok := strings.Cut(rest, "-")
	if !ok || !allDigits(pidText) || len(pidText) > 10 || !allHex(suffix) || len(suffix) < 4 {
		return false
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return false // this process: a concurrent write
	}
	if alive, known := processAlive(pid); known {
		return !alive
	}
	info, err := e.Info()
	return err == nil && info.ModTime().Before(processStart)
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func allHex(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return s != ""
}

// restoreOld puts back a previous output directory that a write killed
// between moving it aside and moving the new one in left as
// .base.old-*, when dir is missing (only where the swap is not one atomic
// exchange). It picks the newest such directory holding the marker.
func restoreOld(parent, base, dir string) {
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		return
	}
	ents, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	best, bestTime := "", time.Time{}
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "."+base+oldInfix) || !stale(base, e) {
			continue
		}
		p := filepath.Join(parent, e.Name())
		if _, err := os.Stat(filepath.Join(p, OutputMarker)); err != nil {
			continue
		}
		if info, err := e.Info(); err == nil && (best == "" || info.ModTime().After(bestTime)) {
			best, bestTime = p, info.ModTime()
		}
	}
	if best != "" {
		_ = os.Rename(best, dir)
	}
}

// WriteFileAtomic writes path via a temp file in the same directory, fsync,
// rename; on any error the old file is untouched and the temp removed.
// write gets a buffered writer; a new file gets mode 0644, a replaced file
// keeps its mode.
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return fmt.Errorf("write %s: is a directory", path)
		}
		mode = st.Mode().Perm()
	}
	cleanStale(dir, base)
	f, err := os.CreateTemp(dir, tempPattern(base, tmpInfix)+"*")
	if err != nil {
		return writeError(path, err)
	}
	tmp := f.Name()
	track(tmp)
	defer untrack(tmp)
	done := false
	defer func() {
		// Also runs when write panics: never leave the temp file behind.
		if !done {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()

	bw := bufio.NewWriterSize(&abortable{w: f}, 64<<10)
	if err := write(bw); err != nil {
		return writeError(path, err)
	}
	if err := bw.Flush(); err != nil {
		return writeError(path, err)
	}
	if err := f.Chmod(mode); err != nil {
		return writeError(path, err)
	}
	if err := f.Sync(); err != nil {
		return writeError(path, fmt.Errorf("sync: %w", err))
	}
	if err := f.Close(); err != nil {
		return writeError(path, err)
	}
	if err := commit(func() error { return os.Rename(tmp, path) }); err != nil {
		_ = os.Remove(tmp)
		done = true
		if errors.Is(err, ErrAborted) {
			return err
		}
		return writeError(path, err)
	}
	done = true
	syncDir(dir)
	return nil
}

// WriteDirAtomic builds a whole output directory in a sibling temp dir and
// swaps it into place, so readers see the old complete set or the new
// complete set, even if the process is killed at any point: on Linux the
// two directories are exchanged in one step (renameat2 RENAME_EXCHANGE);
// elsewhere the old dir is renamed aside first, and a kill between the two
// renames is repaired by the next write (restoreOld). Temporaries left by
// killed writes are removed by the next write. If dir exists and is not a
// previous lifecircle output (no marker file `.lifecircle-output`) and not
// empty, refuse with an error telling the user to choose an empty or new
// directory. build writes its files into tmp; WriteDirAtomic adds the
// marker, syncs every file and makes the directory mode 0755. On any error
// the old directory is left as it was and the temp dir removed.
func WriteDirAtomic(dir string, build func(tmp string) error) error {
	return writeDirAtomic(filepath.Clean(dir), "", build)
}

// writeDirAtomic is WriteDirAtomic writing a folder of kind ("" =
// unnamed) and replacing only a folder of the same kind (replaceable).
func writeDirAtomic(dir string, kind OutputKind, build func(tmp string) error) error {
	dir = filepath.Clean(dir)
	parent, base := filepath.Split(dir)
	if parent == "" {
		parent = "."
	}
	if base == "" || base == "." || base == ".." || base == string(filepath.Separator) {
		return fmt.Errorf("output directory %q: give a named directory, e.g. --out results", dir)
	}
	restoreOld(parent, base, dir)
	exists, err := checkOutputDir(dir, kind)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return writeError(dir, err)
	}
	cleanStale(parent, base)
	tmp, err := os.MkdirTemp(parent, tempPattern(base, tmpInfix))
	if err != nil {
		return writeError(dir, err)
	}
	track(tmp)
	defer untrack(tmp)
	done := false
	defer func() {
		if !done {
			_ = os.RemoveAll(tmp)
		}
	}()

	if err := build(tmp); err != nil {
		return writeError(dir, err)
	}
	marker := filepath.Join(tmp, OutputMarker)
	if err := os.WriteFile(marker, []byte(markerText(kind)), 0o644); err != nil {
		return writeError(dir, err)
	}
	if err := syncTree(tmp); err != nil {
		return writeError(dir, fmt.Errorf("sync: %w", err))
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return writeError(dir, err)
	}

	if !exists {
		if err := commit(func() error { return os.Rename(tmp, dir) }); err != nil {
			if errors.Is(err, ErrAborted) {
				return err
			}
			if _, serr := os.Lstat(dir); serr == nil {
				// Made meanwhile: another run writing the same folder.
				return fmt.Errorf("write %s: another lifecircle run created this output folder at the same time, and its output is in place; this run's output was not written — run again to replace it, or choose another --out", dir)
			}
			return writeError(dir, err)
		}
		done = true
		syncDir(parent)
		return nil
	}
	// One atomic step where the system has it: dir gets the new output and
	// tmp the old, which is then removed (by the deferred RemoveAll, or by
	// the next write if this process is killed first).
	switch err := commit(func() error { return exchange(tmp, dir) }); {
	case errors.Is(err, ErrAborted):
		return err
	case err == nil:
		syncDir(parent)
		if err := os.RemoveAll(tmp); err != nil {
			done = true
			return fmt.Errorf("write %s: new output is in place, but removing the previous one (%s) failed: %w", dir, tmp, err)
		}
		done = true
		return nil
	case !errors.Is(err, errNoExchange):
		return writeError(dir, err)
	}
	old := filepath.Join(parent, tempPattern(base, oldInfix)+randomSuffix())
	err = commit(func() error {
		if err := os.Rename(dir, old); err != nil {
			return writeError(dir, fmt.Errorf("move the previous output aside: %w", err))
		}
		if err := os.Rename(tmp, dir); err != nil {
			if rerr := os.Rename(old, dir); rerr != nil {
				return fmt.Errorf("write %s: %w (and restoring the previous output from %s failed: %v)", dir, err, old, rerr)
			}
			return writeError(dir, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	done = true
	syncDir(parent)
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("write %s: new output is in place, but removing the previous one (%s) failed: %w", dir, old, err)
	}
	return nil
}

// checkOutputDir reports whether dir exists, refusing directories that
// hold files not written by lifecircle, outputs of another kind than
// kind, and mount points.
func checkOutputDir(dir string, kind OutputKind) (bool, error) {
	if lst, err := os.Lstat(dir); err == nil && lst.Mode()&fs.ModeSymlink != 0 {
		return false, fmt.Errorf("output directory %s is a symbolic link; lifecircle replaces its output folder as a whole and would replace the link — give the folder it points to, or another --out", dir)
	}
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, writeError(dir, err)
	}
	if !st.IsDir() {
		return false, fmt.Errorf("output directory %s exists and is a file — choose an empty or new directory", dir)
	}
	if isMountPoint(dir) {
		return false, fmt.Errorf("output directory %s is a mount point; lifecircle replaces its output folder as a whole, which cannot be done to a mount point — give a folder inside it, e.g. --out %s", dir, filepath.Join(dir, "results"))
	}
	if have, ok := FolderKind(dir); ok {
		if !replaceable(kind, have, !markerNamesKind(dir)) {
			return false, fmt.Errorf("output directory %s holds a lifecircle %s output; this run writes a %s output and would delete it — choose another --out", dir, have, orUnnamed(kind))
		}
		return true, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("output directory %s: %w", dir, err)
	}
	if len(entries) > 0 {
		return false, fmt.Errorf("output directory %s is not empty and was not written by lifecircle (no %s file); lifecircle replaces its output directory as a whole — choose an empty or new directory", dir, OutputMarker)
	}
	return true, nil
}

// markerNamesKind reports whether the marker in dir names the folder's
// kind (written by this lifecircle, not an earlier one).
func markerNamesKind(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, OutputMarker))
	return err == nil && strings.Contains(string(b), "\n"+markerKindKey)
}

func orUnnamed(k OutputKind) string {
	if k == "" {
		return "lifecircle"
	}
	return string(k)
}

// syncTree fsyncs every regular file and directory under root.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() && !d.IsDir() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		serr := f.Sync()
		cerr := f.Close()
		if serr != nil && !d.IsDir() { // directory fsync is best effort
			return serr
		}
		return cerr
	})
}

// syncDir makes a rename durable where the platform allows it.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		_ = f.Close()
	}
}

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
