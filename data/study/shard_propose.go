package study

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// A ProposePlan cuts a proposal's coverage sets into the shards of a
// ShardPlan (see the package doc, "Sharded proposals").
type ProposePlan struct {
	*ShardPlan
	Prep *planner.ProposalPrep
	// Types are the proposal's types (only their radii matter to a shard).
	Types   []planner.ProposeType
	MaxSnap float64
	// NP is the number of the proposal's demand points: an item of a
	// coverage set is type*NP + point.
	NP int
	cb []box // the candidates' boxes
}

// PlanProposal prepares the proposal in (planner.PrepareProposal: snap,
// fixed items, candidates) and cuts its demand into the cores of
// PlanShards, with a halo for the proposal's walk: the longest covering
// walk plus three times max-snap (a candidate's boundary sample within
// max-snap of its street, that street within max-snap of another the
// shard might snap it to; see the package doc). in must be the study's
// proposal (ProposeInput): its demand and units are the study's.
func (st *Study) PlanProposal(ctx context.Context, in planner.ProposeInput, o ShardOptions) (*ProposePlan, error) {
	pp, err := planner.PrepareProposal(ctx, in)
	if err != nil {
		return nil, err
	}
	// PlanShards reads the halo from the study's input; the proposal's
	// points are used as they are (an audit rounds them first: Prepare).
	saved, prepped := st.In, st.prepped
	st.In.Demand, st.In.MaxSnap, st.In.MaxDistance, st.prepped = in.Demand, in.MaxSnap, pp.Reach+in.MaxSnap, true
	pl, err := PlanShards(st, o)
	st.In, st.prepped = saved, prepped
	if err != nil {
		return nil, err
	}
	pp2 := &ProposePlan{ShardPlan: pl, Prep: pp, Types: in.Types, MaxSnap: in.MaxSnap, NP: len(in.Demand.Points)}
	pp2.cb = make([]box, len(pp.Candidates))
	for j, c := range pp.Candidates {
		pp2.cb[j] = pl.boxOf(geo.SamplePoints(c.Geometry, geo.DefaultSampleStep), 1)
	}
	pl.once.Do(func() { pl.eb, pl.fb = pl.boxes(st.In) })
	return pp2, nil
}

// A ProposePart is what one shard of a proposal searches: the network of
// the edges within its halo, the demand points its core owns and the
// candidates within its halo. It is the unit a distributed proposal
// dispatches.
type ProposePart struct {
	Shard Shard
	// Net is nil when no street comes near the core.
	Net *geo.Network
	// Points are the proposal's indices of the demand points the core
	// owns, ascending, and Pos their positions.
	Points []int32
	Pos    []orb.Point
	// Cands are indices into the plan's candidates (Prep.Candidates),
	// ascending, and Candidates those candidates.
	Cands      []int32
	Candidates []planner.Candidate
	NP         int
}

// Part cuts shard k's part of the proposal.
func (pl *ProposePlan) Part(net *geo.Network, k int) (*ProposePart, error) {
	s := pl.Shards[k]
	lo, hi := pl.rect(s, pl.Halo)
	p := &ProposePart{Shard: s, Points: s.points, NP: pl.NP}
	if len(s.points) == 0 || !slices.ContainsFunc(pl.eb, func(b box) bool { return b.meets(lo, hi) }) {
		return p, nil
	}
	var err error
	if p.Net, _, err = net.Sub(func(e int32) bool { return pl.eb[e].meets(lo, hi) }); err != nil {
		return nil, err
	}
	pts := pl.Prep.Demand().Points
	for _, i := range s.points {
		p.Pos = append(p.Pos, pts[i])
	}
	for j, b := range pl.cb {
		if b.meets(lo, hi) {
			p.Cands = append(p.Cands, int32(j))
			p.Candidates = append(p.Candidates, pl.Prep.Candidates[j])
		}
	}
	return p, nil
}

// A CoverPart is what a shard returns: for each candidate (an index into
// the plan's candidates, ascending) the items of the core's demand points
// it covers, in the proposal's numbering (type*NP + point), ascending.
type CoverPart struct {
	Cands []int32   `json:"cands"`
	Sets  [][]int32 `json:"sets"`
}

// Run computes the coverage sets of the part's candidates over the core's
// points (planner.CoverageSets) in the proposal's numbering (ascending:
// Points ascend, so the order of the items is kept); candidates covering
// none of them are left out.
func (p *ProposePart) Run(ctx context.Context, types []planner.ProposeType, maxSnap float64) (*CoverPart, error) {
	out := &CoverPart{}
	if p.Net == nil || len(p.Points) == 0 || len(p.Candidates) == 0 {
		return out, nil
	}
	sets, err := planner.CoverageSets(ctx, p.Net, &planner.Demand{Points: p.Pos, Pop: make([]float64, len(p.Pos))}, maxSnap, types, p.Candidates)
	if err != nil {
		return nil, err
	}
	nl := len(p.Points)
	for j, set := range sets {
		if len(set) == 0 {
			continue
		}
		g := make([]int32, len(set))
		for k, it := range set {
			g[k] = int32(int(it)/nl*p.NP) + p.Points[int(it)%nl]
		}
		out.Cands = append(out.Cands, p.Cands[j])
		out.Sets = append(out.Sets, g)
	}
	return out, nil
}

// A CoverMerge gathers the shards' coverage sets. Shards own disjoint
// points, so any order of adding gives the same sets; a shard's part
// added twice (a task delivered twice) is refused by its key.
type CoverMerge struct {
	mu   sync.Mutex
	sets [][]int32
	seen map[int]bool
	n    int
}

// NewCoverMerge returns a merge for n candidates.
func NewCoverMerge(n int) *CoverMerge {
	return &CoverMerge{sets: make([][]int32, n), seen: map[int]bool{}, n: n}
}

// Add adds shard k's part; a second part of the same shard is ignored and
// Add reports false.
func (m *CoverMerge) Add(k int, c *CoverPart) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen[k] {
		return false, nil
	}
	if len(c.Cands) != len(c.Sets) {
		return false, fmt.Errorf("shard %d: %d candidates but %d coverage sets", k+1, len(c.Cands), len(c.Sets))
	}
	for j, cand := range c.Cands {
		if cand < 0 || int(cand) >= m.n {
			return false, fmt.Errorf("shard %d: candidate %d out of range (%d candidates)", k+1, cand, m.n)
		}
		m.sets[cand] = append(m.sets[cand], c.Sets[j]...)
	}
	m.seen[k] = true
	return true, nil
}

// Sets returns the merged sets, each ascending: those of a single run.
func (m *CoverMerge) Sets() [][]int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.sets {
		slices.Sort(s)
	}
	return m.sets
}

// ProposeSharded is the proposal in with its coverage sets computed shard
// by shard (o.Parallel at once) and merged, then solved once: the same
// sets, sites, objective and bound as planner.Propose on in.
func (st *Study) ProposeSharded(ctx context.Context, in planner.ProposeInput, o ShardOptions) (*planner.ProposeResult, []ShardStats, error) {
	pl, err := st.PlanProposal(ctx, in, o)
	if err != nil {
		return nil, nil, err
	}
	t0 := time.Now()
	m := NewCoverMerge(len(pl.Prep.Candidates))
	stats := make([]ShardStats, len(pl.Shards))
	errs := make([]error, len(pl.Shards))
	sem := make(chan struct{}, max(1, o.Parallel))
	var wg sync.WaitGroup
	for k := range pl.Shards {
		wg.Add(1)
		sem <- struct{}{}
		go func(k int) {
			defer wg.Done()
			defer func() { <-sem }()
			stats[k], errs[k] = pl.runShard(ctx, in.Net, k, m)
		}(k)
	}
	wg.Wait()
	for k, err := range errs {
		if err != nil {
			return nil, nil, fmt.Errorf("shard %d of %d: %w", k+1, len(pl.Shards), err)
		}
	}
	sets, took := m.Sets(), time.Since(t0)
	res, err := pl.Prep.Solve(ctx, sets)
	if err != nil {
		return nil, nil, err
	}
	res.Timings["coverage_sets"] = took
	return res, stats, nil
}

func (pl *ProposePlan) runShard(ctx context.Context, net *geo.Network, k int, m *CoverMerge) (ShardStats, error) {
	p, err := pl.Part(net, k)
	if err != nil {
		return ShardStats{}, err
	}
	stat := ShardStats{Shard: p.Shard, Points: len(p.Points), Facilities: len(p.Candidates)}
	if p.Net != nil {
		stat.SubNodes, stat.SubEdges = p.Net.NumNodes(), p.Net.NumEdges()
	}
	c, err := p.Run(ctx, pl.Types, pl.MaxSnap)
	if err != nil {
		return stat, err
	}
	_, err = m.Add(k, c)
	return stat, err
}
