package web

import (
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// decodeJSON reads a JSON request body of at most maxJSONBody bytes into
// dst, refusing unknown fields and trailing data, with messages that say
// what is wrong in the client's terms.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if err := tooLarge(r, maxJSONBody); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxJSONBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if e := bodyReadError(err); e != nil {
			return e
		}
		return badRequest("request body: unexpected data after the JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if e := bodyReadError(err); e != nil {
		return e
	}
	switch {
	case errors.Is(err, io.EOF):
		return badRequest("request body is empty: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("request body: the JSON ends early")
	case errors.As(err, &syn):
		return badRequest("request body is not valid JSON (at byte %d)", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return badRequest("request body: field %q must be %s, not %s", typ.Field, jsonTypeName(typ.Type.Kind().String()), typ.Value)
		}
		return badRequest("request body must be a JSON object, not %s", typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return badRequest("request body: unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return badRequest("request body is not valid JSON")
}

func jsonTypeName(kind string) string {
	switch kind {
	case "float64", "float32":
		return "a number"
	case "int", "int64", "int32":
		return "a whole number"
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	case "bool":
		return "true or false"
	}
	return "of another type"
}

// ----- summary -----

type worstJSON struct {
	UnitID       string   `json:"unit_id"`
	Name         string   `json:"name"`
	Population   data.Num `json:"population"`
	Completeness data.Num `json:"completeness"`
}

type collectionsRef struct {
	Units      string   `json:"units"`
	Facilities []string `json:"facilities"`
	Demand     string   `json:"demand"`
	Proposals  string   `json:"proposals"`
	Streets    string   `json:"streets"`
}

type summaryDoc struct {
	Profile           data.ProfileSummary `json:"profile"`
	DemandSource      string              `json:"demand_source"`
	Population        data.Num            `json:"population"`
	Completeness      data.Num            `json:"completeness"`
	FullyServed       data.Num            `json:"fully_served"`
	UnitsKind         string              `json:"units_kind"`
	Units             int                 `json:"units"`
	Types             []data.TypeSummary  `json:"types"` // as summary.json has them
	WorstUnits        []worstJSON         `json:"worst_units"`
	Bounds            [4]float64          `json:"bounds"`
	Attribution       string              `json:"attribution"`
	EditEnabled       bool                `json:"edit_enabled"`
	EditTokenRequired bool                `json:"edit_token_required"`
	Tiles             string              `json:"tiles"`
	TilesSubdomains   string              `json:"tiles_subdomains,omitempty"` // values of {s} in Tiles
	VectorTiles       vectorTilesDoc      `json:"vector_tiles"`
	Collections       collectionsRef      `json:"collections"`
	Edits             int                 `json:"edits"`
	// Warnings are the study's typed warnings, shown next to the figures
	// they affect.
	Warnings []planner.Warning `json:"warnings,omitempty"`
	// Project is the project's name, "" without a project file.
	Project string `json:"project,omitempty"`
}

// summary returns the district figures; call it under the scenario's view.
func (s *Server) summary(in planner.AuditInput, res *planner.AuditResult) summaryDoc {
	p := in.Profile
	out := summaryDoc{
		Profile:           data.ProfileSummary{ID: p.ID, NameEn: p.Names.En, NameZh: p.Names.Zh},
		DemandSource:      in.Demand.Source,
		Population:        data.Round(res.Population, 1),
		Completeness:      data.Round(res.Completeness, 4),
		FullyServed:       data.Round(res.FullyServed, 4),
		UnitsKind:         s.cfg.UnitsKind,
		Units:             len(in.Units),
		Bounds:            [4]float64{s.bounds.Min[0], s.bounds.Min[1], s.bounds.Max[0], s.bounds.Max[1]},
		Attribution:       "© OpenStreetMap contributors",
		EditEnabled:       s.editEnabled(),
		EditTokenRequired: !s.loopback,
		Tiles:             s.cfg.Tiles,
		VectorTiles:       s.vectorTiles(s.sc.Version()),
		TilesSubdomains:   s.tileSubdomains(),
		Collections: collectionsRef{Units: s.cfg.UnitsKind, Facilities: []string{},
			Demand: "demand", Proposals: "proposals", Streets: "streets"},
		Types:      make([]data.TypeSummary, len(res.Types)),
		WorstUnits: worstUnits(in, res, 10),
		Warnings:   s.cfg.Warnings,
		Project:    s.cfg.Title,
	}
	for i, t := range res.Types {
		out.Types[i] = data.NewTypeSummary(p, t)
		out.Types[i].Overrides = s.cfg.FacilityOverrides.Type(t.ID)
		out.Collections.Facilities = append(out.Collections.Facilities, t.ID)
	}
	return out
}

// worstUnits returns the n units with the most residents missing
// amenities, population × (1 − completeness), largest first (ties by
// unit order), in time linear in the number of units.
func worstUnits(in planner.AuditInput, res *planner.AuditResult, n int) []worstJSON {
	h := &unitHeap{}
	for u := range res.Units {
		r := res.Units[u]
		if !(r.Population > 0) {
			continue
		}
		g := r.Population * (1 - r.Completeness)
		if h.Len() < n {
			heap.Push(h, unitGap{u, g})
		} else if h.less(unitGap{u, g}, (*h)[0]) {
			continue
		} else {
			(*h)[0] = unitGap{u, g}
			heap.Fix(h, 0)
		}
	}
	out := make([]worstJSON, h.Len())
	for i := len(out) - 1; i >= 0; i-- {
		x := heap.Pop(h).(unitGap)
		r := res.Units[x.u]
		out[i] = worstJSON{UnitID: in.Units[x.u].ID, Name: in.Units[x.u].Name,
			Population: data.Round(r.Population, 1), Completeness: data.Round(r.Completeness, 4)}
	}
	return out
}

type unitGap struct {
	u   int
	gap float64
}

// unitHeap is a min-heap by "worse": its root is the least bad unit kept.
type unitHeap []unitGap

func (h unitHeap) less(a, b unitGap) bool {
	if a.gap != b.gap {
		return a.gap < b.gap
	}
	return a.u > b.u
}
func (h unitHeap) Len() int           { return len(h) }
func (h unitHeap) Less(i, j int) bool { return h.less(h[i], h[j]) }
func (h unitHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *unitHeap) Push(x any)        { *h = append(*h, x.(unitGap)) }
func (h *unitHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (s *Server) currentSummary() summaryDoc {
	var out summaryDoc
	s.sc.View(func(in planner.AuditInput, res *planner.AuditResult, _ []bool) {
		out = s.summary(in, res)
	})
	out.Edits = len(s.sc.History())
	return out
}

func (s *Server) handleSummary(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, mimeJSON, s.currentSummary())
}

// ----- units -----

type unitTypeJSON struct {
	ID          string   `json:"id"`
	Covered     data.Num `json:"covered"`
	Coverage    data.Num `json:"coverage"`
	Gap         data.Num `json:"gap"`
	DistMean    data.Num `json:"dist_mean_m"`
	DistP90     data.Num `json:"dist_p90_m"`
	Unreachable data.Num `json:"unreachable"`
}

// unitJSON is a unit's figures (data.UnitProperties) with one object per
// amenity type.
type unitJSON struct {
	UnitID       string         `json:"unit_id"`
	Name         string         `json:"name"`
	Parent       string         `json:"parent,omitempty"`
	Level        string         `json:"level,omitempty"`
	Population   data.Num       `json:"population"`
	Completeness data.Num       `json:"completeness"`
	FullyServed  data.Num       `json:"fully_served"`
	Types        []unitTypeJSON `json:"types"`
	// RulesBroken lists the provision rules (numbered as rules.csv) the
	// unit breaks, for a level asked for by ?level=.
	RulesBroken []int `json:"rules_broken,omitempty"`
}

func (s *Server) handleUnit(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "unit_id")
	if level := r.URL.Query().Get("level"); level != "" && level != s.cfg.UnitsKind {
		out, err := s.levelUnitJSON(level, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, mimeJSON, out)
		return
	}
	u, ok := s.unitIndex[id]
	if !ok {
		s.fail(w, r, notFound("no unit %q", shorten(id, 80)))
		return
	}
	var out unitJSON
	s.sc.View(func(in planner.AuditInput, res *planner.AuditResult, _ []bool) {
		p := data.NewUnitProperties(in, res, u)
		out = unitJSON{UnitID: p.UnitID, Name: p.Name, Parent: p.Parent, Level: p.Level, Population: p.Population,
			Completeness: p.Completeness, FullyServed: p.FullyServed, Types: make([]unitTypeJSON, len(p.Types))}
		for ti, t := range p.Types {
			out.Types[ti] = unitTypeJSON{ID: t.ID, Covered: t.Covered, Coverage: t.Coverage, Gap: t.Gap,
				DistMean: t.DistMean, DistP90: t.DistP90, Unreachable: t.Unreachable}
		}
	})
	writeJSON(w, http.StatusOK, mimeJSON, out)
}

// ----- export -----

func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "collection")
	c, ok := s.collection(id)
	if !ok {
		s.fail(w, r, notFound("no collection %q to export: see /api/summary for the collections", shorten(id, 80)))
		return
	}
	if err := s.prepare(r.Context(), c); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", mimeGeoJSON)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", c.id+".geojson"))
	if err := s.writeCollection(w, c); err != nil {
		// The status is sent; the client sees a cut-off file.
		s.log.Info("export not completed", "collection", c.id, "err", err)
	}
}

// representative is a facility's or site's point: itself, or the centre
// of its bound.
func representative(g orb.Geometry) orb.Point {
	if p, ok := g.(orb.Point); ok {
		return p
	}
	if g == nil {
		return orb.Point{math.NaN(), math.NaN()}
	}
	return g.Bound().Center()
}

// unitPropsList returns the properties of units us as the units
// collection carries them; call it under the scenario's view.
func unitPropsList(in planner.AuditInput, res *planner.AuditResult, us []int) []data.Props {
	out := make([]data.Props, len(us))
	for k, u := range us {
		out[k] = data.UnitProps(in, res, u)
	}
	return out
}
