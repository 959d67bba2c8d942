package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
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

// reloadOnHangup makes SIGHUP reload what herald serve DIR and a bundle
// can read again, until the returned stop is called: the --cert and --key
// files (reloadCert, nil without them), then the site (site, nil when it
// has nothing to read again: it returns what it did, or an error). When
// there is nothing to reload, it says so, with why, and goes on serving:
// SIGHUP's default action, which stops the process, is no answer to a
// reload (a systemd ExecReload, a logrotate script). A certificate or site
// that does not load is reported, and what was loaded before is still
// served. Its lines go through log, as serve's others (--log-format).
func reloadOnHangup(c *cli.Context, log *slog.Logger, reloadCert func() error, site func() (string, error), nothing string) (stop func()) {
	return onHangup(func() {
		if reloadCert == nil && site == nil {
			log.Info("reload: nothing to reload: " + nothing)
			return
		}
		if reloadCert != nil {
			if err := reloadCert(); err != nil {
				log.Error(fmt.Sprintf("reload: %v; still serving the certificate loaded before", err))
			} else {
				log.Info("reloaded the certificate " + c.String("cert"))
			}
		}
		if site != nil {
			if did, err := site(); err != nil {
				log.Error(fmt.Sprintf("reload: %v; still serving the site as it was", err))
			} else {
				log.Info(did)
			}
		}
	})
}

// onHangup calls reload on each SIGHUP until the returned stop is called:
// herald serve --config reloads its file, a bundle its certificate. One
// goroutine reloads, one reload at a time, once the signals settle (see
// settle); signals that arrive during a reload are merged into one more,
// so a storm of them makes few reloads.
func onHangup(reload func()) (stop func()) {
	hup := make(chan os.Signal, 1) // full: later signals merge into the pending one
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			case <-hup:
				if settle(hup, done) {
					reload()
				}
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
		<-finished
	}
}

// Signals closer together than reloadQuiet are one reload, done
// reloadQuiet after the last of them, or reloadMaxWait after the first
// while they keep coming: an editor's save and a script's repeated
// kill -HUP make one reload, a storm one a second.
const (
	reloadQuiet   = 100 * time.Millisecond
	reloadMaxWait = time.Second
)

// settle waits for the signals of hup to pause; false if done closed.
func settle(hup <-chan os.Signal, done <-chan struct{}) bool {
	quiet := time.NewTimer(reloadQuiet)
	defer quiet.Stop()
	limit := time.NewTimer(reloadMaxWait)
	defer limit.Stop()
	for {
		select {
		case <-done:
			return false
		case <-hup:
			quiet.Reset(reloadQuiet)
		case <-quiet.C:
			return true
		case <-limit.C:
			return true
		}
	}
}
