package dist

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/nats-io/nats-server/v2/server"
)

// A Local is what `audit --workers N` starts on this machine: N worker
// processes of this binary, and, without --distributed, an embedded NATS
// server with JetStream (file storage in a temporary folder, on a free
// port of 127.0.0.1) for them and the coordinator.
type Local struct {
	URL   string // the NATS server the workers and the coordinator use
	srv   *server.Server
	dir   string
	procs []*exec.Cmd
	logs  []*bytes.Buffer
	mu    sync.Mutex // guards logs
	left  chan struct{}
}

// StartLocal starts n workers (`exe worker --nats URL`, with the
// environment of this process and each its share of the cores, workerEnv)
// on the server at url, or on an embedded
// server it starts when url is "". The context it returns ends, with an
// error naming the cause and the end of the workers' logs, when every
// worker has stopped: a run on them could never finish. Stop stops them
// and the server.
func StartLocal(ctx context.Context, url string, n int, exe string) (*Local, context.Context, error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("--workers %d: start at least one local worker", n)
	}
	l := &Local{URL: url, left: make(chan struct{})}
	if url == "" {
		if err := l.startServer(); err != nil {
			return nil, nil, err
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	var wg sync.WaitGroup
	for i := range n {
		cmd := exec.Command(exe, "worker", "--nats", l.URL)
		cmd.Env = workerEnv(os.Environ(), n)
		log := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = l.writer(log), l.writer(log)
		if err := cmd.Start(); err != nil {
			cancel(nil)
			l.Stop()
			return nil, nil, fmt.Errorf("start local worker %d (%s worker): %w", i+1, exe, err)
		}
		l.procs, l.logs = append(l.procs, cmd), append(l.logs, log)
		wg.Add(1)
		go func() { defer wg.Done(); _ = cmd.Wait() }()
	}
	go func() {
		wg.Wait()
		close(l.left)
		cancel(fmt.Errorf("all %d local workers stopped — their logs end:\n%s", n, l.tail(8)))
	}()
	return l, ctx, nil
}

// workerEnv is the environment of one of n local workers: env, and, unless
// env sets GOMAXPROCS, GOMAXPROCS = this process's cores ÷ n (at least
// 1), as a worker pod with a CPU limit gets: n workers on one machine
// then share its cores instead of each running its searches on all of
// them (and each holds searchers for its share only).
func workerEnv(env []string, n int) []string {
	for _, kv := range env {
		if strings.HasPrefix(kv, "GOMAXPROCS=") {
			return env
		}
	}
	return append(env, fmt.Sprintf("GOMAXPROCS=%d", max(1, runtime.GOMAXPROCS(0)/n)))
}

func (l *Local) startServer() error {
	dir, err := os.MkdirTemp("", "lifecircle-nats-")
	if err != nil {
		return err
	}
	l.dir = dir
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: dir, NoSigs: true, NoLog: true, ServerName: "lifecircle-local"})
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("embedded NATS server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		os.RemoveAll(dir)
		return errors.New("the embedded NATS server did not start within 10 s — give a server with --distributed nats://HOST:4222 / 内置 NATS 服务器未能启动")
	}
	l.srv, l.URL = srv, srv.ClientURL()
	return nil
}

// lockedWriter appends to a worker's log under the Local's lock.
type lockedWriter struct {
	l *Local
	b *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	if w.b.Len() > 1<<20 { // keep the end: what a failure needs
		w.b.Next(w.b.Len() - 1<<19)
	}
	return w.b.Write(p)
}

func (l *Local) writer(b *bytes.Buffer) lockedWriter { return lockedWriter{l, b} }

// tail returns the last lines lines of each worker's log.
func (l *Local) tail(lines int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out strings.Builder
	for i, b := range l.logs {
		ls := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
		fmt.Fprintf(&out, "worker %d:\n  %s\n", i+1, strings.Join(ls[max(0, len(ls)-lines):], "\n  "))
	}
	return out.String()
}

// Stop stops the workers (SIGTERM: each gives its task back; killed after
// 10 s) and the embedded server, and removes its folder.
func (l *Local) Stop() {
	for _, c := range l.procs {
		_ = c.Process.Signal(syscall.SIGTERM)
	}
	if len(l.procs) > 0 {
		select {
		case <-l.left:
		case <-time.After(10 * time.Second):
			for _, c := range l.procs {
				_ = c.Process.Kill()
			}
			<-l.left
		}
	}
	if l.srv != nil {
		l.srv.Shutdown()
		l.srv.WaitForShutdown()
	}
	if l.dir != "" {
		os.RemoveAll(l.dir)
	}
}

// Setup readies a coordinator on the server at url: with workers > 0 it
// starts them on this machine (StartLocal; on an embedded server when url
// is ""). It returns the server's URL, the context to run in (it ends
// when every local worker has stopped) and the function that stops them.
func Setup(ctx context.Context, url string, workers int) (context.Context, string, func(), error) {
	if workers == 0 {
		return ctx, url, func() {}, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, "", nil, err
	}
	l, ctx, err := StartLocal(ctx, url, workers, exe)
	if err != nil {
		return nil, "", nil, err
	}
	return ctx, l.URL, l.Stop, nil
}

// Printer returns the callbacks that print a run's id, and its progress
// lines unless quiet, to w.
func Printer(w io.Writer, url string, quiet bool) (func(string, int), func(Progress)) {
	last := ""
	return func(run string, n int) {
			fmt.Fprintf(w, "运行 / run %s: %d tasks on %s (status: lifecircle worker --nats %s --status %s)\n", run, n, url, url, run)
		}, func(p Progress) {
			if line := p.String(); !quiet && line != last {
				fmt.Fprintln(w, line)
				last = line
			}
		}
}

// NewShards sets so to run a sharded audit (named name) on the workers of
// the server at url, or of workers local ones (Setup), printing to w: at
// least 2 shards a local worker, else the node budget, unless so was set
// (--shards, --shard-nodes). With neither url nor workers it leaves so
// alone. It returns the context to run in and the function that closes
// the connection and stops the local workers.
func NewShards(ctx context.Context, url string, workers int, version, name string, w io.Writer, quiet bool, so *study.ShardOptions) (context.Context, func(), error) {
	if url == "" && workers == 0 {
		return ctx, func() {}, nil
	}
	if !so.Enabled() {
		so.Nodes, so.Shards = study.DefaultShardNodes, 2*workers
	}
	e, ctx, stop, err := connect(ctx, url, workers, version)
	if err != nil {
		return nil, nil, err
	}
	started, progress := Printer(w, e.URL, quiet)
	sent := func(n int, b int64, d time.Duration) {
		if !quiet {
			fmt.Fprintf(w, "分片数据 / shard parts: %d sent, %.1f MB, cut and sent in %.1fs\n", n, float64(b)/1e6, d.Seconds())
		}
	}
	so.Runner = &Shards{E: e, Name: name, Started: started, Progress: progress, Sent: sent}
	return ctx, stop, nil
}

// RunBatchAt runs a batch (RunBatch) on the workers of the server at url,
// or of workers local ones (Setup), printing its progress to w.
func RunBatchAt(ctx context.Context, url string, workers int, version string, entries []data.BatchEntry, o study.BatchOptions, w io.Writer, quiet bool) (*study.Batch, error) {
	e, ctx, stop, err := connect(ctx, url, workers, version)
	if err != nil {
		return nil, err
	}
	defer stop()
	started, progress := Printer(w, e.URL, quiet)
	return RunBatch(ctx, e, entries, BatchOptions{BatchOptions: o, Started: started, Progress: progress})
}

// connect starts the local workers (Setup) and opens the engine as the
// coordinator; stop closes it and stops them.
func connect(ctx context.Context, url string, workers int, version string) (*Engine, context.Context, func(), error) {
	ctx, url, stopLocal, err := Setup(ctx, url, workers)
	if err != nil {
		return nil, nil, nil, err
	}
	e, err := OpenEnv(ctx, url, version, "coordinator")
	if err != nil {
		stopLocal()
		return nil, nil, nil, err
	}
	return e, ctx, func() { e.Close(); stopLocal() }, nil
}
