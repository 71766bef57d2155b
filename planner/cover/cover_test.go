package cover

import (
	"bufio"
	"container/heap"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data/shareddata"
)

// --- hand-checkable cases ---

// coverTrap is the classic greedy trap: the middle set is largest, but the
// two outer sets together cover everything.
func coverTrap() *Problem {
	return &Problem{
		Weights: []float64{1, 1, 1, 1, 1, 1},
		Sets: [][]int32{
			{0, 1, 2},
			{3, 4, 5},
			{1, 2, 3, 4},
		},
	}
}

func TestSolveMaxCoverTrap(t *testing.T) {
	res, err := SolveMax(context.Background(), coverTrap(), Options{K: 2, TimeLimit: DefaultTimeLimit})
	if err != nil {
		t.Fatal(err)
	}
	if res.Objective != 6 {
		t.Errorf("objective = %v, want 6", res.Objective)
	}
	if !slices.Equal(res.Chosen, []int{0, 1}) {
		t.Errorf("chosen = %v, want [0 1]", res.Chosen)
	}
	if !slices.Equal(res.Gains, []float64{3, 3}) {
		t.Errorf("gains = %v, want [3 3]", res.Gains)
	}
	if res.UpperBound != 6 || res.Gap != 0 {
		t.Errorf("upper bound %v gap %v, want 6 and 0", res.UpperBound, res.Gap)
	}
	if res.Coverable != 6 || res.StoppedEarly || res.Swaps < 1 {
		t.Errorf("coverable %v stopped early %v swaps %d, want 6 false ≥1", res.Coverable, res.StoppedEarly, res.Swaps)
	}

	res, err = SolveMax(context.Background(), coverTrap(), Options{K: 1, TimeLimit: DefaultTimeLimit})
	if err != nil {
		t.Fatal(err)
	}
	if res.Objective != 4 || !slices.Equal(res.Chosen, []int{2}) || res.UpperBound != 4 {
		t.Errorf("K=1: objective %v chosen %v bound %v, want 4 [2] 4", res.Objective, res.Chosen, res.UpperBound)
	}
}

func TestSolveMaxCoverFixedAndStoppedEarly(t *testing.T) {
	tests := []struct {
		name      string
		fixed     []bool
		k         int
		obj       float64
		coverable float64
		chosen    []int
		early     bool
	}{
		{"no fixed K=5", nil, 5, 6, 6, []int{0, 1}, true},
		// Items 1..4 are already served: only 0 and 5 remain, one per outer set.
		{"middle fixed K=1", []bool{false, true, true, true, true, false}, 1, 1, 2, []int{0}, false},
		{"middle fixed K=3", []bool{false, true, true, true, true, false}, 3, 2, 2, []int{0, 1}, true},
		{"all fixed", []bool{true, true, true, true, true, true}, 2, 0, 0, []int{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := coverTrap()
			p.Fixed = tc.fixed
			res, err := SolveMax(context.Background(), p, Options{K: tc.k, TimeLimit: DefaultTimeLimit})
			if err != nil {
				t.Fatal(err)
			}
			if res.Objective != tc.obj || res.Coverable != tc.coverable || res.StoppedEarly != tc.early {
				t.Errorf("objective %v coverable %v early %v, want %v %v %v", res.Objective, res.Coverable, res.StoppedEarly, tc.obj, tc.coverable, tc.early)
			}
			if !slices.Equal(res.Chosen, tc.chosen) {
				t.Errorf("chosen = %v, want %v", res.Chosen, tc.chosen)
			}
			for k, g := range res.Gains {
				if g <= 0 {
					t.Errorf("gain %d = %v, want > 0", k, g)
				}
			}
			if res.UpperBound < res.Objective || res.UpperBound > res.Coverable {
				t.Errorf("upper bound %v outside [%v, %v]", res.UpperBound, res.Objective, res.Coverable)
			}
		})
	}
}

func TestSolveCoverErrors(t *testing.T) {
	ok := coverTrap()
	tests := []struct {
		name string
		p    *Problem
		k    int
	}{
		{"nil problem", nil, 1},
		{"no candidates", &Problem{Weights: []float64{1}}, 1},
		{"K zero", ok, 0},
		{"K negative", ok, -3},
		{"out of range", &Problem{Weights: []float64{1, 1}, Sets: [][]int32{{0, 2}}}, 1},
		{"negative index", &Problem{Weights: []float64{1, 1}, Sets: [][]int32{{-1}}}, 1},
		{"unsorted", &Problem{Weights: []float64{1, 1}, Sets: [][]int32{{1, 0}}}, 1},
		{"duplicate", &Problem{Weights: []float64{1, 1}, Sets: [][]int32{{1, 1}}}, 1},
		{"NaN weight", &Problem{Weights: []float64{math.NaN()}, Sets: [][]int32{{0}}}, 1},
		{"negative weight", &Problem{Weights: []float64{-1}, Sets: [][]int32{{0}}}, 1},
		{"infinite weight", &Problem{Weights: []float64{math.Inf(1)}, Sets: [][]int32{{0}}}, 1},
		{"fixed length", &Problem{Weights: []float64{1, 1}, Sets: [][]int32{{0}}, Fixed: []bool{true}}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if res, err := SolveMax(context.Background(), tc.p, Options{K: tc.k, TimeLimit: DefaultTimeLimit}); err == nil {
				t.Errorf("SolveMax: no error, result %+v", res)
			} else {
				t.Log(err)
			}
			if tc.k > 0 {
				if _, err := SolveSet(context.Background(), tc.p, 1, Options{TimeLimit: DefaultTimeLimit}); err == nil {
					t.Error("SolveSet: no error")
				}
			}
		})
	}
	// No "0 means default": the caller resolves the time budget.
	for _, tl := range []time.Duration{0, -time.Second} {
		if _, err := SolveMax(context.Background(), ok, Options{K: 1, TimeLimit: tl}); err == nil {
			t.Errorf("SolveMax time limit %v: no error", tl)
		}
		if _, err := SolveSet(context.Background(), ok, 1, Options{TimeLimit: tl}); err == nil {
			t.Errorf("SolveSet time limit %v: no error", tl)
		}
	}
	for _, target := range []float64{0, -0.5, 1.01, math.NaN()} {
		if _, err := SolveSet(context.Background(), ok, target, Options{TimeLimit: DefaultTimeLimit}); err == nil {
			t.Errorf("SolveSet target %v: no error", target)
		}
	}
}

func TestSolveCoverCancelled(t *testing.T) {
	p := coverRandom(rand.New(rand.NewPCG(1, 2)), 400, 4000, 40, true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := SolveMax(ctx, p, Options{K: 10, TimeLimit: DefaultTimeLimit}); err == nil {
		t.Error("SolveMax with a cancelled context: no error")
	}
	if _, err := SolveSet(ctx, p, 1, Options{TimeLimit: DefaultTimeLimit}); err == nil {
		t.Error("SolveSet with a cancelled context: no error")
	}
}

func TestSolveSetCoverTrap(t *testing.T) {
	tests := []struct {
		target float64
		n      int
		lb     int
	}{
		{1, 2, 2},
		{0.5, 1, 1},     // the middle set covers 4 of 6
		{0.7, 2, 2},     // 4.2 needs two sites
		{4.0 / 6, 1, 1}, // exactly the middle set
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.target), func(t *testing.T) {
			res, err := SolveSet(context.Background(), coverTrap(), tc.target, Options{TimeLimit: DefaultTimeLimit})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Chosen) != tc.n || res.LowerBound != tc.lb {
				t.Errorf("chosen %v lower bound %d, want %d sites, bound %d", res.Chosen, res.LowerBound, tc.n, tc.lb)
			}
			if res.Covered < res.Target-1e-9 || res.Coverable != 6 {
				t.Errorf("covered %v target %v coverable %v", res.Covered, res.Target, res.Coverable)
			}
		})
	}
}

// --- exhaustive checks on tiny random instances ---

// coverRandom makes a random instance; clustered sets draw items near a
// random centre, as network coverage does.
func coverRandom(r *rand.Rand, nCand, nItem, setSize int, integral bool) *Problem {
	p := &Problem{Weights: make([]float64, nItem), Sets: make([][]int32, nCand)}
	for i := range p.Weights {
		if integral {
			p.Weights[i] = float64(1 + r.IntN(50))
		} else {
			p.Weights[i] = r.Float64() * 10
		}
		if r.IntN(20) == 0 {
			p.Weights[i] = 0
		}
	}
	for j := range p.Sets {
		size := 1 + r.IntN(setSize)
		centre := r.IntN(nItem)
		seen := map[int32]bool{}
		for range size {
			i := int32((centre + r.IntN(3*setSize+1) - 3*setSize/2 + nItem) % nItem)
			if !seen[i] {
				seen[i] = true
				p.Sets[j] = append(p.Sets[j], i)
			}
		}
		slices.Sort(p.Sets[j])
	}
	return p
}

// coverValue is the newly covered weight of a choice, by brute force.
func coverValue(p *Problem, chosen []int) float64 {
	cov := make([]bool, len(p.Weights))
	for _, j := range chosen {
		for _, i := range p.Sets[j] {
			cov[i] = true
		}
	}
	v := 0.0
	for i, c := range cov {
		if c && (p.Fixed == nil || !p.Fixed[i]) {
			v += p.Weights[i]
		}
	}
	return v
}

// coverSubsets calls fn for every subset of n candidates (as a bit mask).
func coverBest(p *Problem) (bestByK []float64, values []float64) {
	n := len(p.Sets)
	values = make([]float64, 1<<n)
	bestByK = make([]float64, n+1)
	var chosen []int
	for mask := 0; mask < 1<<n; mask++ {
		chosen = chosen[:0]
		for j := 0; j < n; j++ {
			if mask&(1<<j) != 0 {
				chosen = append(chosen, j)
			}
		}
		v := coverValue(p, chosen)
		values[mask] = v
		if v > bestByK[len(chosen)] {
			bestByK[len(chosen)] = v
		}
	}
	for k := 1; k <= n; k++ {
		bestByK[k] = max(bestByK[k], bestByK[k-1])
	}
	return bestByK, values
}

func TestSolveCoverExhaustive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	const instances = 300
	exact, runs := 0, 0
	for n := 0; n < instances; n++ {
		nCand := 8 + r.IntN(5)
		nItem := 20 + r.IntN(21)
		integral := n%2 == 0
		p := coverRandom(r, nCand, nItem, 3+r.IntN(6), integral)
		if n%3 == 0 {
			p.Fixed = make([]bool, nItem)
			for i := range p.Fixed {
				p.Fixed[i] = r.IntN(8) == 0
			}
		}
		best, values := coverBest(p)
		coverable := best[len(p.Sets)]
		for k := 1; k <= 4; k++ {
			res, err := SolveMax(context.Background(), p, Options{K: k, TimeLimit: DefaultTimeLimit})
			if err != nil {
				t.Fatalf("instance %d K=%d: %v", n, k, err)
			}
			runs++
			opt := best[k]
			tol := 1e-9 * max(1, opt)
			if got := coverValue(p, res.Chosen); math.Abs(got-res.Objective) > tol {
				t.Errorf("instance %d K=%d: objective %v but chosen %v cover %v", n, k, res.Objective, res.Chosen, got)
			}
			if len(res.Chosen) > k || (!res.StoppedEarly && len(res.Chosen) != k) {
				t.Errorf("instance %d K=%d: %d sites chosen, stopped early %v", n, k, len(res.Chosen), res.StoppedEarly)
			}
			if res.Objective < 0.99*opt-tol || res.Objective > opt+tol {
				t.Errorf("instance %d K=%d: objective %v, optimum %v", n, k, res.Objective, opt)
			}
			if res.Objective >= opt-tol {
				exact++
			}
			if !res.Optimal || math.Abs(res.Objective-opt) > tol {
				t.Errorf("instance %d K=%d: objective %v optimal %v (%d nodes), optimum %v", n, k, res.Objective, res.Optimal, res.Nodes, opt)
			}
			if res.UpperBound < opt-tol {
				t.Errorf("instance %d K=%d: upper bound %v below optimum %v", n, k, res.UpperBound, opt)
			}
			if math.Abs(res.Coverable-coverable) > tol {
				t.Errorf("instance %d: coverable %v, want %v", n, res.Coverable, coverable)
			}
			sum := 0.0
			for q, g := range res.Gains {
				sum += g
				if q > 0 && g > res.Gains[q-1]+tol {
					// Greedy ranking: a later site can never gain more than
					// an earlier one did at its turn (submodularity).
					t.Errorf("instance %d K=%d: gains %v not decreasing", n, k, res.Gains)
				}
			}
			if math.Abs(sum-res.Objective) > tol {
				t.Errorf("instance %d K=%d: gains sum %v, objective %v", n, k, sum, res.Objective)
			}
		}
		for _, target := range []float64{1, 0.9, 0.6} {
			res, err := SolveSet(context.Background(), p, target, Options{TimeLimit: DefaultTimeLimit})
			if err != nil {
				t.Fatalf("instance %d target %v: %v", n, target, err)
			}
			need := target * coverable * (1 - 1e-12)
			minimum := -1
			for mask, v := range values {
				c := popcount(mask)
				if v >= need && (minimum < 0 || c < minimum) {
					minimum = c
				}
			}
			if coverable == 0 {
				minimum = 0
			}
			if res.Covered < need || math.Abs(coverValue(p, res.Chosen)-res.Covered) > 1e-9*max(1, coverable) {
				t.Errorf("instance %d target %v: covered %v (chosen %v), need %v", n, target, res.Covered, res.Chosen, need)
			}
			if res.LowerBound > minimum || minimum > len(res.Chosen) {
				t.Errorf("instance %d target %v: lower bound %d, minimum %d, chosen %d", n, target, res.LowerBound, minimum, len(res.Chosen))
			}
			if !res.Optimal || len(res.Chosen) != minimum {
				t.Errorf("instance %d target %v: %d sites (optimal %v, lower bound %d), minimum %d", n, target, len(res.Chosen), res.Optimal, res.LowerBound, minimum)
			}
		}
	}
	t.Logf("%d of %d max-cover runs optimal", exact, runs)
	if exact < runs*95/100 {
		t.Errorf("only %d of %d runs optimal", exact, runs)
	}
}

func popcount(x int) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// TestSolveMaxCoverBoundIsLagrangian checks that the bound is better than
// the trivial ones on an instance where it can be: overlapping sets.
func TestSolveMaxCoverBoundTighterThanTrivial(t *testing.T) {
	p := coverRandom(rand.New(rand.NewPCG(3, 4)), 300, 3000, 60, true)
	const k = 10
	res, err := SolveMax(context.Background(), p, Options{K: k, TimeLimit: DefaultTimeLimit})
	if err != nil {
		t.Fatal(err)
	}
	c, err := newCoverInst(p)
	if err != nil {
		t.Fatal(err)
	}
	ws := slices.Clone(c.setW)
	sort.Sort(sort.Reverse(sort.Float64Slice(ws)))
	trivial := 0.0
	for _, w := range ws[:k] {
		trivial += w
	}
	trivial = min(trivial, c.coverable)
	t.Logf("objective %v bound %v (trivial %v), gap %.4f%%, %d swaps, %d iterations", res.Objective, res.UpperBound, trivial, 100*res.Gap, res.Swaps, res.Iterations)
	if res.UpperBound >= trivial {
		t.Errorf("Lagrangian bound %v is no better than the trivial bound %v", res.UpperBound, trivial)
	}
	if res.Gap > 0.05 {
		t.Errorf("gap %.2f%% above 5%%", 100*res.Gap)
	}
}

// --- reference instances (network coverage, solved exactly by CBC and GLPK) ---

type coverRefSolution struct {
	Objective float64  `json:"objective"`
	SolveS    float64  `json:"solve_s"`
	NSites    int      `json:"n_sites"`
	Sites     []string `json:"sites"`
}

type coverRefInstance struct {
	RadiusM            float64                                `json:"radius_m"`
	NCandidates        int                                    `json:"n_candidates"`
	CoverablePop       float64                                `json:"coverable_population"`
	CoverPairs         int                                    `json:"cover_pairs"`
	PairsNearR         int                                    `json:"pairs_within_1cm_of_R"`
	MCLP               map[string]map[string]coverRefSolution `json:"mclp"`
	Greedy             map[string]struct{ Objective float64 } `json:"greedy"`
	LSCP               map[string]coverRefSolution            `json:"lscp"`
	CandidatesProvenan string                                 `json:"candidates"`
}

type coverRef struct {
	Dataset   string                      `json:"dataset"`
	Instances map[string]coverRefInstance `json:"instances"`
}

// coverGraph is a test-only undirected graph read from the reference CSVs.
type coverGraph struct {
	index map[string]int32
	off   []int32
	to    []int32
	len   []float64
}

func coverReadCSV(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(bufio.NewReader(f)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows[1:]
}

func coverLoadGraph(t testing.TB, dir string) *coverGraph {
	g := &coverGraph{index: map[string]int32{}}
	for _, row := range coverReadCSV(t, filepath.Join(dir, "nodes.csv")) {
		g.index[row[0]] = int32(len(g.index))
	}
	edges := coverReadCSV(t, filepath.Join(dir, "edges.csv"))
	type e struct {
		a, b int32
		l    float64
	}
	es := make([]e, 0, len(edges))
	deg := make([]int32, len(g.index)+1)
	for k, row := range edges {
		a, okA := g.index[row[1]]
		b, okB := g.index[row[2]]
		l, err := strconv.ParseFloat(row[3], 64)
		if !okA || !okB || err != nil {
			t.Fatalf("edges.csv row %d: bad edge %v", k+2, row)
		}
		es = append(es, e{a, b, l})
		deg[a]++
		deg[b]++
	}
	g.off = make([]int32, len(g.index)+1)
	for i := range len(g.index) {
		g.off[i+1] = g.off[i] + deg[i]
	}
	g.to = make([]int32, 2*len(es))
	g.len = make([]float64, 2*len(es))
	fill := slices.Clone(g.off)
	for _, x := range es {
		g.to[fill[x.a]], g.len[fill[x.a]] = x.b, x.l
		fill[x.a]++
		g.to[fill[x.b]], g.len[fill[x.b]] = x.a, x.l
		fill[x.b]++
	}
	return g
}

type coverPQ struct {
	node []int32
	dist []float64
}

func (q *coverPQ) Len() int           { return len(q.node) }
func (q *coverPQ) Less(a, b int) bool { return q.dist[a] < q.dist[b] }
func (q *coverPQ) Swap(a, b int) {
	q.node[a], q.node[b] = q.node[b], q.node[a]
	q.dist[a], q.dist[b] = q.dist[b], q.dist[a]
}
func (q *coverPQ) Push(x any) {
	e := x.([2]float64)
	q.node = append(q.node, int32(e[0]))
	q.dist = append(q.dist, e[1])
}
func (q *coverPQ) Pop() any {
	n := len(q.node) - 1
	e := [2]float64{float64(q.node[n]), q.dist[n]}
	q.node, q.dist = q.node[:n], q.dist[:n]
	return e
}

// within calls fn for every node at network distance ≤ r from src.
func (g *coverGraph) within(src int32, r float64, dist []float64, fn func(node int32, d float64)) {
	var touched []int32
	q := &coverPQ{}
	dist[src] = 0
	touched = append(touched, src)
	heap.Push(q, [2]float64{float64(src), 0})
	for q.Len() > 0 {
		e := heap.Pop(q).([2]float64)
		u, d := int32(e[0]), e[1]
		if d > dist[u] {
			continue
		}
		fn(u, d)
		for k := g.off[u]; k < g.off[u+1]; k++ {
			v, nd := g.to[k], d+g.len[k]
			if nd <= r && nd < dist[v] {
				if math.IsInf(dist[v], 1) {
					touched = append(touched, v)
				}
				dist[v] = nd
				heap.Push(q, [2]float64{float64(v), nd})
			}
		}
	}
	for _, v := range touched {
		dist[v] = math.Inf(1)
	}
}

type coverFeature struct {
	Properties struct {
		ID         string  `json:"id"`
		Population float64 `json:"population"`
	} `json:"properties"`
}

func coverReadFeatures(t testing.TB, path string) []coverFeature {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []coverFeature `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return fc.Features
}

// coverRefProblem builds the coverage sets of a reference instance. Pairs up
// to 1 cm beyond r are kept so that summation-order differences in path
// lengths never drop a pair the reference kept; exact pairs are counted too.
type coverRefProblem struct {
	p          *Problem
	candIDs    []string
	exactPairs int
	slackPairs int
}

func coverBuild(t testing.TB, g *coverGraph, demand, cands []coverFeature, r float64) coverRefProblem {
	item := make(map[int32]int32, len(demand))
	p := &Problem{Weights: make([]float64, len(demand)), Sets: make([][]int32, len(cands))}
	for i, f := range demand {
		n, ok := g.index[f.Properties.ID]
		if !ok {
			t.Fatalf("demand point %d (%s) is not a graph node", i, f.Properties.ID)
		}
		item[n] = int32(i)
		p.Weights[i] = f.Properties.Population
	}
	out := coverRefProblem{p: p}
	dist := make([]float64, len(g.index))
	for i := range dist {
		dist[i] = math.Inf(1)
	}
	for j, f := range cands {
		n, ok := g.index[f.Properties.ID]
		if !ok {
			t.Fatalf("candidate %d (%s) is not a graph node", j, f.Properties.ID)
		}
		out.candIDs = append(out.candIDs, f.Properties.ID)
		g.within(n, r+0.01, dist, func(node int32, d float64) {
			if i, ok := item[node]; ok {
				p.Sets[j] = append(p.Sets[j], i)
				out.slackPairs++
				if d <= r {
					out.exactPairs++
				}
			}
		})
		slices.Sort(p.Sets[j])
	}
	return out
}

// refTimeLimit bounds each solve of the reference and family tests, measured
// in CPU time (shareddata.CPUClock) so that a loaded machine buys the same
// search. Every reference instance must be proven optimal within it (each
// needs a fraction of it; BENCHMARKS.md, "Proposals proven optimal"), and
// what is proven must match CBC's optimum exactly.
const refTimeLimit = 10 * time.Second

func TestSolveCoverReference(t *testing.T) {
	data := shareddata.Dir(t)
	for _, name := range []string{"andorra_2014", "helsinki_2019", "monaco_2012"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(data, "reference", name)
			var ref coverRef
			b, err := os.ReadFile(filepath.Join(dir, "mclp_ref.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &ref); err != nil {
				t.Fatalf("mclp_ref.json: %v", err)
			}
			g := coverLoadGraph(t, dir)
			demand := coverReadFeatures(t, filepath.Join(dir, "points.geojson"))
			names := slices.Sorted(func(yield func(string) bool) {
				for k := range ref.Instances {
					if !yield(k) {
						return
					}
				}
			})
			if len(names) < 2 {
				t.Fatalf("mclp_ref.json has %d instances, want R500, R300 and maybe hard_R500", len(names))
			}
			for _, inst := range names {
				ri := ref.Instances[inst]
				t.Run(inst, func(t *testing.T) {
					if testing.Short() && inst == "hard_R500" {
						t.Skip("hard instances take seconds; run without -short")
					}
					candFile := "candidates.geojson"
					if inst == "hard_R500" {
						candFile = "candidates_hard.geojson"
					}
					cands := coverReadFeatures(t, filepath.Join(dir, candFile))
					if len(cands) != ri.NCandidates {
						t.Fatalf("%s has %d candidates, reference says %d", candFile, len(cands), ri.NCandidates)
					}
					rp := coverBuild(t, g, demand, cands, ri.RadiusM)
					if d := rp.exactPairs - ri.CoverPairs; d < -ri.PairsNearR || d > ri.PairsNearR {
						t.Errorf("%d cover pairs within %v m, reference %d (±%d near R)", rp.exactPairs, ri.RadiusM, ri.CoverPairs, ri.PairsNearR)
					}
					candIndex := map[string]int{}
					for j, id := range rp.candIDs {
						candIndex[id] = j
					}
					ks := slices.Sorted(func(yield func(int) bool) {
						for k := range ri.MCLP {
							n, _ := strconv.Atoi(k)
							if !yield(n) {
								return
							}
						}
					})
					for _, k := range ks {
						sol := ri.MCLP[strconv.Itoa(k)]["cbc"]
						opt := sol.Objective
						// The reference sites, evaluated on our coverage
						// sets, must reach the reference optimum.
						var refSites []int
						for _, id := range sol.Sites {
							j, ok := candIndex[id]
							if !ok {
								t.Fatalf("K=%d: reference site %s is not a candidate", k, id)
							}
							refSites = append(refSites, j)
						}
						if v := coverValue(rp.p, refSites); v < opt || v > opt+50 {
							t.Errorf("K=%d: reference sites cover %v on our sets, reference says %v", k, v, opt)
						}
						// A generous limit: the search must finish and prove
						// the optimum however loaded the machine is.
						cpu := cpuTimer()
						res, err := SolveMax(context.Background(), rp.p, Options{K: k, TimeLimit: refTimeLimit, Clock: shareddata.CPUClock()})
						if err != nil {
							t.Fatal(err)
						}
						t.Logf("K=%2d: objective %6.0f optimum %6.0f (greedy ref %.3f%%) bound %6.0f optimal %v, %d nodes, %d swaps, %d bound iterations, CPU %v (CBC %.2fs), wall %v (exact %v)",
							k, res.Objective, opt, 100*ri.Greedy[strconv.Itoa(k)].Objective/opt,
							res.UpperBound, res.Optimal, res.Nodes, res.Swaps, res.Iterations, cpu().Round(time.Millisecond), sol.SolveS,
							res.Timings["total"].Round(time.Millisecond), res.Timings["exact"].Round(time.Millisecond))
						if !res.Optimal {
							t.Errorf("K=%d: not proven optimal (objective %v, bound %v)", k, res.Objective, res.UpperBound)
						}
						if res.Optimal && (res.Objective != opt || res.Gap != 0 || res.UpperBound != res.Objective) {
							t.Errorf("K=%d: proven optimal at %v (bound %v, gap %v), CBC's optimum %v", k, res.Objective, res.UpperBound, res.Gap, opt)
						}
						if res.Objective < 0.995*opt || res.Objective > opt {
							t.Errorf("K=%d: objective %v outside [99.5%%, 100%%] of the optimum %v", k, res.Objective, opt)
						}
						if res.UpperBound < opt {
							t.Errorf("K=%d: upper bound %v below the optimum %v", k, res.UpperBound, opt)
						}
						if math.Abs(res.Coverable-ri.CoverablePop) > 50*float64(ri.PairsNearR) {
							t.Errorf("coverable %v, reference %v", res.Coverable, ri.CoverablePop)
						}
					}
					minimum := ri.LSCP["cbc"].NSites
					cpu := cpuTimer()
					sc, err := SolveSet(context.Background(), rp.p, 1, Options{TimeLimit: refTimeLimit, Clock: shareddata.CPUClock()})
					if err != nil {
						t.Fatal(err)
					}
					t.Logf("set cover: %d sites (minimum %d, lower bound %d, optimal %v, %d nodes), covered %v of %v, CPU %v (CBC %.2fs)",
						len(sc.Chosen), minimum, sc.LowerBound, sc.Optimal, sc.Nodes, sc.Covered, sc.Coverable, cpu().Round(time.Millisecond), ri.LSCP["cbc"].SolveS)
					if !sc.Optimal || len(sc.Chosen) != minimum {
						t.Errorf("set cover uses %d sites (optimal %v), reference minimum %d", len(sc.Chosen), sc.Optimal, minimum)
					}
					if sc.LowerBound > minimum {
						t.Errorf("set cover lower bound %d above the reference minimum %d", sc.LowerBound, minimum)
					}
					if sc.Covered < sc.Coverable {
						t.Errorf("set cover covers %v of %v", sc.Covered, sc.Coverable)
					}
				})
			}
		})
	}
}

// --- benchmarks ---

// coverSynthetic makes nCand sets of about setSize items each on a square
// grid of nItem points: each candidate covers the points within a radius of
// its centre, as walking-distance coverage does. Centres cluster around 20
// town centres (standard deviation spread × the set radius), so that
// candidates compete for the same residents.
func coverSynthetic(nCand, nItem, setSize int, spread float64, seed uint64) *Problem {
	r := rand.New(rand.NewPCG(seed, seed+1))
	side := int(math.Sqrt(float64(nItem)))
	nItem = side * side
	p := &Problem{Weights: make([]float64, nItem), Sets: make([][]int32, nCand)}
	for i := range p.Weights {
		p.Weights[i] = float64(1 + r.IntN(50))
	}
	rad := math.Sqrt(float64(setSize) / math.Pi)
	ir := int(math.Ceil(rad))
	towns := make([][2]float64, 20)
	for k := range towns {
		towns[k] = [2]float64{r.Float64() * float64(side), r.Float64() * float64(side)}
	}
	for j := range p.Sets {
		town := towns[r.IntN(len(towns))]
		cx := min(side-1, max(0, int(town[0]+r.NormFloat64()*spread*rad)))
		cy := min(side-1, max(0, int(town[1]+r.NormFloat64()*spread*rad)))
		for y := max(0, cy-ir); y <= min(side-1, cy+ir); y++ {
			for x := max(0, cx-ir); x <= min(side-1, cx+ir); x++ {
				dx, dy := float64(x-cx), float64(y-cy)
				if dx*dx+dy*dy <= rad*rad {
					p.Sets[j] = append(p.Sets[j], int32(y*side+x))
				}
			}
		}
	}
	return p
}

func BenchmarkSolveMaxCover(b *testing.B) {
	for _, tc := range []struct {
		name   string
		spread float64
	}{{"synthetic_10k_x_1M_K50", 4}, {"synthetic_dense_10k_x_1M_K50", 1.5}} {
		b.Run(tc.name, func(b *testing.B) {
			p := coverSynthetic(10000, 1000000, 300, tc.spread, 1)
			b.ResetTimer()
			var res *MaxResult
			for b.Loop() {
				var err error
				res, err = SolveMax(context.Background(), p, Options{K: 50, TimeLimit: 10 * time.Second})
				if err != nil {
					b.Fatal(err)
				}
			}
			coverReport(b, res)
		})
	}
	b.Run("monaco_hard_R500_K10", func(b *testing.B) {
		data := shareddata.Dir(b)
		dir := filepath.Join(data, "reference", "monaco_2012")
		g := coverLoadGraph(b, dir)
		rp := coverBuild(b, g, coverReadFeatures(b, filepath.Join(dir, "points.geojson")),
			coverReadFeatures(b, filepath.Join(dir, "candidates_hard.geojson")), 500)
		b.ResetTimer()
		var res *MaxResult
		for b.Loop() {
			var err error
			res, err = SolveMax(context.Background(), rp.p, Options{K: 10, TimeLimit: 10 * time.Second})
			if err != nil {
				b.Fatal(err)
			}
		}
		coverReport(b, res)
	})
}

func coverReport(b *testing.B, res *MaxResult) {
	b.ReportMetric(100*res.Gap, "gap%")
	b.ReportMetric(float64(res.Swaps), "swaps")
	b.ReportMetric(float64(res.Iterations), "bounditers")
	b.ReportMetric(float64(res.Starts), "starts")
	for _, k := range []string{"prepare", "greedy", "swap", "bound", "perturb"} {
		b.ReportMetric(float64(res.Timings[k].Milliseconds()), k+"-ms")
	}
}

// BenchmarkSolveMaxReference times SolveMax to proven optimality (or the
// 60 s default limit) on the hard reference instances: 2,000 candidates,
// R 500 m. The metric "optimal" is 1 when proven.
func BenchmarkSolveMaxReference(b *testing.B) {
	data := shareddata.Dir(b)
	for _, city := range []string{"andorra_2014", "helsinki_2019", "monaco_2012"} {
		dir := filepath.Join(data, "reference", city)
		var rp *coverRefProblem
		for _, k := range []int{10, 30} {
			b.Run(fmt.Sprintf("%s_hard_R500_K%d", city, k), func(b *testing.B) {
				if rp == nil {
					g := coverLoadGraph(b, dir)
					p := coverBuild(b, g, coverReadFeatures(b, filepath.Join(dir, "points.geojson")),
						coverReadFeatures(b, filepath.Join(dir, "candidates_hard.geojson")), 500)
					rp = &p
				}
				b.ResetTimer()
				var res *MaxResult
				for b.Loop() {
					var err error
					res, err = SolveMax(context.Background(), rp.p, Options{K: k, TimeLimit: DefaultTimeLimit})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(res.Objective, "objective")
				b.ReportMetric(res.UpperBound, "bound")
				b.ReportMetric(float64(res.Nodes), "nodes")
				opt := 0.0
				if res.Optimal {
					opt = 1
				}
				b.ReportMetric(opt, "optimal")
			})
		}
	}
}
