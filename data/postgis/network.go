package postgis

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/osm"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// A Network is a project's walk network as its input polylines, in input
// order, and how it was built.
type Network struct {
	Info data.NetworkInfo
	Ways []Way
}

// A Way is one input polyline of the walk network (lon/lat).
type Way struct {
	ID int64 // OSM way id; 0 for lines from GeoJSON
	// Nodes are the vertex ids (OSM node ids), one per vertex of Line;
	// nil for lines that join others where they share a coordinate.
	Nodes []int64
	Line  orb.LineString
}

func (n *Network) validate() error {
	withIDs := 0
	for i, w := range n.Ways {
		if len(w.Line) < 2 {
			return fmt.Errorf("network way %d (id %d) has %d vertices; a way needs at least 2", i, w.ID, len(w.Line))
		}
		if w.Nodes != nil {
			if len(w.Nodes) != len(w.Line) {
				return fmt.Errorf("network way %d (id %d) has %d node ids for %d vertices", i, w.ID, len(w.Nodes), len(w.Line))
			}
			withIDs++
		}
	}
	if withIDs != 0 && withIDs != len(n.Ways) {
		return fmt.Errorf("network: %d of %d ways have node ids; either all ways (OSM) or none (lines) must", withIDs, len(n.Ways))
	}
	return nil
}

// Build builds the walk network from the ways exactly as the file readers
// do (data.WalkNetwork joins OSM ways by node id, data.ReadLineNetwork
// joins lines by coordinate), so distances equal the file-based ones.
func (n *Network) Build() (*geo.Network, error) {
	if err := n.validate(); err != nil {
		return nil, err
	}
	size := 0
	for _, w := range n.Ways {
		size += len(w.Line)
	}
	b := geo.NewNetworkBuilder(size)
	for i, w := range n.Ways {
		var err error
		if w.Nodes != nil {
			err = b.AddWay(w.Nodes, w.Line)
		} else {
			err = b.AddLine(w.Line)
		}
		if err != nil {
			return nil, fmt.Errorf("network way %d (id %d): %w", i, w.ID, err)
		}
	}
	net, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	return net, nil
}

// OSMWays wraps the walkable ways of an OSM extract, as
// data.ReadWalkableWays returns them, as ways that join by node id.
func OSMWays(ws []osm.Way) []Way {
	ways := make([]Way, len(ws))
	for i, w := range ws {
		ways[i] = Way{ID: w.ID, Nodes: w.NodeIDs, Line: orb.LineString(w.Coords)}
	}
	return ways
}

// LineWays wraps GeoJSON network lines as ways that join by coordinate.
func LineWays(lines []orb.LineString) []Way {
	ways := make([]Way, len(lines))
	for i, l := range lines {
		ways[i] = Way{Line: l}
	}
	return ways
}

func (s *Store) copyWays(ctx context.Context, tx pgx.Tx, layer int64, ways []Way) (int64, error) {
	k := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if k >= len(ways) {
			return nil, nil
		}
		w := ways[k]
		g, err := toEWKB(w.Line)
		if err != nil {
			return nil, fmt.Errorf("network way %d (id %d): %w", k, w.ID, err)
		}
		var id, nodes any
		if w.ID != 0 {
			id = w.ID
		}
		if w.Nodes != nil {
			nodes = w.Nodes
		}
		length := 0.0
		for i := 1; i < len(w.Line); i++ {
			length += geo.Haversine(w.Line[i-1], w.Line[i])
		}
		row := []any{layer, int32(k), id, nodes, length, g}
		k++
		return row, nil
	})
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"lifecircle", "network_ways"},
		[]string{"layer", "seq", "way_id", "node_ids", "length_m", "geom"}, src)
	if err != nil {
		return n, fmt.Errorf("copy network ways: %w", err)
	}
	if s.afterCopy != nil {
		if err := s.afterCopy(ctx, "network_ways"); err != nil {
			return n, err
		}
	}
	return n, nil
}

func loadWays(ctx context.Context, tx pgx.Tx, layer int64) ([]Way, error) {
	rows, err := tx.Query(ctx, `SELECT way_id, node_ids, ST_AsBinary(geom) FROM lifecircle.network_ways WHERE layer = $1 ORDER BY seq`, layer)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ways []Way
	for rows.Next() {
		var id *int64
		var nodes []int64
		var gb []byte
		if err := rows.Scan(&id, &nodes, &gb); err != nil {
			return nil, err
		}
		g, err := fromWKB(gb)
		if err != nil {
			return nil, fmt.Errorf("network way %d: %w", len(ways), err)
		}
		ls, ok := g.(orb.LineString)
		if !ok {
			return nil, fmt.Errorf("network way %d is a %s, not a LineString", len(ways), g.GeoJSONType())
		}
		w := Way{Nodes: nodes, Line: ls}
		if id != nil {
			w.ID = *id
		}
		ways = append(ways, w)
	}
	return ways, rows.Err()
}
