package web

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// gdalTool returns the path of a GDAL command: missing, the test fails on
// CI (CI=true; scripts/test installs gdal-bin) and is skipped elsewhere.
func gdalTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found: scripts/test installs gdal-bin", name)
		}
		t.Skipf("%s not found (install gdal-bin)", name)
	}
	return p
}

// TestOGCWithGDAL uses GDAL as a real OGC API – Features client against a
// real listener: ogrinfo lists every collection, and ogr2ogr fetches the
// cells in a bbox, following next links, with the feature count the
// audit gives for that box.
func TestOGCWithGDAL(t *testing.T) {
	ogrinfo := gdalTool(t, "ogrinfo")
	ogr2ogr := gdalTool(t, "ogr2ogr")
	in := sampleInput(t)
	ts := newTestServer(t, in, Config{})
	srv := httptest.NewServer(ts.h)
	defer srv.Close()
	src := "OAPIF:" + srv.URL + "/ogc"
	env := append(os.Environ(), "GDAL_HTTP_TIMEOUT=30", "CPL_DEBUG=OFF", "GDAL_HTTP_PROXY=", "HTTP_PROXY=", "http_proxy=", "NO_PROXY=127.0.0.1")

	cmd := exec.Command(ogrinfo, "-ro", "-so", "-q", src)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s\nserver log:\n%s", err, out, shorten(ts.logs.String(), 3000))
	}
	for _, c := range ts.collections() {
		if !strings.Contains(string(out), ": "+c.id+" ") && !strings.Contains(string(out), ": "+c.id+"\n") {
			t.Errorf("ogrinfo does not list collection %s:\n%s", c.id, out)
		}
	}

	// ogr2ogr with a spatial filter, in small pages so that next links
	// are followed.
	// A box over the middle of the cells, not aligned with them.
	var xs, ys []float64
	for _, u := range in.Units {
		c := u.Geometry.Bound().Center()
		xs, ys = append(xs, c[0]), append(ys, c[1])
	}
	slices.Sort(xs)
	slices.Sort(ys)
	q := func(v []float64, f float64) float64 { return v[int(f*float64(len(v)-1))] + 0.00013 }
	b := orb.Bound{Min: orb.Point{q(xs, 0.15), q(ys, 0.15)}, Max: orb.Point{q(xs, 0.85), q(ys, 0.85)}}
	var cells []orb.Geometry
	for _, u := range in.Units {
		cells = append(cells, u.Geometry)
	}
	want := clipCount(cells, b)
	if want < 8 || want == len(cells) {
		t.Fatalf("bad test box: %d of %d cells", want, len(cells))
	}
	dst := filepath.Join(t.TempDir(), "cells.geojson")
	cmd = exec.Command(ogr2ogr, "-f", "GeoJSON", "-oo", "PAGE_SIZE=5", dst, src, "cells",
		"-spat", fmt.Sprint(b.Min[0]), fmt.Sprint(b.Min[1]), fmt.Sprint(b.Max[0]), fmt.Sprint(b.Max[1]))
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s\nserver log:\n%s", err, out, shorten(ts.logs.String(), 3000))
	}
	raw, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(raw, &fc); err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != want {
		t.Errorf("ogr2ogr fetched %d cells in %v, the audit has %d there", len(fc.Features), b, want)
	}
	seen := map[any]bool{}
	for _, f := range fc.Features {
		id := f.Properties["unit_id"]
		if seen[id] {
			t.Errorf("cell %v fetched twice", id)
		}
		seen[id] = true
		if _, ok := f.Properties["coverage_clinic"]; !ok {
			t.Fatalf("cell %v lacks coverage_clinic: %v", id, f.Properties)
		}
	}
	logs := ts.logs.String()
	if !regexp.MustCompile(`path=/ogc/collections/cells/items status=200 .*query=.*bbox=`).MatchString(logs) {
		t.Errorf("GDAL did not pass the bbox to the items endpoint:\n%s", shorten(logs, 3000))
	}
	if strings.Count(logs, "path=/ogc/collections/cells/items") < 2 {
		t.Errorf("GDAL followed no next link (PAGE_SIZE=5, %d cells):\n%s", want, shorten(logs, 3000))
	}
}
