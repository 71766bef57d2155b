package data

import (
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// ListFacilities returns the facilities of type typ ("" = every type), in
// the profile's type order, then by id: the list `lifecircle facilities`
// prints for a planner to review.
func ListFacilities(prof *planner.Profile, fs []planner.Facility, typ string) []planner.Facility {
	order := map[string]int{}
	for i, id := range prof.TypeIDs() {
		order[id] = i
	}
	var out []planner.Facility
	for _, f := range fs {
		if typ == "" || f.Type == typ {
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if oa, ob := order[out[a].Type], order[out[b].Type]; oa != ob {
			return oa < ob
		}
		return out[a].ID < out[b].ID
	})
	return out
}

// TagsText writes OSM tags as "k=v; k=v", keys sorted.
func TagsText(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + tags[k]
	}
	return strings.Join(parts, "; ")
}

// WriteFacilityListCSV writes the facilities as a CSV for review in a
// spreadsheet (UTF-8 with BOM, formula-like text neutralised): the
// columns of FacilityListTable.
func WriteFacilityListCSV(w io.Writer, prof *planner.Profile, fs []planner.Facility) error {
	return FacilityListTable(prof, fs).WriteCSV(w)
}

// FacilityListTable returns the facilities as a table: type, its names,
// id, name, rule, source, the centre's lon/lat (WGS84), the tags, the
// status with its opens and closes dates (YYYY-MM-DD or empty), then
// capacity (places, empty when unknown) when any facility gives one — the
// columns of `lifecircle facilities --format csv` and of the map's table.
func FacilityListTable(prof *planner.Profile, fs []planner.Facility) Table {
	header := slices.Clone(FacilityListHeader)
	withCapacity := slices.ContainsFunc(fs, func(f planner.Facility) bool { return f.Capacity > 0 })
	if withCapacity {
		header = append(header, "capacity")
	}
	t := Table{Header: header, Rows: make([][]any, 0, len(fs))}
	for _, f := range fs {
		p := NewFacilityProperties(prof, f)
		var zh, en string
		if p.TypeNames != nil {
			zh, en = p.TypeNames.Zh, p.TypeNames.En
		}
		var ct orb.Point
		if f.Geometry != nil {
			ct = f.Geometry.Bound().Center()
		}
		row := []any{f.Type, zh, en, f.ID, f.Name, f.Rule, f.Source, F(ct[0], 6), F(ct[1], 6), TagsText(f.Tags), p.Status, p.Opens, p.Closes}
		if withCapacity {
			row = append(row, F(nonZeroOrNaN(f.Capacity), -1))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// FacilityListHeader are the columns of FacilityListTable.
var FacilityListHeader = []string{"type", "type_zh", "type_en", "id", "name", "rule", "source", "lon", "lat", "tags", "status", "opens", "closes"}

// WriteFacilityListGeoJSON writes the facilities with the properties of
// facilities.geojson.
func WriteFacilityListGeoJSON(w io.Writer, prof *planner.Profile, fs []planner.Facility) error {
	g := NewGeoJSONWriter(w)
	for _, f := range fs {
		if err := g.Write(f.ID, f.Geometry, FacilityProps(prof, f)); err != nil {
			return err
		}
	}
	return g.Close()
}

// nonZeroOrNaN is x, or NaN (an empty cell) for 0: an unknown capacity.
func nonZeroOrNaN(x float64) float64 {
	if x == 0 {
		return math.NaN()
	}
	return x
}

// StatusText is " · STATUS opens … closes …" for a facility that is not
// plainly open (a status other than open, or a date), else "": the
// status note of `lifecircle facilities`.
func StatusText(f planner.Facility) string {
	if f.Status.Norm() == planner.StatusOpen && f.Opens.IsZero() && f.Closes.IsZero() {
		return ""
	}
	s := " · " + string(f.Status.Norm())
	if !f.Opens.IsZero() {
		s += " opens " + planner.FormatDate(f.Opens)
	}
	if !f.Closes.IsZero() {
		s += " closes " + planner.FormatDate(f.Closes)
	}
	return s
}
