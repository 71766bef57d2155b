package data

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/lifecircle/lifecircle/data/shareddata"
	"github.com/lifecircle/lifecircle/geo"
)

// TestDatumHintSampled: a layer of 20,000 points on Beijing streets (more
// than datumSample, so judged on a sample) is recognised once shifted to
// GCJ-02, and not as read; the sample takes evenly spaced points.
func TestDatumHintSampled(t *testing.T) {
	net, _, err := ReadWalkNetwork(context.Background(), shareddata.Path(t, "cn_beijing_bupt", "map.osm"), nil)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 15))
	var pts, shifted []orb.Point
	for len(pts) < 20000 {
		e := int32(rng.IntN(net.NumEdges()))
		g := net.EdgeGeometry(e)
		p := g[rng.IntN(len(g))]
		pts = append(pts, p)
		shifted = append(shifted, geo.WGS84ToGCJ02(p))
	}
	if w := DatumHint("homes.csv", net, pts, nil); w != "" {
		t.Errorf("WGS84 points on the streets: unexpected hint %q", w)
	}
	w := DatumHint("homes.csv", net, shifted, nil)
	if !strings.Contains(w, "homes.csv@gcj02") {
		t.Errorf("GCJ-02 points: hint %q, want one naming homes.csv@gcj02", w)
	}
	s := evenSample(pts, datumSample)
	if len(s) != datumSample || s[0] != pts[0] || s[datumSample/2] != pts[len(pts)/2] {
		t.Errorf("evenSample: %d points, first %v (want %v), middle %v (want %v)", len(s), s[0], pts[0], s[datumSample/2], pts[len(pts)/2])
	}
	if got := evenSample(pts[:10], datumSample); len(got) != 10 {
		t.Errorf("evenSample of 10 points: %d", len(got))
	}
}
