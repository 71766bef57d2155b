// Package study is the one study pipeline that every door runs (audit,
// audit --db, audit --batch local or on data/dist's workers, propose,
// serve, import, the web tests):
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
// Imports point inward: cmd → web → data/study → data, data/osm,
// data/sample, data/postgis and planner → geo. It may import those; only
// cmd/lifecircle, data/dist (a batch entry on a worker: EntrySettings,
// AuditEntry, Settings.MapInputs) and the web tests import it, and
// data/postgis must not (the database source lives here, as an adapter
// over postgis.Store).
// Callers pass resolved values: planner never turns a 0 into a default.
package study
