package data

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAbortWrites: writes in progress when AbortWrites runs (Ctrl-C) fail
// with ErrAborted at their next file write or when they would move their
// output into place; the previous output stays as it was and no temporary
// is left beside it.
func TestAbortWrites(t *testing.T) {
	t.Cleanup(func() { inflight.aborted.Store(false) })
	parent := t.TempDir()
	out := filepath.Join(parent, "results")
	if err := WriteDirAtomic(out, func(tmp string) error {
		return os.WriteFile(filepath.Join(tmp, "cells.geojson"), []byte("old"), 0o644)
	}); err != nil {
		t.Fatal(err)
	}

	// A folder being built: AbortWrites runs while its first file is
	// written; the next write to that file fails.
	err := WriteDirAtomic(out, func(tmp string) error {
		return WriteFileAtomic(filepath.Join(tmp, "cells.geojson"), func(w io.Writer) error {
			if _, err := w.Write([]byte(strings.Repeat("new ", 1<<10))); err != nil {
				return err
			}
			AbortWrites()
			if len(inflight.paths) != 2 {
				t.Errorf("%d temporaries tracked while a file of a folder is written, want 2", len(inflight.paths))
			}
			_, err := w.Write([]byte(strings.Repeat("new ", 1<<16))) // past the 64 KiB buffer
			return err
		})
	})
	if !errors.Is(err, ErrAborted) {
		t.Fatalf("aborted write: %v, want ErrAborted", err)
	}
	// A write whose files are all written is not moved into place.
	err = WriteDirAtomic(out, func(tmp string) error { return nil })
	if !errors.Is(err, ErrAborted) {
		t.Fatalf("write after AbortWrites: %v, want ErrAborted", err)
	}
	if b, err := os.ReadFile(filepath.Join(out, "cells.geojson")); err != nil || string(b) != "old" {
		t.Errorf("previous output: %q, %v; want it untouched", b, err)
	}
	ents, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "results" {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %v, want only results (no temporary)", names)
	}
	if len(inflight.paths) != 0 {
		t.Errorf("%d temporaries still tracked", len(inflight.paths))
	}
}
