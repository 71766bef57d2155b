package main

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
)

// buildHierarchy reads the unit files and the administrative units, links
// the levels, places every demand point at every level and makes the
// finest level the audit's units.
func (st *study) buildHierarchy(p *progress) error {
	p.Step("read units")
	var all []planner.Unit
	var files []string
	for _, spec := range st.unitFiles {
		level, path := "", spec
		if l, f, ok := strings.Cut(spec, "="); ok && !strings.ContainsAny(l, `/\`) {
			level, path = strings.TrimSpace(l), f
		}
		units, err := readUnits(path, st.cs)
		if err != nil {
			return err
		}
		for i := range units {
			if level != "" {
				units[i].Level = level
			} else if units[i].Level == "" && len(st.unitFiles)+min(len(st.admin), 1) > 1 {
				// Several layers: a file without levels is a level of its own.
				units[i].Level = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
			}
		}
		all = append(all, units...)
		files = append(files, path)
	}
	all = append(all, st.admin...)
	h, warns, err := planner.BuildHierarchy(all, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", strings.Join(append(files, st.adminSpec), ", "), err)
	}
	overlaps := h.AssignDemand(st.in.Demand.Points)
	// Write each unit's parent as linked (by id or by containment).
	for k := 1; k < len(h.Levels); k++ {
		lv, up := &h.Levels[k], &h.Levels[k-1]
		for u, pi := range lv.Parent {
			if pi >= 0 {
				lv.Units[u].Parent = up.Units[pi].ID
			}
		}
	}
	fin := h.Finest()
	st.in.Units, st.in.Assign, st.in.Hierarchy = fin.Units, fin.Assign, h
	desc := strings.Join(files, ", ")
	if st.adminSpec != "" {
		if desc != "" {
			desc += ", "
		}
		desc += "OSM " + st.adminSpec
	}
	st.meta.UnitsFile = desc
	st.meta.Inputs["units"] = desc
	var counts []string
	for _, l := range h.Levels {
		counts = append(counts, fmt.Sprintf("%d %s", len(l.Units), l.Name))
	}
	p.Done("%s", strings.Join(counts, " ⊃ "))
	for _, w := range warns {
		p.Warn("%s", w)
		st.meta.Warnings = append(st.meta.Warnings, w)
	}
	for k, n := range overlaps {
		if n > 0 {
			w := fmt.Sprintf("%s: level %s: %d demand points lie in more than one unit (overlapping polygons); each is counted in the first unit only — check the unit boundaries", desc, h.Levels[k].Name, n)
			p.Warn("%s", w)
			st.meta.Warnings = append(st.meta.Warnings, w)
		}
	}
	return nil
}

// auditRules gathers the provision rules of an audit: the profile's, the
// project's, and one district-wide coverage rule per --fail-below type.
func auditRules(prof *planner.Profile, pr data.Project) ([]planner.Rule, error) {
	rules := append([]planner.Rule(nil), prof.Rules...)
	rules = append(rules, pr.Rules...)
	types := make([]string, 0, len(pr.FailBelow))
	for t := range pr.FailBelow {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		if _, ok := prof.Type(t); !ok {
			return nil, usagef("--fail-below %s: %q is not a type of profile %s (its types: %s)", t, t, prof.ID, strings.Join(prof.TypeIDs(), ", "))
		}
		rules = append(rules, planner.Rule{Type: t, MinCoverage: pr.FailBelow[t], Origin: "--fail-below"})
	}
	return rules, nil
}

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
	fmt.Fprintf(w, "\n配置规则 / Provision rules: %d of %d broken\n", broken, len(res.Rules))
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
