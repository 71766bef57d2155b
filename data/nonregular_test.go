package data

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReadersRefuseNonRegular: a layer, profile or project file that is
// a named pipe, a link to /dev/zero or a directory is refused at once
// with a clear message, instead of blocking forever or reading without
// end (issue 16, item 8).
func TestReadersRefuseNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "layer.geojson")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no named pipes here:", err)
	}
	zero := filepath.Join(dir, "zero.csv")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "folder.geojson")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	readers := map[string]func(string) error{
		"layer":   func(p string) error { _, err := ReadLayer(p, ReadOptions{}); return err },
		"profile": func(p string) error { _, err := LoadProfile(p); return err },
		"project": func(p string) error { _, err := ReadProject(p); return err },
		"batch":   func(p string) error { _, _, err := ReadBatch(p); return err },
		"summary": func(p string) error { _, err := ReadAudit(filepath.Dir(p)); return err },
	}
	for name, read := range readers {
		for _, c := range []struct{ path, want string }{
			{fifo, "is a named pipe (FIFO), not a regular file"},
			{zero, "is a character device (such as /dev/zero), not a regular file"},
			{sub, "is a directory"},
		} {
			p := c.path
			if name == "summary" {
				// ReadAudit reads DIR/summary.json.
				d := filepath.Join(t.TempDir(), "run")
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(c.path, filepath.Join(d, "summary.json")); err != nil {
					t.Fatal(err)
				}
				p = filepath.Join(d, "summary.json")
			}
			err := read(p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s %s: %v, want %q", name, filepath.Base(c.path), err, c.want)
			}
		}
	}
}

// TestCROnlyCSV: a CSV saved with carriage returns only (old Mac Excel)
// reads as its rows, not as one line without lon/lat columns.
func TestCROnlyCSV(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mac.csv")
	if err := os.WriteFile(p, []byte("id,type,lon,lat\rc1,clinic,24.94,60.17\rc2,clinic,24.95,60.17\r"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := ReadLayer(p, ReadOptions{Allow: Points})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Features) != 2 {
		t.Errorf("%d features, want 2", len(l.Features))
	}
}
