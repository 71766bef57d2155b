package web

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// scenarioRequest is the body of POST /api/scenario.
type scenarioRequest struct {
	Op   string   `json:"op"`             // add, move, remove or undo
	ID   string   `json:"id,omitempty"`   // move, remove; optional for add
	Type string   `json:"type,omitempty"` // add
	Name string   `json:"name,omitempty"` // add
	Lon  *float64 `json:"lon,omitempty"`  // add, move: WGS84
	Lat  *float64 `json:"lat,omitempty"`
}

// editJSON describes an applied edit: the facility it touched, where that
// facility is (or was, when it no longer exists: active false).
type editJSON struct {
	Op     string `json:"op"` // add, move, remove, or "undo add" etc.
	ID     string `json:"id"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	Lon    any    `json:"lon"`
	Lat    any    `json:"lat"`
	Active bool   `json:"active"`
}

type scenarioResponse struct {
	Edit          editJSON     `json:"edit"`
	Summary       summaryDoc   `json:"summary"`
	ChangedUnits  []data.Props `json:"changed_units"`
	PointsChanged int          `json:"points_changed"`
	ElapsedMS     float64      `json:"elapsed_ms"`
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }

// toEdit checks a scenario request and turns it into a planner edit; undo
// returns ok false.
func (req scenarioRequest) toEdit() (e planner.Edit, undo bool, err error) {
	needPoint := func() (orb.Point, error) {
		if req.Lon == nil || req.Lat == nil {
			return orb.Point{}, badRequest("%s needs lon and lat (WGS84 degrees)", req.Op)
		}
		lon, lat := *req.Lon, *req.Lat
		if !(lon >= -180 && lon <= 180) || !(lat >= -90 && lat <= 90) {
			return orb.Point{}, badRequest("lon %v, lat %v is not a WGS84 position (lon -180..180, lat -90..90)", lon, lat)
		}
		return orb.Point{lon, lat}, nil
	}
	switch req.Op {
	case "add":
		if req.Type == "" {
			return e, false, badRequest("add needs the amenity type (\"type\")")
		}
		p, err := needPoint()
		if err != nil {
			return e, false, err
		}
		return planner.Edit{Op: "add", ID: req.ID, Type: req.Type, Name: req.Name, Geometry: p}, false, nil
	case "move":
		if req.ID == "" {
			return e, false, badRequest("move needs the facility id (\"id\")")
		}
		p, err := needPoint()
		if err != nil {
			return e, false, err
		}
		return planner.Edit{Op: "move", ID: req.ID, Geometry: p}, false, nil
	case "remove":
		if req.ID == "" {
			return e, false, badRequest("remove needs the facility id (\"id\")")
		}
		return planner.Edit{Op: "remove", ID: req.ID}, false, nil
	case "undo":
		return e, true, nil
	case "":
		return e, false, badRequest("the edit needs an op: add, move, remove or undo")
	}
	return e, false, badRequest("unknown op %q: use add, move, remove or undo", shorten(req.Op, 30))
}

func (s *Server) handleScenario(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var req scenarioRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	e, undo, err := req.toEdit()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.editMu.Lock()
	var ch *planner.Change
	if undo {
		ch, err = s.sc.Undo()
	} else {
		ch, err = s.sc.Apply(e)
	}
	if err != nil {
		s.editMu.Unlock()
		s.fail(w, r, err)
		return
	}
	var out scenarioResponse
	s.sc.View(func(in planner.AuditInput, res *planner.AuditResult, active []bool) {
		out.Edit = describeEdit(ch.Edit, in, active)
		out.Summary = s.summary(in, res)
		out.ChangedUnits = unitPropsList(in, res, ch.Units)
	})
	out.Summary.Edits = len(s.sc.History())
	s.editMu.Unlock()
	out.PointsChanged = ch.Points
	out.ElapsedMS = ms(time.Since(start))
	writeJSON(w, http.StatusOK, mimeJSON, out)
}

func describeEdit(e planner.Edit, in planner.AuditInput, active []bool) editJSON {
	out := editJSON{Op: e.Op, ID: e.ID, Type: e.Type, Name: e.Name}
	if e.Index >= 0 && e.Index < len(in.Facilities) {
		f := in.Facilities[e.Index]
		p := representative(f.Geometry)
		out.Lon, out.Lat = data.Round(p[0], 6), data.Round(p[1], 6)
		out.Name = f.Name
		out.Active = active[e.Index]
	} else if e.Geometry != nil {
		// An undone add: the scenario dropped the facility; the edit
		// still says where it stood.
		p := representative(e.Geometry)
		out.Lon, out.Lat = data.Round(p[0], 6), data.Round(p[1], 6)
	}
	return out
}

// ----- save -----

var scenarioName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

type saveRequest struct {
	Name   string `json:"name"`
	Author string `json:"author,omitempty"` // who saves it (team mode)
}

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

func geometryJSON(g orb.Geometry) json.RawMessage {
	if g == nil {
		return nil
	}
	b, err := data.AppendGeometry(nil, g)
	if err != nil {
		return nil
	}
	return b
}

func (s *Server) handleSave(w http.ResponseWriter, r *http.Request) {
	var req saveRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if !scenarioName.MatchString(req.Name) {
		s.fail(w, r, badRequest("scenario name %q: use 1 to 64 letters, digits, - or _ (it becomes the folder name)", shorten(req.Name, 80)))
		return
	}
	if s.cfg.Scenarios == nil {
		// Saves to the workspace are written in the order their snapshots
		// are taken, one at a time: two saves of one name never interleave
		// their files, and the later snapshot is the one left on disk.
		fileSaveMu.Lock()
		defer fileSaveMu.Unlock()
	}
	// Take the history and the facilities together.
	s.editMu.Lock()
	history := s.sc.History()
	var facs []planner.Facility
	var sum summaryDoc
	s.sc.View(func(in planner.AuditInput, res *planner.AuditResult, active []bool) {
		for i, f := range in.Facilities {
			if active[i] {
				facs = append(facs, f)
			}
		}
		sum = s.summary(in, res)
	})
	s.editMu.Unlock()
	sum.Edits = len(history)

	if s.cfg.Scenarios != nil {
		where, err := s.cfg.Scenarios.SaveScenario(r.Context(), req.Name, req.Author, history, facs)
		if err != nil {
			s.fail(w, r, fmt.Errorf("save scenario: %w", err))
			return
		}
		s.log.Info("scenario saved", "name", req.Name, "to", where, "edits", len(history), "facilities", len(facs))
		writeJSON(w, http.StatusOK, mimeJSON, map[string]any{"saved": []string{where}})
		return
	}
	dir := filepath.Join(s.cfg.Workspace, "scenarios")
	if err := checkScenarioDir(dir, req.Name); err != nil {
		s.fail(w, r, err)
		return
	}

	edits := make([]savedEdit, len(history))
	for i, e := range history {
		edits[i] = savedEdit{Op: e.Op, ID: e.ID, Type: e.Type, Name: e.Name, At: e.At, Author: e.Author,
			Geometry: geometryJSON(e.Geometry), Previous: geometryJSON(e.Previous)}
	}
	doc := map[string]any{
		"name":            req.Name,
		"saved_at":        time.Now().UTC().Format(time.RFC3339),
		"lifecircle":      s.cfg.Version,
		"profile":         s.profile.ID,
		"facilities_file": scenarioGeoFile,
		"facilities":      len(facs),
		"edits":           edits,
		"summary":         sum,
		"attribution":     data.Attribution,
	}
	stamp, err := writeScenarioDir(filepath.Join(dir, req.Name), func(w io.Writer) error {
		g := data.NewGeoJSONWriter(w)
		for _, f := range facs {
			if err := g.Write(f.ID, f.Geometry, data.FacilityProps(s.profile, f)); err != nil {
				return err
			}
		}
		return g.Close()
	}, doc)
	if err != nil {
		s.fail(w, r, fmt.Errorf("save scenario: %w", err))
		return
	}
	s.log.Info("scenario saved", "name", req.Name, "dir", filepath.Join(dir, req.Name), "edits", len(history), "facilities", len(facs))
	rel := "scenarios/" + req.Name + "/"
	writeJSON(w, http.StatusOK, mimeJSON, map[string]any{
		"saved":             []string{rel + scenarioJSONFile, rel + scenarioGeoFile},
		"edits":             len(history),
		"facilities":        len(facs),
		"facilities_sha256": stamp,
	})
}

// fileSaveMu serialises scenario saves to workspace folders in this
// process (see handleSave).
var fileSaveMu sync.Mutex

// A saved scenario NAME is one folder, WORKSPACE/scenarios/NAME/, holding
// scenario.json (edits, summary, and facilities_sha256: the SHA-256 of the
// facilities.geojson it belongs to) and facilities.geojson. The folder is
// replaced as a whole (data.WriteDirAtomic: built beside it, then
// swapped in one step), so the pair in it is always one complete save —
// the previous or the new one — whenever the process is killed; a killed
// save leaves only the writer's hidden temporaries (.NAME.tmp-*,
// .NAME.old-*) beside it, which the next save of NAME removes. A reader
// that wants both files of one save while saves may run opens the folder
// first and the files relative to it (os.OpenRoot): it then reads one
// save, or fails and reads again. Scenarios saved before this layout, as
// NAME.json and NAME.geojson in scenarios/, are left where they are.
const (
	scenarioJSONFile = "scenario.json"
	scenarioGeoFile  = "facilities.geojson"
)

// checkScenarioDir refuses to save scenario name into dir when
// dir/NAME is something lifecircle did not write (a file, or a folder of
// other files without data.OutputMarker): a save replaces the folder as a
// whole, and must not delete what someone put there.
func checkScenarioDir(dir, name string) error {
	p := filepath.Join(dir, name)
	st, err := os.Stat(p)
	if err != nil {
		return nil // missing (or unreadable: the write will say so)
	}
	if !st.IsDir() {
		return badRequest("scenario name %q: scenarios/%s in the workspace is a file, not a saved scenario — choose another name", name, name)
	}
	if _, err := os.Stat(filepath.Join(p, data.OutputMarker)); err == nil {
		return nil
	}
	if ents, err := os.ReadDir(p); err == nil && len(ents) > 0 {
		return badRequest("scenario name %q: the folder scenarios/%s in the workspace holds files lifecircle did not write (no %s) — choose another name, or move that folder away", name, name, data.OutputMarker)
	}
	return nil
}

// writeScenarioDir saves one scenario as the folder dir: writeGeo writes
// facilities.geojson, doc (with facilities_sha256 added) scenario.json. It
// returns the facilities_sha256 stamp.
func writeScenarioDir(dir string, writeGeo func(io.Writer) error, doc map[string]any) (string, error) {
	var stamp string
	err := data.WriteDirAtomic(dir, func(tmp string) error {
		h := sha256.New()
		if err := writeFile(filepath.Join(tmp, scenarioGeoFile), func(w io.Writer) error {
			return writeGeo(io.MultiWriter(w, h))
		}); err != nil {
			return err
		}
		stamp = hex.EncodeToString(h.Sum(nil))
		doc["facilities_sha256"] = stamp
		return writeFile(filepath.Join(tmp, scenarioJSONFile), func(w io.Writer) error {
			b, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				return err
			}
			_, err = w.Write(append(b, '\n'))
			return err
		})
	})
	if err != nil {
		return "", err
	}
	return stamp, nil
}

// writeFile creates path and writes it through a buffer (WriteDirAtomic
// syncs it).
func writeFile(path string, write func(io.Writer) error) error {
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

// ----- dropped layers -----

var layerExts = []string{".geojson", ".json", ".csv", ".txt", ".tsv"}

// checkLayerName accepts a plain file name with a layer extension.
func checkLayerName(name string) error {
	if name == "" {
		return badRequest("give the file name: /api/layer?name=FILE.geojson (or .csv)")
	}
	if len(name) > 128 || strings.ContainsAny(name, "/\\:\x00") || strings.HasPrefix(name, ".") || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 }) {
		return badRequest("file name %q: give the plain name of the file, such as stations.csv", shorten(name, 80))
	}
	if !slices.Contains(layerExts, strings.ToLower(filepath.Ext(name))) {
		return badRequest("file %q: drop a GeoJSON (.geojson) or CSV (.csv) file of facilities with a `type` column", shorten(name, 80))
	}
	return nil
}

type layerFacility struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Name string `json:"name"`
	Lon  any    `json:"lon"`
	Lat  any    `json:"lat"`
}

type layerResponse struct {
	Added         int             `json:"added"`
	Facilities    []layerFacility `json:"facilities"`
	Summary       summaryDoc      `json:"summary"`
	ChangedUnits  []data.Props    `json:"changed_units"`
	PointsChanged int             `json:"points_changed"`
	ElapsedMS     float64         `json:"elapsed_ms"`
}

func (s *Server) handleLayer(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	q := r.URL.Query()
	name := q.Get("name")
	if err := checkLayerName(name); err != nil {
		s.fail(w, r, err)
		return
	}
	cs := s.cfg.Coords
	if c := q.Get("coords"); c != "" {
		var err error
		if cs, err = data.ParseCoordSystem(c); err != nil {
			s.fail(w, r, badRequest("coords %q: use wgs84, gcj02 (Amap/Tencent) or bd09 (Baidu)", shorten(c, 30)))
			return
		}
	}
	facs, err := s.readLayer(w, r, name, cs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(facs) == 0 {
		s.fail(w, r, badRequest("%s has no features: nothing to add", name))
		return
	}

	s.editMu.Lock()
	defer s.editMu.Unlock()
	taken := map[string]bool{}
	s.sc.View(func(in planner.AuditInput, _ *planner.AuditResult, active []bool) {
		for i, f := range in.Facilities {
			if active[i] {
				taken[f.ID] = true
			}
		}
	})
	stem := strings.TrimSuffix(name, filepath.Ext(name))
	changed := map[int]bool{}
	out := layerResponse{Facilities: []layerFacility{}}
	applied := 0
	rollback := func() {
		for ; applied > 0; applied-- {
			if _, err := s.sc.Undo(); err != nil {
				s.log.Error("layer rollback failed", "file", name, "err", err)
				return
			}
		}
	}
	for i, f := range facs {
		// Ids are qualified by the file, so that layers numbered alike do
		// not clash; dropping one file twice does.
		id := stem + ":" + f.ID
		if taken[id] {
			rollback()
			s.fail(w, r, badRequest("%s: feature %d (id %s): facility %s exists already — was this file dropped before? Nothing was added.", name, i, shorten(f.ID, 40), shorten(id, 80)))
			return
		}
		ch, err := s.sc.Apply(planner.Edit{Op: "add", ID: id, Type: f.Type, Name: f.Name, Geometry: f.Geometry})
		if err != nil {
			rollback()
			if errors.Is(err, planner.ErrInvalid) || errors.Is(err, planner.ErrNotFound) {
				err = badRequest("%s: feature %d (id %s): %s. Nothing was added.", name, i, shorten(f.ID, 40), strings.TrimPrefix(err.Error(), "scenario: "))
			}
			s.fail(w, r, err)
			return
		}
		applied++
		taken[id] = true
		for _, u := range ch.Units {
			changed[u] = true
		}
		out.PointsChanged += ch.Points
		p := representative(f.Geometry)
		out.Facilities = append(out.Facilities, layerFacility{ID: id, Type: f.Type, Name: f.Name, Lon: data.Round(p[0], 6), Lat: data.Round(p[1], 6)})
	}
	us := make([]int, 0, len(changed))
	for u := range changed {
		us = append(us, u)
	}
	slices.Sort(us)
	s.sc.View(func(in planner.AuditInput, res *planner.AuditResult, _ []bool) {
		out.Summary = s.summary(in, res)
		out.ChangedUnits = unitPropsList(in, res, us)
	})
	out.Summary.Edits = len(s.sc.History())
	out.Added = applied
	out.ElapsedMS = ms(time.Since(start))
	s.log.Info("layer added", "file", name, "facilities", applied)
	writeJSON(w, http.StatusOK, mimeJSON, out)
}

// readLayer stores the request body in a temp file named like the upload
// and reads it as an amenity layer; reader errors come back as bad
// requests that name the uploaded file, never the server's temp path.
func (s *Server) readLayer(w http.ResponseWriter, r *http.Request, name string, cs data.CoordSystem) ([]planner.Facility, error) {
	if err := tooLarge(r, maxLayerBody); err != nil {
		return nil, err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLayerBody)
	dir, err := os.MkdirTemp("", "lifecircle-layer-")
	if err != nil {
		return nil, fmt.Errorf("layer upload: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("layer upload: %w", err)
	}
	n, err := io.Copy(f, r.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if e := bodyReadError(err); e != nil {
			return nil, e
		}
		return nil, fmt.Errorf("layer upload: %w", err)
	}
	if n == 0 {
		return nil, badRequest("%s is empty: send the file's content as the request body", name)
	}
	facs, err := data.ReadAmenityLayer(path, s.profile, cs)
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), path, name)
		msg = strings.ReplaceAll(msg, dir+string(os.PathSeparator), "")
		msg = strings.ReplaceAll(msg, dir, "")
		return nil, badRequest("%s", msg)
	}
	return facs, nil
}
