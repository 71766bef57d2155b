package geo

import (
	"bytes"
	"fmt"
	"io"
)

// MarshalBinary writes the network's arrays (nodes, edges, lengths,
// geometry and the distances along it) little-endian, bit for bit, in
// the encoding WriteSubNetwork writes: the network UnmarshalNetwork reads
// back snaps and searches exactly as n does. It is how a shard's part of
// a network travels to a worker.
func (n *Network) MarshalBinary() ([]byte, error) {
	edges := make([]int32, len(n.edgeLen))
	for e := range edges {
		edges[e] = int32(e)
	}
	var b bytes.Buffer
	if err := WriteSubNetwork(&b, n, edges); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// UnmarshalNetwork reads a network written by MarshalBinary (or
// WriteSubNetwork) from data, which must hold nothing else (ReadNetwork's
// checks).
func UnmarshalNetwork(data []byte) (*Network, error) {
	r := bytes.NewReader(data)
	n, err := ReadNetwork(r, int64(len(data)))
	if err != nil {
		return nil, err
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("geo: %w: %d bytes left over", ErrBadNetwork, r.Len())
	}
	return n, nil
}

// WriteNetwork writes the whole network n to w in the encoding of
// WriteSubNetwork (ReadNetwork reads it back, snapping and searching
// exactly as n does), without holding the encoding in memory.
func WriteNetwork(w io.Writer, n *Network) error {
	edges := make([]int32, len(n.edgeLen))
	for e := range edges {
		edges[e] = int32(e)
	}
	return WriteSubNetwork(w, n, edges)
}
