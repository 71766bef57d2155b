package data

import (
	"context"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/planner"
)

func TestParseAdminLevels(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want []AdminLevel
		err  string
	}{
		{"admin_level=8,10", []AdminLevel{{8, "admin8"}, {10, "admin10"}}, ""},
		{" admin_level=10 ", []AdminLevel{{10, "admin10"}}, ""},
		{"admin_level=8:subdistrict, 10:community", []AdminLevel{{8, "subdistrict"}, {10, "community"}}, ""},
		{"admin_level=8:街道,10:社区", []AdminLevel{{8, "街道"}, {10, "社区"}}, ""},
		{"admin_level=8,8", nil, "given twice"},
		{"admin_level=8:a,10:a", nil, `level name "a" is given twice`},
		{"admin_level=13", nil, "not a whole number 1..12"},
		{"admin_level=x", nil, "not a whole number"},
		{"admin_level=", nil, "expected admin_level="},
		{"8,10", nil, "expected admin_level=N"},
		{"boundary=administrative", nil, "expected admin_level=N"},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParseAdminLevels(tc.spec)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("%v, want %v", got, tc.want)
				}
			}
		})
	}
}

func FuzzParseAdminLevels(f *testing.F) {
	for _, s := range []string{"admin_level=8,10", "admin_level=8:a,10:b", "admin_level=", "admin_level=,,", "admin_level=1:", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		levels, err := ParseAdminLevels(s)
		if err != nil {
			return
		}
		seen := map[int]bool{}
		for _, l := range levels {
			if l.AdminLevel < 1 || l.AdminLevel > 12 || l.Name == "" || seen[l.AdminLevel] {
				t.Fatalf("%q parsed to %v", s, levels)
			}
			seen[l.AdminLevel] = true
		}
	})
}

// TestReadAdminUnitsMonaco reads Monaco's communes and quarters: the
// complete boundaries become units, the ones the extract cuts are named in
// a warning, and a level the extract lacks is an error naming the levels
// it has.
func TestReadAdminUnitsMonaco(t *testing.T) {
	path := shareddata.Path(t, "monaco_region_2016", "monaco.osm.pbf")
	levels, err := ParseAdminLevels("admin_level=10:quarter,8:commune")
	if err != nil {
		t.Fatal(err)
	}
	units, warns, err := ReadAdminUnits(context.Background(), path, levels, nil)
	if err != nil {
		t.Fatal(err)
	}
	byLevel := map[string][]planner.Unit{}
	for _, u := range units {
		byLevel[u.Level] = append(byLevel[u.Level], u)
		if !strings.HasPrefix(u.ID, "osm-r") || u.Name == "" {
			t.Errorf("unit %+v: want an osm-r<id> id and a name", u)
		}
	}
	if len(byLevel["commune"]) != 4 || len(byLevel["quarter"]) != 9 {
		t.Fatalf("%d communes and %d quarters, want 4 and 9", len(byLevel["commune"]), len(byLevel["quarter"]))
	}
	if units[0].Level != "commune" {
		t.Errorf("first unit is a %s: coarser levels (smaller admin_level) come first", units[0].Level)
	}
	names := map[string]bool{}
	for _, u := range units {
		names[u.Name] = true
	}
	// Monaco carries name:zh; the others only name.
	for _, n := range []string{"摩纳哥", "Beausoleil", "Cap-d'Ail", "La Turbie", "Monte-Carlo", "Fontvieille", "La Condamine"} {
		if !names[n] {
			t.Errorf("no unit named %q (names: %v)", n, names)
		}
	}
	if err := planner.ValidateUnits(path, units[:4]); err != nil {
		t.Errorf("communes are not valid units: %v", err)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "admin_level=8") || !strings.Contains(warns[0], "Menton") {
		t.Errorf("warnings %q: want one naming the cut communes (Menton, …)", warns)
	}

	_, _, err = ReadAdminUnits(context.Background(), path, []AdminLevel{{9, "admin9"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "admin_level=9 (0 found, 0 complete)") || !strings.Contains(err.Error(), "10 (9 of 9 complete)") {
		t.Errorf("error %v: want one saying level 9 is absent and listing the levels the extract has", err)
	}
	// The Helsinki sample's boundaries are all cut by its edge.
	_, warns, err = ReadAdminUnits(context.Background(), shareddata.Path(t, "helsinki", "Helsinki.osm.pbf"), []AdminLevel{{10, "admin10"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "0 complete") || len(warns) != 1 {
		t.Errorf("Helsinki admin_level=10: error %v, warnings %q; want every quarter reported as cut", err, warns)
	}
}
