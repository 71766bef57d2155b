package data

// A fast path for the commonest GeoJSON layer: a FeatureCollection of
// flat features (points above all) with scalar properties. It scans the
// bytes by hand instead of decoding every feature through reflection, and
// hands each feature to the same addFeature as the general reader, so ids,
// geometry checks and errors are the general reader's. Anything it does not
// recognise exactly — a crs member, a key that differs from a known one only
// in case, a duplicated member, malformed JSON — makes it give up, and the
// general reader reads the whole file again: the fast path never decides
// what a file means, it only avoids work.

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// gjScan is a cursor over the file's bytes.
type gjScan struct {
	b    []byte
	i    int
	keys map[string]string // object keys seen, so that each is allocated once
}

// parseFast reads r.data through the fast path. handled is false when the
// file needs the general reader (nothing read is kept then); otherwise err
// is the first feature's error, as the general reader would report it.
func (r *gjReader) parseFast() (handled bool, err error) {
	s := &gjScan{b: r.data}
	var typ string
	features := false
	ok := s.members(func(key string) bool {
		switch key {
		case "type":
			if typ != "" {
				return false // a repeated member
			}
			var ok bool
			typ, ok = s.str()
			return ok && typ != ""
		case "features":
			if features || !s.lit('[') {
				return false
			}
			features = true
			return s.featureList(func(i int, f *gjFeature) bool {
				err = r.addFeature(i, f)
				return err == nil
			})
		case "name", "bbox":
			_, ok := s.skip()
			return ok
		}
		return false // crs, foreign members: the general reader decides
	})
	if err != nil {
		return true, err
	}
	if !ok {
		return false, nil
	}
	s.ws()
	if s.i != len(s.b) || typ != "FeatureCollection" || !features {
		return false, nil
	}
	return true, nil
}

// feature scans one Feature object.
func (s *gjScan) feature() (*gjFeature, bool) {
	f := &gjFeature{}
	var seen [4]bool // type, id, geometry, properties
	ok := s.members(func(key string) bool {
		k := fieldIndex(key, "type", "id", "geometry", "properties")
		if k == -2 || k >= 0 && seen[k] {
			return false // a case variant or a repeat: decoded differently by encoding/json
		}
		if k >= 0 {
			seen[k] = true
		}
		var ok bool
		switch k {
		case 0:
			f.Type, ok = s.str()
		case 1:
			f.ID, ok = s.scalar()
		case 2:
			if s.null() {
				return true
			}
			f.Geometry, ok = s.geometry()
		case 3:
			if s.null() {
				return true
			}
			f.Properties, ok = s.object()
		default:
			if strings.EqualFold(key, "crs") {
				return false
			}
			_, ok = s.skip()
		}
		return ok
	})
	return f, ok
}

// fieldIndex returns the position of key among names, -2 when key equals
// one of them but for case, else -1.
func fieldIndex(key string, names ...string) int {
	for i, n := range names {
		if key == n {
			return i
		}
	}
	for _, n := range names {
		if strings.EqualFold(key, n) {
			return -2
		}
	}
	return -1
}

// geometry scans a geometry object; a Point's position is decoded here.
func (s *gjScan) geometry() (*gjGeometry, bool) {
	g := &gjGeometry{}
	var seen [2]bool
	ok := s.members(func(key string) bool {
		k := fieldIndex(key, "type", "coordinates")
		if k == -2 || k >= 0 && seen[k] {
			return false
		}
		var ok bool
		switch k {
		case 0:
			seen[0] = true
			g.Type, ok = s.str()
		case 1:
			seen[1] = true
			s.ws()
			start := s.i
			if g.pt = s.position(); g.pt != nil {
				g.Coordinates, ok = s.b[start:s.i], true
			} else {
				g.Coordinates, ok = s.skip()
			}
		default:
			_, ok = s.skip()
		}
		return ok
	})
	if g.Type != "Point" {
		g.pt = nil
	}
	return g, ok
}

// position scans a position of two or more plain numbers, else returns nil
// with the cursor unmoved (decodeGeometry then decodes the coordinates and
// reports what is wrong).
func (s *gjScan) position() *orb.Point {
	at := s.i
	if p := s.numbers(); p != nil {
		return p
	}
	s.i = at
	return nil
}

func (s *gjScan) numbers() *orb.Point {
	if !s.lit('[') {
		return nil
	}
	var p orb.Point
	n := 0
	for first := true; ; first = false {
		if s.lit(']') {
			break
		}
		if !first && !s.lit(',') {
			return nil
		}
		s.ws()
		x, ok := s.number()
		if !ok {
			return nil
		}
		if n < 2 {
			p[n] = x
		}
		n++
	}
	if n < 2 {
		return nil
	}
	return &p
}

// object scans an object of properties; values decode as encoding/json
// decodes them into an any.
func (s *gjScan) object() (map[string]any, bool) {
	m := map[string]any{}
	ok := s.members(func(key string) bool {
		v, ok := s.value()
		m[key] = v
		return ok
	})
	return m, ok
}

// members scans an object: for each member, its key, then f with the
// cursor before the value, which f consumes. It returns false when the
// object is malformed or f returns false.
func (s *gjScan) members(f func(key string) bool) bool {
	if !s.lit('{') {
		return false
	}
	for first := true; ; first = false {
		if s.lit('}') {
			return true
		}
		if !first && !s.lit(',') {
			return false
		}
		key, ok := s.key()
		if !ok || !f(key) {
			return false
		}
	}
}

// value scans any JSON value; objects and arrays inside go through
// encoding/json.
func (s *gjScan) value() (any, bool) {
	s.ws()
	if s.i >= len(s.b) {
		return nil, false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.str()
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 't' || c == 'f' || c == 'n':
		for _, w := range [...]struct {
			text string
			v    any
		}{{"true", true}, {"false", false}, {"null", nil}} {
			if strings.HasPrefix(string(s.b[s.i:min(s.i+5, len(s.b))]), w.text) {
				s.i += len(w.text)
				return w.v, true
			}
		}
		return nil, false
	}
	raw, ok := s.skip()
	if !ok {
		return nil, false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil, false
	}
	return v, true
}

// ws skips JSON white space.
func (s *gjScan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// lit consumes the byte c after white space.
func (s *gjScan) lit(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// null consumes a null after white space.
func (s *gjScan) null() bool {
	s.ws()
	if strings.HasPrefix(string(s.b[s.i:min(s.i+4, len(s.b))]), "null") {
		s.i += 4
		return true
	}
	return false
}

// key scans an object key and its colon. Keys without escapes are
// interned: a layer repeats the same few keys in every feature.
func (s *gjScan) key() (string, bool) {
	s.ws()
	if j := s.i + 1; s.i < len(s.b) && s.b[s.i] == '"' {
		for j < len(s.b) && s.b[j] != '"' && s.b[j] != '\\' && s.b[j] >= 0x20 {
			j++
		}
		if j < len(s.b) && s.b[j] == '"' {
			raw := s.b[s.i+1 : j]
			k, ok := s.keys[string(raw)]
			if !ok {
				if s.keys == nil {
					s.keys = map[string]string{}
				}
				k = string(raw)
				if len(s.keys) < 4096 {
					s.keys[k] = k
				}
			}
			s.i = j + 1
			return k, s.lit(':')
		}
	}
	k, ok := s.str()
	return k, ok && s.lit(':')
}

// str scans a string after white space. Escapes go through encoding/json.
func (s *gjScan) str() (string, bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", false
	}
	start := s.i
	escaped := false
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			if !escaped {
				return string(s.b[start+1 : j]), true
			}
			var v string
			if json.Unmarshal(s.b[start:s.i], &v) != nil {
				return "", false
			}
			return v, true
		case c == '\\':
			escaped = true
			j++ // the escaped byte (a \uXXXX's digits need no care)
		case c < 0x20:
			return "", false
		}
	}
	return "", false
}

// number scans a number in JSON's grammar and converts it as
// encoding/json does (a number out of float64's range is not taken).
func (s *gjScan) number() (float64, bool) {
	b, i := s.b, s.i
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return 0, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return 0, false
		}
	}
	x, err := strconv.ParseFloat(string(b[start:i]), 64)
	if err != nil {
		return 0, false
	}
	s.i = i
	return x, true
}

// scalar scans a plain string or number and returns its bytes; anything
// else goes through skip.
func (s *gjScan) scalar() ([]byte, bool) {
	s.ws()
	start := s.i
	if s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			if _, ok := s.str(); ok {
				return s.b[start:s.i], true
			}
			return nil, false
		case c == '-' || c >= '0' && c <= '9':
			if _, ok := s.number(); ok {
				return s.b[start:s.i], true
			}
			return nil, false
		}
	}
	return s.skip()
}

// skip scans any value and returns its bytes, checked by json.Valid.
func (s *gjScan) skip() ([]byte, bool) {
	s.ws()
	start := s.i
	depth := 0
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case '"':
			if _, ok := s.str(); !ok {
				return nil, false
			}
		case '{', '[':
			depth++
			s.i++
		case '}', ']':
			if depth == 0 {
				return nil, false
			}
			depth--
			s.i++
		case ',', ':':
			if depth == 0 {
				return nil, false
			}
			s.i++
		default:
			s.i++
		}
		if depth == 0 {
			// A scalar ends at the next delimiter.
			for s.i < len(s.b) && !strings.ContainsRune(",}] \t\r\n", rune(s.b[s.i])) && s.b[start] != '"' && s.b[start] != '{' && s.b[start] != '[' {
				s.i++
			}
			raw := s.b[start:s.i]
			if !json.Valid(raw) {
				return nil, false
			}
			return raw, true
		}
	}
	return nil, false
}
