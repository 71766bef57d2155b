package data

import (
	"io"

	"github.com/lifecircle/lifecircle/planner"
)

// unitEncoder appends the features of cells.geojson (units.geojson) from
// each unit's figures: the bytes of AppendFeature(b, id, geometry,
// UnitProps(…)) (TestUnitEncoderMatchesProps) without building and boxing
// the forty-odd properties of each of 100,000 cells.
type unitEncoder struct {
	in   planner.AuditInput
	res  *planner.AuditResult
	keys []unitKeys // per type, encoded once
}

// unitKeys are a type's property keys, each encoded with its leading
// comma and trailing colon.
type unitKeys struct {
	covered, coverage, gap, unreachable, overCapacity, distMean, distP90 []byte
}

func key(k string) []byte { return append(appendString([]byte{','}, k), ':') }

func newUnitEncoder(in planner.AuditInput, res *planner.AuditResult) *unitEncoder {
	e := &unitEncoder{in: in, res: res}
	for _, t := range in.Profile.Types {
		e.keys = append(e.keys, unitKeys{key("covered_" + t.ID), key("coverage_" + t.ID), key("gap_" + t.ID),
			key("unreachable_" + t.ID), key("over_capacity_" + t.ID), key("dist_" + t.ID + "_mean"), key("dist_" + t.ID + "_p90")})
	}
	return e
}

// append appends unit u's feature to b; on error (a coordinate that is
// not a finite number) b is returned unchanged.
func (e *unitEncoder) append(b []byte, u int) ([]byte, error) {
	unit := e.in.Units[u]
	out := append(b, `{"type":"Feature","id":`...)
	out = appendString(out, unit.ID)
	out = append(out, `,"geometry":`...)
	out, err := appendGeometry(out, unit.Geometry)
	if err != nil {
		return b, err
	}
	p := NewUnitProperties(e.in, e.res, u)
	out = append(out, `,"properties":{"unit_id":`...)
	out = appendString(out, p.UnitID)
	for _, kv := range [...]struct{ k, v string }{{`,"name":`, p.Name}, {`,"parent":`, p.Parent}, {`,"level":`, p.Level}} {
		if kv.v != "" {
			out = append(out, kv.k...)
			out = appendString(out, kv.v)
		}
	}
	out = append(out, `,"population":`...)
	out = appendFloat(out, float64(p.Population), 64)
	for ti, t := range p.Types {
		k := &e.keys[ti]
		out = appendFloat(append(out, k.covered...), float64(t.Covered), 64)
		out = appendReal(append(out, k.coverage...), float64(t.Coverage))
		out = appendFloat(append(out, k.gap...), float64(t.Gap), 64)
		out = appendFloat(append(out, k.unreachable...), float64(t.Unreachable), 64)
		if t.OverCapacity != nil {
			out = appendFloat(append(out, k.overCapacity...), float64(*t.OverCapacity), 64)
		}
		out = appendFloat(append(out, k.distMean...), float64(t.DistMean), 64)
		out = appendFloat(append(out, k.distP90...), float64(t.DistP90), 64)
	}
	out = appendReal(append(out, `,"completeness":`...), float64(p.Completeness))
	out = appendReal(append(out, `,"fully_served":`...), float64(p.FullyServed))
	return append(out, "}}"...), nil
}

func writeUnits(w io.Writer, in planner.AuditInput, res *planner.AuditResult) error {
	e := newUnitEncoder(in, res)
	return writeFeatureChunks(w, len(in.Units), func() featureEncoder { return e.append })
}
