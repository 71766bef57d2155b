package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/planner"
)

// amenityIDs reads csv (an amenity layer) and returns the facilities'
// ids by name, and how many were derived.
func amenityIDs(t *testing.T, csv string) (map[string]string, int) {
	t.Helper()
	prof, err := LoadProfile("gb50180")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "stations.csv")
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := ReadLayer(path, ReadOptions{Allow: AnyGeom})
	if err != nil {
		t.Fatal(err)
	}
	fs, derived, err := AmenitiesFromLayer(l, prof)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, f := range fs {
		ids[f.Name] = f.ID
	}
	return ids, derived
}

// TestAmenityIDsStable: without an id column, a facility's id depends on
// its type, name and position only — not on the rows before it — and
// never is the row number.
func TestAmenityIDsStable(t *testing.T) {
	rows := []string{
		"东区卫生站,clinic,24.9400,60.1700",
		"中心菜市场,market,24.9450,60.1710",
		"西区儿童游乐场,playground,24.9350,60.1690",
		"北区托老站,elderly,24.9420,60.1720",
	}
	a, n := amenityIDs(t, "name,type,lon,lat\n"+strings.Join(rows, "\n")+"\n")
	if n != 4 {
		t.Errorf("%d ids derived, want 4", n)
	}
	for name, id := range a {
		if !strings.HasPrefix(id, planner.DerivedIDPrefix) {
			t.Errorf("%s: id %q is not derived", name, id)
		}
	}
	// Market deleted, rows reversed, one station added before the rest.
	b, _ := amenityIDs(t, "name,type,lon,lat\n新建卫生站,clinic,24.9300,60.1650\n"+rows[3]+"\n"+rows[2]+"\n"+rows[0]+"\n")
	for _, name := range []string{"东区卫生站", "西区儿童游乐场", "北区托老站"} {
		if a[name] != b[name] {
			t.Errorf("%s: id %s, then %s after rows were deleted and reordered", name, a[name], b[name])
		}
	}
	// A move of 1 m keeps the id (most of the time: the grid is 5 m); a
	// rename or 30 m move gives a new one.
	c, _ := amenityIDs(t, "name,type,lon,lat\n东区卫生站,clinic,24.9400,60.170009\n东区卫生站(新),clinic,24.9400,60.1700\n")
	if c["东区卫生站"] != a["东区卫生站"] {
		t.Errorf("1 m move changed the id: %s → %s", a["东区卫生站"], c["东区卫生站"])
	}
	if c["东区卫生站(新)"] == a["东区卫生站"] {
		t.Error("a renamed station kept its derived id")
	}
	d, _ := amenityIDs(t, "name,type,lon,lat\n东区卫生站,clinic,24.9400,60.1703\n")
	if d["东区卫生站"] == a["东区卫生站"] {
		t.Error("a station 33 m away kept its derived id")
	}
}

// TestAmenityIDColumns: an id column other than "id" is used (OSM
// references as the extract names them), duplicates there are an error
// naming the file, and indistinguishable unnamed rows get distinct ids
// whatever their order.
func TestAmenityIDColumns(t *testing.T) {
	ids, n := amenityIDs(t, "name,type,lon,lat,osm_id\nA,clinic,24.94,60.17,node/123\nB,market,24.95,60.17,way/77\n")
	if ids["A"] != "n123" || ids["B"] != "w77" || n != 0 {
		t.Errorf("ids %v (%d derived)", ids, n)
	}
	ids, _ = amenityIDs(t, "name,type,lon,lat,编号\nA,clinic,24.94,60.17,WS-01\n")
	if ids["A"] != "WS-01" {
		t.Errorf("编号 column: ids %v", ids)
	}
	ids, _ = amenityIDs(t, "ID,name,type,lon,lat\nS1,A,clinic,24.94,60.17\n")
	if ids["A"] != "S1" {
		t.Errorf("ID column: ids %v", ids)
	}

	prof, err := LoadProfile("gb50180")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dup.csv")
	os.WriteFile(path, []byte("name,type,lon,lat,facility_id\nA,clinic,24.94,60.17,7\nB,clinic,24.95,60.17,7\n"), 0o644)
	l, err := ReadLayer(path, ReadOptions{Allow: AnyGeom})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := AmenitiesFromLayer(l, prof); err == nil || !strings.Contains(err.Error(), "dup.csv") || !strings.Contains(err.Error(), `facility_id "7"`) {
		t.Errorf("duplicate facility_id: %v", err)
	}

	// Two unnamed fitness stations 2 m apart share a grid cell.
	one := "type,lon,lat\nfitness,24.940000,60.17\nfitness,24.940036,60.17\n"
	two := "type,lon,lat\nfitness,24.940036,60.17\nfitness,24.940000,60.17\n"
	for _, csv := range []string{one, two} {
		path := filepath.Join(t.TempDir(), "f.csv")
		os.WriteFile(path, []byte(csv), 0o644)
		l, err := ReadLayer(path, ReadOptions{Allow: AnyGeom})
		if err != nil {
			t.Fatal(err)
		}
		fs, _, err := AmenitiesFromLayer(l, prof)
		if err != nil {
			t.Fatal(err)
		}
		byLon := map[float64]string{}
		for _, f := range fs {
			byLon[f.Geometry.Bound().Min[0]] = f.ID
		}
		if byLon[24.94] == byLon[24.940036] || !strings.HasSuffix(byLon[24.940036], "~2") {
			t.Errorf("ids by longitude %v: want distinct, the eastern one ~2", byLon)
		}
	}
}

func TestDerivedIDsWarning(t *testing.T) {
	w, ok := planner.DerivedIDs("stations.csv", 3, 5, append([]string{"id"}, AmenityIDColumns...))
	if !ok || w.Code != planner.WarnDerivedIDs || !strings.Contains(w.En, "stations.csv: 3 of 5") || !strings.Contains(w.Zh, "stations.csv") || !strings.Contains(w.En, "osm_id") {
		t.Errorf("warning %+v", w)
	}
	if _, ok := planner.DerivedIDs("stations.csv", 0, 5, nil); ok {
		t.Error("warning with no derived id")
	}
}
