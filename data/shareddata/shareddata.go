package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot returns the repository root: the nearest folder at or above
// the test's working directory that holds go.mod. It fails the test when
// there is none.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatalf("repository root: %v", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			tb.Fatalf("repository root (go.mod) not found at or above %s", wd)
		}
	}
}

// Dir returns the shared data directory: $LIFECIRCLE_SHARED_DATA when it
// is set, else testdata/shared under the repository root (RepoRoot). A
// missing directory fails the test: real data is part of the test suite.
func Dir(tb testing.TB) string {
	tb.Helper()
	p := os.Getenv("LIFECIRCLE_SHARED_DATA")
	from := "LIFECIRCLE_SHARED_DATA"
	if p == "" {
		p = filepath.Join(RepoRoot(tb), "testdata", "shared")
		from = "the repository"
	}
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		tb.Fatalf("test data missing: %s (from %s) is not a directory; the tests read the OpenStreetMap extracts committed in testdata/shared (restore it with git checkout -- testdata/shared, or set LIFECIRCLE_SHARED_DATA to a copy)", p, from)
	}
	return p
}

// Path joins elem onto Dir and fails the test when the file is missing.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	p := filepath.Join(append([]string{Dir(tb)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("shared data file missing: %v", err)
	}
	return p
}
