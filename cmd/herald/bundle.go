package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"

	"herald/bundle"
	"herald/serve"

	"github.com/urfave/cli/v2"
)

func bundleCommand() *cli.Command {
	return &cli.Command{
		Name:      "bundle",
		Usage:     "make one executable that serves a site: herald, the site's files and its manifest",
		ArgsUsage: "DIR",
		Description: `Copies this herald executable and appends the site in DIR and its push
	manifest (built now) to the copy. The result needs nothing beside it: run it
	to serve the site. No Go toolchain is needed, and the files are stored as
	they are, so they are served with ranges straight from the executable.
	--precompress adds zstd, brotli and gzip forms of text files, made once here.

	The bundle checks its own sha256 when it starts, and refuses to run if it
	was truncated or changed.

	Ctrl-C stops it between files and removes the unfinished copy: FILE is
	left as it was.

	Exit status: 0 written; 1 written, but some files could not be read
	(listed), or nothing written: interrupted, or DIR has no file to serve;
	2 usage error.

	Examples:
	    herald bundle ./public -o mysite --precompress
	    ./mysite --addr :443 --cert cert.pem --key key.pem
	    ./mysite --addr 127.0.0.1:8080
	    ./mysite --acme example.com,www.example.com --acme-email admin@example.com`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the executable to `FILE` (required)"},
			&cli.BoolFlag{Name: "precompress", Usage: "add .zst, .br and .gz forms of compressible files"},
			originFlag(),
		},
		Action: runBundle,
	}
}

func runBundle(c *cli.Context) error {
	if c.NArg() == 0 {
		return usageError("give the site folder: herald bundle ./public -o mysite")
	}
	dir, err := siteDir(c)
	if err != nil {
		return err
	}
	out := c.String("output")
	if out == "" {
		return usageError("give the executable to write with -o, such as -o mysite")
	}
	if info, err := os.Stat(out); err == nil && info.IsDir() {
		return usageError("-o %q is a folder: name the executable to write, such as %s", out, filepath.Join(out, "mysite"))
	}
	if servedFromSite(dir, out) {
		return usageError("-o %s is inside the site folder %s: the next bundle would carry this one, and serve it; "+
			"write it outside the folder, such as -o %s", out, dir, filepath.Join(dir, "..", filepath.Base(out)))
	}
	opts, err := buildOptions(c)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find this executable to copy: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stats, err := bundle.Make(ctx, exe, dir, out, bundle.Options{Precompress: c.Bool("precompress"), Manifest: opts})
	if errors.Is(err, context.Canceled) {
		return findings("interrupted: nothing was written to %s, and the unfinished copy beside it was removed", out)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "wrote %s: %d files (%s) and manifest %.12s", out, stats.Files, human(stats.SiteBytes), stats.Manifest.Hash)
	if stats.Compressed > 0 {
		fmt.Fprintf(c.App.Writer, ", %d precompressed forms", stats.Compressed)
	}
	fmt.Fprintf(c.App.Writer, "; %s in all\nrun it: %s\n", human(stats.Executable+stats.Appended), runCommand(out))
	return reportProblems(c.App.ErrWriter, stats.Problems)
}

// runCommand is the shell command that runs the bundle written at out: the
// path as given, with ./ before a bare name (which the shell would look for
// in $PATH), quoted when the shell would split or expand it. No --addr: the
// bundle's default (serve.DefaultAddr) is the one to try it with, and it
// prints its URL.
func runCommand(out string) string {
	if !strings.Contains(out, string(filepath.Separator)) {
		out = "./" + out
	}
	return shellQuote(out)
}

// shellQuote quotes s for a POSIX shell when it holds more than letters,
// digits and punctuation that shells take as it is.
func shellQuote(s string) string {
	plain := func(r rune) bool {
		return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_-./+,:@%", r))
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !plain(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// runBundled serves the site bundled in this executable, if there is one;
// ok is false for a plain herald. A bundle that is truncated or corrupted
// does not start.
func runBundled(args []string, stdout, stderr io.Writer) (code int, ok bool) {
	b, err := bundle.OpenExecutable()
	if errors.Is(err, bundle.ErrNoSite) {
		return 0, false
	}
	if err != nil {
		fmt.Fprintf(stderr, "herald: error: %v\n", err)
		return exitFindings, true
	}
	defer b.Close()
	app := bundledApp(b)
	app.Writer, app.ErrWriter = stdout, stderr
	err = app.Run(args)
	if err == nil {
		return exitOK, true
	}
	code = exitFindings
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	fmt.Fprintf(stderr, "herald: error: %v\n", err)
	return code, true
}

// bundledApp is the command line of a bundle: it only serves its site.
func bundledApp(b *bundle.Bundle) *cli.App {
	return &cli.App{
		Name:            filepath.Base(os.Args[0]),
		Usage:           "serve the site bundled in this executable (made by herald bundle)",
		UsageText:       filepath.Base(os.Args[0]) + " [--addr :443 --cert cert.pem --key key.pem | --acme example.com --acme-email admin@example.com]",
		Flags:           slices.Concat(listenFlags(), acmeFlags(), handlerFlags()), // herald serve's, less --tls and those about a folder
		HideHelpCommand: true,
		OnUsageError:    onUsageError,
		ExitErrHandler:  func(*cli.Context, error) {}, // errors go back to runBundled, which exits
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("a bundle serves its own site and takes no folder, got %q", c.Args().First())
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
			logger, _ := newSayLogger(c.App.ErrWriter, "text", false)
			opts.Logger, srv.Logger = logger, logger
			defer reloadOnHangup(c, logger, reloadCert, nil, "a bundle serves the site it carries; SIGHUP reads --cert and --key again when given")()
			certs, hosts, err := bundleACME(c, &srv, logger)
			if err != nil {
				return err
			}
			if certs != nil {
				defer certs.Close()
			}
			opts.Compressed = compressedCache()
			defer opts.Compressed.Close()
			listeners := []string{srv.Addr}
			if certs != nil {
				listeners = append(listeners, c.String("acme-http-addr"))
			}
			mx, err := metricsFor(c.String("metrics"), false, listeners...)
			if err != nil {
				return err
			}
			observe(mx, &opts, srv.TLS)
			h := serve.New(b.FS(), b.Manifest(), opts)
			collectOften()
			var requests inFlight
			return serveUntilStopped(&requests, func(ctx context.Context) error {
				return withMetrics(ctx, mx, c.String("metrics"), srv, c.App.ErrWriter, func(ctx context.Context) error {
					if certs != nil {
						return serveACME(ctx, c, requests.wrap(h), srv, certs, hosts, func(url string) { fmt.Fprintln(c.App.Writer, url) })
					}
					return serve.Serve(ctx, requests.wrap(h), srv, func(url string) { fmt.Fprintln(c.App.Writer, url) })
				})
			})
		},
	}
}
