// Package cover is the optimisation core of site proposals (DESIGN.md §2,
// "Proposal"): weighted maximal covering (MCLP, SolveMax) and partial set
// covering (LSCP, SolveSet) over abstract items, with bounds that state how
// far from optimal an answer can be, and export of the model in CPLEX LP
// format (WriteLP) for an outside solver.
//
// It knows nothing of graphs, distances or geometry: the caller (planner)
// turns walking-distance searches into coverage sets. An item is a demand
// point, or in multi-type mode a (type, demand point) pair whose weight is
// the type weight times the population, so that one site's coverage set spans
// items of every type it hosts.
//
// cover imports only the standard library: neither geo nor planner nor any
// adapter (data, web, cmd), and does no I/O beyond the io.Writer WriteLP is
// given (checked by planner's TestImportRules). Callers resolve every
// setting: Options.TimeLimit must be positive (DefaultTimeLimit is usual).
package cover
