package study

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// DefaultShardNodes is the usual budget of network nodes of one shard
// (core and halo): about 1–2 GB of a worker's memory.
const DefaultShardNodes = 2_000_000

// ShardOptions ask Run for a sharded audit (shard.go). The zero value
// runs the study in one piece.
type ShardOptions struct {
	// Shards is the least number of cores; 0 with Nodes > 0 splits only
	// by the node budget.
	Shards int
	// Nodes is the budget of network nodes of a shard (core and halo); a
	// core is split until it fits, or is one cell. 0 = no budget.
	Nodes int
	// Parallel is how many shards run at once (≤ 1: one after another).
	Parallel int
	// Runner runs the shards elsewhere (data/dist's coordinator); nil
	// runs them in this process.
	Runner ShardRunner `json:"-"`
}

// Enabled reports whether o asks for a sharded run.
func (o ShardOptions) Enabled() bool { return o.Shards > 0 || o.Nodes > 0 }

// ParseShards reads --shards (auto or a count ≥ 1) and --shard-nodes
// (0 = the default budget) into options.
func ParseShards(shards string, nodes int) (ShardOptions, error) {
	if nodes < 0 {
		return ShardOptions{}, Invalidf("--shard-nodes %d: give a number of network nodes ≥ 1 (每个分片的路网节点数)", nodes)
	}
	o := ShardOptions{Nodes: nodes}
	switch shards {
	case "", "auto":
		if shards == "auto" && o.Nodes == 0 {
			o.Nodes = DefaultShardNodes
		}
	default:
		n, err := strconv.Atoi(shards)
		if err != nil || n < 1 || n > 1<<16 {
			return ShardOptions{}, Invalidf("--shards %q: give auto or a number of shards from 1 to 65536 (分片数)", shards)
		}
		o.Shards = n
	}
	return o, nil
}

// A Shard is one square core of the plan, in cells of the plan's grid:
// cells X0..X0+Side-1 by Y0..Y0+Side-1.
type Shard struct {
	X0, Y0, Side int32
	// Nodes are the network nodes in the core and its halo (the plan's
	// estimate), CoreNodes those in the core alone.
	Nodes, CoreNodes int
	points           []int32 // demand points the core owns, ascending
	samples          []int32 // facility boundary samples in the core
	nodes            []int32 // network nodes in the core and halo
}

// A ShardPlan cuts a study into square cores on its equal-area grid.
type ShardPlan struct {
	Grid planner.Grid
	// Halo is the width in projected metres added around each core: a
	// facility sample farther than that cannot matter to the core.
	Halo float64
	// EdgeHalo (Halo + --max-snap, stretched the same way) bounds the
	// streets a part holds: every sample within the halo then finds the
	// street it snaps to in the whole network, never a farther one.
	EdgeHalo float64
	Shards   []Shard
	// OverBudget counts the cores left over the node budget because
	// splitting them would not shrink their shards (the halo alone holds
	// more nodes than the budget).
	OverBudget int

	pr     geo.LAEA
	ne     int       // edges of the study's network
	nx, ny []float64 // projected network nodes
	sx, sy []int32   // cells of the facilities' boundary samples
	once   sync.Once
	eb, fb []box // projected boxes of the edges and the facilities (boxes)
}

// ShardStats are what one shard did: its network (core and halo), its
// points and facilities, and the nodes its searches reached.
type ShardStats struct {
	Shard
	SubNodes, SubEdges, Points, Facilities int
	Reached                                int64
}

// PlanShards prepares the study and cuts it into cores (see the package
// doc, "Sharding").
func PlanShards(st *Study, o ShardOptions) (*ShardPlan, error) {
	if err := st.Prepare(); err != nil {
		return nil, err
	}
	dem, net := st.In.Demand, st.In.Net
	g := st.Grid
	if g == nil {
		var b orb.Bound
		for i, pt := range dem.Points {
			if i == 0 {
				b = orb.Bound{Min: pt, Max: pt}
			}
			b = b.Extend(pt)
		}
		gg, err := planner.NewGrid(st.Settings.Cell, b)
		if err != nil {
			return nil, Invalidf("--cell: %v", err)
		}
		g = &gg
	}
	pl := &ShardPlan{Grid: *g, pr: geo.NewLAEA(g.Anchor), ne: net.NumEdges()}
	// The projection stretches distances by at most 1/cos(c/2) at an
	// angle c from its centre; the halo is widened by that (and 2 %).
	nb := net.Bound()
	var cmax float64
	for _, c := range []orb.Point{nb.Min, nb.Max, {nb.Min[0], nb.Max[1]}, {nb.Max[0], nb.Min[1]}} {
		cmax = math.Max(cmax, geo.Haversine(g.Anchor, c)/geo.EarthRadius)
	}
	if cmax > 0.5 {
		return nil, Invalidf("--shards: the network spans %.0f km from its centre, too far for one equal-area grid (at most %.0f km): audit the region in parts",
			cmax*geo.EarthRadius/1000, 0.5*geo.EarthRadius/1000)
	}
	pl.Halo = 1.02*(st.In.MaxDistance+2*st.In.MaxSnap)/math.Cos(cmax/2) + 1
	pl.EdgeHalo = pl.Halo + 1.02*st.In.MaxSnap/math.Cos(cmax/2) + 1
	n := net.NumNodes()
	pl.nx, pl.ny = make([]float64, n), make([]float64, n)
	all := make([]int32, n)
	for i := range all {
		all[i] = int32(i)
		pl.nx[i], pl.ny[i], _ = pl.pr.Forward(net.Node(int32(i)))
	}
	// The root core: the smallest power-of-two square of cells holding
	// every demand point and every facility's boundary sample (each
	// judged, snapped or not, by the one core that holds it).
	cx, cy := make([]int32, len(dem.Points)), make([]int32, len(dem.Points))
	var pts, smp []int32
	minX, minY, maxX, maxY := int32(math.MaxInt32), int32(math.MaxInt32), int32(math.MinInt32), int32(math.MinInt32)
	for i, p := range dem.Points {
		cx[i], cy[i] = g.Cell(p)
		if cx[i] == math.MinInt32 {
			continue // not a lon/lat: never snaps, stays unreached
		}
		pts = append(pts, int32(i))
		minX, minY, maxX, maxY = min(minX, cx[i]), min(minY, cy[i]), max(maxX, cx[i]), max(maxY, cy[i])
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("--shards: no demand point lies on the grid")
	}
	var sx, sy []int32
	for _, f := range st.In.Facilities {
		for _, p := range geo.SamplePoints(f.Geometry, geo.DefaultSampleStep) {
			if x, y := g.Cell(p); x != math.MinInt32 {
				smp = append(smp, int32(len(sx)))
				sx, sy = append(sx, x), append(sy, y)
				minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
			}
		}
	}
	side := int32(1)
	for side < maxX-minX+1 || side < maxY-minY+1 {
		side *= 2
	}
	pl.sx, pl.sy = sx, sy
	root := pl.shard(minX, minY, side, pts, smp, all, cx, cy)
	cores := []Shard{root}
	splittable := func(s Shard) bool { return s.Side > 1 }
	if o.Nodes > 0 {
		// A core over the budget is split while it is wider than its halo
		// or the split shrinks its largest shard by a tenth at least:
		// where the halo alone holds more than the budget, smaller cores
		// would only repeat the same halo.
		for k := 0; k < len(cores); {
			if c := cores[k]; c.Nodes > o.Nodes && splittable(c) {
				q := pl.split(c, cx, cy)
				most := 0
				for _, x := range q {
					most = max(most, x.Nodes)
				}
				if float64(c.Side)*g.Size > pl.Halo || most*10 <= c.Nodes*9 {
					cores = append(append(cores[:k:k], q...), cores[k+1:]...)
					continue
				}
			}
			k++
		}
	}
	for len(cores) < o.Shards {
		best := -1
		for k, c := range cores {
			if splittable(c) && (best < 0 || c.Nodes > cores[best].Nodes) {
				best = k
			}
		}
		if best < 0 {
			break
		}
		cores = append(append(cores[:best:best], pl.split(cores[best], cx, cy)...), cores[best+1:]...)
	}
	for _, c := range cores {
		if o.Nodes > 0 && c.Nodes > o.Nodes {
			pl.OverBudget++
		}
	}
	slices.SortFunc(cores, func(a, b Shard) int {
		if a.Y0 != b.Y0 {
			return int(a.Y0 - b.Y0)
		}
		return int(a.X0 - b.X0)
	})
	pl.Shards = cores
	return pl, nil
}

// shard makes the core of side cells at x0, y0 from the demand points
// and nodes of its parent.
func (pl *ShardPlan) shard(x0, y0, side int32, pts, smp, nodes, cx, cy []int32) Shard {
	s := Shard{X0: x0, Y0: y0, Side: side}
	in := func(x, y int32) bool { return x >= x0 && x < x0+side && y >= y0 && y < y0+side }
	for _, i := range pts {
		if in(cx[i], cy[i]) {
			s.points = append(s.points, i)
		}
	}
	for _, i := range smp {
		if in(pl.sx[i], pl.sy[i]) {
			s.samples = append(s.samples, i)
		}
	}
	lo, hi := pl.rect(s, pl.Halo)
	clo, chi := pl.rect(s, 0)
	for _, v := range nodes {
		x, y := pl.nx[v], pl.ny[v]
		if x >= lo[0] && x <= hi[0] && y >= lo[1] && y <= hi[1] {
			s.nodes = append(s.nodes, v)
			if x >= clo[0] && x < chi[0] && y >= clo[1] && y < chi[1] {
				s.CoreNodes++
			}
		}
	}
	s.Nodes = len(s.nodes)
	return s
}

// split cuts a core into its four quarters, leaving out those without
// demand points or facility samples.
func (pl *ShardPlan) split(s Shard, cx, cy []int32) []Shard {
	h := s.Side / 2
	var out []Shard
	for _, q := range [][2]int32{{0, 0}, {h, 0}, {0, h}, {h, h}} {
		if c := pl.shard(s.X0+q[0], s.Y0+q[1], h, s.points, s.samples, s.nodes, cx, cy); len(c.points)+len(c.samples) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// rect returns the projected rectangle of core s widened by w metres.
func (pl *ShardPlan) rect(s Shard, w float64) (lo, hi [2]float64) {
	z := pl.Grid.Size
	return [2]float64{float64(s.X0)*z - w, float64(s.Y0)*z - w}, [2]float64{float64(s.X0+s.Side)*z + w, float64(s.Y0+s.Side)*z + w}
}

// box is a projected bounding box.
type box struct{ lo, hi [2]float64 }

func (b box) meets(lo, hi [2]float64) bool {
	return b.lo[0] <= hi[0] && b.hi[0] >= lo[0] && b.lo[1] <= hi[1] && b.hi[1] >= lo[1]
}

func (pl *ShardPlan) boxOf(pts []orb.Point, pad float64) box {
	b := box{lo: [2]float64{math.Inf(1), math.Inf(1)}, hi: [2]float64{math.Inf(-1), math.Inf(-1)}}
	for _, p := range pts {
		x, y, ok := pl.pr.Forward(p)
		if !ok {
			continue
		}
		b.lo = [2]float64{min(b.lo[0], x-pad), min(b.lo[1], y-pad)}
		b.hi = [2]float64{max(b.hi[0], x+pad), max(b.hi[1], y+pad)}
	}
	return b
}

// boxes returns the projected boxes of the network's edges and of the
// facilities' boundary samples; an edge's box is padded for the bulge of
// its segments in the projection.
func (pl *ShardPlan) boxes(in planner.AuditInput) (eb, fb []box) {
	net := in.Net
	eb = make([]box, net.NumEdges())
	for e := range eb {
		_, _, l := net.Edge(int32(e))
		eb[e] = pl.boxOf(net.EdgeGeometry(int32(e)), 1+0.005*l)
	}
	fb = make([]box, len(in.Facilities))
	for f := range fb {
		fb[f] = pl.boxOf(geo.SamplePoints(in.Facilities[f].Geometry, geo.DefaultSampleStep), 1)
	}
	return eb, fb
}

// RunSharded audits the study shard by shard and merges the shards'
// per-point results into the AuditResult Run gives (see the package doc,
// "Sharding"). It returns what each shard did.
func RunSharded(ctx context.Context, st *Study, o ShardOptions) (*planner.AuditResult, []ShardStats, error) {
	pl, err := PlanShards(st, o)
	if err != nil {
		return nil, nil, err
	}
	in := st.In
	if planner.HasCapacity(in) {
		return nil, nil, Invalidf("--shards: this audit computes capacity figures (a type with capacity_ratio and facilities with a capacity), which a sharded audit does not split yet: run it without --shards")
	}
	if pl.OverBudget > 0 {
		st.p.Warn("%d of %d shards hold more network nodes than --shard-nodes %d even split further: their halo (%.0f m: --max-distance + 2 × --max-snap) alone holds more; raise --shard-nodes or lower --max-distance",
			pl.OverBudget, len(pl.Shards), o.Nodes, pl.Halo)
	}
	st.p.Step("walkable coverage, sharded")
	np, nt := len(in.Demand.Points), len(in.Profile.Types)
	merged := planner.NewPointResults(np, nt, len(in.Facilities))
	stats := make([]ShardStats, len(pl.Shards))
	var mu sync.Mutex
	var runner ShardRunner = localRunner{o.Parallel}
	if o.Runner != nil {
		runner = o.Runner
	}
	err = runner.RunShards(ctx, st, pl, func(k int, r *ShardResult) error {
		mu.Lock()
		defer mu.Unlock()
		if err := pl.Merge(merged, k, r); err != nil {
			return err
		}
		stats[k] = ShardStats{Shard: pl.Shards[k], SubNodes: r.SubNodes, SubEdges: r.SubEdges, Points: len(r.Points), Facilities: r.Facilities, Reached: r.Reached}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var core, all int
	lo, hi := int32(math.MaxInt32), int32(0)
	for _, s := range stats {
		core, all = core+s.CoreNodes, all+s.SubNodes
		lo, hi = min(lo, s.Side), max(hi, s.Side)
	}
	st.p.Done("%d shards (cores %g–%g km a side, halo %.0f m): %d network nodes in cores, %d with halos (%.2f×), searches reached %d nodes",
		len(stats), float64(lo)*pl.Grid.Size/1000, float64(hi)*pl.Grid.Size/1000, pl.Halo, core, all, float64(all)/float64(max(core, 1)), merged.Reached)
	st.p.Step("merge shards")
	res, err := planner.AuditMerged(ctx, in, merged)
	if err != nil {
		return nil, nil, err
	}
	st.finishRun(res)
	return res, stats, nil
}

// A ShardPart is what one shard reads and searches, cut from a loaded
// study: its core's demand points, the network of the edges that come
// within its halo and the facilities whose boundary samples do. It is the
// unit a distributed runner dispatches: Run needs nothing else, and Merge
// puts its results in the study's numbering.
type ShardPart struct {
	Shard Shard
	Grid  planner.Grid
	// Net is nil when no street comes near the core (its points stay
	// unsnapped); EdgeOf maps its edges to the study network's.
	Net    *geo.Network
	EdgeOf []int32
	// Facilities, in the study's order; FacOf maps them to the study's.
	Facilities []planner.Facility
	FacOf      []int32
	// Points are the study's indices of the demand points the core owns,
	// ascending; Demand holds their positions and residents.
	Points []int32
	Demand *planner.Demand
}

// Part cuts shard k's part out of st (the study the plan was made from).
func (pl *ShardPlan) Part(st *Study, k int) (*ShardPart, error) {
	s, in := pl.Shards[k], st.In
	p := &ShardPart{Shard: s, Grid: pl.Grid, Points: s.points}
	p.Demand = &planner.Demand{Points: make([]orb.Point, len(s.points)), Pop: make([]float64, len(s.points))}
	for j, i := range s.points {
		p.Demand.Points[j], p.Demand.Pop[j] = in.Demand.Points[i], in.Demand.Pop[i]
	}
	keep, facOf := pl.cut(st, k)
	if keep == nil {
		return p, nil
	}
	var err error
	if p.Net, p.EdgeOf, err = in.Net.Sub(keep); err != nil {
		return nil, err
	}
	p.FacOf = facOf
	for _, f := range facOf {
		p.Facilities = append(p.Facilities, in.Facilities[f])
	}
	return p, nil
}

// cut returns which edges of the study's network shard k reads (those
// that come within its EdgeHalo) and which facilities (those whose
// boundary samples come within its Halo); keep is nil when no edge comes
// near the core.
func (pl *ShardPlan) cut(st *Study, k int) (keep func(e int32) bool, facOf []int32) {
	pl.once.Do(func() { pl.eb, pl.fb = pl.boxes(st.In) })
	lo, hi := pl.rect(pl.Shards[k], pl.Halo)
	elo, ehi := pl.rect(pl.Shards[k], pl.EdgeHalo)
	if !slices.ContainsFunc(pl.eb, func(b box) bool { return b.meets(elo, ehi) }) {
		return nil, nil
	}
	for f := range st.In.Facilities {
		if pl.fb[f].meets(lo, hi) {
			facOf = append(facOf, int32(f))
		}
	}
	return func(e int32) bool { return pl.eb[e].meets(elo, ehi) }, facOf
}

// Run snaps the part's points and runs the audit's searches on its
// network (planner.SearchPoints), judging only the facility samples its
// core owns; results are in the part's numbering.
func (p *ShardPart) Run(ctx context.Context, prof *planner.Profile, maxSnap, maxDistance float64) (*planner.PointResults, error) {
	if p.Net == nil {
		return planner.NewPointResults(len(p.Points), len(prof.Types), 0), nil
	}
	s := p.Shard
	own := func(q orb.Point) bool {
		x, y := p.Grid.Cell(q)
		return x >= s.X0 && x < s.X0+s.Side && y >= s.Y0 && y < s.Y0+s.Side
	}
	return planner.SearchPoints(ctx, planner.AuditInput{Profile: prof, Net: p.Net, Facilities: p.Facilities, Demand: p.Demand,
		MaxSnap: maxSnap, MaxDistance: maxDistance}, own)
}

// Merge writes shard k's result r into merged (in the study's
// numbering), after checking that r is a result of that shard: a result
// from elsewhere is an error, never a panic or a hole. Parts own disjoint
// points, so any order of merging gives the same merged results.
func (pl *ShardPlan) Merge(merged *planner.PointResults, k int, r *ShardResult) error {
	if k < 0 || k >= len(pl.Shards) {
		return fmt.Errorf("shard %d of %d: no such shard", k+1, len(pl.Shards))
	}
	if err := r.mergeInto(merged, pl.Shards[k], pl.ne); err != nil {
		return fmt.Errorf("shard %d of %d: %w", k+1, len(pl.Shards), err)
	}
	return nil
}
