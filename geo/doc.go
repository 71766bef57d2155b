// Package geo is lifecircle's geometry and graph toolbox: great-circle
// lengths, local projections, the walk network (compact CSR graph with
// compressed degree-2 chains), snapping to the nearest point on an edge
// through an R-tree, and bounded multi-source shortest paths.
//
// geo imports only the standard library, github.com/paulmach/orb and
// github.com/tidwall/rtree. It knows nothing of files, OSM libraries,
// profiles or HTTP. Coordinates are orb.Point values: [lon, lat] in WGS84.
package geo
