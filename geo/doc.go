// Package geo is lifecircle's geometry and graph toolbox: great-circle
// lengths, the Lambert azimuthal equal-area projection and footprint areas
// (laea.go), planar point-in-polygon, ring areas and representative points
// (planar.go), an R-tree polygon index (polyindex.go), the walk network
// (compact CSR graph with compressed degree-2 chains), snapping to the
// nearest point on an edge through an R-tree, bounded multi-source
// shortest paths, the stretches of street a search reaches within a limit
// (EdgeReach, EdgeSlice), a grid-buffer outline of lines (GridHull), and
// sub-networks (Network.Sub) that snap and search as the whole where they
// hold every edge that matters (a sharded audit's halo).
//
// geo imports only the standard library, github.com/paulmach/orb and
// github.com/tidwall/rtree: no project package (checked by planner's
// TestImportRules). It knows nothing of files, OSM libraries, profiles or
// HTTP. Coordinates are orb.Point values: [lon, lat] in WGS84 degrees;
// projected coordinates are x east and y north in metres.
package geo
