package osm

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	osmlib "github.com/paulmach/osm"
	"github.com/paulmach/osm/osmxml"
)

// xmlSource reads OSM XML, plain or gzip/bzip2-compressed; each pass
// re-opens and re-parses the file.
type xmlSource struct {
	path   string
	format int // formatXML, formatGzip or formatBzip2
}

// decompressReader marks failures of the gzip or bzip2 layer as format errors.
type decompressReader struct {
	r    io.Reader
	name string
}

func (d *decompressReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		var fe *formatError
		if !errors.As(err, &fe) {
			err = &formatError{msg: "truncated or corrupt " + d.name + " data", hint: hintCorrupt, err: err}
		}
	}
	return n, err
}

func (s *xmlSource) pass(ctx context.Context, p *pass, progress func(done, total int64)) error {
	f, cr, br, err := newFileReader(s.path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	total := fi.Size()

	var r io.Reader = br
	g := &guardReader{ctx: ctx}
	switch s.format {
	case formatGzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return &formatError{msg: "truncated or corrupt gzip data", hint: hintCorrupt, err: unexpectedEOF(err)}
		}
		defer zr.Close()
		r = &decompressReader{r: zr, name: "gzip"}
		g.limit, g.compressed = inflateLimit(total), "gzip"
	case formatBzip2:
		r = &decompressReader{r: bzip2.NewReader(br), name: "bzip2"}
		g.limit, g.compressed = inflateLimit(total), "bzip2"
	}
	g.r = r
	xr := bufio.NewReaderSize(g, 1<<16)
	if err := checkXMLRoot(xr); err != nil {
		return err
	}

	sc := osmxml.New(ctx, xr)
	defer sc.Close()
	tags := &xmlTags{}
	get := tags.get
	var last string // the last element read, for error messages
	var reported int64
	for sc.Scan() {
		if cr.n-reported >= 1<<20 {
			reported = cr.n
			progress(cr.n, total)
		}
		switch o := sc.Object().(type) {
		case *osmlib.Node:
			p.elements++
			last = fmt.Sprintf("node %d", o.ID)
			if p.kind != kindNode {
				continue
			}
			if !validLonLat(o.Lon, o.Lat) {
				return &coordError{id: int64(o.ID), lon: o.Lon, lat: o.Lat}
			}
			pt := [2]float64{o.Lon, o.Lat}
			if i, ok := slices.BinarySearch(p.needed, int64(o.ID)); ok {
				if p.found[i] {
					p.dupNodes++
				}
				p.coords[i] = pt
				p.found[i] = true
			}
			if len(o.Tags) > 0 && p.f.Node != nil {
				tags.t = o.Tags
				if p.f.Node(get) {
					p.nodes = append(p.nodes, Node{ID: int64(o.ID), Tags: tagMap(o.Tags), Point: pt})
				}
			}
		case *osmlib.Way:
			p.elements++
			last = fmt.Sprintf("way %d", o.ID)
			if p.kind != kindWay {
				continue
			}
			keep, member := false, false
			if p.f.Way != nil {
				tags.t = o.Tags
				keep = p.f.Way(get)
			}
			if !keep && len(p.memberWays) > 0 {
				_, keep = slices.BinarySearch(p.memberWays, int64(o.ID))
				member = keep
			}
			if !keep {
				continue
			}
			ids := make([]int64, len(o.Nodes))
			for i, n := range o.Nodes {
				ids[i] = int64(n.ID)
			}
			p.ways = append(p.ways, Way{ID: int64(o.ID), Tags: tagMap(o.Tags), NodeIDs: ids, Member: member})
		case *osmlib.Relation:
			p.elements++
			last = fmt.Sprintf("relation %d", o.ID)
			if p.kind != kindRelation {
				continue
			}
			tags.t = o.Tags
			if !p.f.Relation(get) {
				continue
			}
			var members []Member
			if len(o.Members) > 0 {
				members = make([]Member, len(o.Members))
				for i, m := range o.Members {
					members[i] = Member{Type: string(m.Type), Ref: m.Ref, Role: m.Role}
				}
			}
			p.relations = append(p.relations, Relation{ID: int64(o.ID), Tags: tagMap(o.Tags), Members: members})
		}
	}
	if err := sc.Err(); err != nil {
		return xmlError(err, last)
	}
	return nil
}

// xmlError classifies an error from the XML scanner.
func xmlError(err error, last string) error {
	var fe *formatError
	if errors.As(err, &fe) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg := "invalid OSM XML"
	if last != "" {
		msg += " after " + last
	}
	return &formatError{msg: msg, hint: "the file is damaged or not OSM XML; " + hintCorrupt, err: err}
}

// checkXMLRoot peeks at the start of the document and accepts it only when
// its root element is <osm>.
func checkXMLRoot(br *bufio.Reader) error {
	const window = 64 << 10
	b, err := br.Peek(window)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		var fe *formatError
		if errors.As(err, &fe) {
			return err
		}
		return &formatError{msg: "cannot read XML", hint: hintCorrupt, err: err}
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	for {
		b = bytes.TrimLeft(b, " \t\r\n")
		if len(b) == 0 {
			if err == io.EOF {
				return errNoData
			}
			return &formatError{msg: "not an OSM XML file (no root element in the first 64 KB)", hint: hintNotOSM}
		}
		if b[0] != '<' {
			return &formatError{msg: "not an OSM XML file (" + describeStart(b) + ")", hint: hintNotOSM}
		}
		var end []byte
		switch {
		case bytes.HasPrefix(b, []byte("<!DOCTYPE")):
			i := bytes.IndexAny(b, "[>")
			if i >= 0 && b[i] == '[' {
				return &formatError{msg: "OSM XML with a DOCTYPE declaration defining entities (lifecircle does not read them)",
					hint: "remove the <!DOCTYPE …> declaration; an OSM extract has none (export it again from OpenStreetMap, or with osmium)"}
			}
			end = []byte(">")
		case bytes.HasPrefix(b, []byte("<?")):
			end = []byte("?>")
		case bytes.HasPrefix(b, []byte("<!--")):
			end = []byte("-->")
		case bytes.HasPrefix(b, []byte("<!")):
			end = []byte(">")
		}
		if end != nil {
			i := bytes.Index(b, end)
			if i < 0 {
				if err == io.EOF {
					return &formatError{msg: "invalid OSM XML (unterminated declaration at the start)", hint: hintCorrupt}
				}
				return &formatError{msg: "not an OSM XML file (no root element in the first 64 KB)", hint: hintNotOSM}
			}
			b = b[i+len(end):]
			continue
		}
		name := b[1:]
		if i := bytes.IndexAny(name, " \t\r\n/>"); i >= 0 {
			name = name[:i]
		}
		switch string(name) {
		case "osm":
			return nil
		case "osmChange":
			return &formatError{msg: "is an osmChange (diff) file, not an extract", hint: hintNotOSM}
		}
		if len(name) > 40 {
			name = name[:40]
		}
		return &formatError{msg: fmt.Sprintf("not an OSM XML file (root element <%s>)", name), hint: hintNotOSM}
	}
}

// xmlTags is the tag getter for XML elements.
type xmlTags struct{ t osmlib.Tags }

func (x *xmlTags) get(key string) string {
	for _, t := range x.t {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

func tagMap(tags osmlib.Tags) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}
