package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// Chinese web maps publish coordinates in two obfuscated systems:
// GCJ-02 ("Mars coordinates", used by Amap/Gaode, Tencent, Apple and Google
// maps in China) is WGS84 plus a non-linear offset of a few hundred metres;
// BD-09 (Baidu) is a further rotation and shift of GCJ-02. The formulas are
// the widely published ones (as in the eviltransform and coordtransform
// libraries); outside China no offset is applied.

const (
	gcjA  = 6378245.0              // Krasovsky 1940 semi-major axis (metres)
	gcjEE = 0.00669342162296594323 // Krasovsky 1940 first eccentricity squared
	bdXPi = math.Pi * 3000.0 / 180.0
)

// OutOfChina reports whether the lon/lat point p lies outside the rectangle
// in which the GCJ-02 and BD-09 offsets apply (lon 72.004..137.8347,
// lat 0.8293..55.8271, the bounds of the common implementations). Points
// outside it are left unchanged by every conversion, as the standard
// algorithms do. NaN coordinates count as outside.
func OutOfChina(p orb.Point) bool {
	lon, lat := p[0], p[1]
	return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271)
}

// gcjDelta returns the GCJ-02 offset (dlon, dlat) in degrees at the WGS84
// lon/lat point p, without the out-of-China check.
func gcjDelta(p orb.Point) (dlon, dlat float64) {
	x, y := p[0]-105.0, p[1]-35.0
	xPi, yPi := x*math.Pi, y*math.Pi
	common := 20.0*math.Sin(6.0*xPi) + 20.0*math.Sin(2.0*xPi)

	tlat := common + 20.0*math.Sin(yPi) + 40.0*math.Sin(yPi/3.0) +
		160.0*math.Sin(yPi/12.0) + 320.0*math.Sin(yPi/30.0)
	tlon := common + 20.0*math.Sin(xPi) + 40.0*math.Sin(xPi/3.0) +
		150.0*math.Sin(xPi/12.0) + 300.0*math.Sin(xPi/30.0)
	tlat = tlat*2.0/3.0 - 100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	tlon = tlon*2.0/3.0 + 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))

	radLat := p[1] * rad
	magic := math.Sin(radLat)
	magic = 1 - gcjEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dlat = (tlat * 180.0) / ((gcjA * (1 - gcjEE)) / (magic * sqrtMagic) * math.Pi)
	dlon = (tlon * 180.0) / (gcjA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return dlon, dlat
}

// WGS84ToGCJ02 converts a WGS84 lon/lat point to GCJ-02 lon/lat.
// Points outside China are returned unchanged.
func WGS84ToGCJ02(p orb.Point) orb.Point {
	if OutOfChina(p) {
		return p
	}
	dlon, dlat := gcjDelta(p)
	return orb.Point{p[0] + dlon, p[1] + dlat}
}

// GCJ02ToWGS84 converts a GCJ-02 lon/lat point to WGS84 lon/lat by
// iterating the forward transform to a fixed point, accurate to well under
// 0.01 m (the one-step approximation used by many libraries is off by up to
// a few metres). Points outside China are returned unchanged.
func GCJ02ToWGS84(p orb.Point) orb.Point {
	if OutOfChina(p) {
		return p
	}
	// The offset varies slowly (its gradient is ~1e-3 per degree), so the
	// fixed-point iteration w ← w − (F(w) − p) contracts by ~1e-3 per step:
	// 3–4 steps reach 1e-12 degrees. The forward transform is applied without
	// the out-of-China check so that the iteration stays smooth at the edge.
	w := p
	for i := 0; i < 20; i++ {
		dlon, dlat := gcjDelta(w)
		elon := w[0] + dlon - p[0]
		elat := w[1] + dlat - p[1]
		w[0] -= elon
		w[1] -= elat
		if math.Abs(elon) < 1e-12 && math.Abs(elat) < 1e-12 {
			break
		}
	}
	return w
}

// GCJ02ToBD09 converts a GCJ-02 lon/lat point to BD-09 (Baidu) lon/lat.
// Points outside China are returned unchanged.
func GCJ02ToBD09(p orb.Point) orb.Point {
	if OutOfChina(p) {
		return p
	}
	return gcjToBD(p)
}

func gcjToBD(p orb.Point) orb.Point {
	x, y := p[0], p[1]
	z := math.Sqrt(x*x+y*y) + 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) + 0.000003*math.Cos(x*bdXPi)
	return orb.Point{z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006}
}

// BD09ToGCJ02 converts a BD-09 (Baidu) lon/lat point to GCJ-02 lon/lat.
// It starts from the widely used closed-form inverse (off by up to ~0.2 m)
// and refines it against the forward transform to well under 0.01 m.
// Points outside China are returned unchanged.
func BD09ToGCJ02(p orb.Point) orb.Point {
	if OutOfChina(p) {
		return p
	}
	x, y := p[0]-0.0065, p[1]-0.006
	z := math.Sqrt(x*x+y*y) - 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*bdXPi)
	g := orb.Point{z * math.Cos(theta), z * math.Sin(theta)}
	for i := 0; i < 10; i++ {
		b := gcjToBD(g)
		elon, elat := b[0]-p[0], b[1]-p[1]
		g[0] -= elon
		g[1] -= elat
		if math.Abs(elon) < 1e-12 && math.Abs(elat) < 1e-12 {
			break
		}
	}
	return g
}

// BD09ToWGS84 converts a BD-09 (Baidu) lon/lat point to WGS84 lon/lat
// (BD-09 → GCJ-02 → WGS84). Points outside China are returned unchanged.
func BD09ToWGS84(p orb.Point) orb.Point {
	return GCJ02ToWGS84(BD09ToGCJ02(p))
}
