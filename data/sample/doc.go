// Package sample holds the bundled sample data (central Helsinki, OSM
// 2019-04, ODbL © OpenStreetMap contributors) embedded in the binary, so
// `lifecircle audit --sample` and `lifecircle serve` work with no input.
//
// It owns the embedded extract and writing it to a cache file; it imports
// only the standard library.
package sample
