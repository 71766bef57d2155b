package planner

import (
	"errors"
	"testing"

	"github.com/paulmach/orb"
)

func TestParsePhases(t *testing.T) {
	ps, err := ParsePhases(" 2026:3, 2027:5 ,2028:4,")
	if err != nil || len(ps) != 3 || ps[0] != (Phase{Label: "2026", Year: 2026, K: 3}) || ps[2].K != 4 {
		t.Fatalf("%+v %v", ps, err)
	}
	for _, bad := range []string{"", ",", "2026", "2026:", "2026:x", "26:3", "2026:0", "2026:-1", "2027:1,2026:1", "2026:1,2026:2", "2026:3:4"} {
		if _, err := ParsePhases(bad); err == nil || !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func FuzzParsePhases(f *testing.F) {
	for _, s := range []string{"2026:3,2027:5,2028:4", "2026:1", "x", "2026:3,,2025:1", "9999:2147483647"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePhases(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%q: error %v does not wrap ErrInvalid", s, err)
			}
			return
		}
		for i, p := range ps {
			if p.K < 1 || p.Year < 1000 || p.Year > 9999 || (i > 0 && p.Year <= ps[i-1].Year) {
				t.Fatalf("%q: phase %d = %+v", s, i, p)
			}
		}
	})
}

// TestDerivedFacilityID: the id depends on type, trimmed name and the
// 5 m cell only.
func TestDerivedFacilityID(t *testing.T) {
	p := orb.Point{116.3912, 39.9066}
	a, ok := DerivedFacilityID("clinic", "卫生站", p)
	if !ok || len(a) != len(DerivedIDPrefix)+10 || a[:len(DerivedIDPrefix)] != DerivedIDPrefix {
		t.Fatalf("id %q %v", a, ok)
	}
	if b, _ := DerivedFacilityID("clinic", " 卫生站 ", p); b != a {
		t.Errorf("spaces around the name changed the id: %s %s", a, b)
	}
	for _, other := range []struct {
		typ, name string
		at        orb.Point
	}{{"market", "卫生站", p}, {"clinic", "卫生站二", p}, {"clinic", "卫生站", orb.Point{p[0], p[1] + 0.0001}}} {
		if b, _ := DerivedFacilityID(other.typ, other.name, other.at); b == a {
			t.Errorf("%+v has the same id as the original", other)
		}
	}
	// A polygon is placed at its representative point.
	sq := orb.Polygon{{{116.39, 39.90}, {116.391, 39.90}, {116.391, 39.901}, {116.39, 39.901}, {116.39, 39.90}}}
	if _, ok := DerivedFacilityID("market", "", sq); !ok {
		t.Error("no id for a polygon")
	}
	if _, ok := DerivedFacilityID("market", "", orb.MultiPoint{}); ok {
		t.Error("an id for an empty geometry")
	}
}
