package planner

import "errors"

// Domain error kinds. Errors from this package (and from adapters that use
// it) wrap one of these with %w so that callers such as the web layer can
// map them to a status with errors.Is, whatever the message says.
var (
	// ErrInvalid marks bad input: a malformed profile, an out-of-range
	// threshold, an unknown field.
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound marks a reference to something that does not exist: an
	// unknown profile name, type id or unit.
	ErrNotFound = errors.New("not found")
	// ErrConflict marks a request that the current state refuses: undoing
	// an edit that a later edit, by someone else, built on.
	ErrConflict = errors.New("conflict")
)
