package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data"
)

// A saved scenario is the folder scenarios/NAME/ holding scenario.json
// and facilities.geojson, replaced as a whole by each save
// (writeScenarioDir). These tests check the folder a save leaves, what
// the next save makes of the temporaries a killed save leaves beside it,
// and that concurrent saves and readers never see a mix of two saves.

type savedPair struct {
	json, geo []byte
	edits     int
	stamp     string
	features  int
}

func readSavedPair(t *testing.T, dir, name string) savedPair {
	t.Helper()
	p, err := loadSavedPair(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// loadSavedPair reads the scenario folder dir/name as a reader should
// while saves may run: the folder first, both files relative to it, so
// that the two files come from one save (or an error says to read again).
func loadSavedPair(dir, name string) (savedPair, error) {
	var p savedPair
	root, err := os.OpenRoot(filepath.Join(dir, name))
	if err != nil {
		return p, err
	}
	defer root.Close()
	if p.json, err = root.ReadFile(scenarioJSONFile); err != nil {
		return p, err
	}
	if p.geo, err = root.ReadFile(scenarioGeoFile); err != nil {
		return p, err
	}
	var doc struct {
		Name       string            `json:"name"`
		File       string            `json:"facilities_file"`
		Edits      []json.RawMessage `json:"edits"`
		Stamp      string            `json:"facilities_sha256"`
		Facilities int               `json:"facilities"`
	}
	if err := json.Unmarshal(p.json, &doc); err != nil {
		return p, fmt.Errorf("%s/%s: %v", name, scenarioJSONFile, err)
	}
	if doc.Name != name || doc.File != scenarioGeoFile {
		return p, fmt.Errorf("%s/%s names scenario %q and facilities file %q", name, scenarioJSONFile, doc.Name, doc.File)
	}
	var fc struct {
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(p.geo, &fc); err != nil {
		return p, fmt.Errorf("%s/%s: %v", name, scenarioGeoFile, err)
	}
	p.edits, p.stamp, p.features = len(doc.Edits), doc.Stamp, len(fc.Features)
	if doc.Facilities != p.features {
		p.features = -1 // the JSON counts other facilities than the GeoJSON holds
	}
	return p, nil
}

// matches reports whether the JSON's facilities_sha256 is the GeoJSON's.
func (p savedPair) matches() bool {
	h := sha256.Sum256(p.geo)
	return p.stamp == hex.EncodeToString(h[:]) && p.features >= 0
}

func listNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// deadPID returns the id of a process that has ended.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// TestScenarioSaveFolder saves one scenario three times: each save
// replaces the folder scenarios/plan/ as a whole, the reply names its two
// files, and nothing else is left in scenarios/. A pair saved by an older
// lifecircle (plan.json, plan.geojson) stays untouched.
func TestScenarioSaveFolder(t *testing.T) {
	in := sampleInput(t)
	ws := t.TempDir()
	dir := filepath.Join(ws, "scenarios")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	legacy := map[string][]byte{"plan.json": []byte(`{"name":"plan"}` + "\n"), "plan.geojson": []byte(`{"type":"FeatureCollection","features":[]}` + "\n")}
	for n, b := range legacy {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ts := newTestServer(t, in, Config{Workspace: ws, Version: "test"})
	pt, _, _ := uncoveredPoint(t, ts, "market")
	var prev savedPair
	for i := 1; i <= 3; i++ {
		decode[apiScenario](t, ts.post("/api/scenario", map[string]any{"op": "add", "type": "market", "lon": pt[0] + float64(i)*1e-4, "lat": pt[1]}), 200)
		a := decode[struct {
			Saved []string `json:"saved"`
			Edits int      `json:"edits"`
			Stamp string   `json:"facilities_sha256"`
		}](t, ts.post("/api/scenario/save", `{"name":"plan"}`), 200)
		if want := []string{"scenarios/plan/scenario.json", "scenarios/plan/facilities.geojson"}; !slices.Equal(a.Saved, want) {
			t.Fatalf("save %d: saved %v, want %v", i, a.Saved, want)
		}
		p := readSavedPair(t, dir, "plan")
		if !p.matches() || p.edits != i || a.Edits != i || a.Stamp != p.stamp {
			t.Fatalf("save %d: %d edits, stamp matches %v; answered %+v", i, p.edits, p.matches(), a)
		}
		if bytes.Equal(p.geo, prev.geo) {
			t.Fatalf("save %d left the facilities of the save before", i)
		}
		prev = p
		if names := listNames(t, dir); !slices.Equal(names, []string{"plan", "plan.geojson", "plan.json"}) {
			t.Fatalf("after save %d scenarios/ holds %v", i, names)
		}
		if names := listNames(t, filepath.Join(dir, "plan")); !slices.Equal(names, []string{data.OutputMarker, scenarioGeoFile, scenarioJSONFile}) {
			t.Fatalf("after save %d scenarios/plan/ holds %v", i, names)
		}
	}
	for n, b := range legacy {
		if got, err := os.ReadFile(filepath.Join(dir, n)); err != nil || !bytes.Equal(got, b) {
			t.Errorf("the older save's %s changed: %q, %v", n, got, err)
		}
	}
}

// TestSaveAfterKilledSave puts beside a saved scenario the temporaries
// that a save killed at each moment leaves (data.WriteDirAtomic's
// .plan.tmp-* and .plan.old-*), checks that the scenario a reader sees is
// still one whole save, and that the next save writes its own and removes
// them. A temporary of another scenario name is left alone.
func TestSaveAfterKilledSave(t *testing.T) {
	in := sampleInput(t)
	ws := t.TempDir()
	dir := filepath.Join(ws, "scenarios")
	ts := newTestServer(t, in, Config{Workspace: ws, Version: "test"})
	pt, _, _ := uncoveredPoint(t, ts, "clinic")
	edits := 0
	addAndSave := func() savedPair {
		t.Helper()
		edits++
		decode[apiScenario](t, ts.post("/api/scenario", map[string]any{"op": "add", "type": "clinic", "lon": pt[0] + float64(edits)*1e-4, "lat": pt[1]}), 200)
		decode[struct{}](t, ts.post("/api/scenario/save", `{"name":"plan"}`), 200)
		p := readSavedPair(t, dir, "plan")
		if !p.matches() || p.edits != edits {
			t.Fatalf("save of %d edits: %d edits on disk, stamp matches %v", edits, p.edits, p.matches())
		}
		return p
	}
	old := addAndSave()
	pid := strconv.Itoa(deadPID(t))
	long := time.Now().Add(-time.Hour) // where a writer's life cannot be checked, age tells

	// mkTemp makes the temporary name of a killed writer in dir, holding
	// files; marked adds data.OutputMarker (a complete folder).
	mkTemp := func(name string, files map[string][]byte, marked bool) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if marked {
			files = withFile(files, data.OutputMarker, []byte("written by lifecircle\n"))
		}
		for n, b := range files {
			if err := os.WriteFile(filepath.Join(p, n), b, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(filepath.Join(p, n), long, long); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chtimes(p, long, long); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name    string
		temps   map[string]map[string][]byte // name → files
		marked  bool
		missing bool // scenarios/plan/ moved aside (systems without an atomic exchange)
	}{
		{"killed while writing the new folder", map[string]map[string][]byte{
			".plan.tmp-" + pid + "-1234": {scenarioGeoFile: old.geo[:len(old.geo)/2]},
		}, false, false},
		{"killed after the exchange, before removing the old folder", map[string]map[string][]byte{
			".plan.tmp-" + pid + "-5678": {scenarioGeoFile: old.geo, scenarioJSONFile: old.json},
		}, true, false},
		{"killed while removing the old folder", map[string]map[string][]byte{
			".plan.tmp-" + pid + "-9012": {scenarioJSONFile: old.json},
		}, true, false},
		{"killed between moving the old folder aside and the new one in", map[string]map[string][]byte{
			".plan.tmp-" + pid + "-3456": {scenarioGeoFile: old.geo, scenarioJSONFile: old.json},
		}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A temporary of another scenario, from a writer that may
			// still run: never touched.
			other := ".other.tmp-" + strconv.Itoa(os.Getpid()) + "-77"
			mkTemp(other, map[string][]byte{scenarioGeoFile: []byte("{")}, false)
			before := readSavedPair(t, dir, "plan")
			for n, files := range tc.temps {
				mkTemp(n, files, tc.marked)
			}
			if tc.missing {
				aside := ".plan.old-" + pid + "-abcdef"
				if err := os.Rename(filepath.Join(dir, "plan"), filepath.Join(dir, aside)); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(filepath.Join(dir, aside), long, long); err != nil {
					t.Fatal(err)
				}
			} else if got := readSavedPair(t, dir, "plan"); !bytes.Equal(got.json, before.json) || !bytes.Equal(got.geo, before.geo) {
				t.Fatal("the temporaries changed the scenario a reader sees")
			}

			next := addAndSave()
			if bytes.Equal(next.geo, before.geo) {
				t.Fatal("the save did not replace the scenario")
			}
			if names := listNames(t, dir); !slices.Equal(names, []string{other, "plan"}) {
				t.Errorf("after the save scenarios/ holds %v, want only %s and plan", names, other)
			}
			if names := listNames(t, filepath.Join(dir, "plan")); !slices.Equal(names, []string{data.OutputMarker, scenarioGeoFile, scenarioJSONFile}) {
				t.Errorf("after the save scenarios/plan/ holds %v", names)
			}
			if err := os.RemoveAll(filepath.Join(dir, other)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// withFile returns a copy of m with the file k added.
func withFile(m map[string][]byte, k string, v []byte) map[string][]byte {
	out := map[string][]byte{k: v}
	for n, b := range m {
		out[n] = b
	}
	return out
}

// TestSaveRefusesForeignFolder: a save never replaces a scenarios/NAME
// that lifecircle did not write.
func TestSaveRefusesForeignFolder(t *testing.T) {
	in := sampleInput(t)
	ws := t.TempDir()
	dir := filepath.Join(ws, "scenarios")
	if err := os.MkdirAll(filepath.Join(dir, "notes"), 0o755); err != nil {
		t.Fatal(err)
	}
	mine := []byte("a planner's own notes\n")
	for _, p := range []string{filepath.Join(dir, "notes", "todo.txt"), filepath.Join(dir, "memo")} {
		if err := os.WriteFile(p, mine, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, in, Config{Workspace: ws, Version: "test"})
	for _, tc := range []struct {
		name, want string
	}{
		{"notes", "did not write"},
		{"memo", "is a file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := ts.post("/api/scenario/save", `{"name":"`+tc.name+`"}`)
			checkError(t, w, 400, "bad_request")
			if !bytes.Contains(w.Body.Bytes(), []byte(tc.want)) || !bytes.Contains(w.Body.Bytes(), []byte("choose another name")) {
				t.Errorf("refusal: %s", w.Body)
			}
		})
	}
	for _, p := range []string{filepath.Join(dir, "notes", "todo.txt"), filepath.Join(dir, "memo")} {
		if got, err := os.ReadFile(p); err != nil || !bytes.Equal(got, mine) {
			t.Errorf("%s changed: %q, %v", p, got, err)
		}
	}
	// An empty folder holds nothing to lose: the save goes there.
	decode[struct{}](t, ts.post("/api/scenario/save", `{"name":"empty"}`), 200)
	if p := readSavedPair(t, dir, "empty"); !p.matches() {
		t.Error("the save into an empty folder does not belong together")
	}
}

// TestConcurrentSavesDoNotMix saves one scenario from many clients while
// others edit and others read it: every read, taken without any lock
// while saves run, is one whole save, and each time a save is answered
// the folder holds that save or a newer one.
func TestConcurrentSavesDoNotMix(t *testing.T) {
	in := sampleInput(t)
	ws := t.TempDir()
	dir := filepath.Join(ws, "scenarios")
	ts := newTestServer(t, in, Config{Workspace: ws, Version: "test"})
	pt, _, _ := uncoveredPoint(t, ts, "clinic")
	decode[struct{}](t, ts.post("/api/scenario/save", `{"name":"plan"}`), 200)
	const savers, editors, readers, rounds = 4, 2, 2, 15
	var wg, rwg sync.WaitGroup
	errs := make(chan error, savers*rounds+editors*rounds+readers*10)
	// load reads the pair, again when a save removed the folder it had
	// opened before it read both files.
	load := func() (savedPair, error) {
		for {
			p, err := loadSavedPair(dir, "plan")
			if !errors.Is(err, fs.ErrNotExist) {
				return p, err
			}
		}
	}
	for g := 0; g < editors; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				w := ts.post("/api/scenario", map[string]any{"op": "add", "type": "clinic", "lon": pt[0] + float64(g*rounds+i)*1e-5, "lat": pt[1]})
				if w.Code != 200 {
					errs <- fmt.Errorf("edit: %d %s", w.Code, w.Body)
				}
			}
		}()
	}
	stop := make(chan struct{})
	var reads sync.Map
	for g := 0; g < readers; g++ {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			n, bad := 0, 0
			for {
				select {
				case <-stop:
					reads.Store(g, n)
					return
				default:
				}
				p, err := load()
				n++
				if err != nil || !p.matches() {
					if bad++; bad <= 10 {
						errs <- fmt.Errorf("a reader got a pair that does not belong together (%d edits): %v", p.edits, err)
					}
				}
			}
		}()
	}
	for g := 0; g < savers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				w := ts.post("/api/scenario/save", `{"name":"plan"}`)
				if w.Code != 200 {
					errs <- fmt.Errorf("save: %d %s", w.Code, w.Body)
					continue
				}
				var a struct {
					Edits int `json:"edits"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
					errs <- err
					continue
				}
				p, err := load()
				if err != nil {
					errs <- err
				} else if !p.matches() {
					errs <- fmt.Errorf("scenario.json (%d edits) and facilities.geojson do not belong together", p.edits)
				} else if p.edits < a.Edits {
					errs <- fmt.Errorf("a save of %d edits was answered, the folder holds %d", a.Edits, p.edits)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	rwg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	reads.Range(func(g, n any) bool {
		t.Logf("reader %v: %v reads", g, n)
		return true
	})
	if names := listNames(t, dir); !slices.Equal(names, []string{"plan"}) {
		t.Errorf("after the saves scenarios/ holds %v", names)
	}
}
