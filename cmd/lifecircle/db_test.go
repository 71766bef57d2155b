package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lifecircle/lifecircle/data/postgis"
	"github.com/lifecircle/lifecircle/data/shareddata"
)

// The team-mode tests run against a real PostgreSQL with PostGIS
// (LIFECIRCLE_TEST_DATABASE_URL, exported by scripts/test). The package
// gets one fresh database, created on first use and dropped by TestMain.

var (
	dbOnce    sync.Once
	dbURL     string
	dbCreated []string
	dbMu      sync.Mutex
)

func TestMain(m *testing.M) {
	code := m.Run()
	dropTestDatabases()
	os.Exit(code)
}

func testAdminURL() (string, error) {
	if u := os.Getenv("LIFECIRCLE_TEST_DATABASE_URL"); u != "" {
		return u, nil
	}
	if os.Getenv("CI") == "true" {
		return "", fmt.Errorf("LIFECIRCLE_TEST_DATABASE_URL is not set; CI runs the tests through scripts/test, which starts PostgreSQL with PostGIS")
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", nil
}

// newTestDatabase creates a fresh database with PostGIS and returns its URL.
func newTestDatabase(t testing.TB) string {
	t.Helper()
	admin, err := testAdminURL()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to the test server %s: %v (run the tests through scripts/test or set LIFECIRCLE_TEST_DATABASE_URL)", postgis.Redact(admin), err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	name := "lc_cmd_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	dbMu.Lock()
	dbCreated = append(dbCreated, name)
	dbMu.Unlock()
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

func dropTestDatabases() {
	admin, err := testAdminURL()
	if err != nil {
		return
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	dbMu.Lock()
	defer dbMu.Unlock()
	for _, db := range dbCreated {
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)")
	}
}

// testDB returns the package's shared test database.
func testDB(t testing.TB) string {
	t.Helper()
	dbOnce.Do(func() { dbURL = newTestDatabase(t) })
	if dbURL == "" {
		t.Fatal("no test database")
	}
	return dbURL
}

func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("lifecircle %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

// unitFeatures reads a units/cells GeoJSON into id → properties.
func unitFeatures(t *testing.T, path string) ([]string, map[string]map[string]any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			ID         any            `json:"id"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var ids []string
	m := map[string]map[string]any{}
	for _, f := range fc.Features {
		id := fmt.Sprint(f.Properties["unit_id"])
		ids = append(ids, id)
		m[id] = f.Properties
	}
	return ids, m
}

func round(x float64, d int) float64 {
	p := math.Pow(10, float64(d))
	return math.Round(x*p) / p
}

// TestDBAuditSameAsFiles is the acceptance test of team mode: import the
// Helsinki and Monaco extracts, audit from the database, and get the
// file-based audit's figures unit by unit — in the files it writes and in
// the stored results — and `export` gives the run's files back.
func TestDBAuditSameAsFiles(t *testing.T) {
	db := testDB(t)
	for _, tc := range []struct {
		project string
		osm     []string
		flags   []string
	}{
		{"helsinki", []string{"helsinki", "Helsinki.osm.pbf"}, nil},
		{"monaco", []string{"monaco_region_2016", "monaco.osm.pbf"}, []string{"--cell", "500", "--profile", "15min"}},
	} {
		t.Run(tc.project, func(t *testing.T) {
			osmFile := shareddata.Path(t, tc.osm...)
			tmp := t.TempDir()
			fileOut, dbOut, expOut := filepath.Join(tmp, "file"), filepath.Join(tmp, "db"), filepath.Join(tmp, "export")
			inputs := append([]string{"--osm", osmFile}, tc.flags...)
			mustCLI(t, append([]string{"audit", "--quiet", "--out", fileOut}, inputs...)...)
			out := mustCLI(t, append([]string{"import", "--quiet", "--db", db, "--project", tc.project}, inputs...)...)
			if !strings.Contains(out, "imported project "+tc.project) {
				t.Errorf("import printed %q", out)
			}
			mustCLI(t, "audit", "--quiet", "--db", db, "--project", tc.project, "--out", dbOut)

			// The files: the same units with the same figures, in the same order.
			fids, fprops := unitFeatures(t, filepath.Join(fileOut, "cells.geojson"))
			dids, dprops := unitFeatures(t, filepath.Join(dbOut, "cells.geojson"))
			if len(fids) < 10 || !reflect.DeepEqual(fids, dids) {
				t.Fatalf("unit ids differ: %d from files, %d from the database", len(fids), len(dids))
			}
			for _, id := range fids {
				if !reflect.DeepEqual(fprops[id], dprops[id]) {
					t.Fatalf("unit %s differs:\nfiles %v\n   db %v", id, fprops[id], dprops[id])
				}
			}
			for _, f := range []string{"cells.geojson", "demand.geojson", "facilities.geojson", "summary.csv"} {
				a, _ := os.ReadFile(filepath.Join(fileOut, f))
				b, _ := os.ReadFile(filepath.Join(dbOut, f))
				if len(a) == 0 || !bytes.Equal(a, b) {
					t.Errorf("%s differs between the file-based and the database audit", f)
				}
			}

			// The stored results: exact figures, equal to the files' after rounding.
			s, err := postgis.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			units, types, err := s.UnitResults(context.Background(), tc.project, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(units) != len(fids) {
				t.Fatalf("%d stored units, %d in the files", len(units), len(fids))
			}
			for i, u := range units {
				fp := fprops[fids[i]]
				if u.UnitID != fids[i] {
					t.Fatalf("stored unit %d is %s, file unit %s", i, u.UnitID, fids[i])
				}
				check := func(name string, x float64, d int) {
					want, _ := fp[name].(float64)
					if fp[name] == nil && math.IsNaN(x) {
						return
					}
					if math.Abs(round(x, d)-want) > 1e-6 {
						t.Errorf("unit %s %s: stored %v, file %v", u.UnitID, name, x, fp[name])
					}
				}
				check("population", u.Population, 1)
				check("completeness", u.Completeness, 4)
				check("fully_served", u.FullyServed, 4)
				for ti, ty := range types {
					check("covered_"+ty, u.Covered[ti], 1)
					check("unreachable_"+ty, u.Unreachable[ti], 1)
					check("dist_"+ty+"_mean", u.DistMean[ti], 1)
					check("dist_"+ty+"_p90", u.DistP90[ti], 1)
				}
			}

			// export writes the run's files back.
			out = mustCLI(t, "export", "--quiet", "--db", db, "--project", tc.project, "--out", expOut)
			if !strings.Contains(out, "wrote audit run") {
				t.Errorf("export printed %q", out)
			}
			for _, f := range []string{"cells.geojson", "demand.geojson", "facilities.geojson", "summary.json", "summary.csv"} {
				a, _ := os.ReadFile(filepath.Join(dbOut, f))
				b, _ := os.ReadFile(filepath.Join(expOut, f))
				if len(a) == 0 || !bytes.Equal(a, b) {
					t.Errorf("exported %s differs from the run's", f)
				}
			}
		})
	}
}

// TestDBAuditUnitsAndProposal covers imported unit polygons (the grid of
// a file-based audit, as a units layer), DATABASE_URL, stored settings,
// and propose --db.
func TestDBAuditUnitsAndProposal(t *testing.T) {
	db := testDB(t)
	osmFile := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	tmp := t.TempDir()
	grid := filepath.Join(tmp, "grid")
	mustCLI(t, "audit", "--quiet", "--osm", osmFile, "--cell", "300", "--out", grid)
	units := filepath.Join(grid, "cells.geojson")
	fileOut := filepath.Join(tmp, "file")
	mustCLI(t, "audit", "--quiet", "--osm", osmFile, "--units", units, "--max-distance", "3000", "--out", fileOut)

	t.Setenv("DATABASE_URL", db)
	mustCLI(t, "import", "--quiet", "--project", "hel-units", "--osm", osmFile, "--units", units, "--max-distance", "3000")
	dbOut := filepath.Join(tmp, "db")
	mustCLI(t, "audit", "--quiet", "--project", "hel-units", "--out", dbOut)
	for _, f := range []string{"units.geojson", "demand.geojson"} {
		a, _ := os.ReadFile(filepath.Join(fileOut, f))
		b, _ := os.ReadFile(filepath.Join(dbOut, f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between the file-based and the database audit with imported units", f)
		}
	}
	// Without --out the run is stored only; export gets it back.
	mustCLI(t, "audit", "--quiet", "--project", "hel-units")
	exp := filepath.Join(tmp, "exp")
	mustCLI(t, "export", "--quiet", "--project", "hel-units", "--out", exp)
	if a, b := readFile(t, filepath.Join(fileOut, "units.geojson")), readFile(t, filepath.Join(exp, "units.geojson")); !bytes.Equal(a, b) {
		t.Errorf("exported units.geojson of a database-only run differs")
	}
	list := mustCLI(t, "export", "--project", "hel-units", "--list")
	if strings.Count(list, " audit ") != 2 {
		t.Errorf("export --list:\n%s", list)
	}

	// propose --db stores its sites.
	propFile, propDB := filepath.Join(tmp, "pf"), filepath.Join(tmp, "pd")
	mustCLI(t, "propose", "--quiet", "--osm", osmFile, "--units", units, "--max-distance", "3000", "--type", "elderly", "--k", "3", "--time-limit", "2s", "--out", propFile)
	mustCLI(t, "propose", "--quiet", "--project", "hel-units", "--type", "elderly", "--k", "3", "--time-limit", "2s", "--out", propDB)
	fa, fb := readFile(t, filepath.Join(propFile, "proposals.geojson")), readFile(t, filepath.Join(propDB, "proposals.geojson"))
	if !bytes.Equal(fa, fb) {
		t.Errorf("proposals.geojson differs between files and database:\n%s\n%s", fa, fb)
	}
	mustCLI(t, "export", "--quiet", "--project", "hel-units", "--kind", "propose", "--out", filepath.Join(tmp, "pe"))
	if a := readFile(t, filepath.Join(tmp, "pe", "proposals.geojson")); !bytes.Equal(a, fb) {
		t.Errorf("exported proposals.geojson differs")
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDBUsageAndFailures: the CLI's answers to wrong database flags.
func TestDBUsageAndFailures(t *testing.T) {
	db := testDB(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := fmt.Sprintf("postgres://planner:hunter2-secret@127.0.0.1:%d/city?sslmode=disable", ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	helsinki := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	t.Setenv("DATABASE_URL", "")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no url", []string{"import", "--project", "x", "--sample"}, exitUsage, []string{"no database", "DATABASE_URL"}},
		{"no project", []string{"audit", "--db", db}, exitUsage, []string{"--project NAME is required"}},
		{"bad project name", []string{"import", "--db", db, "--project", "a;drop", "--sample"}, exitUsage, []string{"not allowed"}},
		{"inputs with db", []string{"audit", "--db", db, "--project", "x", "--osm", helsinki}, exitUsage, []string{"--osm", "stored in the database", "lifecircle import"}},
		{"server down", []string{"audit", "--db", closed, "--project", "x"}, exitRuntime, []string{"nothing listens on 127.0.0.1", "xxxxx"}},
		{"missing project", []string{"audit", "--db", db, "--project", "never-imported"}, exitRuntime, []string{`project "never-imported" is not in`, "lifecircle import"}},
		{"missing run", []string{"export", "--db", db, "--project", "never-imported", "--out", t.TempDir() + "/x"}, exitRuntime, []string{"never-imported"}},
		{"export without out", []string{"export", "--db", db, "--project", "x"}, exitUsage, []string{"--out DIR is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs, code := runCLI(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errs)
				}
			}
			if strings.Contains(errs, "hunter2-secret") {
				t.Errorf("stderr shows the password:\n%s", errs)
			}
		})
	}
}

// TestDBImportKilled kills a `lifecircle import` process in the middle of
// its transaction (while it COPYs): the project stays as it was, and the
// next import goes through.
func TestDBImportKilled(t *testing.T) {
	db := testDB(t)
	bin := filepath.Join(t.TempDir(), "lifecircle")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	hel := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	mon := shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf")
	layers, _ := filepath.Glob(filepath.Join(filepath.Dir(mon), "layers", "*.geojson"))
	mustCLI(t, "import", "--quiet", "--db", db, "--project", "killed", "--osm", hel)
	ctx := context.Background()
	s, err := postgis.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before, err := s.LoadProject(ctx, "killed")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(db)
	dbName := strings.TrimPrefix(u.Path, "/")

	killed := false
	for attempt := 0; attempt < 5 && !killed; attempt++ {
		args := []string{"import", "--quiet", "--db", db, "--project", "killed", "--osm", mon}
		for _, l := range layers {
			args = append(args, "--layer", l)
		}
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		deadline := time.Now().Add(60 * time.Second)
	poll:
		for time.Now().Before(deadline) {
			select {
			case <-exited:
				break poll // finished before we caught it: try again
			default:
			}
			var copying bool
			if err := s.Pool().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
				WHERE datname = $1 AND application_name = 'lifecircle' AND query ILIKE 'copy%features%' AND state = 'active')`, dbName).Scan(&copying); err != nil {
				t.Fatal(err)
			}
			if copying {
				cmd.Process.Signal(syscall.SIGKILL)
				<-exited
				killed = true
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		if !killed {
			// It finished: put the small version back and try again.
			mustCLI(t, "import", "--quiet", "--db", db, "--project", "killed", "--osm", hel)
			if before, err = s.LoadProject(ctx, "killed"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !killed {
		t.Fatal("never caught the import in its COPY")
	}
	after, err := s.LoadProject(ctx, "killed")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("a killed import changed the project: %d→%d buildings, %d→%d ways",
			len(before.Buildings), len(after.Buildings), len(before.Network.Ways), len(after.Network.Ways))
	}
	// The dead session's transaction is gone: a new import completes.
	done := make(chan string, 1)
	go func() {
		_, errs, code := runCLI(t, "import", "--quiet", "--db", db, "--project", "killed", "--osm", mon)
		done <- fmt.Sprintf("%d %s", code, errs)
	}()
	select {
	case r := <-done:
		if !strings.HasPrefix(r, "0 ") {
			t.Fatalf("import after the kill: %s", r)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("import after the kill hangs (a lock left behind?)")
	}
	p, err := s.LoadProject(ctx, "killed")
	if err != nil || len(p.Buildings) <= len(before.Buildings) {
		t.Errorf("after the re-import: %v buildings (%v)", len(p.Buildings), err)
	}
}
