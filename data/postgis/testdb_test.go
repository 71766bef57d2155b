package postgis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// The tests talk to a real PostgreSQL with PostGIS (scripts/test finds or
// starts one and exports LIFECIRCLE_TEST_DATABASE_URL). The package gets
// one fresh database, created on first use and dropped by TestMain.

var (
	testDBOnce sync.Once
	testDBURL  string
	testDBErr  error
	testDBName string
	createdDBs []string
	createdMu  sync.Mutex
)

func TestMain(m *testing.M) {
	code := m.Run()
	dropCreated()
	os.Exit(code)
}

// adminURL returns the maintenance-database URL of the test server.
func adminURL() (string, error) {
	if u := os.Getenv("LIFECIRCLE_TEST_DATABASE_URL"); u != "" {
		return u, nil
	}
	if os.Getenv("CI") == "true" {
		return "", fmt.Errorf("LIFECIRCLE_TEST_DATABASE_URL is not set; CI must run the tests through scripts/test, which starts PostgreSQL with PostGIS")
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", nil
}

// withDatabase returns u with its database replaced.
func withDatabase(u, db string) string {
	pu, err := url.Parse(u)
	if err != nil {
		panic(err)
	}
	pu.Path = "/" + db
	return pu.String()
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// createDatabase makes a fresh database (with PostGIS when postgis is
// true) owned by owner ("" = the admin user) and returns its URL as the
// admin user; dropCreated removes it.
func createDatabase(t testing.TB, postgis bool, owner string) (string, string) {
	t.Helper()
	admin, err := adminURL()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to the test server %s: %v (run the tests through scripts/test, or set LIFECIRCLE_TEST_DATABASE_URL)", Redact(admin), err)
	}
	defer conn.Close(ctx)
	name := randomName("lc_test_")
	q := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if owner != "" {
		q += " OWNER " + pgx.Identifier{owner}.Sanitize()
	}
	if _, err := conn.Exec(ctx, q); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	createdMu.Lock()
	createdDBs = append(createdDBs, name)
	createdMu.Unlock()
	u := withDatabase(admin, name)
	if postgis {
		c2, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer c2.Close(ctx)
		if _, err := c2.Exec(ctx, "CREATE EXTENSION postgis"); err != nil {
			t.Fatalf("CREATE EXTENSION postgis in the test database: %v", err)
		}
	}
	return u, name
}

func dropCreated() {
	admin, err := adminURL()
	if err != nil {
		return
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	createdMu.Lock()
	defer createdMu.Unlock()
	for _, db := range createdDBs {
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)")
	}
	createdDBs = nil
}

// testURL returns the URL of the package's shared test database.
func testURL(t testing.TB) string {
	t.Helper()
	testDBOnce.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				testDBErr = fmt.Errorf("%v", r)
			}
		}()
		testDBURL, testDBName = createDatabase(t, true, "")
	})
	if testDBErr != nil || testDBURL == "" {
		t.Fatalf("no test database: %v", testDBErr)
	}
	return testDBURL
}

// openTest opens the shared test database.
func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}
