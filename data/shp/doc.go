// Package shp reads ESRI Shapefiles: the .shp geometries (Point, MultiPoint,
// PolyLine, Polygon and their Z/M variants, Z and M ignored; polygon rings
// grouped by orientation), the .dbf attributes (C, N, F, L, D fields), the
// .prj coordinate system (through data/crs) and the .cpg text encoding
// (UTF-8, GBK/936/GB2312/GB18030 and the other encodings of
// golang.org/x/text). Without a .cpg, a .dbf whose text is not valid UTF-8
// is read as GBK, and the Layer says the encoding was guessed.
//
// It is a small reader of its own, following the ESRI Shapefile Technical
// Description (1998) and the dBASE III file layout, rather than a library:
// github.com/jonas-p/go-shp, the usual Go Shapefile package, is not served by
// the module proxy this project builds with (403), has had no release since
// 2018 and does not handle .cpg encodings. The parsers take bytes and are
// fuzzed (FuzzReadSHP, FuzzReadDBF); bad input gives an error naming the file
// and the record, never a panic.
//
// Geometries stay in the file's own coordinates; Layer.Convert and
// ReadWGS84 convert them to WGS84 lon/lat.
//
// It imports only the standard library, orb, golang.org/x/text and
// lifecircle's data/crs.
package shp
