package planner

import "time"

// A StatusReport is what someone saw of a facility on a day: a grid
// worker's field report (lifecircle status import). Reports are kept as a
// history, never overwritten; an audit applies the latest.
type StatusReport struct {
	FacilityID string
	Status     Status
	Date       time.Time // the day it was seen, midnight UTC
	Note       string
	ReportedBy string
	// Seq orders reports in the history (file line or database row):
	// of two reports of one facility on one day, the higher Seq wins.
	Seq int
}

// LatestReports returns, per facility id, the report an audit as of a
// applies: the latest by date among those dated on or before a's day (a
// report cannot say what the facility was before it was made), or the
// latest of all for the plan's end state; of reports on the same day, the
// later in the history (higher Seq).
func LatestReports(reports []StatusReport, a AsOf) map[string]StatusReport {
	out := map[string]StatusReport{}
	for _, r := range reports {
		if !a.Planned && r.Date.After(a.Day) {
			continue
		}
		cur, ok := out[r.FacilityID]
		if !ok || r.Date.After(cur.Date) || (r.Date.Equal(cur.Date) && r.Seq > cur.Seq) {
			out[r.FacilityID] = r
		}
	}
	return out
}

// Apply returns f as report r says it is from r's day on. The status
// becomes r's; the dates are made to agree with it:
//
//   - open: opens becomes r's day if it was unknown or later; a closes
//     on or before r's day is dropped (it reopened);
//   - planned, under_construction: an opens on or before r's day is
//     dropped (the opening did not happen by then), a later one kept;
//     a closes on or before r's day is dropped;
//   - closed: closes becomes r's day; an opens after it is dropped;
//   - temporarily_closed: closes becomes r's day and opens is dropped:
//     it counts again only once a later report says it is open (a
//     layer's opens may be a planned opening, not a reopening).
func (f Facility) Apply(r StatusReport) Facility {
	d := r.Date
	f.Status = r.Status
	switch r.Status {
	case StatusOpen:
		if f.Opens.IsZero() || f.Opens.After(d) {
			f.Opens = d
		}
		if !f.Closes.IsZero() && !f.Closes.After(d) {
			f.Closes = time.Time{}
		}
	case StatusPlanned, StatusUnderConstruction:
		if !f.Opens.After(d) {
			f.Opens = time.Time{}
		}
		if !f.Closes.IsZero() && !f.Closes.After(d) {
			f.Closes = time.Time{}
		}
	case StatusClosed:
		f.Closes = d
		if f.Opens.After(d) {
			f.Opens = time.Time{}
		}
	case StatusTemporarilyClosed:
		f.Closes, f.Opens = d, time.Time{}
	}
	return f
}

// ApplyStatusReports returns a copy of fs with the latest report of each
// facility (LatestReports) applied, matched by facility id (every
// facility with that id: an OSM element of two types takes the report for
// both), the number of facilities changed, and the ids of reports that
// name no facility, in history order, each once.
func ApplyStatusReports(fs []Facility, reports []StatusReport, a AsOf) (out []Facility, applied int, unknown []string) {
	latest := LatestReports(reports, a)
	out = make([]Facility, len(fs))
	ids := make(map[string]bool, len(fs))
	for i, f := range fs {
		ids[f.ID] = true
		if r, ok := latest[f.ID]; ok {
			f = f.Apply(r)
			applied++
		}
		out[i] = f
	}
	seen := map[string]bool{}
	for _, r := range reports {
		if !ids[r.FacilityID] && !seen[r.FacilityID] {
			seen[r.FacilityID] = true
			unknown = append(unknown, r.FacilityID)
		}
	}
	return out, applied, unknown
}
