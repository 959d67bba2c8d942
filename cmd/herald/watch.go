package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"herald/manifest"
	"herald/metrics"
	"herald/serve"
	"herald/watch"

	"github.com/urfave/cli/v2"
)

func buildWatchFlag() cli.Flag {
	return &cli.BoolFlag{
		Name:  "watch",
		Usage: "keep building: rewrite the manifest whenever a file of the site changes, until interrupted",
	}
}

// buildWatch is `herald build --watch`: it builds, writes the manifest, and
// writes it again (atomically) after every change until interrupted.
func buildWatch(c *cli.Context, dir, out string, opts manifest.Options) error {
	if err := checkOutsideSite(dir, out); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(c.App.ErrWriter, nil))
	file := &manifestFile{path: out}
	w, err := watch.New(dir, watch.Options{Manifest: opts, Logger: logger, OnChange: func(ch watch.Change) {
		if len(ch.Paths) == 0 {
			return // saved without a change
		}
		if err := file.write(ch.Manifest); err != nil {
			logger.Error("the manifest on disk is out of date", "err", err)
			return
		}
		what := fmt.Sprintf("%d files changed", len(ch.Paths))
		if len(ch.Paths) == 1 {
			what = ch.Paths[0] + " changed"
		}
		fmt.Fprintf(c.App.Writer, "updated %s (manifest %.12s): %s\n", out, ch.Manifest.Hash, what)
	}})
	if err != nil {
		return err
	}
	defer w.Close()
	m, err := file.writeFirst(w.Manifest)
	if err != nil {
		return err
	}
	summarize(c.App.Writer, out, m)
	reportProblems(c.App.ErrWriter, w.Problems()) // listed; the watch goes on
	fmt.Fprintf(c.App.Writer, "watching %s for changes (Ctrl-C to stop)\n", dir)
	<-ctx.Done()
	return nil
}

// manifestFile is the manifest on disk of a watched site. Two goroutines
// write it: buildWatch the first manifest, once the watcher is made, and
// the watcher's callback each change, which may come before. mu makes one
// write at a time, and no write puts an older manifest over a newer one.
type manifestFile struct {
	path    string
	mu      sync.Mutex
	written *manifest.Manifest // the last written; guarded by mu
}

// writeFirst writes the manifest in service, read with current under the
// lock: a change applied before then is in it, and one applied after is
// written by the callback after this write. The watcher puts each manifest
// in service before calling back, one change at a time, so a callback
// waiting for the lock carries that same manifest or a newer one.
func (f *manifestFile) writeFirst(current func() *manifest.Manifest) (*manifest.Manifest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := current()
	if err := manifest.Write(f.path, m); err != nil {
		return nil, err
	}
	f.written = m
	return m, nil
}

// write writes the manifest of a change, unless writeFirst wrote it.
func (f *manifestFile) write(m *manifest.Manifest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m == f.written {
		return nil
	}
	if err := manifest.Write(f.path, m); err != nil {
		return err
	}
	f.written = m
	return nil
}

// checkOutsideSite refuses a manifest written into the site under a name the
// site serves: every write would be a change to build again, without end.
func checkOutsideSite(dir, out string) error {
	if !servedFromSite(dir, out) {
		return nil
	}
	return usageError("--watch writes %s into the site it watches, so each write would start a new build: "+
		"leave out -o (DIR/%s is never site content), or write it outside the folder", out, manifest.FileName)
}

func serveWatchFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "watch", Value: true,
			Usage: "follow changes to the folder: the manifest is updated as files are saved (--watch=false to serve it as it was)"},
		&cli.BoolFlag{Name: "live-reload",
			Usage: "reload open pages when their files change, and swap changed stylesheets in place " +
				"(default: on for a folder served on a loopback address without --cert, off otherwise; never with --cert)"},
	}
}

// liveSite is a watched folder being served: the watcher's callback swaps
// each new manifest into the handler, tells the open pages, and says what
// changed. A nil *liveSite is a site served as it was when herald started.
type liveSite struct {
	w      *watch.Watcher
	reload *serve.LiveReload // nil: live reload off
	mx     *metrics.Metrics  // nil: no metrics
	log    *slog.Logger
	mu     sync.Mutex
	h      *serve.Handler // set by start; guarded by mu
	// findings, once set by checkFirst, are said again by the callback
	// as changes bring or fix them; guarded by mu.
	findings *findingsWatch
}

// watchOrBuild builds the manifest of the site, starting a watcher (and live
// reload) when a folder is served with --watch.
func watchOrBuild(c *cli.Context, fsys fs.FS, opts manifest.Options, mx *metrics.Metrics, logger *slog.Logger) (*manifest.Manifest, []manifest.Problem, *liveSite, error) {
	watched := watching(c)
	reload, _, err := liveReloadOn(c, watched)
	if err != nil {
		return nil, nil, nil, err
	}
	if !watched {
		m, problems, err := manifest.Build(fsys, opts)
		return m, problems, nil, err
	}
	s := &liveSite{mx: mx, log: logger}
	if s.w, err = watch.New(c.Args().First(), watch.Options{Manifest: opts, Logger: logger, OnChange: s.changed}); err != nil {
		return nil, nil, nil, err
	}
	if reload {
		s.reload = serve.NewLiveReload(logger)
	}
	return s.w.Manifest(), s.w.Problems(), s, nil
}

// watching reports whether herald serve watches its folder.
func watching(c *cli.Context) bool { return c.NArg() > 0 && c.Bool("watch") }

// liveReloadOn applies --live-reload, or its default: on for a watched
// folder served on a loopback address, off for a published site (one
// given its own certificate with --cert, or one by --acme): its pages are
// sent as they are. An explicit --live-reload then is a usage error rather than a
// quiet exception to that rule: a published site gets no script added.
// why says the choice and its reason, for the start-up lines.
func liveReloadOn(c *cli.Context, watching bool) (on bool, why string, err error) {
	published := c.String("cert") != "" || c.String("acme") != ""
	if c.IsSet("live-reload") {
		on := c.Bool("live-reload")
		switch {
		case on && !watching:
			return false, "", usageError("--live-reload needs a folder served with --watch")
		case on && published:
			return false, "", usageError("--live-reload does not apply with --cert or --acme: a site served with its own certificate is published, and its pages are sent as they are; " +
				"for live reload over TLS while you write, use --tls (a localhost certificate) instead of --cert and --key")
		case on:
			return true, "on (--live-reload)", nil
		}
		return false, "off: --live-reload=false", nil
	}
	addr := c.String("addr")
	switch {
	case !watching:
		return false, "off: not watching", nil
	case published:
		return false, "off: a site served with its own certificate (--cert, --acme) is sent as it is", nil
	case !loopback(addr):
		return false, fmt.Sprintf("off: %s is reachable from other machines, and the script would reach them too; --live-reload turns it on", addr), nil
	}
	return true, "on: open pages reload when their files change", nil
}

// loopback reports whether addr (host:port) listens on loopback only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// changed is the watcher's callback.
func (s *liveSite) changed(ch watch.Change) {
	if s.mx != nil {
		s.mx.Rebuilt(ch.Full, ch.Took)
	}
	s.mu.Lock()
	if s.h != nil {
		s.h.SetManifest(ch.Manifest)
	}
	changeLine(s.log, ch, time.Now())
	if s.findings != nil {
		s.findings.check(ch.Manifest)
	}
	s.mu.Unlock()
	if s.reload != nil {
		s.reload.Notify(ch.Paths, ch.Manifest)
	}
}

// checkFirst says the findings of the manifest in service, and from now
// on those that changes bring or fix.
func (s *liveSite) checkFirst(f *findingsWatch) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f.check(s.h.Manifest())
	s.findings = f
}

// wire adds live reload to the handler's options.
func (s *liveSite) wire(opts *serve.Options) {
	if s != nil && s.reload != nil {
		opts.Reload = s.reload
	}
}

// start hands the watcher's changes to h from now on, and ends the live
// reload streams when ctx ends, so that they do not hold the shutdown.
func (s *liveSite) start(ctx context.Context, h *serve.Handler) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.h = h
	// A change applied while the handler was being made is in the
	// watcher's manifest: the callback found no handler to give it to.
	if m := s.w.Manifest(); m != h.Manifest() {
		h.SetManifest(m)
	}
	s.mu.Unlock()
	if s.reload != nil {
		go func() {
			<-ctx.Done()
			s.reload.Close()
		}()
	}
}

// Close stops watching.
func (s *liveSite) Close() {
	if s == nil {
		return
	}
	s.w.Close()
	if s.reload != nil {
		s.reload.Close()
	}
}
