package planner

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// HullCell is the grid cell, metres, of a catchment's hull (geo.GridHull):
// the hull holds every point within HullCell of the reached network and
// none farther than 2√2·HullCell from it, with holes filled.
const HullCell = 20.0

// CatchmentBand is the distance step, metres, at which a catchment's
// network pieces are cut, so that each piece lies within one band.
const CatchmentBand = 50.0

// A CatchmentPiece is a stretch of street within a facility's threshold:
// Line runs away from the facility, the walking distance growing from Near
// at its first vertex to Far at its last (metres, access leg included).
type CatchmentPiece struct {
	Line      orb.LineString
	Near, Far float64
}

// A Catchment is what one facility (or a site that is not one yet)
// reaches on foot within its type's threshold, by the audit's own
// definitions: the same snapping, the same distances, the same Covers.
type Catchment struct {
	Type      string
	Threshold float64
	// Demand is the resident group the type counts ("" for all
	// residents), as in TypeSummary.
	Demand string
	// Snapped is false when the facility lies farther than MaxSnap from
	// every walkable street: it reaches no one.
	Snapped bool
	// Pieces is the reached network (only when asked for).
	Pieces []CatchmentPiece
	// Hull outlines the reached network (HullCell); HullArea is its area
	// in m² and NetworkLength the pieces' summed length in metres.
	Hull          orb.MultiPolygon
	HullArea      float64
	NetworkLength float64
	// Residents (of the type's group) whose walking distance to this
	// facility is within the threshold, and Points the demand points
	// they live at.
	Residents float64
	Points    int
	// ResidentsNearest and PointsNearest count those of them for whom it
	// is the nearest facility of its type (ties go to the facility listed
	// first, as in the audit), so that over all facilities of a type they
	// sum to the type's covered residents. For a site that is not a
	// facility: those it would be nearest for if it were added alone.
	ResidentsNearest float64
	PointsNearest    int
}

// A FacilityCatchment is the catchment of one facility of a scenario.
type FacilityCatchment struct {
	ID   string
	Name string
	Catchment
}

// Catchments computes catchments over a Scenario: one bounded search per
// facility, stopped at the type's threshold. It keeps each facility's
// catchment (without its pieces) until the facility moves, so that a
// type's catchments are computed once and edits recompute only the
// facilities they touch; who is nearest is read from the scenario's
// current figures on every call. It is safe for concurrent use.
type Catchments struct {
	sc *Scenario
	// free keeps searchers between calls: a sync.Pool would drop them at
	// every garbage collection, and a searcher of a large city costs
	// tens of megabytes to make.
	free   chan *catchWork
	mu     sync.Mutex
	cache  map[int]*reachEntry // by facility index
	typeMu []sync.Mutex        // one computation of a type's catchments at a time
}

type catchWork struct {
	s    *geo.Searcher
	mark []bool
}

// reachEntry is a facility's catchment apart from who is nearest.
type reachEntry struct {
	geom orb.Geometry
	c    Catchment // without pieces and nearest figures
	pts  []int32   // demand points within the threshold
	dist []float64 // their distances (nil once cached)
}

// NewCatchments returns a Catchments over sc.
func NewCatchments(sc *Scenario) *Catchments {
	return &Catchments{sc: sc, cache: map[int]*reachEntry{}, typeMu: make([]sync.Mutex, len(sc.in.Profile.Types)),
		free: make(chan *catchWork, runtime.GOMAXPROCS(0))}
}

// work returns a searcher for one catchment; done gives it back.
func (c *Catchments) work() *catchWork {
	select {
	case w := <-c.free:
		return w
	default:
		net := c.sc.in.Net
		return &catchWork{s: net.NewSearcher(), mark: make([]bool, net.NumEdges())}
	}
}

func (c *Catchments) done(w *catchWork) {
	select {
	case c.free <- w:
	default: // more at once than cores: let it go
	}
}

// reach computes the catchment of geometry g as a facility of type t.
// It reads only what never changes in a scenario (network, demand and
// their snapping), so it needs no lock.
func (c *Catchments) reach(g orb.Geometry, t int, pieces bool) *reachEntry {
	sc := c.sc
	ty := sc.in.Profile.Types[t]
	thr := ty.Threshold
	w, group := GroupWeights(sc.in.Demand, ty)
	e := &reachEntry{geom: g, c: Catchment{Type: ty.ID, Threshold: thr, Demand: group}}
	srcs, _ := SnapFacilities(sc.in.Net, []orb.Geometry{g}, sc.maxSnap)
	if len(srcs) == 0 {
		return e
	}
	for k := range srcs {
		srcs[k].Label = 0
	}
	e.c.Snapped = true
	wk := c.work()
	defer c.done(wk)
	s := wk.s
	s.Run(srcs, coverBound(thr))
	var lines []orb.LineString
	s.ReachedEdges(wk.mark, func(edge int32) {
		s.EdgeReach(edge, thr, CatchmentBand, func(p geo.ReachPiece) {
			ls := sc.in.Net.EdgeSlice(p.Edge, p.From, p.To)
			lines = append(lines, ls)
			e.c.NetworkLength += p.Len()
			if pieces {
				e.c.Pieces = append(e.c.Pieces, CatchmentPiece{Line: ls, Near: p.Near, Far: p.Far})
			}
		})
		for _, i := range sc.byEdge.of(int(edge)) {
			if d, _, ok := s.At(sc.pos[i]); ok && Covers(d, thr) {
				e.pts = append(e.pts, i)
				e.dist = append(e.dist, d)
				e.c.Residents += w[i]
				e.c.Points++
			}
		}
	})
	e.c.Hull, e.c.HullArea = geo.GridHull(lines, HullCell)
	return e
}

// keep caches e as facility fi's catchment, without the points'
// distances (a facility's nearest figures come from the scenario's).
func (c *Catchments) keep(fi int, e *reachEntry) {
	k := *e
	k.dist = nil
	c.mu.Lock()
	c.cache[fi] = &k
	c.mu.Unlock()
}

// nearest fills the nearest figures of e as facility fi (-1: a site not
// in the scenario) from the scenario's current figures; the caller holds
// the scenario's read lock.
func (c *Catchments) nearest(e *reachEntry, t, fi int) Catchment {
	sc := c.sc
	out := e.c
	w, _ := GroupWeights(sc.in.Demand, sc.in.Profile.Types[t])
	dist, near := sc.res.Dist[t], sc.res.Nearest[t]
	for k, i := range e.pts {
		var mine bool
		if fi >= 0 {
			mine = near[i] == int32(fi) && Covers(dist[i], out.Threshold)
		} else {
			// A new facility gets the highest index: it wins no tie.
			mine = math.IsNaN(dist[i]) || e.dist[k] < dist[i]
		}
		if mine {
			out.ResidentsNearest += w[i]
			out.PointsNearest++
		}
	}
	return out
}

// Facility returns the catchment of the active facility id, with its
// network pieces when pieces is set. An unknown id is an ErrNotFound
// error.
func (c *Catchments) Facility(ctx context.Context, id string, pieces bool) (*FacilityCatchment, error) {
	sc := c.sc
	sc.mu.RLock()
	fi := sc.find(id)
	var f Facility
	if fi >= 0 {
		f = sc.in.Facilities[fi]
	}
	sc.mu.RUnlock()
	if fi < 0 {
		return nil, fmt.Errorf("catchment: %w: no facility %q", ErrNotFound, id)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t := sc.typeIdx[f.Type]
	e := c.reach(f.Geometry, t, pieces)
	pcs := e.c.Pieces
	e.c.Pieces = nil
	out := &FacilityCatchment{ID: f.ID, Name: f.Name}
	sc.mu.RLock()
	if fi < len(sc.active) && sc.active[fi] && orb.Equal(sc.in.Facilities[fi].Geometry, f.Geometry) {
		out.Catchment = c.nearest(e, t, fi)
	} else {
		// Moved or removed meanwhile: as a site among the others.
		out.Catchment = c.nearest(e, t, -1)
	}
	sc.mu.RUnlock()
	out.Pieces = pcs
	c.keep(fi, e)
	return out, nil
}

// Site returns the catchment of a site of type typ at g that is not a
// facility of the scenario (a proposed site): its nearest figures count
// the residents it would be nearest for if it were added alone.
func (c *Catchments) Site(ctx context.Context, g orb.Geometry, typ string, pieces bool) (*Catchment, error) {
	t, ok := c.sc.typeIdx[typ]
	if !ok {
		return nil, fmt.Errorf("catchment: %w: unknown amenity type %q", ErrInvalid, typ)
	}
	if err := checkGeometry(g); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e := c.reach(g, t, pieces)
	c.sc.mu.RLock()
	out := c.nearest(e, t, -1)
	c.sc.mu.RUnlock()
	return &out, nil
}

// OfType returns the catchments of every active facility of type typ, in
// facility order, without their pieces. Catchments computed before are
// reused while their facility stays where it was.
func (c *Catchments) OfType(ctx context.Context, typ string) ([]FacilityCatchment, error) {
	sc := c.sc
	t, ok := sc.typeIdx[typ]
	if !ok {
		return nil, fmt.Errorf("catchment: %w: unknown amenity type %q", ErrInvalid, typ)
	}
	c.typeMu[t].Lock()
	defer c.typeMu[t].Unlock()
	type job struct {
		fi int
		g  orb.Geometry
	}
	var todo []job
	sc.mu.RLock()
	c.mu.Lock()
	for fi, f := range sc.in.Facilities {
		if !sc.active[fi] || f.Type != typ {
			continue
		}
		if e := c.cache[fi]; e == nil || !orb.Equal(e.geom, f.Geometry) {
			todo = append(todo, job{fi, f.Geometry})
		}
	}
	c.mu.Unlock()
	sc.mu.RUnlock()

	// Compute the missing ones on every core.
	var next sync.Mutex
	k := 0
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				next.Lock()
				j := k
				k++
				next.Unlock()
				if j >= len(todo) {
					return
				}
				c.keep(todo[j].fi, c.reach(todo[j].g, t, false))
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	var out []FacilityCatchment
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	for fi, f := range sc.in.Facilities {
		if !sc.active[fi] || f.Type != typ {
			continue
		}
		e := c.cache[fi]
		if e == nil || !orb.Equal(e.geom, f.Geometry) {
			// Moved since the computation above: compute it now.
			e = c.reach(f.Geometry, t, false)
			e.dist = nil
			c.cache[fi] = e
		}
		out = append(out, FacilityCatchment{ID: f.ID, Name: f.Name, Catchment: c.nearest(e, t, fi)})
	}
	return out, nil
}
