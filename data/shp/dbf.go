package shp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// A Field is one column of the attribute table.
type Field struct {
	Name     string
	Type     byte // 'C' text, 'N' or 'F' number, 'L' logical, 'D' date; others are read as text
	Length   int
	Decimals int
}

// dbfTable is a decoded .dbf: the fields and, per record, its values (nil
// for a deleted record).
type dbfTable struct {
	fields   []Field
	records  []map[string]any
	encoding string
	guessed  bool
}

// codepages maps the code-page numbers found in .cpg files (ESRI writes
// numbers, GDAL names) to names htmlindex knows.
var codepages = map[string]string{
	"65001": "utf-8", "utf8": "utf-8",
	"936": "gbk", "cp936": "gbk", "ms936": "gbk", "20936": "gbk", "gb2312": "gbk", "gb_2312-80": "gbk",
	"54936": "gb18030",
	"950":   "big5", "cp950": "big5",
	"1252": "windows-1252", "cp1252": "windows-1252",
	"88591": "iso-8859-1", "8859_1": "iso-8859-1", "iso88591": "iso-8859-1",
}

// encodingFor resolves a .cpg label. GBK is read with the GB18030 decoder,
// of which it is a subset, so that files labelled GBK or GB2312 but holding
// GB18030's four-byte characters still decode.
func encodingFor(label string) (encoding.Encoding, string, error) {
	l := strings.ToLower(strings.TrimSpace(label))
	if m, ok := codepages[l]; ok {
		l = m
	}
	switch l {
	case "utf-8":
		return nil, "UTF-8", nil
	case "gbk":
		return simplifiedchinese.GB18030, "GBK", nil
	case "gb18030":
		return simplifiedchinese.GB18030, "GB18030", nil
	}
	e, err := htmlindex.Get(l)
	if err != nil {
		return nil, "", err
	}
	name, _ := htmlindex.Name(e)
	return e, strings.ToUpper(name), nil
}

// dBASE language driver ids (byte 29 of the header) that declare the
// Chinese code page 936. Other ids are not trusted: ArcGIS and GDAL write
// 0x57 (ANSI) on files whose text is GBK all the same.
func ldidIsGBK(b byte) bool { return b == 0x4D || b == 0x7A }

// decodeDBF reads a .dbf. cpg is the content of the .cpg file, or "" when
// there is none: then the text is UTF-8 if it is valid UTF-8, else GBK, and
// the table says the encoding was guessed (unless the header's language
// driver declares code page 936). name is used in errors.
func decodeDBF(name string, data []byte, cpg string, hasCPG bool) (*dbfTable, error) {
	if len(data) < 32 {
		return nil, fmt.Errorf("%s: %d bytes is shorter than the 32-byte header of a .dbf file — the file is truncated; copy it again", name, len(data))
	}
	nrec := int64(binary.LittleEndian.Uint32(data[4:8]))
	hlen := int(binary.LittleEndian.Uint16(data[8:10]))
	rlen := int(binary.LittleEndian.Uint16(data[10:12]))
	if hlen < 33 || hlen > len(data) {
		return nil, fmt.Errorf("%s: header length %d does not fit the file (%d bytes) — not a .dbf file, or truncated", name, hlen, len(data))
	}
	if rlen < 1 {
		return nil, fmt.Errorf("%s: record length %d — not a .dbf file", name, rlen)
	}
	if need := int64(hlen) + nrec*int64(rlen); need > int64(len(data)) {
		got := (int64(len(data)) - int64(hlen)) / int64(rlen)
		return nil, fmt.Errorf("%s: record %d: truncated: the header says %d records of %d bytes but the file holds %d — the file is incomplete; copy it again", name, got+1, nrec, rlen, got)
	}
	t := &dbfTable{}
	// Field descriptors: 32 bytes each from byte 32 up to the 0x0D terminator.
	type col struct {
		Field
		off  int
		name []byte
	}
	var cols []col
	off := 1 // the deletion flag
	for p := 32; p+32 <= hlen && data[p] != 0x0D; p += 32 {
		d := data[p : p+32]
		rawName := d[:11]
		if i := bytes.IndexByte(rawName, 0); i >= 0 {
			rawName = rawName[:i]
		}
		c := col{Field: Field{Type: d[11], Length: int(d[16]), Decimals: int(d[17])}, off: off, name: bytes.TrimSpace(rawName)}
		if c.Type == 'C' {
			// Text longer than 255 bytes keeps the high byte in the decimals (Clipper, GDAL).
			c.Length += 256 * c.Decimals
			c.Decimals = 0
		}
		off += c.Length
		cols = append(cols, c)
	}
	if off > rlen {
		return nil, fmt.Errorf("%s: the fields take %d bytes but a record has %d — the header is broken", name, off, rlen)
	}

	// The encoding: .cpg, else the language driver, else a guess.
	var enc encoding.Encoding
	switch {
	case hasCPG:
		e, label, err := encodingFor(cpg)
		if err != nil {
			return nil, fmt.Errorf("%s: the .cpg names the encoding %q, which is not known — write UTF-8 or GBK into the .cpg file", name, strings.TrimSpace(cpg))
		}
		enc, t.encoding = e, label
	case ldidIsGBK(data[29]):
		enc, t.encoding = simplifiedchinese.GB18030, "GBK"
	default:
		t.encoding, t.guessed = "UTF-8", true
		valid := true
		for _, c := range cols {
			valid = valid && utf8.Valid(c.name)
		}
		for r := int64(0); r < nrec && valid; r++ {
			rec := data[int64(hlen)+r*int64(rlen):]
			for _, c := range cols {
				if c.Type == 'C' && !utf8.Valid(rec[c.off:c.off+c.Length]) {
					valid = false
					break
				}
			}
		}
		if !valid {
			enc, t.encoding = simplifiedchinese.GB18030, "GBK"
		}
	}
	var dec *encoding.Decoder
	if enc != nil {
		dec = enc.NewDecoder()
	}
	text := func(b []byte) string {
		if dec == nil {
			return strings.ToValidUTF8(string(b), "\uFFFD")
		}
		s, err := dec.Bytes(b)
		if err != nil {
			return strings.ToValidUTF8(string(b), "\uFFFD")
		}
		return string(s)
	}
	seen := map[string]bool{}
	for i := range cols {
		n := text(cols[i].name)
		if n == "" {
			n = fmt.Sprintf("field%d", i+1)
		}
		for base, k := n, 2; seen[n]; k++ {
			n = fmt.Sprintf("%s_%d", base, k)
		}
		seen[n] = true
		cols[i].Name = n
		t.fields = append(t.fields, cols[i].Field)
	}

	t.records = make([]map[string]any, nrec)
	for r := int64(0); r < nrec; r++ {
		rec := data[int64(hlen)+r*int64(rlen):][:rlen]
		if rec[0] == '*' {
			continue // deleted
		}
		props := make(map[string]any, len(cols))
		for _, c := range cols {
			raw := rec[c.off : c.off+c.Length]
			v, err := value(c.Field, raw, text)
			if err != nil {
				return nil, fmt.Errorf("%s: record %d: field %s: %v", name, r+1, c.Name, err)
			}
			props[c.Name] = v
		}
		t.records[r] = props
	}
	return t, nil
}

// value converts one field. Blank values are nil (dBASE has no null; GDAL
// reads blanks as null too). N and F numbers without decimals are int64 when
// they fit, else float64.
func value(f Field, raw []byte, text func([]byte) string) (any, error) {
	switch f.Type {
	case 'N', 'F':
		s := strings.TrimSpace(strings.TrimRight(string(raw), "\x00"))
		if s == "" || strings.Trim(s, "*") == "" {
			return nil, nil
		}
		if f.Decimals == 0 {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return i, nil
			}
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			// Some writers put a comma as the decimal separator.
			if v2, err2 := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64); err2 == nil {
				return v2, nil
			}
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return v, nil
	case 'L':
		switch s := strings.TrimSpace(string(raw)); s {
		case "T", "t", "Y", "y":
			return true, nil
		case "F", "f", "N", "n":
			return false, nil
		}
		return nil, nil
	case 'D':
		s := strings.TrimSpace(string(raw))
		if s == "" || strings.Trim(s, "0") == "" {
			return nil, nil
		}
		if len(s) == 8 {
			if _, err := strconv.Atoi(s); err == nil {
				return s[:4] + "-" + s[4:6] + "-" + s[6:], nil
			}
		}
		return nil, fmt.Errorf("date %q is not YYYYMMDD", s)
	}
	s := strings.TrimRight(text(bytes.TrimRight(raw, " \x00")), " ")
	if s == "" {
		return nil, nil
	}
	return s, nil
}
