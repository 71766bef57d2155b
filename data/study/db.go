package study

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/postgis"
	"github.com/lifecircle/lifecircle/planner"
)

// DBSource reads a project stored in PostgreSQL/PostGIS by Import: the
// same inputs, in the same order, as FileSource reads from the files, so
// the audit computes the same figures. Its stored parameters are laid
// over the settings under the flags the user set.
type DBSource struct {
	Store *postgis.Store
	Name  string // the project's name in the database

	proj *postgis.Project
	t0   time.Time
}

// Project returns the stored project, once Resolve has read it.
func (d *DBSource) Project() *postgis.Project { return d.proj }

// Resolve reads the project and lays its stored parameters and
// coordinate system over s.
func (d *DBSource) Resolve(ctx context.Context, s *Settings, p Progress) error {
	p.Step("read project " + d.Name)
	d.t0 = time.Now()
	proj, err := d.Store.LoadProject(ctx, d.Name)
	if err != nil {
		return err
	}
	d.proj = proj
	set := proj.Settings
	s.Project = d.Name
	s.Overlay(&data.Project{Cell: set.Cell, MaxSnap: set.MaxSnap, MaxDistance: set.MaxDistance,
		FloorArea: set.FloorArea, TotalPopulation: set.TotalPopulation})
	s.Coords = "wgs84"
	if _, err := data.ParseCoordSystem(set.Coords); err == nil && set.Coords != "" {
		s.Coords = set.Coords
	}
	return nil
}

// Read builds the stored network and returns the stored layers.
func (d *DBSource) Read(ctx context.Context, s Settings, p Progress) (*Inputs, error) {
	proj := d.proj
	if proj == nil {
		return nil, fmt.Errorf("study: DBSource.Read before Resolve")
	}
	net, err := proj.Network.Build()
	if err != nil {
		return nil, fmt.Errorf("project %s: %w", d.Name, err)
	}
	cs, err := data.ParseCoordSystem(s.Coords)
	if err != nil {
		return nil, Invalidf("--coords: %v", err)
	}
	for _, id := range s.Types {
		if _, on := proj.Profile.Type(id); !on {
			if !slices.ContainsFunc(proj.Profile.Off, func(t planner.AmenityType) bool { return t.ID == id }) {
				return nil, enableTypes(proj.Profile, []string{id}) // names the profile's types
			}
			return nil, Invalidf("--types %s: project %s was imported without type %s, so it stores none of its facilities — re-import with --types %s", id, d.Name, id, id)
		}
	}
	in := &Inputs{Profile: proj.Profile, Coords: cs, Net: net, NetInfo: proj.Network.Info,
		Facilities: append([]planner.Facility(nil), proj.Facilities...),
		Buildings:  proj.Buildings, ResidentialAreas: proj.ResidentialAreas,
		Population: proj.Population, PopulationSource: proj.PopulationSource,
		Units:            proj.Units,
		noPopulationHint: "import a --population layer for real figures",
	}
	if len(proj.Units) > 0 {
		in.UnitsSource = proj.UnitsSource
		if in.UnitsSource == "" {
			in.UnitsSource = "units of project " + proj.Name
		}
	}
	in.Sources = map[string]any{"database": d.Store.Target(), "project": d.Name,
		"imported": proj.Imported.UTC().Format(time.RFC3339)}
	for k, v := range proj.Settings.Sources {
		if k != "units" && k != "layers" {
			in.Sources[k] = v
		}
	}
	in.Timings = map[string]time.Duration{"read_database": time.Since(d.t0)}
	p.Done("%d nodes, %d edges; %d amenities, %d buildings, %d units (imported %s)", net.NumNodes(), net.NumEdges(),
		len(proj.Facilities), len(proj.Buildings), len(proj.Units), proj.Imported.Local().Format("2006-01-02 15:04"))
	return in, nil
}

// Import reads the inputs that s names, as an audit reads them but before
// any estimate, and returns them as project name for postgis.Store.Import;
// layers are other layers shared for viewing. The database keeps the raw
// layers, so every audit from it computes what a file-based audit computes.
func Import(ctx context.Context, s Settings, layers []string, name string, p Progress) (*postgis.Project, error) {
	if p == nil {
		p = NoProgress{}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	in, err := FileSource{ForImport: true}.Read(ctx, s, p)
	if err != nil {
		return nil, err
	}
	sources := in.Sources
	proj := &postgis.Project{Name: name, Profile: in.Profile, Settings: postgis.Settings{
		Cell: s.Cell, MaxSnap: s.MaxSnap, MaxDistance: s.MaxDistance, FloorArea: s.FloorArea,
		TotalPopulation: s.TotalPopulation, Coords: s.Coords, Sources: sources,
	}}
	proj.Network = postgis.Network{Info: in.NetInfo, Ways: postgis.OSMWays(in.OSMWays)}
	if s.Network != "" {
		proj.Network.Ways = postgis.LineWays(in.Lines)
	}
	proj.Facilities = in.Facilities
	proj.Buildings, proj.ResidentialAreas = in.Buildings, in.ResidentialAreas
	proj.Population, proj.PopulationSource = in.Population, in.PopulationSource
	if len(s.Units) > 0 || s.UnitsOSM != "" {
		proj.Units, proj.UnitsSource = in.Units, in.UnitsSource
		sources["units"] = in.UnitsSource
	}
	for _, path := range layers {
		p.Step("read layer " + filepath.Base(path))
		l, err := data.ReadLayer(path, data.ReadOptions{Coords: in.Coords})
		if err != nil {
			return nil, err
		}
		proj.Layers = append(proj.Layers, postgis.Layer{Name: filepath.Base(path), Source: path, Features: l.Features})
		p.Done("%d features", len(l.Features))
	}
	if len(layers) > 0 {
		sources["layers"] = layers
	}
	return proj, nil
}
