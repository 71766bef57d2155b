package web

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"unicode/utf8"

	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"
)

// The units of a large study at overview zooms (below unitIDMinZoom: the
// whole city in a dozen tiles, a unit a few pixels wide) travel in a
// compact columnar tile, "LCU1", instead of MVT: the page reads it as
// typed arrays with no per-feature parsing and paints the small units
// straight into the canvas's pixels. At a zoom-out to a city of 100,000
// cells, decoding the MVT features and filling them one by one took most
// of a pan or zoom's time.
//
// Layout (little-endian; every section starts at a multiple of 4 bytes):
//
//	"LCU1"
//	uint32 header length h, then h bytes of JSON:
//	  {"n": features, "parts": rings, "points": ring points, "extent": 4096,
//	   "props": [{"name": "population", "kind": "f32"}, {"name": "completeness", "kind": "q4"}, ...],
//	   "strings": bytes of the JSON string section}
//	uint32 index[n]        the unit's index (the MVT feature id)
//	int16  box[4n]         x0, y0, x1, y1 in tile units (y down)
//	uint32 partStart[n+1]  feature i's rings are partStart[i]..partStart[i+1];
//	                       none: the unit is drawn as its box
//	uint32 ringStart[parts+1] ring j's points are ringStart[j]..ringStart[j+1]
//	int16  pts[2·points]   ring points (x, y), closing point left out
//	per prop: f32 → float32[n]; q4 → uint16[n], value·10,000 (65535: none)
//	strings: JSON {"ids_prefix": "…", "ids": [...], "names": [...]}: each id is
//	  ids_prefix + ids[i]; names only when units have them
//
// q4 values are the MVT tiles' figures (rounded to 4 decimals) exactly:
// q/10,000 in the page is the same double as Round(x, 4).

// compactSuffix ends the URL of a compact units tile.
const compactSuffix = ".lcu"

// compactBoxUnits is the largest box side (tile units; 8 per pixel of
// the page's 512-pixel tiles) below which any unit is drawn as its box.
const compactBoxUnits = 24

// compactRectTolerance is how far (tile units) a ring's points may lie
// from its box's sides for the unit to be drawn as its box: grid cells,
// squares in their own projection, are slightly turned in Web Mercator.
const compactRectTolerance = 3

type compactProp struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

type compactHeader struct {
	N       int           `json:"n"`
	Parts   int           `json:"parts"`
	Points  int           `json:"points"`
	Extent  int           `json:"extent"`
	Props   []compactProp `json:"props"`
	Strings int           `json:"strings"`
}

// compactTile collects one tile's units.
type compactTile struct {
	index     []uint32
	box       []int16
	partStart []uint32
	ringStart []uint32
	pts       []int16
	pop       []float32
	q4        [][]uint16 // completeness, fully_served, coverage per type
	ids       []string
	names     []string
	named     bool
}

// add appends unit i with its projected, clipped rings.
func (c *compactTile) add(i int, rings []orb.Ring, dp *simplify.DouglasPeuckerSimplifier) bool {
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, r := range rings {
		for _, p := range r {
			b = b.Extend(p)
		}
	}
	if b.Min[0] > b.Max[0] {
		return false
	}
	c.index = append(c.index, uint32(i))
	c.box = append(c.box, int16(b.Min[0]), int16(b.Min[1]), int16(b.Max[0]), int16(b.Max[1]))
	c.partStart = append(c.partStart, uint32(len(c.ringStart)))
	if b.Max[0]-b.Min[0] <= compactBoxUnits && b.Max[1]-b.Min[1] <= compactBoxUnits || rectLike(rings, b) {
		return true
	}
	for _, r := range rings {
		if len(r) > 8 {
			r = dp.Ring(r)
		}
		n := len(r)
		if n > 1 && r[0] == r[n-1] {
			n--
		}
		if n < 3 {
			continue
		}
		c.ringStart = append(c.ringStart, uint32(len(c.pts)/2))
		for _, p := range r[:n] {
			c.pts = append(c.pts, int16(p[0]), int16(p[1]))
		}
	}
	return true
}

// addBox appends unit i drawn as the box from p to q.
func (c *compactTile) addBox(i int, p, q orb.Point) {
	c.index = append(c.index, uint32(i))
	c.box = append(c.box, int16(p[0]), int16(p[1]), int16(q[0]), int16(q[1]))
	c.partStart = append(c.partStart, uint32(len(c.ringStart)))
}

func clampPoint(p orb.Point, b orb.Bound) orb.Point {
	return orb.Point{math.Max(b.Min[0], math.Min(b.Max[0], p[0])), math.Max(b.Min[1], math.Min(b.Max[1], p[1]))}
}

// unitsBoxLike reports, per unit, whether it is a lon/lat box within 5 %
// of its sides (grid cells: squares in their own projection, barely
// turned in lon/lat), worked out once.
func (s *Server) unitsBoxLike(units []planner.Unit) []bool {
	ts := s.tiles
	ts.boxOnce.Do(func() {
		ts.boxLike = make([]bool, len(units))
		for i, u := range units {
			p, ok := u.Geometry.(orb.Polygon)
			if !ok || len(p) != 1 {
				continue
			}
			b := p.Bound()
			ts.boxLike[i] = boxLikeWithin(p[0], b, 0.05*(b.Max[0]-b.Min[0]), 0.05*(b.Max[1]-b.Min[1]))
		}
	})
	return ts.boxLike
}

// rectLike reports whether rings are one ring with a point at each
// corner of its bound b and every point on b's sides (within
// compactRectTolerance), or one ring in a thin sliver of a box.
func rectLike(rings []orb.Ring, b orb.Bound) bool {
	if len(rings) != 1 {
		return false
	}
	if b.Max[0]-b.Min[0] <= 2*compactRectTolerance || b.Max[1]-b.Min[1] <= 2*compactRectTolerance {
		return true // a sliver (a unit cut at the tile's buffer)
	}
	return boxLikeWithin(rings[0], b, compactRectTolerance, compactRectTolerance)
}

// boxLikeWithin reports whether ring r has a point at each corner of its
// bound b and every point on b's sides, within tx across and ty along.
func boxLikeWithin(r orb.Ring, b orb.Bound, tx, ty float64) bool {
	corners := 0
	for _, p := range r {
		dx := math.Min(math.Abs(p[0]-b.Min[0]), math.Abs(p[0]-b.Max[0]))
		dy := math.Min(math.Abs(p[1]-b.Min[1]), math.Abs(p[1]-b.Max[1]))
		if dx > tx && dy > ty {
			return false
		}
		if dx <= tx && dy <= ty {
			bit := 0
			if math.Abs(p[0]-b.Max[0]) <= tx {
				bit |= 1
			}
			if math.Abs(p[1]-b.Max[1]) <= ty {
				bit |= 2
			}
			corners |= 1 << bit
		}
	}
	return corners == 15
}

// unitsCompactTile encodes the units of tile t as LCU1 (see above), with
// the figures of the MVT tiles, unit ids and names; nil when no unit
// reaches the tile.
func (s *Server) unitsCompactTile(t maptile.Tile) ([]byte, uint64) {
	cands := s.index.units().candidates(nil, tileQuery(t))
	proj := tileProjection(t)
	box := orb.Bound{Min: orb.Point{-tileBuffer, -tileBuffer}, Max: orb.Point{tileExtent + tileBuffer, tileExtent + tileBuffer}}
	dp := simplify.DouglasPeucker(simplifyTolerance / 2)
	c := &compactTile{}
	var ver uint64
	var rings []orb.Ring
	var props []compactProp
	s.sc.View(func(in planner.AuditInput, res *planner.AuditResult, _ []bool) {
		ver = s.sc.Version()
		props = append(props, compactProp{"population", "f32"}, compactProp{"completeness", "q4"}, compactProp{"fully_served", "q4"})
		for _, ty := range in.Profile.Types {
			props = append(props, compactProp{"coverage_" + ty.ID, "q4"})
		}
		c.q4 = make([][]uint16, len(props)-1)
		boxLike := s.unitsBoxLike(in.Units)
		for _, i := range cands {
			if boxLike[i] {
				// Web Mercator keeps a lon/lat box a box: two corners do.
				b := in.Units[i].Geometry.Bound()
				p, q := proj(orb.Point{b.Min[0], b.Max[1]}), proj(orb.Point{b.Max[0], b.Min[1]})
				if q[0] < box.Min[0] || q[1] < box.Min[1] || p[0] > box.Max[0] || p[1] > box.Max[1] {
					continue
				}
				p, q = clampPoint(p, box), clampPoint(q, box)
				c.addBox(int(i), p, q)
				c.addFigures(in.Units[i], res.Units[i], len(in.Profile.Types))
				continue
			}
			var ok bool
			if rings, ok = tileRings(rings[:0], in.Units[i].Geometry, proj, box); !ok {
				continue
			}
			if !c.add(int(i), rings, dp) {
				continue
			}
			c.addFigures(in.Units[i], res.Units[i], len(in.Profile.Types))
		}
	})
	if len(c.index) == 0 {
		return nil, ver
	}
	return c.encode(props), ver
}

// addFigures appends a unit's id, name and figures to the columns.
func (c *compactTile) addFigures(u planner.Unit, r planner.UnitResult, types int) {
	c.ids = append(c.ids, u.ID)
	c.names = append(c.names, u.Name)
	c.named = c.named || u.Name != ""
	c.pop = append(c.pop, float32(math.Ceil(r.Population)))
	c.q4[0] = append(c.q4[0], quant4(r.Completeness))
	c.q4[1] = append(c.q4[1], quant4(r.FullyServed))
	for ti := 0; ti < types; ti++ {
		cov := 0.0
		if r.Population > 0 {
			cov = r.Covered[ti] / r.Population
		}
		c.q4[2+ti] = append(c.q4[2+ti], quant4(cov))
	}
}

// quant4 is x rounded to 4 decimals, times 10,000; 65535 for NaN or a
// value outside 0..6.5535.
func quant4(x float64) uint16 {
	q := math.Round(x * 1e4)
	if !(q >= 0 && q < 65535) {
		return 65535
	}
	return uint16(q)
}

// encode writes the LCU1 bytes.
func (c *compactTile) encode(props []compactProp) []byte {
	// Ids of one tile share a long prefix (grid cells: "250m_E116N40_"):
	// it is sent once.
	prefix := commonPrefix(c.ids)
	ids := make([]string, len(c.ids))
	for i, id := range c.ids {
		ids[i] = id[len(prefix):]
	}
	strs := map[string]any{"ids": ids, "ids_prefix": prefix}
	if c.named {
		strs["names"] = c.names
	}
	sj, _ := json.Marshal(strs) // strings only: cannot fail
	c.partStart = append(c.partStart, uint32(len(c.ringStart)))
	c.ringStart = append(c.ringStart, uint32(len(c.pts)/2))
	n := len(c.index)
	hj, _ := json.Marshal(compactHeader{N: n, Parts: len(c.ringStart) - 1, Points: len(c.pts) / 2, Extent: tileExtent, Props: props, Strings: len(sj)})
	out := make([]byte, 0, 16+len(hj)+n*(4+8+4+4+2*len(c.q4))+4*len(c.ringStart)+2*len(c.pts)+len(sj)+32)
	out = append(out, "LCU1"...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(hj)))
	out = pad4(append(out, hj...))
	le := binary.LittleEndian
	for _, v := range c.index {
		out = le.AppendUint32(out, v)
	}
	for _, v := range c.box {
		out = le.AppendUint16(out, uint16(v))
	}
	out = pad4(out)
	for _, v := range c.partStart {
		out = le.AppendUint32(out, v)
	}
	for _, v := range c.ringStart {
		out = le.AppendUint32(out, v)
	}
	for _, v := range c.pts {
		out = le.AppendUint16(out, uint16(v))
	}
	out = pad4(out)
	for _, v := range c.pop {
		out = le.AppendUint32(out, math.Float32bits(v))
	}
	for _, col := range c.q4 {
		for _, v := range col {
			out = le.AppendUint16(out, v)
		}
		out = pad4(out)
	}
	return append(out, sj...)
}

// commonPrefix is the longest prefix of every string of ss (whole UTF-8
// characters).
func commonPrefix(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	p := ss[0]
	for _, s := range ss[1:] {
		n := 0
		for n < len(p) && n < len(s) && p[n] == s[n] {
			n++
		}
		p = p[:n]
	}
	for len(p) > 0 && !utf8.ValidString(p) {
		p = p[:len(p)-1]
	}
	return p
}

// pad4 pads b with zeros to a multiple of 4 bytes.
func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
