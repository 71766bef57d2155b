package web

import (
	"context"

	"github.com/lifecircle/lifecircle/data"
)

// A ScenarioStore keeps saved scenarios: the workspace folder
// (data.WorkspaceScenarios, the default) or, in team mode, the project's
// PostgreSQL/PostGIS database (postgis.ProjectScenarios). web reaches
// both through this interface only.
//
// Save stores the edits (with their authors and times) and the facilities
// they give, and returns where it stored them, for the user; List returns
// the saved scenarios, newest first; Open returns the edits of scenario
// name (an error wrapping planner.ErrNotFound when there is none); Delete
// removes it. Names are checked by data.ValidateScenarioName before they
// reach a store.
//
// An error that wraps one with a method Unavailable() bool reporting true
// (postgis.ErrUnavailable errors do) says the store cannot be reached for
// now: the client gets 503 with a message to try again, and the error
// itself goes to the log only. Errors wrapping planner.ErrInvalid or
// ErrNotFound are the client's (400, 404); any other error is an internal
// error (500).
type ScenarioStore interface {
	Save(ctx context.Context, sc *data.SavedScenario) (string, error)
	List(ctx context.Context) ([]data.ScenarioInfo, error)
	Open(ctx context.Context, name string) (*data.SavedScenario, error)
	Delete(ctx context.Context, name string) error
}
