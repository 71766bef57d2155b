// Package web is lifecircle's HTTP adapter: the map page (embedded static
// files), the OGC API – Features (Part 1 Core, GeoJSON) under /ogc for GIS
// tools such as QGIS and GDAL, and the JSON analysis API under /api
// (summary, unit details, facilities' walking catchments, proposals,
// what-if scenario edits, dropped layers, exports), and vector tiles
// (MVT, orb/encoding/mvt) under /tiles for the map's large layers: the
// offline background drawn from the study's OSM extract, the streets and
// the units (tiles.go), cached per tile and per scenario version.
//
// A Server holds a planner.Scenario (the live audit) and its
// configuration; handlers are its methods and r.Context() flows into every
// long computation. Reads that compute run in a bounded number of slots
// (admit.go) and edits never wait for one, so that edits stay interactive
// under many readers. Errors map to HTTP statuses in one table (errors.go)
// and reach clients in one JSON shape; internal details stay in the log.
//
// Import rules: web imports planner, geo and data (for GeoJSON encoding and
// layer readers), chi and the standard library; it never imports cmd, and
// imports no storage package (data/postgis, pgx, database/sql): it reaches
// stores only through interfaces (ScenarioStore, the study's Source), which
// TestWebImportsNoStorage checks. (Its load test drives a live server with
// cmd/lifecircle/loadtest, a standard-library HTTP client, and its fault
// test stores scenarios with data/postgis.)
package web
