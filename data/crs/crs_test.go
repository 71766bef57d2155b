package crs

import (
	"errors"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/geo"
	"github.com/paulmach/orb"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in, want string
		epsg     int
		proj     bool
	}{
		{"wgs84", "wgs84", 4326, false},
		{"WGS84", "wgs84", 4326, false},
		{"EPSG:4326", "wgs84", 4326, false},
		{"cgcs2000", "cgcs2000", 4490, false},
		{"epsg:4490", "cgcs2000", 4490, false},
		{"gcj02", "gcj02", 0, false},
		{"GCJ-02", "gcj02", 0, false},
		{"bd09", "bd09", 0, false},
		{"4547", "EPSG:4547", 4547, true},
		{" EPSG:4513 ", "EPSG:4513", 4513, true},
		{"EPSG:4491", "EPSG:4491", 4491, true},
		{"EPSG:4512", "EPSG:4512", 4512, true},
		{"EPSG:32650", "EPSG:32650", 32650, true},
		{"EPSG:32760", "EPSG:32760", 32760, true},
		{"EPSG:3857", "EPSG:3857", 3857, true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			c, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if c.String() != tc.want || c.EPSG() != tc.epsg || c.IsProjected() != tc.proj {
				t.Errorf("Parse(%q) = %s EPSG %d projected %v; want %s %d %v", tc.in, c, c.EPSG(), c.IsProjected(), tc.want, tc.epsg, tc.proj)
			}
			back, err := Parse(c.String())
			if err != nil || back != c {
				t.Errorf("Parse(String()) = %v, %v; want %v", back, err, c)
			}
		})
	}
	for _, bad := range []string{"", "EPSG:2436", "EPSG:4555", "EPSG:32661", "epsg:", "EPSG:-4547", "utm50", "EPSG:99999999999999999999"} {
		_, err := Parse(bad)
		if err == nil {
			t.Errorf("Parse(%q): no error", bad)
			continue
		}
		if !strings.Contains(err.Error(), "EPSG:4513–4554") {
			t.Errorf("Parse(%q): error does not list the supported families: %v", bad, err)
		}
	}
	_, err := Parse("EPSG:2436")
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "ogr2ogr -t_srs EPSG:4326") {
		t.Errorf("unknown code: %v; want ErrUnsupported and the ogr2ogr fix", err)
	}
}

// TestZoneTable checks the zone parameters by hand against the definitions
// (projinfo EPSG:n): prefix = zone number × 10^6 in the false easting.
func TestZoneTable(t *testing.T) {
	cases := []struct {
		code      int
		lon0, x0  float64
		k0, y0    float64
		zoneWidth string
	}{
		{4513, 75, 25500000, 1, 0, "3° zone 25"},
		{4526, 114, 38500000, 1, 0, "3° zone 38"},
		{4533, 135, 45500000, 1, 0, "3° zone 45"},
		{4534, 75, 500000, 1, 0, "3° CM 75E"},
		{4547, 114, 500000, 1, 0, "3° CM 114E"},
		{4554, 135, 500000, 1, 0, "3° CM 135E"},
		{4491, 75, 13500000, 1, 0, "6° zone 13"},
		{4498, 117, 20500000, 1, 0, "6° zone 20"},
		{4501, 135, 23500000, 1, 0, "6° zone 23"},
		{4502, 75, 500000, 1, 0, "6° CM 75E"},
		{4508, 111, 500000, 1, 0, "6° CM 111E"},
		{4512, 135, 500000, 1, 0, "6° CM 135E"},
		{32650, 117, 500000, 0.9996, 0, "UTM 50N"},
		{32750, 117, 500000, 0.9996, 10000000, "UTM 50S"},
		{32601, -177, 500000, 0.9996, 0, "UTM 1N"},
	}
	for _, tc := range cases {
		c, err := FromEPSG(tc.code)
		if err != nil {
			t.Fatal(err)
		}
		if c.lon0 != tc.lon0 || c.x0 != tc.x0 || c.k0 != tc.k0 || c.y0 != tc.y0 {
			t.Errorf("EPSG:%d (%s): lon0 %g x0 %g k0 %g y0 %g; want %g %g %g %g", tc.code, tc.zoneWidth, c.lon0, c.x0, c.k0, c.y0, tc.lon0, tc.x0, tc.k0, tc.y0)
		}
	}
}

// TestHandCases pins a few conversions computed once with cs2cs 9.1.1
// (echo "116.3 39.9" | cs2cs -f %.6f +proj=longlat +ellps=GRS80 +to
// $(projinfo EPSG:4547 -o PROJ -q)), so they hold where cs2cs is absent.
func TestHandCases(t *testing.T) {
	cases := []struct {
		code   int
		ll, xy orb.Point
	}{
		{4547, orb.Point{116.3, 39.9}, orb.Point{696701.542069, 4420958.886354}},
		{4526, orb.Point{116.3, 39.9}, orb.Point{38696701.542069, 4420958.886354}},
		// On the central meridian the easting is the false easting.
		{4508, orb.Point{111, 0}, orb.Point{500000, 0}},
	}
	for _, tc := range cases {
		c, _ := FromEPSG(tc.code)
		xy, err := c.FromWGS84(tc.ll)
		if err != nil || math.Abs(xy[0]-tc.xy[0]) > 1e-3 || math.Abs(xy[1]-tc.xy[1]) > 1e-3 {
			t.Errorf("EPSG:%d FromWGS84(%v) = %.6f, %v; want %.6f", tc.code, tc.ll, xy, err, tc.xy)
		}
		ll, err := c.ToWGS84(tc.xy)
		if err != nil || lonLatMetres(ll, tc.ll) > 1e-3 {
			t.Errorf("EPSG:%d ToWGS84(%v) = %.10f, %v; want %v", tc.code, tc.xy, ll, err, tc.ll)
		}
	}
	// The Beijing case in the wrong family: a prefixed easting read as a
	// zone without prefix is refused with a hint.
	c, _ := FromEPSG(4547)
	if _, err := c.ToWGS84(orb.Point{38696701.5, 4420958.9}); err == nil || !strings.Contains(err.Error(), "zone number") {
		t.Errorf("prefixed easting under EPSG:4547: %v; want an error about the zone number", err)
	}
	// Projected numbers given as lon/lat.
	if _, err := WGS84.ToWGS84(orb.Point{696701.5, 4420958.9}); err == nil || !strings.Contains(err.Error(), "projected") {
		t.Errorf("projected numbers as wgs84: %v; want a hint that they are projected", err)
	}
	if _, err := c.ToWGS84(orb.Point{math.NaN(), 1}); err == nil {
		t.Error("NaN: no error")
	}
}

func TestChineseWebMaps(t *testing.T) {
	p := orb.Point{116.3, 39.9}
	g, _ := Parse("gcj02")
	b, _ := Parse("bd09")
	gp, _ := g.FromWGS84(p)
	if gp != geo.WGS84ToGCJ02(p) {
		t.Errorf("gcj02 FromWGS84 = %v; want geo.WGS84ToGCJ02 %v", gp, geo.WGS84ToGCJ02(p))
	}
	bp, _ := b.FromWGS84(p)
	if bp != geo.GCJ02ToBD09(geo.WGS84ToGCJ02(p)) {
		t.Errorf("bd09 FromWGS84 = %v", bp)
	}
	for _, c := range []CRS{g, b} {
		q, _ := c.FromWGS84(p)
		if lonLatMetres(q, p) < 100 {
			t.Errorf("%s: shift %.1f m; want hundreds of metres in Beijing", c, lonLatMetres(q, p))
		}
		back, err := c.ToWGS84(q)
		if err != nil || lonLatMetres(back, p) > 0.01 {
			t.Errorf("%s round trip: %v, %v (%.3f m off)", c, back, err, lonLatMetres(back, p))
		}
	}
}

func TestGeometry(t *testing.T) {
	c, _ := FromEPSG(4547)
	ring := orb.Ring{{696000, 4420000}, {697000, 4420000}, {697000, 4421000}, {696000, 4420000}}
	in := orb.Collection{
		orb.Point{696701.542069, 4420958.886354},
		orb.MultiPoint{{696000, 4420000}},
		orb.LineString{{696000, 4420000}, {697000, 4421000}},
		orb.MultiLineString{{{696000, 4420000}, {697000, 4421000}}},
		orb.Polygon{ring},
		orb.MultiPolygon{{ring}},
	}
	out, err := c.Geometry(in)
	if err != nil {
		t.Fatal(err)
	}
	if in[0].(orb.Point)[0] != 696701.542069 || in[4].(orb.Polygon)[0][0][0] != 696000 {
		t.Error("Geometry modified its input")
	}
	got := out.(orb.Collection)
	if lonLatMetres(got[0].(orb.Point), orb.Point{116.3, 39.9}) > 1e-3 {
		t.Errorf("point: %v", got[0])
	}
	pg := got[4].(orb.Polygon)
	if len(pg) != 1 || len(pg[0]) != 4 || pg[0][0] != pg[0][3] || pg[0][0][0] < 116 || pg[0][0][0] > 117 {
		t.Errorf("polygon: %v", pg)
	}
	if _, err := c.Geometry(orb.LineString{{696000, 4420000}, {math.Inf(1), 0}}); err == nil {
		t.Error("infinite position: no error")
	}
	back, err := c.GeometryFromWGS84(got[2])
	if err != nil || math.Abs(back.(orb.LineString)[1][0]-697000) > 1e-3 {
		t.Errorf("GeometryFromWGS84: %v, %v", back, err)
	}
}

// TestFromWKTProjinfo feeds FromWKT the WKT that PROJ writes for every
// supported code, in ESRI WKT1 (no authority: recognised by parameters),
// GDAL WKT1 and WKT2:2019, and expects the same conversion back.
func TestFromWKTProjinfo(t *testing.T) {
	if _, err := exec.LookPath("projinfo"); err != nil {
		t.Skip("projinfo not found: install Debian's proj-bin (scripts/test does)")
	}
	var codes []int
	for _, r := range [][2]int{{4491, 4554}, {32601, 32660}, {32701, 32760}} {
		for c := r[0]; c <= r[1]; c += 7 {
			codes = append(codes, c)
		}
		codes = append(codes, r[1])
	}
	codes = append(codes, 4326, 4490, 3857, 4547, 4534, 4502, 4513, 4491)
	for _, code := range codes {
		want, _ := FromEPSG(code)
		for _, format := range []string{"WKT1_ESRI", "WKT1_GDAL", "WKT2_2019"} {
			out, err := exec.Command("projinfo", "EPSG:"+strconv.Itoa(code), "-o", format, "-q").Output()
			if err != nil {
				t.Fatalf("projinfo EPSG:%d -o %s: %v", code, format, err)
			}
			got, err := FromWKT(string(out))
			if err != nil {
				t.Errorf("EPSG:%d %s: %v\n%s", code, format, err, out)
				continue
			}
			same := got == want
			// The 6° zones without prefix are the 3° zones of the same
			// meridian: same conversion, either code.
			if !same && got.kind == want.kind && got.lon0 == want.lon0 && got.x0 == want.x0 && got.k0 == want.k0 && got.y0 == want.y0 && got.ell == want.ell {
				same = format == "WKT1_ESRI"
			}
			if !same {
				t.Errorf("EPSG:%d %s: got %s; want %s", code, format, got, want)
			}
		}
	}
}

func TestFromWKTErrors(t *testing.T) {
	beijing54 := `PROJCS["Beijing_1954_3_Degree_GK_CM_117E",GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954",SPHEROID["Krasovsky_1940",6378245.0,298.3]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	cgcs := `PROJCS["CGCS2000_3_Degree_GK_CM_117E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	if c, err := FromWKT(cgcs); err != nil || c.EPSG() != 4548 {
		t.Fatalf("base case: %v, %v; want EPSG:4548", c, err)
	}
	localTM := strings.Replace(cgcs, "117.0", "116.35", 1)
	feet := strings.Replace(cgcs, `UNIT["Meter",1.0]`, `UNIT["Foot_US",0.3048006096012192]`, 1)
	lambert := strings.Replace(cgcs, "Gauss_Kruger", "Lambert_Conformal_Conic", 1)
	wrongEllipsoid := strings.Replace(cgcs, "6378137.0,298.257222101", "6378245.0,298.3", 1)
	cases := []struct{ name, wkt, want string }{
		{"empty", "  ", "empty"},
		{"not wkt", "hello", "not valid WKT"},
		{"truncated", `GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984"`, "not closed"},
		{"garbage after", `GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984"]] x`, "after the end"},
		{"binary", "\xff\xfe\x00", "not UTF-8"},
		{"beijing 1954", beijing54, "Beijing 1954"},
		{"local meridian", localTM, "not a supported zone"},
		{"feet", feet, "not metres"},
		{"lambert", lambert, "Lambert_Conformal_Conic"},
		{"wrong ellipsoid", wrongEllipsoid, "not CGCS2000's"},
		{"unknown datum", `GEOGCS["GCS_ETRS_1989",DATUM["D_ETRS_1989",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`, "not supported"},
		{"vertical", `VERT_CS["x",VERT_DATUM["y",2005]]`, "not a coordinate system"},
		{"deep", strings.Repeat("A[", 100) + strings.Repeat("]", 100), "nested"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := FromWKT(tc.wkt)
			if err == nil {
				t.Fatalf("FromWKT: %s, no error", c)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"wgs84", "EPSG:4547", "4513", "gcj02", "epsg:32650", "EPSG:", "-1", "EPSG:1e5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			return
		}
		back, err := Parse(c.String())
		if err != nil || back != c {
			t.Fatalf("Parse(%q) = %s; Parse(String()) = %v, %v", s, c, back, err)
		}
		if _, err := c.ToWGS84(orb.Point{500000, 4000000}); err != nil && !c.IsProjected() {
			_ = err // lon/lat CRSs refuse projected numbers: fine
		}
	})
}

func FuzzFromWKT(f *testing.F) {
	for _, s := range []string{
		`GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`,
		`PROJCS["CGCS2000_3_Degree_GK_CM_114E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`,
		`PROJCRS["x",BASEGEOGCRS["y",DATUM["China 2000",ELLIPSOID["CGCS2000",6378137,298.257222101]]],CONVERSION["z",METHOD["Transverse Mercator"],PARAMETER["Longitude of natural origin",114,ANGLEUNIT["degree",0.0174532925199433]]],CS[Cartesian,2],AXIS["(E)",east,LENGTHUNIT["metre",1]],ID["EPSG",4547]]`,
		`BOUNDCRS[SOURCECRS[GEOGCRS["WGS 84",ID["EPSG",4326]]],TARGETCRS[]]`,
		`A["a""b"(1,-2e3,x)]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := FromWKT(s)
		if err != nil {
			return
		}
		if back, err := Parse(c.String()); err != nil || back != c {
			t.Fatalf("FromWKT gave %s, which Parse reads as %v, %v", c, back, err)
		}
	})
}
