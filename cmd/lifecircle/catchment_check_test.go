package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// TestCatchmentResidentsMatchNearest checks the catchments the map and
// /api/facilities/{id}/catchment show against an independent code path:
// for 20 facilities of each real extract, `lifecircle nearest` run with
// that facility alone over every demand point of the audit. A
// catchment's points must be exactly the demand points whose distance is
// within the type's threshold, and its residents their population.
func TestCatchmentResidentsMatchNearest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs lifecircle nearest 40 times on real extracts")
	}
	for _, ds := range []struct{ name, osm string }{
		{"helsinki", shareddata.Path(t, "helsinki", "Helsinki.osm.pbf")},
		{"monaco_region_2016", shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf")},
	} {
		t.Run(ds.name, func(t *testing.T) { checkCatchments(t, ds.osm, 20) })
	}
}

func checkCatchments(t *testing.T, osm string, n int) {
	ctx := context.Background()
	s := study.Defaults()
	s.OSM = osm
	st, err := study.Load(ctx, s, study.FileSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Prepare(); err != nil {
		t.Fatal(err)
	}
	in := st.In
	sc, err := planner.NewScenario(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	cat := planner.NewCatchments(sc)

	dir := t.TempDir()
	points := filepath.Join(dir, "points.csv")
	writePointsCSV(t, points, in.Demand.Points)

	// Facilities spread over the list, so every type and both points and
	// areas take part; three in four of them reaching someone (in
	// Monaco most buildings are not residential, so many facilities
	// reach no one), the rest whatever they reach.
	facs := in.Facilities
	if len(facs) < n {
		t.Fatalf("%s has %d facilities, the check wants %d", osm, len(facs), n)
	}
	type pick struct {
		f planner.Facility
		c *planner.FacilityCatchment
	}
	var picks, rest []pick
	for k := range len(facs) {
		f := facs[(k*7919)%len(facs)] // a fixed stride through the list
		c, err := cat.Facility(ctx, f.ID, false)
		if err != nil {
			t.Fatalf("facility %s: %v", f.ID, err)
		}
		if c.Points > 0 && len(picks) < n*3/4 {
			picks = append(picks, pick{f, c})
		} else if len(rest) < n {
			rest = append(rest, pick{f, c})
		}
	}
	picks = append(picks, rest[:n-len(picks)]...)
	nonPoint, checked, withResidents := 0, 0, 0
	for k, pk := range picks {
		f, c := pk.f, pk.c
		if _, ok := f.Geometry.(orb.Point); !ok {
			nonPoint++
		}
		thr := c.Threshold
		fpath := filepath.Join(dir, fmt.Sprintf("facility%d.geojson", k))
		fc := geojson.NewFeatureCollection()
		feat := geojson.NewFeature(f.Geometry)
		feat.Properties["id"] = f.ID
		fc.Append(feat)
		b, err := fc.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fpath, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, fmt.Sprintf("nearest%d.csv", k))
		if _, stderr, code := runCLI(t, "nearest", "--osm", osm, "--facilities", fpath, "--points", points, "--out", out, "--quiet"); code != 0 {
			t.Fatalf("nearest for %s: exit %d: %s", f.ID, code, stderr)
		}
		rows := readOutputCSV(t, out)
		if len(rows) != len(in.Demand.Points)+1 {
			t.Fatalf("nearest wrote %d rows for %d points", len(rows)-1, len(in.Demand.Points))
		}
		w, _ := planner.GroupWeights(in.Demand, mustType(t, in.Profile, f.Type))
		var pts int
		var pop float64
		for i, r := range rows[1:] {
			if r[1] == "" {
				continue
			}
			d, err := strconv.ParseFloat(r[1], 64)
			if err != nil {
				t.Fatalf("nearest row %d: %v", i+1, err)
			}
			if d <= thr {
				pts++
				pop += w[i]
			}
		}
		if c.Points != pts || math.Abs(c.Residents-pop) > 1e-6*math.Max(1, pop) {
			t.Errorf("%s (%s, %s, threshold %.0f m): catchment has %d points, %.3f residents; nearest with it alone finds %d points, %.3f residents within the threshold",
				f.ID, f.Type, f.Geometry.GeoJSONType(), thr, c.Points, c.Residents, pts, pop)
		}
		checked++
		if pts > 0 {
			withResidents++
		}
		t.Logf("%s %-10s %-12s %5.0f m: %5d points, %9.1f residents (nearest: %d, %.1f)", f.ID, f.Type, f.Geometry.GeoJSONType(), thr, c.Points, c.Residents, pts, pop)
	}
	// A check where nobody is within reach would prove nothing.
	if withResidents < n/2 {
		t.Errorf("only %d of %d facilities reach residents: the check is too weak", withResidents, checked)
	}
	t.Logf("%d facilities checked (%d lines or areas), %d reach residents", checked, nonPoint, withResidents)
}

func mustType(t *testing.T, p *planner.Profile, id string) planner.AmenityType {
	t.Helper()
	ty, ok := p.Type(id)
	if !ok {
		t.Fatalf("profile has no type %q", id)
	}
	return *ty
}

// writePointsCSV writes the points as id,lon,lat with every digit, ids
// being the row numbers.
func writePointsCSV(t *testing.T, path string, pts []orb.Point) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id,lon,lat")
	for i, p := range pts {
		fmt.Fprintf(w, "%d,%s,%s\n", i, strconv.FormatFloat(p[0], 'g', -1, 64), strconv.FormatFloat(p[1], 'g', -1, 64))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCatchmentMatchesNetworkX compares catchments with NetworkX's
// (testdata/catchments/NAME.csv, made by scripts/catchment_reference.py
// over OSMnx's walk graph of each reference extract): for 20 facilities
// each, the demand points and residents within the threshold. Points
// within 0.5 m of the threshold, or on coordinates shared by unconnected
// nodes, may fall either way (the reference counts them apart).
func TestCatchmentMatchesNetworkX(t *testing.T) {
	for _, name := range []string{"helsinki_2019", "monaco_2012"} {
		t.Run(name, func(t *testing.T) {
			dir := shareddata.Path(t, "reference", name)
			ctx := context.Background()
			s := study.Defaults()
			s.OSM = filepath.Join(dir, name+".osm.pbf")
			s.Population = filepath.Join(dir, "points.geojson")
			st, err := study.Load(ctx, s, study.FileSource{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			// Not Prepare: rounding to 6 decimals would move the points
			// off the graph's nodes.
			if err := st.AssignUnits(); err != nil {
				t.Fatal(err)
			}
			in := st.In
			in.Facilities = readRefFacilities(t, filepath.Join(dir, "facilities_any.geojson"))
			sc, err := planner.NewScenario(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			cat := planner.NewCatchments(sc)
			rows := readCSV(t, filepath.Join(shareddata.RepoRoot(t), "testdata", "catchments", name+".csv"))
			if len(rows) != 21 {
				t.Fatalf("%d reference rows, want 20", len(rows)-1)
			}
			num := func(s string) float64 {
				v, err := strconv.ParseFloat(s, 64)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			ambiguous := 0.0
			for _, r := range rows[1:] {
				c, err := cat.Facility(ctx, "ref"+r[0], false)
				if err != nil {
					t.Fatal(err)
				}
				thr, pts, res, apts, ares := num(r[3]), num(r[4]), num(r[5]), num(r[6]), num(r[7])
				if c.Type != r[1] || c.Threshold != thr {
					t.Fatalf("facility %s: type %s, %v m; reference %s, %v m", r[0], c.Type, c.Threshold, r[1], thr)
				}
				if float64(c.Points) < pts || float64(c.Points) > pts+apts || c.Residents < res-1e-6 || c.Residents > res+ares+1e-6 {
					t.Errorf("facility %s (%s, %v m): %d points, %.0f residents; NetworkX %v points, %v residents (+ %v points, %v residents either way)",
						r[0], r[1], thr, c.Points, c.Residents, pts, res, apts, ares)
				}
				ambiguous += apts
			}
			t.Logf("20 facilities match NetworkX; %.0f boundary points in all", ambiguous)
		})
	}
}

// readRefFacilities reads a reference facilities file: points with id and
// category (an amenity type of gb50180), as facilities "ref<id>".
func readRefFacilities(t *testing.T, path string) []planner.Facility {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatal(err)
	}
	var out []planner.Facility
	for _, f := range fc.Features {
		id, typ := fmt.Sprint(f.Properties["id"]), fmt.Sprint(f.Properties["category"])
		out = append(out, planner.Facility{ID: "ref" + id, Type: typ, Name: id, Source: "reference", Geometry: f.Geometry})
	}
	return out
}
