package data

import (
	"io"
	"strings"
)

// Batch entry statuses.
const (
	BatchOK     = "ok"
	BatchBroken = "broken" // ran, but a rule or --fail-below check failed
	BatchFailed = "failed" // did not run to the end
)

// BatchRow is one entry's outcome in batch_summary.csv/.json.
type BatchRow struct {
	Name          string             `json:"name"`
	Status        string             `json:"status"`
	Error         string             `json:"error,omitempty"`
	Out           string             `json:"out"`
	Population    *float64           `json:"population"`
	Completeness  *float64           `json:"completeness"`
	FullyServed   *float64           `json:"fully_served"`
	Coverage      map[string]float64 `json:"coverage"`
	RulesChecked  int                `json:"rules_checked"`
	RulesBroken   int                `json:"rules_broken"`
	BrokenRules   []string           `json:"broken_rules"`
	DemandSource  string             `json:"demand_source,omitempty"`
	Profile       string             `json:"profile,omitempty"`
	ElapsedSecond float64            `json:"elapsed_s"`
}

// WriteBatchCSV writes batch_summary.csv: one row per entry, with a
// coverage column per type in types (as every CSV output: NewCSVWriter).
func WriteBatchCSV(w io.Writer, rows []BatchRow, types []string) error {
	c := NewCSVWriter(w)
	head := []string{"name", "status", "population", "completeness", "fully_served"}
	for _, t := range types {
		head = append(head, "coverage_"+t)
	}
	head = append(head, "rules_checked", "rules_broken", "broken_rules", "error", "out", "elapsed_s")
	c.Text(head...)
	f := func(x *float64, d int) any {
		if x == nil {
			return nil
		}
		return F(*x, d)
	}
	for _, r := range rows {
		rec := []any{r.Name, r.Status, f(r.Population, 1), f(r.Completeness, 4), f(r.FullyServed, 4)}
		for _, t := range types {
			if v, ok := r.Coverage[t]; ok {
				rec = append(rec, F(v, 4))
			} else {
				rec = append(rec, nil)
			}
		}
		var rules, broken any
		if r.Status != BatchFailed {
			rules, broken = r.RulesChecked, r.RulesBroken
		}
		rec = append(rec, rules, broken, strings.Join(r.BrokenRules, "; "), r.Error, r.Out, F(r.ElapsedSecond, 2))
		if err := c.Row(rec...); err != nil {
			return err
		}
	}
	return c.Flush()
}
