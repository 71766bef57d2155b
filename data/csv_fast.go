package data

// A fast path for the commonest CSV layer: rows of plain values, no quote
// anywhere in the file. The rows are split by hand on their bytes (no
// encoding/csv, no string per record), numbers parsed from the bytes, and
// a large file is read in pieces on all cores. Each row becomes the same
// Feature as csvColumns.feature makes of it, with the same index, id and
// properties. Anything else — a quote, a carriage return inside a line, a
// row that is not read cleanly (short, long, not a number, out of
// range), an id problem — makes it give up, and the general reader reads
// the whole file again: the fast path never decides what a file means or
// which error it has, it only avoids work.

import (
	"bytes"
	"math"
	"runtime"
	"strconv"
	"sync"

	"github.com/paulmach/orb"
)

// csvPieceBytes is the least body a worker of its own is worth.
const csvPieceBytes = 1 << 20

// readCSVFast reads body, the rows after the header line of a CSV file
// (data, the whole decoded text, is checked for quotes). handled is false
// when the general reader must read the file; otherwise the features are
// the general reader's, or err is a cancellation.
func readCSVFast(path string, data, body []byte, cols *csvColumns, delim rune, o ReadOptions) (feats []Feature, handled bool, err error) {
	if delim >= 0x80 || bytes.IndexByte(data, '"') >= 0 {
		return nil, false, nil
	}
	ok, err := readPieces(body, func(n int) { feats = make([]Feature, n) }, func(p []byte, lo, hi int) (bool, error) {
		return cols.fastRows(path, p, byte(delim), o, feats[lo:hi], lo)
	})
	if err != nil || !ok {
		return nil, err != nil, err
	}
	fromFile := make([]bool, len(feats))
	for i := range feats {
		fromFile[i] = feats[i].ID != ""
	}
	// names serve only finishIDs' messages: on any of them the general
	// reader, which has the names, reads the file and says it.
	if finishIDs(path, feats, fromFile, make([]string, len(feats)), o) != nil {
		return nil, false, nil
	}
	return feats, true, nil
}

// splitLines cuts b into at most n pieces of whole lines.
func splitLines(b []byte, n int) [][]byte {
	var pieces [][]byte
	for ; n > 1 && len(b) > 0; n-- {
		cut := len(b) / n
		i := bytes.IndexByte(b[cut:], '\n')
		if i < 0 {
			break
		}
		pieces = append(pieces, b[:cut+i+1])
		b = b[cut+i+1:]
	}
	return append(pieces, b)
}

// parallelPieces runs f on every piece, each on a goroutine of its own.
func parallelPieces(pieces [][]byte, f func(i int, p []byte)) {
	var wg sync.WaitGroup
	for i, p := range pieces {
		wg.Go(func() { f(i, p) })
	}
	wg.Wait()
}

// nextLine cuts the first line off b as encoding/csv reads it: up to a
// newline or the end, without one carriage return before either.
func nextLine(b []byte) (line, rest []byte) {
	line = b
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		line, rest = b[:i], b[i+1:]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}

// countRows counts the lines of b that are not empty: the rows that
// encoding/csv reads from it.
func countRows(b []byte) int {
	n := 0
	for len(b) > 0 {
		var line []byte
		if line, b = nextLine(b); len(line) > 0 {
			n++
		}
	}
	return n
}

// readPieces reads body, the rows of a CSV file, in pieces of whole lines
// on all cores: alloc(n) is told the number of rows first (so that every
// piece reads straight into its place in one slice), then read(p, lo, hi)
// reads piece p, rows lo to hi. ok is false when a piece's read is; err
// is the first piece's error.
func readPieces(body []byte, alloc func(n int), read func(p []byte, lo, hi int) (bool, error)) (ok bool, err error) {
	pieces := splitLines(body, min(runtime.GOMAXPROCS(0), max(1, len(body)/csvPieceBytes)))
	at := make([]int, len(pieces)+1)
	parallelPieces(pieces, func(i int, p []byte) { at[i+1] = countRows(p) })
	for i := range pieces {
		at[i+1] += at[i]
	}
	alloc(at[len(pieces)])
	oks, errs := make([]bool, len(pieces)), make([]error, len(pieces))
	parallelPieces(pieces, func(i int, p []byte) { oks[i], errs[i] = read(p, at[i], at[i+1]) })
	for i := range pieces {
		if errs[i] != nil {
			return false, errs[i]
		}
		if !oks[i] {
			return false, nil
		}
	}
	return true, nil
}

// eachRow calls row(k, fields) on the rows of b as encoding/csv would read
// them (CRLF or LF line ends, empty lines skipped, a final line without
// its newline), k counting them from 0, fields split on delim (the slice
// is reused). ok is false for anything the general reader must judge: a
// carriage return inside a line, more than n rows or fewer, a row that
// row refuses.
func eachRow(path string, b []byte, delim byte, o ReadOptions, nfields, n int, row func(k int, fields [][]byte) bool) (ok bool, err error) {
	fields := make([][]byte, 0, nfields+1)
	k := 0
	for len(b) > 0 {
		var line []byte
		if line, b = nextLine(b); len(line) == 0 {
			continue
		}
		if bytes.IndexByte(line, '\r') >= 0 || k == n {
			return false, nil
		}
		if k%1024 == 0 {
			if err := o.stopped(path); err != nil {
				return true, err
			}
		}
		fields = fields[:0]
		for {
			i := bytes.IndexByte(line, delim)
			if i < 0 {
				fields = append(fields, line)
				break
			}
			fields = append(fields, line[:i])
			line = line[i+1:]
		}
		if !row(k, fields) {
			return false, nil
		}
		k++
	}
	return k == n, nil
}

// fastRows reads the rows of b (countRows of them) into dst, numbering
// them from base; ok is false for anything the general reader must judge.
func (c *csvColumns) fastRows(path string, b []byte, delim byte, o ReadOptions, dst []Feature, base int) (ok bool, err error) {
	return eachRow(path, b, delim, o, len(c.header), len(dst), func(k int, fields [][]byte) bool {
		f, ok := c.fastFeature(base+k, fields, delim)
		if ok {
			f.Geometry = convertGeometry(f.Geometry, o.Coords)
			dst[k] = f
		}
		return ok
	})
}

// fastFeature is csvColumns.feature on the fields of one row, false where
// feature would return an error.
func (c *csvColumns) fastFeature(row int, rec [][]byte, delim byte) (f Feature, ok bool) {
	f.Index = row
	if len(rec) < len(c.header) {
		return f, false
	}
	for _, extra := range rec[len(c.header):] {
		if len(bytes.TrimSpace(extra)) != 0 {
			return f, false
		}
	}
	if c.id >= 0 {
		f.ID = string(bytes.TrimSpace(rec[c.id]))
	}
	lon, okLon := parseNumberBytes(bytes.TrimSpace(rec[c.lon]), delim)
	lat, okLat := parseNumberBytes(bytes.TrimSpace(rec[c.lat]), delim)
	p := orb.Point{lon, lat}
	if !okLon || !okLat || checkPosition(p) != nil {
		return f, false
	}
	f.Geometry = p
	f.Properties = make(map[string]any, len(c.header))
	for i, h := range c.header {
		switch {
		case h == "", i == c.lon, i == c.lat, i == c.id:
		case i == c.population:
			v := bytes.TrimSpace(rec[i])
			if len(v) == 0 {
				continue
			}
			n, ok := parseNumberBytes(v, delim)
			if !ok || math.IsNaN(n) || math.IsInf(n, 0) || n < 0 {
				return f, false
			}
			f.Properties["population"] = n
		default:
			f.Properties[h] = string(bytes.TrimSpace(rec[i]))
		}
	}
	return f, true
}

// parseNumberBytes is parseNumber on bytes (trimmed), false where it
// returns an error.
func parseNumberBytes(b []byte, delim byte) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var buf [64]byte
	if delim != ',' && bytes.Count(b, []byte{','}) == 1 && bytes.IndexByte(b, '.') < 0 {
		if len(b) > len(buf) {
			return 0, false
		}
		t := append(buf[:0], b...)
		t[bytes.IndexByte(t, ',')] = '.'
		b = t
	}
	if v, ok := parseShortDecimal(b); ok {
		return v, true
	}
	// string(b) does not escape (strconv copies what it keeps): no copy
	// on the heap for the short texts of numbers.
	v, err := strconv.ParseFloat(string(b), 64)
	return v, err == nil
}

// pow10 are the powers of ten that float64 holds exactly.
var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseShortDecimal parses the commonest numbers of a CSV file — an
// optional minus, at most 15 digits with at most one point among them —
// as strconv.ParseFloat does, bit for bit: the digits make an integer
// below 2^53 and the fraction at most 10^15, both exact in float64, so
// one correctly rounded division gives the correctly rounded value
// (strconv's own exact case). ok is false for anything else.
func parseShortDecimal(b []byte) (v float64, ok bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	var mant uint64
	digits, frac, point := 0, 0, false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			mant = mant*10 + uint64(c-'0')
			digits++
			if point {
				frac++
			}
		case c == '.' && !point:
			point = true
		default:
			return 0, false
		}
	}
	if digits == 0 || digits > 15 {
		return 0, false
	}
	v = float64(mant) / pow10[frac]
	if neg {
		v = -v
	}
	return v, true
}
