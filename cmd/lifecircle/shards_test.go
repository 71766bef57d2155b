package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data/shareddata"
)

// TestAuditShards: audit --shards writes the single run's cells, demand,
// facilities and summary table (stdout) byte for byte; bad values are
// usage errors.
func TestAuditShards(t *testing.T) {
	osm := shareddata.Path(t, "cn_beijing_bupt", "map.osm")
	dir := t.TempDir()
	args := []string{"audit", "--osm", osm, "--cell", "125", "--max-snap", "100", "--quiet"}
	out1, errs, code := runCLI(t, append(args, "--out", filepath.Join(dir, "one"))...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	out2, errs, code := runCLI(t, append(args, "--out", filepath.Join(dir, "sharded"), "--shards", "9")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if out1 != out2 {
		t.Errorf("stdout differs:\n%s\nvs\n%s", out1, out2)
	}
	for _, f := range []string{"cells.geojson", "demand.geojson", "facilities.geojson", "summary.csv"} {
		a, err1 := os.ReadFile(filepath.Join(dir, "one", f))
		b, err2 := os.ReadFile(filepath.Join(dir, "sharded", f))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: sharded output differs (%v, %v)", f, err1, err2)
		}
	}
	for _, tc := range []struct{ args []string }{
		{[]string{"--shards", "0"}},
		{[]string{"--shards", "some"}},
		{[]string{"--shard-nodes", "-5"}},
		{[]string{"--shards", "4", "--batch", "b.yaml"}},
	} {
		_, errs, code := runCLI(t, append(append(args, "--out", filepath.Join(dir, "bad")), tc.args...)...)
		if code != 2 || !strings.Contains(errs, "--shard") {
			t.Errorf("%v: exit %d, %q; want a usage error naming the flag", tc.args, code, errs)
		}
	}
}
