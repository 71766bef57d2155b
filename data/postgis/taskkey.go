package postgis

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// runOfKey returns the id of the run stored under task key, 0 when none
// (or key is "").
func runOfKey(ctx context.Context, tx pgx.Tx, key string) (int64, error) {
	if key == "" {
		return 0, nil
	}
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM lifecircle.runs WHERE task_key = $1`, key).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// keyTaken reports, when a save under key failed on the key's unique
// index (two deliveries of one task saving at once), the run the other
// stored; any other failure is returned as it is.
func (s *Store) keyTaken(ctx context.Context, key string, err error) (int64, error) {
	var pe *pgconn.PgError
	if key == "" || !errors.As(err, &pe) || pe.Code != "23505" || pe.ConstraintName != "runs_task_key" {
		return 0, err
	}
	var id int64
	if qerr := s.pool.QueryRow(ctx, `SELECT id FROM lifecircle.runs WHERE task_key = $1`, key).Scan(&id); qerr != nil {
		return 0, err
	}
	return id, nil
}
