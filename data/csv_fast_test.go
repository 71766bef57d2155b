package data

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/planner"
)

// sameCSVAsGeneral fails when readCSV (fast path first) and the general
// reader alone disagree on data: same features, same error text.
func sameCSVAsGeneral(t *testing.T, name string, data []byte, o ReadOptions) {
	t.Helper()
	fast, ferr := readCSVWith(name, bytes.Clone(data), o, true)
	slow, serr := readCSVWith(name, bytes.Clone(data), o, false)
	if (ferr == nil) != (serr == nil) || ferr != nil && ferr.Error() != serr.Error() {
		t.Fatalf("%s: fast path error %v, general reader %v", name, ferr, serr)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%s: the fast path read other features than the general reader", name)
	}
}

// csvFastHandled reports whether the fast path takes the CSV text data.
func csvFastHandled(t *testing.T, data []byte, o ReadOptions) bool {
	t.Helper()
	data, err := decodeText("x.csv", data, utf8FixCSV, o)
	if err != nil {
		return false
	}
	data = crLines(data)
	delim := sniffDelimiter(data)
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return false
	}
	cols, err := mapColumns("x.csv", header)
	if err != nil {
		return false
	}
	_, handled, _ := readCSVFast("x.csv", data, data[cr.InputOffset():], cols, delim, o)
	return handled
}

var csvReadOptions = []ReadOptions{{Allow: Points}, {Allow: Points, RequireIDs: true}, {Allow: Points, Coords: GCJ02}}

// TestCSVFastMatchesGeneral reads every CSV file of the shared data and
// of testdata both ways, with and without required ids and with a datum
// to convert, and checks that the fast path takes the plain point files.
func TestCSVFastMatchesGeneral(t *testing.T) {
	var files []string
	for _, root := range []string{shareddata.Dir(t), "testdata", filepath.Join("..", "testdata"), filepath.Join("..", "cmd", "lifecircle", "testdata")} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(strings.ToLower(p), ".csv") {
				files = append(files, p)
			}
			return nil
		})
	}
	if len(files) < 10 {
		t.Fatalf("only %d CSV files found", len(files))
	}
	taken := 0
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range csvReadOptions {
			sameCSVAsGeneral(t, p, data, o)
		}
		if csvFastHandled(t, data, ReadOptions{Allow: Points}) {
			taken++
		}
	}
	t.Logf("%d CSV files, %d taken by the fast path", len(files), taken)
	nodes := filepath.Join(shareddata.Dir(t), "reference", "helsinki_2019", "nodes.csv")
	if data, err := os.ReadFile(nodes); err == nil && !csvFastHandled(t, data, ReadOptions{Allow: Points}) {
		t.Errorf("%s: the fast path refused a plain point file", nodes)
	}
}

// csvFastCases are texts around the fast path's edges: line ends, blank
// lines, spaces, decimal commas, short and long rows, bad numbers,
// duplicate and missing ids, quotes and carriage returns.
var csvFastCases = []string{
	"id,lon,lat,population\np1,116.1,39.9,43\np2,116.2,39.8,46\n",
	"id,lon,lat,population\r\np1,116.1,39.9,43\r\np2,116.2,39.8,46",
	"id,lon,lat,population\np1,116.1,39.9,43\np2,116.2,39.8,46\r",
	"lon,lat\n\n1,2\n\r\n3,4\n\n",
	"lon,lat,name\n 1 , 2 , a b \n3,4,\u00a0x\u3000\n",
	"x;y;population;备注\n116,35;39,9;1,5;a,b\n116.3;39,9;;\n",
	"lon\tlat\tpopulation\n1\t2\t3\n1,5\t2\t3\n",
	"lon,lat,population\n1,2\n",
	"lon,lat,population\n1,2,3,,\n1,2,3, ,x\n",
	"lon,lat,population\n1,2,3\n1,2,-3\n",
	"lon,lat,population\n1,2,NaN\n",
	"lon,lat,population\n1,2,1e400\n",
	"lon,lat\n1,2\n181,2\n",
	"lon,lat\n1,x\n",
	"lon,lat\n1,\n",
	"id,lon,lat\na,1,2\na,3,4\n",
	"id,lon,lat\na,1,2\n,3,4\n",
	"id,lon,lat\n2,1,2\n,3,4\n",
	"lon,lat,name\n1,2,\"quoted, name\"\n",
	"\"lon\",\"lat\"\n1,2\n",
	"lon,lat,name\n1,2,a\rb\n",
	"lon,lat,name\n1,2,a\r\r\n",
	"lon,lat,Population,POP\n1,2,3,4\n",
	"lon,lat,,name\n1,2,z,n\n",
	"lon,lat\n0x1p-2,1_0\n",
	"lon,lat\ninf,2\n",
	"lon,lat,population\n1,2,0x10\n",
	"lon,lat\n",
	"\n\nlon,lat\n1,2\n",
}

func TestCSVFastEdges(t *testing.T) {
	for i, c := range csvFastCases {
		for _, o := range csvReadOptions {
			sameCSVAsGeneral(t, fmt.Sprintf("case%d.csv", i), []byte(c), o)
		}
	}
	for _, i := range []int{0, 1, 2, 3, 4, 5} {
		if !csvFastHandled(t, []byte(csvFastCases[i]), ReadOptions{Allow: Points}) {
			t.Errorf("case %d: the fast path refused a plain file", i)
		}
	}
	// A file of many pieces, each read on its own core.
	var sb strings.Builder
	sb.WriteString("id,lon,lat,population\n")
	for i := range 300000 {
		if i%1000 == 999 {
			sb.WriteString("\n")
		}
		fmt.Fprintf(&sb, "p%d,%.6f,%.6f,%d\n", i, 116+float64(i%997)*1e-3, 39+float64(i%991)*1e-3, i%61)
	}
	big := []byte(sb.String())
	sameCSVAsGeneral(t, "big.csv", big, ReadOptions{Allow: Points})
	if !csvFastHandled(t, big, ReadOptions{Allow: Points}) {
		t.Error("the fast path refused a large plain file")
	}
}

// FuzzCSVFast: whatever the bytes, reading with the fast path first gives
// what the general reader gives.
func FuzzCSVFast(f *testing.F) {
	for _, c := range append(append([]string{}, csvFastCases...), popCSVCases...) {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameCSVAsGeneral(t, "fuzz.csv", data, ReadOptions{Allow: Points})
		samePopulationAsGeneral(t, "fuzz.csv", data, ReadOptions{Allow: Points}, "age_60_plus")
	})
}

// BenchmarkReadCSVPoints reads 1,000,000 rows of id, lon, lat and
// population (as the 1M audit's points.csv), with the fast path, with
// the general reader alone and as population features (ReadPopulation).
func BenchmarkReadCSVPoints(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("id,lon,lat,population\n")
	for i := range 1000000 {
		fmt.Fprintf(&sb, "p%d,%.6f,%.6f,%d\n", i+1, 116+float64(i%997)*1e-3, 39+float64(i%991)*1e-3, i%61)
	}
	data := []byte(sb.String())
	for _, c := range []struct {
		name string
		fast bool
		pop  *popRead
	}{{"fast", true, nil}, {"general", false, nil}, {"population", true, &popRead{}}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				c.pop.reset()
				if _, err := readCSVWith("points.csv", data, ReadOptions{Allow: Points, pop: c.pop}, c.fast); err != nil {
					b.Fatal(err)
				}
				if c.pop != nil && c.pop.out == nil {
					b.Fatal("the population fast path refused the file")
				}
			}
		})
	}
}

// TestParseShortDecimal: strconv.ParseFloat's value, bit for bit, on
// numbers of every length and point position, and no answer where the
// numbers are not short decimals.
func TestParseShortDecimal(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	texts := []string{"0", "-0", "0.0", "-0.000", "1.", ".5", "-.5", "007", "116.3506488", "39.9585889", "43",
		"999999999999999", "99999999999999.9", ".000000000000001", "123456789012345", "0.1", "0.3"}
	for range 200000 {
		n := 1 + r.Intn(15)
		d := make([]byte, n)
		for i := range d {
			d[i] = byte('0' + r.Intn(10))
		}
		s := string(d)
		if p := r.Intn(n + 1); p < n || r.Intn(2) == 0 {
			s = s[:p] + "." + s[p:]
		}
		if r.Intn(3) == 0 {
			s = "-" + s
		}
		texts = append(texts, s)
	}
	for _, s := range texts {
		checkShortDecimal(t, s)
	}
	for _, s := range []string{"", "-", ".", "-.", "1..2", "1.2.3", "+1", "1e5", "1_0", "0x10", "inf", "NaN", " 1", "1234567890123456", "--1", "1-"} {
		if _, ok := parseShortDecimal([]byte(s)); ok {
			t.Errorf("%q: read as a short decimal", s)
		}
	}
}

func checkShortDecimal(t *testing.T, s string) {
	t.Helper()
	v, ok := parseShortDecimal([]byte(s))
	if !ok {
		t.Fatalf("%q: not read", s)
	}
	want, err := strconv.ParseFloat(s, 64)
	if err != nil || math.Float64bits(v) != math.Float64bits(want) {
		t.Fatalf("%q: %v (%x), strconv says %v (%x) %v", s, v, math.Float64bits(v), want, math.Float64bits(want), err)
	}
}

// FuzzParseShortDecimal: wherever it answers, strconv.ParseFloat's value.
func FuzzParseShortDecimal(f *testing.F) {
	for _, s := range []string{"116.3506488", "-0", ".5", "1.", "999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, ok := parseShortDecimal([]byte(s)); ok {
			checkShortDecimal(t, s)
		}
	})
}

func (pr *popRead) reset() {
	if pr != nil {
		pr.out = nil
	}
}

// samePopulationAsGeneral fails when ReadPopulation's CSV fast path and
// PopulationFromLayer on the general reader disagree on data: same
// population features, same error text. taken reports whether the fast
// path read it.
func samePopulationAsGeneral(t *testing.T, name string, data []byte, o ReadOptions, groups ...string) (taken bool) {
	t.Helper()
	pr := &popRead{groups: groups}
	fo := o
	fo.pop = pr
	var fast, slow []planner.PopFeature
	l, ferr := readCSVWith(name, bytes.Clone(data), fo, true)
	if ferr == nil && pr.out != nil {
		fast = pr.out
	} else if ferr == nil {
		fast, ferr = PopulationFromLayer(l, groups...)
	}
	l, serr := readCSVWith(name, bytes.Clone(data), o, false)
	if serr == nil {
		slow, serr = PopulationFromLayer(l, groups...)
	}
	if (ferr == nil) != (serr == nil) || ferr != nil && ferr.Error() != serr.Error() {
		t.Fatalf("%s: fast path error %v, general reader %v", name, ferr, serr)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%s: the fast path read other population features than the general reader\nfast %+v\nslow %+v", name, fast, slow)
	}
	return pr.out != nil
}

// popCSVCases are population files around the fast path's edges: resident
// groups present, missing, empty, not numbers or named like the special
// columns; empty population cells next to pop and 人口 columns; ids given,
// missing and repeated.
var popCSVCases = []string{
	"id,lon,lat,population,age_60_plus\np1,116.1,39.9,43,5\np2,116.2,39.8,46,0\n",
	"id,lon,lat,population,age_60_plus\np1,116.1,39.9,43, 5 \np2,116.2,39.8,46,\n",
	"id,lon,lat,population,age_60_plus\np1,116.1,39.9,43,-1\n",
	"id,lon,lat,population,age_60_plus\np1,116.1,39.9,43,1e400\n",
	"id,lon,lat,population,age_60_plus\np1,116.1,39.9,43,0x10\n",
	"id,lon,lat,population,age_60_plus\np1,116.1,39.9,43,NaN\n",
	"id,lon,lat,population,Age_60_Plus\np1,116.1,39.9,43,5\n",
	"id,lon,lat,population,pop\np1,116.1,39.9,,7\np2,116.2,39.8,46,8\n",
	"id,lon,lat,population,人口\np1,116.1,39.9,,7\n",
	"id,lon,lat,population\np1,116.1,39.9,\n",
	"id,lon,lat,pop\np1,116.1,39.9,7\n",
	"lon,lat,population\n116.1,39.9,3\n116.2,39.8,4\n",
	"id,lon,lat,population\np1,116.1,39.9,3\n,116.2,39.8,4\n2,116.3,39.7,5\n",
	"id,lon,lat,population\n1,116.1,39.9,3\n,116.2,39.8,4\n",
	"id,lon,lat,population\na,116.1,39.9,3\na,116.2,39.8,4\n",
	"id,lon,lat,population,name\np1,116.1,39.9,3,社区 A\n",
	"id;lon;lat;population;age_60_plus\np1;116,1;39,9;1,5;2,5\n",
	"id,lon,lat,population,age_60_plus,children\np1,116.1,39.9,43,5,x\n",
}

func TestPopulationCSVFast(t *testing.T) {
	groups := [][]string{nil, {"age_60_plus"}, {"age_60_plus", "children"}, {"population"}, {"id"}, {"lon"}, {"name"}}
	for i, c := range append(append([]string{}, popCSVCases...), csvFastCases...) {
		for _, o := range csvReadOptions {
			for _, g := range groups {
				samePopulationAsGeneral(t, fmt.Sprintf("case%d.csv", i), []byte(c), o, g...)
			}
		}
	}
	for _, i := range []int{0, 11, 15} {
		if !samePopulationAsGeneral(t, "plain.csv", []byte(popCSVCases[i]), ReadOptions{Allow: Points}, "age_60_plus") {
			t.Errorf("case %d: the fast path refused a plain population file", i)
		}
	}
	var sb strings.Builder
	sb.WriteString("id,lon,lat,population,age_60_plus\n")
	for i := range 100000 {
		if i%1000 == 999 {
			sb.WriteString("\n")
		}
		fmt.Fprintf(&sb, "p%d,%.6f,%.6f,%d,%d\n", i, 116+float64(i%997)*1e-3, 39+float64(i%991)*1e-3, i%61, i%7)
	}
	// Read in pieces on all cores (csvPieceBytes each at least).
	for _, g := range [][]string{nil, {"age_60_plus", "children"}} {
		if !samePopulationAsGeneral(t, "big.csv", []byte(sb.String()), ReadOptions{Allow: Points, Coords: GCJ02}, g...) {
			t.Errorf("groups %v: the fast path refused a large plain population file", g)
		}
	}
}
