package manifest_test

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"herald/internal/testsite"
	"herald/manifest"
	"herald/sites"

	"github.com/chromedp/chromedp"
)

// TestAgainstChromium checks the rules that imitate a browser against a real
// one: the stylesheets and scripts Chromium reports as render-blocking
// (Resource Timing's renderBlockingStatus) are exactly the manifest's
// critical styles and scripts, the web fonts it loads are the manifest's, and
// its largest contentful paint is the manifest's hero image (or text, when
// the manifest names none).
func TestAgainstChromium(t *testing.T) {
	chromium := testsite.Tool(t, "chromium")
	type page struct {
		name string
		fsys func(t *testing.T) fsysCloser
		path string
	}
	pages := []page{
		{"example", func(t *testing.T) fsysCloser { return fsysCloser{sites.Example(), func() {}} }, "/index.html"},
		{"python", dirFS("python"), "/index.html"},
		{"python", dirFS("python"), "/library/os.html"},
		{"python", dirFS("python"), "/library/hashlib.html"},
		{"python", dirFS("python"), "/using/windows.html"},
		{"postgres", dirFS("postgres"), "/sql-select.html"},
		{"reveal.js", dirFS("reveal.js"), "/demo.html"},
		{"swagger-ui-dist", dirFS("swagger-ui-dist"), "/index.html"},
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	for _, p := range pages {
		t.Run(p.name+p.path, func(t *testing.T) {
			fsys := p.fsys(t)
			defer fsys.close()
			m, _, err := manifest.Build(fsys, manifest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(http.FileServerFS(fsys))
			defer srv.Close()

			ctx, cancel := chromedp.NewContext(bctx)
			defer cancel()
			ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			type entry struct {
				Name           string `json:"name"`
				InitiatorType  string `json:"initiatorType"`
				RenderBlocking string `json:"renderBlockingStatus"`
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+p.path)); err != nil {
				t.Fatal(err)
			}
			entries, err := chromedp.Run(ctx, chromedp.Evaluate[[]entry](`document.fonts.ready.then(() =>
				performance.getEntriesByType("resource").map(e => ({name: e.name, initiatorType: e.initiatorType, renderBlockingStatus: e.renderBlockingStatus})))`,
				chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatal(err)
			}
			lcp, err := chromedp.Run(ctx, chromedp.Evaluate[string](`new Promise(resolve =>
				new PerformanceObserver(list => { const e = list.getEntries(); resolve(e[e.length-1].url || "") })
					.observe({type: "largest-contentful-paint", buffered: true}))`, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatal(err)
			}
			var blocking, fonts []string
			for _, e := range entries {
				u, _ := url.Parse(e.Name)
				path := u.EscapedPath()
				if u.RawQuery != "" {
					path += "?" + u.RawQuery
				}
				if e.RenderBlocking == "blocking" {
					blocking = append(blocking, path)
				}
				if e.InitiatorType == "css" && isFont(path) {
					fonts = append(fonts, path)
				}
			}
			var wantBlocking, wantFonts []string
			wantLCP := ""
			for _, a := range m.Pages[p.path].Assets {
				if a.Why == manifest.WhyHero {
					wantLCP = srv.URL + a.Path
				}
				switch a.As {
				case "style", "script":
					if a.Why != manifest.WhyPreload && a.Why != manifest.WhyModulePreload {
						wantBlocking = append(wantBlocking, a.Path)
					}
				case "font":
					if a.Why == manifest.WhyFontFace {
						wantFonts = append(wantFonts, a.Path)
					}
				}
			}
			// A script or stylesheet of the body blocks the parser, not the
			// first paint, and the manifest lists it apart (deferred).
			// Chromium calls one render-blocking now and then (seen once in
			// many runs: reveal.js's demo, its body script dist/reveal.js),
			// when it fetches it before the first paint: allowed, not asked,
			// but only for an element Chromium's own parser put in <body>.
			// A head stylesheet the manifest wrongly defers is still caught.
			inBody, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.body.querySelectorAll("script[src], link[href]")]
				.map(e => { const u = new URL(e.src || e.href); return u.pathname + u.search })`))
			if err != nil {
				t.Fatal(err)
			}
			var deferred []string
			for _, a := range m.Pages[p.path].Deferred {
				deferred = append(deferred, a.Path)
			}
			blocking = slices.DeleteFunc(blocking, func(path string) bool {
				if slices.Contains(deferred, path) && slices.Contains(inBody, path) && !slices.Contains(wantBlocking, path) {
					t.Logf("chromium took %s, a deferred resource of the body, for render-blocking", path)
					return true
				}
				return false
			})
			slices.Sort(blocking)
			slices.Sort(wantBlocking)
			slices.Sort(fonts)
			slices.Sort(wantFonts)
			if !slices.Equal(blocking, wantBlocking) {
				t.Errorf("render-blocking\nchromium: %q\nmanifest: %q", blocking, wantBlocking)
			}
			if lcp != wantLCP {
				t.Errorf("largest contentful paint: chromium %q, manifest's hero %q", lcp, wantLCP)
			}
			if !slices.Equal(fonts, wantFonts) {
				t.Errorf("web fonts\nchromium: %q\nmanifest: %q", fonts, wantFonts)
			}
		})
	}
}

// fsysCloser is a site's files and what to close when done with them.
type fsysCloser struct {
	fs.FS
	close func()
}

func dirFS(name string) func(t *testing.T) fsysCloser {
	return func(t *testing.T) fsysCloser {
		root, err := os.OpenRoot(testsite.Dir(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return fsysCloser{root.FS(), func() { root.Close() }}
	}
}

func isFont(p string) bool {
	for _, ext := range []string{".woff2", ".woff", ".ttf", ".otf"} {
		if strings.HasSuffix(strings.SplitN(p, "?", 2)[0], ext) {
			return true
		}
	}
	return false
}
