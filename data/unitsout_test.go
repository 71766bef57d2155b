package data

import (
	"bytes"
	"math"
	"math/rand"
	"testing"

	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// unitsCase makes an audit of n units with odd names, figures (NaN
// distances, over-capacity figures on some) and a few bad geometries.
func unitsCase(r *rand.Rand, n int) (planner.AuditInput, *planner.AuditResult) {
	types := []planner.AmenityType{{ID: "clinic"}, {ID: "a\"b"}, {ID: "长者"}}
	texts := []string{"", "", "Kallio", "q\"uote", "长", "\x01"}
	odd := []float64{math.NaN(), 0, 1e-9, 1e21, 12345.65, 0.05, 2.675, 1.0 / 3}
	in := planner.AuditInput{Profile: &planner.Profile{Types: types}}
	res := &planner.AuditResult{}
	num := func() float64 {
		if r.Intn(6) == 0 {
			return odd[r.Intn(len(odd))]
		}
		return r.ExpFloat64() * 500
	}
	for u := range n {
		x, y := 116+r.Float64(), 39+r.Float64()
		ring := orb.Ring{{x, y}, {x + 0.002, y}, {x + 0.002, y + 0.002}, {x, y + 0.002}, {x, y}}
		if r.Intn(100) == 0 {
			ring[2][0] = math.NaN()
		}
		in.Units = append(in.Units, planner.Unit{ID: "250m_" + texts[r.Intn(len(texts))] + string(rune('a'+u%26)),
			Name: texts[r.Intn(len(texts))], Parent: texts[r.Intn(len(texts))], Level: texts[r.Intn(len(texts))], Geometry: orb.Polygon{ring}})
		ur := planner.UnitResult{Population: num(), Completeness: r.Float64(), FullyServed: num()}
		for range types {
			ur.Covered = append(ur.Covered, num())
			ur.Unreachable = append(ur.Unreachable, num())
			ur.DistMean = append(ur.DistMean, num())
			ur.DistP90 = append(ur.DistP90, num())
		}
		if r.Intn(3) == 0 {
			ur.OverCapacity = []float64{num(), math.NaN(), num()}
		}
		res.Units = append(res.Units, ur)
	}
	return in, res
}

// TestUnitEncoderMatchesProps: cells.geojson's direct encoder writes the
// bytes of AppendFeature with UnitProps, unit by unit.
func TestUnitEncoderMatchesProps(t *testing.T) {
	in, res := unitsCase(rand.New(rand.NewSource(5)), 20000)
	e := newUnitEncoder(in, res)
	for u, unit := range in.Units {
		want, werr := AppendFeature([]byte("x"), unit.ID, unit.Geometry, UnitProps(in, res, u))
		got, gerr := e.append([]byte("x"), u)
		if !bytes.Equal(got, want) || (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			t.Fatalf("unit %d: got %s (%v), want %s (%v)", u, got, gerr, want, werr)
		}
	}
}

func BenchmarkWriteUnits(b *testing.B) {
	in, res := unitsCase(rand.New(rand.NewSource(6)), 50000)
	for u := range in.Units {
		in.Units[u].Geometry = orb.Polygon{{{116, 39}, {116.002, 39}, {116.002, 39.002}, {116, 39}}}
	}
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := writeUnits(&buf, in, res); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}
