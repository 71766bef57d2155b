package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/data/synth"
	"github.com/paulmach/orb"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run parses args, generates the city and returns the exit code: 0 ok,
// 1 generation failed, 2 bad usage.
func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("gencity", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		nodes      = fs.Int("nodes", 10000, "number of street nodes `N` (≥ 4), on a roughly square lattice")
		spacing    = fs.Float64("spacing", synth.DefaultSpacing, "lattice spacing in `metres`; nodes are jittered by up to ±25% of it")
		center     = fs.String("center", fmt.Sprintf("%g,%g", synth.DefaultLon, synth.DefaultLat), "`lon,lat` of the city centre (WGS84; 0,0 means the default)")
		facilities = fs.Int("facilities", 100, "facilities per type")
		types      = fs.String("types", strings.Join(synth.DefaultTypes(), ","), "comma-separated facility `types`")
		points     = fs.Int("points", 10000, "demand points (population 1..50 each)")
		candidates = fs.Int("candidates", 1000, "candidate sites")
		seed       = fs.Int64("seed", 1, "random seed; the same seed and flags give identical files")
		out        = fs.String("out", "", "`DIR` to write into, created if missing (required)")
	)
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: gencity -out DIR [flags]

Writes a synthetic city for benchmarks into DIR:
  %s        street lattice (~sqrt(N)×sqrt(N) nodes, ways of ~10 segments,
                      mostly highway=residential, ~8%% not walkable: motorway,
                      cycleway, foot=no, access=private; ~2%% of segments
                      removed; two small disconnected islands)
  %s  facilities per type: id, type, name
  %s      demand points: id, population
  %s          the same points: id,lon,lat,population
  %s  candidate sites: id
Layer points lie at random inside the city's bounding box, never on a node.

Flags:
`, synth.FileCity, synth.FileFacilities, synth.FilePoints, synth.FilePointsCSV, synth.FileCandidates)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gencity: unexpected argument %q; all settings are flags (see -h)\n", fs.Arg(0))
		return 2
	}
	if *out == "" {
		fmt.Fprintln(stderr, "gencity: -out DIR is required (see -h)")
		return 2
	}
	ctr, err := parseCenter(*center)
	if err != nil {
		fmt.Fprintf(stderr, "gencity: -center: %v\n", err)
		return 2
	}
	var typeList []string
	for _, t := range strings.Split(*types, ",") {
		typeList = append(typeList, strings.TrimSpace(t))
	}

	log := slog.New(slog.NewTextHandler(stderr, nil))
	start := time.Now()
	res, err := synth.Generate(*out, synth.Options{
		Nodes: *nodes, Spacing: *spacing, Center: ctr,
		Facilities: *facilities, Types: typeList,
		Points: *points, Candidates: *candidates,
		Seed: *seed, Log: log,
	})
	if err != nil {
		fmt.Fprintf(stderr, "gencity: %v\n", err)
		return 1
	}
	for _, f := range res.Files {
		if st, err := os.Stat(f); err == nil {
			log.Info("file", "path", f, "bytes", st.Size())
		}
	}
	log.Info("done", "nodes", res.Nodes, "ways", res.Ways,
		"bounds", fmt.Sprintf("%.6f,%.6f,%.6f,%.6f", res.Bounds.Min[0], res.Bounds.Min[1], res.Bounds.Max[0], res.Bounds.Max[1]),
		"took", time.Since(start).Round(time.Millisecond))
	return 0
}

// parseCenter reads "lon,lat".
func parseCenter(s string) (orb.Point, error) {
	lonS, latS, ok := strings.Cut(s, ",")
	if !ok {
		return orb.Point{}, fmt.Errorf("%q: want lon,lat such as 116.40,39.90", s)
	}
	lon, err1 := strconv.ParseFloat(strings.TrimSpace(lonS), 64)
	lat, err2 := strconv.ParseFloat(strings.TrimSpace(latS), 64)
	if err1 != nil || err2 != nil {
		return orb.Point{}, fmt.Errorf("%q: want two numbers lon,lat such as 116.40,39.90", s)
	}
	return orb.Point{lon, lat}, nil
}
