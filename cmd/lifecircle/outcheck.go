package main

import (
	"flag"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
)

// checkOut refuses, before any work starts, an --out folder the verb may
// not replace: one of another kind of output, one holding an input, a
// dangling symbolic link or a mount point (data.CheckOutputDir). An
// empty dir (an output only stored in the database) passes.
func checkOut(dir string, kind data.OutputKind, inputs ...string) error {
	if dir == "" {
		return nil
	}
	if _, err := data.CheckOutputDir(dir, kind, inputs...); err != nil {
		return usagef("--out: %v", err)
	}
	return nil
}

// inputs lists the files and folders the audit flags read: the project
// file, the inputs it and the flags name, and the scenario folder.
func (a *auditFlags) inputs(more ...string) []string {
	return append(append(a.s.InputFiles(), a.project, a.scenario), more...)
}

// plural returns one when n is 1, else many ("1 facility", "2 facilities").
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// unitLabel is how the terminal names a unit: "id name" where it has a
// name (the id first, so that a long name is what gets cut), else its id.
func unitLabel(u planner.Unit) string {
	if u.Name != "" && u.Name != u.ID {
		return u.ID + " " + u.Name
	}
	return u.ID
}

// checkGiven refuses --k and --target values the user gave that check
// would otherwise take as "not given" (--k 0, --target 0, --target NaN).
func (o *proposeFlags) checkGiven(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["k"] && o.k < 1 {
		return usagef("--k %d: give the number of new sites, at least 1 (or --target SHARE instead)", o.k)
	}
	if set["target"] && !(o.target > 0 && o.target <= 1) {
		return usagef("--target %v: give the share of residents to cover, above 0 and at most 1 (e.g. 0.95), or --k N instead", o.target)
	}
	return nil
}
