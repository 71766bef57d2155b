package postgis

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// An ItemQuery selects features of one kind of layer of a project, as an
// OGC API – Features items request does.
type ItemQuery struct {
	Project string
	Kind    string     // amenity, buildings, residential, population, units, layer or network
	Layer   string     // for kind "layer": the layer's name; "" = every layer of the kind
	BBox    *orb.Bound // lon/lat; nil = everywhere
	Limit   int        // 0 = no limit
	Offset  int
}

// An Item is one stored feature.
type Item struct {
	ID       string
	Type     string // amenity type (amenity layers)
	Name     string
	Props    json.RawMessage // properties as stored (tags, source, ...)
	Geometry orb.Geometry
}

var itemKinds = map[string]bool{"amenity": true, "buildings": true, "residential": true, "population": true, "units": true, "layer": true, "network": true}

func (q ItemQuery) check() error {
	if err := ValidateProjectName(q.Project); err != nil {
		return err
	}
	if !itemKinds[q.Kind] {
		return fmt.Errorf("postgis: unknown layer kind %q: want amenity, buildings, residential, population, units, layer or network", q.Kind)
	}
	if q.Limit < 0 || q.Offset < 0 {
		return fmt.Errorf("postgis: limit and offset must be ≥ 0")
	}
	if b := q.BBox; b != nil {
		for _, x := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("postgis: bbox %v has a non-finite coordinate", *b)
			}
		}
		if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
			return fmt.Errorf("postgis: bbox %v: min must not exceed max (lon, lat)", *b)
		}
	}
	return nil
}

// The item queries: feature layers or the network, with or without a
// bbox. Separate texts rather than an "OR no bbox" condition, so that the
// planner always sees a plain && it can answer from the GiST index.
const (
	itemsSelect = `SELECT f.fid, f.type, f.name, f.props, ST_AsBinary(f.geom)
		FROM lifecircle.features f
		JOIN lifecircle.layers l ON l.id = f.layer
		JOIN lifecircle.projects p ON p.id = l.project
		WHERE p.name = $1 AND l.kind = $2 AND ($3 = '' OR l.name = $3)`
	networkSelect = `SELECT coalesce(w.way_id::text, w.seq::text), NULL::text, NULL::text,
		jsonb_build_object('length_m', w.length_m), ST_AsBinary(w.geom)
		FROM lifecircle.network_ways w
		JOIN lifecircle.layers l ON l.id = w.layer
		JOIN lifecircle.projects p ON p.id = l.project
		WHERE p.name = $1 AND l.kind = $2 AND ($3 = '' OR l.name = $3)`
	bboxCond   = ` AND geom && ST_MakeEnvelope($4, $5, $6, $7, 4326)`
	itemsOrder = ` ORDER BY l.id, seq`
)

func (q ItemQuery) sql(count bool) (string, []any) {
	base := itemsSelect
	if q.Kind == "network" {
		base = networkSelect
	}
	args := []any{q.Project, q.Kind, q.Layer}
	if q.BBox != nil {
		base += bboxCond
		args = append(args, q.BBox.Min[0], q.BBox.Min[1], q.BBox.Max[0], q.BBox.Max[1])
	}
	if count {
		return `SELECT count(*) FROM (` + base + `) q`, args
	}
	base += itemsOrder
	if q.Limit > 0 {
		args = append(args, q.Limit)
		base += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	if q.Offset > 0 {
		args = append(args, q.Offset)
		base += fmt.Sprintf(" OFFSET $%d", len(args))
	}
	return base, args
}

// Items returns the features q selects, in input order.
func (s *Store) Items(ctx context.Context, q ItemQuery) ([]Item, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	sql, args := q.sql(false)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("postgis: items of %s/%s: %w", q.Project, q.Kind, err)
	}
	defer rows.Close()
	var out []Item
	if q.Limit > 0 && q.Limit < 100000 {
		out = make([]Item, 0, q.Limit)
	}
	for rows.Next() {
		var it Item
		var typ, name *string
		var props, gb []byte
		if err := rows.Scan(&it.ID, &typ, &name, &props, &gb); err != nil {
			return nil, fmt.Errorf("postgis: items of %s/%s: %w", q.Project, q.Kind, err)
		}
		it.Type, it.Name, it.Props = deref(typ), deref(name), props
		if it.Geometry, err = fromWKB(gb); err != nil {
			return nil, fmt.Errorf("postgis: items of %s/%s: feature %s: %w", q.Project, q.Kind, it.ID, err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgis: items of %s/%s: %w", q.Project, q.Kind, err)
	}
	return out, nil
}

// CountItems returns how many features q selects, ignoring Limit and
// Offset (numberMatched).
func (s *Store) CountItems(ctx context.Context, q ItemQuery) (int, error) {
	if err := q.check(); err != nil {
		return 0, err
	}
	sql, args := q.sql(true)
	var n int64
	if err := s.pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgis: count items of %s/%s: %w", q.Project, q.Kind, err)
	}
	return int(n), nil
}
