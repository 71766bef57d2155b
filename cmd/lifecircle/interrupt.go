package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/lifecircle/lifecircle/data"
)

// interruptGrace is how long a verb may take to stop on its own after
// Ctrl-C (or SIGTERM) before the process exits anyway: every long phase
// checks the context, but a step that does not must not keep the user
// waiting past issue 16's second. Writes in progress are aborted at once
// and their temporaries removed (data.AbortWrites), so the previous output
// is left as it was and nothing half-written beside it.
const interruptGrace = 500 * time.Millisecond

// interrupted is what a verb stopped by Ctrl-C prints (exit code 130).
const interrupted = "lifecircle %s: interrupted (已中断) — stopped%s; nothing was written (an earlier output is untouched)\n"

// exitOnInterrupt exits the process with code 130 when ctx is cancelled
// by a signal and the verb has not returned within its grace period
// (serve's own shutdown grace for serve).
func exitOnInterrupt(ctx context.Context, verb string, stderr io.Writer) {
	grace := interruptGrace
	if verb == "serve" {
		grace = serveShutdownGrace + time.Second
	} else if verb == "worker" {
		grace = 5 * time.Second // give the current tasks back
	}
	go func() {
		<-ctx.Done()
		if verb != "serve" { // serve lets saves in flight finish
			data.AbortWrites()
		}
		time.Sleep(grace)
		data.AbortWrites()
		fmt.Fprintf(stderr, interrupted, verb, fmt.Sprintf(" after %v without waiting for the current step", grace))
		os.Exit(130)
	}()
}
