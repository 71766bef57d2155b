package shp

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"

	"github.com/paulmach/orb"
)

// A small Shapefile writer for the tests and the benchmark: it writes what
// the specification says, independently of the reader's code.

// testShape is one record: a shape type and its parts (a Point is one part
// of one position; Null has none).
type testShape struct {
	typ   int32
	parts [][]orb.Point
}

func shpBytes(fileType int32, shapes []testShape) []byte {
	var body bytes.Buffer
	le := binary.LittleEndian
	for i, s := range shapes {
		var c bytes.Buffer
		binary.Write(&c, le, s.typ)
		var all []orb.Point
		for _, p := range s.parts {
			all = append(all, p...)
		}
		switch s.typ {
		case typeNull:
		case typePoint, typePointM, typePointZ:
			binary.Write(&c, le, all[0][0])
			binary.Write(&c, le, all[0][1])
			if s.typ == typePointZ {
				binary.Write(&c, le, 12.5) // z
			}
			if s.typ != typePoint {
				binary.Write(&c, le, -1e39) // m: no data
			}
		case typeMultiPoint:
			binary.Write(&c, le, [4]float64{})
			binary.Write(&c, le, int32(len(all)))
			for _, p := range all {
				binary.Write(&c, le, p)
			}
		default: // PolyLine, Polygon and their Z variants
			binary.Write(&c, le, [4]float64{})
			binary.Write(&c, le, int32(len(s.parts)))
			binary.Write(&c, le, int32(len(all)))
			n := 0
			for _, p := range s.parts {
				binary.Write(&c, le, int32(n))
				n += len(p)
			}
			for _, p := range all {
				binary.Write(&c, le, p)
			}
			if s.typ == typePolygonZ || s.typ == typePolyLineZ {
				binary.Write(&c, le, [2]float64{})
				for range all {
					binary.Write(&c, le, 7.0)
				}
			}
		}
		binary.Write(&body, binary.BigEndian, int32(i+1))
		binary.Write(&body, binary.BigEndian, int32(c.Len()/2))
		body.Write(c.Bytes())
	}
	var h [100]byte
	binary.BigEndian.PutUint32(h[0:], 9994)
	binary.BigEndian.PutUint32(h[24:], uint32((100+body.Len())/2))
	le.PutUint32(h[28:], 1000)
	le.PutUint32(h[32:], uint32(fileType))
	return append(h[:], body.Bytes()...)
}

// dbfBytes writes a dBASE III table; values are the raw field texts
// (left-aligned, space-padded), deleted marks records with '*'.
func dbfBytes(fields []Field, rows [][]string, deleted map[int]bool, ldid byte) []byte {
	le := binary.LittleEndian
	rlen := 1
	for _, f := range fields {
		rlen += f.Length
	}
	hlen := 32 + 32*len(fields) + 1
	var b bytes.Buffer
	var h [32]byte
	h[0] = 3
	le.PutUint32(h[4:], uint32(len(rows)))
	le.PutUint16(h[8:], uint16(hlen))
	le.PutUint16(h[10:], uint16(rlen))
	h[29] = ldid
	b.Write(h[:])
	for _, f := range fields {
		var d [32]byte
		copy(d[:11], f.Name)
		d[11] = f.Type
		d[16] = byte(f.Length)
		d[17] = byte(f.Decimals)
		b.Write(d[:])
	}
	b.WriteByte(0x0D)
	for i, r := range rows {
		if deleted[i] {
			b.WriteByte('*')
		} else {
			b.WriteByte(' ')
		}
		for j, f := range fields {
			v := []byte(r[j])
			if len(v) > f.Length {
				v = v[:f.Length]
			}
			b.Write(v)
			b.Write(bytes.Repeat([]byte{' '}, f.Length-len(v)))
		}
	}
	b.WriteByte(0x1A)
	return b.Bytes()
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// square is a closed ring around (x, y); clockwise when cw.
func square(x, y, r float64, cw bool) []orb.Point {
	ring := []orb.Point{{x - r, y - r}, {x + r, y - r}, {x + r, y + r}, {x - r, y + r}, {x - r, y - r}}
	if cw {
		for i, j := 0, len(ring)-1; i < j; i, j = i+1, j-1 {
			ring[i], ring[j] = ring[j], ring[i]
		}
	}
	return ring
}
