package data

import (
	"fmt"
	"strings"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// OutCoords is the extra coordinate system of the point CSVs
// (facilities.csv, demand.csv, proposals.csv, nearest's CSV): "" for none
// (WGS84 only), OutGCJ02 (Amap, Tencent) or OutBD09 (Baidu). The
// GeoJSON layers and audit.gpkg are always WGS84 (RFC 7946; EPSG:4326).
type OutCoords string

// The Chinese web-map coordinate systems a CSV can carry beside WGS84.
const (
	OutGCJ02 OutCoords = "gcj02"
	OutBD09  OutCoords = "bd09"
)

// ParseOutCoords reads an --out-coords value: gcj02 or bd09 (any case),
// or "" / wgs84 for none.
func ParseOutCoords(s string) (OutCoords, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "wgs84":
		return "", nil
	case "gcj02", "gcj-02":
		return OutGCJ02, nil
	case "bd09", "bd-09":
		return OutBD09, nil
	}
	return "", fmt.Errorf("--out-coords %q: want gcj02 (Amap, Tencent) or bd09 (Baidu); GeoJSON and GeoPackage outputs are always WGS84", s)
}

// Columns are the names of the extra longitude and latitude columns:
// lon_gcj02,lat_gcj02 or lon_bd09,lat_bd09 (none for "").
func (o OutCoords) Columns() []string {
	if o == "" {
		return nil
	}
	return []string{"lon_" + string(o), "lat_" + string(o)}
}

// Convert returns the WGS84 point p in o's system (p itself for ""; and
// outside China, where the web maps apply no offset).
func (o OutCoords) Convert(p orb.Point) orb.Point {
	switch o {
	case OutGCJ02:
		return geo.WGS84ToGCJ02(p)
	case OutBD09:
		return geo.GCJ02ToBD09(geo.WGS84ToGCJ02(p))
	}
	return p
}

// Label names the coordinate systems of a CSV with lon/lat columns, as
// the terminal shows it: "WGS84", "WGS84 + GCJ-02 columns".
func (o OutCoords) Label() string {
	switch o {
	case OutGCJ02:
		return "WGS84 + GCJ-02 columns"
	case OutBD09:
		return "WGS84 + BD-09 columns"
	}
	return "WGS84"
}

// appendCoords appends lon, lat (WGS84, 6 decimals: about 0.1 m) and, when
// o is set, the converted pair to row; nil values for a missing point.
func (o OutCoords) appendCoords(row []any, p orb.Point, ok bool) []any {
	if !ok {
		row = append(row, nil, nil)
		if o != "" {
			row = append(row, nil, nil)
		}
		return row
	}
	row = append(row, F(p[0], 6), F(p[1], 6))
	if o != "" {
		q := o.Convert(p)
		row = append(row, F(q[0], 6), F(q[1], 6))
	}
	return row
}

// coordHeader is lon, lat and o's columns.
func (o OutCoords) coordHeader() []string {
	return append([]string{"lon", "lat"}, o.Columns()...)
}

// An OutputFile is one file an audit, proposal or nearest run writes, and
// the coordinate systems it holds ("" when it has no coordinates), for
// the terminal's list of outputs.
type OutputFile struct {
	Name   string
	Coords string
}

// String is the file's line in the terminal: "audit.gpkg (WGS84)".
func (f OutputFile) String() string {
	if f.Coords == "" {
		return f.Name
	}
	return f.Name + " (" + f.Coords + ")"
}
