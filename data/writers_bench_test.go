package data

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/lifecircle/lifecircle/data/xlsx"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// benchAudit is an audit of n 100 m grid cells, one demand point each,
// with the gb50180 types and 2,000 facilities: figures drawn at random
// (the writers do not care where they come from).
func benchAudit(b *testing.B, n int) (planner.AuditInput, *planner.AuditResult, AuditMeta) {
	prof, err := LoadProfile("gb50180")
	if err != nil {
		b.Fatal(err)
	}
	nT := len(prof.Types)
	rng := rand.New(rand.NewPCG(1, 2))
	side := 1
	for side*side < n {
		side++
	}
	const d = 0.001
	in := planner.AuditInput{Profile: prof, Demand: &planner.Demand{Source: planner.DemandPopulationLayer}}
	res := &planner.AuditResult{Dist: make([][]float64, nT)}
	for i := 0; i < n; i++ {
		lon, lat := 116+float64(i%side)*d, 39.5+float64(i/side)*d
		in.Units = append(in.Units, planner.Unit{ID: "c" + strconv.Itoa(i), Geometry: square(lon, lat, d)})
		in.Demand.Points = append(in.Demand.Points, orb.Point{lon + d/2, lat + d/2})
		in.Demand.Pop = append(in.Demand.Pop, 1+rng.Float64()*200)
		in.Demand.IDs = append(in.Demand.IDs, "p"+strconv.Itoa(i))
		in.Assign = append(in.Assign, int32(i))
		u := planner.UnitResult{Population: in.Demand.Pop[i], Points: 1, Covered: make([]float64, nT), Unreachable: make([]float64, nT),
			DistMean: make([]float64, nT), DistP90: make([]float64, nT), Completeness: rng.Float64(), FullyServed: rng.Float64()}
		for ti := range nT {
			u.Covered[ti] = u.Population * rng.Float64()
			u.DistMean[ti], u.DistP90[ti] = rng.Float64()*2000, rng.Float64()*3000
			res.Dist[ti] = append(res.Dist[ti], u.DistMean[ti])
		}
		res.Units = append(res.Units, u)
	}
	for i := 0; i < 2000; i++ {
		in.Facilities = append(in.Facilities, planner.Facility{ID: "f" + strconv.Itoa(i), Type: prof.Types[i%nT].ID, Source: "osm",
			Geometry: orb.Point{116 + rng.Float64()*float64(side)*d, 39.5 + rng.Float64()*float64(side)*d}})
	}
	for _, t := range prof.Types {
		res.Types = append(res.Types, planner.TypeSummary{ID: t.ID, Names: t.Names, Threshold: t.Threshold})
	}
	return in, res, AuditMeta{Version: "bench", CellSize: 100}
}

// BenchmarkWriteAuditFormats times writing a 100,000-cell audit's
// summary.xlsx, audit.gpkg and, for reference, its GeoJSON layers.
func BenchmarkWriteAuditFormats(b *testing.B) {
	in, res, meta := benchAudit(b, 100_000)
	dir := b.TempDir()
	size := func(b *testing.B, name string) {
		if st, err := os.Stat(filepath.Join(dir, name)); err == nil {
			b.Logf("%s: %.1f MB", name, float64(st.Size())/1e6)
		}
	}
	b.Run("summary.xlsx", func(b *testing.B) {
		for b.Loop() {
			if err := xlsx.Write(filepath.Join(dir, "summary.xlsx"), SummarySheets(in, res, meta)); err != nil {
				b.Fatal(err)
			}
		}
		size(b, "summary.xlsx")
	})
	b.Run("audit.gpkg", func(b *testing.B) {
		for b.Loop() {
			if err := writeAuditGPKG(filepath.Join(dir, AuditGPKG), in, res, meta); err != nil {
				b.Fatal(err)
			}
		}
		size(b, AuditGPKG)
	})
	b.Run("geojson layers", func(b *testing.B) {
		steps := auditSteps(in, res, meta)[:3] // cells, facilities, demand
		for b.Loop() {
			if err := writeSteps(dir, steps); err != nil {
				b.Fatal(err)
			}
		}
		size(b, "cells.geojson")
	})
}
