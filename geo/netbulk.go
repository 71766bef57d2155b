package geo

import (
	"encoding/binary"
	"errors"
	"io"
	"unsafe"

	"github.com/paulmach/orb"
)

// bulkCodec is true where the machine's own byte order is the encoding's
// (little-endian: amd64, arm64): whole arrays are then written and read
// as they lie in memory instead of value by value — the same bytes, ten
// times faster. Tests turn it off to compare the two ways.
var bulkCodec = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

func rawBytes[T int32 | int64 | float32 | float64 | orb.Point](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(z)))
}

// writeWhole writes the arrays of n when the encoding of all its edges
// is those arrays as they are (every node is an edge's end, so it keeps
// its number, and the vertex starts begin at 0). It reports false, having
// written nothing, when they are not.
func (b *binWriter) writeWhole(n *Network, edges []int32, nodes []int32) bool {
	if !bulkCodec || len(edges) != len(n.edgeLen) || len(nodes) != len(n.nodes) || n.geomStart[0] != 0 {
		return false
	}
	for _, a := range [][]byte{rawBytes(n.nodes), rawBytes(n.edgeA), rawBytes(n.edgeB), rawBytes(n.edgeLen),
		rawBytes(n.geomStart), rawBytes(n.geom), rawBytes(n.cum)} {
		b.bytes(a)
	}
	return true
}

// raw fills dst's bytes from the reader, when the encoding is the
// machine's byte order; it reports false, having read nothing, when not.
func (b *binReader) raw(dst []byte) bool {
	if !bulkCodec {
		return false
	}
	if b.err == nil && len(dst) > 0 {
		_, b.err = io.ReadFull(b.r, dst)
		if errors.Is(b.err, io.EOF) {
			b.err = io.ErrUnexpectedEOF
		}
	}
	return true
}
