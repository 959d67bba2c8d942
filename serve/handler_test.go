package serve

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"herald/compress"
	"herald/internal/testsite"
	"herald/manifest"

	"github.com/andybalholm/brotli"
)

// The site most tests serve: a page with two stylesheets and a script in
// its head, a folder with an index, precompressed siblings, hidden files
// and a 404 page.
const (
	pageHTML = `<!doctype html><html><head><title>t</title>
<link rel="stylesheet" href="/a.css">
<script src="/app.js"></script>
<link rel="stylesheet" href="/b.css">
</head><body><p>hello</p></body></html>`
	aCSS = "body { color: #123456; margin: 0 auto; max-width: 60em; } /* a */ p { line-height: 1.5 }\n"
)

func gzipped(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func brotlied(s string) string {
	var b bytes.Buffer
	w := brotli.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func testSite() fstest.MapFS {
	big := make([]byte, cacheMaxFile+100<<10) // too big for the memory cache
	for i := range big {
		big[i] = byte(i * 7)
	}
	files := map[string]string{
		"index.html":              pageHTML,
		"a.css":                   aCSS,
		"a.css.gz":                gzipped(aCSS),
		"a.css.br":                brotlied(aCSS),
		"b.css":                   "h1 { font-weight: bold }\n",
		"app.js":                  "console.log('app')\n",
		"app.3f9a2b1c.js":         "console.log('hashed')\n",
		"docs/index.html":         "<!doctype html><title>docs</title><p>docs</p>",
		"404.html":                "<!doctype html><title>gone</title><p>not here</p>",
		"big.bin":                 string(big),
		".secret":                 "secret",
		".git/config":             "secret",
		"docs/.hidden":            "secret",
		"herald.toml":             "secret = true",
		"herald.toml.gz":          "secret = true",
		manifest.FileName + ".br": "{}",
		manifest.FileName:         "{}",
		"docs/push-manifest.json": "visible",
	}
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data), Mode: 0o644, ModTime: siteTime}
	}
	return fsys
}

// siteTime is when every file of testSite was last modified.
var siteTime = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// newHandler builds the manifest of fsys and a handler serving it.
func newHandler(t testing.TB, fsys fs.FS, opts Options) *Handler {
	t.Helper()
	m, problems, err := manifest.Build(fsys, manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if !p.Warning {
			t.Logf("build problem: %v", p)
		}
	}
	return New(fsys, m, opts)
}

func etagFor(data string) string {
	sum := sha256.Sum256([]byte(data))
	return `"` + hex.EncodeToString(sum[:])[:32] + `"`
}

// plainClient sends exactly the headers a test names: no automatic gzip.
var plainClient = &http.Client{
	Transport:     &http.Transport{DisableCompression: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func TestFiles(t *testing.T) {
	fsys := testSite()
	srv := httptest.NewServer(newHandler(t, fsys, DefaultOptions()))
	defer srv.Close()
	file := func(name string) string { return string(fsys[name].Data) }
	big := file("big.bin")

	tests := []struct {
		name    string
		method  string
		path    string
		header  map[string]string
		status  int
		want    map[string]string // response headers; "" means absent
		body    *string
		noVaryN bool
	}{
		{name: "index of the site", path: "/", status: 200, body: ptr(pageHTML),
			want: map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache",
				"Etag": etagFor(pageHTML), "Vary": "Accept-Encoding"}},
		{name: "page by name", path: "/index.html", status: 200, body: ptr(pageHTML)},
		{name: "folder index", path: "/docs/", status: 200, body: ptr(file("docs/index.html"))},
		{name: "folder without slash", path: "/docs", status: 301, want: map[string]string{"Location": "/docs/"}},
		{name: "folder without slash keeps query", path: "/docs?x=1", status: 301, want: map[string]string{"Location": "/docs/?x=1"}},
		{name: "stylesheet, no encoding asked", path: "/a.css", status: 200, body: ptr(aCSS),
			want: map[string]string{"Content-Type": "text/css; charset=utf-8", "Vary": "Accept-Encoding",
				"Content-Encoding": "", "Etag": etagFor(aCSS), "Cache-Control": "public, max-age=3600"}},
		{name: "gzip sibling", path: "/a.css", header: map[string]string{"Accept-Encoding": "gzip"}, status: 200,
			body: ptr(file("a.css.gz")), want: map[string]string{"Content-Encoding": "gzip", "Vary": "Accept-Encoding",
				"Etag": etagFor(file("a.css.gz")), "Content-Type": "text/css; charset=utf-8"}},
		{name: "brotli preferred", path: "/a.css", header: map[string]string{"Accept-Encoding": "gzip, deflate, br, zstd"},
			status: 200, body: ptr(file("a.css.br")), want: map[string]string{"Content-Encoding": "br", "Etag": etagFor(file("a.css.br"))}},
		{name: "refused codings", path: "/a.css", header: map[string]string{"Accept-Encoding": "br;q=0, gzip;q=0.0, *;q=0"},
			status: 200, body: ptr(aCSS), want: map[string]string{"Content-Encoding": "", "Vary": "Accept-Encoding"}},
		{name: "star accepts", path: "/a.css", header: map[string]string{"Accept-Encoding": "identity;q=0.5, *"},
			status: 200, body: ptr(file("a.css.br")), want: map[string]string{"Content-Encoding": "br"}},
		{name: "sibling served as itself", path: "/a.css.gz", status: 200, body: ptr(file("a.css.gz")),
			want: map[string]string{"Content-Encoding": "", "Content-Type": "application/gzip"}},
		{name: "if-none-match", path: "/a.css", header: map[string]string{"If-None-Match": etagFor(aCSS)}, status: 304,
			want: map[string]string{"Etag": etagFor(aCSS)}},
		{name: "if-none-match of the gzip form", path: "/a.css",
			header: map[string]string{"If-None-Match": etagFor(file("a.css.gz")), "Accept-Encoding": "gzip"}, status: 304},
		{name: "last-modified", path: "/b.css", status: 200,
			want: map[string]string{"Last-Modified": siteTime.Format(http.TimeFormat)}},
		{name: "if-modified-since", path: "/b.css", header: map[string]string{"If-Modified-Since": siteTime.Format(http.TimeFormat)},
			status: 304},
		{name: "if-modified-since, modified", path: "/b.css",
			header: map[string]string{"If-Modified-Since": siteTime.Add(-time.Hour).Format(http.TimeFormat)}, status: 200},
		{name: "if-unmodified-since, modified", path: "/b.css",
			header: map[string]string{"If-Unmodified-Since": siteTime.Add(-time.Hour).Format(http.TimeFormat)}, status: 412},
		{name: "stale etag", path: "/a.css", header: map[string]string{"If-None-Match": `"0000"`}, status: 200, body: ptr(aCSS)},
		{name: "range", path: "/big.bin", header: map[string]string{"Range": "bytes=100-199"}, status: 206,
			body: ptr(big[100:200]), want: map[string]string{"Content-Range": "bytes 100-199/" + strconv.Itoa(cacheMaxFile+100<<10)}},
		{name: "range with matching if-range", path: "/big.bin",
			header: map[string]string{"Range": "bytes=0-9", "If-Range": etagFor(big)}, status: 206, body: ptr(big[:10])},
		{name: "range with stale if-range", path: "/big.bin",
			header: map[string]string{"Range": "bytes=0-9", "If-Range": `"stale"`}, status: 200, body: ptr(big)},
		{name: "unsatisfiable range", path: "/big.bin", header: map[string]string{"Range": "bytes=999999-"}, status: 416},
		{name: "zero suffix range", path: "/big.bin", header: map[string]string{"Range": "bytes=-0"}, status: 416,
			want: map[string]string{"Content-Range": "bytes */" + strconv.Itoa(cacheMaxFile+100<<10)}},
		{name: "zero suffix range, cached file", path: "/b.css", header: map[string]string{"Range": "bytes=-0"}, status: 416},
		{name: "zero suffix beside a satisfiable range", path: "/big.bin", header: map[string]string{"Range": "bytes=-0, 0-9"}, status: 206,
			body: ptr(big[:10]), want: map[string]string{"Content-Range": "bytes 0-9/" + strconv.Itoa(cacheMaxFile+100<<10)}},
		{name: "hashed name is immutable", path: "/app.3f9a2b1c.js", status: 200,
			want: map[string]string{"Cache-Control": "public, max-age=31536000, immutable", "Content-Type": "text/javascript; charset=utf-8"}},
		{name: "head", method: "HEAD", path: "/b.css", status: 200, body: ptr(""),
			want: map[string]string{"Content-Length": "25"}},
		{name: "post", method: "POST", path: "/", status: 405, want: map[string]string{"Allow": "GET, HEAD"}},
		{name: "missing file gets the site's 404 page", path: "/nope.html", status: 404, body: ptr(file("404.html")),
			want: map[string]string{"Content-Type": "text/html; charset=utf-8", "Etag": ""}},
		{name: "dotfile", path: "/.secret", status: 404, body: ptr(file("404.html"))},
		{name: "dot folder", path: "/.git/config", status: 404},
		{name: "dotfile in a folder", path: "/docs/.hidden", status: 404},
		{name: "manifest", path: "/push-manifest.json", status: 404},
		{name: "config", path: "/herald.toml", status: 404},
		{name: "config, precompressed", path: "/herald.toml.gz", status: 404},
		{name: "manifest, precompressed", path: "/push-manifest.json.br", status: 404},
		{name: "manifest name in a folder is content", path: "/docs/push-manifest.json", status: 200, body: ptr("visible")},
	}
	// Three rounds: small files move into the memory cache on their second
	// request, and answer from it on the third.
	for round := range 3 {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%d", tt.name, round), func(t *testing.T) {
				method := tt.method
				if method == "" {
					method = "GET"
				}
				req, err := http.NewRequest(method, srv.URL+tt.path, nil)
				if err != nil {
					t.Fatal(err)
				}
				for k, v := range tt.header {
					req.Header.Set(k, v)
				}
				resp, err := plainClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
				}
				for k, want := range tt.want {
					if got := resp.Header.Get(k); got != want {
						t.Errorf("%s: %q, want %q", k, got, want)
					}
				}
				if tt.body != nil && string(body) != *tt.body {
					t.Errorf("body: %d bytes %.40q, want %d bytes %.40q", len(body), body, len(*tt.body), *tt.body)
				}
				if resp.StatusCode == 404 && strings.Contains(string(body), "secret") {
					t.Errorf("404 shows a hidden file: %q", body)
				}
			})
		}
	}
}

func ptr(s string) *string { return &s }

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// TestCachedFilesStayExact asks for the same small files many times (they
// move into the memory cache on the way) and checks the bytes and ETag of
// every answer, and that a file changed on disk after the build is never
// sent under the ETag of its old bytes.
func TestCachedFilesStayExact(t *testing.T) {
	fsys := testSite()
	h := newHandler(t, fsys, DefaultOptions())
	srv := httptest.NewServer(h)
	defer srv.Close()
	for i := range 4 {
		for _, name := range []string{"a.css", "b.css", "big.bin"} {
			resp, err := plainClient.Get(srv.URL + "/" + name)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := string(fsys[name].Data)
			if string(body) != want || resp.Header.Get("Etag") != etagFor(want) {
				t.Fatalf("request %d of %s: %d bytes, etag %s; want %d bytes, etag %s", i, name, len(body),
					resp.Header.Get("Etag"), len(want), etagFor(want))
			}
		}
	}
	if got := h.state.Load().cacheBytes.Load(); got != int64(len(fsys["a.css"].Data)+len(fsys["b.css"].Data)) {
		t.Errorf("cache holds %d bytes, want the two small files", got)
	}

	// app.js changes on disk; the manifest has not caught up yet.
	now := time.Now()
	fsys["app.js"] = &fstest.MapFile{Data: []byte("console.log('changed, longer')\n"), ModTime: now}
	fsys["docs/index.html"] = &fstest.MapFile{Data: []byte("<!doctype html><title>DOCS</title><p>docs</p>"), ModTime: now} // same size
	changed := bytes.Clone(fsys["big.bin"].Data)
	changed[0]++
	fsys["big.bin"] = &fstest.MapFile{Data: changed, ModTime: now} // checked before, same size
	for range 3 {
		for _, name := range []string{"app.js", "docs/index.html", "big.bin"} {
			resp, err := plainClient.Get(srv.URL + "/" + name)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != string(fsys[name].Data) {
				t.Fatalf("%s: served %q, want the file as it is now", name, body)
			}
			if etag := resp.Header.Get("Etag"); etag != "" && etag != etagFor(string(body)) {
				t.Fatalf("%s: ETag %s does not name the bytes sent", name, etag)
			}
		}
	}

	// The new manifest keeps the cached files that did not change.
	m, _, err := manifest.Build(fsys, manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h.SetManifest(m)
	if h.Manifest() != m {
		t.Fatal("Manifest() is not the manifest just set")
	}
	if got := h.state.Load().cacheBytes.Load(); got < int64(len(fsys["a.css"].Data)) {
		t.Errorf("cache holds %d bytes after SetManifest, want a.css and b.css kept", got)
	}
}

func TestHashLike(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/app.3f9a2b1c.js", true},
		{"/main-8f3e2a9d0c.css", true},
		{"/chunk_0123456789abcdef.js", true},
		{"/a/deadbeef.png", false}, // no digit: a word
		{"/python311.css", false},
		{"/12345678.html", false},
		{"/jquery.js", false},
		{"/fonts/inter-v12-latin.woff2", false},
	}
	for _, tt := range tests {
		if got := hashLike(tt.path); got != tt.want {
			t.Errorf("hashLike(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

// TestAccessLog checks that a request is logged with its target and status.
func TestAccessLog(t *testing.T) {
	var logged bytes.Buffer
	opts := DefaultOptions()
	opts.AccessLog = slogTo(&logged)
	srv := httptest.NewServer(newHandler(t, testSite(), opts))
	defer srv.Close()
	resp, err := plainClient.Get(srv.URL + "/nope?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(logged.String(), `path="/nope?x=1"`) || !strings.Contains(logged.String(), "status=404") {
		t.Errorf("access log: %q", logged.String())
	}
}

// TestAccessLogJSON decodes the JSON access log of a navigation over
// HTTP/2 by a client that accepts push: one object per request, the
// page's with what it pushed and hinted, the user agent and the referer.
func TestAccessLogJSON(t *testing.T) {
	var logged testsite.Buffer
	opts := DefaultOptions()
	opts.AccessLog = AccessLogJSON.Logger(&logged)
	srv := newTLSServer(t, newHandler(t, testSite(), opts))
	c := dialH2(t, srv, true)
	resp := c.get("/", append(browserHeaders, "referer", "https://example.com/from")...)
	type record struct {
		Time      time.Time
		Msg       string
		Host      string
		Method    string
		Path      string
		Status    int
		Bytes     int64
		Duration  int64
		Protocol  string
		Pushed    int
		Hinted    int
		UserAgent string `json:"user_agent"`
		Referer   string
	}
	var page *record
	var lines []string
	for deadline := time.Now().Add(5 * time.Second); page == nil && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		lines = strings.Split(strings.TrimSpace(logged.String()), "\n")
		for _, l := range lines {
			var r record
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("not a JSON object: %q: %v", l, err)
			}
			if r.Path == "/" {
				page = &r
			}
		}
	}
	if page == nil {
		t.Fatalf("no record of the page in %q", lines)
	}
	want := record{Time: page.Time, Msg: "request", Host: strings.TrimPrefix(srv.URL, "https://"), Method: "GET", Path: "/",
		Status: 200, Bytes: page.Bytes, Duration: page.Duration, Protocol: "HTTP/2.0",
		Pushed: len(resp.pushes), Hinted: 3, UserAgent: "herald-test", Referer: "https://example.com/from"}
	if *page != want {
		t.Errorf("page record\n%+v, want\n%+v", *page, want)
	}
	if page.Pushed == 0 || page.Bytes <= 0 || page.Duration <= 0 || time.Since(page.Time) > time.Minute {
		t.Errorf("page record %+v: want pushes, bytes, a duration and the time", *page)
	}
}

// TestRequestTargets checks the path rules on targets parsed as a server
// receives them.
func TestRequestTargets(t *testing.T) {
	h := newHandler(t, testSite(), DefaultOptions())
	for target, want := range map[string]int{
		"/":                   200,
		"/a.css?v=1":          200,
		"/docs/":              200,
		"/docs/index.html":    200,
		"/docs/./index.html":  404,
		"/docs//index.html":   404,
		"/x/../a.css":         404,
		"/a.css/":             404,
		"/docs/%2e%2e/a.css":  404,
		"/%61.css":            200, // an escaped letter is still the letter
		"/a%2ecss":            200,
		"/a.css%00":           404,
		"/docs%5cindex.html":  404,
		"/DOCS/":              404,
		"/index.html%3F.html": 404,
	} {
		u, err := url.Parse(target)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.URL = u
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("%s: status %d, want %d", target, w.Code, want)
		}
	}
}

// TestReloadSnippet serves pages with live reload on: the snippet sits
// before </body>, the response carries no validator of the file and is not
// stored; other files are untouched.
func TestReloadSnippet(t *testing.T) {
	lr := NewLiveReload(slogTo(io.Discard))
	defer lr.Close()
	opts := DefaultOptions()
	opts.Reload = lr
	srv := httptest.NewServer(newHandler(t, testSite(), opts))
	defer srv.Close()
	resp, err := plainClient.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := strings.Replace(pageHTML, "</body>", string(lr.Snippet())+"</body>", 1)
	if string(body) != want {
		t.Errorf("page with snippet:\n%s\nwant\n%s", body, want)
	}
	for k, v := range map[string]string{"Cache-Control": "no-store", "Etag": "", "Last-Modified": "", "Content-Type": "text/html; charset=utf-8"} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	resp, err = plainClient.Get(srv.URL + "/a.css")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != aCSS || resp.Header.Get("Etag") != etagFor(aCSS) {
		t.Errorf("stylesheet changed by live reload: %q %s", body, resp.Header.Get("Etag"))
	}
}

// TestReloadSnippetCompressed: a page made for live reload goes out
// compressed as Accept-Encoding allows (at a fast level), with Vary and a
// Content-Length, and as it is with compression off.
func TestReloadSnippetCompressed(t *testing.T) {
	lr := NewLiveReload(slogTo(io.Discard))
	defer lr.Close()
	want := strings.Replace(pageHTML, "</body>", string(lr.Snippet())+"</body>", 1)
	for _, tt := range []struct {
		name, accept, coding string
		compress             bool
	}{
		{"chromium", "gzip, deflate, br, zstd", "br", true},
		{"gzip", "gzip", "gzip", true},
		{"zstd only: identity", "zstd", "", true},
		{"none", "", "", true},
		{"compress off", "gzip, deflate, br, zstd", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts := DefaultOptions()
			opts.Reload, opts.Compress = lr, tt.compress
			r := httptest.NewRequest("GET", "/", nil)
			if tt.accept != "" {
				r.Header.Set("Accept-Encoding", tt.accept)
			}
			w := httptest.NewRecorder()
			newHandler(t, testSite(), opts).ServeHTTP(w, r)
			body := w.Body.Bytes()
			if got := w.Header().Get("Content-Encoding"); got != tt.coding {
				t.Fatalf("Content-Encoding %q, want %q", got, tt.coding)
			}
			if cl := w.Header().Get("Content-Length"); cl != strconv.Itoa(len(body)) {
				t.Errorf("Content-Length %q, body %d bytes", cl, len(body))
			}
			if vary := strings.Contains(w.Header().Get("Vary"), "Accept-Encoding"); vary != tt.compress {
				t.Errorf("Vary %q", w.Header().Get("Vary"))
			}
			if c, _ := compress.ParseCoding(tt.coding); c != compress.Identity {
				if c == compress.Brotli {
					body = decodeBrotli(t, body)
				} else {
					zr, err := gzip.NewReader(bytes.NewReader(body))
					if err != nil {
						t.Fatal(err)
					}
					body, _ = io.ReadAll(zr)
				}
			}
			if string(body) != want {
				t.Errorf("page:\n%s\nwant\n%s", body, want)
			}
		})
	}
}

func TestParsePushMode(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want PushMode
		ok   bool
	}{{"auto", PushAuto, true}, {"off", PushOff, true}, {"on", "", false}, {"", "", false}, {"AUTO", "", false}} {
		got, err := ParsePushMode(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParsePushMode(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
