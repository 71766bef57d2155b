package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
)

func init() {
	register("profiles", "list built-in amenity profiles or print one as YAML", runProfiles)
}

const profilesHelp = `With no argument, list the built-in amenity profiles: each type's tier,
walking threshold (metres) and names. The built-in profiles:

  gb50180       (default) five everyday types at the tiers of GB 50180-2018
  15min         the same types, each within a 15-minute walk (1200 m)
  gb50180-full  every walking-tier facility of GB 50180-2018: schools,
                health, elderly care, culture, community service, sports
                grounds, markets and play (1000, 500 or 300 m by tier)
  tdt1062       the 15-minute and 5-10-minute levels of TD/T 1062-2021,
                the community life-circle planning guide (1000 or 500 m)

Each type's source says where its threshold comes from and which OSM wiki
pages its selectors follow; a value the standard's text did not confirm says "Unconfirmed:".

With the id of a built-in profile, print it to stdout as commented YAML;
save it, edit it and pass the file to audit with --profile FILE:

  lifecircle profiles gb50180 > my-profile.yaml

With the path of a YAML file, check it and print its validated content
(defaults filled in), or list each problem with its file:line.`

// runProfiles implements "lifecircle profiles [ID | FILE]".
func runProfiles(_ context.Context, e *env, args []string) error {
	fs := newFlagSet("profiles", "[ID | FILE]", profilesHelp, e.stderr)
	fs.Usage = func() { // no flags: no empty "Flags:" section
		fmt.Fprintf(e.stderr, "Usage: lifecircle profiles [ID | FILE]\n\n%s\n", profilesHelp)
	}
	// The positional argument is handled here rather than by parseFlags,
	// which allows none; -h is honoured after it as well.
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usagef("%v", err)
	}
	rest := fs.Args()
	for _, a := range rest {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.Usage()
			return errHelp
		}
	}
	switch {
	case len(rest) == 0:
		return listProfiles(e.stdout, e.stderr)
	case len(rest) > 1:
		return usagef("one profile at a time: got %q (see -h)", strings.Join(rest, " "))
	case rest[0] == "":
		return usagef("empty profile name; built-in profiles: %s", strings.Join(planner.BuiltinProfiles(), ", "))
	}
	p, err := data.LoadProfile(rest[0])
	if errors.Is(err, planner.ErrNotFound) {
		return usagef("%q is neither a built-in profile (%s) nor a file; run \"lifecircle profiles\" to list them",
			rest[0], strings.Join(planner.BuiltinProfiles(), ", "))
	}
	if err != nil {
		return err
	}
	if _, err := e.stdout.Write(p.YAML()); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	return nil
}

// listProfiles writes a table of the built-in profiles to w and a hint to hint.
func listProfiles(w, hint io.Writer) error {
	var b strings.Builder
	for i, id := range planner.BuiltinProfiles() {
		p, err := data.LoadProfile(id)
		if err != nil {
			return fmt.Errorf("built-in profile %s: %w", id, err)
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		def := ""
		if id == planner.DefaultProfile {
			def = " (default)"
		}
		fmt.Fprintf(&b, "%s%s  %s\n", p.ID, def, p.Names)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  TYPE\tTIER\tTHRESHOLD\tNAME / 名称")
		for _, t := range p.Types {
			fmt.Fprintf(tw, "  %s\t%d min\t%s m\t%s\n", t.ID, t.Tier, strconv.FormatFloat(t.Threshold, 'f', -1, 64), t.Names)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write profile list: %w", err)
	}
	fmt.Fprintln(hint, "\nPrint one as editable YAML with: lifecircle profiles <id> > my-profile.yaml")
	return nil
}
