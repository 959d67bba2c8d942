package serve

import (
	"bytes"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"herald/compress"
)

// TestCompressed checks every text response against Accept-Encoding: the
// coding chosen, Vary, a Content-Length always (precompressed siblings
// too), an ETag per form, and conditional requests, HEAD and ranges on
// the form sent.
func TestCompressed(t *testing.T) {
	fsys := testSite()
	text := strings.Repeat("p { margin: 0 auto; padding: 1em 2em; color: #333 }\n", 100)
	fsys["big.css"] = &fstest.MapFile{Data: []byte(text), ModTime: siteTime}
	fsys["pic.png"] = &fstest.MapFile{Data: []byte(text), ModTime: siteTime}    // not text, by its type
	zsib := compress.Encode(compress.Zstd, []byte(aCSS+"/* the site's own */")) // as herald build --precompress writes
	fsys["a.css.zst"] = &fstest.MapFile{Data: zsib, ModTime: siteTime}
	h := newHandler(t, fsys, DefaultOptions())
	hash := h.Manifest().Files["/big.css"].Hash
	chromium := map[string]string{"Accept-Encoding": "gzip, deflate, br, zstd"}
	zstdForm := compress.Encode(compress.Zstd, []byte(text))
	brForm := compress.Encode(compress.Brotli, []byte(text))
	tests := []struct {
		name, method, path string
		header             map[string]string
		status             int
		coding             string // Content-Encoding
		vary               bool
		body               []byte // nil: not checked
	}{
		{"chromium gets br", "GET", "/big.css", chromium, 200, "br", true, brForm},
		{"zstd only", "GET", "/big.css", map[string]string{"Accept-Encoding": "zstd"}, 200, "zstd", true, zstdForm},
		{"gzip only", "GET", "/big.css", map[string]string{"Accept-Encoding": "gzip"}, 200, "gzip", true, nil},
		{"no header: identity", "GET", "/big.css", nil, 200, "", true, []byte(text)},
		{"refused: identity", "GET", "/big.css", map[string]string{"Accept-Encoding": "*;q=0"}, 200, "", true, []byte(text)},
		{"HEAD", "HEAD", "/big.css", chromium, 200, "br", true, []byte{}},
		{"not modified", "GET", "/big.css", map[string]string{"Accept-Encoding": "zstd",
			"If-None-Match": compress.ETag(hash, compress.Zstd)}, 304, "", true, []byte{}},
		{"other form's tag: modified", "GET", "/big.css", map[string]string{"Accept-Encoding": "zstd",
			"If-None-Match": compress.ETag(hash, compress.Identity)}, 200, "zstd", true, zstdForm},
		{"range of the form", "GET", "/big.css", map[string]string{"Accept-Encoding": "zstd", "Range": "bytes=0-9"},
			206, "zstd", true, zstdForm[:10]},
		{"image: never", "GET", "/pic.png", chromium, 200, "", false, []byte(text)},
		{"sibling: the site's own", "GET", "/a.css", chromium, 200, "br", true, fsys["a.css.br"].Data},
		{"sibling gzip", "GET", "/a.css", map[string]string{"Accept-Encoding": "gzip"}, 200, "gzip", true, fsys["a.css.gz"].Data},
		{"sibling zstd", "GET", "/a.css", map[string]string{"Accept-Encoding": "zstd"}, 200, "zstd", true, zsib},
		{"sibling refused", "GET", "/a.css", map[string]string{"Accept-Encoding": "identity"}, 200, "", true, []byte(aCSS)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			resp := w.Result()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("Content-Encoding"); got != tt.coding {
				t.Errorf("Content-Encoding %q, want %q", got, tt.coding)
			}
			if got := resp.Header.Get("Vary") == "Accept-Encoding"; got != tt.vary {
				t.Errorf("Vary %q, want Accept-Encoding: %v", resp.Header["Vary"], tt.vary)
			}
			if tt.body != nil && !bytes.Equal(body, tt.body) {
				t.Errorf("body: %d bytes, want %d", len(body), len(tt.body))
			}
			if tt.status == 304 {
				return
			}
			size := len(body)
			if tt.method == "HEAD" {
				size = len(brForm)
			}
			if got := resp.Header.Get("Content-Length"); got != strconv.Itoa(size) {
				t.Errorf("Content-Length %q, want %d", got, size)
			}
			if tt.coding != "" {
				c, _ := compress.ParseCoding(tt.coding)
				if et := resp.Header.Get("Etag"); strings.HasPrefix(tt.path, "/big") && et != compress.ETag(hash, c) {
					t.Errorf("ETag %s, want %s", et, compress.ETag(hash, c))
				}
			}
		})
	}
}

// TestCompressOff checks that Compress off sends every file as it is, and
// precompressed siblings still.
func TestCompressOff(t *testing.T) {
	fsys := testSite()
	fsys["big.css"] = &fstest.MapFile{Data: []byte(strings.Repeat("p { margin: 0 }\n", 200))}
	opts := DefaultOptions()
	opts.Compress = false
	h := newHandler(t, fsys, opts)
	for path, want := range map[string]string{"/big.css": "", "/a.css": "br"} {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got := w.Header().Get("Content-Encoding"); got != want {
			t.Errorf("%s: Content-Encoding %q, want %q", path, got, want)
		}
	}
}

// TestCompressedShared: the handlers of two sites given one cache
// (Options.Compressed) warm it, each its own critical assets, and take
// their forms from it; a file both sites hold is compressed once. Sites
// given none compress in a cache of their own, and warm nothing.
func TestCompressedShared(t *testing.T) {
	css := strings.Repeat("p { margin: 0 auto; padding: 1em 2em; color: #333 }\n", 100)
	site := func(own string) fstest.MapFS {
		return fstest.MapFS{
			"index.html": {Data: []byte(`<html><head><link rel="stylesheet" href="/shared.css"><link rel="stylesheet" href="/own.css"></head><body>x</body></html>`)},
			"shared.css": {Data: []byte(css)},
			"own.css":    {Data: []byte(strings.Repeat(own, 200))},
		}
	}
	cache := compress.New(compress.Options{})
	defer cache.Close()
	opts := DefaultOptions()
	opts.Compressed = cache
	a := newHandler(t, site("a { color: red }\n"), opts)
	b := newHandler(t, site("b { color: blue }\n"), opts)
	cache.Wait()
	if n := cache.Stats().Compressed; n != int64(3*len(compress.Warmed)) {
		t.Errorf("warmed %d forms, want %d (3 files, each once)", n, 3*len(compress.Warmed))
	}
	for _, h := range []*Handler{a, b} {
		for _, p := range []string{"/shared.css", "/own.css"} {
			r := httptest.NewRequest("GET", p, nil)
			r.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Header().Get("Content-Encoding") != "br" {
				t.Errorf("%s: Content-Encoding %q", p, w.Header().Get("Content-Encoding"))
			}
		}
	}
	if n := cache.Stats().Compressed; n != int64(3*len(compress.Warmed)) {
		t.Errorf("%d forms made in all, want the %d warmed", n, 3*len(compress.Warmed))
	}
}
