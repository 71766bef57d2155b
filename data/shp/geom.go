package shp

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// Shape types of the ESRI Shapefile Technical Description (July 1998), table 1.
const (
	typeNull        = 0
	typePoint       = 1
	typePolyLine    = 3
	typePolygon     = 5
	typeMultiPoint  = 8
	typePointZ      = 11
	typePolyLineZ   = 13
	typePolygonZ    = 15
	typeMultiPointZ = 18
	typePointM      = 21
	typePolyLineM   = 23
	typePolygonM    = 25
	typeMultiPointM = 28
	typeMultiPatch  = 31
)

var typeNames = map[int32]string{
	typeNull: "Null", typePoint: "Point", typePolyLine: "PolyLine", typePolygon: "Polygon",
	typeMultiPoint: "MultiPoint", typePointZ: "PointZ", typePolyLineZ: "PolyLineZ",
	typePolygonZ: "PolygonZ", typeMultiPointZ: "MultiPointZ", typePointM: "PointM",
	typePolyLineM: "PolyLineM", typePolygonM: "PolygonM", typeMultiPointM: "MultiPointM",
	typeMultiPatch: "MultiPatch",
}

func typeName(t int32) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("unknown type %d", t)
}

const shpHeaderLen = 100

// A shpError is an error in one record of a .shp file (record numbers are
// 1-based, as in the file and in GIS software).
func recordErr(name string, rec int, format string, args ...any) error {
	return fmt.Errorf("%s: record %d: %s", name, rec, fmt.Sprintf(format, args...))
}

// decodeSHP reads the geometries of a .shp file in record order, in the
// file's own coordinates; a Null shape gives a nil geometry. Z and M values
// are ignored. name is used in errors.
func decodeSHP(name string, data []byte) ([]orb.Geometry, error) {
	if len(data) < shpHeaderLen {
		return nil, fmt.Errorf("%s: %d bytes is shorter than the 100-byte header of a .shp file — the file is truncated or not a shapefile; copy it again", name, len(data))
	}
	if code := binary.BigEndian.Uint32(data[0:4]); code != 9994 {
		return nil, fmt.Errorf("%s: not a .shp file (file code %d, want 9994) — is it another file renamed .shp?", name, code)
	}
	fileType := int32(binary.LittleEndian.Uint32(data[32:36]))
	if !supportedType(fileType) {
		return nil, fmt.Errorf("%s: shape type %s is not supported (Point, MultiPoint, PolyLine, Polygon and their Z/M variants are) — convert it, e.g. ogr2ogr -nlt PROMOTE_TO_MULTI", name, typeName(fileType))
	}
	// The header's file length (in 16-bit words) bounds the records; trailing
	// bytes beyond it are ignored, a shorter file is truncated.
	end := int64(binary.BigEndian.Uint32(data[24:28])) * 2
	if end > int64(len(data)) {
		return nil, fmt.Errorf("%s: the header says %d bytes but the file has %d — the file is truncated; copy it again", name, end, len(data))
	}
	if end < shpHeaderLen {
		end = int64(len(data))
	}
	body := data[shpHeaderLen:end]
	// Points are 28 bytes a record: a good first guess for the capacity.
	geoms := make([]orb.Geometry, 0, len(body)/28)
	for off, rec := 0, 1; off < len(body); rec++ {
		if len(body)-off < 8 {
			return nil, recordErr(name, rec, "truncated record header (%d bytes left, want 8) — the file is incomplete; copy it again", len(body)-off)
		}
		n := int64(binary.BigEndian.Uint32(body[off+4:off+8])) * 2
		off += 8
		if n > int64(len(body)-off) {
			return nil, recordErr(name, rec, "truncated: the record says %d bytes but %d are left — the file is incomplete; copy it again", n, len(body)-off)
		}
		g, err := decodeShape(body[off : off+int(n)])
		if err != nil {
			return nil, recordErr(name, rec, "%v", err)
		}
		geoms = append(geoms, g)
		off += int(n)
	}
	return geoms, nil
}

func supportedType(t int32) bool {
	switch t {
	case typeNull, typePoint, typePointZ, typePointM,
		typeMultiPoint, typeMultiPointZ, typeMultiPointM,
		typePolyLine, typePolyLineZ, typePolyLineM,
		typePolygon, typePolygonZ, typePolygonM:
		return true
	}
	return false
}

// decodeShape reads one record's content.
func decodeShape(b []byte) (orb.Geometry, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("truncated: %d bytes, no shape type", len(b))
	}
	t := int32(binary.LittleEndian.Uint32(b))
	b = b[4:]
	switch t {
	case typeNull:
		return nil, nil
	case typePoint, typePointZ, typePointM:
		if len(b) < 16 {
			return nil, fmt.Errorf("truncated %s: %d bytes, want 16", typeName(t), len(b))
		}
		p := point(b)
		if !finite(p) {
			return nil, fmt.Errorf("%s has a coordinate that is not a number", typeName(t))
		}
		return p, nil
	case typeMultiPoint, typeMultiPointZ, typeMultiPointM:
		if len(b) < 36 {
			return nil, fmt.Errorf("truncated %s: %d bytes, want at least 36", typeName(t), len(b))
		}
		n := int64(binary.LittleEndian.Uint32(b[32:36]))
		if n*16 > int64(len(b)-36) {
			return nil, fmt.Errorf("truncated %s: %d points need %d bytes, %d left", typeName(t), n, n*16, len(b)-36)
		}
		if n == 0 {
			return nil, nil
		}
		ps, err := points(b[36:], int(n))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", typeName(t), err)
		}
		return orb.MultiPoint(ps), nil
	case typePolyLine, typePolyLineZ, typePolyLineM, typePolygon, typePolygonZ, typePolygonM:
		parts, err := decodeParts(t, b)
		if err != nil || len(parts) == 0 {
			return nil, err
		}
		switch t {
		case typePolyLine, typePolyLineZ, typePolyLineM:
			if len(parts) == 1 {
				return orb.LineString(parts[0]), nil
			}
			ml := make(orb.MultiLineString, len(parts))
			for i, p := range parts {
				ml[i] = p
			}
			return ml, nil
		}
		return assemblePolygons(parts), nil
	}
	return nil, fmt.Errorf("shape type %s is not supported (Point, MultiPoint, PolyLine, Polygon and their Z/M variants are)", typeName(t))
}

// decodeParts reads the parts of a PolyLine or Polygon: box, NumParts,
// NumPoints, Parts[NumParts], Points[NumPoints] (then Z and M, ignored).
func decodeParts(t int32, b []byte) ([][]orb.Point, error) {
	if len(b) < 40 {
		return nil, fmt.Errorf("truncated %s: %d bytes, want at least 40", typeName(t), len(b))
	}
	np := int64(binary.LittleEndian.Uint32(b[32:36]))
	n := int64(binary.LittleEndian.Uint32(b[36:40]))
	if need := 40 + 4*np + 16*n; need > int64(len(b)) {
		return nil, fmt.Errorf("truncated %s: %d parts and %d points need %d bytes, %d left", typeName(t), np, n, need, len(b))
	}
	if n == 0 || np == 0 {
		return nil, nil
	}
	all, err := points(b[40+4*np:], int(n))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", typeName(t), err)
	}
	parts := make([][]orb.Point, 0, np)
	for i := int64(0); i < np; i++ {
		start := int64(int32(binary.LittleEndian.Uint32(b[40+4*i:])))
		stop := n
		if i+1 < np {
			stop = int64(int32(binary.LittleEndian.Uint32(b[40+4*(i+1):])))
		}
		if start < 0 || start >= stop || stop > n || (i == 0 && start != 0) {
			return nil, fmt.Errorf("%s: part %d spans points %d..%d of %d — the part offsets are broken", typeName(t), i+1, start, stop, n)
		}
		// Full slice expressions: appending to one part must not overwrite the next.
		parts = append(parts, all[start:stop:stop])
	}
	return parts, nil
}

func point(b []byte) orb.Point {
	return orb.Point{
		math.Float64frombits(binary.LittleEndian.Uint64(b)),
		math.Float64frombits(binary.LittleEndian.Uint64(b[8:])),
	}
}

func points(b []byte, n int) ([]orb.Point, error) {
	ps := make([]orb.Point, n)
	for i := range ps {
		ps[i] = point(b[16*i:])
		if !finite(ps[i]) {
			return nil, fmt.Errorf("point %d has a coordinate that is not a number", i+1)
		}
	}
	return ps, nil
}

func finite(p orb.Point) bool {
	return !math.IsNaN(p[0]) && !math.IsInf(p[0], 0) && !math.IsNaN(p[1]) && !math.IsInf(p[1], 0)
}

// assemblePolygons groups the rings of a Polygon record into polygons. In a
// Shapefile outer rings run clockwise and holes counter-clockwise; each hole
// goes to the smallest outer ring that contains it, and a hole that no outer
// ring contains is kept as an outer ring of its own (as GDAL does). Rings
// are returned the RFC 7946 way: outer counter-clockwise, holes clockwise.
// One polygon gives an orb.Polygon, several an orb.MultiPolygon.
func assemblePolygons(parts [][]orb.Point) orb.Geometry {
	type outer struct {
		rings orb.Polygon
		area  float64
	}
	var outers []outer
	var holes []orb.Ring
	for _, p := range parts {
		r := orb.Ring(p)
		a := signedArea(r)
		if a <= 0 { // clockwise (or degenerate): an outer ring
			reverse(r)
			outers = append(outers, outer{rings: orb.Polygon{r}, area: -a})
		} else {
			reverse(r)
			holes = append(holes, r)
		}
	}
	for _, h := range holes {
		best := -1
		if len(outers) == 1 {
			best = 0
		} else {
			for i, o := range outers {
				if ringContains(o.rings[0], h[0]) && (best < 0 || o.area < outers[best].area) {
					best = i
				}
			}
		}
		if best < 0 {
			reverse(h)
			outers = append(outers, outer{rings: orb.Polygon{h}})
			continue
		}
		outers[best].rings = append(outers[best].rings, h)
	}
	if len(outers) == 1 {
		return outers[0].rings
	}
	mp := make(orb.MultiPolygon, len(outers))
	for i, o := range outers {
		mp[i] = o.rings
	}
	return mp
}

// signedArea is twice the shoelace area: positive counter-clockwise (x east,
// y north).
func signedArea(r orb.Ring) float64 {
	if len(r) < 3 {
		return 0
	}
	var s float64
	// Relative to the first vertex, for precision with projected coordinates
	// of tens of millions of metres.
	x0, y0 := r[0][0], r[0][1]
	for i := 1; i+1 < len(r); i++ {
		s += (r[i][0]-x0)*(r[i+1][1]-y0) - (r[i+1][0]-x0)*(r[i][1]-y0)
	}
	return s
}

func reverse(r orb.Ring) {
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
}

// ringContains is the even-odd rule for p in r.
func ringContains(r orb.Ring, p orb.Point) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}
