package manifest

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/net/html"
)

// FuzzExtractHTML: any bytes are a page a browser would render; extraction
// never panics, and every reference it returns is non-empty and has a line
// within the page.
func FuzzExtractHTML(f *testing.F) {
	for _, s := range []string{
		`<link rel=stylesheet href=a.css><script src=a.js></script>`,
		`<base href="/x/"><link rel=preload as=font href=f.woff2 crossorigin></head><body><img src=h.png width=900 height=900>`,
		`<template><link rel=stylesheet href=t.css></template><noscript><script src=n.js></script></noscript>`,
		"<html><head><link rel=stylesheet href=\"b.css\n\n<title>x</title>",
		`<div style="background:url('x.png')"></div><img fetchpriority=high src=y.png>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, page []byte) {
		d := extractHTML(page)
		lines := strings.Count(string(page), "\n") + 1
		for _, r := range append(append([]ref{}, d.refs...), d.heroes...) {
			if strings.TrimSpace(r.url) == "" {
				t.Errorf("empty reference %+v", r)
			}
			if r.line < 1 || r.line > lines {
				t.Errorf("line %d outside the page's %d lines", r.line, lines)
			}
		}
	})
}

// FuzzScanCSS: any text is a stylesheet; scanning never panics or loops, and
// imports and fonts carry URLs and lines within the file.
func FuzzScanCSS(f *testing.F) {
	for _, s := range []string{
		`@import url("a.css") screen; @import 'b.css' print; body { font: 12px/1 "X", serif }`,
		`@font-face { font-family: X; src: local(X), url(x.woff2) format("woff2"), url(x.woff) }`,
		`@media print { @font-face { font-family: P; src: url(p.woff) } } .hero { background: url(h.png) }`,
		`/* unclosed comment @import "x.css";`,
		`a { b: "unclosed string; } @import "late.css";`,
		`@supports (display:grid) { @layer x { p { font-family: var(--f) } } }`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, css string) {
		s := scanCSS(css)
		lines := strings.Count(css, "\n") + 1
		for _, r := range s.imports {
			if r.url == "" || r.line < 1 || r.line > lines {
				t.Errorf("bad import %+v", r)
			}
		}
		for _, face := range s.faces {
			if face.family == "" || face.src.url == "" || face.src.line < 1 || face.src.line > lines {
				t.Errorf("bad font face %+v", face)
			}
		}
	})
}

// FuzzBuild: a whole (tiny) site of fuzzed page and stylesheet always builds,
// and every asset it lists is a file of the site with its hash.
func FuzzBuild(f *testing.F) {
	f.Add(`<link rel=stylesheet href=a.css><img src=i.png>`, `@import "a.css"; @font-face{font-family:F;src:url(f.woff)} p{font-family:F}`)
	f.Add(`<base href="../../"><script src="%2e%2e/a.css"></script>`, `@import url(/a.css?x#y)`)
	img := pngOf(999, 999)
	f.Fuzz(func(t *testing.T, page, css string) {
		fsys := fstest.MapFS{"index.html": file(page), "a.css": file(css), "f.woff": file("f"), "i.png": file(img)}
		m, _, err := Build(fsys, Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range m.Pages["/index.html"].Assets {
			if a.Hash == "" || a.Size == 0 && a.Path != "/a.css" && a.Path != "/index.html" {
				t.Errorf("asset without a file: %+v", a)
			}
		}
	})
}

// FuzzScanTag: scanTag reads a start tag as x/net/html's tokenizer does:
// the same length, name and attributes, and it answers alone for every tag
// without '&', '\r' or NUL.
func FuzzScanTag(f *testing.F) {
	for _, s := range []string{
		`<link rel=stylesheet href="a.css" media='screen'>`, `<br/>`, `<p a=/>`, `<img src=x.png width=900 height=900/>`,
		`<A HREF=X.css REL=Stylesheet>`, `<div =x a b=c d = "e" f='g'h>`, `<x a="&amp;b">`, "<x\ta\n=\fb>", `<x a=b/ c>`,
		`<x a="b`, `<x a`, `<x a=b a=c A=d>`, "<x a=\"\r\">", "<x\x00 a=b>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 2 || b[0] != '<' || !('a' <= b[1]|0x20 && b[1]|0x20 <= 'z') {
			return
		}
		z := html.NewTokenizer(bytes.NewReader(b))
		tt := z.Next()
		isTag := tt == html.StartTagToken || tt == html.SelfClosingTagToken
		n, name, attrs, ok := scanTag(b, nil)
		if !isTag {
			if ok {
				t.Fatalf("scanTag read a tag of %d bytes where the tokenizer sees %v", n, tt)
			}
			return
		}
		raw := z.Raw()
		if !ok {
			if !bytes.ContainsAny(raw, "&\r\x00") {
				t.Fatalf("scanTag gave up on %q", raw)
			}
			return
		}
		zname, more := z.TagName()
		var zattrs attrList
		for more {
			var k, v []byte
			k, v, more = z.TagAttr()
			zattrs = append(zattrs, attr{string(k), string(v)})
		}
		if n != len(raw) || string(name) != string(zname) || !slices.Equal(attrs, zattrs) {
			t.Fatalf("scanTag: %d bytes, %q, %q\ntokenizer: %d bytes, %q, %q", n, name, attrs, len(raw), zname, zattrs)
		}
	})
}
