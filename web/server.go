package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// Request body limits.
const (
	maxJSONBody  = 1 << 20  // JSON requests, bytes
	maxLayerBody = 20 << 20 // dropped amenity layers, bytes
)

// Config says what a Server serves and how.
type Config struct {
	// Addr is the address the server listens on (host:port). When its host
	// is not a loopback address, editing endpoints need EditToken.
	Addr string
	// EditToken, when set, lets requests that carry it (Authorization:
	// Bearer <token>, or X-Edit-Token) edit on a non-loopback address.
	EditToken string
	// Tiles is an optional online basemap URL template
	// (https://host/{z}/{x}/{y}.png); empty means the page draws the study
	// area's own streets only.
	Tiles string
	// Workspace is the folder where scenarios are saved, each as the
	// folder scenarios/NAME/ (scenario.json and facilities.geojson).
	Workspace string
	// UnitsKind is "cells" for grid cells or "units" for imported units;
	// it names the units collection.
	UnitsKind string
	// Coords is the datum of dropped CSV/GeoJSON layers unless the request
	// says otherwise.
	Coords data.CoordSystem
	// Version is reported in saved scenarios.
	Version string
	// Scenarios, when set, stores saved scenarios instead of Workspace
	// (team mode: the database).
	Scenarios ScenarioStore
	// FacilityOverrides are the changes of a facility overrides file, shown
	// next to each type's facility count; nil without one.
	FacilityOverrides *data.FacilityOverrideSummary
	// Timeouts bound slow clients in the server HTTPServer returns; zero
	// fields take DefaultTimeouts' values.
	Timeouts Timeouts
	// Background is the offline background drawn from the study's OSM
	// extract (data.ReadBackground), served as vector tiles; nil when the
	// study has none.
	Background *data.Background
	// Warnings are the study's typed warnings (weak estimate, cut-off
	// residents, …), shown in the summary panel.
	Warnings []planner.Warning
	// CellSize is the size in metres of the grid cells a units study is
	// also shown in (the cells collection); 0 means
	// planner.DefaultCellSize.
	CellSize float64
	// Title is the project's name (the project file's name:), the print
	// layout's default title; empty without one.
	Title string
}

// Timeouts bound how long the HTTP server waits on a client, so that slow
// or stalled clients (slowloris) cannot hold connections for ever.
type Timeouts struct {
	// ReadHeader bounds reading the request line and headers.
	ReadHeader time.Duration
	// Read bounds reading the whole request, body included: a 20 MB
	// dropped layer must arrive within it.
	Read time.Duration
	// Write bounds the response from the end of the request headers: a
	// proposal (at most 30 s) must be answered within it.
	Write time.Duration
	// Idle bounds the wait for the next request on a kept-alive connection.
	Idle time.Duration
}

// DefaultTimeouts are the timeouts of `lifecircle serve`.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 120 * time.Second, Idle: 60 * time.Second}

// maxHeaderBytes bounds the request line and headers, bytes; larger ones
// get 431.
const maxHeaderBytes = 64 << 10

// A Server answers the map page, the OGC API – Features and the analysis
// API for one live scenario. It is safe for concurrent use.
type Server struct {
	sc       *planner.Scenario
	profile  *planner.Profile
	net      *geo.Network
	log      *slog.Logger
	cfg      Config
	loopback bool
	csp      string
	static   fs.FS

	bounds      orb.Bound // study area, lon/lat
	unitIndex   map[string]int
	unitsExtent orb.Bound
	demandIdx   func() map[string]int // built on first use
	demandExt   orb.Bound
	index       staticIndexes // bbox queries on units, demand, streets
	tiles       *tileServer   // vector tiles (tiles.go)

	// editMu serialises edits, layer uploads and saves, so that an edit and
	// the summary reported with it belong together, and an upload is
	// applied or rolled back as a whole.
	editMu sync.Mutex
	// proposeSem lets one proposal run at a time: each uses every core.
	proposeSem chan struct{}
	// readSem holds the read slots (readSlot), readSemEditing those of
	// reads that start while edits are pending (editing > 0).
	readSem, readSemEditing chan struct{}
	editing                 atomic.Int32

	propMu   sync.RWMutex
	proposal *proposal // latest, nil before the first

	// The live scenario's name, the edits it had when last saved or
	// opened (editStamp), and each client's undo and redo: under editMu.
	scName    string
	scSavedAt string
	clients   *clientStacks
	// store keeps saved scenarios (cfg.Scenarios, or the workspace);
	// saveMu runs saves and deletes one at a time.
	store  ScenarioStore
	saveMu sync.Mutex
	// The baseline: its facilities, inputs and figures, for comparisons.
	baseFacs []planner.Facility
	baseIn   planner.AuditInput
	baseFig  *figures
	compare  compareCache

	// The levels of units (levels.go): the hierarchy aggregated (the
	// study's, or one level of its units), the grid of a units study, the
	// provision rules, the level collections and their cached figures.
	hier    *planner.Hierarchy
	gridH   *planner.Hierarchy
	rules   []planner.Rule
	levels  []unitLevel
	lvCache levelCache
	// catch computes and keeps facilities' walking catchments.
	catch *planner.Catchments
}

// New returns a server for the scenario sc. log receives request logs and
// internal errors (nil discards them).
func New(sc *planner.Scenario, cfg Config, log *slog.Logger) (*Server, error) {
	if sc == nil {
		return nil, errors.New("web: no scenario")
	}
	switch cfg.UnitsKind {
	case "":
		cfg.UnitsKind = "cells"
	case "cells", "units":
	default:
		return nil, fmt.Errorf("web: units kind %q: want cells or units", cfg.UnitsKind)
	}
	tilesSrc, err := TilesSource(cfg.Tiles)
	if err != nil {
		return nil, err
	}
	cfg.Timeouts = cfg.Timeouts.orDefault()
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	s := &Server{sc: sc, log: logger(log), cfg: cfg, static: sub, proposeSem: make(chan struct{}, 1), readSem: make(chan struct{}, readSlots()), readSemEditing: make(chan struct{}, readSlotsEditing()), clients: newClientStacks()}
	s.store = cfg.Scenarios
	if s.store == nil {
		s.store = data.NewWorkspaceScenarios(filepath.Join(cfg.Workspace, "scenarios"))
	}
	s.loopback = isLoopbackAddr(cfg.Addr)
	img := "'self' data:"
	if tilesSrc != "" {
		img += " " + tilesSrc
	}
	s.csp = "default-src 'self'; img-src " + img + "; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'"

	var ids []string
	var static planner.AuditInput // units, demand and network never change
	sc.View(func(in planner.AuditInput, res *planner.AuditResult, active []bool) {
		s.profile, s.net = in.Profile, in.Net
		s.bounds = in.Net.Bound()
		s.unitIndex = make(map[string]int, len(in.Units))
		for u, unit := range in.Units {
			s.unitIndex[unit.ID] = u
			b := unit.Geometry.Bound()
			if u == 0 {
				s.unitsExtent = b
			} else {
				s.unitsExtent = s.unitsExtent.Union(b)
			}
		}
		for i, p := range in.Demand.Points {
			if i == 0 {
				s.demandExt = orb.Bound{Min: p, Max: p}
			}
			s.demandExt = s.demandExt.Extend(p)
		}
		if len(in.Units) > 0 {
			s.bounds = s.bounds.Union(s.unitsExtent)
		}
		if len(in.Demand.Points) > 0 {
			s.bounds = s.bounds.Union(s.demandExt)
		}
		static = in
		// The baseline is the scenario as the server starts (with the
		// edits it may hold already); saved scenarios apply to it.
		for i, f := range in.Facilities {
			if active[i] {
				s.baseFacs = append(s.baseFacs, f)
			}
		}
		s.baseIn = in
		s.baseIn.Facilities = nil
		s.baseFig = figuresOf(res)
		demandIDs := in.Demand.IDs
		s.demandIdx = sync.OnceValue(func() map[string]int {
			m := make(map[string]int, len(demandIDs))
			for i := len(demandIDs) - 1; i >= 0; i-- {
				m[demandIDs[i]] = i // the first of duplicates wins
			}
			return m
		})
	})
	for _, t := range s.profile.Types {
		ids = append(ids, t.ID)
	}
	for _, id := range ids {
		if id == s.cfg.UnitsKind || id == "demand" || id == "proposals" || id == "streets" {
			return nil, fmt.Errorf("web: amenity type id %q clashes with a collection of the same name — rename the type in the profile", id)
		}
	}
	cell := cfg.CellSize
	if cell == 0 {
		cell = planner.DefaultCellSize
	}
	if err := s.initLevels(static, cell); err != nil {
		return nil, err
	}
	for _, l := range s.levels {
		if _, clash := s.profile.Type(l.id); clash {
			return nil, fmt.Errorf("web: amenity type id %q clashes with the collection of unit level %q — rename the type in the profile", l.id, l.name)
		}
	}
	s.startIndexes(static)
	s.catch = planner.NewCatchments(sc)
	s.initTiles(cfg.Background)
	return s, nil
}

func (t Timeouts) orDefault() Timeouts {
	d := DefaultTimeouts
	if t.ReadHeader > 0 {
		d.ReadHeader = t.ReadHeader
	}
	if t.Read > 0 {
		d.Read = t.Read
	}
	if t.Write > 0 {
		d.Write = t.Write
	}
	if t.Idle > 0 {
		d.Idle = t.Idle
	}
	return d
}

// HTTPServer returns the http.Server that serves s.Handler() with the
// configured timeouts and a 64 KiB header limit. Every request's context
// derives from ctx, so that cancelling ctx (shutdown) stops proposals in
// flight; the server's own errors (bad TLS, broken connections) go to the
// log as warnings.
func (s *Server) HTTPServer(ctx context.Context) *http.Server {
	t := s.cfg.Timeouts
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    maxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// TilesSource checks a basemap URL template and returns the
// Content-Security-Policy source that allows its images ("" for no
// template): the template's scheme and host, with a {s} subdomain
// placeholder widened to *.
func TilesSource(tmpl string) (string, error) {
	if tmpl == "" {
		return "", nil
	}
	u, err := url.Parse(strings.ReplaceAll(tmpl, "{s}", "s"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("tiles URL %q: want http(s)://host/{z}/{x}/{y}.png", tmpl)
	}
	for _, p := range []string{"{z}", "{x}", "{y}"} {
		if !strings.Contains(tmpl, p) {
			return "", fmt.Errorf("tiles URL %q has no %s placeholder: want http(s)://host/{z}/{x}/{y}.png", tmpl, p)
		}
	}
	host := u.Host
	if i := strings.Index(tmpl, "://"); i >= 0 {
		// {s} in the first label of the host (a.tile…, t{s}.tianditu…):
		// any subdomain of the rest.
		rawHost := tmpl[i+3:]
		if j := strings.IndexAny(rawHost, "/?"); j >= 0 {
			rawHost = rawHost[:j]
		}
		if first, rest, ok := strings.Cut(rawHost, "."); ok && strings.Contains(first, "{s}") {
			host = "*." + rest
		}
	}
	if strings.ContainsAny(host, "{}; '\"") {
		return "", fmt.Errorf("tiles URL %q: the host may hold a {s} subdomain placeholder in its first label only", tmpl)
	}
	if err := checkBasemapSource(tmpl, strings.TrimPrefix(host, "*."), u.Query()); err != nil {
		return "", err
	}
	return u.Scheme + "://" + host, nil
}

// isLoopbackAddr reports whether a listen address binds a loopback
// interface only (127.0.0.0/8, ::1 or localhost).
func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Handler returns the server's routes with logging, security headers and
// panic recovery.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(s.recoverer, s.logRequests, s.securityHeaders, middleware.GetHead)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, notFound("no such page: %s", r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, &apiError{kind: errMethod, msg: fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path)})
	})

	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})

	r.Route("/ogc", func(r chi.Router) {
		r.Get("/", s.handleLanding)
		r.Get("/conformance", s.handleConformance)
		r.Get("/collections", s.handleCollections)
		r.Get("/collections/{id}", s.handleCollection)
		r.With(s.readSlot).Get("/collections/{id}/items", s.handleItems)
		r.With(s.readSlot).Get("/collections/{id}/items/{fid}", s.handleItem)
	})

	r.With(s.readSlot).Get("/tiles/stack/{z}/{x}/{y}", s.handleTileStack)
	r.With(s.readSlot).Get("/tiles/{layer}/{z}/{x}/{y}", s.handleTile)

	r.Route("/api", func(r chi.Router) {
		r.With(s.readSlot).Get("/summary", s.handleSummary)
		r.With(s.readSlot).Get("/units/{unit_id}", s.handleUnit)
		r.With(s.readSlot).Get("/levels", s.handleLevels)
		r.With(s.readSlot).Get("/rules", s.handleRules)
		r.Get("/table/{table}", s.handleTable) // a download: not held in memory twice
		r.With(s.readSlot).Get("/facilities/{id}/catchment", s.handleFacilityCatchment)
		r.With(s.readSlot).Get("/proposals/{site_id}/catchment", s.handleSiteCatchment)
		r.With(s.requireSameSite).Post("/propose", s.handlePropose)
		r.Get("/export/{collection}", s.handleExport)
		r.Get("/scenario", s.handleScenarioState)
		r.Get("/scenarios", s.handleListScenarios)
		r.Get("/scenarios/compare", s.handleCompare)
		r.With(s.readSlot).Get("/charts/distances", s.handleDistances)
		r.Get("/glossary", s.handleGlossary)
		r.Group(func(r chi.Router) {
			r.Use(s.requireEdit)
			r.Post("/scenario", s.handleScenario)
			r.Post("/scenario/name", s.handleScenarioName)
			r.Post("/scenario/reset", s.handleReset)
			r.Post("/scenario/save", s.handleSave)
			r.Post("/scenarios/open", s.handleOpen)
			r.Post("/scenarios/delete", s.handleDelete)
			r.Post("/layer", s.handleLayer)
		})
	})

	r.Get("/", func(w http.ResponseWriter, r *http.Request) { s.serveStatic(w, r, "index.html") })
	r.Get("/glossary.js", s.handleGlossaryScript)
	r.Get("/static/*", func(w http.ResponseWriter, r *http.Request) {
		s.serveStatic(w, r, strings.TrimPrefix(r.URL.Path, "/static/"))
	})
	// The page refers to its files relatively (app.js, vendor/...), so they
	// are served at the root too.
	r.Get("/*", func(w http.ResponseWriter, r *http.Request) {
		s.serveStatic(w, r, strings.TrimPrefix(r.URL.Path, "/"))
	})
	return r
}

// serveStatic serves one embedded file; directories, invalid paths (..)
// and missing files are 404.
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request, name string) {
	if name == "" || !fs.ValidPath(name) {
		s.fail(w, r, notFound("no such file: %s", r.URL.Path))
		return
	}
	f, err := s.static.Open(name)
	if err != nil {
		s.fail(w, r, notFound("no such file: %s", r.URL.Path))
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		s.fail(w, r, notFound("no such file: %s", r.URL.Path))
		return
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		s.fail(w, r, fmt.Errorf("static %s: not seekable", name))
		return
	}
	// The binary is the version: revalidate rather than cache stale files.
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, name, st.ModTime(), rs)
}

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", s.csp)
		next.ServeHTTP(w, r)
	})
}

// logRequests logs method, path, status, duration and size of every request.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", status,
			"duration", time.Since(start).Round(time.Microsecond), "bytes", ww.BytesWritten()}
		if r.URL.RawQuery != "" {
			attrs = append(attrs, "query", shorten(r.URL.RawQuery, 200))
		}
		s.log.Info("request", attrs...)
	})
}

// recoverer turns a panic in a handler (a bug) into a logged 500.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.fail(w, r, fmt.Errorf("panic: %v\n%s", v, debug.Stack()))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// requireEdit refuses editing requests that the server must not accept:
// from another site (a page elsewhere posting to the planner's server),
// to a loopback server under a foreign host name (DNS rebinding), or to a
// non-loopback server without the edit token.
func (s *Server) requireEdit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.checkEdit(r); err != nil {
			s.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) checkEdit(r *http.Request) error {
	// A valid token proves the request's intent: browsers never add it on
	// their own, so neither another site nor a rebound host name can.
	if s.cfg.EditToken != "" && s.validToken(r) {
		return nil
	}
	if err := s.checkSameSite(r); err != nil {
		return err
	}
	if s.loopback {
		return nil
	}
	if s.cfg.EditToken == "" {
		return forbidden("editing is disabled: the server listens on a non-loopback address; restart it with --edit-token and send the token (Authorization: Bearer <token>)")
	}
	return forbidden("editing needs the edit token: send Authorization: Bearer <token> or X-Edit-Token")
}

// requireSameSite refuses requests that a page on another site, or a
// rebound host name, could make a browser send. Proposals go through it:
// they need no token (they change no facility) but do replace the shared
// latest proposal and take the solver's time.
func (s *Server) requireSameSite(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !(s.cfg.EditToken != "" && s.validToken(r)) {
			if err := s.checkSameSite(r); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// checkSameSite refuses cross-site requests (Sec-Fetch-Site, Origin) and,
// on a loopback server, foreign host names (DNS rebinding).
func (s *Server) checkSameSite(r *http.Request) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return forbidden("cross-site request refused: edit from the map page served by this server")
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			return forbidden("cross-origin request refused: edit from the map page served by this server")
		}
	}
	if s.loopback {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		if !isLoopbackAddr(host) {
			return forbidden("host %q refused: this server listens on loopback only; open it as http://127.0.0.1 or http://localhost (behind a proxy, start it with --edit-token and send the token)", shorten(host, 80))
		}
	}
	return nil
}

// validToken reports whether the request carries the edit token
// (Authorization: Bearer <token>, or X-Edit-Token), compared in constant
// time.
func (s *Server) validToken(r *http.Request) bool {
	got := r.Header.Get("X-Edit-Token")
	if a := r.Header.Get("Authorization"); got == "" && len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		got = strings.TrimSpace(a[7:])
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.EditToken)) == 1
}

// editEnabled reports whether the page may offer editing at all.
func (s *Server) editEnabled() bool { return s.loopback || s.cfg.EditToken != "" }

// baseURL is the scheme and host the client used, for absolute links.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
