package data

import (
	"bufio"
	"io"
	"math"
	"strconv"

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

// WriteNearest writes n rows, in order, as CSV "id,distance_m,facility_id"
// (format "csv") or as GeoJSON features with those properties (any other
// format), distances rounded to 0.1 m; unreached points have empty
// (CSV) or null (GeoJSON) distance and facility.
func WriteNearest(w io.Writer, format string, n int, row func(i int) NearestRow) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var gw *GeoJSONWriter
	if format == "csv" {
		bw.WriteString("id,distance_m,facility_id\n")
	} else {
		gw = NewGeoJSONWriter(bw)
	}
	buf := make([]byte, 0, 64)
	for i := 0; i < n; i++ {
		r := row(i)
		d := math.Round(r.Distance*10) / 10
		if gw != nil {
			props := Props{{Key: "id", Value: r.ID}, {Key: "distance_m", Value: nil}, {Key: "facility_id", Value: nil}}
			if r.Reached {
				props[1].Value = d
				props[2].Value = r.FacilityID
			}
			if err := gw.Write(r.ID, r.Geometry, props); err != nil {
				return err
			}
			continue
		}
		buf = AppendCSVField(buf[:0], r.ID)
		buf = append(buf, ',')
		if r.Reached {
			buf = strconv.AppendFloat(buf, d, 'f', 1, 64)
			buf = append(buf, ',')
			buf = AppendCSVField(buf, r.FacilityID)
		} else {
			buf = append(buf, ',')
		}
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	if gw != nil {
		if err := gw.Close(); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// AppendCSVField appends s quoted as CSV needs.
func AppendCSVField(b []byte, s string) []byte {
	need := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\n', '\r':
			need = true
		}
	}
	if !need {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}
