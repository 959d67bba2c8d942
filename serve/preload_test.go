package serve

import (
	"slices"
	"testing"
	"testing/fstest"
)

// TestPreloadsHintedNotPushed: a page's own preloads that block nothing (a
// Vite head's module preloads, written before its stylesheet) are hinted
// after the stylesheet, with nopush, and never pushed.
func TestPreloadsHintedNotPushed(t *testing.T) {
	fsys := fstest.MapFS{
		"index.html": {Data: []byte(`<!doctype html><head><script type=module crossorigin src=/index.js></script>
<link rel=modulepreload crossorigin href=/vendor.js><link rel=stylesheet crossorigin href=/index.css></head><body><p>x`)},
		"index.js":  {Data: []byte("1")},
		"vendor.js": {Data: []byte("2")},
		"index.css": {Data: []byte("p{}")},
	}
	srv := newTLSServer(t, newHandler(t, fsys, DefaultOptions()))
	c := dialH2(t, srv, true)
	r := c.get("/", browserHeaders...)
	if want := []string{"/index.css"}; !slices.Equal(r.pushes, want) {
		t.Errorf("pushed %v, want %v", r.pushes, want)
	}
	want := []string{"</index.css>; rel=preload; as=style; crossorigin", "</vendor.js>; rel=modulepreload; crossorigin; nopush"}
	if len(r.early) != 1 || !slices.Equal(r.early[0], want) {
		t.Errorf("early hints %q, want one with %q", r.early, want)
	}
	if !slices.Equal(r.header["link"], want) {
		t.Errorf("Link %q, want %q", r.header["link"], want)
	}
}
