// Package audit holds a manifest to a real browser: it serves a site with
// herald's own handler (push, hints and preload headers off, so the browser
// fetches only what the page itself asks for), loads pages in headless
// Chromium at a 1366x768 viewport, and compares what Chromium treated as
// critical with the critical assets the manifest lists for the page.
//
// Critical, for Chromium, is the union of: the resources Resource Timing
// reports with renderBlockingStatus "blocking"; the font files its CSS
// requested for the document's own elements (a second load with scripts
// off, see fontsJS); and the same-origin image of the last
// largest-contentful-paint entry. A body stylesheet or script the
// manifest defers, which Chromium now and then reports as blocking when it
// fetched it before the first paint, is not counted; nor is a file the
// site lacks, which the manifest lists as missing.
//
// Content that scripts insert is seen only as far as it is painted before
// the page's load event; resources of other origins are left out (the
// manifest lists them apart).
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"herald/manifest"
	"herald/serve"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The page's viewport is the desktop one the manifest is made for,
// 1366x768 CSS pixels at a device pixel ratio of 1, set by device
// metrics override (Emulation.setDeviceMetricsOverride) rather than by the
// window's size: a 1366x768 headless window gives the page a viewport of
// 1366x625 or 1366x681 depending on how Chromium is started, and whether an
// element fills the whole viewport decides whether its background image can
// be the largest contentful paint (a 745 px high header is one at 1366x768,
// not at 1366x625). Each page reports the viewport it had.
const (
	ViewportWidth  = manifest.ViewportWidth
	ViewportHeight = manifest.ViewportHeight
)

// Options tune Run.
type Options struct {
	// Chromium is the browser's executable; "" looks for chromium on $PATH.
	Chromium string
	// Pages is how many pages to load, spread evenly over the sorted list
	// of the site's pages; 0 loads them all.
	Pages int
	// Paths, when set, are the pages to load (URL paths), instead of Pages.
	Paths []string
	// Timeout bounds the load of one page; 0 is 30 seconds.
	Timeout time.Duration
}

// Page is the comparison on one page. Paths are URL paths of the site.
type Page struct {
	Path string `json:"path"`
	// Needed is what Chromium treated as critical; Listed what the manifest
	// lists; Extra is listed and not needed, Missed needed and not listed.
	Needed []string `json:"needed"`
	Listed []string `json:"listed"`
	Extra  []string `json:"extra"`
	Missed []string `json:"missed"`
	// Ignored are resources Chromium took as blocking that the manifest
	// defers and the page holds in its body (see the package doc).
	Ignored []string `json:"ignored,omitempty"`
	// Absent are resources Chromium needed that the site does not have:
	// the manifest lists them as missing (herald check reports them), and
	// no server can send them early, so they are not counted.
	Absent []string `json:"absent,omitempty"`
	// LCP names the element of the last largest-contentful-paint entry and
	// its size, Viewport the page's CSS viewport: what to read when the
	// hero image disagrees.
	LCP      string `json:"lcp,omitempty"`
	Viewport string `json:"viewport,omitempty"`
	// LeftFor is where the page sent the browser, when it is a redirect
	// (a meta refresh or a script that replaces the location): what
	// Chromium loaded is another page, so nothing is compared and the
	// page counts for neither precision nor recall.
	LeftFor string `json:"left_for,omitempty"`
}

// Precision is the share of listed assets that were needed (1 when none
// are listed).
func (p Page) Precision() float64 { return ratio(len(p.Listed)-len(p.Extra), len(p.Listed)) }

// Recall is the share of needed assets that are listed (1 when none were
// needed).
func (p Page) Recall() float64 { return ratio(len(p.Needed)-len(p.Missed), len(p.Needed)) }

// Report is the comparison on every page loaded.
type Report struct {
	Pages []Page `json:"pages"`
}

// Precision is the micro precision: listed-and-needed over listed, summed
// over the pages.
func (r Report) Precision() float64 {
	var hit, n int
	for _, p := range r.Pages {
		hit += len(p.Listed) - len(p.Extra)
		n += len(p.Listed)
	}
	return ratio(hit, n)
}

// Recall is the micro recall: listed-and-needed over needed, summed over
// the pages.
func (r Report) Recall() float64 {
	var hit, n int
	for _, p := range r.Pages {
		hit += len(p.Needed) - len(p.Missed)
		n += len(p.Needed)
	}
	return ratio(hit, n)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// Pick returns n paths spread evenly over the sorted list (all when n <= 0
// or n >= len).
func Pick(paths []string, n int) []string {
	paths = slices.Sorted(slices.Values(paths))
	if n <= 0 || n >= len(paths) {
		return paths
	}
	out := make([]string, n)
	for i := range n {
		out[i] = paths[i*len(paths)/n]
	}
	return out
}

// Run loads pages of the site fsys, whose manifest is m, in Chromium and
// compares. ctx bounds the whole run.
func Run(ctx context.Context, fsys fs.FS, m *manifest.Manifest, opts Options) (Report, error) {
	paths := opts.Paths
	if len(paths) == 0 {
		paths = Pick(slices.Collect(mapKeys(m.Pages)), opts.Pages)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	h := serve.New(fsys, m, serve.Options{Push: serve.PushOff, Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(h)
	defer srv.Close()

	bctx, cancel, err := Browser(ctx, opts.Chromium, "")
	if err != nil {
		return Report{}, err
	}
	defer cancel()
	var r Report
	for _, p := range paths {
		obs, err := Load(bctx, srv.URL, p, opts.Timeout)
		if err != nil {
			return r, fmt.Errorf("audit: load %s: %w", p, err)
		}
		r.Pages = append(r.Pages, Compare(p, m.Pages[p], obs))
	}
	return r, nil
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Browser starts headless Chromium (exe, or chromium on $PATH when "") with
// its profile in dataDir (a temporary folder when ""); cancel stops it.
func Browser(ctx context.Context, exe, dataDir string) (context.Context, context.CancelFunc, error) {
	if exe == "" {
		exe = "chromium"
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(ViewportWidth, ViewportHeight),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	if dataDir != "" {
		opts = append(opts, chromedp.UserDataDir(dataDir))
	}
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	cancel := func() { cancelB(); cancelA() }
	if err := chromedp.Do(bctx); err != nil {
		cancel()
		return nil, nil, fmt.Errorf("audit: start %s: %w", exe, err)
	}
	return bctx, cancel, nil
}

// Observed is what Chromium did on one page. Paths are URL paths (with the
// query, if any) of the page's origin.
type Observed struct {
	Blocking []string // renderBlockingStatus "blocking"
	Fonts    []string // font files CSS asked for, scripts off
	LCP      string   // image of the last largest-contentful-paint entry, or ""
	InBody   []string // stylesheets and scripts the parsed <body> holds
	// LCPElement names the last LCP entry's element and its size;
	// Viewport is the page's innerWidth x innerHeight.
	LCPElement, Viewport string
	// LeftFor is the path (with the query) of the page the browser was
	// sent on to, when it did not stay on the page asked for.
	LeftFor string
}

// Load opens base+path in a new tab of the browser bctx (from Browser),
// with the cache off, waits for the load event and web fonts, and reports
// what Chromium treated as critical. The page is loaded twice: as it is,
// for what blocks rendering and the LCP image; and with scripts off, for
// its fonts (see fontsJS).
func Load(bctx context.Context, base, path string, timeout time.Duration) (Observed, error) {
	type entry struct {
		Name           string `json:"name"`
		InitiatorType  string `json:"initiatorType"`
		RenderBlocking string `json:"renderBlockingStatus"`
	}
	type result struct {
		Entries []entry `json:"entries"`
		LCP     struct {
			URL     string  `json:"url"`
			Element string  `json:"element"`
			Size    float64 `json:"size"`
		} `json:"lcp"`
		InBody   []string `json:"inBody"`
		Viewport string   `json:"viewport"`
		Location string   `json:"location"`
	}
	origin, _ := url.Parse(base)
	local := func(raw string) (string, bool) {
		u, err := url.Parse(raw)
		if err != nil || u.Host != origin.Host {
			return "", false
		}
		p := u.EscapedPath()
		if u.RawQuery != "" {
			p += "?" + u.RawQuery
		}
		return p, true
	}
	res, err := open[result](bctx, base+path, timeout, false, collectJS)
	if left, ok := errLeft(err); ok {
		res.Location = left
	} else if err != nil {
		return Observed{}, err
	}
	if at := leftFor(path, res.Location, local); at != "" {
		return Observed{LeftFor: at}, nil
	}
	fonts, err := open[[]entry](bctx, base+path, timeout, true, fontsJS)
	if err != nil {
		return Observed{}, err
	}
	var o Observed
	for _, e := range res.Entries {
		if p, ok := local(e.Name); ok && e.RenderBlocking == "blocking" {
			o.Blocking = append(o.Blocking, p)
		}
	}
	for _, e := range fonts {
		if p, ok := local(e.Name); ok && e.InitiatorType == "css" && isFont(p) {
			o.Fonts = append(o.Fonts, p)
		}
	}
	if p, ok := local(res.LCP.URL); ok {
		o.LCP = p
	}
	o.LCPElement = fmt.Sprintf("%s (%.0f px²)", res.LCP.Element, res.LCP.Size)
	o.Viewport = res.Viewport
	for _, raw := range res.InBody {
		if p, ok := local(raw); ok {
			o.InBody = append(o.InBody, p)
		}
	}
	return o, nil
}

// open loads url in a new tab at the viewport, with the cache off and,
// when noScripts is set, the page's scripts off, and returns what js
// (evaluated after navigation, awaited) returns.
func open[T any](bctx context.Context, url string, timeout time.Duration, noScripts bool, js string) (T, error) {
	var zero T
	ctx, cancel := chromedp.NewContext(bctx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		return zero, err
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(ViewportWidth, ViewportHeight)); err != nil {
		return zero, err
	}
	if noScripts {
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			return zero, err
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return zero, err
	}
	if noScripts {
		// With scripts off, promises and animation frames of an evaluated
		// script do not run: the resource list is read until it has not
		// grown for half a second.
		var out T
		n := -1
		for {
			list, err := chromedp.Run(ctx, chromedp.Evaluate[[]json.RawMessage](js))
			if err != nil {
				return zero, err
			}
			if len(list) == n {
				b, _ := json.Marshal(list)
				return out, json.Unmarshal(b, &out)
			}
			n = len(list)
			if err := chromedp.Do(ctx, chromedp.Sleep(500*time.Millisecond)); err != nil {
				return zero, err
			}
		}
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		// A page that sends the browser on while the script runs destroys
		// the script's context: where it went says why.
		if loc, lerr := chromedp.Run(ctx, chromedp.Location()); lerr == nil && loc != url {
			return zero, &leftError{loc, err}
		}
	}
	return out, err
}

// leftError is the failure of a script on a page the browser left for URL.
type leftError struct {
	URL string
	err error
}

func (e *leftError) Error() string { return fmt.Sprintf("left for %s: %v", e.URL, e.err) }
func (e *leftError) Unwrap() error { return e.err }

// errLeft returns where the browser went when err is a leftError.
func errLeft(err error) (string, bool) {
	var l *leftError
	if errors.As(err, &l) {
		return l.URL, true
	}
	return "", false
}

// leftFor returns where the browser is, at location (a URL), when that is
// not the page path it was sent to: the path and query when local (see
// Load) takes it as the site's, else the whole URL; "" when it stayed.
// Paths are compared unescaped, the manifest escaping more than Chromium.
func leftFor(path, location string, local func(string) (string, bool)) string {
	if location == "" {
		return ""
	}
	at, ok := local(location)
	if !ok {
		return location
	}
	if unescape(at) == unescape(path) {
		return ""
	}
	return at
}

// unescape is p with its escapes undone, or p when they are malformed.
func unescape(p string) string {
	if u, err := url.PathUnescape(p); err == nil {
		return u
	}
	return p
}

// fontsJS lists the resources of the page loaded with its scripts off.
// With scripts off, the font files its CSS asked for are those of faces
// the document's own elements use, wherever they stand on the page:
// Chromium fetches a face only when text it lays out uses it. This is the
// manifest's rule, and unlike "fetched before the first contentful paint"
// it does not vary with timing: on a loaded machine the first paint of a
// long page came before or after the fetch of the heading's face from one
// run to the next.
//
// A font the page preloads is fetched by the preload (initiator "link"),
// and the face that uses it takes that response without a fetch of its
// own: such a file is listed a second time as the CSS's when a loaded face
// (document.fonts) is one of an @font-face rule whose src names it. Faces
// and rules are matched by family, style, weight and unicode-range. (With
// scripts off, FontFaceSet.forEach refuses callbacks: it is iterated.)
const fontsJS = `(() => {
	const list = performance.getEntriesByType("resource").map(e => ({name: e.name, initiatorType: e.initiatorType}));
	const key = (family, style, weight, range) => [
		family.replace(/^["']|["']$/g, ""), style || "normal",
		({"": "400", normal: "400", bold: "700"})[weight] ?? weight,
		(range || "U+0-10FFFF").toUpperCase().replace(/\s/g, "")].join("|");
	const loaded = new Set();
	for (const f of document.fonts) if (f.status === "loaded") loaded.add(key(f.family, f.style, f.weight, f.unicodeRange));
	const used = new Set();
	const walk = (rules, base) => {
		for (const r of rules) {
			if (r instanceof CSSFontFaceRule) {
				const v = p => r.style.getPropertyValue(p).trim();
				if (loaded.has(key(v("font-family"), v("font-style"), v("font-weight"), v("unicode-range"))))
					for (const m of v("src").matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)) used.add(new URL(m[1], base).href);
			} else if (r instanceof CSSImportRule) {
				try { walk(r.styleSheet.cssRules, r.styleSheet.href) } catch {}
			} else if (r.cssRules) {
				walk(r.cssRules, base);
			}
		}
	};
	for (const s of document.styleSheets) try { walk(s.cssRules, s.href || document.baseURI) } catch {}
	const preloaded = list.filter(e => e.initiatorType === "link" && used.has(e.name));
	return list.concat(preloaded.map(e => ({name: e.name, initiatorType: "css"})));
})()`

// collectJS waits for web fonts and two frames after load, then reads
// Resource Timing and the last LCP entry. An
// image's LCP entry comes when the decoded image is painted, which on a
// large background can be well after load and after the heading's entry:
// the entries are read until none has come for 1.5 s.
const collectJS = `(async () => {
	await document.fonts.ready;
	await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
	const lcp = await new Promise(resolve => {
		let last = {url: "", element: "", size: 0}, quiet = setTimeout(() => resolve(last), 1500);
		new PerformanceObserver(list => {
			const e = list.getEntries();
			if (e.length) {
				const x = e[e.length-1], el = x.element;
				last = {url: x.url || "", size: x.size,
					element: el ? el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.classList.length ? "." + [...el.classList].join(".") : "") : ""};
			}
			clearTimeout(quiet);
			quiet = setTimeout(() => resolve(last), 1500);
		}).observe({type: "largest-contentful-paint", buffered: true});
	});
	return {
		entries: performance.getEntriesByType("resource").map(e => ({name: e.name, initiatorType: e.initiatorType,
			renderBlockingStatus: e.renderBlockingStatus})),
		lcp: lcp,
		viewport: innerWidth + "x" + innerHeight,
		location: location.href,
		inBody: document.body ? [...document.body.querySelectorAll("script[src], link[href]")].map(e => e.src || e.href) : [],
	};
})()`

// Compare holds what Chromium did on a page against the manifest's entry
// for it. The manifest's critical assets (Assets) are what it lists.
func Compare(path string, mp *manifest.Page, o Observed) Page {
	if mp == nil {
		mp = &manifest.Page{}
	}
	if o.LeftFor != "" {
		return Page{Path: path, LeftFor: o.LeftFor}
	}
	p := Page{Path: path, LCP: o.LCPElement, Viewport: o.Viewport}
	var deferred []string
	for _, a := range mp.Deferred {
		deferred = append(deferred, a.Path)
	}
	for _, a := range mp.Assets {
		p.Listed = append(p.Listed, a.Path)
	}
	// The manifest escapes more than Chromium does ("(" and "'" of a
	// name): missing paths are compared unescaped.
	unescaped := unescape
	absent := map[string]bool{}
	for _, m := range mp.Missing {
		absent[unescaped(m.Path)] = true
	}
	needed := map[string]bool{}
	for _, b := range o.Blocking {
		if slices.Contains(deferred, b) && slices.Contains(o.InBody, b) && !slices.Contains(p.Listed, b) {
			p.Ignored = append(p.Ignored, b)
			continue
		}
		needed[b] = true
	}
	for _, f := range o.Fonts {
		needed[f] = true
	}
	if o.LCP != "" {
		needed[o.LCP] = true
	}
	for n := range needed {
		if absent[unescaped(n)] {
			p.Absent = append(p.Absent, n)
			continue
		}
		p.Needed = append(p.Needed, n)
		if !slices.Contains(p.Listed, n) {
			p.Missed = append(p.Missed, n)
		}
	}
	for _, l := range p.Listed {
		if !needed[l] {
			p.Extra = append(p.Extra, l)
		}
	}
	p.Listed = slices.Compact(slices.Sorted(slices.Values(p.Listed)))
	sort.Strings(p.Needed)
	sort.Strings(p.Missed)
	sort.Strings(p.Extra)
	sort.Strings(p.Absent)
	return p
}

func isFont(p string) bool {
	p, _, _ = strings.Cut(p, "?")
	for _, ext := range []string{".woff2", ".woff", ".ttf", ".otf", ".eot"} {
		if strings.HasSuffix(strings.ToLower(p), ext) {
			return true
		}
	}
	return false
}
