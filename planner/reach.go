package planner

import (
	"context"
	"runtime"
	"sync"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// SnapAll snaps every point to the network in parallel. ok[i] is false
// where point i lies farther than maxSnap metres from any walkable edge.
func SnapAll(net *geo.Network, pts []orb.Point, maxSnap float64) (pos []geo.Position, ok []bool) {
	pos, ok, _ = SnapAllContext(context.Background(), net, pts, maxSnap)
	return pos, ok
}

// SnapAllContext is SnapAll that stops early, with ctx's error, once ctx
// is cancelled.
func SnapAllContext(ctx context.Context, net *geo.Network, pts []orb.Point, maxSnap float64) (pos []geo.Position, ok []bool, err error) {
	return snapAllOrdered(ctx, net, pts, geo.HilbertOrder(pts), maxSnap)
}

// snapAllOrdered is SnapAllContext working through the points in order
// (geo.HilbertOrder: neighbours one after another, so the index they
// search stays in the cache).
func snapAllOrdered(ctx context.Context, net *geo.Network, pts []orb.Point, order []int32, maxSnap float64) (pos []geo.Position, ok []bool, err error) {
	select { // the first snap waits for the network's index
	case <-net.SnapIndexReady():
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	pos = make([]geo.Position, len(pts))
	ok = make([]bool, len(pts))
	parallelRange(len(order), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			if k%256 == 0 && ctx.Err() != nil {
				return
			}
			i := order[k]
			pos[i], ok[i] = net.Snap(pts[i], maxSnap)
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	return pos, ok, nil
}

// SnapFacilities turns facility geometries into search sources labelled
// with the facility's index: a point joins the network where it snaps; a
// line or polygon wherever its sampled boundary snaps (DESIGN §2).
// unsnapped lists the facilities with no sample within maxSnap.
func SnapFacilities(net *geo.Network, geoms []orb.Geometry, maxSnap float64) (srcs []geo.Source, unsnapped []int) {
	per := make([][]geo.Source, len(geoms))
	parallelRange(len(geoms), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			for _, p := range geo.SamplePoints(geoms[i], geo.DefaultSampleStep) {
				if pos, ok := net.Snap(p, maxSnap); ok {
					per[i] = append(per[i], geo.Source{Pos: pos, Label: int32(i)})
				}
			}
		}
	})
	for i, s := range per {
		if len(s) == 0 {
			unsnapped = append(unsnapped, i)
		}
		srcs = append(srcs, s...)
	}
	return srcs, unsnapped
}

// parallelRange splits [0,n) into chunks run on all CPUs.
func parallelRange(n int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < 1024 || workers == 1 {
		fn(0, n)
		return
	}
	chunk := (n + workers*4 - 1) / (workers * 4)
	var wg sync.WaitGroup
	next := make(chan int, workers*4)
	for lo := 0; lo < n; lo += chunk {
		next <- lo
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range next {
				fn(lo, min(lo+chunk, n))
			}
		}()
	}
	wg.Wait()
}
