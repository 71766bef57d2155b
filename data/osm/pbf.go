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
		if p.found[h.idx] {
			p.dupNodes++
		}
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
