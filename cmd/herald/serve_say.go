package main

import (
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"herald/localca"
	"herald/manifest"
	"herald/serve"
	"herald/watch"

	"github.com/urfave/cli/v2"
)

// startLines says, under the URL, what herald serve serves and how: the
// site, what it watches, live reload, TLS, HTTP/3 and compression, each
// with why when it is off. A local authority nobody trusts is a warning,
// with the command that fixes it.
func startLines(c *cli.Context, log *slog.Logger, u string, m *manifest.Manifest, live *liveSite, srv serve.ServerOptions, opts serve.Options) {
	say := func(about, msg string, args ...any) {
		log.Info(msg, append([]any{"event", eventStart, "about", about}, args...)...)
	}
	if _, json := log.Handler().(*slog.JSONHandler); json {
		say("url", u, "url", u) // on standard output too, as the first line
	}
	site := "the example site built into herald"
	if c.NArg() > 0 {
		site = c.Args().First()
		if abs, err := filepath.Abs(site); err == nil && (filepath.Clean(site) == "." || filepath.Clean(site) == "..") {
			site = abs // says where that is
		}
	}
	say("site", fmt.Sprintf("%s: %d %s, %d %s", site, len(m.Files), plural(len(m.Files), "file"), len(m.Pages), plural(len(m.Pages), "page")),
		"root", site, "files", len(m.Files), "pages", len(m.Pages))
	switch {
	case live != nil:
		watched, rescanned := live.w.Folders()
		msg := fmt.Sprintf("%s: %d %s", site, watched, plural(watched, "folder"))
		if rescanned > 0 {
			msg += fmt.Sprintf(", %d more listed every 2 s (the inotify watch limit is reached)", rescanned)
		}
		say("watching", msg, "watching", true, "folders", watched, "rescanned", rescanned)
	case c.NArg() == 0:
		say("watching", "nothing: the example site is built into herald", "watching", false)
	default:
		say("watching", "nothing: --watch=false serves the folder as it was", "watching", false)
	}
	_, why, _ := liveReloadOn(c, live != nil) // its errors stopped herald before it served
	say("live reload", why, "live_reload", live != nil && live.reload != nil)
	tlsLine(c, log, say, srv)
	switch {
	case srv.TLS == nil:
		say("HTTP/3", "off: it needs TLS", "http3", false)
	case srv.NoHTTP3:
		say("HTTP/3", "off: --http3=off", "http3", false)
	default:
		port := ""
		if p, err := url.Parse(u); err == nil {
			port = p.Port()
		}
		say("HTTP/3", "on: UDP port "+port, "http3", true)
	}
	if opts.Compress {
		say("compression", "on: zstd, br, gzip", "compress", true)
	} else {
		say("compression", "off: --compress=off", "compress", false)
	}
	if opts.Report {
		at := strings.TrimSuffix(u, "/") + serve.ReportPath
		say("report", at+": what each page gets, and what the browser did with it", "report", at)
	}
}

// tlsLine says how the site is served over TLS, and for --tls whether the
// local authority is trusted where browsers look.
func tlsLine(c *cli.Context, log *slog.Logger, say func(about, msg string, args ...any), srv serve.ServerOptions) {
	switch {
	case srv.TLS == nil:
		say("TLS", "off: browsers take 103 Early Hints over HTTP/2 and HTTP/3 only; --tls serves them with a localhost certificate", "tls", false)
		return
	case c.String("cert") != "":
		say("TLS", "certificate "+c.String("cert"), "tls", true, "cert", c.String("cert"))
		return
	case c.String("acme") != "":
		say("TLS", "certificates by ACME for "+c.String("acme")+" from "+c.String("acme-directory"), "tls", true, "acme", c.String("acme"))
		return
	}
	dir, err := localca.DefaultDir()
	var t localca.Trust
	if err == nil {
		t, err = localca.Trusted(dir)
	}
	// Chromium and Firefox read the NSS databases on Linux, the system
	// store elsewhere.
	browsers := t.NSS || (runtime.GOOS != "linux" && t.System)
	switch {
	case err != nil:
		log.Warn(fmt.Sprintf("cannot tell who trusts the local certificate authority: %v", err), "event", eventStart, "about", "TLS")
	case t.System && browsers:
		say("TLS", "local certificate authority, "+t.String(), "tls", true, "trusted", true)
	case browsers: // curl and Go programs do not trust it; browsers do
		say("TLS", "local certificate authority, "+t.String()+"; for the system store too: herald ca install", "tls", true, "trusted", false)
	default:
		say("TLS", "local certificate authority, "+t.String(), "tls", true, "trusted", false)
		log.Warn("browsers refuse a certificate whose authority they do not trust, and take no early hints over it: run herald ca install",
			"event", eventStart, "about", "TLS", "fix", "herald ca install")
	}
}

// changeLine says what a change applied: the files, the pages they
// affect, and the time from the first event to the manifest in service.
func changeLine(log *slog.Logger, ch watch.Change, inService time.Time) {
	if len(ch.Paths) == 0 {
		return // a problem came or went; the watcher logs it
	}
	what := fmt.Sprintf("%d files changed", len(ch.Paths))
	if len(ch.Paths) == 1 {
		what = ch.Paths[0] + " changed"
	}
	if ch.Full {
		what += " (built again in full)"
	}
	pages := affected(ch.Paths, ch.Manifest)
	ms := inService.Sub(ch.First).Milliseconds()
	log.Info(fmt.Sprintf("%s: %d %s affected, in service in %d ms", what, pages, plural(pages, "page"), ms),
		"event", eventChange, "files", len(ch.Paths), "paths", ch.Paths[:min(len(ch.Paths), 20)],
		"pages", pages, "ms", ms, "full", ch.Full)
}

// affected counts the pages a change touches: those changed, added or
// removed, and those whose critical or preloaded assets changed.
func affected(paths []string, m *manifest.Manifest) int {
	changed := make(map[string]bool, len(paths))
	n := 0
	for _, p := range paths {
		changed[p] = true
		if _, ok := m.Pages[p]; !ok && manifest.IsPage(p) {
			n++ // removed
		}
	}
	for p, page := range m.Pages {
		uses := func(a manifest.Asset) bool { return changed[a.Path] }
		if changed[p] || slices.ContainsFunc(page.Assets, uses) || slices.ContainsFunc(page.Preload, uses) {
			n++
		}
	}
	return n
}

// findingsWatch says the findings of herald check (missing critical
// assets, pages over the push budget) as changes bring or fix them.
type findingsWatch struct {
	log    *slog.Logger
	budget manifest.Budget
	last   []manifest.Finding
}

// serveBudget is the budget serve warns of: what it pushes per page, when
// it pushes.
func serveBudget(opts serve.Options) manifest.Budget {
	if opts.Push == serve.PushOff {
		return manifest.Budget{}
	}
	return manifest.Budget{MaxBytes: opts.PushMaxBytes, MaxAssets: opts.PushMaxCount,
		BytesFlag:  flagOf(func(o *serve.Options) any { return &o.PushMaxBytes }),
		AssetsFlag: flagOf(func(o *serve.Options) any { return &o.PushMaxCount })}
}

// check compares m's findings with the last ones, and says the new ones
// (grouped by cause, as herald check does) and the fixed ones.
func (f *findingsWatch) check(m *manifest.Manifest) {
	now := manifest.Check(m, nil, nil, f.budget)
	added, fixed := manifest.NewFindings(f.last, now)
	f.last = now
	for _, g := range manifest.Summarize(added, f.budget, len(m.Pages)).Findings {
		f.log.Warn(g.Text(), "event", eventFinding, "kind", g.Kind, "pages", g.Pages)
	}
	var causes []string
	pages := map[string][]string{}
	kinds := map[string]string{}
	for _, x := range fixed {
		c := x.Cause()
		if _, ok := pages[c]; !ok {
			causes = append(causes, c)
			kinds[c] = x.Kind
		}
		pages[c] = append(pages[c], x.Page)
	}
	for _, c := range causes {
		f.log.Info(fmt.Sprintf("fixed: %s: %s (%s)", kinds[c], c, manifest.Few(pages[c])),
			"event", eventFixed, "kind", kinds[c], "cause", c, "pages", pages[c])
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
