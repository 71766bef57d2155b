package data

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

// TestOSMCacheSameInputs: an extract read through the cache the second
// time gives exactly what reading it gives — network arrays bit for bit,
// facilities with their tags, rules, capacities and dates, buildings,
// residential areas, warnings — and a damaged, changed or differently
// read extract is never answered from an old entry.
func TestOSMCacheSameInputs(t *testing.T) {
	ctx := context.Background()
	prof, err := LoadProfile("gb50180")
	if err != nil {
		t.Fatal(err)
	}
	src := shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")
	path := filepath.Join(t.TempDir(), "city.osm.pbf")
	copyFile(t, src, path)
	var warned []string
	c := &OSMCache{Dir: t.TempDir(), Warn: func(f string, a ...any) { warned = append(warned, f) }}
	o := OSMOptions{Profile: prof, Buildings: true, Cache: c}
	want, err := ReadOSMInputs(ctx, path, OSMOptions{Profile: prof, Buildings: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	read := func(o OSMOptions, fromCache bool) *OSMInputs {
		t.Helper()
		got, err := ReadOSMInputs(ctx, path, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		WaitOSMCache()
		if (got.FromCache != "") != fromCache {
			t.Fatalf("FromCache %q, want from the cache: %v", got.FromCache, fromCache)
		}
		return got
	}
	read(o, false)
	got := read(o, true)
	sameInputs(t, got, want)
	if len(want.Facilities) == 0 || len(want.Buildings) == 0 {
		t.Fatalf("the extract gave %d facilities and %d buildings: the test needs both", len(want.Facilities), len(want.Buildings))
	}

	// A damaged entry is noticed, replaced, and the answer is still right.
	ents, _ := filepath.Glob(filepath.Join(c.Dir, "*.lcosm"))
	if len(ents) != 1 {
		t.Fatalf("cache holds %v, want one entry", ents)
	}
	b, _ := os.ReadFile(ents[0])
	b[len(b)/2] ^= 0x40
	os.WriteFile(ents[0], b, 0o644)
	sameInputs(t, read(o, false), want)
	if len(warned) != 1 || !strings.Contains(warned[0], "could not be read") {
		t.Fatalf("warnings %q, want one about the damaged entry", warned)
	}
	read(o, true)

	// Other options, another entry: no buildings asked for, none given.
	if nb := read(OSMOptions{Profile: prof, Cache: c}, false); len(nb.Buildings) != 0 {
		t.Fatalf("%d buildings without Buildings", len(nb.Buildings))
	}
	// Another profile (a type turned on) is another entry too.
	prof2, _ := LoadProfile("gb50180")
	if err := prof2.Enable("hospital"); err != nil {
		t.Fatal(err)
	}
	read(OSMOptions{Profile: prof2, Buildings: true, Cache: c}, false)
	// So is the walk network alone, which equals the network read afresh.
	net, _, from, err := ReadWalkNetworkCached(ctx, path, c, nil)
	WaitOSMCache()
	if err != nil || from != "" {
		t.Fatalf("walk network: %v, from %q", err, from)
	}
	net2, _, from, err := ReadWalkNetworkCached(ctx, path, c, nil)
	if err != nil || from == "" {
		t.Fatalf("walk network again: %v, from %q", err, from)
	}
	sameNetwork(t, net2, net)

	// A changed extract (the other test city under the same name) misses.
	copyFile(t, shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf"), path)
	fresh, err := ReadOSMInputs(ctx, path, OSMOptions{Profile: prof, Buildings: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameInputs(t, read(o, false), fresh)
}

func sameInputs(t *testing.T, got, want *OSMInputs) {
	t.Helper()
	sameNetwork(t, got.Net, want.Net)
	g, w := *got, *want
	g.Net, w.Net, g.FromCache, w.FromCache = nil, nil, "", ""
	if len(g.Facilities) != len(w.Facilities) {
		t.Fatalf("%d facilities, want %d", len(g.Facilities), len(w.Facilities))
	}
	for i := range g.Facilities {
		if !reflect.DeepEqual(g.Facilities[i], w.Facilities[i]) {
			t.Fatalf("facility %d: %+v, want %+v", i, g.Facilities[i], w.Facilities[i])
		}
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("inputs differ:\n%+v\nwant\n%+v", g.NetInfo, w.NetInfo)
	}
}

func sameNetwork(t *testing.T, got, want *geo.Network) {
	t.Helper()
	var a, b bytes.Buffer
	if err := geo.WriteNetwork(&a, got); err != nil {
		t.Fatal(err)
	}
	if err := geo.WriteNetwork(&b, want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("networks differ")
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDefaultOSMCache: the cache is where LIFECIRCLE_CACHE_DIR says, and
// off when LIFECIRCLE_CACHE says so.
func TestDefaultOSMCache(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("LIFECIRCLE_CACHE_DIR", dir)
	t.Setenv("LIFECIRCLE_CACHE", "")
	if c := DefaultOSMCache(nil); c == nil || c.Dir != filepath.Join(dir, "osm") {
		t.Fatalf("cache %+v, want one in %s/osm", c, dir)
	}
	for _, off := range []string{"off", "OFF", "0", "no"} {
		t.Setenv("LIFECIRCLE_CACHE", off)
		if c := DefaultOSMCache(nil); c != nil {
			t.Fatalf("LIFECIRCLE_CACHE=%s: cache %+v, want none", off, c)
		}
	}
}

// TestOSMCacheTrim: past MaxBytes the least recently used entries go, the
// newest stays, and a temporary file left by a killed run is removed once
// it is old.
func TestOSMCacheTrim(t *testing.T) {
	c := &OSMCache{Dir: t.TempDir(), MaxBytes: 2500}
	now := time.Now()
	for i, name := range []string{"a.lcosm", "b.lcosm", "c.lcosm", ".tmp-old", ".tmp-new"} {
		p := filepath.Join(c.Dir, name)
		os.WriteFile(p, make([]byte, 1000), 0o644)
		at := now.Add(time.Duration(i-10) * time.Minute)
		if name == ".tmp-old" {
			at = now.Add(-2 * time.Hour)
		}
		os.Chtimes(p, at, at)
	}
	c.trim()
	ents, _ := os.ReadDir(c.Dir)
	var left []string
	for _, e := range ents {
		left = append(left, e.Name())
	}
	if strings.Join(left, " ") != ".tmp-new b.lcosm c.lcosm" {
		t.Fatalf("left %v, want .tmp-new b.lcosm c.lcosm", left)
	}
}

// BenchmarkOSMCacheLoad loads a cache entry of a 1,000,000-node street
// lattice (what the next run on a large extract does instead of decoding
// it and building its network), index included.
func BenchmarkOSMCacheLoad(b *testing.B) {
	const n = 1000
	bld := geo.NewNetworkBuilder(n * n)
	pt := func(i, j int) orb.Point { return orb.Point{116.3 + float64(i)*0.00094, 39.9 + float64(j)*0.00072} }
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			id := int64(j*n + i)
			if i+1 < n {
				bld.AddWay([]int64{id, id + 1}, []orb.Point{pt(i, j), pt(i+1, j)})
			}
			if j+1 < n {
				bld.AddWay([]int64{id, id + n}, []orb.Point{pt(i, j), pt(i, j+1)})
			}
		}
	}
	net, err := bld.Build()
	if err != nil {
		b.Fatal(err)
	}
	c := &OSMCache{Dir: b.TempDir()}
	c.store("k", &OSMInputs{Net: net})
	WaitOSMCache()
	st, err := os.Stat(filepath.Join(c.Dir, "k.lcosm"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if in, _ := c.load("k"); in == nil {
			b.Fatal("the entry does not read back")
		}
	}
}
