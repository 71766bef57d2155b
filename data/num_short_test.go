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

// coordSlow is appendCoord's general path.
func coordSlow(v float64) string {
	b := strconv.AppendFloat(nil, v, 'f', 6, 64)
	for b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	if b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	if string(b) == "-0" {
		return "0"
	}
	return string(b)
}

// TestAppendCoord6MatchesStrconv checks the integer path of appendCoord
// against strconv's 6-decimal rounding, on lon/lat-like values, values of
// 6 decimals, halfway cases and random doubles.
func TestAppendCoord6MatchesStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 15))
	check := func(v float64) {
		t.Helper()
		got, err := appendCoord(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		if want := coordSlow(v); string(got) != want {
			t.Fatalf("appendCoord(%v) = %q, want %q", v, got, want)
		}
	}
	for _, v := range []float64{0, math.Copysign(0, -1), 1e-7, -1e-7, 4e-7, 5e-7, -5e-7, 6e-7, 0.0000005, 0.0000015,
		116.4, -116.4, 39.9, 180, -180, 90, 0.1234565, 1.0000005, 999999.9999995, 1e6, -1e6, 1e300} {
		check(v)
		check(-v)
	}
	for i := 0; i < 300000; i++ {
		check(rng.Float64()*360 - 180)
		check(math.Round((rng.Float64()*360-180)*1e6) / 1e6)
		check((math.Round((rng.Float64()*360-180)*1e6) + 0.5) / 1e6)
		check(math.Round((rng.Float64()*180-90)*1e7) / 1e7)
		check(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(12)-4)))
	}
}

func FuzzAppendCoord(f *testing.F) {
	for _, v := range []float64{0, 116.397128, -0.0000005, 39.9042} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		got, _ := appendCoord(nil, v)
		if want := coordSlow(v); string(got) != want {
			t.Fatalf("appendCoord(%v) = %q, want %q", v, got, want)
		}
	})
}

// TestFixedValueMatchesText: Fixed.Value's shortcut gives the value of
// the CSV text, for random numbers, halfway cases, negatives and zero.
func TestFixedValueMatchesText(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	check := func(x float64, dec int) {
		f := F(x, dec)
		want, _ := strconv.ParseFloat(f.String(), 64)
		got, ok := f.fastValue()
		if ok && math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("F(%v, %d): fast %v, text %q = %v", x, dec, got, f.String(), want)
		}
	}
	for i := 0; i < 2000000; i++ {
		dec := r.IntN(7)
		var x float64
		switch i % 4 {
		case 0:
			x = r.NormFloat64() * math.Pow(10, float64(r.IntN(12)))
		case 1:
			x = (float64(r.Int64N(1e9)) + 0.5) / math.Pow(10, float64(dec)) // halfway
		case 2:
			x = float64(r.Int64N(1e9)) / math.Pow(10, float64(r.IntN(7)))
		default:
			x = -r.ExpFloat64() * 1e-3
		}
		check(x, dec)
	}
	for _, x := range []float64{0, math.Copysign(0, -1), -0.04, 0.05, 0.15, 2.675, 1.005, 1e-300, 999999999999.95} {
		for dec := range 7 {
			check(x, dec)
		}
	}
}
