package gpkg

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"github.com/lifecircle/lifecircle/data/infile"
	"io"
	"io/fs"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/paulmach/orb/geojson"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// An SRS is a row of gpkg_spatial_ref_sys: a layer's coordinate system.
type SRS struct {
	ID           int32  // srs_id, the key layers refer to
	Name         string // srs_name, e.g. "WGS 84 geodetic"
	Organization string // e.g. "EPSG" (upper case); "NONE" for the undefined systems
	Code         int32  // organization_coordsys_id, e.g. 4326 or 4547
	Definition   string // WKT, or "undefined"
}

// A LayerInfo describes a feature table of a GeoPackage.
type LayerInfo struct {
	Name           string
	GeometryColumn string
	// GeometryType is the geometry_type_name of gpkg_geometry_columns:
	// POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING,
	// MULTIPOLYGON, GEOMETRYCOLLECTION or GEOMETRY (any).
	GeometryType string
	SRS          SRS
	Features     int64 // rows in the table
}

// A Layer is a feature table with its features. Reading fills every
// field; writing uses Name, Features and, when set, Columns and
// GeometryType (see WriteLayers).
type Layer struct {
	Name string
	// GeometryType as in LayerInfo. On write, empty means: derived from
	// the features (GEOMETRY when they mix types or there are none).
	GeometryType string
	// SRS of the coordinates. Read: from gpkg_spatial_ref_sys, the
	// coordinates are as stored (not reprojected). Write: must be zero or
	// EPSG:4326; the writer stores WGS84 only.
	SRS SRS
	// Columns lists the attribute columns in table order. On write it
	// may be empty or name only some properties: they come first, the
	// others follow sorted by name.
	Columns []string
	// Features: each feature's ID is its fid (int64); its properties are
	// the non-NULL attribute values: INTEGER → int64, REAL → float64,
	// TEXT, DATE and DATETIME → string (as stored), BOOLEAN → bool,
	// BLOB → []byte. Empty or NULL geometries are nil.
	Features *geojson.FeatureCollection
	// Flattened counts features whose Z or M values were dropped on read.
	Flattened int
}

// sqliteMagic opens every SQLite 3 database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// open opens path read-only after checking it is a SQLite file with the
// GeoPackage tables, so a wrong file gets a message rather than an empty
// database created in its place.
func open(path string) (*sql.DB, error) {
	f, err := infile.Open(path, "a GeoPackage (.gpkg) file")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no such file — check the path", path)
	}
	var nr *infile.NotRegularError
	if errors.As(err, &nr) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	head := make([]byte, len(sqliteMagic))
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil || !bytes.Equal(head, sqliteMagic) {
		return nil, fmt.Errorf("%s: not a GeoPackage (not an SQLite database file) — export the layer from QGIS or convert it with ogr2ogr -f GPKG", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "mode=ro"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	var n int
	err = db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN ('gpkg_contents','gpkg_geometry_columns','gpkg_spatial_ref_sys')`).Scan(&n)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: read the database: %w — is the file complete?", path, err)
	}
	if n != 3 {
		db.Close()
		return nil, fmt.Errorf("%s: an SQLite database but not a GeoPackage (gpkg_contents, gpkg_geometry_columns or gpkg_spatial_ref_sys is missing) — convert it with ogr2ogr -f GPKG", path)
	}
	return db, nil
}

// Layers lists the feature tables of the GeoPackage at path, in the
// order of gpkg_contents.
func Layers(path string) ([]LayerInfo, error) {
	db, err := open(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return layers(path, db)
}

func layers(path string, db *sql.DB) ([]LayerInfo, error) {
	rows, err := db.Query(`
		SELECT c.table_name, g.column_name, g.geometry_type_name, g.srs_id,
		       coalesce(s.srs_name, ''), coalesce(s.organization, ''),
		       coalesce(s.organization_coordsys_id, 0), coalesce(s.definition, '')
		FROM gpkg_contents c
		JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
		LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id
		WHERE c.data_type = 'features'
		ORDER BY c.rowid`)
	if err != nil {
		return nil, fmt.Errorf("%s: list layers: %w", path, err)
	}
	var out []LayerInfo
	for rows.Next() {
		var l LayerInfo
		if err := rows.Scan(&l.Name, &l.GeometryColumn, &l.GeometryType, &l.SRS.ID,
			&l.SRS.Name, &l.SRS.Organization, &l.SRS.Code, &l.SRS.Definition); err != nil {
			rows.Close()
			return nil, fmt.Errorf("%s: list layers: %w", path, err)
		}
		l.GeometryType = strings.ToUpper(l.GeometryType)
		l.SRS.Organization = strings.ToUpper(l.SRS.Organization)
		out = append(out, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: list layers: %w", path, err)
	}
	for i := range out {
		if err := db.QueryRow(`SELECT count(*) FROM ` + quote(out[i].Name)).Scan(&out[i].Features); err != nil {
			return nil, fmt.Errorf("%s: layer %q: count features: %w", path, out[i].Name, err)
		}
	}
	return out, nil
}

// Read reads the feature table layer of the GeoPackage at path. With
// layer empty, a GeoPackage of one layer gives that layer; one of several
// gives an error listing them. (Splitting "file.gpkg#layer" is the
// caller's job.)
func Read(path, layer string) (*Layer, error) {
	db, err := open(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	infos, err := layers(path, db)
	if err != nil {
		return nil, err
	}
	info, err := pick(path, layer, infos)
	if err != nil {
		return nil, err
	}
	return readLayer(path, db, info)
}

func pick(path, layer string, infos []LayerInfo) (LayerInfo, error) {
	names := make([]string, len(infos))
	for i, l := range infos {
		names[i] = l.Name
		if layer != "" && l.Name == layer {
			return l, nil
		}
	}
	for _, l := range infos { // SQLite table names ignore case
		if layer != "" && strings.EqualFold(l.Name, layer) {
			return l, nil
		}
	}
	list := strings.Join(names, ", ")
	switch {
	case len(infos) == 0:
		return LayerInfo{}, fmt.Errorf("%s: the GeoPackage has no feature layers (only attribute tables or tiles)", path)
	case layer == "" && len(infos) == 1:
		return infos[0], nil
	case layer == "":
		return LayerInfo{}, fmt.Errorf("%s: the GeoPackage has %d layers (%s) — name one as %s#%s", path, len(infos), list, path, names[0])
	}
	return LayerInfo{}, fmt.Errorf("%s: no layer %q in this GeoPackage; its layers are: %s — write %s#LAYER with one of them", path, layer, list, path)
}

// column is an attribute column of a feature table.
type column struct {
	name string
	typ  string // declared type, upper case, without a "(n)" size
}

func readLayer(path string, db *sql.DB, info LayerInfo) (*Layer, error) {
	where := fmt.Sprintf("%s: layer %q", path, info.Name)
	rows, err := db.Query(`SELECT name, upper(type), pk FROM pragma_table_info(?) ORDER BY cid`, info.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: read columns: %w", where, err)
	}
	var (
		fid   string
		attrs []column
	)
	for rows.Next() {
		var c column
		var pk int
		if err := rows.Scan(&c.name, &c.typ, &pk); err != nil {
			rows.Close()
			return nil, fmt.Errorf("%s: read columns: %w", where, err)
		}
		if i := strings.IndexByte(c.typ, '('); i >= 0 {
			c.typ = strings.TrimSpace(c.typ[:i])
		}
		switch {
		case pk == 1 && fid == "" && c.typ == "INTEGER":
			fid = c.name
		case strings.EqualFold(c.name, info.GeometryColumn):
		default:
			attrs = append(attrs, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: read columns: %w", where, err)
	}
	if fid == "" {
		fid = "rowid" // GeoPackage requires an INTEGER PRIMARY KEY; tolerate its absence
	}

	sel := []string{quote(fid), quote(info.GeometryColumn)}
	for _, c := range attrs {
		if c.typ == "DATE" || c.typ == "DATETIME" || c.typ == "TIMESTAMP" {
			// Keep the stored text: the driver would turn it into time.Time.
			sel = append(sel, "CAST("+quote(c.name)+" AS TEXT)")
		} else {
			sel = append(sel, quote(c.name))
		}
	}
	out := &Layer{
		Name:         info.Name,
		GeometryType: info.GeometryType,
		SRS:          info.SRS,
		Columns:      make([]string, len(attrs)),
		Features:     geojson.NewFeatureCollection(),
	}
	for i, c := range attrs {
		out.Columns[i] = c.name
	}
	out.Features.Features = make([]*geojson.Feature, 0, info.Features)

	rows, err = db.Query(`SELECT ` + strings.Join(sel, ", ") + ` FROM ` + quote(info.Name) + ` ORDER BY ` + quote(fid))
	if err != nil {
		return nil, fmt.Errorf("%s: read features: %w", where, err)
	}
	defer rows.Close()
	vals := make([]any, len(sel))
	ptrs := make([]any, len(sel))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("%s: read features: %w", where, err)
		}
		id, _ := vals[0].(int64)
		f := &geojson.Feature{Type: "Feature", ID: id, Properties: make(geojson.Properties, len(attrs))}
		switch g := vals[1].(type) {
		case nil:
		case []byte:
			b, err := DecodeBlob(g)
			if err != nil {
				return nil, fmt.Errorf("%s: feature fid %d: geometry: %v — repair the layer in QGIS (Vector → Geometry Tools → Check Validity) or re-export it with ogr2ogr", where, id, err)
			}
			f.Geometry = b.Geometry
			if b.Flattened {
				out.Flattened++
			}
		default:
			return nil, fmt.Errorf("%s: feature fid %d: geometry column %q holds a %T, not a GeoPackage geometry blob", where, id, info.GeometryColumn, g)
		}
		for i, c := range attrs {
			v := vals[i+2]
			if v == nil {
				continue
			}
			if c.typ == "BOOLEAN" {
				if n, ok := v.(int64); ok {
					v = n != 0
				}
			}
			f.Properties[c.name] = v
		}
		out.Features.Features = append(out.Features.Features, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: read features: %w", where, err)
	}
	return out, nil
}

// quote quotes an SQL identifier.
func quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
