package study

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// A ShardRunner runs the shards of a plan somewhere (in this process, or
// on data/dist's workers) and hands each shard's result to merge, once per
// shard, in any order; merge may be called from several goroutines at
// once. RunSharded uses ShardOptions.Runner, or runs the shards here.
type ShardRunner interface {
	RunShards(ctx context.Context, st *Study, pl *ShardPlan, merge func(k int, r *ShardResult) error) error
}

// A ShardResult is what one shard found for the demand points its core
// owns, in the study's numbering (point, edge and facility indices of the
// study the plan was made from), with what the shard read.
type ShardResult struct {
	// Points are the study's indices of the core's demand points, as in
	// the plan; the other per-point slices go with them.
	Points  []int32
	Snapped []bool
	Pos     []geo.Position // Edge is an edge of the study's network
	// Dist and Nearest are [type][point]; Nearest holds the study's
	// facility indices, -1 when none is in reach.
	Dist    [][]float64
	Nearest [][]int32
	// FacSnapped lists the study's facilities that one of the core's
	// boundary samples snapped for, ascending.
	FacSnapped []int32
	Reached    int64
	// SubNodes, SubEdges and Facilities are what the shard read.
	SubNodes, SubEdges, Facilities int
}

// Result maps the part's results r (in the part's numbering) to the
// study's.
func (p *ShardPart) Result(r *planner.PointResults) *ShardResult {
	out := &ShardResult{Points: p.Points, Snapped: r.Snapped, Pos: make([]geo.Position, len(p.Points)),
		Dist: r.Dist, Nearest: make([][]int32, len(r.Nearest)), Reached: r.Reached, Facilities: len(p.Facilities)}
	if p.Net != nil {
		out.SubNodes, out.SubEdges = p.Net.NumNodes(), p.Net.NumEdges()
	}
	for j := range p.Points {
		if r.Snapped[j] {
			q := r.Pos[j]
			q.Edge = p.EdgeOf[q.Edge]
			out.Pos[j] = q
		}
	}
	for t, near := range r.Nearest {
		out.Nearest[t] = make([]int32, len(near))
		for j, l := range near {
			out.Nearest[t][j] = -1
			if l >= 0 {
				out.Nearest[t][j] = p.FacOf[l]
			}
		}
	}
	for f, ok := range r.FacSnapped {
		if ok {
			out.FacSnapped = append(out.FacSnapped, p.FacOf[f])
		}
	}
	return out
}

// mergeInto writes r into merged, after checking that r is the result of
// shard s of a study whose network has ne edges: a result from elsewhere
// (another run, a damaged object) is an error, never a panic or a hole.
func (r *ShardResult) mergeInto(merged *planner.PointResults, s Shard, ne int) error {
	np, nt, nf := len(merged.Snapped), len(merged.Dist), len(merged.FacSnapped)
	if !slices.Equal(r.Points, s.points) {
		return fmt.Errorf("the result is for %d other demand points than the core's %d", len(r.Points), len(s.points))
	}
	n := len(r.Points)
	if len(r.Snapped) != n || len(r.Pos) != n || len(r.Dist) != nt || len(r.Nearest) != nt {
		return fmt.Errorf("the result has %d snaps, %d positions and %d types for %d points and %d types", len(r.Snapped), len(r.Pos), len(r.Dist), n, nt)
	}
	for t := range nt {
		if len(r.Dist[t]) != n || len(r.Nearest[t]) != n {
			return fmt.Errorf("type %d has %d distances and %d facilities for %d points", t, len(r.Dist[t]), len(r.Nearest[t]), n)
		}
		for _, l := range r.Nearest[t] {
			if l < -1 || int(l) >= nf {
				return fmt.Errorf("facility %d of type %d is not one of the study's %d", l, t, nf)
			}
		}
	}
	for j := range n {
		if e := r.Pos[j].Edge; r.Snapped[j] && (e < 0 || int(e) >= ne) {
			return fmt.Errorf("point %d snaps to edge %d, not one of the network's %d", r.Points[j], e, ne)
		}
	}
	for _, f := range r.FacSnapped {
		if f < 0 || int(f) >= nf {
			return fmt.Errorf("facility %d is not one of the study's %d", f, nf)
		}
	}
	for j, i := range r.Points {
		if i < 0 || int(i) >= np {
			return fmt.Errorf("point %d is not one of the study's %d", i, np)
		}
		merged.Snapped[i] = r.Snapped[j]
		if r.Snapped[j] {
			merged.Pos[i] = r.Pos[j]
		}
		for t := range nt {
			merged.Dist[t][i], merged.Nearest[t][i] = r.Dist[t][j], r.Nearest[t][j]
		}
	}
	for _, f := range r.FacSnapped {
		merged.FacSnapped[f] = true
	}
	merged.Reached += r.Reached
	return nil
}

// localRunner runs the shards in this process, parallel at a time.
type localRunner struct{ parallel int }

func (l localRunner) RunShards(ctx context.Context, st *Study, pl *ShardPlan, merge func(k int, r *ShardResult) error) error {
	errs := make([]error, len(pl.Shards))
	sem := make(chan struct{}, max(1, l.parallel))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for k := range pl.Shards {
			sem <- struct{}{}
			go func(k int) {
				defer func() { <-sem }()
				p, err := pl.Part(st, k)
				if err == nil {
					var r *planner.PointResults
					if r, err = p.Run(ctx, st.In.Profile, st.In.MaxSnap, st.In.MaxDistance); err == nil {
						err = merge(k, p.Result(r))
					}
				}
				errs[k] = err
			}(k)
		}
		for range cap(sem) {
			sem <- struct{}{}
		}
	}()
	<-done
	for k, err := range errs {
		if err != nil {
			return fmt.Errorf("shard %d of %d: %w", k+1, len(pl.Shards), err)
		}
	}
	return nil
}

// partMagic starts an encoded shard part (WritePart, ReadShardPart).
const partMagic = "LCPART1\n"

// partHeader is the encoded part but for its network, which follows it.
type partHeader struct {
	Shard                Shard
	Grid                 planner.Grid
	Types                []string
	MaxSnap, MaxDistance float64
	Points               []int32
	Demand               []orb.Point
	EdgeOf, FacOf        []int32
	FacID, FacType       []string
	FacWKB               [][]byte
}

// WritePart writes shard k's part of st (what Part returns, and the
// search settings it runs with) to w: a worker reads it with
// ReadShardPart. The network is written by geo.WriteSubNetwork without
// being built here, so the coordinator holds one shard's lists at a time.
func (pl *ShardPlan) WritePart(st *Study, k int, w io.Writer) error {
	s, in := pl.Shards[k], st.In
	h := partHeader{Shard: s, Grid: pl.Grid, MaxSnap: in.MaxSnap, MaxDistance: in.MaxDistance, Points: s.points,
		Demand: make([]orb.Point, len(s.points))}
	for _, t := range in.Profile.Types {
		h.Types = append(h.Types, t.ID)
	}
	for j, i := range s.points {
		h.Demand[j] = in.Demand.Points[i]
	}
	keep, facOf := pl.cut(st, k)
	if keep != nil {
		for e := range in.Net.NumEdges() {
			if keep(int32(e)) {
				h.EdgeOf = append(h.EdgeOf, int32(e))
			}
		}
		h.FacOf = facOf
		for _, f := range facOf {
			b, err := wkb.Marshal(in.Facilities[f].Geometry)
			if err != nil {
				return fmt.Errorf("facility %s: %w", in.Facilities[f].ID, err)
			}
			h.FacID, h.FacType, h.FacWKB = append(h.FacID, in.Facilities[f].ID), append(h.FacType, in.Facilities[f].Type), append(h.FacWKB, b)
		}
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString(partMagic); err != nil {
		return err
	}
	var hb bytes.Buffer
	if err := gob.NewEncoder(&hb).Encode(h); err != nil {
		return err
	}
	if err := binary.Write(bw, binary.LittleEndian, uint64(hb.Len())); err != nil {
		return err
	}
	if _, err := hb.WriteTo(bw); err != nil {
		return err
	}
	if len(h.EdgeOf) > 0 {
		if err := geo.WriteSubNetwork(bw, in.Net, h.EdgeOf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// ErrBadPart is wrapped by ReadShardPart's errors about the content of an
// encoded part.
var ErrBadPart = errors.New("not a valid shard part")

// A ShardTask is a part read by a worker, with the search settings it
// runs with.
type ShardTask struct {
	Part                 *ShardPart
	Profile              *planner.Profile // the types' ids only
	MaxSnap, MaxDistance float64
}

// Run runs the part and returns its result in the study's numbering.
func (t *ShardTask) Run(ctx context.Context) (*ShardResult, error) {
	r, err := t.Part.Run(ctx, t.Profile, t.MaxSnap, t.MaxDistance)
	if err != nil {
		return nil, err
	}
	return t.Part.Result(r), nil
}

// ReadShardPart reads a part WritePart wrote, size bytes long, refusing
// one that does not hold together (ErrBadPart, geo.ErrBadNetwork).
func ReadShardPart(r io.Reader, size int64) (*ShardTask, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var head [len(partMagic) + 8]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPart, err)
	}
	hl := int64(binary.LittleEndian.Uint64(head[len(partMagic):]))
	if string(head[:len(partMagic)]) != partMagic || hl < 0 || hl > size-int64(len(head)) {
		return nil, fmt.Errorf("%w: it does not start with %q and a header length within its %d bytes", ErrBadPart, partMagic, size)
	}
	var h partHeader
	lr := io.LimitReader(br, hl)
	if err := gob.NewDecoder(lr).Decode(&h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrBadPart, err)
	}
	if _, err := io.Copy(io.Discard, lr); err != nil {
		return nil, err
	}
	t, err := h.task()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPart, err)
	}
	if len(h.EdgeOf) > 0 {
		if t.Part.Net, err = geo.ReadNetwork(br, size-int64(len(head))-hl); err != nil {
			return nil, err
		}
		if t.Part.Net.NumEdges() != len(h.EdgeOf) {
			return nil, fmt.Errorf("%w: %d edges in the network, %d in its map", ErrBadPart, t.Part.Net.NumEdges(), len(h.EdgeOf))
		}
	}
	return t, nil
}

// task checks the header and makes the part it describes (without its
// network).
func (h *partHeader) task() (*ShardTask, error) {
	ok := func(v float64) bool { return v > 0 && !math.IsInf(v, 0) }
	if !ok(h.MaxSnap) || !ok(h.MaxDistance) || !(h.Grid.Size >= planner.MinCellSize && h.Grid.Size <= planner.MaxCellSize) ||
		!geo.ValidLonLat(h.Grid.Anchor) || h.Shard.Side < 1 || len(h.Types) == 0 {
		return nil, fmt.Errorf("settings out of range (max-snap %v, max-distance %v, cell %v, side %d, %d types)", h.MaxSnap, h.MaxDistance, h.Grid.Size, h.Shard.Side, len(h.Types))
	}
	prof := &planner.Profile{ID: "shard"}
	for _, id := range h.Types {
		prof.Types = append(prof.Types, planner.AmenityType{ID: id})
	}
	nf := len(h.FacOf)
	if len(h.Demand) != len(h.Points) || len(h.FacID) != nf || len(h.FacType) != nf || len(h.FacWKB) != nf {
		return nil, fmt.Errorf("%d points with %d positions, %d facilities with %d ids, %d types and %d geometries", len(h.Points), len(h.Demand), nf, len(h.FacID), len(h.FacType), len(h.FacWKB))
	}
	if !ascending(h.Points) || !ascending(h.FacOf) || !ascending(h.EdgeOf) {
		return nil, fmt.Errorf("point, facility or edge indices are not ascending")
	}
	p := &ShardPart{Shard: h.Shard, Grid: h.Grid, Points: h.Points, EdgeOf: h.EdgeOf, FacOf: h.FacOf,
		Demand: &planner.Demand{Points: h.Demand, Pop: make([]float64, len(h.Demand))}}
	for _, q := range h.Demand {
		if !geo.ValidLonLat(q) {
			return nil, fmt.Errorf("demand point %v is not a lon/lat position", q)
		}
	}
	for i := range nf {
		if !slices.Contains(h.Types, h.FacType[i]) {
			return nil, fmt.Errorf("facility %s has type %q, not one of %v", h.FacID[i], h.FacType[i], h.Types)
		}
		g, err := wkb.Unmarshal(h.FacWKB[i])
		if err != nil {
			return nil, fmt.Errorf("facility %s: %v", h.FacID[i], err)
		}
		if b := g.Bound(); !geo.ValidLonLat(b.Min) || !geo.ValidLonLat(b.Max) {
			return nil, fmt.Errorf("facility %s lies outside lon/lat", h.FacID[i])
		}
		p.Facilities = append(p.Facilities, planner.Facility{ID: h.FacID[i], Type: h.FacType[i], Geometry: g})
	}
	return &ShardTask{Part: p, Profile: prof, MaxSnap: h.MaxSnap, MaxDistance: h.MaxDistance}, nil
}

func ascending(s []int32) bool {
	for i := range s {
		if s[i] < 0 || (i > 0 && s[i] <= s[i-1]) {
			return false
		}
	}
	return true
}

// WriteResult writes a shard's result for ReadResult.
func WriteResult(w io.Writer, r *ShardResult) error { return gob.NewEncoder(w).Encode(r) }

// ReadResult reads a result WriteResult wrote; RunSharded checks it
// against the plan before merging it.
func ReadResult(r io.Reader) (*ShardResult, error) {
	var res ShardResult
	if err := gob.NewDecoder(r).Decode(&res); err != nil {
		return nil, fmt.Errorf("%w: result: %v", ErrBadPart, err)
	}
	return &res, nil
}
