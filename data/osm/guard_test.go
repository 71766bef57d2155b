package osm

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadBombs: compressed whitespace and a giant attribute are refused
// after a bounded read, not read into gigabytes; a DOCTYPE with an
// internal subset gets a clear message (issue 16, items 6 and messages).
func TestReadBombs(t *testing.T) {
	dir := t.TempDir()
	head := []byte(`<?xml version="1.0"?><osm version="0.6"><node id="1" lon="1" lat="1">`)
	tail := []byte(`</node></osm>`)
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cases := []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"whitespace bomb", "ws.osm.gz", gzipBytes(t, join(head, bytes.Repeat([]byte(" "), 40<<20), tail)), "longer than 1024 KB"},
		{"element bomb", "tags.osm.gz", gzipBytes(t, join(head, bytes.Repeat([]byte(`<tag k="a" v="b"/>`), 2<<20), tail)), "gzip data inflates to more than"},
		{"giant attribute", "attr.osm", join([]byte(`<?xml version="1.0"?><osm version="0.6"><node id="1" lon="1" lat="1"><tag k="a" v="`), bytes.Repeat([]byte("x"), 4<<20), []byte(`"/>`), tail), "longer than 1024 KB"},
		{"giant text, plain", "text.osm", join(head, bytes.Repeat([]byte("y"), 3<<20), tail), "longer than 1024 KB"},
		{"doctype with entities", "doc.osm", []byte("<?xml version=\"1.0\"?>\n<!DOCTYPE osm [\n<!ENTITY a \"b\">\n]>\n<osm version=\"0.6\"></osm>"), "DOCTYPE declaration defining entities"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.file)
			writeFile(t, p, c.data)
			_, err := Read(context.Background(), p, Filter{Node: hasAmenity}, nil)
			var re *ReadError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), " — ") {
				t.Fatalf("error %v, want a ReadError with %q and a hint", err, c.want)
			}
			if strings.Contains(err.Error(), "]>") {
				t.Errorf("message quotes the file: %v", err)
			}
		})
	}
}

// TestGuardStopsOnCancel: the XML reader stops at the next read once the
// context is cancelled, even inside one long token.
func TestGuardStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	g := &guardReader{ctx: ctx, r: bytes.NewReader(bytes.Repeat([]byte(" "), 1<<20))}
	buf := make([]byte, 4096)
	if _, err := g.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := g.Read(buf); !errors.Is(err, context.Canceled) {
		t.Fatalf("read after cancel: %v", err)
	}
}

// TestNodeIDWarnings: negative and duplicate node ids are counted, for
// a warning (issue 16, messages).
func TestNodeIDWarnings(t *testing.T) {
	p := filepath.Join(t.TempDir(), "josm.osm")
	writeFile(t, p, []byte(`<?xml version="1.0"?><osm version="0.6">
<node id="-1" lon="24.90" lat="60.10"/>
<node id="2" lon="24.91" lat="60.10"/>
<node id="2" lon="24.92" lat="60.10"/>
<node id="3" lon="24.93" lat="60.10"/>
<way id="10"><nd ref="-1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way>
</osm>`))
	x, err := Read(context.Background(), p, Filter{Way: hasHighway}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if x.NegativeNodeIDs != 1 || x.DuplicateNodeIDs != 1 {
		t.Errorf("negative %d, duplicate %d, want 1 and 1", x.NegativeNodeIDs, x.DuplicateNodeIDs)
	}
}
