package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/lifecircle/lifecircle/web"
)

func init() {
	register("serve", "map UI and HTTP API (OGC API – Features, what-if edits, proposals)", runServe)
}

// serveShutdownGrace is the grace period for requests in flight at
// shutdown. The server's timeouts are web.DefaultTimeouts.
const serveShutdownGrace = 10 * time.Second

const serveHelp = `Serves a map of walkable coverage for planners, and the same figures to GIS tools:

  /            the map page (works offline): gaps per cell, facilities, proposals,
               what-if edits (add, move, remove, undo), dropped layers, export
  /ogc         OGC API – Features: every layer for QGIS and GDAL
               (ogrinfo OAPIF:http://127.0.0.1:8080/ogc)
  /api         JSON: summary, units, propose, scenario edits, save, export
  /tiles       vector tiles: the offline background (buildings, water, parks,
               railways, boundaries from the OSM extract), streets and units

Inputs are those of audit (or -c lifecircle.yaml); with no street network given it
serves the bundled sample (central Helsinki), so a new user sees a map at once.

Binds 127.0.0.1:8080 by default. On any other address, editing is refused unless
started with --edit-token (or LIFECIRCLE_EDIT_TOKEN) and the request sends the token
(Authorization: Bearer <token>). A saved scenario NAME is the folder
--workspace/scenarios/NAME/ (scenario.json: the edits; facilities.geojson),
replaced as a whole by each save.

Examples:
  lifecircle serve
  lifecircle serve -c lifecircle.yaml
  lifecircle serve --osm district.osm.pbf --amenities stations.csv --coords gcj02`

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("serve", "[inputs as for audit] [--addr HOST:PORT] [--tiles URL] [--edit-token T] [--workspace DIR]",
		serveHelp, e.stderr)
	var af auditFlags
	af.register(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address host:port (loopback by default; port 0 picks a free port)")
	tiles := fs.String("tiles", "", "office tile server, XYZ template, e.g. https://tiles.example.org/{z}/{x}/{y}.png or Tianditu's …vec_w…&tk=KEY; GCJ-02 sources (Amap, Tencent) are refused (default: the offline background drawn from the OSM extract, no internet)")
	token := fs.String("edit-token", "", "token that allows editing on a non-loopback --addr (default: $LIFECIRCLE_EDIT_TOKEN)")
	workspace := fs.String("workspace", "", "folder for saved scenarios (default: the project file's folder, else ./lifecircle-workspace)")
	quiet := fs.Bool("quiet", false, "no progress on stderr (request logs are still written)")
	var dbf dbFlags // team mode: --db, --project (db.go)
	dbf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := af.resolve(fs); err != nil {
		return err
	}
	if _, err := web.TilesSource(*tiles); err != nil {
		return usagef("--tiles: %v", err)
	}
	if *token == "" {
		*token = os.Getenv("LIFECIRCLE_EDIT_TOKEN")
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		return usagef("--addr %q: want host:port, e.g. 127.0.0.1:8080", *addr)
	}
	ws := *workspace
	if ws == "" {
		if af.project != "" {
			ws = filepath.Dir(af.project)
		} else {
			ws = "lifecircle-workspace"
		}
	}
	if af.s.OSM == "" && af.s.Network == "" && !af.s.Sample && !dbf.enabled() {
		af.s.Sample = true
		fmt.Fprintln(e.stderr, "no street network given (--osm, --network or -c): serving the bundled sample, central Helsinki (© OpenStreetMap contributors)")
	}

	start := time.Now()
	p := newProgress(e.stderr, *quiet)
	db, err := openDB(ctx, &dbf, p)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.load(ctx, &af, p)
	if err != nil {
		return err
	}
	sc, err := newScenario(ctx, st, p)
	if err != nil {
		return err
	}
	bg, err := st.Background(ctx) // the map's offline background, not the audit's
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another server using the port? choose another with --addr)", *addr, err)
	}
	kind := "cells"
	if st.HasUnits() {
		kind = "units"
	}
	srv, err := web.New(sc, web.Config{
		Addr: ln.Addr().String(), EditToken: *token, Tiles: *tiles, Workspace: ws,
		UnitsKind: kind, Coords: st.Inputs.Coords, Version: version, Scenarios: db.scenarios(), CellSize: st.Settings.Cell,
		FacilityOverrides: st.Meta.FacilityOverrides,
		Warnings:          st.Meta.WarningDetails, Background: bg, Title: st.Meta.Title,
	}, e.log)
	if err != nil {
		ln.Close()
		return err
	}
	return serveUntilDone(ctx, e, srv, ln, *token, start)
}

// serveUntilDone serves on ln until ctx ends, then shuts down gracefully.
func serveUntilDone(ctx context.Context, e *env, srv *web.Server, ln net.Listener, token string, start time.Time) error {
	// Requests end with the server: a proposal in flight stops at shutdown.
	hs := srv.HTTPServer(ctx)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()

	url := openURL(ln.Addr())
	fmt.Fprintf(e.stderr, "ready in %.1fs — open %s in a browser (OGC API: %sogc). Ctrl-C stops. %s\n",
		time.Since(start).Seconds(), url, url, "Map data © OpenStreetMap contributors (ODbL)")
	if !isLoopback(ln.Addr()) {
		if token == "" {
			fmt.Fprintf(e.stderr, "listening on a non-loopback address: the map is read-only (editing needs --edit-token)\n")
		} else {
			fmt.Fprintf(e.stderr, "listening on a non-loopback address: editing needs the edit token\n")
		}
	}

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintln(e.stderr, "shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), serveShutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// newScenario prepares the study (rounded, units placed) and audits it as
// the what-if scenario the server edits.
func newScenario(ctx context.Context, st *study.Study, p *progress) (*planner.Scenario, error) {
	if err := st.Prepare(); err != nil {
		return nil, err
	}
	if n := study.UniqueFacilityIDs(st.In.Facilities); n > 0 {
		p.Warn("%d facilities shared an id with another one (an OSM object of two types, or two layers numbered alike): renamed id:type or id~N so that edits address each", n)
	}
	p.Step("walkable coverage")
	sc, err := planner.NewScenario(ctx, st.In)
	if err != nil {
		return nil, err
	}
	p.Done("%d types × %d residents' points, %d units", len(st.In.Profile.Types), len(st.In.Demand.Points), len(st.In.Units))
	sc.View(func(_ planner.AuditInput, res *planner.AuditResult, _ []bool) {
		for _, w := range res.Warnings {
			p.Warn("%s", w)
		}
		st.AuditWarnings(res)
	})
	return sc, nil
}

// openURL is the address to give the user: a wildcard listen address is
// opened through localhost.
func openURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

func isLoopback(a net.Addr) bool {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.IsLoopback()
	}
	return false
}
