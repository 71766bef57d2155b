package planner

import (
	"fmt"
	"math"
	"slices"
)

// GroupWeights returns the residents per demand point that type t is
// judged by, and the name of that group: the column t.Demand of the
// population layer when the demand carries it, else every resident
// (d.Pop, group ""). DemandGroupMissing tells the two apart.
func GroupWeights(d *Demand, t AmenityType) (w []float64, group string) {
	if t.Demand != "" {
		if g, ok := d.Groups[t.Demand]; ok && len(g) == len(d.Pop) {
			return g, t.Demand
		}
	}
	return d.Pop, ""
}

// DemandGroupMissing returns the ids of the types of p that name a
// resident group the demand does not carry (they are judged by all
// residents instead), in type order.
func DemandGroupMissing(d *Demand, p *Profile) []string {
	var ids []string
	for _, t := range p.Types {
		if t.Demand == "" {
			continue
		}
		if _, g := GroupWeights(d, t); g == "" {
			ids = append(ids, t.ID)
		}
	}
	return ids
}

// GroupNames returns the names of the demand's resident groups, sorted.
func (d *Demand) GroupNames() []string {
	names := make([]string, 0, len(d.Groups))
	for g := range d.Groups {
		names = append(names, g)
	}
	slices.Sort(names)
	return names
}

// checkGroups checks that every resident group has one finite,
// non-negative value per demand point.
func (d *Demand) checkGroups() error {
	for _, g := range d.GroupNames() {
		v := d.Groups[g]
		if len(v) != len(d.Points) {
			return fmt.Errorf("demand: %w: group %s has %d values for %d demand points", ErrInvalid, g, len(v), len(d.Points))
		}
		for i, x := range v {
			if !(x >= 0) || math.IsInf(x, 0) {
				return fmt.Errorf("demand: %w: group %s: point %d has %v residents; it must be a number ≥ 0", ErrInvalid, g, i, x)
			}
		}
	}
	return nil
}

// popGroups reads the resident groups of a population feature: every
// group must be a finite number ≥ 0.
func popGroups(i int, f PopFeature) error {
	for g, v := range f.Groups {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("population: %w: feature %d (%s): %s %v must be a number ≥ 0", ErrInvalid, i, featureName(i, f.ID), g, v)
		}
	}
	return nil
}

// DemandGroups returns the resident groups the profile's types serve, in
// type order, each once.
func (p *Profile) DemandGroups() []string {
	var gs []string
	for _, t := range p.Types {
		if t.Demand != "" && !slices.Contains(gs, t.Demand) {
			gs = append(gs, t.Demand)
		}
	}
	return gs
}
