package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// Published converted pairs, written as lon/lat:
//   - eviltransform: github.com/googollee/eviltransform, go/transform_test.go
//     and python/test.py (WGS84 → GCJ-02 for Shanghai, Shenzhen, Beijing;
//     BD-09 → WGS84 near Jinhua).
//   - coordtransform: github.com/wandergis/coordtransform, README.md
//     ("result" block for 116.404, 39.915).
var wgsGCJPairs = []struct {
	name     string
	wgs, gcj orb.Point
}{
	{"eviltransform shanghai", orb.Point{121.5272106, 31.1774276}, orb.Point{121.531541859215, 31.17530398364597}},
	{"eviltransform shenzhen", orb.Point{113.912316, 22.543847}, orb.Point{113.9171764808363, 22.540796131694766}},
	{"eviltransform beijing", orb.Point{116.377817, 39.911954}, orb.Point{116.38404722455657, 39.91334545536069}},
	{"coordtransform beijing", orb.Point{116.404, 39.915}, orb.Point{116.41024449916938, 39.91640428150164}},
}

func TestWGS84ToGCJ02Published(t *testing.T) {
	for _, tc := range wgsGCJPairs {
		t.Run(tc.name, func(t *testing.T) {
			got := WGS84ToGCJ02(tc.wgs)
			if d := Haversine(got, tc.gcj); d > 0.001 {
				t.Errorf("WGS84ToGCJ02(%v) = %v, want %v (off by %.4f m)", tc.wgs, got, tc.gcj, d)
			}
		})
	}
}

func TestGCJ02ToWGS84Published(t *testing.T) {
	for _, tc := range wgsGCJPairs {
		t.Run(tc.name, func(t *testing.T) {
			got := GCJ02ToWGS84(tc.gcj)
			if d := Haversine(got, tc.wgs); d > 0.01 {
				t.Errorf("GCJ02ToWGS84(%v) = %v, want %v (off by %.4f m)", tc.gcj, got, tc.wgs, d)
			}
		})
	}
}

func TestBD09Published(t *testing.T) {
	// coordtransform README: bd09togcj02(116.404, 39.915) and
	// gcj02tobd09(116.404, 39.915). The forward transform is closed-form and
	// must match to floating-point precision; coordtransform's inverse is the
	// approximate closed form (we refine it), so allow 0.5 m there.
	in := orb.Point{116.404, 39.915}
	if got, want := BD09ToGCJ02(in), (orb.Point{116.39762729119315, 39.90865673957631}); Haversine(got, want) > 0.5 {
		t.Errorf("BD09ToGCJ02(%v) = %v, want %v", in, got, want)
	}
	if got, want := GCJ02ToBD09(in), (orb.Point{116.41036949371029, 39.92133699351021}); Haversine(got, want) > 0.001 {
		t.Errorf("GCJ02ToBD09(%v) = %v, want %v", in, got, want)
	}

	// Glatzel/pyxis, python/tests/test_crypto.py: one point through all
	// three systems (its GCJ formula uses the WGS84 radius instead of
	// Krasovsky's, a centimetre-level difference).
	wgs := orb.Point{121.0917077, 30.6107779}
	gcj := orb.Point{121.09626935575027, 30.608604331756705}
	bd := orb.Point{121.10271732371203, 30.61484572185035}
	for _, tc := range []struct {
		name      string
		in, want  orb.Point
		f         func(orb.Point) orb.Point
		tolMetres float64
	}{
		{"WGS84ToGCJ02", wgs, gcj, WGS84ToGCJ02, 0.05},
		{"GCJ02ToWGS84", gcj, wgs, GCJ02ToWGS84, 0.05},
		{"GCJ02ToBD09", gcj, bd, GCJ02ToBD09, 0.001},
		{"BD09ToGCJ02", bd, gcj, BD09ToGCJ02, 0.01},
		{"BD09ToWGS84", bd, wgs, BD09ToWGS84, 0.05},
	} {
		got := tc.f(tc.in)
		d := Haversine(got, tc.want)
		if d > tc.tolMetres {
			t.Errorf("%s(%v) = %v, want %v (off by %.3f m)", tc.name, tc.in, got, tc.want, d)
		}
		t.Logf("%s off by %.4f m", tc.name, d)
	}
}

func TestChinaRoundTrips(t *testing.T) {
	// A grid over mainland China: WGS → GCJ → WGS must come back to < 1 cm,
	// and the offset itself must be the expected few hundred metres.
	var worstGCJ, worstBD float64
	for lon := 74.0; lon <= 135; lon += 1.7 {
		for lat := 18.0; lat <= 53; lat += 1.3 {
			w := orb.Point{lon, lat}
			g := WGS84ToGCJ02(w)
			if off := Haversine(w, g); off < 1 || off > 1500 {
				t.Fatalf("GCJ offset at %v is %.1f m, want 1..1500", w, off)
			}
			worstGCJ = math.Max(worstGCJ, Haversine(GCJ02ToWGS84(g), w))
			b := GCJ02ToBD09(g)
			worstBD = math.Max(worstBD, Haversine(BD09ToWGS84(b), w))
		}
	}
	if worstGCJ > 0.01 {
		t.Errorf("WGS→GCJ→WGS worst error %.6f m, want < 0.01 m", worstGCJ)
	}
	if worstBD > 0.01 {
		t.Errorf("WGS→BD→WGS worst error %.6f m, want < 0.01 m", worstBD)
	}
	t.Logf("worst round-trip error: GCJ %.2e m, BD %.2e m", worstGCJ, worstBD)
}

func TestOutOfChina(t *testing.T) {
	tests := []struct {
		name string
		p    orb.Point
		out  bool
	}{
		{"beijing", orb.Point{116.4, 39.9}, false},
		{"helsinki", orb.Point{24.94, 60.17}, true},
		{"monaco", orb.Point{7.42, 43.73}, true},
		{"null island", orb.Point{0, 0}, true},
		{"west edge", orb.Point{72.0, 30}, true},
		{"north edge", orb.Point{120, 55.9}, true},
		{"nan", orb.Point{math.NaN(), 39.9}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := OutOfChina(tc.p); got != tc.out {
				t.Fatalf("OutOfChina(%v) = %v, want %v", tc.p, got, tc.out)
			}
			if tc.out && !math.IsNaN(tc.p[0]) {
				for name, f := range map[string]func(orb.Point) orb.Point{
					"WGS84ToGCJ02": WGS84ToGCJ02, "GCJ02ToWGS84": GCJ02ToWGS84,
					"GCJ02ToBD09": GCJ02ToBD09, "BD09ToGCJ02": BD09ToGCJ02, "BD09ToWGS84": BD09ToWGS84,
				} {
					if got := f(tc.p); got != tc.p {
						t.Errorf("%s(%v) = %v, want unchanged", name, tc.p, got)
					}
				}
			}
		})
	}
}

func BenchmarkGCJ02ToWGS84(b *testing.B) {
	p := wgsGCJPairs[0].gcj
	for b.Loop() {
		GCJ02ToWGS84(p)
	}
}
