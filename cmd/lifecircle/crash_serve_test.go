package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/shareddata"
)

// The tests in this file kill `serve` while it saves a scenario and
// `import` while it writes a project into PostgreSQL, many times at
// random moments, and check that what is left is the previous complete
// state or the new complete state (crash_test.go does the same for
// audit and propose).

// servedProcess is a `lifecircle serve` subprocess.
type servedProcess struct {
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:PORT/
	exited chan struct{}
	stderr *lockedBuffer
}

// startServeBinary starts the binary's serve on a free loopback port with the
// bundled sample and the workspace ws, and waits until it listens.
func startServeBinary(t *testing.T, bin, ws string) *servedProcess {
	t.Helper()
	p := &servedProcess{exited: make(chan struct{}), stderr: &lockedBuffer{}}
	p.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--workspace", ws, "--quiet")
	p.cmd.Stdout, p.cmd.Stderr = io.Discard, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	url := regexp.MustCompile(`open (http://\S+/) in a browser`)
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if m := url.FindStringSubmatch(p.stderr.String()); m != nil {
			p.base = m[1]
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("serve exited before listening:\n%s", p.stderr.String())
		default:
		}
	}
	p.kill()
	t.Fatalf("serve did not say where it listens within 60 s:\n%s", p.stderr.String())
	return nil
}

// kill sends SIGKILL and waits for the process to end.
func (p *servedProcess) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// checkNoPanic fails the test on a panic trace in serve's stderr.
func (p *servedProcess) checkNoPanic(t *testing.T) {
	t.Helper()
	if s := p.stderr.String(); strings.Contains(s, "panic:") || strings.Contains(s, "goroutine ") {
		t.Fatalf("serve panicked:\n%s", s)
	}
}

var serveClient = &http.Client{Timeout: 20 * time.Second}

// postJSON posts body and decodes a 200 answer into out.
func postJSON(base, path, body string, out any) error {
	resp, err := serveClient.Post(base+path, "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// saveAnswer is serve's answer to POST /api/scenario/save.
type saveAnswer struct {
	Saved      []string `json:"saved"`
	Edits      int      `json:"edits"`
	Facilities int      `json:"facilities"`
	Stamp      string   `json:"facilities_sha256"`
}

// savedVersion is one saved scenario as read from the two files of its
// folder.
type savedVersion struct {
	JSON, GeoJSON []byte
	Name          string
	Edits         []string // the ids of the edits, in order
	Stamp         string   // facilities_sha256 in the JSON
	Facilities    int      // "facilities" in the JSON
	IDs           []string // facility ids in the GeoJSON, sorted
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// parseSaved parses a scenario's JSON and GeoJSON; each must be complete.
func parseSaved(jsonB, geoB []byte) (*savedVersion, error) {
	v := &savedVersion{JSON: jsonB, GeoJSON: geoB}
	var doc struct {
		Name           string `json:"name"`
		FacilitiesFile string `json:"facilities_file"`
		Facilities     *int   `json:"facilities"`
		Stamp          string `json:"facilities_sha256"`
		Edits          []struct {
			Op string `json:"op"`
			ID string `json:"id"`
		} `json:"edits"`
		Summary json.RawMessage `json:"summary"`
	}
	if err := json.Unmarshal(jsonB, &doc); err != nil {
		return nil, fmt.Errorf("the JSON does not parse (%d bytes): %v", len(jsonB), err)
	}
	if doc.Facilities == nil || len(doc.Summary) == 0 || doc.Stamp == "" {
		return nil, fmt.Errorf("the JSON lacks facilities, summary or facilities_sha256: %.300s", jsonB)
	}
	v.Name, v.Stamp, v.Facilities = doc.Name, doc.Stamp, *doc.Facilities
	for _, e := range doc.Edits {
		if e.Op != "add" {
			return nil, fmt.Errorf("edit %s is a %s: the test only adds", e.ID, e.Op)
		}
		v.Edits = append(v.Edits, e.ID)
	}
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			ID any `json:"id"`
		} `json:"features"`
	}
	if err := json.Unmarshal(geoB, &fc); err != nil || fc.Type != "FeatureCollection" {
		return nil, fmt.Errorf("the GeoJSON does not parse as a FeatureCollection (%d bytes): %v", len(geoB), err)
	}
	for _, f := range fc.Features {
		v.IDs = append(v.IDs, fmt.Sprint(f.ID))
	}
	slices.Sort(v.IDs)
	return v, nil
}

// consistent checks that the JSON and the GeoJSON of v belong together:
// the JSON's stamp is the GeoJSON's SHA-256, its facility count is the
// GeoJSON's, and the GeoJSON holds the base facilities plus one per edit.
func (v *savedVersion) consistent(base []string) error {
	if got := sha256Hex(v.GeoJSON); got != v.Stamp {
		return fmt.Errorf("the JSON (%d edits) says facilities_sha256 %.12s…, the GeoJSON has %.12s…", len(v.Edits), v.Stamp, got)
	}
	want := slices.Concat(base, v.Edits)
	slices.Sort(want)
	if v.Facilities != len(v.IDs) || !slices.Equal(want, v.IDs) {
		return fmt.Errorf("the JSON (%d edits, %d facilities) does not describe the GeoJSON (%d facilities)", len(v.Edits), v.Facilities, len(v.IDs))
	}
	return nil
}

// TestKillDuringScenarioSave kills `serve` with SIGKILL while it saves a
// scenario to the workspace, 20 times at random moments (a single save,
// or a burst of saves racing what-if edits): the folder scenarios/plan/
// always holds scenario.json and facilities.geojson whole and belonging
// together (facilities_sha256), the previous save or a newer one that was
// asked for — never older than a save that was acknowledged, never a mix
// — with no repair step: nothing but the atomic writer's temporaries
// (.plan.tmp-*, .plan.old-*) is left beside it, and the next save removes
// them.
func TestKillDuringScenarioSave(t *testing.T) {
	bin := buildBinary(t)
	ws := t.TempDir()
	dir := filepath.Join(ws, "scenarios")
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))

	// The sample's own facilities: a scenario without edits.
	p := startServeBinary(t, bin, ws)
	var ans saveAnswer
	if err := postJSON(p.base, "api/scenario/save", `{"name":"base"}`, &ans); err != nil {
		t.Fatal(err)
	}
	p.kill()
	if want := []string{"scenarios/base/scenario.json", "scenarios/base/facilities.geojson"}; !slices.Equal(ans.Saved, want) {
		t.Fatalf("saved %v, want %v", ans.Saved, want)
	}
	readPair := func(name string) ([]byte, []byte) {
		return readFile(t, filepath.Join(dir, name, "scenario.json")), readFile(t, filepath.Join(dir, name, "facilities.geojson"))
	}
	// checkFolder checks that scenarios/name/ holds the pair and the
	// writer's marker, nothing else.
	checkFolder := func(when, name string) {
		t.Helper()
		if names := dirNames(t, filepath.Join(dir, name)); !slices.Equal(names, []string{data.OutputMarker, "facilities.geojson", "scenario.json"}) {
			t.Fatalf("%s: scenarios/%s/ holds %v", when, name, names)
		}
	}
	checkFolder("after the first save", "base")
	baseJSON, baseGeo := readPair("base")
	baseV, err := parseSaved(baseJSON, baseGeo)
	if err != nil {
		t.Fatal(err)
	}
	base := baseV.IDs
	if len(base) < 10 || ans.Stamp != baseV.Stamp || ans.Edits != 0 {
		t.Fatalf("base scenario: %d facilities, answer %+v", len(base), ans)
	}

	// Temporaries a killed save may leave: data.WriteDirAtomic's, beside
	// the folder it replaces (the new folder being written, or the
	// previous one after the exchange, not yet removed).
	temp := regexp.MustCompile(`^\.plan\.(tmp|old)-\d+-[0-9a-f]+$`)
	types := []string{"clinic", "market", "fitness", "elderly"}

	const rounds = 20
	var interrupted, gotNew, acked int
	var left *savedVersion // the save the last kill left
	for round := 0; round < rounds; round++ {
		p := startServeBinary(t, bin, ws)
		// Starting, serve changed nothing.
		if left != nil {
			j, g := readPair("plan")
			if !bytes.Equal(j, left.JSON) || !bytes.Equal(g, left.GeoJSON) {
				t.Fatalf("round %d: after serve started the scenario is not the one the kill left", round)
			}
		}
		var seq []string     // this round's edits, in the order sent
		var seqMu sync.Mutex // guards seq and erng
		erng := rand.New(rand.NewPCG(seed, uint64(round)))
		edit := func() error {
			seqMu.Lock()
			id := fmt.Sprintf("r%d-e%d", round, len(seq))
			seq = append(seq, id)
			body := fmt.Sprintf(`{"op":"add","id":%q,"type":%q,"lon":%.6f,"lat":%.6f}`,
				id, types[erng.IntN(len(types))], 24.932+0.012*erng.Float64(), 60.165+0.008*erng.Float64())
			seqMu.Unlock()
			return postJSON(p.base, "api/scenario", body, nil)
		}
		save := func() (saveAnswer, error) {
			var a saveAnswer
			err := postJSON(p.base, "api/scenario/save", `{"name":"plan"}`, &a)
			return a, err
		}

		// A few edits and a complete save: the previous version.
		for i := 0; i < 1+rng.IntN(3); i++ {
			if err := edit(); err != nil {
				t.Fatal(err)
			}
		}
		a, err := save()
		if err != nil {
			t.Fatal(err)
		}
		prev, err := parseSaved(readPair("plan"))
		if err != nil {
			t.Fatalf("round %d: after an acknowledged save: %v", round, err)
		}
		if err := prev.consistent(base); err != nil || !slices.Equal(prev.Edits, seq) || prev.Stamp != a.Stamp || a.Edits != len(seq) {
			t.Fatalf("round %d: the acknowledged save is not on disk (%v): %d edits on disk, %d made, answer %+v", round, err, len(prev.Edits), len(seq), a)
		}
		// It also removed what the last kill left.
		if names := dirNames(t, dir); !slices.Equal(names, []string{"base", "plan"}) {
			t.Fatalf("round %d: after an acknowledged save the scenarios folder holds %v", round, names)
		}
		checkFolder(fmt.Sprintf("round %d: after an acknowledged save", round), "plan")
		for i := 0; i < 1+rng.IntN(3); i++ {
			if err := edit(); err != nil {
				t.Fatal(err)
			}
		}
		before := len(seq) // every save from here on holds at least these

		// Save and kill: a single save, or a burst of saves from two
		// clients while a third keeps editing.
		var mu sync.Mutex
		var acks []saveAnswer
		var wg sync.WaitGroup
		stop := make(chan struct{})
		saver := func() {
			defer wg.Done()
			for {
				a, err := save()
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				acks = append(acks, a)
				mu.Unlock()
				select {
				case <-stop:
					return
				default:
				}
			}
		}
		burst := round%2 == 1
		if burst {
			wg.Add(3)
			go saver()
			go saver()
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if edit() != nil {
						return
					}
				}
			}()
		} else {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if a, err := save(); err == nil {
					mu.Lock()
					acks = append(acks, a)
					mu.Unlock()
				}
			}()
		}
		delay := time.Duration(rng.Int64N(int64(50 * time.Millisecond)))
		if rng.IntN(2) == 0 {
			delay /= 10 // half the time within the first 5 ms: while the single save runs
		}
		time.Sleep(delay)
		p.kill()
		close(stop)
		wg.Wait()
		p.checkNoPanic(t)

		// What is left beside the scenarios: only the writer's
		// temporaries.
		var temps []string
		for _, e := range mustReadDir(t, dir) {
			switch n := e.Name(); {
			case n == "base" || n == "plan":
			case temp.MatchString(n):
				temps = append(temps, n)
			default:
				t.Fatalf("round %d: %s beside the scenarios is not a temporary of the save", round, n)
			}
		}
		if len(temps) > 0 {
			interrupted++
		}
		if j, g := readPair("base"); !bytes.Equal(j, baseJSON) || !bytes.Equal(g, baseGeo) {
			t.Fatalf("round %d: saving plan changed the base scenario", round)
		}

		// The folder as it is: both files whole and one save, no mix.
		checkFolder(fmt.Sprintf("round %d: after the kill", round), "plan")
		vis, err := parseSaved(readPair("plan"))
		if err != nil {
			t.Fatalf("round %d: after the kill: %v", round, err)
		}
		if err := vis.consistent(base); err != nil {
			t.Fatalf("round %d: after the kill (temporaries %v): scenario.json and facilities.geojson do not belong together: %v", round, temps, err)
		}
		left = vis

		// Which save: the previous one, or one asked for since, at least
		// as new as every acknowledged one.
		maxAck := -1
		for _, a := range acks {
			maxAck = max(maxAck, a.Edits)
		}
		acked += len(acks)
		switch {
		case bytes.Equal(vis.JSON, prev.JSON) && bytes.Equal(vis.GeoJSON, prev.GeoJSON):
			if maxAck >= 0 {
				t.Fatalf("round %d: a save with %d edits was acknowledged, but the previous save (%d edits) is what is left", round, maxAck, len(prev.Edits))
			}
		default:
			n := len(vis.Edits)
			if n < before || n > len(seq) || !slices.Equal(vis.Edits, seq[:n]) || vis.Name != "plan" {
				t.Fatalf("round %d: the saved edits %v are not a save asked for (edits %v, the last save asked for at least %d)", round, vis.Edits, seq, before)
			}
			if n < maxAck {
				t.Fatalf("round %d: a save with %d edits was acknowledged, but one with %d is what is left", round, maxAck, n)
			}
			for _, a := range acks {
				if a.Edits == n && a.Stamp != vis.Stamp {
					t.Fatalf("round %d: the save with %d edits answered facilities_sha256 %s, the file says %s", round, n, a.Stamp, vis.Stamp)
				}
			}
			gotNew++
		}
	}
	t.Logf("%d rounds: %d left a save's temporaries (killed while saving); %d left a newer save than the previous; %d saves acknowledged",
		rounds, interrupted, gotNew, acked)
	if interrupted == 0 {
		t.Errorf("no kill fell while a save was written: the test did not test the save")
	}

	// A save removes the temporaries a killed one left.
	p = startServeBinary(t, bin, ws)
	if err := postJSON(p.base, "api/scenario/save", `{"name":"plan"}`, &ans); err != nil {
		t.Fatal(err)
	}
	p.kill()
	if names := dirNames(t, dir); !slices.Equal(names, []string{"base", "plan"}) {
		t.Errorf("after a successful save the scenarios folder holds %v", names)
	}
	checkFolder("after the last save", "plan")
	last, err := parseSaved(readPair("plan"))
	if err != nil {
		t.Fatal(err)
	}
	if err := last.consistent(base); err != nil || len(last.Edits) != 0 || last.Stamp != ans.Stamp {
		t.Errorf("the last save: %v, %d edits, stamp %s, answered %s", err, len(last.Edits), last.Stamp, ans.Stamp)
	}
}

// projectFingerprint is what a stored project holds: content describes
// its layers (kind, name, source, per layer the feature or way count and
// a checksum of ids, types, names and geometries in input order), the
// profile and the settings; imported tells imports of the same data apart.
type projectFingerprint struct {
	imported time.Time
	content  string
}

func fingerprintProject(ctx context.Context, conn *pgx.Conn, project string) (projectFingerprint, error) {
	var fp projectFingerprint
	err := pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var profile, settings string
		if err := tx.QueryRow(ctx, `SELECT imported, md5(profile), settings::text FROM lifecircle.projects WHERE name = $1`, project).
			Scan(&fp.imported, &profile, &settings); err != nil {
			return fmt.Errorf("project %s: %w", project, err)
		}
		rows, err := tx.Query(ctx, `SELECT l.kind, l.name, l.source, l.meta::text,
			(SELECT count(*) FROM lifecircle.features f WHERE f.layer = l.id),
			(SELECT coalesce(md5(string_agg(f.seq || ':' || f.fid || ':' || coalesce(f.type, '') || ':' || coalesce(f.name, '') || ':' || md5(ST_AsEWKB(f.geom)), ',' ORDER BY f.seq)), '')
				FROM lifecircle.features f WHERE f.layer = l.id),
			(SELECT count(*) FROM lifecircle.network_ways w WHERE w.layer = l.id),
			(SELECT coalesce(md5(string_agg(w.seq || ':' || coalesce(w.way_id, 0) || ':' || md5(ST_AsEWKB(w.geom)), ',' ORDER BY w.seq)), '')
				FROM lifecircle.network_ways w WHERE w.layer = l.id)
			FROM lifecircle.layers l JOIN lifecircle.projects p ON p.id = l.project
			WHERE p.name = $1 ORDER BY l.kind, l.name, l.source, l.id`, project)
		if err != nil {
			return err
		}
		defer rows.Close()
		var b strings.Builder
		fmt.Fprintf(&b, "profile %s\nsettings %s\n", profile, settings)
		for rows.Next() {
			var kind, name, source, meta, fsum, wsum string
			var nf, nw int64
			if err := rows.Scan(&kind, &name, &source, &meta, &nf, &fsum, &nw, &wsum); err != nil {
				return err
			}
			fmt.Fprintf(&b, "%s %q %q %s: %d features %s, %d ways %s\n", kind, name, source, meta, nf, fsum, nw, wsum)
		}
		fp.content = b.String()
		return rows.Err()
	})
	return fp, err
}

// lifecircleSessions counts the database sessions of lifecircle processes
// (the test's own connection has another application_name) and whether
// one of them is inside a transaction.
func lifecircleSessions(ctx context.Context, conn *pgx.Conn, dbName string) (n int, inTx bool, err error) {
	err = conn.QueryRow(ctx, `SELECT count(*), coalesce(bool_or(xact_start IS NOT NULL), false) FROM pg_stat_activity
		WHERE datname = $1 AND application_name = 'lifecircle'`, dbName).Scan(&n, &inTx)
	return n, inTx, err
}

// TestDBImportKilledRepeatedly re-imports a project 15 times, alternating
// the Monaco extract with its layers and the Helsinki extract, and kills
// each import with SIGKILL at a random moment (half the time spread over
// the whole run, half the time once its transaction has begun): the
// project is always exactly the previous complete import or the new
// complete one, the killed session goes away, and an import after all
// that completes.
func TestDBImportKilledRepeatedly(t *testing.T) {
	db := testDB(t)
	bin := buildBinary(t)
	hel := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	mon := shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf")
	layers, _ := filepath.Glob(filepath.Join(filepath.Dir(mon), "layers", "*.geojson"))
	if len(layers) == 0 {
		t.Fatal("no Monaco layers found")
	}
	monaco := []string{"--osm", mon}
	for _, l := range layers {
		monaco = append(monaco, "--layer", l)
	}
	variants := [][]string{monaco, {"--osm", hel}}
	const project = "killed-often"
	args := func(v int) []string {
		return append([]string{"import", "--quiet", "--db", db, "--project", project}, variants[v]...)
	}

	ctx := context.Background()
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	q := u.Query()
	q.Set("application_name", "lifecircle-test")
	u.RawQuery = q.Encode()
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	// waitSessionsGone waits until no lifecircle process is connected: a
	// killed client's session ends when the server notices.
	waitSessionsGone := func(when string) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			n, _, err := lifecircleSessions(ctx, conn, dbName)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d sessions of lifecircle still open after 20 s", when, n)
			}
		}
	}

	// Each variant's complete import, and how long an import takes.
	// Helsinki is imported last: the rounds start by replacing it with
	// Monaco.
	want := make([]string, len(variants))
	var full time.Duration
	var prev projectFingerprint
	for v := range variants {
		start := time.Now()
		if _, stderr, code := runBinary(t, bin, args(v)...); code != 0 {
			t.Fatalf("import %d: exit %d: %s", v, code, stderr)
		}
		full = max(full, time.Since(start))
		if prev, err = fingerprintProject(ctx, conn, project); err != nil {
			t.Fatal(err)
		}
		want[v] = prev.content
	}
	if want[0] == want[1] {
		t.Fatal("the two imports store the same: a mix would go unseen")
	}
	t.Logf("an import takes up to %v", full)
	waitSessionsGone("after the complete imports")

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	current := len(variants) - 1
	const rounds = 15
	var killed, inTransaction, gotNew int
	for round := 0; round < rounds; round++ {
		next := (current + 1) % len(variants)
		cmd := exec.Command(bin, args(next)...)
		var stderr lockedBuffer
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if round%2 == 0 {
			time.Sleep(time.Duration(rng.Int64N(int64(full) * 11 / 10)))
		} else {
			// Wait for the transaction, then a little more.
			for deadline := time.Now().Add(2 * full); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
				if _, tx, err := lifecircleSessions(ctx, conn, dbName); err != nil {
					t.Fatal(err)
				} else if tx {
					break
				}
			}
			time.Sleep(time.Duration(rng.Int64N(int64(full) / 3)))
		}
		if _, tx, err := lifecircleSessions(ctx, conn, dbName); err != nil {
			t.Fatal(err)
		} else if tx {
			inTransaction++
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err := <-exited
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ProcessState.Sys().(syscall.WaitStatus).Signaled() {
			killed++
		} else if err != nil {
			t.Fatalf("round %d: import failed by itself: %v\n%s", round, err, stderr.String())
		}
		if strings.Contains(stderr.String(), "panic:") {
			t.Fatalf("round %d: import panicked:\n%s", round, stderr.String())
		}
		waitSessionsGone(fmt.Sprintf("round %d", round))

		fp, err := fingerprintProject(ctx, conn, project)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		switch {
		case fp.content == prev.content && fp.imported.Equal(prev.imported):
		case fp.content == want[next] && fp.imported.After(prev.imported):
			current, prev = next, fp
			gotNew++
		case fp.content == want[current]:
			t.Fatalf("round %d: the project holds the previous import's data but not as it was (imported %v, was %v)", round, fp.imported, prev.imported)
		default:
			t.Fatalf("round %d: the project is neither the previous import nor the new one:\n%s", round, fp.content)
		}
	}
	t.Logf("%d rounds: %d killed (%d inside the import's transaction); %d left the new import", rounds, killed, inTransaction, gotNew)
	if inTransaction < rounds/4 {
		t.Errorf("only %d of %d kills fell inside the transaction: the test did not test the import", inTransaction, rounds)
	}

	// An uninterrupted import goes through: no lock or session left behind.
	next := (current + 1) % len(variants)
	if _, stderr, code := runBinary(t, bin, args(next)...); code != 0 {
		t.Fatalf("import after the kills: exit %d: %s", code, stderr)
	}
	fp, err := fingerprintProject(ctx, conn, project)
	if err != nil || fp.content != want[next] {
		t.Errorf("after the last import the project is not that import (%v)", err)
	}
	waitSessionsGone("after the last import")
}
