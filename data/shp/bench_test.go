package shp_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/crs"
	"github.com/lifecircle/lifecircle/data/shp"
)

// BenchmarkRead1MPoints reads one million points with two attributes (a
// Chinese name, an integer id) as a Shapefile (UTF-8 .cpg) and, for
// comparison, as GeoJSON through data.ReadLayer. Both files are written once
// into the benchmark's temporary directory.
//
//	go test ./data/shp -run '^$' -bench Read1MPoints -benchmem -benchtime 3x
func BenchmarkRead1MPoints(b *testing.B) {
	const n = 1_000_000
	dir := b.TempDir()
	shpPath := filepath.Join(dir, "points.shp")
	gjPath := filepath.Join(dir, "points.geojson")
	writeBenchFiles(b, shpPath, gjPath, n)
	b.Run("shapefile", func(b *testing.B) {
		for b.Loop() {
			l, err := shp.Read(shpPath)
			if err != nil {
				b.Fatal(err)
			}
			if len(l.Features) != n {
				b.Fatalf("%d features", len(l.Features))
			}
		}
	})
	b.Run("shapefile-wgs84", func(b *testing.B) {
		for b.Loop() {
			if _, err := shp.ReadWGS84(shpPath, crs.WGS84); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("geojson", func(b *testing.B) {
		for b.Loop() {
			l, err := data.ReadLayer(gjPath, data.ReadOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if len(l.Features) != n {
				b.Fatalf("%d features", len(l.Features))
			}
		}
	})
}

// benchPoint spreads n points over Beijing's Haidian district.
func benchPoint(i int) (lon, lat float64) {
	return 116.25 + 0.1*math.Mod(float64(i)*0.6180339887, 1), 39.9 + 0.1*math.Mod(float64(i)*0.7548776662, 1)
}

func writeBenchFiles(b *testing.B, shpPath, gjPath string, n int) {
	b.Helper()
	le := binary.LittleEndian
	// .shp: 100-byte header, then 28 bytes a Point record.
	shpBuf := make([]byte, 100+28*n)
	binary.BigEndian.PutUint32(shpBuf[0:], 9994)
	binary.BigEndian.PutUint32(shpBuf[24:], uint32(len(shpBuf)/2))
	le.PutUint32(shpBuf[28:], 1000)
	le.PutUint32(shpBuf[32:], shp.TypePoint)
	fields := []shp.Field{{Name: "id", Type: 'N', Length: 10}, {Name: "name", Type: 'C', Length: 30}}
	rows := make([][]string, n)
	gj, err := os.Create(gjPath)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(gj)
	w.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := range n {
		lon, lat := benchPoint(i)
		r := shpBuf[100+28*i:]
		binary.BigEndian.PutUint32(r[0:], uint32(i+1))
		binary.BigEndian.PutUint32(r[4:], 10)
		le.PutUint32(r[8:], shp.TypePoint)
		le.PutUint64(r[12:], math.Float64bits(lon))
		le.PutUint64(r[20:], math.Float64bits(lat))
		name := "社区卫生站" + strconv.Itoa(i)
		rows[i] = []string{strconv.Itoa(i + 1), name}
		if i > 0 {
			w.WriteByte(',')
		}
		fmt.Fprintf(w, `{"type":"Feature","id":%d,"geometry":{"type":"Point","coordinates":[%.7f,%.7f]},"properties":{"name":%q}}`, i+1, lon, lat, name)
	}
	w.WriteString("]}\n")
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := gj.Close(); err != nil {
		b.Fatal(err)
	}
	shp.WriteFile(b, shpPath, shpBuf)
	base := shpPath[:len(shpPath)-4]
	shp.WriteFile(b, base+".dbf", shp.DBFBytes(fields, rows, nil, 0))
	shp.WriteFile(b, base+".cpg", []byte("UTF-8"))
}
