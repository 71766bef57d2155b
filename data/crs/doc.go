// Package crs owns the coordinate systems of input layers: it names them
// (Parse: wgs84, cgcs2000, gcj02, bd09, EPSG:nnnn), recognises them in the WKT
// of a Shapefile .prj or a GeoPackage (FromWKT), and converts positions between
// them and WGS84 lon/lat (ToWGS84, FromWGS84, Geometry).
//
// Supported: WGS84 (EPSG:4326), CGCS2000 geographic (EPSG:4490), the CGCS2000
// Gauss–Krüger zones (3° zones EPSG:4513–4533 with the zone number in the
// false easting and 4534–4554 without; 6° zones 4491–4501 with and 4502–4512
// without), WGS84 UTM (32601–32660 north, 32701–32760 south), web mercator
// (EPSG:3857), and the Chinese web-map systems GCJ-02 (Amap, Tencent) and
// BD-09 (Baidu).
//
// CGCS2000 is treated as WGS84. The two realisations agree to a few
// centimetres: CGCS2000 is aligned to ITRF97 at epoch 2000.0 (Yang Yuanxi,
// "Chinese geodetic coordinate system 2000", Chinese Science Bulletin 54
// (2009) 2714–2721), and WGS84 (G1150 and later) to the ITRF at the
// centimetre level; PROJ itself converts EPSG:4490 to EPSG:4326 with
// +proj=noop ("ballpark geographic offset", see `projinfo -s EPSG:4490 -t
// EPSG:4326`). The CGCS2000 ellipsoid (a = 6378137 m, 1/f = 298.257222101) is
// GRS80's, which is what PROJ uses for the CGCS2000 Gauss–Krüger zones.
//
// Transverse Mercator (Gauss–Krüger, UTM) uses Krüger's series to order 6 in
// the form of Poder and Engsager — the algorithm of PROJ's default tmerc
// ("exact" since PROJ 4.9.3 / 6) — accurate to well under a millimetre within
// a 6° zone. The tests compare it with Debian's cs2cs to 1 mm on grids
// across each family of zones.
//
// All positions are orb.Points with X = easting or longitude and Y = northing
// or latitude, whatever axis order an EPSG definition declares: Shapefiles,
// GeoPackages and GeoJSON all store x/east first.
//
// It imports only the standard library, orb and lifecircle's geo (for the
// GCJ-02 and BD-09 formulas in geo/chinacoords.go).
package crs
