package osm

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/lifecircle/lifecircle/data/shareddata"
)

func hasHighway(get func(string) string) bool { return get("highway") != "" }
func hasAmenity(get func(string) string) bool { return get("amenity") != "" }
func isAdmin(get func(string) string) bool    { return get("boundary") == "administrative" }

var (
	gridOnce sync.Once
	gridPath string
	gridErr  error
)

// TestMain removes the synthetic extract that benchmarks share.
func TestMain(m *testing.M) {
	code := m.Run()
	if gridPath != "" {
		os.RemoveAll(filepath.Dir(gridPath))
	}
	os.Exit(code)
}

// gridFile writes the synthetic 1,000,000-node extract once per test binary.
func gridFile(b *testing.B) string {
	gridOnce.Do(func() {
		nodes, ways := gridExtract(1000, 3e-5)
		dir, err := os.MkdirTemp("", "lifecircle-osm-bench")
		if err != nil {
			gridErr = err
			return
		}
		gridPath = filepath.Join(dir, "grid.osm.pbf")
		gridErr = os.WriteFile(gridPath, encodePBF(nodes, ways, nil, pbfOpts{}), 0o644)
	})
	if gridErr != nil {
		b.Fatal(gridErr)
	}
	return gridPath
}

func benchRead(b *testing.B, path string, f Filter) {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	var x *Extract
	for b.Loop() {
		x, err = Read(context.Background(), path, f, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(x.Ways)), "ways")
	b.ReportMetric(float64(len(x.Nodes)), "nodes")
}

// BenchmarkReadGrid1M reads a synthetic 1,000,000-node, 111,000-way PBF
// (highways and amenity nodes: two passes).
func BenchmarkReadGrid1M(b *testing.B) {
	benchRead(b, gridFile(b), Filter{Way: hasHighway, Node: hasAmenity})
}

// BenchmarkReadGrid1MRelations adds the relations pass.
func BenchmarkReadGrid1MRelations(b *testing.B) {
	benchRead(b, gridFile(b), Filter{Way: hasHighway, Node: hasAmenity, Relation: isAdmin})
}

func BenchmarkReadHelsinki(b *testing.B) {
	benchRead(b, shareddata.Path(b, "helsinki", "Helsinki.osm.pbf"), Filter{Way: hasHighway, Node: hasAmenity})
}

func BenchmarkReadMonaco(b *testing.B) {
	benchRead(b, shareddata.Path(b, "monaco_region_2016", "monaco.osm.pbf"),
		Filter{Way: func(get func(string) string) bool { return get("highway") != "" || get("building") != "" }, Node: hasAmenity, Relation: isAdmin})
}

func BenchmarkReadBeijingXML(b *testing.B) {
	benchRead(b, shareddata.Path(b, "cn_beijing_bupt", "map.osm"), Filter{Way: hasHighway, Node: hasAmenity})
}

func BenchmarkPolygonMonaco(b *testing.B) {
	x, err := Read(context.Background(), shareddata.Path(b, "monaco_region_2016", "monaco.osm.pbf"), Filter{Relation: isAdmin}, nil)
	if err != nil {
		b.Fatal(err)
	}
	var rels []Relation
	for _, r := range x.Relations {
		if _, err := x.Polygon(r); err == nil {
			rels = append(rels, r)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range rels {
			if _, err := x.Polygon(r); err != nil {
				b.Fatal(err)
			}
		}
	}
}
