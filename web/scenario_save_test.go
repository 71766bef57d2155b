package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/lifecircle/lifecircle/data"
)

// The scenario pair NAME.json + NAME.geojson is written through the
// staging folder .NAME.save (writeScenarioFiles); these tests put the
// folder in the states a kill leaves and check what the next save makes
// of them, and that concurrent saves never mix their files.

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

func loadSavedPair(dir, name string) (savedPair, error) {
	var p savedPair
	var err error
	if p.json, err = os.ReadFile(filepath.Join(dir, name+".json")); err != nil {
		return p, err
	}
	if p.geo, err = os.ReadFile(filepath.Join(dir, name+".geojson")); err != nil {
		return p, err
	}
	var doc struct {
		Edits      []json.RawMessage `json:"edits"`
		Stamp      string            `json:"facilities_sha256"`
		Facilities int               `json:"facilities"`
	}
	if err := json.Unmarshal(p.json, &doc); err != nil {
		return p, fmt.Errorf("%s.json: %v", name, err)
	}
	var fc struct {
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(p.geo, &fc); err != nil {
		return p, fmt.Errorf("%s.geojson: %v", name, err)
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

func TestSaveFinishesInterruptedSave(t *testing.T) {
	in := sampleInput(t)
	ws := t.TempDir()
	dir := filepath.Join(ws, "scenarios")
	ts := newTestServer(t, in, Config{Workspace: ws, Version: "test"})
	pt, _, _ := uncoveredPoint(t, ts, "market")
	addAndSave := func(i int) savedPair {
		t.Helper()
		decode[apiScenario](t, ts.post("/api/scenario", map[string]any{"op": "add", "type": "market", "lon": pt[0] + float64(i)*1e-4, "lat": pt[1]}), 200)
		a := decode[struct {
			Edits int    `json:"edits"`
			Stamp string `json:"facilities_sha256"`
		}](t, ts.post("/api/scenario/save", `{"name":"plan"}`), 200)
		p := readSavedPair(t, dir, "plan")
		if !p.matches() || p.edits != i || a.Edits != i || a.Stamp != p.stamp {
			t.Fatalf("save %d: %d edits, stamp matches %v; answered %+v", i, p.edits, p.matches(), a)
		}
		return p
	}
	v1 := addAndSave(1)
	v2 := addAndSave(2)
	if names := listNames(t, dir); !slices.Equal(names, []string{"plan.geojson", "plan.json"}) {
		t.Fatalf("after two saves the folder holds %v", names)
	}
	write := func(name string, b []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stage := func(files map[string][]byte) {
		t.Helper()
		if err := data.WriteDirAtomic(stagingDir(dir, "plan"), func(tmp string) error {
			for n, b := range files {
				if err := os.WriteFile(filepath.Join(tmp, n), b, 0o644); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct {
		name    string
		visible savedPair         // the files in place after the kill
		staged  map[string][]byte // the staging folder's files
		torn    bool              // the files in place do not belong together
	}{
		{"killed before the renames", v1, map[string][]byte{"plan.json": v2.json, "plan.geojson": v2.geo}, false},
		{"killed between the renames", savedPair{json: v1.json, geo: v2.geo}, map[string][]byte{"plan.json": v2.json}, true},
		{"killed before removing the staging folder", v2, map[string][]byte{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			write("plan.json", tc.visible.json)
			write("plan.geojson", tc.visible.geo)
			stage(tc.staged)
			if got := readSavedPair(t, dir, "plan"); got.matches() == tc.torn {
				t.Fatalf("the pair in place belongs together: %v, want %v (facilities_sha256 tells)", got.matches(), !tc.torn)
			}
			if done, err := finishScenarioSave(dir, "plan"); err != nil || !done {
				t.Fatal(done, err)
			}
			got := readSavedPair(t, dir, "plan")
			if !bytes.Equal(got.json, v2.json) || !bytes.Equal(got.geo, v2.geo) {
				t.Errorf("after finishing: %d edits, want the staged save's %d", got.edits, v2.edits)
			}
			if names := listNames(t, dir); !slices.Equal(names, []string{"plan.geojson", "plan.json"}) {
				t.Errorf("after finishing the folder holds %v", names)
			}
		})
	}

	// A save after a kill between the renames completes the staged save
	// first, then writes its own.
	write("plan.json", v1.json)
	stage(map[string][]byte{"plan.json": v2.json})
	v3 := addAndSave(3)
	if names := listNames(t, dir); !slices.Equal(names, []string{"plan.geojson", "plan.json"}) {
		t.Errorf("after a save the folder holds %v", names)
	}
	if v3.edits != 3 {
		t.Errorf("the save after the kill has %d edits", v3.edits)
	}

	// Starting, a server finishes a save that was killed between the
	// renames.
	v4 := addAndSave(4)
	write("plan.json", v3.json)
	stage(map[string][]byte{"plan.json": v4.json})
	newTestServer(t, in, Config{Workspace: ws, Version: "test"})
	if got := readSavedPair(t, dir, "plan"); !bytes.Equal(got.json, v4.json) || !bytes.Equal(got.geo, v4.geo) {
		t.Errorf("a new server did not finish the interrupted save: %d edits", got.edits)
	}
	if names := listNames(t, dir); !slices.Equal(names, []string{"plan.geojson", "plan.json"}) {
		t.Errorf("after a new server started the folder holds %v", names)
	}

	// A staging folder someone else made (no marker) is left alone.
	other := stagingDir(dir, "plan")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(filepath.Base(other), "plan.json"), v1.json)
	if done, err := finishScenarioSave(dir, "plan"); err != nil || done {
		t.Fatal(done, err)
	}
	if got := readSavedPair(t, dir, "plan"); !bytes.Equal(got.json, v4.json) {
		t.Errorf("an unmarked staging folder was put in place")
	}
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

// TestConcurrentSavesDoNotMix saves one scenario from many clients while
// others edit: each time a save is answered, the pair on disk belongs
// together and is at least as new as that save.
func TestConcurrentSavesDoNotMix(t *testing.T) {
	in := sampleInput(t)
	ws := t.TempDir()
	dir := filepath.Join(ws, "scenarios")
	ts := newTestServer(t, in, Config{Workspace: ws, Version: "test"})
	pt, _, _ := uncoveredPoint(t, ts, "clinic")
	const savers, editors, rounds = 4, 2, 15
	var wg sync.WaitGroup
	errs := make(chan error, savers*rounds+editors*rounds)
	var mu sync.Mutex // serialises the checks of the files with each other
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
				mu.Lock()
				// Saves run one at a time; reading under fileSaveMu sees
				// a pair no save is writing.
				fileSaveMu.Lock()
				p, err := loadSavedPair(dir, "plan")
				fileSaveMu.Unlock()
				mu.Unlock()
				if err != nil {
					errs <- err
				} else if !p.matches() {
					errs <- fmt.Errorf("plan.json (%d edits) and plan.geojson do not belong together", p.edits)
				} else if p.edits < a.Edits {
					errs <- fmt.Errorf("a save of %d edits was answered, the files hold %d", a.Edits, p.edits)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
