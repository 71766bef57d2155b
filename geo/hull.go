package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// maxHullCells bounds a hull's grid; a larger area gets coarser cells.
const maxHullCells = 4 << 20

// GridHull returns the outline of lines (lon/lat) grown by about cell
// metres: the union of the squares of a cell-metre grid (in a local
// equirectangular frame) that the lines pass through, together with their
// eight neighbours, with holes filled. It contains every point within cell
// metres of the lines and no point farther than 2√2·cell from them. Each
// connected part is one polygon with a counter-clockwise outer ring (RFC
// 7946) and no holes. area is the hull's area in square metres. When the
// lines span more than maxHullCells cells the cell grows to fit.
func GridHull(lines []orb.LineString, cell float64) (hull orb.MultiPolygon, area float64) {
	g, ok := newHullGrid(lines, cell)
	if !ok {
		return nil, 0
	}
	g.rasterise(lines)
	inside := g.fill()
	cells := 0
	for _, in := range inside {
		if in {
			cells++
		}
	}
	return g.outline(inside), float64(cells) * g.cell * g.cell
}

// A hullGrid is a grid of square cells over lines in a local
// equirectangular frame: cell (i, j) spans x0 + i·cell … x0 + (i+1)·cell
// metres east (kx metres per degree of longitude), likewise north.
type hullGrid struct {
	w, h         int
	cell, x0, y0 float64 // metres; lon/lat of corner (0, 0)
	kx, ky       float64 // metres per degree
	grid         []uint8 // 1 on a line, 2 a neighbour of one
}

func newHullGrid(lines []orb.LineString, cell float64) (*hullGrid, bool) {
	var b orb.Bound
	first := true
	for _, ls := range lines {
		for _, p := range ls {
			if first {
				b, first = orb.Bound{Min: p, Max: p}, false
			} else {
				b = b.Extend(p)
			}
		}
	}
	if first || !(cell > 0) {
		return nil, false
	}
	lat0 := (b.Min[1] + b.Max[1]) / 2
	g := &hullGrid{kx: metresPerDegree * math.Max(math.Cos(lat0*rad), 1e-6), ky: metresPerDegree}
	wm, hm := (b.Max[0]-b.Min[0])*g.kx, (b.Max[1]-b.Min[1])*g.ky
	for (wm/cell+7)*(hm/cell+7) > maxHullCells {
		cell *= 2
	}
	// Empty cells around the lines' cells: one for the neighbours, one
	// so the outside is connected, one for rounding.
	const pad = 3
	g.cell = cell
	g.w = int(wm/cell) + 1 + 2*pad
	g.h = int(hm/cell) + 1 + 2*pad
	g.x0 = b.Min[0] - pad*cell/g.kx
	g.y0 = b.Min[1] - pad*cell/g.ky
	g.grid = make([]uint8, g.w*g.h)
	return g, true
}

// index returns the cell of p, kept two cells inside the grid.
func (g *hullGrid) index(p orb.Point) int {
	i := int((p[0] - g.x0) * g.kx / g.cell)
	j := int((p[1] - g.y0) * g.ky / g.cell)
	return min(max(j, 2), g.h-3)*g.w + min(max(i, 2), g.w-3)
}

// rasterise marks the cells the lines pass through (sampled every half
// cell) and their eight neighbours.
func (g *hullGrid) rasterise(lines []orb.LineString) {
	w := g.w
	for _, ls := range lines {
		for k := 0; k+1 < len(ls); k++ {
			a, c := ls[k], ls[k+1]
			dx, dy := (c[0]-a[0])*g.kx, (c[1]-a[1])*g.ky
			n := int(math.Hypot(dx, dy)/(g.cell/2)) + 1
			for s := 0; s <= n; s++ {
				t := float64(s) / float64(n)
				g.grid[g.index(orb.Point{a[0] + t*(c[0]-a[0]), a[1] + t*(c[1]-a[1])})] = 1
			}
		}
		if len(ls) == 1 {
			g.grid[g.index(ls[0])] = 1
		}
	}
	for k, v := range g.grid {
		if v != 1 {
			continue
		}
		for _, d := range [8]int{-w - 1, -w, -w + 1, -1, 1, w - 1, w, w + 1} {
			if g.grid[k+d] == 0 {
				g.grid[k+d] = 2
			}
		}
	}
}

// fill returns the cells inside the hull: every cell not reached from the
// grid's border through empty cells (marked cells and the holes they
// enclose).
func (g *hullGrid) fill() []bool {
	w, h := g.w, g.h
	outside := make([]bool, w*h)
	stack := []int{0}
	outside[0] = true
	for len(stack) > 0 {
		k := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		i, j := k%w, k/w
		for _, n := range [4][2]int{{i - 1, j}, {i + 1, j}, {i, j - 1}, {i, j + 1}} {
			if n[0] < 0 || n[0] >= w || n[1] < 0 || n[1] >= h {
				continue
			}
			q := n[1]*w + n[0]
			if g.grid[q] == 0 && !outside[q] {
				outside[q] = true
				stack = append(stack, q)
			}
		}
	}
	for k := range outside {
		outside[k] = !outside[k]
	}
	return outside
}

// outline traces the boundary of the inside cells into rings, one
// polygon per connected part.
func (g *hullGrid) outline(inside []bool) orb.MultiPolygon {
	w, h := g.w, g.h
	filled := func(i, j int) bool { return inside[j*w+i] }
	// Boundary edges between filled and empty cells, directed with the
	// filled cell on their left; out[v] holds the directions leaving grid
	// corner v (bit d: 0 east, 1 north, 2 west, 3 south).
	vw := w + 1
	out := make([]uint8, vw*(h+1))
	for j := 1; j < h-1; j++ {
		for i := 1; i < w-1; i++ {
			if !filled(i, j) {
				continue
			}
			if !filled(i, j-1) {
				out[j*vw+i] |= 1 << 0
			}
			if !filled(i+1, j) {
				out[j*vw+i+1] |= 1 << 1
			}
			if !filled(i, j+1) {
				out[(j+1)*vw+i+1] |= 1 << 2
			}
			if !filled(i-1, j) {
				out[(j+1)*vw+i] |= 1 << 3
			}
		}
	}
	corner := func(i, j int) orb.Point {
		return orb.Point{g.x0 + float64(i)*g.cell/g.kx, g.y0 + float64(j)*g.cell/g.ky}
	}
	var hull orb.MultiPolygon
	for v := range out {
		// A corner shared by two rings starts both.
		for out[v] != 0 {
			hull = traceRing(out, v, vw, hull, corner)
		}
	}
	return hull
}

// traceRing follows the boundary edges from corner v (removing them from
// out) and appends the ring they close to hull.
func traceRing(out []uint8, v, vw int, hull orb.MultiPolygon, corner func(i, j int) orb.Point) orb.MultiPolygon {
	step := [4][2]int{{1, 0}, {0, 1}, {-1, 0}, {0, -1}}
	i, j := v%vw, v/vw
	d := 0
	for out[v]&(1<<d) == 0 {
		d++
	}
	var ring orb.Ring
	ci, cj := i, j
	for {
		k := cj*vw + ci
		// At a corner shared by two diagonal cells, turn left: each
		// cell's outline stays on its own ring.
		for _, nd := range [3]int{(d + 1) % 4, d, (d + 3) % 4} {
			if out[k]&(1<<nd) != 0 {
				if nd != d || len(ring) == 0 {
					ring = append(ring, corner(ci, cj))
				}
				d = nd
				break
			}
		}
		if out[k]&(1<<d) == 0 {
			break // cannot happen: every corner on a ring has an exit
		}
		out[k] &^= 1 << d
		ci, cj = ci+step[d][0], cj+step[d][1]
		if ci == i && cj == j {
			break
		}
	}
	if len(ring) >= 3 {
		ring = append(ring, ring[0])
		hull = append(hull, orb.Polygon{ring})
	}
	return hull
}
