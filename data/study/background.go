package study

import (
	"context"
	"os"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/sample"
)

// Background reads the map's offline background (buildings, water,
// green areas, railways, administrative boundaries) from the study's OSM
// extract, for the map server only: the audit never reads it. It returns
// nil, and no error, when the study has no extract file (a GeoJSON
// network, or a project stored in the database).
func (st *Study) Background(ctx context.Context) (*data.Background, error) {
	path := st.Settings.OSM
	if st.Settings.Sample {
		p, err := sample.OSMFile()
		if err != nil {
			return nil, err
		}
		path = p
	}
	if path == "" {
		return nil, nil
	}
	if _, err := os.Stat(path); err != nil {
		return nil, nil // a database project names a file it no longer has here
	}
	return data.ReadBackground(ctx, path)
}
