// Package study is the one study pipeline that every door runs (audit,
// audit --db, audit --batch local or on data/dist's workers, audit
// --shards, propose, serve, import, the web tests):
//
//	Settings (Defaults ⊕ project file ⊕ flags, Validate) → Load(ctx, Settings, Source, Progress)
//	→ Study (planner.AuditInput, data.AuditMeta, grid) → Run → planner.AuditResult → Study.Write
//
// It owns the settings of a study (one type, one overlay, one validation),
// the Source interface with its two implementations (FileSource: the
// readers of data and data/osm; DBSource: a project stored by data/postgis,
// and Import, which reads files for it), the demand estimate, the unit
// hierarchy or grid, the rounding to the outputs' precision, the
// provision rules of a study, and facility status over time: the field
// reports of a study's history (status.csv or the database) applied on top
// of the layers' status, the --as-of filter and the --timeline (status.go).
//
// # Sharding (shard.go)
//
// A region too big for one process is audited in shards (audit --shards,
// --shard-nodes; the building block a distributed runner dispatches).
// PlanShards cuts the study into square cores of whole cells of the
// audit's own equal-area grid (the LAEA grid of its cells; for unit
// studies the grid the cells would have), so every cell, and so every
// demand point and every facility boundary sample, belongs to exactly one
// core. Cores split as a quadtree until each shard's network (the nodes in
// the core and its halo) fits the node budget, or until there are at
// least --shards of them; quarters with no demand point and no facility
// sample are left out. Each shard runs the audit's own snapping and
// searches (planner.SearchPoints) on the part of the study it reads: the
// edges that come within the halo of its core, the facilities whose
// samples come within the halo, and the demand points the core owns; the
// streets are taken one max-snap wider (EdgeHalo, below). planner.AuditMerged
// then computes every figure once from the merged per-point results, in
// the audit's point order, so units that straddle cores, percentiles and
// float sums come out bit for bit as in a single run.
//
// The halo is what makes each core's results exact. The audit searches to
// --max-distance (not only to the largest type threshold: the outputs
// report every distance up to it, in demand.geojson and dist_mean/p90), so
// the halo is max-distance + 2 × max-snap, widened by the projection's
// largest stretch over the region (1/cos(c/2) at an angle c from the
// grid's centre) and 2 %. The argument: an edge is never shorter than the
// great-circle line between any two of its points (its length is the sum
// of its segments' great-circle lengths; geo.Network's Build checks every
// edge against the line between its ends and refuses a network that
// breaks it), so a path of network length L stays within L, in a straight
// line, of where it starts. A demand point p of the core snaps within
// max-snap of p; any path to it of length ≤ max-distance lies within
// max-distance + max-snap of the core; a facility sample whose snap lies
// on such a path is within max-snap more (inside the halo), and the street
// it snaps to within max-snap more again: the part holds every street that
// comes within halo + max-snap of the core (ShardPlan.EdgeHalo; with the
// halo alone, a sample near its edge whose own street lies just beyond
// would snap to a farther street of the part and reach the core up to
// 2 × max-snap too short: TestShardPartsSnapAsWhole). So the shard holds
// every edge the single run would use for p, snaps p and the facilities to the
// same places (geo.Network.Sub keeps the edges' order, so ties go the same
// way) and finds the same distance and the same nearest facility (ties go
// to the lower facility index, kept in order in the shard's subset). A
// facility sample outside the halo is snapped, in the shard, to a street
// no nearer than the halo's edge, farther than max-distance from every
// point of the core: it cannot change a result. Whether a facility
// reaches the streets at all is judged for each sample by the core that
// owns it, whose halo holds every street within max-snap of it.
//
// The shards run in this process, or wherever ShardOptions.Runner sends
// them (data/dist: `audit --distributed`): a part travels as WritePart's
// encoding (ReadShardPart checks it; geo.ReadNetwork checks the network,
// lengths included), and each shard's ShardResult is checked against the
// plan (its points, edge and facility indices) before Merge writes it.
//
// Not split yet: capacity figures (a global allocation: RunSharded refuses
// a study that has them), and the street pieces cut off from the main
// network, which AuditMerged still reads from the whole network (so the
// distributed coordinator holds the whole study).
//
// # Sharded proposals (shard_propose.go)
//
// propose --shards and --distributed cut only the costly step of a
// proposal, one bounded search per candidate, into the same cores:
// planner.PrepareProposal snaps the demand, fixes what the existing
// facilities cover and generates or snaps the candidates on the whole
// network, as the single run does; each shard then computes, for every
// candidate within its halo, the items (type, demand point) of its core's
// points the candidate covers (planner.CoverageSets on its part of the
// network); the sets are merged by candidate (shards own disjoint points)
// and ProposalPrep.Solve runs the covering solver once on them, so the
// bound and the answer are those of a single run. The halo is the
// covering walk (the largest radius plus the 5 cm rounding slack) plus
// three times max-snap: a candidate's boundary sample lies within max-snap
// of the street it snaps to, and the streets it could snap to in the
// shard within max-snap more; a path of the walk's length ending at a
// core point's snap (within max-snap of the core) stays within the walk
// of it. (An audit's halo has two max-snaps; the third covers a sample
// near the halo's edge whose own street lies just outside.)
//
// Imports point inward: cmd → web → data/study → data, data/osm,
// data/sample, data/postgis and planner → geo. It may import those; only
// cmd/lifecircle, data/dist (a batch entry on a worker: EntrySettings,
// AuditEntry, Settings.MapInputs; a shard: ShardRunner, WritePart,
// ReadShardPart, ShardResult) and the web tests import it, and
// data/postgis must not (the database source lives here, as an adapter
// over postgis.Store).
// Callers pass resolved values: planner never turns a 0 into a default.
package study
