package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"herald/compress"
)

// TestBestForm: once requests are quiet, a critical asset goes out for br
// in its brotli form at best quality, with an ETag of its own, which
// conditional requests, HEAD and ranges answer for; the asset's path in
// the page carries a query, and the file is warmed all the same.
func TestBestForm(t *testing.T) {
	var b strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&b, ".c%d { margin: %dpx auto; color: #%06x }\n", i, i%37, i*7919%0xffffff)
	}
	css := b.String()
	fsys := fstest.MapFS{
		"index.html": {Data: []byte(`<html><head><link rel="stylesheet" href="/style.css?v=3"></head><body>x</body></html>`)},
		"style.css":  {Data: []byte(css)},
	}
	cache := compress.New(compress.Options{})
	defer cache.Close()
	opts := DefaultOptions()
	opts.Compressed = cache
	opts.Report = true
	h := newHandler(t, fsys, opts)
	cache.WaitBest()
	if s := cache.Stats(); s.Compressed != int64(len(compress.Warmed)) || s.BestMade != 1 {
		t.Fatalf("warmed %d forms and %d best, want %d and 1: the asset named with a query is not warmed",
			s.Compressed, s.BestMade, len(compress.Warmed))
	}
	hash := sha256Hex([]byte(css))
	best, usual := compress.BestETag(hash), compress.ETag(hash, compress.Brotli)
	get := func(method string, hdr ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/style.css", nil)
		r.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
		for i := 0; i < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	w := get("GET")
	body := w.Body.Bytes()
	if w.Code != 200 || w.Header().Get("Content-Encoding") != "br" || w.Header().Get("Etag") != best {
		t.Fatalf("GET: %d, Content-Encoding %q, ETag %q; want 200, br, %s", w.Code, w.Header().Get("Content-Encoding"), w.Header().Get("Etag"), best)
	}
	if !bytes.Equal(decodeBrotli(t, body), []byte(css)) {
		t.Fatal("the best form does not decode to the file")
	}
	if usualForm := compress.Encode(compress.Brotli, []byte(css)); len(body) >= len(usualForm) {
		t.Errorf("best form %d bytes, brotli 6 %d", len(body), len(usualForm))
	}
	// The page report gives the size of the form sent for br.
	rw := httptest.NewRecorder()
	h.ServeHTTP(rw, httptest.NewRequest("GET", "/_herald/page?format=json&path=/index.html", nil))
	var report PageReport
	if err := json.Unmarshal(rw.Body.Bytes(), &report); err != nil || len(report.Assets) != 1 {
		t.Fatalf("page report: %v, %d assets: %s", err, len(report.Assets), rw.Body.Bytes())
	}
	if got := report.Assets[0].Br; got != int64(len(body)) {
		t.Errorf("page report: /style.css %d bytes in br, want the best form's %d", got, len(body))
	}
	for _, tc := range []struct {
		name   string
		method string
		hdr    []string
		code   int
		body   []byte
	}{
		{"If-None-Match best", "GET", []string{"If-None-Match", best}, http.StatusNotModified, nil},
		{"If-None-Match brotli 6", "GET", []string{"If-None-Match", usual}, http.StatusOK, body},
		{"HEAD", "HEAD", nil, http.StatusOK, nil},
		{"Range", "GET", []string{"Range", "bytes=0-9"}, http.StatusPartialContent, body[:10]},
		{"If-Range brotli 6", "GET", []string{"Range", "bytes=0-9", "If-Range", usual}, http.StatusOK, body},
	} {
		w := get(tc.method, tc.hdr...)
		if w.Code != tc.code || !bytes.Equal(w.Body.Bytes(), tc.body) {
			t.Errorf("%s: %d, %d bytes; want %d, %d bytes", tc.name, w.Code, w.Body.Len(), tc.code, len(tc.body))
		}
		if tc.code != http.StatusNotModified && w.Header().Get("Etag") != best {
			t.Errorf("%s: ETag %q, want %s", tc.name, w.Header().Get("Etag"), best)
		}
		if tc.method == "HEAD" && w.Header().Get("Content-Length") != strconv.Itoa(len(body)) {
			t.Errorf("HEAD: Content-Length %q, want %d (GET's)", w.Header().Get("Content-Length"), len(body))
		}
	}
	// A client that takes gzip only gets the gzip form, with its ETag.
	r := httptest.NewRequest("GET", "/style.css", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Header().Get("Content-Encoding") != "gzip" || w.Header().Get("Etag") != compress.ETag(hash, compress.Gzip) {
		t.Errorf("gzip only: Content-Encoding %q, ETag %q", w.Header().Get("Content-Encoding"), w.Header().Get("Etag"))
	}
}
