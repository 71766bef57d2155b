package geo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// netWireMagic starts a network's binary form; the digit is its version.
const netWireMagic = "LCNET1\n"

// MarshalBinary writes the network's arrays (nodes, edges, lengths,
// geometry and the distances along it) little-endian, bit for bit: the
// network UnmarshalNetwork reads back snaps and searches exactly as n
// does. It is how a shard's part of a network travels to a worker.
func (n *Network) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(netWireMagic)
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	w([4]uint64{uint64(len(n.nodes)), uint64(len(n.edgeLen)), uint64(len(n.geom)), 0})
	w(pointsFloats(n.nodes))
	w(n.edgeA)
	w(n.edgeB)
	w(n.edgeLen)
	w(n.geomStart)
	w(pointsFloats(n.geom))
	w(n.cum)
	return b.Bytes(), nil
}

func pointsFloats(ps []orb.Point) []float64 {
	f := make([]float64, 0, 2*len(ps))
	for _, p := range ps {
		f = append(f, p[0], p[1])
	}
	return f
}

// UnmarshalNetwork reads a network written by MarshalBinary, checks that
// its arrays are consistent and its edges no shorter than the straight
// lines between their ends, and indexes it.
func UnmarshalNetwork(data []byte) (*Network, error) {
	if !bytes.HasPrefix(data, []byte(netWireMagic)) {
		return nil, errors.New("geo: not a lifecircle network (LCNET1): written by another version?")
	}
	r := bytes.NewReader(data[len(netWireMagic):])
	var hdr [4]uint64
	if err := binary.Read(r, binary.LittleEndian, &hdr); err != nil {
		return nil, fmt.Errorf("geo: network header: %w", err)
	}
	nn, ne, ng := hdr[0], hdr[1], hdr[2]
	// Each count is bounded by the bytes left, so a damaged header cannot
	// ask for more memory than the data holds.
	if ne == 0 || nn > uint64(r.Len())/16 || ne > uint64(r.Len())/20 || ng > uint64(r.Len())/24 {
		return nil, fmt.Errorf("geo: network of %d nodes, %d edges, %d vertices does not fit its %d bytes", nn, ne, ng, len(data))
	}
	n := &Network{edgeA: make([]int32, ne), edgeB: make([]int32, ne), edgeLen: make([]float64, ne),
		geomStart: make([]int32, ne+1), cum: make([]float64, ng)}
	nodes, geom := make([]float64, 2*nn), make([]float64, 2*ng)
	for _, v := range []any{nodes, n.edgeA, n.edgeB, n.edgeLen, n.geomStart, geom, n.cum} {
		if err := binary.Read(r, binary.LittleEndian, v); err != nil {
			return nil, fmt.Errorf("geo: network arrays: %w", err)
		}
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("geo: network: %d bytes left over", r.Len())
	}
	n.nodes, n.geom = floatsPoints(nodes), floatsPoints(geom)
	if err := n.checkArrays(); err != nil {
		return nil, err
	}
	if err := n.checkLengths(); err != nil {
		return nil, err
	}
	n.index()
	return n, nil
}

func floatsPoints(f []float64) []orb.Point {
	ps := make([]orb.Point, len(f)/2)
	for i := range ps {
		ps[i] = orb.Point{f[2*i], f[2*i+1]}
	}
	return ps
}

// checkArrays refuses node indices out of range, an edge with fewer than
// two vertices, and coordinates or lengths that are not finite.
func (n *Network) checkArrays() error {
	bad := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }
	nn := int32(len(n.nodes))
	if n.geomStart[0] != 0 || int(n.geomStart[len(n.edgeLen)]) != len(n.geom) {
		return errors.New("geo: network: edge geometry does not span the vertices")
	}
	for e := range n.edgeLen {
		if a, b := n.edgeA[e], n.edgeB[e]; a < 0 || a >= nn || b < 0 || b >= nn {
			return fmt.Errorf("geo: network: edge %d joins nodes %d and %d of %d", e, a, b, nn)
		}
		if n.geomStart[e+1]-n.geomStart[e] < 2 || bad(n.edgeLen[e]) {
			return fmt.Errorf("geo: network: edge %d has a bad geometry or length", e)
		}
	}
	for i, p := range n.geom {
		if bad(p[0]) || bad(p[1]) || bad(n.cum[i]) {
			return fmt.Errorf("geo: network: vertex %d is not finite", i)
		}
	}
	for _, p := range n.nodes {
		if bad(p[0]) || bad(p[1]) {
			return errors.New("geo: network: a node is not finite")
		}
	}
	return nil
}
