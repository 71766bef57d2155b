package data

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/lifecircle/lifecircle/data/osm"
	"github.com/lifecircle/lifecircle/geo"
)

// NetworkInfo describes how a walk network was built, for summaries.
type NetworkInfo struct {
	Source       string  `json:"source"`
	Ways         int     `json:"ways"`
	Nodes        int     `json:"nodes"`
	Edges        int     `json:"edges"`
	Segments     int     `json:"segments"`
	LengthKm     float64 `json:"length_km"`
	Components   int     `json:"components"`
	MissingNodes int     `json:"missing_nodes,omitempty"`
	// NegativeNodeIDs and DuplicateNodeIDs are osm.Extract's counts.
	NegativeNodeIDs  int `json:"negative_node_ids,omitempty"`
	DuplicateNodeIDs int `json:"duplicate_node_ids,omitempty"`
	SplitWays        int `json:"split_ways,omitempty"`
}

// IsOSMPath reports whether path names an OpenStreetMap file by its
// extension (.osm.pbf, .pbf, .osm, .osm.gz, .osm.bz2, .xml).
func IsOSMPath(path string) bool {
	p := strings.ToLower(path)
	for _, ext := range []string{".pbf", ".osm", ".osm.gz", ".osm.bz2", ".osm.xml", ".xml"} {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}

// WalkNetwork builds the walk network from the walkable ways of an OSM
// extract (geo.Walkable), keeping every component; it stops with ctx's
// error once ctx is cancelled.
func WalkNetwork(ctx context.Context, path string, x *osm.Extract) (*geo.Network, NetworkInfo, error) {
	info := NetworkInfo{Source: filepath.Base(path), MissingNodes: x.MissingNodes, SplitWays: x.SplitWays,
		NegativeNodeIDs: x.NegativeNodeIDs, DuplicateNodeIDs: x.DuplicateNodeIDs}
	n := 0
	for i := range x.Ways {
		n += len(x.Ways[i].NodeIDs)
	}
	// Ways numbered by Read (NodeIdx) need no map from node ids.
	numbered := x.NodeCount > 0
	for i := range x.Ways {
		numbered = numbered && len(x.Ways[i].NodeIdx) == len(x.Ways[i].NodeIDs)
	}
	b := geo.NewNetworkBuilder(n)
	for i := range x.Ways {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, info, ctx.Err()
		}
		w := &x.Ways[i]
		if !geo.Walkable(tagGetter(w.Tags)) {
			continue
		}
		var err error
		if numbered {
			err = b.AddWayNumbered(w.NodeIdx, x.NodeCount, w.NodeIDs, w.Coords)
		} else {
			err = b.AddWay(w.NodeIDs, w.Coords)
		}
		if err != nil {
			return nil, info, fmt.Errorf("%s: way %d: %w", path, w.ID, err)
		}
		info.Ways++
	}
	if info.Ways == 0 {
		return nil, info, fmt.Errorf("%s: no walkable ways (highway=*) found — is this the right extract? It needs the streets of the study area", path)
	}
	if ctx.Err() != nil {
		return nil, info, ctx.Err()
	}
	net, err := b.Build()
	if err != nil {
		return nil, info, fmt.Errorf("%s: %w", path, err)
	}
	if ctx.Err() != nil {
		return nil, info, ctx.Err()
	}
	fillInfo(&info, net)
	return net, info, nil
}

// ReadWalkNetwork reads an OSM file and builds its walk network.
func ReadWalkNetwork(ctx context.Context, path string, progress func(pass string, done, total int64)) (*geo.Network, NetworkInfo, error) {
	net, info, _, err := ReadWalkNetworkCached(ctx, path, nil, progress)
	return net, info, err
}

// ReadWalkNetworkCached is ReadWalkNetwork through cache c (nil: none);
// fromCache names the entry the network came from, "" when the extract
// was read.
func ReadWalkNetworkCached(ctx context.Context, path string, c *OSMCache, progress func(pass string, done, total int64)) (net *geo.Network, info NetworkInfo, fromCache string, err error) {
	in, from, err := c.cached(path, "walk network", func() (*OSMInputs, error) {
		x, err := osm.Read(ctx, path, osm.Filter{Way: geo.Walkable}, progress)
		if err != nil {
			return nil, err
		}
		net, info, err := WalkNetwork(ctx, path, x)
		if err != nil {
			return nil, err
		}
		return &OSMInputs{Net: net, NetInfo: info}, nil
	})
	if err != nil {
		return nil, NetworkInfo{}, "", err
	}
	return in.Net, in.NetInfo, from, nil
}

// ReadLineNetwork builds a walk network from a GeoJSON file of
// LineString/MultiLineString features; lines that share a vertex
// coordinate connect.
func ReadLineNetwork(path string) (*geo.Network, NetworkInfo, error) {
	info := NetworkInfo{Source: filepath.Base(path)}
	lines, err := ReadLines(path)
	if err != nil {
		return nil, info, err
	}
	b := geo.NewNetworkBuilder(0)
	for i, l := range lines {
		if err := b.AddLine(l); err != nil {
			return nil, info, fmt.Errorf("%s: line %d: %w", path, i, err)
		}
	}
	info.Ways = len(lines)
	net, err := b.Build()
	if err != nil {
		return nil, info, fmt.Errorf("%s: %w", path, err)
	}
	fillInfo(&info, net)
	return net, info, nil
}

func fillInfo(info *NetworkInfo, net *geo.Network) {
	info.Nodes = net.NumNodes()
	info.Edges = net.NumEdges()
	info.Segments = net.NumSegments()
	info.LengthKm = net.TotalLength() / 1000
	_, info.Components = net.Components()
}

// tagGetter adapts a tag map to the getter the filters take.
func tagGetter(tags map[string]string) func(string) string {
	return func(k string) string { return tags[k] }
}

// ReadWalkableWays returns the walkable ways of an OSM extract
// (geo.Walkable) with their node ids, cut at missing nodes as WalkNetwork
// cuts them, in file order: the network as stored by data/postgis.
func ReadWalkableWays(ctx context.Context, path string, progress func(pass string, done, total int64)) ([]osm.Way, error) {
	x, err := osm.Read(ctx, path, osm.Filter{Way: geo.Walkable}, progress)
	if err != nil {
		return nil, err
	}
	ways := make([]osm.Way, 0, len(x.Ways))
	for _, w := range x.Ways {
		if geo.Walkable(func(k string) string { return w.Tags[k] }) {
			ways = append(ways, w)
		}
	}
	return ways, nil
}
