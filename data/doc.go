// Package data reads and writes lifecircle's inputs and outputs: OSM
// (PBF/XML), GeoJSON and CSV layers, amenity profile files, and atomic
// output files. It turns files into geo and planner values; it holds no
// analysis logic.
package data
