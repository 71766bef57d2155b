package crs

import (
	"math"

	"github.com/paulmach/orb"
)

// An ellipsoid holds the coefficients of Krüger's series for one ellipsoid,
// computed once: the series between geodetic and conformal (Gaussian)
// latitude, and between the conformal sphere and the ellipsoidal transverse
// Mercator, to order n^6 (n the third flattening). The coefficients are those
// of Poder and Engsager as written in PROJ's tmerc.cpp (Karney, "Transverse
// Mercator with an accuracy of a few nanometers", J. Geodesy 85 (2011),
// eqs. 35 and 36, gives the same series).
type ellipsoid struct {
	a, invF float64
	// cbg: geodetic → Gaussian latitude, cgb: Gaussian → geodetic.
	cbg, cgb [6]float64
	// gtu: conformal sphere → ellipsoid, utg: ellipsoid → conformal sphere.
	gtu, utg [6]float64
	// qn is the rectifying radius A (the meridian quadrant / (π/2)) for k0 = 1.
	qn float64
}

// The two ellipsoids in use. GRS80 serves CGCS2000, whose ellipsoid has the
// same a and 1/f to the ninth decimal (PROJ uses +ellps=GRS80 for EPSG:4491–4554).
var (
	grs80          = newEllipsoid(6378137, 298.257222101)
	wgs84Ellipsoid = newEllipsoid(6378137, 298.257223563)
)

func newEllipsoid(a, invF float64) ellipsoid {
	e := ellipsoid{a: a, invF: invF}
	f := 1 / invF
	n := f / (2 - f)
	np := n
	e.cgb[0] = n * (2 + n*(-2/3.0+n*(-2+n*(116/45.0+n*(26/45.0+n*(-2854/675.0))))))
	e.cbg[0] = n * (-2 + n*(2/3.0+n*(4/3.0+n*(-82/45.0+n*(32/45.0+n*(4642/4725.0))))))
	np *= n
	e.cgb[1] = np * (7/3.0 + n*(-8/5.0+n*(-227/45.0+n*(2704/315.0+n*(2323/945.0)))))
	e.cbg[1] = np * (5/3.0 + n*(-16/15.0+n*(-13/9.0+n*(904/315.0+n*(-1522/945.0)))))
	np *= n
	e.cgb[2] = np * (56/15.0 + n*(-136/35.0+n*(-1262/105.0+n*(73814/2835.0))))
	e.cbg[2] = np * (-26/15.0 + n*(34/21.0+n*(8/5.0+n*(-12686/2835.0))))
	np *= n
	e.cgb[3] = np * (4279/630.0 + n*(-332/35.0+n*(-399572/14175.0)))
	e.cbg[3] = np * (1237/630.0 + n*(-12/5.0+n*(-24832/14175.0)))
	np *= n
	e.cgb[4] = np * (4174/315.0 + n*(-144838/6237.0))
	e.cbg[4] = np * (-734/315.0 + n*(109598/31185.0))
	np *= n
	e.cgb[5] = np * (601676 / 22275.0)
	e.cbg[5] = np * (444337 / 155925.0)

	np = n * n
	e.qn = a / (1 + n) * (1 + np*(1/4.0+np*(1/64.0+np/256.0)))

	e.utg[0] = n * (-0.5 + n*(2/3.0+n*(-37/96.0+n*(1/360.0+n*(81/512.0+n*(-96199/604800.0))))))
	e.gtu[0] = n * (0.5 + n*(-2/3.0+n*(5/16.0+n*(41/180.0+n*(-127/288.0+n*(7891/37800.0))))))
	e.utg[1] = np * (-1/48.0 + n*(-1/15.0+n*(437/1440.0+n*(-46/105.0+n*(1118711/3870720.0)))))
	e.gtu[1] = np * (13/48.0 + n*(-3/5.0+n*(557/1440.0+n*(281/630.0+n*(-1983433/1935360.0)))))
	np *= n
	e.utg[2] = np * (-17/480.0 + n*(37/840.0+n*(209/4480.0+n*(-5569/90720.0))))
	e.gtu[2] = np * (61/240.0 + n*(-103/140.0+n*(15061/26880.0+n*(167603/181440.0))))
	np *= n
	e.utg[3] = np * (-4397/161280.0 + n*(11/504.0+n*(830251/7257600.0)))
	e.gtu[3] = np * (49561/161280.0 + n*(-179/168.0+n*(6601661/7257600.0)))
	np *= n
	e.utg[4] = np * (-4583/161280.0 + n*(108847/3991680.0))
	e.gtu[4] = np * (34729/80640.0 + n*(-3418889/1995840.0))
	np *= n
	e.utg[5] = np * (-20648693 / 638668800.0)
	e.gtu[5] = np * (212378941 / 319334400.0)
	return e
}

// gatg returns B + Σ p[k]·sin(2(k+1)B), by Clenshaw summation.
func gatg(p *[6]float64, b float64) float64 {
	twoCos := 2 * math.Cos(2*b)
	var h, h1, h2 float64
	for k := len(p) - 1; k >= 0; k-- {
		h = -h2 + twoCos*h1 + p[k]
		h2, h1 = h1, h
	}
	return b + h*math.Sin(2*b)
}

// clenS returns Σ a[k]·sin(2(k+1)z) for the complex z = n + i·e, by
// Clenshaw summation, as its real and imaginary parts.
func clenS(a *[6]float64, n, e float64) (re, im float64) {
	sinR, cosR := math.Sincos(2 * n)
	sinhI, coshI := math.Sinh(2*e), math.Cosh(2*e)
	// 2·cos(2z) = r + i·i2
	r := 2 * cosR * coshI
	i := -2 * sinR * sinhI
	var hr, hi, hr1, hi1, hr2, hi2 float64
	for k := len(a) - 1; k >= 0; k-- {
		hr2, hi2 = hr1, hi1
		hr1, hi1 = hr, hi
		hr = -hr2 + r*hr1 - i*hi1 + a[k]
		hi = -hi2 + i*hr1 + r*hi1
	}
	// sin(2z) = sr + i·si
	sr := sinR * coshI
	si := cosR * sinhI
	return sr*hr - si*hi, sr*hi + si*hr
}

// maxCe bounds the complex-sphere easting where the series is valid (PROJ's
// limit, about 60° of longitude from the central meridian at the equator).
const maxCe = 2.623395162778

// tmForward projects WGS84 lon/lat to easting/northing; false when the
// position is outside the domain of the series.
func (c CRS) tmForward(p orb.Point) (orb.Point, bool) {
	e := c.ell
	lam := remainderDeg(p[0]-c.lon0) / deg
	phi := p[1] / deg
	cn := gatg(&e.cbg, phi)
	sinCn, cosCn := math.Sincos(cn)
	sinCe, cosCe := math.Sincos(lam)
	cn = math.Atan2(sinCn, cosCe*cosCn)
	ce := math.Atan2(sinCe*cosCn, math.Hypot(sinCn, cosCn*cosCe))
	ce = math.Asinh(math.Tan(ce))
	dn, de := clenS(&e.gtu, cn, ce)
	cn += dn
	ce += de
	if math.Abs(ce) > maxCe || math.IsNaN(ce) || math.IsNaN(cn) {
		return p, false
	}
	qn := c.k0 * e.qn
	return orb.Point{qn*ce + c.x0, qn*cn + c.y0}, true
}

// tmInverse converts easting/northing to WGS84 lon/lat.
func (c CRS) tmInverse(p orb.Point) (orb.Point, bool) {
	e := c.ell
	qn := c.k0 * e.qn
	cn := (p[1] - c.y0) / qn
	ce := (p[0] - c.x0) / qn
	if math.Abs(ce) > maxCe {
		return p, false
	}
	dn, de := clenS(&e.utg, cn, ce)
	cn += dn
	ce += de
	ce = math.Atan(math.Sinh(ce))
	sinCn, cosCn := math.Sincos(cn)
	sinCe, cosCe := math.Sincos(ce)
	ce = math.Atan2(sinCe, cosCe*cosCn)
	cn = math.Atan2(sinCn*cosCe, math.Hypot(sinCe, cosCe*cosCn))
	lat := gatg(&e.cgb, cn) * deg
	lon := remainderDeg(ce*deg + c.lon0)
	if math.IsNaN(lat) || math.IsNaN(lon) {
		return p, false
	}
	return orb.Point{lon, lat}, true
}

// remainderDeg reduces an angle in degrees to -180..180.
func remainderDeg(x float64) float64 {
	if x >= -180 && x <= 180 {
		return x
	}
	return math.Remainder(x, 360)
}
