package planner

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Demand sources, in order of preference (DESIGN §2 "Demand"). The report
// names the one used.
const (
	DemandPopulationLayer = "population layer"
	DemandBuildings       = "residential buildings"
	DemandNetworkSample   = "network sample"
	// DemandUnitCounts: official residents per unit (--unit-population)
	// spread over each unit's residential buildings, else its streets.
	DemandUnitCounts = "official unit counts"
)

// DefaultFloorAreaPerPerson is the residential floor area in m² per
// resident used to turn building floor area into residents.
const DefaultFloorAreaPerPerson = 40.0

// DefaultDemandSampleStep is the spacing in metres of network sample
// points when neither a population layer nor buildings are available.
const DefaultDemandSampleStep = 50.0

// Demand is where residents live: points with a population each.
type Demand struct {
	Source string      // DemandPopulationLayer, DemandBuildings, DemandNetworkSample or DemandUnitCounts
	Points []orb.Point // lon/lat
	Pop    []float64   // residents per point (> 0)
	IDs    []string    // id per point (building/feature id or generated), same length
	// Groups are resident groups read from population-layer columns
	// (age_60_plus, …): residents of the group per point, like Pop; nil
	// when the demand carries none. A type whose Demand names a group is
	// judged by it (GroupWeights).
	Groups map[string][]float64
}

// Total returns the number of residents over all points.
func (d *Demand) Total() float64 {
	var s float64
	for _, p := range d.Pop {
		s += p
	}
	return s
}

// Rescale multiplies every population so that the total equals total (a
// known census figure, > 0). It fails when the demand holds no residents.
func (d *Demand) Rescale(total float64) error {
	if !(total > 0) || math.IsInf(total, 0) {
		return fmt.Errorf("demand: %w: total population %v must be a positive number — check --total-population", ErrInvalid, total)
	}
	cur := d.Total()
	if !(cur > 0) {
		return fmt.Errorf("demand: %w: the %s estimate holds no residents, so it cannot be rescaled to %v", ErrInvalid, d.Source, total)
	}
	f := total / cur
	for i := range d.Pop {
		d.Pop[i] *= f
	}
	for _, g := range d.Groups {
		for i := range g {
			g[i] *= f
		}
	}
	return nil
}

// A Building is a building footprint with its OSM tags.
type Building struct {
	ID       string
	Geometry orb.Geometry // Polygon or MultiPolygon, lon/lat
	Tags     map[string]string
}

// BuildingOptions tune the estimate of residents from buildings.
type BuildingOptions struct {
	// FloorAreaPerPerson is the floor area in m² per resident: required > 0
	// by DemandFromBuildings (DefaultFloorAreaPerPerson is usual), unused by
	// DemandFromPopulation.
	FloorAreaPerPerson float64
	// ResidentialAreas are landuse=residential polygons (lon/lat): any
	// building whose centroid lies inside one counts as residential.
	ResidentialAreas []orb.Geometry
	// DefaultLevels gives the number of levels per building value for
	// buildings without a usable building:levels; entries override the
	// built-in defaults, missing values use them. Built in: house,
	// detached, semidetached_house, bungalow and terrace 2; residential 4;
	// apartments and dormitory 5; "yes" 3, which also applies to any other
	// building counted because it stands in residential landuse.
	DefaultLevels map[string]float64
}

// residentialBuildingTypes are the building values that are residential
// wherever they stand.
var residentialBuildingTypes = []string{"residential", "apartments", "house", "detached", "terrace",
	"semidetached_house", "dormitory", "bungalow"}

// defaultBuildingLevels are the levels assumed per building value when
// building:levels is missing or unreadable. "yes" applies to any other
// building counted because it stands inside residential landuse.
var defaultBuildingLevels = map[string]float64{
	"house": 2, "detached": 2, "semidetached_house": 2, "bungalow": 2, "terrace": 2,
	"apartments": 5, "residential": 4, "dormitory": 5, "yes": 3,
}

// BuildingStats describe a building-based estimate.
type BuildingStats struct {
	Buildings   int     // buildings given
	Residential int     // residential buildings with a footprint (points made)
	WithLevels  int     // of those, how many had a usable building:levels
	FloorArea   float64 // residential floor area in m²
}

// DemandFromBuildings estimates residents from building footprints: each
// residential building (building = residential, apartments, house,
// detached, terrace, semidetached_house, dormitory or bungalow, or any
// building whose centroid lies inside o.ResidentialAreas) becomes one point
// at its footprint centroid with footprint area (m², holes subtracted) ×
// levels ÷ floor area per person residents. Buildings without area (nodes,
// lines, degenerate rings) are skipped. With no residential building the
// demand is empty: the caller falls back to a network sample.
func DemandFromBuildings(bs []Building, o BuildingOptions) (*Demand, BuildingStats, error) {
	fa := o.FloorAreaPerPerson
	if !(fa > 0) || math.IsInf(fa, 0) {
		return nil, BuildingStats{Buildings: len(bs)}, fmt.Errorf("buildings: %w: floor area per person %v m² must be positive, e.g. %v", ErrInvalid, fa, DefaultFloorAreaPerPerson)
	}
	rb, st, err := prepareBuildings(bs, o)
	if err != nil {
		return nil, st, err
	}
	d := &Demand{Source: DemandBuildings,
		Points: make([]orb.Point, len(rb)), Pop: make([]float64, len(rb)), IDs: make([]string, len(rb))}
	for i, b := range rb {
		d.Points[i], d.Pop[i], d.IDs[i] = b.pt, b.floor/fa, b.id
	}
	return d, st, nil
}

// resBuilding is a residential building reduced to what demand needs.
type resBuilding struct {
	id    string
	pt    orb.Point // footprint centroid, lon/lat
	floor float64   // floor area, m²
}

// prepareBuildings keeps the residential buildings with a footprint.
func prepareBuildings(bs []Building, o BuildingOptions) ([]resBuilding, BuildingStats, error) {
	st := BuildingStats{Buildings: len(bs)}
	if fa := o.FloorAreaPerPerson; fa < 0 || math.IsNaN(fa) || math.IsInf(fa, 0) {
		return nil, st, fmt.Errorf("buildings: %w: floor area per person %v m² must be positive", ErrInvalid, fa)
	}
	for k, v := range o.DefaultLevels {
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, st, fmt.Errorf("buildings: %w: default levels for building=%s is %v; it must be positive", ErrInvalid, k, v)
		}
	}
	areas := geo.NewPolyIndex(len(o.ResidentialAreas))
	for i, g := range o.ResidentialAreas {
		areas.Add(int32(i), g)
	}
	type result struct {
		b         resBuilding
		ok        bool
		hasLevels bool
		err       error
	}
	res := make([]result, len(bs))
	parallelRange(len(bs), func(lo, hi int) {
		var q geo.PolyQuery
		for i := lo; i < hi; i++ {
			b := &bs[i]
			kind := strings.TrimSpace(b.Tags["building"])
			if kind == "no" {
				continue
			}
			if kind == "" {
				kind = "yes"
			}
			typed := slices.Contains(residentialBuildingTypes, kind)
			if !typed && areas.Len() == 0 {
				continue
			}
			c, area, err := geo.Footprint(b.Geometry)
			if err != nil {
				res[i].err = fmt.Errorf("buildings: %w: building %d (%s): %v — are the coordinates projected? Reproject to WGS84",
					ErrInvalid, i, buildingName(b.ID), err)
				continue
			}
			if !(area > 0) {
				continue
			}
			if !typed {
				if len(q.Collect(&areas, c)) == 0 {
					continue
				}
			}
			levels, ok := parseLevels(b.Tags["building:levels"])
			if !ok {
				levels = defaultLevels(kind, o.DefaultLevels)
			}
			id := b.ID
			if id == "" {
				id = "b" + strconv.Itoa(i)
			}
			res[i] = result{b: resBuilding{id: id, pt: c, floor: area * levels}, ok: true, hasLevels: ok}
		}
	})
	out := make([]resBuilding, 0, len(bs))
	for i := range res {
		r := &res[i]
		if r.err != nil {
			return nil, st, r.err
		}
		if !r.ok {
			continue
		}
		out = append(out, r.b)
		st.Residential++
		st.FloorArea += r.b.floor
		if r.hasLevels {
			st.WithLevels++
		}
	}
	return out, st, nil
}

func buildingName(id string) string {
	if id == "" {
		return "no id"
	}
	return strconv.Quote(id)
}

// defaultLevels returns the levels assumed for building=kind.
func defaultLevels(kind string, override map[string]float64) float64 {
	if v, ok := override[kind]; ok {
		return v
	}
	if v, ok := defaultBuildingLevels[kind]; ok {
		return v
	}
	if v, ok := override["yes"]; ok {
		return v
	}
	return defaultBuildingLevels["yes"]
}

// maxLevels bounds building:levels; larger values are tagging errors.
const maxLevels = 200

// parseLevels reads building:levels leniently: "5", "5.5", "3,5" (decimal
// comma), "3;4" (several values: the largest). ok is false when no value
// in 0 < levels ≤ 200 can be read.
func parseLevels(s string) (levels float64, ok bool) {
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, ".") {
			part = strings.Replace(part, ",", ".", 1)
		}
		v, err := strconv.ParseFloat(part, 64)
		if err != nil || !(v > 0 && v <= maxLevels) {
			continue
		}
		if v > levels {
			levels, ok = v, true
		}
	}
	return levels, ok
}

// A PopFeature is one feature of a population layer: a point or multipoint
// where Population residents live, or a polygon whose residents are spread
// inside it.
type PopFeature struct {
	ID         string
	Geometry   orb.Geometry
	Population float64
	// Groups are the residents of named groups (population-layer columns
	// such as age_60_plus), spread like Population.
	Groups map[string]float64
}

// DemandFromPopulation turns a population layer into demand. Point features
// are used as they are; a MultiPoint splits its population evenly over its
// points. A Polygon or MultiPolygon spreads its population over the
// residential buildings whose centroid lies inside it, in proportion to
// floor area (area × levels); with none, evenly over the network sample
// points (every DefaultDemandSampleStep metres, net may be nil) inside it;
// with none either, it puts everything at a point inside the polygon.
// Features with zero population are dropped; a negative, NaN or infinite
// population, or a geometry that is neither points nor polygons, is an
// error naming the feature. Point ids are the feature id, with "/" and the
// building id, sample id or point number when a feature is split.
func DemandFromPopulation(fs []PopFeature, buildings []Building, o BuildingOptions, net *geo.Network) (*Demand, error) {
	d, _, err := SpreadPopulation(fs, buildings, o, net)
	return d, err
}

// SpreadPopulation is DemandFromPopulation that also returns, for every
// demand point, the index in fs of the feature it comes from.
func SpreadPopulation(fs []PopFeature, buildings []Building, o BuildingOptions, net *geo.Network) (*Demand, []int, error) {
	var owner []int
	d, err := spreadPopulation(fs, buildings, o, net, &owner)
	return d, owner, err
}

func spreadPopulation(fs []PopFeature, buildings []Building, o BuildingOptions, net *geo.Network, owner *[]int) (*Demand, error) {
	d := &Demand{Source: DemandPopulationLayer,
		Points: make([]orb.Point, 0, len(fs)), Pop: make([]float64, 0, len(fs)), IDs: make([]string, 0, len(fs))}
	var groups []string // every group any feature names
	for _, f := range fs {
		for g := range f.Groups {
			if !slices.Contains(groups, g) {
				groups = append(groups, g)
			}
		}
	}
	if len(groups) > 0 {
		d.Groups = map[string][]float64{}
	}
	var cur PopFeature // the feature being spread
	curIdx := 0
	add := func(p orb.Point, pop float64, id string) {
		*owner = append(*owner, curIdx)
		d.Points = append(d.Points, p)
		d.Pop = append(d.Pop, pop)
		d.IDs = append(d.IDs, id)
		for _, g := range groups {
			// A group is spread like the population: the same share.
			d.Groups[g] = append(d.Groups[g], cur.Groups[g]*pop/cur.Population)
		}
	}
	var (
		bldReady bool
		bld      []resBuilding
		bldTree  rtree.RTreeG[int32]
		smpReady bool
		smp      *Demand
		smpTree  rtree.RTreeG[int32]
		inside   []int32
	)
	for i, f := range fs {
		name := featureName(i, f.ID)
		switch {
		case math.IsNaN(f.Population) || math.IsInf(f.Population, 0):
			return nil, fmt.Errorf("population: %w: feature %d (%s): population %v is not a number", ErrInvalid, i, name, f.Population)
		case f.Population < 0:
			return nil, fmt.Errorf("population: %w: feature %d (%s): population %v is negative — populations must be ≥ 0", ErrInvalid, i, name, f.Population)
		case f.Population > MaxFeaturePopulation:
			return nil, fmt.Errorf("population: %w: feature %d (%s): population %v is more than %v residents — check the population column (a wrong field, or a unit such as thousands)", ErrInvalid, i, name, f.Population, MaxFeaturePopulation)
		case f.Population == 0:
			continue
		}
		if err := popGroups(i, f); err != nil {
			return nil, err
		}
		cur, curIdx = f, i
		id := f.ID
		if id == "" {
			id = "p" + strconv.Itoa(i)
		}
		badCoord := func(q orb.Point) error {
			return fmt.Errorf("population: %w: feature %d (%s): invalid lon/lat %v — are the coordinates projected? Reproject to WGS84",
				ErrInvalid, i, name, q)
		}
		switch g := f.Geometry.(type) {
		case orb.Point:
			if !geo.ValidLonLat(g) {
				return nil, badCoord(g)
			}
			add(g, f.Population, id)
			continue
		case orb.MultiPoint:
			if len(g) == 0 {
				return nil, fmt.Errorf("population: %w: feature %d (%s) is an empty MultiPoint", ErrInvalid, i, name)
			}
			for k, q := range g {
				if !geo.ValidLonLat(q) {
					return nil, badCoord(q)
				}
				add(q, f.Population/float64(len(g)), id+"/"+strconv.Itoa(k))
			}
			continue
		case orb.Polygon, orb.MultiPolygon:
		case nil:
			return nil, fmt.Errorf("population: %w: feature %d (%s) has no geometry — population features must be points or polygons", ErrInvalid, i, name)
		default:
			return nil, fmt.Errorf("population: %w: feature %d (%s) is a %s — population features must be points or polygons",
				ErrInvalid, i, name, g.GeoJSONType())
		}

		c, area, err := geo.Footprint(f.Geometry)
		if err != nil {
			return nil, fmt.Errorf("population: %w: feature %d (%s): %v — are the coordinates projected? Reproject to WGS84", ErrInvalid, i, name, err)
		}
		var shape geo.PolyIndex
		shape.Add(0, f.Geometry)
		bound := f.Geometry.Bound()

		if !bldReady {
			bldReady = true
			bld, _, err = prepareBuildings(buildings, o)
			if err != nil {
				return nil, err
			}
			for k, b := range bld {
				bldTree.Insert(b.pt, b.pt, int32(k))
			}
		}
		inside = geo.PointsInside(&bldTree, &shape, bound, func(k int32) orb.Point { return bld[k].pt }, inside[:0])
		var floor float64
		for _, k := range inside {
			floor += bld[k].floor
		}
		if floor > 0 {
			for _, k := range inside {
				add(bld[k].pt, f.Population*bld[k].floor/floor, id+"/"+bld[k].id)
			}
			continue
		}

		if !smpReady {
			smpReady = true
			var err error
			if smp, err = DemandFromNetwork(net, DefaultDemandSampleStep); err != nil {
				return nil, err
			}
			for k, p := range smp.Points {
				smpTree.Insert(p, p, int32(k))
			}
		}
		inside = geo.PointsInside(&smpTree, &shape, bound, func(k int32) orb.Point { return smp.Points[k] }, inside[:0])
		if len(inside) > 0 {
			for _, k := range inside {
				add(smp.Points[k], f.Population/float64(len(inside)), id+"/"+smp.IDs[k])
			}
			continue
		}

		if area > 0 {
			c = geo.InteriorPoint(f.Geometry, c)
		} else {
			// A degenerate polygon: any of its vertices will do.
			c = orb.Point(bound.Center())
		}
		add(c, f.Population, id)
	}
	return d, nil
}

func featureName(i int, id string) string {
	if id == "" {
		return fmt.Sprintf("no id, #%d", i)
	}
	return strconv.Quote(id)
}

// DemandFromNetwork samples the walk network as stand-in residents, weight
// 1 each: one point at every node (junction or dead end), then along each
// edge in order evenly spaced interior points no more than step metres
// apart; step must be finite and > 0 (DefaultDemandSampleStep is usual).
// A straight 1 km edge sampled every 50 m thus gives 21 points, both ends
// included. The result is deterministic; ids are "s0", "s1", … in point
// order. A nil network gives empty demand.
func DemandFromNetwork(net *geo.Network, step float64) (*Demand, error) {
	if !(step > 0) || math.IsInf(step, 0) {
		return nil, fmt.Errorf("network sample: %w: step %v m must be a positive number of metres, e.g. %v", ErrInvalid, step, DefaultDemandSampleStep)
	}
	d := &Demand{Source: DemandNetworkSample}
	if net == nil {
		return d, nil
	}
	for i := 0; i < net.NumNodes(); i++ {
		d.Points = append(d.Points, net.Node(int32(i)))
	}
	for e := 0; e < net.NumEdges(); e++ {
		ls := net.EdgeGeometry(int32(e))
		seg := make([]float64, len(ls))
		for k := 1; k < len(ls); k++ {
			seg[k] = seg[k-1] + geo.Haversine(ls[k-1], ls[k])
		}
		length := seg[len(seg)-1]
		// Tolerate rounding so that exactly 1000 m gives 20 intervals.
		n := int(math.Ceil(length/step - 1e-9))
		k := 1
		for j := 1; j < n; j++ {
			at := length * float64(j) / float64(n)
			for k < len(ls)-1 && seg[k] < at {
				k++
			}
			a, b := ls[k-1], ls[k]
			t := 0.0
			if l := seg[k] - seg[k-1]; l > 0 {
				t = (at - seg[k-1]) / l
			}
			d.Points = append(d.Points, orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])})
		}
	}
	d.Pop = make([]float64, len(d.Points))
	d.IDs = make([]string, len(d.Points))
	for i := range d.Points {
		d.Pop[i] = 1
		d.IDs[i] = "s" + strconv.Itoa(i)
	}
	return d, nil
}
