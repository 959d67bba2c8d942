package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// serveUntilStopped runs serve until it returns. The first SIGINT or
// SIGTERM ends serve's context: it stops accepting connections and lets the
// requests in flight finish (serve.Serve waits up to 10 s for them). A
// second signal during that wait stops at once, as Caddy's does: the error
// returned reaches main without waiting for serve, and main's exit closes
// the listeners and every connection. requests counts the requests in
// flight, for the message.
//
// herald serve, serve --config and a bundle serving itself share it.
func serveUntilStopped(requests *inFlight, serve func(ctx context.Context) error) error {
	// Notified here rather than through signal.NotifyContext, whose context
	// tells of the first signal only: later ones were caught and ignored.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- serve(ctx) }()
	select {
	case err := <-served:
		return err
	case <-sigs:
	}
	cancel()
	select {
	case err := <-served:
		return err
	case <-sigs:
		what := "the requests in flight were cut"
		switch n := requests.n.Load(); {
		case n == 1:
			what = "1 request in flight was cut"
		case n > 1:
			what = fmt.Sprintf("%d requests in flight were cut", n)
		}
		return findings("stopped at once on a second interrupt: %s", what)
	}
}

// inFlight counts the requests a handler is serving.
type inFlight struct{ n atomic.Int64 }

// wrap counts the requests of h while they run.
func (f *inFlight) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.n.Add(1)
		defer f.n.Add(-1)
		h.ServeHTTP(w, r)
	})
}
