package osm

import (
	"context"
	"fmt"
	"io"
	"slices"
)

// Limits on OSM XML input, against files made to exhaust memory or time
// (issue 16, item 6): a 1 MB .osm.gz holding one 1 GiB attribute, or
// 4 MB of compressed whitespace that inflates to gigabytes.
const (
	// MaxInflateRatio bounds the decompressed size of a .osm.gz or
	// .osm.bz2 to this many times its compressed size (OSM XML
	// compresses about 10–15 times with bzip2, less with gzip).
	MaxInflateRatio = 30
	// MaxInflated bounds the decompressed size of any compressed
	// extract, bytes: lifecircle audits districts and cities; convert a
	// larger extract to .osm.pbf (osmium cat in.osm.bz2 -o out.osm.pbf).
	MaxInflated = 16 << 30
	// MaxXMLToken bounds the bytes between two angle brackets of OSM
	// XML (an element's tag with its attributes, or the text between
	// elements); OSM values are at most 255 characters.
	MaxXMLToken = 1 << 20
)

// guardReader passes the XML through, refusing it once it inflates
// beyond limit (0 = no limit) or holds a run of more than MaxXMLToken
// bytes without '<' or '>', and stopping when ctx is cancelled, so that a
// long or hostile file stops within a read of Ctrl-C.
type guardReader struct {
	ctx        context.Context
	r          io.Reader
	limit, n   int64
	run        int
	compressed string // "gzip" or "bzip2" ("" for plain XML)
}

func (g *guardReader) Read(p []byte) (int, error) {
	if err := g.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	if g.limit > 0 && g.n > g.limit {
		return 0, &formatError{msg: fmt.Sprintf("the %s data inflates to more than %d MB (%d times the file)", g.compressed, g.limit>>20, MaxInflateRatio),
			hint: "a real extract compresses far less; if it is one, decompress it yourself or convert it to .osm.pbf (osmium cat FILE -o out.osm.pbf)"}
	}
	for _, c := range p[:n] {
		if c == '<' || c == '>' {
			g.run = 0
			continue
		}
		g.run++
		if g.run > MaxXMLToken {
			return 0, &formatError{msg: fmt.Sprintf("an XML element or text longer than %d KB (around byte %d of the XML)", MaxXMLToken>>10, g.n),
				hint: "OSM values are at most 255 characters: the file is damaged or not an extract; " + hintCorrupt}
		}
	}
	return n, err
}

// countNegative counts the ids below 0 among needed (sorted) and the
// kept nodes not already among needed.
func countNegative(needed []int64, nodes []Node) int {
	n := 0
	for n < len(needed) && needed[n] < 0 {
		n++
	}
	for _, nd := range nodes {
		if nd.ID < 0 {
			if _, ok := slices.BinarySearch(needed, nd.ID); !ok {
				n++
			}
		}
	}
	return n
}

// inflateLimit is the most a compressed file of size bytes may inflate to.
func inflateLimit(size int64) int64 {
	l := size * MaxInflateRatio
	if l < 1<<20 {
		l = 1 << 20
	}
	if l > MaxInflated || l < 0 {
		l = MaxInflated
	}
	return l
}
