// Package data holds lifecircle's adapters for files: the GeoJSON codec,
// the layer readers (GeoJSON, CSV, coordinate systems; layer.go,
// geojson_read.go, csv.go), project and amenity profile files, the outputs
// (atomic folders, the audit, levels, proposal and nearest writers,
// summary.json as a typed Summary, report.html) and their read-back
// (ReadAudit), and the comparison of two audit runs (DiffRuns, WriteDiff).
// It turns files into geo and planner values and back; it holds no
// analysis logic. Its subpackages are the other technologies: data/osm
// (OSM PBF/XML), data/postgis (PostgreSQL/PostGIS), data/crs (coordinate
// systems), data/shp (Shapefiles), data/gpkg (GeoPackages), data/xlsx
// (Excel), data/synth (synthetic cities), data/sample (the bundled
// extract), data/shareddata (the tests' data) and data/study (the study
// pipeline above them all).
//
// Import rules: data imports the standard library, data/osm, geo, planner,
// orb and yaml; never data/study, web or cmd. Of the data packages only
// data/study imports data/postgis, and only data/postgis imports pgx
// (checked by TestPostgisImportRule).
package data
