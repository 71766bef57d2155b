package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/lifecircle/lifecircle/geo"
)

func TestReadCSVVariants(t *testing.T) {
	type want struct {
		id    string
		p     orb.Point
		props map[string]any
	}
	a := orb.Point{24.9384, 60.1699}
	tests := []struct {
		name, file, content string
		o                   ReadOptions
		want                []want
	}{
		{"plain", "a.csv", "id,name,lon,lat\nk1,Kamppi,24.9384,60.1699\n", ReadOptions{RequireIDs: true},
			[]want{{"k1", a, map[string]any{"name": "Kamppi"}}}},
		{"bom crlf", "a.csv", "\ufeffname,lon,lat\r\nKamppi,24.9384,60.1699\r\n\r\n", ReadOptions{},
			[]want{{"1", a, map[string]any{"name": "Kamppi"}}}},
		{"semicolon decimal comma", "a.csv", "name;lat;lon\nKamppi;60,1699;24,9384\n", ReadOptions{},
			[]want{{"1", a, map[string]any{"name": "Kamppi"}}}},
		{"tabs", "a.txt", "lng\tlat\ttype\n24.9384\t60.1699\tclinic\n", ReadOptions{},
			[]want{{"1", a, map[string]any{"type": "clinic"}}}},
		{"tsv", "a.tsv", "x\ty\n24.9384\t60.1699\n", ReadOptions{}, []want{{"1", a, map[string]any{}}}},
		{"lng", "a.csv", "lng,lat\n24.9384,60.1699\n", ReadOptions{}, []want{{"1", a, map[string]any{}}}},
		{"x y", "a.csv", "X,Y,Kind\n24.9384,60.1699,park\n", ReadOptions{}, []want{{"1", a, map[string]any{"Kind": "park"}}}},
		{"longitude latitude padded", "a.csv", " Longitude , LATITUDE ,ID\n 24.9384 , 60.1699 , 7 \n", ReadOptions{},
			[]want{{"7", a, map[string]any{}}}},
		{"chinese headers", "a.csv", "名称,经度,纬度\n北邮,116.3506488,39.9585889\n", ReadOptions{},
			[]want{{"1", orb.Point{116.3506488, 39.9585889}, map[string]any{"名称": "北邮"}}}},
		{"lon preferred over x", "a.csv", "x,y,lon,lat\n1,2,24.9384,60.1699\n", ReadOptions{},
			[]want{{"1", a, map[string]any{"x": "1", "y": "2"}}}},
		{"population numeric", "a.csv", "lon,lat,Population,code\n24.9384,60.1699,12.5,007\n24.9384,60.1699,,008\n", ReadOptions{},
			[]want{{"1", a, map[string]any{"population": 12.5, "code": "007"}}, {"2", a, map[string]any{"code": "008"}}}},
		{"quoted delimiter", "a.csv", "name,lon,lat\n\"Clinic, East\",24.9384,60.1699\n", ReadOptions{},
			[]want{{"1", a, map[string]any{"name": "Clinic, East"}}}},
		{"trailing empty columns", "a.csv", "lon,lat,,\n24.9384,60.1699,,\n", ReadOptions{}, []want{{"1", a, map[string]any{}}}},
		{"header only", "a.csv", "lon,lat\n", ReadOptions{}, nil},
		{"swiss excel semicolon with comma-free numbers", "a.csv", "lon;lat\n24.9384;60.1699\n", ReadOptions{}, []want{{"1", a, map[string]any{}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ReadLayer(writeTemp(t, tc.file, tc.content), tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Features) != len(tc.want) {
				t.Fatalf("got %d features, want %d", len(l.Features), len(tc.want))
			}
			for i, w := range tc.want {
				f := l.Features[i]
				if f.Index != i || f.ID != w.id || f.Geometry != w.p {
					t.Errorf("feature %d: index %d id %q at %v; want id %q at %v", i, f.Index, f.ID, f.Geometry, w.id, w.p)
				}
				if len(f.Properties) != len(w.props) {
					t.Errorf("feature %d: properties %v, want %v", i, f.Properties, w.props)
				}
				for k, v := range w.props {
					if f.Properties[k] != v {
						t.Errorf("feature %d: property %q = %#v, want %#v", i, k, f.Properties[k], v)
					}
				}
			}
		})
	}
}

func TestReadCSVTestdata(t *testing.T) {
	t.Run("excel semicolon utf8", func(t *testing.T) {
		l, err := ReadLayer(filepath.Join("testdata", "excel_semicolon.csv"), ReadOptions{RequireIDs: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Features) != 2 {
			t.Fatalf("got %d features", len(l.Features))
		}
		f := l.Features[0]
		if f.ID != "c1" || f.Properties["Name"] != "北京邮电大学社区卫生服务中心" || f.Properties["备注"] != `社区; "测试"` ||
			f.Properties["population"] != 1200.0 || f.Geometry != (orb.Point{116.3506488, 39.9585889}) {
			t.Errorf("feature 0 = %+v", f)
		}
		if _, ok := l.Features[1].Properties["population"]; ok {
			t.Errorf("empty population became %v", l.Features[1].Properties["population"])
		}
	})
	t.Run("gcj02 from amap", func(t *testing.T) {
		l, err := ReadLayer(filepath.Join("testdata", "amap_gcj02.csv"), ReadOptions{Coords: GCJ02})
		if err != nil {
			t.Fatal(err)
		}
		// eviltransform's published pair: GCJ-02 → WGS84 (116.377817, 39.911954).
		if d := geo.Haversine(l.Features[0].Geometry.(orb.Point), orb.Point{116.377817, 39.911954}); d > 0.01 {
			t.Errorf("converted point is %.3f m from the published WGS84 point", d)
		}
		raw, err := ReadLayer(filepath.Join("testdata", "amap_gcj02.csv"), ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if d := geo.Haversine(raw.Features[0].Geometry.(orb.Point), l.Features[0].Geometry.(orb.Point)); d < 100 || d > 1000 {
			t.Errorf("GCJ-02 offset is %.1f m, want a few hundred metres", d)
		}
	})
	t.Run("bd09 from baidu", func(t *testing.T) {
		l, err := ReadLayer(filepath.Join("testdata", "baidu_bd09.txt"), ReadOptions{Coords: BD09, RequireIDs: true})
		if err != nil {
			t.Fatal(err)
		}
		f := l.Features[0]
		// Glatzel/pyxis test vector: BD-09 → WGS84 (121.0917077, 30.6107779).
		if d := geo.Haversine(f.Geometry.(orb.Point), orb.Point{121.0917077, 30.6107779}); d > 0.05 || f.ID != "b1" || f.Properties["category"] != "clinic" {
			t.Errorf("feature %+v is %.3f m from the published WGS84 point", f, d)
		}
	})
	t.Run("gbk", func(t *testing.T) {
		var notes []string
		l, err := ReadLayer(filepath.Join("testdata", "excel_gbk.csv"), ReadOptions{Report: func(n string) { notes = append(notes, n) }})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Features) < 2 || l.Features[0].Properties["name"] != "北京邮电大学社区卫生服务中心" || l.Features[1].Properties["name"] != "北京中仁中医医院" {
			t.Errorf("features %+v", l.Features)
		}
		if len(notes) != 1 || !strings.Contains(notes[0], "excel_gbk.csv: the text is not UTF-8: read as GBK/GB18030") {
			t.Errorf("notes %q", notes)
		}
	})
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name, content string
		o             ReadOptions
		want          string
	}{
		{"no lon/lat", "name,east,north\na,1,2\n", ReadOptions{}, `clinics.csv: no longitude/latitude columns in the header "name,east,north" — name them lon,lat`},
		{"header missing", "24.9,60.1\n25.0,60.2\n", ReadOptions{}, `make sure the first row is the header`},
		{"latitude projected", "name,lon,lat\nx,1,2\nClinic A,116.4,123.4\n", ReadOptions{},
			`clinics.csv: line 3 ("Clinic A"): latitude 123.4 is outside -90..90: looks projected (metres?) — reproject to WGS84 lon/lat (EPSG:4326)`},
		{"metres", "id,x,y\nq,385000,4420000\n", ReadOptions{}, `line 2 (id "q"): latitude 4420000 is outside -90..90: looks projected`},
		{"swapped", "name,lon,lat\nClinic A,39.9,116.4\n", ReadOptions{}, `line 2 ("Clinic A"): latitude 116.4 is outside -90..90 but (39.9, 116.4) fits the other way round — lon/lat look swapped`},
		{"nan", "lon,lat\nNaN,60\n", ReadOptions{}, `line 2: coordinate (NaN, 60) is not a finite number`},
		{"inf", "lon,lat\n24,+Inf\n", ReadOptions{}, `is not a finite number`},
		{"out of float range", "lon,lat\n24,1e400\n", ReadOptions{}, `latitude "1e400" is out of range`},
		{"not a number", "lon,lat\n24°56',60\n", ReadOptions{}, `line 2: longitude "24°56'" is not a number`},
		{"empty coordinate", "name,lon,lat\nB,,60\n", ReadOptions{}, `line 2 ("B"): longitude is empty — fill it in or delete the row`},
		{"decimal comma needs quoting with commas", "lon,lat\n24,9,60,1\n", ReadOptions{}, `row has 4 fields but the header has 2 — quote values that contain ','`},
		{"short row", "name,lon,lat\nA,24.9\n", ReadOptions{}, `line 2 ("A"): row has 2 fields but the header has 3`},
		{"bad quotes", "name,lon,lat\n\"A\"x,24.9,60.1\n", ReadOptions{}, `clinics.csv: line 2, column 3: extraneous or missing " in quoted-field — check the quotes`},
		{"duplicate ids", "id,name,lon,lat\n5,A,24.9,60.1\n6,B,24.9,60.1\n5,C,24.9,60.1\n", ReadOptions{},
			`feature 0 ("A") and feature 2 ("C") both have id "5" — ids must be unique`},
		{"missing required id", "id,lon,lat\n5,24.9,60.1\n,24.9,60.1\n", ReadOptions{RequireIDs: true}, `feature 1 has no id`},
		{"required id without column", "lon,lat\n24.9,60.1\n", ReadOptions{RequireIDs: true}, `feature 0 has no id`},
		{"duplicate header", "lon,lat,Name,name\n1,2,a,b\n", ReadOptions{}, `header has column "name" twice (columns 3 and 4)`},
		{"population text", "lon,lat,population\n24.9,60.1,many\n", ReadOptions{}, `line 2: population "many" is not a number`},
		{"population negative", "lon,lat,population\n24.9,60.1,-3\n", ReadOptions{}, `population "-3" must be a number ≥ 0`},
		{"points not allowed", "lon,lat\n24.9,60.1\n", ReadOptions{Allow: Polygons}, `a CSV file holds points, but this layer needs polygons`},
		{"empty", "", ReadOptions{}, `clinics.csv: file is empty`},
		{"bom only", "\ufeff\r\n", ReadOptions{}, `file is empty`},
		{"utf16", "\xff\xfel\x00o\x00n\x00", ReadOptions{}, `file is UTF-16, not UTF-8 — in Excel use Save As → CSV UTF-8`},
		{"utf-16", "\xff\xfen\x00a\x00", ReadOptions{}, `file is UTF-16, not UTF-8 — in Excel use Save As → CSV UTF-8`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadLayer(writeTemp(t, "clinics.csv", tc.content), tc.o)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q\ndoes not contain %q", err, tc.want)
			}
		})
	}
}

func TestSniffDelimiter(t *testing.T) {
	for in, want := range map[string]rune{
		"a,b,c\n1;2;3":     ',',
		"a;b;c":            ';',
		"a\tb\tc":          '\t',
		`"x,y";b;c`:        ';',
		"single":           ',',
		"a;b,c\n":          ',', // tie → comma
		"a\tb;c;d\n1\t2\t": ';',
	} {
		if got := sniffDelimiter([]byte(in)); got != want {
			t.Errorf("sniffDelimiter(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("id,name,lon,lat,population\n1,a,24.9,60.1,10\n"), uint8(0))
	f.Add([]byte("\ufeffname;lat;lon\r\nKamppi;60,1699;24,9384\r\n"), uint8(1))
	f.Add([]byte("x\ty\n116.38\t39.91\n"), uint8(2))
	f.Add([]byte("lon,lat\n\"1\",\"2\"\n,\n"), uint8(0))
	for _, name := range []string{"excel_semicolon.csv", "amap_gcj02.csv", "excel_gbk.csv"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(b, uint8(1))
		}
	}
	f.Fuzz(func(t *testing.T, content []byte, coords uint8) {
		p := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := ReadLayer(p, ReadOptions{Coords: CoordSystem(coords % 3)})
		checkFuzzLayer(t, l, err)
	})
}
