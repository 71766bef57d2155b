package main

import (
	"context"
	"fmt"
	"os"

	"github.com/lifecircle/lifecircle/data/dist"
	"github.com/lifecircle/lifecircle/data/study"
)

// startDistributed readies `audit --distributed URL` and `--workers N`
// (data/dist: StartLocal): N local workers, on an embedded NATS server
// when no URL is given. It returns the server's URL and the context to
// run in (it ends when every local worker has stopped).
func startDistributed(ctx context.Context, url string, workers int) (context.Context, string, func(), error) {
	if workers == 0 {
		return ctx, url, func() {}, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, "", nil, err
	}
	l, ctx, err := dist.StartLocal(ctx, url, workers, exe)
	if err != nil {
		return nil, "", nil, err
	}
	return ctx, l.URL, l.Stop, nil
}

// shardRunner returns the runner of a sharded audit's shards on the
// workers of the engine at url; at least 2 shards a worker when the
// workers are local, else the node budget (--shards auto) unless the
// user set --shards or --shard-nodes.
func shardRunner(ctx context.Context, e *env, url, out string, so *study.ShardOptions, workers int, quiet bool) (context.Context, func(), error) {
	if !so.Enabled() {
		so.Nodes, so.Shards = study.DefaultShardNodes, 2*workers
	}
	ctx, url, stop, err := startDistributed(ctx, url, workers)
	if err != nil {
		return nil, nil, err
	}
	eng, err := dist.OpenEnv(ctx, url, version, "coordinator")
	if err != nil {
		stop()
		return nil, nil, err
	}
	started, progress := distProgress(e, url, quiet)
	so.Runner = &dist.Shards{E: eng, Name: out, Started: started, Progress: progress}
	return ctx, func() { eng.Close(); stop() }, nil
}

// distProgress returns the callbacks that print a distributed run's id
// and its progress lines.
func distProgress(e *env, url string, quiet bool) (func(string, int), func(dist.Progress)) {
	last := ""
	return func(run string, n int) {
			fmt.Fprintf(e.stderr, "运行 / run %s: %d tasks on %s (status: lifecircle worker --nats %s --status %s)\n", run, n, url, url, run)
		}, func(p dist.Progress) {
			if line := p.String(); !quiet && line != last {
				fmt.Fprintln(e.stderr, line)
				last = line
			}
		}
}
