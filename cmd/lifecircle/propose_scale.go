package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/lifecircle/lifecircle/data/dist"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/planner"
)

// proposeScale are propose's flags for big regions (dist.Propose).
type proposeScale struct {
	shards, nats string
	shardNodes   int
}

func (s *proposeScale) register(fs *flag.FlagSet) {
	fs.StringVar(&s.shards, "shards", "", "compute the coverage sets in square shards with exact halos: auto (by --shard-nodes) or at least N shards")
	fs.IntVar(&s.shardNodes, "shard-nodes", 0, fmt.Sprintf("network nodes per shard, core and halo (default %d with --shards auto)", study.DefaultShardNodes))
	fs.StringVar(&s.nats, "distributed", "", "compute the coverage sets' shards on `lifecircle worker`s through NATS JetStream at URL (nats://HOST:4222)")
}

func (s *proposeScale) propose(ctx context.Context, e *env, st *study.Study, in planner.ProposeInput, p *progress) (*planner.ProposeResult, error) {
	if s.nats != "" && s.shards == "" && s.shardNodes == 0 {
		s.shards = "auto" // the default node budget
	}
	o, err := study.ParseShards(s.shards, s.shardNodes)
	if err != nil {
		return nil, usagef("%v", err)
	}
	sc := dist.Scale{URL: s.nats, Version: version, Shards: o, Log: e.stderr}
	if p.quiet {
		sc.Log = nil
	}
	return dist.Propose(ctx, sc, st, in)
}
