// Package gpkg reads and writes OGC GeoPackage files (GeoPackage 1.4):
// the feature layers of a .gpkg as geojson.FeatureCollections, and new
// GeoPackages of feature layers (WGS84, with an R-tree spatial index)
// and plain attribute tables, such as an audit's summary.
//
// It owns the GeoPackage binary geometry format (the "GP" header around
// standard WKB, DecodeBlob/EncodeBlob), the core gpkg_* tables and the
// mapping between SQLite columns and feature properties. It does not
// reproject: a layer's coordinates come back as stored, with its SRS from
// gpkg_spatial_ref_sys, and the caller converts them; the writer stores
// WGS84 (EPSG:4326) only. Splitting "file.gpkg#layer" is the caller's.
//
// Libraries: modernc.org/sqlite, a pure-Go SQLite (no cgo), whose build
// includes the R-tree module; orb/encoding/wkb for 2D WKB. WKB with Z or
// M values, which orb does not read, is read here (and flattened to 2D)
// by a small decoder covered by FuzzGeometryBlob.
//
// It may import the standard library, github.com/paulmach/orb and
// modernc.org/sqlite — nothing of lifecircle's, so any reader or writer
// of ours can use it.
package gpkg
