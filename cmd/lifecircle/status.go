package main

import (
	"context"
	"fmt"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/data/study"
)

func init() {
	register("status", "field reports: add grid workers' facility status reports to a project's history", runStatus)
}

const statusHelp = `Adds field reports — what grid workers saw of a facility on a day — to a
project's status history. FILE is CSV (UTF-8 or GBK) with a header
facility_id,status,date,note,reported_by: facility_id as "lifecircle facilities"
lists it, status open, planned, under_construction, closed or temporarily_closed
(or 运营, 规划, 在建, 关闭, 暂停), date the day seen (YYYY-MM-DD, not after today).

The history is status.csv beside the project file (-c; or --status FILE), or with
--db the project's table in the database: reports are appended, never changed or
removed (the file is rewritten atomically with its earlier lines unchanged). Every
audit of the project applies, per facility, the latest report dated on or before
its --as-of day (same day: the later one in the history) over the layer's status.

Examples:
  lifecircle status import reports-2026-11.csv -c lifecircle.yaml
  lifecircle status import reports-2026-11.csv --db postgres://planner@dbhost/lifecircle --project district`

func runStatus(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		args = []string{"import", "-h"}
	}
	if len(args) == 0 || args[0] != "import" {
		return usagef("usage: lifecircle status import FILE (-c lifecircle.yaml | --status FILE | --db URL --project NAME); see lifecircle status -h")
	}
	fs := newFlagSet("status import", "FILE (-c lifecircle.yaml | --status FILE | --db URL --project NAME)", statusHelp, e.stderr)
	project := fs.String("c", "", "project file: the history is status.csv beside it (or the file its status: key names)")
	s := study.Defaults()
	fs.StringVar(&s.StatusFile, "status", "", "status history file to add to, instead of -c")
	var dbf dbFlags
	dbf.register(fs)
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give one report file: lifecircle status import FILE (got %d)", len(pos))
	}
	if dbf.enabled() && (*project != "" || s.StatusFile != "") {
		return usagef("give either --db/--project (the database's history) or -c/--status (a status.csv), not both")
	}
	if *project != "" && s.StatusFile == "" {
		pf, err := data.ReadProject(*project)
		if err != nil {
			return err
		}
		s.StatusFile = pf.Status
	}
	var db *study.DBSource
	if dbf.enabled() {
		store, err := dbf.open(ctx, newProgress(e.stderr, true))
		if err != nil {
			return err
		}
		defer store.Close()
		db = &study.DBSource{Store: store, Name: dbf.project}
	}
	n, total, err := study.ImportStatusFile(ctx, s, db, pos[0])
	if err != nil {
		return err
	}
	where := s.StatusFile
	if db != nil {
		where = "project " + dbf.project
	}
	fmt.Fprintf(e.stdout, "imported 已导入 %d reports 条; history 历史 %s: %d reports 条\n", n, where, total)
	return nil
}
