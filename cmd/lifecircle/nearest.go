package main

import (
	"context"
	"io"
	"math"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/geo"
)

func init() {
	register("nearest", "walking distance from each point to its nearest facility", runNearest)
}

// networkFlags are the inputs that make a walk network, shared by verbs.
type networkFlags struct {
	osm     string
	network string
	maxSnap float64
}

func (n *networkFlags) load(ctx context.Context, p *progress) (*geo.Network, data.NetworkInfo, error) {
	var (
		net  *geo.Network
		info data.NetworkInfo
		note string
		err  error
	)
	switch {
	case n.osm != "" && n.network != "":
		return nil, info, usagef("give either --osm or --network, not both")
	case n.osm != "":
		p.Step("read OSM walk network")
		var from string
		net, info, from, err = data.ReadWalkNetworkCached(ctx, n.osm, data.DefaultOSMCache(p.Warn), p.OSM("read OSM walk network"))
		note = data.CacheNote(from)
	case n.network != "":
		p.Step("read GeoJSON network")
		net, info, err = data.ReadLineNetwork(n.network)
	default:
		return nil, info, usagef("a walk network is needed: --osm FILE.osm.pbf or --network LINES.geojson")
	}
	if err != nil {
		return nil, info, err
	}
	p.Done("%d nodes, %d edges, %.1f km, %d component(s)%s", info.Nodes, info.Edges, info.LengthKm, info.Components, note)
	return net, info, nil
}

const nearestHelp = `Computes, for every point, the walking distance over the street network to the
nearest facility and which facility that is. Points and facilities join the
network at the nearest point of the nearest walkable edge (the straight access
leg counts as walking). Line and polygon facilities are reached anywhere along
their line or boundary.

Output (stdout or --out): CSV "id,distance_m,facility_id" in input order, or
GeoJSON points with those properties. distance_m and facility_id are empty when
the point cannot reach any facility (another network component, farther than
--max-snap from a street, or beyond --max-distance).

Example:
  lifecircle nearest --osm city.osm.pbf --facilities clinics.geojson --points homes.csv --out nearest.csv`

func runNearest(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("nearest", "--osm FILE | --network FILE --facilities FILE --points FILE [flags]", nearestHelp, e.stderr)
	var nf networkFlags
	var facilities, points, coords, format, out, outCoords string
	var maxDist float64
	var quiet bool
	fs.StringVar(&nf.osm, "osm", "", "OpenStreetMap extract (.osm.pbf, .osm, .osm.gz, .osm.bz2) for the walk network")
	fs.StringVar(&nf.network, "network", "", "walk network as GeoJSON LineStrings (lines that share a vertex connect)")
	fs.Float64Var(&nf.maxSnap, "max-snap", geo.DefaultMaxSnap, "largest straight access leg to the network, metres")
	fs.StringVar(&facilities, "facilities", "", "facilities: GeoJSON (points, lines, polygons) or CSV with lon,lat")
	fs.StringVar(&points, "points", "", "points to measure from: GeoJSON points or CSV with lon,lat (and id)")
	fs.Float64Var(&maxDist, "max-distance", 0, "stop searching beyond this walking distance, metres (0 = no limit)")
	fs.StringVar(&coords, "coords", "wgs84", "coordinate system of CSV/GeoJSON inputs: wgs84, gcj02 (Amap/Tencent) or bd09 (Baidu)")
	fs.StringVar(&format, "format", "", "output format: csv or geojson (default: from --out's extension, else csv)")
	fs.StringVar(&out, "out", "", "output file (default: stdout); written atomically")
	fs.StringVar(&outCoords, "out-coords", "", "CSV only: add lon,lat (WGS84) and the point in gcj02 (Amap, Tencent) or bd09 (Baidu)")
	fs.BoolVar(&quiet, "quiet", false, "no progress on stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if facilities == "" || points == "" {
		return usagef("--facilities and --points are required (see lifecircle nearest -h)")
	}
	cs, err := data.ParseCoordSystem(coords)
	if err != nil {
		return usagef("--coords: %v", err)
	}
	format, err = study.NearestFormat(format, out)
	if err != nil {
		return err
	}
	opt := data.NearestOptions{Format: format}
	if opt.OutCoords, err = data.ParseOutCoords(outCoords); err != nil {
		return usagef("%v", err)
	}
	if opt.OutCoords != "" && format != "csv" {
		return usagef("--out-coords adds CSV columns; GeoJSON output is always WGS84 (RFC 7946) — use --format csv")
	}
	if !(nf.maxSnap >= 0) || math.IsInf(nf.maxSnap, 0) {
		return usagef("--max-snap must be a distance in metres ≥ 0")
	}
	if !(maxDist >= 0) {
		return usagef("--max-distance must be ≥ 0 metres (0 = no limit)")
	}
	bound := math.Inf(1)
	if maxDist > 0 {
		bound = maxDist
	}

	p := newProgress(e.stderr, quiet)
	layers := study.PrefetchNearestLayers(ctx, facilities, points, cs)
	net, _, err := nf.load(ctx, p)
	if err != nil {
		return err
	}

	fl, pl, err := study.ReadNearestLayers(ctx, net, layers, p)
	if err != nil {
		return err
	}
	srcs, pos, ok, err := study.SnapNearest(ctx, net, fl, pl, points, nf.maxSnap, p)
	if err != nil {
		return err
	}
	p.Step("search")
	s := net.NewSearcher()
	s.SetAnyListOrder(true) // only distances are read
	s.SetStop(ctx.Done())
	if s.Run(srcs, bound); ctx.Err() != nil {
		return ctx.Err()
	}
	p.Done("%d nodes reached", s.NumReached())

	return writeNearest(e.stdout, out, opt, fl, pl, func(i int) (float64, int32, bool) {
		if !ok[i] {
			return 0, 0, false
		}
		return s.At(pos[i])
	}, p)
}

func writeNearest(stdout io.Writer, out string, opt data.NearestOptions, fl, pl *data.Layer, at func(i int) (float64, int32, bool), p *progress) error {
	p.Step("write")
	reached, err := study.WriteNearest(stdout, out, opt, fl, pl, at)
	if err != nil {
		return err
	}
	cs := "WGS84"
	if opt.Format == "csv" {
		cs = opt.OutCoords.Label()
	}
	if out == "" {
		out = "stdout"
	}
	p.Done("%d of %d points reach a facility; wrote %s (%s)", reached, len(pl.Features), out, cs)
	return nil
}
