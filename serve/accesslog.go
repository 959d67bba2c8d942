package serve

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// AccessLogFormat is the form of the access log: off, text (a logfmt line
// per request, as herald's other messages) or json (a JSON object per
// request, through log/slog's JSONHandler; its duration is in nanoseconds).
type AccessLogFormat string

const (
	AccessLogOff  AccessLogFormat = "off"
	AccessLogText AccessLogFormat = "text"
	AccessLogJSON AccessLogFormat = "json"
)

// ParseAccessLogFormat reads an access log format: off, text or json;
// false and true are off and text.
func ParseAccessLogFormat(s string) (AccessLogFormat, error) {
	switch s {
	case "off", "false":
		return AccessLogOff, nil
	case "text", "on", "true":
		return AccessLogText, nil
	case "json":
		return AccessLogJSON, nil
	}
	return "", fmt.Errorf("%q is not an access log format: use text, json or off", s)
}

// Logger is the access logger of format f writing to w, nil when off.
func (f AccessLogFormat) Logger(w io.Writer) *slog.Logger {
	switch f {
	case AccessLogText:
		return slog.New(slog.NewTextHandler(w, nil))
	case AccessLogJSON:
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return nil
}

// Record is what the handler did for one request, as the access log and
// Options.Observe see it.
type Record struct {
	Status int   // the final status (200 when the handler set none)
	Bytes  int64 // body bytes written
	Pushed int   // assets pushed (PUSH_PROMISE sent)
	Hinted int   // links sent in a 103 Early Hints response
	// DigestHits are the critical assets not pushed because the client's
	// cache digest cookie says it has them, counted where the client is
	// known to take push (see Handler.push).
	DigestHits int
	Duration   time.Duration
}

// loggingWriter records the status and size of a response for the access
// log and Options.Observe. It passes push, flush and the rest through to
// the real writer.
type loggingWriter struct {
	http.ResponseWriter
	Record
}

func (w *loggingWriter) WriteHeader(code int) {
	if w.Status == 0 && code >= 200 {
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *loggingWriter) Write(p []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.Bytes += int64(n)
	return n, err
}

func (w *loggingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *loggingWriter) Push(target string, opts *http.PushOptions) error {
	if p, ok := w.ResponseWriter.(http.Pusher); ok {
		return p.Push(target, opts)
	}
	return http.ErrNotSupported
}

func (w *loggingWriter) Flush() { http.NewResponseController(w.ResponseWriter).Flush() }

// finish hands the record of a request to the access log and the observer.
func (h *Handler) finish(r *http.Request, w *loggingWriter, start time.Time) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	w.Duration = time.Since(start)
	if h.opts.AccessLog != nil {
		h.logAccess(r, &w.Record)
	}
	if h.opts.Observe != nil {
		h.opts.Observe(r, w.Record)
	}
}

// logAccess logs a request: one record at level Info, as a logfmt line or
// a JSON object depending on the access logger's handler.
func (h *Handler) logAccess(r *http.Request, rec *Record) {
	h.opts.AccessLog.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("host", r.Host), slog.String("method", r.Method), slog.String("path", r.URL.RequestURI()),
		slog.String("protocol", r.Proto), slog.Int("status", rec.Status), slog.Int64("bytes", rec.Bytes),
		slog.Duration("duration", rec.Duration), slog.Int("pushed", rec.Pushed), slog.Int("hinted", rec.Hinted),
		slog.String("user_agent", r.UserAgent()), slog.String("referer", r.Referer()),
		slog.String("remote", r.RemoteAddr))
}
