package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/lifecircle/lifecircle/planner"
)

// Error kinds of this package, besides planner.ErrInvalid and
// planner.ErrNotFound.
var (
	errForbidden   = errors.New("forbidden")
	errTooLarge    = errors.New("request body too large")
	errMethod      = errors.New("method not allowed")
	errUnavailable = errors.New("unavailable")
	errTimeout     = errors.New("request timeout")
)

// An apiError is an error whose message is meant for the client; kind is
// one of the error kinds that errorTable maps to a status.
type apiError struct {
	kind error
	msg  string
	zh   string // the message in Chinese, for clients that ask for it
}

func (e *apiError) Error() string { return e.msg }
func (e *apiError) Unwrap() error { return e.kind }

func badRequest(format string, a ...any) error {
	return &apiError{kind: planner.ErrInvalid, msg: fmt.Sprintf(format, a...)}
}

// badRequestL is badRequest with the message in English and Chinese: the
// client gets the one of its language (wantsZh).
func badRequestL(en, zh string) error {
	return &apiError{kind: planner.ErrInvalid, msg: en, zh: zh}
}

// wantsZh reports whether the client reads Chinese: the page says so in
// X-Lang, other clients in Accept-Language.
func wantsZh(r *http.Request) bool {
	if l := r.Header.Get("X-Lang"); l != "" {
		return strings.HasPrefix(strings.ToLower(l), "zh")
	}
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(r.Header.Get("Accept-Language"))), "zh")
}

func notFound(format string, a ...any) error {
	return &apiError{kind: planner.ErrNotFound, msg: fmt.Sprintf(format, a...)}
}

func forbidden(format string, a ...any) error {
	return &apiError{kind: errForbidden, msg: fmt.Sprintf(format, a...)}
}

// errorTable maps error kinds to HTTP statuses and the codes of the JSON
// error shape, first match wins. An error matching no row is internal: the
// client gets "internal error" and the log gets the error.
var errorTable = []struct {
	match  func(error) bool
	status int
	code   string
	// message replaces the error text for the client when set.
	message string
}{
	{isMaxBytes, http.StatusRequestEntityTooLarge, "too_large", ""},
	{is(errTooLarge), http.StatusRequestEntityTooLarge, "too_large", ""},
	{is(planner.ErrInvalid), http.StatusBadRequest, "bad_request", ""},
	{is(planner.ErrNotFound), http.StatusNotFound, "not_found", ""},
	{is(planner.ErrConflict), http.StatusConflict, "conflict", ""},
	{is(errForbidden), http.StatusForbidden, "forbidden", ""},
	{is(errMethod), http.StatusMethodNotAllowed, "method_not_allowed", ""},
	{is(errUnavailable), http.StatusServiceUnavailable, "unavailable", ""},
	{is(errTimeout), http.StatusRequestTimeout, "timeout", ""},
	// A store (the team database) that cannot be reached for now; its
	// error names the database, which stays in the log.
	{storeUnavailable, http.StatusServiceUnavailable, "unavailable",
		"the project database cannot be reached just now (stopped or restarting?), so the save is not confirmed; the edits on the map are kept — save again in a moment"},
	// The client went away or the server is shutting down.
	{is(context.Canceled), http.StatusServiceUnavailable, "unavailable", "request cancelled"},
	{is(context.DeadlineExceeded), http.StatusServiceUnavailable, "unavailable", "request timed out"},
}

func is(kind error) func(error) bool {
	return func(err error) bool { return errors.Is(err, kind) }
}

// storeUnavailable reports whether err says that a store cannot be
// reached for now: it wraps an error with a method Unavailable() bool
// that reports true (see ScenarioStore).
func storeUnavailable(err error) bool {
	var u interface{ Unavailable() bool }
	return errors.As(err, &u) && u.Unavailable()
}

// bodyReadError returns the client's error for a failure reading a
// request body: too large (413) as it is, a body that stalled past the
// server's read timeout as 408; nil for any other error.
func bodyReadError(err error) error {
	switch {
	case isMaxBytes(err):
		return err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &apiError{kind: errTimeout, msg: "the request body did not arrive in time: send it again (on a slow link, send a smaller file)"}
	}
	return nil
}

// tooLarge refuses a request whose declared length exceeds limit bytes
// before reading any of its body.
func tooLarge(r *http.Request, limit int64) error {
	if r.ContentLength > limit {
		return &http.MaxBytesError{Limit: limit}
	}
	return nil
}

func isMaxBytes(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

// errorBody is the one JSON shape of every error response.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// fail writes err as a JSON error response with the status errorTable
// gives it; unexpected errors are logged and reach the client as
// "internal error".
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := http.StatusInternalServerError, "internal", "internal error"
	matched := false
	for _, row := range errorTable {
		if row.match(err) {
			status, code, msg = row.status, row.code, err.Error()
			if row.message != "" {
				msg = row.message
			}
			matched = true
			break
		}
	}
	var ae *apiError
	if errors.As(err, &ae) && ae.zh != "" && wantsZh(r) {
		msg = ae.zh
	}
	if isMaxBytes(err) {
		var mb *http.MaxBytesError
		errors.As(err, &mb)
		msg = fmt.Sprintf("request body larger than %d bytes", mb.Limit)
	}
	if !matched {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	} else if status >= 500 {
		s.log.Info("request not completed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var body errorBody
	body.Error.Code, body.Error.Message = code, msg
	writeJSON(w, status, "application/json", body)
}

// writeJSON writes v as JSON with the given status and content type.
// HTML characters are not escaped: names such as "A & B" stay readable.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := marshalJSON(v)
	if err != nil {
		// Only a bug (an unsupported type) gets here.
		b = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
		status = http.StatusInternalServerError
		contentType = "application/json"
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func marshalJSON(v any) ([]byte, error) {
	var buf jsonBuffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.b, nil
}

type jsonBuffer struct{ b []byte }

func (j *jsonBuffer) Write(p []byte) (int, error) {
	j.b = append(j.b, p...)
	return len(p), nil
}

// logger returns l, or a logger that discards everything when l is nil.
func logger(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}
