package web

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// scenarioRequest is the body of POST /api/scenario.
type scenarioRequest struct {
	Op   string   `json:"op"`             // add, move, remove, undo or redo
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
	Edit          editJSON      `json:"edit"`
	Summary       summaryDoc    `json:"summary"`
	ChangedUnits  []data.Props  `json:"changed_units"`
	PointsChanged int           `json:"points_changed"`
	ElapsedMS     float64       `json:"elapsed_ms"`
	Scenario      scenarioState `json:"scenario"`
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }

// toEdit checks a scenario request and turns it into a planner edit; undo
// returns ok false.
func (req scenarioRequest) toEdit() (e planner.Edit, undo bool, err error) {
	for _, f := range []struct{ field, v string }{{"id", req.ID}, {"type", req.Type}, {"name", req.Name}} {
		if err := checkText(f.field, f.v, maxTextLen); err != nil {
			return e, false, err
		}
	}
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
	case "undo", "redo":
		return planner.Edit{Op: req.Op}, true, nil
	case "":
		return e, false, badRequest("the edit needs an op: add, move, remove, undo or redo")
	}
	return e, false, badRequest("unknown op %q: use add, move, remove, undo or redo", shorten(req.Op, 30))
}

func (s *Server) handleScenario(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var req scenarioRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	client, err := clientID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	e, undoRedo, err := req.toEdit()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.editing.Add(1) // reads give way until the edit is done (readSlot)
	s.editMu.Lock()
	var ch *planner.Change
	switch {
	case undoRedo && e.Op == "undo":
		ch, err = s.undo(client)
	case undoRedo:
		ch, err = s.redo(client)
	default:
		ch, err = s.sc.Apply(e)
		if err == nil {
			s.clients.did(client, []planner.Edit{ch.Edit})
		}
	}
	if err != nil {
		s.editMu.Unlock()
		s.editing.Add(-1)
		s.fail(w, r, err)
		return
	}
	var out scenarioResponse
	s.sc.View(func(in planner.AuditInput, res *planner.AuditResult, active []bool) {
		out.Edit = describeEdit(ch.Edit, in, active)
		out.Summary = s.summary(in, res)
		out.ChangedUnits = unitPropsList(in, res, ch.Units)
	})
	out.Scenario = s.stateLocked(client)
	out.Summary.Edits = out.Scenario.Edits
	s.editMu.Unlock()
	s.editing.Add(-1)
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
	Scenario      scenarioState   `json:"scenario"`
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

	if len(facs) > maxLayerFeatures {
		s.fail(w, r, badRequestL(
			fmt.Sprintf("%s has %d features, more than the %d a dropped layer may add: split the file, or audit it with --amenities", name, len(facs), maxLayerFeatures),
			fmt.Sprintf("%s 含 %d 个要素，超过拖入图层的上限 %d：请拆分文件，或用 --amenities 参与审计", name, len(facs), maxLayerFeatures)))
		return
	}
	client, err := clientID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Ids are qualified by the file, so that layers numbered alike do not
	// clash; dropping one file twice does.
	stem := strings.TrimSuffix(name, filepath.Ext(name))
	edits := make([]planner.Edit, len(facs))
	for i, f := range facs {
		id := stem + ":" + f.ID
		if err := checkText("id", id, maxTextLen); err != nil {
			s.fail(w, r, badRequest("%s: feature %d: %s. Nothing was added.", name, i, err))
			return
		}
		if err := checkText("name", f.Name, maxTextLen); err != nil {
			s.fail(w, r, badRequest("%s: feature %d (id %s): %s. Nothing was added.", name, i, shorten(f.ID, 40), err))
			return
		}
		edits[i] = planner.Edit{Op: "add", ID: id, Type: f.Type, Name: f.Name, Geometry: f.Geometry}
	}
	layerErr := func(err error) error {
		if !errors.Is(err, planner.ErrInvalid) && !errors.Is(err, planner.ErrNotFound) {
			return err
		}
		msg := strings.TrimPrefix(err.Error(), "scenario: ")
		if k, rest, ok := parseEditIndex(msg); ok && k < len(facs) {
			if strings.Contains(rest, "already exists") {
				rest = fmt.Sprintf("facility %s exists already — was this file dropped before?", shorten(edits[k].ID, 80))
			}
			return badRequest("%s: feature %d (id %s): %s Nothing was added.", name, k, shorten(facs[k].ID, 40), strings.TrimSuffix(rest, ".")+".")
		}
		return badRequest("%s: %s. Nothing was added.", name, msg)
	}
	// Snapping, the slow part, runs before the edit lock: edits and views
	// wait only for the additions themselves.
	prep, err := s.sc.PrepareAdds(edits)
	if err != nil {
		s.fail(w, r, layerErr(err))
		return
	}
	s.editing.Add(1) // reads give way (readSlot)
	defer s.editing.Add(-1)
	s.editMu.Lock()
	defer s.editMu.Unlock()
	ch, applied, err := s.sc.CommitAdds(prep)
	if err != nil {
		s.fail(w, r, layerErr(err))
		return
	}
	s.clients.did(client, applied)
	out := layerResponse{Facilities: make([]layerFacility, len(applied)), PointsChanged: ch.Points, Added: len(applied)}
	for i, e := range applied {
		p := representative(e.Geometry)
		out.Facilities[i] = layerFacility{ID: e.ID, Type: e.Type, Name: e.Name, Lon: data.Round(p[0], 6), Lat: data.Round(p[1], 6)}
	}
	s.sc.View(func(in planner.AuditInput, res *planner.AuditResult, _ []bool) {
		out.Summary = s.summary(in, res)
		out.ChangedUnits = unitPropsList(in, res, ch.Units)
	})
	out.Scenario = s.stateLocked(client)
	out.Summary.Edits = out.Scenario.Edits
	out.ElapsedMS = ms(time.Since(start))
	s.log.Info("layer added", "file", name, "facilities", len(applied))
	writeJSON(w, http.StatusOK, mimeJSON, out)
}

// parseEditIndex splits "…: edit K: rest" as planner's batch errors say
// it (with the error kind before "edit").
func parseEditIndex(msg string) (int, string, bool) {
	i := strings.Index(msg, "edit ")
	if i < 0 {
		return 0, "", false
	}
	rest := msg[i+5:]
	j := strings.Index(rest, ": ")
	if j < 0 {
		return 0, "", false
	}
	k, err := strconv.Atoi(rest[:j])
	if err != nil {
		return 0, "", false
	}
	return k, rest[j+2:], true
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
