package main

import (
	"context"

	"github.com/lifecircle/lifecircle/data/dist"
	"github.com/lifecircle/lifecircle/data/study"
)

// shardRunner sets so to run a sharded audit on the workers at url (or N
// local ones, see dist.NewShards): at least 2 shards a local worker, else
// the node budget, unless the user set --shards or --shard-nodes.
func shardRunner(ctx context.Context, e *env, url, out string, so *study.ShardOptions, workers int, quiet bool) (context.Context, func(), error) {
	if !so.Enabled() {
		so.Nodes, so.Shards = study.DefaultShardNodes, 2*workers
	}
	r, ctx, stop, err := dist.NewShards(ctx, url, workers, version, out, e.stderr, quiet)
	if err == nil {
		so.Runner = r
	}
	return ctx, stop, err
}
