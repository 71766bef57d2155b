package postgis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultConnectTimeout bounds each connection attempt when the URL sets no
// connect_timeout: a server that does not answer fails the command instead
// of hanging it.
const DefaultConnectTimeout = 5 * time.Second

// A Store is an open lifecircle database. It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	target string // where we connected, password redacted, for messages
	dbName string
	user   string

	// afterCopy, when set (tests), runs inside an import's transaction
	// after each bulk COPY with the table's name; an error aborts the import.
	afterCopy func(ctx context.Context, table string) error
}

// Open connects to the database at dbURL (postgres://user:password@host:port/dbname
// or a key=value connection string), checks that PostGIS is there (and
// enables it when the user may), and creates or upgrades the lifecircle
// schema. Every failure is one message naming what was tried, with the
// password redacted, and what to do; nothing is retried.
func Open(ctx context.Context, dbURL string) (*Store, error) {
	target := Redact(dbURL)
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("postgis: cannot read the database URL %s: %s — give it as postgres://user:password@host:5432/dbname?sslmode=disable",
			target, redactErr(err, dbURL))
	}
	if !strings.Contains(dbURL, "connect_timeout") {
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.ConnConfig.Database == "" {
		cfg.ConnConfig.Database = cfg.ConnConfig.User
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "lifecircle"
	s := &Store{target: target, dbName: cfg.ConnConfig.Database, user: cfg.ConnConfig.User}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, s.connectError(err, cfg.ConnConfig, dbURL)
	}
	s.pool = pool
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, s.connectError(err, cfg.ConnConfig, dbURL)
	}
	if err := s.ensurePostGIS(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes every connection.
func (s *Store) Close() {
	if s != nil && s.pool != nil {
		s.pool.Close()
	}
}

// Target returns where the store is connected, password redacted.
func (s *Store) Target() string { return s.target }

// Pool returns the connection pool, for callers that run their own
// queries against the lifecircle schema (QGIS-style readers, tests).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Redact returns a database URL or connection string with its password
// replaced by xxxxx.
func Redact(dbURL string) string {
	if u, err := url.Parse(dbURL); err == nil && u.Scheme != "" && strings.Contains(dbURL, "://") {
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.Redacted()
	}
	if strings.Contains(dbURL, "://") { // a URL net/url cannot parse
		return urlPassword.ReplaceAllString(dbURL, "${1}xxxxx@")
	}
	return kvPassword.ReplaceAllString(dbURL, "${1}xxxxx")
}

var (
	kvPassword  = regexp.MustCompile(`(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)
	urlPassword = regexp.MustCompile(`(://[^:/@]*:)[^@]*@`)
)

// redactErr returns err's text with any password from dbURL removed.
func redactErr(err error, dbURL string) string {
	msg := err.Error()
	if pw := password(dbURL); len(pw) >= 3 {
		msg = strings.ReplaceAll(msg, pw, "xxxxx")
	}
	return msg
}

func password(dbURL string) string {
	if u, err := url.Parse(dbURL); err == nil && strings.Contains(dbURL, "://") {
		if p, ok := u.User.Password(); ok {
			return p
		}
		return u.Query().Get("password")
	}
	if m := kvPassword.FindStringSubmatch(dbURL); m != nil {
		return strings.Trim(m[2], "'")
	}
	return ""
}

// connectError turns a failed connection into one message that says what
// was tried and what to do.
func (s *Store) connectError(err error, cc *pgx.ConnConfig, dbURL string) error {
	hostPort := net.JoinHostPort(cc.Host, fmt.Sprint(cc.Port))
	if strings.HasPrefix(cc.Host, "/") {
		hostPort = fmt.Sprintf("socket %s/.s.PGSQL.%d", cc.Host, cc.Port)
	}
	head := fmt.Sprintf("postgis: cannot connect to %s", s.target)
	var pgErr *pgconn.PgError
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.As(err, &pgErr):
		switch pgErr.Code {
		case "28P01":
			return fmt.Errorf("%s: password authentication failed for user %q — check the user and password in --db or DATABASE_URL", head, cc.User)
		case "28000":
			return fmt.Errorf("%s: the server refused user %q (%s) — check the user name in --db or DATABASE_URL, or ask the administrator to create the role or allow it in pg_hba.conf", head, cc.User, pgErr.Message)
		case "3D000":
			return fmt.Errorf("%s: database %q does not exist on %s — create it (createdb -h %s -p %d %s, then CREATE EXTENSION postgis in it as a superuser) or fix the database name", head, cc.Database, hostPort, cc.Host, cc.Port, cc.Database)
		case "53300":
			return fmt.Errorf("%s: the server has too many connections — try again later or raise max_connections", head)
		case "57P03":
			return fmt.Errorf("%s: the server at %s is starting up or shutting down — try again in a moment", head, hostPort)
		}
		return fmt.Errorf("%s: the server said: %s (SQLSTATE %s)", head, pgErr.Message, pgErr.Code)
	case errors.As(err, &dnsErr):
		return fmt.Errorf("%s: host %q not found — check the host name in --db or DATABASE_URL", head, dnsErr.Name)
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return fmt.Errorf("%s: no answer from %s within %s — check the host and port, that PostgreSQL runs there and that no firewall drops the connection (lifecircle does not retry)", head, hostPort, cc.ConnectTimeout)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: cancelled", head)
	case strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "no such file or directory"):
		return fmt.Errorf("%s: nothing listens on %s — is PostgreSQL running there? Check the host and port in --db or DATABASE_URL", head, hostPort)
	case strings.Contains(err.Error(), "SSL") || strings.Contains(err.Error(), "tls"):
		return fmt.Errorf("%s: %s — the server and the URL disagree about TLS: add ?sslmode=disable for a server without TLS, or sslmode=require for one that needs it", head, redactErr(err, dbURL))
	}
	return fmt.Errorf("%s: %s", head, redactErr(err, dbURL))
}

// ensurePostGIS checks that the postgis extension is enabled, enabling it
// when it is installed on the server and the user may.
func (s *Store) ensurePostGIS(ctx context.Context) error {
	var version *string
	var available bool
	err := s.pool.QueryRow(ctx, `SELECT (SELECT extversion FROM pg_extension WHERE extname = 'postgis'),
		EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis')`).Scan(&version, &available)
	if err != nil {
		return fmt.Errorf("postgis: %s: check for the PostGIS extension: %w", s.target, err)
	}
	if version != nil {
		return nil
	}
	if !available {
		return fmt.Errorf("postgis: %s: the PostGIS extension is not installed on this PostgreSQL server — install it on the server (Debian/Ubuntu: apt-get install postgresql-<major>-postgis-3), then run `CREATE EXTENSION postgis;` in database %q as a superuser, once",
			s.target, s.dbName)
	}
	if _, err := s.pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS postgis`); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42501" {
			return fmt.Errorf("postgis: %s: the PostGIS extension is not enabled in database %q and user %q may not enable it — ask a superuser to run once: psql -d %s -c 'CREATE EXTENSION postgis;' (after that lifecircle needs no superuser rights)",
				s.target, s.dbName, s.user, s.dbName)
		}
		return fmt.Errorf("postgis: %s: CREATE EXTENSION postgis failed: %w — run it once as a superuser in database %q", s.target, err, s.dbName)
	}
	return nil
}
