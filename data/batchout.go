package data

import (
	"encoding/csv"
	"io"
	"strconv"
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
// coverage column per type in types.
func WriteBatchCSV(w io.Writer, rows []BatchRow, types []string) error {
	cw := csv.NewWriter(w)
	head := []string{"name", "status", "population", "completeness", "fully_served"}
	for _, t := range types {
		head = append(head, "coverage_"+t)
	}
	head = append(head, "rules_checked", "rules_broken", "broken_rules", "error", "out", "elapsed_s")
	cw.Write(head)
	f := func(x *float64, d int) string {
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(*x, 'f', d, 64)
	}
	for _, r := range rows {
		rec := []string{r.Name, r.Status, f(r.Population, 1), f(r.Completeness, 4), f(r.FullyServed, 4)}
		for _, t := range types {
			if v, ok := r.Coverage[t]; ok {
				rec = append(rec, strconv.FormatFloat(v, 'f', 4, 64))
			} else {
				rec = append(rec, "")
			}
		}
		rules := ""
		if r.Status != BatchFailed {
			rules = strconv.Itoa(r.RulesChecked)
		}
		broken := ""
		if r.Status != BatchFailed {
			broken = strconv.Itoa(r.RulesBroken)
		}
		rec = append(rec, rules, broken, strings.Join(r.BrokenRules, "; "), r.Error, r.Out,
			strconv.FormatFloat(r.ElapsedSecond, 'f', 2, 64))
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}
