package study

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/sample"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// FileSource reads a study's inputs from the files its Settings name:
// an OSM extract (or GeoJSON network), amenity, population and unit
// layers, with the readers of data and data/osm.
type FileSource struct {
	// ForImport reads for `lifecircle import`: also the network's input
	// polylines (Inputs.OSMWays or Lines), and the layers as given, without
	// refusing those whose lon/lat look swapped (the audit refuses them).
	ForImport bool
}

// Resolve does nothing: files store no settings.
func (FileSource) Resolve(context.Context, *Settings, Progress) error { return nil }

// Read reads every input the settings name.
func (f FileSource) Read(ctx context.Context, s Settings, p Progress) (*Inputs, error) {
	if s.Sample {
		path, err := sample.OSMFile()
		if err != nil {
			return nil, err
		}
		s.OSM = path
	}
	cs, err := data.ParseCoordSystem(s.Coords)
	if err != nil {
		return nil, Invalidf("--coords: %v", err)
	}
	prof, err := data.LoadProfile(s.Profile)
	if err != nil {
		return nil, err
	}
	if err := enableTypes(prof, s.Types); err != nil {
		return nil, err
	}
	in := &Inputs{Profile: prof, Coords: cs, Sources: map[string]any{}, Timings: map[string]time.Duration{},
		noPopulationHint: "give --population for real figures", stop: ctx.Done()}
	var pop *popPrefetch
	if s.Population != "" && !s.NoDemand {
		pop = prefetchPopulation(in, s.Population)
	}
	t0 := time.Now()
	if s.OSM != "" {
		err = f.readOSM(ctx, in, s, p)
	} else {
		err = f.readNetwork(in, s, p)
	}
	if err != nil {
		return nil, err
	}
	in.Timings["read_network"] = time.Since(t0)
	if err := f.readAmenities(in, s, p); err != nil {
		return nil, err
	}
	admin, err := readAdmin(ctx, in, s, p)
	if err != nil {
		return nil, err
	}
	if pop != nil {
		if err := f.readPopulation(in, s, pop, p); err != nil {
			return nil, err
		}
	}
	if err := readUnitLayers(in, s, admin, p); err != nil {
		return nil, err
	}
	return in, nil
}

func (f FileSource) readOSM(ctx context.Context, in *Inputs, s Settings, p Progress) error {
	p.Step("read OpenStreetMap")
	o := data.OSMOptions{Profile: in.Profile, Buildings: true, Cache: data.DefaultOSMCache(p.Warn)}
	if s.Sample {
		o.Source = sample.SourceName
	}
	osmIn, err := data.ReadOSMInputs(ctx, s.OSM, o, p.OSM("read OpenStreetMap"))
	if err != nil {
		return err
	}
	in.Net, in.NetInfo = osmIn.Net, osmIn.NetInfo
	in.Facilities = osmIn.Facilities
	in.Buildings, in.ResidentialAreas = osmIn.Buildings, osmIn.ResidentialAreas
	for _, w := range osmIn.Warnings {
		p.Warn("%s", w)
		in.Warnings = append(in.Warnings, w)
	}
	in.Sources["osm"] = s.OSM
	if s.Sample {
		in.Sources["osm"] = sample.Name
	}
	if f.ForImport {
		in.OSMWays, err = data.ReadWalkableWays(ctx, s.OSM, p.OSM("read OpenStreetMap ways"))
		if err != nil {
			return err
		}
		p.Done("%d walkable ways, %d amenities, %d buildings", len(in.OSMWays), len(in.Facilities), len(in.Buildings))
		return nil
	}
	p.Done("%d nodes, %d edges, %.1f km of walkable street; %d amenities, %d buildings%s",
		in.NetInfo.Nodes, in.NetInfo.Edges, in.NetInfo.LengthKm, len(in.Facilities), len(in.Buildings), data.CacheNote(osmIn.FromCache))
	warnNodeIDs(p, s.OSM, in.NetInfo)
	return nil
}

func (f FileSource) readNetwork(in *Inputs, s Settings, p Progress) error {
	p.Step("read network")
	var err error
	in.Net, in.NetInfo, err = data.ReadLineNetwork(s.Network)
	if err != nil {
		return err
	}
	in.Sources["network"] = s.Network
	if f.ForImport {
		if in.Lines, err = data.ReadLines(s.Network); err != nil {
			return err
		}
		p.Done("%d lines", len(in.Lines))
		return nil
	}
	p.Done("%d nodes, %d edges, %.1f km", in.NetInfo.Nodes, in.NetInfo.Edges, in.NetInfo.LengthKm)
	return nil
}

func (f FileSource) readAmenities(in *Inputs, s Settings, p Progress) error {
	if len(s.Amenities) == 0 {
		return nil
	}
	p.Step("read amenity layers")
	n := 0
	for _, path := range s.Amenities {
		l, err := readLayer(in, path, data.AnyGeom, p)
		if err != nil {
			return err
		}
		if err := in.stopped(); err != nil {
			return err
		}
		fs, derived, err := data.AmenitiesFromLayer(l, in.Profile)
		if err != nil {
			return err
		}
		if w, ok := planner.DerivedIDs(filepath.Base(path), derived, len(fs), append([]string{"id"}, data.AmenityIDColumns...)); ok {
			p.Warn("%s", w.En)
			in.Warnings = append(in.Warnings, w.En)
			in.WarningDetails = append(in.WarningDetails, w)
		}
		checkDatum(in, path, len(fs), func(i int) orb.Geometry { return fs[i].Geometry }, p)
		if !f.ForImport {
			if err := checkSwapped(path, in.Net, len(fs), func(i int) (string, orb.Geometry) { return fs[i].ID, fs[i].Geometry }); err != nil {
				return err
			}
		}
		in.Facilities = append(in.Facilities, fs...)
		n += len(fs)
	}
	in.Sources["amenities"] = s.Amenities
	p.Done("%d amenities from %d file(s)", n, len(s.Amenities))
	return nil
}

// popPrefetch is the population layer read in the background while the
// network loads (the two take about as long on a 1,000,000-point city,
// and each leaves a core idle part of the time); its notes wait for the
// step they belong to.
type popPrefetch struct {
	done  chan struct{}
	pf    []planner.PopFeature
	err   error
	mu    sync.Mutex
	notes []string
}

func prefetchPopulation(in *Inputs, spec string) *popPrefetch {
	pp := &popPrefetch{done: make(chan struct{})}
	o := readOptions(in, data.Points|data.Polygons, nil)
	o.Report = func(note string) { // kept for the step: the network's step is on screen meanwhile
		pp.mu.Lock()
		pp.notes = append(pp.notes, note)
		pp.mu.Unlock()
	}
	groups := in.Profile.DemandGroups()
	go func() {
		defer close(pp.done)
		pp.pf, pp.err = data.ReadPopulation(spec, o, groups...)
	}()
	return pp
}

func (f FileSource) readPopulation(in *Inputs, s Settings, pop *popPrefetch, p Progress) error {
	p.Step("read population")
	<-pop.done
	for _, note := range pop.notes {
		p.Warn("%s", note)
		in.Warnings = append(in.Warnings, note)
	}
	pf, err := pop.pf, pop.err
	if err != nil {
		return err
	}
	if err := in.stopped(); err != nil {
		return err
	}
	if !f.ForImport {
		if err := checkSwapped(s.Population, in.Net, len(pf), func(i int) (string, orb.Geometry) { return pf[i].ID, pf[i].Geometry }); err != nil {
			return err
		}
	}
	if err := in.stopped(); err != nil {
		return err
	}
	checkDatum(in, s.Population, len(pf), func(i int) orb.Geometry { return pf[i].Geometry }, p)
	if err := in.stopped(); err != nil {
		return err
	}
	in.Population, in.PopulationSource = pf, s.Population
	in.Sources["population"] = s.Population
	p.Done("%d features", len(pf))
	return nil
}

// readAdmin reads the extract's administrative units (--units-osm).
func readAdmin(ctx context.Context, in *Inputs, s Settings, p Progress) ([]planner.Unit, error) {
	if s.UnitsOSM == "" {
		return nil, nil
	}
	levels, err := data.ParseAdminLevels(s.UnitsOSM)
	if err != nil {
		return nil, Invalidf("--units-osm %v", err)
	}
	p.Step("read administrative units")
	admin, warns, err := data.ReadAdminUnits(ctx, s.OSM, levels, p.OSM("read administrative units"))
	for _, w := range warns {
		p.Warn("%s", w)
		in.Warnings = append(in.Warnings, w)
	}
	if err != nil {
		return nil, err
	}
	p.Done("%d units at admin_level %s", len(admin), strings.TrimPrefix(s.UnitsOSM, "admin_level="))
	return admin, nil
}

// readUnitLayers reads the unit layers ([LEVEL=]FILE) and puts them with
// the administrative units, each with its level: a file's LEVEL, else its
// features' level, else (with several layers) the file's base name.
func readUnitLayers(in *Inputs, s Settings, admin []planner.Unit, p Progress) error {
	if len(s.Units) == 0 && s.UnitsOSM == "" {
		return nil
	}
	p.Step("read units")
	var all []planner.Unit
	var files []string
	for _, spec := range s.Units {
		level, path := splitUnitSpec(spec)
		units, err := readUnits(in, path, p)
		if err != nil {
			return err
		}
		for i := range units {
			if level != "" {
				units[i].Level = level
			} else if units[i].Level == "" && len(s.Units)+min(len(admin), 1) > 1 {
				units[i].Level = strings.TrimSuffix(filepath.Base(data.InputPath(path)), filepath.Ext(data.InputPath(path)))
			}
		}
		all = append(all, units...)
		files = append(files, path)
	}
	in.Units = append(all, admin...)
	in.hierarchyLabel = strings.Join(files, ", ")
	if s.UnitsOSM != "" {
		in.hierarchyLabel = strings.Join(append(files, s.UnitsOSM), ", ")
	}
	in.UnitsSource = strings.Join(files, ", ")
	if s.UnitsOSM != "" {
		if in.UnitsSource != "" {
			in.UnitsSource += ", "
		}
		in.UnitsSource += "OSM " + s.UnitsOSM
	}
	in.overlapLabel = in.UnitsSource
	p.Done("%d units", len(in.Units))
	return nil
}

// readUnits reads a polygon layer of analysis units.
func readUnits(in *Inputs, path string, p Progress) ([]planner.Unit, error) {
	l, err := readLayer(in, path, data.Polygons, p)
	if err != nil {
		if errors.Is(err, data.ErrGeometryKind) {
			return nil, fmt.Errorf("%w (--units needs polygons: grids, communities or subdistricts)", err)
		}
		return nil, err
	}
	units := make([]planner.Unit, len(l.Features))
	for i, f := range l.Features {
		units[i] = planner.Unit{
			ID:       f.ID,
			Name:     StrProp(f.Properties, "name", "name:zh", "名称"),
			Parent:   StrProp(f.Properties, "parent", "parent_id"),
			Level:    StrProp(f.Properties, "level"),
			Geometry: f.Geometry,
		}
	}
	if err := planner.ValidateUnits(path, units); err != nil {
		return nil, err
	}
	return units, nil
}

// StrProp returns the first non-empty property of keys, as text.
func StrProp(props map[string]any, keys ...string) string {
	for _, k := range keys {
		if v, ok := props[k]; ok && v != nil {
			s := fmt.Sprint(v)
			if s != "" {
				return s
			}
		}
	}
	return ""
}

// checkSwapped refuses a layer of n features whose lon/lat look exchanged
// relative to the walk network's area (data.CheckSwapped): such a layer
// would otherwise run with every feature silently unreachable.
func checkSwapped(path string, net *geo.Network, n int, feature func(i int) (id string, g orb.Geometry)) error {
	return data.CheckSwappedFunc(path, n, feature, net.Bound())
}
