package planner

import (
	"crypto/sha1"
	"encoding/hex"
	"math"
	"strconv"
	"strings"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// DerivedIDGrid is the side in metres of the grid on which a derived
// facility id rounds the facility's position.
const DerivedIDGrid = 5.0

// DerivedIDPrefix starts every derived facility id.
const DerivedIDPrefix = "auto-"

// DerivedFacilityID returns the id of a facility whose layer gives none
// (DESIGN §2 "Facility status": never its row number): "auto-" and the
// first 10 hex digits of the SHA-1 of "TYPE|NAME|I,J", where NAME is the
// trimmed name and (I, J) the cell of the facility's representative point
// on a grid of DerivedIDGrid metres: J = round(lat / s), I = round(lon ·
// cos(J·s) / s), s = 5 m in degrees of latitude (5 / 111 195). The same
// facility read from a reordered or edited file keeps its id; a facility
// moved by more than a few metres, renamed or retyped gets a new one (diff
// then matches it by name or position). ok is false for a geometry without
// a representative point.
func DerivedFacilityID(typ, name string, g orb.Geometry) (id string, ok bool) {
	p, ok := geo.RepresentativePoint(g)
	if !ok || math.IsNaN(p[0]) || math.IsNaN(p[1]) {
		return "", false
	}
	s := DerivedIDGrid / (math.Pi * geo.EarthRadius / 180)
	j := math.Round(p[1] / s)
	i := math.Round(p[0] * math.Cos(j*s*math.Pi/180) / s)
	key := typ + "|" + strings.TrimSpace(name) + "|" + strconv.FormatFloat(i, 'f', 0, 64) + "," + strconv.FormatFloat(j, 'f', 0, 64)
	sum := sha1.Sum([]byte(key))
	return DerivedIDPrefix + hex.EncodeToString(sum[:5]), true
}
