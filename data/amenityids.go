package data

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/lifecircle/lifecircle/planner"
)

// AmenityIDColumns are the properties (or columns) an amenity layer's
// facility id is read from, after the feature's own id (the GeoJSON "id"
// member or property, the CSV/XLSX "id" column, a GeoPackage's fid), in
// this order; ASCII names match in any case. A facility with none gets a
// derived id (planner.DerivedFacilityID), never its row number.
var AmenityIDColumns = []string{"facility_id", "osm_id", "@id", "编号", "设施编号"}

// osmRef is an OSM element reference as Overpass and osmium write it.
var osmRef = regexp.MustCompile(`^(node|way|relation)/([0-9]+)$`)

// normalizeFacilityID writes an OSM reference ("node/123", as Overpass
// exports give it) as lifecircle's OSM facility ids do ("n123"), so that a
// layer exported from OSM and the extract itself name a facility alike.
func normalizeFacilityID(id string) string {
	id = strings.TrimSpace(id)
	if m := osmRef.FindStringSubmatch(id); m != nil {
		return m[1][:1] + m[2]
	}
	return id
}

// altFacilityID returns the first of AmenityIDColumns f has, with its
// column name.
func altFacilityID(props map[string]any) (col, id string) {
	for _, want := range AmenityIDColumns {
		for k, v := range props {
			if k != want && !(isASCII(want) && strings.EqualFold(k, want)) {
				continue
			}
			var s string
			switch x := v.(type) {
			case string:
				s = strings.TrimSpace(x)
			case float64:
				s = strconv.FormatFloat(x, 'f', -1, 64)
			}
			if s != "" {
				return k, s
			}
		}
	}
	return "", ""
}

// stableIDs gives each facility of layer l (out[i] from l.Features[i]) an
// identity that survives edits of the file: the feature's id, else one of
// AmenityIDColumns, else a derived id. Ids from a column must be unique
// within the layer; derived ids shared by indistinguishable facilities
// (same type, name and 5 m cell) get "~2", "~3"… in order of position, so
// that the row order never matters. It returns the number derived.
func stableIDs(l *Layer, out []planner.Facility) (int, error) {
	colOf := map[string]int{} // id from a column → feature index
	derived := map[string][]int{}
	n := 0
	for i, f := range l.Features {
		if !f.Numbered {
			out[i].ID = normalizeFacilityID(f.ID)
			continue
		}
		if col, id := altFacilityID(f.Properties); id != "" {
			id = normalizeFacilityID(id)
			if j, dup := colOf[id]; dup {
				return 0, fmt.Errorf("%s: %s and %s both have %s %q — ids must be unique: give each facility its own id",
					l.Path, featureLabel(l.Features[j]), featureLabel(f), col, id)
			}
			colOf[id] = i
			out[i].ID = id
			continue
		}
		id, ok := planner.DerivedFacilityID(out[i].Type, out[i].Name, out[i].Geometry)
		if !ok {
			return 0, fmt.Errorf("%s: %s has no id and no position to derive one from — give it an id column or a geometry", l.Path, featureLabel(f))
		}
		out[i].ID = id
		derived[id] = append(derived[id], i)
		n++
	}
	for id, idx := range derived {
		if len(idx) < 2 {
			continue
		}
		sort.SliceStable(idx, func(a, b int) bool {
			pa, _ := planner.RepresentativePoint(out[idx[a]].Geometry)
			pb, _ := planner.RepresentativePoint(out[idx[b]].Geometry)
			if pa[0] != pb[0] {
				return pa[0] < pb[0]
			}
			return pa[1] < pb[1]
		})
		for k, i := range idx[1:] {
			out[i].ID = id + "~" + strconv.Itoa(k+2)
		}
	}
	return n, nil
}
