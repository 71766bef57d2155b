package study

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/planner"
)

// reportedCovered is a point's covered status as a reader of
// demand.geojson sees it: its dist_T as written (0.1 m) against the
// threshold.
func reportedCovered(dist, threshold float64) bool {
	r := data.Round(dist, 1)
	return r.Valid() && float64(r) <= threshold
}

// checkAgree recomputes every type's and unit's covered residents from
// the distances as reported and compares them with res; it returns how
// many (type, point) pairs lie within 5 cm of a threshold, where deciding
// on the exact distance would disagree.
func checkAgree(t *testing.T, where string, in planner.AuditInput, res *planner.AuditResult) int {
	t.Helper()
	d := in.Demand
	near := 0
	for ti, ty := range in.Profile.Types {
		var total float64
		units := make([]float64, len(res.Units))
		for i, p := range d.Pop {
			x := res.Dist[ti][i]
			if !reportedCovered(x, ty.Threshold) {
				continue
			}
			if x > ty.Threshold {
				near++
			}
			total += p
			if in.Assign != nil && in.Assign[i] >= 0 {
				units[in.Assign[i]] += p
			}
		}
		if got := res.Types[ti].Covered; math.Abs(got-total) > 1e-6*math.Max(1, total) {
			t.Errorf("%s: %s covers %.4f residents, the reported distances %.4f", where, ty.ID, got, total)
		}
		if in.Assign == nil {
			continue
		}
		for u := range res.Units {
			if got := res.Units[u].Covered[ti]; math.Abs(got-units[u]) > 1e-6*math.Max(1, units[u]) {
				t.Errorf("%s: unit %s, %s covers %.4f residents, the reported distances %.4f", where, in.Units[u].ID, ty.ID, got, units[u])
				break
			}
		}
	}
	return near
}

// TestReportedDistanceAgreesWithCoverage is the property of issue 16,
// item 10 over the shared extracts: every demand point's reported
// distance and its covered status agree, in the audit, its per-unit
// figures, a what-if scenario after an edit and a proposal's fixed
// (already covered) residents.
func TestReportedDistanceAgreesWithCoverage(t *testing.T) {
	for _, c := range []struct{ name, file string }{
		{"helsinki", "Helsinki.osm.pbf"},
		{"monaco_region_2016", "monaco.osm.pbf"},
		{"cn_beijing_bupt", "map.osm"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			s := Defaults()
			s.OSM = shareddata.Path(t, c.name, c.file)
			st, err := Load(ctx, s, FileSource{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			checkAgree(t, "audit", st.In, res)
			// Thresholds moved onto distances whose exact value lies a
			// few cm above their reported one: where the decision on the
			// exact distance and the reported one would disagree.
			prof := *st.In.Profile
			prof.Types = slices.Clone(prof.Types)
			for ti := range prof.Types {
				for _, x := range res.Dist[ti] {
					if r := float64(data.Round(x, 1)); x > r+1e-6 && r >= 50 {
						prof.Types[ti].Threshold = r
						break
					}
				}
			}
			in := st.In
			in.Profile = &prof
			res, err = planner.Audit(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			near := checkAgree(t, "audit at moved thresholds", in, res)
			if near == 0 {
				t.Fatal("no point lies just over a threshold: the property is not exercised")
			}
			t.Logf("%d (type, point) pairs reported at the threshold but a few cm over it", near)

			// A what-if scenario: remove the first facility of the type
			// that covers most residents, then compare again.
			sc, err := planner.NewScenario(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.In.Facilities) > 0 {
				if _, err := sc.Apply(planner.Edit{Op: "remove", ID: st.In.Facilities[0].ID, At: time.Now()}); err != nil {
					t.Fatal(err)
				}
				in2, res2, _ := sc.Snapshot()
				checkAgree(t, "scenario", in2, res2)
			}

			// A proposal's already covered residents are those the audit
			// reports within the threshold.
			for ti, ty := range prof.Types {
				types := []planner.ProposeType{{ID: ty.ID, Radius: ty.Threshold, Weight: 1}}
				for _, f := range st.In.Facilities {
					if f.Type == ty.ID {
						types[0].Existing = append(types[0].Existing, f.Geometry)
					}
				}
				if len(types[0].Existing) == 0 {
					continue
				}
				pin := planner.ProposeInput{Net: st.In.Net, Demand: st.In.Demand, Types: types,
					Candidates: []planner.Candidate{{ID: "c", Geometry: st.In.Facilities[0].Geometry}},
					MaxSnap:    st.In.MaxSnap, K: 1, TimeLimit: 5 * time.Second, Units: st.In.Units, Assign: st.In.Assign}
				pr, err := planner.Propose(ctx, pin)
				if err != nil {
					t.Fatal(err)
				}
				bad := 0
				for i := range st.In.Demand.Pop {
					if pr.Problem.Fixed[i] != reportedCovered(res.Dist[ti][i], ty.Threshold) {
						bad++
					}
				}
				if bad > 0 {
					t.Errorf("propose %s: %d points fixed (covered) otherwise than their reported distance says", ty.ID, bad)
				}
				break
			}
		})
	}
}
