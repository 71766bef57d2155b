package study

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
)

// Batch is the outcome of RunBatch: one row per entry, in the batch file's
// order, and the type ids in the order they first appeared.
type Batch struct {
	Rows                 []data.BatchRow
	Types                []string
	OK, Broken, Failed   int
	Elapsed              time.Duration
	BatchFile, OutFolder string
}

// BatchOptions are what RunBatch takes besides the entries.
type BatchOptions struct {
	// File is the batch file's path (recorded in batch_summary.json).
	File string
	// Out is the folder each entry is written into (Out/<name>/).
	Out string
	// FailBelow is --fail-below TYPE=SHARE, applied to every entry.
	FailBelow map[string]float64
	// Version is the program version recorded in every output.
	Version string
	// Progress is told about each entry; nil reports nothing.
	Progress Progress
	// Entry is called before entry i of n starts (may be nil).
	Entry func(i, n int, en data.BatchEntry)
	// Row is called after each entry with its row (may be nil).
	Row func(row data.BatchRow)
}

// RunBatch audits every entry into o.Out/<name>/, one after the other,
// going on past entries that fail, and writes batch_summary.csv and
// batch_summary.json into o.Out. It returns an error only when the
// context ends or the summary cannot be written; failed entries are rows.
func RunBatch(ctx context.Context, entries []data.BatchEntry, o BatchOptions) (*Batch, error) {
	b := &Batch{Rows: make([]data.BatchRow, 0, len(entries)), BatchFile: o.File, OutFolder: o.Out}
	seen := map[string]bool{}
	start := time.Now()
	for i, en := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if o.Entry != nil {
			o.Entry(i, len(entries), en)
		}
		row, types := batchRow(ctx, en, o)
		for _, t := range types {
			if !seen[t] {
				seen[t] = true
				b.Types = append(b.Types, t)
			}
		}
		b.Rows = append(b.Rows, row)
		switch row.Status {
		case data.BatchOK:
			b.OK++
		case data.BatchBroken:
			b.Broken++
		case data.BatchFailed:
			b.Failed++
		}
		if o.Row != nil {
			o.Row(row)
		}
	}
	b.Elapsed = time.Since(start)
	if err := b.write(o.Version); err != nil {
		return nil, err
	}
	return b, nil
}

// Names returns the names of the rows with status, each followed by its
// error (cut to 160 characters) when it has one.
func (b *Batch) Names(status string) []string {
	var names []string
	for _, r := range b.Rows {
		if r.Status != status {
			continue
		}
		if r.Error != "" {
			names = append(names, fmt.Sprintf("%s (%s)", r.Name, cut(r.Error, 160)))
		} else {
			names = append(names, r.Name)
		}
	}
	return names
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// batchRow audits one entry into o.Out/<name>/ and returns its row and its
// types in profile order.
func batchRow(ctx context.Context, en data.BatchEntry, o BatchOptions) (data.BatchRow, []string) {
	t0 := time.Now()
	row := data.BatchRow{Name: en.Name, Out: filepath.Join(o.Out, en.Name), Coverage: map[string]float64{}, BrokenRules: []string{}}
	res, prof, err := batchEntry(ctx, en, row.Out, o)
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

// batchEntry audits one entry into dir with the audit's defaults under the
// entry's project settings.
func batchEntry(ctx context.Context, en data.BatchEntry, dir string, o BatchOptions) (res *planner.AuditResult, profile string, err error) {
	if en.Err != nil {
		return nil, "", en.Err
	}
	defer func() {
		// A bug in one entry must not lose the others' results.
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error (please report): %v", r)
		}
	}()
	s := Defaults()
	if len(o.FailBelow) > 0 {
		s.SetFlags(Settings{FailBelow: o.FailBelow}, []string{"fail-below"})
	}
	for _, pr := range en.Projects {
		s.Overlay(pr)
	}
	s.Out = dir
	st, err := Load(ctx, s, FileSource{}, NoProgress{})
	if err != nil {
		return nil, "", err
	}
	st.Meta.Version = o.Version
	if res, err = Run(ctx, st); err != nil {
		return nil, "", err
	}
	if err := st.Write(s.Out, res); err != nil {
		return nil, "", err
	}
	return res, st.In.Profile.ID, nil
}

// write writes batch_summary.csv and batch_summary.json.
func (b *Batch) write(version string) error {
	summary := map[string]any{
		"batch": b.BatchFile, "created": time.Now().UTC().Format(time.RFC3339), "lifecircle": version,
		"entries": b.Rows, "ok": b.OK, "broken": b.Broken, "failed": b.Failed,
		"elapsed_s": math.Round(b.Elapsed.Seconds()*100) / 100, "attribution": data.Attribution,
	}
	if err := data.WriteFileAtomic(filepath.Join(b.OutFolder, "batch_summary.csv"), func(w io.Writer) error {
		return data.WriteBatchCSV(w, b.Rows, b.Types)
	}); err != nil {
		return fmt.Errorf("write batch_summary.csv: %w", err)
	}
	if err := data.WriteFileAtomic(filepath.Join(b.OutFolder, "batch_summary.json"), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(summary)
	}); err != nil {
		return fmt.Errorf("write batch_summary.json: %w", err)
	}
	return nil
}

func ptr(x float64) *float64 { return &x }

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// oneLine returns err's message on one line.
func oneLine(err error) string {
	msg := err.Error()
	if errors.Is(err, ErrInvalid) {
		msg = "bad settings: " + msg
	}
	return strings.Join(strings.Fields(msg), " ")
}
