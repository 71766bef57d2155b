package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// The acceptance tests of `lifecircle audit` (issue 3): the real CLI on the
// real extracts of testdata/shared, every output checked for validity
// (GDAL, RFC 7946), internal consistency (units, demand, summary) and
// against an independent computation (`lifecircle nearest`).

// auditDatasets are the extracts the acceptance names.
var auditDatasets = []struct{ name, dir, osm string }{
	{"helsinki", "helsinki", "Helsinki.osm.pbf"},
	{"monaco", "monaco_region_2016", "monaco.osm.pbf"},
	{"beijing", "cn_beijing_bupt", "map.osm"},
}

// auditLayerTypes maps the shared layers/ files (osmium exports with OSM
// tags as properties) to the gb50180 type each one stands for.
var auditLayerTypes = []struct{ file, typ string }{
	{"amenity_health.geojson", "clinic"},
	{"amenity_market.geojson", "market"},
	{"amenity_fitness.geojson", "fitness"},
	{"amenity_playground.geojson", "playground"},
	{"amenity_elderly_care.geojson", "elderly"},
}

// buptNames are facility names of cn_beijing_bupt's OSM data and health
// layer, which must come out byte for byte. The second, a hospital, is no
// community health station in OSM (gb50180 leaves hospitals out); the
// health layer names it a clinic.
var buptNames = []string{"校医院（北京邮电大学社区卫生服务中心）", "北京中仁中医医院"}

func TestAuditRealData(t *testing.T) {
	for _, ds := range auditDatasets {
		for _, withLayers := range []bool{false, true} {
			name := ds.name
			if withLayers {
				name += "+layers"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				dir := shareddata.Path(t, ds.dir)
				osmFile := shareddata.Path(t, ds.dir, ds.osm)
				tmp := t.TempDir()
				out := filepath.Join(tmp, "out")
				args := []string{"audit", "--quiet", "--osm", osmFile, "--out", out}
				var layers map[string]int // type → features added by layers
				if withLayers {
					var paths []string
					paths, layers = convertAmenityLayers(t, filepath.Join(dir, "layers"), filepath.Join(tmp, "layers"))
					if len(paths) == 0 {
						t.Fatal("no non-empty amenity layer: nothing to test")
					}
					for _, p := range paths {
						args = append(args, "--amenities", p)
					}
				}
				stdout, stderr, code := runCLI(t, args...)
				if code != 0 {
					t.Fatalf("exit %d:\n%s", code, stderr)
				}
				a := checkAuditDir(t, out)
				a.stdout = stdout
				checkAgainstNearest(t, osmFile, a)

				// Facilities from layers are counted, with the layer as source.
				for typ, n := range layers {
					got := 0
					for _, f := range a.facilities {
						if f.props["type"] == typ && f.props["source"] != nil && strings.HasPrefix(f.props["source"].(string), "amenity_") {
							got++
						}
					}
					if got != n {
						t.Errorf("%s: %d facilities from the layers in facilities.geojson, the layers hold %d", typ, got, n)
					}
				}
				if ds.name == "beijing" {
					checkChineseNames(t, a, withLayers)
				}
			})
		}
	}
}

// convertAmenityLayers writes a copy of each non-empty amenity layer of
// dir into outDir with a `type` property added, and returns the copies and
// the number of features per type.
func convertAmenityLayers(t *testing.T, dir, outDir string) ([]string, map[string]int) {
	t.Helper()
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	counts := map[string]int{}
	for _, l := range auditLayerTypes {
		b, err := os.ReadFile(filepath.Join(dir, l.file))
		if err != nil {
			t.Fatal(err)
		}
		var fc struct {
			Type     string           `json:"type"`
			Features []map[string]any `json:"features"`
		}
		if err := json.Unmarshal(b, &fc); err != nil {
			t.Fatalf("%s: %v", l.file, err)
		}
		if len(fc.Features) == 0 {
			continue
		}
		for _, f := range fc.Features {
			props, _ := f["properties"].(map[string]any)
			if props == nil {
				props = map[string]any{}
				f["properties"] = props
			}
			props["type"] = l.typ
		}
		b, err = json.Marshal(fc)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(outDir, l.file)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		counts[l.typ] += len(fc.Features)
	}
	return paths, counts
}

// checkChineseNames checks that cn_beijing_bupt's Chinese names and the
// profile's Chinese type names come out intact.
func checkChineseNames(t *testing.T, a *auditOut, withLayers bool) {
	t.Helper()
	for _, name := range buptNames {
		var sources []string
		for _, f := range a.facilities {
			if f.props["name"] == name {
				if f.props["type"] != "clinic" {
					t.Errorf("%s is a %v, want clinic", name, f.props["type"])
				}
				sources = append(sources, fmt.Sprint(f.props["source"]))
			}
		}
		want := []string{"map.osm"}
		if name == buptNames[1] {
			want = nil
			if slices.Contains(sources, "map.osm") {
				t.Errorf("facilities.geojson: hospital %q counted from OSM as a clinic", name)
			}
		}
		if withLayers {
			want = append(want, "amenity_health.geojson")
		}
		for _, w := range want {
			found := false
			for _, s := range sources {
				found = found || s == w
			}
			if !found {
				t.Errorf("facilities.geojson: no clinic named %q from %s (found it from %v)", name, w, sources)
			}
		}
	}
	raw, err := os.ReadFile(filepath.Join(a.dir, "facilities.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(buptNames[0])) {
		t.Errorf("facilities.geojson does not hold %q as UTF-8 text", buptNames[0])
	}
	// Type names in summary.json, summary.csv and on the terminal.
	zh := map[string]string{"clinic": "社区卫生服务站/中心", "elderly": "老年人日间照料中心/托老站",
		"market": "菜市场/生鲜超市", "fitness": "健身路径/室外健身场地", "playground": "儿童游乐场"}
	for _, ty := range a.summary.Types {
		if ty.NameZh != zh[ty.ID] {
			t.Errorf("summary.json: %s name_zh %q, want %q", ty.ID, ty.NameZh, zh[ty.ID])
		}
		if !strings.Contains(a.stdout, zh[ty.ID]) {
			t.Errorf("terminal table lacks %q:\n%s", zh[ty.ID], a.stdout)
		}
	}
	for _, r := range a.csv[1:] {
		if r[1] != zh[r[0]] {
			t.Errorf("summary.csv: %s name_zh %q, want %q", r[0], r[1], zh[r[0]])
		}
	}
	if a.summary.Profile.NameZh != "15分钟社区生活圈（GB 50180-2018）" {
		t.Errorf("summary.json: profile name_zh %q", a.summary.Profile.NameZh)
	}
	for _, l := range []string{"生活圈覆盖", "完整度", "缺口最大"} {
		if !strings.Contains(a.stdout, l) {
			t.Errorf("terminal table lacks %q", l)
		}
	}
}

// TestAuditChineseUnits runs cn_beijing_bupt with imported units whose ids
// and names are Chinese: they come out intact in units.geojson and in the
// terminal's worst-units list, aligned by display width.
func TestAuditChineseUnits(t *testing.T) {
	t.Parallel()
	osmFile := shareddata.Path(t, "cn_beijing_bupt", "map.osm")
	out := filepath.Join(t.TempDir(), "out")
	stdout, stderr, code := runCLI(t, "audit", "--quiet", "--osm", osmFile,
		"--units", filepath.Join("testdata", "audit_units_bupt.geojson"), "--out", out)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	a := checkAuditDir(t, out)
	a.stdout = stdout
	want := map[string][2]string{
		"北邮南区": {"北京邮电大学南区", "海淀区北太平庄街道"},
		"北邮本部": {"北京邮电大学海淀校区", "海淀区北太平庄街道"},
	}
	if len(a.units) != len(want) {
		t.Fatalf("units.geojson has %d units, want %d", len(a.units), len(want))
	}
	for _, u := range a.units {
		id, _ := u.props["unit_id"].(string)
		w, ok := want[id]
		if !ok {
			t.Errorf("unexpected unit_id %q", id)
			continue
		}
		if u.props["name"] != w[0] || u.props["parent"] != w[1] {
			t.Errorf("unit %s: name %v, parent %v; want %s, %s", id, u.props["name"], u.props["parent"], w[0], w[1])
		}
		if u.id != id {
			t.Errorf("unit %s: feature id %q", id, u.id)
		}
	}
	// Worst-units lines: "  <id name padded to 28 columns> <population %8.0f> residents, ...".
	n := 0
	for _, line := range strings.Split(stdout, "\n") {
		i := strings.Index(line, " residents, completeness")
		if i < 0 {
			continue
		}
		n++
		if !strings.Contains(line, "北邮南区") && !strings.Contains(line, "北邮本部") {
			t.Errorf("worst-units line without a unit id: %q", line)
		}
		if w := displayWidth(line[:i]); w != 2+28+1+8 {
			t.Errorf("worst-units line %q: population ends at column %d, want %d (CJK characters are two columns wide)", line, w, 2+28+1+8)
		}
	}
	if n != 2 {
		t.Errorf("%d worst-units lines, want 2:\n%s", n, stdout)
	}
}

// displayWidth is the terminal width of s: Han characters and full-width
// forms take two columns.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r), r >= 0xff01 && r <= 0xff60, r >= 0x3000 && r <= 0x303f:
			w += 2
		default:
			w++
		}
	}
	return w
}

// TestAuditGCJ02Amenities reads an amenity CSV in GCJ-02 (Amap/Tencent)
// coordinates and checks that facilities.geojson holds the WGS84 points.
func TestAuditGCJ02Amenities(t *testing.T) {
	t.Parallel()
	osmFile := shareddata.Path(t, "cn_beijing_bupt", "map.osm")
	// WGS84 positions on the BUPT campus (from the OSM extract) ...
	pts := []struct {
		id, name, typ string
		wgs           orb.Point
		gcj           orb.Point // zero: convert wgs in the test
	}{
		{"g1", "北邮校医院", "clinic", orb.Point{116.3506488, 39.9585889}, orb.Point{}},
		{"g2", "北京中仁中医医院", "clinic", orb.Point{116.3544056, 39.9568664}, orb.Point{}},
		{"g3", "物美, 北邮店", "market", orb.Point{116.3521, 39.9612}, orb.Point{}},
		// ... and a published pair (eviltransform's Beijing test vector, also
		// in geo/chinacoords_test.go): the GCJ-02 value is written as
		// published, not computed here.
		{"g4", "天安门西", "fitness", orb.Point{116.377817, 39.911954}, orb.Point{116.38404722455657, 39.91334545536069}},
	}
	var b strings.Builder
	b.WriteString("id,name,type,lon,lat\n")
	for i := range pts {
		p := &pts[i]
		if p.gcj == (orb.Point{}) {
			p.gcj = geo.WGS84ToGCJ02(p.wgs)
		} else if got := geo.WGS84ToGCJ02(p.wgs); geo.Haversine(got, p.gcj) > 0.01 {
			t.Fatalf("geo.WGS84ToGCJ02(%v) = %v, published %v", p.wgs, got, p.gcj)
		}
		if d := geo.Haversine(p.wgs, p.gcj); d < 100 {
			t.Fatalf("%s: GCJ-02 offset %.1f m: too small for the test to tell the systems apart", p.id, d)
		}
		fmt.Fprintf(&b, "%s,%q,%s,%s,%s\n", p.id, p.name, p.typ,
			strconv.FormatFloat(p.gcj[0], 'f', -1, 64), strconv.FormatFloat(p.gcj[1], 'f', -1, 64))
	}
	tmp := t.TempDir()
	csvPath := filepath.Join(tmp, "stations.csv")
	if err := os.WriteFile(csvPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "out")
	_, stderr, code := runCLI(t, "audit", "--quiet", "--osm", osmFile, "--amenities", csvPath, "--coords", "gcj02", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	a := checkAuditDir(t, out)
	got := map[string]auditFeature{}
	for _, f := range a.facilities {
		if f.props["source"] == "stations.csv" {
			got[fmt.Sprint(f.props["id"])] = f
		}
	}
	if len(got) != len(pts) {
		t.Fatalf("facilities.geojson holds %d facilities from stations.csv, want %d", len(got), len(pts))
	}
	for _, p := range pts {
		f, ok := got[p.id]
		if !ok {
			t.Errorf("%s missing from facilities.geojson", p.id)
			continue
		}
		if f.props["name"] != p.name || f.props["type"] != p.typ {
			t.Errorf("%s: name %v type %v, want %s %s", p.id, f.props["name"], f.props["type"], p.name, p.typ)
		}
		c, ok := f.geom["coordinates"].([]any)
		if f.geom["type"] != "Point" || !ok || len(c) < 2 {
			t.Errorf("%s: geometry %v", p.id, f.geom)
			continue
		}
		lon, lat := jsonFloat(c[0]), jsonFloat(c[1])
		if math.Abs(lon-p.wgs[0]) > 1e-6 || math.Abs(lat-p.wgs[1]) > 1e-6 {
			t.Errorf("%s: facilities.geojson has %.7f, %.7f; WGS84 is %.7f, %.7f (GCJ-02 input %.7f, %.7f)",
				p.id, lon, lat, p.wgs[0], p.wgs[1], p.gcj[0], p.gcj[1])
		}
	}
}

// TestAuditBadInput checks messages, exit codes (DESIGN §4) and that a
// failing run leaves --out as it was.
func TestAuditBadInput(t *testing.T) {
	helsinki := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	okProfile, err := os.ReadFile(filepath.Join("testdata", "audit_profile_ok.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// breakLine returns the fixture profile with its threshold on line n
	// (1-based) replaced by text.
	breakLine := func(n int, text string) []byte {
		lines := strings.Split(string(okProfile), "\n")
		if !strings.HasPrefix(strings.TrimSpace(lines[n-1]), "threshold:") {
			t.Fatalf("fixture line %d is %q, not a threshold", n, lines[n-1])
		}
		lines[n-1] = text
		return []byte(strings.Join(lines, "\n"))
	}
	type file struct {
		name string
		body []byte
	}
	cases := []struct {
		name  string
		files []file                         // written into the test's temp dir
		args  func(tmp, out string) []string // after "audit"
		code  int
		want  []string // in stderr
		prior bool     // --out holds an earlier complete audit
		okOut bool     // the run succeeds and writes --out
	}{
		{
			name:  "profile threshold not a number",
			files: []file{{"bad_threshold.yaml", breakLine(13, "    threshold: abc")}},
			args: func(tmp, out string) []string {
				return []string{"--osm", helsinki, "--profile", filepath.Join(tmp, "bad_threshold.yaml"), "--out", out}
			},
			code: 1, want: []string{"bad_threshold.yaml:13", "threshold"}, prior: true,
		},
		{
			name:  "profile tab indentation",
			files: []file{{"tab.yaml", breakLine(13, "\tthreshold: 1000")}},
			args: func(tmp, out string) []string {
				return []string{"--osm", helsinki, "--profile", filepath.Join(tmp, "tab.yaml"), "--out", out}
			},
			code: 1, want: []string{"tab.yaml:13"},
		},
		{
			name:  "profile unclosed quote",
			files: []file{{"quote.yaml", breakLine(22, `    threshold: "500`)}},
			args: func(tmp, out string) []string {
				return []string{"--osm", helsinki, "--profile", filepath.Join(tmp, "quote.yaml"), "--out", out}
			},
			code: 1, want: []string{"quote.yaml:22"},
		},
		{
			// The bracket opens on line 13; go-yaml reports parser errors
			// with a 0-based context line, which must not leak through.
			name:  "profile unclosed bracket",
			files: []file{{"bracket.yaml", breakLine(13, "    threshold: [1000")}},
			args: func(tmp, out string) []string {
				return []string{"--osm", helsinki, "--profile", filepath.Join(tmp, "bracket.yaml"), "--out", out}
			},
			code: 1, want: []string{"bracket.yaml:13"},
		},
		{
			name: "unknown amenity type",
			args: func(tmp, out string) []string {
				return []string{"--osm", helsinki, "--amenities", filepath.Join("testdata", "audit_unknown_type.geojson"), "--out", out}
			},
			code: 1, prior: true,
			want: []string{"audit_unknown_type.geojson", "feature 1", "Sauna Hermanni", `"sauna"`,
				"clinic", "elderly", "market", "fitness", "playground"},
		},
		{
			name:  "unknown amenity type in csv",
			files: []file{{"stations.csv", []byte("id,name,type,lon,lat\na,Kallio,clinic,24.9441,60.1699\nb,Yoga Loft,yoga,24.9452,60.1688\n")}},
			args: func(tmp, out string) []string {
				return []string{"--osm", helsinki, "--amenities", filepath.Join(tmp, "stations.csv"), "--out", out}
			},
			code: 1,
			want: []string{"stations.csv", "Yoga Loft", `"yoga"`, "clinic, elderly, market, fitness, playground"},
		},
		{
			name: "units are points",
			args: func(tmp, out string) []string {
				return []string{"--osm", helsinki, "--units", filepath.Join("testdata", "audit_units_points.geojson"), "--out", out}
			},
			code: 1, prior: true, want: []string{"audit_units_points.geojson", "feature 0", "Point", "polygons", "--units needs polygons"},
		},
		{
			name: "overlapping units warn",
			args: func(tmp, out string) []string {
				return []string{"--osm", helsinki, "--units", filepath.Join("testdata", "audit_units_overlap.geojson"), "--out", out}
			},
			code: 0, okOut: true, want: []string{"warning:", "audit_units_overlap.geojson", "overlapping", "outside every unit"},
		},
		{
			name: "missing --out",
			args: func(tmp, out string) []string { return []string{"--osm", helsinki} },
			code: 2, want: []string{"--out"},
		},
		{
			name: "cell 0",
			args: func(tmp, out string) []string { return []string{"--osm", helsinki, "--cell", "0", "--out", out} },
			code: 2, prior: true, want: []string{"--cell"},
		},
		{
			name: "missing osm file",
			args: func(tmp, out string) []string {
				return []string{"--osm", filepath.Join(tmp, "nowhere.osm.pbf"), "--out", out}
			},
			code: 1, want: []string{"nowhere.osm.pbf"},
		},
		{
			name: "missing amenity file",
			args: func(tmp, out string) []string {
				return []string{"--osm", helsinki, "--amenities", filepath.Join(tmp, "clinics.geojson"), "--out", out}
			},
			code: 1, want: []string{"clinics.geojson"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			for _, f := range tc.files {
				if err := os.WriteFile(filepath.Join(tmp, f.name), f.body, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out := filepath.Join(tmp, "out")
			if tc.prior {
				if _, stderr, code := runCLI(t, "audit", "--quiet", "--osm", helsinki, "--out", out); code != 0 {
					t.Fatalf("preparing an earlier audit: exit %d: %s", code, stderr)
				}
			}
			before := snapshotDir(t, tmp)
			args := append([]string{"audit", "--quiet"}, tc.args(tmp, out)...)
			_, stderr, code := runCLI(t, args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if tc.okOut {
				a := checkAuditDir(t, out)
				if a.summary.Totals.PopulationOutside <= 0 {
					t.Errorf("population_outside %v: the fixture leaves residents outside both units", a.summary.Totals.PopulationOutside)
				}
				return
			}
			if tc.code != 0 && strings.Count(strings.TrimSpace(stderr), "\n") > 6 {
				t.Errorf("a failing run should say what is wrong in a few lines, got:\n%s", stderr)
			}
			after := snapshotDir(t, tmp)
			if !tc.prior {
				if _, err := os.Stat(out); !os.IsNotExist(err) {
					t.Errorf("--out %s exists after a failing run (err %v)", out, err)
				}
			}
			for p, h := range before {
				if after[p] != h {
					t.Errorf("%s changed by the failing run", p)
				}
			}
			for p := range after {
				if _, ok := before[p]; !ok {
					t.Errorf("%s left behind by the failing run", p)
				}
			}
		})
	}
}

// snapshotDir returns every file and directory under dir with a hash of its
// content.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			m[rel+"/"] = "dir"
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestAuditProjectFile runs `audit -c lifecircle.yaml`: the binary reads
// the project file and writes to its out: folder, relative to the project
// file. That the project file gives the settings flags give is
// data/study's TestProjectFileSameAsFlags.
func TestAuditProjectFile(t *testing.T) {
	t.Parallel()
	src := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	proj := t.TempDir()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	osmCopy := filepath.Join(proj, "Helsinki.osm.pbf")
	if err := os.WriteFile(osmCopy, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := "# Central Helsinki audit\nname: helsinki\nosm: Helsinki.osm.pbf\nprofile: gb50180\ncell: 250\nout: out\n"
	if err := os.WriteFile(filepath.Join(proj, "lifecircle.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCLI(t, "audit", "--quiet", "-c", filepath.Join(proj, "lifecircle.yaml"))
	if code != 0 {
		t.Fatalf("audit -c: exit %d:\n%s", code, stderr)
	}
	if _, err := os.Stat("out"); err == nil {
		t.Errorf("audit -c wrote ./out: out: in the project file is relative to the project file's folder")
	}
	got := checkAuditDir(t, filepath.Join(proj, "out"))
	if got.summary.Inputs["osm"] != osmCopy || got.summary.Inputs["profile"] != "gb50180" {
		t.Errorf("summary inputs %v: want the project file's extract and profile", got.summary.Inputs)
	}
}

// TestAuditSample runs the bundled sample with no other input.
func TestAuditSample(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	stdout, stderr, code := runCLI(t, "audit", "--sample", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	a := checkAuditDir(t, out)
	if a.summary.DemandSource != "residential buildings" {
		t.Errorf("demand_source %q: the sample has residential buildings", a.summary.DemandSource)
	}
	if a.summary.Profile.ID != "gb50180" || a.summary.Profile.NameEn == "" || a.summary.Profile.NameZh == "" {
		t.Errorf("profile %+v, want the default gb50180 with its names", a.summary.Profile)
	}
	if osm, _ := a.summary.Inputs["osm"].(string); !strings.Contains(osm, "sample") || !strings.Contains(osm, "OpenStreetMap") {
		t.Errorf("inputs.osm %q: should name the bundled sample and credit OpenStreetMap", osm)
	}
	if !strings.Contains(stdout, "gb50180") || !strings.Contains(stdout, a.summary.DemandSource) {
		t.Errorf("terminal table does not name the profile and the demand source:\n%s", stdout)
	}
	if !strings.Contains(stderr, "OpenStreetMap contributors") {
		t.Errorf("no attribution on stderr:\n%s", stderr)
	}
	if len(a.units) == 0 || a.summary.Totals.Population <= 0 {
		t.Errorf("%d cells, %v residents", len(a.units), a.summary.Totals.Population)
	}
}

// ----- reading and checking an audit's outputs -----

// auditSummary is the part of summary.json the tests check.
type auditSummary struct {
	DemandSource string `json:"demand_source"`
	Profile      struct {
		ID     string `json:"id"`
		NameZh string `json:"name_zh"`
		NameEn string `json:"name_en"`
	} `json:"profile"`
	Inputs map[string]any `json:"inputs"`
	Totals struct {
		Population          float64 `json:"population"`
		DemandPoints        int     `json:"demand_points"`
		PopulationOutside   float64 `json:"population_outside"`
		DemandPointsOutside int     `json:"demand_points_outside"`
		Completeness        float64 `json:"completeness"`
		FullyServed         float64 `json:"fully_served"`
	} `json:"totals"`
	Types []struct {
		ID          string   `json:"id"`
		NameZh      string   `json:"name_zh"`
		NameEn      string   `json:"name_en"`
		Threshold   float64  `json:"threshold_m"`
		Facilities  int      `json:"facilities"`
		Population  float64  `json:"population"`
		Covered     float64  `json:"population_covered"`
		Coverage    float64  `json:"coverage"`
		Gap         float64  `json:"population_gap"`
		GapUnits    int      `json:"gap_units"`
		Unreachable float64  `json:"population_unreachable"`
		DistMean    *float64 `json:"dist_mean_m"`
		DistP90     *float64 `json:"dist_p90_m"`
	} `json:"types"`
	Units struct {
		Count int    `json:"count"`
		Kind  string `json:"kind"`
	} `json:"units"`
	Warnings []string `json:"warnings"`
}

type auditFeature struct {
	id    string
	geom  map[string]any // numbers as json.Number
	props map[string]any // numbers as json.Number
}

type auditOut struct {
	dir                       string
	summary                   auditSummary
	units, demand, facilities []auditFeature
	csv                       [][]string
	stdout                    string
}

// checkAuditDir reads an audit's output folder and checks every file:
// GDAL opens each GeoJSON, RFC 7946 holds, units are consistent, the
// summary's totals are the sums over units and outside residents, and
// summary.csv matches summary.json.
func checkAuditDir(t *testing.T, dir string) *auditOut {
	t.Helper()
	a := &auditOut{dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &a.summary); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	s := &a.summary
	if len(s.Types) == 0 {
		t.Fatal("summary.json: no types")
	}
	if s.DemandSource == "" {
		t.Error("summary.json: no demand_source")
	}
	unitsFile, other := "cells.geojson", "units.geojson"
	if s.Units.Kind == "imported" {
		unitsFile, other = other, unitsFile
	}
	if _, err := os.Stat(filepath.Join(dir, other)); err == nil {
		t.Errorf("%s written beside %s", other, unitsFile)
	}
	a.units = readAuditGeoJSON(t, filepath.Join(dir, unitsFile))
	a.demand = readAuditGeoJSON(t, filepath.Join(dir, "demand.geojson"))
	a.facilities = readAuditGeoJSON(t, filepath.Join(dir, "facilities.geojson"))
	a.csv = readOutputCSV(t, filepath.Join(dir, "summary.csv"))

	if len(a.units) != s.Units.Count {
		t.Errorf("%s: %d features, summary says %d units", unitsFile, len(a.units), s.Units.Count)
	}
	if len(a.demand) != s.Totals.DemandPoints {
		t.Errorf("demand.geojson: %d points, summary says %d", len(a.demand), s.Totals.DemandPoints)
	}
	nFac := 0
	for _, ty := range s.Types {
		nFac += ty.Facilities
		n := 0
		for _, f := range a.facilities {
			if f.props["type"] == ty.ID {
				n++
			}
		}
		if n != ty.Facilities {
			t.Errorf("facilities.geojson: %d of type %s, summary says %d", n, ty.ID, ty.Facilities)
		}
	}
	if len(a.facilities) != nFac {
		t.Errorf("facilities.geojson: %d features, summary counts %d", len(a.facilities), nFac)
	}
	for i, f := range a.facilities {
		for _, k := range []string{"type", "name", "source"} {
			if _, ok := f.props[k].(string); !ok {
				t.Errorf("facilities.geojson feature %d: %s is %v, want a string", i, k, f.props[k])
			}
		}
	}

	// Each unit on its own.
	bad := newErrLimit(t, unitsFile)
	unitPop := 0.0
	unitCovered := make([]float64, len(s.Types))
	unitIdx := map[string]int{}
	for i, u := range a.units {
		id, _ := u.props["unit_id"].(string)
		if id == "" {
			bad.errorf("feature %d has no unit_id", i)
		}
		if _, dup := unitIdx[id]; dup {
			bad.errorf("unit_id %q repeated", id)
		}
		unitIdx[id] = i
		pop, ok := jsonNumber(u.props["population"])
		if !ok || pop < 0 {
			bad.errorf("unit %s: population %v", id, u.props["population"])
		}
		unitPop += pop
		for ti, ty := range s.Types {
			cov, ok1 := jsonNumber(u.props["covered_"+ty.ID])
			share, ok2 := jsonNumber(u.props["coverage_"+ty.ID])
			gap, ok3 := jsonNumber(u.props["gap_"+ty.ID])
			if !ok1 || !ok2 || !ok3 {
				bad.errorf("unit %s: covered/coverage/gap_%s missing", id, ty.ID)
				continue
			}
			unitCovered[ti] += cov
			if cov < 0 || cov > pop+1e-6 {
				bad.errorf("unit %s: covered_%s %v outside 0..population %v", id, ty.ID, cov, pop)
			}
			if share < 0 || share > 1 {
				bad.errorf("unit %s: coverage_%s %v outside 0..1", id, ty.ID, share)
			}
			// covered and population are rounded to 0.1, the share to 1e-4.
			if pop > 0 && math.Abs(share-cov/pop) > 1e-4+0.05*(1+cov/pop)/pop+1e-9 {
				bad.errorf("unit %s: coverage_%s %v but covered/population = %v", id, ty.ID, share, cov/pop)
			}
			if math.Abs(gap-(pop-cov)) > 0.1+1e-9 {
				bad.errorf("unit %s: gap_%s %v but population − covered = %v", id, ty.ID, gap, pop-cov)
			}
			for _, k := range []string{"dist_" + ty.ID + "_mean", "dist_" + ty.ID + "_p90"} {
				if v, present := u.props[k]; !present {
					bad.errorf("unit %s: no %s", id, k)
				} else if d, ok := jsonNumber(v); v != nil && (!ok || d < 0) {
					bad.errorf("unit %s: %s %v", id, k, v)
				}
			}
		}
		for _, k := range []string{"completeness", "fully_served"} {
			v, ok := jsonNumber(u.props[k])
			if !ok || v < 0 || v > 1 {
				bad.errorf("unit %s: %s %v outside 0..1", id, k, u.props[k])
			}
		}
		if u.geom["type"] != "Polygon" && u.geom["type"] != "MultiPolygon" {
			bad.errorf("unit %s: geometry %v, want a polygon", id, u.geom["type"])
		}
	}

	// Demand points, summed per unit and outside every unit.
	type sums struct {
		pop, n float64
		lo, hi []float64 // covered population: certain, and possible (distance rounded to the threshold)
	}
	newSums := func() *sums {
		return &sums{lo: make([]float64, len(s.Types)), hi: make([]float64, len(s.Types))}
	}
	perUnit := map[string]*sums{}
	outside := newSums()
	dbad := newErrLimit(t, "demand.geojson")
	for i, d := range a.demand {
		if d.geom["type"] != "Point" {
			dbad.errorf("point %d: geometry %v", i, d.geom["type"])
		}
		pop, ok := jsonNumber(d.props["population"])
		if !ok || pop < 0 {
			dbad.errorf("point %d: population %v", i, d.props["population"])
		}
		acc := outside
		uid, present := d.props["unit_id"]
		if !present {
			dbad.errorf("point %d: no unit_id (null when outside every unit)", i)
		}
		if uid != nil {
			id, _ := uid.(string)
			if _, ok := unitIdx[id]; !ok {
				dbad.errorf("point %d: unit_id %v is not a unit", i, uid)
			}
			if perUnit[id] == nil {
				perUnit[id] = newSums()
			}
			acc = perUnit[id]
		}
		acc.pop += pop
		acc.n++
		for ti, ty := range s.Types {
			v, present := d.props["dist_"+ty.ID]
			if !present {
				dbad.errorf("point %d: no dist_%s", i, ty.ID)
				continue
			}
			if v == nil {
				continue
			}
			dist, ok := jsonNumber(v)
			if !ok || dist < 0 {
				dbad.errorf("point %d: dist_%s %v", i, ty.ID, v)
				continue
			}
			switch {
			case dist < ty.Threshold:
				acc.lo[ti] += pop
				acc.hi[ti] += pop
			case dist == ty.Threshold:
				acc.hi[ti] += pop
			}
		}
	}
	for id, u := range unitIdx {
		f := a.units[u]
		sm := perUnit[id]
		if sm == nil {
			sm = newSums()
		}
		pop, _ := jsonNumber(f.props["population"])
		tol := 0.05 + 0.005*sm.n + 1e-9
		if math.Abs(pop-sm.pop) > tol {
			bad.errorf("unit %s: population %v, its demand points sum to %v", id, pop, sm.pop)
		}
		for ti, ty := range s.Types {
			cov, _ := jsonNumber(f.props["covered_"+ty.ID])
			if cov < sm.lo[ti]-tol || cov > sm.hi[ti]+tol {
				bad.errorf("unit %s: covered_%s %v, its demand points within %v m sum to %v..%v", id, ty.ID, cov, ty.Threshold, sm.lo[ti], sm.hi[ti])
			}
		}
	}

	// Summary totals = sums over units + residents outside every unit.
	tol := 0.1*float64(len(a.units)+1) + 0.005*outside.n + 1e-9
	if got := s.Totals.Population; math.Abs(got-(unitPop+s.Totals.PopulationOutside)) > tol {
		t.Errorf("summary.json: population %v, units sum to %v + %v outside", got, unitPop, s.Totals.PopulationOutside)
	}
	if math.Abs(s.Totals.PopulationOutside-outside.pop) > 0.05+0.005*outside.n {
		t.Errorf("summary.json: population_outside %v, demand points with no unit sum to %v", s.Totals.PopulationOutside, outside.pop)
	}
	if int(outside.n) != s.Totals.DemandPointsOutside {
		t.Errorf("summary.json: demand_points_outside %d, demand.geojson has %v with unit_id null", s.Totals.DemandPointsOutside, outside.n)
	}
	for _, k := range []float64{s.Totals.Completeness, s.Totals.FullyServed} {
		if k < 0 || k > 1 {
			t.Errorf("summary.json: completeness/fully_served %v outside 0..1", k)
		}
	}
	for ti, ty := range s.Types {
		lo, hi := unitCovered[ti]+outside.lo[ti], unitCovered[ti]+outside.hi[ti]
		if ty.Covered < lo-tol || ty.Covered > hi+tol {
			t.Errorf("summary.json: %s population_covered %v, units sum to %v and outside residents add %v..%v",
				ty.ID, ty.Covered, unitCovered[ti], outside.lo[ti], outside.hi[ti])
		}
		if ty.Population != s.Totals.Population {
			t.Errorf("summary.json: %s population %v, total %v", ty.ID, ty.Population, s.Totals.Population)
		}
		if ty.Coverage < 0 || ty.Coverage > 1 || (ty.Population > 0 && math.Abs(ty.Coverage-ty.Covered/ty.Population) > 1e-4) {
			t.Errorf("summary.json: %s coverage %v, covered/population %v", ty.ID, ty.Coverage, ty.Covered/ty.Population)
		}
		if math.Abs(ty.Gap-(ty.Population-ty.Covered)) > 0.1+1e-9 {
			t.Errorf("summary.json: %s gap %v, population − covered %v", ty.ID, ty.Gap, ty.Population-ty.Covered)
		}
		if ty.Facilities == 0 && ty.Covered != 0 {
			t.Errorf("summary.json: %s has no facilities but covers %v", ty.ID, ty.Covered)
		}
	}

	// summary.csv: one row per type, the same figures.
	// Capacity columns follow when a type has capacity figures.
	wantHeader := "type,name_zh,name_en,threshold_m,facilities,population,covered,coverage,gap,gap_units,unreachable,dist_mean_m,dist_p90_m"
	capHeader := wantHeader + ",capacity_places,capacity_ratio,served_by_capacity,over_capacity,facilities_full"
	if len(a.csv) == 0 || (strings.Join(a.csv[0], ",") != wantHeader && strings.Join(a.csv[0], ",") != capHeader) {
		t.Fatalf("summary.csv header %v, want %s", a.csv[:min(1, len(a.csv))], wantHeader)
	}
	if len(a.csv)-1 != len(s.Types) {
		t.Fatalf("summary.csv: %d rows, %d types", len(a.csv)-1, len(s.Types))
	}
	for i, ty := range s.Types {
		r := a.csv[i+1]
		opt := func(p *float64) string {
			if p == nil {
				return ""
			}
			return strconv.FormatFloat(*p, 'f', -1, 64)
		}
		want := []string{ty.ID, ty.NameZh, ty.NameEn, fmt.Sprint(ty.Threshold), strconv.Itoa(ty.Facilities),
			fmt.Sprint(ty.Population), fmt.Sprint(ty.Covered), fmt.Sprint(ty.Coverage), fmt.Sprint(ty.Gap),
			strconv.Itoa(ty.GapUnits), fmt.Sprint(ty.Unreachable), opt(ty.DistMean), opt(ty.DistP90)}
		for c, w := range want {
			got := r[c]
			if got == w {
				continue
			}
			// Numbers: compare values ("1.0000" in CSV is 1 in JSON).
			g, err1 := strconv.ParseFloat(got, 64)
			x, err2 := strconv.ParseFloat(w, 64)
			if err1 != nil || err2 != nil || math.Abs(g-x) > 1e-9 {
				t.Errorf("summary.csv %s: %s = %q, summary.json has %q", ty.ID, a.csv[0][c], got, w)
			}
		}
	}
	return a
}

// errLimit reports the first few errors of a kind and then a count.
type errLimit struct {
	t    *testing.T
	what string
	n    int
}

func newErrLimit(t *testing.T, what string) *errLimit {
	return &errLimit{t: t, what: what}
}

func (e *errLimit) errorf(format string, a ...any) {
	e.t.Helper()
	e.n++
	if e.n <= 10 {
		e.t.Errorf("%s: %s", e.what, fmt.Sprintf(format, a...))
	} else if e.n == 11 {
		e.t.Errorf("%s: more errors not shown", e.what)
	}
}

func jsonNumber(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	x, err := n.Float64()
	return x, err == nil
}

func jsonFloat(v any) float64 {
	x, ok := jsonNumber(v)
	if !ok {
		return math.NaN()
	}
	return x
}

var ogrFeatureCount = regexp.MustCompile(`Feature Count: (\d+)`)

// readAuditGeoJSON reads a FeatureCollection, checks RFC 7946 (no crs,
// lon/lat in range, at most 6 decimals, closed rings, outer rings
// counter-clockwise and holes clockwise) and that GDAL's ogrinfo opens it
// with the same feature count.
func readAuditGeoJSON(t *testing.T, path string) []auditFeature {
	t.Helper()
	name := filepath.Base(path)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(raw) {
		t.Errorf("%s is not valid UTF-8", name)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if doc["type"] != "FeatureCollection" {
		t.Fatalf("%s: type %v, want FeatureCollection", name, doc["type"])
	}
	bad := newErrLimit(t, name)
	if _, ok := doc["crs"]; ok {
		bad.errorf("has a crs member (RFC 7946 §4: WGS84 only, no crs)")
	}
	fs, ok := doc["features"].([]any)
	if !ok {
		t.Fatalf("%s: features is %T", name, doc["features"])
	}
	out := make([]auditFeature, len(fs))
	for i, x := range fs {
		f, ok := x.(map[string]any)
		if !ok || f["type"] != "Feature" {
			bad.errorf("feature %d is not a Feature", i)
			continue
		}
		if _, ok := f["crs"]; ok {
			bad.errorf("feature %d has a crs member", i)
		}
		g, ok := f["geometry"].(map[string]any)
		if !ok {
			bad.errorf("feature %d: geometry %v", i, f["geometry"])
			continue
		}
		props, ok := f["properties"].(map[string]any)
		if !ok {
			bad.errorf("feature %d: properties %v", i, f["properties"])
		}
		var id string
		switch v := f["id"].(type) {
		case string:
			id = v
		case json.Number:
			id = v.String()
		}
		out[i] = auditFeature{id: id, geom: g, props: props}
		checkGeometry(bad, fmt.Sprintf("feature %d", i), g)
	}

	bin, err := exec.LookPath("ogrinfo")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("ogrinfo (GDAL) is not installed; scripts/test installs gdal-bin")
		}
		t.Logf("ogrinfo not installed: GDAL check of %s skipped", name)
		return out
	}
	o, err := exec.Command(bin, "-ro", "-al", "-so", path).CombinedOutput()
	if err != nil {
		t.Errorf("ogrinfo -ro -al -so %s: %v\n%s", name, err, o)
		return out
	}
	m := ogrFeatureCount.FindSubmatch(o)
	if m == nil {
		t.Errorf("ogrinfo %s: no feature count:\n%s", name, o)
	} else if n, _ := strconv.Atoi(string(m[1])); n != len(out) {
		t.Errorf("ogrinfo %s: Feature Count %d, the file has %d features", name, n, len(out))
	}
	if bytes.Contains(o, []byte("ERROR")) {
		t.Errorf("ogrinfo %s reports an error:\n%s", name, o)
	}
	return out
}

// checkGeometry checks an RFC 7946 geometry object.
func checkGeometry(bad *errLimit, where string, g map[string]any) {
	if _, ok := g["crs"]; ok {
		bad.errorf("%s: geometry has a crs member", where)
	}
	typ, _ := g["type"].(string)
	if typ == "GeometryCollection" {
		gs, _ := g["geometries"].([]any)
		for _, x := range gs {
			if sub, ok := x.(map[string]any); ok {
				checkGeometry(bad, where, sub)
			} else {
				bad.errorf("%s: geometry collection member %v", where, x)
			}
		}
		return
	}
	c := g["coordinates"]
	pos := func(v any) (orb.Point, bool) {
		a, ok := v.([]any)
		if !ok || len(a) < 2 || len(a) > 3 {
			bad.errorf("%s: position %v", where, v)
			return orb.Point{}, false
		}
		var p orb.Point
		for k := 0; k < 2; k++ {
			n, ok := a[k].(json.Number)
			if !ok {
				bad.errorf("%s: coordinate %v is not a number", where, a[k])
				return p, false
			}
			s := n.String()
			if strings.ContainsAny(s, "eE") {
				bad.errorf("%s: coordinate %s in exponent notation", where, s)
			} else if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > 6 {
				bad.errorf("%s: coordinate %s has more than 6 decimals", where, s)
			}
			p[k], _ = n.Float64()
		}
		if !(p[0] >= -180 && p[0] <= 180) || !(p[1] >= -90 && p[1] <= 90) {
			bad.errorf("%s: position %v outside lon -180..180, lat -90..90", where, p)
			return p, false
		}
		return p, true
	}
	list := func(v any, minLen int) []orb.Point {
		a, ok := v.([]any)
		if !ok || len(a) < minLen {
			bad.errorf("%s: %s needs at least %d positions, has %v", where, typ, minLen, v)
			return nil
		}
		ps := make([]orb.Point, 0, len(a))
		for _, x := range a {
			if p, ok := pos(x); ok {
				ps = append(ps, p)
			}
		}
		return ps
	}
	poly := func(v any) {
		rings, ok := v.([]any)
		if !ok || len(rings) == 0 {
			bad.errorf("%s: polygon without rings", where)
			return
		}
		for r, x := range rings {
			ps := list(x, 4)
			if len(ps) < 4 {
				continue
			}
			if ps[0] != ps[len(ps)-1] {
				bad.errorf("%s: ring %d is not closed", where, r)
			}
			var area float64
			for i := 0; i+1 < len(ps); i++ {
				area += ps[i][0]*ps[i+1][1] - ps[i+1][0]*ps[i][1]
			}
			if r == 0 && !(area > 0) {
				bad.errorf("%s: outer ring is not counter-clockwise (signed area %g)", where, area/2)
			}
			if r > 0 && !(area < 0) {
				bad.errorf("%s: hole %d is not clockwise (signed area %g)", where, r, area/2)
			}
		}
	}
	each := func(v any, fn func(any)) {
		a, ok := v.([]any)
		if !ok {
			bad.errorf("%s: %s coordinates %v", where, typ, v)
			return
		}
		for _, x := range a {
			fn(x)
		}
	}
	switch typ {
	case "Point":
		pos(c)
	case "MultiPoint":
		list(c, 0)
	case "LineString":
		list(c, 2)
	case "MultiLineString":
		each(c, func(x any) { list(x, 2) })
	case "Polygon":
		poly(c)
	case "MultiPolygon":
		each(c, poly)
	default:
		bad.errorf("%s: geometry type %q", where, typ)
	}
}

// checkAgainstNearest checks every demand point's dist_T against `lifecircle
// nearest` from that point to the facilities of type T in facilities.geojson,
// with the audit's search bound and snapping distance.
func checkAgainstNearest(t *testing.T, osmFile string, a *auditOut) {
	t.Helper()
	tmp := t.TempDir()
	maxDist, ok1 := a.summary.Inputs["max_distance_m"].(float64)
	maxSnap, ok2 := a.summary.Inputs["max_snap_m"].(float64)
	if !ok1 || !ok2 {
		t.Fatalf("summary.json inputs lack max_distance_m/max_snap_m: %v", a.summary.Inputs)
	}
	if maxDist != 5000 {
		t.Errorf("audit search bound %v m, want the default 5000 m", maxDist)
	}
	// Facilities and points are written with ids of their own: the audit's
	// ids need not be unique across sources.
	writeFC := func(path, prefix string, fs []auditFeature) {
		var b bytes.Buffer
		b.WriteString(`{"type":"FeatureCollection","features":[`)
		for i, f := range fs {
			g, err := json.Marshal(f.geom)
			if err != nil {
				t.Fatal(err)
			}
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"type":"Feature","id":"%s%d","geometry":%s,"properties":{"id":"%s%d"}}`, prefix, i, g, prefix, i)
		}
		b.WriteString("]}")
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	points := filepath.Join(tmp, "points.geojson")
	writeFC(points, "p", a.demand)
	for _, ty := range a.summary.Types {
		var facs []auditFeature
		for _, f := range a.facilities {
			if f.props["type"] == ty.ID {
				facs = append(facs, f)
			}
		}
		key := "dist_" + ty.ID
		if len(facs) == 0 {
			for i, d := range a.demand {
				if d.props[key] != nil {
					t.Errorf("%s: no facilities, but demand point %d has %s %v", ty.ID, i, key, d.props[key])
					break
				}
			}
			continue
		}
		facPath := filepath.Join(tmp, ty.ID+".geojson")
		writeFC(facPath, "f", facs)
		out := filepath.Join(tmp, ty.ID+"_nearest.csv")
		_, stderr, code := runCLI(t, "nearest", "--quiet", "--osm", osmFile, "--facilities", facPath, "--points", points,
			"--max-distance", strconv.FormatFloat(maxDist, 'f', -1, 64), "--max-snap", strconv.FormatFloat(maxSnap, 'f', -1, 64), "--out", out)
		if code != 0 {
			t.Fatalf("nearest %s: exit %d:\n%s", ty.ID, code, stderr)
		}
		rows := readOutputCSV(t, out)
		if len(rows)-1 != len(a.demand) {
			t.Fatalf("nearest %s: %d rows for %d points", ty.ID, len(rows)-1, len(a.demand))
		}
		bad := newErrLimit(t, "demand.geojson vs nearest, "+ty.ID)
		reached := 0
		for i, d := range a.demand {
			r := rows[i+1]
			if r[0] != "p"+strconv.Itoa(i) {
				t.Fatalf("nearest %s: row %d is point %s", ty.ID, i, r[0])
			}
			v := d.props[key]
			switch {
			case v == nil && r[1] == "":
			case v == nil || r[1] == "":
				bad.errorf("point %d (%v): audit %v, nearest %q", i, d.props["id"], v, r[1])
			default:
				reached++
				got, _ := jsonNumber(v)
				want, err := strconv.ParseFloat(r[1], 64)
				if err != nil || math.Abs(got-want) > 0.1+1e-9 {
					bad.errorf("point %d (%v): audit %v m, nearest %s m", i, d.props["id"], got, r[1])
				}
			}
		}
		if reached == 0 && ty.Covered > 0 {
			t.Errorf("%s: no point reached, yet %v residents covered", ty.ID, ty.Covered)
		}
	}
}
