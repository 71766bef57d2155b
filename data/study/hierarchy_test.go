package study

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

// warnings is a Progress that keeps the warnings.
type warnings []string

func (w *warnings) Step(string)                           {}
func (w *warnings) Done(string, ...any)                   {}
func (w *warnings) OSM(string) func(string, int64, int64) { return func(string, int64, int64) {} }
func (w *warnings) Warn(format string, a ...any)          { *w = append(*w, fmt.Sprintf(format, a...)) }

// writeGridPopulation writes points every step degrees over the box with
// deterministic populations 1..50, so every unit gets residents.
func writeGridPopulation(t *testing.T, path string, minLon, minLat, maxLon, maxLat, step float64) {
	t.Helper()
	fc := geojson.NewFeatureCollection()
	k := 0
	for lat := minLat; lat <= maxLat; lat += step {
		for lon := minLon; lon <= maxLon; lon += step {
			k++
			f := geojson.NewFeature(orb.Point{math.Round(lon*1e6) / 1e6, math.Round(lat*1e6) / 1e6})
			f.Properties["id"] = fmt.Sprintf("p%d", k)
			f.Properties["population"] = float64(1 + (k*7919)%50)
			fc.Append(f)
		}
	}
	b, err := fc.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// levelUnit is one feature of a units_<level>.geojson.
type levelUnit struct {
	id, parent string
	props      map[string]any
	geom       orb.Geometry
}

func readLevelUnits(t *testing.T, path string) []levelUnit {
	t.Helper()
	fc, err := data.ReadOutputLayer(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]levelUnit, len(fc.Features))
	for i, f := range fc.Features {
		id, _ := f.Properties["unit_id"].(string)
		parent, _ := f.Properties["parent"].(string)
		out[i] = levelUnit{id: id, parent: parent, props: f.Properties, geom: f.Geometry}
	}
	return out
}

// demandPoint is one feature of demand.geojson.
type demandPoint struct {
	at   orb.Point
	pop  float64
	unit string             // finest unit, "" outside
	dist map[string]float64 // NaN unreachable
}

func readDemand(t *testing.T, path string, types []string) []demandPoint {
	t.Helper()
	fc, err := data.ReadOutputLayer(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]demandPoint, len(fc.Features))
	for i, f := range fc.Features {
		d := demandPoint{at: f.Geometry.(orb.Point), dist: map[string]float64{}}
		d.pop, _ = f.Properties["population"].(float64)
		d.unit, _ = f.Properties["unit_id"].(string)
		for _, ty := range types {
			if v, ok := f.Properties["dist_"+ty].(float64); ok {
				d.dist[ty] = v
			} else {
				d.dist[ty] = math.NaN()
			}
		}
		out[i] = d
	}
	return out
}

func contains(g orb.Geometry, p orb.Point) bool {
	switch g := g.(type) {
	case orb.Polygon:
		return planar.PolygonContains(g, p)
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(g, p)
	}
	return false
}

func num(props map[string]any, key string) float64 {
	v, ok := props[key].(float64)
	if !ok {
		return math.NaN()
	}
	return v
}

// weightedStats is the population-weighted mean and 90th percentile of
// the reachable distances (DESIGN §2), computed here independently.
func weightedStats(pts []demandPoint, ty string) (mean, p90 float64) {
	type dp struct{ d, p float64 }
	var v []dp
	var sum, w float64
	for _, q := range pts {
		if d := q.dist[ty]; !math.IsNaN(d) && q.pop > 0 {
			v = append(v, dp{d, q.pop})
			sum += d * q.pop
			w += q.pop
		}
	}
	if w == 0 {
		return math.NaN(), math.NaN()
	}
	slices.SortFunc(v, func(a, b dp) int {
		if a.d < b.d {
			return -1
		}
		if a.d > b.d {
			return 1
		}
		return 0
	})
	acc := 0.0
	for _, x := range v {
		acc += x.p
		if acc >= 0.9*w-1e-9*w {
			return sum / w, x.d
		}
	}
	return sum / w, v[len(v)-1].d
}

// TestAuditHierarchyMonaco audits Monaco and its neighbours with the OSM
// communes (admin_level 8) and Monaco's quarters (admin_level 10) as
// levels: every figure of a commune equals the sum over its quarters plus
// the residents inside the commune but in no quarter, distances are the
// statistics of the commune's own residents, and the district totals are
// the communes' sums plus the residents outside every commune.
func TestHierarchyMonaco(t *testing.T) {
	t.Parallel()
	src := shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf")
	dir := t.TempDir()
	pop := filepath.Join(dir, "population.geojson")
	writeGridPopulation(t, pop, 7.374, 43.718, 7.440, 43.766, 0.0012)
	s := Defaults()
	s.OSM, s.Population, s.UnitsOSM = src, pop, "admin_level=8,10"
	var warns warnings
	st, err := Load(context.Background(), s, FileSource{}, &warns)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := st.Write(out, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(warns, "\n"), "cut by the extract's edge") {
		t.Errorf("no warning about the communes the extract cuts: %q", warns)
	}
	run, err := data.ReadAudit(out)
	if err != nil {
		t.Fatal(err)
	}
	sum := run.Summary
	if len(sum.Levels) != 2 || sum.Levels[0].Name != "admin8" || sum.Levels[1].Name != "admin10" {
		t.Fatalf("summary levels %+v, want admin8 then admin10", sum.Levels)
	}
	communes := readLevelUnits(t, filepath.Join(out, sum.Levels[0].File))
	quarters := readLevelUnits(t, filepath.Join(out, sum.Levels[1].File))
	if len(communes) != 4 || len(quarters) != 9 {
		t.Fatalf("%d communes and %d quarters, want 4 complete communes (Beausoleil, Cap-d'Ail, La Turbie, Monaco) and Monaco's 9 quarters", len(communes), len(quarters))
	}
	// units.geojson is the finest level.
	if len(run.Units) != len(quarters) {
		t.Errorf("units.geojson has %d units, want the %d quarters", len(run.Units), len(quarters))
	}
	var types []string
	thr := map[string]float64{}
	for _, ty := range sum.Types {
		types = append(types, ty.ID)
		thr[ty.ID] = float64(ty.Threshold)
	}
	pts := readDemand(t, filepath.Join(out, "demand.geojson"), types)

	qIdx := map[string]int{}
	for i, q := range quarters {
		qIdx[q.id] = i
	}
	monaco := -1
	districtPop := 0.0
	for ci, c := range communes {
		var kids []levelUnit
		kidSet := map[string]bool{}
		for _, q := range quarters {
			if q.parent == c.id {
				kids = append(kids, q)
				kidSet[q.id] = true
			}
		}
		if len(kids) > 0 {
			monaco = ci
		}
		// The commune's residents: its quarters' and those in no quarter
		// inside its polygon.
		var own, direct []demandPoint
		for _, p := range pts {
			if kidSet[p.unit] {
				own = append(own, p)
			} else if p.unit == "" && contains(c.geom, p.at) {
				own = append(own, p)
				direct = append(direct, p)
			}
		}
		name := fmt.Sprintf("%s (%v)", c.id, c.props["name"])
		pop := num(c.props, "population")
		t.Logf("%s: %.1f residents, %d quarters, %d residents' points in no quarter", name, pop, len(kids), len(direct))
		districtPop += pop
		// Rounding: 0.1 per written unit figure, 0.01 per point population.
		tol := 0.05*float64(len(kids)+1) + 0.005*float64(len(direct)) + 1e-6
		sumKids := func(key string) float64 {
			s := 0.0
			for _, k := range kids {
				s += num(k.props, key)
			}
			return s
		}
		sumDirect := func(f func(p demandPoint) float64) float64 {
			s := 0.0
			for _, p := range direct {
				s += f(p)
			}
			return s
		}
		if got, want := pop, sumKids("population")+sumDirect(func(p demandPoint) float64 { return p.pop }); math.Abs(got-want) > tol {
			t.Errorf("%s: population %v, quarters + direct residents = %v", name, got, want)
		}
		for _, ty := range types {
			covered := sumKids("covered_"+ty) + sumDirect(func(p demandPoint) float64 {
				if p.dist[ty] <= thr[ty] {
					return p.pop
				}
				return 0
			})
			if got := num(c.props, "covered_"+ty); math.Abs(got-covered) > tol {
				t.Errorf("%s: covered_%s %v, quarters + direct = %v", name, ty, got, covered)
			}
			unreach := sumKids("unreachable_"+ty) + sumDirect(func(p demandPoint) float64 {
				if math.IsNaN(p.dist[ty]) {
					return p.pop
				}
				return 0
			})
			if got := num(c.props, "unreachable_"+ty); math.Abs(got-unreach) > tol {
				t.Errorf("%s: unreachable_%s %v, quarters + direct = %v", name, ty, got, unreach)
			}
			if got, want := num(c.props, "gap_"+ty), sumKids("gap_"+ty)+sumDirect(func(p demandPoint) float64 { return p.pop })-(covered-sumKids("covered_"+ty)); math.Abs(got-want) > 2*tol {
				t.Errorf("%s: gap_%s %v, quarters + direct = %v", name, ty, got, want)
			}
			// Distances are the commune's own residents' statistics.
			mean, p90 := weightedStats(own, ty)
			gm, gp := num(c.props, "dist_"+ty+"_mean"), num(c.props, "dist_"+ty+"_p90")
			if math.IsNaN(mean) != math.IsNaN(gm) || (!math.IsNaN(mean) && (math.Abs(gm-mean) > 0.15 || math.Abs(gp-p90) > 0.15)) {
				t.Errorf("%s: dist_%s mean %v p90 %v; from its %d residents' points: %v %v", name, ty, gm, gp, len(own), mean, p90)
			}
		}
		// Completeness and fully served as population-weighted sums.
		for _, key := range []string{"completeness", "fully_served"} {
			want := 0.0
			for _, k := range kids {
				want += num(k.props, key) * num(k.props, "population")
			}
			for _, p := range direct {
				n := 0
				for _, ty := range types {
					if p.dist[ty] <= thr[ty] {
						n++
					}
				}
				share := float64(n) / float64(len(types)) // gb50180 weights are all 1
				if key == "fully_served" {
					share = math.Floor(share)
				}
				want += share * p.pop
			}
			if got := num(c.props, key) * pop; math.Abs(got-want) > 0.6e-4*pop+1e-4*float64(len(kids))*pop+tol {
				t.Errorf("%s: %s × population %v, quarters + direct = %v", name, key, got, want)
			}
		}
	}
	if monaco < 0 {
		t.Fatal("no commune has quarters: the quarters were not linked to Monaco by containment")
	}
	if n := len(quarters); n != 9 {
		t.Errorf("%d quarters", n)
	}
	for _, q := range quarters {
		if q.parent != communes[monaco].id {
			t.Errorf("quarter %s (%v) has parent %q, want %s", q.id, q.props["name"], q.parent, communes[monaco].id)
		}
		if num(q.props, "population") <= 0 {
			t.Errorf("quarter %s (%v) has no residents: the test population grid misses it", q.id, q.props["name"])
		}
	}
	// District totals = communes + residents outside every commune.
	if got, want := float64(sum.Totals.Population), districtPop+float64(sum.Levels[0].PopulationOutside); math.Abs(got-want) > 0.05*float64(len(communes)+2) {
		t.Errorf("district population %v, communes + outside = %v", got, want)
	}
	if math.Abs(float64(sum.Levels[0].Population)-districtPop) > 0.05*float64(len(communes)+1) {
		t.Errorf("summary level admin8 population %v, its units sum to %v", sum.Levels[0].Population, districtPop)
	}
}
