package postgis

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"
	"github.com/paulmach/orb/encoding/wkb"
)

// SRID is the spatial reference of every stored geometry: WGS84 lon/lat.
const SRID = 4326

// toEWKB encodes g as EWKB with SRID 4326, the form COPY hands to
// PostGIS's binary input for geometry(…, 4326) columns.
func toEWKB(g orb.Geometry) ([]byte, error) {
	if g == nil {
		return nil, fmt.Errorf("no geometry")
	}
	if r, ok := g.(orb.Ring); ok {
		g = orb.Polygon{r}
	}
	return ewkb.Marshal(g, SRID)
}

// fromWKB decodes ST_AsBinary output.
func fromWKB(b []byte) (orb.Geometry, error) {
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("decode geometry: %w", err)
	}
	return g, nil
}
