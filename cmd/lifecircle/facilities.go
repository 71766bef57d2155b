package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/planner"
)

func init() {
	register("facilities", "list what each amenity type counts, with the rule and OSM tags that made it count", runFacilities)
}

func runFacilities(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("facilities", "[--sample | --osm FILE | --network FILE] [flags]",
		`Lists the facilities each amenity type counts, as the audit counts them (after
--types and --facility-overrides): type, id, name, the rule that made it count (the
profile's selector as written, a layer's type column, or an overrides line), the
source file and the element's OSM tags — so a planner can read through what is
counted before reporting coverage, and write corrections into an overrides file
(id,action,type,reason[,lon,lat,name]; actions exclude, include, retype).

--format table (default) prints a bilingual list for the terminal; csv is for
Excel (UTF-8 with a header), geojson for QGIS (the properties of facilities.geojson).
Ids are those the overrides file takes (n123 an OSM node, w123 a way, r123 a
relation, a layer's own id otherwise).

Examples:
  lifecircle facilities --sample --type clinic
  lifecircle facilities --osm district.osm.pbf --format csv --out facilities.csv
  lifecircle facilities -c lifecircle.yaml --types hospital --format geojson --out facilities.geojson`, e.stderr)
	var af auditFlags
	af.register(fs)
	typ := fs.String("type", "", "list only this type id")
	format := fs.String("format", "table", "table, csv or geojson")
	out := fs.String("out", "", "write to this file (default: standard output)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if af.scenario != "" {
		return usagef("facilities lists the inputs' facilities; --scenario is for audit and serve")
	}
	if err := af.resolve(fs); err != nil {
		return err
	}
	switch *format {
	case "table", "csv", "geojson":
	default:
		return usagef("--format %q: use table, csv or geojson", *format)
	}
	s := af.s
	s.NoDemand = true
	st, err := study.Load(ctx, s, study.FileSource{}, newProgress(e.stderr, *quiet))
	if err != nil {
		return err
	}
	prof := st.In.Profile
	if *typ != "" {
		t, err := prof.Lookup(*typ)
		if err != nil {
			return usagef("--type %s: profile %s has no type %q turned on (its types: %s; --types turns on off-by-default ones)", *typ, prof.ID, *typ, strings.Join(prof.TypeIDs(), ", "))
		}
		*typ = t.ID
	}
	fac := data.ListFacilities(prof, st.All, *typ)
	write := func(w io.Writer) error {
		switch *format {
		case "csv":
			return data.WriteFacilityListCSV(w, prof, fac)
		case "geojson":
			return data.WriteFacilityListGeoJSON(w, prof, fac)
		}
		return writeFacilitiesTable(w, prof, fac, *typ)
	}
	if *out == "" {
		bw := bufio.NewWriter(e.stdout)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	if err := data.WriteFileAtomic(*out, write); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%d facilities written to %s\n", len(fac), *out)
	return nil
}

func writeFacilitiesTable(w io.Writer, prof *planner.Profile, fs []planner.Facility, only string) error {
	for _, t := range prof.Types {
		if only != "" && t.ID != only {
			continue
		}
		var of []planner.Facility
		for _, f := range fs {
			if f.Type == t.ID {
				of = append(of, f)
			}
		}
		fmt.Fprintf(w, "\n%s %s / %s — %d 处 facilities\n", t.ID, t.Names.Zh, t.Names.En, len(of))
		if len(of) == 0 {
			continue
		}
		fmt.Fprintf(w, "  %s %s %s %s\n", pad("id 编号", 14), pad("name 名称", 34), pad("rule 计入依据", 34), "source 来源")
		for _, f := range of {
			fmt.Fprintf(w, "  %s %s %s %s\n", pad(truncate(f.ID, 14), 14), pad(truncate(f.Name, 34), 34), pad(truncate(f.Rule, 34), 34), f.Source+data.StatusText(f))
			if len(f.Tags) > 0 {
				fmt.Fprintf(w, "  %s tags 标签: %s\n", pad("", 14), truncate(data.TagsText(f.Tags), 160))
			}
		}
	}
	_, err := fmt.Fprintln(w)
	return err
}
