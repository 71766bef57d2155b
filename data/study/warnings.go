package study

import (
	"path/filepath"

	"github.com/lifecircle/lifecircle/planner"
)

// warn reports a typed warning on the terminal and keeps it for the
// outputs: its English text in summary.json's warnings, the whole in
// warning_details (report and map show it by what it affects).
func (st *Study) warn(w planner.Warning) {
	st.p.Warn("%s", w.En)
	st.Meta.Warnings = append(st.Meta.Warnings, w.En)
	st.Meta.WarningDetails = append(st.Meta.WarningDetails, w)
}

// officialDemand checks the estimate dem before any rescaling: how much
// of the building footprint is residential, the official unit counts
// (applied here, --unit-population) and --total-population against the
// estimate, and the resident groups the profile's types serve. It returns
// the demand to use.
func (st *Study) officialDemand(dem *planner.Demand, bopt planner.BuildingOptions) (*planner.Demand, error) {
	in, s := st.Inputs, st.Settings
	if dem.Source == planner.DemandBuildings {
		all, res, err := planner.FootprintShare(in.Buildings, bopt)
		if err != nil {
			return nil, err
		}
		if w, ok := planner.WeakTagging(all, res); ok {
			st.warn(w)
		}
	}
	// A street sample weighs 1 per point: no count of residents to compare.
	estimated := dem.Source != planner.DemandNetworkSample
	if s.UnitPopulation != "" {
		out, estimate, official, warns, err := st.applyUnitCounts(dem, bopt)
		if err != nil {
			return nil, err
		}
		if w, ok := planner.EstimateVsOfficial(estimate, official, dem.Source, "the unit counts of "+filepath.Base(s.UnitPopulation)); ok && estimated {
			st.warn(w)
		}
		for _, w := range warns {
			st.warn(w)
		}
		st.Meta.Inputs["unit_population"] = s.UnitPopulation
		dem = out
	}
	if s.TotalPopulation > 0 && estimated {
		if w, ok := planner.EstimateVsOfficial(dem.Total(), s.TotalPopulation, dem.Source, "--total-population"); ok {
			st.warn(w)
		}
	}
	if w, ok := planner.GroupMissing(dem, in.Profile); ok {
		st.warn(w)
	}
	return dem, nil
}

// AuditWarnings warns, once per study (Run calls it; serve after its
// scenario's first audit), about residents on street pieces
// cut off from the main network and units without residents.
func (st *Study) AuditWarnings(res *planner.AuditResult) {
	if st.auditWarned {
		return
	}
	st.auditWarned = true
	if w, ok := planner.CutOffWarning(res.CutOff); ok {
		st.warn(w)
	}
	if !st.HasUnits() || st.In.Hierarchy == nil {
		return
	}
	lv := st.In.Hierarchy.Levels
	for k := range res.Levels {
		if k >= len(lv) {
			break
		}
		name := lv[k].Name
		if len(lv) == 1 {
			name = ""
		}
		if w, ok := planner.EmptyUnits(name, lv[k].Units, res.Levels[k].Units); ok {
			st.warn(w)
		}
	}
}
