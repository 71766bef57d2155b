package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/geo"
)

// The capacity acceptance of issue 13 (item 6), end to end through
// `lifecircle audit`: a hand-made street, stations with capacities,
// residents and two units, the case of planner's TestAuditCapacitySpill.
//
// One street along the equator from x = 0 to 1000 m (east of 10°E). E1 at
// x = 100 has 5 places, E2 at x = 500 has 4; the profile needs 50 places
// per 1,000 residents, so a place serves 20 residents: E1 has room for 100,
// E2 for 80. Residents on the street: r1 x=150 (70), r2 x=250 (50), r3
// x=400 (40) in unit A (x < 500), r4 x=700 (30), r5 x=900 (10) in unit B.
// Closest pairs first: r1–E1 50 m takes 70 (E1 30 left), r3–E2 100 m 40
// (E2 40 left), r2–E1 150 m 30 of 50 (E1 full), r4–E2 200 m 30 (E2 10
// left), r2–E2 250 m: 10 of r2's 20 spill to E2 (full), 10 find no room.
// r5 is 400 m from E2: not covered.

const capacityCLIProfile = `id: captown
names: {en: Capacity town}
types:
  - id: elderly
    names: {zh: 托老站, en: Elderly day care}
    tier: 5
    threshold: 300
    weight: 1
    capacity_ratio: 50
  - id: playground
    names: {zh: 儿童游乐场, en: Playground}
    tier: 5
    threshold: 300
    weight: 1
`

// capLon is the longitude x metres east of 10°E on the equator.
func capLon(x float64) string {
	return fmt.Sprintf("%.9f", 10+x/(geo.EarthRadius*3.141592653589793/180))
}

// capacityTown writes the town's files into dir; stations lists the
// amenity CSV's capacity column (header "" = no such column).
func capacityTown(t *testing.T, dir, header, e1, e2 string) []string {
	t.Helper()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	network := write("streets.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[`+
		capLon(0)+`,0],[`+capLon(1000)+`,0]]}}]}`)
	var st strings.Builder
	st.WriteString("id,name,type,lon,lat")
	if header != "" {
		st.WriteString("," + header)
	}
	st.WriteString("\n")
	for _, s := range []struct{ id, typ, x, capacity string }{{"E1", "elderly", "100", e1}, {"E2", "elderly", "500", e2}, {"P1", "playground", "1000", ""}} {
		var x float64
		fmt.Sscan(s.x, &x)
		fmt.Fprintf(&st, "%s,%s station,%s,%s,0", s.id, s.id, s.typ, capLon(x))
		if header != "" {
			st.WriteString("," + s.capacity)
		}
		st.WriteString("\n")
	}
	stations := write("stations.csv", st.String())
	var pop strings.Builder
	pop.WriteString(`{"type":"FeatureCollection","features":[`)
	for i, r := range []struct{ x, n float64 }{{150, 70}, {250, 50}, {400, 40}, {700, 30}, {900, 10}} {
		if i > 0 {
			pop.WriteString(",")
		}
		fmt.Fprintf(&pop, `{"type":"Feature","id":"r%d","properties":{"population":%g},"geometry":{"type":"Point","coordinates":[%s,0]}}`, i+1, r.n, capLon(r.x))
	}
	pop.WriteString("]}")
	population := write("population.geojson", pop.String())
	box := func(id string, x0, x1 float64) string {
		a, b := capLon(x0), capLon(x1)
		return fmt.Sprintf(`{"type":"Feature","properties":{"id":"%s","name":"unit %s"},"geometry":{"type":"Polygon","coordinates":[[[%s,-0.002],[%s,-0.002],[%s,0.002],[%s,0.002],[%s,-0.002]]]}}`, id, id, a, b, b, a, a)
	}
	units := write("units.geojson", `{"type":"FeatureCollection","features":[`+box("A", -50, 500)+","+box("B", 500, 1050)+`]}`)
	profile := write("profile.yaml", capacityCLIProfile)
	return []string{"audit", "--quiet", "--network", network, "--amenities", stations, "--population", population,
		"--units", units, "--profile", profile}
}

func TestAuditCapacityCLI(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	args := capacityTown(t, dir, "托位", "5", "4")
	stdout, stderr, code := runCLI(t, append(args, "--out", out)...)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	a := checkAuditDir(t, out)

	// units.geojson: over_capacity_elderly beside the coverage figures,
	// none for the playground (no capacity figures: absent, not 0).
	want := map[string]float64{"A": 10, "B": 0}
	for _, u := range a.units {
		id := fmt.Sprint(u.props["unit_id"])
		got, ok := jsonNumber(u.props["over_capacity_elderly"])
		if !ok || got != want[id] {
			t.Errorf("unit %s: over_capacity_elderly = %v, want %v", id, u.props["over_capacity_elderly"], want[id])
		}
		if _, ok := u.props["over_capacity_playground"]; ok {
			t.Errorf("unit %s has over_capacity_playground", id)
		}
		if id == "A" && jsonFloat(u.props["covered_elderly"]) != 160 {
			t.Errorf("unit A: covered_elderly = %v, want 160", u.props["covered_elderly"])
		}
	}

	// summary.json: the type's capacity figures.
	var sum struct {
		Types []struct {
			ID       string          `json:"id"`
			Capacity json.RawMessage `json:"capacity"`
		} `json:"types"`
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	wantCap := `{"facilities_full":2,"facilities_with_capacity":2,"places":9,"population_over_capacity":10,"population_served":180,"ratio_per_1000":50}`
	for _, ty := range sum.Types {
		switch ty.ID {
		case "elderly":
			var c any
			json.Unmarshal(ty.Capacity, &c)
			if got, _ := json.Marshal(c); string(got) != wantCap {
				t.Errorf("summary.json elderly capacity %s, want %s", got, wantCap)
			}
		default:
			if ty.Capacity != nil {
				t.Errorf("summary.json %s capacity %s, want none", ty.ID, ty.Capacity)
			}
		}
	}

	// summary.csv, facilities.geojson, report.html and the terminal.
	csv := readOutputCSV(t, filepath.Join(out, "summary.csv"))
	if i := slices.Index(csv[0], "over_capacity"); i < 0 || csv[1][i] != "10.0" || csv[2][i] != "" {
		t.Errorf("summary.csv over_capacity column: header %v rows %v %v", csv[0], csv[1], csv[2])
	}
	caps := map[string]any{}
	for _, f := range a.facilities {
		caps[fmt.Sprint(f.props["id"])] = f.props["capacity"] // json.Number or nil
	}
	if fmt.Sprint(caps) != "map[E1:5 E2:4 P1:<nil>]" {
		t.Errorf("facilities.geojson capacities %v", caps)
	}
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"可达但满员", "within reach but over capacity", "C × 1000 / r", `<span class="en" lang="en">over capacity</span> 10</b>`} {
		if !strings.Contains(string(html), s) {
			t.Errorf("report.html does not say %q", s)
		}
	}
	if !strings.Contains(stdout+stderr, "over capacity 可达但满员 10") {
		t.Errorf("the terminal table does not print the residents over capacity:\n%s%s", stdout, stderr)
	}

	// Without a capacity column nothing about capacity is written.
	out2 := filepath.Join(dir, "out2")
	args = capacityTown(t, dir, "", "", "")
	if _, stderr, code := runCLI(t, append(args, "--out", out2)...); code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	for _, f := range []string{"units.geojson", "summary.json", "summary.csv", "facilities.geojson", "report.html"} {
		b, err := os.ReadFile(filepath.Join(out2, f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "capacity") || strings.Contains(string(b), "满员") {
			t.Errorf("%s mentions capacity although no station gives one", f)
		}
	}

	// A capacity that is not a number of places: the file, the row and
	// the fix, exit 1.
	args = capacityTown(t, dir, "capacity", "five", "4")
	_, stderr, code = runCLI(t, append(args, "--out", filepath.Join(dir, "out3"))...)
	if code != 1 || !strings.Contains(stderr, "stations.csv") || !strings.Contains(stderr, `feature 0 ("E1 station")`) ||
		!strings.Contains(stderr, `capacity "five" is not a number`) || !strings.Contains(stderr, "give the number of places") {
		t.Errorf("bad capacity: exit %d, stderr:\n%s", code, stderr)
	}
}

// TestDBAuditCapacity imports the capacity town into PostgreSQL and audits
// it from there: the same residents over capacity as from the files.
func TestDBAuditCapacity(t *testing.T) {
	db := testDB(t)
	dir := t.TempDir()
	args := capacityTown(t, dir, "capacity", "5", "4")
	fileOut, dbOut := filepath.Join(dir, "file"), filepath.Join(dir, "db")
	mustCLI(t, append(args, "--out", fileOut)...)
	mustCLI(t, append([]string{"import", "--quiet", "--db", db, "--project", "captown"}, args[2:]...)...)
	mustCLI(t, "audit", "--quiet", "--db", db, "--project", "captown", "--out", dbOut)
	for _, f := range []string{"units.geojson", "facilities.geojson", "summary.csv"} {
		a, _ := os.ReadFile(filepath.Join(fileOut, f))
		b, _ := os.ReadFile(filepath.Join(dbOut, f))
		if len(a) == 0 || string(a) != string(b) {
			t.Errorf("%s differs between the file-based and the database audit:\nfiles %s\n   db %s", f, a, b)
		}
	}
	if a, _ := os.ReadFile(filepath.Join(dbOut, "units.geojson")); !strings.Contains(string(a), `"over_capacity_elderly":10`) {
		t.Errorf("units.geojson from the database lacks over_capacity_elderly 10:\n%s", a)
	}
}
