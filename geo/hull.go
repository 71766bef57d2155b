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
		return nil, 0
	}
	lat0 := (b.Min[1] + b.Max[1]) / 2
	kx := metresPerDegree * math.Max(math.Cos(lat0*rad), 1e-6)
	ky := metresPerDegree
	wm, hm := (b.Max[0]-b.Min[0])*kx, (b.Max[1]-b.Min[1])*ky
	for (wm/cell+7)*(hm/cell+7) > maxHullCells {
		cell *= 2
	}
	// Empty cells around the lines' cells: one for the neighbours, one
	// so the outside is connected, one for rounding.
	const pad = 3
	w := int(wm/cell) + 1 + 2*pad
	h := int(hm/cell) + 1 + 2*pad
	x0 := b.Min[0] - pad*cell/kx
	y0 := b.Min[1] - pad*cell/ky
	cellOf := func(p orb.Point) (int, int) {
		i := int((p[0] - x0) * kx / cell)
		j := int((p[1] - y0) * ky / cell)
		return min(max(i, 2), w-3), min(max(j, 2), h-3)
	}
	grid := make([]uint8, w*h) // 1 on a line, 2 filled
	for _, ls := range lines {
		for k := 0; k+1 < len(ls); k++ {
			a, c := ls[k], ls[k+1]
			dx, dy := (c[0]-a[0])*kx, (c[1]-a[1])*ky
			n := int(math.Hypot(dx, dy)/(cell/2)) + 1
			for s := 0; s <= n; s++ {
				t := float64(s) / float64(n)
				i, j := cellOf(orb.Point{a[0] + t*(c[0]-a[0]), a[1] + t*(c[1]-a[1])})
				grid[j*w+i] = 1
			}
		}
		if len(ls) == 1 {
			i, j := cellOf(ls[0])
			grid[j*w+i] = 1
		}
	}
	for j := 1; j < h-1; j++ {
		for i := 1; i < w-1; i++ {
			if grid[j*w+i] != 1 {
				continue
			}
			for dj := -1; dj <= 1; dj++ {
				for di := -1; di <= 1; di++ {
					if k := (j+dj)*w + i + di; grid[k] == 0 {
						grid[k] = 2
					}
				}
			}
		}
	}
	// Fill holes: empty cells not connected to the border.
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
			if grid[q] == 0 && !outside[q] {
				outside[q] = true
				stack = append(stack, q)
			}
		}
	}
	filled := func(i, j int) bool { return !outside[j*w+i] }
	cells := 0
	for k := range grid {
		if !outside[k] {
			cells++
		}
	}
	area = float64(cells) * cell * cell

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
		return orb.Point{x0 + float64(i)*cell/kx, y0 + float64(j)*cell/ky}
	}
	for v := range out {
		// A corner shared by two rings starts both.
		for out[v] != 0 {
			hull = traceRing(out, v, vw, hull, corner)
		}
	}
	return hull, area
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
