package study

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
)

// ParsedAsOf returns the settings' --as-of as of today (the day Load
// runs): YYYY-MM-DD, "planned", or today when unset.
func (s *Settings) ParsedAsOf(today time.Time) (planner.AsOf, error) {
	a, err := planner.ParseAsOf(s.AsOf, today)
	if err != nil {
		return a, Invalidf("--as-of %q: give a date YYYY-MM-DD (e.g. 2027-06-30) or \"planned\"", s.AsOf)
	}
	return a, nil
}

// MaxTimelineYears bounds --timeline: each year is a full audit.
const MaxTimelineYears = 50

// ParseTimeline reads --timeline "FROM..TO" (years, FROM ≤ TO); "" gives
// 0, 0.
func ParseTimeline(s string) (from, to int, err error) {
	if strings.TrimSpace(s) == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(strings.TrimSpace(s), "..")
	from, err1 := strconv.Atoi(strings.TrimSpace(a))
	to, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || from < 1900 || to > 2200 || from > to || to-from >= MaxTimelineYears {
		return 0, 0, Invalidf("--timeline %q: give two years FROM..TO, e.g. 2025..2030 (at most %d years)", s, MaxTimelineYears)
	}
	return from, to, nil
}

// TimelineDay is the day a timeline audits each year as of: 31 December,
// what the year's programme has delivered by its end.
func TimelineDay(year int) time.Time { return time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC) }

// A StatusSource keeps the field reports of a study's facilities (the
// database's history); FileSource reads Settings.StatusFile instead.
type StatusSource interface {
	StatusReports(ctx context.Context) ([]planner.StatusReport, error)
}

// statusReports returns the reports of the study's history: the source's
// (database), else the settings' status file (missing: none).
func statusReports(ctx context.Context, s Settings, src Source, today time.Time) ([]planner.StatusReport, string, error) {
	if ss, ok := src.(StatusSource); ok {
		r, err := ss.StatusReports(ctx)
		return r, "database", err
	}
	if s.StatusFile == "" {
		return nil, "", nil
	}
	if _, err := os.Stat(s.StatusFile); errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	r, err := data.ReadStatusReports(s.StatusFile, today)
	return r, s.StatusFile, err
}

// applyStatus applies the field reports to the facilities read and keeps
// those that count as of the settings' --as-of in the audit's input
// (st.All keeps them all, for the timeline and the facility list).
func (st *Study) applyStatus(ctx context.Context, src Source) error {
	today := time.Now()
	a, err := st.Settings.ParsedAsOf(today)
	if err != nil {
		return err
	}
	reports, from, err := statusReports(ctx, st.Settings, src, today)
	if err != nil {
		return err
	}
	st.reports, st.asOf = reports, a
	st.All = st.Inputs.Facilities
	applied := 0
	if len(reports) > 0 {
		var unknown []string
		st.All, applied, unknown = planner.ApplyStatusReports(st.Inputs.Facilities, reports, a)
		st.Meta.Inputs["status_reports"] = from
		if len(unknown) > 0 {
			w := fmt.Sprintf("%s: %d field report(s) name facilities not among the inputs (%s) — check the ids against `lifecircle facilities`",
				from, len(unknown), strings.Join(unknown[:min(len(unknown), 10)], ", "))
			st.p.Warn("%s", w)
			st.Meta.Warnings = append(st.Meta.Warnings, w)
		}
	}
	counted, _ := planner.FacilitiesAsOf(st.All, a)
	st.In.Facilities = counted
	st.Meta.AsOf = data.NewAsOfSummary(a, strings.TrimSpace(st.Settings.AsOf) == "", st.All, len(counted), applied)
	return nil
}

// FacilitiesAsOf returns the facilities read (field reports applied as of
// a) that count as of a: what an audit with --as-of a counts.
func (st *Study) FacilitiesAsOf(a planner.AsOf) []planner.Facility {
	all, _, _ := planner.ApplyStatusReports(st.Inputs.Facilities, st.reports, a)
	fs, _ := planner.FacilitiesAsOf(all, a)
	return fs
}

// RunTimeline audits the prepared study as of 31 December of every year
// of the settings' --timeline (none: nil), each as a separate --as-of
// audit of the same residents and units would, and keeps the rows in the
// outputs' metadata (timeline.csv, summary.json, the report's chart).
func RunTimeline(ctx context.Context, st *Study) ([]data.TimelineRow, error) {
	from, to, err := ParseTimeline(st.Settings.Timeline)
	if err != nil || from == 0 {
		return nil, err
	}
	if _, edited := st.Meta.Inputs["scenario"]; edited {
		return nil, Invalidf("--timeline audits the inputs year by year and cannot carry a scenario's edits: run it without --scenario, or audit the scenario --as-of one day")
	}
	if err := st.Prepare(); err != nil {
		return nil, err
	}
	st.p.Step("timeline " + st.Settings.Timeline)
	var rows []data.TimelineRow
	for y := from; y <= to; y++ {
		a := planner.AsOf{Day: TimelineDay(y)}
		in := st.In
		in.Facilities = st.FacilitiesAsOf(a)
		for i := range in.Facilities { // as Quantize rounds the audit's own
			in.Facilities[i].Geometry = roundGeometry6(in.Facilities[i].Geometry)
		}
		in.Rules = nil
		res, err := planner.Audit(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("timeline %d: %w", y, err)
		}
		rows = append(rows, data.NewTimelineRows(y, a.String(), res)...)
	}
	st.Meta.Timeline = rows
	st.p.Done("%d years × %d types", to-from+1, len(st.In.Profile.Types))
	return rows, nil
}

// StatusReports returns the stored project's field reports (read with
// the project by Resolve, in one snapshot).
func (d *DBSource) StatusReports(context.Context) ([]planner.StatusReport, error) {
	if d.proj == nil {
		return nil, fmt.Errorf("study: DBSource.StatusReports before Resolve")
	}
	return d.proj.StatusReports, nil
}

// timeNow is the clock of field reports (a report may not be dated after
// today).
var timeNow = time.Now

// ImportStatusFile reads the field report file path
// (data.ReadStatusReports: facility_id,status,date,note,reported_by) and
// appends its reports to the study's status history: the database
// project's (db set) or the settings' status file (status.csv beside the
// project file), kept whole and written atomically. It returns the number
// of reports imported and in the history afterwards.
func ImportStatusFile(ctx context.Context, s Settings, db *DBSource, path string) (n, total int, err error) {
	now := timeNow()
	reports, err := data.ReadStatusReports(path, now)
	if err != nil {
		return 0, 0, err
	}
	if db != nil {
		total, err = db.Store.AppendStatusReports(ctx, db.Name, reports)
		return len(reports), total, err
	}
	if s.StatusFile == "" {
		return 0, 0, Invalidf("status import: no status history to add to — give -c lifecircle.yaml (the history is status.csv beside it), --status FILE, or --db URL --project NAME")
	}
	total, err = data.AppendStatusHistory(s.StatusFile, reports, now)
	return len(reports), total, err
}
