package web

// Faults (issue 8, point 5): the team database stopped, restarted or
// crashed while the server runs. Requests that need it (saving a
// scenario) fail with 503 and the one JSON error shape, everything else
// keeps working, the server recovers by itself when the database is back,
// no saved scenario that was acknowledged is lost, and neither goroutines
// nor database connections leak.
//
// The test starts its own throwaway PostgreSQL cluster (initdb, pg_ctl)
// so that it can stop and start it without disturbing the shared server.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/postgis"
	"github.com/lifecircle/lifecircle/data/sample"
)

// pgCluster is a private PostgreSQL cluster for one test.
type pgCluster struct {
	t    testing.TB
	bin  string // directory of initdb, pg_ctl
	dir  string // cluster root: data/, server.log, socket
	port int
	asPG bool // run the server tools as user postgres (we are root)
}

// pgBinDir finds initdb and pg_ctl: the newest Debian server in
// /usr/lib/postgresql, else on PATH. Without them the test fails in CI
// and skips elsewhere.
func pgBinDir(t testing.TB) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if fileExists(filepath.Join(d, "initdb")) && fileExists(filepath.Join(d, "pg_ctl")) {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p)
		}
	}
	msg := "initdb and pg_ctl not found (install Debian's postgresql and postgresql-<major>-postgis-3): the fault test needs a private PostgreSQL cluster it can stop and start"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// startCluster initialises and starts a throwaway cluster on a free port
// of 127.0.0.1; it is stopped and deleted when the test ends.
func startCluster(t testing.TB) *pgCluster {
	t.Helper()
	c := &pgCluster{t: t, bin: pgBinDir(t), asPG: os.Geteuid() == 0}
	dir, err := os.MkdirTemp("", "lifecircle-fault-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() {
		if fileExists(filepath.Join(c.dir, "data", "postmaster.pid")) {
			c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
		}
		os.RemoveAll(c.dir)
	})
	if c.asPG {
		// initdb and postgres refuse to run as root, as scripts/test knows.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs user postgres for the private cluster: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := c.run("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c.start()
	return c
}

// run runs a server tool as the cluster's owner.
func (c *pgCluster) run(tool string, args ...string) (string, error) {
	path := filepath.Join(c.bin, tool)
	var cmd *exec.Cmd
	if c.asPG {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// start starts the server and waits until it accepts connections.
// fsync is off (a throwaway cluster), but commits are synchronous, so that
// a crash of the server loses no acknowledged transaction.
func (c *pgCluster) start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=50", c.port, c.dir)
	if out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-l", filepath.Join(c.dir, "server.log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		c.t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, shorten(string(log), 3000))
	}
}

// stop stops the server: mode fast (clients are disconnected, a clean
// shutdown) or immediate (a crash: recovery runs at the next start).
func (c *pgCluster) stop(mode string) {
	c.t.Helper()
	if out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", mode, "-w", "-t", "60", "stop"); err != nil {
		c.t.Fatalf("pg_ctl stop -m %s: %v\n%s", mode, err, out)
	}
}

func (c *pgCluster) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// dbConnections counts the connections lifecircle holds to database db
// (application_name lifecircle), through a connection of its own.
func dbConnections(t testing.TB, c *pgCluster, db string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.url("postgres")+"&application_name=lifecircle_test_admin")
	if err != nil {
		t.Fatalf("count connections: %v", err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'lifecircle'`, db).Scan(&n); err != nil {
		t.Fatalf("count connections: %v", err)
	}
	return n
}

// waitFor polls cond until it holds or wait passes; it reports whether it
// held.
func waitFor(wait time.Duration, cond func() bool) bool {
	end := time.Now().Add(wait)
	for {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// goroutineDump returns every goroutine's stack, for a leak report.
func goroutineDump() string {
	var b bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&b, 1)
	return b.String()
}

// httpAnswer is a response read in full.
type httpAnswer struct {
	status int
	body   string
	err    error
}

func doJSON(client *http.Client, method, u, body string) httpAnswer {
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		return httpAnswer{err: err}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return httpAnswer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return httpAnswer{status: resp.StatusCode, body: string(b), err: err}
}

// TestDatabaseFaults serves a project with scenarios saved in a private
// PostgreSQL cluster and stops, restarts and crashes the cluster while the
// server runs.
func TestDatabaseFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster: not in -short")
	}
	cl := startCluster(t)
	ctx := context.Background()
	const db = "lc_fault"
	func() {
		conn, err := pgx.Connect(ctx, cl.url("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+db); err != nil {
			t.Fatal(err)
		}
	}()

	g0 := runtime.NumGoroutine()
	store, err := postgis.Open(ctx, cl.url(db))
	if err != nil {
		t.Fatalf("open the private cluster's database: %v", err)
	}
	storeClosed := false
	defer func() {
		if !storeClosed {
			store.Close()
		}
	}()
	// The project: the bundled sample, as `lifecircle import --sample`.
	in := sampleInput(t)
	osmPath, err := sample.OSMFile()
	if err != nil {
		t.Fatal(err)
	}
	ways, err := data.ReadWalkableWays(ctx, osmPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(ctx, &postgis.Project{Name: "fault", Profile: in.Profile,
		Network: postgis.Network{Ways: postgis.OSMWays(ways)}, Facilities: in.Facilities}); err != nil {
		t.Fatal(err)
	}

	ls := startLive(t, in, Config{Scenarios: postgis.ProjectScenarios{Store: store, Project: "fault"}}, "", true)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{}}
	defer client.CloseIdleConnections()

	// acknowledged are the scenario names whose save answered 200.
	var ackMu sync.Mutex
	var acknowledged []string
	n := 0
	save := func() httpAnswer {
		ackMu.Lock()
		n++
		name := fmt.Sprintf("s%03d", n)
		ackMu.Unlock()
		a := doJSON(client, "POST", ls.url+"/api/scenario/save", fmt.Sprintf(`{"name":%q,"author":"fault test"}`, name))
		if a.err == nil && a.status == 200 {
			ackMu.Lock()
			acknowledged = append(acknowledged, name)
			ackMu.Unlock()
		}
		return a
	}
	mustSave := func(t testing.TB, what string) {
		t.Helper()
		if a := save(); a.err != nil || a.status != 200 {
			t.Fatalf("%s: save answered %d %v: %s", what, a.status, a.err, shorten(a.body, 400))
		}
	}
	// checkUnavailable asserts the 503 shape of a save refused for want of
	// the database: clear, and without the database's address.
	checkUnavailable := func(t testing.TB, what string, a httpAnswer) {
		t.Helper()
		if a.err != nil || a.status != http.StatusServiceUnavailable {
			t.Errorf("%s: save answered %d %v: %s; want 503", what, a.status, a.err, shorten(a.body, 400))
			return
		}
		var e errorBody
		if err := json.Unmarshal([]byte(a.body), &e); err != nil || e.Error.Code != "unavailable" {
			t.Errorf("%s: 503 body %q is not the JSON error shape with code unavailable", what, a.body)
		}
		if !strings.Contains(e.Error.Message, "database cannot be reached") || !strings.Contains(e.Error.Message, "save again") {
			t.Errorf("%s: message %q does not say what happened and what to do", what, e.Error.Message)
		}
		if strings.Contains(a.body, strconv.Itoa(cl.port)) || strings.Contains(a.body, "postgres") {
			t.Errorf("%s: the message shows the database's address: %q", what, a.body)
		}
	}
	// Reads and edits do not need the database.
	checkServing := func(t testing.TB, what string) {
		t.Helper()
		for _, u := range []string{"/api/summary", "/ogc/collections/cells/items?limit=5", "/ogc/collections/streets/items?limit=5", "/"} {
			if a := doJSON(client, "GET", ls.url+u, ""); a.err != nil || a.status != 200 {
				t.Errorf("%s: GET %s answered %d %v", what, u, a.status, a.err)
			}
		}
		p := in.Demand.Points[0]
		if a := doJSON(client, "POST", ls.url+"/api/scenario", fmt.Sprintf(`{"op":"add","type":"market","lon":%v,"lat":%v}`, p[0], p[1])); a.status != 200 {
			t.Errorf("%s: add answered %d: %s", what, a.status, shorten(a.body, 300))
		}
		if a := doJSON(client, "POST", ls.url+"/api/scenario", `{"op":"undo"}`); a.status != 200 {
			t.Errorf("%s: undo answered %d: %s", what, a.status, shorten(a.body, 300))
		}
	}

	// Warm up: serial saves, so the pool holds what one client needs.
	for range 3 {
		mustSave(t, "before any fault")
	}
	checkServing(t, "before any fault")
	conns0 := dbConnections(t, cl, db)
	runtime.GC()
	gWarm := runtime.NumGoroutine()
	t.Logf("before the faults: %d connections to %s, %d goroutines (%d before the store and server)", conns0, db, gWarm, g0)

	t.Run("stopped", func(t *testing.T) {
		cl.stop("fast")
		// Concurrent saves all fail with 503, reads and edits go on.
		var wg sync.WaitGroup
		answers := make([]httpAnswer, 10)
		for i := range answers {
			wg.Add(1)
			go func() { defer wg.Done(); answers[i] = save() }()
		}
		wg.Wait()
		for i, a := range answers {
			checkUnavailable(t, fmt.Sprintf("save %d with the database stopped", i), a)
		}
		checkServing(t, "database stopped")
		logs := ls.logs.String()
		if !strings.Contains(logs, "request not completed") || !strings.Contains(logs, "postgis: save scenario") {
			t.Errorf("the database error is not in the log:\n%s", shorten(logs[max(0, len(logs)-3000):], 3000))
		}
		if strings.Contains(logs, "level=ERROR") {
			t.Errorf("an unavailable database is logged as an internal error:\n%s", shorten(logs[max(0, len(logs)-3000):], 3000))
		}
		// Back: the next save succeeds, with no retry by the client.
		cl.start()
		mustSave(t, "first save after the database came back")
	})

	t.Run("restarted between requests", func(t *testing.T) {
		// The pool's connections die with the server; the pool must notice
		// and reconnect instead of answering with a dead connection.
		for _, mode := range []string{"fast", "immediate"} {
			mustSave(t, "before restart -m "+mode)
			cl.stop(mode)
			cl.start()
			mustSave(t, "first save after restart -m "+mode)
		}
	})

	t.Run("crashed under concurrent saves", func(t *testing.T) {
		// Clients save continuously while the server crashes and comes
		// back; every answer is 200 or 503, never 500.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		counts := map[int]int{}
		var bad []string
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					a := save()
					mu.Lock()
					counts[a.status]++
					if a.err != nil || (a.status != 200 && a.status != 503) {
						bad = append(bad, fmt.Sprintf("%d %v %s", a.status, a.err, shorten(a.body, 200)))
					}
					mu.Unlock()
					time.Sleep(5 * time.Millisecond)
				}
			}()
		}
		time.Sleep(300 * time.Millisecond)
		cl.stop("immediate")
		time.Sleep(500 * time.Millisecond)
		cl.start()
		// Saves succeed again by themselves.
		mu.Lock()
		okAtStart := counts[200]
		mu.Unlock()
		recovered := waitFor(20*time.Second, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return counts[200] > okAtStart
		})
		close(stop)
		wg.Wait()
		t.Logf("answers during the crash: %v", counts)
		if len(bad) > 0 {
			t.Errorf("%d answers other than 200 and 503, e.g. %s", len(bad), bad[0])
		}
		if counts[503] == 0 {
			t.Error("no save was refused while the database was down: the crash was not seen")
		}
		if !recovered {
			t.Error("saves did not succeed again within 20 s after the database came back")
		}
		mustSave(t, "after the crash")
	})

	t.Run("nothing acknowledged is lost", func(t *testing.T) {
		list, err := store.ListScenarios(ctx, "fault")
		if err != nil {
			t.Fatal(err)
		}
		stored := map[string]bool{}
		for _, s := range list {
			stored[s.Name] = true
		}
		for _, name := range acknowledged {
			if !stored[name] {
				t.Errorf("scenario %s was acknowledged (200) but is not in the database", name)
			}
		}
		t.Logf("%d saves acknowledged, %d scenarios stored", len(acknowledged), len(list))
	})

	// checkLeaks runs the warm-up workload again and compares.
	t.Run("no leaks", func(t *testing.T) {
		for range 3 {
			mustSave(t, "leak check")
		}
		checkServing(t, "leak check")
		// The server holds exactly the connections the pool knows of (idle
		// ones from the concurrent saves included), no more than its
		// maximum: none was lost track of in the faults.
		var conns, pooled int
		if !waitFor(10*time.Second, func() bool {
			conns, pooled = dbConnections(t, cl, db), int(store.Pool().Stat().TotalConns())
			return conns == pooled && conns <= int(store.Pool().Config().MaxConns)
		}) {
			t.Errorf("%d connections to %s on the server after recovery, the pool holds %d (at most %d): connections leak", conns, db, pooled, store.Pool().Config().MaxConns)
		}
		t.Logf("after recovery: %d connections (pool: %d, %d before the faults)", conns, pooled, conns0)
		client.CloseIdleConnections()
		var g int
		if !waitFor(10*time.Second, func() bool { runtime.GC(); g = runtime.NumGoroutine(); return g <= gWarm+2 }) {
			t.Errorf("%d goroutines after recovery, %d before the faults: goroutines leak\n%s", g, gWarm, shorten(goroutineDump(), 8000))
		}
		// Closing the store releases every connection.
		ls.hs.Shutdown(ctx)
		store.Close()
		storeClosed = true
		if !waitFor(10*time.Second, func() bool { conns = dbConnections(t, cl, db); return conns == 0 }) {
			t.Errorf("%d connections to %s left after the store was closed", conns, db)
		}
		if !waitFor(10*time.Second, func() bool { runtime.GC(); g = runtime.NumGoroutine(); return g <= g0+2 }) {
			t.Errorf("%d goroutines after the server and store were closed, %d before they were opened\n%s", g, g0, shorten(goroutineDump(), 8000))
		}
		t.Logf("after: %d connections, %d goroutines", conns, g)
	})
	if t.Failed() {
		log, _ := os.ReadFile(filepath.Join(cl.dir, "server.log"))
		t.Logf("PostgreSQL log (end):\n%s", string(log[max(0, len(log)-3000):]))
	}
}
