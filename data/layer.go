package data

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"

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

	skipIDs bool // network lines: ids are not used, duplicates allowed
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
		if err != nil {
			return nil, err
		}
		return readGeoJSON(path, data, o)
	case ".csv", ".txt", ".tsv":
		data, err := readInput(path)
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
	const pad = 0.02 // degrees, ≈ 2 km of latitude
	area = orb.Bound{Min: orb.Point{area.Min[0] - pad, area.Min[1] - pad}, Max: orb.Point{area.Max[0] + pad, area.Max[1] + pad}}
	n, swapped := 0, 0
	var first *Feature
	for i := range l.Features {
		p, ok := firstPosition(l.Features[i].Geometry)
		if !ok {
			continue
		}
		n++
		if area.Contains(p) {
			continue
		}
		if area.Contains(orb.Point{p[1], p[0]}) {
			swapped++
			if first == nil {
				first = &l.Features[i]
			}
		}
	}
	if n == 0 || swapped*10 < n*9 {
		return nil
	}
	p, _ := firstPosition(first.Geometry)
	return fmt.Errorf("%s: %d of %d features lie outside the study area (lon %s..%s, lat %s..%s) but inside it with longitude and latitude exchanged — lon/lat look swapped (%s is at %s, %s): swap the columns, longitude (x) first",
		path, swapped, n, fmtNum(round4(area.Min[0]+pad)), fmtNum(round4(area.Max[0]-pad)), fmtNum(round4(area.Min[1]+pad)), fmtNum(round4(area.Max[1]-pad)),
		featureRef("feature", first.Index, first.ID, propString(first.Properties, "name")), fmtNum(p[0]), fmtNum(p[1]))
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
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %w", err)
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

// featureRef names a feature in an error: `feature 17 ("Clinic A")`.
func featureRef(noun string, n int, id, name string) string {
	switch {
	case name != "":
		return fmt.Sprintf("%s %d (%q)", noun, n, name)
	case id != "":
		return fmt.Sprintf("%s %d (id %q)", noun, n, id)
	}
	return fmt.Sprintf("%s %d", noun, n)
}

// fmtNum renders a coordinate for a message without exponent noise.
func fmtNum(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// checkPosition validates one lon/lat pair as read from the file.
func checkPosition(p orb.Point) error {
	lon, lat := p[0], p[1]
	if math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0) {
		return fmt.Errorf("coordinate (%s, %s) is not a finite number — fix or remove it", fmtNum(lon), fmtNum(lat))
	}
	lonOK := lon >= -180 && lon <= 180
	latOK := lat >= -90 && lat <= 90
	if lonOK && latOK {
		return nil
	}
	if !latOK && math.Abs(lat) <= 180 && math.Abs(lon) <= 90 {
		return fmt.Errorf("latitude %s is outside -90..90 but (%s, %s) fits the other way round — lon/lat look swapped: swap them, longitude (x) first",
			fmtNum(lat), fmtNum(lon), fmtNum(lat))
	}
	if !latOK {
		return fmt.Errorf("latitude %s is outside -90..90: looks projected (metres?) — reproject to WGS84 lon/lat (EPSG:4326)", fmtNum(lat))
	}
	return fmt.Errorf("longitude %s is outside -180..180: looks projected (metres?) — reproject to WGS84 lon/lat (EPSG:4326)", fmtNum(lon))
}

func checkPoints(ps []orb.Point) error {
	for _, p := range ps {
		if err := checkPosition(p); err != nil {
			return err
		}
	}
	return nil
}

func checkLine(ls orb.LineString) error {
	if err := checkPoints(ls); err != nil {
		return err
	}
	if len(ls) < 2 {
		return fmt.Errorf("line has %d point(s); a LineString needs at least 2 — add a point or remove the feature", len(ls))
	}
	return nil
}

func checkPolygon(pg orb.Polygon) error {
	if len(pg) == 0 {
		return errors.New("polygon has no rings")
	}
	for i, r := range pg {
		if err := checkPoints(r); err != nil {
			return err
		}
		if len(r) < 4 {
			return fmt.Errorf("ring %d has %d point(s); a polygon ring needs at least 4, the last repeating the first — add the missing corners or remove the feature", i, len(r))
		}
		if r[0] != r[len(r)-1] {
			return fmt.Errorf("ring %d is not closed (first and last points differ) — close the ring by repeating its first point at the end", i)
		}
		if j, k, ok := ringCrossing(r); ok {
			at := r[j]
			return fmt.Errorf("ring %d crosses itself (its edges %d and %d cross, near %s, %s): its inside is undefined — fix the geometry (QGIS: Fix Geometries; PostGIS: ST_MakeValid) and export it again",
				i, j, k, fmtNum(at[0]), fmtNum(at[1]))
		}
	}
	return nil
}

// ringCrossing finds two edges of a closed ring that cross at a point
// inside both (a bow-tie), and returns their indexes (edge j runs from
// r[j] to r[j+1]). Edges that only touch or overlap are not reported: rings
// that touch themselves at a vertex are common in real data and harmless
// here. Edges are swept in order of their smallest longitude, so a ring
// of n edges costs O(n log n) plus the pairs whose x ranges overlap.
func ringCrossing(r orb.Ring) (int, int, bool) {
	n := len(r) - 1 // edges
	if n < 4 {
		return 0, 0, false
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	minX := func(i int) float64 { return math.Min(r[i][0], r[i+1][0]) }
	maxX := func(i int) float64 { return math.Max(r[i][0], r[i+1][0]) }
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(minX(a), minX(b)) })
	for a, i := range order {
		hi := maxX(i)
		for _, j := range order[a+1:] {
			if minX(j) > hi {
				break
			}
			if d := i - j; d == 1 || d == -1 || d == n-1 || d == 1-n {
				continue // neighbours share a vertex
			}
			if segmentsCross(r[i], r[i+1], r[j], r[j+1]) {
				return min(i, j), max(i, j), true
			}
		}
	}
	return 0, 0, false
}

// segmentsCross reports whether segments ab and cd cross at a point that
// is strictly inside both.
func segmentsCross(a, b, c, d orb.Point) bool {
	orient := func(p, q, r orb.Point) float64 {
		return (q[0]-p[0])*(r[1]-p[1]) - (q[1]-p[1])*(r[0]-p[0])
	}
	d1, d2 := orient(c, d, a), orient(c, d, b)
	d3, d4 := orient(a, b, c), orient(a, b, d)
	return (d1 > 0 && d2 < 0 || d1 < 0 && d2 > 0) && (d3 > 0 && d4 < 0 || d3 < 0 && d4 > 0)
}

// checkGeometry validates every coordinate and the structure of g.
func checkGeometry(g orb.Geometry) error {
	switch g := g.(type) {
	case orb.Point:
		return checkPosition(g)
	case orb.MultiPoint:
		if len(g) == 0 {
			return errors.New("MultiPoint has no points")
		}
		return checkPoints(g)
	case orb.LineString:
		return checkLine(g)
	case orb.MultiLineString:
		if len(g) == 0 {
			return errors.New("MultiLineString has no lines")
		}
		for i, ls := range g {
			if err := checkLine(ls); err != nil {
				return fmt.Errorf("part %d: %w", i, err)
			}
		}
	case orb.Polygon:
		return checkPolygon(g)
	case orb.MultiPolygon:
		if len(g) == 0 {
			return errors.New("MultiPolygon has no polygons")
		}
		for i, pg := range g {
			if err := checkPolygon(pg); err != nil {
				return fmt.Errorf("polygon %d: %w", i, err)
			}
		}
	default:
		return fmt.Errorf("unsupported geometry %T", g)
	}
	return nil
}

// convertGeometry converts g's coordinates to WGS84 in place and returns it.
func convertGeometry(g orb.Geometry, c CoordSystem) orb.Geometry {
	if c == WGS84 {
		return g
	}
	return project.Geometry(g, c.toWGS84)
}

// finishIDs assigns missing ids and rejects duplicates. fromFile[i] says
// whether feature i's id came from the file; refs name features in errors.
func finishIDs(path string, feats []Feature, fromFile []bool, names []string, o ReadOptions) error {
	if o.skipIDs {
		return nil
	}
	anyFromFile := false
	for i := range feats {
		if fromFile[i] {
			anyFromFile = true
			continue
		}
		if o.RequireIDs {
			return fmt.Errorf("%s: %s has no id: this layer needs an id on every feature (an \"id\" member, property or column)",
				path, featureRef("feature", feats[i].Index, "", names[i]))
		}
		feats[i].ID = strconv.Itoa(feats[i].Index + 1)
	}
	if !anyFromFile && !o.RequireIDs {
		return nil // ids are 1..n, unique by construction
	}
	seen := make(map[string]int, len(feats))
	for i, f := range feats {
		if j, ok := seen[f.ID]; ok {
			first := feats[j]
			hint := ""
			if fromFile[i] != fromFile[j] {
				hint = " (one of them had no id and was numbered by its position; give it an id)"
			}
			return fmt.Errorf("%s: %s and %s both have id %q — ids must be unique: give each feature its own id%s",
				path, featureRef("feature", first.Index, "", names[j]), featureRef("feature", f.Index, "", names[i]), f.ID, hint)
		}
		seen[f.ID] = i
	}
	return nil
}

// ----- GeoJSON -----

type gjGeometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

type gjFeature struct {
	Type       string          `json:"type"`
	ID         json.RawMessage `json:"id"`
	Geometry   *gjGeometry     `json:"geometry"`
	Properties map[string]any  `json:"properties"`
	CRS        json.RawMessage `json:"crs"`
}

const utf8FixGeoJSON = "re-save it as UTF-8 (QGIS: Export → Save Features As, Encoding UTF-8)"

// exportGeoJSON is the fix for files that are JSON but not GeoJSON.
const exportGeoJSON = "export the layer as GeoJSON (QGIS: Export → Save Features As → GeoJSON; ogr2ogr -f GeoJSON)"

// readGeoJSON parses a FeatureCollection, a single Feature or a bare
// geometry. Features are decoded one at a time from a token stream so that
// an error names the feature it is in.
func readGeoJSON(path string, data []byte, o ReadOptions) (*Layer, error) {
	data, err := checkUTF8(path, data, utf8FixGeoJSON)
	if err != nil {
		return nil, err
	}
	r := &gjReader{path: path, data: data, o: o}
	if err := r.parse(); err != nil {
		return nil, err
	}
	if err := finishIDs(path, r.feats, r.fromFile, r.names, o); err != nil {
		return nil, err
	}
	return &Layer{Path: path, Features: r.feats}, nil
}

type gjReader struct {
	path     string
	data     []byte
	o        ReadOptions
	feats    []Feature
	fromFile []bool
	names    []string
}

func (r *gjReader) parse() error {
	dec := json.NewDecoder(bytes.NewReader(r.data))
	tok, err := dec.Token()
	if err != nil {
		return r.jsonError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("%s: not GeoJSON: expected a JSON object (a FeatureCollection, Feature or geometry) — %s", r.path, exportGeoJSON)
	}
	var (
		typ         string
		hasFeatures bool
		crs         json.RawMessage
		members     = map[string]json.RawMessage{}
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return r.jsonError(err)
		}
		key, _ := tok.(string)
		switch key {
		case "features":
			tok, err := dec.Token()
			if err != nil {
				return r.jsonError(err)
			}
			if tok == nil {
				continue // "features": null
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return fmt.Errorf("%s: \"features\" is not an array — it must be a list of Feature objects; %s", r.path, exportGeoJSON)
			}
			hasFeatures = true
			for i := 0; dec.More(); i++ {
				var f gjFeature
				if err := dec.Decode(&f); err != nil {
					var se *json.SyntaxError
					if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
						return r.jsonError(err)
					}
					return fmt.Errorf("%s: feature %d: %s", r.path, i, describeJSONError(err))
				}
				if err := r.addFeature(i, &f); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return r.jsonError(err)
			}
		case "type":
			if err := dec.Decode(&typ); err != nil {
				return fmt.Errorf("%s: \"type\" is not a string", r.path)
			}
		case "crs":
			if err := dec.Decode(&crs); err != nil {
				return r.jsonError(err)
			}
		default:
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return r.jsonError(err)
			}
			members[key] = raw
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return r.jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%s: unexpected data after the GeoJSON object (offset %d) — a file must hold one FeatureCollection", r.path, dec.InputOffset())
	}
	if err := r.checkCRS(crs); err != nil {
		return err
	}

	switch typ {
	case "FeatureCollection":
		if !hasFeatures {
			return fmt.Errorf("%s: FeatureCollection has no \"features\" array — %s", r.path, exportGeoJSON)
		}
		return nil
	case "Feature":
		f := gjFeature{Type: typ, ID: members["id"]}
		if g := members["geometry"]; len(g) > 0 && string(g) != "null" {
			f.Geometry = new(gjGeometry)
			if err := json.Unmarshal(g, f.Geometry); err != nil {
				return fmt.Errorf("%s: feature 0: geometry: %s", r.path, describeJSONError(err))
			}
		}
		if p := members["properties"]; len(p) > 0 {
			if err := json.Unmarshal(p, &f.Properties); err != nil {
				return fmt.Errorf("%s: feature 0: %s", r.path, describeJSONError(err))
			}
		}
		return r.addFeature(0, &f)
	case "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection":
		f := gjFeature{Type: "Feature", Geometry: &gjGeometry{Type: typ, Coordinates: members["coordinates"]}}
		return r.addFeature(0, &f)
	case "":
		return fmt.Errorf("%s: not GeoJSON: the top-level object has no \"type\" (want FeatureCollection, Feature or a geometry) — %s", r.path, exportGeoJSON)
	}
	return fmt.Errorf("%s: not GeoJSON: unknown type %q (want FeatureCollection, Feature or a geometry) — %s", r.path, typ, exportGeoJSON)
}

// ErrGeometryKind is wrapped by the error for a feature whose geometry
// kind (point, line, polygon) the layer does not accept (ReadOptions.Allow),
// so callers can add what the layer is for with errors.Is.
var ErrGeometryKind = errors.New("geometry kind not accepted")

type geometryKindError struct{ msg string }

func (e geometryKindError) Error() string { return e.msg }
func (e geometryKindError) Unwrap() error { return ErrGeometryKind }

// checkCRS accepts a missing/null crs and names of WGS84 lon/lat
// (OGC CRS84, EPSG:4326) or CGCS2000 (EPSG:4490, within centimetres of
// WGS84, common in Chinese data); anything else must be reprojected.
func (r *gjReader) checkCRS(raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var crs struct {
		Type       string `json:"type"`
		Properties struct {
			Name string `json:"name"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(raw, &crs)
	name := strings.ToUpper(crs.Properties.Name)
	if crs.Type == "name" && name != "" {
		if strings.Contains(name, "CRS84") {
			return nil
		}
		code := name[strings.LastIndexAny(name, ":/")+1:]
		if strings.Contains(name, "EPSG") && (code == "4326" || code == "4490" || code == "4979") {
			return nil
		}
		return fmt.Errorf("%s: the file declares crs %q, but lifecircle reads only WGS84 lon/lat — reproject to EPSG:4326 (e.g. ogr2ogr -t_srs EPSG:4326 out.geojson %s)",
			r.path, crs.Properties.Name, filepath.Base(r.path))
	}
	return fmt.Errorf("%s: the file declares a crs lifecircle cannot interpret (%s) — reproject to EPSG:4326 and remove the crs member",
		r.path, truncate(string(raw), 80))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func (r *gjReader) addFeature(i int, f *gjFeature) error {
	name, _ := f.Properties["name"].(string)
	id, fromFile, err := featureID(f)
	ref := func() string { return featureRef("feature", i, id, name) }
	if err != nil {
		return fmt.Errorf("%s: %s: %v", r.path, ref(), err)
	}
	if f.Type != "Feature" {
		return fmt.Errorf("%s: %s: type is %q, want \"Feature\"", r.path, ref(), f.Type)
	}
	if err := r.checkCRS(f.CRS); err != nil {
		return err
	}
	if f.Geometry == nil {
		return fmt.Errorf("%s: %s has no geometry (null) — give it coordinates or delete it", r.path, ref())
	}
	g, err := decodeGeometry(f.Geometry)
	if err != nil {
		return fmt.Errorf("%s: %s: %v", r.path, ref(), err)
	}
	if k := kindOf(g); k&r.o.Allow == 0 {
		return geometryKindError{fmt.Sprintf("%s: %s is a %s, but this layer accepts only %s — remove the feature, or give a layer of %s only", r.path, ref(), g.GeoJSONType(), r.o.Allow, r.o.Allow)}
	}
	if err := checkGeometry(g); err != nil {
		return fmt.Errorf("%s: %s: %v", r.path, ref(), err)
	}
	props := f.Properties
	if props == nil {
		props = map[string]any{}
	}
	r.feats = append(r.feats, Feature{Index: i, ID: id, Geometry: convertGeometry(g, r.o.Coords), Properties: props})
	r.fromFile = append(r.fromFile, fromFile)
	r.names = append(r.names, name)
	return nil
}

// featureID returns the "id" member, else the "id" property, as a string.
func featureID(f *gjFeature) (string, bool, error) {
	if len(f.ID) > 0 && string(f.ID) != "null" {
		if isIntLiteral(f.ID) {
			return string(f.ID), true, nil // keeps every digit of big integers
		}
		var v any
		if err := json.Unmarshal(f.ID, &v); err != nil {
			return "", false, fmt.Errorf("id: %s", describeJSONError(err))
		}
		return idString(v)
	}
	if v, ok := f.Properties["id"]; ok && v != nil {
		return idString(v)
	}
	return "", false, nil
}

func isIntLiteral(b []byte) bool {
	s := strings.TrimPrefix(string(b), "-")
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func idString(v any) (string, bool, error) {
	switch v := v.(type) {
	case string:
		return v, v != "", nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true, nil
	case bool:
		return "", false, errors.New("id is true/false; use a string or number")
	}
	return "", false, errors.New("id is an object or array; use a string or number")
}

// decodeGeometry decodes the coordinates of g. Positions are decoded as
// []float64 so that a position with fewer than two numbers is an error
// rather than a silent 0 (extra numbers such as altitude are dropped).
func decodeGeometry(g *gjGeometry) (orb.Geometry, error) {
	if g.Type == "GeometryCollection" {
		return nil, errors.New("GeometryCollection is not supported — split it into separate features")
	}
	raw := g.Coordinates
	if len(raw) == 0 || string(raw) == "null" {
		if g.Type == "" {
			return nil, errors.New("geometry has no \"type\"")
		}
		return nil, fmt.Errorf("%s has no coordinates", g.Type)
	}
	bad := func(err error) error {
		return fmt.Errorf("%s coordinates: %s", g.Type, describeJSONError(err))
	}
	switch g.Type {
	case "Point":
		var c []float64
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, bad(err)
		}
		return position(c)
	case "MultiPoint", "LineString":
		var c [][]float64
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, bad(err)
		}
		ps, err := positions(c)
		if err != nil {
			return nil, err
		}
		if g.Type == "MultiPoint" {
			return orb.MultiPoint(ps), nil
		}
		return orb.LineString(ps), nil
	case "MultiLineString", "Polygon":
		var c [][][]float64
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, bad(err)
		}
		parts := make([][]orb.Point, len(c))
		for i := range c {
			ps, err := positions(c[i])
			if err != nil {
				return nil, err
			}
			parts[i] = ps
		}
		if g.Type == "Polygon" {
			pg := make(orb.Polygon, len(parts))
			for i, p := range parts {
				pg[i] = p
			}
			return pg, nil
		}
		mls := make(orb.MultiLineString, len(parts))
		for i, p := range parts {
			mls[i] = p
		}
		return mls, nil
	case "MultiPolygon":
		var c [][][][]float64
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, bad(err)
		}
		mp := make(orb.MultiPolygon, len(c))
		for i := range c {
			mp[i] = make(orb.Polygon, len(c[i]))
			for j := range c[i] {
				ps, err := positions(c[i][j])
				if err != nil {
					return nil, err
				}
				mp[i][j] = ps
			}
		}
		return mp, nil
	case "":
		return nil, errors.New("geometry has no \"type\"")
	}
	return nil, fmt.Errorf("unknown geometry type %q", g.Type)
}

func position(c []float64) (orb.Point, error) {
	if len(c) < 2 {
		return orb.Point{}, fmt.Errorf("position %v has %d number(s); a position is [longitude, latitude]", c, len(c))
	}
	return orb.Point{c[0], c[1]}, nil
}

func positions(c [][]float64) ([]orb.Point, error) {
	ps := make([]orb.Point, len(c))
	for i, x := range c {
		p, err := position(x)
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	return ps, nil
}

// describeJSONError turns decoding errors into plain words.
func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Type.Kind() == reflect.Float64 && strings.HasPrefix(te.Value, "number") {
		// A number too large for float64, such as 1e400.
		return fmt.Sprintf("%s is out of range (not a finite number) — fix or remove it", te.Value)
	}
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "value"
		}
		return fmt.Sprintf("%s is a JSON %s, want %s", field, te.Value, jsonKind(te.Type.String()))
	}
	return err.Error()
}

func jsonKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "*data.gj"), strings.HasPrefix(goType, "data.gj"):
		return "an object"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case goType == "float64":
		return "a number"
	case goType == "string":
		return "a string"
	}
	return goType
}

// jsonError reports a syntax error with its line and column in the file.
func (r *gjReader) jsonError(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%s: invalid JSON: the file ends too early (truncated?) — copy or export the whole file again", r.path)
	}
	// The decoder's offsets are relative to its buffer; re-check the whole
	// input to get an absolute position.
	var se *json.SyntaxError
	if e := json.Unmarshal(r.data, new(json.RawMessage)); errors.As(e, &se) {
		line, col := lineCol(r.data, se.Offset)
		return fmt.Errorf("%s: invalid JSON at line %d, column %d: %v — fix the file there, or export the layer again", r.path, line, col, se)
	}
	return fmt.Errorf("%s: invalid GeoJSON: %s", r.path, describeJSONError(err))
}

func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
	if col == 0 {
		col = 1
	}
	return line, col
}
