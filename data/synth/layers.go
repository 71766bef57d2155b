package synth

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// outFile is an output written to a temp file in the target directory and
// renamed into place on commit, so a reader never sees half a file.
type outFile struct {
	path string
	f    *os.File
	w    *bufio.Writer
}

func createOut(dir, name string) (*outFile, error) {
	path := filepath.Join(dir, name)
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("synth: create %s: %w", path, err)
	}
	// CreateTemp makes the file private; these are ordinary output files.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("synth: create %s: %w", path, err)
	}
	return &outFile{path: path, f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

// commit flushes, closes and renames the file into place. No fsync: these
// are regenerable benchmark inputs, and syncing 100 MB would dominate.
func (o *outFile) commit() error {
	err := o.w.Flush()
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(o.f.Name(), o.path)
	}
	if err != nil {
		os.Remove(o.f.Name())
		return fmt.Errorf("synth: write %s: %w", o.path, err)
	}
	return nil
}

// abort discards the temp file.
func (o *outFile) abort() {
	o.f.Close()
	os.Remove(o.f.Name())
}

// writeOut creates name in dir, lets fill write it and commits it.
func writeOut(dir, name string, fill func(w *bufio.Writer) error) error {
	o, err := createOut(dir, name)
	if err != nil {
		return err
	}
	if err := fill(o.w); err != nil {
		o.abort()
		return fmt.Errorf("synth: write %s: %w", o.path, err)
	}
	return o.commit()
}

const (
	fcHead = `{"type":"FeatureCollection","features":[` + "\n"
	fcTail = "\n]}\n"
)

// appendCoord appends v with at most 6 decimals (about 0.1 m), trailing zeros
// trimmed; v must already be rounded to 6 decimals.
func appendCoord(b []byte, v float64) []byte {
	n := len(b)
	b = strconv.AppendFloat(b, v, 'f', 6, 64)
	for len(b) > n && b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	if b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	return b
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// appendFeatureStart appends the start of a Point feature up to the opening
// brace of its properties. i is the feature's index: features after the
// first are preceded by a comma and newline.
func appendFeatureStart(b []byte, i int, lon, lat float64) []byte {
	if i > 0 {
		b = append(b, ",\n"...)
	}
	b = append(b, `{"type":"Feature","geometry":{"type":"Point","coordinates":[`...)
	b = appendCoord(b, lon)
	b = append(b, ',')
	b = appendCoord(b, lat)
	b = append(b, `]},"properties":{`...)
	return b
}

// placer draws random positions inside the city's bounds that are not on a
// street node (at least tol metres from every node).
type placer struct {
	c   *city
	rng *rand.Rand
	tol float64
}

func newPlacer(c *city, seed int64, stream uint64) *placer {
	return &placer{c: c, rng: rand.New(rand.NewPCG(uint64(seed), stream)), tol: min(1, c.spacing/10)}
}

// next returns a lon/lat rounded to 6 decimals, as written.
func (p *placer) next() (lon, lat float64) {
	b := p.c.bounds
	for {
		lon = round6(b.Min[0] + p.rng.Float64()*(b.Max[0]-b.Min[0]))
		lat = round6(b.Min[1] + p.rng.Float64()*(b.Max[1]-b.Min[1]))
		// Rounding may step just outside the bounds; draw again then too.
		if lon < b.Min[0] || lon > b.Max[0] || lat < b.Min[1] || lat > b.Max[1] {
			continue
		}
		if x, y := p.c.proj.toLocal(lon, lat); !p.c.nearNode(x, y, p.tol) {
			return lon, lat
		}
	}
}

// Layer random streams: each layer draws from its own stream so changing
// one count leaves the other layers as they were.
const (
	streamFacilities = 0x66616369 + iota
	streamPoints
	streamCandidates
)

// writeFacilities writes count points per type with properties id
// ("clinic-17"), type and name ("Clinic 17").
func writeFacilities(w *bufio.Writer, c *city, types []string, count int, seed int64) error {
	p := newPlacer(c, seed, streamFacilities)
	if _, err := w.WriteString(fcHead); err != nil {
		return err
	}
	b := make([]byte, 0, 256)
	i := 0
	for _, t := range types {
		qt, err := json.Marshal(t)
		if err != nil {
			return err
		}
		title := titleCase(t)
		for k := 1; k <= count; k++ {
			lon, lat := p.next()
			b = appendFeatureStart(b[:0], i, lon, lat)
			id, _ := json.Marshal(t + "-" + strconv.Itoa(k))
			name, _ := json.Marshal(title + " " + strconv.Itoa(k))
			b = append(b, `"id":`...)
			b = append(b, id...)
			b = append(b, `,"type":`...)
			b = append(b, qt...)
			b = append(b, `,"name":`...)
			b = append(b, name...)
			b = append(b, "}}"...)
			if _, err := w.Write(b); err != nil {
				return err
			}
			i++
		}
	}
	_, err := w.WriteString(fcTail)
	return err
}

// writePoints writes count demand points to both a GeoJSON and a CSV
// (id,lon,lat,population) in one pass, with the same ids, coordinates and
// integer populations 1..50.
func writePoints(gj, csv *bufio.Writer, c *city, count int, seed int64) error {
	p := newPlacer(c, seed, streamPoints)
	if _, err := gj.WriteString(fcHead); err != nil {
		return err
	}
	if _, err := csv.WriteString("id,lon,lat,population\n"); err != nil {
		return err
	}
	b := make([]byte, 0, 256)
	row := make([]byte, 0, 64)
	for i := range count {
		lon, lat := p.next()
		pop := 1 + p.rng.IntN(50)
		b = appendFeatureStart(b[:0], i, lon, lat)
		b = append(b, `"id":"p`...)
		b = strconv.AppendInt(b, int64(i+1), 10)
		b = append(b, `","population":`...)
		b = strconv.AppendInt(b, int64(pop), 10)
		b = append(b, "}}"...)
		if _, err := gj.Write(b); err != nil {
			return err
		}
		row = append(row[:0], 'p')
		row = strconv.AppendInt(row, int64(i+1), 10)
		row = append(row, ',')
		row = appendCoord(row, lon)
		row = append(row, ',')
		row = appendCoord(row, lat)
		row = append(row, ',')
		row = strconv.AppendInt(row, int64(pop), 10)
		row = append(row, '\n')
		if _, err := csv.Write(row); err != nil {
			return err
		}
	}
	_, err := gj.WriteString(fcTail)
	return err
}

// writeCandidates writes count candidate sites with property id ("c17").
func writeCandidates(w *bufio.Writer, c *city, count int, seed int64) error {
	p := newPlacer(c, seed, streamCandidates)
	if _, err := w.WriteString(fcHead); err != nil {
		return err
	}
	b := make([]byte, 0, 128)
	for i := range count {
		lon, lat := p.next()
		b = appendFeatureStart(b[:0], i, lon, lat)
		b = append(b, `"id":"c`...)
		b = strconv.AppendInt(b, int64(i+1), 10)
		b = append(b, `"}}`...)
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	_, err := w.WriteString(fcTail)
	return err
}

// writePointFiles writes points.geojson and points.csv together.
func writePointFiles(dir string, c *city, count int, seed int64) error {
	gj, err := createOut(dir, "points.geojson")
	if err != nil {
		return err
	}
	csv, err := createOut(dir, "points.csv")
	if err != nil {
		gj.abort()
		return err
	}
	if err := writePoints(gj.w, csv.w, c, count, seed); err != nil {
		gj.abort()
		csv.abort()
		return fmt.Errorf("synth: write %s: %w", gj.path, err)
	}
	return errors.Join(gj.commit(), csv.commit())
}

// titleCase upper-cases the first letter: "clinic" → "Clinic".
func titleCase(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
