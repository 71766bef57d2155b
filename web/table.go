package web

import (
	"cmp"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
)

// The table view's data: /api/table/units (the units of one level with
// every figure and the rules each breaks) and /api/table/facilities (the
// facilities counted, with the rule that counted them), filtered, sorted
// and paged as JSON, or the whole filtered, sorted table as .csv or .xlsx
// with the same parameters, so that an export is exactly the table shown.

const (
	defaultTableLimit = 200
	maxTableLimit     = 10000
	maxTableFilters   = 20
)

// A tableQuery is the parsed query of a table request.
type tableQuery struct {
	level   string // units: level collection; "" = the map's first
	q       string // text searched in every text column, lower case
	typ     string // facilities: one type
	filters []tableFilter
	sort    string // column key; "" = the table's order
	desc    bool
	limit   int
	offset  int
	at      string // unit or facility id whose page to answer
}

// A tableFilter keeps the rows whose column col compares to value by op.
type tableFilter struct {
	col, op, raw string
	num          float64
}

var filterRE = regexp.MustCompile(`^\s*([\p{L}\p{N}_\-]+)\s*(<=|>=|!=|<|>|=|~)\s*(.*?)\s*$`)

// parseTableQuery validates a table request's query; format is "json",
// "csv" or "xlsx" (paging applies to json only).
func parseTableQuery(v url.Values, table string) (tableQuery, error) {
	q := tableQuery{limit: defaultTableLimit}
	for k, vs := range v {
		if len(vs) > 1 && k != "filter" {
			return q, badRequest("parameter %s is given %d times; give it once", shorten(k, 40), len(vs))
		}
		val := vs[0]
		switch k {
		case "level":
			if table != "units" {
				return q, badRequest("level applies to the units table only")
			}
			q.level = val
		case "type":
			if table != "facilities" {
				return q, badRequest("type applies to the facilities table only; filter units with filter=coverage_<type><0.5")
			}
			q.typ = val
		case "q":
			q.q = strings.ToLower(strings.TrimSpace(val))
		case "filter":
			if len(vs) > maxTableFilters {
				return q, badRequest("%d filters: give at most %d", len(vs), maxTableFilters)
			}
			for _, f := range vs {
				if strings.TrimSpace(f) == "" {
					continue
				}
				m := filterRE.FindStringSubmatch(f)
				if m == nil {
					return q, badRequest("filter %q: write COLUMN OP VALUE, e.g. coverage_clinic<0.5 or name~park (OP one of < <= > >= = != ~)", shorten(f, 60))
				}
				q.filters = append(q.filters, tableFilter{col: m[1], op: m[2], raw: m[3]})
			}
		case "sort":
			q.sort, q.desc = strings.CutPrefix(strings.TrimSpace(val), "-")
		case "limit":
			n, err := strconv.Atoi(strings.TrimSpace(val))
			if err != nil && isBigInt(val) {
				n, err = maxTableLimit, nil
			}
			if err != nil || n < 1 {
				return q, badRequest("limit %q must be a whole number 1..%d", shorten(val, 30), maxTableLimit)
			}
			q.limit = min(n, maxTableLimit)
		case "offset":
			n, err := strconv.Atoi(strings.TrimSpace(val))
			if err != nil || n < 0 {
				return q, badRequest("offset %q must be a whole number ≥ 0", shorten(val, 30))
			}
			q.offset = n
		case "at":
			q.at = val
		default:
			return q, badRequest("unknown parameter %q: tables take level (units), type (facilities), q, filter, sort, limit, offset and at", shorten(k, 40))
		}
	}
	return q, nil
}

// A tableColumn describes one column for the page: its key (the CSV
// header), names and whether it holds numbers.
type tableColumn struct {
	Key     string `json:"key"`
	Zh      string `json:"zh"`
	En      string `json:"en"`
	Numeric bool   `json:"numeric"`
}

type tableDoc struct {
	Table   string        `json:"table"`
	Level   string        `json:"level,omitempty"` // units: the level's collection
	Key     string        `json:"key"`             // the column that identifies a row
	Columns []tableColumn `json:"columns"`
	Rows    [][]any       `json:"rows"`
	Total   int           `json:"total"`   // rows before filtering
	Matched int           `json:"matched"` // rows after filtering
	Offset  int           `json:"offset"`
	Limit   int           `json:"limit"`
	// At is the index in rows of the row asked for by at, -1 when it is
	// not in the filtered table.
	At int `json:"at"`
}

// A builtTable is a table with its column descriptions and key column.
type builtTable struct {
	name, level, key string
	data.Table
	columns []tableColumn
}

func (s *Server) handleTable(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "table")
	format := "json"
	for _, ext := range []string{"csv", "xlsx", "json"} {
		if base, ok := strings.CutSuffix(name, "."+ext); ok {
			name, format = base, ext
		}
	}
	if name != "units" && name != "facilities" {
		s.fail(w, r, notFound("no table %q: the tables are units and facilities (add .csv or .xlsx to download one)", shorten(name, 60)))
		return
	}
	q, err := parseTableQuery(r.URL.Query(), name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var t *builtTable
	if name == "units" {
		t, err = s.unitsTable(q.level)
	} else {
		t, err = s.facilitiesTable(q.typ)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	total := len(t.Rows)
	if err := t.apply(q); err != nil {
		s.fail(w, r, err)
		return
	}
	file := t.name
	if t.level != "" {
		file = t.level
	}
	switch format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", attachment(file+".csv"))
		if err := t.WriteCSV(w); err != nil {
			s.log.Info("table export not completed", "table", file, "err", err)
		}
		return
	case "xlsx":
		cols := data.Table{Header: []string{"column", "name_zh", "name_en"}}
		for _, c := range t.columns {
			cols.Rows = append(cols.Rows, []any{c.Key, c.Zh, c.En})
		}
		var buf jsonBuffer
		if err := data.WriteTableWorkbook(&buf, file, t.Table, cols); err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", attachment(file+".xlsx"))
		_, _ = w.Write(buf.b)
		return
	}
	out := tableDoc{Table: t.name, Level: t.level, Key: t.key, Columns: t.columns, Total: total, Matched: len(t.Rows), Limit: q.limit, At: -1}
	out.Offset = q.offset
	if q.at != "" {
		ki := slices.Index(t.Header, t.key)
		for i, row := range t.Rows {
			if row[ki] == q.at {
				out.Offset = i / q.limit * q.limit
				out.At = i - out.Offset
				break
			}
		}
	}
	rows := t.Rows[min(out.Offset, len(t.Rows)):min(out.Offset+q.limit, len(t.Rows))]
	out.Rows = data.Table{Rows: rows}.PlainRows()
	writeJSON(w, http.StatusOK, mimeJSON, out)
}

// attachment is a Content-Disposition for a download named name (UTF-8
// names, e.g. a level 社区, as RFC 6266 filename*).
func attachment(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf("attachment; filename=%q; filename*=UTF-8''%s", ascii, url.PathEscape(name))
}

// unitsTable builds the table of the units of a level (collection id, ""
// for the map's first level) at the scenario's current state: every
// column of units_<level>.geojson, then rules_broken (how many provision
// rules the unit breaks) and rules (their numbers, as rules.csv).
func (s *Server) unitsTable(level string) (*builtTable, error) {
	l := s.finestLevel()
	if level != "" {
		var ok bool
		if l, ok = s.level(level); !ok {
			ids := make([]string, len(s.levels))
			for i, x := range s.levels {
				ids[i] = x.id
			}
			return nil, notFound("no level %q: the levels are %s", shorten(level, 60), strings.Join(ids, ", "))
		}
	}
	f := s.figures()
	f.tabMu.Lock()
	defer f.tabMu.Unlock()
	if t, ok := f.tables[l.id]; ok {
		c := *t // apply replaces the copy's rows, never the cached ones
		return &c, nil
	}
	units := s.levelUnits(l)
	props := make([]data.UnitProperties, len(units))
	for u := range units {
		props[u] = s.unitProps(f, l, u)
	}
	t := &builtTable{name: "units", level: l.id, key: "unit_id", Table: data.LevelUnitsTable(s.profile.Types, props)}
	t.Header = append(t.Header, "rules_broken", "rules")
	for u := range t.Rows {
		b := f.brokenOf(l, u)
		ids := make([]string, len(b))
		for i, x := range b {
			ids[i] = strconv.Itoa(x)
		}
		t.Rows[u] = append(t.Rows[u], len(b), strings.Join(ids, " "))
	}
	labels := map[string][2]string{}
	for _, row := range data.ColumnsTable(s.profile.Types).Rows {
		labels[row[0].(string)] = [2]string{row[1].(string), row[2].(string)}
	}
	labels["rules_broken"] = [2]string{"未达标规则数", "rules broken"}
	labels["rules"] = [2]string{"未达标规则（编号）", "rules broken (numbers)"}
	t.describe(labels)
	if f.tables == nil {
		f.tables = map[string]*builtTable{}
	}
	f.tables[l.id] = t
	c := *t
	return &c, nil
}

// facilitiesTable builds the table of the facilities counted now (the
// what-if edits applied), of one type or all.
func (s *Server) facilitiesTable(typ string) (*builtTable, error) {
	if typ != "" {
		if _, ok := s.profile.Type(typ); !ok {
			return nil, badRequest("type %q is not in profile %s (its types: %s)", shorten(typ, 40), s.profile.ID, strings.Join(s.profile.TypeIDs(), ", "))
		}
	}
	var fs []planner.Facility
	s.sc.View(func(in planner.AuditInput, _ *planner.AuditResult, active []bool) {
		for i, f := range in.Facilities {
			if active[i] {
				fs = append(fs, f)
			}
		}
	})
	t := &builtTable{name: "facilities", key: "id", Table: data.FacilityListTable(s.profile, data.ListFacilities(s.profile, fs, typ))}
	t.describe(map[string][2]string{
		"type": {"类型", "type"}, "type_zh": {"类型（中文）", "type (Chinese)"}, "type_en": {"类型（英文）", "type (English)"},
		"id": {"编号", "id"}, "name": {"名称", "name"}, "rule": {"计入依据", "counted by (rule)"}, "source": {"来源", "source"},
		"lon": {"经度（WGS84）", "longitude (WGS84)"}, "lat": {"纬度（WGS84）", "latitude (WGS84)"}, "tags": {"OSM 标签", "OSM tags"},
		"status": {"状态", "status"}, "opens": {"开放日期", "opens"}, "closes": {"关闭日期", "closes"},
		"capacity": {"容量（位）", "capacity (places)"},
	})
	return t, nil
}

// describe sets the columns from the header, their names from labels and
// whether they hold numbers from the first row that has a value.
func (t *builtTable) describe(labels map[string][2]string) {
	t.columns = make([]tableColumn, len(t.Header))
	for j, k := range t.Header {
		l, ok := labels[k]
		if !ok {
			l = [2]string{k, k}
		}
		c := tableColumn{Key: k, Zh: l[0], En: l[1]}
		for _, row := range t.Rows {
			if row[j] == nil {
				continue
			}
			_, isNum := cellNumber(row[j])
			_, isText := row[j].(string)
			c.Numeric = isNum || !isText
			break
		}
		t.columns[j] = c
	}
}

// cellNumber returns a cell's number; false for text and for empty cells
// (nil, NaN).
func cellNumber(v any) (float64, bool) {
	switch x := data.PlainValue(v).(type) {
	case float64:
		return x, !math.IsNaN(x)
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// apply filters and sorts the rows by q.
func (t *builtTable) apply(q tableQuery) error {
	col := func(key, what string) (int, error) {
		if j := slices.Index(t.Header, key); j >= 0 {
			return j, nil
		}
		return 0, badRequest("%s: no column %q in the %s table (its columns: %s)", what, shorten(key, 40), t.name, strings.Join(t.Header, ", "))
	}
	var checks []tableCheck
	for _, f := range q.filters {
		j, err := col(f.col, "filter")
		if err != nil {
			return err
		}
		c := tableCheck{j: j, tableFilter: f, numeric: t.columns[j].Numeric}
		switch {
		case f.op == "~":
			c.numeric = false
			c.raw = strings.ToLower(c.raw)
		case c.numeric:
			x, err := strconv.ParseFloat(f.raw, 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return badRequest("filter %s%s%s: column %s holds numbers; give a number (shares as 0..1, e.g. coverage_clinic<0.5)", f.col, f.op, shorten(f.raw, 30), f.col)
			}
			c.num = x
		case f.op != "=" && f.op != "!=":
			return badRequest("filter %s%s%s: column %s holds text; compare it with =, != or ~ (contains)", f.col, f.op, shorten(f.raw, 30), f.col)
		}
		checks = append(checks, c)
	}
	var textCols []int
	for j, c := range t.columns {
		if !c.Numeric {
			textCols = append(textCols, j)
		}
	}
	keep := func(row []any) bool {
		if q.q != "" {
			found := false
			for _, j := range textCols {
				if s, ok := row[j].(string); ok && strings.Contains(strings.ToLower(s), q.q) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		for _, c := range checks {
			if !c.match(row[c.j]) {
				return false
			}
		}
		return true
	}
	// A new slice: the rows may be a cached table's.
	rows := make([][]any, 0, len(t.Rows))
	for _, row := range t.Rows {
		if keep(row) {
			rows = append(rows, row)
		}
	}
	t.Rows = rows
	if q.sort == "" {
		return nil
	}
	j, err := col(q.sort, "sort")
	if err != nil {
		return err
	}
	// Sort keys are read once per row, not once per comparison.
	type keyed struct {
		row  []any
		num  float64
		isN  bool
		text string
	}
	ks := make([]keyed, len(t.Rows))
	for i, row := range t.Rows {
		ks[i].row = row
		ks[i].num, ks[i].isN = cellNumber(row[j])
		ks[i].text, _ = row[j].(string)
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		// Empty cells last, whichever the direction; then numbers before text.
		ea, eb := !a.isN && a.text == "", !b.isN && b.text == ""
		if ea || eb {
			return cmp.Compare(boolInt(ea), boolInt(eb))
		}
		if a.isN != b.isN {
			return cmp.Compare(boolInt(!a.isN), boolInt(!b.isN))
		}
		var c int
		if a.isN {
			c = cmp.Compare(a.num, b.num)
		} else {
			c = strings.Compare(a.text, b.text)
		}
		if q.desc {
			c = -c
		}
		return c
	})
	for i := range ks {
		t.Rows[i] = ks[i].row
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A tableCheck is a filter bound to its column.
type tableCheck struct {
	j int
	tableFilter
	numeric bool
}

// match reports whether cell v passes the filter: numbers compare as
// numbers (an empty cell never passes), text by =, != or ~ (contains,
// ignoring case).
func (c tableCheck) match(v any) bool {
	if !c.numeric {
		s, ok := v.(string)
		if !ok && v != nil {
			s = fmt.Sprint(data.PlainValue(v))
		}
		switch c.op {
		case "~":
			return strings.Contains(strings.ToLower(s), c.raw)
		case "=":
			return s == c.raw
		case "!=":
			return s != c.raw
		}
		return false
	}
	x, ok := cellNumber(v)
	if !ok {
		return false
	}
	switch c.op {
	case "<":
		return x < c.num
	case "<=":
		return x <= c.num
	case ">":
		return x > c.num
	case ">=":
		return x >= c.num
	case "=":
		return x == c.num
	case "!=":
		return x != c.num
	}
	return false
}
