// Package shareddata locates the repository root and the real
// OpenStreetMap extracts and reference answers the tests read: the
// folder testdata/shared of the repository (a copy of the project's
// ../shared/data under the ODbL, see testdata/shared/ATTRIBUTION.md), or
// the folder $LIFECIRCLE_SHARED_DATA names. It is used by tests only.
//
// shareddata imports only the standard library, so any package's tests
// (planner, geo, web, cmd/lifecircle) may import it without pulling the
// data readers, or anything else, into that package.
package shareddata
