package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/lifecircle/lifecircle/data"
)

// outputFlags are --format and --out-coords of audit and propose: which
// files hold the layers, and the Chinese web-map coordinates added to the
// point CSVs.
type outputFlags struct {
	format    string
	outCoords string
	Format    data.OutputFormat
	OutCoords data.OutCoords
}

func (o *outputFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.format, "format", "geojson", "layer files: geojson, gpkg (one GeoPackage) or geojson,gpkg; both WGS84")
	fs.StringVar(&o.outCoords, "out-coords", "", "also write point CSVs with lon/lat in gcj02 (Amap, Tencent) or bd09 (Baidu) beside WGS84")
}

// parse checks the flag values.
func (o *outputFlags) parse() error {
	var err error
	if o.Format, err = data.ParseOutputFormat(o.format); err != nil {
		return usagef("%v", err)
	}
	if o.OutCoords, err = data.ParseOutCoords(o.outCoords); err != nil {
		return usagef("%v", err)
	}
	return nil
}

// printOutputs lists the files written into dir, one a line, each with
// its coordinate systems.
func printOutputs(w io.Writer, dir string, files []data.OutputFile) {
	for _, f := range files {
		f.Name = filepath.Join(dir, f.Name)
		fmt.Fprintf(w, "  %s\n", f)
	}
}
