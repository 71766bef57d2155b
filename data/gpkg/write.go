package gpkg

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// A Table is a plain attribute table (no geometry; data_type
// 'attributes'), such as an audit's summary. Column types are taken from
// the values as for feature properties (see WriteLayers).
type Table struct {
	Name   string
	Header []string
	Rows   [][]any
}

const (
	applicationID = 0x47504B47 // "GPKG"
	// userVersion is GeoPackage 1.2.0, the version whose schema this
	// writer produces (the spec120 extension definitions and R-tree
	// triggers, as GDAL writes them). GDAL before 3.7 (Debian 12's 3.6,
	// and the QGIS built on it) warns that 1.4 files "may only be
	// partially supported".
	userVersion = 10200
	wgs84       = 4326
)

// wgs84WKT is the EPSG:4326 definition GDAL writes into new GeoPackages.
const wgs84WKT = `GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]`

// coreSchema is the GeoPackage 1.4 core: the two required undefined
// systems and WGS84, contents, geometry columns and extensions.
var coreSchema = []string{
	`CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)`,
	`CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))`,
	`CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), CONSTRAINT uk_gc_table_name UNIQUE (table_name), CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))`,
	`CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))`,
	`INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined Cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined Cartesian coordinate reference system')`,
	`INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system')`,
	`INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic', 4326, 'EPSG', 4326, '` + wgs84WKT + `', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')`,
}

// WriteLayers writes a new GeoPackage at path holding the feature layers
// (WGS84 lon/lat, geometry column "geom", key "fid", each with an R-tree
// spatial index) and the attribute tables. The file is built under a
// temporary name beside path and renamed into place, so path is either
// the previous file or the complete new one.
//
// Attribute columns get their type from the values: all bool → BOOLEAN,
// all Go integers → INTEGER, numbers → REAL, anything else → TEXT
// (numbers and bools formatted, maps and slices as JSON). nil values and
// NaN are NULL. Feature IDs that are all distinct positive integers
// become the fid; other IDs go to a TEXT column "id" (an error if a
// property is called "id" too).
func WriteLayers(path string, layers []Layer, tables []Table) error {
	if err := checkNames(layers, tables); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("write %s: is a directory", path)
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	f.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(tmp)
			os.Remove(tmp + "-journal")
		}
	}()
	if err := build(tmp, layers, tables); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func syncFile(p string) error {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	serr := f.Sync()
	if err := f.Close(); serr == nil {
		serr = err
	}
	return serr
}

// checkNames refuses empty, reserved and duplicate table names (SQLite
// compares them without case).
func checkNames(layers []Layer, tables []Table) error {
	seen := map[string]bool{}
	check := func(kind, name string) error {
		low := strings.ToLower(name)
		switch {
		case strings.TrimSpace(name) == "":
			return fmt.Errorf("a %s has no name — give every layer and table a name", kind)
		case strings.HasPrefix(low, "gpkg_"), strings.HasPrefix(low, "rtree_"), strings.HasPrefix(low, "sqlite_"):
			return fmt.Errorf("%s name %q starts with a prefix GeoPackage reserves (gpkg_, rtree_, sqlite_) — rename it", kind, name)
		case seen[low]:
			return fmt.Errorf("%s name %q is used twice (names are compared without case) — rename one", kind, name)
		}
		seen[low] = true
		return nil
	}
	for _, l := range layers {
		if err := check("layer", l.Name); err != nil {
			return err
		}
		if l.SRS.ID != 0 && l.SRS.ID != wgs84 {
			return fmt.Errorf("layer %q: SRS %d — the writer stores WGS84 (EPSG:4326) only; convert the coordinates first", l.Name, l.SRS.ID)
		}
	}
	for _, t := range tables {
		if err := check("table", t.Name); err != nil {
			return err
		}
	}
	return nil
}

func build(tmp string, layers []Layer, tables []Table) error {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(tmp)}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// The file is private until renamed: no journal, no syncs until the
	// single fsync of the finished file.
	for _, p := range []string{
		fmt.Sprintf("PRAGMA application_id = %d", applicationID),
		fmt.Sprintf("PRAGMA user_version = %d", userVersion),
		"PRAGMA journal_mode = OFF",
		"PRAGMA synchronous = OFF",
	} {
		if _, err := db.Exec(p); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, s := range coreSchema {
		if _, err := tx.Exec(s); err != nil {
			return fmt.Errorf("create GeoPackage tables: %w", err)
		}
	}
	for i := range layers {
		if err := writeLayer(tx, &layers[i]); err != nil {
			return fmt.Errorf("layer %q: %w", layers[i].Name, err)
		}
	}
	for i := range tables {
		if err := writeTable(tx, &tables[i]); err != nil {
			return fmt.Errorf("table %q: %w", tables[i].Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return db.Close()
}

// colType is the SQL type of a column inferred from its values.
type colType int

const (
	colNone colType = iota // only nils so far
	colBool
	colInt
	colReal
	colText
)

func (t colType) String() string {
	switch t {
	case colBool:
		return "BOOLEAN"
	case colInt:
		return "INTEGER"
	case colReal:
		return "REAL"
	}
	return "TEXT"
}

// kindOf is the column type a single value asks for.
func kindOf(v any) colType {
	switch v.(type) {
	case nil:
		return colNone
	case bool:
		return colBool
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return colInt
	case float32, float64:
		return colReal
	}
	return colText
}

// merge widens t to hold a value of kind k.
func merge(t, k colType) colType {
	switch {
	case k == colNone || t == k:
		return t
	case t == colNone:
		return k
	case (t == colInt && k == colReal) || (t == colReal && k == colInt):
		return colReal
	}
	return colText
}

// sqlValue converts v for a column of type t.
func sqlValue(v any, t colType) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case float32:
		v = float64(x)
	case uint:
		v = uint64(x)
	}
	if f, ok := v.(float64); ok && math.IsNaN(f) {
		return nil, nil
	}
	if u, ok := v.(uint64); ok {
		if u > math.MaxInt64 {
			v = float64(u)
		} else {
			v = int64(u)
		}
	}
	if t != colText {
		return v, nil
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case int, int8, int16, int32, int64:
		return fmt.Sprint(x), nil
	case fmt.Stringer:
		return x.String(), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("value %v (%T) cannot be stored: %w", v, v, err)
	}
	return string(b), nil
}

// geometryTypeName is the gpkg_geometry_columns name of g.
func geometryTypeName(g orb.Geometry) string {
	return strings.ToUpper(g.GeoJSONType())
}

// layerColumns orders the property names of fc: the named ones first,
// then the rest sorted, and infers their types.
func layerColumns(named []string, fc *geojson.FeatureCollection) ([]string, []colType) {
	types := map[string]colType{}
	for _, f := range fc.Features {
		for k, v := range f.Properties {
			types[k] = merge(types[k], kindOf(v))
		}
	}
	var rest []string
	for k := range types {
		if !slices.Contains(named, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	cols := append(slices.Clone(named), rest...)
	ts := make([]colType, len(cols))
	for i, c := range cols {
		ts[i] = types[c]
	}
	return cols, ts
}

// featureIDs returns the fids to use (nil: 1, 2, … by row) and whether
// the IDs go to a TEXT column "id" instead.
func featureIDs(fs []*geojson.Feature) (fids []int64, idColumn bool) {
	fids = make([]int64, len(fs))
	seen := make(map[int64]bool, len(fs))
	seenID := false
	for i, f := range fs {
		if f.ID == nil {
			if seenID {
				return nil, true
			}
			continue
		}
		if i > 0 && !seenID {
			return nil, true // some without ID, some with
		}
		seenID = true
		var n int64
		switch x := f.ID.(type) {
		case int:
			n = int64(x)
		case int64:
			n = x
		case float64:
			if x != math.Trunc(x) || x < 1 || x > 1<<53 {
				return nil, true
			}
			n = int64(x)
		default:
			return nil, true
		}
		if n < 1 || seen[n] {
			return nil, true
		}
		seen[n] = true
		fids[i] = n
	}
	if !seenID {
		return nil, false
	}
	return fids, false
}

func writeLayer(tx *sql.Tx, l *Layer) error {
	fc := l.Features
	if fc == nil {
		fc = geojson.NewFeatureCollection()
	}
	cols, types := layerColumns(l.Columns, fc)
	fids, idColumn := featureIDs(fc.Features)
	for _, c := range cols {
		low := strings.ToLower(c)
		if low == "fid" || low == "geom" {
			return fmt.Errorf("property %q clashes with the GeoPackage column of that name — rename the property", c)
		}
		if idColumn && low == "id" {
			return fmt.Errorf("the features have IDs that are not distinct positive integers, and a property %q too — rename the property so the IDs can be stored in column \"id\"", c)
		}
	}
	if err := checkColumnNames(cols); err != nil {
		return err
	}

	gtype := strings.ToUpper(l.GeometryType)
	bound := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for i, f := range fc.Features {
		if f == nil {
			return fmt.Errorf("feature %d is nil", i)
		}
		if f.Geometry == nil {
			continue
		}
		name := geometryTypeName(f.Geometry)
		switch {
		case l.GeometryType == "" && gtype == "":
			gtype = name
		case l.GeometryType == "" && gtype != name:
			gtype = "GEOMETRY"
		case l.GeometryType != "" && gtype != "GEOMETRY" && gtype != name:
			return fmt.Errorf("feature %d is a %s, but the layer is declared %s", i, name, gtype)
		}
		if !isEmpty(f.Geometry) {
			b := f.Geometry.Bound()
			if !finite(b) {
				return fmt.Errorf("feature %d has a coordinate that is NaN or infinite — fix or drop it", i)
			}
			bound = bound.Union(b)
		}
	}
	if gtype == "" {
		gtype = "GEOMETRY"
	}

	defs := []string{`"fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL`, `"geom" ` + gtype}
	if idColumn {
		defs = append(defs, `"id" TEXT`)
	}
	for i, c := range cols {
		defs = append(defs, quote(c)+" "+types[i].String())
	}
	t := quote(l.Name)
	if _, err := tx.Exec(`CREATE TABLE ` + t + ` (` + strings.Join(defs, ", ") + `)`); err != nil {
		return err
	}
	var minX, minY, maxX, maxY any
	if finite(bound) {
		minX, minY, maxX, maxY = bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1]
	}
	if _, err := tx.Exec(`INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id) VALUES (?, 'features', ?, '', ?, ?, ?, ?, ?)`,
		l.Name, l.Name, minX, minY, maxX, maxY, wgs84); err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)`, l.Name, gtype, wgs84); err != nil {
		return err
	}
	rtree := quote("rtree_" + l.Name + "_geom")
	if _, err := tx.Exec(`CREATE VIRTUAL TABLE ` + rtree + ` USING rtree(id, minx, maxx, miny, maxy)`); err != nil {
		return fmt.Errorf("create the spatial index: %w", err)
	}

	names := []string{`"fid"`, `"geom"`}
	if idColumn {
		names = append(names, `"id"`)
	}
	for _, c := range cols {
		names = append(names, quote(c))
	}
	ins, err := tx.Prepare(`INSERT INTO ` + t + ` (` + strings.Join(names, ", ") + `) VALUES (?` + strings.Repeat(", ?", len(names)-1) + `)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	idx, err := tx.Prepare(`INSERT INTO ` + rtree + ` VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer idx.Close()
	args := make([]any, len(names))
	for i, f := range fc.Features {
		fid := int64(i + 1)
		if fids != nil {
			fid = fids[i]
		}
		args[0] = fid
		args[1] = nil
		if f.Geometry != nil {
			blob, err := EncodeBlob(f.Geometry, wgs84)
			if err != nil {
				return fmt.Errorf("feature %d: %w", i, err)
			}
			args[1] = blob
		}
		k := 2
		if idColumn {
			args[2] = nil
			if f.ID != nil {
				args[2] = fmt.Sprint(f.ID)
			}
			k = 3
		}
		for j, c := range cols {
			v, err := sqlValue(f.Properties[c], types[j])
			if err != nil {
				return fmt.Errorf("feature %d: property %q: %w", i, c, err)
			}
			args[k+j] = v
		}
		if _, err := ins.Exec(args...); err != nil {
			return fmt.Errorf("feature %d: %w", i, err)
		}
		if f.Geometry != nil && !isEmpty(f.Geometry) {
			b := f.Geometry.Bound()
			if _, err := idx.Exec(fid, b.Min[0], b.Max[0], b.Min[1], b.Max[1]); err != nil {
				return fmt.Errorf("feature %d: spatial index: %w", i, err)
			}
		}
	}
	if _, err := tx.Exec(`INSERT INTO gpkg_extensions VALUES (?, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')`, l.Name); err != nil {
		return err
	}
	// The triggers keep the index right when QGIS or GDAL edit the
	// layer. They call the ST_* functions those programs provide; they
	// are created after the rows are in, so this driver never runs them.
	for _, s := range rtreeTriggers(l.Name) {
		if _, err := tx.Exec(s); err != nil {
			return fmt.Errorf("create the spatial index triggers: %w", err)
		}
	}
	return nil
}

// rtreeTriggers are the triggers of the GeoPackage R-tree extension, as
// GDAL writes them.
func rtreeTriggers(table string) []string {
	t, r := quote(table), quote("rtree_"+table+"_geom")
	tr := func(suffix string) string { return quote("rtree_" + table + "_geom_" + suffix) }
	values := `VALUES (NEW."fid", ST_MinX(NEW."geom"), ST_MaxX(NEW."geom"), ST_MinY(NEW."geom"), ST_MaxY(NEW."geom"))`
	return []string{
		`CREATE TRIGGER ` + tr("insert") + ` AFTER INSERT ON ` + t + ` WHEN (NEW."geom" NOT NULL AND NOT ST_IsEmpty(NEW."geom")) BEGIN INSERT OR REPLACE INTO ` + r + ` ` + values + `; END`,
		`CREATE TRIGGER ` + tr("update1") + ` AFTER UPDATE OF "geom" ON ` + t + ` WHEN OLD."fid" = NEW."fid" AND (NEW."geom" NOTNULL AND NOT ST_IsEmpty(NEW."geom")) BEGIN INSERT OR REPLACE INTO ` + r + ` ` + values + `; END`,
		`CREATE TRIGGER ` + tr("update2") + ` AFTER UPDATE OF "geom" ON ` + t + ` WHEN OLD."fid" = NEW."fid" AND (NEW."geom" ISNULL OR ST_IsEmpty(NEW."geom")) BEGIN DELETE FROM ` + r + ` WHERE id = OLD."fid"; END`,
		`CREATE TRIGGER ` + tr("update3") + ` AFTER UPDATE ON ` + t + ` WHEN OLD."fid" != NEW."fid" AND (NEW."geom" NOTNULL AND NOT ST_IsEmpty(NEW."geom")) BEGIN DELETE FROM ` + r + ` WHERE id = OLD."fid"; INSERT OR REPLACE INTO ` + r + ` ` + values + `; END`,
		`CREATE TRIGGER ` + tr("update4") + ` AFTER UPDATE ON ` + t + ` WHEN OLD."fid" != NEW."fid" AND (NEW."geom" ISNULL OR ST_IsEmpty(NEW."geom")) BEGIN DELETE FROM ` + r + ` WHERE id IN (OLD."fid", NEW."fid"); END`,
		`CREATE TRIGGER ` + tr("delete") + ` AFTER DELETE ON ` + t + ` WHEN OLD."geom" NOT NULL BEGIN DELETE FROM ` + r + ` WHERE id = OLD."fid"; END`,
	}
}

func finite(b orb.Bound) bool {
	for _, v := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// checkColumnNames refuses empty names and names equal without case.
func checkColumnNames(cols []string) error {
	seen := map[string]string{}
	for _, c := range cols {
		if strings.TrimSpace(c) == "" {
			return errors.New("a column or property has an empty name — name it")
		}
		low := strings.ToLower(c)
		if prev, dup := seen[low]; dup {
			return fmt.Errorf("columns %q and %q differ only in case, which SQLite does not allow — rename one", prev, c)
		}
		seen[low] = c
	}
	return nil
}

func writeTable(tx *sql.Tx, t *Table) error {
	if err := checkColumnNames(t.Header); err != nil {
		return err
	}
	types := make([]colType, len(t.Header))
	for r, row := range t.Rows {
		if len(row) != len(t.Header) {
			return fmt.Errorf("row %d has %d values but the header has %d", r+1, len(row), len(t.Header))
		}
		for i, v := range row {
			types[i] = merge(types[i], kindOf(v))
		}
	}
	defs := []string{`"fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL`}
	names := make([]string, len(t.Header))
	for i, h := range t.Header {
		if strings.EqualFold(h, "fid") {
			return fmt.Errorf("column %q clashes with the GeoPackage key column — rename it", h)
		}
		names[i] = quote(h)
		defs = append(defs, names[i]+" "+types[i].String())
	}
	if _, err := tx.Exec(`CREATE TABLE ` + quote(t.Name) + ` (` + strings.Join(defs, ", ") + `)`); err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES (?, 'attributes', ?, '')`, t.Name, t.Name); err != nil {
		return err
	}
	if len(t.Header) == 0 {
		return nil
	}
	ins, err := tx.Prepare(`INSERT INTO ` + quote(t.Name) + ` (` + strings.Join(names, ", ") + `) VALUES (?` + strings.Repeat(", ?", len(names)-1) + `)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	args := make([]any, len(names))
	for r, row := range t.Rows {
		for i, v := range row {
			x, err := sqlValue(v, types[i])
			if err != nil {
				return fmt.Errorf("row %d, column %q: %w", r+1, t.Header[i], err)
			}
			args[i] = x
		}
		if _, err := ins.Exec(args...); err != nil {
			return fmt.Errorf("row %d: %w", r+1, err)
		}
	}
	return nil
}
