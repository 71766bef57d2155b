package web

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/data/synth"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// lcuTile is a decoded LCU1 tile, read here independently of the
// encoder's types, as the page reads it.
type lcuTile struct {
	header    compactHeader
	index     []uint32
	box       [][4]int16
	partStart []uint32
	ringStart []uint32
	pts       [][2]int16
	props     map[string][]float64
	ids       []string
	names     []string
}

func decodeLCU(t *testing.T, b []byte) lcuTile {
	t.Helper()
	le := binary.LittleEndian
	if len(b) < 8 || string(b[:4]) != "LCU1" {
		t.Fatalf("not an LCU1 tile: % x", b[:min(8, len(b))])
	}
	hl := int(le.Uint32(b[4:]))
	var out lcuTile
	if err := json.Unmarshal(b[8:8+hl], &out.header); err != nil {
		t.Fatalf("header: %v", err)
	}
	off := (8 + hl + 3) &^ 3
	align := func() { off = (off + 3) &^ 3 }
	u32 := func(n int) []uint32 {
		v := make([]uint32, n)
		for i := range v {
			v[i] = le.Uint32(b[off:])
			off += 4
		}
		return v
	}
	i16 := func() int16 { v := int16(le.Uint16(b[off:])); off += 2; return v }
	h := out.header
	out.index = u32(h.N)
	for range h.N {
		out.box = append(out.box, [4]int16{i16(), i16(), i16(), i16()})
	}
	align()
	out.partStart = u32(h.N + 1)
	out.ringStart = u32(h.Parts + 1)
	for range h.Points {
		out.pts = append(out.pts, [2]int16{i16(), i16()})
	}
	align()
	out.props = map[string][]float64{}
	for _, p := range h.Props {
		col := make([]float64, h.N)
		for i := range col {
			switch p.Kind {
			case "f32":
				col[i] = float64(math.Float32frombits(le.Uint32(b[off:])))
				off += 4
			case "q4":
				q := le.Uint16(b[off:])
				off += 2
				col[i] = math.NaN()
				if q != 65535 {
					col[i] = float64(q) / 10000
				}
			default:
				t.Fatalf("prop %s: kind %q", p.Name, p.Kind)
			}
		}
		align()
		out.props[p.Name] = col
	}
	if off+h.Strings != len(b) {
		t.Fatalf("strings at %d, %d bytes, tile of %d bytes", off, h.Strings, len(b))
	}
	var strs struct {
		IDs    []string `json:"ids"`
		Prefix string   `json:"ids_prefix"`
		Names  []string `json:"names"`
	}
	if err := json.Unmarshal(b[off:], &strs); err != nil {
		t.Fatalf("strings: %v", err)
	}
	for _, id := range strs.IDs {
		out.ids = append(out.ids, strs.Prefix+id)
	}
	out.names = strs.Names
	return out
}

// TestCompactTiles: a compact units tile holds the same units with the
// same figures as the MVT tile of the same address (to the last bit of
// the 4-decimal figures), their ids, and boxes around their MVT
// geometry; grid cells come as boxes.
func TestCompactTiles(t *testing.T) {
	in := synthStudy(t, synth.Options{Nodes: 20000, Facilities: 40, Points: 20000, Seed: 5}, 250)
	ts := newTestServer(t, in, Config{})
	var sum struct {
		VectorTiles vectorTilesDoc `json:"vector_tiles"`
	}
	if err := json.Unmarshal(ts.get("/api/summary").Body.Bytes(), &sum); err != nil {
		t.Fatal(err)
	}
	vt := sum.VectorTiles
	if !strings.Contains(vt.UnitsCompact, "{z}") || vt.CompactMaxZoom != unitIDMinZoom-1 {
		t.Fatalf("summary: units_compact %q, compact_maxzoom %d", vt.UnitsCompact, vt.CompactMaxZoom)
	}
	for _, z := range []maptile.Zoom{9, 11} {
		tl := maptile.At(in.Net.Bound().Center(), z)
		w := ts.get(tileURL(vt.UnitsCompact, tl))
		if w.Code != 200 || w.Header().Get("Content-Type") != mimeCompact {
			t.Fatalf("z%d: %d %s", z, w.Code, w.Header().Get("Content-Type"))
		}
		c := decodeLCU(t, w.Body.Bytes())
		m := ts.decodeTile(t, tileURL(vt.Units.URL, tl))["cells"]
		if m == nil || len(m.Features) != c.header.N {
			t.Fatalf("z%d: %d units in the compact tile, MVT %v", z, c.header.N, m)
		}
		at := map[uint32]int{}
		for i, id := range c.index {
			at[id] = i
		}
		boxes := 0
		for _, f := range m.Features {
			idx := uint32(f.ID.(float64))
			i, ok := at[idx]
			if !ok {
				t.Fatalf("z%d: unit %d of the MVT tile missing from the compact one", z, idx)
			}
			if c.ids[i] != in.Units[idx].ID {
				t.Errorf("z%d: unit %d id %q, want %q", z, idx, c.ids[i], in.Units[idx].ID)
			}
			for k, v := range f.Properties {
				got := c.props[k][i]
				if want := v.(float64); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
					t.Errorf("z%d: unit %s %s = %v, MVT %v", z, c.ids[i], k, got, want)
				}
			}
			bb, bx := f.Geometry.Bound(), c.box[i]
			box := orb.Bound{Min: orb.Point{float64(bx[0]), float64(bx[1])}, Max: orb.Point{float64(bx[2]), float64(bx[3])}}.Pad(1)
			if !box.Contains(bb.Min) || !box.Contains(bb.Max) {
				t.Errorf("z%d: unit %s box %v, MVT geometry %v", z, c.ids[i], bx, bb)
			}
			if c.partStart[i] == c.partStart[i+1] {
				boxes++
			}
		}
		if boxes != c.header.N {
			t.Errorf("z%d: %d of %d grid cells drawn as boxes", z, boxes, c.header.N)
		}
		t.Logf("z%d: %d units, compact %d bytes, MVT %d bytes", z, c.header.N, w.Body.Len(), ts.get(tileURL(vt.Units.URL, tl)).Body.Len())
	}
	for _, p := range []string{"/tiles/streets/9/1/1.lcu", "/tiles/background/9/1/1.lcu"} {
		if w := ts.get(p); w.Code != 404 {
			t.Errorf("%s: %d, want 404", p, w.Code)
		}
	}
	if w := ts.get("/tiles/cells/9/1/x.lcu"); w.Code != 400 {
		t.Errorf("bad y: %d, want 400", w.Code)
	}
}

// TestCommonPrefix: whole characters only.
func TestCommonPrefix(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"250m_E116N40_1_2", "250m_E116N40_13_-2"}, "250m_E116N40_1"},
		{[]string{"北一社区", "北二社区"}, "北"},
		{[]string{"a", "b"}, ""},
		{[]string{"same"}, "same"},
	} {
		if got := commonPrefix(tc.in); got != tc.want {
			t.Errorf("commonPrefix(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestCompactRings: a unit that is neither small nor a box keeps its
// rings.
func TestCompactRings(t *testing.T) {
	c := &compactTile{}
	tri := []orb.Ring{{{0, 0}, {400, 0}, {0, 300}, {0, 0}}}
	sq := []orb.Ring{{{0, 0}, {400, 1}, {401, 300}, {1, 301}, {0, 0}}}
	small := []orb.Ring{{{0, 0}, {10, 0}, {0, 10}, {0, 0}}}
	for _, r := range [][]orb.Ring{tri, sq, small} {
		if !c.add(0, r, nil) {
			t.Fatal("unit dropped")
		}
	}
	c.partStart = append(c.partStart, uint32(len(c.ringStart)))
	got := fmt.Sprint(c.partStart, len(c.pts)/2)
	if want := "[0 1 1 1] 3"; got != want {
		t.Errorf("part starts and points %s, want %s (the triangle's ring only)", got, want)
	}
}

// TestTooSmall: an area is left out before projection exactly when its
// projected bound is below the limit (a line never is).
func TestTooSmall(t *testing.T) {
	tl := maptile.New(0, 0, 0)
	proj := tileProjection(tl)
	// At zoom 0 a degree is 4096/360 ≈ 11.4 tile units across.
	sq := func(d float64) orb.Polygon { return orb.Polygon{{{0, 0}, {d, 0}, {d, d}, {0, d}, {0, 0}}} }
	for _, tc := range []struct {
		g    orb.Geometry
		want bool
	}{
		{sq(0.5), true},                   // about 5.7 × 5.7 units
		{sq(2), false},                    // about 23 × 23
		{orb.MultiPolygon{sq(0.5)}, true}, // the same as a multipolygon
		{orb.LineString{{0, 0}, {0.1, 0}}, false},
	} {
		if got := tooSmall(tc.g, proj, bgAreaLimit); got != tc.want {
			t.Errorf("tooSmall(%v) = %v, want %v", tc.g, got, tc.want)
		}
	}
}
