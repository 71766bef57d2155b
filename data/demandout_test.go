package data

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// demandCase makes an audit of n points with odd ids, populations,
// distances (NaN, ±Inf, huge, tiny), points outside every unit and a unit
// without an id.
func demandCase(r *rand.Rand, n int, withAssign bool) (planner.AuditInput, *planner.AuditResult) {
	types := []planner.AmenityType{{ID: "clinic"}, {ID: "a\"b"}, {ID: "长者"}}
	units := []planner.Unit{{ID: "u1"}, {ID: ""}, {ID: "c<&>"}}
	ids := []string{"p1", "", "q\"uote", "back\\slash", "长", "\x01", "\u2028", "way/123"}
	odd := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, -0.0, 1e-9, 4.999999e-7, 1e21, 1e22, 12345.65, 0.05, 0.15, 2.675}
	d := &planner.Demand{}
	in := planner.AuditInput{Profile: &planner.Profile{Types: types}, Units: units, Demand: d}
	res := &planner.AuditResult{Dist: make([][]float64, len(types))}
	if withAssign {
		in.Assign = make([]int32, n)
	}
	for i := range n {
		p := orb.Point{116 + r.Float64(), 39 + r.Float64()}
		if r.Intn(50) == 0 {
			p[r.Intn(2)] = 180 * r.NormFloat64()
		}
		d.Points = append(d.Points, p)
		d.IDs = append(d.IDs, ids[r.Intn(len(ids))])
		pop := r.ExpFloat64() * 30
		if r.Intn(10) == 0 {
			pop = odd[r.Intn(len(odd))]
		}
		d.Pop = append(d.Pop, pop)
		if withAssign {
			in.Assign[i] = int32(r.Intn(len(units)+1) - 1)
		}
		for ti := range types {
			x := r.ExpFloat64() * 1000
			if r.Intn(8) == 0 {
				x = odd[r.Intn(len(odd))]
			}
			res.Dist[ti] = append(res.Dist[ti], x)
		}
	}
	return in, res
}

// TestDemandEncoderMatchesProps: demand.geojson's direct encoder writes
// the bytes of AppendFeature with DemandProps, point by point.
func TestDemandEncoderMatchesProps(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for _, withAssign := range []bool{true, false} {
		in, res := demandCase(r, 20000, withAssign)
		e := newDemandEncoder(in, res)
		var props Props
		for i := range in.Demand.Points {
			props = DemandProps(props[:0], in, res, i)
			want, werr := AppendFeature([]byte("x"), nil, in.Demand.Points[i], props)
			got, gerr := e.append([]byte("x"), i)
			if !bytes.Equal(got, want) || (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
				t.Fatalf("point %d: got %s (%v), want %s (%v)", i, got, gerr, want, werr)
			}
		}
	}
}

func BenchmarkWriteDemand(b *testing.B) {
	in, res := demandCase(rand.New(rand.NewSource(4)), 200000, true)
	for i, p := range in.Demand.Points {
		in.Demand.Points[i] = orb.Point{math.Mod(math.Abs(p[0]), 180), math.Mod(math.Abs(p[1]), 90)}
	}
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := writeDemand(&buf, in, res); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}

// BenchmarkWriteDemandProps is BenchmarkWriteDemand the way before
// demandout.go (DemandProps and GeoJSONWriter, one point at a time), for
// comparison.
func BenchmarkWriteDemandProps(b *testing.B) {
	in, res := demandCase(rand.New(rand.NewSource(4)), 200000, true)
	for i, p := range in.Demand.Points {
		in.Demand.Points[i] = orb.Point{math.Mod(math.Abs(p[0]), 180), math.Mod(math.Abs(p[1]), 90)}
	}
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		g := NewGeoJSONWriter(&buf)
		var props Props
		for i, p := range in.Demand.Points {
			props = DemandProps(props[:0], in, res, i)
			if err := g.Write(nil, p, props); err != nil {
				b.Fatal(err)
			}
		}
		if err := g.Close(); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}

// BenchmarkWriteDemandUnits is BenchmarkWriteDemand with 100,000 units of
// grid-cell ids, two points each, in no order (the 1M audit has ten):
// the unit ids are what the points repeat.
func BenchmarkWriteDemandUnits(b *testing.B) {
	r := rand.New(rand.NewSource(4))
	in, res := demandCase(r, 200000, true)
	in.Units = make([]planner.Unit, 100000)
	for u := range in.Units {
		in.Units[u].ID = fmt.Sprintf("250m_E116N40_%d_-%d", u%300, u/300)
	}
	for i, p := range in.Demand.Points {
		in.Demand.Points[i] = orb.Point{math.Mod(math.Abs(p[0]), 180), math.Mod(math.Abs(p[1]), 90)}
		in.Assign[i] = int32(r.Intn(len(in.Units)))
	}
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := writeDemand(&buf, in, res); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}
