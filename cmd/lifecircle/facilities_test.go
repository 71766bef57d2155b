package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data"
)

// TestFacilitiesSampleClinics lists the bundled sample's clinics as CSV:
// the four primary-care places of central Helsinki, each with the
// selector that counted it, its file and its OSM tags.
func TestFacilitiesSampleClinics(t *testing.T) {
	out, errb, code := runCLI(t, "facilities", "--sample", "--type", "clinic", "--format", "csv", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if !strings.HasPrefix(out, data.UTF8BOM) {
		t.Errorf("the CSV does not start with a UTF-8 byte order mark (Excel on Chinese Windows needs it)")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, data.UTF8BOM))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 1 || !reflect.DeepEqual(rows[0], []string{"type", "type_zh", "type_en", "id", "name", "rule", "source", "lon", "lat", "tags", "status", "opens", "closes"}) {
		t.Fatalf("header %v", rows[:min(1, len(rows))])
	}
	want := map[string]string{"Diacor Keskusta": "n1985597270", "Bulevardin Klinikka": "n4716514959",
		"Vita Lääkäriasema": "n5992298306", "Mehiläinen": "n6139262282"}
	got := map[string]string{}
	for _, r := range rows[1:] {
		got[r[4]] = r[3]
		if r[0] != "clinic" || r[5] != "amenity=clinic|doctors" || r[6] != "helsinki.osm.pbf (bundled sample)" ||
			!(strings.Contains(r[9], "amenity=doctors") || strings.Contains(r[9], "amenity=clinic")) {
			t.Errorf("row %v: want a clinic counted by amenity=clinic|doctors from the sample with its amenity tag", r)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("clinics %v, want %v", got, want)
	}
}

// TestFacilitiesOverridesAndTypes lists with an overrides file and an
// off-by-default type, and refuses unknown types naming the profile's.
func TestFacilitiesOverridesAndTypes(t *testing.T) {
	ov := filepath.Join(t.TempDir(), "fixes.csv")
	if err := os.WriteFile(ov, []byte("id,action,type,reason\nn1985597270,exclude,,private practice\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errb, code := runCLI(t, "facilities", "--sample", "--type", "clinic", "--facility-overrides", ov, "--quiet")
	if code != 0 || strings.Contains(out, "Diacor") || !strings.Contains(out, "— 3 处 facilities") || !strings.Contains(out, "rule 计入依据") {
		t.Errorf("exit %d, table:\n%s\n%s", code, out, errb)
	}
	out, errb, code = runCLI(t, "facilities", "--sample", "--types", "hospital", "--type", "hospital", "--quiet")
	if code != 0 || !strings.Contains(out, "hospital 医院") {
		t.Errorf("--types hospital: exit %d:\n%s\n%s", code, out, errb)
	}
	_, errb, code = runCLI(t, "audit", "--sample", "--types", "hospitals", "--out", filepath.Join(t.TempDir(), "out"), "--quiet")
	if code != 2 || !strings.Contains(errb, `no type "hospitals"`) || !strings.Contains(errb, "nursing_home") {
		t.Errorf("--types hospitals: exit %d, %s", code, errb)
	}
}
