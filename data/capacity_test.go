package data

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data/xlsx"
	"github.com/lifecircle/lifecircle/planner"
)

// capacityGeoJSON is an amenity layer whose stations give their capacity
// as a number, as text, not at all, and as null.
const capacityGeoJSON = `{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[24.94,60.17]},"properties":{"id":"e1","name":"East","type":"elderly","capacity":30}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[24.95,60.17]},"properties":{"id":"e2","name":"West","type":"elderly","capacity":"12.5"}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[24.96,60.17]},"properties":{"id":"c1","name":"Clinic","type":"clinic"}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[24.97,60.17]},"properties":{"id":"e3","name":"North","type":"elderly","capacity":null}}
]}`

var capacityWant = map[string]float64{"e1": 30, "e2": 12.5, "c1": 0, "e3": 0}

func capacities(t *testing.T, path string) map[string]float64 {
	t.Helper()
	prof, err := planner.Builtin(planner.DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := ReadAmenityLayer(path, prof, WGS84)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range fs {
		got[f.ID] = f.Capacity
	}
	return got
}

// TestAmenityCapacityFormats reads the capacity column of every amenity
// format: GeoJSON, CSV (with the Chinese header 托位), .xlsx (床位), and
// the Shapefile and GeoPackage GDAL makes of the GeoJSON.
func TestAmenityCapacityFormats(t *testing.T) {
	dir := t.TempDir()
	gj := filepath.Join(dir, "stations.geojson")
	if err := os.WriteFile(gj, []byte(capacityGeoJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	csvPath := filepath.Join(dir, "stations.csv")
	csv := "id,name,type,lon,lat,托位\ne1,East,elderly,24.94,60.17,30\ne2,West,elderly,24.95,60.17,12.5\nc1,Clinic,clinic,24.96,60.17,\ne3,North,elderly,24.97,60.17, \n"
	if err := os.WriteFile(csvPath, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	xlsxPath := filepath.Join(dir, "stations.xlsx")
	if err := xlsx.Write(xlsxPath, []xlsx.Sheet{{Name: "stations", Header: []string{"id", "名称", "type", "经度", "纬度", "床位"},
		Rows: [][]any{{"e1", "East", "elderly", 24.94, 60.17, 30}, {"e2", "West", "elderly", 24.95, 60.17, 12.5},
			{"c1", "Clinic", "clinic", 24.96, 60.17, nil}, {"e3", "North", "elderly", 24.97, 60.17, nil}}}}); err != nil {
		t.Fatal(err)
	}
	paths := []string{gj, csvPath, xlsxPath}
	if ogr, err := exec.LookPath("ogr2ogr"); err == nil {
		for _, f := range []struct{ driver, name string }{{"ESRI Shapefile", "stations.shp"}, {"GPKG", "stations.gpkg"}} {
			out := filepath.Join(dir, f.name)
			if o, err := exec.Command(ogr, "-f", f.driver, out, gj).CombinedOutput(); err != nil {
				t.Fatalf("ogr2ogr %s: %v\n%s", f.driver, err, o)
			}
			paths = append(paths, out)
		}
	} else if os.Getenv("CI") == "true" {
		t.Fatal("ogr2ogr not found: scripts/test installs gdal-bin")
	}
	for _, p := range paths {
		t.Run(filepath.Ext(p), func(t *testing.T) {
			if got := capacities(t, p); fmt.Sprint(got) != fmt.Sprint(capacityWant) {
				t.Errorf("capacities %v, want %v", got, capacityWant)
			}
		})
	}
}

// TestAmenityCapacityErrors checks that a capacity that is not a number of
// places > 0 is an error naming the file, the feature and the fix.
func TestAmenityCapacityErrors(t *testing.T) {
	prof, err := planner.Builtin(planner.DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ value, want string }{
		{"about 30", `capacity "about 30" is not a number`},
		{"0", "capacity is 0"},
		{"-4", "capacity -4 is not a number of places > 0"},
		{"1e9", "more than 10000000 places"},
		{"NaN", "capacity NaN is not a number of places > 0"},
	} {
		t.Run(tc.value, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "stations.csv")
			csv := "id,name,type,lon,lat,capacity\ne1,East,elderly,24.94,60.17,20\ne2,West,elderly,24.95,60.17," + tc.value + "\n"
			if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadAmenityLayer(path, prof, WGS84)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, want := range []string{path, `feature 1 ("West")`, tc.want, "give the number of places"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
		})
	}
}

// TestOSMCapacityTag reads the capacity tag of OSM facilities: a number of
// places is taken, anything else counts as unknown with a warning naming
// the element.
func TestOSMCapacityTag(t *testing.T) {
	const osmXML = `<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="1" lat="60.1700" lon="24.9400"/>
 <node id="2" lat="60.1700" lon="24.9500"/>
 <node id="10" lat="60.1701" lon="24.9420">
  <tag k="amenity" v="social_facility"/><tag k="social_facility" v="day_care"/><tag k="social_facility:for" v="senior"/><tag k="capacity" v="25"/>
 </node>
 <node id="11" lat="60.1701" lon="24.9440">
  <tag k="amenity" v="social_facility"/><tag k="social_facility" v="day_care"/><tag k="social_facility:for" v="senior"/><tag k="capacity" v="about 20"/>
 </node>
 <node id="12" lat="60.1701" lon="24.9460">
  <tag k="amenity" v="clinic"/>
 </node>
 <way id="100"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>
</osm>`
	path := filepath.Join(t.TempDir(), "town.osm")
	if err := os.WriteFile(path, []byte(osmXML), 0o644); err != nil {
		t.Fatal(err)
	}
	prof, err := planner.Builtin(planner.DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	// Without a capacity_ratio the tag is not read (it may mean seats).
	in, err := ReadOSMInputs(t.Context(), path, OSMOptions{Profile: prof}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range in.Facilities {
		if f.Capacity != 0 {
			t.Errorf("%s: capacity %v read for a type without capacity_ratio", f.ID, f.Capacity)
		}
	}
	if len(in.Warnings) != 0 {
		t.Errorf("warnings %q for a type without capacity_ratio", in.Warnings)
	}
	el, _ := prof.Type("elderly")
	el.CapacityRatio = 20
	in, err = ReadOSMInputs(t.Context(), path, OSMOptions{Profile: prof}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range in.Facilities {
		got[f.ID] = f.Capacity
	}
	if want := map[string]float64{"n10": 25, "n11": 0, "n12": 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("capacities %v, want %v", got, want)
	}
	if len(in.Warnings) != 1 || !strings.Contains(in.Warnings[0], "n11 capacity=about 20") || !strings.Contains(in.Warnings[0], "counted as unknown") {
		t.Errorf("warnings %q, want one naming n11 capacity=about 20", in.Warnings)
	}
}

// TestFacilityListCapacity checks the capacity column of `lifecircle
// facilities --format csv`: only when a facility gives one, empty when
// unknown.
func TestFacilityListCapacity(t *testing.T) {
	prof, err := planner.Builtin(planner.DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "stations.geojson")
	if err := os.WriteFile(path, []byte(capacityGeoJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	fs, err := ReadAmenityLayer(path, prof, WGS84)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteFacilityListCSV(&b, prof, ListFacilities(prof, fs, "")); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimPrefix(b.String(), UTF8BOM), "\n")
	if !strings.HasSuffix(lines[0], ",tags,status,opens,closes,capacity") || !strings.HasSuffix(lines[1], ",") || !strings.HasSuffix(lines[2], ",30") || !strings.HasSuffix(lines[3], ",12.5") {
		t.Errorf("facility list:\n%s", b.String())
	}
	b.Reset()
	if err := WriteFacilityListCSV(&b, prof, ListFacilities(prof, fs[2:3], "")); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "capacity") {
		t.Errorf("a list without capacities has a capacity column:\n%s", b.String())
	}
}
