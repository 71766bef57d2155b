package data

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lifecircle/lifecircle/data/infile"
	"github.com/lifecircle/lifecircle/planner"
)

// StatusFileName is the status history kept beside a project file.
const StatusFileName = "status.csv"

// statusReportColumns are the columns of a field report file; the history
// (status.csv) adds imported_at, when the report was imported.
var statusReportColumns = []string{"facility_id", "status", "date", "note", "reported_by", "imported_at"}

const statusReportHelp = "a report file is CSV with a header facility_id,status,date,note,reported_by (note and reported_by may be empty)"

// ReadStatusReports reads a field report file or a status history:
// CSV (UTF-8 with or without BOM, or GBK as Excel saves it) with a header
// naming facility_id, status and date, and optionally note, reported_by
// and imported_at, in any order. Every row is checked: an empty id, an
// unknown status (planner.ParseStatus: English or Chinese), a date that is
// not YYYY-MM-DD or lies after today are errors naming the file, the line
// and the fix. Seq is the data row's position (1-based).
func ReadStatusReports(path string, today time.Time) ([]planner.StatusReport, error) {
	b, err := infile.ReadFile(path, "a field report CSV (facility_id,status,date,note,reported_by)")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, notFoundError(path)
		}
		return nil, fmt.Errorf("status reports: %w", err)
	}
	return ParseStatusReports(path, b, today)
}

// ParseStatusReports parses the content b of the report file path
// (ReadStatusReports).
func ParseStatusReports(path string, b []byte, today time.Time) ([]planner.StatusReport, error) {
	b, err := decodeText(path, b, "save it as CSV UTF-8", ReadOptions{})
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("%s: the file is empty — %s", path, statusReportHelp)
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %v — %s", path, err, statusReportHelp)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range statusReportColumns {
			known = known || c == h
		}
		if !known {
			return nil, fmt.Errorf("%s:1: unknown column %q — %s", path, head[i], statusReportHelp)
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("%s:1: column %q appears twice — keep one", path, h)
		}
		col[h] = i
	}
	for _, c := range []string{"facility_id", "status", "date"} {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("%s:1: no %q column — %s", path, c, statusReportHelp)
		}
	}
	day := planner.Day(today)
	var out []planner.StatusReport
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v — %s", path, err, statusReportHelp)
		}
		line, _ := r.FieldPos(0)
		get := func(c string) string {
			if i, ok := col[c]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.Join(rec, "") == "" {
			continue
		}
		rep := planner.StatusReport{FacilityID: get("facility_id"), Note: get("note"), ReportedBy: get("reported_by"), Seq: len(out) + 1}
		if rep.FacilityID == "" {
			return nil, fmt.Errorf("%s:%d: no facility_id — give the id of the facility as `lifecircle facilities` lists it", path, line)
		}
		where := fmt.Sprintf("%s:%d (facility %s)", path, line, rep.FacilityID)
		if get("status") == "" {
			return nil, fmt.Errorf("%s: no status — give open, planned, under_construction, closed or temporarily_closed (or 运营, 规划, 在建, 关闭, 暂停)", where)
		}
		if rep.Status, err = planner.ParseStatus(get("status")); err != nil {
			return nil, fmt.Errorf("%s: %v", where, unwrapInvalid(err))
		}
		if rep.Date, err = planner.ParseDate(get("date")); err != nil || rep.Date.IsZero() {
			return nil, fmt.Errorf("%s: date %q: give the day the facility was seen as YYYY-MM-DD (e.g. %s)", where, get("date"), planner.FormatDate(day))
		}
		if rep.Date.After(day) {
			return nil, fmt.Errorf("%s: date %s is after today (%s) — a report says what was seen on a day that has passed; fix the date", where, planner.FormatDate(rep.Date), planner.FormatDate(day))
		}
		out = append(out, rep)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no reports below the header — %s", path, statusReportHelp)
	}
	return out, nil
}

// AppendStatusHistory appends reports to the status history at path
// (status.csv), creating it with a header when it does not exist. The
// file is rewritten atomically with its earlier bytes unchanged and the new
// rows after them, so no report is ever lost; imported is written in
// imported_at. The existing history is checked first (ReadStatusReports),
// so a damaged history is named rather than extended.
func AppendStatusHistory(path string, reports []planner.StatusReport, imported time.Time) (total int, err error) {
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = nil
	case err != nil:
		return 0, fmt.Errorf("status history: %w", err)
	}
	if !utf8.Valid(bytes.TrimPrefix(old, utf8BOM)) {
		return 0, fmt.Errorf("%s: the status history is not UTF-8 — save it as CSV UTF-8 (lifecircle writes it so); nothing was imported", path)
	}
	var prev []planner.StatusReport
	if len(bytes.TrimSpace(bytes.TrimPrefix(old, utf8BOM))) > 0 {
		if prev, err = ParseStatusReports(path, old, imported); err != nil {
			return 0, fmt.Errorf("%w (the status history is damaged: fix or move it away; nothing was imported)", err)
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if len(prev) == 0 {
		buf.Write(utf8BOM)
		_ = w.Write(statusReportColumns)
	} else {
		buf.Write(old)
		if old[len(old)-1] != '\n' {
			buf.WriteByte('\n')
		}
	}
	text := func(s string) string { // free text: never a spreadsheet formula
		if FormulaLike(s) {
			return "'" + s
		}
		return s
	}
	at := imported.UTC().Format(time.RFC3339)
	for _, r := range reports {
		_ = w.Write([]string{r.FacilityID, string(r.Status), planner.FormatDate(r.Date), text(r.Note), text(r.ReportedBy), at})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return 0, err
	}
	if err := WriteFileAtomic(path, func(out io.Writer) error { _, err := out.Write(buf.Bytes()); return err }); err != nil {
		return 0, err
	}
	return len(prev) + len(reports), nil
}
