package data

// A fast path for the commonest population layer: a CSV file of points
// with a filled population column, as readCSVFast reads it, straight into
// the population features PopulationFromLayer would make of it. A million
// rows then cost no properties map each (a map per row was most of the
// reading's time and memory, and all of it garbage once the population is
// taken). Anything it is not sure of — an empty population cell, a
// resident group that is not a plain number, a resident group named like
// one of the special columns, ids to check with a message — makes it give
// up, and the general reader and PopulationFromLayer read the file and
// say what is wrong: the fast path never decides what a file means.

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// popRead asks readCSV for population features (ReadOptions.pop): out is
// set when the fast path read the file.
type popRead struct {
	groups []string
	out    []planner.PopFeature
}

// ReadPopulation reads a population layer (points or polygons, any format
// ReadLayer reads) into population features with the resident groups
// named, as PopulationFromLayer(ReadLayer(path, o)) does, the same
// features and the same errors; a plain CSV of points is read without
// building its layer.
func ReadPopulation(path string, o ReadOptions, groups ...string) ([]planner.PopFeature, error) {
	pr := &popRead{groups: groups}
	o.pop = pr
	l, err := ReadLayer(path, o)
	if err != nil {
		return nil, err
	}
	if pr.out != nil {
		return pr.out, nil
	}
	return PopulationFromLayer(l, groups...)
}

// popColumns is where a population row's figures are: the group names
// present in the header and their columns.
type popColumns struct {
	*csvColumns
	groups []string
	at     []int
}

// popColumnsOf maps the groups to columns; ok is false when the fast path
// cannot read this header (no population column, a group that is a
// special column, ids that must be given).
func popColumnsOf(c *csvColumns, groups []string, o ReadOptions) (pc popColumns, ok bool) {
	if c.population < 0 || o.RequireIDs || o.skipIDs {
		return pc, false
	}
	pc.csvColumns = c
	for _, g := range groups {
		if g == "population" {
			return pc, false // the property of whichever column is the population one
		}
		for i, h := range c.header {
			if h != g {
				continue
			}
			if i == c.lon || i == c.lat || i == c.id || i == c.population {
				return pc, false
			}
			pc.groups, pc.at = append(pc.groups, g), append(pc.at, i)
		}
	}
	return pc, true
}

// readPopCSVFast is readCSVFast for population features; handled is false
// when the general reader must read the file.
func readPopCSVFast(path string, data, body []byte, cols *csvColumns, delim rune, o ReadOptions) (pf []planner.PopFeature, handled bool, err error) {
	if delim >= 0x80 || bytes.IndexByte(data, '"') >= 0 {
		return nil, false, nil
	}
	pc, ok := popColumnsOf(cols, o.pop.groups, o)
	if !ok {
		return nil, false, nil
	}
	var numbered []bool
	ok, err = readPieces(body, func(n int) { pf, numbered = make([]planner.PopFeature, n), make([]bool, n) }, func(p []byte, lo, hi int) (bool, error) {
		return pc.rows(path, p, byte(delim), o, pf[lo:hi], numbered[lo:hi], lo)
	})
	if err != nil || !ok {
		return nil, err != nil, err
	}
	// finishIDs: ids from the file must be unique, also against the
	// numbers given to rows without one; any clash is the general
	// reader's to tell.
	anyFromFile := false
	for _, n := range numbered {
		anyFromFile = anyFromFile || !n
	}
	if anyFromFile {
		if _, _, dup := firstDuplicateOf(len(pf), func(i int) string { return pf[i].ID }); dup {
			return nil, false, nil
		}
	}
	return pf, true, nil
}

// rows reads the rows of b into dst as fastRows reads them into features
// and PopulationFromLayer then into population features; numbered marks
// the rows without an id (numbered by their position, as finishIDs does).
func (pc popColumns) rows(path string, b []byte, delim byte, o ReadOptions, dst []planner.PopFeature, numbered []bool, base int) (ok bool, err error) {
	// The ids are gathered in one text and cut from it: one allocation a
	// piece instead of one a row.
	var ids []byte
	idEnd := make([]int, len(dst))
	ok, err = eachRow(path, b, delim, o, len(pc.header), len(dst), func(k int, fields [][]byte) bool {
		id, ok := pc.row(fields, delim, &dst[k])
		if !ok {
			return false
		}
		dst[k].Geometry = convertGeometry(dst[k].Geometry, o.Coords)
		if len(id) == 0 {
			ids, numbered[k] = strconv.AppendInt(ids, int64(base+k+1), 10), true
		} else {
			ids = append(ids, id...)
		}
		idEnd[k] = len(ids)
		return true
	})
	if !ok || err != nil {
		return ok, err
	}
	all, start := string(ids), 0
	for i, end := range idEnd {
		dst[i].ID, start = all[start:end], end
	}
	return true, nil
}

// row reads one row's fields into f but for its id, which it returns:
// false where fastFeature would give up or PopulationFromLayer would
// return an error.
func (pc popColumns) row(rec [][]byte, delim byte, f *planner.PopFeature) (id []byte, ok bool) {
	if len(rec) < len(pc.header) {
		return nil, false
	}
	for _, extra := range rec[len(pc.header):] {
		if len(bytes.TrimSpace(extra)) != 0 {
			return nil, false
		}
	}
	if pc.id >= 0 {
		id = bytes.TrimSpace(rec[pc.id])
	}
	lon, okLon := parseNumberBytes(bytes.TrimSpace(rec[pc.lon]), delim)
	lat, okLat := parseNumberBytes(bytes.TrimSpace(rec[pc.lat]), delim)
	p := orb.Point{lon, lat}
	if !okLon || !okLat || checkPosition(p) != nil {
		return nil, false
	}
	f.Geometry = p
	n, ok := parseNumberBytes(bytes.TrimSpace(rec[pc.population]), delim)
	if !ok || math.IsNaN(n) || math.IsInf(n, 0) || n < 0 {
		return nil, false // an empty cell included: PopulationFromLayer looks at other columns then
	}
	f.Population = n
	for j, g := range pc.groups {
		// As propNumber reads the text PopulationFromLayer is given.
		v, err := strconv.ParseFloat(strings.TrimSpace(string(rec[pc.at[j]])), 64)
		if err != nil || !(v >= 0) || math.IsInf(v, 0) {
			return nil, false
		}
		if f.Groups == nil {
			f.Groups = make(map[string]float64, len(pc.groups))
		}
		f.Groups[g] = v
	}
	return id, true
}
