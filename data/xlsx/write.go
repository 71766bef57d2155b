package xlsx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// A Sheet is one worksheet to write: a header row and data rows.
type Sheet struct {
	Name   string
	Header []string
	Rows   [][]any
}

// Column widths in Excel character units: CJK characters count double.
const (
	minWidth = 8
	maxWidth = 60
)

// Write writes a workbook of sheets to path, built in a temporary file
// beside it and renamed into place (path is the old file or the complete
// new one). Go integers and floats become number cells (NaN and ±Inf
// empty cells), bools boolean cells, strings text cells; other values
// are written as text (fmt.Stringer, else JSON).
//
// No cell is ever a formula. Text that a spreadsheet would take for one
// when edited or exported — starting with = + - @, tab or carriage
// return — is written as text with the quote prefix (the cell shows the
// text as typed, as Excel does for a leading apostrophe). The header row
// is bold and frozen, and columns are as wide as their text (CJK
// characters counted double), within 8–60.
func Write(path string, sheets []Sheet) error {
	if err := checkSheets(sheets); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("write %s: is a directory", path)
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := writeWorkbook(tmp, sheets); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// WriteTo writes a workbook of sheets to w, as Write writes it to a file.
func WriteTo(w io.Writer, sheets []Sheet) error {
	if err := checkSheets(sheets); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if err := writeWorkbook(w, sheets); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

// checkSheets applies Excel's rules for sheet names (1–31 characters,
// none of : \ / ? * [ ], unique without case) and row lengths.
func checkSheets(sheets []Sheet) error {
	if len(sheets) == 0 {
		return errors.New("no sheets to write")
	}
	seen := map[string]bool{}
	for _, s := range sheets {
		n := s.Name
		switch {
		case strings.TrimSpace(n) == "":
			return errors.New("a sheet has no name")
		case utf8.RuneCountInString(n) > 31:
			return fmt.Errorf("sheet name %q is longer than Excel's 31 characters", n)
		case strings.ContainsAny(n, `:\/?*[]`):
			return fmt.Errorf("sheet name %q contains one of : \\ / ? * [ ], which Excel does not allow", n)
		case strings.HasPrefix(n, "'") || strings.HasSuffix(n, "'"):
			return fmt.Errorf("sheet name %q begins or ends with an apostrophe, which Excel does not allow", n)
		case seen[strings.ToLower(n)]:
			return fmt.Errorf("sheet name %q is used twice (Excel ignores case)", n)
		}
		seen[strings.ToLower(n)] = true
		for r, row := range s.Rows {
			if len(row) > len(s.Header) {
				return fmt.Errorf("sheet %q: row %d has %d values but the header has %d", n, r+1, len(row), len(s.Header))
			}
		}
	}
	return nil
}

// build has excelize make the workbook's frame: every sheet with its
// header row and, for a sheet with rows, the marker row where its rows go
// (markers[i], "" for none). quoted is the cell style of formula-like text.
func build(f *excelize.File, sheets []Sheet) (quoted int, markers []string, err error) {
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return 0, nil, err
	}
	if quoted, err = quotePrefixStyle(f); err != nil {
		return 0, nil, err
	}
	markers = make([]string, len(sheets))
	nonce := rowsMarkerNonce()
	first := f.GetSheetName(0)
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName(first, s.Name); err != nil {
				return 0, nil, fmt.Errorf("sheet %q: %w", s.Name, err)
			}
		} else if _, err := f.NewSheet(s.Name); err != nil {
			return 0, nil, fmt.Errorf("sheet %q: %w", s.Name, err)
		}
		if len(s.Rows) > 0 {
			markers[i] = fmt.Sprintf("lifecircle-rows-%s-%d", nonce, i)
		}
		if err := writeSheet(f, s, bold, quoted, markers[i]); err != nil {
			return 0, nil, fmt.Errorf("sheet %q: %w", s.Name, err)
		}
	}
	f.SetActiveSheet(0)
	return quoted, markers, nil
}

// quotePrefixStyle makes a cell style with quotePrefix="1", Excel's
// record of a leading apostrophe. excelize's Style has no field for it,
// so it is set on the style sheet entry the new style made.
func quotePrefixStyle(f *excelize.File) (int, error) {
	id, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Horizontal: "left"}})
	if err != nil {
		return 0, err
	}
	if f.Styles == nil || f.Styles.CellXfs == nil || id >= len(f.Styles.CellXfs.Xf) {
		return 0, errors.New("excelize did not record the new cell style: cannot mark formula-like text")
	}
	yes := true
	f.Styles.CellXfs.Xf[id].QuotePrefix = &yes
	return id, nil
}

// formulaLike reports text that spreadsheets treat as a formula (OWASP's
// CSV injection list).
func formulaLike(s string) bool {
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}

// writeSheet has excelize write the sheet's frame: column widths, the
// frozen header row and, when the sheet has data rows, one marker row
// that spliceRows replaces by the rows themselves (rows.go).
func writeSheet(f *excelize.File, s Sheet, bold, quoted int, marker string) error {
	sw, err := f.NewStreamWriter(s.Name)
	if err != nil {
		return err
	}
	widths, err := columnWidths(s)
	if err != nil {
		return err
	}
	for i, w := range widths {
		w = min(max(w+2, minWidth), maxWidth)
		if err := sw.SetColWidth(i+1, i+1, float64(w)); err != nil {
			return err
		}
	}
	if len(s.Header) > 0 {
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
	}
	head := make([]any, len(s.Header))
	for i, h := range s.Header {
		head[i] = excelize.Cell{StyleID: bold, Value: h}
		if formulaLike(h) {
			head[i] = excelize.Cell{StyleID: quoted, Value: h}
		}
	}
	if err := sw.SetRow("A1", head, excelize.RowOpts{StyleID: bold}); err != nil {
		return err
	}
	if len(s.Rows) > 0 {
		if err := sw.SetRow("A2", []any{marker}); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// columnWidths checks every cell of s (a value that can be written, text
// that fits in a cell) and returns each column's text width.
func columnWidths(s Sheet) ([]int, error) {
	widths := make([]int, len(s.Header))
	for i, h := range s.Header {
		widths[i] = textWidth(h)
	}
	for r, row := range s.Rows {
		for i, v := range row {
			c, err := cellValue(v)
			if err != nil {
				return nil, fmt.Errorf("row %d, column %q: %w", r+1, s.Header[i], err)
			}
			if str, ok := c.(string); ok {
				if n := utf16Len(str); n > excelize.TotalCellChars {
					return nil, fmt.Errorf("row %d, column %q: text of %d characters is longer than an Excel cell holds (%d)", r+1, s.Header[i], n, excelize.TotalCellChars)
				}
			}
			if w := textWidth(c); w > widths[i] {
				widths[i] = w
			}
		}
	}
	return widths, nil
}

// cellValue converts v to what the stream writer stores: numbers, bools
// and strings as they are, NaN/Inf as nil, anything else as text.
func cellValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return v, nil
	case float32:
		return cellValue(float64(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, nil
		}
		return v, nil // as boxed already: x would be boxed again
	case fmt.Stringer:
		return x.String(), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("value %v (%T) cannot be written: %w", v, v, err)
	}
	return string(b), nil
}

// utf16Len is the length of s in UTF-16 code units, the unit of
// Excel's cell limit; UTF-8 is never shorter, so most text is not
// re-encoded.
func utf16Len(s string) int {
	if len(s) <= excelize.TotalCellChars {
		return len(s)
	}
	return len(utf16.Encode([]rune(s)))
}

// textWidth is the display width of v's text in character units, East
// Asian wide characters counting two.
func textWidth(v any) int {
	if c, ok := v.(excelize.Cell); ok {
		v = c.Value
	}
	var s string
	switch x := v.(type) {
	case nil:
		return 0
	case string:
		s = x
	case float64:
		// fmt's %.6g is strconv's 'g' with 6 digits: ASCII, one unit a byte.
		var buf [32]byte
		return len(strconv.AppendFloat(buf[:0], x, 'g', 6, 64))
	case int:
		var buf [24]byte
		return len(strconv.AppendInt(buf[:0], int64(x), 10))
	default:
		s = fmt.Sprint(x)
	}
	w := 0
	for _, r := range s {
		if wide(r) {
			w += 2
		} else {
			w++
		}
	}
	return w
}

// wide reports the East Asian wide and full-width ranges that matter for
// Chinese, Japanese and Korean text.
func wide(r rune) bool {
	return (r >= 0x1100 && r <= 0x115F) || (r >= 0x2E80 && r <= 0xA4CF) ||
		(r >= 0xAC00 && r <= 0xD7A3) || (r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0xFE30 && r <= 0xFE4F) || (r >= 0xFF00 && r <= 0xFF60) ||
		(r >= 0xFFE0 && r <= 0xFFE6) || (r >= 0x20000 && r <= 0x3FFFD)
}
