package study

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/planner"
)

// countingClock returns a clock that advances a microsecond each time it
// is read: the solver's budget is then a number of its steps, so two
// solves of the same problem stop at the same point and give the same
// answer whatever the machine's load (its parallel swap search, which
// reads the clock from several goroutines, runs from 2048 candidates:
// these instances have fewer, or GOMAXPROCS is 1).
func countingClock() func() time.Duration {
	var n atomic.Int64
	return func() time.Duration { return time.Duration(n.Add(1)) * time.Microsecond }
}

// sameProposal fails unless got has want's coverage problem (weights,
// fixed items, every candidate's set), sites, objective and bounds.
func sameProposal(t *testing.T, label string, want, got *planner.ProposeResult) {
	t.Helper()
	wp, gp := want.Problem, got.Problem
	if !slices.Equal(wp.Weights, gp.Weights) || !slices.Equal(wp.Fixed, gp.Fixed) || len(wp.Sets) != len(gp.Sets) {
		t.Fatalf("%s: weights, fixed items or number of sets differ (%d sets, want %d)", label, len(gp.Sets), len(wp.Sets))
	}
	n := 0
	for j := range wp.Sets {
		if !slices.Equal(wp.Sets[j], gp.Sets[j]) {
			t.Errorf("%s: candidate %s covers %d items, want %d", label, want.Candidates[j].ID, len(gp.Sets[j]), len(wp.Sets[j]))
		}
		n += len(wp.Sets[j])
	}
	if !slices.Equal(siteIDsOf(want), siteIDsOf(got)) || want.Objective != got.Objective || want.UpperBound != got.UpperBound ||
		want.LowerBound != got.LowerBound || want.Optimal != got.Optimal || !slices.Equal(want.Skipped, got.Skipped) {
		t.Errorf("%s: sites %v objective %v bound %v/%d optimal %v, want %v %v %v/%d %v", label, siteIDsOf(got), got.Objective, got.UpperBound, got.LowerBound, got.Optimal,
			siteIDsOf(want), want.Objective, want.UpperBound, want.LowerBound, want.Optimal)
	}
	if n == 0 {
		t.Errorf("%s: no candidate covers anyone: the comparison proves nothing", label)
	}
}

func siteIDsOf(res *planner.ProposeResult) []string {
	var ids []string
	for _, s := range res.Sites {
		ids = append(ids, s.ID)
	}
	return ids
}

// shardedProposals solves in once and in each shard option, and compares.
func shardedProposals(t *testing.T, st *Study, in planner.ProposeInput, opts ...ShardOptions) {
	t.Helper()
	ctx := context.Background()
	in.Clock = countingClock()
	want, err := planner.Propose(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		in.Clock = countingClock()
		got, stats, err := st.ProposeSharded(ctx, in, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(stats) < 2 {
			t.Errorf("%+v: %d shards", o, len(stats))
		}
		sameProposal(t, fmt.Sprintf("%+v (%d shards)", o, len(stats)), want, got)
		t.Logf("%+v: %d shards, %d candidates, %d sites, objective %.0f, bound %.1f (max) / %d (set)", o, len(stats), len(got.Candidates), len(got.Sites), got.Objective, got.UpperBound, got.LowerBound)
	}
}

// TestProposeShardedReference: on the reference instances (--demand
// points, --candidates, --radius), maximal and set covering in 4 and 16
// shards have the coverage sets, sites, objective and bound of the
// single run.
func TestProposeShardedReference(t *testing.T) {
	for _, name := range []string{"andorra_2014", "monaco_2012", "helsinki_2019"} {
		t.Run(name, func(t *testing.T) {
			dir := shareddata.Path(t, "reference", name)
			st := loadReference(t, dir, name)
			if err := st.AssignUnits(); err != nil {
				t.Fatal(err)
			}
			for _, cands := range []string{"candidates.geojson", "candidates_hard.geojson"} {
				cs, err := ReadCandidates(filepath.Join(dir, cands), data.WGS84)
				if err != nil {
					t.Fatal(err)
				}
				types, err := st.ProposeTypes("", false, 500, nil)
				if err != nil {
					t.Fatal(err)
				}
				in := planner.ProposeInput{Net: st.In.Net, Demand: st.In.Demand, MaxSnap: st.In.MaxSnap, Units: st.In.Units, Assign: st.In.Assign,
					Types: types, Candidates: cs, K: 5, TimeLimit: 5 * time.Millisecond, Spacing: planner.DefaultSpacing}
				t.Run(cands+"/k=5", func(t *testing.T) {
					shardedProposals(t, st, in, ShardOptions{Shards: 4}, ShardOptions{Shards: 16, Parallel: 2})
				})
				in.K, in.Target = 0, 1
				t.Run(cands+"/setcover", func(t *testing.T) {
					shardedProposals(t, st, in, ShardOptions{Shards: 4}, ShardOptions{Shards: 16, Parallel: 2})
				})
			}
		})
	}
}

// TestProposeShardedExtracts: on the Helsinki and Monaco extracts, with
// the estimated residents, the existing facilities fixed and candidates
// generated along the streets, one and two types.
func TestProposeShardedExtracts(t *testing.T) {
	cases := []struct {
		name, osm string
		o         ProposeOptions
	}{
		{"helsinki/elderly", shareddata.Path(t, "helsinki", "Helsinki.osm.pbf"), ProposeOptions{Type: "elderly", K: 5}},
		{"monaco/clinic+market", shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf"), ProposeOptions{Types: "clinic,market:2", K: 3}},
		{"monaco/market-phases", shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf"), ProposeOptions{Type: "market", Phases: "2026:2,2027:2"}},
		{"monaco/playground-setcover", shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf"), ProposeOptions{Type: "playground", Target: 0.9}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := Defaults()
			s.OSM = tc.osm
			st, err := Load(context.Background(), s, FileSource{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			tc.o.Spacing, tc.o.TimeLimit = planner.DefaultSpacing, 5*time.Millisecond
			in, err := st.ProposeInput(tc.o, data.WGS84, NoProgress{})
			if err != nil {
				t.Fatal(err)
			}
			shardedProposals(t, st, in, ShardOptions{Shards: 4}, ShardOptions{Shards: 16, Parallel: 2})
		})
	}
}

// BenchmarkProposeSharded measures a proposal's coverage sets and solve
// on the Helsinki reference instance (2,000 candidates, 500 m) at once
// and in 4 and 16 shards: the cost of the halos.
func BenchmarkProposeSharded(b *testing.B) {
	dir := shareddata.Path(b, "reference", "helsinki_2019")
	st := loadReference(b, dir, "helsinki_2019")
	if err := st.AssignUnits(); err != nil {
		b.Fatal(err)
	}
	cs, err := ReadCandidates(filepath.Join(dir, "candidates_hard.geojson"), data.WGS84)
	if err != nil {
		b.Fatal(err)
	}
	types, err := st.ProposeTypes("", false, 500, nil)
	if err != nil {
		b.Fatal(err)
	}
	in := planner.ProposeInput{Net: st.In.Net, Demand: st.In.Demand, MaxSnap: st.In.MaxSnap, Units: st.In.Units, Assign: st.In.Assign,
		Types: types, Candidates: cs, K: 5, TimeLimit: 5 * time.Millisecond, Spacing: planner.DefaultSpacing}
	for _, n := range []int{0, 4, 16} {
		b.Run(fmt.Sprintf("shards=%d", n), func(b *testing.B) {
			for b.Loop() {
				in.Clock = countingClock()
				var err error
				if n == 0 {
					_, err = planner.Propose(context.Background(), in)
				} else {
					_, _, err = st.ProposeSharded(context.Background(), in, ShardOptions{Shards: n, Parallel: 1})
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCoverMergeOnce: a shard's part added twice (a task delivered twice)
// is taken once; parts added in any order give the same ascending sets;
// a part naming a candidate out of range is refused.
func TestCoverMergeOnce(t *testing.T) {
	a := &CoverPart{Cands: []int32{0, 2}, Sets: [][]int32{{1, 7}, {3}}}
	b := &CoverPart{Cands: []int32{0}, Sets: [][]int32{{2, 9}}}
	var got [][][]int32
	for _, order := range [][]int{{0, 1, 0}, {1, 0, 1, 0}} {
		m := NewCoverMerge(3)
		added := 0
		for _, k := range order {
			ok, err := m.Add(k, []*CoverPart{a, b}[k])
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				added++
			}
		}
		if added != 2 {
			t.Errorf("order %v: %d parts taken, want 2", order, added)
		}
		got = append(got, m.Sets())
	}
	want := [][]int32{{1, 2, 7, 9}, nil, {3}}
	for _, g := range got {
		for j := range want {
			if !slices.Equal(g[j], want[j]) {
				t.Errorf("sets %v, want %v", g, want)
			}
		}
	}
	if _, err := NewCoverMerge(1).Add(0, &CoverPart{Cands: []int32{5}, Sets: [][]int32{{1}}}); err == nil {
		t.Error("a candidate out of range: accepted")
	}
}
