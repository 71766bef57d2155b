package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/lifecircle/lifecircle/data/dist/natstest"
	"github.com/lifecircle/lifecircle/data/shareddata"
)

// TestProposeShardsAndDistributed: propose --shards 8 and propose
// --distributed (8 shards, one worker) print the same table and bound and
// write the same proposals.geojson and report.html as the single run, on
// the Monaco reference instance (proven optimal: no time limit decides).
func TestProposeShardsAndDistributed(t *testing.T) {
	ref := shareddata.Path(t, "reference", "monaco_2012")
	args := func(out string, more ...string) []string {
		return append([]string{"propose", "--quiet", "--osm", filepath.Join(ref, "monaco_2012.osm.pbf"), "--demand", filepath.Join(ref, "points.geojson"),
			"--candidates", filepath.Join(ref, "candidates.geojson"), "--radius", "500", "--k", "5", "--out", out}, more...)
	}
	dir := t.TempDir()
	single, sharded, distributed := filepath.Join(dir, "single"), filepath.Join(dir, "sharded"), filepath.Join(dir, "dist")
	want := mustCLI(t, args(single)...)
	if got := mustCLI(t, args(sharded, "--shards", "8")...); got != want {
		t.Errorf("--shards 8 printed\n%s\nwant\n%s", got, want)
	}
	url := natstest.URL(t)
	bin := buildBinary(t)
	env := distEnv(t, url)
	startWorker(t, bin, url, env)
	out, stderr, code := runWith(t, bin, env, args(distributed, "--distributed", url, "--shards", "8")...)
	if code != 0 || out != want {
		t.Fatalf("--distributed: exit %d, printed\n%s\nwant\n%s\n%s", code, out, want, stderr)
	}
	for _, f := range []string{"proposals.geojson", "report.html"} {
		a, _ := os.ReadFile(filepath.Join(single, f))
		for _, d := range []string{sharded, distributed} {
			if b, _ := os.ReadFile(filepath.Join(d, f)); len(a) == 0 || !bytes.Equal(a, b) {
				t.Errorf("%s differs from the single run's in %s", f, d)
			}
		}
	}
}
