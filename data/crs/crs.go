package crs

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// kind is the family of a coordinate system; the zero kind is geographic
// lon/lat, so that the zero CRS is WGS84.
type kind uint8

const (
	geographic kind = iota
	gcj02
	bd09
	transverseMercator
	webMercator
)

// A CRS is the coordinate system of an input layer. The zero CRS is WGS84
// lon/lat (EPSG:4326). CRS values are small and comparable with ==.
type CRS struct {
	kind kind
	// code is the EPSG code; 0 for WGS84 (4326) and for GCJ-02 and BD-09.
	code int
	// Transverse Mercator parameters (lat_0 is always 0 for the supported
	// zones): central meridian in degrees, false easting and northing in
	// metres, scale factor on the central meridian, and the ellipsoid.
	lon0, x0, y0, k0 float64
	ell              *ellipsoid
}

// WGS84 is WGS84 lon/lat, EPSG:4326 (the zero CRS).
var WGS84 = CRS{}

// Supported lists the families of coordinate systems Parse accepts, for
// error messages and help texts.
const Supported = "wgs84 (EPSG:4326), cgcs2000 (EPSG:4490), gcj02, bd09, " +
	"CGCS2000 3° Gauss–Krüger zones EPSG:4513–4554, CGCS2000 6° Gauss–Krüger zones EPSG:4491–4512, " +
	"WGS84 UTM EPSG:32601–32660 and 32701–32760, web mercator EPSG:3857"

const reprojectFix = "reproject the layer to WGS84 first, e.g. `ogr2ogr -t_srs EPSG:4326 out.shp in.shp`"

// ErrUnsupported is wrapped by the errors of Parse and FromWKT for a
// well-formed but unsupported coordinate system.
var ErrUnsupported = errors.New("unsupported coordinate system")

// Parse reads a coordinate system name: wgs84, cgcs2000, gcj02, bd09 (any
// case), or an EPSG code written EPSG:nnnn, epsg:nnnn or nnnn.
func Parse(s string) (CRS, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "wgs84", "wgs-84", "wgs 84":
		return WGS84, nil
	case "cgcs2000":
		return CRS{code: 4490}, nil
	case "gcj02", "gcj-02":
		return CRS{kind: gcj02}, nil
	case "bd09", "bd-09":
		return CRS{kind: bd09}, nil
	case "":
		return CRS{}, fmt.Errorf("crs: empty coordinate system: use one of %s", Supported)
	}
	num := strings.TrimPrefix(t, "epsg:")
	code, err := strconv.Atoi(num)
	if err != nil || code <= 0 || len(num) > 6 {
		return CRS{}, fmt.Errorf("crs: %q is not a coordinate system: use one of %s", s, Supported)
	}
	return FromEPSG(code)
}

// FromEPSG returns the coordinate system with the given EPSG code, or an
// error wrapping ErrUnsupported naming the supported families.
func FromEPSG(code int) (CRS, error) {
	switch {
	case code == 4326:
		return WGS84, nil
	case code == 4490:
		return CRS{code: 4490}, nil
	case code == 3857:
		return CRS{kind: webMercator, code: 3857}, nil
	case code >= 4513 && code <= 4533: // 3° zones 25–45, zone in the false easting
		zone := code - 4513 + 25
		return gk(code, float64(3*zone), float64(zone)*1e6+500000), nil
	case code >= 4534 && code <= 4554: // 3° zones, CM 75°E–135°E
		return gk(code, float64(75+3*(code-4534)), 500000), nil
	case code >= 4491 && code <= 4501: // 6° zones 13–23, zone in the false easting
		zone := code - 4491 + 13
		return gk(code, float64(6*zone-3), float64(zone)*1e6+500000), nil
	case code >= 4502 && code <= 4512: // 6° zones, CM 75°E–135°E
		return gk(code, float64(75+6*(code-4502)), 500000), nil
	case code >= 32601 && code <= 32660:
		return utm(code, code-32600, 0), nil
	case code >= 32701 && code <= 32760:
		return utm(code, code-32700, 10000000), nil
	}
	return CRS{}, fmt.Errorf("crs: EPSG:%d: %w; supported: %s — or %s", code, ErrUnsupported, Supported, reprojectFix)
}

func gk(code int, lon0, x0 float64) CRS {
	return CRS{kind: transverseMercator, code: code, lon0: lon0, x0: x0, k0: 1, ell: &grs80}
}

func utm(code, zone int, y0 float64) CRS {
	return CRS{kind: transverseMercator, code: code, lon0: float64(6*zone - 183), x0: 500000, y0: y0, k0: 0.9996, ell: &wgs84Ellipsoid}
}

// String returns the name Parse reads back: wgs84, cgcs2000, gcj02, bd09 or
// EPSG:nnnn.
func (c CRS) String() string {
	switch {
	case c.kind == gcj02:
		return "gcj02"
	case c.kind == bd09:
		return "bd09"
	case c.code == 0:
		return "wgs84"
	case c.code == 4490:
		return "cgcs2000"
	}
	return "EPSG:" + strconv.Itoa(c.code)
}

// Name returns a descriptive name in PROJ's words, e.g.
// "CGCS2000 / 3-degree Gauss-Kruger CM 114E".
func (c CRS) Name() string {
	code := c.code
	switch {
	case c.kind == gcj02:
		return "GCJ-02 (Chinese web maps: Amap, Tencent)"
	case c.kind == bd09:
		return "BD-09 (Baidu maps)"
	case code == 0:
		return "WGS 84"
	case code == 4490:
		return "China Geodetic Coordinate System 2000"
	case code == 3857:
		return "WGS 84 / Pseudo-Mercator"
	case code >= 4513 && code <= 4533:
		return fmt.Sprintf("CGCS2000 / 3-degree Gauss-Kruger zone %d", code-4513+25)
	case code >= 4534 && code <= 4554:
		return fmt.Sprintf("CGCS2000 / 3-degree Gauss-Kruger CM %gE", c.lon0)
	case code >= 4491 && code <= 4501:
		return fmt.Sprintf("CGCS2000 / Gauss-Kruger zone %d", code-4491+13)
	case code >= 4502 && code <= 4512:
		return fmt.Sprintf("CGCS2000 / Gauss-Kruger CM %gE", c.lon0)
	case code >= 32601 && code <= 32660:
		return fmt.Sprintf("WGS 84 / UTM zone %dN", code-32600)
	case code >= 32701 && code <= 32760:
		return fmt.Sprintf("WGS 84 / UTM zone %dS", code-32700)
	}
	return c.String()
}

// EPSG returns the EPSG code, or 0 for GCJ-02 and BD-09 (which have none).
func (c CRS) EPSG() int {
	switch {
	case c.kind == gcj02 || c.kind == bd09:
		return 0
	case c.code == 0:
		return 4326
	}
	return c.code
}

// IsProjected reports whether positions are planar metres (Gauss–Krüger,
// UTM, web mercator) rather than lon/lat degrees.
func (c CRS) IsProjected() bool {
	return c.kind == transverseMercator || c.kind == webMercator
}

// ToWGS84 converts a position of c to WGS84 lon/lat. It fails on NaN or
// infinite input and on positions outside the domain of the projection.
func (c CRS) ToWGS84(p orb.Point) (orb.Point, error) {
	if !finite(p) {
		return p, fmt.Errorf("crs: %s: position (%v, %v) is not a number", c, p[0], p[1])
	}
	var q orb.Point
	switch c.kind {
	case geographic:
		q = p
	case gcj02:
		if err := checkLonLat(c, p); err != nil {
			return p, err
		}
		q = geo.GCJ02ToWGS84(p)
	case bd09:
		if err := checkLonLat(c, p); err != nil {
			return p, err
		}
		q = geo.BD09ToWGS84(p)
	case webMercator:
		q = orb.Point{remainderDeg(p[0] / webR * deg), math.Atan(math.Sinh(p[1]/webR)) * deg}
	case transverseMercator:
		var ok bool
		q, ok = c.tmInverse(p)
		if !ok {
			return p, fmt.Errorf("crs: %s: position (%.3f, %.3f) is too far from the central meridian %g°E (easting %.0f m) — is this the right zone? %s",
				c, p[0], p[1], c.lon0, c.x0, hintProjected(c, p))
		}
	}
	if err := checkLonLat(WGS84, q); err != nil {
		if c.kind == geographic {
			return p, fmt.Errorf("crs: %s: position (%v, %v) is not lon/lat — are the coordinates projected? Give the layer's EPSG code", c, p[0], p[1])
		}
		return p, fmt.Errorf("crs: %s: position (%v, %v) gives %w", c, p[0], p[1], err)
	}
	return q, nil
}

// hintProjected suggests the likely zone family from the size of the easting.
func hintProjected(c CRS, p orb.Point) string {
	if p[0] >= 1e7 && c.x0 < 1e6 {
		return "the easting carries a zone number: use the EPSG code of the zone with the prefix (3° zones EPSG:4513–4533, 6° zones EPSG:4491–4501)"
	}
	if p[0] < 1e6 && c.x0 > 1e6 {
		return "the easting has no zone number: use the EPSG code of the zone without the prefix (3° zones EPSG:4534–4554, 6° zones EPSG:4502–4512)"
	}
	return "check the layer's EPSG code"
}

// FromWGS84 converts a WGS84 lon/lat position to c.
func (c CRS) FromWGS84(p orb.Point) (orb.Point, error) {
	if err := checkLonLat(WGS84, p); err != nil {
		return p, fmt.Errorf("crs: to %s: %w", c, err)
	}
	switch c.kind {
	case gcj02:
		return geo.WGS84ToGCJ02(p), nil
	case bd09:
		return geo.GCJ02ToBD09(geo.WGS84ToGCJ02(p)), nil
	case webMercator:
		if math.Abs(p[1]) > maxMercatorLat {
			return p, fmt.Errorf("crs: to %s: latitude %v is beyond ±%.4f°, outside web mercator", c, p[1], maxMercatorLat)
		}
		return orb.Point{webR * p[0] / deg, webR * math.Asinh(math.Tan(p[1]/deg))}, nil
	case transverseMercator:
		q, ok := c.tmForward(p)
		if !ok {
			return p, fmt.Errorf("crs: to %s: position (%v, %v) is too far from the central meridian %g°E", c, p[0], p[1], c.lon0)
		}
		return q, nil
	}
	return p, nil
}

const (
	deg            = 180 / math.Pi
	webR           = 6378137.0
	maxMercatorLat = 85.06
)

func finite(p orb.Point) bool {
	return !math.IsNaN(p[0]) && !math.IsNaN(p[1]) && !math.IsInf(p[0], 0) && !math.IsInf(p[1], 0)
}

func checkLonLat(c CRS, p orb.Point) error {
	if !finite(p) {
		return fmt.Errorf("position (%v, %v) is not a number", p[0], p[1])
	}
	if p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
		if c == WGS84 {
			return fmt.Errorf("lon/lat (%v, %v) outside -180..180, -90..90", p[0], p[1])
		}
		return fmt.Errorf("crs: %s: lon/lat (%v, %v) outside -180..180, -90..90 — are the coordinates projected? Give the layer's EPSG code", c, p[0], p[1])
	}
	return nil
}

// Geometry returns a copy of g with every position converted from c to
// WGS84; g is not modified. A ring keeps its orientation only as far as the
// conversion preserves it (all supported ones are conformal or nearly so).
func (c CRS) Geometry(g orb.Geometry) (orb.Geometry, error) {
	return c.mapGeometry(g, c.ToWGS84)
}

// GeometryFromWGS84 returns a copy of the WGS84 geometry g in c.
func (c CRS) GeometryFromWGS84(g orb.Geometry) (orb.Geometry, error) {
	return c.mapGeometry(g, c.FromWGS84)
}

func (c CRS) mapGeometry(g orb.Geometry, f func(orb.Point) (orb.Point, error)) (orb.Geometry, error) {
	points := func(ps []orb.Point) ([]orb.Point, error) {
		out := make([]orb.Point, len(ps))
		for i, p := range ps {
			q, err := f(p)
			if err != nil {
				return nil, err
			}
			out[i] = q
		}
		return out, nil
	}
	rings := func(rs []orb.Ring) ([]orb.Ring, error) {
		out := make([]orb.Ring, len(rs))
		for i, r := range rs {
			q, err := points(r)
			if err != nil {
				return nil, err
			}
			out[i] = q
		}
		return out, nil
	}
	switch g := g.(type) {
	case nil:
		return nil, nil
	case orb.Point:
		return f(g)
	case orb.MultiPoint:
		ps, err := points(g)
		return orb.MultiPoint(ps), err
	case orb.LineString:
		ps, err := points(g)
		return orb.LineString(ps), err
	case orb.Ring:
		ps, err := points(g)
		return orb.Ring(ps), err
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(g))
		for i, l := range g {
			ps, err := points(l)
			if err != nil {
				return nil, err
			}
			out[i] = ps
		}
		return out, nil
	case orb.Polygon:
		rs, err := rings(g)
		return orb.Polygon(rs), err
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, pg := range g {
			rs, err := rings(pg)
			if err != nil {
				return nil, err
			}
			out[i] = rs
		}
		return out, nil
	case orb.Collection:
		out := make(orb.Collection, len(g))
		for i, h := range g {
			q, err := c.mapGeometry(h, f)
			if err != nil {
				return nil, err
			}
			out[i] = q
		}
		return out, nil
	case orb.Bound:
		// A box is not a box in another system: convert its outline.
		return c.mapGeometry(g.ToPolygon(), f)
	}
	return nil, fmt.Errorf("crs: %s: unsupported geometry type %T", c, g)
}
