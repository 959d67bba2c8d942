package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"

	"herald/acme"
	"herald/compress"
	"herald/config"
	"herald/manifest"
	"herald/metrics"
	"herald/serve"
	"herald/sites"

	"github.com/urfave/cli/v2"
)

func configFlag() cli.Flag {
	return &cli.StringFlag{
		Name:  "config",
		Usage: "serve every site of the configuration `FILE` (herald.toml) instead of one folder",
	}
}

// configKeys names, for each flag of herald serve that a configuration
// file decides and that is not one of serve.Settings or
// config.ServerSettings, the setting that decides it there.
var configKeys = []struct{ flag, instead string }{
	{"addr", "listen = [...] in [server] or in a [[site]]"},
	{"tls", "local = true in the site's [site.tls]"},
	{"cert", "cert = \"FILE\" in the site's [site.tls]"},
	{"key", "key = \"FILE\" in the site's [site.tls]"},
	{"origin", "origin = \"https://...\" in the [[site]]"},
	{"acme", "acme = true in the site's [site.tls]"},
	{"watch", ""}, // no key: the sites of a file are not watched
	{"live-reload", ""},
}

// checkConfigFlags refuses flags that --config would silently override.
func checkConfigFlags(c *cli.Context, file string) error {
	for _, s := range serve.Settings {
		if s.Flag != "" && c.IsSet(s.Flag) {
			return usageError("--%s does not apply with --config: set %s in %s instead", s.Flag, s.FileKey(), file)
		}
	}
	for _, s := range config.ServerSettings {
		if s.Flag != "" && c.IsSet(s.Flag) {
			return usageError("--%s does not apply with --config: set %s in %s instead", s.Flag, s.FileKey(), file)
		}
	}
	for _, k := range configKeys {
		switch {
		case !c.IsSet(k.flag):
		case k.instead == "":
			return usageError("--%s does not apply with --config: the sites of %s are built once, when herald starts, and not watched; leave out --%[1]s", k.flag, file)
		default:
			return usageError("--%s does not apply with --config: set %s in %s instead", k.flag, k.instead, file)
		}
	}
	return nil
}

// serveConfig serves every site of a configuration file until interrupted.
// A mistake in the file is a usage error (exit 2), listed with its lines.
func serveConfig(c *cli.Context, file string) error {
	if c.NArg() > 0 {
		return usageError("--config names the sites: give no folder (got %q)", c.Args().First())
	}
	if err := checkConfigFlags(c, file); err != nil {
		return err
	}
	cfg, err := config.Load(file)
	if err != nil {
		return configError(err)
	}
	logger, err := newSayLogger(c.App.ErrWriter, c.String("log-format"), c.Bool("quiet"))
	if err != nil {
		return err
	}
	cache := compressedCache()
	defer cache.Close()
	mx, _ := metricsFor(cfg.Server.Metrics, true) // checked by config.Load
	if mx != nil {
		mx.Compression(cache.Stats)
	}
	certs, err := newACME(cfg, logger)
	if err != nil {
		return configError(err)
	}
	if certs != nil {
		defer certs.Close()
	}
	running, err := sites.Open(cfg, backend(cfg, logger, c.App.ErrWriter, cache, mx, certs))
	if err != nil {
		return configError(err)
	}
	for _, e := range running.Findings() { // the sites are served all the same
		logger.Warn(e.Error())
	}
	live := sites.NewLive(running)
	defer live.Close()
	if mx != nil {
		mx.Certificates(func() []metrics.Cert { return siteCerts(live.Running()) })
	}
	stopReloads := onHangup(func() { reloadConfig(c, file, live, logger, cache, mx, certs) })
	defer stopReloads()
	collectOften()
	var requests inFlight
	srv := cfg.Server
	limits := listenOptions(srv)
	limits.Logger = logger
	return serveUntilStopped(&requests, func(ctx context.Context) error {
		return withMetrics(ctx, mx, srv.Metrics, limits, c.App.ErrWriter, func(ctx context.Context) error {
			return serveSites(ctx, c, live, running, certs, cfg.Server, &requests, logger)
		})
	})
}

// serveSites serves the listeners of live (and the plain-HTTP listener of
// certs, the ACME sites), and prints the URLs that reach the sites once
// every listener accepts connections (each got its port), the first
// site's first: a listener's own URL gets 404 when the sites list host
// names. Then certificates are obtained: the authority may connect at once.
func serveSites(ctx context.Context, c *cli.Context, live *sites.Live, running *sites.Running, certs *acme.Manager, srv config.Server, requests *inFlight, logger *slog.Logger) error {
	var mu sync.Mutex
	served := map[string]string{}
	listeners := len(live.Listeners())
	var acmeHTTP *plainListener
	if certs != nil {
		acmeHTTP = &plainListener{Addr: srv.ACME.HTTPListen, Handler: certs.HTTPHandler()}
		listeners++
	}
	return serveListeners(ctx, live, acmeHTTP, srv, requests, logger, func(addr, url string) {
		mu.Lock()
		defer mu.Unlock()
		if served[addr] = url; len(served) == listeners {
			urls := running.URLs(served)
			for _, u := range urls {
				fmt.Fprintln(c.App.Writer, u)
			}
			if c.Bool("open") && len(urls) > 0 {
				openURL(logger, urls[0])
			}
			if certs != nil {
				certs.Start()
			}
		}
	})
}

// reloadConfig opens the configuration file again, with the certificates
// it names, and serves it instead of the one served. A file with mistakes
// is reported as herald config check lists them, and the sites served
// stay as they were.
func reloadConfig(c *cli.Context, file string, live *sites.Live, logger *slog.Logger, cache *compress.Cache, mx *metrics.Metrics, certs *acme.Manager) {
	cfg, err := config.Load(file)
	var running *sites.Running
	if err == nil {
		running, err = sites.Open(cfg, backend(cfg, logger, c.App.ErrWriter, cache, mx, certs))
	}
	if err == nil {
		before := live.Running().Config.Server
		var restart []string
		if restart, err = live.Swap(running); err == nil {
			for _, e := range running.Findings() {
				logger.Warn(e.Error())
			}
			for _, r := range restart {
				logger.Warn("reload: " + r)
			}
			if keys := restartKeys(before, cfg.Server); len(keys) > 0 {
				logger.Warn(fmt.Sprintf("reload: [server] %s changed; herald keeps the values it started with until it restarts", strings.Join(keys, ", ")))
			}
			logger.Info(fmt.Sprintf("reloaded %s: %d sites", file, len(running.Sites)), "file", file, "sites", len(running.Sites))
			return
		}
	}
	var list config.Errors
	if errors.As(err, &list) {
		lines := make([]string, len(list))
		for i, e := range list {
			lines[i] = e.Error()
		}
		logger.Error(fmt.Sprintf("reload: %s has mistakes; still serving the configuration loaded before\n%s", file, strings.Join(lines, "\n")))
		return
	}
	logger.Error(fmt.Sprintf("reload: %v; still serving the configuration loaded before", err))
}

// restartKeys lists the keys of [server] a reload changed that apply from
// the next start only: all but access_log, which applies at once, and
// listen, whose addresses sites.Live.Swap reports.
func restartKeys(a, b config.Server) []string {
	var keys []string
	for _, k := range config.ChangedServerKeys(a, b) {
		if k != "access_log" && k != "listen" {
			keys = append(keys, k)
		}
	}
	return keys
}

// backend makes each site's handler from its settings; the access log, if
// the file asks for one, is written to errWriter, and its requests are
// counted in mx, if set. certs manages the certificates of ACME sites
// (nil: herald has no ACME site).
func backend(cfg *config.Config, logger *slog.Logger, errWriter io.Writer, cache *compress.Cache, mx *metrics.Metrics, certs *acme.Manager) sites.Backend {
	return sites.Backend{
		Handler: func(s *config.Site, fsys fs.FS, m *manifest.Manifest) http.Handler {
			opts := s.Options
			opts.Compressed = cache
			opts.Logger = logger.With("site", s.Name)
			if mx != nil {
				opts.Observe = mx.Observer(s.Name)
			}
			if l := cfg.Server.AccessLog.Logger(errWriter); l != nil {
				opts.AccessLog = l.With("site", s.Name)
			}
			return serve.New(fsys, m, opts)
		},
		LoadCert:  serve.LoadCert,
		LocalCert: serve.LocalCert,
		ACME:      acmeCerts(certs),
	}
}

// siteCerts are the certificates the sites of r serve, each asked for
// the site's first host name.
func siteCerts(r *sites.Running) []metrics.Cert {
	var list []metrics.Cert
	for _, s := range r.Sites {
		host := ""
		if len(s.Hosts) > 0 {
			host = s.Hosts[0]
		}
		if cert, ok := metrics.CertOf(s.Certificate(host)); ok {
			list = append(list, cert)
		}
	}
	return list
}

// plainListener is a listener of herald's own beside the sites': the
// plain-HTTP one of ACME challenges and redirects.
type plainListener struct {
	Addr    string
	Handler http.Handler
}

// serveListeners serves every listener, and extra when not nil, until ctx
// ends or one of them fails; ready is called with each listener's address
// and URL once it accepts connections. requests counts the requests in
// flight on all of them.
func serveListeners(ctx context.Context, live *sites.Live, extra *plainListener, srv config.Server, requests *inFlight, logger *slog.Logger, ready func(addr, url string)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type listener struct {
		addr string
		h    http.Handler
		tls  *tls.Config
	}
	var all []listener
	for _, l := range live.Listeners() {
		all = append(all, listener{l.Addr, live.Handler(l.Addr), live.TLSConfig(l.Addr)})
	}
	if extra != nil {
		all = append(all, listener{extra.Addr, extra.Handler, nil})
	}
	errs := make(chan error, len(all))
	var wg sync.WaitGroup
	for _, l := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opts := listenOptions(srv)
			opts.Addr, opts.TLS, opts.Logger = l.addr, l.tls, logger
			err := serve.Serve(ctx, requests.wrap(l.h), opts, func(url string) { ready(l.addr, url) })
			if err != nil {
				errs <- fmt.Errorf("%s: %w", l.addr, err)
			}
			cancel() // one listener down stops them all
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs // the first failure, or nil
}

func configError(err error) error {
	var list config.Errors
	if errors.As(err, &list) {
		return &exitError{exitUsage, fmt.Errorf("%s has mistakes:\n%w", list[0].File, err)}
	}
	if errors.Is(err, os.ErrNotExist) {
		return usageError("%v", err)
	}
	return err
}
