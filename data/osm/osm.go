package osm

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/paulmach/orb"
)

// Filter chooses what Read keeps. Each func gets a tag getter that returns ""
// when the key is absent; the getter is valid only during the call. The funcs
// must be safe for concurrent use: PBF blocks are decoded in parallel. A nil
// func keeps none of that kind.
type Filter struct {
	// Node selects tagged nodes kept as point features. Untagged nodes are
	// never offered.
	Node func(get func(key string) string) bool
	// Way selects ways kept with their geometry.
	Way func(get func(key string) string) bool
	// Relation selects relations kept with their members; their member ways
	// are kept with geometry too (Way.Member is true when a way is kept only
	// for that reason).
	Relation func(get func(key string) string) bool
}

// A Node is a kept tagged node; Point is lon, lat (WGS84).
type Node struct {
	ID    int64
	Tags  map[string]string
	Point orb.Point
}

// A Way is a kept way, or one piece of it when the extract lacks some of its
// nodes (pieces share ID and Tags). NodeIDs and Coords are parallel and in way
// order; Coords are lon, lat (WGS84). Member is true when the way was kept only
// because a kept relation uses it. NodeIdx, when Read filled it, is parallel
// too: each node's dense number among the extract's referenced nodes
// (0 ≤ NodeIdx[i] < Extract.NodeCount; the same node id, the same number), so
// a network builder needs no map from node ids.
type Way struct {
	ID      int64
	Tags    map[string]string
	NodeIDs []int64
	NodeIdx []int32
	Coords  []orb.Point
	Member  bool
}

// A Member is one member of a relation. Type is "node", "way" or "relation".
type Member struct {
	Type string
	Ref  int64
	Role string
}

// A Relation is a kept relation with all its members, in order.
type Relation struct {
	ID      int64
	Tags    map[string]string
	Members []Member
}

// An Extract is what Read kept from one file, in file order.
type Extract struct {
	Nodes     []Node
	Ways      []Way
	Relations []Relation
	// MissingNodes counts way node references not found in the file.
	MissingNodes int
	// SplitWays counts kept ways that referenced missing nodes and were cut
	// there (a way whose nodes are all missing is counted and dropped).
	SplitWays int
	// NegativeNodeIDs counts the kept or referenced nodes with an id
	// below 0 (objects not yet uploaded, as JOSM saves them), and
	// DuplicateNodeIDs the referenced nodes the file holds more than once
	// (the last position is used): both are warnings, not errors.
	NegativeNodeIDs, DuplicateNodeIDs int
	// NodeCount bounds the ways' NodeIdx numbers (0 when Read set none).
	NodeCount int

	// wayIndex maps a way ID to its pieces' positions in Ways; built by Read
	// when relations are kept. wayIndexLen is len(Ways) when it was built.
	wayIndex    map[int64][]int
	wayIndexLen int
}

// Pass names given to Read's progress callback.
const (
	PassRelations = "relations"
	PassWays      = "ways"
	PassNodes     = "nodes"
)

// Read streams the OSM file at path (.osm.pbf/.pbf, .osm, .osm.gz, .osm.bz2;
// the content is sniffed, so a misnamed file still reads) and returns what f
// keeps. progress, when not nil, is called from Read's goroutine with the pass
// name (PassRelations, PassWays, PassNodes) and the file bytes done and total.
//
// Errors are one line naming the file, what is wrong and what to do; they wrap
// the cause (fs.ErrNotExist, context.Canceled, ...).
func Read(ctx context.Context, path string, f Filter, progress func(pass string, done, total int64)) (*Extract, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	src, err := openSource(path)
	if err != nil {
		return nil, err
	}
	if progress == nil {
		progress = func(string, int64, int64) {}
	}
	r := &reader{ctx: ctx, src: src, f: f, progress: progress}
	x, err := r.run()
	if err != nil {
		return nil, err
	}
	return x, nil
}

// A passer streams the file once per pass; pbfSource and xmlSource implement it.
type passer interface {
	pass(ctx context.Context, p *pass, progress func(done, total int64)) error
}

// pass describes one pass over the file and collects its results.
type pass struct {
	kind int // kindRelation, kindWay or kindNode
	f    Filter

	memberWays []int64 // sorted way IDs used by kept relations (way pass)
	needed     []int64 // sorted node IDs used by kept ways (node pass)

	// results
	relations []Relation
	ways      []Way
	nodes     []Node
	coords    []orb.Point // parallel to needed
	found     []bool      // parallel to needed
	elements  int64       // OSM elements seen of any kind (0 = no OSM data)
	dupNodes  int         // needed nodes seen more than once
}

// Element kinds, also used as bits in the PBF block index.
const (
	kindNode     = 1
	kindWay      = 2
	kindRelation = 4
)

type reader struct {
	ctx      context.Context
	src      *source
	f        Filter
	progress func(pass string, done, total int64)
	passes   int
}

func (r *reader) run() (*Extract, error) {
	x := &Extract{}
	f := r.f
	var memberWays []int64
	if f.Relation != nil {
		p := &pass{kind: kindRelation, f: f}
		if err := r.do(PassRelations, p); err != nil {
			return nil, err
		}
		x.Relations = p.relations
		for _, rel := range p.relations {
			for _, m := range rel.Members {
				if m.Type == "way" {
					memberWays = append(memberWays, m.Ref)
				}
			}
		}
		memberWays = sortedUnique(memberWays)
	}

	var rawWays []Way
	var needed []int64
	if f.Way != nil || len(memberWays) > 0 {
		p := &pass{kind: kindWay, f: f, memberWays: memberWays}
		if err := r.do(PassWays, p); err != nil {
			return nil, err
		}
		rawWays = p.ways
		n := 0
		for _, w := range rawWays {
			n += len(w.NodeIDs)
		}
		needed = make([]int64, 0, n)
		for _, w := range rawWays {
			needed = append(needed, w.NodeIDs...)
		}
		needed = sortedUnique(needed)
	}

	if f.Node != nil || len(needed) > 0 {
		p := &pass{kind: kindNode, f: f, needed: needed,
			coords: make([]orb.Point, len(needed)), found: make([]bool, len(needed))}
		if err := r.do(PassNodes, p); err != nil {
			return nil, err
		}
		x.Nodes = p.nodes
		x.DuplicateNodeIDs = p.dupNodes
		x.NegativeNodeIDs = countNegative(needed, p.nodes)
		x.Ways, x.MissingNodes, x.SplitWays = resolveWays(rawWays, needed, p.coords, p.found)
		if len(needed) <= math.MaxInt32 {
			x.NodeCount = len(needed)
		}
	}
	if f.Relation != nil {
		x.buildWayIndex()
	}
	return x, nil
}

// do runs one pass and checks the file holds OSM data at all.
func (r *reader) do(name string, p *pass) error {
	if err := r.ctx.Err(); err != nil {
		return r.src.fail(err)
	}
	total := r.src.size
	r.progress(name, 0, total)
	err := r.src.impl.pass(r.ctx, p, func(done, total int64) { r.progress(name, done, total) })
	if err != nil {
		return r.src.fail(err)
	}
	if r.passes == 0 && p.elements == 0 {
		return r.src.fail(errNoData)
	}
	r.passes++
	r.progress(name, total, total)
	return nil
}

// resolveWays gives each way its coordinates and cuts it where nodes are
// missing. Pieces with fewer than two nodes are dropped. The lookups run in
// parallel over chunks of ways; the result is in input order.
func resolveWays(raw []Way, needed []int64, coords []orb.Point, found []bool) (ways []Way, missing, split int) {
	offs := make([]int, len(raw)+1)
	for i, w := range raw {
		offs[i+1] = offs[i] + len(w.NodeIDs)
	}
	pts := make([]orb.Point, offs[len(raw)]) // one backing array for all ways
	idx := make([]int32, offs[len(raw)])
	type chunk struct {
		ways           []Way
		missing, split int
	}
	n := min(runtime.GOMAXPROCS(0), max(1, len(raw)/1000))
	chunks := make([]chunk, n)
	var wg sync.WaitGroup
	for k := range chunks {
		lo, hi := k*len(raw)/n, (k+1)*len(raw)/n
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &chunks[k]
			c.ways = make([]Way, 0, hi-lo)
			for i := lo; i < hi; i++ {
				miss := resolveWay(&c.ways, raw[i], pts[offs[i]:offs[i+1]:offs[i+1]], idx[offs[i]:offs[i+1]:offs[i+1]], needed, coords, found)
				if miss > 0 {
					c.missing += miss
					c.split++
				}
			}
		}()
	}
	wg.Wait()
	if n == 1 {
		return chunks[0].ways, chunks[0].missing, chunks[0].split
	}
	total := 0
	for _, c := range chunks {
		total += len(c.ways)
	}
	ways = make([]Way, 0, total)
	for _, c := range chunks {
		ways = append(ways, c.ways...)
		missing += c.missing
		split += c.split
	}
	return ways, missing, split
}

// resolveWay appends w's pieces to ways, using c and ix (len(w.NodeIDs) each)
// for their coordinates and node numbers, and returns the number of missing
// node references.
func resolveWay(ways *[]Way, w Way, c []orb.Point, ix []int32, needed []int64, coords []orb.Point, found []bool) int {
	ids := w.NodeIDs
	miss := 0
	for i, id := range ids {
		// NaN marks a missing node: found coordinates were validated.
		if j, ok := slices.BinarySearch(needed, id); ok && found[j] {
			c[i] = coords[j]
			ix[i] = int32(j)
		} else {
			miss++
			c[i] = orb.Point{math.NaN(), math.NaN()}
		}
	}
	if miss == 0 {
		if len(ids) >= 2 {
			w.Coords = c
			w.NodeIdx = ix
			*ways = append(*ways, w)
		}
		return 0
	}
	start := -1
	for i := 0; i <= len(ids); i++ {
		present := i < len(ids) && !math.IsNaN(c[i][0])
		if present && start < 0 {
			start = i
		}
		if !present && start >= 0 {
			if i-start >= 2 {
				piece := w
				piece.NodeIDs = ids[start:i:i]
				piece.Coords = c[start:i:i]
				piece.NodeIdx = ix[start:i:i]
				*ways = append(*ways, piece)
			}
			start = -1
		}
	}
	return miss
}

func (x *Extract) buildWayIndex() {
	x.wayIndex = make(map[int64][]int, len(x.Ways))
	for i, w := range x.Ways {
		x.wayIndex[w.ID] = append(x.wayIndex[w.ID], i)
	}
	x.wayIndexLen = len(x.Ways)
}

func sortedUnique(ids []int64) []int64 {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// validLonLat reports whether lon, lat are finite WGS84 degrees.
func validLonLat(lon, lat float64) bool {
	return lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90 // false for NaN
}

// coordError describes a node with coordinates outside WGS84 ranges.
type coordError struct {
	id       int64
	lon, lat float64
}

func (e *coordError) Error() string {
	what := "longitude"
	v := e.lon
	rng := "-180..180"
	if !(e.lat >= -90 && e.lat <= 90) {
		what, v, rng = "latitude", e.lat, "-90..90"
	}
	return fmt.Sprintf("node %d: %s %v is outside %s", e.id, what, v, rng)
}

// errNoData marks a file without any node, way or relation.
var errNoData = errors.New("contains no OSM data")

// A formatError is a damaged or unrecognised file; msg says what was found.
type formatError struct {
	msg  string
	hint string
	err  error
}

func (e *formatError) Error() string {
	if e.err != nil {
		return e.msg + " (" + oneLine(e.err.Error()) + ")"
	}
	return e.msg
}

func (e *formatError) Unwrap() error { return e.err }

// ReadError is the error Read returns: one line naming the file, what went
// wrong and what to do.
type ReadError struct {
	Path string
	Msg  string // what went wrong
	Hint string // what to do; may be empty
	Err  error  // the cause
}

func (e *ReadError) Error() string {
	s := "osm: read " + e.Path + ": " + e.Msg
	if e.Hint != "" {
		s += " — " + e.Hint
	}
	return s
}

func (e *ReadError) Unwrap() error { return e.Err }

// fail turns any error from a pass into a ReadError for this file.
func (s *source) fail(err error) error {
	var re *ReadError
	if errors.As(err, &re) {
		return err
	}
	e := &ReadError{Path: s.path, Err: err}
	var fe *formatError
	var ce *coordError
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		e.Msg = "cancelled (" + err.Error() + ")"
	case errors.Is(err, errNoData):
		e.Msg = "contains no OSM data"
		e.Hint = "the extract is empty; re-export it with the area you need"
	case errors.As(err, &ce):
		e.Msg = ce.Error()
		e.Hint = "the file is corrupt; re-download or re-export the extract"
	case errors.As(err, &fe):
		e.Msg = fe.Error()
		e.Hint = fe.hint
	case errors.Is(err, fs.ErrNotExist):
		e.Msg = "file not found"
		e.Hint = "check the path"
	case errors.Is(err, fs.ErrPermission):
		e.Msg = "permission denied"
		e.Hint = "check the file's permissions"
	default:
		e.Msg = oneLine(err.Error())
	}
	return e
}

func oneLine(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		s = strings.Join(strings.Fields(s), " ")
	}
	return s
}

// hints shared by the format readers.
const (
	hintCorrupt  = "re-download or re-export the extract"
	hintNotOSM   = "give an OpenStreetMap extract (.osm.pbf, .osm, .osm.gz or .osm.bz2)"
	hintNoFormat = "rename it to .osm.pbf, .osm, .osm.gz or .osm.bz2 if it is one"
)

// statSource checks path is a readable regular file.
func statSource(path string) (os.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		e := &ReadError{Path: path, Err: err}
		switch {
		case errors.Is(err, fs.ErrNotExist):
			e.Msg, e.Hint = "file not found", "check the path"
		case errors.Is(err, fs.ErrPermission):
			e.Msg, e.Hint = "permission denied", "check the file's permissions"
		case errors.Is(err, syscall.ENAMETOOLONG):
			e.Msg, e.Hint = fmt.Sprintf("file name too long (%d characters)", len(path)), "check the path"
		default:
			e.Msg = oneLine(err.Error())
		}
		return nil, e
	}
	if fi.IsDir() {
		return nil, &ReadError{Path: path, Msg: "is a directory", Hint: hintNotOSM}
	}
	if !fi.Mode().IsRegular() {
		return nil, &ReadError{Path: path, Msg: "is not a regular file", Hint: hintNotOSM}
	}
	if fi.Size() == 0 {
		return nil, &ReadError{Path: path, Msg: "contains no OSM data (empty file)", Hint: "re-download or re-export the extract", Err: errNoData}
	}
	return fi, nil
}
