package study

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// ProposeTypes returns the types a proposal sites: one type (single, with
// the facilities of existing fixed too), several hosted by each site
// ("clinic,elderly:2", with weights), or with specs "" a generic site of
// radius with existing fixed. Each type keeps the study's facilities of
// that type where they are; radius > 0 replaces the types' thresholds.
// For a phased proposal, planned and under-construction facilities that
// open after today are dated: fixed from the phases of their opening year.
func (st *Study) ProposeTypes(specs string, single bool, radius float64, existing []planner.Facility) ([]planner.ProposeType, error) {
	return st.proposeTypes(specs, single, radius, existing, false, time.Now())
}

func (st *Study) proposeTypes(specs string, single bool, radius float64, existing []planner.Facility, phased bool, today time.Time) ([]planner.ProposeType, error) {
	var types []planner.ProposeType
	if specs == "" {
		t := planner.ProposeType{ID: "site", Names: planner.Names{Zh: "新设施", En: "new site"}, Radius: radius, Weight: 1}
		for _, f := range existing {
			t.Existing = append(t.Existing, f.Geometry)
		}
		types = append(types, t)
	}
	prof := st.In.Profile
	for _, spec := range splitNonEmpty(specs) {
		id, w := spec, 1.0
		if i := strings.IndexByte(spec, ':'); i >= 0 {
			id = spec[:i]
			var err error
			w, err = strconv.ParseFloat(spec[i+1:], 64)
			if err != nil || !(w > 0) {
				return nil, Invalidf("--types: weight of %q must be a number > 0", id)
			}
		}
		t, err := prof.Lookup(id)
		if err != nil {
			return nil, Invalidf("unknown amenity type %q; profile %s has: %s", id, prof.ID, strings.Join(prof.TypeIDs(), ", "))
		}
		pt := planner.ProposeType{ID: t.ID, Names: t.Names, Radius: t.Threshold, Weight: w}
		if radius > 0 {
			pt.Radius = radius
		}
		pt.Existing, pt.Dated = st.planFacilities(t.ID, phased, today)
		if single {
			for _, f := range existing {
				pt.Existing = append(pt.Existing, f.Geometry)
			}
		}
		types = append(types, pt)
	}
	return types, nil
}

// planFacilities returns the study's facilities of type typ that a
// proposal keeps where they are: those counted as of the study's --as-of,
// fixed from the start, and for a phased proposal (as of a day) the
// planned and under-construction ones opening after that day, dated by
// their opening year (fixed from the phases of that year on).
func (st *Study) planFacilities(typ string, phased bool, today time.Time) (existing []orb.Geometry, dated []planner.DatedFacility) {
	fs, day := st.In.Facilities, today
	if phased && st.All != nil && !st.asOf.Planned {
		fs, day = st.All, st.asOf.Day
	}
	for _, f := range fs {
		if f.Type != typ {
			continue
		}
		if y, ok := f.PlannedOpening(day); ok && phased && !st.asOf.Planned {
			dated = append(dated, planner.DatedFacility{ID: f.ID, From: y, Geometry: f.Geometry})
		} else if st.All == nil || !phased || st.asOf.Planned || f.CountsAsOf(st.asOf) {
			existing = append(existing, f.Geometry)
		}
	}
	return existing, dated
}

func splitNonEmpty(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// ReadFacilities reads a layer of existing facilities of any geometry
// (propose --facilities).
func ReadFacilities(path string, cs data.CoordSystem) ([]planner.Facility, error) {
	l, err := data.ReadLayer(path, data.ReadOptions{Coords: cs, Allow: data.AnyGeom})
	if err != nil {
		return nil, err
	}
	var fs []planner.Facility
	for _, f := range l.Features {
		fs = append(fs, planner.Facility{ID: f.ID, Geometry: f.Geometry})
	}
	return fs, nil
}

// ReadCandidates reads a layer of candidate sites: points, or polygons
// reached at their boundary (propose --candidates).
func ReadCandidates(path string, cs data.CoordSystem) ([]planner.Candidate, error) {
	l, err := data.ReadLayer(path, data.ReadOptions{Coords: cs, Allow: data.Points | data.Polygons})
	if err != nil {
		return nil, err
	}
	cands := make([]planner.Candidate, 0, len(l.Features))
	for _, f := range l.Features {
		cands = append(cands, planner.Candidate{ID: f.ID, Name: StrProp(f.Properties, "name", "name:zh"), Geometry: f.Geometry})
	}
	if len(cands) == 0 {
		return nil, fmt.Errorf("%s: the candidate layer has no features — give points or polygons of possible sites, or leave --candidates out to generate them", path)
	}
	return cands, nil
}

// ReadDemandPoints reads a layer of points with population, which
// replaces the estimated residents (propose --demand).
func ReadDemandPoints(path string, cs data.CoordSystem) (*planner.Demand, error) {
	pf, err := data.ReadPopulationLayer(path, cs)
	if err != nil {
		return nil, err
	}
	d := &planner.Demand{Source: "demand layer " + path}
	for _, f := range pf {
		pt, ok := f.Geometry.(orb.Point)
		if !ok {
			return nil, fmt.Errorf("%s: feature %s is a %s; --demand needs points with a population", path, f.ID, f.Geometry.GeoJSONType())
		}
		if !(f.Population >= 0) || math.IsInf(f.Population, 0) {
			return nil, fmt.Errorf("%s: feature %s: population %v must be a number ≥ 0", path, f.ID, f.Population)
		}
		d.Points = append(d.Points, pt)
		d.Pop = append(d.Pop, f.Population)
		d.IDs = append(d.IDs, f.ID)
	}
	if len(d.Points) == 0 {
		return nil, fmt.Errorf("%s: no demand points", path)
	}
	return d, nil
}

// ProposeOptions are a proposal's own inputs, as `propose` takes them.
type ProposeOptions struct {
	Type       string // the one type of a single-type proposal ("" with Types)
	Types      string // the types each site hosts: ID[:WEIGHT],…
	Candidates string // candidate layer ("" = generated)
	Demand     string // demand points instead of the study's residents
	Facilities string // more existing facilities of the type
	K          int
	Target     float64
	// Phases is a phase plan "2026:3,2027:5" (planner.ParsePhases); it
	// excludes K and Target.
	Phases    string
	Radius    float64 // metres, 0 = each type's threshold
	Spacing   float64 // metres between generated candidates
	TimeLimit time.Duration
}

// ProposeInput reads a proposal's own layers (in coordinates cs) and
// builds its input from the study: demand (the study's or o.Demand's),
// units, the types with their existing facilities, and the candidates.
func (st *Study) ProposeInput(o ProposeOptions, cs data.CoordSystem, p Progress) (planner.ProposeInput, error) {
	in := planner.ProposeInput{Net: st.In.Net, Demand: st.In.Demand, MaxSnap: st.In.MaxSnap,
		K: o.K, Target: o.Target, TimeLimit: o.TimeLimit, Spacing: o.Spacing}
	if o.Phases != "" {
		if o.K != 0 || o.Target != 0 {
			return in, Invalidf("--phases gives each phase's number of sites: leave out --k and --target")
		}
		var err error
		if in.Phases, err = planner.ParsePhases(o.Phases); err != nil {
			return in, Invalidf("--phases: %v", strings.TrimPrefix(err.Error(), planner.ErrInvalid.Error()+": "))
		}
	}
	if o.Demand != "" {
		p.Step("read demand")
		dem, err := ReadDemandPoints(o.Demand, cs)
		if err != nil {
			return in, err
		}
		in.Demand, st.In.Demand = dem, dem
		p.Done("%d points, %.0f residents", len(dem.Points), dem.Total())
	}
	if err := st.AssignUnits(); err != nil {
		return in, err
	}
	in.Units, in.Assign = st.In.Units, st.In.Assign
	var existing []planner.Facility
	if o.Facilities != "" {
		var err error
		if existing, err = ReadFacilities(o.Facilities, cs); err != nil {
			return in, err
		}
	}
	specs := o.Types
	if o.Type != "" {
		specs = o.Type
	}
	var err error
	if in.Types, err = st.proposeTypes(specs, o.Type != "", o.Radius, existing, len(in.Phases) > 0, time.Now()); err != nil {
		return in, err
	}
	if o.Candidates != "" {
		p.Step("read candidates")
		if in.Candidates, err = ReadCandidates(o.Candidates, cs); err != nil {
			return in, err
		}
		p.Done("%d candidates", len(in.Candidates))
	}
	return in, nil
}

// ExportModel writes the proposal's integer program to path (CPLEX LP
// format, atomically): the maximal covering model with k sites (set
// covering: as many as it chose); for a phased proposal one file per
// phase, PATH with "-phaseN" before the extension, each with the earlier
// phases' sites fixed. It returns the files written.
func ExportModel(path string, res *planner.ProposeResult, k int) ([]string, error) {
	names := make([]string, len(res.Candidates))
	for j, c := range res.Candidates {
		names[j] = c.ID
	}
	if len(res.Phases) == 0 {
		if k == 0 {
			k = len(res.Sites)
		}
		return []string{path}, data.WriteFileAtomic(path, func(w io.Writer) error {
			return planner.WriteLP(w, res.Problem, k, names)
		})
	}
	ext := filepath.Ext(path)
	var files []string
	for pi := range res.Phases {
		f := strings.TrimSuffix(path, ext) + "-phase" + strconv.Itoa(pi+1) + ext
		if err := data.WriteFileAtomic(f, func(w io.Writer) error { return planner.WritePhaseLP(w, res, pi, names) }); err != nil {
			return files, err
		}
		files = append(files, f)
	}
	return files, nil
}
