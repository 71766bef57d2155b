package data

// The GeoJSON layer reader: decoding, CRS check, ids and geometries, with
// errors that name the file, the feature and the fix.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

type gjGeometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
	pt          *orb.Point      // a Point's position, when the fast path decoded it
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
	if err == nil {
		err = o.stopped(path)
	}
	if err != nil {
		return nil, err
	}
	r := &gjReader{path: path, data: data, o: o}
	handled, err := r.parseFast()
	if !handled {
		r.feats, r.fromFile, r.names = nil, nil, nil
		err = r.parse()
	}
	if err != nil {
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
				if i%256 == 0 {
					if err := r.o.stopped(r.path); err != nil {
						return err
					}
				}
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
		if g.pt != nil {
			return *g.pt, nil
		}
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
