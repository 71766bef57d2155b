package study

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
)

// The hand-made town of these tests lies around lon0, lat0; positions are
// given in metres east (x) and north (y) of it.
const lon0, lat0 = 24.94, 60.17

func ll(x, y float64) (lon, lat float64) {
	const m = 6371009 * math.Pi / 180
	return lon0 + x/(m*math.Cos(lat0*math.Pi/180)), lat0 + y/m
}

// town writes an OSM file of streets (polylines in metres, highway=
// residential) and buildings (rectangles x0,y0,x1,y1 with their tags).
type town struct {
	streets   [][][2]float64
	buildings []building
}

type building struct {
	x0, y0, x1, y1 float64
	tags           map[string]string
}

func (tw town) write(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osm version=\"0.6\" generator=\"test\">\n")
	id := 0
	var ways strings.Builder
	node := func(x, y float64) int {
		id++
		lon, lat := ll(x, y)
		fmt.Fprintf(&b, "  <node id=\"%d\" lat=\"%.8f\" lon=\"%.8f\"/>\n", id, lat, lon)
		return id
	}
	wayID := 1000
	way := func(refs []int, tags map[string]string) {
		wayID++
		fmt.Fprintf(&ways, "  <way id=\"%d\">", wayID)
		for _, r := range refs {
			fmt.Fprintf(&ways, "<nd ref=\"%d\"/>", r)
		}
		keys := make([]string, 0, len(tags))
		for k := range tags {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(&ways, "<tag k=%q v=%q/>", k, tags[k])
		}
		ways.WriteString("</way>\n")
	}
	for _, s := range tw.streets {
		var refs []int
		for _, q := range s {
			refs = append(refs, node(q[0], q[1]))
		}
		way(refs, map[string]string{"highway": "residential"})
	}
	for _, bd := range tw.buildings {
		a, c, d, e := node(bd.x0, bd.y0), node(bd.x1, bd.y0), node(bd.x1, bd.y1), node(bd.x0, bd.y1)
		way([]int{a, c, d, e, a}, bd.tags)
	}
	b.WriteString(ways.String())
	b.WriteString("</osm>\n")
	path := filepath.Join(dir, "town.osm")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// unitsFile writes square units (x0,y0,x1,y1 in metres) with ids, names
// and, when pop is not nil, a population property.
func unitsFile(t *testing.T, dir string, boxes map[string][4]float64, pop map[string]float64) string {
	t.Helper()
	ids := make([]string, 0, len(boxes))
	for id := range boxes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var fs []string
	for _, id := range ids {
		bx := boxes[id]
		var ring []string
		for _, q := range [][2]float64{{bx[0], bx[1]}, {bx[2], bx[1]}, {bx[2], bx[3]}, {bx[0], bx[3]}, {bx[0], bx[1]}} {
			lon, lat := ll(q[0], q[1])
			ring = append(ring, fmt.Sprintf("[%.8f,%.8f]", lon, lat))
		}
		props := fmt.Sprintf(`"id":%q,"name":"Unit %s"`, id, id)
		if v, ok := pop[id]; ok {
			props += fmt.Sprintf(`,"population":%v`, v)
		}
		fs = append(fs, fmt.Sprintf(`{"type":"Feature","properties":{%s},"geometry":{"type":"Polygon","coordinates":[[%s]]}}`, props, strings.Join(ring, ",")))
	}
	path := filepath.Join(dir, "units.geojson")
	if err := os.WriteFile(path, []byte(`{"type":"FeatureCollection","features":[`+strings.Join(fs, ",")+"]}"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// recorder is a Progress that keeps the warnings.
type recorder struct {
	NoProgress
	mu    sync.Mutex
	warns []string
}

func (r *recorder) Warn(format string, a ...any) {
	r.mu.Lock()
	r.warns = append(r.warns, fmt.Sprintf(format, a...))
	r.mu.Unlock()
}

// The base town: one street from x = 0 to 800 m; unit A is x∈[0,410],
// unit B x∈[410,800] (y∈[-200,200]). A holds two apartment blocks: 40×40 m
// of 5 levels (8000 m² of floor, the default for apartments) and 20×40 m
// of 2 levels (1600 m²); B holds none.
var (
	mainStreet = [][2]float64{{0, 0}, {800, 0}}
	blockA1    = building{50, 20, 90, 60, map[string]string{"building": "apartments"}}
	blockA2    = building{200, -60, 220, -20, map[string]string{"building": "apartments", "building:levels": "2"}}
	boxA       = [4]float64{0, -200, 410, 200}
	boxB       = [4]float64{410, -200, 800, 200}
)

func unitPops(res *planner.AuditResult, units []planner.Unit) map[string]float64 {
	m := map[string]float64{}
	for u, r := range res.Units {
		m[units[u].ID] = r.Population
	}
	return m
}

// TestUnitPopulation: official counts per unit, from a CSV (with a BOM)
// and from the units layer's population property, are spread so that
// every unit's residents equal its count to 0.1 resident: over A's
// buildings by floor area (8000 : 1600), over B's street samples.
func TestUnitPopulation(t *testing.T) {
	dir := t.TempDir()
	osmPath := town{streets: [][][2]float64{mainStreet}, buildings: []building{blockA1, blockA2}}.write(t, dir)
	want := map[string]float64{"A": 1000, "B": 250.5}
	csvPath := writeFile(t, dir, "counts.csv", "\ufeffunit_id,population\r\nA,1000\r\nB,250.5\r\n")
	for _, tc := range []struct {
		name  string
		units string
		pop   func(units string) string
	}{
		{"csv", unitsFile(t, filepath.Join(dir), map[string][4]float64{"A": boxA, "B": boxB}, nil), func(string) string { return csvPath }},
		{"units layer property", "", func(units string) string { return units }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub := t.TempDir()
			units := tc.units
			if units == "" {
				units = unitsFile(t, sub, map[string][4]float64{"A": boxA, "B": boxB}, want)
			}
			s := Defaults()
			s.OSM, s.Units, s.UnitPopulation = osmPath, []string{units}, tc.pop(units)
			rec := &recorder{}
			st, err := Load(context.Background(), s, FileSource{}, rec)
			if err != nil {
				t.Fatal(err)
			}
			if st.In.Demand.Source != planner.DemandUnitCounts {
				t.Errorf("source %q", st.In.Demand.Source)
			}
			res, err := Run(context.Background(), st)
			if err != nil {
				t.Fatal(err)
			}
			got := unitPops(res, st.In.Units)
			for id, n := range want {
				if math.Abs(got[id]-n) > 0.1 {
					t.Errorf("unit %s: %.3f residents, want %v", id, got[id], n)
				}
			}
			// A's count follows floor area: 1000 × 8000/9600 in block 1.
			for i, id := range st.In.Demand.IDs {
				if strings.HasPrefix(id, "A/") && st.In.Demand.Pop[i] > 500 && math.Abs(st.In.Demand.Pop[i]-1000*8000.0/9600) > 0.5 {
					t.Errorf("block 1: %v residents", st.In.Demand.Pop[i])
				}
			}
			// The estimate (240 residents in A, none in B) is far from 1250.5.
			if !hasCode(st.Meta.WarningDetails, planner.WarnEstimateVsOfficial) || !slices.ContainsFunc(rec.warns, func(w string) bool { return strings.Contains(w, "240 residents") }) {
				t.Errorf("warnings %v", rec.warns)
			}
		})
	}
}

func hasCode(ws []planner.Warning, code string) bool {
	return slices.ContainsFunc(ws, func(w planner.Warning) bool { return w.Code == code })
}

func TestUnitPopulationErrors(t *testing.T) {
	dir := t.TempDir()
	osmPath := town{streets: [][][2]float64{mainStreet}, buildings: []building{blockA1}}.write(t, dir)
	units := unitsFile(t, dir, map[string][4]float64{"A": boxA, "B": boxB}, nil)
	for _, tc := range []struct{ name, csv, want string }{
		{"unknown unit", "unit_id,population\nA,10\nZ,5\n", `counts.csv: line 3: unit "Z" is not a unit of`},
		{"negative", "unit_id,population\nA,-10\n", `counts.csv: line 2: unit "A": population -10 is negative`},
		{"NaN", "unit_id,population\nA,NaN\n", `counts.csv: line 2: unit "A": population "NaN" is not a number`},
		{"duplicate", "unit_id,population\nA,10\nB,3\nA,11\n", `counts.csv: line 4: unit "A" is given twice (also at counts.csv: line 2)`},
		{"no header", "A,10\n", `counts.csv: line 1: the header "A,10" needs the columns unit_id and population`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Defaults()
			s.OSM, s.Units = osmPath, []string{units}
			s.UnitPopulation = writeFile(t, t.TempDir(), "counts.csv", tc.csv)
			_, err := Load(context.Background(), s, FileSource{}, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	s := Defaults()
	s.OSM, s.UnitPopulation = osmPath, units
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "give the units too") {
		t.Errorf("without units: %v", err)
	}
}

// TestStudyWarnings triggers each warning of the study pipeline with a
// hand-made town and checks that the clean town has none.
func TestStudyWarnings(t *testing.T) {
	blockB := building{600, 20, 640, 60, map[string]string{"building": "apartments"}}
	clean := town{streets: [][][2]float64{mainStreet}, buildings: []building{blockA1, blockA2, blockB}}
	estimate := (8000 + 1600 + 8000) / 40.0
	codes := []string{planner.WarnEstimateVsOfficial, planner.WarnWeakResidentialTagging, planner.WarnCutOffResidents, planner.WarnUnitsWithoutResidents}
	cases := []struct {
		name  string
		town  town
		units map[string][4]float64
		total float64
		want  string // the one code expected, "" = none
		text  string
	}{
		{"clean", clean, map[string][4]float64{"A": boxA, "B": boxB}, 0, "", ""},
		{"clean with a close total", clean, map[string][4]float64{"A": boxA, "B": boxB}, estimate * 1.2, "", ""},
		{"total far off", clean, map[string][4]float64{"A": boxA, "B": boxB}, estimate * 3, planner.WarnEstimateVsOfficial, "-67 %"},
		{"weak tagging", town{streets: clean.streets, buildings: append(slices.Clone(clean.buildings),
			building{100, -190, 400, -80, map[string]string{"building": "commercial"}})}, nil, 0, planner.WarnWeakResidentialTagging, "is tagged residential"},
		{"cut off", town{streets: [][][2]float64{mainStreet, {{100, 150}, {160, 150}}}, buildings: append(slices.Clone(clean.buildings),
			building{120, 160, 140, 180, map[string]string{"building": "house"}})}, map[string][4]float64{"A": boxA, "B": boxB}, 0,
			planner.WarnCutOffResidents, "20 residents (1 demand points) live by street pieces cut off from the main network"},
		{"empty unit", clean, map[string][4]float64{"A": boxA, "B": boxB, "C": {800, -200, 1200, 200}}, 0, planner.WarnUnitsWithoutResidents, "1 of 3 units have no residents (Unit C)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := Defaults()
			s.OSM, s.TotalPopulation = tc.town.write(t, dir), tc.total
			if tc.units != nil {
				s.Units = []string{unitsFile(t, dir, tc.units, nil)}
			}
			rec := &recorder{}
			st, err := Load(context.Background(), s, FileSource{}, rec)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(context.Background(), st)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			if err := st.Write(out, res); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(out, "summary.json"))
			if err != nil {
				t.Fatal(err)
			}
			var sum data.Summary
			if err := json.Unmarshal(b, &sum); err != nil {
				t.Fatal(err)
			}
			for _, c := range codes {
				got := hasCode(sum.WarningDetails, c)
				if got != (c == tc.want) {
					t.Errorf("%s: warning %s present = %v; warnings %v", tc.name, c, got, sum.Warnings)
				}
			}
			if tc.want == "" {
				return
			}
			for _, w := range sum.WarningDetails {
				if w.Code != tc.want {
					continue
				}
				if !strings.Contains(w.En, tc.text) || w.Zh == "" {
					t.Errorf("text %q, want %q", w.En, tc.text)
				}
				if !slices.Contains(sum.Warnings, w.En) || !slices.Contains(rec.warns, w.En) {
					t.Errorf("%s not in warnings %v or on the terminal %v", w.Code, sum.Warnings, rec.warns)
				}
			}
		})
	}
}

// TestSampleWarnings: the bundled Helsinki sample has 303 residents by a
// street piece cut off from the network, and little residential tagging;
// with no official figure and grid cells, nothing else.
func TestSampleWarnings(t *testing.T) {
	s := Defaults()
	s.Sample = true
	st, err := Load(context.Background(), s, FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, w := range st.Meta.WarningDetails {
		codes = append(codes, w.Code)
		if w.Code == planner.WarnCutOffResidents && !strings.HasPrefix(w.En, "303 residents") {
			t.Errorf("cut-off: %s", w.En)
		}
	}
	if !slices.Equal(codes, []string{planner.WarnWeakResidentialTagging, planner.WarnCutOffResidents}) {
		t.Errorf("codes %v", codes)
	}
	if len(res.CutOff) != 1 || res.CutOff[0].Nodes != 2 {
		t.Errorf("cut-off pieces %+v", res.CutOff)
	}
}

// TestUnitPopulationProjectKey: unit_population in a project file is read
// relative to it, and the flag wins over it.
func TestUnitPopulationProjectKey(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "lifecircle.yaml", "osm: town.osm\nunits: units.geojson\nunit_population: counts.csv\n")
	p, err := data.ReadProject(path)
	if err != nil {
		t.Fatal(err)
	}
	s := Defaults()
	s.Overlay(p)
	if s.UnitPopulation != filepath.Join(dir, "counts.csv") {
		t.Errorf("from the project: %q", s.UnitPopulation)
	}
	s = Defaults()
	s.SetFlags(Settings{UnitPopulation: "mine.csv"}, []string{"unit-population"})
	s.Overlay(p)
	if s.UnitPopulation != "mine.csv" {
		t.Errorf("flag over project: %q", s.UnitPopulation)
	}
}
