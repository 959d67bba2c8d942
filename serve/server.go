package serve

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"
)

// The ports herald listens on when no address is given: DefaultPort for
// plain HTTP, DefaultTLSPort with TLS. DefaultAddr is the address of the
// command line (herald serve and a bundle): loopback only, since a folder
// served for a look should not be reachable from the network by default.
const (
	DefaultPort    = "8080"
	DefaultTLSPort = "8443"
	DefaultAddr    = "127.0.0.1:" + DefaultPort
)

// ServerOptions configure Serve. Zero durations and sizes take the defaults
// below; a negative duration means no limit.
type ServerOptions struct {
	// Addr is the host:port to listen on; default "localhost:8080", or
	// "localhost:8443" with TLS. Port 0 picks a free port.
	Addr string

	// TLS, when set, serves HTTP/2 (with server push) and HTTP/1.1 over
	// TLS, and HTTP/3 unless NoHTTP3; nil serves plain HTTP/1.1.
	TLS *tls.Config

	// Limits bound what slow or stalled clients hold; zero fields take
	// their defaults.
	Limits

	// StallTimeout cuts an HTTP/2 or HTTP/3 response that makes no
	// progress: a write that the client's flow-control window (or a client
	// that does not read) holds up for this long resets its stream. It is extended on
	// every write that goes through, so a slow client that keeps reading
	// is served to the end (within WriteTimeout). An HTTP/2 connection on
	// which nothing could be written for as long is closed.
	StallTimeout time.Duration

	// PushMaxStreams bounds the pushed streams a connection holds open at
	// once: while that many are unfinished, pages on the connection push
	// nothing more (their Link header and 103 still tell the client).
	PushMaxStreams int

	// NoHTTP3 turns HTTP/3 off. Otherwise a server with TLS also serves
	// HTTP/3 on the same address and port over UDP (see http3.go), and
	// announces it with Alt-Svc on its HTTP/1.1 and HTTP/2 responses.
	NoHTTP3 bool

	// Coalesce gathers the TLS records written to a connection into one
	// write(2) (see coalesce.go). Only used with TLS.
	Coalesce bool

	// Logger receives server errors; nil: slog.Default().
	Logger *slog.Logger
}

// Limits are the bounds of a listener against slow or stalled clients,
// as [server] sets them: ReadHeaderTimeout bounds the request headers,
// ReadTimeout the whole request, WriteTimeout the response (per stream on
// HTTP/2), IdleTimeout a keep-alive connection waiting for its next
// request, MaxHeaderBytes the request headers' size.
type Limits struct {
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxHeaderBytes                                            int
}

// Defaults of ServerOptions.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = time.Minute
	DefaultWriteTimeout      = 10 * time.Minute // a large file to a slow client still fits
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultMaxHeaderBytes    = 64 << 10

	// DefaultStallTimeout is the time a response may go without progress,
	// and an HTTP/2 connection on which nothing could be written (a client
	// that stopped reading) is closed after: a client that reads 32 KiB in
	// that time (1 KiB/s) is never cut.
	DefaultStallTimeout = 30 * time.Second

	// DefaultPushMaxStreams is one page's push budget (DefaultOptions'
	// PushMaxCount): a page whose pushes are all in flight holds back the
	// next page's until the client has taken them. With at most 32 KiB of
	// copy buffer and 4 KiB of HTTP/2 buffer held by each waiting stream,
	// that bounds what pushes queue per connection near 1.2 MiB.
	DefaultPushMaxStreams = 32

	// shutdownTimeout bounds how long a shutdown waits for requests in
	// flight before it closes their connections.
	shutdownTimeout = 10 * time.Second
)

// Serve listens on opts.Addr, calls ready with the URL to open, and serves h
// until ctx ends. Then it stops accepting connections, lets the requests in
// flight finish (for at most shutdownTimeout, after which their connections
// are closed) and returns nil. An error to listen or to serve is returned.
func Serve(ctx context.Context, h http.Handler, opts ServerOptions, ready func(url string)) error {
	opts = opts.withDefaults()
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("serve: listen on %s: %w", opts.Addr, err)
	}
	var h3 *h3Server
	if opts.TLS != nil && !opts.NoHTTP3 {
		if h3, err = listenHTTP3(h, opts, ln.Addr()); err != nil {
			ln.Close()
			return err
		}
		h = h3.announce(h)
	}
	srv := newServer(h, opts)
	scheme := "http"
	if srv.TLSConfig != nil {
		scheme = "https"
		if opts.Coalesce {
			ln = coalesceListener{ln}
		}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if ready != nil {
		ready(openURL(scheme, ln.Addr()))
	}

	var h3served chan error // nil (never ready) without HTTP/3
	if h3 != nil {
		h3served = h3.served
	}
	select {
	case err := <-served:
		if h3 != nil {
			h3.srv.Close()
			h3.conn.Close()
		}
		return fmt.Errorf("serve: %w", err)
	case err := <-h3served:
		srv.Close()
		h3.conn.Close()
		return fmt.Errorf("serve: HTTP/3: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	h3done := make(chan error, 1)
	if h3 != nil {
		go func() { h3done <- h3.shutdown(sctx) }()
	} else {
		h3done <- nil
	}
	if err := srv.Shutdown(sctx); err != nil {
		opts.Logger.Warn("requests still running at shutdown were cut", "after", shutdownTimeout, "err", err)
		srv.Close()
	}
	if err := <-h3done; err != nil {
		opts.Logger.Warn("HTTP/3 requests still running at shutdown were cut", "after", shutdownTimeout, "err", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// withDefaults fills in the zero fields of o.
func (o ServerOptions) withDefaults() ServerOptions {
	if o.Addr == "" {
		o.Addr = "localhost:" + DefaultPort
		if o.TLS != nil {
			o.Addr = "localhost:" + DefaultTLSPort
		}
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&o.ReadHeaderTimeout, DefaultReadHeaderTimeout},
		{&o.ReadTimeout, DefaultReadTimeout},
		{&o.WriteTimeout, DefaultWriteTimeout},
		{&o.IdleTimeout, DefaultIdleTimeout},
		{&o.StallTimeout, DefaultStallTimeout},
	} {
		switch {
		case *d.v == 0:
			*d.v = d.def
		case *d.v < 0:
			*d.v = 0 // net/http: no limit
		}
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if o.PushMaxStreams <= 0 {
		o.PushMaxStreams = DefaultPushMaxStreams
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// newServer makes the http.Server of opts: HTTP/1.1 and HTTP/2 over TLS, or
// plain HTTP/1.1. The HTTP/2 server of net/http implements http.Pusher (push
// is on unless the client turns it off in its SETTINGS) and sends 1xx
// responses such as 103 Early Hints.
//
// Its write scheduler (Go 1.26) is round robin: it ignores the priorities
// Chromium sends, so the scripts of a page arrive interleaved. Serving in
// Chromium's order was tried and left out, as it gained nothing: with
// x/net/http2's RFC 7540 priority scheduler (ConfigureServer) and each body
// handed over in one Write, the DATA of the python index's scripts went out
// one after the other, in document order, but each response's END_STREAM
// still came after the other scripts' bytes (the HTTP/2 server sends it in
// an empty DATA frame once the handler has returned, and a browser runs a
// script only when it has all of it). First paint, scripts/bench/paint.sh,
// 7 loads against this scheduler: 640 vs 664 ms at 10 Mbit/s and 1,120 vs
// 1,080 ms at 1.6 Mbit/s with the scheduler alone; 928 vs 800 and 1,276 vs
// 1,184 ms with whole writes too (a loaded machine). The critical bytes,
// not their order, set the time; Go 1.27's RFC 9218 scheduler will come
// with the toolchain.
func newServer(h http.Handler, opts ServerOptions) *http.Server {
	srv := &http.Server{
		Handler:           guard(h, opts),
		ConnContext:       withConnInfo,
		ReadHeaderTimeout: opts.ReadHeaderTimeout,
		ReadTimeout:       opts.ReadTimeout,
		WriteTimeout:      opts.WriteTimeout,
		IdleTimeout:       opts.IdleTimeout,
		MaxHeaderBytes:    opts.MaxHeaderBytes,
		ErrorLog:          log.New(errorLogWriter{opts.Logger}, "", 0),
		Protocols:         new(http.Protocols),
		HTTP2:             &http.HTTP2Config{WriteByteTimeout: opts.StallTimeout},
	}
	srv.Protocols.SetHTTP1(true)
	if opts.TLS != nil {
		srv.Protocols.SetHTTP2(true)
		srv.TLSConfig = opts.TLS.Clone()
		protos := slices.DeleteFunc(slices.Clone(srv.TLSConfig.NextProtos), func(p string) bool { return p == "h2" || p == "http/1.1" })
		srv.TLSConfig.NextProtos = append([]string{"h2", "http/1.1"}, protos...)
		if srv.TLSConfig.MinVersion == 0 {
			srv.TLSConfig.MinVersion = tls.VersionTLS12
		}
	}
	return srv
}

// openURL is the URL a person opens to reach a listener on addr: a listener
// on every interface is reached through localhost.
func openURL(scheme string, addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return scheme + "://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		return scheme + "://" + bracket(host) + "/"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/"
}

func bracket(host string) string {
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		return "[" + host + "]"
	}
	return host
}

// errorLogWriter turns net/http's log lines into slog records. A client that
// hangs up during the TLS handshake is routine (load generators, port
// scanners, a browser's spare connection) and logged at debug level.
type errorLogWriter struct{ l *slog.Logger }

func (w errorLogWriter) Write(p []byte) (int, error) {
	msg := string(bytes.TrimRight(p, "\n"))
	level := slog.LevelWarn
	if bytes.HasPrefix(p, []byte("http: TLS handshake error")) {
		level = slog.LevelDebug
	}
	w.l.Log(context.Background(), level, msg)
	return len(p), nil
}
