package data

import (
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"

	"github.com/lifecircle/lifecircle/geo"
)

// DatumHint looks for a layer read as WGS84 whose positions are in fact
// GCJ-02 (Amap, Tencent) or BD-09 (Baidu): such points sit 300–700 m off
// in one direction, which no validation of single positions can see. It
// compares the median straight distance from the points to the walk
// network as read with the median after converting them from GCJ-02 (and
// from BD-09) to WGS84; when one of those halves it (and gains at least
// 10 m), it returns a warning naming spec and the suffix to add. Layers
// of fewer than 8 points, or outside China, get "", and so does a check
// ended early by closing stop (nil: never).
//
// A median needs no census: a layer of more than datumSample points is
// judged on an evenly spaced sample of that many (every k-th point), so a
// million residents cost what 4,096 do. The snaps run on all cores.
func DatumHint(spec string, net *geo.Network, pts []orb.Point, stop <-chan struct{}) string {
	const (
		minPoints = 8
		far       = 2000.0 // metres: points farther off count as this
	)
	var in []orb.Point
	for _, p := range pts {
		if !geo.OutOfChina(p) {
			in = append(in, p)
		}
	}
	if len(in) < minPoints || len(in)*2 < len(pts) {
		return ""
	}
	in = evenSample(in, datumSample)
	var stopped atomic.Bool
	median := func(conv func(orb.Point) orb.Point) float64 {
		d := make([]float64, len(in))
		parallelChunks(len(in), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				if (i-lo)%256 == 0 && stop != nil {
					select {
					case <-stop:
						stopped.Store(true)
						return
					default:
					}
				}
				d[i] = far
				if pos, ok := net.Snap(conv(in[i]), far); ok {
					d[i] = pos.Access
				}
			}
		})
		slices.Sort(d)
		return d[len(d)/2]
	}
	asRead := median(func(p orb.Point) orb.Point { return p })
	best, name, suffix := asRead, "", ""
	for _, c := range []struct {
		name, suffix string
		conv         func(orb.Point) orb.Point
	}{
		{"GCJ-02 (Amap, Tencent)", "gcj02", geo.GCJ02ToWGS84},
		{"BD-09 (Baidu)", "bd09", geo.BD09ToWGS84},
	} {
		if m := median(c.conv); m < best {
			best, name, suffix = m, c.name, c.suffix
		}
	}
	if stopped.Load() || name == "" || best > asRead/2 || asRead-best < 10 {
		return ""
	}
	return fmt.Sprintf("%s: the points lie %.0f m from the streets (median) as WGS84 but %.0f m when read as %s — they look copied from a Chinese web map: give the file as %s@%s (or coords: %s in the project file)",
		spec, asRead, best, name, filepath.Base(spec), suffix, suffix)
}

// datumSample is the most points DatumHint snaps per reading of a layer.
const datumSample = 4096

// evenSample returns pts when it has at most n points, else n of them evenly
// spaced through it (the first, and then every len/n-th on average).
func evenSample(pts []orb.Point, n int) []orb.Point {
	if len(pts) <= n {
		return pts
	}
	out := make([]orb.Point, n)
	for i := range out {
		out[i] = pts[int(int64(i)*int64(len(pts))/int64(n))]
	}
	return out
}

// parallelChunks runs fn over [0,n) split into one chunk per CPU.
func parallelChunks(n int, fn func(lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), max(1, n/256))
	var wg sync.WaitGroup
	for k := 0; k < w; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(k*n/w, (k+1)*n/w)
		}()
	}
	wg.Wait()
}
