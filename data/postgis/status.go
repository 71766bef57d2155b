package postgis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lifecircle/lifecircle/planner"
)

// AppendStatusReports adds field reports to a stored project's history
// (lifecircle.status_reports), in one transaction, one row per report in
// the order given; rows already there are never changed. It returns the
// number of reports the project's history holds afterwards.
func (s *Store) AppendStatusReports(ctx context.Context, project string, reports []planner.StatusReport) (int, error) {
	if err := ValidateProjectName(project); err != nil {
		return 0, err
	}
	var total int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var pid int64
		if err := tx.QueryRow(ctx, `SELECT id FROM lifecircle.projects WHERE name = $1`, project).Scan(&pid); err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, r := range reports {
			b.Queue(`INSERT INTO lifecircle.status_reports (project, facility_id, status, day, note, reported_by) VALUES ($1, $2, $3, $4, $5, $6)`,
				pid, r.FacilityID, string(r.Status), r.Date, nullable(r.Note), nullable(r.ReportedBy))
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM lifecircle.status_reports WHERE project = $1`, pid).Scan(&total)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, s.projectNotFound(ctx, project)
	}
	if err != nil {
		return 0, fmt.Errorf("postgis: store the field reports of %s in %s: %w", project, s.target, err)
	}
	return total, nil
}

// loadStatusReports reads a project's field reports in the order they
// were stored (Seq: that order).
func loadStatusReports(ctx context.Context, tx pgx.Tx, pid int64) ([]planner.StatusReport, error) {
	rows, err := tx.Query(ctx, `SELECT facility_id, status, day, coalesce(note, ''), coalesce(reported_by, '')
		FROM lifecircle.status_reports WHERE project = $1 ORDER BY id`, pid)
	if err != nil {
		return nil, fmt.Errorf("status reports: %w", err)
	}
	defer rows.Close()
	var out []planner.StatusReport
	for rows.Next() {
		var r planner.StatusReport
		var st string
		if err := rows.Scan(&r.FacilityID, &st, &r.Date, &r.Note, &r.ReportedBy); err != nil {
			return nil, fmt.Errorf("status reports: %w", err)
		}
		r.Status, r.Date, r.Seq = planner.Status(st), planner.Day(r.Date), len(out)+1
		out = append(out, r)
	}
	return out, rows.Err()
}

// nullDate is a date column's value: NULL for the zero time.
func nullDate(d time.Time) any {
	if d.IsZero() {
		return nil
	}
	return d
}

// dateOf reads a nullable date column as midnight UTC (zero for NULL).
func dateOf(d *time.Time) time.Time {
	if d == nil {
		return time.Time{}
	}
	return planner.Day(*d)
}
