package data

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// A SavedScenario is a named set of what-if edits (oldest first) and the
// facilities they give, as a scenario store keeps it.
type SavedScenario struct {
	Name       string
	Author     string    // who saved it (team mode), may be empty
	Saved      time.Time // set by the store
	Version    string    // lifecircle version that saved it
	Profile    *planner.Profile
	Edits      []planner.Edit
	Facilities []planner.Facility // may be nil when read back (Open)
	Summary    any                // district figures at save time, JSON
	Stamp      string             // SHA-256 of facilities.geojson, set by WorkspaceScenarios.Save
}

// ScenarioInfo describes a saved scenario in a list.
type ScenarioInfo struct {
	Name       string    `json:"name"`
	Author     string    `json:"author,omitempty"`
	Saved      time.Time `json:"saved"`
	Edits      int       `json:"edits"`
	Facilities int       `json:"facilities"`
	Where      string    `json:"where"` // folder, or database row, for the user
}

// MaxScenarioName is the longest scenario name, in characters.
const MaxScenarioName = 64

// ValidateScenarioName accepts 1 to MaxScenarioName characters of UTF-8
// text without control characters, not only spaces: any script, such as
// 试验方案.
func ValidateScenarioName(name string) error {
	switch {
	case !utf8.ValidString(name):
		return fmt.Errorf("scenario name: %w: not valid UTF-8 text", planner.ErrInvalid)
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("scenario name: %w: give the scenario a name", planner.ErrInvalid)
	case utf8.RuneCountInString(name) > MaxScenarioName:
		return fmt.Errorf("scenario name: %w: %d characters, at most %d", planner.ErrInvalid, utf8.RuneCountInString(name), MaxScenarioName)
	case strings.ContainsFunc(name, isControl):
		return fmt.Errorf("scenario name: %w: it holds a control character (such as a line break or NUL); use letters, digits, spaces and punctuation", planner.ErrInvalid)
	}
	return nil
}

func isControl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError
}

var plainFolder = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ScenarioFolder is the folder name of scenario name in a workspace: the
// name itself when it is plain ASCII (letters, digits, - and _), else a
// lower-case ASCII slug of it with 8 hex digits of its SHA-256 (试验方案 →
// scenario-5a1c…), so that any name gives a safe, distinct file name.
func ScenarioFolder(name string) string {
	if plainFolder.MatchString(name) {
		return name
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if b.Len() > 0 && !dash {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	slug := strings.Trim(b.String(), "-")
	if slug == "" {
		slug = "scenario"
	}
	h := sha256.Sum256([]byte(name))
	return slug + "-" + hex.EncodeToString(h[:4])
}

// Files of a saved scenario folder.
const (
	ScenarioJSONFile = "scenario.json"
	ScenarioGeoFile  = "facilities.geojson"
)

// WorkspaceScenarios keeps saved scenarios in a workspace folder, each as
// the folder DIR/ScenarioFolder(NAME)/ holding scenario.json (name,
// edits, summary, and facilities_sha256: the SHA-256 of the
// facilities.geojson it belongs to) and facilities.geojson. A folder is
// replaced as a whole (WriteDirAtomic), so the pair in it is always one
// complete save whenever the process is killed. Saves and deletes through
// one WorkspaceScenarios run one at a time; it is safe for concurrent use.
type WorkspaceScenarios struct {
	dir string
	mu  sync.Mutex
}

// NewWorkspaceScenarios returns the store of the folder dir (usually
// WORKSPACE/scenarios); dir is made by the first save.
func NewWorkspaceScenarios(dir string) *WorkspaceScenarios {
	return &WorkspaceScenarios{dir: dir}
}

// savedEdit is planner.Edit as scenario.json holds it.
type savedEdit struct {
	Op       string          `json:"op"`
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Name     string          `json:"name,omitempty"`
	At       time.Time       `json:"at"`
	Author   string          `json:"author,omitempty"`
	Geometry json.RawMessage `json:"geometry,omitempty"`
	Previous json.RawMessage `json:"previous,omitempty"`
}

type scenarioDoc struct {
	Name             string      `json:"name"`
	Author           string      `json:"author,omitempty"`
	SavedAt          string      `json:"saved_at"`
	Lifecircle       string      `json:"lifecircle,omitempty"`
	Profile          string      `json:"profile,omitempty"`
	FacilitiesFile   string      `json:"facilities_file"`
	Facilities       int         `json:"facilities"`
	Edits            []savedEdit `json:"edits"`
	Summary          any         `json:"summary,omitempty"`
	Attribution      string      `json:"attribution"`
	FacilitiesSHA256 string      `json:"facilities_sha256"`
}

func geometryJSON(g orb.Geometry) json.RawMessage {
	if g == nil {
		return nil
	}
	b, err := AppendGeometry(nil, g)
	if err != nil {
		return nil
	}
	return b
}

// Save writes sc (it needs sc.Profile for the facilities' properties)
// and returns the folder, relative to the store's parent, with a slash.
func (w *WorkspaceScenarios) Save(ctx context.Context, sc *SavedScenario) (string, error) {
	if err := ValidateScenarioName(sc.Name); err != nil {
		return "", err
	}
	if sc.Profile == nil {
		return "", errors.New("save scenario: no profile")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return "", err
	}
	folder := ScenarioFolder(sc.Name)
	p := filepath.Join(w.dir, folder)
	if err := w.checkFolder(p, folder, sc.Name); err != nil {
		return "", err
	}
	doc := scenarioDoc{
		Name: sc.Name, Author: sc.Author, SavedAt: time.Now().UTC().Format(time.RFC3339),
		Lifecircle: sc.Version, Profile: sc.Profile.ID, FacilitiesFile: ScenarioGeoFile,
		Facilities: len(sc.Facilities), Edits: make([]savedEdit, len(sc.Edits)),
		Summary: sc.Summary, Attribution: Attribution,
	}
	sc.Saved, _ = time.Parse(time.RFC3339, doc.SavedAt)
	for i, e := range sc.Edits {
		doc.Edits[i] = savedEdit{Op: e.Op, ID: e.ID, Type: e.Type, Name: e.Name, At: e.At, Author: e.Author,
			Geometry: geometryJSON(e.Geometry), Previous: geometryJSON(e.Previous)}
	}
	err := WriteOutputDir(p, KindScenario, func(tmp string) error {
		h := sha256.New()
		if err := createFile(filepath.Join(tmp, ScenarioGeoFile), func(out io.Writer) error {
			g := NewGeoJSONWriter(io.MultiWriter(out, h))
			for _, f := range sc.Facilities {
				if err := g.Write(f.ID, f.Geometry, FacilityProps(sc.Profile, f)); err != nil {
					return err
				}
			}
			return g.Close()
		}); err != nil {
			return err
		}
		doc.FacilitiesSHA256 = hex.EncodeToString(h.Sum(nil))
		sc.Stamp = doc.FacilitiesSHA256
		return createFile(filepath.Join(tmp, ScenarioJSONFile), func(out io.Writer) error {
			b, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				return err
			}
			_, err = out.Write(append(b, '\n'))
			return err
		})
	})
	if err != nil {
		return "", fmt.Errorf("save scenario %q in %s: %w", sc.Name, p, err)
	}
	return "scenarios/" + folder + "/", nil
}

// checkFolder refuses to replace p when it is something lifecircle did
// not write (a file, or a folder of other files without OutputMarker), or
// the scenario of another name whose folder name is the same.
func (w *WorkspaceScenarios) checkFolder(p, folder, name string) error {
	st, err := os.Stat(p)
	if err != nil {
		return nil // missing (or unreadable: the write will say so)
	}
	if !st.IsDir() {
		return fmt.Errorf("scenario name %q: %w: scenarios/%s in the workspace is a file, not a saved scenario — choose another name", name, planner.ErrInvalid, folder)
	}
	if _, err := os.Stat(filepath.Join(p, OutputMarker)); err != nil {
		if ents, err := os.ReadDir(p); err == nil && len(ents) > 0 {
			return fmt.Errorf("scenario name %q: %w: the folder scenarios/%s in the workspace holds files lifecircle did not write (no %s) — choose another name, or move that folder away", name, planner.ErrInvalid, folder, OutputMarker)
		}
		return nil
	}
	if doc, err := readScenarioDoc(p); err == nil && doc.Name != "" && doc.Name != name {
		return fmt.Errorf("scenario name %q: %w: the folder scenarios/%s holds the scenario %q — choose another name", name, planner.ErrInvalid, folder, doc.Name)
	}
	return nil
}

// createFile creates path and writes it through a buffer (WriteDirAtomic
// syncs it).
func createFile(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// maxScenarioJSON bounds the scenario.json a reader accepts, bytes.
const maxScenarioJSON = 512 << 20

func readScenarioDoc(dir string) (*scenarioDoc, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(ScenarioJSONFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", filepath.Join(dir, ScenarioJSONFile))
	}
	var doc scenarioDoc
	dec := json.NewDecoder(io.LimitReader(f, maxScenarioJSON))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: not a saved scenario (%v) — save it again from the map", filepath.Join(dir, ScenarioJSONFile), err)
	}
	return &doc, nil
}

// ReadScenarioDir reads the edits of the saved scenario folder dir (its
// scenario.json), as `audit --scenario DIR` applies them. Facilities are
// not read: the edits, applied to the same inputs, give them.
func ReadScenarioDir(dir string) (*SavedScenario, error) {
	doc, err := readScenarioDoc(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("scenario %s: %w: no %s there — give the folder a scenario was saved to (WORKSPACE/scenarios/NAME)", dir, planner.ErrNotFound, ScenarioJSONFile)
		}
		return nil, fmt.Errorf("scenario %s: %w", dir, err)
	}
	sc := &SavedScenario{Name: doc.Name, Author: doc.Author, Version: doc.Lifecircle}
	sc.Saved, _ = time.Parse(time.RFC3339, doc.SavedAt)
	for k, e := range doc.Edits {
		pe := planner.Edit{Op: e.Op, ID: e.ID, Type: e.Type, Name: e.Name, At: e.At, Author: e.Author}
		for _, g := range []struct {
			raw json.RawMessage
			dst *orb.Geometry
		}{{e.Geometry, &pe.Geometry}, {e.Previous, &pe.Previous}} {
			if len(g.raw) == 0 || string(g.raw) == "null" {
				continue
			}
			geom, err := geojson.UnmarshalGeometry(g.raw)
			if err != nil {
				return nil, fmt.Errorf("scenario %s: %s edit %d (%s %s): bad geometry: %v — save the scenario again from the map", dir, ScenarioJSONFile, k+1, e.Op, e.ID, err)
			}
			*g.dst = geom.Geometry()
		}
		sc.Edits = append(sc.Edits, pe)
	}
	return sc, nil
}

// List returns the saved scenarios, newest first.
func (w *WorkspaceScenarios) List(ctx context.Context) ([]ScenarioInfo, error) {
	ents, err := os.ReadDir(w.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []ScenarioInfo{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list scenarios in %s: %w", w.dir, err)
	}
	out := []ScenarioInfo{}
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p := filepath.Join(w.dir, e.Name())
		doc, err := readScenarioDoc(p)
		if err != nil || doc.Name == "" {
			continue // not a scenario folder, or one being replaced
		}
		si := ScenarioInfo{Name: doc.Name, Author: doc.Author, Edits: len(doc.Edits), Facilities: doc.Facilities, Where: "scenarios/" + e.Name() + "/"}
		si.Saved, _ = time.Parse(time.RFC3339, doc.SavedAt)
		out = append(out, si)
	}
	slices.SortStableFunc(out, func(a, b ScenarioInfo) int {
		if c := b.Saved.Compare(a.Saved); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// Open reads the edits of the saved scenario name (ErrNotFound when there
// is none).
func (w *WorkspaceScenarios) Open(ctx context.Context, name string) (*SavedScenario, error) {
	if err := ValidateScenarioName(name); err != nil {
		return nil, err
	}
	folder := ScenarioFolder(name)
	sc, err := ReadScenarioDir(filepath.Join(w.dir, folder))
	if err != nil {
		if errors.Is(err, planner.ErrNotFound) {
			return nil, fmt.Errorf("%w: no saved scenario named %q", planner.ErrNotFound, name)
		}
		return nil, err
	}
	if sc.Name != name {
		return nil, fmt.Errorf("%w: no saved scenario named %q (scenarios/%s holds %q)", planner.ErrNotFound, name, folder, sc.Name)
	}
	return sc, nil
}

// Delete removes the saved scenario name: its folder, only when
// lifecircle wrote it and it holds that scenario.
func (w *WorkspaceScenarios) Delete(ctx context.Context, name string) error {
	if _, err := w.Open(ctx, name); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	p := filepath.Join(w.dir, ScenarioFolder(name))
	if _, err := os.Stat(filepath.Join(p, OutputMarker)); err != nil {
		return fmt.Errorf("delete scenario %q: %w: %s was not written by lifecircle (no %s); delete it by hand", name, planner.ErrInvalid, p, OutputMarker)
	}
	// Rename aside first, so that the name is gone in one step and a
	// killed delete leaves only a hidden temporary.
	aside := filepath.Join(w.dir, fmt.Sprintf(".%s.deleted-%d-%d", filepath.Base(p), os.Getpid(), time.Now().UnixNano()))
	if err := os.Rename(p, aside); err != nil {
		return fmt.Errorf("delete scenario %q in %s: %w", name, p, err)
	}
	if err := os.RemoveAll(aside); err != nil {
		return fmt.Errorf("delete scenario %q: remove %s: %w", name, aside, err)
	}
	return nil
}
