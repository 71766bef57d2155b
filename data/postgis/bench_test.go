package postgis

import (
	"context"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/paulmach/orb"
)

var monacoOnce struct {
	sync.Once
	p *Project
}

// monaco is the monaco_region_2016 project with every layer: the OSM
// extract (walk network, amenities, 23,000 buildings) and its
// layers/*.geojson shared for viewing.
func monaco(tb testing.TB) *Project {
	monacoOnce.Do(func() {
		p := osmProject(tb, "monaco", shareddata.Path(tb, "monaco_region_2016", "monaco.osm.pbf"))
		paths, _ := filepath.Glob(filepath.Join(shareddata.Dir(tb), "monaco_region_2016", "layers", "*.geojson"))
		sort.Strings(paths)
		for _, path := range paths {
			l, err := data.ReadLayer(path, data.ReadOptions{})
			if err != nil {
				tb.Fatal(err)
			}
			p.Layers = append(p.Layers, Layer{Name: filepath.Base(path), Source: path, Features: l.Features})
		}
		monacoOnce.p = p
	})
	if monacoOnce.p == nil {
		tb.Fatal("monaco project not read")
	}
	return monacoOnce.p
}

func features(p *Project) int {
	n := len(p.Facilities) + len(p.Buildings) + len(p.ResidentialAreas) + len(p.Population) + len(p.Units)
	for _, l := range p.Layers {
		n += len(l.Features)
	}
	return n
}

// BenchmarkImportMonaco stores monaco_region_2016 with all its layers in
// one transaction (re-import: the previous version is replaced).
func BenchmarkImportMonaco(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	p := monaco(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Import(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(features(p)), "features")
	b.ReportMetric(float64(len(p.Network.Ways)), "ways")
}

// bbox10k returns a bbox over monaco's buildings that holds at least
// 10,000 of them.
func bbox10k(tb testing.TB, p *Project) orb.Bound {
	var all orb.Bound
	mins := make([]float64, 0, len(p.Buildings))
	for i, bl := range p.Buildings {
		bd := bl.Geometry.Bound()
		if i == 0 {
			all = bd
		}
		all = all.Union(bd)
		mins = append(mins, bd.Min[0])
	}
	sort.Float64s(mins)
	if len(mins) < 10000 {
		tb.Fatalf("only %d buildings", len(mins))
	}
	return orb.Bound{Min: all.Min, Max: orb.Point{mins[9999], all.Max[1]}}
}

// BenchmarkBBoxQuery10k reads one page of 10,000 buildings in a bbox, as
// an OGC API items request with limit=10000 does.
func BenchmarkBBoxQuery10k(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	p := monaco(b)
	if _, err := s.Import(ctx, p); err != nil {
		b.Fatal(err)
	}
	// Steady state: earlier re-imports (BenchmarkImportMonaco) leave dead
	// rows that autovacuum would clear in time.
	if _, err := s.pool.Exec(ctx, `VACUUM ANALYZE lifecircle.features`); err != nil {
		b.Fatal(err)
	}
	bb := bbox10k(b, p)
	q := ItemQuery{Project: "monaco", Kind: "buildings", BBox: &bb, Limit: 10000}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		items, err := s.Items(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		if len(items) != 10000 {
			b.Fatalf("%d items", len(items))
		}
	}
}

// TestItemsBBox checks the bbox query against a brute-force filter of the
// imported buildings, with paging and counts.
func TestDBItemsBBox(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	p := monaco(t)
	if _, err := s.Import(ctx, p); err != nil {
		t.Fatal(err)
	}
	bb := bbox10k(t, p)
	var want []string
	for _, bl := range p.Buildings {
		if bl.Geometry.Bound().Intersects(bb) {
			want = append(want, bl.ID)
		}
	}
	q := ItemQuery{Project: "monaco", Kind: "buildings", BBox: &bb}
	n, err := s.CountItems(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(want) || n < 10000 {
		t.Fatalf("CountItems = %d, brute force %d (want ≥ 10000)", n, len(want))
	}
	q.Limit, q.Offset = 10000, 0
	page1, err := s.Items(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	q.Offset = 10000
	page2, err := s.Items(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	got := append(page1, page2...)
	if len(got) != len(want) {
		t.Fatalf("pages hold %d items, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i] {
			t.Fatalf("item %d is %s, want %s (input order)", i, got[i].ID, want[i])
		}
	}
	if got[0].Geometry == nil || len(got[0].Props) == 0 {
		t.Errorf("item without geometry or properties: %+v", got[0])
	}

	// Other kinds, and the refusals.
	for _, tc := range []struct {
		q    ItemQuery
		want int
	}{
		{ItemQuery{Project: "monaco", Kind: "network"}, len(p.Network.Ways)},
		{ItemQuery{Project: "monaco", Kind: "amenity"}, len(p.Facilities)},
		{ItemQuery{Project: "monaco", Kind: "layer", Layer: "amenity_health.geojson"}, len(p.Layers[2].Features)},
		{ItemQuery{Project: "monaco", Kind: "units"}, 0},
	} {
		n, err := s.CountItems(ctx, tc.q)
		if err != nil || n != tc.want {
			t.Errorf("%+v: %d (%v), want %d", tc.q, n, err, tc.want)
		}
	}
	for _, q := range []ItemQuery{
		{Project: "monaco", Kind: "secrets"},
		{Project: "x' OR 1=1 --", Kind: "amenity"},
		{Project: "monaco", Kind: "amenity", Limit: -1},
		{Project: "monaco", Kind: "amenity", BBox: &orb.Bound{Min: orb.Point{2, 0}, Max: orb.Point{1, 1}}},
	} {
		if _, err := s.Items(ctx, q); err == nil {
			t.Errorf("%+v accepted", q)
		}
	}
}
