package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// EarthRadius is the mean Earth radius in metres used for every length
// (the value OSMnx and the reference answers use).
const EarthRadius = 6371009.0

const rad = math.Pi / 180

// Haversine returns the great-circle distance in metres between two
// lon/lat points.
func Haversine(a, b orb.Point) float64 {
	lat1, lat2 := a[1]*rad, b[1]*rad
	dlat := lat2 - lat1
	dlon := (b[0] - a[0]) * rad
	s1 := math.Sin(dlat / 2)
	s2 := math.Sin(dlon / 2)
	h := s1*s1 + math.Cos(lat1)*math.Cos(lat2)*s2*s2
	if h > 1 {
		h = 1
	}
	return 2 * EarthRadius * math.Asin(math.Sqrt(h))
}

// LineLength returns the great-circle length in metres of a polyline.
func LineLength(ls orb.LineString) float64 {
	var sum float64
	for i := 1; i < len(ls); i++ {
		sum += Haversine(ls[i-1], ls[i])
	}
	return sum
}

// ValidLonLat reports whether p is a finite lon/lat pair within
// -180..180 and -90..90.
func ValidLonLat(p orb.Point) bool {
	return !math.IsNaN(p[0]) && !math.IsNaN(p[1]) &&
		p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90
}
