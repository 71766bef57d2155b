// Package synth generates synthetic cities for benchmarks and tests: a
// jittered street lattice of any size written as an OpenStreetMap .osm.pbf,
// plus GeoJSON/CSV layers of facilities, demand points and candidate sites
// placed inside the city's bounding box.
//
// Output is deterministic for a given seed. Coordinates are lon/lat (WGS84);
// distances are metres. The package carries its own minimal PBF encoder
// (WritePBF) because paulmach/osm only reads PBF.
//
// It imports only the standard library, orb and protobuf's wire helpers; it
// knows nothing of geo or planner, so a benchmark can make data without
// pulling in the code it measures.
package synth
