package web

import (
	"context"

	"github.com/lifecircle/lifecircle/planner"
)

// A ScenarioStore keeps saved scenarios somewhere other than the workspace
// folder: in team mode, the project's PostgreSQL/PostGIS database. Save
// stores the edits (with their authors and times) and the facilities they
// give, and returns where it stored them, for the user.
type ScenarioStore interface {
	SaveScenario(ctx context.Context, name, author string, edits []planner.Edit, facilities []planner.Facility) (string, error)
}
