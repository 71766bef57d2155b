package web

import (
	"context"

	"github.com/lifecircle/lifecircle/planner"
)

// A ScenarioStore keeps saved scenarios somewhere other than the workspace
// folder: in team mode, the project's PostgreSQL/PostGIS database. Save
// stores the edits (with their authors and times) and the facilities they
// give, and returns where it stored them, for the user.
//
// An error that wraps one with a method Unavailable() bool reporting true
// (postgis.ErrUnavailable errors do) says the store cannot be reached for
// now: the client gets 503 with a message to try again, and the error
// itself goes to the log only. Any other error is an internal error (500).
type ScenarioStore interface {
	SaveScenario(ctx context.Context, name, author string, edits []planner.Edit, facilities []planner.Facility) (string, error)
}
