package data

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestDiffFacilitiesByPosition(t *testing.T) {
	p := orb.Point{24.94, 60.17}
	q := orb.Point{24.94001, 60.17} // 0.55 m east
	r := orb.Point{24.95, 60.17}
	a := []DiffFacility{{ID: "1", Type: "clinic", At: p}, {ID: "n5", Type: "market", At: r}, {ID: "x", Type: "clinic", At: r}}
	b := []DiffFacility{{ID: "7", Type: "clinic", At: q}, {ID: "n5", Type: "market", At: p}, {ID: "y", Type: "market", At: r}}
	fc := DiffFacilities(a, b)
	// clinic 1 ↔ 7: same place, ids renumbered; market n5 moved ~550 m;
	// clinic x closed; market y new.
	if len(fc.Moved) != 1 || fc.Moved[0].ID != "n5" || math.Abs(fc.Moved[0].Distance-552) > 5 {
		t.Errorf("moved %+v", fc.Moved)
	}
	if len(fc.Closed) != 1 || fc.Closed[0].ID != "x" || len(fc.New) != 1 || fc.New[0].ID != "y" {
		t.Errorf("closed %+v new %+v", fc.Closed, fc.New)
	}
	// A facility without a position is never the same place as another.
	nan := orb.Point{math.NaN(), math.NaN()}
	fc = DiffFacilities([]DiffFacility{{Type: "clinic", At: nan}}, []DiffFacility{{Type: "clinic", At: nan}})
	if len(fc.Closed) != 1 || len(fc.New) != 1 {
		t.Errorf("unplaced facilities matched: %+v", fc)
	}
}

// diffUnit returns a unit with the coverage share and covered residents of
// each type, in the order given (share NaN: no share written).
func diffUnitOf(id string, pop, completeness float64, types ...any) UnitFeature {
	u := UnitFeature{UnitProperties: UnitProperties{UnitID: id, Name: "unit " + id, Population: Num(pop), Completeness: Num(completeness)},
		Geometry: orb.Point{1, 2}}
	for i := 0; i < len(types); i += 3 {
		u.Types = append(u.Types, UnitTypeFigures{ID: types[i].(string), Coverage: Num(types[i+1].(float64)), Covered: Num(types[i+2].(float64))})
	}
	return u
}

// TestDiffRuns compares two small runs with two levels: a unit that got
// better, one worse, one mixed, one unchanged, one added and one removed,
// a type only in A and a type whose share stayed but whose residents
// covered rose.
func TestDiffRuns(t *testing.T) {
	a := &AuditRun{Dir: "runA", Summary: Summary{
		Types: []TypeSummary{
			{ID: "clinic", NameEn: "Clinic", Coverage: 0.5, Covered: 50, Facilities: 2},
			{ID: "market", NameEn: "Market", Coverage: 0.8, Covered: 80, Facilities: 3},
			{ID: "pool", NameEn: "Pool", Coverage: 0.1, Covered: 10, Facilities: 1},
		},
		Totals: Totals{Population: 100, Completeness: 0.25, FullyServed: 0.2, PopulationFullyServed: 20},
	}, Levels: []UnitLayer{
		{Level: "district", Units: []UnitFeature{diffUnitOf("D", 100, 0.4, "clinic", 0.5, 50.0, "market", 0.8, 80.0)}},
		{Level: "community", Units: []UnitFeature{
			diffUnitOf("better", 10, 0.5, "clinic", 0.2, 2.0, "market", 1.0, 10.0),
			diffUnitOf("worse", 10, 0.5, "clinic", 0.5, 5.0, "market", 1.0, 10.0),
			diffUnitOf("mixed", 10, 0.5, "clinic", 0.5, 5.0, "market", 1.0, 10.0),
			diffUnitOf("same", 10, 0.5, "clinic", 0.5, 5.0, "market", math.NaN(), 0.0),
			diffUnitOf("gone", 10, 0.5, "clinic", 0.5, 5.0, "market", 1.0, 10.0),
		}},
	}}
	b := &AuditRun{Dir: "runB", Summary: Summary{
		Types: []TypeSummary{
			{ID: "market", NameEn: "Market", Coverage: 0.8, Covered: 85, Facilities: 3},
			{ID: "clinic", NameEn: "Clinic", Coverage: 0.45, Covered: 45, Facilities: 1},
		},
		Totals: Totals{Population: 100, Completeness: 0.3, FullyServed: 0.2, PopulationFullyServed: 20},
	}, Levels: []UnitLayer{
		{Level: "district", Units: []UnitFeature{diffUnitOf("D", 100, 0.4, "clinic", 0.5, 50.0, "market", 0.8, 80.0)}},
		{Level: "community", Units: []UnitFeature{
			diffUnitOf("new", 10, 0.5, "clinic", 0.5, 5.0, "market", 1.0, 10.0),
			diffUnitOf("better", 10, 0.7, "clinic", 0.2, 3.0, "market", 1.0, 10.0),
			diffUnitOf("worse", 10, 0.5, "clinic", 0.4, 4.0, "market", 1.0, 10.0),
			diffUnitOf("mixed", 10, 0.5, "clinic", 0.6, 6.0, "market", 0.9, 9.0),
			diffUnitOf("same", 10, 0.5, "clinic", 0.5, 5.0, "market", math.NaN(), 0.0),
		}},
	}}
	d := DiffRuns(a, b)
	if d.A != "runA" || d.B != "runB" {
		t.Errorf("runs %q %q", d.A, d.B)
	}
	// Types: B's order, then those only in A.
	var ids []string
	for _, tc := range d.Types {
		ids = append(ids, tc.ID+":"+tc.Status)
	}
	if got := strings.Join(ids, " "); got != "market:improved clinic:worse pool:worse" {
		t.Errorf("types %s", got)
	}
	if c := d.Types[1]; c.Delta != -0.05 || c.FacilitiesA != 2 || c.FacilitiesB != 1 || c.NameEn != "Clinic" {
		t.Errorf("clinic %+v", c)
	}
	// Unit types follow d.Types: market, clinic, pool (only in A).
	// Finest level's unit statuses per type: clinic better in 2 (better
	// on covered residents, mixed), worse in 1, unchanged in 1, added in 1.
	if u := d.Types[1].Units; u[DiffImproved] != 2 || u[DiffWorse] != 1 || u[DiffUnchanged] != 1 || u[DiffAdded] != 1 || u[DiffRemoved] != 1 {
		t.Errorf("clinic units %v", u)
	}
	if tot := d.Totals[1]; tot.Key != "completeness" || tot.Delta != 0.05 {
		t.Errorf("totals %+v", d.Totals)
	}
	if len(d.Levels) != 2 || d.Levels[0].Name != "district" || d.Levels[1].Name != "community" {
		t.Fatalf("levels %+v", d.Levels)
	}
	if l := d.Levels[0]; l.Counts[DiffUnchanged] != 1 || len(l.Units) != 0 || l.Units == nil || len(l.All) != 1 {
		t.Errorf("district %+v", l)
	}
	com := d.Levels[1]
	status := map[string]string{}
	for _, u := range com.All {
		status[u.ID] = u.Status
	}
	want := map[string]string{"new": DiffAdded, "better": DiffImproved, "worse": DiffWorse, "mixed": DiffMixed, "same": DiffUnchanged, "gone": DiffRemoved}
	for id, s := range want {
		if status[id] != s {
			t.Errorf("unit %s: %s, want %s", id, status[id], s)
		}
	}
	if len(com.Units) != 5 || com.All[0].ID != "new" || com.All[5].ID != "gone" {
		t.Errorf("changed units %d, order %v", len(com.Units), com.All)
	}
	better := com.All[1]
	if *better.CompletenessDelta != 0.2 || better.Types[1].DeltaCov == nil || *better.Types[1].DeltaCov != 1 || *better.Types[1].Delta != 0 {
		t.Errorf("better %+v %+v", better, better.Types[1])
	}
	if s := com.All[4].Types[0]; s.Status != DiffUnchanged || s.CoverageA != nil || s.Delta != nil {
		t.Errorf("same/market without a share: %+v", s)
	}
	if g := com.All[5]; g.PopulationB != nil || *g.PopulationA != 10 || g.CompletenessDelta != nil {
		t.Errorf("gone %+v", g)
	}

	// The same run against itself: nothing changed.
	self := DiffRuns(a, a)
	for _, l := range self.Levels {
		if len(l.Units) != 0 || l.Counts[DiffUnchanged] != len(l.All) {
			t.Errorf("self diff level %s: %v", l.Name, l.Counts)
		}
	}
}

// TestDiffSingleLevel: without units_<level> layers the per-unit layer is
// compared, named by the summary's one level.
func TestDiffSingleLevel(t *testing.T) {
	run := func(cov float64) *AuditRun {
		return &AuditRun{Summary: Summary{Types: []TypeSummary{{ID: "clinic"}}, Levels: []LevelSummary{{Name: "block"}}},
			Units: []UnitFeature{diffUnitOf("1", 5, 1, "clinic", cov, 5*cov)}}
	}
	d := DiffRuns(run(0.2), run(0.4))
	if len(d.Levels) != 1 || d.Levels[0].Name != "block" || d.Levels[0].Counts[DiffImproved] != 1 {
		t.Errorf("levels %+v", d.Levels)
	}
}

func TestWriteDiff(t *testing.T) {
	run := func(cov float64) *AuditRun {
		return &AuditRun{Dir: "r", Summary: Summary{Types: []TypeSummary{{ID: "clinic"}}},
			Units: []UnitFeature{diffUnitOf("1", 5, 1, "clinic", cov, 5*cov), diffUnitOf("2", 5, 1, "clinic", 0.5, 2.5)}}
	}
	d := DiffRuns(run(0.2), run(0.4))
	dir := filepath.Join(t.TempDir(), "change")
	if err := WriteDiff(dir, d); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "diff.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back RunDiff
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Levels) != 1 || len(back.Levels[0].Units) != 1 || back.Levels[0].Units[0].ID != "1" || back.Levels[0].Units[0].Status != DiffImproved {
		t.Errorf("diff.json: %s", raw)
	}
	fc, err := ReadOutputLayer(filepath.Join(dir, "diff.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != 2 {
		t.Fatalf("diff.geojson has %d features, want every unit (2)", len(fc.Features))
	}
	p := fc.Features[0].Properties
	if p["status_clinic"] != DiffImproved || p["delta_coverage_clinic"] != 0.2 || p["delta_covered_clinic"] != 1.0 || p["level"] != "units" {
		t.Errorf("diff.geojson properties %v", p)
	}
}

// TestDiffMatchRules checks each rule of DiffFacilities by hand: metres
// along a parallel at 60.17° N (1 m ≈ 0.0000179° of longitude).
func TestDiffMatchRules(t *testing.T) {
	const mLon = 1 / (6371009.0 * math.Pi / 180 * 0.497564) // degrees per metre east at 60.17°
	at := func(east float64) orb.Point { return orb.Point{24.94 + east*mLon, 60.17} }
	tests := []struct {
		name                string
		a, b                []DiffFacility
		matched             map[string]int
		newN, closed, moved int
		movedBy             string
	}{
		{"id, same place", []DiffFacility{{ID: "s1", Type: "clinic", Name: "A", At: at(0)}},
			[]DiffFacility{{ID: "s1", Type: "clinic", Name: "A (renamed)", At: at(0.5)}},
			map[string]int{MatchID: 1}, 0, 0, 0, ""},
		{"id, moved far", []DiffFacility{{ID: "s1", Type: "clinic", At: at(0)}},
			[]DiffFacility{{ID: "s1", Type: "clinic", At: at(900)}},
			map[string]int{MatchID: 1}, 0, 0, 1, MatchID},
		{"id of another type is another facility", []DiffFacility{{ID: "s1", Type: "clinic", At: at(0)}},
			[]DiffFacility{{ID: "s1", Type: "market", At: at(0)}},
			map[string]int{}, 1, 1, 0, ""},
		{"name within 50 m", []DiffFacility{{ID: "auto-1", Type: "market", Name: "中心菜市场", At: at(0)}},
			[]DiffFacility{{ID: "auto-2", Type: "market", Name: "中心菜市场", At: at(40)}},
			map[string]int{MatchName: 1}, 0, 0, 1, MatchName},
		{"name beyond 50 m", []DiffFacility{{ID: "auto-1", Type: "market", Name: "中心菜市场", At: at(0)}},
			[]DiffFacility{{ID: "auto-2", Type: "market", Name: "中心菜市场", At: at(60)}},
			map[string]int{}, 1, 1, 0, ""},
		{"name of another type", []DiffFacility{{ID: "auto-1", Type: "market", Name: "X", At: at(0)}},
			[]DiffFacility{{ID: "auto-2", Type: "clinic", Name: "X", At: at(20)}},
			map[string]int{}, 1, 1, 0, ""},
		{"position within 10 m", []DiffFacility{{ID: "auto-1", Type: "fitness", Name: "old", At: at(0)}},
			[]DiffFacility{{ID: "auto-2", Type: "fitness", Name: "new", At: at(8)}},
			map[string]int{MatchPosition: 1}, 0, 0, 1, MatchPosition},
		{"position beyond 10 m", []DiffFacility{{ID: "auto-1", Type: "fitness", At: at(0)}},
			[]DiffFacility{{ID: "auto-2", Type: "fitness", At: at(12)}},
			map[string]int{}, 1, 1, 0, ""},
		{"position within a metre is no move", []DiffFacility{{ID: "1", Type: "fitness", At: at(0)}},
			[]DiffFacility{{ID: "7", Type: "fitness", At: at(0.6)}},
			map[string]int{MatchPosition: 1}, 0, 0, 0, ""},
		{"id before name", []DiffFacility{{ID: "s1", Type: "clinic", Name: "A", At: at(0)}, {ID: "s2", Type: "clinic", Name: "A", At: at(30)}},
			[]DiffFacility{{ID: "s2", Type: "clinic", Name: "A", At: at(0)}, {ID: "s3", Type: "clinic", Name: "A", At: at(30)}},
			// s2 by id (moved 30 m); s1 and s3 by name (30 m).
			map[string]int{MatchID: 1, MatchName: 1}, 0, 0, 2, ""},
		{"closest pair first", []DiffFacility{{ID: "a1", Type: "fitness", At: at(0)}, {ID: "a2", Type: "fitness", At: at(9)}},
			[]DiffFacility{{ID: "b1", Type: "fitness", At: at(9.5)}},
			map[string]int{MatchPosition: 1}, 0, 1, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, rev := range []bool{false, true} {
				a, b := tc.a, tc.b
				if rev { // the order of the lists never matters
					a, b = slices.Clone(a), slices.Clone(b)
					slices.Reverse(a)
					slices.Reverse(b)
				}
				fc := DiffFacilities(a, b)
				for _, r := range []string{MatchID, MatchName, MatchPosition} {
					if fc.Matched[r] != tc.matched[r] {
						t.Errorf("reversed %v: matched %v, want %v", rev, fc.Matched, tc.matched)
						break
					}
				}
				if len(fc.New) != tc.newN || len(fc.Closed) != tc.closed || len(fc.Moved) != tc.moved {
					t.Errorf("reversed %v: %d new, %d closed, %d moved; want %d, %d, %d", rev, len(fc.New), len(fc.Closed), len(fc.Moved), tc.newN, tc.closed, tc.moved)
				}
				if tc.movedBy != "" && (len(fc.Moved) != 1 || fc.Moved[0].MatchedBy != tc.movedBy) {
					t.Errorf("moves %+v, want one matched by %s", fc.Moved, tc.movedBy)
				}
				if tc.name == "closest pair first" && (len(fc.Closed) != 1 || fc.Closed[0].ID != "a1") {
					t.Errorf("closed %+v, want a1 (a2 is closer to b1)", fc.Closed)
				}
			}
		})
	}
}

// BenchmarkDiffFacilities diffs two runs of 20,000 facilities over a
// 10 km square where a tenth changed id (matched by name or position), a
// tenth closed and a tenth is new.
func BenchmarkDiffFacilities(b *testing.B) {
	const n = 20000
	rng := rand.New(rand.NewPCG(1, 2))
	types := []string{"clinic", "elderly", "market", "fitness", "playground"}
	var fa, fb []DiffFacility
	for i := 0; i < n; i++ {
		p := orb.Point{116.3 + 0.12*rng.Float64(), 39.9 + 0.09*rng.Float64()}
		f := DiffFacility{ID: fmt.Sprintf("s%d", i), Type: types[i%5], Name: fmt.Sprintf("站 %d", i), At: p}
		fa = append(fa, f)
		switch i % 10 {
		case 0: // closed
		case 1: // renumbered, moved 20 m
			f.ID = fmt.Sprintf("x%d", i)
			f.At[1] += 0.00018
			fb = append(fb, f)
		default:
			fb = append(fb, f)
		}
		if i%10 == 2 {
			fb = append(fb, DiffFacility{ID: fmt.Sprintf("new%d", i), Type: types[i%5], At: orb.Point{116.3 + 0.12*rng.Float64(), 39.9 + 0.09*rng.Float64()}})
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fc := DiffFacilities(fa, fb)
		if len(fc.Closed) < n/10 || fc.Matched[MatchName] != n/10 {
			b.Fatalf("%d closed, matched %v", len(fc.Closed), fc.Matched)
		}
	}
}
