package osm

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// A minimal OSM PBF writer for tests: it makes files the reader has never
// seen (plain nodes, raw blobs, huge synthetic extracts) without external
// tools.

type tNode struct {
	id       int64
	lon, lat float64
	tags     []string // k, v, k, v...
}

type tWay struct {
	id   int64
	refs []int64
	tags []string
}

type tRel struct {
	id      int64
	members []Member
	tags    []string
}

type pbfOpts struct {
	plainNodes bool     // Node messages instead of DenseNodes
	raw        bool     // uncompressed blobs
	blockSize  int      // elements per block (default 8000)
	features   []string // required features (default OsmSchema-V0.6, DenseNodes)
}

func pbKey(b []byte, num, wt int) []byte { return binary.AppendUvarint(b, uint64(num)<<3|uint64(wt)) }

func pbVarint(b []byte, num int, v uint64) []byte {
	return binary.AppendUvarint(pbKey(b, num, 0), v)
}

func pbBytes(b []byte, num int, data []byte) []byte {
	b = pbKey(b, num, 2)
	b = binary.AppendUvarint(b, uint64(len(data)))
	return append(b, data...)
}

func zz(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

func packedUvarints(vs []uint64) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.AppendUvarint(b, v)
	}
	return b
}

func deltaZigzag(vs []int64) []uint64 {
	out := make([]uint64, len(vs))
	var prev int64
	for i, v := range vs {
		out[i] = zz(v - prev)
		prev = v
	}
	return out
}

// stringTable collects strings for one block; index 0 is the empty string.
type stringTable struct {
	idx  map[string]uint64
	strs []string
}

func newStringTable() *stringTable {
	return &stringTable{idx: map[string]uint64{"": 0}, strs: []string{""}}
}

func (s *stringTable) id(v string) uint64 {
	if i, ok := s.idx[v]; ok {
		return i
	}
	s.idx[v] = uint64(len(s.strs))
	s.strs = append(s.strs, v)
	return s.idx[v]
}

func (s *stringTable) encode() []byte {
	var b []byte
	for _, v := range s.strs {
		b = pbBytes(b, 1, []byte(v))
	}
	return b
}

func coordUnits(deg float64) int64 { return int64(math.Round(deg * 1e7)) } // granularity 100

func writeBlock(buf *bytes.Buffer, typ string, data []byte, raw bool) {
	var blob []byte
	if raw {
		blob = pbBytes(nil, 1, data)
	} else {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		blob = pbVarint(nil, 2, uint64(len(data)))
		blob = pbBytes(blob, 3, z.Bytes())
	}
	hdr := pbBytes(nil, 1, []byte(typ))
	hdr = pbVarint(hdr, 3, uint64(len(blob)))
	var size [4]byte
	binary.BigEndian.PutUint32(size[:], uint32(len(hdr)))
	buf.Write(size[:])
	buf.Write(hdr)
	buf.Write(blob)
}

func primitiveBlock(st *stringTable, group []byte) []byte {
	b := pbBytes(nil, 1, st.encode())
	return pbBytes(b, 2, group)
}

func encodePBF(nodes []tNode, ways []tWay, rels []tRel, o pbfOpts) []byte {
	if o.blockSize == 0 {
		o.blockSize = 8000
	}
	if o.features == nil {
		o.features = []string{"OsmSchema-V0.6", "DenseNodes"}
	}
	var buf bytes.Buffer
	var hb []byte
	for _, f := range o.features {
		hb = pbBytes(hb, 4, []byte(f))
	}
	hb = pbBytes(hb, 16, []byte("lifecircle test writer"))
	writeBlock(&buf, "OSMHeader", hb, o.raw)

	for start := 0; start < len(nodes); start += o.blockSize {
		chunk := nodes[start:min(start+o.blockSize, len(nodes))]
		st := newStringTable()
		var group []byte
		if o.plainNodes {
			for _, n := range chunk {
				var m []byte
				m = pbVarint(m, 1, zz(n.id))
				var ks, vs []uint64
				for i := 0; i+1 < len(n.tags); i += 2 {
					ks = append(ks, st.id(n.tags[i]))
					vs = append(vs, st.id(n.tags[i+1]))
				}
				if len(ks) > 0 {
					m = pbBytes(m, 2, packedUvarints(ks))
					m = pbBytes(m, 3, packedUvarints(vs))
				}
				m = pbVarint(m, 8, zz(coordUnits(n.lat)))
				m = pbVarint(m, 9, zz(coordUnits(n.lon)))
				group = pbBytes(group, 1, m)
			}
		} else {
			ids := make([]int64, len(chunk))
			lats := make([]int64, len(chunk))
			lons := make([]int64, len(chunk))
			var kv []uint64
			tagged := false
			for i, n := range chunk {
				ids[i], lats[i], lons[i] = n.id, coordUnits(n.lat), coordUnits(n.lon)
				for j := 0; j+1 < len(n.tags); j += 2 {
					kv = append(kv, st.id(n.tags[j]), st.id(n.tags[j+1]))
					tagged = true
				}
				kv = append(kv, 0)
			}
			var d []byte
			d = pbBytes(d, 1, packedUvarints(deltaZigzag(ids)))
			d = pbBytes(d, 8, packedUvarints(deltaZigzag(lats)))
			d = pbBytes(d, 9, packedUvarints(deltaZigzag(lons)))
			if tagged {
				d = pbBytes(d, 10, packedUvarints(kv))
			}
			group = pbBytes(nil, 2, d)
		}
		writeBlock(&buf, "OSMData", primitiveBlock(st, group), o.raw)
	}
	for start := 0; start < len(ways); start += o.blockSize {
		chunk := ways[start:min(start+o.blockSize, len(ways))]
		st := newStringTable()
		var group []byte
		for _, w := range chunk {
			var m []byte
			m = pbVarint(m, 1, uint64(w.id))
			var ks, vs []uint64
			for i := 0; i+1 < len(w.tags); i += 2 {
				ks = append(ks, st.id(w.tags[i]))
				vs = append(vs, st.id(w.tags[i+1]))
			}
			if len(ks) > 0 {
				m = pbBytes(m, 2, packedUvarints(ks))
				m = pbBytes(m, 3, packedUvarints(vs))
			}
			m = pbBytes(m, 8, packedUvarints(deltaZigzag(w.refs)))
			group = pbBytes(group, 3, m)
		}
		writeBlock(&buf, "OSMData", primitiveBlock(st, group), o.raw)
	}
	if len(rels) > 0 {
		st := newStringTable()
		var group []byte
		for _, r := range rels {
			var m []byte
			m = pbVarint(m, 1, uint64(r.id))
			var ks, vs []uint64
			for i := 0; i+1 < len(r.tags); i += 2 {
				ks = append(ks, st.id(r.tags[i]))
				vs = append(vs, st.id(r.tags[i+1]))
			}
			if len(ks) > 0 {
				m = pbBytes(m, 2, packedUvarints(ks))
				m = pbBytes(m, 3, packedUvarints(vs))
			}
			var roles, types []uint64
			var ids []int64
			for _, mb := range r.members {
				roles = append(roles, st.id(mb.Role))
				ids = append(ids, mb.Ref)
				types = append(types, map[string]uint64{"node": 0, "way": 1, "relation": 2}[mb.Type])
			}
			if len(roles) > 0 {
				m = pbBytes(m, 8, packedUvarints(roles))
				m = pbBytes(m, 9, packedUvarints(deltaZigzag(ids)))
				m = pbBytes(m, 10, packedUvarints(types))
			}
			group = pbBytes(group, 4, m)
		}
		writeBlock(&buf, "OSMData", primitiveBlock(st, group), o.raw)
	}
	return buf.Bytes()
}

// gridExtract makes a synthetic city: side×side nodes on a grid (about 11 m
// apart, each moved at random by up to jitter degrees so that the file
// compresses like real data), every row cut into highway ways of 10 nodes,
// every 100th node an amenity.
func gridExtract(side int, jitter float64) ([]tNode, []tWay) {
	rng := rand.New(rand.NewPCG(1, 2))
	nodes := make([]tNode, 0, side*side)
	for r := 0; r < side; r++ {
		for c := 0; c < side; c++ {
			n := tNode{id: int64(r*side + c + 1), lon: 24.9 + float64(c)*1e-4, lat: 60.1 + float64(r)*1e-4}
			if jitter > 0 {
				n.lon += (rng.Float64()*2 - 1) * jitter
				n.lat += (rng.Float64()*2 - 1) * jitter
			}
			if (r*side+c)%100 == 0 {
				n.tags = []string{"amenity", "bench"}
			}
			nodes = append(nodes, n)
		}
	}
	var ways []tWay
	for r := 0; r < side; r++ {
		for c := 0; c+1 < side; c += 9 {
			var refs []int64
			for k := c; k <= min(c+9, side-1); k++ {
				refs = append(refs, int64(r*side+k+1))
			}
			ways = append(ways, tWay{id: int64(len(ways) + 1), refs: refs, tags: []string{"highway", "residential", "name", "Row"}})
		}
	}
	return nodes, ways
}

func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := t.TempDir() + "/" + name
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
