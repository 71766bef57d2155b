package web

import (
	"encoding/binary"
	"math"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"
)

// The units layer is the one tile layer whose every feature carries
// figures, and at city scale a tile holds tens of thousands of units: it
// is encoded here directly into MVT protobuf (Tile.layers = 3), without
// geojson features, property maps or the generic encoder, at a few
// hundred nanoseconds per unit. The format is the same; the tests decode
// it with orb's decoder.

// unitIDMinZoom is the zoom from which units tiles carry unit_id: below
// it a unit is a few pixels and the page finds the unit under a click
// through the OGC collection instead (bbox query), which keeps the
// whole-city tiles small.
const unitIDMinZoom = 12

// mvtLayer builds one MVT layer message.
type mvtLayer struct {
	keys   []string
	keyIdx map[string]uint32
	vals   []byte // encoded Layer.values entries, each with its field header
	nvals  uint32
	strIdx map[string]uint32
	numIdx map[float64]uint32
	feats  []byte // encoded Layer.features entries
	geom   []uint32
	pts    [][2]int64
	tmp    []byte
}

func newMVTLayer() *mvtLayer {
	return &mvtLayer{keyIdx: map[string]uint32{}, strIdx: map[string]uint32{}, numIdx: map[float64]uint32{}}
}

func (l *mvtLayer) key(k string) uint32 {
	if i, ok := l.keyIdx[k]; ok {
		return i
	}
	i := uint32(len(l.keys))
	l.keys = append(l.keys, k)
	l.keyIdx[k] = i
	return i
}

// num returns the value index of a number (a double; NaN is not stored:
// callers leave the tag out).
func (l *mvtLayer) num(v float64) uint32 {
	if i, ok := l.numIdx[v]; ok {
		return i
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
	l.vals = protowire(l.vals, 4, 2)
	l.vals = binary.AppendUvarint(l.vals, 9)
	l.vals = protowire(l.vals, 3, 1)
	l.vals = append(l.vals, b[:]...)
	i := l.nvals
	l.nvals++
	l.numIdx[v] = i
	return i
}

func (l *mvtLayer) str(s string) uint32 {
	if i, ok := l.strIdx[s]; ok {
		return i
	}
	l.vals = protowire(l.vals, 4, 2)
	l.vals = binary.AppendUvarint(l.vals, uint64(1+uvarintLen(uint64(len(s)))+len(s)))
	l.vals = protowire(l.vals, 1, 2)
	l.vals = binary.AppendUvarint(l.vals, uint64(len(s)))
	l.vals = append(l.vals, s...)
	i := l.nvals
	l.nvals++
	l.strIdx[s] = i
	return i
}

// addPolygon adds an area feature: id, tags (key, value index pairs)
// and rings in whole tile units (closed or not; the closing point is
// implied). Rings of fewer than three distinct points are dropped; a
// feature left with none is not added.
func (l *mvtLayer) addPolygon(id uint64, tags []uint32, rings []orb.Ring) {
	g := l.geom[:0]
	var cx, cy int64
	for _, r := range rings {
		n := len(r)
		if n > 1 && r[0] == r[n-1] {
			n--
		}
		pts := l.pts[:0]
		for _, p := range r[:n] {
			q := [2]int64{int64(p[0]), int64(p[1])}
			if len(pts) > 0 && pts[len(pts)-1] == q {
				continue
			}
			pts = append(pts, q)
		}
		if len(pts) > 1 && pts[0] == pts[len(pts)-1] {
			pts = pts[:len(pts)-1]
		}
		l.pts = pts
		if len(pts) < 3 {
			continue // collapsed to a point or a line at this zoom
		}
		g = append(g, 1<<3|1, zigzag(pts[0][0]-cx), zigzag(pts[0][1]-cy)) // MoveTo 1
		cx, cy = pts[0][0], pts[0][1]
		g = append(g, uint32(len(pts)-1)<<3|2) // LineTo n-1
		for _, q := range pts[1:] {
			g = append(g, zigzag(q[0]-cx), zigzag(q[1]-cy))
			cx, cy = q[0], q[1]
		}
		g = append(g, 1<<3|7) // ClosePath
	}
	l.geom = g
	if len(g) == 0 {
		return
	}
	// Feature message: id (1), tags (2, packed), type (3) = POLYGON, geometry (4, packed).
	f := l.tmp[:0]
	f = protowire(f, 1, 0)
	f = binary.AppendUvarint(f, id)
	f = appendPacked(f, 2, tags)
	f = protowire(f, 3, 0)
	f = append(f, 3)
	f = appendPacked(f, 4, g)
	l.tmp = f
	l.feats = protowire(l.feats, 2, 2)
	l.feats = binary.AppendUvarint(l.feats, uint64(len(f)))
	l.feats = append(l.feats, f...)
}

// tile returns the Tile message holding this one layer, nil when it has
// no feature.
func (l *mvtLayer) tile(name string) []byte {
	if len(l.feats) == 0 {
		return nil
	}
	var lay []byte
	lay = protowire(lay, 15, 0)
	lay = append(lay, 2) // version 2
	lay = protowire(lay, 1, 2)
	lay = binary.AppendUvarint(lay, uint64(len(name)))
	lay = append(lay, name...)
	lay = append(lay, l.feats...)
	for _, k := range l.keys {
		lay = protowire(lay, 3, 2)
		lay = binary.AppendUvarint(lay, uint64(len(k)))
		lay = append(lay, k...)
	}
	lay = append(lay, l.vals...)
	lay = protowire(lay, 5, 0)
	lay = binary.AppendUvarint(lay, tileExtent)
	out := protowire(make([]byte, 0, len(lay)+8), 3, 2)
	out = binary.AppendUvarint(out, uint64(len(lay)))
	return append(out, lay...)
}

func protowire(b []byte, field int, wire int) []byte {
	return binary.AppendUvarint(b, uint64(field)<<3|uint64(wire))
}

func appendPacked(b []byte, field int, vs []uint32) []byte {
	n := 0
	for _, v := range vs {
		n += uvarintLen(uint64(v))
	}
	b = protowire(b, field, 2)
	b = binary.AppendUvarint(b, uint64(n))
	for _, v := range vs {
		b = binary.AppendUvarint(b, uint64(v))
	}
	return b
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func zigzag(v int64) uint32 { return uint32((v << 1) ^ (v >> 63)) }

// unitsTile encodes the units layer of tile t: each unit's polygon
// (clipped to the tile and its buffer only where it crosses them,
// simplified only when it has many vertices) with population (rounded up
// to a whole resident, so that "has residents" reads as in the GeoJSON),
// completeness, fully_served and coverage_T per amenity type (rounded as
// the GeoJSON has them), and unit_id (and the name, when the unit has
// one: the map's labels) from unitIDMinZoom on. The feature id is the
// unit's index.
func (s *Server) unitsTile(t maptile.Tile) ([]byte, uint64) {
	cands := s.index.units().candidates(nil, tileQuery(t))
	proj := tileProjection(t)
	box := orb.Bound{Min: orb.Point{-tileBuffer, -tileBuffer}, Max: orb.Point{tileExtent + tileBuffer, tileExtent + tileBuffer}}
	l := newMVTLayer()
	withID := int(t.Z) >= unitIDMinZoom
	kID, kPop, kComp, kFull := l.key("unit_id"), l.key("population"), l.key("completeness"), l.key("fully_served")
	var ver uint64
	var rings []orb.Ring
	var kCov []uint32
	var tags []uint32
	dp := simplify.DouglasPeucker(simplifyTolerance / 2)
	s.sc.View(func(in planner.AuditInput, res *planner.AuditResult, _ []bool) {
		ver = s.sc.Version()
		for _, ty := range in.Profile.Types {
			kCov = append(kCov, l.key("coverage_"+ty.ID))
		}
		for _, i := range cands {
			var ok bool
			if rings, ok = tileRings(rings[:0], in.Units[i].Geometry, proj, box); !ok {
				continue
			}
			for k, r := range rings {
				if len(r) > 8 {
					rings[k] = dp.Ring(r)
				}
			}
			r := res.Units[i]
			tags = tags[:0]
			if withID {
				tags = append(tags, kID, l.str(in.Units[i].ID))
				if name := in.Units[i].Name; name != "" {
					tags = append(tags, l.key("name"), l.str(name))
				}
			}
			tags = append(tags, kPop, l.num(math.Ceil(r.Population)),
				kComp, l.num(float64(data.Round(r.Completeness, 4))),
				kFull, l.num(float64(data.Round(r.FullyServed, 4))))
			for ti := range in.Profile.Types {
				cov := 0.0
				if r.Population > 0 {
					cov = r.Covered[ti] / r.Population
				}
				tags = append(tags, kCov[ti], l.num(float64(data.Round(cov, 4))))
			}
			l.addPolygon(uint64(i), tags, rings)
		}
	})
	return l.tile(s.cfg.UnitsKind), ver
}
