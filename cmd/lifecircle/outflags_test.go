package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditFormatFlags: --format geojson,gpkg and --out-coords gcj02 write
// audit.gpkg beside the GeoJSON layers and the point CSVs, and the
// terminal names every file with its coordinate systems; bad values are
// usage errors.
func TestAuditFormatFlags(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	_, stderr, code := runCLI(t, "audit", "--sample", "--quiet", "--format", "geojson,gpkg", "--out-coords", "gcj02", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, line := range []string{
		filepath.Join(out, "audit.gpkg") + " (WGS84)",
		filepath.Join(out, "cells.geojson") + " (WGS84)",
		filepath.Join(out, "facilities.csv") + " (WGS84 + GCJ-02 columns)",
		filepath.Join(out, "demand.csv") + " (WGS84 + GCJ-02 columns)",
		filepath.Join(out, "summary.xlsx"),
	} {
		if !strings.Contains(stderr, "  "+line+"\n") {
			t.Errorf("stderr does not list %q:\n%s", line, stderr)
		}
		if _, err := os.Stat(strings.Fields(line)[0]); err != nil {
			t.Error(err)
		}
	}
	out2 := filepath.Join(t.TempDir(), "gpkg-only")
	if _, stderr, code := runCLI(t, "audit", "--sample", "--quiet", "--format", "gpkg", "--out", out2); code != 0 {
		t.Fatalf("--format gpkg: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out2, "cells.geojson")); err == nil {
		t.Error("--format gpkg wrote cells.geojson too")
	}
	for _, args := range [][]string{{"--format", "shp"}, {"--out-coords", "cgcs2000"}} {
		_, stderr, code := runCLI(t, append([]string{"audit", "--sample", "--quiet", "--out", t.TempDir() + "/x"}, args...)...)
		if code != 2 || !strings.Contains(stderr, args[0]) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming the flag", args, code, stderr)
		}
	}
}
