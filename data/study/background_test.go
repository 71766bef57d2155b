package study

import (
	"context"
	"testing"
)

// TestBackground: the sample has a background; a study without an
// extract (a GeoJSON network) has none, and that is no error.
func TestBackground(t *testing.T) {
	st := &Study{Settings: Settings{Sample: true}}
	bg, err := st.Background(context.Background())
	if err != nil || bg == nil || len(bg.Features) == 0 {
		t.Fatalf("sample background: %v features, %v", bg, err)
	}
	st = &Study{Settings: Settings{Network: "streets.geojson"}}
	if bg, err := st.Background(context.Background()); bg != nil || err != nil {
		t.Errorf("network-only study: background %v, %v; want none", bg, err)
	}
	st = &Study{Settings: Settings{OSM: "/nonexistent/district.osm.pbf"}}
	if bg, err := st.Background(context.Background()); bg != nil || err != nil {
		t.Errorf("missing extract (a database project's path): background %v, %v; want none", bg, err)
	}
}
