package serve

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// TestFolderRedirectEscapes: a folder asked for without its slash is
// redirected to the path the client wrote, escaped as it was, whatever
// characters the folder's name holds.
func TestFolderRedirectEscapes(t *testing.T) {
	fsys := fstest.MapFS{}
	for _, name := range []string{"c#", "why?", "100%", "a b", "a:b", "docs"} {
		fsys[name+"/index.html"] = &fstest.MapFile{Data: []byte("<!doctype html><p>" + name)}
	}
	h := newHandler(t, fsys, DefaultOptions())
	for _, target := range []string{"/c%23", "/why%3F", "/100%25", "/a%20b", "/a:b", "/docs"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		if loc := w.Header().Get("Location"); w.Code != http.StatusMovedPermanently || loc != target+"/" {
			t.Errorf("GET %s: %d, Location %q; want 301 to %q", target, w.Code, loc, target+"/")
		}
		w = httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", target+"/", nil))
		if w.Code != http.StatusOK {
			t.Errorf("GET %s/: %d", target, w.Code)
		}
	}
}

// TestNoETagOverChangedBytes: a file rewritten since the build without a
// change of size or time is served without the manifest's ETag, which names
// other bytes.
func TestNoETagOverChangedBytes(t *testing.T) {
	fsys := testSite()
	h := newHandler(t, fsys, DefaultOptions())
	get := func() (etag, body string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/b.css", nil))
		return w.Header().Get("Etag"), w.Body.String()
	}
	old := string(fsys["b.css"].Data)
	if etag, _ := get(); etag != etagFor(old) {
		t.Fatalf("first request: ETag %q, want %q", etag, etagFor(old))
	}
	fsys["b.css"].Data = []byte("H" + old[1:]) // same size, same time
	for i := range 3 {
		if etag, body := get(); etag != "" && body != old {
			t.Errorf("request %d: ETag %s with other bytes: %q", i+2, etag, body)
		}
	}
}

// TestDigestNotRecordedOn404: when a page of the manifest cannot be opened,
// the cache digest does not record its assets as sent.
func TestDigestNotRecordedOn404(t *testing.T) {
	fsys := testSite()
	opts := DefaultOptions()
	opts.Compress = false // the warmer would read fsys while it changes
	h := newHandler(t, fsys, opts)
	delete(fsys, "index.html")
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Sec-Fetch-Mode", "navigate")
	h.ServeHTTP(w, r)
	if w.Code != http.StatusNotFound {
		t.Fatalf("status %d, want 404", w.Code)
	}
	for _, c := range w.Header()["Set-Cookie"] {
		if strings.HasPrefix(c, digestCookie+"=") {
			t.Errorf("a 404 sets the digest: %s", c)
		}
	}
	if l := w.Header()["Link"]; len(l) > 0 {
		t.Errorf("a 404 has Link %q", l)
	}
}

// TestConfiguredHeadersKept: a Link or Vary set in Options.Headers stays,
// with what herald adds after it, on pages, files and 404s; HEAD gets the
// Link of GET.
func TestConfiguredHeadersKept(t *testing.T) {
	const preconnect = "<https://cdn.example>; rel=preconnect"
	for _, preload := range []bool{true, false} {
		opts := DefaultOptions()
		opts.Preload = preload
		opts.Headers = http.Header{"Link": {preconnect}, "Vary": {"Origin"}}
		fsys := testSite()
		h := newHandler(t, fsys, opts)
		for _, tt := range []struct {
			method, path string
			link, vary   []string
		}{
			{"GET", "/", []string{preconnect}, []string{"Origin", "Accept-Encoding"}},
			{"HEAD", "/", []string{preconnect}, []string{"Origin", "Accept-Encoding"}},
			{"GET", "/a.css", []string{preconnect}, []string{"Origin", "Accept-Encoding"}},
			{"GET", "/nope", []string{preconnect}, []string{"Origin"}},
		} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
			link, vary := w.Header()["Link"], w.Header()["Vary"]
			wantLink := tt.link
			if preload && tt.path == "/" {
				wantLink = append(slices.Clone(tt.link), "</a.css>; rel=preload; as=style")
			}
			if len(link) < len(wantLink) || !slices.Equal(link[:len(wantLink)], wantLink) {
				t.Errorf("preload %v, %s %s: Link %q, want it to start with %q", preload, tt.method, tt.path, link, wantLink)
			}
			if !slices.Equal(vary, tt.vary) {
				t.Errorf("preload %v, %s %s: Vary %q, want %q", preload, tt.method, tt.path, vary, tt.vary)
			}
		}
	}
}
