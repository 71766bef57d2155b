package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/lifecircle/lifecircle/data/dist"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/planner"
)

// proposeScale are propose's flags for a region too big for one search
// pass: --shards / --shard-nodes compute the coverage sets shard by shard
// in this process, --distributed on the workers of a NATS JetStream
// engine; the covering solver runs once, here, on the merged sets.
type proposeScale struct {
	shards     string
	shardNodes int
	nats       string
}

func (s *proposeScale) register(fs *flag.FlagSet) {
	fs.StringVar(&s.shards, "shards", "", "compute the coverage sets in square shards with exact halos: auto (by --shard-nodes) or at least N shards")
	fs.IntVar(&s.shardNodes, "shard-nodes", 0, fmt.Sprintf("network nodes per shard, core and halo (default %d with --shards auto)", study.DefaultShardNodes))
	fs.StringVar(&s.nats, "distributed", "", "compute the coverage sets' shards on `lifecircle worker`s through NATS JetStream at URL (nats://HOST:4222)")
}

// options reads the shard flags (--distributed alone: the default node
// budget).
func (s *proposeScale) options() (study.ShardOptions, error) {
	shards := s.shards
	if s.nats != "" && shards == "" && s.shardNodes == 0 {
		shards = "auto"
	}
	o, err := study.ParseShards(shards, s.shardNodes)
	if err != nil {
		return o, usagef("%v", err)
	}
	return o, nil
}

// propose solves in at once, in shards, or on the engine's workers.
func (s *proposeScale) propose(ctx context.Context, e *env, st *study.Study, in planner.ProposeInput, p *progress) (*planner.ProposeResult, error) {
	o, err := s.options()
	if err != nil {
		return nil, err
	}
	switch {
	case s.nats != "":
		return proposeDist(ctx, e, s.nats, st, in, o, p)
	case o.Enabled():
		o.Parallel = 1
		res, stats, err := st.ProposeSharded(ctx, in, o)
		if err == nil {
			p.Done("coverage sets in %d shards, solved once: %d candidates, %d sites", len(stats), len(res.Candidates), len(res.Sites))
		}
		return res, err
	}
	return planner.Propose(ctx, in)
}

// proposeDist runs the proposal's shards on the workers of the engine at
// url, printing the run's progress, and solves it here.
func proposeDist(ctx context.Context, e *env, url string, st *study.Study, in planner.ProposeInput, o study.ShardOptions, p *progress) (*planner.ProposeResult, error) {
	eng, err := dist.OpenEnv(ctx, url, version, "coordinator")
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	last := ""
	res, err := dist.RunPropose(ctx, eng, st, in, dist.ProposeOptions{Shards: o,
		Started: func(run string, n int) {
			fmt.Fprintf(e.stderr, "运行 / run %s: %d coverage tasks on %s (status: lifecircle worker --nats %s --status %s)\n", run, n, url, url, run)
		},
		Progress: func(pr dist.Progress) {
			if line := pr.String(); !p.quiet && line != last {
				fmt.Fprintln(e.stderr, line)
				last = line
			}
		},
	})
	if err == nil {
		p.Done("coverage sets on the workers, solved once: %d candidates, %d sites", len(res.Candidates), len(res.Sites))
	}
	return res, err
}
