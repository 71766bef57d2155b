package osm

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// source is one input file and the format reader chosen for it.
type source struct {
	path string
	size int64
	impl passer
}

// File formats.
const (
	formatUnknown = iota
	formatPBF
	formatXML
	formatGzip  // gzip-compressed OSM XML
	formatBzip2 // bzip2-compressed OSM XML
)

// openSource checks path and chooses a reader: by content when it is
// recognisable, else by extension.
func openSource(path string) (*source, error) {
	fi, err := statSource(path)
	if err != nil {
		return nil, err
	}
	src := &source{path: path, size: fi.Size()}
	f, err := os.Open(path)
	if err != nil {
		return nil, src.fail(err)
	}
	head := make([]byte, 64)
	n, err := io.ReadFull(f, head)
	f.Close()
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, src.fail(err)
	}
	head = head[:n]
	format := sniff(head)
	if kind := binaryKind(head); format == formatUnknown && kind != "" {
		return nil, &ReadError{Path: path, Msg: "not an OSM file (it is " + kind + ")", Hint: hintNotOSM}
	}
	if format == formatUnknown {
		format = formatByName(path)
		if format == formatUnknown {
			return nil, &ReadError{Path: path, Msg: "not an OSM file (" + describeStart(head) + ")", Hint: hintNotOSM}
		}
	}
	switch format {
	case formatPBF:
		src.impl = &pbfSource{path: path}
	default:
		src.impl = &xmlSource{path: path, format: format}
	}
	return src, nil
}

// sniff recognises the file format from its first bytes.
func sniff(head []byte) int {
	switch {
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return formatGzip
	case len(head) >= 4 && string(head[:3]) == "BZh" && head[3] >= '1' && head[3] <= '9':
		return formatBzip2
	case len(head) >= 15 && binary.BigEndian.Uint32(head) < maxBlobHeaderSize &&
		head[4] == 0x0a && head[5] == 9 && string(head[6:15]) == "OSMHeader":
		return formatPBF
	}
	s := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	s = bytes.TrimLeft(s, " \t\r\n")
	if len(s) > 0 && s[0] == '<' {
		return formatXML
	}
	return formatUnknown
}

// binaryKind names common non-OSM binary formats by their magic bytes,
// or returns "".
func binaryKind(head []byte) string {
	for _, m := range []struct{ magic, kind string }{
		{"\x89PNG\r\n\x1a\n", "a PNG image"},
		{"\xff\xd8\xff", "a JPEG image"},
		{"%PDF", "a PDF document"},
		{"PK\x03\x04", "a ZIP archive"},
		{"SQLite format 3\x00", "an SQLite database"},
	} {
		if bytes.HasPrefix(head, []byte(m.magic)) {
			return m.kind
		}
	}
	return ""
}

// formatByName recognises the file format from its extension.
func formatByName(path string) int {
	p := strings.ToLower(path)
	switch {
	case strings.HasSuffix(p, ".pbf"):
		return formatPBF
	case strings.HasSuffix(p, ".osm"), strings.HasSuffix(p, ".xml"):
		return formatXML
	case strings.HasSuffix(p, ".gz"):
		return formatGzip
	case strings.HasSuffix(p, ".bz2"):
		return formatBzip2
	}
	return formatUnknown
}

// describeStart says briefly what a file starts with, for error messages.
func describeStart(head []byte) string {
	if len(head) > 16 {
		head = head[:16]
	}
	if utf8.Valid(head) {
		printable := true
		for _, r := range string(head) {
			if r < ' ' && r != '\n' && r != '\r' && r != '\t' {
				printable = false
			}
		}
		if printable {
			return fmt.Sprintf("it starts with %q", string(head))
		}
	}
	return fmt.Sprintf("it starts with bytes % x", head)
}

// countingReader counts the bytes read through it, for progress.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// newFileReader opens path with a large buffer and a byte counter.
func newFileReader(path string) (*os.File, *countingReader, *bufio.Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	cr := &countingReader{r: f}
	return f, cr, bufio.NewReaderSize(cr, 1<<20), nil
}
