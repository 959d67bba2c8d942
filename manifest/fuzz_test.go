package manifest

import (
	"strings"
	"testing"
	"testing/fstest"
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
