package postgis

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
)

// A ProposeRun is one proposal to store: its problem, result and the
// files it wrote.
type ProposeRun struct {
	Project string
	Profile *planner.Profile
	Params  map[string]any // inputs and flags, for the record
	In      planner.ProposeInput
	Res     *planner.ProposeResult
	Meta    data.ProposeMeta
	// FilesDir is the folder data.WriteProposal wrote ("" = none).
	FilesDir string
}

type proposeType struct {
	ID       string        `json:"id"`
	Names    planner.Names `json:"names"`
	Radius   data.Num      `json:"radius_m"`
	Weight   data.Num      `json:"weight"`
	Existing int           `json:"existing_facilities"`
}

type typeCoverage struct {
	ID            string   `json:"type"`
	Radius        data.Num `json:"radius_m"`
	Population    data.Num `json:"population"`
	CoveredBefore data.Num `json:"covered_before"`
	CoveredAfter  data.Num `json:"covered_after"`
	Before        data.Num `json:"coverage_before"`
	After         data.Num `json:"coverage_after"`
}

// proposeSummary is runs.summary of a proposal.
type proposeSummary struct {
	Mode         string         `json:"mode"`
	K            int            `json:"k,omitempty"`
	Target       float64        `json:"target,omitempty"`
	ElapsedS     float64        `json:"elapsed_s"`
	Types        []proposeType  `json:"types"`
	DemandSource string         `json:"demand_source"`
	Candidates   int            `json:"candidates"`
	Skipped      int            `json:"skipped_candidates"`
	Sites        int            `json:"sites"`
	Objective    data.Num       `json:"objective"`
	Coverable    data.Num       `json:"coverable"`
	UpperBound   data.Num       `json:"upper_bound"`
	Gap          data.Num       `json:"gap"`
	LowerBound   int            `json:"lower_bound_sites"`
	Coverage     []typeCoverage `json:"coverage"`
	Max          *struct {
		StoppedEarly bool `json:"stopped_early"`
		Swaps        int  `json:"swaps"`
	} `json:"max,omitempty"`
	Set *struct {
		Target data.Num `json:"target_weight"`
	} `json:"set,omitempty"`
	// Phases are a phased proposal's phases (planner.PhaseResult).
	Phases []planner.PhaseResult `json:"phases,omitempty"`
}

// SaveProposal stores a proposal run and its sites in one transaction.
func (s *Store) SaveProposal(ctx context.Context, r ProposeRun) (int64, error) {
	if err := ValidateProjectName(r.Project); err != nil {
		return 0, err
	}
	in, res := r.In, r.Res
	if res == nil || r.Profile == nil || in.Demand == nil {
		return 0, fmt.Errorf("postgis: save proposal: incomplete run (no result, profile or demand)")
	}
	sum := proposeSummary{Mode: r.Meta.Mode, K: r.Meta.K, Target: r.Meta.Target, ElapsedS: r.Meta.Elapsed.Seconds(),
		DemandSource: in.Demand.Source, Candidates: len(res.Candidates), Skipped: len(res.Skipped), Sites: len(res.Sites),
		Objective: data.Num(res.Objective), Coverable: data.Num(res.Coverable), UpperBound: data.Num(res.UpperBound), Gap: data.Num(res.Gap),
		LowerBound: res.LowerBound, Phases: res.Phases}
	types := make([]string, len(in.Types))
	for i, t := range in.Types {
		types[i] = t.ID
		sum.Types = append(sum.Types, proposeType{ID: t.ID, Names: t.Names, Radius: data.Num(t.Radius), Weight: data.Num(t.Weight), Existing: len(t.Existing)})
	}
	for _, c := range res.Coverage {
		sum.Coverage = append(sum.Coverage, typeCoverage{ID: c.ID, Radius: data.Num(c.Radius), Population: data.Num(c.Population),
			CoveredBefore: data.Num(c.CoveredBefore), CoveredAfter: data.Num(c.CoveredAfter), Before: data.Num(c.Before), After: data.Num(c.After)})
	}
	if res.Max != nil {
		sum.Max = &struct {
			StoppedEarly bool `json:"stopped_early"`
			Swaps        int  `json:"swaps"`
		}{res.Max.StoppedEarly, res.Max.Swaps}
	}
	if res.Set != nil {
		sum.Set = &struct {
			Target data.Num `json:"target_weight"`
		}{data.Num(res.Set.Target)}
	}
	timings := map[string]float64{}
	for k, v := range res.Timings {
		timings[k] = v.Seconds()
	}
	params := r.Params
	if params == nil {
		params = map[string]any{}
	}
	typeList := strings.Join(types, ",")
	var id int64
	_, err := s.writeRun(ctx, r.Project, "propose", r.Meta.Version, "", params, r.Profile, types, sum, timings, func(tx pgx.Tx, run int64) error {
		id = run
		err := s.copyRows(ctx, tx, "proposals",
			[]string{"run", "rank", "candidate", "site_id", "name", "types", "gain", "cumulative", "gain_by_type",
				"coverage_after", "units", "lon", "lat", "geom"},
			len(res.Sites), func(k int) ([]any, error) {
				st := res.Sites[k]
				if st.Candidate < 0 || st.Candidate >= len(res.Candidates) {
					return nil, fmt.Errorf("site %d: candidate %d out of range", st.Rank, st.Candidate)
				}
				g, err := toEWKB(res.Candidates[st.Candidate].Geometry)
				if err != nil {
					return nil, fmt.Errorf("site %s: %w", st.ID, err)
				}
				units := make([]string, len(st.Units))
				for i, u := range st.Units {
					units[i] = u.Unit
				}
				gbt := st.GainByType
				if gbt == nil {
					gbt = []float64{}
				}
				return []any{run, int32(st.Rank), int32(st.Candidate), st.ID, nullable(st.Name), typeList, st.Gain, st.Cumulative,
					gbt, st.CoverageAfter, units, st.Point[0], st.Point[1], g}, nil
			})
		if err != nil {
			return err
		}
		return s.storeFiles(ctx, tx, run, r.FilesDir)
	})
	return id, err
}
