// Package serve delivers a static site and, for every HTML page, the
// critical assets its push manifest lists before the browser asks for them:
// HTTP/2 server push, 103 Early Hints and Link: rel=preload headers.
//
// Handler is the http.Handler of one site; Serve runs it in an HTTP/1.1 and
// HTTP/2 server with graceful shutdown.
package serve

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"herald/compress"
	"herald/manifest"
)

// PushMode switches HTTP/2 server push.
type PushMode string

const (
	// PushAuto pushes to clients that accept push (SETTINGS_ENABLE_PUSH).
	PushAuto PushMode = "auto"
	// PushOff never pushes.
	PushOff PushMode = "off"
)

// ParsePushMode reads a push mode as written on the command line and in
// herald.toml: "auto" or "off".
func ParsePushMode(s string) (PushMode, error) {
	switch m := PushMode(s); m {
	case PushAuto, PushOff:
		return m, nil
	}
	return "", fmt.Errorf("%q is not a push mode: use \"auto\" (push what the client does not have) or \"off\"", s)
}

// ReloadPath is where a Reloader's event stream is served.
const ReloadPath = "/.herald/reload"

// Reloader is live reload: its event stream is served at ReloadPath, and
// Snippet() is inserted before </body> of HTML responses only. The bytes on
// disk and their ETag are never changed: a page served with the snippet gets
// Cache-Control: no-store and no ETag or Last-Modified of the file.
type Reloader interface {
	http.Handler
	Snippet() []byte
}

// Options tune a Handler. Start from DefaultOptions.
type Options struct {
	// Push, Hints and Preload switch the three channels: HTTP/2 server
	// push, 103 Early Hints (HTTP/2 and later, navigations only) and Link:
	// rel=preload headers on the page.
	Push    PushMode
	Hints   bool
	Preload bool

	// Compress sends text files compressed as Accept-Encoding allows (zstd,
	// br, gzip), each form made once per content hash (see compressed.go).
	Compress bool
	// Compressed holds the forms compression makes, shared by the
	// handlers of a process, which closes it; nil: the handler makes one,
	// in memory only (see compressed.go).
	Compressed *compress.Cache

	// PushMaxBytes and PushMaxCount bound what one page request pushes.
	PushMaxBytes int64
	PushMaxCount int

	// LinkMaxCount and LinkMaxBytes bound the Link values of a page's
	// response and of its 103 (see DefaultLinkMaxCount); 0 takes the
	// default.
	LinkMaxCount, LinkMaxBytes int

	// HTMLCacheControl is the Cache-Control of pages, AssetCacheControl of
	// every other file; a file Immutable reports gets a year and immutable.
	HTMLCacheControl, AssetCacheControl string
	// Immutable reports whether a file's name carries its content hash;
	// nil: a segment of the name of 8 or more hex digits (app.3f9a2b1c.js).
	Immutable func(urlPath string) bool

	// Headers are added to every response.
	Headers http.Header

	// NotFoundPage is the URL path of the site's 404 page, served with
	// status 404 when it exists.
	NotFoundPage string

	// CleanURLs serves a page without its .html: /about is about.html,
	// and /about.html and /docs/index.html redirect (308) to /about and
	// /docs/, as Cloudflare Pages does.
	CleanURLs bool
	// SPA, when set, is the URL path of the page ("/index.html") served
	// with 200 for a navigation (GET or HEAD, HTML accepted) to a path
	// without a file and without an extension: a single-page app's
	// routes. The page gets its own hints.
	SPA string
	// Listing lists the files of a folder without an index.html: only
	// files the manifest serves.
	Listing bool

	// Reload, when set, is live reload (see Reloader).
	Reload Reloader

	// Report serves, under ReportPath, the report of what each page gets
	// (its critical assets, their sizes and channels, and what browsers
	// did with them), and adds to HTML responses a script that sends the
	// page's Resource Timing there after load. A tool for development: it
	// shows the site's structure to whoever asks and shadows the site's own
	// files under ReportPath (see report_http.go).
	Report bool

	// Logger receives the handler's messages; nil: slog.Default().
	Logger *slog.Logger
	// AccessLog, when set, receives one record per request at level
	// Info (see AccessLogFormat.Logger).
	AccessLog *slog.Logger
	// Observe, when set, is called with the Record of each request once
	// it is served, on the request's goroutine (herald's metrics). It must
	// return soon and keep nothing of r.
	Observe func(r *http.Request, rec Record)
}

// DefaultOptions returns the options herald serve starts from: every
// channel on, pages revalidated on each visit, other files cached for an
// hour (a year for names carrying a content hash).
//
// The push budget is 32 assets and 512 KiB per page. Push only helps with
// bytes the browser would otherwise wait a round trip for, and it wastes
// the link when the client already has them (the cache digest cookie
// prevents that for clients herald has served before, but not for a cache
// filled elsewhere). The bytes bound covers the critical path of common
// documentation sites (a Sphinx page such as the Python docs' index needs
// 14 assets, 407 KiB, before its first paint) while capping the worst case
// near half a second of a 10 Mbit/s link; beyond it the browser has parsed
// the page and asks for the rest itself. The count bound stays well below
// the 100 concurrent streams that browsers and nghttp allow, so pushed
// streams never crowd out the client's own requests. An asset larger than
// what is left of the byte budget is skipped and smaller ones after it
// still pushed; stylesheets go first because they block rendering.
func DefaultOptions() Options {
	return Options{
		Push:              PushAuto,
		Hints:             true,
		Preload:           true,
		Compress:          true,
		PushMaxBytes:      512 << 10,
		PushMaxCount:      32,
		LinkMaxCount:      DefaultLinkMaxCount,
		LinkMaxBytes:      DefaultLinkMaxBytes,
		HTMLCacheControl:  "no-cache",
		AssetCacheControl: "public, max-age=3600",
		NotFoundPage:      "/404.html",
	}
}

// Handler serves one site from a file system and its manifest.
type Handler struct {
	fsys   fs.FS
	opts   Options
	logger *slog.Logger
	extra  []headerField // opts.Headers, ready to copy
	// extraLink and extraVary are the Link and Vary of opts.Headers, which
	// what herald adds to those fields goes after.
	extraLink, extraVary []string
	compressed           *compress.Cache // opts.Compressed, or the handler's own

	state atomic.Pointer[state]
	mu    sync.Mutex // serializes SetManifest
	// ruleData are the bytes of _redirects and _headers read last, whose
	// problems were logged; guarded by mu.
	ruleData [2]string

	// snippet is inserted before </body> of HTML responses: live reload's
	// script and the report's; nil for none.
	snippet []byte
	report  *reportStore // nil: Options.Report is off
}

type headerField struct {
	key    string
	values []string
}

// state is everything derived from one manifest. Requests load it once, so
// each sees one manifest whole, never a mix of two.
type state struct {
	m        *manifest.Manifest
	fsys     fs.FS
	files    map[string]*fileEntry // by URL path
	routes   map[string]*fileEntry // request path → file ("/dir/" → its index.html)
	notFound *fileEntry
	rules    rules
	// folders are the listings of folders, with Options.Listing.
	folders map[string][]listEntry
	// cacheBytes counts the bytes of this state's cached files.
	cacheBytes atomic.Int64
}

// New returns a handler serving fsys as described by m. fsys should be an
// os.Root's FS (or an embed.FS, a bundle): the handler opens only files the
// manifest lists, and the file system refuses links that leave it.
func New(fsys fs.FS, m *manifest.Manifest, opts Options) *Handler {
	if opts.Immutable == nil {
		opts.Immutable = hashLike
	}
	if opts.Push == "" {
		opts.Push = PushAuto
	}
	if opts.LinkMaxCount <= 0 {
		opts.LinkMaxCount = DefaultLinkMaxCount
	}
	if opts.LinkMaxBytes <= 0 {
		opts.LinkMaxBytes = DefaultLinkMaxBytes
	}
	h := &Handler{fsys: fsys, opts: opts, logger: opts.Logger, compressed: opts.Compressed}
	if opts.Compress && h.compressed == nil {
		h.compressed = compress.New(compress.Options{})
	}
	if h.logger == nil {
		h.logger = slog.Default()
	}
	if opts.Reload != nil {
		h.snippet = opts.Reload.Snippet()
	}
	if opts.Report {
		h.report = newReportStore()
		h.snippet = append(h.snippet[:len(h.snippet):len(h.snippet)], reportSnippet...)
	}
	for k, v := range opts.Headers {
		f := headerField{http.CanonicalHeaderKey(k), v[:len(v):len(v)]}
		h.extra = append(h.extra, f)
		switch f.key {
		case "Link":
			h.extraLink = f.values
		case "Vary":
			h.extraVary = f.values
		}
	}
	h.SetManifest(m)
	return h
}

// SetManifest makes later requests use m. Requests in flight finish with
// the manifest they started with. Files whose hash did not change keep
// their place in the memory cache.
func (h *Handler) SetManifest(m *manifest.Manifest) {
	if m == nil {
		m = &manifest.Manifest{Version: manifest.Version}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s := &state{m: m, fsys: h.fsys, files: make(map[string]*fileEntry, len(m.Files)),
		routes: make(map[string]*fileEntry, len(m.Files)+len(m.Pages)/4)}
	old := h.state.Load()
	for p, f := range m.Files {
		if manifest.Hidden(p) { // a manifest made elsewhere, or of an older herald
			continue
		}
		e := newFileEntry(p, f, &h.opts)
		if old != nil {
			if prev := old.files[p]; prev != nil && prev.hash == e.hash && e.hash != "" {
				if c := prev.cached.Load(); c != nil {
					e.cached.Store(c)
					s.cacheBytes.Add(e.size)
				}
			}
		}
		s.files[p] = e
		s.routes[p] = e
		if path.Base(p) == "index.html" {
			s.routes[strings.TrimSuffix(p, "index.html")] = e
		}
	}
	linkVariants(s.files)
	for p, page := range m.Pages {
		e := s.files[p]
		if e == nil || page == nil {
			continue
		}
		if prev := old.entry(p); prev != nil && prev.page != nil && prev.page.page == page {
			e.page = prev.page // manifests share unchanged pages
		} else {
			e.page = &lazyPlan{page: page, opts: &h.opts}
		}
	}
	s.notFound = s.files[h.opts.NotFoundPage]
	s.rules = h.loadRules()
	if spa := h.opts.SPA; spa != "" && s.files[spa] == nil && (old == nil || old.files[spa] != nil) {
		h.logger.Warn("the single-page app's page is not in the site: paths without a file get 404", "page", spa)
	}
	if h.opts.Listing {
		s.folders = listings(s.files)
	}
	h.state.Store(s)
	h.warm(s)
}

// entry is the file at URL path p in s, if s and the file exist.
func (s *state) entry(p string) *fileEntry {
	if s == nil {
		return nil
	}
	return s.files[p]
}

// Manifest returns the manifest in use.
func (h *Handler) Manifest() *manifest.Manifest { return h.state.Load().m }

// ServeHTTP serves a file of the site; for a page it first delivers the
// page's critical assets.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := h.state.Load()
	if s.rules.headers != nil {
		if set, detach := s.rules.headers.Match(requestHost(r), r.URL.Path); set != nil || detach != nil {
			w = &headerWriter{ResponseWriter: w, set: set, detach: detach}
		}
	}
	if h.opts.AccessLog != nil || h.opts.Observe != nil {
		lw := &loggingWriter{ResponseWriter: w}
		start := time.Now()
		defer h.finish(r, lw, start)
		w = lw
	}
	hdr := w.Header()
	for _, f := range h.extra {
		hdr[f.key] = f.values
	}
	if h.opts.Reload != nil && r.URL.Path == ReloadPath {
		h.opts.Reload.ServeHTTP(w, r)
		return
	}
	if h.report != nil && strings.HasPrefix(r.URL.Path, ReportPath) {
		h.serveReport(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr["Allow"] = allowGetHead
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	e := h.route(w, r, s)
	if e == nil {
		return // answered
	}
	if e.page != nil && !h.deliver(w, r, e.page.get(), e) {
		return // the client reset the stream
	}
	if e.html && h.snippet != nil {
		h.serveWithSnippet(w, r, s, e)
		return
	}
	h.serveFile(w, r, s, e)
}

// route finds the file to serve for a request, or answers it (a redirect,
// a listing, a 404) and returns nil.
func (h *Handler) route(w http.ResponseWriter, r *http.Request, s *state) *fileEntry {
	p := r.URL.Path
	e, folder := s.lookup(p)
	if e == nil && !folder && h.opts.CleanURLs && canonical(p) {
		e = s.cleanURL(p)
	}
	_, listed := s.folders[p]
	if m, ok := s.rules.redirects.Match(requestHost(r), p, r.URL.RawQuery, e != nil || folder || listed); ok && canonical(p) {
		if m.Location != "" {
			redirectTo(w, r, m.Location, m.Status, false)
			return nil
		}
		return h.rewrite(w, r, s, m)
	}
	switch {
	case folder:
		// The path as the client wrote it, escaped: a folder named c# or
		// 100% must not become a fragment or a broken escape.
		redirectTo(w, r, r.URL.EscapedPath()+"/", http.StatusMovedPermanently, true)
		return nil
	case e != nil && h.opts.CleanURLs:
		if pretty, ok := s.prettyPath(p); ok {
			redirectTo(w, r, (&url.URL{Path: pretty}).EscapedPath(), http.StatusPermanentRedirect, true)
			return nil
		}
	case e != nil:
	case listed:
		serveListing(w, r, p, s.folders[p])
		return nil
	case h.opts.SPA != "" && canonical(p) && spaFallback(r, p) && s.files[h.opts.SPA] != nil:
		e = s.files[h.opts.SPA]
	default:
		h.notFound(w, r, s)
		return nil
	}
	return e
}

var allowGetHead = header("GET, HEAD")

// withExtra returns the values of a field that opts.Headers also sets:
// extra (never appended to in place), then vals.
func withExtra(extra, vals []string) []string {
	if len(extra) == 0 {
		return vals
	}
	return append(extra[:len(extra):len(extra)], vals...)
}

// restore sets a field back to what opts.Headers gives it, if anything.
func restore(hdr http.Header, key string, extra []string) {
	if extra == nil {
		delete(hdr, key)
	} else {
		hdr[key] = extra
	}
}

// lookup finds the file a request path names. Only canonical paths name
// files: a path with dot segments, doubled slashes, a backslash or a NUL
// is not found, whatever it would resolve to. A folder named without its
// trailing slash is reported (folder), to be redirected to it.
func (s *state) lookup(p string) (e *fileEntry, folder bool) {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	if !canonical(p) {
		return nil, false
	}
	if e := s.routes[p]; e != nil {
		return e, false
	}
	if !strings.HasSuffix(p, "/") {
		if _, listed := s.folders[p+"/"]; listed || s.routes[p+"/"] != nil {
			return nil, true
		}
	}
	return nil, false
}

// deliver sends a page's critical assets: pushes of those the client lacks,
// then 103 Early Hints and the Link header of the page's response with all
// of them. The cache digest gates push only: a hint or a preload of an asset
// the browser has costs nothing (it answers from its cache), while one left
// out costs the page's chain of round trips whenever the cookie outlives the
// cache. So the cookie is set only when push is on. It returns false when
// the client reset the stream while the 103 was being written: net/http's
// HTTP/2 server may then still be encoding the header map, which must not
// be touched again (the race detector caught it under a rapid reset).
//
// With the report on, it records what it sent for page e.
func (h *Handler) deliver(w http.ResponseWriter, r *http.Request, plan *pagePlan, e *fileEntry) bool {
	if len(plan.assets) == 0 {
		return true
	}
	if r.Method != http.MethodGet {
		// HEAD: the header fields GET would have, without sending anything
		// or recording it.
		if h.opts.Preload {
			w.Header()["Link"] = withExtra(h.extraLink, plan.links)
		}
		return true
	}
	var haveBuf [digestMaxEntries]uint16
	have := readDigest(r, haveBuf[:0])
	var sentBuf [32]uint16
	sent, held := h.push(w, r, plan, have, sentBuf[:0])
	lw, _ := w.(*loggingWriter) // nil without an access log or observer
	if lw != nil {
		lw.Pushed, lw.DigestHits = len(sent), held
	}

	nav := isNavigation(r)
	hdr := w.Header()
	hinted := false
	if h.opts.Hints && nav && r.ProtoMajor >= 2 {
		hdr["Link"] = withExtra(h.extraLink, plan.links)
		w.WriteHeader(http.StatusEarlyHints)
		if r.Context().Err() != nil {
			return false
		}
		hinted = true
		if lw != nil {
			lw.Hinted = len(plan.links)
		}
	}
	if h.opts.Preload {
		hdr["Link"] = withExtra(h.extraLink, plan.links)
	} else {
		restore(hdr, "Link", h.extraLink)
	}
	if h.report != nil {
		d := Delivery{Protocol: r.Proto, Pushed: len(sent), At: time.Now()}
		if hinted {
			d.Hints = len(plan.links)
		}
		if h.opts.Preload {
			d.Preload = len(plan.links)
		}
		h.report.addDelivery("/"+e.name, d)
	}
	if h.opts.Push != PushAuto {
		return true
	}
	if nav && (hinted || h.opts.Preload) {
		for i := range plan.assets {
			sent = append(sent, plan.assets[i].key)
		}
	}
	if d, changed := have.withKeys(sent); changed {
		hdr["Set-Cookie"] = append(hdr["Set-Cookie"], digestSetCookie(d, r.TLS != nil))
	}
	return true
}

// serveWithSnippet serves a page with the snippet (live reload, report) before its
// </body>. The response is not the file, so it carries no validator.
func (h *Handler) serveWithSnippet(w http.ResponseWriter, r *http.Request, s *state, e *fileEntry) {
	c, err := s.open(e)
	if err != nil {
		h.openFailed(w, r, s, e, err)
		return
	}
	data, err := io.ReadAll(c.r)
	if c.close != nil {
		c.close()
	}
	if err != nil {
		h.openFailed(w, r, s, e, err)
		return
	}
	snippet := h.snippet
	at := lastIndexFold(data, []byte("</body>"))
	if at < 0 {
		at = len(data)
	}
	out := make([]byte, 0, len(data)+len(snippet))
	out = append(append(append(out, data[:at]...), snippet...), data[at:]...)
	hdr := w.Header()
	hdr["Content-Type"] = e.contentType
	hdr["Cache-Control"] = noStore
	if h.opts.Compress {
		// Made anew for each request, so at a fast level (pages are small).
		hdr["Vary"] = withExtra(h.extraVary, varyAcceptEncoding)
		if c := compress.Negotiate(r.Header["Accept-Encoding"], compress.Fast); c != compress.Identity {
			if enc := compress.EncodeFast(c, out); compress.Worth(len(enc), len(out)) {
				out = enc
				hdr["Content-Encoding"] = codingHeader[c]
				hdr["Content-Length"] = header(strconv.Itoa(len(out))) // as in serveFile
			}
		}
	}
	serveContent(w, r, time.Time{}, bytes.NewReader(out))
}

var noStore = header("no-store")

// lastIndexFold is bytes.LastIndex ignoring ASCII case.
func lastIndexFold(s, sep []byte) int {
	for i := len(s) - len(sep); i >= 0; i-- {
		if bytes.EqualFold(s[i:i+len(sep)], sep) {
			return i
		}
	}
	return -1
}
