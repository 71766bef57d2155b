package planner

import (
	"errors"
	"testing"
	"time"
)

func day(s string) time.Time {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestParseStatus(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Status
	}{
		{"", StatusOpen}, {"Open", StatusOpen}, {"运营", StatusOpen},
		{"planned", StatusPlanned}, {"规划", StatusPlanned},
		{"Under construction", StatusUnderConstruction}, {"under-construction", StatusUnderConstruction}, {"在建", StatusUnderConstruction},
		{"closed", StatusClosed}, {"关闭", StatusClosed},
		{"temporarily_closed", StatusTemporarilyClosed}, {"暂停", StatusTemporarilyClosed},
	} {
		got, err := ParseStatus(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseStatus(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := ParseStatus("gone fishing"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown status: err %v, want ErrInvalid", err)
	}
	for _, bad := range []string{"2027-6-30", "30/06/2027", "2027-06-30 00:00:00", "2027-02-30"} {
		if _, err := ParseDate(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseDate(%q): err %v, want ErrInvalid", bad, err)
		}
	}
}

// TestOpenOn checks every status with and without dates on days before,
// on and after each date, by the rules written in OpenOn's comment.
func TestOpenOn(t *testing.T) {
	f := func(st Status, opens, closes string) Facility {
		var o, c time.Time
		if opens != "" {
			o = day(opens)
		}
		if closes != "" {
			c = day(closes)
		}
		return Facility{Status: st, Opens: o, Closes: c}
	}
	cases := []struct {
		name string
		f    Facility
		on   map[string]bool
		plan bool
	}{
		{"no status", f("", "", ""), map[string]bool{"1990-01-01": true, "2030-01-01": true}, true},
		{"open with dates", f(StatusOpen, "2026-03-01", "2028-01-01"), map[string]bool{"2026-02-28": false, "2026-03-01": true, "2027-12-31": true, "2028-01-01": false}, false},
		{"planned without opens", f(StatusPlanned, "", ""), map[string]bool{"2026-01-01": false, "2040-01-01": false}, true},
		{"planned", f(StatusPlanned, "2027-07-01", ""), map[string]bool{"2027-06-30": false, "2027-07-01": true}, true},
		{"under construction", f(StatusUnderConstruction, "2026-12-31", ""), map[string]bool{"2026-12-30": false, "2026-12-31": true}, true},
		{"closed without date", f(StatusClosed, "", ""), map[string]bool{"1990-01-01": false}, false},
		{"closed on a date", f(StatusClosed, "2020-01-01", "2026-05-01"), map[string]bool{"2019-12-31": false, "2026-04-30": true, "2026-05-01": false}, false},
		{"temporarily closed", f(StatusTemporarilyClosed, "2026-09-01", "2026-05-01"), map[string]bool{"2026-04-30": true, "2026-05-01": false, "2026-08-31": false, "2026-09-01": true}, true},
		{"temporarily closed, no dates", f(StatusTemporarilyClosed, "", ""), map[string]bool{"2026-01-01": false}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.f.CheckDates(); err != nil {
				t.Fatal(err)
			}
			for d, want := range tc.on {
				if got := tc.f.OpenOn(day(d)); got != want {
					t.Errorf("OpenOn(%s) = %v, want %v", d, got, want)
				}
				a, err := ParseAsOf(d, time.Now())
				if err != nil || tc.f.CountsAsOf(a) != want {
					t.Errorf("CountsAsOf(%s) = %v (%v), want %v", d, tc.f.CountsAsOf(a), err, want)
				}
			}
			if got := tc.f.CountsAsOf(AsOf{Planned: true}); got != tc.plan {
				t.Errorf("planned: %v, want %v", got, tc.plan)
			}
		})
	}
	if err := f(StatusOpen, "2028-01-01", "2026-01-01").CheckDates(); !errors.Is(err, ErrInvalid) {
		t.Errorf("opens after closes: %v", err)
	}
	if err := f(StatusTemporarilyClosed, "2026-01-01", "2026-05-01").CheckDates(); !errors.Is(err, ErrInvalid) {
		t.Errorf("reopening before closing: %v", err)
	}
}

// TestLatestReports checks which report an audit applies: the latest on
// or before the day, the later one in the history on a tie, the latest of
// all for the plan; and what applying it does to the dates.
func TestLatestReports(t *testing.T) {
	rs := []StatusReport{
		{FacilityID: "a", Status: StatusClosed, Date: day("2026-11-20"), Seq: 1},
		{FacilityID: "a", Status: StatusOpen, Date: day("2026-11-15"), Seq: 2},
		{FacilityID: "a", Status: StatusTemporarilyClosed, Date: day("2026-11-20"), Seq: 3},
		{FacilityID: "b", Status: StatusOpen, Date: day("2027-01-01"), Seq: 4},
	}
	for _, tc := range []struct {
		asOf string
		want map[string]int // facility → Seq applied
	}{
		{"2026-11-14", map[string]int{}},
		{"2026-11-19", map[string]int{"a": 2}},
		{"2026-11-20", map[string]int{"a": 3}},
		{"planned", map[string]int{"a": 3, "b": 4}},
	} {
		a, _ := ParseAsOf(tc.asOf, time.Now())
		got := LatestReports(rs, a)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d reports, want %d", tc.asOf, len(got), len(tc.want))
		}
		for id, seq := range tc.want {
			if got[id].Seq != seq {
				t.Errorf("%s: %s gets report %d, want %d", tc.asOf, id, got[id].Seq, seq)
			}
		}
	}
	planned := Facility{ID: "p", Status: StatusPlanned, Opens: day("2027-07-01")}
	if f := planned.Apply(StatusReport{Status: StatusOpen, Date: day("2026-11-01")}); f.Status != StatusOpen || !f.Opens.Equal(day("2026-11-01")) || !f.OpenOn(day("2026-11-01")) {
		t.Errorf("planned seen open early: %+v", f)
	}
	if f := planned.Apply(StatusReport{Status: StatusUnderConstruction, Date: day("2027-08-01")}); !f.Opens.IsZero() || f.OpenOn(day("2030-01-01")) {
		t.Errorf("still building after its opening date: %+v", f)
	}
	open := Facility{ID: "o", Opens: day("2020-01-01")}
	if f := open.Apply(StatusReport{Status: StatusClosed, Date: day("2026-05-01")}); !f.OpenOn(day("2026-04-30")) || f.OpenOn(day("2026-05-01")) {
		t.Errorf("closed: %+v", f)
	}
	tmp := Facility{ID: "t", Status: StatusUnderConstruction, Opens: day("2026-12-31")}
	if f := tmp.Apply(StatusReport{Status: StatusTemporarilyClosed, Date: day("2026-11-25")}); f.OpenOn(day("2027-06-30")) || !f.InPlan() {
		t.Errorf("temporarily closed: %+v", f)
	}
	out, n, unknown := ApplyStatusReports([]Facility{{ID: "a"}, {ID: "a", Type: "market"}, {ID: "c"}}, append(rs, StatusReport{FacilityID: "zz", Status: StatusOpen, Date: day("2026-01-01")}), AsOf{Planned: true})
	if n != 2 || out[0].Status != StatusTemporarilyClosed || out[1].Status != StatusTemporarilyClosed || out[2].Status != "" || len(unknown) != 2 {
		t.Errorf("applied %d, %+v, unknown %v", n, out, unknown)
	}
}
