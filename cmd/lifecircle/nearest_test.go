package main

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/shareddata"
)

// runCLI runs lifecircle with args and returns stdout, stderr and the exit code.
func runCLI(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	if strings.Contains(errb.String(), "panic:") || strings.Contains(errb.String(), "goroutine ") {
		t.Fatalf("lifecircle %v panicked:\n%s", args, errb.String())
	}
	return out.String(), errb.String(), code
}

// readOutputCSV reads a CSV file lifecircle wrote, failing unless it
// starts with the UTF-8 byte order mark every CSV output carries.
func readOutputCSV(t testing.TB, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(data.UTF8BOM)) {
		t.Errorf("%s does not start with the UTF-8 byte order mark (Excel would read it as GBK)", path)
	}
	return readCSV(t, path)
}

// readCSV reads a CSV file, without the UTF-8 byte order mark if it has
// one.
func readCSV(t testing.TB, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte(data.UTF8BOM)))).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// TestNearestMatchesReference runs lifecircle nearest on the reference
// extracts and compares every point's distance with NetworkX's answer
// (cross-checked with pgRouting): within 0.5 m + 0.1 %, and unreachable
// exactly where the reference is empty.
func TestNearestMatchesReference(t *testing.T) {
	for _, name := range []string{"andorra_2014", "monaco_2012", "helsinki_2019"} {
		t.Run(name, func(t *testing.T) {
			dir := shareddata.Path(t, "reference", name)
			g := loadRefGraph(t, dir)
			ref := readCSV(t, filepath.Join(dir, "nearest_ref.csv"))
			header := ref[0]
			want := map[string]map[string]string{} // category → id → distance
			for c := 1; c < len(header); c++ {
				want[header[c]] = map[string]string{}
				for _, r := range ref[1:] {
					want[header[c]][r[0]] = r[c]
				}
			}
			for _, cat := range header[1:] {
				fac := filepath.Join(dir, "facilities_"+cat+".geojson")
				if _, err := os.Stat(fac); err != nil {
					// A category the extract has no facilities of: the
					// reference must then be empty everywhere.
					for id, d := range want[cat] {
						if d != "" {
							t.Fatalf("%s: no facilities file but point %s has %s", cat, id, d)
						}
					}
					continue
				}
				t.Run(cat, func(t *testing.T) {
					out := filepath.Join(t.TempDir(), "nearest.csv")
					_, stderr, code := runCLI(t, "nearest", "--quiet",
						"--osm", filepath.Join(dir, name+".osm.pbf"),
						"--facilities", fac,
						"--points", filepath.Join(dir, "points.geojson"),
						"--out", out)
					if code != 0 {
						t.Fatalf("exit %d: %s", code, stderr)
					}
					rows := readOutputCSV(t, out)
					if strings.Join(rows[0], ",") != "id,distance_m,facility_id" {
						t.Fatalf("header %v", rows[0])
					}
					if len(rows)-1 != len(want[cat]) {
						t.Fatalf("%d rows, reference has %d", len(rows)-1, len(want[cat]))
					}
					bad, worst, ambiguous := 0, 0.0, 0
					for _, r := range rows[1:] {
						w, ok := want[cat][r[0]]
						if alts := g.coincident[r[0]]; len(alts) > 1 && r[1] != "" {
							// The point's coordinates are shared by several
							// unconnected OSM nodes: it lies on all of them, and
							// the reference picked one by its id. Check against
							// the reference graph's distance from the nearest of
							// them instead.
							got, _ := strconv.ParseFloat(r[1], 64)
							best := math.Inf(1)
							for _, n := range alts {
								best = math.Min(best, g.dist(t, filepath.Join(dir, "facilities_"+cat+".geojson"))[n])
							}
							if math.Abs(got-best) > 0.5+0.001*best {
								t.Errorf("point %s (on %d coincident nodes): %.1f m, reference graph %.3f m", r[0], len(alts), got, best)
							}
							ambiguous++
							continue
						}
						if !ok {
							t.Fatalf("point %s not in the reference", r[0])
						}
						if w == "" || r[1] == "" {
							if w != r[1] {
								bad++
								if bad < 5 {
									t.Errorf("point %s: got %q, reference %q", r[0], r[1], w)
								}
							}
							continue
						}
						got, _ := strconv.ParseFloat(r[1], 64)
						ref, _ := strconv.ParseFloat(w, 64)
						diff := math.Abs(got - ref)
						worst = math.Max(worst, diff)
						if diff > 0.5+0.001*ref {
							bad++
							if bad < 5 {
								t.Errorf("point %s: %.1f m, reference %.3f m", r[0], got, ref)
							}
						}
						if r[2] == "" {
							t.Errorf("point %s reached but no facility id", r[0])
						}
					}
					if bad > 0 {
						t.Fatalf("%d of %d points disagree with the reference", bad, len(rows)-1)
					}
					t.Logf("%d points agree; largest difference %.3f m; %d on coincident nodes checked on the reference graph", len(rows)-1, worst, ambiguous)
				})
			}
		})
	}
}

// refGraph is the reference walk graph (nodes.csv, edges.csv, made by
// OSMnx), used to settle points whose coordinates several OSM nodes share.
type refGraph struct {
	adj        map[string][]refEdge
	coincident map[string][]string // point id (a node id) → all node ids at its coordinates
	cache      map[string]map[string]float64
}

type refEdge struct {
	to string
	l  float64
}

func loadRefGraph(t *testing.T, dir string) *refGraph {
	g := &refGraph{adj: map[string][]refEdge{}, coincident: map[string][]string{}, cache: map[string]map[string]float64{}}
	byCoord := map[string][]string{}
	nodes := readCSV(t, filepath.Join(dir, "nodes.csv"))
	for _, r := range nodes[1:] {
		byCoord[r[1]+","+r[2]] = append(byCoord[r[1]+","+r[2]], r[0])
	}
	for _, ids := range byCoord {
		if len(ids) > 1 {
			for _, id := range ids {
				g.coincident[id] = ids
			}
		}
	}
	for _, r := range readCSV(t, filepath.Join(dir, "edges.csv"))[1:] {
		l, _ := strconv.ParseFloat(r[3], 64)
		g.adj[r[1]] = append(g.adj[r[1]], refEdge{r[2], l})
		g.adj[r[2]] = append(g.adj[r[2]], refEdge{r[1], l})
	}
	return g
}

// dist returns every node's distance from the facilities of a reference
// facilities file (each sits on the node in its "node" property), by a
// plain Dijkstra independent of package geo.
func (g *refGraph) dist(t *testing.T, facPath string) map[string]float64 {
	if d, ok := g.cache[facPath]; ok {
		return d
	}
	b, err := os.ReadFile(facPath)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Properties struct {
				Node json.Number `json:"node"`
			} `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	d := map[string]float64{}
	h := &refHeap{}
	for _, f := range fc.Features {
		n := f.Properties.Node.String()
		d[n] = 0
		heap.Push(h, refItem{n, 0})
	}
	for h.Len() > 0 {
		it := heap.Pop(h).(refItem)
		if it.d > d[it.n] {
			continue
		}
		for _, e := range g.adj[it.n] {
			if x, ok := d[e.to]; !ok || it.d+e.l < x {
				d[e.to] = it.d + e.l
				heap.Push(h, refItem{e.to, it.d + e.l})
			}
		}
	}
	g.cache[facPath] = d
	return d
}

type refItem struct {
	n string
	d float64
}

type refHeap []refItem

func (h refHeap) Len() int           { return len(h) }
func (h refHeap) Less(i, j int) bool { return h[i].d < h[j].d }
func (h refHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *refHeap) Push(x any)        { *h = append(*h, x.(refItem)) }
func (h *refHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
