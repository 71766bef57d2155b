package study

import (
	"context"
	"os"
	"path/filepath"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/postgis"
	"github.com/lifecircle/lifecircle/planner"
)

// OutDir returns out, or a temporary folder for a run stored only in the
// database; cleanup removes the temporary folder.
func OutDir(out string) (dir string, cleanup func(), err error) {
	if out != "" {
		return out, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "lifecircle-run-")
	if err != nil {
		return "", nil, err
	}
	return filepath.Join(tmp, "out"), func() { os.RemoveAll(tmp) }, nil
}

// WriteStored writes the audit's files to out (a temporary folder when out
// is "") and stores the run, its results and files, in project of s. It
// returns the run's id.
func (st *Study) WriteStored(ctx context.Context, s *postgis.Store, project, out string, res *planner.AuditResult, p Progress) (int64, error) {
	dir, cleanup, err := OutDir(out)
	if err != nil {
		return 0, err
	}
	defer cleanup()
	p.Step("write outputs")
	if err := st.Write(dir, res); err != nil {
		return 0, err
	}
	if out == "" {
		out = "(database only)"
	}
	p.Done("%s", out)
	p.Step("store the run")
	id, err := s.SaveAudit(ctx, postgis.AuditRun{Project: project, In: st.In, Res: res, Meta: st.Meta, FilesDir: dir})
	if err != nil {
		return 0, err
	}
	p.Done("run %d of project %s", id, project)
	return id, nil
}

// StoreProposal writes the proposal's files to out (a temporary folder
// when out is "") and stores the run in project of s.
func StoreProposal(ctx context.Context, s *postgis.Store, project, out string, run postgis.ProposeRun, p Progress) error {
	dir, cleanup, err := OutDir(out)
	if err != nil {
		return err
	}
	defer cleanup()
	if err := data.WriteProposal(dir, run.In, run.Res, run.Meta); err != nil {
		return err
	}
	p.Step("store the proposal")
	run.Project, run.FilesDir = project, dir
	id, err := s.SaveProposal(ctx, run)
	if err != nil {
		return err
	}
	p.Done("run %d of project %s", id, project)
	return nil
}

// LayerFeatures counts the features of a project's other layers.
func LayerFeatures(ls []postgis.Layer) int {
	n := 0
	for _, l := range ls {
		n += len(l.Features)
	}
	return n
}

// TaskRuns stores the audits of a distributed batch's entries in a
// PostGIS project each (a data/dist worker with --db), under the task's
// key: a task delivered again finds its run stored and writes no second
// one. data/dist reaches the database only through it.
type TaskRuns struct{ S *postgis.Store }

// SaveTaskRun stores st's audit res (output files in dir, meta as the run
// records it) in project under key and returns the run's id.
func (r TaskRuns) SaveTaskRun(ctx context.Context, project, key string, st *Study, res *planner.AuditResult, meta data.AuditMeta, dir string) (int64, error) {
	return r.S.SaveAudit(ctx, postgis.AuditRun{Project: project, In: st.In, Res: res, Meta: meta, FilesDir: dir, TaskKey: key})
}
