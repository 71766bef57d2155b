// Package planner is lifecircle's domain: amenity profiles, demand, analysis
// units, coverage, gaps, proposals, scenarios and reports. It does no I/O of
// files, databases or HTTP; it imports geo (and orb), never data or web.
package planner
