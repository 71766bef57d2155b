package data

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/lifecircle/lifecircle/data/infile"
	"github.com/lifecircle/lifecircle/geo"
)

// A CoordSystem names the datum of the lon/lat coordinates in an input
// file. Chinese web maps publish GCJ-02 (Amap/Gaode, Tencent) or BD-09
// (Baidu) coordinates; readers convert them to WGS84.
type CoordSystem int

// Coordinate systems accepted by --coords.
const (
	WGS84 CoordSystem = iota // WGS84 lon/lat (GPS, OpenStreetMap); the default
	GCJ02                    // GCJ-02 "Mars" lon/lat (Amap/Gaode, Tencent, Apple in China)
	BD09                     // BD-09 lon/lat (Baidu)
)

// String returns the lower-case name used on the command line.
func (c CoordSystem) String() string {
	switch c {
	case WGS84:
		return "wgs84"
	case GCJ02:
		return "gcj02"
	case BD09:
		return "bd09"
	}
	return "CoordSystem(" + strconv.Itoa(int(c)) + ")"
}

// ParseCoordSystem parses "wgs84", "gcj02" or "bd09" (case-insensitive,
// surrounding spaces and a dash or underscore ignored, e.g. "GCJ-02").
func ParseCoordSystem(s string) (CoordSystem, error) {
	k := strings.ToLower(strings.TrimSpace(s))
	k = strings.NewReplacer("-", "", "_", "").Replace(k)
	switch k {
	case "wgs84", "":
		return WGS84, nil
	case "gcj02":
		return GCJ02, nil
	case "bd09":
		return BD09, nil
	}
	return WGS84, fmt.Errorf("unknown coordinate system %q: use wgs84, gcj02 (Amap/Gaode, Tencent) or bd09 (Baidu)", s)
}

// toWGS84 converts p from c to WGS84.
func (c CoordSystem) toWGS84(p orb.Point) orb.Point {
	switch c {
	case GCJ02:
		return geo.GCJ02ToWGS84(p)
	case BD09:
		return geo.BD09ToWGS84(p)
	}
	return p
}

// A GeomKind is a set of geometry kinds a layer may hold.
type GeomKind int

// Geometry kinds; combine them with |.
const (
	Points   GeomKind = 1 << iota // Point, MultiPoint
	Lines                         // LineString, MultiLineString
	Polygons                      // Polygon, MultiPolygon

	AnyGeom = Points | Lines | Polygons
)

// String lists the kinds in k, e.g. "points or lines".
func (k GeomKind) String() string {
	var names []string
	if k&Points != 0 {
		names = append(names, "points")
	}
	if k&Lines != 0 {
		names = append(names, "lines")
	}
	if k&Polygons != 0 {
		names = append(names, "polygons")
	}
	switch len(names) {
	case 0:
		return "nothing"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// kindOf returns the kind of g, or 0 for geometries readers never produce.
func kindOf(g orb.Geometry) GeomKind {
	switch g.(type) {
	case orb.Point, orb.MultiPoint:
		return Points
	case orb.LineString, orb.MultiLineString:
		return Lines
	case orb.Polygon, orb.MultiPolygon:
		return Polygons
	}
	return 0
}

// A Feature is one record of a layer.
type Feature struct {
	// Index is the 0-based position in the file (for CSV the 0-based data
	// row, not counting the header).
	Index int
	// ID is the feature's "id" member, else its "id" property (or CSV
	// column); numbers are rendered without a fraction ("123"). When the file
	// has none and ids are not required, ID is the 1-based index.
	ID string
	// Numbered reports that the file gave no id and ID is the 1-based
	// index: fine for a unique key within one read, never an identity
	// across versions of the file (amenity layers derive one instead).
	Numbered bool
	// Geometry is in WGS84 lon/lat, after any --coords conversion: Point,
	// MultiPoint, LineString, MultiLineString, Polygon or MultiPolygon.
	Geometry orb.Geometry
	// Properties are the GeoJSON properties as decoded by encoding/json
	// (numbers are float64), or the CSV columns other than lon/lat and id as
	// strings, except population, which is a float64.
	Properties map[string]any
}

// A Layer is the features of one input file, in file order.
type Layer struct {
	Path     string
	Features []Feature
}

// ReadOptions control ReadLayer.
type ReadOptions struct {
	// Coords is the datum of the file's coordinates; they are converted to
	// WGS84 after validation.
	Coords CoordSystem
	// Allow is the set of geometry kinds accepted; 0 means AnyGeom.
	Allow GeomKind
	// RequireIDs makes a feature without an id an error. Otherwise missing
	// ids are set to the 1-based index.
	RequireIDs bool
	// Report, when set, receives notes on how the file was read (a guessed
	// text encoding, a coordinate system given twice); see formats.go.
	Report func(note string)
	// Stop, when closed, ends reading early with an error wrapping
	// context.Canceled (pass a context's Done channel: Ctrl-C).
	Stop <-chan struct{}

	skipIDs bool     // network lines: ids are not used, duplicates allowed
	pop     *popRead // ReadPopulation: a CSV may be read as population features
}

// ReadLayer reads a GeoJSON (.geojson, .json) or CSV (.csv, .txt, .tsv)
// layer — or a Shapefile, GeoPackage or .xlsx sheet, and path may end in
// @CRS (formats.go) — validates every coordinate (finite, lon -180..180, lat -90..90,
// before conversion), converts the coordinates to WGS84 and checks ids.
// Errors name the file, the feature and what to do about it.
func ReadLayer(path string, o ReadOptions) (*Layer, error) {
	l, path, o, done, err := readFormat(path, o) // formats.go: @CRS, .shp, .gpkg, .xlsx
	if done {
		return l, err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".geojson", ".json":
		data, err := readInput(path)
		if err == nil {
			err = o.stopped(path)
		}
		if err != nil {
			return nil, err
		}
		return readGeoJSON(path, data, o)
	case ".csv", ".txt", ".tsv":
		data, err := readInput(path)
		if err == nil {
			err = o.stopped(path)
		}
		if err != nil {
			return nil, err
		}
		return readCSV(path, data, o)
	case "":
		return nil, fmt.Errorf("%s: no file extension: name the file .geojson or .csv so lifecircle knows how to read it", path)
	}
	return nil, fmt.Errorf("%s: unsupported file type %q: convert it to GeoJSON (e.g. ogr2ogr -f GeoJSON -t_srs EPSG:4326 out.geojson %s) or CSV with lon,lat columns",
		path, filepath.Ext(path), filepath.Base(path))
}

// ReadLines reads a walk network from a GeoJSON file of LineString and
// MultiLineString features (WGS84 lon/lat); each part of a MultiLineString
// becomes its own line. Any other geometry is an error naming the feature.
func ReadLines(path string) ([]orb.LineString, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".geojson", ".json":
	default:
		return nil, fmt.Errorf("%s: a network file must be GeoJSON (.geojson) with LineString features — convert it (e.g. ogr2ogr -f GeoJSON -t_srs EPSG:4326 lines.geojson %s) or use --osm", path, filepath.Base(path))
	}
	l, err := ReadLayer(path, ReadOptions{Allow: Lines, skipIDs: true})
	if err != nil {
		return nil, err
	}
	var lines []orb.LineString
	for _, f := range l.Features {
		switch g := f.Geometry.(type) {
		case orb.LineString:
			lines = append(lines, g)
		case orb.MultiLineString:
			lines = append(lines, g...)
		}
	}
	return lines, nil
}

// CheckSwapped returns an error naming path when the layer lies outside
// area (the study area, e.g. the walk network's bound, grown by about
// 2 km) but inside it with longitude and latitude exchanged: the
// coordinates are in range either way, so only the area tells that the
// columns are swapped. Each feature counts by its first position; the
// error needs at least 90 % of them outside and swapped inside.
func CheckSwapped(path string, l *Layer, area orb.Bound) error {
	k := swappedFirst(len(l.Features), func(i int) orb.Geometry { return l.Features[i].Geometry }, area)
	if k.first < 0 {
		return nil
	}
	f := &l.Features[k.first]
	return swappedError(path, k, area, featureRef("feature", f.Index, f.ID, propString(f.Properties, "name")), f.Geometry)
}

// CheckSwappedFunc is CheckSwapped over n features without properties,
// feature(i) giving the id and geometry of the one at index i: no Layer is
// built for a million population points.
func CheckSwappedFunc(path string, n int, feature func(i int) (id string, g orb.Geometry), area orb.Bound) error {
	k := swappedFirst(n, func(i int) orb.Geometry { _, g := feature(i); return g }, area)
	if k.first < 0 {
		return nil
	}
	id, g := feature(k.first)
	return swappedError(path, k, area, featureRef("feature", k.first, id, ""), g)
}

// swapCount is what swappedFirst found: n features with a position,
// swapped of them inside area only with lon and lat exchanged, the first
// of those at index first.
type swapCount struct{ n, swapped, first int }

// swappedFirst counts the features that look swapped; first is -1 when
// they are too few to say so (fewer than 90 %).
func swappedFirst(n int, geom func(i int) orb.Geometry, area orb.Bound) swapCount {
	const pad = swapPad
	area = orb.Bound{Min: orb.Point{area.Min[0] - pad, area.Min[1] - pad}, Max: orb.Point{area.Max[0] + pad, area.Max[1] + pad}}
	k := swapCount{first: -1}
	for i := 0; i < n; i++ {
		p, ok := firstPosition(geom(i))
		if !ok {
			continue
		}
		k.n++
		if area.Contains(p) {
			continue
		}
		if area.Contains(orb.Point{p[1], p[0]}) {
			k.swapped++
			if k.first < 0 {
				k.first = i
			}
		}
	}
	if k.n == 0 || k.swapped*10 < k.n*9 {
		return swapCount{first: -1}
	}
	return k
}

// swapPad widens the study area by ≈ 2 km of latitude (degrees).
const swapPad = 0.02

func swappedError(path string, k swapCount, area orb.Bound, ref string, g orb.Geometry) error {
	const pad = swapPad
	area = orb.Bound{Min: orb.Point{area.Min[0] - pad, area.Min[1] - pad}, Max: orb.Point{area.Max[0] + pad, area.Max[1] + pad}}
	p, _ := firstPosition(g)
	return fmt.Errorf("%s: %d of %d features lie outside the study area (lon %s..%s, lat %s..%s) but inside it with longitude and latitude exchanged — lon/lat look swapped (%s is at %s, %s): swap the columns, longitude (x) first",
		path, k.swapped, k.n, fmtNum(round4(area.Min[0]+pad)), fmtNum(round4(area.Max[0]-pad)), fmtNum(round4(area.Min[1]+pad)), fmtNum(round4(area.Max[1]-pad)),
		ref, fmtNum(p[0]), fmtNum(p[1]))
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// firstPosition returns the first position of g.
func firstPosition(g orb.Geometry) (orb.Point, bool) {
	switch g := g.(type) {
	case orb.Point:
		return g, true
	case orb.MultiPoint:
		if len(g) > 0 {
			return g[0], true
		}
	case orb.LineString:
		if len(g) > 0 {
			return g[0], true
		}
	case orb.MultiLineString:
		if len(g) > 0 && len(g[0]) > 0 {
			return g[0][0], true
		}
	case orb.Polygon:
		if len(g) > 0 && len(g[0]) > 0 {
			return g[0][0], true
		}
	case orb.MultiPolygon:
		if len(g) > 0 && len(g[0]) > 0 && len(g[0][0]) > 0 {
			return g[0][0][0], true
		}
	}
	return orb.Point{}, false
}

// readInput reads a whole input file, turning the usual mistakes into
// errors a user can act on.
func readInput(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFoundError(path)
	}
	if errors.Is(err, syscall.ENAMETOOLONG) {
		return nil, fmt.Errorf("%s: file name too long (%d characters) — check the path", path, len(path))
	}
	if err != nil {
		return nil, fmt.Errorf("read %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory; give the path of a .geojson or .csv file inside it", path)
	}
	data, err := infile.ReadFile(path, "a .geojson or .csv layer")
	if err != nil {
		return nil, readInputError(err)
	}
	if len(bytes.TrimSpace(bytes.TrimPrefix(data, utf8BOM))) == 0 {
		return nil, fmt.Errorf("%s: file is empty — export the layer again (GeoJSON features, or CSV with a header row and lon,lat columns)", path)
	}
	if kind := binaryKind(data); kind != "" {
		return nil, fmt.Errorf("%s: this is %s, not a GeoJSON or CSV layer — export the layer as GeoJSON or as CSV with lon,lat columns (e.g. ogr2ogr -f GeoJSON -t_srs EPSG:4326 out.geojson %s)",
			path, kind, filepath.Base(path))
	}
	return data, nil
}

// binaryKind names the binary formats that users hand over instead of a
// layer (by their magic bytes), or returns "".
func binaryKind(data []byte) string {
	for _, m := range []struct{ magic, kind string }{
		{"\x89PNG\r\n\x1a\n", "a PNG image"},
		{"\xff\xd8\xff", "a JPEG image"},
		{"GIF8", "a GIF image"},
		{"%PDF", "a PDF document"},
		{"PK\x03\x04", "a ZIP archive (an .xlsx workbook or a zipped shapefile?)"},
		{"\xd0\xcf\x11\xe0", "an old Excel (.xls) workbook"},
		{"SQLite format 3\x00", "an SQLite database (a GeoPackage?)"},
		{"\x00\x00\x27\x0a", "an ESRI shapefile (.shp)"},
		{"\x1f\x8b", "a gzip-compressed file"},
	} {
		if bytes.HasPrefix(data, []byte(m.magic)) {
			return m.kind
		}
	}
	return ""
}

// notFoundError is a missing input file; it matches fs.ErrNotExist
// without repeating the cause in the message.
type notFoundError string

func (e notFoundError) Error() string { return string(e) + ": file not found — check the path" }

func (e notFoundError) Is(target error) bool { return target == fs.ErrNotExist }

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// checkUTF8 strips a UTF-8 byte-order mark and rejects text in other
// encodings, which encoding/json and encoding/csv would otherwise read as
// garbled names.
func checkUTF8(path string, data []byte, fix string) ([]byte, error) {
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return nil, fmt.Errorf("%s: file is UTF-16, not UTF-8 — %s", path, fix)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if !utf8.Valid(data) {
		line := 1
		for i := 0; i < len(data); {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			if data[i] == '\n' {
				line++
			}
			i += n
		}
		return nil, fmt.Errorf("%s: file is not UTF-8 (GBK/GB18030?) — %s (first non-UTF-8 text on line %d)", path, fix, line)
	}
	return data, nil
}

// stopped returns an error wrapping context.Canceled, naming path, once
// o.Stop is closed.
func (o ReadOptions) stopped(path string) error {
	if o.Stop == nil {
		return nil
	}
	select {
	case <-o.Stop:
		return fmt.Errorf("%s: reading stopped: %w", path, context.Canceled)
	default:
		return nil
	}
}
