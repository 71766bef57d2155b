package synth

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
)

// A PBFNode is an OSM node: lon/lat in degrees (WGS84), stored to 1e-7°
// (granularity 100 nanodegrees). Tags may be nil.
type PBFNode struct {
	ID       int64
	Lon, Lat float64
	Tags     map[string]string
}

// A PBFWay is an OSM way: the ids of its nodes in order and its tags. Tag maps
// are only read, so many ways may share one map.
type PBFWay struct {
	ID      int64
	NodeIDs []int64
	Tags    map[string]string
}

// Limits of one PrimitiveBlock. 8000 elements is what osmium and osmosis
// write; the ref cap keeps a block of very long ways far below the 32 MiB
// blob limit readers enforce.
const (
	pbfBlockElems = 8000
	pbfBlockRefs  = 1 << 20
	pbfGran       = 100 // nanodegrees per coordinate unit
	pbfWriter     = "lifecircle-synth"
)

// WritePBF writes nodes and then ways as an OSM PBF file to w: an OSMHeader
// blob (required features OsmSchema-V0.6 and DenseNodes, bbox of the nodes)
// followed by zlib-compressed OSMData blobs of at most 8000 elements, nodes as
// DenseNodes. No metadata (version, timestamp, user) is written. Tags are
// written sorted by key so output is byte-for-byte deterministic. If both
// lists are sorted by id the header also declares Sort.Type_then_ID.
//
// WritePBF rejects a node with a coordinate outside -180..180 / -90..90 or
// NaN; it does not check that ways reference existing nodes.
func WritePBF(w io.Writer, nodes []PBFNode, ways []PBFWay) error {
	sorted := true
	bbox := [4]int64{math.MaxInt64, math.MinInt64, math.MinInt64, math.MaxInt64} // left, right, top, bottom (nanodegrees)
	for i := range nodes {
		n := &nodes[i]
		if !(n.Lon >= -180 && n.Lon <= 180) || !(n.Lat >= -90 && n.Lat <= 90) {
			return fmt.Errorf("pbf: node %d (id %d): coordinate (%v, %v) is not a lon/lat pair in -180..180, -90..90", i, n.ID, n.Lon, n.Lat)
		}
		if i > 0 && n.ID <= nodes[i-1].ID {
			sorted = false
		}
		lon, lat := coordUnits(n.Lon)*pbfGran, coordUnits(n.Lat)*pbfGran
		bbox[0] = min(bbox[0], lon)
		bbox[1] = max(bbox[1], lon)
		bbox[2] = max(bbox[2], lat)
		bbox[3] = min(bbox[3], lat)
	}
	for i := 1; i < len(ways) && sorted; i++ {
		if ways[i].ID <= ways[i-1].ID {
			sorted = false
		}
	}
	if len(nodes) == 0 {
		bbox = [4]int64{}
	}

	bw := &blobWriter{w: w}
	if err := bw.write("OSMHeader", encodeHeader(bbox, len(nodes) > 0, sorted)); err != nil {
		return err
	}

	// Split into blocks first, then encode and compress them in parallel and
	// write them in order: compression is most of the cost.
	type span struct {
		ways       bool
		start, end int
	}
	var spans []span
	for i := 0; i < len(nodes); i += pbfBlockElems {
		spans = append(spans, span{false, i, min(i+pbfBlockElems, len(nodes))})
	}
	for i := 0; i < len(ways); {
		j, refs := i, 0
		for j < len(ways) && j-i < pbfBlockElems && (j == i || refs+len(ways[j].NodeIDs) <= pbfBlockRefs) {
			refs += len(ways[j].NodeIDs)
			j++
		}
		spans = append(spans, span{true, i, j})
		i = j
	}

	workers := max(1, min(runtime.GOMAXPROCS(0), len(spans)))
	type result struct {
		blob []byte
		err  error
	}
	// Each block has its own buffered result channel, so workers never block
	// on sending; inFlight bounds how far encoding runs ahead of writing.
	results := make([]chan result, len(spans))
	for i := range results {
		results[i] = make(chan result, 1)
	}
	jobs := make(chan int)
	inFlight := make(chan struct{}, 2*workers)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var enc blockEncoder
			for k := range jobs {
				s := spans[k]
				var raw []byte
				if s.ways {
					raw = enc.ways(ways[s.start:s.end])
				} else {
					raw = enc.nodes(nodes[s.start:s.end])
				}
				blob, err := compressBlob(raw)
				results[k] <- result{blob, err}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for k := range spans {
			select {
			case inFlight <- struct{}{}:
			case <-done:
				return
			}
			select {
			case jobs <- k:
			case <-done:
				return
			}
		}
	}()
	var err error
	for k := range spans {
		r := <-results[k]
		<-inFlight
		err = r.err
		if err == nil {
			err = bw.writeBlob("OSMData", r.blob)
		}
		if err != nil {
			break
		}
	}
	close(done)
	wg.Wait()
	return err
}

// coordUnits converts degrees to units of pbfGran nanodegrees (1e-7°).
func coordUnits(deg float64) int64 { return int64(math.Round(deg * 1e7)) }

func encodeHeader(bbox [4]int64, hasBBox, sorted bool) []byte {
	var b []byte
	if hasBBox {
		var bb []byte
		for i, v := range bbox {
			bb = protowire.AppendTag(bb, protowire.Number(i+1), protowire.VarintType)
			bb = protowire.AppendVarint(bb, protowire.EncodeZigZag(v))
		}
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, bb)
	}
	for _, f := range []string{"OsmSchema-V0.6", "DenseNodes"} {
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendString(b, f)
	}
	if sorted {
		b = protowire.AppendTag(b, 5, protowire.BytesType)
		b = protowire.AppendString(b, "Sort.Type_then_ID")
	}
	b = protowire.AppendTag(b, 16, protowire.BytesType)
	b = protowire.AppendString(b, pbfWriter)
	return b
}

// compressBlob returns a serialized Blob holding raw zlib-compressed.
func compressBlob(raw []byte) ([]byte, error) {
	var z bytes.Buffer
	z.Grow(len(raw)/2 + 64)
	zw, err := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	if err != nil {
		return nil, fmt.Errorf("pbf: zlib: %w", err)
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, fmt.Errorf("pbf: zlib: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("pbf: zlib: %w", err)
	}
	b := make([]byte, 0, z.Len()+16)
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(len(raw)))
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendBytes(b, z.Bytes())
	return b, nil
}

// blobWriter writes length-prefixed BlobHeader + Blob pairs.
type blobWriter struct {
	w   io.Writer
	hdr []byte
}

func (bw *blobWriter) write(typ string, raw []byte) error {
	blob, err := compressBlob(raw)
	if err != nil {
		return err
	}
	return bw.writeBlob(typ, blob)
}

func (bw *blobWriter) writeBlob(typ string, blob []byte) error {
	h := bw.hdr[:0]
	h = append(h, 0, 0, 0, 0)
	h = protowire.AppendTag(h, 1, protowire.BytesType)
	h = protowire.AppendString(h, typ)
	h = protowire.AppendTag(h, 3, protowire.VarintType)
	h = protowire.AppendVarint(h, uint64(len(blob)))
	binary.BigEndian.PutUint32(h, uint32(len(h)-4))
	bw.hdr = h
	if _, err := bw.w.Write(h); err != nil {
		return fmt.Errorf("pbf: write: %w", err)
	}
	if _, err := bw.w.Write(blob); err != nil {
		return fmt.Errorf("pbf: write: %w", err)
	}
	return nil
}

// blockEncoder builds PrimitiveBlocks, reusing its scratch buffers.
type blockEncoder struct {
	strs    []string
	index   map[string]uint32
	a, b, c []byte // packed columns
	kv      []byte
	group   []byte
	keys    []string
}

func (e *blockEncoder) reset() {
	e.strs = append(e.strs[:0], "")
	if e.index == nil {
		e.index = make(map[string]uint32)
	}
	clear(e.index)
	e.group = e.group[:0]
}

func (e *blockEncoder) str(s string) uint32 {
	if i, ok := e.index[s]; ok {
		return i
	}
	i := uint32(len(e.strs))
	e.strs = append(e.strs, s)
	e.index[s] = i
	return i
}

// sortedKeys returns m's keys in order, in a reused slice.
func (e *blockEncoder) sortedKeys(m map[string]string) []string {
	e.keys = e.keys[:0]
	for k := range m {
		e.keys = append(e.keys, k)
	}
	sort.Strings(e.keys)
	return e.keys
}

// nodes encodes one PrimitiveBlock with a single DenseNodes group.
func (e *blockEncoder) nodes(ns []PBFNode) []byte {
	e.reset()
	ids, lats, lons, kv := e.a[:0], e.b[:0], e.c[:0], e.kv[:0]
	var pid, plat, plon int64
	tagged := false
	for i := range ns {
		n := &ns[i]
		lat, lon := coordUnits(n.Lat), coordUnits(n.Lon)
		ids = protowire.AppendVarint(ids, protowire.EncodeZigZag(n.ID-pid))
		lats = protowire.AppendVarint(lats, protowire.EncodeZigZag(lat-plat))
		lons = protowire.AppendVarint(lons, protowire.EncodeZigZag(lon-plon))
		pid, plat, plon = n.ID, lat, lon
		if len(n.Tags) > 0 {
			tagged = true
			for _, k := range e.sortedKeys(n.Tags) {
				kv = protowire.AppendVarint(kv, uint64(e.str(k)))
				kv = protowire.AppendVarint(kv, uint64(e.str(n.Tags[k])))
			}
		}
		kv = append(kv, 0)
	}
	e.a, e.b, e.c, e.kv = ids, lats, lons, kv

	d := e.group
	d = protowire.AppendTag(d, 1, protowire.BytesType)
	d = protowire.AppendBytes(d, ids)
	d = protowire.AppendTag(d, 8, protowire.BytesType)
	d = protowire.AppendBytes(d, lats)
	d = protowire.AppendTag(d, 9, protowire.BytesType)
	d = protowire.AppendBytes(d, lons)
	if tagged {
		d = protowire.AppendTag(d, 10, protowire.BytesType)
		d = protowire.AppendBytes(d, kv)
	}
	e.group = d
	// PrimitiveGroup{dense = 2}
	var g []byte
	g = protowire.AppendTag(g, 2, protowire.BytesType)
	g = protowire.AppendBytes(g, d)
	return e.groupBlock(g)
}

// ways encodes one PrimitiveBlock with a single group of Ways.
func (e *blockEncoder) ways(ws []PBFWay) []byte {
	e.reset()
	g := e.group
	for i := range ws {
		w := &ws[i]
		keys, vals, refs := e.a[:0], e.b[:0], e.c[:0]
		for _, k := range e.sortedKeys(w.Tags) {
			keys = protowire.AppendVarint(keys, uint64(e.str(k)))
			vals = protowire.AppendVarint(vals, uint64(e.str(w.Tags[k])))
		}
		var prev int64
		for _, id := range w.NodeIDs {
			refs = protowire.AppendVarint(refs, protowire.EncodeZigZag(id-prev))
			prev = id
		}
		e.a, e.b, e.c = keys, vals, refs

		size := protowire.SizeTag(1) + protowire.SizeVarint(uint64(w.ID))
		if len(keys) > 0 {
			size += 2*protowire.SizeTag(2) + protowire.SizeBytes(len(keys)) + protowire.SizeBytes(len(vals))
		}
		if len(refs) > 0 {
			size += protowire.SizeTag(8) + protowire.SizeBytes(len(refs))
		}
		g = protowire.AppendTag(g, 3, protowire.BytesType)
		g = protowire.AppendVarint(g, uint64(size))
		g = protowire.AppendTag(g, 1, protowire.VarintType)
		g = protowire.AppendVarint(g, uint64(w.ID))
		if len(keys) > 0 {
			g = protowire.AppendTag(g, 2, protowire.BytesType)
			g = protowire.AppendBytes(g, keys)
			g = protowire.AppendTag(g, 3, protowire.BytesType)
			g = protowire.AppendBytes(g, vals)
		}
		if len(refs) > 0 {
			g = protowire.AppendTag(g, 8, protowire.BytesType)
			g = protowire.AppendBytes(g, refs)
		}
	}
	e.group = g
	return e.groupBlock(g)
}

// groupBlock wraps an encoded PrimitiveGroup with the string table and
// granularity into a PrimitiveBlock. The string table comes first, as the
// format's writers do, although readers must accept any order.
func (e *blockEncoder) groupBlock(group []byte) []byte {
	var st []byte
	for _, s := range e.strs {
		st = protowire.AppendTag(st, 1, protowire.BytesType)
		st = protowire.AppendString(st, s)
	}
	out := make([]byte, 0, len(st)+len(group)+32)
	out = protowire.AppendTag(out, 1, protowire.BytesType)
	out = protowire.AppendBytes(out, st)
	out = protowire.AppendTag(out, 2, protowire.BytesType)
	out = protowire.AppendBytes(out, group)
	out = protowire.AppendTag(out, 17, protowire.VarintType)
	out = protowire.AppendVarint(out, pbfGran)
	return out
}
