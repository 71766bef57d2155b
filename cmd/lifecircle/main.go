package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/lifecircle/lifecircle/data"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"syscall"

	"github.com/lifecircle/lifecircle/data/study"
)

// Exit codes (DESIGN §4).
const (
	exitOK       = 0
	exitRuntime  = 1
	exitUsage    = 2
	exitCheckBad = 3
)

// env carries what every verb needs; no globals.
type env struct {
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

// A verb runs one sub-command. It returns an error; study.ErrInvalid
// (usagef) and checkError select exit codes 2 and 3.
type verb struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// verbs is filled by each verb file's init function.
var verbs = map[string]verb{}

func register(name, summary string, run func(ctx context.Context, e *env, args []string) error) {
	verbs[name] = verb{summary: summary, run: run}
}

// usagef returns an error for bad flags, arguments or settings (exit 2):
// it wraps study.ErrInvalid, as the settings' own errors do.
func usagef(format string, a ...any) error { return study.Invalidf(format, a...) }

// checkError marks an audit that ran but failed a --fail-below or rule check (exit 3).
type checkError struct{ msg string }

func (c checkError) Error() string { return c.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// LIFECIRCLE_CPUPROFILE=FILE writes a CPU profile, for BENCHMARKS.md work.
	if path := os.Getenv("LIFECIRCLE_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	if len(os.Args) > 1 {
		exitOnInterrupt(ctx, os.Args[1], os.Stderr)
	}
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	data.WaitOSMCache() // an extract's cache entry still being written
	pprof.StopCPUProfile()
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{
		stdout: stdout,
		stderr: stderr,
		log:    slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	v, ok := verbs[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "lifecircle: unknown command %q (see lifecircle -h)\n", args[0])
		return exitUsage
	}
	err := v.run(ctx, e, args[1:])
	if err == nil {
		return exitOK
	}
	var ce checkError
	switch {
	case ctx.Err() != nil && args[0] != "serve" && !errors.As(err, &ce):
		fmt.Fprintf(stderr, interrupted, args[0], "")
		return 130
	case errors.Is(err, study.ErrInvalid):
		fmt.Fprintf(stderr, "lifecircle %s: %v\n", args[0], err)
		return exitUsage
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "lifecircle %s: %v\n", args[0], err)
		return exitCheckBad
	case errors.Is(err, errHelp):
		return exitOK
	default:
		fmt.Fprintf(stderr, "lifecircle %s: %v\n", args[0], err)
		return exitRuntime
	}
}

// errHelp is returned by a verb that printed its -h text.
var errHelp = errors.New("help requested")

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "lifecircle — walkable access to everyday amenities (15分钟社区生活圈 / 15-minute city)")
	fmt.Fprintln(w, "\nUsage: lifecircle <command> [flags]   (lifecircle <command> -h for details)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(verbs))
	for n := range verbs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, verbs[n].summary)
	}
	fmt.Fprintln(w, "\nWhat an extract gave (its walk network, facilities, buildings) is kept in ~/.cache/lifecircle/osm\n"+
		"and loaded by the next run on the same file (提取缓存; LIFECIRCLE_CACHE=off: none; LIFECIRCLE_CACHE_DIR: elsewhere).")
	fmt.Fprintln(w, "\nMap data © OpenStreetMap contributors (ODbL).")
}
