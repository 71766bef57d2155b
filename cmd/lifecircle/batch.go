package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/dist"
	"github.com/lifecircle/lifecircle/data/study"
)

// runBatch runs every entry of a batch file into out/<name>/ (see
// study.RunBatch) and prints its table. It returns a runtime error naming
// the failed entries (exit 1), else a checkError when an entry broke a
// rule or threshold (exit 3).
func runBatch(ctx context.Context, e *env, fs *flag.FlagSet, path, out, natsURL string, workers int, failBelow failBelowFlag, quiet bool) error {
	out, entries, err := readBatch(fs, path, out)
	if err != nil {
		return err
	}
	p := newProgress(e.stderr, quiet)
	run := study.RunBatch
	if natsURL != "" || workers > 0 { // data/dist: the same batch on NATS JetStream workers
		run = func(ctx context.Context, entries []data.BatchEntry, o study.BatchOptions) (*study.Batch, error) {
			return dist.RunBatchAt(ctx, natsURL, workers, version, entries, o, e.stderr, quiet)
		}
	}
	b, err := run(ctx, entries, study.BatchOptions{
		File: path, Out: out, FailBelow: failBelow, Version: version,
		Entry: func(i, n int, en data.BatchEntry) {
			p.Step(fmt.Sprintf("batch %d/%d %s", i+1, n, en.Name))
			p.Update(int64(i), int64(n))
		},
		Row: func(row data.BatchRow) {
			switch row.Status {
			case data.BatchFailed:
				p.Done("FAILED: %s", row.Error)
			case data.BatchBroken:
				p.Done("%.0f residents, completeness %.1f%%; %d of %d rules broken", *row.Population, 100**row.Completeness, row.RulesBroken, row.RulesChecked)
			default:
				p.Done("%.0f residents, completeness %.1f%%", *row.Population, 100**row.Completeness)
			}
		},
	})
	if err != nil {
		return err
	}
	p.Update(int64(len(entries)), int64(len(entries)))
	printBatchTable(e.stdout, b.Rows)
	fmt.Fprintf(e.stderr, "batch done in %.1fs: %d ok, %d with broken rules, %d failed → %s. %s\n",
		b.Elapsed.Seconds(), b.OK, b.Broken, b.Failed, filepath.Join(out, "batch_summary.csv"), data.Attribution)
	if b.Failed > 0 {
		return fmt.Errorf("%d of %d batch entries failed: %s — the other entries completed; see batch_summary.csv",
			b.Failed, len(b.Rows), strings.Join(b.Names(data.BatchFailed), "; "))
	}
	if b.Broken > 0 {
		return checkError{fmt.Sprintf("%d of %d batch entries broke a provision rule or --fail-below threshold: %s — see each entry's rules.csv",
			b.Broken, len(b.Rows), strings.Join(b.Names(data.BatchBroken), ", "))}
	}
	return nil
}

// readBatch refuses the flags a batch does not take, reads the batch file
// and makes the output folder (--out, else the file's out:).
func readBatch(fs *flag.FlagSet, path, out string) (string, []data.BatchEntry, error) {
	allowed := map[string]bool{"batch": true, "out": true, "quiet": true, "fail-below": true, "distributed": true, "workers": true}
	var bad []string
	fs.Visit(func(f *flag.Flag) {
		if !allowed[f.Name] {
			bad = append(bad, "--"+f.Name)
		}
	})
	if len(bad) > 0 {
		return "", nil, usagef("--batch takes its inputs from the batch file; %s cannot be given with it (only --out, --fail-below, --distributed, --workers and --quiet)", strings.Join(bad, ", "))
	}
	fileOut, entries, err := data.ReadBatch(path)
	if err != nil {
		return "", nil, err
	}
	if out == "" {
		out = fileOut
	}
	if out == "" {
		return "", nil, usagef("--out DIR is required with --batch (or out: in the batch file): each entry is written to DIR/<name>/")
	}
	if st, err := os.Stat(out); err == nil && !st.IsDir() {
		return "", nil, fmt.Errorf("batch output %s exists and is a file — choose a folder", out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", nil, fmt.Errorf("batch: %w", err)
	}
	return out, entries, nil
}

func printBatchTable(w io.Writer, rows []data.BatchRow) {
	fmt.Fprintf(w, "\n批量体检 / Batch audit: %d entries\n", len(rows))
	fmt.Fprintf(w, "%s %s %12s %13s %8s  %s\n", pad("name", 24), pad("status", 8), "residents", "completeness", "broken", "error")
	for _, r := range rows {
		pop, comp, broken := "", "", ""
		if r.Population != nil {
			pop = strconv.FormatFloat(*r.Population, 'f', 0, 64)
			comp = strconv.FormatFloat(100**r.Completeness, 'f', 1, 64) + "%"
			broken = fmt.Sprintf("%d/%d", r.RulesBroken, r.RulesChecked)
		}
		fmt.Fprintf(w, "%s %s %12s %13s %8s  %s\n", pad(truncate(r.Name, 24), 24), pad(r.Status, 8), pop, comp, broken, truncate(r.Error, 100))
	}
}
