package serve

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"herald/manifest"
)

func reloadManifest() *manifest.Manifest {
	asset := func(p, as, why string) manifest.Asset { return manifest.Asset{Path: p, As: as, Why: why} }
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
		event   string // "" for nothing
		data    string
	}{
		{"the page itself", "/index.html", []string{"/index.html"}, "reload", ""},
		{"the page at its folder's path", "/", []string{"/index.html"}, "reload", ""},
		{"a folder's index", "/docs/", []string{"/docs/index.html"}, "reload", ""},
		{"a page served without .html", "/guide", []string{"/guide.html"}, "reload", ""},
		{"an escaped path", "/%69ndex.html", []string{"/index.html"}, "reload", ""},
		{"the page was removed", "/gone.html", []string{"/gone.html"}, "reload", ""},
		{"its head script (asset path with a query)", "/index.html", []string{"/js/app.js"}, "reload", ""},
		{"its font (escaped asset path)", "/index.html", []string{"/fonts/a b.woff2"}, "reload", ""},
		{"its body script", "/docs/", []string{"/js/late.js"}, "reload", ""},
		{"its stylesheet", "/index.html", []string{"/css/site.css"}, "update", `{"css":["/css/site.css"],"assets":[]}`},
		{"a stylesheet it imports", "/index.html", []string{"/css/base.css"}, "update", `{"css":["/css/base.css"],"assets":[]}`},
		{"a script of another page: the tab checks what it loaded", "/index.html", []string{"/js/late.js"}, "update", `{"css":[],"assets":["/js/late.js"]}`},
		{"a file no page lists", "/guide.html", []string{"/img/x.png", "/s.css"}, "update", `{"css":["/s.css"],"assets":["/img/x.png"]}`},
		{"another page", "/index.html", []string{"/guide.html", "/docs/index.html"}, "", ""},
		{"a reload wins over a swap", "/index.html", []string{"/css/site.css", "/js/app.js"}, "reload", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, ok := decide(tt.page, tt.changed, reloadManifest())
			if !ok {
				msg = message{}
			}
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
		if ev, data := readEvent(t, r); ev != "hello" || data != lr.instance {
			t.Fatalf("first event %q %q, want hello %q", ev, data, lr.instance)
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
	// The home page got nothing for the guide's change: its next event is
	// the stylesheet's.
	if ev, data := readEvent(t, homeR); ev != "update" || !strings.Contains(data, "/css/site.css") {
		t.Errorf("home got %q %s, want the stylesheet update", ev, data)
	}

	lr.Close()
	if _, err := io.ReadAll(homeR); err != nil {
		t.Errorf("stream after Close: %v, want its end", err)
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
