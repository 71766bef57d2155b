//go:build !unix

package shareddata

import "time"

// CPUClock returns the wall clock where the process's CPU time is not
// available.
func CPUClock() func() time.Duration {
	start := time.Now()
	return func() time.Duration { return time.Since(start) }
}
