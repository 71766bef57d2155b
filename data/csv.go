package data

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// Header names recognised for the coordinate columns, in order of
// preference (compared case-insensitively after trimming).
var (
	lonColumns = []string{"lon", "lng", "long", "longitude", "x", "经度"}
	latColumns = []string{"lat", "latitude", "y", "纬度"}
)

const utf8FixCSV = "in Excel use Save As → CSV UTF-8 (逗号分隔)"

// readCSV reads a point layer from CSV text with a header row. The
// delimiter (',', ';' or tab) is taken from the header line; a UTF-8 BOM
// and CRLF line ends (Excel) are accepted.
func readCSV(path string, data []byte, o ReadOptions) (*Layer, error) {
	return readCSVWith(path, data, o, true)
}

// readCSVWith is readCSV trying the fast path (csv_fast.go) first or not.
func readCSVWith(path string, data []byte, o ReadOptions, fast bool) (*Layer, error) {
	if o.Allow&Points == 0 {
		return nil, fmt.Errorf("%s: a CSV file holds points, but this layer needs %s — use GeoJSON", path, o.Allow)
	}
	data, err := decodeText(path, data, utf8FixCSV, o)
	if err != nil {
		return nil, err
	}
	data = crLines(data)
	delim := sniffDelimiter(data)
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = delim
	cr.FieldsPerRecord = -1 // checked below with a clearer message
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err != nil {
		return nil, csvError(path, err)
	}
	cols, err := mapColumns(path, header)
	if err != nil {
		return nil, err
	}
	if fast && o.pop != nil {
		if pf, handled, err := readPopCSVFast(path, data, data[cr.InputOffset():], cols, delim, o); handled {
			if err != nil {
				return nil, err
			}
			o.pop.out = pf
			return &Layer{Path: path}, nil
		}
	}
	if fast {
		if feats, handled, err := readCSVFast(path, data, data[cr.InputOffset():], cols, delim, o); handled {
			if err != nil {
				return nil, err
			}
			return &Layer{Path: path, Features: feats}, nil
		}
	}

	// One row a line at most (blank lines are skipped, quoted fields may
	// span lines): room for all rows at once instead of growing by copies.
	rows := bytes.Count(data, []byte{'\n'}) + 1
	feats := make([]Feature, 0, rows)
	fromFile := make([]bool, 0, rows)
	names := make([]string, 0, rows)
	for row := 0; ; row++ {
		if row%1024 == 0 {
			if err := o.stopped(path); err != nil {
				return nil, err
			}
		}
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(path, err)
		}
		line, _ := cr.FieldPos(0)
		f, name, err := cols.feature(row, rec, delim)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", path, featureRef("line", line, f.ID, name), err)
		}
		f.Geometry = convertGeometry(f.Geometry, o.Coords)
		feats = append(feats, f)
		fromFile = append(fromFile, f.ID != "")
		names = append(names, name)
	}
	if err := finishIDs(path, feats, fromFile, names, o); err != nil {
		return nil, err
	}
	return &Layer{Path: path, Features: feats}, nil
}

// sniffDelimiter picks the most frequent of ',', ';' and tab outside
// quotes on the header line; ',' on a tie or when none occurs.
func sniffDelimiter(data []byte) rune {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		data = data[:i]
	}
	var comma, semi, tab int
	inQuote := false
	for _, c := range data {
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == ',':
			comma++
		case c == ';':
			semi++
		case c == '\t':
			tab++
		}
	}
	switch {
	case semi > comma && semi >= tab:
		return ';'
	case tab > comma && tab > semi:
		return '\t'
	}
	return ','
}

func csvError(path string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: line %d, column %d: %v — check the quotes on that line", path, pe.Line, pe.Column, pe.Err)
	}
	if err == io.EOF {
		return fmt.Errorf("%s: file is empty", path)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// csvColumns maps header positions to their roles.
type csvColumns struct {
	header     []string // trimmed names as written
	lon, lat   int
	id, name   int // -1 when absent
	population int // -1 when absent
}

func mapColumns(path string, header []string) (*csvColumns, error) {
	c := &csvColumns{lon: -1, lat: -1, id: -1, name: -1, population: -1}
	index := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		c.header = append(c.header, h)
		if h == "" {
			continue
		}
		k := strings.ToLower(h)
		if j, dup := index[k]; dup {
			return nil, fmt.Errorf("%s: header has column %q twice (columns %d and %d) — rename one", path, h, j+1, i+1)
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
	c.lon, c.lat = pick(lonColumns), pick(latColumns)
	if c.lon < 0 || c.lat < 0 {
		return nil, fmt.Errorf("%s: no longitude/latitude columns in the header %q — name them lon,lat (or lng/lat, longitude/latitude, x/y) and make sure the first row is the header",
			path, strings.Join(c.header, ","))
	}
	c.id, c.name, c.population = pick([]string{"id"}), pick([]string{"name"}), pick([]string{"population"})
	return c, nil
}

// feature builds the feature for data row `row`; name is for messages.
func (c *csvColumns) feature(row int, rec []string, delim rune) (f Feature, name string, err error) {
	f.Index = row
	field := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	f.ID, name = field(c.id), field(c.name)
	if len(rec) < len(c.header) {
		return f, name, fmt.Errorf("row has %d fields but the header has %d — a delimiter is missing or the row is cut short", len(rec), len(c.header))
	}
	for _, extra := range rec[len(c.header):] {
		if strings.TrimSpace(extra) != "" {
			return f, name, fmt.Errorf("row has %d fields but the header has %d — quote values that contain %q", len(rec), len(c.header), delim)
		}
	}
	lon, err := parseNumber(field(c.lon), "longitude", delim)
	if err != nil {
		return f, name, err
	}
	lat, err := parseNumber(field(c.lat), "latitude", delim)
	if err != nil {
		return f, name, err
	}
	p := orb.Point{lon, lat}
	if err := checkPosition(p); err != nil {
		return f, name, err
	}
	f.Geometry = p
	f.Properties = make(map[string]any, len(c.header))
	for i, h := range c.header {
		switch {
		case h == "", i == c.lon, i == c.lat, i == c.id:
		case i == c.population:
			v := field(i)
			if v == "" {
				continue
			}
			n, err := parseNumber(v, "population", delim)
			if err != nil {
				return f, name, err
			}
			if math.IsNaN(n) || math.IsInf(n, 0) || n < 0 {
				return f, name, fmt.Errorf("population %q must be a number ≥ 0", v)
			}
			f.Properties["population"] = n
		default:
			f.Properties[h] = field(i)
		}
	}
	return f, name, nil
}

// parseNumber parses a decimal number; with ';' or tab delimiters a
// decimal comma ("24,94", as European Excel writes) is accepted too.
func parseNumber(s, what string, delim rune) (float64, error) {
	if s == "" {
		return 0, fmt.Errorf("%s is empty — fill it in or delete the row", what)
	}
	t := s
	if delim != ',' && strings.Count(t, ",") == 1 && !strings.Contains(t, ".") {
		t = strings.Replace(t, ",", ".", 1)
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("%s %q is out of range — fix or remove the row", what, s)
		}
		return 0, fmt.Errorf("%s %q is not a number — fix or remove the row", what, s)
	}
	return v, nil
}
