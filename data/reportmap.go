package data

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"sort"
	"strconv"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// The report's SVG maps: a local projection of the study area, units,
// streets and demand points drawn as paths.

func polygonsOf(g orb.Geometry) []orb.Polygon {
	switch g := g.(type) {
	case orb.Polygon:
		return []orb.Polygon{g}
	case orb.MultiPolygon:
		return g
	}
	return nil
}

// mapProjection is a local equirectangular projection of the study area
// onto an SVG viewBox reportMapWidth wide: x east, y south.
type mapProjection struct {
	minLon, maxLat float64
	kx, scale      float64
	w, h           float64
	ok             bool
	// cache holds the units' raster when they are too many to draw as
	// paths (reportraster.go); nil makes it anew for each map.
	cache *rasterCache
}

func newMapProjection(units []planner.Unit, demand []orb.Point) mapProjection {
	var b orb.Bound
	first := true
	ext := func(p orb.Point) {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) {
			return
		}
		if first {
			b = orb.Bound{Min: p, Max: p}
			first = false
		} else {
			b = b.Extend(p)
		}
	}
	for _, u := range units {
		for _, p := range polygonsOf(u.Geometry) {
			if len(p) > 0 {
				ub := p[0].Bound()
				ext(ub.Min)
				ext(ub.Max)
			}
		}
	}
	if first {
		for _, p := range demand {
			ext(p)
		}
	}
	if first {
		return mapProjection{}
	}
	// Pad by 2 %.
	dx, dy := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	pad := 0.02 * math.Max(dx, dy)
	if pad == 0 {
		pad = 0.001
	}
	b.Min[0] -= pad
	b.Min[1] -= pad
	b.Max[0] += pad
	b.Max[1] += pad
	lat0 := (b.Min[1] + b.Max[1]) / 2
	kx := math.Cos(lat0 * math.Pi / 180)
	scale := reportMapWidth / ((b.Max[0] - b.Min[0]) * kx)
	h := (b.Max[1] - b.Min[1]) * scale
	return mapProjection{minLon: b.Min[0], maxLat: b.Max[1], kx: kx, scale: scale, w: reportMapWidth, h: h, ok: true, cache: &rasterCache{}}
}

func (m mapProjection) xy(p orb.Point) (float64, float64) {
	return (p[0] - m.minLon) * m.kx * m.scale, (m.maxLat - p[1]) * m.scale
}

// appendRing appends an SVG path of ring r, dropping vertices closer than
// 0.4 units to the previous one.
func (m mapProjection) appendRing(b []byte, r []orb.Point, closed bool) []byte {
	px, py := math.Inf(1), math.Inf(1)
	n := 0
	for _, p := range r {
		x, y := m.xy(p)
		if math.Abs(x-px) < 0.4 && math.Abs(y-py) < 0.4 {
			continue
		}
		if n == 0 {
			b = append(b, 'M')
		} else {
			b = append(b, 'L')
		}
		b = strconv.AppendFloat(b, x, 'f', 1, 64)
		b = append(b, ' ')
		b = strconv.AppendFloat(b, y, 'f', 1, 64)
		px, py = x, y
		n++
	}
	if closed && n > 0 {
		b = append(b, 'Z')
	}
	return b
}

// DrawsNetwork reports whether an audit's outputs draw net (the report's
// maps draw the streets of a network of up to reportStreetsMax edges): a
// caller may drop a larger network before writing them.
func DrawsNetwork(net *geo.Network) bool {
	return net != nil && net.NumEdges() <= reportStreetsMax
}

// streets returns the SVG path data of the walk network, "" when it has
// more than maxEdges edges.
func (m mapProjection) streets(in planner.AuditInput, maxEdges int) string {
	if !m.ok || !DrawsNetwork(in.Net) || in.Net.NumEdges() > maxEdges {
		return ""
	}
	var b []byte
	for e := 0; e < in.Net.NumEdges(); e++ {
		b = m.appendRing(b, in.Net.EdgeGeometry(int32(e)), false)
	}
	return string(b)
}

// svg draws the units filled with fill[u], in the order of layer[u] (a
// unit of a later layer over those of earlier ones), outlines of coarser
// levels, the streets and points (facilities).
func (m mapProjection) svg(units []planner.Unit, fill []string, layer []int, outlines [][]orb.Polygon, streets string, pts []orb.Point, class string) template.HTML {
	if !m.ok {
		return template.HTML(`<p class="muted">` + string(bi("无可绘制的单元", "no units to draw")) + `</p>`)
	}
	var b bytes.Buffer
	// Line widths and dots scale with the drawing, which is shown at
	// about the same size whatever its aspect.
	size := math.Max(m.w, m.h)
	fmt.Fprintf(&b, `<svg class="map %s" viewBox="0 0 %.0f %.0f" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg" role="img">`, class, m.w, m.h)
	if len(units) > reportVectorUnitsMax {
		uri, err := m.raster(units, layer).pngURI(fill)
		if err != nil {
			return template.HTML(`<p class="muted">` + template.HTMLEscapeString(err.Error()) + `</p>`)
		}
		fmt.Fprintf(&b, `<image href="%s" x="0" y="0" width="%.0f" height="%.0f" preserveAspectRatio="none"/>`, uri, m.w, m.h)
	} else {
		m.unitPaths(&b, units, fill, layer, size)
	}
	if streets != "" {
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="#4a4a4a" stroke-opacity="0.4" stroke-width="%.1f" stroke-linecap="round"/>`, streets, 0.0011*size)
	}
	for k, ps := range outlines {
		var buf []byte
		for _, p := range ps {
			for _, r := range p {
				buf = m.appendRing(buf, r, true)
			}
		}
		width := 0.0022 * size * float64(1+len(outlines)-1-k)
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="#1f2d3d" stroke-width="%.1f" stroke-linejoin="round"/>`, buf, width)
	}
	if len(pts) > 0 {
		fmt.Fprintf(&b, `<g fill="#111111" stroke="#ffffff" stroke-width="%.1f">`, 0.003*size)
		for _, p := range pts {
			if math.IsNaN(p[0]) {
				continue
			}
			x, y := m.xy(p)
			if x < 0 || y < 0 || x > m.w || y > m.h {
				continue
			}
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f"/>`, x, y, 0.011*size)
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// unitPaths draws units as paths filled with fill[u], in the order of
// layer[u].
func (m mapProjection) unitPaths(b *bytes.Buffer, units []planner.Unit, fill []string, layer []int, size float64) {
	// Units grouped by layer, then by fill colour: one path per colour
	// keeps the file small, and finer units are drawn over coarser ones.
	type key struct {
		layer int
		color string
	}
	byColor := map[key][]byte{}
	var keys []key
	for u, unit := range units {
		c := key{layer[u], fill[u]}
		if _, ok := byColor[c]; !ok {
			keys = append(keys, c)
		}
		buf := byColor[c]
		for _, p := range polygonsOf(unit.Geometry) {
			for _, r := range p {
				buf = m.appendRing(buf, r, true)
			}
		}
		byColor[c] = buf
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].layer != keys[j].layer {
			return keys[i].layer < keys[j].layer
		}
		return keys[i].color < keys[j].color
	})
	for _, c := range keys {
		fmt.Fprintf(b, `<path d="%s" fill="%s" fill-rule="evenodd" stroke="#ffffff" stroke-width="%.1f" stroke-linejoin="round"/>`, byColor[c], c.color, 0.0012*size)
	}
}
