package osm

// Decoding of PBF data blocks: string tables, dense and plain nodes, ways
// and relations, for one pass.

import (
	"errors"
	"slices"

	"github.com/paulmach/orb"
)

// blockDecoder decodes data blocks for one pass; each decoder goroutine has
// its own, so its buffers are reused without locks.
type blockDecoder struct {
	p *pass
	z zlibState

	// current block
	stBytes []byte
	st      []string
	stBuilt bool
	groups  [][]byte
	gran    int64
	latOff  int64
	lonOff  int64
	out     *pbfResult
	seq     int
	off     int64

	// current element's tags, as string table indices
	keys, vals []uint32
	get        func(key string) string

	// needed-node lookup cursor within a dense group
	lo     int
	prevID int64

	intern map[string]string
}

func newBlockDecoder(p *pass) *blockDecoder {
	d := &blockDecoder{p: p, intern: make(map[string]string)}
	d.get = d.tag
	return d
}

// tag is the getter handed to filters.
func (d *blockDecoder) tag(key string) string {
	for i, k := range d.keys {
		if d.st[k] == key {
			return d.st[d.vals[i]]
		}
	}
	return ""
}

// decode decodes one data block into buf's (empty, reusable) slices.
func (d *blockDecoder) decode(j pbfJob, buf pbfResult) (r pbfResult) {
	r = buf
	r.seq, r.off, r.end = j.seq, j.off, j.end
	d.seq, d.off, d.out = j.seq, j.off, &r
	data, err := d.z.blobData(j.blob)
	if err != nil {
		var fe *formatError
		if !errors.As(err, &fe) {
			err = blockErr(j.seq, j.off, "%v", err)
		}
		r.err = err
		return r
	}
	if err := d.block(data); err != nil {
		r.err = err
	}
	return r
}

func (d *blockDecoder) fail(format string, args ...any) error {
	return blockErr(d.seq, d.off, format, args...)
}

// block decodes a PrimitiveBlock.
func (d *blockDecoder) block(data []byte) error {
	d.stBytes, d.st, d.stBuilt = nil, d.st[:0], false
	d.groups = d.groups[:0]
	d.gran, d.latOff, d.lonOff = 100, 0, 0
	p := pb{b: data}
	for p.more() {
		num, wt := p.key()
		switch {
		case num == 1 && wt == 2:
			d.stBytes = p.bytes()
		case num == 2 && wt == 2:
			d.groups = append(d.groups, p.bytes())
		case num == 17 && wt == 0:
			d.gran = int64(int32(p.uvarint()))
		case num == 19 && wt == 0:
			d.latOff = int64(p.uvarint())
		case num == 20 && wt == 0:
			d.lonOff = int64(p.uvarint())
		default:
			p.skip(wt)
		}
	}
	if p.bad {
		return d.fail("malformed primitive block")
	}
	if d.gran <= 0 {
		return d.fail("granularity %d", d.gran)
	}
	want := uint8(d.p.kind)
	for _, g := range d.groups {
		q := pb{b: g}
		for q.more() {
			num, wt := q.key()
			if wt != 2 || num < 1 || num > 4 {
				q.skip(wt)
				continue
			}
			msg := q.bytes()
			if q.bad {
				break
			}
			d.out.elements++
			var err error
			switch num {
			case 1:
				d.out.kinds |= kindNode
				if want == kindNode {
					err = d.node(msg)
				}
			case 2:
				d.out.kinds |= kindNode
				if want == kindNode {
					err = d.denseNodes(msg)
				}
			case 3:
				d.out.kinds |= kindWay
				if want == kindWay {
					err = d.way(msg)
				}
			case 4:
				d.out.kinds |= kindRelation
				if want == kindRelation {
					err = d.relation(msg)
				}
			}
			if err != nil {
				return err
			}
		}
		if q.bad {
			return d.fail("malformed primitive group")
		}
	}
	return nil
}

// strings builds the block's string table on first use: one allocation for
// all its bytes, the entries are substrings of it.
func (d *blockDecoder) strings() error {
	if d.stBuilt {
		return nil
	}
	d.stBuilt = true
	all := string(d.stBytes)
	p := pb{b: d.stBytes}
	for p.more() {
		num, wt := p.key()
		if num == 1 && wt == 2 {
			n := p.uvarint()
			if p.bad || n > uint64(len(p.b)-p.i) {
				p.bad = true
				break
			}
			d.st = append(d.st, all[p.i:p.i+int(n)])
			p.i += int(n)
			continue
		}
		p.skip(wt)
	}
	if p.bad {
		return d.fail("malformed string table")
	}
	return nil
}

// tagIndices decodes parallel packed key and value indices into d.keys, d.vals.
func (d *blockDecoder) tagIndices(keys, vals []byte) error {
	d.keys, d.vals = d.keys[:0], d.vals[:0]
	if len(keys) == 0 && len(vals) == 0 {
		return nil
	}
	if err := d.strings(); err != nil {
		return err
	}
	n := uint64(len(d.st))
	pk, pv := pb{b: keys}, pb{b: vals}
	for pk.more() {
		k, v := pk.uvarint(), pv.uvarint()
		if pk.bad || pv.bad || k >= n || v >= n {
			return d.fail("bad tag string index")
		}
		d.keys = append(d.keys, uint32(k))
		d.vals = append(d.vals, uint32(v))
	}
	if pk.bad || pv.more() {
		return d.fail("tag keys and values differ in number")
	}
	return nil
}

// tagMap copies the current element's tags into a new map.
func (d *blockDecoder) tagMap() map[string]string {
	if len(d.keys) == 0 {
		return nil
	}
	m := make(map[string]string, len(d.keys))
	for i, k := range d.keys {
		m[d.str(d.st[k])] = d.str(d.st[d.vals[i]])
	}
	return m
}

// str returns a copy of s that does not keep the block's string table alive;
// equal strings share one copy.
func (d *blockDecoder) str(s string) string {
	if c, ok := d.intern[s]; ok {
		return c
	}
	c := string([]byte(s))
	d.intern[c] = c
	return c
}

func (d *blockDecoder) point(lat, lon int64) orb.Point {
	return orb.Point{
		1e-9 * float64(d.lonOff+d.gran*lon),
		1e-9 * float64(d.latOff+d.gran*lat),
	}
}

// keepNode resolves a needed node and applies the node filter to a tagged one.
func (d *blockDecoder) keepNode(id int64, pt orb.Point) error {
	if !validLonLat(pt[0], pt[1]) {
		return &coordError{id: id, lon: pt[0], lat: pt[1]}
	}
	if len(d.p.needed) > 0 {
		if i := d.lookup(id); i >= 0 {
			d.out.hits = append(d.out.hits, nodeHit{idx: i, pt: pt})
		}
	}
	if len(d.keys) > 0 && d.p.f.Node != nil && d.p.f.Node(d.get) {
		d.out.nodes = append(d.out.nodes, Node{ID: id, Tags: d.tagMap(), Point: pt})
	}
	return nil
}

// lookup returns id's index in the sorted needed IDs, or -1. Node IDs within
// a block usually ascend, so it gallops forward from the last position.
func (d *blockDecoder) lookup(id int64) int {
	needed := d.p.needed
	if id < d.prevID {
		d.lo = 0
	}
	d.prevID = id
	lo := d.lo
	if lo >= len(needed) || id < needed[lo] {
		return -1
	}
	if needed[lo] == id {
		return lo
	}
	step := 1
	hi := lo + 1
	for hi < len(needed) && needed[hi] < id {
		lo = hi
		step *= 2
		hi = lo + step
	}
	hi = min(hi+1, len(needed))
	j, ok := slices.BinarySearch(needed[lo:hi], id)
	d.lo = lo + j
	if ok {
		return lo + j
	}
	return -1
}

// denseNodes decodes DenseNodes{id=1, denseinfo=5, lat=8, lon=9, keys_vals=10}.
func (d *blockDecoder) denseNodes(msg []byte) error {
	var ids, lats, lons, kv []byte
	p := pb{b: msg}
	for p.more() {
		num, wt := p.key()
		switch {
		case num == 1 && wt == 2:
			ids = p.bytes()
		case num == 8 && wt == 2:
			lats = p.bytes()
		case num == 9 && wt == 2:
			lons = p.bytes()
		case num == 10 && wt == 2:
			kv = p.bytes()
		default:
			p.skip(wt)
		}
	}
	if p.bad {
		return d.fail("malformed dense nodes")
	}
	withTags := d.p.f.Node != nil && len(kv) > 0
	d.lo, d.prevID = 0, minInt64
	d.keys, d.vals = d.keys[:0], d.vals[:0]
	if withTags {
		if err := d.strings(); err != nil {
			return err
		}
	}
	if len(d.p.needed) > 0 {
		d.out.hits = slices.Grow(d.out.hits, countVarints(ids))
	}
	nst := uint64(len(d.st))
	pi, pla, plo, pkv := pb{b: ids}, pb{b: lats}, pb{b: lons}, pb{b: kv}
	var id, lat, lon int64
	for pi.more() {
		id += zigzag(pi.uvarint())
		lat += zigzag(pla.uvarint())
		lon += zigzag(plo.uvarint())
		if pi.bad || pla.bad || plo.bad {
			return d.fail("dense nodes: ids and coordinates differ in number")
		}
		if withTags {
			d.keys, d.vals = d.keys[:0], d.vals[:0]
			for {
				k := pkv.uvarint()
				if pkv.bad {
					return d.fail("dense nodes: keys_vals ends early")
				}
				if k == 0 {
					break
				}
				v := pkv.uvarint()
				if pkv.bad || k >= nst || v >= nst {
					return d.fail("dense nodes: bad tag string index")
				}
				d.keys = append(d.keys, uint32(k))
				d.vals = append(d.vals, uint32(v))
			}
		}
		if err := d.keepNode(id, d.point(lat, lon)); err != nil {
			return err
		}
	}
	if pi.bad || pla.more() || plo.more() {
		return d.fail("dense nodes: ids and coordinates differ in number")
	}
	return nil
}

const minInt64 = -1 << 63

// node decodes a plain Node{id=1 (sint64), keys=2, vals=3, info=4, lat=8, lon=9}.
func (d *blockDecoder) node(msg []byte) error {
	var id, lat, lon int64
	var keys, vals []byte
	p := pb{b: msg}
	for p.more() {
		num, wt := p.key()
		switch {
		case num == 1 && wt == 0:
			id = zigzag(p.uvarint())
		case num == 2 && wt == 2:
			keys = p.bytes()
		case num == 3 && wt == 2:
			vals = p.bytes()
		case num == 8 && wt == 0:
			lat = zigzag(p.uvarint())
		case num == 9 && wt == 0:
			lon = zigzag(p.uvarint())
		default:
			p.skip(wt)
		}
	}
	if p.bad {
		return d.fail("malformed node")
	}
	d.keys, d.vals = d.keys[:0], d.vals[:0]
	if d.p.f.Node != nil {
		if err := d.tagIndices(keys, vals); err != nil {
			return err
		}
	}
	d.lo, d.prevID = 0, minInt64
	return d.keepNode(id, d.point(lat, lon))
}

// way decodes Way{id=1, keys=2, vals=3, info=4, refs=8 (delta sint64)}.
func (d *blockDecoder) way(msg []byte) error {
	var id int64
	var keys, vals, refs []byte
	p := pb{b: msg}
	for p.more() {
		num, wt := p.key()
		switch {
		case num == 1 && wt == 0:
			id = int64(p.uvarint())
		case num == 2 && wt == 2:
			keys = p.bytes()
		case num == 3 && wt == 2:
			vals = p.bytes()
		case num == 8 && wt == 2:
			refs = p.bytes()
		default:
			p.skip(wt)
		}
	}
	if p.bad {
		return d.fail("malformed way")
	}
	keep, member, decoded := false, false, false
	if d.p.f.Way != nil {
		if err := d.tagIndices(keys, vals); err != nil {
			return err
		}
		decoded = true
		keep = d.p.f.Way(d.get)
	}
	if !keep && len(d.p.memberWays) > 0 {
		_, keep = slices.BinarySearch(d.p.memberWays, id)
		member = keep
	}
	if !keep {
		return nil
	}
	if !decoded {
		if err := d.tagIndices(keys, vals); err != nil {
			return err
		}
	}
	nodeIDs := make([]int64, countVarints(refs))
	q := pb{b: refs}
	var ref int64
	for i := range nodeIDs {
		ref += zigzag(q.uvarint())
		nodeIDs[i] = ref
	}
	if q.bad || q.more() {
		return d.fail("way %d: malformed node list", id)
	}
	d.out.ways = append(d.out.ways, Way{ID: id, Tags: d.tagMap(), NodeIDs: nodeIDs, Member: member})
	return nil
}

// relation decodes Relation{id=1, keys=2, vals=3, info=4, roles_sid=8,
// memids=9 (delta sint64), types=10}.
func (d *blockDecoder) relation(msg []byte) error {
	var id int64
	var keys, vals, roles, memids, types []byte
	p := pb{b: msg}
	for p.more() {
		num, wt := p.key()
		switch {
		case num == 1 && wt == 0:
			id = int64(p.uvarint())
		case num == 2 && wt == 2:
			keys = p.bytes()
		case num == 3 && wt == 2:
			vals = p.bytes()
		case num == 8 && wt == 2:
			roles = p.bytes()
		case num == 9 && wt == 2:
			memids = p.bytes()
		case num == 10 && wt == 2:
			types = p.bytes()
		default:
			p.skip(wt)
		}
	}
	if p.bad {
		return d.fail("malformed relation")
	}
	if err := d.tagIndices(keys, vals); err != nil {
		return err
	}
	if !d.p.f.Relation(d.get) {
		return nil
	}
	tags := d.tagMap()
	n := countVarints(types)
	if countVarints(roles) != n || countVarints(memids) != n {
		return d.fail("relation %d: member roles, ids and types differ in number", id)
	}
	var members []Member
	if n > 0 {
		if err := d.strings(); err != nil {
			return err
		}
		members = make([]Member, n)
	}
	pr, pm, pt := pb{b: roles}, pb{b: memids}, pb{b: types}
	var ref int64
	for i := range members {
		role := pr.uvarint()
		ref += zigzag(pm.uvarint())
		t := pt.uvarint()
		if pr.bad || pm.bad || pt.bad || role >= uint64(len(d.st)) {
			return d.fail("relation %d: malformed members", id)
		}
		var typ string
		switch t {
		case 0:
			typ = "node"
		case 1:
			typ = "way"
		case 2:
			typ = "relation"
		default:
			return d.fail("relation %d: member type %d", id, t)
		}
		members[i] = Member{Type: typ, Ref: ref, Role: d.str(d.st[role])}
	}
	if pr.more() || pm.more() || pt.more() {
		return d.fail("relation %d: malformed members", id)
	}
	d.out.rels = append(d.out.rels, Relation{ID: id, Tags: tags, Members: members})
	return nil
}
