package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"sync/atomic"

	"herald/compress"
	"herald/config"
	"herald/localca"
	"herald/manifest"
	"herald/metrics"
	"herald/serve"
	"herald/sites"

	"github.com/urfave/cli/v2"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:      "serve",
		Usage:     "serve a site and send each page's critical assets early",
		ArgsUsage: "[DIR]",
		Description: `Builds the push manifest of DIR in memory and serves the site. For every page
	it sends the stylesheets, scripts, fonts and hero image the page needs before
	its first paint: HTTP/2 server push where the client accepts it, 103 Early
	Hints on HTTP/2 navigations, and Link: rel=preload headers. A cookie records
	what each client was sent, so an asset it has is not sent again until it
	changes. With no DIR, serves the example site built into herald.

	The first line printed is the URL to open (--open opens it in $BROWSER or
	the system's browser). Then, on standard error: the site, what is watched,
	live reload, TLS (and whether browsers trust the local authority), HTTP/3
	and compression, each with why when off; one line per change applied; a
	warning when a change breaks a critical link or puts a page over the push
	budget, and a line when that is fixed. --quiet keeps warnings and errors;
	--log-format json writes each line as a JSON object. Ctrl-C stops the
	server after the requests in flight finish (for at most 10 s); a second
	Ctrl-C stops it at once, cutting them (exit 1).

	Serving a folder watches it: a saved file is in the manifest at once, and
	on a loopback address the open pages reload themselves (a changed stylesheet
	is swapped in place). --watch=false serves the folder as it was; live reload
	is injected into HTML responses only, never into the files.

	On a loopback address without --cert, /_herald/ shows what each page gets:
	its critical assets, why, their sizes stored and compressed, the channels
	they go through, and what the browser did with them (taken through the
	103, unused, render-blocking and not hinted), which each page reports once
	loaded; --report=false turns it off, --report turns it on elsewhere.
	herald show DIR PAGE prints the same table without a browser.

	Browsers use early hints only over a certificate they trust: --tls makes a
	local certificate authority once (in the user's configuration folder) and a
	localhost certificate it signs. On the internet, --acme HOSTS obtains and
	renews a certificate for the hosts from Let's Encrypt (or --acme-directory),
	listening on :443 and on :80 for the challenges (as a bundle does).

	Examples:
	    herald serve
	    herald serve ./docs --tls --open      # then see what each page gets at /_herald/
	    herald serve ./public --cert cert.pem --key key.pem --addr :443 --access-log
	    herald serve ./public --acme example.com,www.example.com --acme-email admin@example.com
	    herald serve ./docs --addr 0.0.0.0:8080 --live-reload`,
		Flags: slices.Concat(listenFlags(), acmeFlags(), []cli.Flag{
			&cli.BoolFlag{Name: "tls", Usage: "serve HTTP/2 over TLS with a localhost certificate from herald's local authority"},
		}, handlerFlags(), []cli.Flag{originFlag(), configFlag(), reportFlag()}, serveWatchFlags(), sayFlags(), []cli.Flag{openFlag()}),
		Action: runServe,
	}
}

func runServe(c *cli.Context) error {
	if file := c.String("config"); file != "" {
		if c.IsSet("report") {
			return usageError("--report does not apply with --config: it is for herald serve DIR while you write the site")
		}
		return serveConfig(c, file)
	} else if c.IsSet("config") {
		return usageError("--config is an empty argument (\"\"): name the configuration file, such as --config herald.toml")
	}
	opts, err := handlerOptions(c)
	if err != nil {
		return err
	}
	if err := checkACMEFlags(c); err != nil {
		return err
	}
	srv, reloadCert, err := serverOptions(c)
	if err != nil {
		return err
	}
	logger, err := newSayLogger(c.App.ErrWriter, c.String("log-format"), c.Bool("quiet"))
	if err != nil {
		return err
	}
	certs, hosts, err := bundleACME(c, &srv, logger)
	if err != nil {
		return err
	}
	listeners := []string{srv.Addr}
	if certs != nil {
		defer certs.Close()
		listeners = append(listeners, c.String("acme-http-addr"))
	}
	buildOpts, err := buildOptions(c)
	if err != nil {
		return err
	}
	if cert, key := c.String("cert"), c.String("key"); cert != "" {
		buildOpts.Never = manifest.NewNever(cert, key) // a site folder that holds them never serves them
	}
	fsys, closeSite, err := openSite(c)
	if err != nil {
		return err
	}
	defer closeSite()
	mx, err := metricsFor(c.String("metrics"), false, listeners...)
	if err != nil {
		return err
	}
	var served atomic.Pointer[serve.Handler] // set once the site is built: a SIGHUP meanwhile finds nothing to rebuild
	rebuild, nothing := siteReload(c, fsys, buildOpts, &served)
	defer reloadOnHangup(c, logger, reloadCert, rebuild, nothing)()
	m, problems, live, err := watchOrBuild(c, fsys, buildOpts, mx, logger)
	if err != nil {
		return err
	}
	defer live.Close()
	for _, p := range problems {
		level := slog.LevelError
		if p.Warning {
			level = slog.LevelWarn
		}
		logger.Log(context.Background(), level, fmt.Sprintf("%s: %v", p.Path, p.Err), "event", eventProblem, "path", p.Path)
	}
	opts.Logger, srv.Logger = logger, logger
	live.wire(&opts)
	opts.Compressed = compressedCache()
	defer opts.Compressed.Close()
	observe(mx, &opts, srv.TLS)
	opts.Report = reportOn(c)
	h := serve.New(fsys, m, opts)
	served.Store(h)
	collectOften()
	var requests inFlight
	return serveUntilStopped(&requests, func(ctx context.Context) error {
		live.start(ctx, h)
		ready := func(url string) {
			fmt.Fprintln(c.App.Writer, url)
			startLines(c, logger, url, h.Manifest(), live, srv, opts)
			findings := &findingsWatch{log: logger, budget: serveBudget(opts)}
			if live != nil {
				live.checkFirst(findings)
			} else {
				findings.check(h.Manifest())
			}
			if c.Bool("open") {
				openURL(logger, url)
			}
		}
		return withMetrics(ctx, mx, c.String("metrics"), srv, c.App.ErrWriter, func(ctx context.Context) error {
			if certs != nil {
				return serveACME(ctx, c, requests.wrap(h), srv, certs, hosts, ready)
			}
			return serve.Serve(ctx, requests.wrap(h), srv, ready)
		})
	})
}

// compressedCache returns the process's cache of compressed forms, which
// every handler shares: on disk in the user's cache folder, so that a
// restart does not compress again, or in memory only when there is none.
func compressedCache() *compress.Cache {
	dir, err := compress.DefaultDir()
	if err != nil {
		dir = ""
	}
	return compress.New(compress.Options{Dir: dir})
}

// observe counts the requests of one site (herald serve DIR, a bundle)
// in mx, if set, with its compressed forms and the certificate of cfg, if any.
func observe(mx *metrics.Metrics, opts *serve.Options, cfg *tls.Config) {
	if mx == nil {
		return
	}
	opts.Observe = mx.Observer("")
	if opts.Compressed != nil {
		mx.Compression(opts.Compressed.Stats)
	}
	if cfg != nil {
		mx.Certificates(func() []metrics.Cert { return metrics.ConfigCerts(cfg, "") })
	}
}

// siteReload is what SIGHUP does to the site of herald serve: a folder
// served as it was (--watch=false) is built again and its new manifest
// served, the way to publish a new version of it in place; otherwise
// rebuild is nil, and nothing says why.
func siteReload(c *cli.Context, fsys fs.FS, opts manifest.Options, served *atomic.Pointer[serve.Handler]) (rebuild func() (string, error), nothing string) {
	switch {
	case c.NArg() == 0:
		return nil, "the example site is built into herald; SIGHUP reads --cert and --key again when given"
	case watching(c):
		return nil, fmt.Sprintf("%s is watched: its manifest follows its files already; SIGHUP reads --cert and --key again when given", c.Args().First())
	}
	return func() (string, error) {
		h := served.Load()
		if h == nil {
			return "reload: the site is being built now", nil
		}
		m, problems, err := manifest.Build(fsys, opts)
		if err != nil {
			return "", err
		}
		reportProblems(c.App.ErrWriter, problems)
		h.SetManifest(m)
		return fmt.Sprintf("reloaded %s: %d pages", c.Args().First(), len(m.Pages)), nil
	}, ""
}

// collectOften runs the garbage collector at GOGC=50 unless the environment
// sets GOGC. A server's live heap is small (the manifest, hot files,
// connection buffers) and its allocation rate high; at the default of 100
// the heap peaks at twice the live heap between collections. Measured on
// the python docs under load (mix workload, one core): peak RSS 53 MiB
// against 65 MiB at 100; requests per second within the run-to-run noise
// in most runs, 10-20 % fewer in one. Set GOGC=100 for speed over memory.
func collectOften() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(50)
	}
}

// openSite opens the folder named by the argument through an os.Root, so
// no link leads out of it, or the example site when there is none.
func openSite(c *cli.Context) (fs.FS, func(), error) {
	if c.NArg() == 0 {
		return sites.Example(), func() {}, nil
	}
	dir, err := siteDir(c)
	if err != nil {
		return nil, nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, usageError("cannot open site folder: %v", err)
	}
	return root.FS(), func() { root.Close() }, nil
}

// checkAddr refuses an --addr that cannot be a listen address: a usage
// error, where an address that cannot be listened on (a port in use) is a
// failure found when serving.
func checkAddr(addr string) error {
	if !config.ValidListenAddr(addr) {
		return usageError("--addr %q is not a listen address: write HOST:PORT or :PORT, such as 127.0.0.1:8080 or :443", addr)
	}
	return nil
}

// serverOptions reads listenFlags, and --tls where the command has it (a
// bundle has not: c.Bool is false).
func serverOptions(c *cli.Context) (srv serve.ServerOptions, reloadCert func() error, err error) {
	s, err := serverFlagValues(c)
	if err != nil {
		return srv, nil, err
	}
	srv = listenOptions(s)
	srv.Addr = c.String("addr")
	if err := checkAddr(srv.Addr); err != nil {
		return srv, nil, err
	}
	cert, key := c.String("cert"), c.String("key")
	switch {
	case (cert != "") != (key != ""):
		return srv, nil, usageError("--cert and --key go together")
	case cert != "" && c.Bool("tls"):
		return srv, nil, usageError("--tls makes a local certificate: leave it out with --cert and --key")
	case cert != "":
		if srv.TLS, reloadCert, err = serve.LoadCertReloadable(cert, key); err != nil {
			return srv, nil, usageError("%v", err)
		}
	case c.Bool("tls"):
		dir, err := localca.DefaultDir()
		if err != nil {
			return srv, nil, err
		}
		if srv.TLS, err = serve.LocalCert(dir); err != nil {
			return srv, nil, err
		}
	}
	return srv, reloadCert, nil
}
