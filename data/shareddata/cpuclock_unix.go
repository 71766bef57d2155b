//go:build unix

package shareddata

import (
	"runtime"
	"sync"
	"syscall"
	"time"
)

// CPUClock returns a clock for cover.Options.Clock (in tests) that measures the process's CPU time
// (user + system) divided by GOMAXPROCS: on an idle machine it advances as
// fast as the wall clock while the solver keeps every core busy, and on a
// loaded one it slows down with the work done, so a budget buys the same
// search whatever else runs. Reads of the kernel's counter are spaced at
// least a millisecond apart.
func CPUClock() func() time.Duration {
	var (
		mu   sync.Mutex
		last time.Duration
		at   time.Time
	)
	procs := time.Duration(runtime.GOMAXPROCS(0))
	return func() time.Duration {
		mu.Lock()
		defer mu.Unlock()
		if now := time.Now(); at.IsZero() || now.Sub(at) >= time.Millisecond {
			var ru syscall.Rusage
			if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
				last = (time.Duration(ru.Utime.Nano()) + time.Duration(ru.Stime.Nano())) / procs
			}
			at = now
		}
		return last
	}
}
