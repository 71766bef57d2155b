package postgis

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrUnavailable is wrapped by errors of operations that failed because the
// database server could not be reached or went away meanwhile (stopped,
// restarting, network down, out of connections): the same operation may
// succeed later, and the connection pool reconnects by itself. Such errors
// also have a method Unavailable() bool that reports true, so that packages
// that do not import this one (web) can tell them apart.
var ErrUnavailable = errors.New("database unavailable")

type unavailableError struct{ err error }

func (e *unavailableError) Error() string {
	return e.err.Error() + " — the database server cannot be reached just now (stopped or restarting?); try again when it is back"
}

func (e *unavailableError) Unwrap() []error { return []error{e.err, ErrUnavailable} }

// Unavailable reports true: trying again later may succeed.
func (e *unavailableError) Unavailable() bool { return true }

// markUnavailable returns err wrapped as an ErrUnavailable when it says that
// the server cannot be reached, else err.
func markUnavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) || !connectionLost(err) {
		return err
	}
	return &unavailableError{err}
}

// connectionLost reports whether err comes from the connection to the
// server rather than from the statement: refused or timed-out connects,
// connections closed under us, and the server's own "shutting down",
// "starting up" and "too many connections" errors. A cancelled context is
// the caller's doing, not the server's.
func connectionLost(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"): // connection_exception
			return true
		case pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03": // admin/crash shutdown, cannot connect now
			return true
		case pgErr.Code == "53300": // too_many_connections
			return true
		}
		return false // the server answered: a real error (auth, missing database, SQL)
	}
	// net.Error covers dial and read timeouts, and a deadline of the
	// caller's context that expired waiting on the server.
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), errors.Is(err, pgconn.ErrConnClosed):
		return true
	}
	return false
}

// inTx runs fn in a transaction. When the attempt loses its connection
// before fn has finished (so nothing was committed), the pool's other
// connections are dropped too and fn runs once more on a fresh one: after
// the server restarts, every pooled connection is dead, and the pool only
// notices by using one (it pings connections idle for over a second only).
// A failure during COMMIT is not retried: its outcome is unknown.
func (s *Store) inTx(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	for attempt := 0; ; attempt++ {
		finished := false
		err := pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			finished = true
			return nil
		})
		if err == nil || finished || attempt > 0 || ctx.Err() != nil || !connectionLost(err) {
			return err
		}
		s.pool.Reset()
	}
}
