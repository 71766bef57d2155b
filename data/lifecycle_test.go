package data

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lifecircle/lifecircle/data/osm"
	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/planner"
)

// lifecycleOSM is a hand-made extract: one street and an element for each
// lifecycle form the reader understands.
const lifecycleOSM = `<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="1" lat="60.1700" lon="24.9400"/>
 <node id="2" lat="60.1700" lon="24.9500"/>
 <node id="11" lat="60.1701" lon="24.9410"><tag k="amenity" v="clinic"/></node>
 <node id="12" lat="60.1701" lon="24.9420"><tag k="disused:amenity" v="clinic"/><tag k="name" v="old clinic"/><tag k="end_date" v="2024-05-01"/></node>
 <node id="13" lat="60.1701" lon="24.9430"><tag k="construction:amenity" v="clinic"/><tag k="opening_date" v="2027-03-01"/></node>
 <node id="14" lat="60.1701" lon="24.9440"><tag k="proposed:leisure" v="playground"/></node>
 <node id="15" lat="60.1701" lon="24.9450"><tag k="leisure" v="construction"/><tag k="construction" v="playground"/></node>
 <node id="16" lat="60.1701" lon="24.9460"><tag k="amenity" v="clinic"/><tag k="disused" v="yes"/></node>
 <node id="17" lat="60.1701" lon="24.9470"><tag k="shop" v="supermarket"/><tag k="opening_date" v="2027"/></node>
 <node id="18" lat="60.1701" lon="24.9480"><tag k="amenity" v="clinic"/><tag k="disused:shop" v="supermarket"/></node>
 <node id="19" lat="60.1701" lon="24.9490"><tag k="abandoned:amenity" v="bench"/></node>
 <way id="100"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>
</osm>`

func TestOSMLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lifecycle.osm")
	if err := os.WriteFile(path, []byte(lifecycleOSM), 0o644); err != nil {
		t.Fatal(err)
	}
	prof, err := LoadProfile("gb50180")
	if err != nil {
		t.Fatal(err)
	}
	in, err := ReadOSMInputs(context.Background(), path, OSMOptions{Profile: prof}, nil)
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ id, typ string }
	got := map[key]planner.Facility{}
	for _, f := range in.Facilities {
		got[key{f.ID, f.Type}] = f
	}
	want := []struct {
		id, typ      string
		status       planner.Status
		opens, close string
		rule         string
	}{
		{"n11", "clinic", "", "", "", ""},
		{"n12", "clinic", planner.StatusClosed, "", "2024-05-01", "disused:amenity=clinic|doctors"},
		{"n13", "clinic", planner.StatusUnderConstruction, "2027-03-01", "", ""},
		{"n14", "playground", planner.StatusPlanned, "", "", ""},
		{"n15", "playground", planner.StatusUnderConstruction, "", "", ""},
		{"n16", "clinic", planner.StatusClosed, "", "", ""},
		{"n17", "market", "", "", "", ""},
		{"n18", "clinic", "", "", "", ""},
		{"n18", "market", planner.StatusClosed, "", "", ""},
	}
	if len(got) != len(want) {
		t.Errorf("%d facilities, want %d: %+v", len(got), len(want), in.Facilities)
	}
	for _, w := range want {
		f, ok := got[key{w.id, w.typ}]
		if !ok {
			t.Errorf("%s %s: missing", w.id, w.typ)
			continue
		}
		if f.Status != w.status || planner.FormatDate(f.Opens) != w.opens || planner.FormatDate(f.Closes) != w.close {
			t.Errorf("%s %s: status %q opens %q closes %q, want %q %q %q", w.id, w.typ, f.Status, planner.FormatDate(f.Opens), planner.FormatDate(f.Closes), w.status, w.opens, w.close)
		}
		if w.rule != "" && f.Rule != w.rule {
			t.Errorf("%s %s: rule %q, want %q", w.id, w.typ, f.Rule, w.rule)
		}
	}
	if in.IgnoredDates != 1 {
		t.Errorf("ignored dates %d, want 1 (opening_date=2027)", in.IgnoredDates)
	}
}

// BenchmarkReadOSMInputsHelsinki reads the Helsinki extract's network,
// facilities (with lifecycle prefixes) and buildings.
func BenchmarkReadOSMInputsHelsinki(b *testing.B) {
	path := shareddata.Path(b, "helsinki", "Helsinki.osm.pbf")
	prof, err := LoadProfile("gb50180")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ReadOSMInputs(context.Background(), path, OSMOptions{Profile: prof, Buildings: true}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLifecycleFilter compares the reader's filter with lifecycle
// prefixes (any) against the plain profile match it replaced, over the
// tags of every tagged node and way of the Helsinki extract.
func BenchmarkLifecycleFilter(b *testing.B) {
	prof, err := LoadProfile("gb50180")
	if err != nil {
		b.Fatal(err)
	}
	x, err := osm.Read(context.Background(), shareddata.Path(b, "helsinki", "Helsinki.osm.pbf"), osm.Filter{
		Node: func(func(string) string) bool { return true },
		Way:  func(func(string) string) bool { return true },
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	// The readers hand filters a getter that scans the element's tags
	// (data/osm: blockDecoder.tag, xmlTags.get); so does this one.
	type kv struct{ k, v string }
	var tags [][]kv
	add := func(m map[string]string) {
		var t []kv
		for k, v := range m {
			t = append(t, kv{k, v})
		}
		tags = append(tags, t)
	}
	for _, n := range x.Nodes {
		add(n.Tags)
	}
	for _, w := range x.Ways {
		add(w.Tags)
	}
	var cur []kv
	get := func(key string) string {
		for _, t := range cur {
			if t.k == key {
				return t.v
			}
		}
		return ""
	}
	lc := newLifecycle(prof)
	b.Logf("%d tagged elements", len(tags))
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			for _, t := range tags {
				cur = t
				prof.Match(get)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(tags)), "ns/element")
	})
	b.Run("lifecycle", func(b *testing.B) {
		for b.Loop() {
			for _, t := range tags {
				cur = t
				lc.any(get)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(tags)), "ns/element")
	})
}
