// Package postgis keeps lifecircle projects in PostgreSQL/PostGIS (team
// mode, DESIGN §4 "Storage"): the input layers of each project, the walk
// network, every audit and proposal run with its results, and what-if
// scenarios, in a versioned schema named lifecircle.
//
// It talks to the server through pgx (a pgxpool.Pool, a context on every
// call). Geometries move as (E)WKB via orb/encoding; every geometry is WGS84
// lon/lat, SRID 4326, with a GiST index. Bulk loads use COPY inside one
// transaction, so an import or a run is either all there or not at all.
// Values always travel as query parameters; project names are checked
// against [A-Za-z0-9_-]{1,64} and never spliced into SQL.
//
// The schema is created and upgraded by the ordered migrations embedded
// from migrations/*.sql, each run once in a transaction under an advisory
// lock and recorded in lifecircle.schema_version. After `CREATE EXTENSION
// postgis` (a superuser, once per database) the database user needs no
// superuser rights.
//
// Scenario saves and loads that fail because the server cannot be reached
// (stopped, restarting, network down) wrap ErrUnavailable, and are retried
// once on a fresh connection when they lost theirs before committing.
//
// It may import data, data/osm, planner, geo, orb and pgx; nothing imports
// it but data/study (the database Source), cmd/lifecircle and web's fault
// tests: web reaches it only through interfaces (checked by
// TestPostgisImportRule in data and TestWebImportsNoStorage in web).
package postgis
