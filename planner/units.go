package planner

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// A Unit is an analysis unit (DESIGN §2 "Analysis units"): a grid cell or
// an imported polygon (grid, community, subdistrict) with an optional
// parent id forming the hierarchy district → subdistrict → community → grid.
type Unit struct {
	ID, Name, Parent, Level string
	Geometry                orb.Geometry // Polygon or MultiPolygon, lon/lat
}

// Grid cell sizes accepted by NewGrid, metres.
const (
	MinCellSize     = 10.0
	MaxCellSize     = 10000.0
	DefaultCellSize = 250.0
)

// cellSideSteps is the number of segments each cell side is cut into in
// CellPolygon, so the lon/lat polygon follows the projected square closely.
const cellSideSteps = 4

// A Grid is a square grid of Size metres on a local Lambert azimuthal
// equal-area projection (spherical, radius geo.EarthRadius) centred on
// Anchor, a lon/lat point at whole degrees. Cell (ix, iy) spans
// [ix·Size, (ix+1)·Size) east and [iy·Size, (iy+1)·Size) north of the
// anchor in projected metres, so every cell has the same area, Size².
// Because the anchor is rounded, the same study area always yields the
// same cell ids.
type Grid struct {
	Size   float64   // cell side in metres
	Anchor orb.Point // projection centre, lon/lat at whole degrees
}

// NewGrid returns a grid of size-metre cells (size in [10, 10000]) whose
// anchor is the centre of the study area's lon/lat bound rounded to whole
// degrees.
func NewGrid(size float64, area orb.Bound) (Grid, error) {
	if !(size >= MinCellSize && size <= MaxCellSize) {
		return Grid{}, fmt.Errorf("grid: %w: cell size %v m is outside %v..%v m — pass --cell with a size in metres",
			ErrInvalid, size, MinCellSize, MaxCellSize)
	}
	if !geo.ValidLonLat(area.Min) || !geo.ValidLonLat(area.Max) || area.Min[0] > area.Max[0] || area.Min[1] > area.Max[1] {
		return Grid{}, fmt.Errorf("grid: %w: study area bound %v..%v is not a lon/lat box — are the coordinates projected?",
			ErrInvalid, area.Min, area.Max)
	}
	c := area.Center()
	return Grid{Size: size, Anchor: orb.Point{math.Round(c[0]), math.Round(c[1])}}, nil
}

// Cell returns the indices of the cell holding the lon/lat point p. For a
// point that cannot be projected (invalid lon/lat, or the anchor's
// antipode) it returns (math.MinInt32, math.MinInt32).
func (g Grid) Cell(p orb.Point) (ix, iy int32) {
	ix, iy, ok := cellOf(geo.NewLAEA(g.Anchor), g.Size, p)
	if !ok {
		return math.MinInt32, math.MinInt32
	}
	return ix, iy
}

// cellOf is Cell with the projection already set up. ok is false when p
// cannot be placed; a valid point has |ix|, |iy| < 2^30 (the projection
// spans at most 2·EarthRadius ≈ 12,742 km, i.e. 1.3 M cells of 10 m).
func cellOf(pr geo.LAEA, size float64, p orb.Point) (ix, iy int32, ok bool) {
	if !geo.ValidLonLat(p) {
		return 0, 0, false
	}
	x, y, ok := pr.Forward(p)
	if !ok {
		return 0, 0, false
	}
	fx, fy := math.Floor(x/size), math.Floor(y/size)
	if !(math.Abs(fx) < 1<<30 && math.Abs(fy) < 1<<30) {
		return 0, 0, false
	}
	return int32(fx), int32(fy), true
}

// CellID returns the stable id of cell (ix, iy), e.g. "250m_E116N40_12_-7":
// cell size, anchor and indices.
func (g Grid) CellID(ix, iy int32) string {
	ew, ns := 'E', 'N'
	lon, lat := g.Anchor[0], g.Anchor[1]
	if lon < 0 {
		ew, lon = 'W', -lon
	}
	if lat < 0 {
		ns, lat = 'S', -lat
	}
	var b strings.Builder
	b.Grow(32)
	b.WriteString(strconv.FormatFloat(g.Size, 'f', -1, 64))
	b.WriteString("m_")
	b.WriteRune(ew)
	b.WriteString(strconv.FormatFloat(lon, 'f', -1, 64))
	b.WriteRune(ns)
	b.WriteString(strconv.FormatFloat(lat, 'f', -1, 64))
	b.WriteByte('_')
	b.WriteString(strconv.Itoa(int(ix)))
	b.WriteByte('_')
	b.WriteString(strconv.Itoa(int(iy)))
	return b.String()
}

// CellPolygon returns cell (ix, iy) as a closed counter-clockwise lon/lat
// ring. Each side is cut into 4 segments so that the polygon stays within
// millimetres of the projected square.
func (g Grid) CellPolygon(ix, iy int32) orb.Polygon {
	return cellPolygon(geo.NewLAEA(g.Anchor), g.Size, ix, iy)
}

func cellPolygon(pr geo.LAEA, size float64, ix, iy int32) orb.Polygon {
	x0, y0 := float64(ix)*size, float64(iy)*size
	x1, y1 := x0+size, y0+size
	corners := [5][2]float64{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
	ring := make(orb.Ring, 0, 4*cellSideSteps+1)
	for s := 0; s < 4; s++ {
		a, b := corners[s], corners[s+1]
		for k := 0; k < cellSideSteps; k++ {
			t := float64(k) / cellSideSteps
			ring = append(ring, pr.Inverse(a[0]+t*(b[0]-a[0]), a[1]+t*(b[1]-a[1])))
		}
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}
}

// CellUnits groups demand points into the grid cells that hold residents:
// a cell becomes a unit when at least one of its points has pop > 0 (pop
// nil counts every point). Units are sorted by iy then ix, with Level
// "cell" and the cell id as ID. assign[i] is point i's unit index, -1 for
// a point in no unit (a cell without residents, or an invalid point).
// A non-nil pop shorter than pts counts the missing points as empty.
func CellUnits(g Grid, pts []orb.Point, pop []float64) (units []Unit, assign []int32) {
	pr := geo.NewLAEA(g.Anchor)
	const none = math.MaxInt64 // never a valid key: |ix|, |iy| < 2^30
	keys := make([]int64, len(pts))
	var mu sync.Mutex
	seen := map[int64]struct{}{}
	parallelRange(len(pts), func(lo, hi int) {
		local := map[int64]struct{}{}
		last := int64(none)
		for i := lo; i < hi; i++ {
			ix, iy, ok := cellOf(pr, g.Size, pts[i])
			if !ok {
				keys[i] = none
				continue
			}
			k := cellKey(ix, iy)
			keys[i] = k
			if (pop == nil || (i < len(pop) && pop[i] > 0)) && k != last {
				local[k] = struct{}{}
				last = k
			}
		}
		mu.Lock()
		for k := range local {
			seen[k] = struct{}{}
		}
		mu.Unlock()
	})
	sorted := make([]int64, 0, len(seen))
	for k := range seen {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	index := make(map[int64]int32, len(sorted))
	for u, k := range sorted {
		index[k] = int32(u)
	}
	// A cell's outline is 16 inverse projections: on all cores.
	units = make([]Unit, len(sorted))
	parallelRange(len(sorted), func(lo, hi int) {
		for u := lo; u < hi; u++ {
			ix, iy := cellFromKey(sorted[u])
			units[u] = Unit{ID: g.CellID(ix, iy), Level: "cell", Geometry: cellPolygon(pr, g.Size, ix, iy)}
		}
	})
	assign = make([]int32, len(pts))
	parallelRange(len(pts), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			u, ok := index[keys[i]]
			if !ok {
				u = -1
			}
			assign[i] = u
		}
	})
	return units, assign
}

// cellKey packs cell indices so that keys sort by iy, then ix.
func cellKey(ix, iy int32) int64 {
	return int64(iy)<<32 | int64(uint32(ix)^0x80000000)
}

func cellFromKey(k int64) (ix, iy int32) {
	return int32(uint32(k) ^ 0x80000000), int32(k >> 32)
}

// AssignUnits puts each lon/lat point in the unit whose polygon contains it
// (boundary included), -1 when it lies outside every unit. When several
// units contain a point the first in input order wins, and overlaps counts
// the points that lie inside more than one unit. A point exactly on an
// edge or vertex shared by adjacent units is not an overlap. Units whose
// geometry is not a Polygon or MultiPolygon are ignored (see ValidateUnits).
func AssignUnits(units []Unit, pts []orb.Point) (assign []int32, overlaps int) {
	idx := geo.NewPolyIndex(len(units))
	for u := range units {
		idx.Add(int32(u), units[u].Geometry)
	}
	assign = make([]int32, len(pts))
	var over atomic.Int64
	parallelRange(len(pts), func(lo, hi int) {
		var q geo.PolyQuery
		n := 0
		for i := lo; i < hi; i++ {
			best, overlap := q.Locate(&idx, pts[i])
			assign[i] = best
			if overlap {
				n++
			}
		}
		over.Add(int64(n))
	})
	return assign, int(over.Load())
}

// ValidateUnits checks a unit layer read from path: every geometry is a
// Polygon or MultiPolygon with closed rings of at least 4 valid lon/lat
// points, and every unit has an id not used by another unit. It reports up
// to 5 problems in one error wrapping ErrInvalid.
func ValidateUnits(path string, units []Unit) error {
	var probs []string
	more := 0
	report := func(format string, args ...any) {
		if len(probs) < 5 {
			probs = append(probs, fmt.Sprintf(format, args...))
		} else {
			more++
		}
	}
	first := make(map[string]int, len(units))
	for i, u := range units {
		name := unitLabel(i, u)
		switch {
		case strings.TrimSpace(u.ID) == "":
			report("%s has no id — give every unit an \"id\" property", name)
		default:
			if j, dup := first[u.ID]; dup {
				report("%s repeats the id of unit %d — unit ids must be unique", name, j)
			} else {
				first[u.ID] = i
			}
		}
		var polys []orb.Polygon
		switch g := u.Geometry.(type) {
		case orb.Polygon:
			polys = []orb.Polygon{g}
		case orb.MultiPolygon:
			polys = g
		case nil:
			report("%s has no geometry — the units file must hold polygons (Polygon or MultiPolygon)", name)
			continue
		default:
			report("%s is a %s — the units file must hold polygons (Polygon or MultiPolygon)", name, g.GeoJSONType())
			continue
		}
		if msg := checkPolygons(polys); msg != "" {
			report("%s: %s", name, msg)
		}
	}
	if len(probs) == 0 {
		return nil
	}
	msg := strings.Join(probs, "; ")
	if more > 0 {
		msg += fmt.Sprintf("; and %d more", more)
	}
	return fmt.Errorf("%s: %w: %s", path, ErrInvalid, msg)
}

func unitLabel(i int, u Unit) string {
	if u.ID != "" {
		return fmt.Sprintf("unit %d (%q)", i, u.ID)
	}
	if u.Name != "" {
		return fmt.Sprintf("unit %d (name %q)", i, u.Name)
	}
	return fmt.Sprintf("unit %d", i)
}

// checkPolygons returns what is wrong with the rings of polys, or "".
func checkPolygons(polys []orb.Polygon) string {
	if len(polys) == 0 {
		return "the geometry is empty"
	}
	for pi, p := range polys {
		if len(p) == 0 {
			return fmt.Sprintf("polygon %d has no rings", pi)
		}
		for ri, r := range p {
			if len(r) < 4 {
				return fmt.Sprintf("polygon %d ring %d has %d points; a ring needs at least 4 (closed)", pi, ri, len(r))
			}
			if r[0] != r[len(r)-1] {
				return fmt.Sprintf("polygon %d ring %d is not closed (first point %v, last %v)", pi, ri, r[0], r[len(r)-1])
			}
			for _, q := range r {
				if !geo.ValidLonLat(q) {
					return fmt.Sprintf("polygon %d ring %d has invalid lon/lat %v — are the coordinates projected? Reproject to WGS84", pi, ri, q)
				}
			}
		}
	}
	return ""
}
