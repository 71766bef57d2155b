package crs

import (
	"bytes"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// cs2cs runs Debian's cs2cs (proj-bin) from one PROJ definition to another on
// the given positions (x y order: PROJ strings use lon/lat and east/north).
func cs2cs(t *testing.T, from, to string, ps []orb.Point) []orb.Point {
	t.Helper()
	args := append(strings.Fields(from), "+to")
	args = append(args, strings.Fields(to)...)
	args = append([]string{"-f", "%.10f"}, args...)
	cmd := exec.Command("cs2cs", args...)
	var in bytes.Buffer
	for _, p := range ps {
		fmt.Fprintf(&in, "%.12f %.12f\n", p[0], p[1])
	}
	cmd.Stdin = &in
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cs2cs %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(ps) {
		t.Fatalf("cs2cs: %d lines for %d points:\n%s", len(lines), len(ps), out)
	}
	res := make([]orb.Point, len(ps))
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) < 2 {
			t.Fatalf("cs2cs: line %d %q", i, l)
		}
		x, err1 := strconv.ParseFloat(f[0], 64)
		y, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("cs2cs: line %d %q: not two numbers", i, l)
		}
		res[i] = orb.Point{x, y}
	}
	return res
}

// projDef asks projinfo for the PROJ string of an EPSG code, so that the
// zone parameters come from PROJ's database rather than from our table.
func projDef(t *testing.T, code int) string {
	t.Helper()
	out, err := exec.Command("projinfo", "EPSG:"+strconv.Itoa(code), "-o", "PROJ", "-q").Output()
	if err != nil {
		t.Fatalf("projinfo EPSG:%d: %v", code, err)
	}
	return strings.TrimSpace(string(out))
}

// lonLatMetres is the distance in metres between two nearby lon/lat positions.
func lonLatMetres(a, b orb.Point) float64 {
	dy := (a[1] - b[1]) / deg * 6371000
	dx := remainderDeg(a[0]-b[0]) / deg * 6371000 * math.Cos(a[1]/deg)
	return math.Hypot(dx, dy)
}

// TestAgainstPROJ compares forward and inverse conversions with cs2cs on 50
// positions per zone — zone edges, central meridian and between, over the
// latitudes of the zone's use — for several zones of every family.
func TestAgainstPROJ(t *testing.T) {
	if _, err := exec.LookPath("cs2cs"); err != nil {
		t.Skip("cs2cs not found: install Debian's proj-bin (apt-get install proj-bin; scripts/test does) to compare with PROJ")
	}
	if _, err := exec.LookPath("projinfo"); err != nil {
		t.Skip("projinfo not found: install Debian's proj-bin")
	}
	codes := []int{
		4513, 4526, 4533, // 3° with zone prefix: zones 25, 38 (Beijing), 45
		4534, 4547, 4554, // 3° without prefix
		4491, 4498, 4501, // 6° with prefix: zones 13, 20, 23
		4502, 4508, 4512, // 6° without prefix
		32601, 32650, 32660, 32701, 32750, 32760, // UTM north and south
		3857,
	}
	for _, code := range codes {
		t.Run(fmt.Sprintf("EPSG:%d", code), func(t *testing.T) {
			c, err := FromEPSG(code)
			if err != nil {
				t.Fatal(err)
			}
			def := projDef(t, code)
			geog := "+proj=longlat +ellps=GRS80 +no_defs +type=crs"
			half, lat0, lat1 := 1.5, 18.0, 54.0
			switch {
			case code >= 4491 && code <= 4512:
				half = 3
			case code > 32600 && code < 32661:
				geog, half, lat0, lat1 = "+proj=longlat +datum=WGS84 +no_defs +type=crs", 3, 0, 84
			case code > 32700:
				geog, half, lat0, lat1 = "+proj=longlat +datum=WGS84 +no_defs +type=crs", 3, -80, 0
			case code == 3857:
				geog, half, lat0, lat1 = "+proj=longlat +datum=WGS84 +no_defs +type=crs", 180, -85, 85
			}
			var ll []orb.Point
			lons := []float64{-half, -half + 1e-9, -0.9 * half, -half / 2, -0.1, 0, 0.1, half / 3, 0.9 * half, half}
			lats := []float64{lat0, lat0 + (lat1-lat0)*0.3, (lat0 + lat1) / 2, lat0 + (lat1-lat0)*0.8, lat1}
			for _, dl := range lons {
				for _, lat := range lats {
					ll = append(ll, orb.Point{c.lon0 + dl, lat})
				}
			}
			want := cs2cs(t, geog, def, ll)
			worst := 0.0
			for i, p := range ll {
				got, err := c.FromWGS84(p)
				if err != nil {
					t.Fatalf("FromWGS84(%v): %v", p, err)
				}
				d := math.Hypot(got[0]-want[i][0], got[1]-want[i][1])
				worst = math.Max(worst, d)
				if d > 0.001 {
					t.Errorf("FromWGS84(%v) = %.4f, %.4f; cs2cs %.4f, %.4f: %.2f mm apart", p, got[0], got[1], want[i][0], want[i][1], d*1000)
				}
			}
			// Inverse: PROJ's projected positions, nudged off the forward
			// grid, back to lon/lat by PROJ and by us.
			xy := make([]orb.Point, len(want))
			for i, p := range want {
				xy[i] = orb.Point{p[0] + 123.456, p[1] - 78.9}
			}
			back := cs2cs(t, def, geog, xy)
			for i, p := range xy {
				got, err := c.ToWGS84(p)
				if err != nil {
					t.Fatalf("ToWGS84(%v): %v", p, err)
				}
				d := lonLatMetres(got, back[i])
				worst = math.Max(worst, d)
				if d > 0.001 {
					t.Errorf("ToWGS84(%.3f, %.3f) = %.10f, %.10f; cs2cs %.10f, %.10f: %.2f mm apart", p[0], p[1], got[0], got[1], back[i][0], back[i][1], d*1000)
				}
			}
			t.Logf("%s (%s): worst difference from cs2cs %.3g mm over %d positions each way", c, c.Name(), worst*1000, len(ll))
		})
	}
}
