// Package planner is lifecircle's domain: amenity profiles, demand, analysis
// units, coverage, gaps, proposals, scenarios and reports. It receives
// resolved settings (a non-positive max snap, search bound, spacing, time
// limit, floor area or sample step is an ErrInvalid error, never a default:
// the settings layer passes the Default* constants). The covering solver of
// proposals lives in planner/cover.
//
// Import rules (checked by TestImportRules): planner imports the standard
// library, geo, its own subpackages, orb, rtree and yaml; never an adapter
// (data, web, cmd) and no file, network or database I/O. planner/cover
// imports neither geo nor planner; geo imports no project package.
package planner
