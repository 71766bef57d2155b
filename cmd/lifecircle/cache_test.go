package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data"
)

// TestExtractCacheSameOutputs: an audit and a nearest run whose extract
// comes from the cache (the second run on it) write exactly the files of
// a run with the cache off, and say where the extract came from.
func TestExtractCacheSameOutputs(t *testing.T) {
	t.Setenv("LIFECIRCLE_CACHE_DIR", t.TempDir())
	tmp := t.TempDir()
	audit := func(name, cache string) string {
		t.Helper()
		t.Setenv("LIFECIRCLE_CACHE", cache)
		out := filepath.Join(tmp, name)
		_, stderr, code := runCLI(t, "audit", "--sample", "--out", out)
		data.WaitOSMCache()
		if code != 0 {
			t.Fatalf("audit %s: exit %d\n%s", name, code, stderr)
		}
		return stderr
	}
	audit("off", "off")
	if e := audit("first", ""); strings.Contains(e, "from the cache") {
		t.Fatalf("first run says it read the cache:\n%s", e)
	}
	if e := audit("cached", ""); !strings.Contains(e, "from the cache 来自缓存") {
		t.Fatalf("second run does not say it read the cache:\n%s", e)
	}
	for _, f := range []string{"cells.geojson", "demand.geojson", "facilities.geojson", "summary.csv", "summary.json"} {
		a, b := readNoTimings(t, filepath.Join(tmp, "off", f)), readNoTimings(t, filepath.Join(tmp, "cached", f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the run without cache and the run from the cache", f)
		}
	}

	fac := filepath.Join(tmp, "off", "facilities.geojson")
	pts := filepath.Join(tmp, "off", "demand.geojson")
	osm := filepath.Join(tmp, "city.osm.pbf")
	b, err := os.ReadFile(filepath.Join("..", "..", "data", "sample", "helsinki.osm.pbf"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(osm, b, 0o644)
	nearest := func(cache, out string) {
		t.Setenv("LIFECIRCLE_CACHE", cache)
		_, stderr, code := runCLI(t, "nearest", "--quiet", "--osm", osm, "--facilities", fac, "--points", pts, "--out", out)
		data.WaitOSMCache()
		if code != 0 {
			t.Fatalf("nearest: exit %d\n%s", code, stderr)
		}
	}
	nearest("off", filepath.Join(tmp, "n-off.csv"))
	nearest("", filepath.Join(tmp, "n-1.csv"))
	nearest("", filepath.Join(tmp, "n-2.csv"))
	ents, _ := filepath.Glob(filepath.Join(os.Getenv("LIFECIRCLE_CACHE_DIR"), "osm", "*.lcosm"))
	if len(ents) != 2 {
		t.Fatalf("cache entries %v, want the audit's and the walk network's", ents)
	}
	for _, f := range []string{"n-1.csv", "n-2.csv"} {
		if !bytes.Equal(readNoTimings(t, filepath.Join(tmp, "n-off.csv")), readNoTimings(t, filepath.Join(tmp, f))) {
			t.Errorf("nearest %s differs from the run without cache", f)
		}
	}
}

// readNoTimings reads a file, without summary.json's timings and date.
func readNoTimings(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "summary.json" {
		return b
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "timings_s")
	delete(m, "created")
	out, _ := json.Marshal(m)
	return out
}
