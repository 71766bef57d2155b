package planner

import (
	"fmt"
	"strings"
	"time"
)

// A Status is where a facility stands in a district's programme (DESIGN
// §2 "Facility status"). The zero value "" means open: layers without a
// status column audit as they always did.
type Status string

// The five statuses a layer, an OSM element or a field report may give.
const (
	StatusOpen              Status = "open"
	StatusPlanned           Status = "planned"
	StatusUnderConstruction Status = "under_construction"
	StatusClosed            Status = "closed"
	StatusTemporarilyClosed Status = "temporarily_closed"
)

// Statuses lists the statuses in the order they are documented.
var Statuses = []Status{StatusOpen, StatusPlanned, StatusUnderConstruction, StatusClosed, StatusTemporarilyClosed}

// statusWords maps every accepted spelling (lower case, spaces and hyphens
// as underscores) to its status. The Chinese words are those a district's
// ledgers use; README "Facility status" lists them.
var statusWords = map[string]Status{
	"open": StatusOpen, "opened": StatusOpen, "operating": StatusOpen, "existing": StatusOpen, "active": StatusOpen,
	"运营": StatusOpen, "运营中": StatusOpen, "运行": StatusOpen, "开放": StatusOpen, "已开放": StatusOpen,
	"营业": StatusOpen, "营业中": StatusOpen, "正常": StatusOpen, "在用": StatusOpen, "现状": StatusOpen,
	"已建成": StatusOpen, "建成": StatusOpen, "已建": StatusOpen,

	"planned": StatusPlanned, "proposed": StatusPlanned, "plan": StatusPlanned,
	"规划": StatusPlanned, "规划中": StatusPlanned, "拟建": StatusPlanned, "计划": StatusPlanned,
	"待建": StatusPlanned, "新建": StatusPlanned,

	"under_construction": StatusUnderConstruction, "construction": StatusUnderConstruction, "building": StatusUnderConstruction,
	"在建": StatusUnderConstruction, "建设中": StatusUnderConstruction, "施工": StatusUnderConstruction,
	"施工中": StatusUnderConstruction, "正在建设": StatusUnderConstruction,

	"closed": StatusClosed, "disused": StatusClosed, "demolished": StatusClosed, "abandoned": StatusClosed,
	"关闭": StatusClosed, "已关闭": StatusClosed, "停业": StatusClosed, "已停业": StatusClosed, "撤销": StatusClosed,
	"已撤销": StatusClosed, "拆除": StatusClosed, "已拆除": StatusClosed, "废弃": StatusClosed, "停用": StatusClosed,

	"temporarily_closed": StatusTemporarilyClosed, "temporary_closed": StatusTemporarilyClosed, "suspended": StatusTemporarilyClosed,
	"暂停": StatusTemporarilyClosed, "暂停营业": StatusTemporarilyClosed, "暂停服务": StatusTemporarilyClosed,
	"暂时关闭": StatusTemporarilyClosed, "临时关闭": StatusTemporarilyClosed, "暂停运营": StatusTemporarilyClosed,
	"装修": StatusTemporarilyClosed, "装修中": StatusTemporarilyClosed,
}

// ParseStatus reads a status as written in a layer or a report: one of the
// five English names (any case; spaces or hyphens for underscores) or a
// Chinese equivalent (运营, 规划, 在建, 关闭, 暂停, …). An empty value is
// open. An unknown value is an ErrInvalid error listing the accepted ones.
func ParseStatus(s string) (Status, error) {
	k := strings.ToLower(strings.TrimSpace(s))
	if k == "" {
		return StatusOpen, nil
	}
	k = strings.NewReplacer(" ", "_", "-", "_").Replace(k)
	if st, ok := statusWords[k]; ok {
		return st, nil
	}
	return "", fmt.Errorf("%w: status %q is not one of open, planned, under_construction, closed, temporarily_closed (or 运营, 规划, 在建, 关闭, 暂停)", ErrInvalid, s)
}

// Norm returns the status with "" read as open.
func (s Status) Norm() Status {
	if s == "" {
		return StatusOpen
	}
	return s
}

// DateLayout is the ISO 8601 calendar date every status date is written in.
const DateLayout = "2006-01-02"

// ParseDate reads an ISO date (YYYY-MM-DD) as midnight UTC. Empty is the
// zero time (no date). A date-time with a time of day is refused rather
// than cut, so a spreadsheet's "2027-06-30 00:00:00" is named, not guessed.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: date %q is not an ISO date YYYY-MM-DD (e.g. 2027-06-30)", ErrInvalid, s)
	}
	return d, nil
}

// FormatDate writes d as YYYY-MM-DD, or "" for the zero time.
func FormatDate(d time.Time) string {
	if d.IsZero() {
		return ""
	}
	return d.UTC().Format(DateLayout)
}

// Day returns t's calendar day (in t's location) as midnight UTC, the form
// every status date takes.
func Day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// CheckDates reports dates that contradict each other: opens must come
// before closes, except for a temporarily closed facility, where closes is
// the day it shut and opens the day it reopens, so opens must come after.
func (f Facility) CheckDates() error {
	if f.Opens.IsZero() || f.Closes.IsZero() {
		return nil
	}
	if f.Status == StatusTemporarilyClosed {
		if !f.Opens.After(f.Closes) {
			return fmt.Errorf("%w: temporarily closed from %s but reopening (opens) %s is not after it; for a temporarily closed facility opens is the day it reopens",
				ErrInvalid, FormatDate(f.Closes), FormatDate(f.Opens))
		}
		return nil
	}
	if !f.Opens.Before(f.Closes) {
		return fmt.Errorf("%w: opens %s is not before closes %s; swap them or drop one", ErrInvalid, FormatDate(f.Opens), FormatDate(f.Closes))
	}
	return nil
}

// OpenOn reports whether the facility serves residents on day (a calendar
// day; its time of day is ignored). opens is the first day open, closes
// the first day no longer open:
//
//   - open: from opens (or always) until the day before closes (or always);
//   - planned, under_construction: from opens until before closes; without
//     opens, never (no one knows when it will open);
//   - closed: only before closes, from opens; without closes, never;
//   - temporarily_closed: before closes (the day it shut) and again from
//     opens (the day it reopens); with neither, never.
func (f Facility) OpenOn(day time.Time) bool {
	d := Day(day)
	started := f.Opens.IsZero() || !f.Opens.After(d)
	notEnded := f.Closes.IsZero() || d.Before(f.Closes)
	switch f.Status.Norm() {
	case StatusOpen:
		return started && notEnded
	case StatusPlanned, StatusUnderConstruction:
		return !f.Opens.IsZero() && !f.Opens.After(d) && notEnded
	case StatusClosed:
		return !f.Closes.IsZero() && d.Before(f.Closes) && started
	case StatusTemporarilyClosed:
		return (!f.Closes.IsZero() && d.Before(f.Closes)) || (!f.Opens.IsZero() && !f.Opens.After(d))
	}
	return false
}

// InPlan reports whether the facility is part of the programme's end
// state (audit --as-of planned): every facility that is not closed for
// good — open, planned, under construction or temporarily closed — except
// one whose closes date says it will close (a temporarily closed one's
// closes is when it shut, not the end).
func (f Facility) InPlan() bool {
	switch f.Status.Norm() {
	case StatusClosed:
		return false
	case StatusTemporarilyClosed:
		return true
	}
	return f.Closes.IsZero()
}

// An AsOf is the moment an audit counts facilities at: a calendar day, or
// the plan's end state ("planned"). The zero AsOf is not valid; use
// AsOfDay(today) for the usual audit.
type AsOf struct {
	Day     time.Time // midnight UTC; ignored when Planned
	Planned bool
}

// AsOfDay returns the AsOf of t's calendar day.
func AsOfDay(t time.Time) AsOf { return AsOf{Day: Day(t)} }

// ParseAsOf reads an --as-of value: an ISO date, "planned" (also 规划), or
// "today"/"" for today's date (the default audit).
func ParseAsOf(s string, today time.Time) (AsOf, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "today", "今天":
		return AsOfDay(today), nil
	case "planned", "plan", "规划":
		return AsOf{Planned: true}, nil
	}
	d, err := ParseDate(s)
	if err != nil {
		return AsOf{}, fmt.Errorf("%w: as of %q: give a date YYYY-MM-DD, \"today\" or \"planned\"", ErrInvalid, s)
	}
	return AsOf{Day: d}, nil
}

// String is "planned" or the day as YYYY-MM-DD.
func (a AsOf) String() string {
	if a.Planned {
		return "planned"
	}
	return FormatDate(a.Day)
}

// CountsAsOf reports whether the facility counts in an audit as of a:
// InPlan for "planned", else OpenOn(a.Day).
func (f Facility) CountsAsOf(a AsOf) bool {
	if a.Planned {
		return f.InPlan()
	}
	return f.OpenOn(a.Day)
}

// FacilitiesAsOf returns the facilities that count as of a (a new slice;
// fs is not changed) and how many were left out.
func FacilitiesAsOf(fs []Facility, a AsOf) ([]Facility, int) {
	out := make([]Facility, 0, len(fs))
	for _, f := range fs {
		if f.CountsAsOf(a) {
			out = append(out, f)
		}
	}
	return out, len(fs) - len(out)
}
