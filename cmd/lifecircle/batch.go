package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/planner"
)

// runBatch runs every entry of a batch file into out/<name>/, one after
// the other, going on past entries that fail, and writes
// batch_summary.csv and batch_summary.json into out. It returns a runtime
// error naming the failed entries (exit 1), else a checkError when an
// entry broke a rule or threshold (exit 3).
func runBatch(ctx context.Context, e *env, fs *flag.FlagSet, path, out string, failBelow failBelowFlag, quiet bool) error {
	out, entries, err := readBatch(fs, path, out)
	if err != nil {
		return err
	}
	p := newProgress(e.stderr, quiet)
	rows := make([]data.BatchRow, 0, len(entries))
	var typeOrder []string
	seenType := map[string]bool{}
	start := time.Now()
	for i, en := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.Step(fmt.Sprintf("batch %d/%d %s", i+1, len(entries), en.Name))
		p.Update(int64(i), int64(len(entries)))
		row, types := runBatchRow(ctx, en, out, failBelow)
		for _, t := range types {
			if !seenType[t] {
				seenType[t] = true
				typeOrder = append(typeOrder, t)
			}
		}
		rows = append(rows, row)
		switch row.Status {
		case data.BatchFailed:
			p.Done("FAILED: %s", row.Error)
		case data.BatchBroken:
			p.Done("%.0f residents, completeness %.1f%%; %d of %d rules broken", *row.Population, 100**row.Completeness, row.RulesBroken, row.RulesChecked)
		default:
			p.Done("%.0f residents, completeness %.1f%%", *row.Population, 100**row.Completeness)
		}
	}
	p.Update(int64(len(entries)), int64(len(entries)))

	var nOK, nBroken, nFailed int
	for _, r := range rows {
		switch r.Status {
		case data.BatchOK:
			nOK++
		case data.BatchBroken:
			nBroken++
		case data.BatchFailed:
			nFailed++
		}
	}
	summary := map[string]any{
		"batch": path, "created": time.Now().UTC().Format(time.RFC3339), "lifecircle": version,
		"entries": rows, "ok": nOK, "broken": nBroken, "failed": nFailed,
		"elapsed_s": math.Round(time.Since(start).Seconds()*100) / 100, "attribution": data.Attribution,
	}
	if err := writeBatchSummary(out, rows, typeOrder, summary); err != nil {
		return err
	}
	printBatchTable(e.stdout, rows)
	fmt.Fprintf(e.stderr, "batch done in %.1fs: %d ok, %d with broken rules, %d failed → %s. %s\n",
		time.Since(start).Seconds(), nOK, nBroken, nFailed, filepath.Join(out, "batch_summary.csv"), data.Attribution)
	if nFailed > 0 {
		var why []string
		for _, r := range rows {
			if r.Status == data.BatchFailed {
				why = append(why, fmt.Sprintf("%s (%s)", r.Name, truncate(r.Error, 160)))
			}
		}
		return fmt.Errorf("%d of %d batch entries failed: %s — the other entries completed; see batch_summary.csv",
			nFailed, len(rows), strings.Join(why, "; "))
	}
	if nBroken > 0 {
		var names []string
		for _, r := range rows {
			if r.Status == data.BatchBroken {
				names = append(names, r.Name)
			}
		}
		return checkError{fmt.Sprintf("%d of %d batch entries broke a provision rule or --fail-below threshold: %s — see each entry's rules.csv",
			nBroken, len(rows), strings.Join(names, ", "))}
	}
	return nil
}

// readBatch refuses the flags a batch does not take, reads the batch file
// and makes the output folder (--out, else the file's out:).
func readBatch(fs *flag.FlagSet, path, out string) (string, []data.BatchEntry, error) {
	allowed := map[string]bool{"batch": true, "out": true, "quiet": true, "fail-below": true}
	var bad []string
	fs.Visit(func(f *flag.Flag) {
		if !allowed[f.Name] {
			bad = append(bad, "--"+f.Name)
		}
	})
	if len(bad) > 0 {
		return "", nil, usagef("--batch takes its inputs from the batch file; %s cannot be given with it (only --out, --fail-below and --quiet)", strings.Join(bad, ", "))
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

// runBatchRow audits one entry into out/<name>/ and returns its row and
// its types in profile order.
func runBatchRow(ctx context.Context, en data.BatchEntry, out string, failBelow failBelowFlag) (data.BatchRow, []string) {
	t0 := time.Now()
	row := data.BatchRow{Name: en.Name, Out: filepath.Join(out, en.Name), Coverage: map[string]float64{}, BrokenRules: []string{}}
	res, prof, err := runBatchEntry(ctx, en, row.Out, failBelow)
	row.ElapsedSecond = math.Round(time.Since(t0).Seconds()*100) / 100
	if err != nil {
		row.Status, row.Error, row.Out = data.BatchFailed, oneLine(err), ""
		return row, nil
	}
	var types []string
	row.Status = data.BatchOK
	row.Population, row.Completeness, row.FullyServed = ptr(res.Population), ptr(round4(res.Completeness)), ptr(round4(res.FullyServed))
	for _, t := range res.Types {
		row.Coverage[t.ID] = round4(t.Coverage)
		types = append(types, t.ID)
	}
	row.RulesChecked = len(res.Rules)
	row.RulesBroken = planner.BrokenRules(res.Rules)
	for _, c := range res.Rules {
		if c.Broken() {
			row.BrokenRules = append(row.BrokenRules, c.Text.En)
		}
	}
	if row.RulesBroken > 0 {
		row.Status = data.BatchBroken
	}
	row.Profile = prof
	return row, types
}

// writeBatchSummary writes batch_summary.csv and batch_summary.json.
func writeBatchSummary(out string, rows []data.BatchRow, typeOrder []string, summary map[string]any) error {
	if err := data.WriteFileAtomic(filepath.Join(out, "batch_summary.csv"), func(w io.Writer) error {
		return data.WriteBatchCSV(w, rows, typeOrder)
	}); err != nil {
		return fmt.Errorf("write batch_summary.csv: %w", err)
	}
	if err := data.WriteFileAtomic(filepath.Join(out, "batch_summary.json"), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(summary)
	}); err != nil {
		return fmt.Errorf("write batch_summary.json: %w", err)
	}
	return nil
}

// runBatchEntry audits one entry into dir with the audit's defaults under
// the entry's project settings.
func runBatchEntry(ctx context.Context, en data.BatchEntry, dir string, failBelow failBelowFlag) (res *planner.AuditResult, profile string, err error) {
	if en.Err != nil {
		return nil, "", en.Err
	}
	defer func() {
		// A bug in one entry must not lose the others' results.
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error (please report): %v", r)
		}
	}()
	s := study.Defaults()
	if len(failBelow) > 0 {
		s.SetFlags(study.Settings{FailBelow: failBelow}, []string{"fail-below"})
	}
	for _, pr := range en.Projects {
		s.Overlay(pr)
	}
	s.Out = dir
	st, res, err := auditFiles(ctx, s, "", outputFlags{}, newProgress(io.Discard, true))
	if err != nil {
		return nil, "", err
	}
	return res, st.In.Profile.ID, nil
}

func ptr(x float64) *float64 { return &x }

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// oneLine returns err's message on one line.
func oneLine(err error) string {
	msg := err.Error()
	if errors.Is(err, study.ErrInvalid) {
		msg = "bad settings: " + msg
	}
	return strings.Join(strings.Fields(msg), " ")
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
