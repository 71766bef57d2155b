package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// interruptGrace is how long a verb may take to stop on its own after
// Ctrl-C (or SIGTERM) before the process exits: every phase checks the
// context, but a long step that does not (parsing one large layer,
// building a network) must not keep the user waiting. Outputs are written
// atomically, so exiting leaves the previous output as it was; the
// temporaries of the interrupted write are removed by the next write.
const interruptGrace = time.Second

// exitOnInterrupt exits the process with code 130 when ctx is cancelled
// by a signal and the verb has not returned within its grace period
// (serve's own shutdown grace for serve).
func exitOnInterrupt(ctx context.Context, verb string, stderr io.Writer) {
	grace := interruptGrace
	if verb == "serve" {
		grace = serveShutdownGrace + time.Second
	}
	go func() {
		<-ctx.Done()
		time.Sleep(grace)
		fmt.Fprintf(stderr, "lifecircle %s: interrupted — stopped; nothing was written (an earlier output is untouched)\n", verb)
		os.Exit(130)
	}()
}
