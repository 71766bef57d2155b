package osm

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/paulmach/orb"
)

// Limits from the OSM PBF format description.
const (
	maxBlobHeaderSize = 64 * 1024
	maxBlobSize       = 32 * 1024 * 1024
)

// pbfSource reads .osm.pbf files. After the first pass it knows which element
// kinds each data block holds, so later passes skip blocks without
// decompressing them (files are sorted nodes, ways, relations).
type pbfSource struct {
	path  string
	index []blockMeta // by data block ordinal; nil until a pass completes
}

type blockMeta struct {
	off   int64
	kinds uint8
}

type pbfJob struct {
	seq   int   // data block ordinal
	off   int64 // file offset of the block
	end   int64 // file offset after the block
	blob  []byte
	kinds uint8 // for skipped blocks (blob == nil): kinds from the index
}

type pbfResult struct {
	seq      int
	off      int64
	end      int64
	kinds    uint8
	elements int64
	rels     []Relation
	ways     []Way
	nodes    []Node
	hits     []nodeHit
	err      error
}

// nodeHit is a needed node found in a block: its index in pass.needed.
type nodeHit struct {
	idx int
	pt  orb.Point
}

// corruptPBF is the error for a damaged PBF.
func corruptPBF(err error) error {
	return &formatError{msg: "truncated or corrupt PBF", hint: hintCorrupt, err: err}
}

func blockErr(seq int, off int64, format string, args ...any) error {
	return corruptPBF(fmt.Errorf("data block %d at byte %d: %s", seq, off, fmt.Sprintf(format, args...)))
}

func (s *pbfSource) pass(ctx context.Context, p *pass, progress func(done, total int64)) error {
	f, _, br, err := newFileReader(s.path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	total := fi.Size()

	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	procs := runtime.GOMAXPROCS(0)
	jobs := make(chan pbfJob, procs)
	results := make(chan pbfResult, procs)
	pool := make(chan []byte, 2*procs+2)
	spare := make(chan pbfResult, 2*procs+2) // applied results whose slices are reused

	var readErr error
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer close(jobs)
		readErr = s.readBlocks(ictx, br, uint8(p.kind), jobs, pool)
	}()

	var wg sync.WaitGroup
	for range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := newBlockDecoder(p)
			for j := range jobs {
				if ictx.Err() != nil {
					continue // drain
				}
				var r pbfResult
				if j.blob == nil { // skipped by the reader
					r = pbfResult{seq: j.seq, off: j.off, end: j.end, kinds: j.kinds}
				} else {
					var buf pbfResult
					select {
					case buf = <-spare:
					default:
					}
					r = d.decode(j, buf)
					select {
					case pool <- j.blob:
					default:
					}
				}
				select {
				case results <- r:
				case <-ictx.Done():
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	// Results arrive out of order; apply them in block order so the extract
	// is in file order and deterministic.
	var (
		firstErr error
		errSeq   = -1
		next     int
		pending  = make(map[int]pbfResult)
		metas    []blockMeta
		applied  int64 // file offset up to which blocks are applied
	)
	for r := range results {
		if r.err != nil {
			if firstErr == nil || r.seq < errSeq {
				firstErr, errSeq = r.err, r.seq
			}
			cancel()
			continue
		}
		if firstErr != nil {
			continue
		}
		pending[r.seq] = r
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			metas = append(metas, blockMeta{off: r.off, kinds: r.kinds})
			p.apply(r)
			applied = r.end
			select {
			case spare <- r.reset():
			default:
			}
		}
		progress(applied, total)
	}
	<-readDone
	if err := ctx.Err(); err != nil {
		return err
	}
	if readErr != nil {
		var se *seqError
		if firstErr == nil || (errors.As(readErr, &se) && se.seq < errSeq) {
			firstErr = readErr
		}
	}
	if firstErr != nil {
		return firstErr
	}
	if len(pending) > 0 { // cannot happen: every block sent yields a result
		return corruptPBF(errors.New("internal: blocks missing"))
	}
	if s.index == nil {
		s.index = metas
	}
	return nil
}

// reset empties r's slices for reuse, dropping their references.
func (r pbfResult) reset() pbfResult {
	clear(r.rels)
	clear(r.ways)
	clear(r.nodes)
	return pbfResult{rels: r.rels[:0], ways: r.ways[:0], nodes: r.nodes[:0], hits: r.hits[:0]}
}

// apply adds one block's results to the pass.
func (p *pass) apply(r pbfResult) {
	p.elements += r.elements
	p.relations = append(p.relations, r.rels...)
	p.ways = append(p.ways, r.ways...)
	p.nodes = append(p.nodes, r.nodes...)
	for _, h := range r.hits {
		p.coords[h.idx] = h.pt
		p.found[h.idx] = true
	}
}

// seqError is a reader error at a given data block ordinal.
type seqError struct {
	seq int
	err error
}

func (e *seqError) Error() string { return e.err.Error() }
func (e *seqError) Unwrap() error { return e.err }

// readBlocks reads the file block by block and hands data blocks to the
// decoders. It returns nil when ctx is cancelled.
func (s *pbfSource) readBlocks(ctx context.Context, r io.Reader, want uint8, jobs chan<- pbfJob, pool chan []byte) error {
	var (
		off     int64
		seq     int // data block ordinal
		nblocks int
		size    [4]byte
		hbuf    = make([]byte, maxBlobHeaderSize)
	)
	fail := func(err error) error { return &seqError{seq: seq, err: err} }
	for {
		if ctx.Err() != nil {
			return nil
		}
		n, err := io.ReadFull(r, size[:])
		if err == io.EOF && n == 0 {
			return nil
		}
		if err != nil {
			return fail(corruptPBF(err))
		}
		hsize := binary.BigEndian.Uint32(size[:])
		if hsize == 0 || hsize >= maxBlobHeaderSize {
			if nblocks == 0 {
				return fail(notPBF())
			}
			return fail(corruptPBF(fmt.Errorf("block header size %d at byte %d", hsize, off)))
		}
		h := hbuf[:hsize]
		if _, err := io.ReadFull(r, h); err != nil {
			return fail(corruptPBF(unexpectedEOF(err)))
		}
		typ, dsize, ok := parseBlobHeader(h)
		if !ok || dsize < 0 || dsize > maxBlobSize {
			if nblocks == 0 {
				return fail(notPBF())
			}
			return fail(corruptPBF(fmt.Errorf("bad block header at byte %d", off)))
		}
		if nblocks == 0 && typ != "OSMHeader" {
			return fail(notPBF())
		}
		blockOff := off
		off += 4 + int64(hsize) + int64(dsize)
		nblocks++

		switch {
		case typ == "OSMData" && s.skip(seq, blockOff, want):
			if _, err := discard(r, dsize); err != nil {
				return fail(corruptPBF(unexpectedEOF(err)))
			}
			select {
			case jobs <- pbfJob{seq: seq, off: blockOff, end: off, kinds: s.index[seq].kinds}:
			case <-ctx.Done():
				return nil
			}
			seq++
		case typ == "OSMData":
			var buf []byte
			select {
			case buf = <-pool:
			default:
			}
			if cap(buf) < dsize {
				buf = make([]byte, dsize)
			}
			buf = buf[:dsize]
			if _, err := io.ReadFull(r, buf); err != nil {
				return fail(corruptPBF(unexpectedEOF(err)))
			}
			select {
			case jobs <- pbfJob{seq: seq, off: blockOff, end: off, blob: buf}:
			case <-ctx.Done():
				return nil
			}
			seq++
		case typ == "OSMHeader":
			buf := make([]byte, dsize)
			if _, err := io.ReadFull(r, buf); err != nil {
				return fail(corruptPBF(unexpectedEOF(err)))
			}
			if err := checkHeaderBlock(buf); err != nil {
				return fail(err)
			}
		default: // unknown block types are skipped, as the format asks
			if _, err := discard(r, dsize); err != nil {
				return fail(corruptPBF(unexpectedEOF(err)))
			}
		}
	}
}

// skip reports whether the data block can be skipped: the index from an
// earlier pass says it holds no element of the wanted kind.
func (s *pbfSource) skip(seq int, off int64, want uint8) bool {
	return seq < len(s.index) && s.index[seq].off == off && s.index[seq].kinds&want == 0
}

func discard(r io.Reader, n int) (int64, error) {
	if br, ok := r.(interface{ Discard(int) (int, error) }); ok {
		m, err := br.Discard(n)
		return int64(m), err
	}
	return io.CopyN(io.Discard, r, int64(n))
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func notPBF() error {
	return &formatError{msg: "not an OSM PBF file (no OSMHeader block at the start)", hint: hintNotOSM}
}

// parseBlobHeader reads BlobHeader{type=1, indexdata=2, datasize=3}.
func parseBlobHeader(b []byte) (typ string, size int, ok bool) {
	p := pb{b: b}
	size = -1
	for p.more() {
		num, wt := p.key()
		switch {
		case num == 1 && wt == 2:
			typ = string(p.bytes())
		case num == 3 && wt == 0:
			size = int(int32(p.uvarint()))
		default:
			p.skip(wt)
		}
	}
	return typ, size, !p.bad && typ != "" && size >= 0
}

// checkHeaderBlock rejects files that need features this reader lacks.
func checkHeaderBlock(blob []byte) error {
	var z zlibState
	data, err := z.blobData(blob)
	if err != nil {
		return corruptPBF(fmt.Errorf("header block: %w", err))
	}
	p := pb{b: data}
	for p.more() {
		num, wt := p.key()
		if num == 4 && wt == 2 { // required_features
			switch feat := string(p.bytes()); feat {
			case "OsmSchema-V0.6", "DenseNodes":
			case "HistoricalInformation":
				return &formatError{msg: "is an OSM history file (several versions per element)",
					hint: "use a current extract, not a history dump"}
			default:
				return &formatError{msg: fmt.Sprintf("needs the PBF feature %q, which this reader does not support", feat),
					hint: "re-export the extract with osmium or osmconvert to a plain .osm.pbf"}
			}
			continue
		}
		p.skip(wt)
	}
	if p.bad {
		return corruptPBF(errors.New("header block is malformed"))
	}
	return nil
}

// zlibState inflates blobs, reusing its buffers.
type zlibState struct {
	zr  io.ReadCloser
	br  bytes.Reader
	raw []byte
}

// blobData returns the uncompressed contents of a Blob message. The result
// may alias blob or the state's buffer.
func (z *zlibState) blobData(blob []byte) ([]byte, error) {
	p := pb{b: blob}
	var raw, zdata []byte
	rawSize := -1
	var hasRaw, hasZlib bool
	compression := ""
	for p.more() {
		num, wt := p.key()
		switch {
		case num == 1 && wt == 2:
			raw, hasRaw = p.bytes(), true
		case num == 2 && wt == 0:
			rawSize = int(int32(p.uvarint()))
		case num == 3 && wt == 2:
			zdata, hasZlib = p.bytes(), true
		case num == 4:
			compression = "lzma"
			p.skip(wt)
		case num == 5:
			compression = "bzip2"
			p.skip(wt)
		case num == 6:
			compression = "lz4"
			p.skip(wt)
		case num == 7:
			compression = "zstd"
			p.skip(wt)
		default:
			p.skip(wt)
		}
	}
	switch {
	case p.bad:
		return nil, errors.New("malformed blob")
	case hasRaw:
		return raw, nil
	case hasZlib:
		if rawSize < 0 || rawSize > maxBlobSize {
			return nil, fmt.Errorf("bad raw size %d", rawSize)
		}
		return z.inflate(zdata, rawSize)
	case compression != "":
		return nil, &formatError{msg: "PBF block is " + compression + "-compressed, which this reader does not support",
			hint: "re-export with zlib compression (osmium cat -o out.osm.pbf --output-format pbf,pbf_compression=zlib)"}
	}
	return nil, errors.New("blob holds no data")
}

func (z *zlibState) inflate(data []byte, rawSize int) ([]byte, error) {
	if cap(z.raw) < rawSize {
		z.raw = make([]byte, rawSize)
	}
	out := z.raw[:rawSize]
	z.br.Reset(data)
	if z.zr == nil {
		zr, err := zlib.NewReader(&z.br)
		if err != nil {
			return nil, err
		}
		z.zr = zr
	} else if err := z.zr.(zlib.Resetter).Reset(&z.br, nil); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(z.zr, out); err != nil {
		return nil, fmt.Errorf("zlib: %w", unexpectedEOF(err))
	}
	// Reading to the end checks the checksum.
	var one [1]byte
	n, err := z.zr.Read(one[:])
	if n > 0 {
		return nil, errors.New("zlib data longer than its raw size")
	}
	if err != io.EOF {
		if err == nil {
			err = errors.New("zlib stream does not end")
		}
		return nil, fmt.Errorf("zlib: %w", err)
	}
	return out, nil
}

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

// pb reads protocol buffer wire format; any malformed input sets bad.
type pb struct {
	b   []byte
	i   int
	bad bool
}

func (p *pb) more() bool { return !p.bad && p.i < len(p.b) }

func (p *pb) uvarint() uint64 {
	if p.i < len(p.b) {
		if c := p.b[p.i]; c < 0x80 {
			p.i++
			return uint64(c)
		}
	}
	return p.uvarintSlow()
}

func (p *pb) uvarintSlow() uint64 {
	var x uint64
	var s uint
	for j := 0; j < 10; j++ {
		if p.i >= len(p.b) {
			p.bad = true
			return 0
		}
		c := p.b[p.i]
		p.i++
		if c < 0x80 {
			return x | uint64(c)<<s
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	p.bad = true
	return 0
}

func (p *pb) key() (num, wt int) {
	k := p.uvarint()
	if k>>3 == 0 || k>>3 > 1<<29 {
		p.bad = true
	}
	return int(k >> 3), int(k & 7)
}

func (p *pb) bytes() []byte {
	n := p.uvarint()
	if p.bad || n > uint64(len(p.b)-p.i) {
		p.bad = true
		return nil
	}
	s := p.b[p.i : p.i+int(n)]
	p.i += int(n)
	return s
}

func (p *pb) advance(n int) {
	if len(p.b)-p.i < n {
		p.bad = true
		return
	}
	p.i += n
}

func (p *pb) skip(wt int) {
	switch wt {
	case 0:
		p.uvarint()
	case 1:
		p.advance(8)
	case 2:
		p.bytes()
	case 5:
		p.advance(4)
	default:
		p.bad = true
	}
}

func zigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// countVarints counts the varints in packed data (bytes without the
// continuation bit).
func countVarints(b []byte) int {
	n := 0
	for _, c := range b {
		if c < 0x80 {
			n++
		}
	}
	return n
}
