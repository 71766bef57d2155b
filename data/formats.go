package data

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/lifecircle/lifecircle/data/crs"
	"github.com/lifecircle/lifecircle/data/gpkg"
	"github.com/lifecircle/lifecircle/data/shp"
	"github.com/lifecircle/lifecircle/data/xlsx"
)

// An input spec names a layer file and, optionally, the coordinate system
// of its positions: FILE[#LAYER][@CRS], e.g. "stations.csv@gcj02",
// "communities.shp@EPSG:4547", "pop.gpkg#blocks@cgcs2000". The suffix is
// the text after the last '@' and counts only when it parses as a
// coordinate system (crs.Parse), so file names that contain '@' still
// work; #LAYER is split off only after a .gpkg name.
//
// Which coordinate system a layer is read in:
//  1. the @ suffix, when given — it wins over a Shapefile's .prj or a
//     GeoPackage layer's SRS (a .prj often says "WGS 84" or "CGCS2000"
//     for points copied from a web map in GCJ-02); the layer's Notes say
//     when they differ;
//  2. else the .prj of a Shapefile or the SRS of a GeoPackage layer;
//  3. else ReadOptions.Coords (--coords, "wgs84" unless given).

// SplitInput splits an input spec into the file name (with any #LAYER)
// and the coordinate system of its @ suffix; ok is false when it has none.
func SplitInput(spec string) (file string, c crs.CRS, ok bool) {
	i := strings.LastIndexByte(spec, '@')
	if i < 0 {
		return spec, crs.WGS84, false
	}
	c, err := crs.Parse(spec[i+1:])
	if err != nil {
		return spec, crs.WGS84, false
	}
	return spec[:i], c, true
}

// InputPath returns the file an input spec reads: without its @ suffix
// and without a GeoPackage's #LAYER.
func InputPath(spec string) string {
	file, _, _ := SplitInput(spec)
	path, _ := splitGpkgLayer(file)
	return path
}

// splitGpkgLayer splits "file.gpkg#layer"; layer is "" when not given.
func splitGpkgLayer(file string) (path, layer string) {
	if i := strings.LastIndexByte(file, '#'); i > 0 && strings.EqualFold(filepath.Ext(file[:i]), ".gpkg") {
		return file[:i], file[i+1:]
	}
	return file, ""
}

// WithCRS returns the spec of file read in the coordinate system named
// coords ("" leaves file as it is), as a project entry {path, coords}
// means it. It fails when coords is not a coordinate system.
func WithCRS(file, coords string) (string, error) {
	if strings.TrimSpace(coords) == "" {
		return file, nil
	}
	c, err := crs.Parse(coords)
	if err != nil {
		return "", fmt.Errorf("%s: coords: %v", file, strings.TrimPrefix(err.Error(), "crs: "))
	}
	return file + "@" + c.String(), nil
}

// coordCRS is the crs.CRS of a --coords system.
func coordCRS(c CoordSystem) crs.CRS {
	var name string
	switch c {
	case GCJ02:
		name = "gcj02"
	case BD09:
		name = "bd09"
	default:
		return crs.WGS84
	}
	r, _ := crs.Parse(name)
	return r
}

// lonLatSystem returns the CoordSystem of a geographic crs (WGS84 and
// CGCS2000 read as WGS84, see data/crs), false for a projected one.
func lonLatSystem(c crs.CRS) (CoordSystem, bool) {
	switch {
	case c.IsProjected():
		return WGS84, false
	case c.String() == "gcj02":
		return GCJ02, true
	case c.String() == "bd09":
		return BD09, true
	}
	return WGS84, true
}

// readFormat is the first step of ReadLayer: it splits the @ suffix and
// reads Shapefiles, GeoPackages and Excel sheets itself; for GeoJSON and
// CSV it returns the file and options to read them with (done false).
func readFormat(spec string, o ReadOptions) (l *Layer, file string, _ ReadOptions, done bool, err error) {
	file, c, explicit := SplitInput(spec)
	if !explicit {
		if err := badSuffix(spec); err != nil {
			return nil, "", o, true, err
		}
	}
	path, layer := splitGpkgLayer(file)
	if o.Allow == 0 {
		o.Allow = AnyGeom
	}
	var sel *crs.CRS
	if explicit {
		sel = &c
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".shp":
		l, err := readShapefile(path, sel, o)
		return l, "", o, true, err
	case ".gpkg":
		l, err := readGeoPackage(path, layer, sel, o)
		return l, "", o, true, err
	case ".xlsx", ".xlsm":
		l, err := readExcel(path, sel, o)
		return l, "", o, true, err
	case ".dbf", ".shx", ".prj", ".cpg":
		return nil, "", o, true, fmt.Errorf("%s: this is one of the files of a Shapefile — give the .shp (%s), with its .dbf (and .prj, .cpg) beside it",
			path, strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))+".shp")
	case ".xls":
		return nil, "", o, true, fmt.Errorf("%s: an old Excel (.xls) workbook — save it as .xlsx (Excel: File → Save As → Excel Workbook) or as CSV UTF-8", path)
	}
	if explicit {
		cs, ok := lonLatSystem(c)
		if !ok {
			return nil, "", o, true, fmt.Errorf("%s: @%s is a projected coordinate system, but GeoJSON and CSV layers are read as lon/lat — save the layer as a Shapefile or GeoPackage with its %s, or reproject it (ogr2ogr -s_srs %s -t_srs EPSG:4326 out.geojson %s)",
				spec, c, c, c, filepath.Base(path))
		}
		o.Coords = cs
	}
	return nil, file, o, false, nil
}

// badSuffix explains a spec whose @ suffix is not a coordinate system
// when the file before the '@' exists and the whole spec does not.
func badSuffix(spec string) error {
	i := strings.LastIndexByte(spec, '@')
	if i < 0 {
		return nil
	}
	if _, err := os.Stat(spec); err == nil {
		return nil // a file whose name contains '@'
	}
	before, _ := splitGpkgLayer(spec[:i])
	if _, err := os.Stat(before); err != nil {
		return nil
	}
	_, err := crs.Parse(spec[i+1:])
	return fmt.Errorf("%s: %q after the @ is not a coordinate system: write FILE@wgs84, @cgcs2000, @gcj02, @bd09 or @EPSG:nnnn (%v)",
		spec, spec[i+1:], strings.TrimPrefix(err.Error(), "crs: "))
}

// pickCRS chooses the coordinate system of a layer whose file declares
// one (has), given the @ suffix sel, and notes a disagreement.
func pickCRS(path, what string, sel *crs.CRS, file crs.CRS, has bool, o ReadOptions) crs.CRS {
	switch {
	case sel != nil:
		if has && *sel != file && o.Report != nil {
			o.Report(fmt.Sprintf("%s: read as %s as its @ suffix says, although its %s says %s", path, sel.Name(), what, file.Name()))
		}
		return *sel
	case has:
		return file
	}
	return coordCRS(o.Coords)
}

// A foreignFeature is a record of a Shapefile, GeoPackage or sheet before
// it is converted and validated.
type foreignFeature struct {
	ref   string // how messages name it: "record 3", "row 5"
	id    string
	geom  orb.Geometry // in the layer's coordinate system; nil when empty
	props map[string]any
}

// finishForeign converts features from c to WGS84 and validates them as
// readGeoJSON does (geometry kind, positions, rings, ids).
func finishForeign(path string, recs []foreignFeature, c crs.CRS, o ReadOptions) (*Layer, error) {
	feats := make([]Feature, 0, len(recs))
	fromFile := make([]bool, 0, len(recs))
	names := make([]string, 0, len(recs))
	fix := ""
	if c.IsProjected() {
		fix = " — check the layer's coordinate system (" + c.String() + "): give the right one as FILE@EPSG:nnnn"
	} else if c == crs.WGS84 {
		fix = " — are the coordinates projected? Give the layer's coordinate system as FILE@EPSG:nnnn (e.g. @EPSG:4547), or add its .prj"
	}
	for i, r := range recs {
		name, _ := r.props["name"].(string)
		ref := r.ref
		if name != "" {
			ref += fmt.Sprintf(" (%q)", name)
		} else if r.id != "" {
			ref += fmt.Sprintf(" (id %q)", r.id)
		}
		if r.geom == nil {
			return nil, fmt.Errorf("%s: %s has no geometry — give it one or delete it", path, ref)
		}
		if k := kindOf(r.geom); k&o.Allow == 0 {
			return nil, geometryKindError{fmt.Sprintf("%s: %s is a %s, but this layer accepts only %s — remove the feature, or give a layer of %s only", path, ref, r.geom.GeoJSONType(), o.Allow, o.Allow)}
		}
		g, err := c.Geometry(r.geom)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %s%s", path, ref, strings.TrimPrefix(err.Error(), "crs: "), fix)
		}
		if err := checkGeometry(g); err != nil {
			return nil, fmt.Errorf("%s: %s: %v", path, ref, err)
		}
		feats = append(feats, Feature{Index: i, ID: r.id, Geometry: g, Properties: r.props})
		fromFile = append(fromFile, r.id != "")
		names = append(names, name)
	}
	if err := finishIDs(path, feats, fromFile, names, o); err != nil {
		return nil, err
	}
	return &Layer{Path: path, Features: feats}, nil
}

// normalizeProps turns integer attributes into float64, as GeoJSON
// numbers are, and drops blobs and nulls; with lower, upper-case ASCII
// field names (ESRI's "NAME") are lower-cased unless that collides.
func normalizeProps(in map[string]any, lower bool) map[string]any {
	out := make(map[string]any, len(in))
	for k, v := range in {
		switch x := v.(type) {
		case nil, []byte:
			continue
		case int64:
			v = float64(x)
		case int:
			v = float64(x)
		case float32:
			v = float64(x)
		}
		out[k] = v
	}
	if lower {
		for k, v := range out {
			if l := strings.ToLower(k); l != k && isASCII(k) {
				if _, taken := out[l]; !taken {
					out[l] = v
					delete(out, k)
				}
			}
		}
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// propID returns the "id" property as text, "" when none.
func propID(props map[string]any) string {
	v, ok := props["id"]
	if !ok {
		return ""
	}
	delete(props, "id")
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func readShapefile(path string, sel *crs.CRS, o ReadOptions) (*Layer, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, notFoundError(path)
	}
	sl, err := shp.Read(path)
	if err != nil {
		return nil, err
	}
	if sl.EncodingGuessed && sl.Encoding != "UTF-8" && o.Report != nil {
		o.Report(fmt.Sprintf("%s: the .dbf has no .cpg and its text is not UTF-8: read as %s (add a .cpg file saying the encoding if the names look wrong)", path, sl.Encoding))
	}
	c := pickCRS(path, ".prj", sel, sl.CRS, sl.HasCRS, o)
	recs := make([]foreignFeature, len(sl.Features))
	for i, f := range sl.Features {
		props := normalizeProps(f.Properties, true)
		recs[i] = foreignFeature{ref: fmt.Sprintf("record %d", f.Record), id: propID(props), geom: f.Geometry, props: props}
	}
	return finishForeign(path, recs, c, o)
}

func readGeoPackage(path, layer string, sel *crs.CRS, o ReadOptions) (*Layer, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, notFoundError(path)
	}
	gl, err := gpkg.Read(path, layer)
	if err != nil {
		return nil, err
	}
	name := path + "#" + gl.Name
	file, has, err := gpkgCRS(name, gl.SRS)
	if err != nil && sel == nil {
		return nil, err
	}
	c := pickCRS(name, "SRS", sel, file, has, o)
	recs := make([]foreignFeature, len(gl.Features.Features))
	for i, f := range gl.Features.Features {
		props := normalizeProps(f.Properties, false)
		id := propID(props)
		if id == "" {
			if fid, ok := f.ID.(int64); ok {
				id = strconv.FormatInt(fid, 10)
			}
		}
		recs[i] = foreignFeature{ref: fmt.Sprintf("feature %v", f.ID), id: id, geom: f.Geometry, props: props}
	}
	return finishForeign(name, recs, c, o)
}

// gpkgCRS is the coordinate system of a GeoPackage layer's SRS: its EPSG
// code, else its WKT; has is false for the undefined systems (srs_id 0
// and -1), which take the default.
func gpkgCRS(name string, s gpkg.SRS) (crs.CRS, bool, error) {
	if s.ID == 0 || s.ID == -1 || s.Organization == "NONE" {
		return crs.WGS84, false, nil
	}
	if s.Organization == "EPSG" && s.Code > 0 {
		c, err := crs.FromEPSG(int(s.Code))
		if err == nil {
			return c, true, nil
		}
		if s.Definition == "" || s.Definition == "undefined" {
			return crs.WGS84, false, fmt.Errorf("%s: %s — or give the layer's system as %s@EPSG:nnnn", name, strings.TrimPrefix(err.Error(), "crs: "), name)
		}
	}
	c, err := crs.FromWKT(s.Definition)
	if err != nil {
		return crs.WGS84, false, fmt.Errorf("%s: the layer's coordinate system %q: %s — or give it as %s@EPSG:nnnn", name, s.Name, strings.TrimPrefix(err.Error(), "crs: "), name)
	}
	return c, true, nil
}

func readExcel(path string, sel *crs.CRS, o ReadOptions) (*Layer, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, notFoundError(path)
	}
	if o.Allow&Points == 0 {
		return nil, fmt.Errorf("%s: an Excel sheet holds points, but this layer needs %s — use a Shapefile, GeoPackage or GeoJSON", path, o.Allow)
	}
	fc, info, err := xlsx.ReadPoints(path, "")
	if err != nil {
		return nil, err
	}
	c := pickCRS(path, "", sel, crs.WGS84, false, o)
	return finishForeign(path, sheetFeatures(fc, info), c, o)
}

// sheetFeatures turns the rows of a sheet into foreign features; the
// name column (name or 名称) is also given as "name".
func sheetFeatures(fc *geojson.FeatureCollection, info xlsx.ReadInfo) []foreignFeature {
	recs := make([]foreignFeature, len(fc.Features))
	for i, f := range fc.Features {
		props := normalizeProps(f.Properties, false)
		if info.Name != "" && info.Name != "name" {
			if v, ok := props[info.Name]; ok {
				if _, has := props["name"]; !has {
					props["name"] = v
				}
			}
		}
		id := ""
		if s, ok := f.ID.(string); ok {
			id = s
		}
		recs[i] = foreignFeature{ref: fmt.Sprintf("sheet %q, point %d", info.Sheet, i+1), id: id, geom: f.Geometry, props: props}
	}
	return recs
}

// decodeText returns the text of a CSV file as UTF-8: a UTF-8 BOM is
// dropped, text that is not valid UTF-8 is decoded as GB18030 (a superset
// of GBK and GB2312, what Excel on a Chinese Windows saves as "CSV"),
// and the choice is reported. UTF-16 is refused with the fix.
func decodeText(path string, data []byte, fix string, o ReadOptions) ([]byte, error) {
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return nil, fmt.Errorf("%s: file is UTF-16, not UTF-8 — %s", path, fix)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if utf8.Valid(data) {
		return data, nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil || !utf8.Valid(out) {
		return checkUTF8(path, data, fix)
	}
	if o.Report != nil {
		o.Report(fmt.Sprintf("%s: the text is not UTF-8: read as GBK/GB18030 (check the names; %s if they look wrong)", path, fix))
	}
	return out, nil
}
