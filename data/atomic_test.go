package data

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// dirNames lists the entries of dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func readString(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteFileAtomic(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name     string
		old      string // "" = no previous file
		write    func(w io.Writer) error
		wantErr  error
		wantFile string // content afterwards ("" = absent)
	}{
		{"new file", "", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, nil, "new"},
		{"replace", "old", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, nil, "new"},
		{"failure midway keeps old", "old", func(w io.Writer) error {
			_, _ = io.WriteString(w, strings.Repeat("partial", 100000)) // beyond the buffer: really on disk
			return errBoom
		}, errBoom, "old"},
		{"failure without old file leaves nothing", "", func(w io.Writer) error { return errBoom }, errBoom, ""},
		{"geojson writer", "", func(w io.Writer) error {
			g := NewGeoJSONWriter(w)
			if err := g.Write("a", orb.Point{1, 2}, nil); err != nil {
				return err
			}
			return g.Close()
		}, nil, `{"type":"FeatureCollection","features":[` + "\n" + `{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[1,2]},"properties":{}}` + "\n]}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "summary.csv")
			if tc.old != "" {
				if err := os.WriteFile(p, []byte(tc.old), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := WriteFileAtomic(p, tc.write)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "summary.csv") {
				t.Errorf("error %q does not name the file", err)
			}
			if tc.wantFile == "" {
				if names := dirNames(t, dir); len(names) != 0 {
					t.Fatalf("directory holds %v, want nothing", names)
				}
				return
			}
			if got := readString(t, p); got != tc.wantFile {
				t.Errorf("file holds %q, want %q", got, tc.wantFile)
			}
			if names := dirNames(t, dir); len(names) != 1 {
				t.Errorf("directory holds %v, want only summary.csv (temp file left behind?)", names)
			}
			st, _ := os.Stat(p)
			if want := os.FileMode(0o644); tc.old != "" {
				if st.Mode().Perm() != 0o600 {
					t.Errorf("replaced file mode %v, want the old 0600", st.Mode().Perm())
				}
			} else if st.Mode().Perm() != want {
				t.Errorf("new file mode %v, want %v", st.Mode().Perm(), want)
			}
		})
	}
}

func TestWriteFileAtomicPanicCleansUp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.json")
	func() {
		defer func() { _ = recover() }()
		_ = WriteFileAtomic(p, func(w io.Writer) error { panic("bug") })
	}()
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("temp file left after panic: %v", names)
	}
	if err := WriteFileAtomic(dir, func(io.Writer) error { return nil }); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("writing over a directory: %v", err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "no", "such", "x"), func(io.Writer) error { return nil }); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

// files writes name→content into dir.
func files(m map[string]string) func(string) error {
	return func(dir string) error {
		for name, content := range m {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestWriteDirAtomic(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name      string
		setup     func(t *testing.T, out string) // prepares the existing state
		build     func(tmp string) error
		wantErr   string
		wantFiles []string // afterwards, sorted; nil = directory absent
		wantCells string
	}{
		{"new directory", func(*testing.T, string) {}, files(map[string]string{"cells.geojson": "new"}), "",
			[]string{OutputMarker, "cells.geojson"}, "new"},
		{"existing empty directory", func(t *testing.T, out string) { mustMkdir(t, out) }, files(map[string]string{"cells.geojson": "new"}), "",
			[]string{OutputMarker, "cells.geojson"}, "new"},
		{"replaces previous output completely", previousOutput, files(map[string]string{"cells.geojson": "new"}), "",
			[]string{OutputMarker, "cells.geojson"}, "new"}, // stale.txt is gone
		{"failure midway keeps previous output", previousOutput, func(tmp string) error {
			if err := files(map[string]string{"cells.geojson": "half"})(tmp); err != nil {
				return err
			}
			return errBoom
		}, "boom", []string{OutputMarker, "cells.geojson", "stale.txt"}, "old"},
		{"refuses a foreign directory", func(t *testing.T, out string) {
			mustMkdir(t, out)
			if err := os.WriteFile(filepath.Join(out, "thesis.docx"), []byte("precious"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, files(map[string]string{"cells.geojson": "new"}), "is not empty and was not written by lifecircle (no .lifecircle-output file)",
			[]string{"thesis.docx"}, ""},
		{"refuses a file", func(t *testing.T, out string) {
			if err := os.WriteFile(out, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, files(nil), "exists and is a file — choose an empty or new directory", nil, ""},
		{"nested subdirectories", func(*testing.T, string) {}, func(tmp string) error {
			if err := os.MkdirAll(filepath.Join(tmp, "tiles", "12"), 0o755); err != nil {
				return err
			}
			return files(map[string]string{"cells.geojson": "new"})(tmp)
		}, "", []string{OutputMarker, "cells.geojson", "tiles"}, "new"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			out := filepath.Join(parent, "results")
			tc.setup(t, out)
			err := WriteDirAtomic(out, tc.build)
			if tc.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			// Only the output itself remains beside it: no temp or old dirs.
			if names := dirNames(t, parent); len(names) > 1 {
				t.Errorf("parent holds %v, want only results", names)
			}
			if tc.wantFiles == nil {
				return
			}
			if got := dirNames(t, out); strings.Join(got, ",") != strings.Join(tc.wantFiles, ",") {
				t.Errorf("results holds %v, want %v", got, tc.wantFiles)
			}
			if tc.wantCells != "" {
				if got := readString(t, filepath.Join(out, "cells.geojson")); got != tc.wantCells {
					t.Errorf("cells.geojson = %q, want %q", got, tc.wantCells)
				}
			}
			if st, err := os.Stat(out); err == nil && tc.wantErr == "" && st.Mode().Perm() != 0o755 {
				t.Errorf("output dir mode %v, want 0755", st.Mode().Perm())
			}
		})
	}
}

func TestWriteDirAtomicBadNames(t *testing.T) {
	for _, d := range []string{".", "/", ""} {
		if err := WriteDirAtomic(d, files(nil)); err == nil {
			t.Errorf("WriteDirAtomic(%q) succeeded", d)
		}
	}
}

func previousOutput(t *testing.T, out string) {
	mustMkdir(t, out)
	for name, content := range map[string]string{OutputMarker: "", "cells.geojson": "old", "stale.txt": "old"} {
		if err := os.WriteFile(filepath.Join(out, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}
