package shareddata

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDirDefaultsToRepository checks that, with LIFECIRCLE_SHARED_DATA
// unset, the data is read from testdata/shared of the repository, and
// that the files the suite reads are there.
func TestDirDefaultsToRepository(t *testing.T) {
	t.Setenv("LIFECIRCLE_SHARED_DATA", "")
	want := filepath.Join(RepoRoot(t), "testdata", "shared")
	if got := Dir(t); got != want {
		t.Fatalf("Dir = %s, want %s", got, want)
	}
	for _, f := range [][]string{
		{"ATTRIBUTION.md"},
		{"helsinki", "Helsinki.osm.pbf"},
		{"monaco_region_2016", "monaco.osm.pbf"},
		{"cn_beijing_bupt", "map.osm"},
		{"reference", "helsinki_2019", "mclp_ref.json"},
	} {
		p := Path(t, f...)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// A Git LFS pointer is a small text file starting with this line.
		if strings.HasPrefix(string(b), "version https://git-lfs") {
			t.Errorf("%s is a Git LFS pointer, not the data", p)
		}
	}
}

// TestDirEnvironment checks that LIFECIRCLE_SHARED_DATA wins, and that a
// missing folder fails with a message naming it.
func TestDirEnvironment(t *testing.T) {
	d := t.TempDir()
	t.Setenv("LIFECIRCLE_SHARED_DATA", d)
	if got := Dir(t); got != d {
		t.Fatalf("Dir = %s, want %s", got, d)
	}

	missing := filepath.Join(d, "nope")
	t.Setenv("LIFECIRCLE_SHARED_DATA", missing)
	r := &recorder{TB: t}
	func() {
		defer func() { _ = recover() }()
		Dir(r)
	}()
	if r.msg == "" {
		t.Fatal("Dir accepted a missing folder")
	}
	for _, s := range []string{missing, "LIFECIRCLE_SHARED_DATA", "testdata/shared"} {
		if !strings.Contains(r.msg, s) {
			t.Errorf("message %q does not name %q", r.msg, s)
		}
	}
}

// recorder records Fatalf and stops the caller with a panic instead of
// failing the test.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	panic(r.msg)
}
