package planner

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// An Edit is one what-if change to the facilities of a Scenario.
type Edit struct {
	Op       string       `json:"op"`               // "add", "move" or "remove"
	ID       string       `json:"id,omitempty"`     // facility to move or remove; set by add
	Type     string       `json:"type,omitempty"`   // amenity type of an added facility
	Name     string       `json:"name,omitempty"`   // name of an added facility
	Geometry orb.Geometry `json:"-"`                // where (add, move)
	At       time.Time    `json:"at"`               // when the edit was applied
	Author   string       `json:"author,omitempty"` // who made it (team mode)
	Previous orb.Geometry `json:"-"`                // before a move or remove, for undo
	Index    int          `json:"-"`                // facility index the edit touched
	// Seq numbers the edits a Scenario applied, from 1 in the order it
	// applied them; RevertEdits addresses edits by it.
	Seq int64 `json:"-"`
}

// MaxHistory is the most edits one Scenario keeps: an edit beyond it is
// refused (save the scenario, then reset or undo).
const MaxHistory = 200_000

// A Change is what an edit did: the units whose figures changed and the
// new district summary.
type Change struct {
	Edit         Edit
	Units        []int // indices into the scenario's units
	Types        []TypeSummary
	Completeness float64
	FullyServed  float64
	Points       int // demand points whose distance changed
	Elapsed      time.Duration
}

// A Scenario is a live audit that answers what-if edits (add, move or
// remove a facility) incrementally: each edit runs a bounded search from
// the changed facility only and updates the points, units and totals it
// affects. It is safe for concurrent use.
type Scenario struct {
	// mu is held for writing by edits and for reading by views, so that
	// views (every map and OGC request) run in parallel, and a waiting
	// edit is not starved by a stream of them.
	mu      sync.RWMutex
	in      AuditInput
	res     *AuditResult
	search  []*geo.Searcher // per type, labels are facility indices
	pos     []geo.Position
	byEdge  edgePoints
	members unitMembers
	active  []bool // per facility
	typeIdx map[string]int
	weights []float64
	wsum    float64
	maxSnap float64
	bound   float64
	nextID  int

	// Running sums for incremental district figures.
	compSum  []float64 // per unit: Σ population × completeness
	fullSum  []float64 // per unit: Σ population fully served
	distSum  []float64 // per type: Σ population × distance over reachable points
	distW    []float64 // per type: Σ population over reachable points
	hist     [][]float64
	edgeMark []bool
	// pendingEdges are the edges whose points an edit must re-read.
	pendingEdges []int32

	history []Edit
	nextSeq int64
	dropped []bool // per facility: an added facility whose add was reverted

	// version counts the changes to the figures (see Version); it is
	// written under the write lock only.
	version atomic.Uint64
}

// histStep is the resolution in metres of the distance histograms a
// scenario keeps for district-wide percentiles.
const histStep = 0.1

// NewScenario runs the audit of in and keeps what incremental edits need.
// The scenario owns in.Facilities from now on.
func NewScenario(ctx context.Context, in AuditInput) (*Scenario, error) {
	types := in.Profile.Types
	keep := make([]*geo.Searcher, len(types))
	res, pos, err := audit(ctx, in, keep, nil)
	if err != nil {
		return nil, err
	}
	sc := &Scenario{in: in, res: res, search: keep, pos: pos, typeIdx: map[string]int{}}
	sc.maxSnap, sc.bound = in.MaxSnap, in.MaxDistance // checked by audit
	for i, t := range types {
		sc.typeIdx[t.ID] = i
	}
	sc.weights = completenessWeights(types)
	for _, w := range sc.weights {
		sc.wsum += w
	}
	sc.active = make([]bool, len(in.Facilities))
	sc.dropped = make([]bool, len(in.Facilities))
	for i := range sc.active {
		sc.active[i] = true
	}
	sc.nextID = len(in.Facilities) + 1
	sc.byEdge = groupByEdge(in.Net.NumEdges(), pos, res.Snapped)
	sc.members = groupByUnit(in.Assign, len(in.Units), len(in.Demand.Points))
	sc.edgeMark = make([]bool, in.Net.NumEdges())

	// Running sums, recomputed from the per-point figures.
	nt := len(types)
	sc.compSum = make([]float64, len(in.Units))
	sc.fullSum = make([]float64, len(in.Units))
	sc.distSum = make([]float64, nt)
	sc.distW = make([]float64, nt)
	sc.hist = make([][]float64, nt)
	nb := int(math.Ceil(sc.bound/histStep)) + 1
	for t := range types {
		sc.hist[t] = make([]float64, nb)
	}
	// District distances of a type weigh the residents it is judged by.
	tw := make([][]float64, nt)
	for t := range types {
		tw[t], _ = GroupWeights(in.Demand, types[t])
	}
	for i, p := range in.Demand.Pop {
		comp, full := sc.pointComp(i)
		if u := sc.unitOf(i); u >= 0 {
			sc.compSum[u] += p * comp
			if full {
				sc.fullSum[u] += p
			}
		}
		for t := range types {
			if d := res.Dist[t][i]; !math.IsNaN(d) {
				q := tw[t][i]
				sc.distSum[t] += q * d
				sc.distW[t] += q
				sc.hist[t][sc.bin(d)] += q
			}
		}
	}
	for t := range types {
		res.Types[t].DistMean, res.Types[t].DistP90 = sc.districtDist(t)
	}
	return sc, nil
}

// districtDist returns type t's district-wide mean distance and its 90th
// percentile from the histogram (to histStep); a scenario reports the
// percentile this way from the start, so edits and undos are consistent.
func (sc *Scenario) districtDist(t int) (mean, p90 float64) {
	if sc.distW[t] <= 0 {
		return math.NaN(), math.NaN()
	}
	target, acc := 0.9*sc.distW[t], 0.0
	p90 = math.NaN()
	for b, w := range sc.hist[t] {
		acc += w
		if acc >= target-1e-9*sc.distW[t] {
			p90 = (float64(b) + 0.5) * histStep
			break
		}
	}
	return sc.distSum[t] / sc.distW[t], p90
}

func (sc *Scenario) bin(d float64) int {
	b := int(d / histStep)
	if b >= len(sc.hist[0]) {
		b = len(sc.hist[0]) - 1
	}
	return b
}

func (sc *Scenario) unitOf(i int) int32 {
	if sc.in.Assign == nil {
		return -1
	}
	return sc.in.Assign[i]
}

func (sc *Scenario) covered(t, i int) bool {
	d := sc.res.Dist[t][i]
	return Covers(d, sc.in.Profile.Types[t].Threshold)
}

// pointComp returns a point's completeness and whether it is fully served.
func (sc *Scenario) pointComp(i int) (float64, bool) {
	full := true
	var c float64
	for t := range sc.in.Profile.Types {
		if sc.covered(t, i) {
			c += sc.weights[t]
		} else {
			full = false
		}
	}
	if sc.wsum > 0 {
		c /= sc.wsum
	}
	return c, full
}

// View calls fn with the current inputs and figures under the scenario's
// read lock; fn must only read them, and must not keep references to them
// after it returns. Views may run at the same time.
func (sc *Scenario) View(fn func(in AuditInput, res *AuditResult, active []bool)) {
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	fn(sc.in, sc.res, sc.active)
}

// Version numbers the state of the scenario's facilities and figures: it
// grows with every edit, undo, reset and added layer, so that a reader may
// cache what it derives from a view (the figures of coarser unit levels,
// the provision rules) and know when to recompute it. Read inside View it
// names the state the view shows; read before Snapshot, a state at least
// as new.
func (sc *Scenario) Version() uint64 { return sc.version.Load() }

// Snapshot returns a copy of the current inputs' facilities, the figures
// and the active flags, taken under one read lock: a consistent view that
// later edits do not change, for readers that take long (exports). The
// network, units and demand are shared, as they never change.
func (sc *Scenario) Snapshot() (AuditInput, *AuditResult, []bool) {
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	in := sc.in
	in.Facilities = slices.Clone(sc.in.Facilities)
	r := *sc.res
	r.Types = slices.Clone(r.Types)
	r.Dist = make([][]float64, len(sc.res.Dist))
	for t, d := range sc.res.Dist {
		r.Dist[t] = slices.Clone(d)
	}
	r.Nearest = make([][]int32, len(sc.res.Nearest))
	for t, n := range sc.res.Nearest {
		r.Nearest[t] = slices.Clone(n)
	}
	r.Units = slices.Clone(r.Units)
	for u := range r.Units {
		ur := &r.Units[u]
		ur.Covered, ur.Unreachable = slices.Clone(ur.Covered), slices.Clone(ur.Unreachable)
		ur.DistMean, ur.DistP90 = slices.Clone(ur.DistMean), slices.Clone(ur.DistP90)
		ur.OverCapacity = slices.Clone(ur.OverCapacity)
	}
	r.Capacity = slices.Clone(r.Capacity) // the figures themselves are never changed, only dropped
	return in, &r, slices.Clone(sc.active)
}

// History returns the edits applied so far (oldest first).
func (sc *Scenario) History() []Edit {
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	return append([]Edit(nil), sc.history...)
}

// Apply performs one edit and returns what changed.
func (sc *Scenario) Apply(e Edit) (*Change, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.apply(e)
}

// errHistoryFull says that an edit would pass MaxHistory.
func errHistoryFull(n int) error {
	return fmt.Errorf("scenario: %w: the scenario holds %d edits and would pass %d, the most one scenario keeps: save it, then reset it or undo some edits", ErrInvalid, n, MaxHistory)
}

func (sc *Scenario) apply(e Edit) (*Change, error) {
	if len(sc.history) >= MaxHistory {
		return nil, errHistoryFull(len(sc.history))
	}
	start := time.Now()
	var t, fi int
	switch e.Op {
	case "add":
		ti, ok := sc.typeIdx[e.Type]
		if !ok {
			return nil, fmt.Errorf("scenario: %w: unknown amenity type %q (profile %s has %v)", ErrInvalid, e.Type, sc.in.Profile.ID, sc.in.Profile.TypeIDs())
		}
		if err := checkGeometry(e.Geometry); err != nil {
			return nil, err
		}
		if e.ID == "" {
			e.ID = fmt.Sprintf("new-%d", sc.nextID)
			sc.nextID++
		}
		if sc.find(e.ID) >= 0 {
			return nil, fmt.Errorf("scenario: %w: a facility with id %q already exists", ErrInvalid, e.ID)
		}
		t = ti
		fi = len(sc.in.Facilities)
		sc.in.Facilities = append(sc.in.Facilities, Facility{ID: e.ID, Type: e.Type, Name: e.Name, Source: "scenario", Geometry: e.Geometry})
		sc.active = append(sc.active, true)
		sc.dropped = append(sc.dropped, false)
		if !sc.open(t, fi) {
			sc.in.Facilities = sc.in.Facilities[:fi]
			sc.active = sc.active[:fi]
			sc.dropped = sc.dropped[:fi]
			return nil, fmt.Errorf("scenario: %w: the new facility is farther than %.0f m from any walkable street", ErrInvalid, sc.maxSnap)
		}
		sc.res.Types[t].Facilities++
	case "move", "remove":
		fi = sc.find(e.ID)
		if fi < 0 {
			return nil, fmt.Errorf("scenario: %w: no facility with id %q", ErrNotFound, e.ID)
		}
		f := &sc.in.Facilities[fi]
		t = sc.typeIdx[f.Type]
		if e.Op == "move" {
			if err := checkGeometry(e.Geometry); err != nil {
				return nil, err
			}
			if _, ok := sc.snap(e.Geometry, int32(fi)); !ok {
				return nil, fmt.Errorf("scenario: %w: the new position is farther than %.0f m from any walkable street", ErrInvalid, sc.maxSnap)
			}
		}
		e.Type = f.Type
		e.Previous = f.Geometry
		sc.close(t, fi)
		if e.Op == "move" {
			f.Geometry = e.Geometry
			sc.open(t, fi)
		} else {
			sc.active[fi] = false
			sc.res.Types[t].Facilities--
		}
	default:
		return nil, fmt.Errorf("scenario: %w: unknown edit %q (use add, move or remove)", ErrInvalid, e.Op)
	}
	e.Index = fi
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	sc.nextSeq++
	e.Seq = sc.nextSeq
	ch := sc.refresh(t)
	ch.Edit = e
	sc.history = append(sc.history, e)
	ch.Elapsed = time.Since(start)
	return ch, nil
}

// Undo reverts the last edit, whoever made it.
func (sc *Scenario) Undo() (*Change, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if len(sc.history) == 0 {
		return nil, fmt.Errorf("scenario: %w: nothing to undo", ErrInvalid)
	}
	return sc.revert([]int64{sc.history[len(sc.history)-1].Seq})
}

// RevertEdits reverts the edits with the given sequence numbers (Edit.Seq)
// as one step, whatever was applied after them, and drops them from the
// history: the undo of one client among several. It refuses, changing
// nothing, when an edit is no longer in the history (ErrNotFound) or when
// a later edit not being reverted touched the same facility, or a facility
// now holds the id a remove freed (ErrConflict). Change.Edit is the last
// of them, its Op prefixed "undo ".
func (sc *Scenario) RevertEdits(seqs []int64) (*Change, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.revert(seqs)
}

// Reset reverts every edit: the scenario is the baseline again. It returns
// the number of edits reverted.
func (sc *Scenario) Reset() (int, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	n := len(sc.history)
	if n == 0 {
		return 0, nil
	}
	seqs := make([]int64, n)
	for i, e := range sc.history {
		seqs[i] = e.Seq
	}
	if _, err := sc.revert(seqs); err != nil {
		return 0, err
	}
	return n, nil
}

// revert is RevertEdits under the write lock.
func (sc *Scenario) revert(seqs []int64) (*Change, error) {
	start := time.Now()
	if len(seqs) == 0 {
		return nil, fmt.Errorf("scenario: %w: nothing to undo", ErrInvalid)
	}
	want := make(map[int64]bool, len(seqs))
	for _, q := range seqs {
		want[q] = true
	}
	// Positions in the history of the edits to revert, oldest first, and
	// the check that no later edit depends on them.
	var pos []int
	touched := map[int]bool{} // facility indices of edits being reverted
	for k, e := range sc.history {
		if want[e.Seq] {
			pos = append(pos, k)
			touched[e.Index] = true
			continue
		}
		if touched[e.Index] {
			return nil, fmt.Errorf("scenario: %w: facility %q was changed again later (%s) by another edit; undo that one first, or edit the facility directly", ErrConflict, e.ID, e.Op)
		}
	}
	if len(pos) != len(want) {
		return nil, fmt.Errorf("scenario: %w: the edit to undo is no longer in the scenario (reset, or undone already)", ErrNotFound)
	}
	for _, k := range pos {
		if e := sc.history[k]; e.Op == "remove" && sc.find(e.ID) >= 0 {
			return nil, fmt.Errorf("scenario: %w: a facility with id %q was added since %s was removed; remove or rename it first", ErrConflict, e.ID, e.ID)
		}
	}
	// Revert newest first. Adds are closed together, per type, in one
	// pass over the search (a dropped layer is thousands of adds).
	addsOf := map[int]map[int32]bool{} // type → facility indices
	var addGeoms []orb.Geometry
	types := map[int]bool{}
	for p := len(pos) - 1; p >= 0; p-- {
		e := sc.history[pos[p]]
		fi := e.Index
		t := sc.typeIdx[e.Type]
		types[t] = true
		switch e.Op {
		case "add":
			if addsOf[t] == nil {
				addsOf[t] = map[int32]bool{}
			}
			addsOf[t][int32(fi)] = true
			addGeoms = append(addGeoms, sc.in.Facilities[fi].Geometry)
			sc.active[fi] = false
			sc.dropped[fi] = true
			sc.res.Types[t].Facilities--
		case "move":
			sc.close(t, fi)
			sc.in.Facilities[fi].Geometry = e.Previous
			sc.open(t, fi)
		case "remove":
			sc.active[fi] = true
			sc.open(t, fi)
			sc.res.Types[t].Facilities++
		}
	}
	for t, set := range addsOf {
		// A mask, not the map: the search asks for every node it reached.
		drop := make([]bool, len(sc.in.Facilities))
		for fi := range set {
			drop[fi] = true
		}
		sc.markNodes(sc.search[t].RemoveLabels(func(l int32) bool { return l >= 0 && int(l) < len(drop) && drop[l] }))
	}
	if len(addGeoms) > 0 {
		// Points on the facilities' own edges were reached along the edge.
		srcs, _ := SnapFacilities(sc.in.Net, addGeoms, sc.maxSnap)
		for _, s := range srcs {
			sc.markEdge(s.Pos.Edge)
		}
	}
	// Dropped adds at the end of the facilities go, so that a long session
	// of adds and undos does not grow without bound.
	n := len(sc.in.Facilities)
	for n > 0 && sc.dropped[n-1] {
		n--
		sc.in.Facilities[n] = Facility{}
	}
	sc.in.Facilities, sc.active, sc.dropped = sc.in.Facilities[:n], sc.active[:n], sc.dropped[:n]

	last := sc.history[pos[len(pos)-1]]
	k := 0
	for _, e := range sc.history {
		if !want[e.Seq] {
			sc.history[k] = e
			k++
		}
	}
	clear(sc.history[k:])
	sc.history = sc.history[:k]

	ch := sc.refreshTypes(types)
	ch.Edit = last
	ch.Edit.Op = "undo " + last.Op
	ch.Elapsed = time.Since(start)
	return ch, nil
}

// refreshTypes refreshes every type in ts (pending edges are read for
// each) and merges their changes.
func (sc *Scenario) refreshTypes(ts map[int]bool) *Change {
	order := make([]int, 0, len(ts))
	for t := range ts {
		order = append(order, t)
	}
	slices.Sort(order)
	pending := append([]int32(nil), sc.pendingEdges...)
	out := &Change{}
	units := map[int]bool{}
	for k, t := range order {
		if k > 0 {
			for _, e := range pending {
				sc.markEdge(e)
			}
		}
		ch := sc.refresh(t)
		out.Points += ch.Points
		for _, u := range ch.Units {
			units[u] = true
		}
		out.Types, out.Completeness, out.FullyServed = ch.Types, ch.Completeness, ch.FullyServed
	}
	for u := range units {
		out.Units = append(out.Units, u)
	}
	slices.Sort(out.Units)
	return out
}

// ApplyAdds adds many facilities (a dropped layer) as one step: their
// positions are snapped to the streets before the scenario is locked, and
// each type's search takes all of its new facilities in one pass, so that
// views wait for a short time only. It adds all of them or none: an
// unknown type, a bad geometry, a taken id or a facility farther than
// MaxSnap from any street refuses the whole batch, naming the edit by its
// position. It returns the edits as applied (ids and Seq set).
func (sc *Scenario) ApplyAdds(edits []Edit) (*Change, []Edit, error) {
	a, err := sc.PrepareAdds(edits)
	if err != nil {
		return nil, nil, err
	}
	return sc.CommitAdds(a)
}

// Adds are facilities to add, checked and snapped by PrepareAdds.
type Adds struct {
	edits []Edit
	srcs  []geo.Source // labels index edits
	start time.Time
}

// PrepareAdds checks edits (adds only) and snaps their facilities to the
// streets without locking the scenario: the slow part of ApplyAdds.
func (sc *Scenario) PrepareAdds(edits []Edit) (*Adds, error) {
	start := time.Now()
	geoms := make([]orb.Geometry, len(edits))
	for i, e := range edits {
		if e.Op != "add" {
			return nil, fmt.Errorf("scenario: %w: edit %d: ApplyAdds takes adds only, not %q", ErrInvalid, i, e.Op)
		}
		if _, ok := sc.typeIdx[e.Type]; !ok {
			return nil, fmt.Errorf("scenario: %w: edit %d: unknown amenity type %q (profile %s has %v)", ErrInvalid, i, e.Type, sc.in.Profile.ID, sc.in.Profile.TypeIDs())
		}
		if err := checkGeometry(e.Geometry); err != nil {
			return nil, fmt.Errorf("edit %d: %w", i, err)
		}
		geoms[i] = e.Geometry
	}
	// The network and the snap distance never change: snap unlocked.
	srcs, unsnapped := SnapFacilities(sc.in.Net, geoms, sc.maxSnap)
	if len(unsnapped) > 0 {
		return nil, fmt.Errorf("scenario: %w: edit %d: the new facility is farther than %.0f m from any walkable street", ErrInvalid, unsnapped[0], sc.maxSnap)
	}
	return &Adds{edits: edits, srcs: srcs, start: start}, nil
}

// CommitAdds adds facilities prepared by PrepareAdds, all or none, and
// returns the edits as applied (ids and Seq set).
func (sc *Scenario) CommitAdds(a *Adds) (*Change, []Edit, error) {
	edits, srcs, start := a.edits, a.srcs, a.start
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if len(sc.history)+len(edits) > MaxHistory {
		return nil, nil, errHistoryFull(len(sc.history))
	}
	taken := make(map[string]bool, len(sc.in.Facilities)+len(edits))
	for i, f := range sc.in.Facilities {
		if sc.active[i] {
			taken[f.ID] = true
		}
	}
	out := make([]Edit, len(edits))
	next := sc.nextID
	for i, e := range edits {
		if e.ID == "" {
			e.ID = fmt.Sprintf("new-%d", next)
			next++
		}
		if taken[e.ID] {
			return nil, nil, fmt.Errorf("scenario: %w: edit %d: a facility with id %q already exists", ErrInvalid, i, e.ID)
		}
		taken[e.ID] = true
		out[i] = e
	}
	sc.nextID = next
	base := len(sc.in.Facilities)
	now := time.Now().UTC()
	perType := map[int][]geo.Source{}
	for _, s := range srcs {
		i := int(s.Label)
		s.Label = int32(base + i)
		t := sc.typeIdx[out[i].Type]
		perType[t] = append(perType[t], s)
		sc.markEdge(s.Pos.Edge)
	}
	types := map[int]bool{}
	for i := range out {
		e := &out[i]
		e.Index = base + i
		if e.At.IsZero() {
			e.At = now
		}
		sc.nextSeq++
		e.Seq = sc.nextSeq
		sc.in.Facilities = append(sc.in.Facilities, Facility{ID: e.ID, Type: e.Type, Name: e.Name, Source: "scenario", Geometry: e.Geometry})
		sc.active = append(sc.active, true)
		sc.dropped = append(sc.dropped, false)
		t := sc.typeIdx[e.Type]
		sc.res.Types[t].Facilities++
		types[t] = true
	}
	for t, ss := range perType {
		sc.markNodes(sc.search[t].AddSources(ss))
	}
	sc.history = append(sc.history, out...)
	ch := sc.refreshTypes(types)
	if len(out) > 0 {
		ch.Edit = out[len(out)-1]
	}
	ch.Elapsed = time.Since(start)
	return ch, out, nil
}

func (sc *Scenario) find(id string) int {
	for i := range sc.in.Facilities {
		if sc.active[i] && sc.in.Facilities[i].ID == id {
			return i
		}
	}
	return -1
}

func checkGeometry(g orb.Geometry) error {
	if g == nil {
		return fmt.Errorf("scenario: %w: the facility needs a geometry", ErrInvalid)
	}
	for _, p := range geo.SamplePoints(g, 1e9) {
		if !geo.ValidLonLat(p) {
			return fmt.Errorf("scenario: %w: coordinate %v is not a lon/lat in WGS84", ErrInvalid, p)
		}
	}
	return nil
}

func (sc *Scenario) snap(g orb.Geometry, label int32) ([]geo.Source, bool) {
	srcs, _ := SnapFacilities(sc.in.Net, []orb.Geometry{g}, sc.maxSnap)
	for k := range srcs {
		srcs[k].Label = label
	}
	return srcs, len(srcs) > 0
}

// open adds facility fi's sources to type t's search; pending records
// the nodes and edges to re-read.
func (sc *Scenario) open(t, fi int) bool {
	srcs, ok := sc.snap(sc.in.Facilities[fi].Geometry, int32(fi))
	if !ok {
		return false
	}
	changed := sc.search[t].AddSources(srcs)
	sc.markNodes(changed)
	for _, s := range srcs {
		sc.markEdge(s.Pos.Edge)
	}
	return true
}

// close removes facility fi from type t's search.
func (sc *Scenario) close(t, fi int) {
	sc.markNodes(sc.search[t].RemoveLabel(int32(fi)))
	// Points on the facility's own edges were reached along the edge.
	srcs, _ := sc.snap(sc.in.Facilities[fi].Geometry, int32(fi))
	for _, s := range srcs {
		sc.markEdge(s.Pos.Edge)
	}
}

func (sc *Scenario) markEdge(e int32) {
	if !sc.edgeMark[e] {
		sc.edgeMark[e] = true
		sc.pendingEdges = append(sc.pendingEdges, e)
	}
}

func (sc *Scenario) markNodes(nodes []int32) {
	for _, v := range nodes {
		for _, e := range sc.in.Net.Incident(v) {
			sc.markEdge(e)
		}
	}
}

// refresh re-reads the distance of every demand point on the pending
// edges for type t and updates units and totals.
func (sc *Scenario) refresh(t int) *Change {
	sc.version.Add(1)
	res := sc.res
	d := sc.in.Demand
	thr := sc.in.Profile.Types[t].Threshold
	// District figures of the type count the residents it is judged by
	// (GroupWeights); units count all residents.
	tw, _ := GroupWeights(d, sc.in.Profile.Types[t])
	dirty := map[int32]bool{}
	ch := &Change{}
	// Capacity figures come from a whole allocation, which an edit does
	// not redo: the type's figures are dropped (absent, never stale), and
	// every unit is listed as changed.
	if res.Capacity != nil && res.Capacity[t] != nil {
		res.Capacity[t] = nil
		for u := range res.Units {
			if oc := res.Units[u].OverCapacity; oc != nil {
				oc[t] = math.NaN()
			}
			dirty[int32(u)] = true
		}
	}
	for _, e := range sc.pendingEdges {
		sc.edgeMark[e] = false
		for _, i := range sc.byEdge.of(int(e)) {
			nd, nl, ok := sc.search[t].At(sc.pos[i])
			if !ok {
				nd, nl = math.NaN(), -1
			}
			od := res.Dist[t][i]
			if od == nd || (math.IsNaN(od) && math.IsNaN(nd)) {
				res.Nearest[t][i] = nl
				continue
			}
			ch.Points++
			p, q := d.Pop[i], tw[i]
			oldComp, oldFull := sc.pointComp(int(i))
			oldCov := Covers(od, thr)
			if !math.IsNaN(od) {
				sc.distSum[t] -= q * od
				sc.distW[t] -= q
				sc.hist[t][sc.bin(od)] -= q
			}
			res.Dist[t][i], res.Nearest[t][i] = nd, nl
			if !math.IsNaN(nd) {
				sc.distSum[t] += q * nd
				sc.distW[t] += q
				sc.hist[t][sc.bin(nd)] += q
			}
			newComp, newFull := sc.pointComp(int(i))
			newCov := Covers(nd, thr)
			ts := &res.Types[t]
			ts.Covered += q * (b2f(newCov) - b2f(oldCov))
			ts.Unreachable += q * (b2f(math.IsNaN(nd)) - b2f(math.IsNaN(od)))
			res.Completeness += p * (newComp - oldComp) / nonZero(res.Population)
			res.FullyServedPop += p * (b2f(newFull) - b2f(oldFull))
			if u := sc.unitOf(int(i)); u >= 0 {
				ur := &res.Units[u]
				ur.Covered[t] += p * (b2f(newCov) - b2f(oldCov))
				ur.Unreachable[t] += p * (b2f(math.IsNaN(nd)) - b2f(math.IsNaN(od)))
				sc.compSum[u] += p * (newComp - oldComp)
				sc.fullSum[u] += p * (b2f(newFull) - b2f(oldFull))
				dirty[u] = true
			}
		}
	}
	sc.pendingEdges = sc.pendingEdges[:0]
	for u := range dirty {
		ur := &res.Units[u]
		if ur.Population > 0 {
			ur.Completeness = sc.compSum[u] / ur.Population
			ur.FullyServed = sc.fullSum[u] / ur.Population
		}
		ur.DistMean[t], ur.DistP90[t] = distStats(res.Dist[t], d.Pop, sc.members.of(int(u)))
		ch.Units = append(ch.Units, int(u))
	}
	slices.Sort(ch.Units)
	ts := &res.Types[t]
	ts.Gap = ts.Population - ts.Covered
	if ts.Population > 0 {
		ts.Coverage = ts.Covered / ts.Population
	}
	ts.GapUnits = 0
	for u := range res.Units {
		if res.Units[u].Population-res.Units[u].Covered[t] > 1e-9 {
			ts.GapUnits++
		}
	}
	ts.DistMean, ts.DistP90 = sc.districtDist(t)
	if res.Population > 0 {
		res.FullyServed = res.FullyServedPop / res.Population
	}
	ch.Types = append([]TypeSummary(nil), res.Types...)
	ch.Completeness, ch.FullyServed = res.Completeness, res.FullyServed
	return ch
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func nonZero(x float64) float64 {
	if x == 0 {
		return 1
	}
	return x
}
