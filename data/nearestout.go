package data

import (
	"io"
	"math"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// A NearestRow is one point's nearest facility (lifecircle nearest):
// Reached is false when the point reaches none, and then Distance and
// FacilityID are not written.
type NearestRow struct {
	ID         string
	Geometry   orb.Geometry
	Distance   float64 // metres
	FacilityID string
	Reached    bool
}

// NearestOptions say how WriteNearest writes.
type NearestOptions struct {
	Format string // "csv", else GeoJSON
	// OutCoords adds lon,lat (WGS84) and the point in GCJ-02 or BD-09 to
	// the CSV. GeoJSON is always WGS84 alone.
	OutCoords OutCoords
}

// WriteNearest writes n rows, in order, as CSV "id,distance_m,facility_id"
// (with OutCoords: then lon,lat and the converted pair of the point)
// or as GeoJSON features with those properties, distances rounded to
// 0.1 m; unreached points have empty (CSV) or null (GeoJSON) distance
// and facility. The CSV is written as every CSV output is (NewCSVWriter).
func WriteNearest(w io.Writer, o NearestOptions, n int, row func(i int) NearestRow) error {
	if o.Format != "csv" {
		return writeNearestGeoJSON(w, n, row)
	}
	c := NewCSVWriter(w)
	h := []string{"id", "distance_m", "facility_id"}
	if o.OutCoords != "" {
		h = append(h, o.OutCoords.coordHeader()...)
	}
	c.Text(h...)
	vals := make([]any, 0, 7)
	for i := 0; i < n; i++ {
		r := row(i)
		vals = append(vals[:0], r.ID, nil, nil)
		if r.Reached {
			vals[1], vals[2] = F(r.Distance, 1), r.FacilityID
		}
		if o.OutCoords != "" {
			p, ok := geo.RepresentativePoint(r.Geometry)
			vals = o.OutCoords.appendCoords(vals, p, ok)
		}
		if err := c.Row(vals...); err != nil {
			return err
		}
	}
	return c.Flush()
}

func writeNearestGeoJSON(w io.Writer, n int, row func(i int) NearestRow) error {
	gw := NewGeoJSONWriter(w)
	for i := 0; i < n; i++ {
		r := row(i)
		props := Props{{Key: "id", Value: r.ID}, {Key: "distance_m", Value: nil}, {Key: "facility_id", Value: nil}}
		if r.Reached {
			props[1].Value = math.Round(r.Distance*10) / 10
			props[2].Value = r.FacilityID
		}
		if err := gw.Write(r.ID, r.Geometry, props); err != nil {
			return err
		}
	}
	return gw.Close()
}
