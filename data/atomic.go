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
)

// OutputMarker is the file WriteDirAtomic puts in every directory it
// writes; a directory holding it may be replaced by the next run.
const OutputMarker = ".lifecircle-output"

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
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	done := false
	defer func() {
		// Also runs when write panics: never leave the temp file behind.
		if !done {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()

	bw := bufio.NewWriterSize(f, 64<<10)
	if err := write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		done = true
		return fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	syncDir(dir)
	return nil
}

// WriteDirAtomic builds a whole output directory in a sibling temp dir and
// swaps it into place (old dir renamed aside then removed), so readers see
// the old complete set or the new complete set; if dir exists and is not a
// previous lifecircle output (no marker file `.lifecircle-output`) and not
// empty, refuse with an error telling the user to choose an empty or new
// directory. build writes its files into tmp; WriteDirAtomic adds the
// marker, syncs every file and makes the directory mode 0755. On any error
// the old directory is left as it was and the temp dir removed.
func WriteDirAtomic(dir string, build func(tmp string) error) error {
	dir = filepath.Clean(dir)
	parent, base := filepath.Split(dir)
	if parent == "" {
		parent = "."
	}
	if base == "" || base == "." || base == ".." || base == string(filepath.Separator) {
		return fmt.Errorf("output directory %q: give a named directory, e.g. --out results", dir)
	}
	exists, err := checkOutputDir(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("output directory %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-")
	if err != nil {
		return fmt.Errorf("output directory %s: %w", dir, err)
	}
	done := false
	defer func() {
		if !done {
			_ = os.RemoveAll(tmp)
		}
	}()

	if err := build(tmp); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	marker := filepath.Join(tmp, OutputMarker)
	if err := os.WriteFile(marker, []byte("written by lifecircle; the whole directory is replaced on each run\n"), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	if err := syncTree(tmp); err != nil {
		return fmt.Errorf("write %s: sync: %w", dir, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}

	if !exists {
		if err := os.Rename(tmp, dir); err != nil {
			return fmt.Errorf("write %s: %w", dir, err)
		}
		done = true
		syncDir(parent)
		return nil
	}
	old := filepath.Join(parent, "."+base+".old-"+randomSuffix())
	if err := os.Rename(dir, old); err != nil {
		return fmt.Errorf("write %s: move the previous output aside: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if rerr := os.Rename(old, dir); rerr != nil {
			return fmt.Errorf("write %s: %w (and restoring the previous output from %s failed: %v)", dir, err, old, rerr)
		}
		return fmt.Errorf("write %s: %w", dir, err)
	}
	done = true
	syncDir(parent)
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("write %s: new output is in place, but removing the previous one (%s) failed: %w", dir, old, err)
	}
	return nil
}

// checkOutputDir reports whether dir exists, refusing directories that
// hold files not written by lifecircle.
func checkOutputDir(dir string) (bool, error) {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("output directory %s: %w", dir, err)
	}
	if !st.IsDir() {
		return false, fmt.Errorf("output directory %s exists and is a file — choose an empty or new directory", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, OutputMarker)); err == nil {
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
