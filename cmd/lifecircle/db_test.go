package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
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
// (LIFECIRCLE_TEST_DATABASE_URL, exported by scripts/test). Each test gets
// a fresh database, dropped when it ends.

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
	t.Cleanup(func() { dropTestDatabase(admin, name) })
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

func dropTestDatabase(admin, name string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// testDB returns a fresh database for the test.
func testDB(t testing.TB) string {
	t.Helper()
	return newTestDatabase(t)
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

// lockedBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *lockedBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *lockedBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDBServe serves a stored project while it is re-imported, makes a
// what-if edit and saves the scenario into the database.
func TestDBServe(t *testing.T) {
	db := testDB(t)
	hel := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	mustCLI(t, "import", "--quiet", "--db", db, "--project", "served", "--osm", hel)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	ws := filepath.Join(t.TempDir(), "ws")
	served := make(chan int, 1)
	go func() {
		served <- run(ctx, []string{"serve", "--quiet", "--db", db, "--project", "served", "--addr", "127.0.0.1:0", "--workspace", ws}, &stdout, &stderr)
	}()
	// A re-import of the same project while serve reads it.
	imported := make(chan string, 1)
	go func() {
		_, errs, code := runCLI(t, "import", "--quiet", "--db", db, "--project", "served", "--osm", hel)
		imported <- fmt.Sprintf("%d %s", code, errs)
	}()
	var base string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && base == ""; time.Sleep(20 * time.Millisecond) {
		select {
		case code := <-served:
			t.Fatalf("serve exited with %d:\n%s", code, stderr.String())
		default:
		}
		if i := strings.Index(stderr.String(), "open http://"); i >= 0 {
			rest := stderr.String()[i+len("open "):]
			base = strings.Fields(rest)[0]
		}
	}
	if base == "" {
		t.Fatalf("serve did not start:\n%s", stderr.String())
	}
	if r := <-imported; !strings.HasPrefix(r, "0 ") {
		t.Errorf("import while serving: %s", r)
	}
	get := func(path string) []byte {
		resp, err := httpGet(base + strings.TrimPrefix(path, "/"))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if sum := get("/api/summary"); !bytes.Contains(sum, []byte("clinic")) {
		t.Errorf("summary: %s", sum)
	}
	if _, err := httpPost(base+"api/scenario", `{"op":"add","type":"clinic","name":"新站","lon":24.9384,"lat":60.1699}`); err != nil {
		t.Fatal(err)
	}
	body, err := httpPost(base+"api/scenario/save", `{"name":"plan-a","author":"li"}`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), "of project served") {
		t.Errorf("save answered %s", body)
	}
	s, err := postgis.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	list, err := s.ListScenarios(context.Background(), "served")
	if err != nil || len(list) != 1 || list[0].Name != "plan-a" || list[0].Author != "li" || list[0].Edits != 1 {
		t.Fatalf("stored scenarios: %+v %v", list, err)
	}
	sc, err := s.LoadScenario(context.Background(), "served", list[0].ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Edits[0].Op != "add" || sc.Edits[0].Type != "clinic" || sc.Edits[0].Geometry == nil {
		t.Errorf("stored edit %+v", sc.Edits[0])
	}
	found := false
	for _, f := range sc.Facilities {
		found = found || f.Name == "新站"
	}
	if !found {
		t.Errorf("the added clinic is not among the %d stored facilities", len(sc.Facilities))
	}
	if _, err := os.Stat(filepath.Join(ws, "scenarios")); err == nil {
		t.Errorf("serve --db also wrote scenarios into the workspace folder")
	}
	cancel()
	if code := <-served; code != 0 {
		t.Errorf("serve exited with %d:\n%s", code, stderr.String())
	}
}

func httpGet(u string) ([]byte, error) {
	resp, err := http.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("GET %s: %s: %s", u, resp.Status, b)
	}
	return b, err
}

func httpPost(u, body string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("POST %s: %s: %s", u, resp.Status, b)
	}
	return b, err
}
