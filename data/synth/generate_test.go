package synth

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

var testOpts = Options{Nodes: 2500, Facilities: 7, Points: 300, Candidates: 40, Seed: 42}

func generate(t testing.TB, o Options) (string, Result) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "city")
	res, err := Generate(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return dir, res
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGenerateCity(t *testing.T) {
	dir, res := generate(t, testOpts)

	// The directory holds exactly the promised files, no temp files left.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{FileCandidates, FileCity, FileFacilities, FilePointsCSV, FilePoints}
	if !slices.Equal(names, want) {
		t.Errorf("files %v, want %v", names, want)
	}
	if len(res.Files) != 5 || res.Files[0] != filepath.Join(dir, FileCity) {
		t.Errorf("Result.Files %v", res.Files)
	}

	// The PBF holds exactly the city buildCity makes for these options.
	c := buildCity(testOpts.Nodes, DefaultSpacing, testCenter, testOpts.Seed)
	_, nodes, ways := readPBF(t, readFile(t, res.Files[0]))
	if res.Nodes != 2500 || len(nodes) != 2500 || res.Ways != len(ways) {
		t.Errorf("Result says %d nodes %d ways; file has %d nodes %d ways; want 2500 nodes", res.Nodes, res.Ways, len(nodes), len(ways))
	}
	checkRoundTrip(t, c.nodes, c.ways, nodes, ways)

	minLon, minLat, maxLon, maxLat := 180.0, 90.0, -180.0, -90.0
	for _, n := range nodes {
		minLon, maxLon = min(minLon, n.Lon), max(maxLon, n.Lon)
		minLat, maxLat = min(minLat, n.Lat), max(maxLat, n.Lat)
	}
	b := res.Bounds
	if math.Abs(b.Min[0]-minLon) > 1e-7 || math.Abs(b.Max[0]-maxLon) > 1e-7 || math.Abs(b.Min[1]-minLat) > 1e-7 || math.Abs(b.Max[1]-maxLat) > 1e-7 {
		t.Errorf("Result.Bounds %v, nodes span lon %v..%v lat %v..%v", b, minLon, maxLon, minLat, maxLat)
	}
	// ~50 nodes × 80 m a side plus the islands 4 spacings off: about 4.6 km.
	if w := haversine(b.Min[0], testCenter[1], b.Max[0], testCenter[1]); w < 4000 || w > 5000 {
		t.Errorf("city is %.0f m wide, want about 4.6 km", w)
	}
}

// layer parses a GeoJSON layer and checks what every layer promises: a
// FeatureCollection of Points inside bounds, not on a street node, with at
// most 6 decimals, and a unique string id.
func layer(t *testing.T, path string, want int, bounds orb.Bound, nodes []PBFNode) *geojson.FeatureCollection {
	t.Helper()
	data := readFile(t, path)
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(fc.Features) != want {
		t.Fatalf("%s: %d features, want %d", path, len(fc.Features), want)
	}
	coords := regexp.MustCompile(`"coordinates":\[(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)\]`).FindAllSubmatch(data, -1)
	if len(coords) != want {
		t.Fatalf("%s: %d coordinate pairs in the text, want %d", path, len(coords), want)
	}
	for _, m := range coords {
		for _, v := range m[1:] {
			if i := bytes.IndexByte(v, '.'); i >= 0 && len(v)-i-1 > 6 {
				t.Fatalf("%s: coordinate %s has more than 6 decimals", path, v)
			}
		}
	}
	ids := map[string]bool{}
	for i, f := range fc.Features {
		p, ok := f.Geometry.(orb.Point)
		if !ok {
			t.Fatalf("%s: feature %d is a %T, want a Point", path, i, f.Geometry)
		}
		if !bounds.Contains(p) {
			t.Errorf("%s: feature %d at %v outside the city %v", path, i, p, bounds)
		}
		for _, n := range nodes {
			if haversine(p[0], p[1], n.Lon, n.Lat) < 0.5 {
				t.Errorf("%s: feature %d at %v sits on node %d", path, i, p, n.ID)
			}
		}
		id, ok := f.Properties["id"].(string)
		if !ok || id == "" || ids[id] {
			t.Errorf("%s: feature %d id %#v is not a new non-empty string", path, i, f.Properties["id"])
		}
		ids[id] = true
	}
	return fc
}

func TestGenerateLayers(t *testing.T) {
	dir, res := generate(t, testOpts)
	c := buildCity(testOpts.Nodes, DefaultSpacing, testCenter, testOpts.Seed)

	t.Run("facilities", func(t *testing.T) {
		types := DefaultTypes()
		fc := layer(t, filepath.Join(dir, FileFacilities), testOpts.Facilities*len(types), res.Bounds, c.nodes)
		perType := map[string]int{}
		for i, f := range fc.Features {
			typ := f.Properties.MustString("type", "")
			perType[typ]++
			k := perType[typ]
			title := strings.ToUpper(typ[:1]) + typ[1:]
			want := geojson.Properties{"id": typ + "-" + strconv.Itoa(k), "type": typ, "name": title + " " + strconv.Itoa(k)}
			if !maps(f.Properties, want) {
				t.Errorf("feature %d properties %v, want %v", i, f.Properties, want)
			}
		}
		for _, typ := range types {
			if perType[typ] != testOpts.Facilities {
				t.Errorf("%d facilities of type %s, want %d", perType[typ], typ, testOpts.Facilities)
			}
		}
	})

	t.Run("points", func(t *testing.T) {
		fc := layer(t, filepath.Join(dir, FilePoints), testOpts.Points, res.Bounds, c.nodes)
		rows, err := csv.NewReader(bytes.NewReader(readFile(t, filepath.Join(dir, FilePointsCSV)))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != testOpts.Points+1 || !slices.Equal(rows[0], []string{"id", "lon", "lat", "population"}) {
			t.Fatalf("points.csv: %d rows, header %v", len(rows), rows[0])
		}
		pops := map[float64]bool{}
		for i, f := range fc.Features {
			pop, ok := f.Properties["population"].(float64)
			if !ok || pop != math.Trunc(pop) || pop < 1 || pop > 50 || len(f.Properties) != 2 {
				t.Errorf("feature %d properties %v: want id and an integer population 1..50", i, f.Properties)
			}
			pops[pop] = true
			p := f.Geometry.(orb.Point)
			row := rows[i+1]
			lon, _ := strconv.ParseFloat(row[1], 64)
			lat, _ := strconv.ParseFloat(row[2], 64)
			if row[0] != f.Properties["id"] || lon != p[0] || lat != p[1] || row[3] != strconv.Itoa(int(pop)) {
				t.Errorf("csv row %d %v differs from feature %v %v", i+1, row, p, f.Properties)
			}
		}
		if len(pops) < 40 {
			t.Errorf("only %d distinct populations in %d points", len(pops), testOpts.Points)
		}
	})

	t.Run("candidates", func(t *testing.T) {
		fc := layer(t, filepath.Join(dir, FileCandidates), testOpts.Candidates, res.Bounds, c.nodes)
		for i, f := range fc.Features {
			if len(f.Properties) != 1 {
				t.Errorf("candidate %d properties %v, want only id", i, f.Properties)
			}
		}
	})
}

func maps(got, want geojson.Properties) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

func TestGenerateEmptyLayers(t *testing.T) {
	dir, res := generate(t, Options{Nodes: 9, Types: []string{"clinic"}})
	for _, name := range []string{FileFacilities, FilePoints, FileCandidates} {
		layer(t, filepath.Join(dir, name), 0, res.Bounds, nil)
	}
	if got := string(readFile(t, filepath.Join(dir, FilePointsCSV))); got != "id,lon,lat,population\n" {
		t.Errorf("empty points.csv %q", got)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	dirA, _ := generate(t, testOpts)
	dirB, _ := generate(t, testOpts)
	other := testOpts
	other.Seed++
	dirC, _ := generate(t, other)
	morePoints := testOpts
	morePoints.Points *= 2
	dirD, _ := generate(t, morePoints)

	for _, name := range []string{FileCity, FileFacilities, FilePoints, FilePointsCSV, FileCandidates} {
		a := readFile(t, filepath.Join(dirA, name))
		if !bytes.Equal(a, readFile(t, filepath.Join(dirB, name))) {
			t.Errorf("%s differs between two runs with seed %d", name, testOpts.Seed)
		}
		if bytes.Equal(a, readFile(t, filepath.Join(dirC, name))) {
			t.Errorf("%s is the same for seeds %d and %d", name, testOpts.Seed, other.Seed)
		}
		// Each layer has its own random stream: more points changes only
		// the point files.
		same := bytes.Equal(a, readFile(t, filepath.Join(dirD, name)))
		if pointsFile := name == FilePoints || name == FilePointsCSV; same == pointsFile {
			t.Errorf("%s: same=%v after doubling the points", name, same)
		}
	}
}

func TestGenerateOptions(t *testing.T) {
	// Defaults and a custom centre and spacing.
	_, res := generate(t, Options{Nodes: 100, Center: orb.Point{-73.9857, 40.7484}, Spacing: 200})
	ctr := res.Bounds.Center()
	if d := haversine(ctr[0], ctr[1], -73.9857, 40.7484); d > 2000 {
		t.Errorf("city centred %.0f m from the requested centre", d)
	}

	bad := []struct {
		name string
		o    Options
		want string
	}{
		{"no nodes", Options{}, "at least 4"},
		{"three nodes", Options{Nodes: 3}, "at least 4"},
		{"negative spacing", Options{Nodes: 10, Spacing: -5}, "spacing"},
		{"NaN spacing", Options{Nodes: 10, Spacing: math.NaN()}, "spacing"},
		{"lat/lon swapped", Options{Nodes: 10, Center: orb.Point{39.9, 116.4}}, "lon,lat"},
		{"near the pole", Options{Nodes: 10, Center: orb.Point{0, 88}}, "-85..85"},
		{"negative points", Options{Nodes: 10, Points: -1}, "points -1"},
		{"negative facilities", Options{Nodes: 10, Facilities: -1}, "facilities -1"},
		{"negative candidates", Options{Nodes: 10, Candidates: -2}, "candidates -2"},
		{"empty type", Options{Nodes: 10, Types: []string{"clinic", " "}}, "type 2 is empty"},
		{"duplicate type", Options{Nodes: 10, Types: []string{"clinic", "clinic"}}, "listed twice"},
		{"past the antimeridian", Options{Nodes: 10000, Spacing: 1000, Center: orb.Point{179.9, 0}}, "180"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Generate(dir, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("files left after an error: %v", entries)
			}
		})
	}
}

func BenchmarkGenerate100k(b *testing.B) {
	o := Options{Nodes: 100_000, Facilities: 200, Points: 10_000, Candidates: 1_000, Seed: 1}
	dir := b.TempDir()
	for b.Loop() {
		if _, err := Generate(dir, o); err != nil {
			b.Fatal(err)
		}
	}
}
