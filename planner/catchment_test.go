package planner

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// TestCatchmentsLattice checks catchments on a street lattice: a facility
// at a junction reaches the L1 ball of its threshold (4k² blocks of
// street for a threshold of k blocks); each facility's residents are
// those an unbounded search from it alone puts within the threshold; a
// type's residents_nearest add up to its covered residents, also after
// what-if edits; a site that is not a facility counts who it would serve.
func TestCatchmentsLattice(t *testing.T) {
	ctx := context.Background()
	in := latticeStudy(t, 60, 50, 4000, []string{"clinic", "market"}, 12, rand.New(rand.NewPCG(3, 4)))
	// A clinic (300 m) at a junction in the middle.
	in.Facilities = append(in.Facilities, pointFacility("centre", "clinic", 30*50, 30*50))
	sc, err := NewScenario(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	cat := NewCatchments(sc)

	c, err := cat.Facility(ctx, "centre", true)
	if err != nil {
		t.Fatal(err)
	}
	if want := 4 * 6 * 6 * 50.0; math.Abs(c.NetworkLength-want) > 0.005*want {
		t.Errorf("centre reaches %.1f m of street, want the L1 ball's %.0f m", c.NetworkLength, want)
	}
	var sum float64
	for _, p := range c.Pieces {
		sum += geoLen(p.Line)
		if p.Far > 300+1e-9 || p.Near < 0 || p.Far < p.Near {
			t.Fatalf("piece %+v", p)
		}
	}
	if math.Abs(sum-c.NetworkLength) > 0.5 {
		t.Errorf("pieces' lines add to %.2f m, NetworkLength %.2f m", sum, c.NetworkLength)
	}
	if len(c.Hull) != 1 || !(c.HullArea > 2*300*300) {
		t.Errorf("hull: %d parts, %.0f m² (the L1 ball alone is %.0f m²)", len(c.Hull), c.HullArea, 2*300*300.0)
	}

	check := func(when string) {
		t.Helper()
		for ti, ty := range in.Profile.Types {
			list, err := cat.OfType(ctx, ty.ID)
			if err != nil {
				t.Fatal(err)
			}
			var near float64
			for _, fc := range list {
				near += fc.ResidentsNearest
				want, pts := bruteResidents(sc, ty, fc.ID)
				if math.Abs(fc.Residents-want) > 1e-6 || fc.Points != pts {
					t.Errorf("%s: %s: %.3f residents (%d points), a search from it alone: %.3f (%d)", when, fc.ID, fc.Residents, fc.Points, want, pts)
				}
			}
			var covered float64
			sc.View(func(_ AuditInput, res *AuditResult, _ []bool) { covered = res.Types[ti].Covered })
			if math.Abs(near-covered) > 1e-6*math.Max(1, covered) {
				t.Errorf("%s: %s residents_nearest add up to %.3f, covered %.3f", when, ty.ID, near, covered)
			}
		}
	}
	check("baseline")
	if _, err := sc.Apply(Edit{Op: "move", ID: "centre", Geometry: mp(10*50+20, 12*50)}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Apply(Edit{Op: "add", ID: "new", Type: "market", Geometry: mp(40*50, 41*50+10)}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Apply(Edit{Op: "remove", ID: "market3"}); err != nil {
		t.Fatal(err)
	}
	check("after edits")

	// A site: it would be nearest for the residents it would newly cover,
	// at least.
	site := mp(5*50, 50*50)
	sc2, err := cat.Site(ctx, site, "market", false)
	if err != nil {
		t.Fatal(err)
	}
	var gain float64
	srcs, _ := SnapFacilities(in.Net, []orb.Geometry{site}, in.MaxSnap)
	s := in.Net.NewSearcher()
	s.Run(srcs, math.Inf(1))
	sc.View(func(in AuditInput, res *AuditResult, _ []bool) {
		for i, p := range in.Demand.Points {
			pos, ok := in.Net.Snap(p, in.MaxSnap)
			if !ok || Covers(res.Dist[1][i], 500) {
				continue
			}
			if d, _, ok := s.At(pos); ok && Covers(d, 500) {
				gain += in.Demand.Pop[i]
			}
		}
	})
	if !(gain > 0) || sc2.ResidentsNearest < gain-1e-6 || sc2.Residents < sc2.ResidentsNearest {
		t.Errorf("site: residents %.1f, nearest %.1f; it would newly cover %.1f", sc2.Residents, sc2.ResidentsNearest, gain)
	}
	if _, err := cat.Facility(ctx, "market3", false); err == nil {
		t.Error("a removed facility has a catchment")
	}
	if _, err := cat.Site(ctx, site, "nothing", false); err == nil {
		t.Error("a site of an unknown type has a catchment")
	}
}

// bruteResidents counts the residents within ty's threshold of facility
// id by an unbounded search from it alone over freshly snapped points.
func bruteResidents(sc *Scenario, ty AmenityType, id string) (float64, int) {
	var pop float64
	var pts int
	sc.View(func(in AuditInput, _ *AuditResult, active []bool) {
		var g orb.Geometry
		for i, f := range in.Facilities {
			if active[i] && f.ID == id {
				g = f.Geometry
			}
		}
		srcs, _ := SnapFacilities(in.Net, []orb.Geometry{g}, in.MaxSnap)
		s := in.Net.NewSearcher()
		s.Run(srcs, math.Inf(1))
		w, _ := GroupWeights(in.Demand, ty)
		for i, p := range in.Demand.Points {
			pos, ok := in.Net.Snap(p, in.MaxSnap)
			if !ok {
				continue
			}
			if d, _, ok := s.At(pos); ok && Covers(d, ty.Threshold) {
				pop += w[i]
				pts++
			}
		}
	})
	return pop, pts
}

func geoLen(ls orb.LineString) float64 {
	var s float64
	for i := 0; i+1 < len(ls); i++ {
		s += geo.Haversine(ls[i], ls[i+1])
	}
	return s
}

// BenchmarkCatchment computes one facility's catchment with its street
// pieces and hull (a market: 700 m, a playground: 1100 m) on a 200×200
// lattice of 50 m blocks (10 km across) with 50,000 residents.
func BenchmarkCatchment(b *testing.B) {
	ctx := context.Background()
	types := []string{"clinic", "elderly", "market", "fitness", "playground"} // 300 … 1100 m
	in := latticeStudy(b, 200, 50, 50000, types, 200, rand.New(rand.NewPCG(1, 2)))
	sc, err := NewScenario(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	cat := NewCatchments(sc)
	for _, id := range []string{"market7", "playground7"} {
		b.Run(id, func(b *testing.B) {
			var pieces int
			for b.Loop() {
				c, err := cat.Facility(ctx, id, true)
				if err != nil {
					b.Fatal(err)
				}
				pieces = len(c.Pieces)
			}
			b.ReportMetric(float64(pieces), "pieces")
		})
	}
}

// BenchmarkCatchmentsOfType computes the catchments of all 200 facilities
// of a type (no cache: a new Catchments each time) on the same lattice.
func BenchmarkCatchmentsOfType(b *testing.B) {
	ctx := context.Background()
	types := []string{"clinic", "elderly", "market", "fitness", "playground"}
	in := latticeStudy(b, 200, 50, 50000, types, 200, rand.New(rand.NewPCG(1, 2)))
	sc, err := NewScenario(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	for _, typ := range []string{"market", "playground"} {
		b.Run(typ, func(b *testing.B) {
			for b.Loop() {
				list, err := NewCatchments(sc).OfType(ctx, typ)
				if err != nil || len(list) != 200 {
					b.Fatal(len(list), err)
				}
			}
		})
	}
}
