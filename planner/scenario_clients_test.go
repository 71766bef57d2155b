package planner

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// TestScenarioRevertPerClient has two clients edit one scenario in turn,
// each undoing only its own latest edits (out of the scenario's order);
// after each step every figure equals a fresh audit, and a client's undo
// never takes away the other's facilities.
func TestScenarioRevertPerClient(t *testing.T) {
	sc, err := NewScenario(context.Background(), scenarioInput(t, 5))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	side := 39 * 60.0
	types := []string{"clinic", "market", "playground"}
	stacks := [2][]Edit{}
	for step := 0; step < 40; step++ {
		c := r.IntN(2)
		if r.IntN(3) == 0 && len(stacks[c]) > 0 {
			e := stacks[c][len(stacks[c])-1]
			other := slices.Clone(stacks[1-c])
			_, err := sc.RevertEdits([]int64{e.Seq})
			if errors.Is(err, ErrConflict) {
				continue // the other client built on it: a clear refusal
			}
			if err != nil {
				t.Fatalf("step %d: client %d undo %s %s: %v", step, c, e.Op, e.ID, err)
			}
			stacks[c] = stacks[c][:len(stacks[c])-1]
			// The other client's edits are all still in the history.
			h := sc.History()
			for _, o := range other {
				if !slices.ContainsFunc(h, func(x Edit) bool { return x.Seq == o.Seq }) {
					t.Fatalf("step %d: client %d's undo took client %d's edit %s %s", step, c, 1-c, o.Op, o.ID)
				}
			}
		} else {
			// Each client moves and removes only facilities it added, so
			// undos seldom conflict.
			var e Edit
			if n := len(stacks[c]); n > 0 && r.IntN(3) == 0 {
				last := stacks[c][r.IntN(n)]
				if last.Op != "add" || sc.find(last.ID) < 0 {
					continue
				}
				e = Edit{Op: "move", ID: last.ID, Geometry: mp(r.Float64()*side, r.Float64()*side)}
				if r.IntN(2) == 0 {
					e = Edit{Op: "remove", ID: last.ID}
				}
			} else {
				e = Edit{Op: "add", Type: types[r.IntN(3)], Geometry: mp(r.Float64()*side, r.Float64()*side)}
			}
			ch, err := sc.Apply(e)
			if err != nil {
				t.Fatalf("step %d %s: %v", step, e.Op, err)
			}
			stacks[c] = append(stacks[c], ch.Edit)
		}
		compareWithFresh(t, sc, step)
	}
	if _, err := sc.Reset(); err != nil {
		t.Fatal(err)
	}
	if n := len(sc.History()); n != 0 {
		t.Fatalf("after reset %d edits remain", n)
	}
	compareWithFresh(t, sc, -1)
}

// TestScenarioRevertConflict: undoing an add that another edit moved is
// refused and changes nothing; undoing both together works.
func TestScenarioRevertConflict(t *testing.T) {
	sc, err := NewScenario(context.Background(), scenarioInput(t, 6))
	if err != nil {
		t.Fatal(err)
	}
	add, err := sc.Apply(Edit{Op: "add", Type: "clinic", Geometry: mp(300, 300)})
	if err != nil {
		t.Fatal(err)
	}
	mv, err := sc.Apply(Edit{Op: "move", ID: add.Edit.ID, Geometry: mp(900, 900)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.RevertEdits([]int64{add.Edit.Seq}); !errors.Is(err, ErrConflict) {
		t.Fatalf("undo of a moved add: %v, want ErrConflict", err)
	}
	if n := len(sc.History()); n != 2 {
		t.Fatalf("refused undo changed the history: %d edits", n)
	}
	if _, err := sc.RevertEdits([]int64{add.Edit.Seq}); !errors.Is(err, ErrConflict) {
		t.Fatal("second refusal differs")
	}
	if _, err := sc.RevertEdits([]int64{mv.Edit.Seq, add.Edit.Seq}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.RevertEdits([]int64{add.Edit.Seq}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("undo of an undone edit: %v, want ErrNotFound", err)
	}
	compareWithFresh(t, sc, 0)

	// A remove whose id was taken again cannot be undone.
	rm, err := sc.Apply(Edit{Op: "remove", ID: "clinic0"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Apply(Edit{Op: "add", ID: "clinic0", Type: "clinic", Geometry: mp(600, 600)}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.RevertEdits([]int64{rm.Edit.Seq}); !errors.Is(err, ErrConflict) {
		t.Fatalf("undo of a remove whose id is taken: %v, want ErrConflict", err)
	}
}

// TestScenarioApplyAdds adds a layer of 300 facilities in one step, then
// reverts it in one step; both match a fresh audit, and a batch with one
// bad facility adds none.
func TestScenarioApplyAdds(t *testing.T) {
	in := scenarioInput(t, 7)
	nbase := len(in.Facilities)
	sc, err := NewScenario(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	side := 39 * 60.0
	types := []string{"clinic", "market", "playground"}
	var batch []Edit
	for i := 0; i < 300; i++ {
		batch = append(batch, Edit{Op: "add", Type: types[r.IntN(3)], Geometry: mp(r.Float64()*side, r.Float64()*side)})
	}
	bad := append(slices.Clone(batch), Edit{Op: "add", Type: "clinic", Geometry: mp(-5000, -5000)})
	if _, _, err := sc.ApplyAdds(bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("batch with a far facility: %v", err)
	}
	if n := len(sc.History()); n != 0 {
		t.Fatalf("refused batch left %d edits", n)
	}
	_, applied, err := sc.ApplyAdds(batch)
	if err != nil {
		t.Fatal(err)
	}
	compareWithFresh(t, sc, 1)
	seqs := make([]int64, len(applied))
	for i, e := range applied {
		seqs[i] = e.Seq
	}
	if _, err := sc.RevertEdits(seqs); err != nil {
		t.Fatal(err)
	}
	compareWithFresh(t, sc, 2)
	sc.View(func(in AuditInput, _ *AuditResult, _ []bool) {
		if len(in.Facilities) != nbase {
			t.Errorf("after reverting the layer %d facilities are kept, want the %d of the baseline", len(in.Facilities), nbase)
		}
	})
}

// TestApplyEdits replays a scenario's history on its inputs and gets the
// scenario's facilities: moved and removed ones matched by id, none twice.
func TestApplyEdits(t *testing.T) {
	in := scenarioInput(t, 8)
	base := slices.Clone(in.Facilities)
	sc, err := NewScenario(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	steps := []Edit{
		{Op: "add", Type: "clinic", Name: "试验诊所", Geometry: mp(500, 500)},
		{Op: "move", ID: base[0].ID, Geometry: mp(1200, 700)},
		{Op: "remove", ID: base[1].ID},
		{Op: "add", Type: "market", Geometry: mp(100, 1800)},
	}
	for _, e := range steps {
		if _, err := sc.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ApplyEdits(base, sc.History())
	if err != nil {
		t.Fatal(err)
	}
	var want []Facility
	sc.View(func(in AuditInput, _ *AuditResult, active []bool) {
		for i, f := range in.Facilities {
			if active[i] {
				want = append(want, f)
			}
		}
	})
	if len(got) != len(want) || len(got) != len(base)+1 {
		t.Fatalf("%d facilities, scenario has %d, baseline %d (+2 added −1 removed)", len(got), len(want), len(base))
	}
	key := func(f Facility) string { return f.ID + "|" + f.Type + "|" + f.Name + "|" + wktish(f) }
	gk, wk := make([]string, len(got)), make([]string, len(want))
	for i := range got {
		gk[i], wk[i] = key(got[i]), key(want[i])
	}
	slices.Sort(gk)
	slices.Sort(wk)
	if !slices.Equal(gk, wk) {
		t.Fatalf("replayed facilities differ:\n got %v\nwant %v", gk, wk)
	}
	if base[1].ID == "" || slices.ContainsFunc(got, func(f Facility) bool { return f.ID == base[1].ID }) {
		t.Fatal("the removed facility is still there")
	}

	for _, tc := range []struct {
		e    Edit
		want error
	}{
		{Edit{Op: "move", ID: "no-such", Geometry: mp(1, 1)}, ErrNotFound},
		{Edit{Op: "remove", ID: "no-such"}, ErrNotFound},
		{Edit{Op: "add", ID: base[2].ID, Type: "clinic", Geometry: mp(1, 1)}, ErrInvalid},
		{Edit{Op: "paint", ID: base[2].ID}, ErrInvalid},
	} {
		if _, err := ApplyEdits(base, []Edit{tc.e}); !errors.Is(err, tc.want) {
			t.Errorf("%s %s: %v, want %v", tc.e.Op, tc.e.ID, err, tc.want)
		}
	}
}

func wktish(f Facility) string {
	b := f.Geometry.Bound()
	return strconv.FormatFloat(b.Min[0], 'g', -1, 64) + "," + strconv.FormatFloat(b.Min[1], 'g', -1, 64)
}
