package data

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/lifecircle/lifecircle/planner"
)

// A report map of many units (a fine grid over a large city: 100,000
// cells) is drawn as an image of fixed size rather than one path per
// unit, so the report stays a few megabytes and quick to write and open
// whatever the number of units; outlines, streets and facilities stay
// vector drawings over it.

const (
	// reportVectorUnitsMax is the most units a map draws as paths.
	reportVectorUnitsMax = 20000
	// reportRasterWidth is the width in pixels of a map drawn as an
	// image: 1.2 pixels per unit of the 1000-unit-wide drawing.
	reportRasterWidth = 1200
)

// unitRaster holds, for each pixel of a map image, the unit drawn there
// (an index into the units drawn, -1 for none).
type unitRaster struct {
	w, h  int
	units int // how many units it was made from
	idx   []int32
}

// rasterCache makes a projection's unit raster once for all the maps of a
// report, which draw the same units in the same order.
type rasterCache struct {
	once sync.Once
	r    *unitRaster
}

// raster returns the unit raster of units drawn in the order of layer
// (later layers over earlier ones), made once per projection.
func (m mapProjection) raster(units []planner.Unit, layer []int) *unitRaster {
	if m.cache == nil {
		return m.rasterize(units, layer)
	}
	m.cache.once.Do(func() { m.cache.r = m.rasterize(units, layer) })
	if m.cache.r.units != len(units) {
		return m.rasterize(units, layer)
	}
	return m.cache.r
}

// rasterize fills each unit's polygons (even-odd, pixel centres inside)
// into a raster reportRasterWidth pixels wide.
func (m mapProjection) rasterize(units []planner.Unit, layer []int) *unitRaster {
	px := reportRasterWidth / m.w // pixels per drawing unit
	r := &unitRaster{w: reportRasterWidth, h: max(1, int(math.Ceil(m.h*px))), units: len(units)}
	r.idx = make([]int32, r.w*r.h)
	for i := range r.idx {
		r.idx[i] = -1
	}
	order := make([]int, len(units))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return layer[a] - layer[b] })
	var xs []float64
	var rings [][][2]float64
	for _, u := range order {
		for _, p := range polygonsOf(units[u].Geometry) {
			rings = rings[:0]
			y0, y1 := math.Inf(1), math.Inf(-1)
			for _, ring := range p {
				pts := make([][2]float64, len(ring))
				for k, q := range ring {
					x, y := m.xy(q)
					pts[k] = [2]float64{x * px, y * px}
					y0, y1 = math.Min(y0, pts[k][1]), math.Max(y1, pts[k][1])
				}
				rings = append(rings, pts)
			}
			if math.IsInf(y0, 0) || math.IsNaN(y0) || math.IsNaN(y1) {
				continue
			}
			for row := max(0, int(math.Floor(y0))); row < min(r.h, int(math.Ceil(y1))+1); row++ {
				xs = scanRow(xs[:0], rings, float64(row)+0.5)
				for k := 0; k+1 < len(xs); k += 2 {
					c0 := max(0, int(math.Ceil(xs[k]-0.5)))
					c1 := min(r.w-1, int(math.Floor(xs[k+1]-0.5)))
					for c := c0; c <= c1; c++ {
						r.idx[row*r.w+c] = int32(u)
					}
				}
			}
		}
	}
	return r
}

// scanRow appends the sorted x where the rings' edges cross the line y.
func scanRow(xs []float64, rings [][][2]float64, y float64) []float64 {
	for _, ring := range rings {
		for k := range ring {
			a, b := ring[k], ring[(k+1)%len(ring)]
			if (a[1] <= y) == (b[1] <= y) {
				continue
			}
			xs = append(xs, a[0]+(y-a[1])*(b[0]-a[0])/(b[1]-a[1]))
		}
	}
	slices.Sort(xs)
	return xs
}

// pngURI returns the raster as a PNG data URI, each unit's pixels in its
// fill colour ("#rrggbb"), pixels of no unit transparent.
func (r *unitRaster) pngURI(fill []string) (string, error) {
	pal := color.Palette{color.RGBA{}}
	slot := map[string]uint8{}
	unitSlot := make([]uint8, len(fill))
	for u, f := range fill {
		s, ok := slot[f]
		if !ok {
			if len(pal) == 256 {
				s = 0 // more colours than a palette holds: cannot happen with shareColor's classes
			} else {
				s = uint8(len(pal))
				pal = append(pal, hexColor(f))
				slot[f] = s
			}
		}
		unitSlot[u] = s
	}
	img := image.NewPaletted(image.Rect(0, 0, r.w, r.h), pal)
	for i, u := range r.idx {
		if u >= 0 {
			img.Pix[i] = unitSlot[u]
		}
	}
	var b bytes.Buffer
	b.WriteString("data:image/png;base64,")
	enc := base64.NewEncoder(base64.StdEncoding, &b)
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(enc, img); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return b.String(), nil
}

// hexColor parses "#rrggbb"; anything else is mid grey.
func hexColor(s string) color.RGBA {
	if len(s) == 7 && s[0] == '#' {
		if v, err := strconv.ParseUint(s[1:], 16, 32); err == nil {
			return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
		}
	}
	return color.RGBA{128, 128, 128, 255}
}
