// Package osm reads OpenStreetMap extracts (.osm.pbf, .osm, .osm.gz, .osm.bz2)
// into the few features lifecircle needs: tagged nodes as points, ways with
// their geometry, and relations with their members. A Filter decides what is
// kept, so memory grows with what is kept, not with the file: the file is
// streamed in up to three passes (relations, ways, nodes).
//
// Coordinates are WGS84 lon/lat (orb.Point{lon, lat}). Extracts are cut at
// their edge: a way that references nodes missing from the file is split at
// the gap into several Way values with the same ID, never joined across it.
//
// PBF is decoded by a small bounds-checked decoder in this package (pbf.go),
// not by github.com/paulmach/osm/osmpbf, because osmpbf v0.8.0 panics inside
// its own goroutines on some valid and corrupt files (plain, non-dense nodes;
// out-of-range string indices), and such a panic cannot be recovered. OSM XML
// is read with github.com/paulmach/osm/osmxml.
//
// The package may import the standard library, orb and paulmach/osm; it holds
// no analysis logic.
package osm
