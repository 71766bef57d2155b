package dist

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/lifecircle/lifecircle/data/study"
	"github.com/lifecircle/lifecircle/planner"
)

// storeRun stores a batch entry's audit in the PostGIS project of the
// entry's name (team mode: a check-up of many cities keeps one project per
// city), under the task's key: a task delivered again, even after its run
// was committed, finds the run stored and writes no second one. dir holds
// the entry's output files, already naming the coordinator's paths;
// prefixes map the worker's input copies back in the run's parameters.
func (w *Worker) storeRun(ctx context.Context, t Task, st *study.Study, res *planner.AuditResult, dir string, prefixes map[string]string) (int64, error) {
	meta := st.Meta
	if meta.Inputs != nil {
		b, err := json.Marshal(meta.Inputs)
		if err != nil {
			return 0, err
		}
		var in map[string]any
		if err := json.Unmarshal(unmap(b, prefixes), &in); err != nil {
			return 0, err
		}
		meta.Inputs = in
	}
	id, err := w.DB.SaveTaskRun(ctx, t.Name, t.resultName(), st, res, meta, dir)
	if err != nil {
		return 0, fmt.Errorf("store batch entry %s in the database project %s: %w — the worker stores each entry in the project of its name: import it first (lifecircle import --db URL --project %s …)", t.Name, t.Name, err, t.Name)
	}
	return id, nil
}
