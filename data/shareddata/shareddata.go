// Package shareddata locates the repository root and the real
// OpenStreetMap extracts and reference answers in ../shared/data (beside
// the repository) for tests. It is used by tests only.
//
// shareddata imports only the standard library, so any package's tests
// (planner, geo, web, cmd/lifecircle) may import it without pulling the
// data readers, or anything else, into that package.
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

// Dir returns the shared data directory: $LIFECIRCLE_SHARED_DATA, else
// ../shared/data next to the repository root (RepoRoot). A missing
// directory fails the test (real data is part of the test suite), unless
// LIFECIRCLE_ALLOW_SKIP=1, when the test is skipped.
func Dir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("LIFECIRCLE_SHARED_DATA"); d != "" {
		return d
	}
	p := filepath.Join(RepoRoot(tb), "..", "shared", "data")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("LIFECIRCLE_ALLOW_SKIP") == "1" {
			tb.Skipf("shared data not found at %s", p)
		}
		tb.Fatalf("shared data not found at %s: tests need ../shared/data beside the repository (or set LIFECIRCLE_SHARED_DATA)", p)
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
