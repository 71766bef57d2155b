// Command scipyexport writes the walk network lifecircle builds from an OSM
// extract, with the facilities and points of a `lifecircle nearest` run
// inserted into it, as flat arrays for scripts/scipy_nearest.py: SciPy's
// csgraph.dijkstra then works from prebuilt arrays on the very graph
// lifecircle searches (scripts/bench compares the two).
//
//	scipyexport -osm city.osm.pbf -facilities f.geojson -points p.geojson -out DIR
//
// Every snapped position becomes a graph node: the edge it lies on is split at
// it (positions at the same offset share one node). A facility at distance
// Access from the street gets one more node, joined by a leg of that length,
// which is where the SciPy search starts; a point's distance is its node's
// distance plus its Access. DIR receives little-endian raw arrays:
// indptr.i64, indices.i32, weights.f64 (CSR, both directions), sources.i32,
// pnode.i32 and paccess.f64 (per point; pnode is -1 beyond --max-snap), and
// meta.json with the counts.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/geo"
)

func main() {
	osmPath := flag.String("osm", "", "OSM extract")
	facilities := flag.String("facilities", "", "facilities (as for lifecircle nearest)")
	points := flag.String("points", "", "points (as for lifecircle nearest)")
	out := flag.String("out", "", "output directory")
	flag.Parse()
	if err := run(*osmPath, *facilities, *points, *out); err != nil {
		fmt.Fprintln(os.Stderr, "scipyexport:", err)
		os.Exit(1)
	}
}

// at is a position on an edge: offset along it, and who sits there.
type at struct {
	off  float64
	kind int8 // 0 source, 1 point
	idx  int32
}

func run(osmPath, facilities, points, out string) error {
	if osmPath == "" || facilities == "" || points == "" || out == "" {
		return fmt.Errorf("-osm, -facilities, -points and -out are required")
	}
	net, _, err := data.ReadWalkNetwork(context.Background(), osmPath, nil)
	if err != nil {
		return err
	}
	cs, err := data.ParseCoordSystem("wgs84")
	if err != nil {
		return err
	}
	fl, pl, err := study.ReadNearestLayers(context.Background(), net, study.PrefetchNearestLayers(context.Background(), facilities, points, cs), study.NoProgress{})
	if err != nil {
		return err
	}
	srcs, pos, ok, err := study.SnapNearest(context.Background(), net, fl, pl, points, geo.DefaultMaxSnap, study.NoProgress{})
	if err != nil {
		return err
	}
	onEdge := map[int32][]at{}
	for i, s := range srcs {
		onEdge[s.Pos.Edge] = append(onEdge[s.Pos.Edge], at{s.Pos.Offset, 0, int32(i)})
	}
	for i, p := range pos {
		if ok[i] {
			onEdge[p.Edge] = append(onEdge[p.Edge], at{p.Offset, 1, int32(i)})
		}
	}
	n := int32(net.NumNodes())
	var from, to []int32
	var w []float64
	link := func(a, b int32, l float64) {
		from, to, w = append(from, a, b), append(to, b, a), append(w, l, l)
	}
	srcNode := make([]int32, len(srcs))
	pnode := make([]int32, len(pos))
	for i := range pnode {
		pnode[i] = -1
	}
	paccess := make([]float64, len(pos))
	for e := int32(0); e < int32(net.NumEdges()); e++ {
		a, b, length := net.Edge(e)
		list := onEdge[e]
		if len(list) == 0 {
			link(a, b, length)
			continue
		}
		sort.Slice(list, func(i, j int) bool { return list[i].off < list[j].off })
		prev, prevOff := a, 0.0
		for k := 0; k < len(list); {
			off := list[k].off
			node := prev
			if off > prevOff {
				if off >= length {
					node = b
				} else {
					node = n
					n++
				}
				link(prev, node, off-prevOff)
			}
			for ; k < len(list) && list[k].off == off; k++ {
				p := list[k]
				if p.kind == 1 {
					pnode[p.idx], paccess[p.idx] = node, pos[p.idx].Access
					continue
				}
				srcNode[p.idx] = node
				if acc := srcs[p.idx].Pos.Access; acc > 0 {
					srcNode[p.idx] = n
					link(node, n, acc)
					n++
				}
			}
			prev, prevOff = node, off
		}
		if prev != b {
			link(prev, b, length-prevOff)
		}
	}
	// CSR by source node (counting sort).
	indptr := make([]int64, n+1)
	for _, f := range from {
		indptr[f+1]++
	}
	for i := int32(0); i < n; i++ {
		indptr[i+1] += indptr[i]
	}
	next := append([]int64(nil), indptr[:n]...)
	indices := make([]int32, len(to))
	weights := make([]float64, len(w))
	for k, f := range from {
		indices[next[f]], weights[next[f]] = to[k], w[k]
		next[f]++
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for name, v := range map[string]any{"indptr.i64": indptr, "indices.i32": indices, "weights.f64": weights,
		"sources.i32": srcNode, "pnode.i32": pnode, "paccess.f64": paccess} {
		if err := writeRaw(filepath.Join(out, name), v); err != nil {
			return err
		}
	}
	meta, _ := json.Marshal(map[string]int{"nodes": int(n), "arcs": len(indices), "sources": len(srcNode), "points": len(pnode),
		"network_nodes": net.NumNodes(), "network_edges": net.NumEdges()})
	return os.WriteFile(filepath.Join(out, "meta.json"), meta, 0o644)
}

func writeRaw(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := binary.Write(bw, binary.LittleEndian, v); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
