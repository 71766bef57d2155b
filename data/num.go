package data

import (
	"fmt"
	"math"
	"strconv"
)

// A Num is a number of a JSON output (summary.json, the GeoJSON layers,
// before_after.json, the API). NaN and ±Inf, which JSON cannot represent
// ("no one in the unit reaches a clinic"), are written as null and read
// back from null as NaN; every other value is written as encoding/json
// writes a float64.
type Num float64

// Round returns x rounded to the given number of decimals as a Num (0.1
// for residents and metres, 1e-4 for shares); NaN and ±Inf stay as they
// are and are written as null.
func Round(x float64, decimals int) Num {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return Num(x)
	}
	p := math.Pow(10, float64(decimals))
	return Num(math.Round(x*p) / p)
}

// Valid reports whether n is a finite number (written as a number, not
// null).
func (n Num) Valid() bool {
	return !math.IsNaN(float64(n)) && !math.IsInf(float64(n), 0)
}

// Or returns n, or def when n is NaN or infinite (null in the file).
func (n Num) Or(def float64) float64 {
	if !n.Valid() {
		return def
	}
	return float64(n)
}

// MarshalJSON writes null for NaN and ±Inf, else the number as
// encoding/json writes a float64.
func (n Num) MarshalJSON() ([]byte, error) {
	return appendJSONNum(make([]byte, 0, 24), float64(n)), nil
}

// UnmarshalJSON reads a number, or null as NaN.
func (n *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Num(math.NaN())
		return nil
	}
	x, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("want a number or null, got %s", b)
	}
	*n = Num(x)
	return nil
}

// appendJSONNum appends x as encoding/json encodes a float64 (shortest
// form, exponent only below 1e-6 or from 1e21 on, "e-7" not "e-07"), or
// null when x is NaN or infinite.
func appendJSONNum(b []byte, x float64) []byte {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return append(b, "null"...)
	}
	format := byte('f')
	if abs := math.Abs(x); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	if format == 'f' {
		return appendShortF(b, x)
	}
	b = strconv.AppendFloat(b, x, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// A Real is a share (coverage, completeness) written as a number that
// always has a decimal point: 1.0 and 0.0, never 1 and 0. GDAL types a
// GeoJSON property Integer when no value has one, and a GeoPackage made
// from such a layer then truncates another audit's 0.4133 to 0 when the
// two are appended. NaN and ±Inf are written as null.
type Real float64

// MarshalJSON writes null for NaN and ±Inf, else the number with at
// least one decimal.
func (r Real) MarshalJSON() ([]byte, error) {
	return appendReal(make([]byte, 0, 24), float64(r)), nil
}

// UnmarshalJSON reads a number, or null as NaN.
func (r *Real) UnmarshalJSON(b []byte) error {
	return (*Num)(r).UnmarshalJSON(b)
}

// appendReal appends x as appendJSONNum does, with ".0" after a whole
// number written without exponent.
func appendReal(b []byte, x float64) []byte {
	start := len(b)
	b = appendJSONNum(b, x)
	for _, c := range b[start:] {
		switch c {
		case '.', 'e', 'E', 'n': // decimal point, exponent, null
			return b
		}
	}
	return append(b, ".0"...)
}

// appendShortF appends strconv.AppendFloat(b, x, 'f', -1, 64), byte for
// byte, taking shortcuts for the numbers outputs are made of: whole numbers
// (residents, counts) and numbers of one decimal (metres rounded to 0.1).
// Below 1e14 the doubles lie closer than 0.01, so k/10 — when it reads back
// as x — is the shortest decimal that does. x must be finite.
func appendShortF(b []byte, x float64) []byte {
	const limit = 1e14
	if !(x > -limit && x < limit) {
		return strconv.AppendFloat(b, x, 'f', -1, 64)
	}
	if x == 0 {
		if math.Signbit(x) {
			return append(b, "-0"...)
		}
		return append(b, '0')
	}
	if t := math.Trunc(x); t == x {
		return strconv.AppendInt(b, int64(t), 10)
	}
	k := int64(math.Round(x * 10))
	if float64(k)/10 != x {
		return strconv.AppendFloat(b, x, 'f', -1, 64)
	}
	if k < 0 {
		b = append(b, '-')
		k = -k
	}
	b = strconv.AppendInt(b, k/10, 10)
	return append(b, '.', byte('0'+k%10))
}
