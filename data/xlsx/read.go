package xlsx

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/xuri/excelize/v2"
)

// Header names recognised for the columns, compared case-insensitively
// after trimming, in order of preference. The coordinate lists are a copy
// of lonColumns/latColumns in data/csv.go (keep them the same); 名称 and
// type are accepted here as well, as the CSV reader will.
var (
	lonColumns  = []string{"lon", "lng", "long", "longitude", "x", "经度"}
	latColumns  = []string{"lat", "latitude", "y", "纬度"}
	idColumns   = []string{"id"}
	nameColumns = []string{"name", "名称"}
	typeColumns = []string{"type"}
	popColumns  = []string{"population"}
	// dateColumns are the status date columns of an amenity layer (a copy
	// of opensColumns and closesColumns in data/status.go, lower case):
	// a date cell there is read as YYYY-MM-DD, not as Excel's day number.
	dateColumns = []string{"opens", "opening_date", "open_date", "开放日期", "启用日期", "开业日期",
		"closes", "closing_date", "close_date", "关闭日期", "停用日期", "停业日期"}
)

// ReadInfo says what ReadPoints found.
type ReadInfo struct {
	Sheet string // the sheet read
	// Header names of the columns used, as written in the sheet; ID,
	// Name, Type and Population are "" when the sheet has none.
	Lon, Lat, ID, Name, Type, Population string
	Points                               int // features read
	EmptyRows                            int // blank rows skipped
}

// ReadPoints reads a point layer from the .xlsx workbook at path: the
// named sheet, or with sheet "" the first sheet (in workbook order) whose
// header has longitude and latitude columns. The header is the sheet's
// first non-blank row; each later non-blank row is a point.
//
// Coordinates are read from the stored cell values (full precision, not
// as the cell's number format shows them), whether stored as numbers or
// as text ("116.35", or with a decimal comma "116,35"). They are not
// range-checked: x/y may be projected, and the caller converts them.
// The feature ID is the id column's text; properties hold every other
// non-empty cell as the text Excel shows, keyed by its header, except
// population, which is a number ≥ 0.
func ReadPoints(path, sheet string) (*geojson.FeatureCollection, ReadInfo, error) {
	var info ReadInfo
	f, err := open(path)
	if err != nil {
		return nil, info, err
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, info, fmt.Errorf("%s: the workbook has no sheets — save a sheet of points with a header row (lon, lat, name)", path)
	}
	if sheet != "" {
		found := ""
		for _, s := range sheets {
			if s == sheet || (found == "" && strings.EqualFold(s, sheet)) {
				found = s
			}
		}
		if found == "" {
			return nil, info, fmt.Errorf("%s: no sheet %q; the workbook's sheets are: %s", path, sheet, strings.Join(sheets, ", "))
		}
		s, err := readSheet(f, found)
		if err != nil {
			return nil, info, fmt.Errorf("%s: sheet %q: %w", path, found, err)
		}
		if s.cols == nil {
			return nil, info, noCoordinates(path, []*sheetData{s})
		}
		return s.points(path)
	}
	var seen []*sheetData
	for _, name := range sheets {
		s, err := readSheet(f, name)
		if err != nil {
			return nil, info, fmt.Errorf("%s: sheet %q: %w", path, name, err)
		}
		if s.cols != nil {
			return s.points(path)
		}
		seen = append(seen, s)
	}
	return nil, info, noCoordinates(path, seen)
}

// open opens a workbook, turning the errors of files that are not .xlsx
// into messages that say what to do.
func open(path string) (*excelize.File, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no such file — check the path", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory, not an .xlsx workbook", path)
	}
	if st.Size() == 0 {
		return nil, fmt.Errorf("%s: the file is empty — save the sheet again from Excel as .xlsx", path)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		hint := "open it in Excel or WPS and save it as an Excel Workbook (.xlsx)"
		if errors.Is(err, excelize.ErrWorkbookFileFormat) || strings.Contains(err.Error(), "zip") {
			return nil, fmt.Errorf("%s: not an .xlsx workbook (%v) — a CSV file should be named .csv; an old .xls or another file: %s", path, err, hint)
		}
		if strings.Contains(strings.ToLower(err.Error()), "password") || strings.Contains(strings.ToLower(err.Error()), "encrypt") {
			return nil, fmt.Errorf("%s: the workbook is encrypted or password-protected (%v) — save an unprotected copy", path, err)
		}
		return nil, fmt.Errorf("%s: cannot read the workbook: %v — %s", path, err, hint)
	}
	return f, nil
}

// sheetData is one sheet's cells: raw (stored) values and the values as
// Excel shows them, by row, with the header located.
type sheetData struct {
	name      string
	raw, text [][]string
	date1904  bool     // the workbook counts days from 1904 (old Mac Excel)
	headerRow int      // index into raw of the header; -1 for a blank sheet
	header    []string // trimmed header cells
	cols      *columns // nil when the header has no coordinate columns
}

type columns struct {
	lon, lat, id, name, typ, pop int // -1 when absent
}

func readSheet(f *excelize.File, name string) (*sheetData, error) {
	raw, err := f.GetRows(name, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, err
	}
	text, err := f.GetRows(name)
	if err != nil {
		return nil, err
	}
	s := &sheetData{name: name, raw: raw, text: text, headerRow: -1}
	if wp, err := f.GetWorkbookProps(); err == nil && wp.Date1904 != nil {
		s.date1904 = *wp.Date1904
	}
	for i, row := range raw {
		if !blank(row) {
			s.headerRow = i
			break
		}
	}
	if s.headerRow < 0 {
		return s, nil
	}
	index := map[string]int{}
	for i, h := range raw[s.headerRow] {
		h = strings.TrimSpace(h)
		s.header = append(s.header, h)
		if h == "" {
			continue
		}
		k := strings.ToLower(h)
		if j, dup := index[k]; dup {
			return nil, fmt.Errorf("row %d has column %q twice (columns %s and %s) — rename one", s.headerRow+1, h, colName(j), colName(i))
		}
		index[k] = i
	}
	pick := func(names []string) int {
		for _, n := range names {
			if i, ok := index[n]; ok {
				return i
			}
		}
		return -1
	}
	c := &columns{lon: pick(lonColumns), lat: pick(latColumns), id: pick(idColumns), name: pick(nameColumns), typ: pick(typeColumns), pop: pick(popColumns)}
	if c.lon >= 0 && c.lat >= 0 {
		s.cols = c
	}
	return s, nil
}

func noCoordinates(path string, sheets []*sheetData) error {
	var parts []string
	for _, s := range sheets {
		if s.headerRow < 0 {
			parts = append(parts, fmt.Sprintf("sheet %q is empty", s.name))
			continue
		}
		parts = append(parts, fmt.Sprintf("sheet %q has the header %q (row %d)", s.name, strings.Join(s.header, ","), s.headerRow+1))
	}
	return fmt.Errorf("%s: no longitude/latitude columns: %s — name the coordinate columns lon and lat (or lng/lat, longitude/latitude, x/y, 经度/纬度) in the first row of the sheet",
		path, strings.Join(parts, "; "))
}

func (s *sheetData) points(path string) (*geojson.FeatureCollection, ReadInfo, error) {
	c := s.cols
	info := ReadInfo{Sheet: s.name, Lon: s.header[c.lon], Lat: s.header[c.lat]}
	head := func(i int) string {
		if i < 0 {
			return ""
		}
		return s.header[i]
	}
	info.ID, info.Name, info.Type, info.Population = head(c.id), head(c.name), head(c.typ), head(c.pop)
	fc := geojson.NewFeatureCollection()
	for r := s.headerRow + 1; r < len(s.raw); r++ {
		row := s.raw[r]
		if blank(row) {
			info.EmptyRows++
			continue
		}
		cell := func(rows [][]string, i int) string {
			if i < 0 || r >= len(rows) || i >= len(rows[r]) {
				return ""
			}
			return strings.TrimSpace(rows[r][i])
		}
		where := func() string {
			w := fmt.Sprintf("%s: sheet %q, row %d", path, s.name, r+1)
			if n := cell(s.text, c.name); n != "" {
				w += fmt.Sprintf(" (%q)", n)
			} else if id := cell(s.text, c.id); id != "" {
				w += fmt.Sprintf(" (id %s)", id)
			}
			return w
		}
		lon, err := number(cell(s.raw, c.lon), info.Lon)
		if err != nil {
			return nil, info, fmt.Errorf("%s: %v", where(), err)
		}
		lat, err := number(cell(s.raw, c.lat), info.Lat)
		if err != nil {
			return nil, info, fmt.Errorf("%s: %v", where(), err)
		}
		f := geojson.NewFeature(orb.Point{lon, lat})
		if id := cell(s.text, c.id); id != "" {
			f.ID = id
		}
		for i, h := range s.header {
			switch {
			case h == "", i == c.lon, i == c.lat, i == c.id:
			case i == c.pop:
				v := cell(s.raw, i)
				if v == "" {
					continue
				}
				n, err := number(v, h)
				if err != nil || n < 0 {
					return nil, info, fmt.Errorf("%s: %s %q must be a number ≥ 0", where(), h, v)
				}
				f.Properties[h] = n
			case slices.Contains(dateColumns, strings.ToLower(h)):
				if v := s.date(cell(s.raw, i), cell(s.text, i)); v != "" {
					f.Properties[h] = v
				}
			default:
				if v := cell(s.text, i); v != "" {
					f.Properties[h] = v
				}
			}
		}
		fc.Append(f)
	}
	info.Points = len(fc.Features)
	return fc, info, nil
}

// date returns a date column's cell as YYYY-MM-DD when Excel stores it
// as a whole day number (a cell formatted as a date), else the cell's
// text as shown, for the amenity reader to check.
func (s *sheetData) date(raw, text string) string {
	n, err := strconv.ParseFloat(raw, 64)
	if err != nil || n != math.Trunc(n) || n < 1 || n > 2958465 {
		return text
	}
	t, err := excelize.ExcelDateToTime(n, s.date1904)
	if err != nil {
		return text
	}
	return t.Format("2006-01-02")
}

// number parses a coordinate or count stored as a number or as text; a
// single decimal comma is accepted.
func number(s, what string) (float64, error) {
	if s == "" {
		return 0, fmt.Errorf("%s is empty — fill it in or delete the row", what)
	}
	t := s
	if strings.Count(t, ",") == 1 && !strings.Contains(t, ".") {
		t = strings.Replace(t, ",", ".", 1)
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%s %q is not a number — fix or remove the row", what, s)
	}
	return v, nil
}

func blank(row []string) bool {
	for _, v := range row {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// colName is the spreadsheet letter of 0-based column i.
func colName(i int) string {
	n, err := excelize.ColumnNumberToName(i + 1)
	if err != nil {
		return strconv.Itoa(i + 1)
	}
	return n
}
