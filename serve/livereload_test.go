package serve

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/internal/testsite"
	"herald/manifest"
	"herald/watch"

	"github.com/chromedp/chromedp"
)

func reloadManifest() *manifest.Manifest {
	asset := func(p, as string, why manifest.Why) manifest.Asset { return manifest.Asset{Path: p, As: as, Why: why} }
	return &manifest.Manifest{
		Pages: map[string]*manifest.Page{
			"/index.html": {Assets: []manifest.Asset{asset("/css/site.css", "style", "link"), asset("/css/base.css", "style", "import"),
				asset("/js/app.js?v=2", "script", "head-script"), asset("/fonts/a%20b.woff2", "font", "font-face")}},
			"/docs/index.html": {Assets: []manifest.Asset{asset("/css/base.css", "style", "link")},
				Deferred: []manifest.Asset{asset("/js/late.js", "script", "body-script")}},
			"/guide.html": {},
		},
		Files: map[string]manifest.File{"/index.html": {}, "/docs/index.html": {}, "/guide.html": {},
			"/css/site.css": {}, "/css/base.css": {}, "/js/app.js": {}, "/fonts/a b.woff2": {}, "/js/late.js": {}},
	}
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name    string
		page    string
		changed []string
		event   string
		data    string
	}{
		{"the page itself", "/index.html", []string{"/index.html"}, "reload", `{"refresh":[],"seq":7}`},
		{"the page at its folder's path", "/", []string{"/index.html"}, "reload", `{"refresh":[],"seq":7}`},
		{"a folder's index", "/docs/", []string{"/docs/index.html"}, "reload", `{"refresh":[],"seq":7}`},
		{"a page served without .html", "/guide", []string{"/guide.html"}, "reload", `{"refresh":[],"seq":7}`},
		{"an escaped path", "/%69ndex.html", []string{"/index.html"}, "reload", `{"refresh":[],"seq":7}`},
		{"the page was removed", "/gone.html", []string{"/gone.html"}, "reload", `{"refresh":[],"seq":7}`},
		{"its head script (asset path with a query)", "/index.html", []string{"/js/app.js"}, "reload", `{"refresh":["/js/app.js"],"seq":7}`},
		{"its font (escaped asset path)", "/index.html", []string{"/fonts/a b.woff2"}, "reload", `{"refresh":["/fonts/a b.woff2"],"seq":7}`},
		{"its body script", "/docs/", []string{"/js/late.js"}, "reload", `{"refresh":["/js/late.js"],"seq":7}`},
		{"its stylesheet", "/index.html", []string{"/css/site.css"}, "update", `{"css":["/css/site.css"],"assets":[],"seq":7}`},
		{"a stylesheet it imports", "/index.html", []string{"/css/base.css"}, "update", `{"css":["/css/base.css"],"assets":[],"seq":7}`},
		{"a script of another page: the tab checks what it loaded", "/index.html", []string{"/js/late.js"}, "update", `{"css":[],"assets":["/js/late.js"],"seq":7}`},
		{"a file no page lists", "/guide.html", []string{"/img/x.png", "/s.css"}, "update", `{"css":["/s.css"],"assets":["/img/x.png"],"seq":7}`},
		{"another page: only the count", "/index.html", []string{"/guide.html", "/docs/index.html"}, "seq", "7"},
		{"a reload wins over a swap", "/index.html", []string{"/css/site.css", "/js/app.js"}, "reload", `{"refresh":["/css/site.css","/js/app.js"],"seq":7}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := decide(tt.page, tt.changed, reloadManifest(), 7)
			if msg.event != tt.event || msg.data != tt.data {
				t.Errorf("got %q %s, want %q %s", msg.event, msg.data, tt.event, tt.data)
			}
		})
	}
}

// readEvent reads one event (skipping comments and retry lines) from an
// event stream.
func readEvent(t *testing.T, r *bufio.Reader) (event, data string) {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the event stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && event != "":
			return event, data
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
}

// TestLiveReloadStream: a page's stream says hello, carries the events meant
// for it only, and ends when the hub closes.
func TestLiveReloadStream(t *testing.T) {
	lr := NewLiveReload(nil)
	defer lr.Close()
	srv := httptest.NewServer(lr)
	defer srv.Close()

	open := func(page string) (*http.Response, *bufio.Reader) {
		resp, err := http.Get(srv.URL + ReloadPath + "?page=" + page)
		if err != nil {
			t.Fatal(err)
		}
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
			t.Fatalf("status %d, Content-Type %q", resp.StatusCode, ct)
		}
		r := bufio.NewReader(resp.Body)
		want := fmt.Sprintf(`{"instance":%q,"seq":%d}`, lr.instance, lr.seq.Load())
		if ev, data := readEvent(t, r); ev != "hello" || data != want {
			t.Fatalf("first event %q %s, want hello %s", ev, data, want)
		}
		return resp, r
	}
	home, homeR := open("/")
	defer home.Body.Close()
	guide, guideR := open("/guide")
	defer guide.Body.Close()

	m := reloadManifest()
	lr.Notify([]string{"/guide.html"}, m)
	if ev, _ := readEvent(t, guideR); ev != "reload" {
		t.Errorf("guide got %q, want reload", ev)
	}
	lr.Notify([]string{"/css/site.css"}, m)
	// The home page only counts the guide's change, then swaps the stylesheet.
	if ev, data := readEvent(t, homeR); ev != "seq" || data != "1" {
		t.Errorf("home got %q %s, want seq 1", ev, data)
	}
	if ev, data := readEvent(t, homeR); ev != "update" || data != `{"css":["/css/site.css"],"assets":[],"seq":2}` {
		t.Errorf("home got %q %s, want the stylesheet update", ev, data)
	}
	// A page connecting now learns the count.
	late, _ := open("/")
	late.Body.Close()

	lr.Close()
	if _, err := io.ReadAll(homeR); err != nil {
		t.Errorf("stream after Close: %v, want its end", err)
	}
}

// stuckWriter is a ResponseWriter whose writes wait until release is closed.
type stuckWriter struct {
	h       http.Header
	release chan struct{}
}

func (w *stuckWriter) Header() http.Header         { return w.h }
func (w *stuckWriter) WriteHeader(int)             {}
func (w *stuckWriter) Write(p []byte) (int, error) { <-w.release; return len(p), nil }
func (w *stuckWriter) Flush()                      {}

// TestLiveReloadStreamBehind: a stream that falls more than its queue
// behind is ended rather than have a change dropped: the page connects
// again, sees the count it missed, and reloads.
func TestLiveReloadStreamBehind(t *testing.T) {
	var log testsite.Buffer
	lr := NewLiveReload(slogTo(&log))
	defer lr.Close()
	w := &stuckWriter{h: http.Header{}, release: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		lr.ServeHTTP(w, httptest.NewRequest("GET", ReloadPath+"?page=/guide", nil))
		close(done)
	}()
	m := reloadManifest()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(log.String(), "not reading"); {
		if time.Now().After(deadline) {
			t.Fatal("the queue never filled")
		}
		lr.Notify([]string{"/guide.html"}, m) // joins once the hub has the tab
		time.Sleep(time.Millisecond)
	}
	close(w.release)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream that fell behind is still open")
	}
}

func TestLiveReloadRequests(t *testing.T) {
	lr := NewLiveReload(nil)
	defer lr.Close()
	tests := []struct {
		method, target string
		status         int
	}{
		{"POST", ReloadPath, http.StatusMethodNotAllowed},
		{"GET", ReloadPath + "/x", http.StatusNotFound},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		lr.ServeHTTP(w, httptest.NewRequest(tt.method, tt.target, nil))
		if w.Code != tt.status {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.target, w.Code, tt.status)
		}
	}
	if s := string(lr.Snippet()); !strings.HasPrefix(s, "<script>") || !strings.Contains(s, `"`+ReloadPath+`"`) {
		t.Errorf("snippet does not load the stream: %s", s)
	}
}

// TestLiveReloadChromium: in a real browser, a page served with live reload
// reloads when it is edited on disk, and takes a new stylesheet (linked, or
// imported by one) without a reload.
func TestLiveReloadChromium(t *testing.T) {
	chromium := testsite.Tool(t, "chromium")
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("index.html", `<!doctype html><html><head><link rel=stylesheet href=css/site.css><script src=js/app.js></script></head><body><h1 id=t>one</h1></body></html>`)
	write("js/app.js", `window.appVersion = 1`)
	write("css/site.css", `@import "base.css"; h1{color:rgb(255, 0, 0)}`)
	write("css/base.css", `body{background-color:rgb(255, 255, 255)}`)

	// The wiring herald serve uses: the watcher's callback swaps the
	// manifest into the handler and tells the open pages.
	lr := NewLiveReload(nil)
	defer lr.Close()
	var mu sync.Mutex
	var h *Handler
	w, err := watch.New(dir, watch.Options{Rule: watch.Rule{Quiet: 20 * time.Millisecond}, OnChange: func(c watch.Change) {
		mu.Lock()
		if h != nil {
			h.SetManifest(c.Manifest)
		}
		mu.Unlock()
		lr.Notify(c.Paths, c.Manifest)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	opts := DefaultOptions()
	opts.Reload = lr
	mu.Lock()
	h = New(root.FS(), w.Manifest(), opts)
	mu.Unlock()
	srv := httptest.NewServer(h) // plain HTTP on 127.0.0.1
	defer srv.Close()

	copts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), copts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, time.Minute)
	defer cancel()

	// await waits until expr is true in the page. An evaluation that fails
	// while the page reloads is tried again; the test's one-minute bound
	// ends a wait that never succeeds.
	await := func(what, expr string) {
		t.Helper()
		for {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
			if ok {
				return
			}
			if ctx.Err() != nil {
				t.Fatalf("%s (%s): never true; last error %v", what, expr, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// sameDocument reports whether the document is still the one ready
	// marked. An evaluation that fails (a page mid-reload) is no answer: a
	// reload must be seen as a new document, not guessed from an error.
	sameDocument := func() bool {
		t.Helper()
		same, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.sameDocument === true`))
		if err != nil {
			t.Fatalf("is it the same document: %v", err)
		}
		return same
	}
	// ready marks the document, so that a reload (a new document) shows,
	// and waits for its event stream.
	ready := func() {
		t.Helper()
		await("live reload open", `window.heraldLiveReload === "open"`)
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.sameDocument = true`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	ready()

	write("index.html", `<!doctype html><html><head><link rel=stylesheet href=css/site.css><script src=js/app.js></script></head><body><h1 id=t>two</h1></body></html>`)
	await("the edited page", `document.getElementById("t") && document.getElementById("t").textContent === "two"`)
	if sameDocument() {
		t.Errorf("the edit shows, but the page did not reload")
	}
	ready()

	write("js/app.js", `window.appVersion = 2`)
	await("the edited script", `window.appVersion === 2`)
	if sameDocument() {
		t.Errorf("the script changed without a reload")
	}
	ready()

	styles := []struct{ file, body, expr string }{
		{"css/base.css", `body{background-color:rgb(0, 128, 0)}`, `getComputedStyle(document.body).backgroundColor === "rgb(0, 128, 0)"`},
		{"css/site.css", `@import "base.css"; h1{color:rgb(0, 0, 255)}`, `getComputedStyle(document.getElementById("t")).color === "rgb(0, 0, 255)"`},
	}
	for _, s := range styles {
		write(s.file, s.body)
		await(s.file+" applied", s.expr)
		same := sameDocument()
		navs, err := chromedp.Run(ctx, chromedp.Evaluate[int](`performance.getEntriesByType("navigation").length`))
		if err != nil {
			t.Fatal(err)
		}
		if !same || navs != 1 {
			t.Errorf("%s: applied with a reload (same document %v, %d navigation entries), want it swapped in place", s.file, same, navs)
		}
	}
	// The import swapped in place is still there after its parent was.
	await("imported rule kept", `getComputedStyle(document.body).backgroundColor === "rgb(0, 128, 0)"`)

	// A hidden tab closes its stream; shown again, it reloads for the change
	// it missed.
	hide := func(hidden bool) {
		t.Helper()
		js := fmt.Sprintf(`Object.defineProperty(document, "hidden", {value: %v, configurable: true});
			document.dispatchEvent(new Event("visibilitychange")); true`, hidden)
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err != nil {
			t.Fatal(err)
		}
	}
	hide(true)
	await("stream closed", `window.heraldLiveReload === "closed"`)
	write("index.html", `<!doctype html><html><head><link rel=stylesheet href=css/site.css></head><body><h1 id=t>three</h1></body></html>`)
	// Nothing tells the hidden tab: wait until the server has the new page.
	for !strings.Contains(get(t, srv.URL+"/"), "three") {
		if ctx.Err() != nil {
			t.Fatal("the server never had the edited page")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("t").textContent`)); !sameDocument() || err != nil || text != "two" {
		t.Errorf("a hidden tab reloaded (%q, %v)", text, err)
	}
	hide(false)
	await("the missed edit, once shown", `document.getElementById("t") && document.getElementById("t").textContent === "three"`)
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// TestLiveReloadStreamsBounded: past maxStreams open streams, a new one is
// refused with 503 (5,000 were all accepted, 125 MB); a stream ends by
// itself after its lifetime, and the page's EventSource opens a new one.
func TestLiveReloadStreamsBounded(t *testing.T) {
	lr := NewLiveReload(nil)
	defer lr.Close()
	lr.maxStreams, lr.lifetime = 3, 300*time.Millisecond
	srv := httptest.NewServer(lr)
	defer srv.Close()
	var bodies []io.Closer
	defer func() {
		for _, b := range bodies {
			b.Close()
		}
	}()
	for i := range 4 {
		resp, err := http.Get(srv.URL + ReloadPath + "?page=/")
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, resp.Body)
		want := http.StatusOK
		if i == 3 {
			want = http.StatusServiceUnavailable
		}
		if resp.StatusCode != want {
			t.Fatalf("stream %d: status %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	start := time.Now()
	if _, err := io.Copy(io.Discard, bodies[0].(io.Reader)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the stream lasted %v past its lifetime of %v", d, lr.lifetime)
	}
	// The ended streams' places are free again.
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(srv.URL + ReloadPath + "?page=/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %d after the streams ended", resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
