package study

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// NearestLayers are the facility and point layers of a nearest run, read
// in the background (PrefetchNearestLayers) while the network loads: on
// two cores the layers' parsing hides behind the network's reading.
type NearestLayers struct {
	facilities, points string
	done               chan struct{}
	fl, pl             *data.Layer
	ferr, perr         error
}

// PrefetchNearestLayers starts reading the facility and point layers;
// ReadNearestLayers takes them.
func PrefetchNearestLayers(ctx context.Context, facilities, points string, cs data.CoordSystem) *NearestLayers {
	nl := &NearestLayers{facilities: facilities, points: points, done: make(chan struct{})}
	go func() {
		defer close(nl.done)
		nl.fl, nl.ferr = data.ReadLayer(facilities, data.ReadOptions{Coords: cs, Allow: data.AnyGeom, Stop: ctx.Done()})
		if nl.ferr == nil {
			nl.pl, nl.perr = data.ReadLayer(points, data.ReadOptions{Coords: cs, Allow: data.Points, RequireIDs: true, Stop: ctx.Done()})
		}
	}()
	return nl
}

// ReadNearestLayers waits for the layers PrefetchNearestLayers reads and
// checks them against the network (lon/lat swapped), with the same steps,
// errors and warnings as reading them one after the other.
func ReadNearestLayers(ctx context.Context, net *geo.Network, nl *NearestLayers, p Progress) (fl, pl *data.Layer, err error) {
	p.Step("read facilities")
	<-nl.done
	if nl.ferr != nil {
		return nil, nil, nl.ferr
	}
	fl, pl = nl.fl, nl.pl
	if err := data.CheckSwapped(nl.facilities, fl, net.Bound()); err != nil {
		return nil, nil, err
	}
	p.Done("%d %s", len(fl.Features), pluralFacilities(len(fl.Features)))
	if len(fl.Features) == 0 {
		p.Warn("%s has no features: no point can reach a facility", nl.facilities)
	}
	p.Step("read points")
	if nl.perr != nil {
		return nil, nil, nl.perr
	}
	if err := data.CheckSwapped(nl.points, pl, net.Bound()); err != nil {
		return nil, nil, err
	}
	p.Done("%d points", len(pl.Features))
	return fl, pl, nil
}

// SnapNearest snaps the facilities (search sources) and the points (ok[i]
// is false for a point beyond maxSnap) to the network.
func SnapNearest(ctx context.Context, net *geo.Network, fl, pl *data.Layer, points string, maxSnap float64, p Progress) ([]geo.Source, []geo.Position, []bool, error) {
	p.Step("snap")
	select { // snapping waits for the network's index
	case <-net.SnapIndexReady():
	case <-ctx.Done():
		return nil, nil, nil, ctx.Err()
	}
	geoms := make([]orb.Geometry, len(fl.Features))
	for i, f := range fl.Features {
		geoms[i] = f.Geometry
	}
	srcs, unsnapped := planner.SnapFacilities(net, geoms, maxSnap)
	pts := make([]orb.Point, len(pl.Features))
	for i, f := range pl.Features {
		pt, isPt := f.Geometry.(orb.Point)
		if !isPt {
			return nil, nil, nil, fmt.Errorf("%s: %s is a %s; --points needs one Point per feature — split it into Point features", points, FeatureName(f), f.Geometry.GeoJSONType())
		}
		pts[i] = pt
	}
	pos, ok, err := planner.SnapAllContext(ctx, net, pts, maxSnap)
	if err != nil {
		return nil, nil, nil, err
	}
	far := 0
	for _, o := range ok {
		if !o {
			far++
		}
	}
	p.Done("%d facility access points, %d points beyond --max-snap %.0f m", len(srcs), far, maxSnap)
	if len(unsnapped) > 0 {
		p.Warn("%d of %d facilities are farther than --max-snap %.0f m from any walkable street and are not reachable (first: %s)",
			len(unsnapped), len(fl.Features), maxSnap, FeatureName(fl.Features[unsnapped[0]]))
	}
	return srcs, pos, ok, nil
}

// FeatureName names a layer feature in a message: its index and its name
// or id.
func FeatureName(f data.Feature) string {
	if n, ok := f.Properties["name"].(string); ok && n != "" {
		return fmt.Sprintf("feature %d (%q)", f.Index, n)
	}
	if f.ID != "" {
		return fmt.Sprintf("feature %d (id %q)", f.Index, f.ID)
	}
	return fmt.Sprintf("feature %d", f.Index)
}

func pluralFacilities(n int) string {
	if n == 1 {
		return "facility"
	}
	return "facilities"
}

// ApplyScenario applies the edits saved in the scenario folder dir (none
// when dir is "") to the study's facilities: moved and removed facilities
// are found by id (made unique as serve makes them), so none is counted
// twice.
func (st *Study) ApplyScenario(dir string, p Progress) error {
	if dir == "" {
		return nil
	}
	p.Step("apply scenario")
	sc, err := data.ReadScenarioDir(dir)
	if err != nil {
		return fmt.Errorf("--scenario: %w", err)
	}
	UniqueFacilityIDs(st.In.Facilities)
	facs, err := planner.ApplyEdits(st.In.Facilities, sc.Edits)
	if err != nil {
		return fmt.Errorf("--scenario %s (%q): %w", dir, sc.Name, err)
	}
	st.In.Facilities = facs
	st.Meta.Inputs["scenario"] = dir
	p.Done("%d edits of scenario %q", len(sc.Edits), sc.Name)
	return nil
}

// NearestFormat returns --format for `nearest`: as given (csv or
// geojson), else geojson when out ends in .geojson or .json, else csv.
func NearestFormat(format, out string) (string, error) {
	if format == "" {
		format = "csv"
		low := strings.ToLower(out)
		if strings.HasSuffix(low, ".geojson") || strings.HasSuffix(low, ".json") {
			format = "geojson"
		}
	}
	if format != "csv" && format != "geojson" {
		return "", Invalidf("--format must be csv or geojson, not %q", format)
	}
	return format, nil
}

// WriteNearest writes one row per point of pl, with the id of the facility
// of fl it reaches (at gives the distance, the facility's index and whether
// one is reached), to out atomically, or to stdout when out is "". It
// returns how many points reach a facility.
func WriteNearest(stdout io.Writer, out string, opt data.NearestOptions, fl, pl *data.Layer, at func(i int) (float64, int32, bool)) (reached int, err error) {
	row := func(i int) data.NearestRow {
		f := pl.Features[i]
		r := data.NearestRow{ID: f.ID, Geometry: f.Geometry}
		var l int32
		if r.Distance, l, r.Reached = at(i); r.Reached {
			reached++
			r.FacilityID = fl.Features[l].ID
		}
		return r
	}
	write := func(w io.Writer) error { return data.WriteNearest(w, opt, len(pl.Features), row) }
	if out == "" {
		return reached, write(stdout)
	}
	return reached, data.WriteFileAtomic(out, write)
}
