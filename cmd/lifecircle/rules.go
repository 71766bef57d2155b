package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/lifecircle/lifecircle/planner"
	"github.com/lifecircle/lifecircle/planner/glossary"
)

// failBelowFlag is the repeatable --fail-below TYPE=SHARE flag.
type failBelowFlag map[string]float64

func (f failBelowFlag) String() string {
	var parts []string
	for k, v := range f {
		parts = append(parts, k+"="+strconv.FormatFloat(v, 'f', -1, 64))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (f failBelowFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		t, share, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || t == "" {
			return fmt.Errorf("%q: expected TYPE=SHARE, e.g. market=0.9", part)
		}
		share = strings.TrimSpace(share)
		pct := strings.HasSuffix(share, "%")
		x, err := strconv.ParseFloat(strings.TrimSuffix(share, "%"), 64)
		if pct {
			x /= 100
		}
		if err != nil || !(x > 0 && x <= 1) {
			return fmt.Errorf("%q: the share must be in (0, 1] (0.9) or a percentage (90%%)", part)
		}
		f[strings.TrimSpace(t)] = x
	}
	return nil
}

// printRules prints every rule with its result and the units that break
// it (up to 10 per rule; rules.csv has them all).
func printRules(w io.Writer, res *planner.AuditResult) {
	if len(res.Rules) == 0 {
		return
	}
	broken := planner.BrokenRules(res.Rules)
	fmt.Fprintf(w, "\n%s / %ss: %d of %d broken\n", glossary.Zh("rule"), glossary.En("rule"), broken, len(res.Rules))
	for _, c := range res.Rules {
		status := "ok    "
		if c.Broken() {
			status = "BROKEN"
		}
		fmt.Fprintf(w, "  %s %s — %s  (%d of %d units fail)\n", status, c.Text.Zh, c.Text.En, len(c.Breaches), c.Checked)
		for i, b := range c.Breaches {
			if i == 10 {
				fmt.Fprintf(w, "         … and %d more (rules.csv)\n", len(c.Breaches)-10)
				break
			}
			name := b.UnitID
			if b.UnitName != "" {
				name += " " + b.UnitName
			}
			if c.Kind == planner.RuleCoverage {
				fmt.Fprintf(w, "         %s %5.1f%% < %5.1f%%: %.0f more residents to reach\n",
					pad(truncate(name, 34), 34), 100*b.Actual, 100*b.Required, b.Residents)
			} else {
				fmt.Fprintf(w, "         %s %3.0f of %3.0f: %.0f missing (%.0f residents)\n",
					pad(truncate(name, 34), 34), b.Actual, b.Required, b.Shortfall, b.Population)
			}
		}
	}
}

// rulesError returns the exit-3 error when a rule is broken, else nil.
func rulesError(res *planner.AuditResult) error {
	broken := planner.BrokenRules(res.Rules)
	if broken == 0 {
		return nil
	}
	units := 0
	var names []string
	for _, c := range res.Rules {
		if c.Broken() {
			units += len(c.Breaches)
			names = append(names, c.Text.En)
		}
	}
	return checkError{fmt.Sprintf("%d of %d provision rules broken (%d unit failures): %s — see rules.csv",
		broken, len(res.Rules), units, strings.Join(names, "; "))}
}
