package data

import (
	"io"

	"github.com/lifecircle/lifecircle/planner"
)

// demandEncoder appends the features of demand.geojson straight from the
// audit's arrays: the bytes of AppendFeature(b, nil, point,
// DemandProps(…)) (TestDemandEncoderMatchesProps) without building and
// boxing a Props per point — a million points are most of an audit's
// output.
type demandEncoder struct {
	in   planner.AuditInput
	res  *planner.AuditResult
	keys [][]byte // `,"dist_T":` per type, encoded once
	// units[unitAt[u]:unitAt[u+1]] is unit u's id as JSON (null for
	// none), encoded once: the points of a unit repeat it, and looking it
	// up in in.Units (large structs, in no order) was a cache miss each.
	units  []byte
	unitAt []int
}

func newDemandEncoder(in planner.AuditInput, res *planner.AuditResult) *demandEncoder {
	e := &demandEncoder{in: in, res: res}
	for _, t := range in.Profile.Types {
		k := appendString([]byte{','}, "dist_"+t.ID)
		e.keys = append(e.keys, append(k, ':'))
	}
	if in.Assign != nil {
		e.unitAt = make([]int, 1, len(in.Units)+1)
		for _, u := range in.Units {
			if u.ID != "" {
				e.units = appendString(e.units, u.ID)
			} else {
				e.units = append(e.units, "null"...)
			}
			e.unitAt = append(e.unitAt, len(e.units))
		}
	}
	return e
}

// append appends demand point i's feature to b; on error (a coordinate
// that is not a finite number) b is returned unchanged.
func (e *demandEncoder) append(b []byte, i int) ([]byte, error) {
	d := e.in.Demand
	out := append(b, `{"type":"Feature","geometry":{"type":"Point","coordinates":`...)
	out, err := appendPosition(out, d.Points[i])
	if err != nil {
		return b, err
	}
	out = append(out, `},"properties":{"id":`...)
	out = appendString(out, d.IDs[i])
	out = append(out, `,"population":`...)
	out = appendFloat(out, float64(Round(d.Pop[i], 2)), 64)
	out = append(out, `,"unit_id":`...)
	if a := e.in.Assign; a != nil && a[i] >= 0 {
		out = append(out, e.units[e.unitAt[a[i]]:e.unitAt[a[i]+1]]...)
	} else {
		out = append(out, "null"...)
	}
	for ti, k := range e.keys {
		out = append(out, k...)
		out = appendFloat(out, float64(Round(e.res.Dist[ti][i], 1)), 64)
	}
	return append(out, "}}"...), nil
}

func writeDemand(w io.Writer, in planner.AuditInput, res *planner.AuditResult) error {
	e := newDemandEncoder(in, res)
	return writeFeatureChunks(w, len(in.Demand.Points), func() featureEncoder { return e.append })
}
