package serve

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// An HTTP/2 connection multiplexes streams, and flow control lets a client
// hold any of them still: a client that accepts push, allows any number of
// streams and keeps every window at 0 is promised a page's assets on each
// request, and every pushed stream is a handler goroutine blocked in Write,
// with its copy buffer and, for a file too large to cache, an open file.
// The connection's own timeouts never fire (the client reads every frame
// the server can send), and net/http bounds pushed streams only by the
// client's SETTINGS_MAX_CONCURRENT_STREAMS. Measured before this guard: 5
// such connections asking 250 times for the Python docs' index held
// 263-314 MB and 1,127-1,270 descriptors until the 10-minute write timeout.
//
// guard bounds both, per connection:
//   - a connection holds at most PushMaxStreams pushed streams unfinished;
//     further pushes are refused (errPushBusy) until some finish;
//   - a response that makes no progress for StallTimeout is cut: every
//     write extends the stream's write deadline, so only a stalled stream
//     reaches it, and net/http then resets the stream and fails the write.
//
// It also remembers a refusal of push. A client that turned push off
// (every current browser, h2load) answers each Push with
// http.ErrNotSupported, but only after net/http has parsed the target,
// copied the headers and asked the connection's goroutine: about 7 µs a
// page on one core, a tenth of the time of a small page. The connection
// remembers the answer and gives it at once afterwards. (HTTP/2 would let a
// client turn push on again later; none does.)

// connInfo is what the server knows of one connection.
type connInfo struct {
	noPush atomic.Bool // a Push on this connection returned http.ErrNotSupported
	pushOK atomic.Bool // a Push on this connection was accepted: the client takes push
	// pushing counts the pushed streams promised on this connection whose
	// handler has not returned. A Push takes its place before it asks, so
	// the pushed handler, which may run before Push returns, finds it.
	pushing atomic.Int32
}

type connInfoKey struct{}

func withConnInfo(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, connInfoKey{}, &connInfo{})
}

// errPushBusy is the answer to a Push while the connection holds as many
// pushed streams as it may.
var errPushBusy = errors.New("serve: the connection's pushed streams are all in use")

// guard gives h, on HTTP/2, a ResponseWriter that applies the connection's
// push bound and memo and the stall timeout of opts; on HTTP/3, whose
// streams a client can hold still just as well, the stall timeout.
func guard(h http.Handler, opts ServerOptions) http.Handler {
	maxPush := int32(opts.PushMaxStreams)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.ProtoMajor {
		case 2:
		case 3:
			// No push in HTTP/3; its streams stall as HTTP/2's do.
			h.ServeHTTP(newStallWriter(w, opts), r)
			return
		default:
			h.ServeHTTP(w, r)
			return
		}
		p, ok := w.(http.Pusher)
		ci, _ := r.Context().Value(connInfoKey{}).(*connInfo)
		if !ok || ci == nil {
			h.ServeHTTP(w, r)
			return
		}
		gw := &guardedWriter{stallWriter: *newStallWriter(w, opts), pusher: p, conn: ci, ctx: r.Context(), maxPush: maxPush}
		if ci.pushing.Load() > 0 && isPushed(p) {
			defer ci.pushing.Add(-1)
		}
		h.ServeHTTP(gw, r)
	})
}

// isPushed reports whether the stream of an HTTP/2 writer is one the server
// pushed. net/http does not say, but its Push refuses, before anything
// else, to push from a pushed stream; from a client's stream it refuses the
// empty target, without asking the connection. Only connections with
// pushes in flight pay for the question. (Were the answer ever to change,
// pushed streams would not be seen to end and the connection would stop
// pushing: TestAttackPushWindowZero would fail, nothing worse.)
func isPushed(p http.Pusher) bool {
	err := p.Push("", nil)
	return err != nil && strings.Contains(err.Error(), "recursive push")
}

type writeDeadliner interface{ SetWriteDeadline(time.Time) error }

// guardedWriter is an HTTP/2 ResponseWriter guarded as guard says.
type guardedWriter struct {
	stallWriter
	pusher  http.Pusher
	conn    *connInfo
	ctx     context.Context
	maxPush int32
}

// stallWriter is a ResponseWriter whose writes are cut when they make no
// progress for StallTimeout (HTTP/2 and HTTP/3). Unwrap gives
// http.ResponseController the writer underneath.
type stallWriter struct {
	http.ResponseWriter
	deadliner writeDeadliner

	// stall is the time a write may wait without progress; 0 once the
	// handler sets its own deadlines. overall is WriteTimeout, the bound of
	// the whole response (0: none), counted from the first write, when end
	// is set.
	stall, overall time.Duration
	rearm, end     time.Time // the deadline is set again by the first write from rearm on
}

func newStallWriter(w http.ResponseWriter, opts ServerOptions) *stallWriter {
	sw := &stallWriter{ResponseWriter: w, stall: opts.StallTimeout, overall: opts.WriteTimeout}
	sw.deadliner, _ = w.(writeDeadliner)
	return sw
}

func (w *guardedWriter) Push(target string, opts *http.PushOptions) error {
	ci := w.conn
	if ci.noPush.Load() {
		return http.ErrNotSupported
	}
	if ci.pushing.Add(1) > w.maxPush {
		ci.pushing.Add(-1)
		return errPushBusy
	}
	err := w.pusher.Push(target, opts)
	if err != nil && w.ctx.Err() == nil {
		// Refused before a stream was made. (When the page's own stream
		// closed meanwhile, the pushed handler may have started and will
		// give the place back itself: an extra one given back here would
		// let a client that resets its pages push without bound.)
		ci.pushing.Add(-1)
	}
	switch {
	case err == nil:
		ci.pushOK.Store(true)
	case errors.Is(err, http.ErrNotSupported):
		ci.noPush.Store(true)
	}
	return err
}

// pushAccepted reports whether the connection of r has accepted a push.
func pushAccepted(r *http.Request) bool {
	ci, _ := r.Context().Value(connInfoKey{}).(*connInfo)
	return ci != nil && ci.pushOK.Load()
}

// progress moves the write deadline StallTimeout ahead, before a write that
// might wait on the client. It does so at most once per half StallTimeout:
// a write starts with at least that much time ahead, at most all of it.
func (w *stallWriter) progress() {
	if w.stall <= 0 || w.deadliner == nil {
		return
	}
	now := time.Now()
	if now.Before(w.rearm) {
		return
	}
	if w.end.IsZero() && w.overall > 0 {
		w.end = now.Add(w.overall)
	}
	dl := now.Add(w.stall)
	if !w.end.IsZero() && dl.After(w.end) {
		dl = w.end
	}
	w.deadliner.SetWriteDeadline(dl)
	w.rearm = now.Add(w.stall / 2)
}

func (w *stallWriter) Write(p []byte) (int, error) {
	w.progress()
	return w.ResponseWriter.Write(p)
}

func (w *stallWriter) Flush() {
	w.progress()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// SetWriteDeadline is a handler taking its deadlines in hand (a stream of
// events that waits between writes): the stall timeout leaves it alone.
func (w *stallWriter) SetWriteDeadline(t time.Time) error {
	w.stall = 0
	if w.deadliner == nil {
		return http.ErrNotSupported
	}
	return w.deadliner.SetWriteDeadline(t)
}

func (w *stallWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
