package xlsx

// Data rows are written here rather than by excelize's StreamWriter:
// excelize makes the workbook's frame (styles, widths, the header row and
// one marker row per sheet) and the rows are encoded straight into the
// worksheet's deflate stream in their place, encoded on one core while
// the others compress (pdeflate.go). The uncompressed bytes are those
// excelize writes (FuzzRowsMatchExcelize and TestWorkbookMatchesExcelize
// compare every unzipped part with its StreamWriter's), so the workbook
// did not change; only the time and memory to make it did. The compressed
// bytes of the sheets with rows are klauspost/compress's, not
// compress/flate's.

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// rowsPerChunk is how many rows are encoded ahead of the compressor at a
// time.
const rowsPerChunk = 2048

func rowsMarkerNonce() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeWorkbook writes the workbook of sheets (checked by checkSheets)
// with its zip entries in a fixed order ([Content_Types].xml first, then
// by name): excelize writes them in map order, so the same sheets would
// give different bytes from run to run. Entries are copied compressed as
// excelize made them, except the worksheets with rows, whose marker row is
// replaced by the rows.
func writeWorkbook(w io.Writer, sheets []Sheet) error {
	f := excelize.NewFile()
	defer f.Close()
	quoted, markers, err := build(f, sheets)
	if err != nil {
		return err
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return err
	}
	files, err := sortedEntries(buf.Bytes())
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	for _, zf := range files {
		if strings.HasPrefix(zf.Name, "xl/worksheets/") {
			done, err := spliceEntry(zw, zf, sheets, markers, quoted)
			if err != nil {
				return fmt.Errorf("%s: %w", zf.Name, err)
			}
			if done {
				continue
			}
		}
		if err := zw.Copy(zf); err != nil {
			return err
		}
	}
	return zw.Close()
}

// sortedEntries returns the entries of zip archive b, [Content_Types].xml
// first, then by name.
func sortedEntries(b []byte) ([]*zip.File, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	files := slices.Clone(zr.File)
	slices.SortFunc(files, func(a, b *zip.File) int {
		ka, kb := a.Name != "[Content_Types].xml", b.Name != "[Content_Types].xml"
		if ka != kb {
			if !ka {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return files, nil
}

// copySorted copies zip archive b to w with its entries sorted as
// sortedEntries sorts them, compressed as they are.
func copySorted(w io.Writer, b []byte) error {
	files, err := sortedEntries(b)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	for _, zf := range files {
		if err := zw.Copy(zf); err != nil {
			return err
		}
	}
	return zw.Close()
}

// spliceEntry writes worksheet entry zf with its marker row replaced by
// its sheet's rows; done is false when zf holds no marker (copy it as is).
func spliceEntry(zw *zip.Writer, zf *zip.File, sheets []Sheet, markers []string, quoted int) (done bool, err error) {
	rc, err := zf.Open()
	if err != nil {
		return false, err
	}
	frame, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return false, err
	}
	for i, m := range markers {
		if m == "" {
			continue
		}
		row := `<row r="2"><c r="A2" t="inlineStr"><is><t>` + m + `</t></is></c></row>`
		at := bytes.Index(frame, []byte(row))
		if at < 0 {
			continue
		}
		hdr := zf.FileHeader
		if hdr.Method != zip.Deflate {
			return false, fmt.Errorf("excelize stored the sheet with method %d, not deflate", hdr.Method)
		}
		var out pieceList
		fw := newParallelDeflate(&out)
		defer fw.wait()
		if _, err := fw.Write(frame[:at]); err != nil {
			return false, err
		}
		if err := streamRows(fw, sheets[i].Rows, quoted); err != nil {
			return false, fmt.Errorf("sheet %q: %w", sheets[i].Name, err)
		}
		if _, err := fw.Write(frame[at+len(row):]); err != nil {
			return false, err
		}
		if err := fw.Close(); err != nil {
			return false, err
		}
		hdr.CRC32 = fw.crc
		hdr.UncompressedSize64 = fw.n
		hdr.CompressedSize64 = uint64(out.n)
		if hdr.UncompressedSize64 > math.MaxUint32 || hdr.CompressedSize64 > math.MaxUint32 {
			return false, errors.New("sheet larger than 4 GiB: more than a workbook of this kind holds")
		}
		ew, err := zw.CreateRaw(&hdr)
		if err != nil {
			return false, err
		}
		for _, b := range out.bufs {
			if _, err := ew.Write(b); err != nil {
				return true, err
			}
		}
		return true, nil
	}
	return false, nil
}

// streamRows writes rows as rows 2, 3, … of a sheet, encoded ahead by a
// second goroutine so encoding and compressing share the cores.
func streamRows(w io.Writer, rows [][]any, quoted int) error {
	type chunk struct {
		b   []byte
		err error
	}
	ch := make(chan chunk, 4)
	free := make(chan []byte, 6) // written buffers, for the next chunks
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(ch)
		var c rowEncoder
		for lo := 0; lo < len(rows); lo += rowsPerChunk {
			var b []byte
			select {
			case b = <-free:
			default:
			}
			var err error
			for r := lo; r < min(lo+rowsPerChunk, len(rows)) && err == nil; r++ {
				b, err = c.appendRow(b, r+2, rows[r], quoted)
			}
			select {
			case ch <- chunk{b, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range ch {
		if c.err != nil {
			return c.err
		}
		if _, err := w.Write(c.b); err != nil {
			return err
		}
		select {
		case free <- c.b[:0]:
		default:
		}
	}
	return nil
}

// rowEncoder encodes rows as excelize's StreamWriter.SetRow does (no row
// options, cells from column A).
type rowEncoder struct {
	cols []string // column letters by index, grown as needed
}

func (e *rowEncoder) col(i int) (string, error) {
	for len(e.cols) <= i {
		name, err := excelize.ColumnNumberToName(len(e.cols) + 1)
		if err != nil {
			return "", err
		}
		e.cols = append(e.cols, name)
	}
	return e.cols[i], nil
}

// appendRow appends row r (1-based) with values row; formula-like text gets
// style quoted.
func (e *rowEncoder) appendRow(b []byte, r int, row []any, quoted int) ([]byte, error) {
	b = append(b, `<row r="`...)
	b = strconv.AppendInt(b, int64(r), 10)
	b = append(b, `">`...)
	for i, v := range row {
		switch x := v.(type) { // the common values, without boxing them again
		case nil:
			continue
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				continue
			}
		case string, bool, int:
		default:
			c, err := cellValue(v)
			if err != nil {
				return b, fmt.Errorf("row %d: %w", r-1, err)
			}
			if c == nil {
				continue
			}
			v = c
		}
		name, err := e.col(i)
		if err != nil {
			return b, err
		}
		b = append(b, `<c r="`...)
		b = append(b, name...)
		b = strconv.AppendInt(b, int64(r), 10)
		b = append(b, '"')
		switch x := v.(type) {
		case string:
			if formulaLike(x) {
				b = append(b, ` s="`...)
				b = strconv.AppendInt(b, int64(quoted), 10)
				b = append(b, '"')
			}
			b = appendInlineStr(b, x)
		case bool:
			b = append(b, ` t="b"><v>`...)
			if x {
				b = append(b, '1')
			} else {
				b = append(b, '0')
			}
			b = append(b, `</v></c>`...)
		case float64:
			b = append(b, `><v>`...)
			b = appendCellFloat(b, x)
			b = append(b, `</v></c>`...)
		case int:
			b = append(b, `><v>`...)
			b = strconv.AppendInt(b, int64(x), 10)
			b = append(b, `</v></c>`...)
		case int8, int16, int32, int64:
			b = append(b, `><v>`...)
			b = strconv.AppendInt(b, reflectInt(x), 10)
			b = append(b, `</v></c>`...)
		case uint, uint8, uint16, uint32, uint64:
			b = append(b, `><v>`...)
			b = strconv.AppendUint(b, reflectUint(x), 10)
			b = append(b, `</v></c>`...)
		default:
			return b, fmt.Errorf("row %d: value of type %T", r-1, v)
		}
	}
	return append(b, `</row>`...), nil
}

func reflectInt(v any) int64 {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	}
	return v.(int64)
}

func reflectUint(v any) uint64 {
	switch x := v.(type) {
	case uint:
		return uint64(x)
	case uint8:
		return uint64(x)
	case uint16:
		return uint64(x)
	case uint32:
		return uint64(x)
	}
	return v.(uint64)
}

// appendInlineStr appends the rest of an inline text cell after its
// reference (and style): excelize's trimCellValue with escaping (texts
// are checked to fit in a cell before).
func appendInlineStr(b []byte, s string) []byte {
	b = append(b, ` t="inlineStr"><is><t`...)
	if s != "" {
		first, last := s[0], s[len(s)-1]
		for _, c := range []byte{9, 10, 13, 32} {
			if first == c || last == c {
				b = append(b, ` xml:space="preserve"`...)
				break
			}
		}
	}
	b = append(b, '>')
	if plainText(s) {
		b = append(b, s...)
	} else {
		var esc strings.Builder
		_ = xml.EscapeText(&esc, []byte(s))
		b = append(b, bstrMarshal(strings.ReplaceAll(esc.String(), "&#xA;", "\n"))...)
	}
	return append(b, `</t></is></c>`...)
}

// plainText reports text that XML escaping and excelize's _xHHHH_ escaping
// leave as it is: printable ASCII without & < > ' " and without "_x".
func plainText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '&' || c == '<' || c == '>' || c == '\'' || c == '"' {
			return false
		}
		if c == '_' && i+1 < len(s) && s[i+1] == 'x' {
			return false
		}
	}
	return true
}

// appendCellFloat appends excelize's formatCellFloat(value, -1, 64)
// (cell.go, BSD-3-Clause): the shortest decimal, cut to Excel's 15
// significant digits.
func appendCellFloat(b []byte, value float64) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, value, 'f', -1, 64)
	if math.Abs(value) == math.MaxFloat64 {
		return b
	}
	const maxPrec = 15
	str := b[start:]
	decimal := bytes.IndexByte(str, '.')
	significant := 0
	for idx := range str {
		if str[idx] < '0' || str[idx] > '9' || significant == 0 && str[idx] == '0' {
			continue
		}
		significant++
		if significant <= maxPrec {
			continue
		}
		if decimal >= 0 && idx > decimal {
			b = b[:start+idx]
			if b[len(b)-1] == '.' {
				b = b[:len(b)-1]
			}
			return b
		}
		if decimal < 0 {
			decimal = len(str)
		}
		for ; idx < decimal; idx++ {
			str[idx] = '0'
		}
		return b[:start+decimal]
	}
	return b
}

var (
	bstrExp       = regexp.MustCompile(`_x[a-fA-F\d]{4}_`)
	bstrEscapeExp = regexp.MustCompile(`x[a-fA-F\d]{4}_`)
)

// bstrMarshal is excelize's bstrMarshal (lib.go, BSD-3-Clause): text that
// looks like an escaped character (_xHHHH_) gets its underscore escaped.
func bstrMarshal(s string) (result string) {
	matches, l, cursor := bstrExp.FindAllStringSubmatchIndex(s, -1), len(s), 0
	for _, match := range matches {
		result += s[cursor:match[0]]
		subStr := s[match[0]:match[1]]
		if subStr == "_x005F_" {
			cursor = match[1]
			if match[1]+6 <= l && bstrEscapeExp.MatchString(s[match[1]:match[1]+6]) {
				_, err := strconv.Unquote(`"\u` + s[match[1]+1:match[1]+5] + `"`)
				if err == nil {
					result += subStr + "x005F" + subStr
					continue
				}
			}
			result += subStr + "x005F_"
			continue
		}
		if bstrExp.MatchString(subStr) {
			cursor = match[1]
			if _, err := strconv.Unquote(`"\u` + s[match[0]+2:match[1]-1] + `"`); err == nil {
				result += "_x005F" + subStr
				continue
			}
		}
	}
	if cursor < l {
		result += s[cursor:]
	}
	return result
}
