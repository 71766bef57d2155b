package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// auditOf audits a stored-form project on 250 m grid cells, as the CLI does.
func auditOf(t testing.TB, p *Project) (planner.AuditInput, *planner.AuditResult) {
	t.Helper()
	net, err := p.Network.Build()
	if err != nil {
		t.Fatal(err)
	}
	dem, _, err := planner.DemandFromBuildings(p.Buildings, planner.BuildingOptions{FloorAreaPerPerson: planner.DefaultFloorAreaPerPerson, ResidentialAreas: p.ResidentialAreas})
	if err != nil {
		t.Fatal(err)
	}
	b := orb.Bound{Min: dem.Points[0], Max: dem.Points[0]}
	for _, pt := range dem.Points {
		b = b.Extend(pt)
	}
	g, err := planner.NewGrid(250, b)
	if err != nil {
		t.Fatal(err)
	}
	units, assign := planner.CellUnits(g, dem.Points, dem.Pop)
	in := planner.AuditInput{Profile: p.Profile, Net: net, Facilities: p.Facilities, Demand: dem, Units: units, Assign: assign,
		MaxSnap: geo.DefaultMaxSnap, MaxDistance: planner.DefaultAuditMaxDistance,
		Hierarchy: planner.SingleLevel("cell", units, assign)}
	res, err := planner.Audit(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return in, res
}

func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

func sameFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameFloat(a[i], b[i]) {
			return false
		}
	}
	return true
}

// TestSaveAudit stores a real audit and reads every unit's figures back
// exactly, with the run's files, and the views show it.
func TestDBSaveAudit(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	p := helsinki(t)
	if _, err := s.Import(ctx, p); err != nil {
		t.Fatal(err)
	}
	in, res := auditOf(t, p)
	dir := filepath.Join(t.TempDir(), "out")
	meta := data.AuditMeta{Version: "test", Created: time.Now(), Inputs: map[string]any{"osm": "Helsinki.osm.pbf"}, CellSize: 250, Timings: map[string]time.Duration{"x": time.Second}}
	if err := data.WriteAudit(dir, in, res, meta); err != nil {
		t.Fatal(err)
	}
	id, err := s.SaveAudit(ctx, AuditRun{Project: "helsinki", In: in, Res: res, Meta: meta, FilesDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	units, types, err := s.UnitResults(ctx, "helsinki", id)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(types, p.Profile.TypeIDs()) {
		t.Errorf("types %v", types)
	}
	if len(units) != len(in.Units) {
		t.Fatalf("%d stored units, audit has %d", len(units), len(in.Units))
	}
	for u, got := range units {
		want, wr := in.Units[u], res.Units[u]
		if got.UnitID != want.ID || got.Level != "cell" || got.Population != wr.Population || got.Points != wr.Points ||
			!sameFloats(got.Covered, wr.Covered) || !sameFloats(got.Unreachable, wr.Unreachable) ||
			!sameFloats(got.DistMean, wr.DistMean) || !sameFloats(got.DistP90, wr.DistP90) ||
			got.Completeness != wr.Completeness || got.FullyServed != wr.FullyServed || !reflect.DeepEqual(got.Geometry, want.Geometry) ||
			got.OverCapacity != nil {
			t.Fatalf("unit %d (%s) differs:\n got %+v\nwant %+v %+v", u, want.ID, got, want, wr)
		}
	}

	// runs.summary is summary.json's document, read back typed.
	runs, err := s.ListRuns(ctx, "helsinki", "audit")
	if err != nil {
		t.Fatal(err)
	}
	file, err := data.ReadAudit(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) == 0 || runs[0].ID != id || runs[0].Audit == nil {
		t.Fatalf("runs %+v", runs)
	}
	got, _ := json.Marshal(runs[0].Audit)
	want, _ := json.Marshal(file.Summary)
	if string(got) != string(want) {
		t.Errorf("stored summary\n%s\nsummary.json\n%s", got, want)
	}
	if runs[0].Summary["demand_points_unsnapped"] != float64(res.UnsnappedPts) {
		t.Errorf("stored summary: demand_points_unsnapped %v, want %d", runs[0].Summary["demand_points_unsnapped"], res.UnsnappedPts)
	}

	// The latest-run views show this run; demand rows are all there.
	var n, nd int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM lifecircle.v_units_latest WHERE project = 'helsinki' AND run = $1`, id).Scan(&n); err != nil || n != len(in.Units) {
		t.Errorf("v_units_latest has %d rows (%v), want %d", n, err, len(in.Units))
	}
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM lifecircle.v_demand_latest WHERE project = 'helsinki'`).Scan(&nd); err != nil || nd != len(in.Demand.Points) {
		t.Errorf("v_demand_latest has %d rows (%v), want %d", nd, err, len(in.Demand.Points))
	}
	// The facility views say why each facility counts.
	f0 := in.Facilities[0]
	for _, view := range []string{"v_facilities_latest", "v_amenities"} {
		var rule, amenity *string
		if err := s.pool.QueryRow(ctx, `SELECT rule, tags ->> 'amenity' FROM lifecircle.`+view+` WHERE project = 'helsinki' AND fid = $1 AND type = $2 LIMIT 1`,
			f0.ID, f0.Type).Scan(&rule, &amenity); err != nil {
			t.Fatal(err)
		}
		if deref(rule) != f0.Rule || deref(amenity) != f0.Tags["amenity"] || f0.Rule == "" {
			t.Errorf("%s: facility %s has rule %q and amenity=%q, want %q and %q", view, f0.ID, deref(rule), deref(amenity), f0.Rule, f0.Tags["amenity"])
		}
	}
	var cov float64
	if err := s.pool.QueryRow(ctx, `SELECT coverage FROM lifecircle.v_unit_coverage_latest WHERE project = 'helsinki' AND unit_id = $1 AND type = 'clinic'`,
		in.Units[0].ID).Scan(&cov); err != nil {
		t.Fatal(err)
	}
	if want := res.Units[0].Covered[0] / res.Units[0].Population; math.Abs(cov-want) > 1e-12 {
		t.Errorf("v_unit_coverage_latest clinic coverage %v, want %v", cov, want)
	}

	// Export gives back the files exactly.
	out := filepath.Join(t.TempDir(), "export")
	ri, files, err := s.ExportRun(ctx, "helsinki", 0, "audit", out)
	if err != nil {
		t.Fatal(err)
	}
	if ri.ID != id || len(files) < 5 {
		t.Errorf("exported run %d with files %v", ri.ID, files)
	}
	for _, f := range files {
		a, _ := os.ReadFile(filepath.Join(dir, f))
		b, _ := os.ReadFile(filepath.Join(out, f))
		if len(a) == 0 || !reflect.DeepEqual(a, b) {
			t.Errorf("exported %s differs from the written one (%d vs %d bytes)", f, len(b), len(a))
		}
	}
	runs, err = s.ListRuns(ctx, "helsinki", "audit")
	if err != nil || len(runs) == 0 || runs[0].ID != id {
		t.Errorf("ListRuns: %v, %v", runs, err)
	}
	if _, _, err := s.ExportRun(ctx, "helsinki", id+1000, "", out); !errors.Is(err, ErrNotFound) {
		t.Errorf("export of a missing run: %v", err)
	}
	checkSaveCapacity(t, s, p) // a newer run: last
}

// TestRunInvisibleUntilComplete pauses a run's transaction after its unit
// results are copied: other sessions see neither the run nor its rows;
// a run that fails there leaves nothing behind.
func TestDBRunInvisibleUntilComplete(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	p := helsinki(t)
	p2 := *p
	p2.Name = "helsinki_runs"
	_ = s.DeleteProject(ctx, p2.Name) // a clean start under -count=N
	if _, err := s.Import(ctx, &p2); err != nil {
		t.Fatal(err)
	}
	in, res := auditOf(t, &p2)
	reader := openTest(t)
	count := func() (runs, rows int) {
		if err := reader.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM lifecircle.runs r JOIN lifecircle.projects p ON p.id = r.project WHERE p.name = 'helsinki_runs'),
			(SELECT count(*) FROM lifecircle.v_unit_results WHERE project = 'helsinki_runs')`).Scan(&runs, &rows); err != nil {
			t.Fatal(err)
		}
		return runs, rows
	}

	for _, fail := range []bool{true, false} {
		paused, resume := make(chan struct{}), make(chan error)
		s.afterCopy = func(ctx context.Context, table string) error {
			if table != "unit_results" {
				return nil
			}
			close(paused)
			return <-resume
		}
		done := make(chan error)
		go func() {
			_, err := s.SaveAudit(ctx, AuditRun{Project: "helsinki_runs", In: in, Res: res, Meta: data.AuditMeta{Version: "test"}})
			done <- err
		}()
		<-paused
		if runs, rows := count(); runs != 0 || rows != 0 {
			t.Errorf("while writing: %d runs and %d unit rows visible, want none", runs, rows)
		}
		if l, err := reader.ListRuns(ctx, "helsinki_runs", ""); err != nil || len(l) != 0 {
			t.Errorf("ListRuns while writing: %v %v", l, err)
		}
		if fail {
			resume <- errors.New("killed")
			if err := <-done; err == nil {
				t.Fatal("SaveAudit succeeded after its hook failed")
			}
			if runs, rows := count(); runs != 0 || rows != 0 {
				t.Errorf("after a failed run: %d runs and %d unit rows left", runs, rows)
			}
			var orphans int
			reader.pool.QueryRow(ctx, `SELECT count(*) FROM lifecircle.demand_results d WHERE NOT EXISTS (SELECT 1 FROM lifecircle.runs r WHERE r.id = d.run)`).Scan(&orphans)
			if orphans != 0 {
				t.Errorf("%d orphan demand rows", orphans)
			}
		} else {
			resume <- nil
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if runs, rows := count(); runs != 1 || rows != len(in.Units) {
				t.Errorf("after the run: %d runs and %d unit rows, want 1 and %d", runs, rows, len(in.Units))
			}
		}
	}
	s.afterCopy = nil
}

// TestSaveProposal stores a real proposal with its files.
func TestDBSaveProposal(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	p := helsinki(t)
	p2 := *p
	p2.Name = "helsinki_prop"
	if _, err := s.Import(ctx, &p2); err != nil {
		t.Fatal(err)
	}
	ain, _ := auditOf(t, &p2)
	et, _ := p2.Profile.Type("elderly")
	pin := planner.ProposeInput{Net: ain.Net, Demand: ain.Demand, K: 3, TimeLimit: time.Second, MaxSnap: ain.MaxSnap, Spacing: planner.DefaultSpacing, Units: ain.Units, Assign: ain.Assign,
		Types: []planner.ProposeType{{ID: et.ID, Names: et.Names, Radius: et.Threshold, Weight: 1}}}
	res, err := planner.Propose(ctx, pin)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "prop")
	meta := data.ProposeMeta{Version: "test", Mode: "maximal covering", K: 3}
	if err := data.WriteProposal(dir, pin, res, meta); err != nil {
		t.Fatal(err)
	}
	id, err := s.SaveProposal(ctx, ProposeRun{Project: "helsinki_prop", Profile: p2.Profile, In: pin, Res: res, Meta: meta, FilesDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.pool.Query(ctx, `SELECT s.rank, s.site_id, s.gain, s.lon, s.lat FROM lifecircle.v_proposals v JOIN lifecircle.proposals s ON s.id = v.id WHERE v.run = $1 ORDER BY s.rank`, id)
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	for rows.Next() {
		var rank int
		var site string
		var gain, lon, lat float64
		if err := rows.Scan(&rank, &site, &gain, &lon, &lat); err != nil {
			t.Fatal(err)
		}
		st := res.Sites[k]
		if rank != st.Rank || site != st.ID || gain != st.Gain || lon != st.Point[0] || lat != st.Point[1] {
			t.Errorf("site %d: got %d %s %v (%v %v), want %+v", k, rank, site, gain, lon, lat, st)
		}
		k++
	}
	if k != len(res.Sites) || k == 0 {
		t.Errorf("%d stored sites, want %d", k, len(res.Sites))
	}
	out := filepath.Join(t.TempDir(), "export")
	ri, files, err := s.ExportRun(ctx, "helsinki_prop", 0, "propose", out)
	if err != nil || ri.ID != id || len(files) != 3 {
		t.Errorf("export proposal: %+v %v %v", ri, files, err)
	}
	for _, f := range files {
		a, _ := os.ReadFile(filepath.Join(dir, f))
		b, _ := os.ReadFile(filepath.Join(out, f))
		if !reflect.DeepEqual(a, b) {
			t.Errorf("exported %s differs", f)
		}
	}

	// A phased proposal keeps its phases in the run's summary.
	pin.K, pin.Phases = 0, []planner.Phase{{Label: "2026", Year: 2026, K: 2}, {Label: "2027", Year: 2027, K: 1}}
	if res, err = planner.Propose(ctx, pin); err != nil {
		t.Fatal(err)
	}
	meta.Mode = "phased maximal covering"
	if id, err = s.SaveProposal(ctx, ProposeRun{Project: "helsinki_prop", Profile: p2.Profile, In: pin, Res: res, Meta: meta}); err != nil {
		t.Fatal(err)
	}
	var years []int
	if err := s.pool.QueryRow(ctx, `SELECT array_agg((p->>'year')::int ORDER BY (p->>'year')::int) FROM lifecircle.runs, jsonb_array_elements(summary->'phases') p WHERE id = $1`, id).Scan(&years); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(years, []int{2026, 2027}) {
		t.Errorf("stored phases %v", years)
	}
}

func TestDBScenarioRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	prof, _ := data.LoadProfile("gb50180")
	_ = s.DeleteProject(ctx, "scen") // a clean start under -count=N
	if _, err := s.Import(ctx, &Project{Name: "scen", Profile: prof, Network: Network{Ways: LineWays([]orb.LineString{{{1, 1}, {1.001, 1}}})}}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sc := Scenario{Project: "scen", Name: "新诊所 plan", Author: "王工",
		Edits: []planner.Edit{
			{Op: "add", ID: "new1", Type: "clinic", Name: "站", Geometry: orb.Point{1.0005, 1.0001}, At: at, Author: "王工", Index: 3},
			{Op: "move", ID: "c2", Geometry: orb.Point{1, 1}, Previous: orb.Point{1.0002, 1}, At: at.Add(time.Minute), Index: 1},
			{Op: "remove", ID: "c3", Previous: orb.Polygon{{{1, 1}, {1.001, 1}, {1.001, 1.001}, {1, 1}}}, At: at.Add(2 * time.Minute)},
		},
		Facilities: []planner.Facility{
			{ID: "new1", Type: "clinic", Name: "站", Source: "scenario", Geometry: orb.Point{1.0005, 1.0001}},
			{ID: "c2", Type: "clinic", Geometry: orb.Point{1, 1}, Capacity: 12.5},
		}}
	id1, err := s.SaveScenario(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	sc.Facilities = sc.Facilities[:1]
	id2, err := s.SaveScenario(ctx, sc)
	if err != nil || id2 <= id1 {
		t.Fatalf("second save: %d %v", id2, err)
	}
	got, err := s.LoadScenario(ctx, "scen", 0, "新诊所 plan")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != id2 || len(got.Facilities) != 1 {
		t.Errorf("by name: got scenario %d with %d facilities, want the newest (%d) with 1", got.ID, len(got.Facilities), id2)
	}
	got, err = s.LoadScenario(ctx, "scen", id1, "")
	if err != nil {
		t.Fatal(err)
	}
	sc.ID, sc.Created = id1, got.Created
	sc.Facilities = append(sc.Facilities, planner.Facility{ID: "c2", Type: "clinic", Geometry: orb.Point{1, 1}, Capacity: 12.5})
	for i := range got.Edits {
		if !got.Edits[i].At.Equal(sc.Edits[i].At) {
			t.Errorf("edit %d time %v, want %v", i, got.Edits[i].At, sc.Edits[i].At)
		}
		got.Edits[i].At = sc.Edits[i].At
	}
	if !reflect.DeepEqual(got, &sc) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, &sc)
	}
	list, err := s.ListScenarios(ctx, "scen")
	if err != nil || len(list) != 2 || list[0].ID != id2 || list[1].Edits != 3 || list[1].Facilities != 2 || list[0].Author != "王工" {
		t.Errorf("ListScenarios: %+v %v", list, err)
	}
	if _, err := s.LoadScenario(ctx, "scen", 0, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing scenario: %v", err)
	}
	if _, err := s.SaveScenario(ctx, Scenario{Project: "no-such", Name: "x"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("scenario of a missing project: %v", err)
	}
	if _, err := s.SaveScenario(ctx, Scenario{Project: "scen", Name: ""}); err == nil {
		t.Errorf("empty scenario name accepted")
	}
}

// checkSaveCapacity stores an audit of p whose clinics have half a place
// each, with 1 place needed per 1,000 residents (500 residents a clinic):
// every unit's residents over capacity come back, NaN for the types
// without figures.
func checkSaveCapacity(t *testing.T, s *Store, p *Project) {
	t.Helper()
	prof := *p.Profile
	prof.Types = slices.Clone(p.Profile.Types)
	q := *p
	q.Profile = &prof
	q.Facilities = slices.Clone(p.Facilities)
	for i := range prof.Types {
		if prof.Types[i].ID == "clinic" {
			prof.Types[i].CapacityRatio = 1
		}
	}
	for i := range q.Facilities {
		if q.Facilities[i].Type == "clinic" {
			q.Facilities[i].Capacity = 0.5
		}
	}
	in, res := auditOf(t, &q)
	if res.Capacity == nil {
		t.Fatal("no capacity figures: does the extract still have clinics?")
	}
	id, err := s.SaveAudit(context.Background(), AuditRun{Project: p.Name, In: in, Res: res, Meta: data.AuditMeta{Version: "test", Created: time.Now(), CellSize: 250}})
	if err != nil {
		t.Fatal(err)
	}
	units, _, err := s.UnitResults(context.Background(), p.Name, id)
	if err != nil {
		t.Fatal(err)
	}
	over := 0.0
	for u, got := range units {
		if !sameFloats(got.OverCapacity, res.Units[u].OverCapacity) {
			t.Fatalf("unit %s: over capacity %v, audit has %v", got.UnitID, got.OverCapacity, res.Units[u].OverCapacity)
		}
		for _, x := range got.OverCapacity {
			if x > 0 {
				over += x
			}
		}
	}
	if over == 0 {
		t.Error("no unit has residents over capacity: the check cannot tell stored figures from zeros")
	}
}
