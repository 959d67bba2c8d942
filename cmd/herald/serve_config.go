package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path"
	"sync"
	"syscall"

	"herald/manifest"
	"herald/serve"
	"herald/sites"

	"github.com/urfave/cli/v2"
)

var configFlag = &cli.StringFlag{
	Name:  "config",
	Usage: "serve every site of the configuration `FILE` (herald.toml) instead of one folder",
}

// serveConfig serves every site of a configuration file until interrupted.
// A mistake in the file is a usage error (exit 2), listed with its lines.
func serveConfig(c *cli.Context, file string) error {
	if c.NArg() > 0 {
		return usageError("--config names the sites: give no folder (got %q)", c.Args().First())
	}
	cfg, err := sites.LoadConfig(file)
	if err != nil {
		return configError(err)
	}
	logger := slog.New(slog.NewTextHandler(c.App.ErrWriter, nil))
	running, err := cfg.Open(backend(cfg, logger))
	if err != nil {
		return configError(err)
	}
	defer running.Close()
	for _, s := range running.Sites {
		for _, p := range s.Problems {
			fmt.Fprintf(c.App.ErrWriter, "herald: warning: %s: %s: %v\n", s.Name, p.Path, p.Err)
		}
	}
	collectOften()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveListeners(ctx, running, logger, func(l *sites.Listener, url string) {
		fmt.Fprintln(c.App.Writer, url)
	})
}

// backend makes each site's handler from its settings, keeping the
// handler's defaults for what the file leaves out.
func backend(cfg *sites.Config, logger *slog.Logger) sites.Backend {
	return sites.Backend{
		Handler: func(s *sites.Site, fsys fs.FS, m *manifest.Manifest) http.Handler {
			opts := serve.DefaultOptions()
			opts.Push = serve.PushMode(s.Push)
			opts.Hints, opts.Preload = s.Hints, s.Preload
			if s.PushMaxBytes > 0 {
				opts.PushMaxBytes = s.PushMaxBytes
			}
			if s.PushMaxCount > 0 {
				opts.PushMaxCount = s.PushMaxCount
			}
			if s.HTMLCacheControl != "" {
				opts.HTMLCacheControl = s.HTMLCacheControl
			}
			if s.AssetCacheControl != "" {
				opts.AssetCacheControl = s.AssetCacheControl
			}
			if re := s.Immutable; re != nil {
				opts.Immutable = func(urlPath string) bool { return re.MatchString(path.Base(urlPath)) }
			}
			if s.Headers != nil {
				opts.Headers = s.Headers
			}
			if s.NotFoundPage != "" {
				opts.NotFoundPage = s.NotFoundPage
			}
			opts.Logger, opts.AccessLog = logger.With("site", s.Name), cfg.Server.AccessLog
			return serve.New(fsys, m, opts)
		},
		LoadCert:  serve.LoadCert,
		LocalCert: serve.LocalCert,
	}
}

// serveListeners serves every listener until ctx ends or one of them
// fails; ready is called with each listener's URL once it accepts
// connections.
func serveListeners(ctx context.Context, r *sites.Running, logger *slog.Logger, ready func(l *sites.Listener, url string)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv := r.Config.Server
	errs := make(chan error, len(r.Listeners))
	var wg sync.WaitGroup
	for _, l := range r.Listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := serve.Serve(ctx, l.Router, serve.ServerOptions{
				Addr: l.Addr, TLS: l.TLS,
				ReadHeaderTimeout: srv.ReadHeaderTimeout, ReadTimeout: srv.ReadTimeout,
				WriteTimeout: srv.WriteTimeout, IdleTimeout: srv.IdleTimeout,
				MaxHeaderBytes: srv.MaxHeaderBytes, Coalesce: srv.Coalesce, Logger: logger,
			}, func(url string) { ready(l, url) })
			if err != nil {
				errs <- fmt.Errorf("%s: %w", l.Addr, err)
			}
			cancel() // one listener down stops them all
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs // the first failure, or nil
}

func configError(err error) error {
	var list sites.ConfigErrors
	if errors.As(err, &list) {
		return &exitError{exitUsage, fmt.Errorf("%s has mistakes:\n%w", list[0].File, err)}
	}
	if errors.Is(err, os.ErrNotExist) {
		return usageError("%v", err)
	}
	return err
}
