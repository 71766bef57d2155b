package postgis

import (
	"encoding/json"
	"fmt"
	"math"

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

// jf is a float64 that JSON-encodes NaN and ±Inf as null and decodes null
// as NaN, so per-type figures with "no value" survive a trip through jsonb.
type jf float64

func (f jf) MarshalJSON() ([]byte, error) {
	x := float64(f)
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(x)
}

func (f *jf) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = jf(math.NaN())
		return nil
	}
	var x float64
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	*f = jf(x)
	return nil
}
