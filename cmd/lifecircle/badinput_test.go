package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// buildBinary builds this package's binary into a temporary directory of
// t and returns its path, for tests that run it as a subprocess (exit
// paths outside run, kills, other users).
func buildBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lifecircle")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runBinary runs the built binary bin with args and returns stdout, stderr
// and the exit code; a panic trace fails the test.
func runBinary(t testing.TB, bin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if cmd.ProcessState == nil {
		t.Fatalf("run %s: %v", bin, err)
	}
	code := cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("lifecircle %v: %v\n%s", args, err, errb.String())
	}
	if strings.Contains(errb.String(), "panic:") || strings.Contains(errb.String(), "goroutine ") {
		t.Fatalf("lifecircle %v panicked:\n%s", args, errb.String())
	}
	return out.String(), errb.String(), code
}

// fixPhrase is the "what to do" every input error must say: one of these
// verbs, as a word.
var fixPhrase = regexp.MustCompile(`(?i)\b(use|give|check|reproject|save|add|remove|delete|choose|export|convert|split|close|fix|rename|swap)\b`)

// bad returns the path of a fixture in testdata/bad.
func bad(name string) string { return filepath.Join("testdata", "bad", name) }

// errorText returns the error a verb printed: stderr from the last line
// that starts with "lifecircle VERB: " (an error may span lines, e.g. a
// profile's list of problems).
func errorText(verb, stderr string) string {
	prefix := "lifecircle " + verb + ": "
	i := strings.LastIndex("\n"+stderr, "\n"+prefix)
	if i < 0 {
		return ""
	}
	return strings.TrimRight(stderr[i:], "\n")
}

// badRow is one row of the bad-input matrix.
type badRow struct {
	name string
	// args are the command line; out is a fresh path for --out that must
	// not exist after a failure.
	args func(out string) []string
	code int
	// input is the file the message must name (a path as given, or for
	// very long paths a part of it); "" for rows that succeed.
	input string
	want  []string // further substrings of the error
	// sub runs the row once more through the built binary.
	sub bool
	// check inspects a successful run's output directory or stdout.
	check func(t *testing.T, out, stdout, stderr string)
}

// TestBadInputMatrix runs every reader (OSM, GeoJSON and CSV layers in
// each role, YAML profiles and project files) through the real CLI verbs
// with broken inputs. Every refusal must exit with the row's code, name the
// input and say what to do (fixPhrase), print nothing on stdout, leave no
// --out behind, and never panic. Rows that succeed document inputs that are
// accepted on purpose (huge properties, GCJ-02 with --coords).
func TestBadInputMatrix(t *testing.T) {
	hel := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	helNet := shareddata.Path(t, "helsinki", "layers", "walk_network.geojson")
	bj := shareddata.Path(t, "cn_beijing_bupt", "map.osm")
	bjClinics := shareddata.Path(t, "cn_beijing_bupt", "layers", "amenity_health.geojson")
	okFac, okPts := bad("ok_facilities.geojson"), bad("ok_points.csv")
	tmp := t.TempDir()
	bin := buildBinary(t)

	// Generated inputs: too big or too derived to commit.
	write := func(name string, b []byte) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pbf, err := os.ReadFile(hel)
	if err != nil {
		t.Fatal(err)
	}
	truncPBF := write("cut.osm.pbf", pbf[:len(pbf)/2])
	xml, err := os.ReadFile(bj)
	if err != nil {
		t.Fatal(err)
	}
	truncXML := write("cut.osm", xml[:len(xml)/3])
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(xml)
	zw.Close()
	truncGz := write("cut.osm.gz", gz.Bytes()[:gz.Len()/2])
	// A 5 MB string property, in GeoJSON and in CSV.
	huge := strings.Repeat("长", 5<<20/3)
	hugeGeoJSON := write("huge_property.geojson", []byte(`{"type":"FeatureCollection","features":[`+
		`{"type":"Feature","id":"f1","properties":{"name":"Sanomatalo","type":"clinic","note":"`+huge+`"},"geometry":{"type":"Point","coordinates":[24.9378791,60.1722558]}}]}`))
	hugeCSV := write("huge_property.csv", []byte("id,name,lon,lat,note\nh1,Home 1,24.9405421,60.1717091,"+huge+"\n"))
	// GCJ-02 (Amap) positions of the campus clinics, as a CSV.
	gcj := "id,name,type,lng,lat\n"
	wgs := "id,name,type,lon,lat\n"
	for i, p := range []orb.Point{{116.3506488, 39.9585889}, {116.3544056, 39.9568664}} {
		q := geo.WGS84ToGCJ02(p)
		gcj += fmt.Sprintf("c%d,clinic %d,clinic,%.7f,%.7f\n", i, i, q[0], q[1])
		wgs += fmt.Sprintf("c%d,clinic %d,clinic,%.7f,%.7f\n", i, i, p[0], p[1])
	}
	gcjCSV := write("amap_clinics.csv", []byte(gcj))
	wgsCSV := write("osm_clinics.csv", []byte(wgs))
	// A path longer than PATH_MAX (4096 bytes on Linux) that does not
	// exist, of 200-byte names (NAME_MAX is 255), and directories where
	// files are expected.
	long := tmp
	for len(long) < 4096 {
		long = filepath.Join(long, strings.Repeat("b", 200))
	}
	long += ".geojson"
	longOSM := strings.TrimSuffix(long, ".geojson") + ".osm.pbf"
	longYAML := strings.TrimSuffix(long, ".geojson") + ".yaml"
	longPart := strings.Repeat("b", 40) // what of the long path a message must show
	dirGeoJSON := filepath.Join(tmp, "layer.geojson")
	dirOSM := filepath.Join(tmp, "city.osm.pbf")
	dirYAML := filepath.Join(tmp, "profile.yaml")
	for _, d := range []string{dirGeoJSON, dirOSM, dirYAML} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	nearest := func(osm, fac, pts string, extra ...string) func(string) []string {
		return func(out string) []string {
			net := "--osm"
			if strings.HasSuffix(osm, ".geojson") || strings.HasSuffix(osm, ".json") || strings.HasSuffix(osm, ".csv") {
				net = "--network"
			}
			return append([]string{"nearest", "--quiet", net, osm, "--facilities", fac, "--points", pts, "--out", out}, extra...)
		}
	}
	audit := func(extra ...string) func(string) []string {
		return func(out string) []string {
			args := []string{"audit", "--quiet", "--out", out}
			if !containsFlag(extra, "--osm", "--network", "-c") {
				args = append(args, "--osm", hel)
			}
			return append(args, extra...)
		}
	}
	propose := func(extra ...string) func(string) []string {
		return func(out string) []string {
			args := []string{"propose", "--quiet", "--type", "clinic", "--k", "1", "--time-limit", "1s", "--out", out}
			if !containsFlag(extra, "--osm", "--network", "-c") {
				args = append(args, "--osm", hel)
			}
			return append(args, extra...)
		}
	}
	profiles := func(file string) func(string) []string {
		return func(string) []string { return []string{"profiles", file} }
	}

	rows := []badRow{
		// ----- OSM extracts (.pbf, .osm, .osm.gz, .osm.bz2) -----
		{name: "osm pbf empty", args: nearest(bad("empty.osm.pbf"), okFac, okPts), code: 1, input: "empty.osm.pbf", want: []string{"no OSM data"}, sub: true},
		{name: "osm xml empty", args: audit("--osm", bad("empty.osm")), code: 1, input: "empty.osm", want: []string{"no OSM data"}},
		{name: "osm gz empty", args: nearest(bad("empty.osm.gz"), okFac, okPts), code: 1, input: "empty.osm.gz"},
		{name: "osm bz2 empty", args: nearest(bad("empty.osm.bz2"), okFac, okPts), code: 1, input: "empty.osm.bz2"},
		{name: "osm pbf truncated", args: audit("--osm", truncPBF), code: 1, input: "cut.osm.pbf", want: []string{"truncated"}, sub: true},
		{name: "osm xml truncated", args: nearest(truncXML, okFac, okPts), code: 1, input: "cut.osm"},
		{name: "osm gz truncated", args: nearest(truncGz, okFac, okPts), code: 1, input: "cut.osm.gz"},
		{name: "osm gz truncated (fixture)", args: audit("--osm", bad("truncated.osm.gz")), code: 1, input: "truncated.osm.gz"},
		{name: "osm bz2 truncated", args: nearest(bad("truncated.osm.bz2"), okFac, okPts), code: 1, input: "truncated.osm.bz2"},
		{name: "osm pbf is a png", args: nearest(bad("image.osm.pbf"), okFac, okPts), code: 1, input: "image.osm.pbf", want: []string{"PNG"}},
		{name: "osm bz2 holds gzip", args: audit("--osm", bad("gzip_named.osm.bz2")), code: 1, input: "gzip_named.osm.bz2"},
		{name: "osm path too long", args: nearest(longOSM, okFac, okPts), code: 1, input: longPart, want: []string{"too long"}},
		{name: "osm is a directory", args: audit("--osm", dirOSM), code: 1, input: "city.osm.pbf", want: []string{"directory"}},
		{name: "osm project file given as --osm", args: nearest(bad("project_unknown_key.yaml"), okFac, okPts), code: 1, input: "project_unknown_key.yaml"},

		// ----- GeoJSON layers: facilities (nearest, propose) -----
		{name: "facilities empty", args: nearest(hel, bad("empty.geojson"), okPts), code: 1, input: "empty.geojson", want: []string{"empty"}},
		{name: "facilities truncated", args: nearest(hel, bad("truncated.geojson"), okPts), code: 1, input: "truncated.geojson", want: []string{"truncated"}},
		{name: "facilities is a png", args: nearest(hel, bad("image.geojson"), okPts), code: 1, input: "image.geojson", want: []string{"PNG"}, sub: true},
		{name: "facilities json not geojson", args: nearest(hel, bad("not_geojson.json"), okPts), code: 1, input: "not_geojson.json", want: []string{"not GeoJSON"}},
		{name: "facilities features is an object", args: nearest(hel, bad("features_object.geojson"), okPts), code: 1, input: "features_object.geojson", want: []string{`"features"`, "array"}},
		{name: "facilities top-level array", args: nearest(hel, bad("top_array.geojson"), okPts), code: 1, input: "top_array.geojson", want: []string{"not GeoJSON"}},
		{name: "facilities 1e400", args: nearest(hel, bad("huge_number.geojson"), okPts), code: 1, input: "huge_number.geojson", want: []string{"1e400"}},
		{name: "facilities projected EPSG:3857", args: nearest(hel, bad("projected_3857.geojson"), okPts), code: 1, input: "projected_3857.geojson", want: []string{"projected"}},
		{name: "facilities duplicate ids", args: nearest(hel, bad("dup_ids.geojson"), okPts), code: 1, input: "dup_ids.geojson", want: []string{`"c1"`, "unique"}},
		{name: "facilities GBK text", args: nearest(bj, bad("gbk.geojson"), okPts), code: 1, input: "gbk.geojson", want: []string{"UTF-8"}},
		{name: "facilities polygon ring of 3 points", args: nearest(hel, bad("three_point_ring.geojson"), okPts), code: 1, input: "three_point_ring.geojson", want: []string{"Sliver", "ring"}},
		{name: "facilities path too long", args: nearest(hel, long, okPts), code: 1, input: longPart, want: []string{"too long"}, sub: true},
		{name: "facilities is a directory", args: nearest(hel, dirGeoJSON, okPts), code: 1, input: "layer.geojson", want: []string{"directory"}},
		{name: "facilities png as propose --facilities", args: propose("--facilities", bad("image.geojson")), code: 1, input: "image.geojson", want: []string{"PNG"}},
		{name: "facilities huge property accepted", args: nearest(hel, hugeGeoJSON, okPts), code: 0,
			check: func(t *testing.T, out, _, _ string) { wantCSVRows(t, out, 3) }},

		// ----- points (nearest --points): GeoJSON and CSV -----
		{name: "points are lines", args: nearest(hel, okFac, bad("lines_as_points.geojson")), code: 1, input: "lines_as_points.geojson", want: []string{"Mannerheimintie", "LineString"}},
		{name: "points csv empty", args: nearest(hel, okFac, bad("empty.csv")), code: 1, input: "empty.csv", want: []string{"empty"}},
		{name: "points csv truncated", args: nearest(hel, okFac, bad("truncated.csv")), code: 1, input: "truncated.csv"},
		{name: "points csv NaN", args: nearest(hel, okFac, bad("nan.csv")), code: 1, input: "nan.csv", want: []string{"h2", "finite"}},
		{name: "points csv Infinity", args: nearest(hel, okFac, bad("inf.csv")), code: 1, input: "inf.csv", want: []string{"h1", "finite"}},
		{name: "points csv 1e400", args: nearest(hel, okFac, bad("huge_number.csv")), code: 1, input: "huge_number.csv", want: []string{"1e400", "out of range"}},
		{name: "points csv empty coordinate", args: nearest(hel, okFac, bad("empty_coordinate.csv")), code: 1, input: "empty_coordinate.csv", want: []string{"h2", "latitude is empty"}},
		{name: "points csv projected UTM", args: nearest(hel, okFac, bad("projected_utm.csv")), code: 1, input: "projected_utm.csv", want: []string{"projected"}},
		{name: "points csv swapped lon/lat in range", args: nearest(hel, okFac, bad("swapped_helsinki.csv")), code: 1, input: "swapped_helsinki.csv", want: []string{"swapped"}},
		{name: "points csv duplicate ids", args: nearest(hel, okFac, bad("dup_ids.csv")), code: 1, input: "dup_ids.csv", want: []string{`"h1"`, "unique"}},
		{name: "points csv huge property accepted", args: nearest(hel, okFac, hugeCSV), code: 0,
			check: func(t *testing.T, out, _, _ string) { wantCSVRows(t, out, 2) }},
		{name: "points a PNG as csv", args: nearest(hel, okFac, bad("image.geojson")), code: 1, input: "image.geojson"},

		// ----- amenity layers (audit --amenities) -----
		{name: "amenities csv swapped lon/lat (China)", args: audit("--osm", bj, "--amenities", bad("swapped_beijing.csv")), code: 1, input: "swapped_beijing.csv", want: []string{"swapped"}},
		{name: "amenities csv swapped lon/lat in range", args: audit("--osm", hel, "--amenities", bad("swapped_helsinki_amenities.csv")), code: 1, input: "swapped_helsinki_amenities.csv", want: []string{"swapped"}},
		{name: "population csv swapped lon/lat in range", args: audit("--osm", hel, "--population", bad("swapped_helsinki_population.csv")), code: 1, input: "swapped_helsinki_population.csv", want: []string{"swapped"}},
		{name: "amenities csv GBK text read and reported", args: audit("--osm", bj, "--amenities", bad("gbk.csv")), code: 0,
			check: func(t *testing.T, _, _, stderr string) {
				if !strings.Contains(stderr, "gbk.csv: the text is not UTF-8: read as GBK/GB18030") {
					t.Errorf("stderr lacks the GBK note:\n%s", stderr)
				}
			}},
		{name: "amenities csv truncated", args: audit("--amenities", bad("truncated.csv")), code: 1, input: "truncated.csv"},
		{name: "amenities projected", args: audit("--amenities", bad("projected_3857.geojson")), code: 1, input: "projected_3857.geojson", want: []string{"projected"}},
		{name: "amenities empty", args: audit("--amenities", bad("empty.geojson")), code: 1, input: "empty.geojson"},
		{name: "amenities without a type", args: audit("--amenities", okPts), code: 1, input: "ok_points.csv", want: []string{"type"}},
		{name: "amenities duplicate ids", args: audit("--amenities", bad("dup_ids.geojson")), code: 1, input: "dup_ids.geojson", want: []string{"unique"}},
		{name: "amenities 1e400", args: audit("--amenities", bad("huge_number.geojson")), code: 1, input: "huge_number.geojson", want: []string{"1e400"}},
		{name: "amenities huge property accepted", args: audit("--amenities", hugeGeoJSON), code: 0,
			check: func(t *testing.T, out, _, _ string) { wantFile(t, out, "summary.json") }},
		// GCJ-02 declared as WGS84 cannot be told apart in general (the
		// 300–700 m shift often lands near another street); --coords gcj02
		// is the path, and it must give exactly the WGS84 answer.
		{name: "amenities GCJ-02 with --coords gcj02", args: audit("--osm", bj, "--amenities", gcjCSV, "--coords", "gcj02"), code: 0,
			check: func(t *testing.T, out, stdout, _ string) {
				wgsOut := filepath.Join(t.TempDir(), "wgs")
				wantOut, stderr, code := runCLI(t, "audit", "--quiet", "--osm", bj, "--amenities", wgsCSV, "--out", wgsOut)
				if code != 0 {
					t.Fatalf("WGS84 audit: exit %d: %s", code, stderr)
				}
				if clinicRow(stdout) != clinicRow(wantOut) || clinicRow(stdout) == "" {
					t.Errorf("GCJ-02 read with --coords gcj02 gives\n%s\nWGS84 gives\n%s", clinicRow(stdout), clinicRow(wantOut))
				}
			}},

		// ----- population layers (audit --population, propose --demand) -----
		{name: "population lines", args: audit("--population", bad("lines_as_population.geojson")), code: 1, input: "lines_as_population.geojson", want: []string{"LineString"}},
		{name: "population csv NaN", args: audit("--population", bad("nan.csv")), code: 1, input: "nan.csv", want: []string{"finite"}},
		{name: "population empty", args: audit("--population", bad("empty.csv")), code: 1, input: "empty.csv"},
		{name: "population without population", args: audit("--population", bjClinics, "--osm", bj), code: 1, input: "amenity_health.geojson", want: []string{"population"}},
		{name: "demand lines", args: propose("--demand", bad("lines_as_population.geojson")), code: 1, input: "lines_as_population.geojson", want: []string{"LineString"}},
		{name: "demand duplicate ids", args: propose("--demand", bad("dup_ids.csv")), code: 1, input: "dup_ids.csv", want: []string{"unique"}},

		// ----- unit layers (audit --units) -----
		{name: "units are points", args: audit("--units", bad("points_as_units.geojson")), code: 1, input: "points_as_units.geojson", want: []string{"Point", "polygons"}},
		{name: "units self-intersecting ring", args: audit("--units", bad("bowtie_units.geojson")), code: 1, input: "bowtie_units.geojson", want: []string{"Bowtie", "crosses itself"}, sub: true},
		{name: "units unclosed ring", args: audit("--units", bad("unclosed_units.geojson")), code: 1, input: "unclosed_units.geojson", want: []string{"Open", "not closed"}},
		{name: "units ring of 3 points", args: audit("--units", bad("three_point_ring.geojson")), code: 1, input: "three_point_ring.geojson", want: []string{"Sliver"}},
		{name: "units empty", args: audit("--units", bad("empty.geojson")), code: 1, input: "empty.geojson"},
		{name: "units csv", args: audit("--units", okPts), code: 1, input: "ok_points.csv", want: []string{"polygons"}},

		// ----- candidate layers (propose --candidates) -----
		{name: "candidates lines", args: propose("--candidates", bad("lines_as_candidates.geojson")), code: 1, input: "lines_as_candidates.geojson", want: []string{"Esplanadi", "LineString"}},
		{name: "candidates empty", args: propose("--candidates", bad("empty.geojson")), code: 1, input: "empty.geojson"},
		{name: "candidates truncated", args: propose("--candidates", bad("truncated.geojson")), code: 1, input: "truncated.geojson"},
		{name: "candidates features is an object", args: propose("--candidates", bad("features_object.geojson")), code: 1, input: "features_object.geojson"},
		{name: "candidates duplicate ids", args: propose("--candidates", bad("dup_ids.geojson")), code: 1, input: "dup_ids.geojson", want: []string{"unique"}},

		// ----- network lines (--network) -----
		{name: "network polygons", args: nearest(bad("polygons_as_network.geojson"), okFac, okPts), code: 1, input: "polygons_as_network.geojson", want: []string{"Polygon", "lines"}},
		{name: "network line of one point", args: audit("--network", bad("one_point_line.geojson")), code: 1, input: "one_point_line.geojson", want: []string{"Stub", "1 point"}},
		{name: "network empty", args: nearest(bad("empty.geojson"), okFac, okPts), code: 1, input: "empty.geojson"},
		{name: "network png", args: audit("--network", bad("image.geojson")), code: 1, input: "image.geojson"},
		{name: "network csv", args: nearest(okPts, okFac, okPts), code: 1, input: "ok_points.csv", want: []string{"GeoJSON"}},
		{name: "network with no lines", args: nearest(bad("features_object.geojson"), okFac, okPts), code: 1, input: "features_object.geojson"},
		{name: "network ok, facilities truncated", args: nearest(helNet, bad("truncated.geojson"), okPts), code: 1, input: "truncated.geojson"},

		// ----- YAML profiles (profiles FILE, audit --profile) -----
		{name: "profile empty", args: profiles(bad("empty_profile.yaml")), code: 1, input: "empty_profile.yaml"},
		{name: "profile bad threshold", args: profiles(bad("profile_bad_threshold.yaml")), code: 1, input: "profile_bad_threshold.yaml:13", want: []string{"threshold"}, sub: true},
		{name: "profile bad threshold in audit", args: audit("--profile", bad("profile_bad_threshold.yaml")), code: 1, input: "profile_bad_threshold.yaml:13", want: []string{"threshold"}},
		{name: "profile is a png", args: profiles(bad("image.geojson")), code: 1, input: "image.geojson"},
		{name: "profile is geojson", args: audit("--profile", okFac), code: 1, input: "ok_facilities.geojson"},
		{name: "profile path too long", args: profiles(longYAML), code: 1, input: longPart, want: []string{"too long"}},
		{name: "profile is a directory", args: audit("--profile", dirYAML), code: 1, input: "profile.yaml", want: []string{"directory"}},
		{name: "profile GBK", args: profiles(bad("gbk.csv")), code: 1, input: "gbk.csv"},

		// ----- project files (-c lifecircle.yaml) -----
		{name: "project unknown key", args: audit("-c", bad("project_unknown_key.yaml")), code: 1, input: "project_unknown_key.yaml:4", want: []string{"profil"}, sub: true},
		{name: "project unknown key in propose", args: propose("-c", bad("project_unknown_key.yaml")), code: 1, input: "project_unknown_key.yaml:4"},
		{name: "project empty", args: audit("-c", bad("empty_project.yaml")), code: 1, input: "empty_project.yaml"},
		{name: "project is a png", args: audit("-c", bad("image.geojson")), code: 1, input: "image.geojson"},
		{name: "project path too long", args: audit("-c", longYAML), code: 1, input: longPart, want: []string{"too long"}},
		{name: "project is a directory", args: audit("-c", dirYAML), code: 1, input: "profile.yaml", want: []string{"directory"}},
		{name: "project missing", args: audit("-c", filepath.Join(tmp, "lifecircle.yaml")), code: 1, input: "lifecircle.yaml", want: []string{"not found"}},
	}

	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := r.args(out)
			stdout, stderr, code := runCLI(t, args...)
			checkBadRow(t, r, args, out, stdout, stderr, code)
			if r.sub && !t.Failed() {
				out2 := out + "2"
				args := r.args(out2)
				stdout, stderr, code := runBinary(t, bin, args...)
				checkBadRow(t, r, args, out2, stdout, stderr, code)
			}
		})
	}
}

func checkBadRow(t *testing.T, r badRow, args []string, out, stdout, stderr string, code int) {
	t.Helper()
	if code != r.code {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, r.code, truncateForLog(stderr))
	}
	if r.code == 0 {
		if r.check != nil {
			r.check(t, out, stdout, stderr)
		}
		return
	}
	if stdout != "" {
		t.Errorf("stdout not empty on failure: %q", truncateForLog(stdout))
	}
	msg := errorText(args[0], stderr)
	if msg == "" {
		t.Fatalf("no line starting with \"lifecircle %s: \" on stderr:\n%s", args[0], truncateForLog(stderr))
	}
	for _, s := range append([]string{r.input}, r.want...) {
		if !strings.Contains(msg, s) {
			t.Errorf("error lacks %q:\n%s", s, truncateForLog(msg))
		}
	}
	if !fixPhrase.MatchString(msg) {
		t.Errorf("error does not say what to do (none of %s):\n%s", fixPhrase, truncateForLog(msg))
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("--out %s exists after a failure", out)
	}
	t.Logf("%s", truncateForLog(msg))
}

// truncateForLog shortens messages that hold a 4096-character path.
func truncateForLog(s string) string {
	return regexp.MustCompile(`b{60,}`).ReplaceAllStringFunc(s, func(b string) string {
		return fmt.Sprintf("b…(%d×b)", len(b))
	})
}

func containsFlag(args []string, flags ...string) bool {
	for _, a := range args {
		for _, f := range flags {
			if a == f {
				return true
			}
		}
	}
	return false
}

func wantCSVRows(t *testing.T, path string, n int) {
	t.Helper()
	rows := readOutputCSV(t, path)
	if len(rows) != n {
		t.Errorf("%s: %d rows, want %d", path, len(rows), n)
	}
	for _, r := range rows[1:] {
		if len(r) < 2 || r[1] == "" {
			t.Errorf("%s: row %v has no distance", path, r)
		}
	}
}

func wantFile(t *testing.T, dir, name string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
		t.Errorf("no %s after a successful run: %v", name, err)
	}
}

// clinicRow returns the clinic line of audit's printed table.
func clinicRow(stdout string) string {
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "clinic ") {
			return l
		}
	}
	return ""
}
