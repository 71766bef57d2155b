package postgis

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// osmProject reads an OSM extract the way `lifecircle import --osm` does.
func osmProject(t testing.TB, name, path string) *Project {
	t.Helper()
	ctx := context.Background()
	prof, err := data.LoadProfile("gb50180")
	if err != nil {
		t.Fatal(err)
	}
	in, err := data.ReadOSMInputs(ctx, path, data.OSMOptions{Profile: prof, Buildings: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ways, err := data.ReadWalkableWays(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Project{
		Name: name, Profile: prof,
		Settings:         Settings{Cell: 250, Sources: map[string]any{"osm": path}},
		Network:          Network{Info: in.NetInfo, Ways: OSMWays(ways)},
		Facilities:       in.Facilities,
		Buildings:        in.Buildings,
		ResidentialAreas: in.ResidentialAreas,
	}
}

var helsinkiOnce struct {
	p *Project
}

func helsinki(t testing.TB) *Project {
	if helsinkiOnce.p == nil {
		helsinkiOnce.p = osmProject(t, "helsinki", shareddata.Path(t, "helsinki", "Helsinki.osm.pbf"))
	}
	return helsinkiOnce.p
}

// TestImportRoundTrip stores the Helsinki extract and reads back the same
// inputs, down to every coordinate and tag, and the same walk network.
func TestImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	want := helsinki(t)
	st, err := s.Import(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	if st.Ways != len(want.Network.Ways) || st.Features != len(want.Facilities)+len(want.Buildings)+len(want.ResidentialAreas) {
		t.Errorf("import stats %+v; want %d ways and %d features", st, len(want.Network.Ways),
			len(want.Facilities)+len(want.Buildings)+len(want.ResidentialAreas))
	}
	got, err := s.LoadProject(ctx, "helsinki")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Network, want.Network) {
		t.Errorf("network differs after the round trip (%d vs %d ways, info %+v vs %+v)",
			len(got.Network.Ways), len(want.Network.Ways), got.Network.Info, want.Network.Info)
	}
	// Every facility comes back with why it counts: its rule and OSM tags.
	for i, f := range want.Facilities {
		if f.Rule == "" || len(f.Tags) == 0 || f.Source != "Helsinki.osm.pbf" {
			t.Fatalf("facility %s read with rule %q, %d tags, source %q", f.ID, f.Rule, len(f.Tags), f.Source)
		}
		if i < len(got.Facilities) && !reflect.DeepEqual(got.Facilities[i], f) {
			t.Errorf("facility %d differs after the round trip:\n got %+v\nwant %+v", i, got.Facilities[i], f)
			break
		}
	}
	if !reflect.DeepEqual(got.Facilities, want.Facilities) {
		t.Errorf("facilities differ: %d vs %d", len(got.Facilities), len(want.Facilities))
	}
	if !reflect.DeepEqual(got.Buildings, want.Buildings) {
		t.Errorf("buildings differ: %d vs %d", len(got.Buildings), len(want.Buildings))
	}
	if !reflect.DeepEqual(got.ResidentialAreas, want.ResidentialAreas) {
		t.Errorf("residential areas differ: %d vs %d", len(got.ResidentialAreas), len(want.ResidentialAreas))
	}
	if !reflect.DeepEqual(got.Profile, want.Profile) {
		t.Errorf("profile differs after the round trip")
	}
	if got.Settings.Cell != 250 || got.Settings.Sources["osm"] != want.Settings.Sources["osm"] {
		t.Errorf("settings %+v", got.Settings)
	}

	// The rebuilt network is the file-based one: same graph, same lengths.
	a, err := want.Network.Build()
	if err != nil {
		t.Fatal(err)
	}
	in, err := data.ReadOSMInputs(ctx, shareddata.Path(t, "helsinki", "Helsinki.osm.pbf"), data.OSMOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := in.Net
	if a.NumNodes() != b.NumNodes() || a.NumEdges() != b.NumEdges() || a.TotalLength() != b.TotalLength() {
		t.Fatalf("rebuilt network %d nodes %d edges %.3f m; file network %d nodes %d edges %.3f m",
			a.NumNodes(), a.NumEdges(), a.TotalLength(), b.NumNodes(), b.NumEdges(), b.TotalLength())
	}
	for e := int32(0); e < int32(a.NumEdges()); e++ {
		a1, b1, l1 := a.Edge(e)
		a2, b2, l2 := b.Edge(e)
		if a1 != a2 || b1 != b2 || l1 != l2 || !reflect.DeepEqual(a.EdgeGeometry(e), b.EdgeGeometry(e)) {
			t.Fatalf("edge %d differs: %d-%d %.6f vs %d-%d %.6f", e, a1, b1, l1, a2, b2, l2)
		}
	}
}

// TestImportLayersAndUnits covers population, units and shared layers,
// and re-import replacing everything.
func TestImportLayersAndUnits(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	prof, _ := data.LoadProfile("15min")
	sq := func(x, y float64) orb.Polygon {
		return orb.Polygon{{{x, y}, {x + 0.01, y}, {x + 0.01, y + 0.01}, {x, y + 0.01}, {x, y}}}
	}
	p := &Project{
		Name: "micro_1", Profile: prof,
		Network: Network{Info: data.NetworkInfo{Source: "lines.geojson", Ways: 2}, Ways: LineWays([]orb.LineString{
			{{24.0, 60.0}, {24.01, 60.0}}, {{24.01, 60.0}, {24.01, 60.01}},
		})},
		Facilities: []planner.Facility{
			{ID: "c1", Type: "clinic", Name: "诊所", Source: "a.csv", Geometry: orb.Point{24.005, 60.0}},
			{ID: "m1", Type: "market", Source: "b.geojson", Geometry: orb.LineString{{24.01, 60.0}, {24.01, 60.005}}},
			{ID: "m2", Type: "market", Source: "a.csv", Geometry: sq(24.0, 60.0)},
		},
		Population:       []planner.PopFeature{{ID: "p1", Geometry: orb.Point{24.001, 60.001}, Population: 12.5}, {ID: "p2", Geometry: sq(24.0, 60.0), Population: 0}},
		PopulationSource: "/x/pop.geojson",
		Units: []planner.Unit{
			{ID: "u1", Name: "North", Parent: "d1", Level: "community", Geometry: sq(24.0, 60.0)},
			{ID: "u2", Geometry: orb.MultiPolygon{sq(24.01, 60.0), sq(24.03, 60.0)}},
		},
		UnitsSource: "/x/units.geojson",
		Layers: []Layer{{Name: "schools.geojson", Source: "/x/schools.geojson", Features: []data.Feature{
			{Index: 0, ID: "s1", Geometry: orb.Point{24.002, 60.002}, Properties: map[string]any{"name": "Koulu", "pupils": 300.0}},
		}}},
	}
	if _, err := s.Import(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadProject(ctx, "micro_1")
	if err != nil {
		t.Fatal(err)
	}
	got.Imported = p.Imported
	if !reflect.DeepEqual(got, p) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", got, p)
	}
	if _, err := got.Network.Build(); err != nil {
		t.Errorf("build the line network: %v", err)
	}

	// Re-import with fewer layers replaces all of them.
	p2 := *p
	p2.Units, p2.UnitsSource, p2.Layers = nil, "", nil
	p2.Facilities = p.Facilities[:1]
	if _, err := s.Import(ctx, &p2); err != nil {
		t.Fatal(err)
	}
	got, err = s.LoadProject(ctx, "micro_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Units) != 0 || len(got.Layers) != 0 || len(got.Facilities) != 1 || got.UnitsSource != "" {
		t.Errorf("re-import kept old layers: %d units, %d layers, %d facilities", len(got.Units), len(got.Layers), len(got.Facilities))
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM lifecircle.layers l JOIN lifecircle.projects p ON p.id = l.project WHERE p.name = 'micro_1'`).Scan(&n); err != nil || n != 3 {
		t.Errorf("layers after re-import: %d (%v); want network, amenity, population", n, err)
	}
}

func TestDBProjectNames(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"helsinki", true}, {"A-b_9", true}, {strings.Repeat("x", 64), true},
		{"", false}, {strings.Repeat("x", 65), false}, {"a b", false}, {"a;DROP TABLE x", false},
		{"x'--", false}, {"名字", false}, {"a.b", false}, {"a/b", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateProjectName(tc.name)
			if (err == nil) != tc.ok {
				t.Fatalf("ValidateProjectName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
			}
			if !tc.ok {
				if _, err := s.LoadProject(ctx, tc.name); err == nil || !strings.Contains(err.Error(), "not allowed") {
					t.Errorf("LoadProject(%q) = %v, want the name refused", tc.name, err)
				}
				if _, err := s.Import(ctx, &Project{Name: tc.name, Profile: &planner.Profile{}}); err == nil {
					t.Errorf("Import(%q) succeeded", tc.name)
				}
			}
		})
	}
	_, err := s.LoadProject(ctx, "no-such-project")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "lifecircle import") {
		t.Errorf("missing project: %v", err)
	}
}

// TestDBFacilityCapacity stores amenities with and without a capacity and
// reads them back: unknown stays unknown (NULL), never 0 places.
func TestDBFacilityCapacity(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	prof, _ := data.LoadProfile("gb50180")
	_ = s.DeleteProject(ctx, "cap")
	want := []planner.Facility{
		{ID: "e1", Type: "elderly", Name: "托老站", Source: "stations.csv", Geometry: orb.Point{1.0002, 1}, Rule: "type=elderly", Capacity: 30},
		{ID: "e2", Type: "elderly", Source: "stations.csv", Geometry: orb.Point{1.0004, 1}, Rule: "type=elderly"},
	}
	if _, err := s.Import(ctx, &Project{Name: "cap", Profile: prof, Facilities: want,
		Network: Network{Ways: LineWays([]orb.LineString{{{1, 1}, {1.001, 1}}})}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadProject(ctx, "cap")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Facilities, want) {
		t.Errorf("facilities after the round trip:\n got %+v\nwant %+v", got.Facilities, want)
	}
	rows, err := s.pool.Query(ctx, `SELECT fid, capacity FROM lifecircle.v_amenities WHERE project = 'cap' ORDER BY fid`)
	if err != nil {
		t.Fatal(err)
	}
	view := map[string]*float64{}
	for rows.Next() {
		var fid string
		var c *float64
		if err := rows.Scan(&fid, &c); err != nil {
			t.Fatal(err)
		}
		view[fid] = c
	}
	if rows.Err() != nil || len(view) != 2 || view["e1"] == nil || *view["e1"] != 30 || view["e2"] != nil {
		t.Errorf("v_amenities capacity: %v (err %v), want e1 30 and e2 NULL", view, rows.Err())
	}
}
