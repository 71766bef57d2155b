// Command gencity writes a synthetic city for benchmarks: a jittered street
// lattice as city.osm.pbf plus facility, demand-point and candidate layers
// (GeoJSON, and points also as CSV). Output is deterministic for a seed.
//
//	gencity -nodes 1000000 -facilities 2000 -points 100000 -candidates 10000 -out /tmp/city1m
//
// Progress goes to stderr; nothing is written to stdout.
//
// It imports data/synth (which makes the city), orb and the standard
// library; nothing imports it.
package main
