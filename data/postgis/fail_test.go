package postgis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// adminConn connects to the test server's maintenance database.
func adminConn(t *testing.T) *pgx.Conn {
	t.Helper()
	u, err := adminURL()
	if err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(context.Background(), u)
	if err != nil {
		t.Fatalf("connect to the test server: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// closedPort returns a local TCP port nothing listens on.
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// fakeAuthServer answers like a PostgreSQL server that rejects the
// password: the real test server trusts every local user, so it cannot
// show a password failure itself.
func fakeAuthServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				be := pgproto3.NewBackend(c, c)
				msg, err := be.ReceiveStartupMessage()
				if err != nil {
					return
				}
				if _, ok := msg.(*pgproto3.SSLRequest); ok {
					c.Write([]byte("N"))
					if _, err := be.ReceiveStartupMessage(); err != nil {
						return
					}
				}
				be.Send(&pgproto3.AuthenticationCleartextPassword{})
				if err := be.Flush(); err != nil {
					return
				}
				be.SetAuthType(pgproto3.AuthTypeCleartextPassword)
				if _, err := be.Receive(); err != nil {
					return
				}
				be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "28P01", Message: `password authentication failed for user "planner"`})
				be.Flush()
			}(c)
		}
	}()
	return ln.Addr().String()
}

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return ln.Addr().String()
}

// TestOpenFailures: every way of pointing at the wrong place gives one
// message naming what was tried (password redacted) and what to do.
func TestDBOpenFailures(t *testing.T) {
	ctx := context.Background()
	good := testURL(t)
	gu, _ := url.Parse(good)
	withUser := func(user, pw string) string {
		u := *gu
		u.User = url.UserPassword(user, pw)
		return u.String()
	}
	withDB := func(db string) string {
		u := *gu
		u.Path = "/" + db
		return u.String()
	}
	port := closedPort(t)
	cases := []struct {
		name string
		url  string
		want []string
	}{
		{"wrong port", fmt.Sprintf("postgres://planner:s3cret-pw@127.0.0.1:%d/city?sslmode=disable", port),
			[]string{"cannot connect to postgres://planner:xxxxx@127.0.0.1", "nothing listens on 127.0.0.1", "is PostgreSQL running there"}},
		{"wrong host", "postgres://planner:s3cret-pw@db.invalid:5432/city?sslmode=disable",
			[]string{"cannot connect", `host "db.invalid" not found`, "check the host name"}},
		{"wrong database", withDB("lc_no_such_db"),
			[]string{`database "lc_no_such_db" does not exist`, "createdb", "CREATE EXTENSION postgis"}},
		{"unknown user", withUser("lc_no_such_role", "s3cret-pw"),
			// trust auth refuses the role; password auth asks for its password
			[]string{`"lc_no_such_role"`, `refused user|password authentication failed`, "check the user"}},
		{"wrong password", "postgres://planner:s3cret-pw@" + fakeAuthServer(t) + "/city?sslmode=disable",
			[]string{"password authentication failed", "check the user and password", "xxxxx"}},
		{"no answer", "postgres://planner:s3cret-pw@" + silentServer(t) + "/city?sslmode=disable&connect_timeout=1",
			[]string{"no answer from 127.0.0.1", "within 1s", "does not retry"}},
		{"bad url", "postgres://planner:s3cret-pw@127.0.0.1:notaport/city",
			[]string{"cannot read the database URL", "postgres://user:password@host:5432/dbname"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			s, err := Open(ctx, tc.url)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			for _, w := range tc.want {
				found := false
				for _, alt := range strings.Split(w, "|") {
					found = found || strings.Contains(msg, alt)
				}
				if !found {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, "s3cret-pw") {
				t.Errorf("message shows the password:\n%s", msg)
			}
			if strings.Count(msg, "\n") > 0 {
				t.Errorf("want one line, got:\n%s", msg)
			}
			if el := time.Since(start); el > 20*time.Second {
				t.Errorf("took %v: retrying?", el)
			}
		})
	}
}

func TestDBRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://u:pw@h:5432/db", "postgres://u:xxxxx@h:5432/db"},
		{"postgres://u@h/db?password=pw&sslmode=disable", "postgres://u@h/db?password=xxxxx&sslmode=disable"},
		{"host=h user=u password=pw dbname=d", "host=h user=u password=xxxxx dbname=d"},
		{"host=h password='p w' dbname=d", "host=h password=xxxxx dbname=d"},
		{"postgres://u@h/db", "postgres://u@h/db"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestMissingPostGIS: a user who may not create the extension is told who
// must, and how.
func TestMissingPostGIS(t *testing.T) {
	ctx := context.Background()
	admin := adminConn(t)
	role := randomName("lc_role_")
	if _, err := admin.Exec(ctx, "CREATE ROLE "+pgx.Identifier{role}.Sanitize()+" LOGIN NOSUPERUSER NOCREATEDB PASSWORD 'pw-of-role'"); err != nil {
		t.Fatal(err)
	}
	defer admin.Exec(ctx, "DROP ROLE IF EXISTS "+pgx.Identifier{role}.Sanitize())
	_, db := createDatabase(t, false, role)
	defer admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)")
	u, _ := url.Parse(withDatabase(testURL(t), db))
	u.User = url.UserPassword(role, "pw-of-role")
	_, err := Open(ctx, u.String())
	if err == nil {
		t.Fatal("Open succeeded without PostGIS")
	}
	for _, w := range []string{"PostGIS extension is not enabled", db, "ask a superuser", "CREATE EXTENSION postgis", "no superuser rights"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message lacks %q:\n%v", w, err)
		}
	}
	if strings.Contains(err.Error(), "pw-of-role") {
		t.Errorf("message shows the password: %v", err)
	}
}

// TestNonSuperuser: once PostGIS exists, a plain role that owns its
// database creates the schema, imports, audits and reads its project.
func TestDBNonSuperuser(t *testing.T) {
	ctx := context.Background()
	admin := adminConn(t)
	role := randomName("lc_user_")
	if _, err := admin.Exec(ctx, "CREATE ROLE "+pgx.Identifier{role}.Sanitize()+" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD 'plain-pw'"); err != nil {
		t.Fatal(err)
	}
	defer admin.Exec(ctx, "DROP ROLE IF EXISTS "+pgx.Identifier{role}.Sanitize())
	_, db := createDatabase(t, true, role)
	defer admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)")
	u, _ := url.Parse(withDatabase(testURL(t), db))
	u.User = url.UserPassword(role, "plain-pw")
	s, err := Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var super bool
	if err := s.pool.QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super); err != nil || super {
		t.Fatalf("the test role is a superuser (%v)", err)
	}
	p := *helsinki(t)
	p.Name = "plain"
	if _, err := s.Import(ctx, &p); err != nil {
		t.Fatal(err)
	}
	in, res := auditOf(t, &p)
	if _, err := s.SaveAudit(ctx, AuditRun{Project: "plain", In: in, Res: res}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.UnitResults(ctx, "plain", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveScenario(ctx, Scenario{Project: "plain", Name: "a", Facilities: p.Facilities[:2]}); err != nil {
		t.Fatal(err)
	}
}

// TestMigrations: a fresh database is migrated once even by concurrent
// processes; re-opening changes nothing; a newer schema is refused.
func TestDBMigrations(t *testing.T) {
	ctx := context.Background()
	u, db := createDatabase(t, true, "")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, u)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	s, err := Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n, maxV int
	if err := s.pool.QueryRow(ctx, `SELECT count(*), max(version) FROM lifecircle.schema_version`).Scan(&n, &maxV); err != nil {
		t.Fatal(err)
	}
	if n != SchemaVersion() || maxV != SchemaVersion() || n < 2 {
		t.Errorf("schema_version has %d rows up to %d; want each of the %d migrations once", n, maxV, SchemaVersion())
	}
	ms, err := migrations()
	if err != nil || ms[0].name != "init" {
		t.Errorf("migrations: %v %v", ms, err)
	}

	if _, err := s.pool.Exec(ctx, `INSERT INTO lifecircle.schema_version (version, name) VALUES (999, 'from the future')`); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, u)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a newer schema: %v", err)
	}
	for _, w := range []string{"version 999", fmt.Sprintf("up to %d", SchemaVersion()), db, "newer one"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message lacks %q: %v", w, err)
		}
	}
}

// TestOGRReadsLayers: GDAL's PostgreSQL driver (what QGIS uses) lists the
// tables and views with their geometry types in SRID 4326, and every
// geometry column has a GiST index.
func TestDBOGRReadsLayers(t *testing.T) {
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		t.Fatal("ogrinfo not found: install gdal-bin (scripts/test does)")
	}
	ctx := context.Background()
	s := openTest(t)
	p := *helsinki(t)
	p.Name = "ogr"
	sq := orb.Polygon{{{24.93, 60.16}, {24.95, 60.16}, {24.95, 60.17}, {24.93, 60.17}, {24.93, 60.16}}}
	p.Units = []planner.Unit{{ID: "u1", Name: "Kamppi", Geometry: sq}}
	p.UnitsSource = "units.geojson"
	if _, err := s.Import(ctx, &p); err != nil {
		t.Fatal(err)
	}
	in, res := auditOf(t, &p)
	if _, err := s.SaveAudit(ctx, AuditRun{Project: "ogr", In: in, Res: res}); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(testURL(t))
	conn := fmt.Sprintf("PG:dbname=%s host=%s port=%s user=%s", strings.TrimPrefix(u.Path, "/"), orDefault(u.Hostname(), u.Query().Get("host")),
		orDefault(u.Port(), orDefault(u.Query().Get("port"), "5432")), u.User.Username())
	out, err := exec.Command("ogrinfo", "-ro", "-so", conn).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	list := string(out)
	for _, want := range []string{
		"lifecircle.network_ways (Line String)",
		"lifecircle.demand_results (Point)",
		"lifecircle.v_network (Line String)",
		"lifecircle.v_units (Multi Polygon)",
		"lifecircle.v_units_latest (Multi Polygon)",
		"lifecircle.v_unit_coverage_latest (Multi Polygon)",
		"lifecircle.v_demand_latest (Point)",
		"lifecircle.v_amenities",
		"lifecircle.v_buildings",
		"lifecircle.v_proposals",
		"lifecircle.features",
	} {
		if !strings.Contains(list, want) {
			t.Errorf("ogrinfo does not list %q:\n%s", want, list)
		}
	}
	for _, layer := range []string{"lifecircle.v_units_latest", "lifecircle.v_network", "lifecircle.v_demand_latest", "lifecircle.v_amenities"} {
		out, err := exec.Command("ogrinfo", "-ro", "-so", conn, layer).CombinedOutput()
		if err != nil {
			t.Fatalf("ogrinfo %s: %v\n%s", layer, err, out)
		}
		info := string(out)
		if !strings.Contains(info, `ID["EPSG",4326]`) {
			t.Errorf("%s: no SRID 4326 in:\n%s", layer, info)
		}
		if !strings.Contains(info, "Feature Count: ") || strings.Contains(info, "Feature Count: 0\n") {
			t.Errorf("%s: no features:\n%s", layer, info)
		}
	}

	// Every geometry column of the schema's tables has a GiST index.
	rows, err := s.pool.Query(ctx, `SELECT f_table_name FROM geometry_columns g
		WHERE f_table_schema = 'lifecircle' AND EXISTS (SELECT 1 FROM pg_tables t WHERE t.schemaname = 'lifecircle' AND t.tablename = g.f_table_name)
		AND NOT EXISTS (SELECT 1 FROM pg_indexes i WHERE i.schemaname = 'lifecircle' AND i.tablename = g.f_table_name
			AND i.indexdef ILIKE '%USING gist (' || g.f_geometry_column || ')%')`)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for rows.Next() {
		var name string
		rows.Scan(&name)
		missing = append(missing, name)
	}
	if len(missing) > 0 {
		t.Errorf("geometry columns without a GiST index: %v", missing)
	}
	var tables int
	s.pool.QueryRow(ctx, `SELECT count(*) FROM geometry_columns WHERE f_table_schema = 'lifecircle' AND srid <> 4326`).Scan(&tables)
	if tables != 0 {
		t.Errorf("%d geometry columns not in SRID 4326", tables)
	}
}

// FuzzRedact: any password in a database URL comes out as xxxxx, and no
// input panics.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{"secret", "p@ss:w/rd", "", "xxxxx", "ü漢字", "a b'c"} {
		f.Add(s, "db.local")
	}
	f.Fuzz(func(t *testing.T, pw, host string) {
		_ = Redact(pw)
		_ = Redact("host=" + host + " password=" + pw)
		u := url.URL{Scheme: "postgres", User: url.UserPassword("planner", pw), Host: url.PathEscape(host), Path: "/city"}
		got := Redact(u.String())
		want := url.URL{Scheme: "postgres", User: url.UserPassword("planner", "xxxxx"), Host: url.PathEscape(host), Path: "/city"}
		if _, err := url.Parse(u.String()); err == nil && got != want.String() {
			t.Fatalf("Redact(%q) = %q, want %q", u.String(), got, want.String())
		}
	})
}
