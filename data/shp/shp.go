package shp

import (
	"errors"
	"fmt"
	"github.com/lifecircle/lifecircle/data/infile"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/lifecircle/lifecircle/data/crs"
	"github.com/paulmach/orb"
)

// A Feature is one record of a Shapefile: its shape and its attributes.
type Feature struct {
	// Record is the 1-based record number in the .shp and .dbf files.
	Record int
	// Geometry is in the file's own coordinates: orb.Point, MultiPoint,
	// LineString, MultiLineString, Polygon or MultiPolygon (outer rings
	// counter-clockwise, holes clockwise), or nil for a Null shape.
	Geometry orb.Geometry
	// Properties are the .dbf attributes by field name: string for text,
	// int64 or float64 for numbers, bool for logicals, "YYYY-MM-DD" for
	// dates, nil for a blank value.
	Properties map[string]any
}

// A Layer is the features of one Shapefile, in record order (deleted .dbf
// records left out), with the coordinate system and the text encoding.
type Layer struct {
	Path     string
	Fields   []Field
	Features []Feature
	// CRS is the coordinate system of the .prj when HasCRS; without a .prj
	// the caller decides (HasCRS false, CRS the zero value, WGS84).
	CRS    crs.CRS
	HasCRS bool
	// Encoding is the text encoding of the .dbf ("UTF-8", "GBK", …): from the
	// .cpg, else from the .dbf header's language driver, else guessed
	// (EncodingGuessed): UTF-8 when all text is valid UTF-8, otherwise GBK.
	Encoding        string
	EncodingGuessed bool
}

// The fix named by every error about missing files.
const copyAll = "copy all the files of the shapefile: .shp, .shx, .dbf, .prj (and .cpg if there is one)"

// Read reads a Shapefile: path names the .shp; the .dbf beside it is
// required, the .prj and .cpg are read when present (the .shx is not needed:
// records are read in order from the .shp). Geometries stay in the file's
// coordinates; see ReadWGS84 to convert them.
func Read(path string) (*Layer, error) {
	if !strings.EqualFold(filepath.Ext(path), ".shp") {
		return nil, fmt.Errorf("%s: a Shapefile is read from its .shp file", path)
	}
	shpData, err := infile.ReadFile(path, "a Shapefile's .shp file")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: file not found — check the path", path)
		}
		return nil, fmt.Errorf("shp: %w", err)
	}
	dbfPath, dbfData, err := sibling(path, ".dbf")
	if err != nil {
		return nil, err
	}
	if dbfData == nil {
		return nil, fmt.Errorf("%s: %s is missing: the attributes of a shapefile are in its .dbf — %s", path, filepath.Base(dbfPath), copyAll)
	}
	l := &Layer{Path: path}
	prjPath, prj, err := sibling(path, ".prj")
	if err != nil {
		return nil, err
	}
	if prj != nil {
		c, err := crs.FromWKT(string(prj))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", prjPath, err)
		}
		l.CRS, l.HasCRS = c, true
	}
	_, cpg, err := sibling(path, ".cpg")
	if err != nil {
		return nil, err
	}

	geoms, err := decodeSHP(path, shpData)
	if err != nil {
		return nil, err
	}
	table, err := decodeDBF(dbfPath, dbfData, string(cpg), cpg != nil)
	if err != nil {
		return nil, err
	}
	if len(table.records) != len(geoms) {
		return nil, fmt.Errorf("%s has %d records but %s has %d: the two files are from different versions of the layer — %s",
			path, len(geoms), filepath.Base(dbfPath), len(table.records), copyAll)
	}
	l.Fields = table.fields
	l.Encoding, l.EncodingGuessed = table.encoding, table.guessed
	l.Features = make([]Feature, 0, len(geoms))
	for i, g := range geoms {
		if table.records[i] == nil {
			continue // deleted in the .dbf
		}
		l.Features = append(l.Features, Feature{Record: i + 1, Geometry: g, Properties: table.records[i]})
	}
	return l, nil
}

// ReadWGS84 reads a Shapefile and converts its geometries to WGS84 lon/lat:
// from the .prj's coordinate system, or from def when there is no .prj.
// Errors name the file and the record.
func ReadWGS84(path string, def crs.CRS) (*Layer, error) {
	l, err := Read(path)
	if err != nil {
		return nil, err
	}
	from := def
	if l.HasCRS {
		from = l.CRS
	}
	if err := l.Convert(from); err != nil {
		return nil, err
	}
	return l, nil
}

// Convert converts every geometry from c to WGS84 in place and sets the
// layer's CRS to WGS84.
func (l *Layer) Convert(c crs.CRS) error {
	if c != crs.WGS84 {
		for i := range l.Features {
			f := &l.Features[i]
			g, err := c.Geometry(f.Geometry)
			if err != nil {
				return fmt.Errorf("%s: record %d: %w", l.Path, f.Record, err)
			}
			f.Geometry = g
		}
	} else {
		for _, f := range l.Features {
			if err := checkLonLat(f.Geometry); err != nil {
				return fmt.Errorf("%s: record %d: %w — are the coordinates projected? Give the layer's coordinate system (a .prj, or its EPSG code)", l.Path, f.Record, err)
			}
		}
	}
	l.CRS, l.HasCRS = crs.WGS84, true
	return nil
}

// checkLonLat fails on the first position outside lon/lat range.
func checkLonLat(g orb.Geometry) error {
	if g == nil {
		return nil
	}
	var bad error
	check := func(p orb.Point) {
		if bad == nil && (p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90) {
			bad = fmt.Errorf("position (%v, %v) is not lon/lat", p[0], p[1])
		}
	}
	switch g := g.(type) {
	case orb.Point:
		check(g)
	case orb.MultiPoint:
		for _, p := range g {
			check(p)
		}
	case orb.LineString:
		for _, p := range g {
			check(p)
		}
	case orb.MultiLineString:
		for _, l := range g {
			for _, p := range l {
				check(p)
			}
		}
	case orb.Polygon:
		for _, r := range g {
			for _, p := range r {
				check(p)
			}
		}
	case orb.MultiPolygon:
		for _, pg := range g {
			for _, r := range pg {
				for _, p := range r {
					check(p)
				}
			}
		}
	}
	return bad
}

// sibling reads the file beside path with extension ext (either case, as
// shapefiles copied from Windows often have .DBF); nil data when absent.
// It returns the path it read, or the lower-case path when absent.
func sibling(path, ext string) (string, []byte, error) {
	base := strings.TrimSuffix(path, filepath.Ext(path))
	for _, e := range []string{ext, strings.ToUpper(ext)} {
		p := base + e
		data, err := infile.ReadFile(p, "a Shapefile's companion file")
		if err == nil {
			return p, data, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return p, nil, fmt.Errorf("shp: %w", err)
		}
	}
	return base + ext, nil, nil
}
