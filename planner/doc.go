// Package planner is lifecircle's domain: amenity profiles, demand, analysis
// units, coverage, gaps, proposals, scenarios, walking catchments
// (Catchments: what one facility reaches within its threshold, by the
// audit's own distances) and reports. A sharded audit (data/study) runs
// the audit's snapping and searches per shard (SearchPoints) and computes
// the figures once from the merged per-point results (AuditMerged). It receives
// resolved settings (a non-positive max snap, search bound, spacing, time
// limit, floor area or sample step is an ErrInvalid error, never a default:
// the settings layer passes the Default* constants). The covering solver of
// proposals lives in planner/cover.
//
// Capacity (capacity.go): where facilities give their capacity (places)
// and the profile type a capacity_ratio r (places per 1,000 of the
// residents it is judged by), a facility of C places serves C × 1000 / r
// residents. Residents are allocated closest pairs first: every (demand
// point, facility) pair within the threshold is taken in increasing
// walking distance (ties: lower point index, then lower facility index)
// and places as many of the point's unplaced residents as the facility
// has room for — a facility's places go to the residents closest to it,
// and a resident whose nearest facility is full spills to the next one
// within the threshold. Those left without a place are covered but over
// capacity. Facilities without a capacity have room for everyone; types
// without figures report none (nil, NaN), never 0.
//
// Import rules (checked by TestImportRules): planner imports the standard
// library, geo, its own subpackages, orb, rtree and yaml; never an adapter
// (data, web, cmd) and no file, network or database I/O. planner/cover
// imports neither geo nor planner; geo imports no project package.
package planner
