// Command lifecircle plans walkable access to everyday amenities: it audits
// how many residents reach each amenity type on foot within the standard
// distance, proposes new sites, and serves a map for planners.
//
// cmd/lifecircle is the one binary and holds flags, printing and exit codes
// only: main parses the verb and wires dependencies, each verb lives in its
// own file (nearest.go, audit.go, ...), and the work is done by data/study
// (the study pipeline: settings, loading, running, writing), data (readers,
// writers, the comparison of two runs), web (the server) and planner. No
// non-test function here is over 80 lines (TestNoLongFunctions).
//
// It may import every package of the module; nothing imports it.
package main
