package study

import (
	"context"
	"github.com/paulmach/orb"

	"github.com/lifecircle/lifecircle/data"
)

// readLayer reads an input layer spec (FILE[#LAYER][@CRS]) with the
// study's default coordinates; the reader's notes (a guessed text
// encoding, a .prj overruled by the @ suffix) become warnings.
func readLayer(in *Inputs, spec string, allow data.GeomKind, p Progress) (*data.Layer, error) {
	return data.ReadLayer(spec, readOptions(in, allow, p))
}

// readOptions are the options every input layer is read with.
func readOptions(in *Inputs, allow data.GeomKind, p Progress) data.ReadOptions {
	return data.ReadOptions{Coords: in.Coords, Allow: allow, Stop: in.stop, Report: func(note string) {
		p.Warn("%s", note)
		in.Warnings = append(in.Warnings, note)
	}}
}

// stopped returns context.Canceled once the reading's context is done.
func (in *Inputs) stopped() error {
	select {
	case <-in.stop:
		return context.Canceled
	default:
		return nil
	}
}

// checkDatum warns when a layer read as WGS84 looks like GCJ-02 or BD-09
// positions (data.DatumHint); layers whose spec names a coordinate
// system, or read with --coords other than wgs84, are taken as given.
func checkDatum(in *Inputs, spec string, n int, geom func(i int) orb.Geometry, p Progress) {
	if _, _, explicit := data.SplitInput(spec); explicit || in.Coords != data.WGS84 || in.Net == nil {
		return
	}
	pts := make([]orb.Point, 0, n)
	for i := 0; i < n; i++ {
		if g := geom(i); g != nil {
			pts = append(pts, g.Bound().Center())
		}
	}
	if w := data.DatumHint(spec, in.Net, pts, in.stop); w != "" {
		p.Warn("%s", w)
		in.Warnings = append(in.Warnings, w)
	}
}
