package study

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/postgis"
	"github.com/lifecircle/lifecircle/data/shareddata"
)

func helsinki(t *testing.T) Settings {
	s := Defaults()
	s.OSM = shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	return s
}

func TestLoadRunFiles(t *testing.T) {
	ctx := context.Background()
	st, err := Load(ctx, helsinki(t), FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.In.Demand == nil || st.In.Demand.Total() < 1000 || len(st.In.Facilities) == 0 || st.In.MaxSnap != 250 || st.In.MaxDistance != 5000 {
		t.Fatalf("study: demand %v, %d facilities, snap %v, bound %v", st.In.Demand, len(st.In.Facilities), st.In.MaxSnap, st.In.MaxDistance)
	}
	if st.Meta.Inputs["osm"] != st.Settings.OSM || st.Meta.Inputs["cell_m"] != 250.0 || st.Meta.Inputs["profile"] != "gb50180" {
		t.Errorf("inputs %v", st.Meta.Inputs)
	}
	res, err := Run(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if st.Grid == nil || st.HasUnits() || len(res.Units) != len(st.In.Units) || len(res.Types) != len(st.In.Profile.Types) {
		t.Fatalf("grid %v, %d unit results for %d units, %d types", st.Grid, len(res.Units), len(st.In.Units), len(res.Types))
	}
	if !(res.Population > 0) || !(res.Completeness >= 0 && res.Completeness <= 1) {
		t.Errorf("population %v, completeness %v", res.Population, res.Completeness)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := st.Write(dir, res); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"cells.geojson", "summary.json", "report.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	// Every OSM facility says why it counts: its rule, tags and file.
	a, err := data.ReadAudit(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Facilities) == 0 {
		t.Fatal("facilities.geojson is empty")
	}
	for _, f := range a.Facilities {
		if f.Rule == "" || f.Tags == nil || f.Source != "Helsinki.osm.pbf" {
			t.Fatalf("facility %s: rule %q, %d tags, source %q", f.ID, f.Rule, len(f.Tags), f.Source)
		}
	}
}

func TestLoadUnitsAndRules(t *testing.T) {
	s := Defaults()
	s.OSM = shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf")
	s.UnitsOSM = "admin_level=8,10"
	s.FailBelow = map[string]float64{"market": 0.9}
	st, err := Load(context.Background(), s, FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !st.HasUnits() || st.Inputs.UnitsSource != "OSM admin_level=8,10" {
		t.Fatalf("units %d from %q", len(st.Inputs.Units), st.Inputs.UnitsSource)
	}
	last := st.In.Rules[len(st.In.Rules)-1]
	if last.Type != "market" || last.MinCoverage != 0.9 || last.Origin != "--fail-below" {
		t.Errorf("last rule %+v", last)
	}
	if err := st.Prepare(); err != nil {
		t.Fatal(err)
	}
	if st.In.Hierarchy == nil || len(st.In.Hierarchy.Levels) != 2 || st.Meta.UnitsFile != "OSM admin_level=8,10" {
		t.Errorf("hierarchy %v, units file %q", st.In.Hierarchy, st.Meta.UnitsFile)
	}

	s.FailBelow = map[string]float64{"library": 0.5}
	if _, err := Load(context.Background(), s, FileSource{}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("fail-below of an unknown type: %v, want ErrInvalid", err)
	}
}

// testDatabase creates a fresh database with PostGIS on the test server
// (LIFECIRCLE_TEST_DATABASE_URL), dropped when the test ends.
func testDatabase(t *testing.T) string {
	admin := os.Getenv("LIFECIRCLE_TEST_DATABASE_URL")
	if admin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("LIFECIRCLE_TEST_DATABASE_URL is not set; scripts/test starts PostgreSQL with PostGIS")
		}
		t.Skip("LIFECIRCLE_TEST_DATABASE_URL is not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	name := "lc_study_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), admin)
		if err == nil {
			c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	c2, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(ctx)
	if _, err := c2.Exec(ctx, "CREATE EXTENSION postgis"); err != nil {
		t.Fatal(err)
	}
	return u.String()
}

// TestDBSourceSameAsFiles imports a study and loads it back: the database
// source gives the study the file source gives, and the same audit.
func TestDBSourceSameAsFiles(t *testing.T) {
	db := testDatabase(t)
	ctx := context.Background()
	s := helsinki(t)
	s.Cell = 500
	fst, err := Load(ctx, s, FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fres, err := Run(ctx, fst)
	if err != nil {
		t.Fatal(err)
	}
	proj, err := Import(ctx, s, nil, "hel", nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := postgis.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Import(ctx, proj); err != nil {
		t.Fatal(err)
	}
	src := &DBSource{Store: store, Name: "hel"}
	dst, err := Load(ctx, Defaults(), src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if dst.Settings.Cell != 500 || src.Project() == nil {
		t.Errorf("stored cell size not used: %v", dst.Settings.Cell)
	}
	dres, err := Run(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fst.In.Demand.Points, dst.In.Demand.Points) || !reflect.DeepEqual(fst.In.Demand.Pop, dst.In.Demand.Pop) {
		t.Error("demand differs between files and the database")
	}
	if len(fst.In.Facilities) != len(dst.In.Facilities) || !reflect.DeepEqual(fst.In.Units, dst.In.Units) {
		t.Errorf("%d facilities from files, %d from the database; units equal: %v", len(fst.In.Facilities), len(dst.In.Facilities),
			reflect.DeepEqual(fst.In.Units, dst.In.Units))
	}
	// %v prints every float exactly (shortest round-trip form) and NaN
	// (a type with no facilities has no mean distance) as NaN.
	if fmt.Sprintf("%v", fres.Units) != fmt.Sprintf("%v", dres.Units) || fmt.Sprintf("%v", fres.Types) != fmt.Sprintf("%v", dres.Types) {
		t.Error("audit results differ between files and the database")
	}
	for k, v := range fst.Meta.Inputs {
		if !reflect.DeepEqual(dst.Meta.Inputs[k], v) {
			t.Errorf("inputs[%s]: %v from files, %v from the database", k, v, dst.Meta.Inputs[k])
		}
	}
}

// TestReleaseInputsSameOutputs: a study that let go of its inputs after
// the run writes the same outputs; a network the report draws is kept.
func TestReleaseInputsSameOutputs(t *testing.T) {
	ctx := context.Background()
	st, err := Load(ctx, helsinki(t), FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	before, after := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	if err := st.Write(before, res); err != nil {
		t.Fatal(err)
	}
	net := st.In.Net
	st.ReleaseInputs()
	if (st.In.Net == net) != data.DrawsNetwork(net) || !data.DrawsNetwork(net) {
		t.Fatalf("after ReleaseInputs: network kept %v (drawn: %v)", st.In.Net == net, data.DrawsNetwork(net))
	}
	if err := st.Write(after, res); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"cells.geojson", "demand.geojson", "facilities.geojson", "summary.csv", "summary.xlsx"} {
		a, errA := os.ReadFile(filepath.Join(before, f))
		b, errB := os.ReadFile(filepath.Join(after, f))
		if errA != nil || errB != nil || string(a) != string(b) {
			t.Errorf("%s differs after ReleaseInputs (%v, %v)", f, errA, errB)
		}
	}
}
