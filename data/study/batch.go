package study

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
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
	b := NewBatch(o.File, o.Out, len(entries))
	start := time.Now()
	for i, en := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if o.Entry != nil {
			o.Entry(i, len(entries), en)
		}
		row := b.Add(batchRow(ctx, en, o))
		if o.Row != nil {
			o.Row(row)
		}
	}
	b.Elapsed = time.Since(start)
	if err := b.Write(o.Version); err != nil {
		return nil, err
	}
	return b, nil
}

// NewBatch returns an empty batch of file's entries written into out.
func NewBatch(file, out string, n int) *Batch {
	return &Batch{Rows: make([]data.BatchRow, 0, n), BatchFile: file, OutFolder: out}
}

// Add appends an entry's row and its types (see AuditEntry) and counts
// it; it returns the row.
func (b *Batch) Add(row data.BatchRow, types []string) data.BatchRow {
	for _, t := range types {
		if !slices.Contains(b.Types, t) {
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
	return row
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
	s, err := EntrySettings(en, o.FailBelow)
	dir := filepath.Join(o.Out, en.Name)
	return AuditEntry(ctx, en.Name, s, err, dir, dir, o.Version)
}

// EntrySettings returns the settings a batch entry runs with: the
// audit's defaults, failBelow (--fail-below), then the entry's project
// file and keys. The error is the entry's own (its project file could
// not be read).
func EntrySettings(en data.BatchEntry, failBelow map[string]float64) (Settings, error) {
	s := Defaults()
	if en.Err != nil {
		return s, en.Err
	}
	if len(failBelow) > 0 {
		s.SetFlags(Settings{FailBelow: failBelow}, []string{"fail-below"})
	}
	for _, pr := range en.Projects {
		s.Overlay(pr)
	}
	return s, nil
}

// AuditEntry audits the batch entry name with settings s into dir and
// returns its row and its types in profile order; settingsErr (from
// EntrySettings) makes it a failed row at once. The row names out as the
// entry's folder: dir itself locally, the coordinator's folder when a
// worker of a distributed batch (data/dist) runs it. An entry whose audit
// fails is a failed row, not an error.
func AuditEntry(ctx context.Context, name string, s Settings, settingsErr error, dir, out, version string) (data.BatchRow, []string) {
	row, types, _, _ := AuditEntryStudy(ctx, name, s, settingsErr, dir, out, version)
	return row, types
}

// AuditEntryStudy is AuditEntry that also returns the entry's study and
// result (nil when the entry failed): what a worker with --db stores in
// the database.
func AuditEntryStudy(ctx context.Context, name string, s Settings, settingsErr error, dir, out, version string) (data.BatchRow, []string, *Study, *planner.AuditResult) {
	t0 := time.Now()
	row := data.BatchRow{Name: name, Out: out, Coverage: map[string]float64{}, BrokenRules: []string{}}
	st, res, prof, err := batchEntry(ctx, s, settingsErr, dir, version)
	row.ElapsedSecond = math.Round(time.Since(t0).Seconds()*100) / 100
	if err != nil {
		row.Status, row.Error, row.Out = data.BatchFailed, oneLine(err), ""
		return row, nil, nil, nil
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
	return row, types, st, res
}

// batchEntry audits one entry with settings s into dir.
func batchEntry(ctx context.Context, s Settings, settingsErr error, dir, version string) (st *Study, res *planner.AuditResult, profile string, err error) {
	if settingsErr != nil {
		return nil, nil, "", settingsErr
	}
	defer func() {
		// A bug in one entry must not lose the others' results.
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error (please report): %v", r)
		}
	}()
	s.Out = dir
	if st, err = Load(ctx, s, FileSource{}, NoProgress{}); err != nil {
		return nil, nil, "", err
	}
	st.Meta.Version = version
	if res, err = Run(ctx, st); err != nil {
		return nil, nil, "", err
	}
	if err := st.Write(s.Out, res); err != nil {
		return nil, nil, "", err
	}
	return st, res, st.In.Profile.ID, nil
}

// Write writes batch_summary.csv and batch_summary.json into the batch's
// output folder.
func (b *Batch) Write(version string) error {
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
