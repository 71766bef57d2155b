package data

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// A Prop is one feature property; Props keep their order in the output.
type Prop struct {
	Key   string
	Value any
}

// Props are the ordered properties of one feature.
type Props []Prop

// A GeoJSONWriter streams features as an RFC 7946 FeatureCollection: WGS84
// lon/lat, no crs, at most 6 decimals per coordinate (about 0.1 m),
// counter-clockwise outer rings and clockwise holes, one feature per line.
// It is not safe for concurrent use.
type GeoJSONWriter struct {
	w       *bufio.Writer
	buf     []byte
	started bool
	closed  bool
	err     error // sticky write error
}

// NewGeoJSONWriter returns a writer to w. Nothing is written until the
// first Write or Close; Close does not close w.
func NewGeoJSONWriter(w io.Writer) *GeoJSONWriter {
	return &GeoJSONWriter{w: bufio.NewWriterSize(w, 64<<10), buf: make([]byte, 0, 1024)}
}

const (
	geojsonHeader = `{"type":"FeatureCollection","features":[`
	geojsonFooter = "\n]}\n"
)

// Write appends one feature. id may be nil (omitted), a string or any
// integer or float type. geom may be nil (written as null). Property values
// may be nil, string, bool, integer and float types and Num (NaN and
// ±Inf are written as null), json.Number, json.RawMessage or Props (a nested
// object); anything else is encoded with encoding/json. A feature that
// cannot be encoded (e.g. a NaN coordinate) is skipped with an error and
// the writer stays usable; a failed write to the underlying writer is
// final.
func (g *GeoJSONWriter) Write(id any, geom orb.Geometry, props Props) error {
	if g.err != nil {
		return g.err
	}
	if g.closed {
		return errors.New("geojson: write after Close")
	}
	b := g.buf[:0]
	if g.started {
		b = append(b, ",\n"...)
	} else {
		b = append(b, geojsonHeader...)
		b = append(b, '\n')
	}
	b = append(b, `{"type":"Feature"`...)
	var err error
	if id != nil {
		b = append(b, `,"id":`...)
		if b, err = appendID(b, id); err != nil {
			return err
		}
	}
	b = append(b, `,"geometry":`...)
	if b, err = appendGeometry(b, geom); err != nil {
		return err
	}
	b = append(b, `,"properties":`...)
	if b, err = appendProps(b, props); err != nil {
		return err
	}
	b = append(b, '}')
	g.buf = b
	if _, err := g.w.Write(b); err != nil {
		g.err = fmt.Errorf("geojson: write: %w", err)
		return g.err
	}
	g.started = true
	return nil
}

// Close writes the end of the collection (or an empty collection when no
// feature was written) and flushes. It does not close the underlying writer.
func (g *GeoJSONWriter) Close() error {
	if g.err != nil {
		return g.err
	}
	if g.closed {
		return nil
	}
	g.closed = true
	if !g.started {
		_, _ = g.w.WriteString(geojsonHeader)
	}
	_, _ = g.w.WriteString(geojsonFooter)
	if err := g.w.Flush(); err != nil {
		g.err = fmt.Errorf("geojson: write: %w", err)
		return g.err
	}
	return nil
}

func appendID(b []byte, id any) ([]byte, error) {
	switch v := id.(type) {
	case string:
		return appendString(b, v), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return b, fmt.Errorf("geojson: id %v is not a finite number", v)
		}
	case float32:
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return b, fmt.Errorf("geojson: id %v is not a finite number", v)
		}
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, json.Number:
	default:
		return b, fmt.Errorf("geojson: id of type %T: want a string or number", id)
	}
	return appendValue(b, id)
}

// appendCoord writes v rounded to 6 decimals without trailing zeros.
func appendCoord(b []byte, v float64) ([]byte, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return b, fmt.Errorf("geojson: coordinate %v is not a finite number", v)
	}
	if fast, ok := appendCoord6(b, v); ok {
		return fast, nil
	}
	start := len(b)
	b = strconv.AppendFloat(b, v, 'f', 6, 64)
	// 'f' with 6 decimals always has a '.', so trimming zeros stops there.
	for b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	if b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	if string(b[start:]) == "-0" {
		b = append(b[:start], '0')
	}
	return b, nil
}

// appendCoord6 writes finite v as appendCoord does, from the integer
// round(v·1e6), when that is surely the correctly rounded 6-decimal value:
// |v| < 1e6 (so v·1e6 is off by less than 1e-4 from the exact product) and
// the product is not within 1e-3 of a halfway point. ok is false otherwise.
func appendCoord6(b []byte, v float64) ([]byte, bool) {
	if !(v > -1e6 && v < 1e6) {
		return b, false
	}
	f := v * 1e6
	k := math.Round(f)
	if d := math.Abs(f - k); d > 0.499 {
		return b, false
	}
	n := int64(k)
	if n == 0 {
		return append(b, '0'), true
	}
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	b = strconv.AppendInt(b, n/1e6, 10)
	frac := n % 1e6
	if frac == 0 {
		return b, true
	}
	var d [7]byte
	d[0] = '.'
	for i := 6; i >= 1; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	end := 7
	for d[end-1] == '0' {
		end--
	}
	return append(b, d[:end]...), true
}

func appendPosition(b []byte, p orb.Point) ([]byte, error) {
	b = append(b, '[')
	b, err := appendCoord(b, p[0])
	if err != nil {
		return b, err
	}
	b = append(b, ',')
	if b, err = appendCoord(b, p[1]); err != nil {
		return b, err
	}
	return append(b, ']'), nil
}

func appendPositions(b []byte, ps []orb.Point, reverse bool) ([]byte, error) {
	b = append(b, '[')
	var err error
	for i := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		p := ps[i]
		if reverse {
			p = ps[len(ps)-1-i]
		}
		if b, err = appendPosition(b, p); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// signedArea is twice the planar signed area of ring r (positive when
// counter-clockwise in lon/lat).
func signedArea(r []orb.Point) float64 {
	var a float64
	for i := 0; i+1 < len(r); i++ {
		a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	if n := len(r); n > 1 && r[0] != r[n-1] {
		a += r[n-1][0]*r[0][1] - r[0][0]*r[n-1][1]
	}
	return a
}

// appendPolygonCoords writes rings with the outer ring counter-clockwise
// and holes clockwise (RFC 7946 §3.1.6), reversing on the fly.
func appendPolygonCoords(b []byte, pg orb.Polygon) ([]byte, error) {
	b = append(b, '[')
	var err error
	for i, r := range pg {
		if i > 0 {
			b = append(b, ',')
		}
		a := signedArea(r)
		reverse := (i == 0 && a < 0) || (i > 0 && a > 0)
		if b, err = appendPositions(b, r, reverse); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

func appendGeometry(b []byte, geom orb.Geometry) ([]byte, error) {
	var err error
	switch g := geom.(type) {
	case nil:
		return append(b, "null"...), nil
	case orb.Point:
		b = append(b, `{"type":"Point","coordinates":`...)
		b, err = appendPosition(b, g)
	case orb.MultiPoint:
		b = append(b, `{"type":"MultiPoint","coordinates":`...)
		b, err = appendPositions(b, g, false)
	case orb.LineString:
		b = append(b, `{"type":"LineString","coordinates":`...)
		b, err = appendPositions(b, g, false)
	case orb.MultiLineString:
		b = append(b, `{"type":"MultiLineString","coordinates":[`...)
		for i, ls := range g {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendPositions(b, ls, false); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	case orb.Ring:
		return appendGeometry(b, orb.Polygon{g})
	case orb.Bound:
		return appendGeometry(b, g.ToPolygon())
	case orb.Polygon:
		b = append(b, `{"type":"Polygon","coordinates":`...)
		b, err = appendPolygonCoords(b, g)
	case orb.MultiPolygon:
		b = append(b, `{"type":"MultiPolygon","coordinates":[`...)
		for i, pg := range g {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendPolygonCoords(b, pg); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	case orb.Collection:
		b = append(b, `{"type":"GeometryCollection","geometries":[`...)
		for i, c := range g {
			if i > 0 {
				b = append(b, ',')
			}
			if c == nil {
				return b, errors.New("geojson: nil geometry inside a GeometryCollection")
			}
			if b, err = appendGeometry(b, c); err != nil {
				return b, err
			}
		}
		return append(b, "]}"...), nil
	default:
		return b, fmt.Errorf("geojson: unsupported geometry %T", geom)
	}
	if err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func appendProps(b []byte, props Props) ([]byte, error) {
	b = append(b, '{')
	var err error
	for i, p := range props {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, p.Key)
		b = append(b, ':')
		if b, err = appendValue(b, p.Value); err != nil {
			return b, fmt.Errorf("geojson: property %q: %w", p.Key, err)
		}
	}
	return append(b, '}'), nil
}

// appendFloat writes a JSON number in its shortest form (exponent only for
// very large or small magnitudes, as encoding/json does); NaN and ±Inf,
// which JSON cannot represent, become null.
func appendFloat(b []byte, v float64, bits int) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(v)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return strconv.AppendFloat(b, v, 'e', -1, bits)
	}
	if bits == 64 {
		return appendShortF(b, v)
	}
	return strconv.AppendFloat(b, v, 'f', -1, bits)
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case float64:
		return appendFloat(b, v, 64), nil
	case Num:
		return appendFloat(b, float64(v), 64), nil
	case Real:
		return appendReal(b, float64(v)), nil
	case float32:
		return appendFloat(b, float64(v), 32), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int8:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case uint:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint64:
		return strconv.AppendUint(b, v, 10), nil
	case json.Number:
		if v == "" {
			return append(b, '0'), nil
		}
		if !json.Valid([]byte(v)) {
			return b, fmt.Errorf("invalid json.Number %q", string(v))
		}
		return append(b, v...), nil
	case json.RawMessage:
		if len(v) == 0 {
			return append(b, "null"...), nil
		}
		if !json.Valid(v) {
			return b, errors.New("invalid json.RawMessage")
		}
		return append(b, v...), nil
	case Props:
		return appendProps(b, v)
	}
	enc, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, enc...), nil
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string: quotes, backslashes and control
// characters escaped, U+2028/U+2029 escaped for JavaScript, invalid UTF-8
// replaced by U+FFFD, everything else (Chinese included) as UTF-8.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
