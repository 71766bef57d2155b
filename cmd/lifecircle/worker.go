package main

import (
	"context"

	"github.com/lifecircle/lifecircle/data/dist"
	"github.com/lifecircle/lifecircle/data/postgis"
	"github.com/lifecircle/lifecircle/data/study"
)

func init() {
	register("worker", "run distributed tasks from NATS JetStream (分布式工作进程)", runWorker)
}

func runWorker(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("worker", "--nats URL [--db URL] [--concurrency N] | --nats URL --status RUN",
		"Pulls batch and proposal tasks from NATS JetStream and runs them (see data/dist and deploy/); SIGTERM gives the current task back.", e.stderr)
	url := fs.String("nats", "", "NATS server with JetStream, e.g. nats://127.0.0.1:4222 (required)")
	conc := fs.Int("concurrency", 1, "tasks run at once")
	status := fs.String("status", "", "print the state of run RUN (pending, running, done, failed with errors) and exit")
	dbURL := fs.String("db", "", "PostgreSQL/PostGIS URL: also store each batch entry's run in the project of the entry's name, once per task (团队模式)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *url == "" || *conc < 1 {
		return usagef("worker needs --nats URL (e.g. nats://127.0.0.1:4222) and --concurrency ≥ 1")
	}
	eng, err := dist.OpenEnv(ctx, *url, version, "worker")
	if err != nil {
		return err
	}
	defer eng.Close()
	if *status == "" {
		w := &dist.Worker{E: eng, Concurrency: *conc, Log: e.log}
		if *dbURL != "" {
			db, err := postgis.Open(ctx, *dbURL)
			if err != nil {
				return err
			}
			defer db.Close()
			w.DB = study.TaskRuns{S: db}
		}
		return w.Run(ctx)
	}
	man, states, err := dist.Status(ctx, eng, *status)
	if err == nil {
		dist.WriteStatus(e.stdout, man, states)
	}
	return err
}
