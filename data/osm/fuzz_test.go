package osm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzRead reads data saved under name with every filter on and checks that
// Read either fails with a ReadError or returns a consistent extract.
func fuzzRead(t *testing.T, name string, data []byte) {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	keepAll := func(get func(string) string) bool { return get("a") != "x" }
	x, err := Read(context.Background(), p, Filter{Node: keepAll, Way: keepAll, Relation: keepAll}, nil)
	if err != nil {
		var re *ReadError
		if !errors.As(err, &re) || strings.ContainsAny(err.Error(), "\n\r") || !strings.HasPrefix(err.Error(), "osm: read ") {
			t.Fatalf("bad error %q (%T)", err, err)
		}
		return
	}
	for _, w := range x.Ways {
		if len(w.Coords) != len(w.NodeIDs) || len(w.Coords) < 2 {
			t.Fatalf("way %d: %d coords, %d ids", w.ID, len(w.Coords), len(w.NodeIDs))
		}
		for _, c := range w.Coords {
			if !validLonLat(c[0], c[1]) {
				t.Fatalf("way %d: coordinate %v", w.ID, c)
			}
		}
		WayPolygon(w)
	}
	for _, n := range x.Nodes {
		if !validLonLat(n.Point[0], n.Point[1]) || len(n.Tags) == 0 {
			t.Fatalf("node %+v", n)
		}
	}
	for _, r := range x.Relations {
		x.Polygon(r) // must not panic
	}
}

func FuzzReadXML(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join("testdata", "split.osm")); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		``,
		`<osm/>`,
		`<?xml version="1.0"?><osm version="0.6"><node id="1" lat="1" lon="2"><tag k="a" v="b"/></node></osm>`,
		`<osm><node id="1" lat="1" lon="1"/><node id="2" lat="1.1" lon="1"/><node id="3" lat="1.1" lon="1.1"/>` +
			`<way id="5"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/></way>` +
			`<relation id="9"><member type="way" ref="5" role="outer"/><member type="way" ref="6" role="inner"/></relation></osm>`,
		`<osm><way id="5"><nd ref="1"/><nd ref="2"/></way></osm>`,
		`<osm><node id="1" lat="NaN" lon="1"/></osm>`,
		`<osm><node id="1" lat="1e400" lon="1"/></osm>`,
		`<osm><node id="-1" lat="-90" lon="180" timestamp="bad"/></osm>`,
		`<osm><relation id="1"><member type="banana" ref="x"/></relation></osm>`,
		`<osmChange><create/></osmChange>`,
		"\xef\xbb\xbf<!-- c --><!DOCTYPE osm><osm><node id='1' lat='0' lon='0'/></osm>",
		`<osm><node id="1" lat="1" lon="1"><tag k="name" v="北京邮电大学"/></node>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, "fuzz.osm", data)
	})
}

func FuzzReadPBF(f *testing.F) {
	nodes, ways := gridExtract(4, 0)
	rels := []tRel{{id: 1, tags: []string{"type", "multipolygon"}, members: []Member{{Type: "way", Ref: 1, Role: "outer"}}}}
	for _, o := range []pbfOpts{{raw: true}, {raw: true, plainNodes: true}, {}} {
		data := encodePBF(nodes, ways, rels, o)
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Add([]byte{0, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, "fuzz.osm.pbf", data)
	})
}
