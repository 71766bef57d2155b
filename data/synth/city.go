package synth

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"
)

// metresPerDegree is the length of one degree of latitude on a sphere of
// the mean Earth radius 6 371 009 m (DESIGN §2).
const metresPerDegree = 6371009 * math.Pi / 180

// Street network shape.
const (
	jitterShare  = 0.25 // each node moves up to ±25% of the spacing on each axis
	removedShare = 0.02 // share of lattice segments left out
	islandSide   = 3    // islands are islandSide×islandSide lattices
	islandCount  = 2
	islandMin    = 100 // fewer requested nodes: no islands
	islandGap    = 4   // islands lie this many spacings off the main lattice
)

// A lattice is a rows×cols block of nodes (the last row may be shorter),
// stored row-major from node index first. x0,y0 is the unjittered position
// of node (0,0) in local metres east/north of the centre.
type lattice struct {
	rows, cols, count int
	first             int
	x0, y0            float64
}

// rowLen returns how many nodes row r holds.
func (l lattice) rowLen(r int) int {
	if r == l.rows-1 {
		return l.count - r*l.cols
	}
	return l.cols
}

// at returns the node index of (r, c), or -1 when there is none.
func (l lattice) at(r, c int) int {
	if r < 0 || c < 0 || r >= l.rows || c >= l.rowLen(r) {
		return -1
	}
	return l.first + r*l.cols + c
}

// city is the generated street network plus what the layers need to place
// points: the local projection and the lattices for the not-on-a-node check.
type city struct {
	nodes    []PBFNode
	ways     []PBFWay
	x, y     []float64 // local metres of each node
	lattices []lattice
	spacing  float64
	proj     projection
	bounds   orb.Bound
}

// projection is an equirectangular projection around the centre: good to
// well under 1% over a city, and all that placing synthetic points needs.
type projection struct {
	lon0, lat0, kx, ky float64 // degrees per metre
}

func newProjection(c orb.Point) projection {
	return projection{
		lon0: c[0], lat0: c[1],
		kx: 1 / (metresPerDegree * math.Cos(c[1]*math.Pi/180)),
		ky: 1 / metresPerDegree,
	}
}

// toLonLat converts local metres east/north to lon/lat rounded to 1e-7°, the
// PBF resolution, so what is written is exactly what is kept.
func (p projection) toLonLat(x, y float64) (lon, lat float64) {
	return round7(p.lon0 + x*p.kx), round7(p.lat0 + y*p.ky)
}

func (p projection) toLocal(lon, lat float64) (x, y float64) {
	return (lon - p.lon0) / p.kx, (lat - p.lat0) / p.ky
}

func round7(v float64) float64 { return math.Round(v*1e7) / 1e7 }

// Way tag sets. Maps are shared between ways and never modified.
var (
	tagResidential = map[string]string{"highway": "residential"}
	tagFootway     = map[string]string{"highway": "footway"}
	tagPath        = map[string]string{"highway": "path"}
	tagService     = map[string]string{"highway": "service"}
	// Not walkable under the OSMnx walk filter (DESIGN §2).
	tagMotorway = map[string]string{"highway": "motorway", "oneway": "yes"}
	tagCycleway = map[string]string{"highway": "cycleway"}
	tagFootNo   = map[string]string{"highway": "residential", "foot": "no"}
	tagPrivate  = map[string]string{"highway": "service", "access": "private"}
)

// wayTags draws the tags of one way: about 8% are not walkable.
func wayTags(rng *rand.Rand, primaries map[int]map[string]string) map[string]string {
	u := rng.Float64()
	switch {
	case u < 0.03:
		return tagMotorway
	case u < 0.05:
		return tagCycleway
	case u < 0.065:
		return tagFootNo
	case u < 0.08:
		return tagPrivate
	case u < 0.13:
		// A handful of named avenues, shared by many ways as real ones are.
		k := rng.IntN(20)
		t, ok := primaries[k]
		if !ok {
			t = map[string]string{"highway": "primary", "name": fmt.Sprintf("Avenue %d", k+1)}
			primaries[k] = t
		}
		return t
	case u < 0.20:
		return tagFootway
	case u < 0.24:
		return tagPath
	case u < 0.32:
		return tagService
	default:
		return tagResidential
	}
}

// buildCity lays out n nodes: the main lattice centred on the centre plus,
// for n ≥ islandMin, islandCount small disconnected lattices east and south
// of it. Node ids run 1..n in row-major order; way ids 1..W.
func buildCity(n int, spacing float64, center orb.Point, seed int64) *city {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6369747921)) // "city!"
	c := &city{spacing: spacing, proj: newProjection(center)}

	mainCount := n
	islands := 0
	if n >= islandMin {
		islands = islandCount
		mainCount -= islands * islandSide * islandSide
	}
	cols := int(math.Ceil(math.Sqrt(float64(mainCount))))
	rows := (mainCount + cols - 1) / cols
	main := lattice{
		rows: rows, cols: cols, count: mainCount,
		x0: -float64(cols-1) * spacing / 2,
		y0: float64(rows-1) * spacing / 2, // row 0 is the northernmost
	}
	c.lattices = append(c.lattices, main)
	first := mainCount
	isl := []struct{ x0, y0 float64 }{
		{-main.x0 + islandGap*spacing, float64(islandSide-1) * spacing / 2},  // east
		{-float64(islandSide-1) * spacing / 2, -main.y0 - islandGap*spacing}, // south
	}
	for i := range islands {
		c.lattices = append(c.lattices, lattice{
			rows: islandSide, cols: islandSide, count: islandSide * islandSide,
			first: first, x0: isl[i].x0, y0: isl[i].y0,
		})
		first += islandSide * islandSide
	}

	c.nodes = make([]PBFNode, n)
	c.x = make([]float64, n)
	c.y = make([]float64, n)
	j := jitterShare * spacing
	minLon, minLat, maxLon, maxLat := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, l := range c.lattices {
		for r := 0; r < l.rows; r++ {
			for col := 0; col < l.rowLen(r); col++ {
				i := l.at(r, col)
				x := l.x0 + float64(col)*spacing + (2*rng.Float64()-1)*j
				y := l.y0 - float64(r)*spacing + (2*rng.Float64()-1)*j
				lon, lat := c.proj.toLonLat(x, y)
				c.nodes[i] = PBFNode{ID: int64(i + 1), Lon: lon, Lat: lat}
				c.x[i], c.y[i] = x, y
				minLon, maxLon = min(minLon, lon), max(maxLon, lon)
				minLat, maxLat = min(minLat, lat), max(maxLat, lat)
			}
		}
	}
	c.bounds = orb.Bound{Min: orb.Point{minLon, minLat}, Max: orb.Point{maxLon, maxLat}}

	// Ways: runs of ~10 consecutive segments along each row, then each
	// column; a removed segment ends the run early.
	c.ways = make([]PBFWay, 0, 2*n/9+16)
	primaries := map[int]map[string]string{}
	refs := make([]int64, 0, 16)
	flush := func() {
		if len(refs) >= 2 {
			ids := make([]int64, len(refs))
			copy(ids, refs)
			c.ways = append(c.ways, PBFWay{ID: int64(len(c.ways) + 1), NodeIDs: ids, Tags: wayTags(rng, primaries)})
		}
		refs = refs[:0]
	}
	walk := func(island bool, along func(k, t int) int, lines int) {
		for k := range lines {
			target := 8 + rng.IntN(5)
			for t := 0; ; t++ {
				i := along(k, t)
				if i < 0 {
					break
				}
				next := along(k, t+1)
				if next < 0 {
					break
				}
				if !island && rng.Float64() < removedShare {
					flush()
					target = 8 + rng.IntN(5)
					continue
				}
				if len(refs) == 0 {
					refs = append(refs, int64(i+1))
				}
				refs = append(refs, int64(next+1))
				if len(refs)-1 >= target {
					flush()
					target = 8 + rng.IntN(5)
				}
			}
			flush()
		}
	}
	for li, l := range c.lattices {
		walk(li > 0, func(r, t int) int { return l.at(r, t) }, l.rows)
		walk(li > 0, func(col, t int) int { return l.at(t, col) }, l.cols)
	}
	return c
}

// nearNode reports whether local point (x, y) is within tol metres of a
// node. Jitter keeps every node inside the ±spacing/4 box around its lattice
// position and those boxes do not overlap, so only the nearest lattice
// position of each lattice can hold a node that close.
func (c *city) nearNode(x, y, tol float64) bool {
	for _, l := range c.lattices {
		col := int(math.Round((x - l.x0) / c.spacing))
		r := int(math.Round((l.y0 - y) / c.spacing))
		if i := l.at(r, col); i >= 0 && math.Hypot(c.x[i]-x, c.y[i]-y) < tol {
			return true
		}
	}
	return false
}
