package data

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// This file is the one CSV writer of every CSV output (summary.csv,
// rules.csv, facilities.csv, demand.csv, proposals.csv, nearest's CSV,
// batch_summary.csv). Each file starts with a UTF-8 byte order mark, the
// only way Excel on a Chinese Windows recognises UTF-8 rather than
// reading the file as GBK. Text fields that a spreadsheet would run as a
// formula get a leading apostrophe (OWASP, "CSV Injection"); numbers are
// written as they are, so a negative number stays a number.

// UTF8BOM starts every CSV file lifecircle writes.
const UTF8BOM = "\ufeff"

// A Fixed is a number written with Dec decimals ("0.4133", "-12.0"); NaN
// and ±Inf are written as an empty field (an empty cell in a workbook).
type Fixed struct {
	X   float64
	Dec int
}

// F returns x as a Fixed with dec decimals.
func F(x float64, dec int) Fixed { return Fixed{x, dec} }

// Valid reports whether f is a finite number.
func (f Fixed) Valid() bool { return !math.IsNaN(f.X) && !math.IsInf(f.X, 0) }

// String is the number as the CSV writes it ("" when not finite).
func (f Fixed) String() string {
	if !f.Valid() {
		return ""
	}
	return strconv.FormatFloat(f.X, 'f', f.Dec, 64)
}

// Value is the number as a workbook or GeoPackage stores it: the value of
// the CSV text (so the two files agree to the last digit), or nil.
func (f Fixed) Value() any {
	if !f.Valid() {
		return nil
	}
	if x, ok := f.fastValue(); ok {
		return x
	}
	x, _ := strconv.ParseFloat(f.String(), 64)
	return x
}

// pow10s are the exact powers of ten fastValue divides by.
var pow10s = [...]float64{1, 10, 100, 1e3, 1e4, 1e5, 1e6}

// fastValue is Value without formatting and parsing, when it is sure to
// be the same number: the text has the integer k = round(X·10^Dec) digits
// and parses to the double nearest k/10^Dec, which float64(k)/10^Dec is
// (both exact, the division correctly rounded). X·10^Dec is off by far
// less than 0.001 below 1e12, so k is the text's unless the product lies
// within 0.001 of a halfway point. ok is false otherwise.
func (f Fixed) fastValue() (float64, bool) {
	if f.Dec < 0 || f.Dec >= len(pow10s) {
		return 0, false
	}
	p := pow10s[f.Dec]
	v := f.X * p
	if !(v > -1e12 && v < 1e12) {
		return 0, false
	}
	k := math.Round(v)
	if math.Abs(v-k) > 0.499 {
		return 0, false
	}
	return k / p, true
}

// FormulaLike reports text that a spreadsheet would take for a formula
// when opened or edited: starting with = + - @, tab or carriage return
// (OWASP's CSV injection list).
func FormulaLike(s string) bool {
	return s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0
}

// AppendCSVField appends the text s as one CSV field: with a leading
// apostrophe when it is FormulaLike, and in double quotes (RFC 4180) when
// it holds a comma, a quote or a line break.
func AppendCSVField(b []byte, s string) []byte {
	if FormulaLike(s) {
		s = "'" + s
	}
	need := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\n', '\r':
			need = true
		}
	}
	if !need {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// AppendCSVValue appends v as one CSV field: string as text
// (AppendCSVField); Fixed, Num, float and integer types as numbers (NaN
// and ±Inf empty, floats in their shortest form); nil as an empty field;
// bool as true/false; anything else as the text of fmt.Sprint.
func AppendCSVValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return b
	case string:
		return AppendCSVField(b, x)
	case Fixed:
		if !x.Valid() {
			return b
		}
		return strconv.AppendFloat(b, x.X, 'f', x.Dec, 64)
	case Num:
		return appendCSVFloat(b, float64(x))
	case float64:
		return appendCSVFloat(b, x)
	case float32:
		return appendCSVFloat(b, float64(x))
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case bool:
		return strconv.AppendBool(b, x)
	}
	return AppendCSVField(b, fmt.Sprint(v))
}

func appendCSVFloat(b []byte, x float64) []byte {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return b
	}
	return appendShortF(b, x)
}

// A CSVWriter writes CSV rows (comma-separated, LF line ends) after a
// UTF-8 byte order mark, each value as AppendCSVValue writes it. Errors
// are sticky: Flush returns the first.
type CSVWriter struct {
	w       *bufio.Writer
	buf     []byte
	started bool
	err     error
}

// NewCSVWriter returns a CSV writer to w. The byte order mark is written
// with the first row (or by Flush when there is none).
func NewCSVWriter(w io.Writer) *CSVWriter {
	return &CSVWriter{w: bufio.NewWriterSize(w, 64<<10), buf: make([]byte, 0, 256)}
}

// Row writes one row.
func (c *CSVWriter) Row(vals ...any) error {
	if c.err != nil {
		return c.err
	}
	b := c.buf[:0]
	if !c.started {
		b = append(b, UTF8BOM...)
		c.started = true
	}
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendCSVValue(b, v)
	}
	b = append(b, '\n')
	c.buf = b
	if _, err := c.w.Write(b); err != nil {
		c.err = err
	}
	return c.err
}

// Text writes one row of text fields.
func (c *CSVWriter) Text(fields ...string) error {
	vals := make([]any, len(fields))
	for i, f := range fields {
		vals[i] = f
	}
	return c.Row(vals...)
}

// Flush writes what is buffered (and the byte order mark of a file
// without rows) and returns the first error.
func (c *CSVWriter) Flush() error {
	if c.err != nil {
		return c.err
	}
	if !c.started {
		c.started = true
		if _, err := c.w.WriteString(UTF8BOM); err != nil {
			c.err = err
			return err
		}
	}
	if err := c.w.Flush(); err != nil {
		c.err = err
	}
	return c.err
}

// A Table is the rows of one CSV output, also written as a workbook sheet
// and a GeoPackage attribute table: text values are strings; numbers are
// Fixed, Num, float64 or int; nil is empty.
type Table struct {
	Header []string
	Rows   [][]any
}

// WriteCSV writes t as CSV to w.
func (t Table) WriteCSV(w io.Writer) error {
	c := NewCSVWriter(w)
	if err := c.Text(t.Header...); err != nil {
		return err
	}
	for _, r := range t.Rows {
		if err := c.Row(r...); err != nil {
			return err
		}
	}
	return c.Flush()
}

// PlainRows returns the rows with Fixed and Num values as float64 (nil
// when not finite), the values the workbook and GeoPackage writers
// store.
func (t Table) PlainRows() [][]any {
	out := make([][]any, len(t.Rows))
	n := 0
	for _, r := range t.Rows {
		n += len(r)
	}
	// One allocation for all rows (a unit table has 100,000), each row
	// capped at its own length.
	all := make([]any, n)
	for i, r := range t.Rows {
		p := all[:len(r):len(r)]
		all = all[len(r):]
		for j, v := range r {
			p[j] = PlainValue(v)
		}
		out[i] = p
	}
	return out
}

// PlainValue converts a Fixed or Num to float64 (nil when not finite),
// and leaves other values as they are.
func PlainValue(v any) any {
	switch x := v.(type) {
	case Fixed:
		return x.Value()
	case Num:
		if !x.Valid() {
			return nil
		}
		return float64(x)
	case Real:
		if !Num(x).Valid() {
			return nil
		}
		return float64(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
	}
	return v
}
