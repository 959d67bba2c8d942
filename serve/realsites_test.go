package serve

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/internal/relay"
	"herald/internal/testsite"
	"herald/manifest"

	"github.com/chromedp/chromedp"
)

// pythonSite opens the Python docs through an os.Root and builds their
// manifest.
func pythonSite(t testing.TB) (fs.FS, *manifest.Manifest) {
	t.Helper()
	root, err := os.OpenRoot(testsite.Dir(t, "python"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	m, _, err := manifest.Build(root.FS(), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return root.FS(), m
}

// TestPythonDocs serves the Python docs over HTTP/2: a sample of files
// (every 7th, twice, so cached ones are checked too) comes back byte for
// byte as on disk under the ETag of its manifest hash, and the index page
// pushes and hints its 14 critical assets.
func TestPythonDocs(t *testing.T) {
	fsys, m := pythonSite(t)
	srv := newTLSServer(t, New(fsys, m, DefaultOptions()))
	client := srv.Client()
	var names []string
	for p := range m.Files {
		names = append(names, p)
	}
	sort.Strings(names)
	checked := 0
	for round := range 2 {
		for i := 0; i < len(names); i += 7 {
			p := names[i]
			resp, err := client.Get(srv.URL + escapePath(p))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			disk, err := fs.ReadFile(fsys, strings.TrimPrefix(p, "/"))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || !bytes.Equal(body, disk) {
				t.Fatalf("round %d %s: status %d, %d bytes; want 200 and the %d bytes on disk", round, p, resp.StatusCode, len(body), len(disk))
			}
			want := etagFor(string(disk))
			if resp.Uncompressed { // the client asked for gzip and decoded it
				want = strings.TrimSuffix(want, `"`) + `-gzip"`
			}
			if etag := resp.Header.Get("Etag"); etag != want {
				t.Fatalf("%s: ETag %s, want %s", p, etag, want)
			}
			checked++
		}
	}
	t.Logf("%d responses checked against disk", checked)

	page := m.Pages["/index.html"]
	if page == nil || len(page.Assets) != 14 {
		t.Fatalf("the manifest's index has %v assets, want 14", page)
	}
	var wantLinks, styles, others []string
	for _, a := range page.Assets {
		wantLinks = append(wantLinks, "<"+a.Path+">; rel=preload; as="+a.As)
		if a.As == "style" {
			styles = append(styles, a.Path)
		} else {
			others = append(others, a.Path)
		}
	}
	r := dialH2(t, srv, true).get("/", browserHeaders...)
	if len(r.early) != 1 || !slices.Equal(r.early[0], wantLinks) {
		t.Errorf("index: early hints %q, want %q", r.early, wantLinks)
	}
	if !slices.Equal(r.header["link"], wantLinks) {
		t.Errorf("index: Link %q, want %q", r.header["link"], wantLinks)
	}
	if want := append(styles, others...); !slices.Equal(r.pushes, want) {
		t.Errorf("index: pushed %v, want %v (stylesheets first, all within the default budget)", r.pushes, want)
	}
}

// escapePath writes a URL path as a request target.
func escapePath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("%?#\"<>\\^`{|}", c) >= 0 {
			b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// TestChromiumUsesEarlyHints loads pages in a real headless Chromium over
// TLS and HTTP/2, with the test server's certificate trusted through its
// public key: herald sends one 103 for the navigation, and every critical
// asset of the page is fetched through it (Resource Timing initiatorType
// "early-hints"). Chromium talks to herald through a relay adding 5 ms
// each way: on bare loopback the page lands in the same instant as its
// hints and Chromium ignores them in some fresh loads; at 10 ms RTT it
// uses them every time, so one load per page, without retry, decides.
func TestChromiumUsesEarlyHints(t *testing.T) {
	chromium := testsite.Tool(t, "chromium")
	pages := []struct {
		name string
		site func(t testing.TB) (fs.FS, *manifest.Manifest)
		path string
	}{
		{"test site", func(t testing.TB) (fs.FS, *manifest.Manifest) {
			fsys := testSite()
			m, _, err := manifest.Build(fsys, manifest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return fsys, m
		}, "/"},
		{"python", pythonSite, "/"},
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true), chromedp.UserDataDir(t.TempDir()))
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			fsys, m := p.site(t)
			// Early hints are for the time a server takes to make the page:
			// here it takes 300 ms after the 103, as a busy server might.
			think := thinkAfterHints(New(fsys, m, DefaultOptions()), 300*time.Millisecond)
			srv := newTLSServer(t, think)
			base := "https://" + relay.Start(t, srv.Listener.Addr().String(), 5*time.Millisecond)
			spki := sha256.Sum256(srv.Certificate().RawSubjectPublicKeyInfo)
			actx, cancel := chromedp.NewExecAllocator(context.Background(), append(opts,
				chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])))...)
			defer cancel()
			bctx, cancel := chromedp.NewContext(actx)
			defer cancel()
			bctx, cancel = context.WithTimeout(bctx, 120*time.Second)
			defer cancel()
			if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
				t.Fatal(err)
			}
			page := m.Pages["/index.html"]
			if len(page.Assets) == 0 {
				t.Fatal("the page has no critical assets: the test checks nothing")
			}
			for _, p := range loadWithHints(t, bctx, base, p.path, page.Assets) {
				t.Error(p)
			}
			if n := think.hints(p.path); n != 1 {
				t.Errorf("herald sent %d 103 responses for %s, want 1", n, p.path)
			}
		})
	}
}

// loadWithHints loads path in a fresh browser context of the browser of
// bctx and returns how the assets were not fetched through early hints.
func loadWithHints(t *testing.T, bctx context.Context, base, path string, assets []manifest.Asset) []string {
	ctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+path)); err != nil {
		t.Fatal(err)
	}
	type entry struct {
		Name          string `json:"name"`
		InitiatorType string `json:"initiatorType"`
		Protocol      string `json:"nextHopProtocol"`
	}
	entries, err := chromedp.Run(ctx, chromedp.Evaluate[[]entry](`performance.getEntriesByType("resource").map(e =>
		({name: e.name, initiatorType: e.initiatorType, nextHopProtocol: e.nextHopProtocol}))`))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]entry{}
	for _, e := range entries {
		got[strings.TrimPrefix(e.Name, base)] = e
	}
	var problems []string
	for _, a := range assets {
		switch e, ok := got[a.Path]; {
		case !ok:
			problems = append(problems, a.Path+": not loaded")
		case e.InitiatorType != "early-hints":
			problems = append(problems, fmt.Sprintf("%s: initiatorType %q over %s, want early-hints", a.Path, e.InitiatorType, e.Protocol))
		}
	}
	return problems
}

// thinkAfterHints delays every response by d after its 103 Early Hints, as
// a server that makes its pages would, and counts the 103s of each path.
func thinkAfterHints(h http.Handler, d time.Duration) *thinker {
	return &thinker{h: h, d: d, sent: map[string]int{}}
}

type thinker struct {
	h    http.Handler
	d    time.Duration
	mu   sync.Mutex
	sent map[string]int // 103 responses by request path
}

func (th *thinker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	th.h.ServeHTTP(&thinkingWriter{w, th, r.URL.Path}, r)
}

// hints returns how many 103 responses were sent for path.
func (th *thinker) hints(path string) int {
	th.mu.Lock()
	defer th.mu.Unlock()
	return th.sent[path]
}

type thinkingWriter struct {
	http.ResponseWriter
	th   *thinker
	path string
}

func (w *thinkingWriter) WriteHeader(code int) {
	w.ResponseWriter.WriteHeader(code)
	if code == http.StatusEarlyHints {
		w.th.mu.Lock()
		w.th.sent[w.path]++
		w.th.mu.Unlock()
		time.Sleep(w.th.d)
	}
}

func (w *thinkingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
