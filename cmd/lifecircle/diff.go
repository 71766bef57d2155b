package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/lifecircle/lifecircle/data"
)

func init() {
	register("diff", "compare two audits: units that improved or got worse, new and closed facilities", runDiff)
}

func runDiff(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("diff", "RUN_A RUN_B [--out DIR]",
		`Compares two audit output folders (e.g. last year's and this year's, or before and
after adding facilities): per amenity type and unit, what improved and what got
worse, with the change in coverage and covered residents; and which facilities are
new, closed or moved: matched by type and id, then by type and name within 50 m,
then by type and position within 10 m (README, "Facility ids").

Units are matched by unit_id at every level (cells.geojson, units.geojson and
units_<level>.geojson). A type improved in a unit when its coverage share rose (or,
equal share, more residents are covered); values are compared as written.

Prints a table; --out DIR writes diff.json and diff.geojson (every unit with its
deltas, for a map of change).

Example:
  lifecircle diff audit-2024 audit-2025 --out change`, e.stderr)
	out := fs.String("out", "", "folder for diff.json and diff.geojson (optional)")
	all := fs.Bool("all", false, "list unchanged units in the table too")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("give two audit output folders: lifecircle diff RUN_A RUN_B (got %d)", len(pos))
	}
	if err := checkOut(*out, data.KindDiff, pos[0], pos[1]); err != nil {
		return err
	}
	a, err := data.ReadAudit(pos[0])
	if err != nil {
		return err
	}
	b, err := data.ReadAudit(pos[1])
	if err != nil {
		return err
	}
	d := data.DiffRuns(a, b)
	printDiff(e.stdout, d, *all)
	if *out != "" {
		if err := data.WriteDiff(*out, d); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "wrote %s/diff.json and diff.geojson\n", *out)
	}
	return nil
}

func printDiff(w io.Writer, d *data.RunDiff, all bool) {
	fmt.Fprintf(w, "变化 / Change: %s → %s\n", d.A, d.B)
	fmt.Fprintf(w, "%s %s %9s %9s %8s %10s %7s  %s\n", pad("type", 11), pad("name", 26), "cov. A", "cov. B", "Δ pts", "Δ covered", "sites", "finest units ↑/↓/=")
	for _, t := range d.Types {
		fmt.Fprintf(w, "%s %s %8.1f%% %8.1f%% %+8.1f %+10.0f %3d→%-3d  %d/%d/%d\n",
			pad(t.ID, 11), pad(t.NameEn, 26), 100*t.CoverageA, 100*t.CoverageB, 100*t.Delta, t.CoveredB-t.CoveredA,
			t.FacilitiesA, t.FacilitiesB, t.Units[data.DiffImproved], t.Units[data.DiffWorse], t.Units[data.DiffUnchanged])
	}
	for _, v := range d.Totals {
		if v.Key == "completeness" || v.Key == "fully_served" {
			fmt.Fprintf(w, "%s %.1f%% → %.1f%% (%+.1f pts)\n", v.Key, 100*v.A, 100*v.B, 100*v.Delta)
		}
	}
	for _, l := range d.Levels {
		fmt.Fprintf(w, "\nlevel %s: %d improved, %d worse, %d mixed, %d unchanged, %d added, %d removed\n", l.Name,
			l.Counts[data.DiffImproved], l.Counts[data.DiffWorse], l.Counts[data.DiffMixed], l.Counts[data.DiffUnchanged], l.Counts[data.DiffAdded], l.Counts[data.DiffRemoved])
		list := l.Units
		if all {
			list = l.All
		}
		for _, u := range list {
			var parts []string
			for _, t := range u.Types {
				if t.Status == data.DiffImproved || t.Status == data.DiffWorse {
					parts = append(parts, fmt.Sprintf("%s %+.1f pts (%+.0f)", t.ID, 100**t.Delta, *t.DeltaCov))
				}
			}
			label := u.ID
			if u.Name != "" {
				label += " " + u.Name
			}
			fmt.Fprintf(w, "  %s %s %s\n", pad(u.Status, 9), pad(truncate(label, 36), 36), strings.Join(parts, ", "))
		}
	}
	fc := d.Facilities
	fmt.Fprintf(w, "\nfacilities: %d new, %d closed, %d moved (matched: %d by id, %d by name, %d by position)\n", len(fc.New), len(fc.Closed), len(fc.Moved),
		fc.Matched[data.MatchID], fc.Matched[data.MatchName], fc.Matched[data.MatchPosition])
	show := func(sign string, f data.DiffFacility, extra string) {
		fmt.Fprintf(w, "  %s %s %s %q (%.6f, %.6f)%s\n", sign, pad(f.Type, 11), f.ID, f.Name, f.At[0], f.At[1], extra)
	}
	for _, f := range fc.New {
		show("+", f, "")
	}
	for _, f := range fc.Closed {
		show("-", f, "")
	}
	for _, m := range fc.Moved {
		show("~", m.DiffFacility, fmt.Sprintf(" moved %.0f m (matched by %s)", m.Distance, m.MatchedBy))
	}
}
