package postgis

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// A migration is one numbered schema change, migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// migrationLockKey is the advisory lock that serialises migrators of one
// database ("lifecircle" as a 64-bit number).
const migrationLockKey = 0x6c69666563697263

// migrations returns the embedded migrations in order.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("postgis: migration file %s is not named NNNN_name.sql", name)
		}
		b, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: rest, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("postgis: migrations must be numbered 1, 2, 3, ...: found %04d_%s.sql at position %d", m.version, m.name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this binary creates and reads.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// ErrSchemaTooNew is returned (wrapped) by Open when the database was
// upgraded by a newer lifecircle.
var ErrSchemaTooNew = errors.New("schema newer than this lifecircle")

// currentVersion returns the applied schema version, 0 when the schema
// does not exist yet.
func currentVersion(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (int, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('lifecircle.schema_version') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, err
	}
	if !exists {
		return 0, nil
	}
	var v int
	err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM lifecircle.schema_version`).Scan(&v)
	return v, err
}

// migrate brings the schema up to date: each pending migration runs once,
// in its own transaction, while an advisory lock keeps concurrent
// lifecircle processes from migrating the same database twice.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	latest := len(ms)
	v, err := currentVersion(ctx, s.pool)
	if err != nil {
		return fmt.Errorf("postgis: %s: read the schema version: %w", s.target, err)
	}
	if v > latest {
		return s.tooNew(v, latest)
	}
	if v == latest {
		return nil
	}

	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgis: %s: %w", s.target, err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLockKey)); err != nil {
		return fmt.Errorf("postgis: %s: lock for schema upgrade: %w", s.target, err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLockKey))

	if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS lifecircle;
		CREATE TABLE IF NOT EXISTS lifecircle.schema_version (
			version integer PRIMARY KEY,
			name    text NOT NULL,
			applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		return s.privilegeError("create the lifecircle schema", err)
	}
	// Another process may have migrated while we waited for the lock.
	if v, err = currentVersion(ctx, conn); err != nil {
		return fmt.Errorf("postgis: %s: read the schema version: %w", s.target, err)
	}
	if v > latest {
		return s.tooNew(v, latest)
	}
	for _, m := range ms[v:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO lifecircle.schema_version (version, name) VALUES ($1, $2)`, m.version, m.name)
			return err
		})
		if err != nil {
			return s.privilegeError(fmt.Sprintf("apply schema migration %04d_%s", m.version, m.name), err)
		}
	}
	return nil
}

func (s *Store) tooNew(v, latest int) error {
	return fmt.Errorf("postgis: %s: the lifecircle schema in database %q is version %d, but this lifecircle knows versions up to %d — %w: use the lifecircle release that upgraded the database, or a newer one",
		s.target, s.dbName, v, latest, ErrSchemaTooNew)
}

func (s *Store) privilegeError(what string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42501" {
		return fmt.Errorf("postgis: %s: user %q may not %s (%s) — the user needs CREATE on database %q once (GRANT CREATE ON DATABASE %s TO %s), or let the database owner run lifecircle once",
			s.target, s.user, what, pgErr.Message, s.dbName, s.dbName, s.user)
	}
	return fmt.Errorf("postgis: %s: %s: %w", s.target, what, err)
}
