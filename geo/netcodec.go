package geo

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/paulmach/orb"
)

// netMagic starts an encoded network (WriteSubNetwork, ReadNetwork,
// MarshalBinary, UnmarshalNetwork); the digit is its version.
const netMagic = "LCNET1\n"

// ErrBadNetwork is wrapped by ReadNetwork's errors about the content of
// an encoded network (as opposed to errors of the reader).
var ErrBadNetwork = errors.New("not a valid encoded walk network")

// WriteSubNetwork writes the network of n's edges listed in edges
// (ascending; what n.Sub returns for them, without building its index) to
// w in lifecircle's binary network encoding. Coordinates, lengths and
// offsets are written bit for bit (little-endian IEEE 754), so ReadNetwork
// gives a network that snaps and searches exactly as the Sub of the same
// edges, whose edge k is edges[k].
//
// The encoding: "LCNET1\n"; node, edge and vertex counts and a zero
// (uint64); node
// lon/lat pairs; edge A ends, B ends (int32); edge lengths (float64);
// edge vertex starts (int32, one more than the edges); vertex lon/lat
// pairs; vertex offsets along their edge (float64).
func WriteSubNetwork(w io.Writer, n *Network, edges []int32) error {
	if len(edges) == 0 {
		return fmt.Errorf("geo: the sub-network has no edges")
	}
	nodeOf := make([]int32, len(n.nodes))
	for i := range nodeOf {
		nodeOf[i] = -1
	}
	nv := 0
	for k, e := range edges {
		if e < 0 || int(e) >= len(n.edgeLen) || (k > 0 && e <= edges[k-1]) {
			return fmt.Errorf("geo: sub-network edge %d: edges must be ascending edges of the network (%d)", e, len(n.edgeLen))
		}
		nodeOf[n.edgeA[e]], nodeOf[n.edgeB[e]] = 0, 0
		nv += int(n.geomStart[e+1] - n.geomStart[e])
	}
	var nodes []int32
	for i, k := range nodeOf {
		if k == 0 {
			nodeOf[i] = int32(len(nodes))
			nodes = append(nodes, int32(i))
		}
	}
	bw := &binWriter{w: bufio.NewWriterSize(w, 1<<16)}
	bw.bytes([]byte(netMagic))
	bw.u64(uint64(len(nodes)))
	bw.u64(uint64(len(edges)))
	bw.u64(uint64(nv))
	bw.u64(0)
	if bw.writeWhole(n, edges, nodes) {
		return bw.flush()
	}
	for _, v := range nodes {
		bw.point(n.nodes[v])
	}
	for _, e := range edges {
		bw.i32(nodeOf[n.edgeA[e]])
	}
	for _, e := range edges {
		bw.i32(nodeOf[n.edgeB[e]])
	}
	for _, e := range edges {
		bw.f64(n.edgeLen[e])
	}
	start := int32(0)
	for _, e := range edges {
		bw.i32(start)
		start += n.geomStart[e+1] - n.geomStart[e]
	}
	bw.i32(start)
	for _, e := range edges {
		for _, p := range n.geom[n.geomStart[e]:n.geomStart[e+1]] {
			bw.point(p)
		}
	}
	for _, e := range edges {
		for _, c := range n.cum[n.geomStart[e]:n.geomStart[e+1]] {
			bw.f64(c)
		}
	}
	return bw.flush()
}

func (b *binWriter) flush() error {
	if b.err == nil {
		b.err = b.w.Flush()
	}
	if b.err != nil {
		return fmt.Errorf("geo: write network: %w", b.err)
	}
	return nil
}

// ReadNetwork reads a network WriteSubNetwork wrote, refusing one whose
// arrays would take more than budget bytes (the size of what is left to
// read: counts are checked before anything is allocated), whose indices
// or coordinates are out of range, or whose edges are shorter than the
// straight line between their ends; it builds the snapping index as
// Build does.
func ReadNetwork(r io.Reader, budget int64) (*Network, error) {
	n, err := readArrays(r, budget, true)
	if err != nil {
		return nil, err
	}
	n.index()
	return n, nil
}

// readArrays reads and checks what WriteSubNetwork wrote, without the
// index.
func readArrays(r io.Reader, budget int64, checkLengths bool) (*Network, error) {
	br := &binReader{r: r}
	if m := br.bytes(len(netMagic)); br.err == nil && string(m) != netMagic {
		return nil, fmt.Errorf("geo: %w: it does not start with %q", ErrBadNetwork, netMagic)
	}
	nn, ne, nv, zero := br.u64(), br.u64(), br.u64(), br.u64()
	if br.err == nil && zero != 0 {
		return nil, fmt.Errorf("geo: %w: header word %d is not 0 (a later version of the encoding?)", ErrBadNetwork, zero)
	}
	if br.err != nil {
		return nil, fmt.Errorf("geo: read network: %w", br.err)
	}
	const maxCount = math.MaxInt32 - 1
	need := 16*float64(nn) + 16*float64(ne) + 4*float64(ne+1) + 24*float64(nv) + float64(len(netMagic)+32)
	if nn > maxCount || ne > maxCount || nv > maxCount || ne == 0 || need > float64(budget) {
		return nil, fmt.Errorf("geo: %w: %d nodes, %d edges and %d vertices need %.0f bytes, more than the %d there are", ErrBadNetwork, nn, ne, nv, need, budget)
	}
	n := &Network{nodes: make([]orb.Point, nn), edgeA: make([]int32, ne), edgeB: make([]int32, ne),
		edgeLen: make([]float64, ne), geomStart: make([]int32, ne+1), geom: make([]orb.Point, nv), cum: make([]float64, nv)}
	br.points(n.nodes)
	br.i32s(n.edgeA)
	br.i32s(n.edgeB)
	br.f64s(n.edgeLen)
	br.i32s(n.geomStart)
	br.points(n.geom)
	br.f64s(n.cum)
	if br.err != nil {
		return nil, fmt.Errorf("geo: read network: %w", br.err)
	}
	if err := n.checkArrays(); err != nil {
		return nil, fmt.Errorf("geo: %w: %v", ErrBadNetwork, err)
	}
	if checkLengths {
		if err := n.checkLengths(); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// checkArrays checks what the searches and snapping index rely on: ends
// and vertex ranges in range, every edge at least one segment from its A
// node to its B node, finite lengths and offsets, lon/lat coordinates.
func (n *Network) checkArrays() error {
	nn, nv := int32(len(n.nodes)), int32(len(n.geom))
	for i, p := range n.nodes {
		if !ValidLonLat(p) {
			return fmt.Errorf("node %d at %v is not a lon/lat position", i, p)
		}
	}
	if n.geomStart[0] != 0 || n.geomStart[len(n.edgeLen)] != nv {
		return fmt.Errorf("edge vertices start at %d and end at %d, not 0 and %d", n.geomStart[0], n.geomStart[len(n.edgeLen)], nv)
	}
	for e := range n.edgeLen {
		a, b, s, t := n.edgeA[e], n.edgeB[e], n.geomStart[e], n.geomStart[e+1]
		if a < 0 || a >= nn || b < 0 || b >= nn {
			return fmt.Errorf("edge %d joins nodes %d and %d of %d", e, a, b, nn)
		}
		if s < 0 || t > nv || t-s < 2 {
			return fmt.Errorf("edge %d has vertices %d..%d of %d", e, s, t, nv)
		}
		if n.geom[s] != n.nodes[a] || n.geom[t-1] != n.nodes[b] {
			return fmt.Errorf("edge %d does not run from its A node to its B node", e)
		}
		if l := n.edgeLen[e]; math.IsNaN(l) || math.IsInf(l, 0) || l < 0 {
			return fmt.Errorf("edge %d has length %v", e, l)
		}
		for i := s; i < t; i++ {
			if c := n.cum[i]; !ValidLonLat(n.geom[i]) || math.IsNaN(c) || math.IsInf(c, 0) || c < 0 || (i > s && c < n.cum[i-1]) {
				return fmt.Errorf("edge %d: vertex %d at %v, offset %v", e, i, n.geom[i], c)
			}
		}
	}
	return nil
}

// binWriter writes little-endian values, keeping the first error.
type binWriter struct {
	w   *bufio.Writer
	buf [8]byte
	err error
}

func (b *binWriter) bytes(p []byte) {
	if b.err == nil {
		_, b.err = b.w.Write(p)
	}
}
func (b *binWriter) u64(v uint64) {
	binary.LittleEndian.PutUint64(b.buf[:], v)
	b.bytes(b.buf[:8])
}
func (b *binWriter) f64(v float64) { b.u64(math.Float64bits(v)) }
func (b *binWriter) i32(v int32) {
	binary.LittleEndian.PutUint32(b.buf[:], uint32(v))
	b.bytes(b.buf[:4])
}
func (b *binWriter) point(p orb.Point) { b.f64(p[0]); b.f64(p[1]) }

// binReader reads little-endian values in chunks, keeping the first
// error.
type binReader struct {
	r   io.Reader
	buf [1 << 15]byte
	err error
}

func (b *binReader) bytes(n int) []byte {
	if b.err != nil {
		return nil
	}
	_, b.err = io.ReadFull(b.r, b.buf[:n])
	if errors.Is(b.err, io.EOF) {
		b.err = io.ErrUnexpectedEOF
	}
	return b.buf[:n]
}

func (b *binReader) u64() uint64 {
	if p := b.bytes(8); b.err == nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

// each reads n values of size bytes and hands each to set.
func (b *binReader) each(n, size int, set func(i int, p []byte)) {
	per := len(b.buf) / size
	for i := 0; i < n && b.err == nil; i += per {
		k := min(per, n-i)
		p := b.bytes(k * size)
		for j := 0; j < k && b.err == nil; j++ {
			set(i+j, p[j*size:(j+1)*size])
		}
	}
}

func (b *binReader) f64s(dst []float64) {
	if b.raw(rawBytes(dst)) {
		return
	}
	b.each(len(dst), 8, func(i int, p []byte) { dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(p)) })
}
func (b *binReader) i32s(dst []int32) {
	if b.raw(rawBytes(dst)) {
		return
	}
	b.each(len(dst), 4, func(i int, p []byte) { dst[i] = int32(binary.LittleEndian.Uint32(p)) })
}
func (b *binReader) points(dst []orb.Point) {
	if b.raw(rawBytes(dst)) {
		return
	}
	b.each(len(dst), 16, func(i int, p []byte) {
		dst[i] = orb.Point{math.Float64frombits(binary.LittleEndian.Uint64(p)), math.Float64frombits(binary.LittleEndian.Uint64(p[8:]))}
	})
}
