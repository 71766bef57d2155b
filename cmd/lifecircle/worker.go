package main

import (
	"context"
	"fmt"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/dist"
	"github.com/lifecircle/lifecircle/data/study"
)

func init() {
	register("worker", "run distributed tasks from NATS JetStream (分布式工作进程)", runWorker)
}

func runWorker(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("worker", "--nats URL [--concurrency N] | --nats URL --status RUN",
		"Pulls batch tasks from NATS JetStream and runs them (see data/dist and deploy/); SIGTERM gives the current task back.", e.stderr)
	url := fs.String("nats", "", "NATS server with JetStream, e.g. nats://127.0.0.1:4222 (required)")
	conc := fs.Int("concurrency", 1, "tasks run at once")
	status := fs.String("status", "", "print the state of run RUN (pending, running, done, failed with errors) and exit")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *url == "" || *conc < 1 {
		return usagef("worker needs --nats URL (e.g. nats://127.0.0.1:4222) and --concurrency ≥ 1")
	}
	eng, err := openEngine(ctx, *url, "worker")
	if err != nil {
		return err
	}
	defer eng.Close()
	if *status == "" {
		return (&dist.Worker{E: eng, Concurrency: *conc, Log: e.log}).Run(ctx)
	}
	man, states, err := dist.Status(ctx, eng, *status)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "运行 / run %s (lifecircle %s, %s): %s; %s\n", man.Run, man.Version, man.State, dist.Counts(states), man.Error)
	for _, s := range states {
		fmt.Fprintf(e.stdout, "  %s %-24s %-8s attempt %d %s %s %s\n", s.Task, s.Name, s.State, s.Attempt, s.Worker, s.Row, s.Error)
	}
	return nil
}

func openEngine(ctx context.Context, url, name string) (*dist.Engine, error) {
	cfg, err := dist.ConfigFromEnv(url, version)
	if err != nil {
		return nil, err
	}
	return dist.Open(ctx, cfg, name)
}

// runBatchDist runs a batch on the workers of the engine at url, printing
// its progress.
func runBatchDist(ctx context.Context, e *env, url string, entries []data.BatchEntry, o study.BatchOptions, quiet bool) (*study.Batch, error) {
	eng, err := openEngine(ctx, url, "coordinator")
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	last := ""
	return dist.RunBatch(ctx, eng, entries, dist.BatchOptions{BatchOptions: o,
		Started: func(run string, n int) {
			fmt.Fprintf(e.stderr, "运行 / run %s: %d tasks on %s (status: lifecircle worker --nats %s --status %s)\n", run, n, url, url, run)
		},
		Progress: func(p dist.Progress) {
			line := fmt.Sprintf("任务 / tasks %d/%d done, %d running, %d workers seen, %d redeliveries", p.Done, p.Total, p.Running, p.Workers, p.Redeliveries)
			if p.Note != "" {
				line += "; " + p.Note
			}
			if !quiet && line != last {
				fmt.Fprintln(e.stderr, line)
			}
			last = line
		},
	})
}
