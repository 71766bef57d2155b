package gpkg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// GeoPackage binary geometry header (GeoPackage 1.4 §2.1.3.1.1):
//
//	magic "GP" | version (0) | flags | srs_id int32 | envelope | WKB
//
// flags, from the high bit down: 2 reserved bits, X (1 = extended
// geometry type), Y (1 = empty geometry), 3 bits E (envelope contents:
// 0 none, 1 xy, 2 xyz, 3 xym, 4 xyzm) and B (byte order of srs_id and
// envelope: 0 big endian, 1 little endian).
const (
	flagLittle   = 0x01
	flagEmpty    = 0x10
	flagExtended = 0x20
	envelopeMask = 0x0e
	headerSize   = 8
)

// envelopeBytes is the envelope size for each contents code E.
var envelopeBytes = [8]int{0, 32, 48, 48, 64, -1, -1, -1}

// A Blob is a decoded GeoPackage geometry.
type Blob struct {
	SRSID int32
	// Geometry is nil for an empty geometry (the header's empty flag, or a
	// WKB point with NaN coordinates, as GeoPackage writes POINT EMPTY).
	Geometry orb.Geometry
	// Envelope is the header's envelope (minx, maxx, miny, maxy); nil
	// when the header has none.
	Envelope []float64
	// Flattened is true when the WKB had Z and/or M values, which were
	// dropped: lifecircle works in 2D.
	Flattened bool
}

// DecodeBlob decodes a GeoPackage geometry blob. The WKB is read by
// orb/encoding/wkb for 2D geometries; geometries with Z or M values (ISO
// type codes 1000+, 2000+, 3000+ or the EWKB high bits) are read by
// readWKB here and flattened to 2D, which orb cannot do.
func DecodeBlob(b []byte) (Blob, error) {
	var out Blob
	if len(b) < headerSize {
		return out, fmt.Errorf("geometry blob of %d bytes is shorter than the %d-byte GeoPackage header", len(b), headerSize)
	}
	if b[0] != 'G' || b[1] != 'P' {
		return out, fmt.Errorf("geometry blob does not start with the GeoPackage magic \"GP\" (got % x) — is this a SpatiaLite or plain WKB column? Convert with ogr2ogr -f GPKG", b[:2])
	}
	if b[2] != 0 {
		return out, fmt.Errorf("geometry blob has GeoPackage binary version %d; only version 0 (GeoPackage 1.x) is defined", b[2])
	}
	flags := b[3]
	if flags&flagExtended != 0 {
		return out, errors.New("geometry blob uses an extended (non-standard) geometry type, which is not supported — convert it to a standard type with ogr2ogr")
	}
	var order binary.ByteOrder = binary.BigEndian
	if flags&flagLittle != 0 {
		order = binary.LittleEndian
	}
	out.SRSID = int32(order.Uint32(b[4:8]))
	code := (flags & envelopeMask) >> 1
	n := envelopeBytes[code]
	if n < 0 {
		return out, fmt.Errorf("geometry blob has envelope code %d; only 0–4 are defined", code)
	}
	if len(b) < headerSize+n {
		return out, fmt.Errorf("geometry blob of %d bytes is too short for its %d-byte envelope", len(b), n)
	}
	if n > 0 {
		out.Envelope = make([]float64, n/8)
		for i := range out.Envelope {
			out.Envelope[i] = math.Float64frombits(order.Uint64(b[headerSize+8*i:]))
		}
	}
	w := b[headerSize+n:]
	if flags&flagEmpty != 0 {
		return out, nil
	}
	g, flat, err := decodeWKB(w)
	if err != nil {
		return out, err
	}
	out.Flattened = flat
	if p, ok := g.(orb.Point); ok && math.IsNaN(p[0]) && math.IsNaN(p[1]) {
		return out, nil
	}
	out.Geometry = g
	return out, nil
}

// decodeWKB decodes standard WKB, reporting whether Z/M were dropped.
func decodeWKB(w []byte) (orb.Geometry, bool, error) {
	if len(w) < 5 {
		return nil, false, fmt.Errorf("WKB of %d bytes is too short", len(w))
	}
	if w[0] > 1 {
		return nil, false, fmt.Errorf("WKB byte order %d is neither 0 (big endian) nor 1 (little endian)", w[0])
	}
	typ := wkbOrder(w[0]).Uint32(w[1:5])
	if _, dims, err := splitType(typ); err != nil {
		return nil, false, err
	} else if dims == 2 && !hasNested3D(typ) {
		g, err := wkb.Unmarshal(w)
		if err != nil {
			return nil, false, fmt.Errorf("WKB: %w", err)
		}
		return g, false, nil
	}
	r := wkbReader{buf: w}
	g, err := r.geometry(0)
	if err != nil {
		return nil, false, err
	}
	return g, true, nil
}

// hasNested3D reports collection types, whose members orb's decoder
// would misread if they had Z or M: those are always read by readWKB.
func hasNested3D(typ uint32) bool {
	base, _, _ := splitType(typ)
	return base == 7
}

func wkbOrder(b byte) binary.ByteOrder {
	if b == 0 {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// splitType returns the base type (1–7) and the number of ordinates per
// position (2, 3 or 4) of an ISO or EWKB type code.
func splitType(typ uint32) (base uint32, dims int, err error) {
	dims = 2
	if typ&0x80000000 != 0 { // EWKB Z
		dims++
	}
	if typ&0x40000000 != 0 { // EWKB M
		dims++
	}
	if typ&0x20000000 != 0 {
		return 0, 0, fmt.Errorf("WKB type %#x carries an EWKB SRID, which GeoPackage does not allow", typ)
	}
	t := typ & 0x0fffffff
	switch t / 1000 {
	case 1, 2: // Z or M
		dims++
	case 3: // ZM
		dims += 2
	case 0:
	default:
		return 0, 0, fmt.Errorf("WKB geometry type %d is not supported", t)
	}
	base = t % 1000
	if base < 1 || base > 7 || dims > 4 {
		return 0, 0, fmt.Errorf("WKB geometry type %d is not supported (only points, lines, polygons, their multi forms and collections)", t)
	}
	return base, dims, nil
}

// wkbReader reads WKB with any dimension, dropping Z and M.
type wkbReader struct {
	buf []byte
	off int
}

// maxDepth bounds collection nesting so a crafted blob cannot exhaust the
// stack.
const maxDepth = 32

func (r *wkbReader) need(n int) error {
	if n < 0 || len(r.buf)-r.off < n {
		return fmt.Errorf("WKB is cut short at byte %d", r.off)
	}
	return nil
}

func (r *wkbReader) header() (binary.ByteOrder, uint32, int, error) {
	if err := r.need(5); err != nil {
		return nil, 0, 0, err
	}
	if r.buf[r.off] > 1 {
		return nil, 0, 0, fmt.Errorf("WKB byte order %d at byte %d is neither 0 nor 1", r.buf[r.off], r.off)
	}
	o := wkbOrder(r.buf[r.off])
	base, dims, err := splitType(o.Uint32(r.buf[r.off+1:]))
	r.off += 5
	return o, base, dims, err
}

// count reads an element count, refusing counts the remaining bytes
// cannot hold (each element needs at least min bytes).
func (r *wkbReader) count(o binary.ByteOrder, min int) (int, error) {
	if err := r.need(4); err != nil {
		return 0, err
	}
	n := int(o.Uint32(r.buf[r.off:]))
	r.off += 4
	if n < 0 || n > (len(r.buf)-r.off)/min {
		return 0, fmt.Errorf("WKB count %d at byte %d is more than the %d remaining bytes hold", n, r.off-4, len(r.buf)-r.off)
	}
	return n, nil
}

func (r *wkbReader) points(o binary.ByteOrder, dims int) ([]orb.Point, error) {
	n, err := r.count(o, 8*dims)
	if err != nil {
		return nil, err
	}
	ps := make([]orb.Point, n)
	for i := range ps {
		ps[i] = r.point(o, dims)
	}
	return ps, nil
}

// point reads one position; the caller has checked the length.
func (r *wkbReader) point(o binary.ByteOrder, dims int) orb.Point {
	p := orb.Point{
		math.Float64frombits(o.Uint64(r.buf[r.off:])),
		math.Float64frombits(o.Uint64(r.buf[r.off+8:])),
	}
	r.off += 8 * dims
	return p
}

func (r *wkbReader) rings(o binary.ByteOrder, dims int) (orb.Polygon, error) {
	n, err := r.count(o, 4)
	if err != nil {
		return nil, err
	}
	pg := make(orb.Polygon, n)
	for i := range pg {
		ps, err := r.points(o, dims)
		if err != nil {
			return nil, err
		}
		pg[i] = orb.Ring(ps)
	}
	return pg, nil
}

func (r *wkbReader) geometry(depth int) (orb.Geometry, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("WKB collections nested deeper than %d", maxDepth)
	}
	o, base, dims, err := r.header()
	if err != nil {
		return nil, err
	}
	switch base {
	case 1:
		if err := r.need(8 * dims); err != nil {
			return nil, err
		}
		return r.point(o, dims), nil
	case 2:
		ps, err := r.points(o, dims)
		return orb.LineString(ps), err
	case 3:
		return r.rings(o, dims)
	}
	n, err := r.count(o, 5)
	if err != nil {
		return nil, err
	}
	var (
		mp orb.MultiPoint
		ml orb.MultiLineString
		mg orb.MultiPolygon
		gc orb.Collection
	)
	for range n {
		g, err := r.geometry(depth + 1)
		if err != nil {
			return nil, err
		}
		switch base {
		case 4:
			p, ok := g.(orb.Point)
			if !ok {
				return nil, fmt.Errorf("WKB multipoint holds a %s", g.GeoJSONType())
			}
			mp = append(mp, p)
		case 5:
			l, ok := g.(orb.LineString)
			if !ok {
				return nil, fmt.Errorf("WKB multilinestring holds a %s", g.GeoJSONType())
			}
			ml = append(ml, l)
		case 6:
			pg, ok := g.(orb.Polygon)
			if !ok {
				return nil, fmt.Errorf("WKB multipolygon holds a %s", g.GeoJSONType())
			}
			mg = append(mg, pg)
		default:
			gc = append(gc, g)
		}
	}
	switch base {
	case 4:
		return mp, nil
	case 5:
		return ml, nil
	case 6:
		return mg, nil
	}
	return gc, nil
}

// EncodeBlob encodes g as a little-endian GeoPackage geometry blob with
// srsID. Points carry no envelope (their envelope is the point itself),
// other geometries an xy envelope; an empty geometry (nil, or one
// without positions) is written with the empty flag, and an empty point
// as WKB POINT(NaN NaN), as the standard asks.
func EncodeBlob(g orb.Geometry, srsID int32) ([]byte, error) {
	var flags byte = flagLittle
	empty := g == nil || isEmpty(g)
	var env []float64
	if empty {
		flags |= flagEmpty
	} else if _, pt := g.(orb.Point); !pt {
		b := g.Bound()
		env = []float64{b.Min[0], b.Max[0], b.Min[1], b.Max[1]}
		flags |= 1 << 1
	}
	var body []byte
	if g == nil {
		g = orb.Point{math.NaN(), math.NaN()}
	}
	body, err := wkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		return nil, err
	}
	out := make([]byte, headerSize, headerSize+8*len(env)+len(body))
	out[0], out[1], out[2], out[3] = 'G', 'P', 0, flags
	binary.LittleEndian.PutUint32(out[4:], uint32(srsID))
	for _, v := range env {
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
	}
	return append(out, body...), nil
}

// isEmpty reports whether g has no positions at all.
func isEmpty(g orb.Geometry) bool {
	switch g := g.(type) {
	case orb.Point:
		return false
	case orb.MultiPoint:
		return len(g) == 0
	case orb.LineString:
		return len(g) == 0
	case orb.Ring:
		return len(g) == 0
	case orb.Polygon:
		for _, r := range g {
			if len(r) > 0 {
				return false
			}
		}
		return true
	case orb.MultiLineString:
		for _, l := range g {
			if len(l) > 0 {
				return false
			}
		}
		return true
	case orb.MultiPolygon:
		for _, p := range g {
			if !isEmpty(p) {
				return false
			}
		}
		return true
	case orb.Collection:
		for _, m := range g {
			if !isEmpty(m) {
				return false
			}
		}
		return true
	}
	return false
}
