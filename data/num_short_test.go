package data

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestAppendShortFMatchesStrconv checks appendShortF against
// strconv.AppendFloat 'f' -1 on the numbers its shortcuts take (whole
// numbers, one decimal, both signs, up to and past 1e14) and on others.
func TestAppendShortFMatchesStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 15))
	check := func(x float64) {
		t.Helper()
		want := strconv.AppendFloat(nil, x, 'f', -1, 64)
		if got := appendShortF(nil, x); string(got) != string(want) {
			t.Fatalf("appendShortF(%v) = %q, strconv %q", x, got, want)
		}
	}
	for _, x := range []float64{0, math.Copysign(0, -1), 0.1, -0.1, 0.05, -0.05, 1, -1, 9.9, 10, 99.95,
		1e14, -1e14, 1e14 - 0.1, 1e14 - 1, 99999999999999.9, 1 << 53, 1e15 + 0.5, 1e20, 0.3, 0.7, 1.0000000000000002,
		math.Nextafter(0.1, 1), math.Nextafter(0.1, 0), math.Nextafter(1234.5, 2000), 5e-324, 1e-6} {
		check(x)
		check(-x)
	}
	for i := 0; i < 300000; i++ {
		scale := math.Pow(10, float64(rng.IntN(16)))
		k := math.Round((rng.Float64()*2 - 1) * scale)
		check(k)
		check(k / 10)
		check(float64(Round(k/100, 1)))
		check(float64(Round(rng.Float64()*scale, 2)))
		check(rng.NormFloat64() * scale)
		check(math.Float64frombits(rng.Uint64()&^(0x7ff<<52) | uint64(rng.IntN(1100))<<52))
	}
}

func FuzzAppendShortF(f *testing.F) {
	for _, x := range []float64{0, 0.1, -12.3, 1e14, 123456789.5} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		want := strconv.AppendFloat(nil, x, 'f', -1, 64)
		if got := appendShortF(nil, x); string(got) != string(want) {
			t.Fatalf("appendShortF(%v) = %q, strconv %q", x, got, want)
		}
	})
}
