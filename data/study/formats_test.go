package study

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
)

// ogr2ogr returns GDAL's ogr2ogr: missing, the test fails on CI (CI=true;
// scripts/test installs gdal-bin) and is skipped elsewhere.
func ogr2ogr(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ogr2ogr")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ogr2ogr not found: scripts/test installs gdal-bin")
		}
		t.Skip("ogr2ogr not found (install gdal-bin)")
	}
	return p
}

// buptInputs writes the test's GeoJSON originals into dir: the two BUPT
// campus units of cmd/lifecircle/testdata (Chinese ids and names, level
// 社区) and amenity points with Chinese names from the cn_beijing_bupt
// layers (markets, the campus hospital as a clinic, fitness stations),
// each shifted by move (nil: as they are).
func buptInputs(t *testing.T, dir string, move func(orb.Point) orb.Point) (units, amenities string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(shareddata.RepoRoot(t), "cmd", "lifecircle", "testdata", "audit_units_bupt.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	uc, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range uc.Features {
		f.Properties["level"] = "社区"
	}
	units = filepath.Join(dir, "units.geojson")
	writeFC(t, units, uc)

	out := geojson.NewFeatureCollection()
	for _, l := range []struct{ file, typ string }{{"amenity_market.geojson", "market"}, {"amenity_health.geojson", "clinic"}, {"amenity_fitness.geojson", "fitness"}} {
		raw, err := os.ReadFile(shareddata.Path(t, "cn_beijing_bupt", "layers", l.file))
		if err != nil {
			t.Fatal(err)
		}
		fc, err := geojson.UnmarshalFeatureCollection(raw)
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range fc.Features {
			p, ok := f.Geometry.(orb.Point)
			if !ok {
				continue
			}
			if move != nil {
				p = move(p)
			}
			name, _ := f.Properties["name"].(string)
			if name == "" {
				name = fmt.Sprintf("健身点%d", i+1)
			}
			g := geojson.NewFeature(p)
			g.Properties = geojson.Properties{"id": fmt.Sprintf("%s-%d", l.typ, i+1), "name": name, "type": l.typ}
			out.Append(g)
		}
	}
	if len(out.Features) < 10 {
		t.Fatalf("only %d amenity points in cn_beijing_bupt", len(out.Features))
	}
	amenities = filepath.Join(dir, "amenities.geojson")
	writeFC(t, amenities, out)
	return units, amenities
}

func writeFC(t *testing.T, path string, fc *geojson.FeatureCollection) {
	t.Helper()
	b, err := json.Marshal(fc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// auditBUPT audits the BUPT walk network with the given unit and amenity
// specs.
func auditBUPT(t *testing.T, units, amenities string) (*Study, *planner.AuditResult) {
	t.Helper()
	s := Defaults()
	s.Network = shareddata.Path(t, "cn_beijing_bupt", "layers", "walk_network.geojson")
	s.Units = []string{units}
	s.Amenities = []string{amenities}
	ctx := context.Background()
	st, err := Load(ctx, s, FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	return st, res
}

// sameFigures compares the unit figures of two audits: population and
// covered residents to 1e-6, distances to tol metres; units by id, with
// their names and levels.
func sameFigures(t *testing.T, what string, a *Study, ra *planner.AuditResult, b *Study, rb *planner.AuditResult, tol float64) {
	t.Helper()
	if len(a.In.Units) != len(b.In.Units) || len(ra.Units) != len(rb.Units) {
		t.Fatalf("%s: %d units, want %d", what, len(b.In.Units), len(a.In.Units))
	}
	for i := range a.In.Units {
		ua, ub := a.In.Units[i], b.In.Units[i]
		if ua.ID != ub.ID || ua.Name != ub.Name || ua.Level != ub.Level || ua.Parent != ub.Parent {
			t.Errorf("%s: unit %d is %q %q %q %q, want %q %q %q %q", what, i, ub.ID, ub.Name, ub.Level, ub.Parent, ua.ID, ua.Name, ua.Level, ua.Parent)
		}
		x, y := ra.Units[i], rb.Units[i]
		if math.Abs(x.Population-y.Population) > 1e-6 || x.Points != y.Points {
			t.Errorf("%s: unit %s: population %v (%d points), want %v (%d)", what, ua.ID, y.Population, y.Points, x.Population, x.Points)
		}
		for k := range x.Covered {
			near := func(p, q, tol float64) bool { return math.IsNaN(p) && math.IsNaN(q) || math.Abs(p-q) <= tol }
			if !near(x.Covered[k], y.Covered[k], 1e-6) || !near(x.DistMean[k], y.DistMean[k], tol) || !near(x.DistP90[k], y.DistP90[k], tol) {
				t.Errorf("%s: unit %s type %d: covered %v, mean %v m, p90 %v m; want %v, %v, %v", what, ua.ID, k,
					y.Covered[k], y.DistMean[k], y.DistP90[k], x.Covered[k], x.DistMean[k], x.DistP90[k])
			}
		}
	}
	names := map[string]bool{}
	for _, f := range b.In.Facilities {
		names[f.Name] = true
	}
	for _, f := range a.In.Facilities {
		if !names[f.Name] {
			t.Errorf("%s: facility name %q missing (have %v)", what, f.Name, names)
			break
		}
	}
}

func datumWarning(st *Study) string {
	for _, w := range st.Inputs.Warnings {
		if strings.Contains(w, "Chinese web map") {
			return w
		}
	}
	return ""
}

// TestAuditGDALFormats converts the GeoJSON originals with GDAL to
// Shapefiles (GBK with and without .cpg, CGCS2000 3° Gauss–Krüger
// EPSG:4547), a GeoPackage of both layers and a GeoPackage in the 6° zone
// EPSG:4498, and audits each: the same unit figures as the originals
// (distances within 0.1 m), Chinese names intact, no datum warning.
func TestAuditGDALFormats(t *testing.T) {
	ogr := ogr2ogr(t)
	dir := t.TempDir()
	units, amenities := buptInputs(t, dir, nil)
	base, baseRes := auditBUPT(t, units, amenities)
	if w := datumWarning(base); w != "" {
		t.Errorf("consistent inputs give a datum warning: %s", w)
	}
	covered := 0.0
	for _, u := range baseRes.Units {
		for _, c := range u.Covered {
			covered += c
		}
	}
	if len(base.In.Units) != 2 || base.In.Units[0].Level != "社区" || !(covered > 0) {
		t.Fatalf("originals: %d units (level %q), %v covered: nothing to compare", len(base.In.Units), base.In.Units[0].Level, covered)
	}
	conv := func(name, format string, extra ...string) (string, string) {
		d := filepath.Join(dir, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		ext := map[string]string{"ESRI Shapefile": ".shp", "GPKG": ".gpkg"}[format]
		u, a := filepath.Join(d, "units"+ext), filepath.Join(d, "amenities"+ext)
		if format == "GPKG" {
			a = filepath.Join(d, "both.gpkg")
			run(t, append([]string{ogr, "-f", format, "-nln", "units", a, units}, extra...)...)
			run(t, append([]string{ogr, "-f", format, "-update", "-nln", "amenities", a, amenities}, extra...)...)
			return a + "#units", a + "#amenities"
		}
		run(t, append([]string{ogr, "-f", format, u, units}, extra...)...)
		run(t, append([]string{ogr, "-f", format, a, amenities}, extra...)...)
		return u, a
	}
	for _, tc := range []struct {
		name   string
		make   func() (string, string)
		notice string // a reader warning to expect
	}{
		{"shapefile GBK with .cpg", func() (string, string) { return conv("gbk", "ESRI Shapefile", "-lco", "ENCODING=GBK") }, ""},
		{"shapefile GBK without .cpg", func() (string, string) {
			u, a := conv("gbk-nocpg", "ESRI Shapefile", "-lco", "ENCODING=GBK")
			for _, f := range []string{u, a} {
				if err := os.Remove(strings.TrimSuffix(f, ".shp") + ".cpg"); err != nil {
					t.Fatal(err)
				}
			}
			return u, a
		}, "read as GBK"},
		{"shapefile EPSG:4547", func() (string, string) {
			return conv("gk3", "ESRI Shapefile", "-t_srs", "EPSG:4547", "-lco", "ENCODING=UTF-8")
		}, ""},
		{"geopackage", func() (string, string) { return conv("gpkg", "GPKG") }, ""},
		{"geopackage EPSG:4498", func() (string, string) { return conv("gk6", "GPKG", "-t_srs", "EPSG:4498") }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, a := tc.make()
			st, res := auditBUPT(t, u, a)
			sameFigures(t, tc.name, base, baseRes, st, res, 0.1)
			if w := datumWarning(st); w != "" {
				t.Errorf("datum warning on consistent inputs: %s", w)
			}
			if tc.notice != "" && !strings.Contains(strings.Join(st.Inputs.Warnings, "\n"), tc.notice) {
				t.Errorf("warnings %q lack %q", st.Inputs.Warnings, tc.notice)
			}
		})
	}
}

// TestAuditGCJ02Amenities audits WGS84 units with the amenities moved to
// GCJ-02 (as copied from Amap): with @gcj02 the figures are those of the
// WGS84 original (snaps within 1 m) and no warning; without it the datum
// warning names the file and suggests @gcj02. BD-09 likewise.
func TestAuditGCJ02Amenities(t *testing.T) {
	dir := t.TempDir()
	units, amenities := buptInputs(t, dir, nil)
	base, baseRes := auditBUPT(t, units, amenities)
	for _, tc := range []struct {
		name string
		move func(orb.Point) orb.Point
	}{
		{"gcj02", geo.WGS84ToGCJ02},
		{"bd09", func(p orb.Point) orb.Point { return geo.GCJ02ToBD09(geo.WGS84ToGCJ02(p)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := filepath.Join(dir, tc.name)
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
			_, moved := buptInputs(t, d, tc.move)
			st, res := auditBUPT(t, units, moved+"@"+tc.name)
			sameFigures(t, "@"+tc.name, base, baseRes, st, res, 1)
			if w := datumWarning(st); w != "" {
				t.Errorf("datum warning with @%s: %s", tc.name, w)
			}
			if len(st.In.Units) != len(base.In.Units) {
				t.Errorf("%d units", len(st.In.Units))
			}
			st, _ = auditBUPT(t, units, moved)
			w := datumWarning(st)
			if !strings.Contains(w, "amenities.geojson@"+tc.name) || !strings.Contains(w, d) {
				t.Errorf("without @%s: warning %q, want one suggesting amenities.geojson@%s", tc.name, w, tc.name)
			}
		})
	}
}
