package manifest

import (
	"bytes"
	"io/fs"
	"maps"
	"reflect"
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
		for _, r := range slices.Concat(d.refs, d.heroes, d.choices) {
			if strings.TrimSpace(r.url) == "" && r.inline == nil { // a <style> names no URL
				t.Errorf("empty reference %+v", r)
			}
			if r.line < 1 || r.line > lines {
				t.Errorf("line %d outside the page's %d lines", r.line, lines)
			}
		}
	})
}

// FuzzSrcset: a srcset attribute and a sizes attribute of any text;
// parsing never panics, every candidate has a URL without white space and
// at most one of a width or a density, and the choice is one of them.
func FuzzSrcset(f *testing.F) {
	for _, s := range [][2]string{
		{"a.png 480w, b.png 960w", "(max-width: 600px) 100vw, 50vw"},
		{"a.png, b.png 2x, data:image/png;base64,AA== 3x", ""},
		{"a.png 1x 2x, b.png (1x), c.png 10.5w, d,e 1x", "calc(100vw - 2em), auto"},
	} {
		f.Add(s[0], s[1])
	}
	l := &layouter{}
	f.Fuzz(func(t *testing.T, srcset, sizes string) {
		cands := parseSrcset(srcset)
		for _, c := range cands {
			if c.url == "" || strings.ContainsAny(c.url, " \t\n\f\r") || c.w != 0 && c.x != 0 || c.w < 0 || c.x < 0 {
				t.Errorf("candidate %+v of %q", c, srcset)
			}
		}
		size := l.sourceSize(sizes)
		if u, _, ok := pickCandidate(cands, size); ok != (len(cands) > 0) || ok && !slices.ContainsFunc(cands, func(c srcCandidate) bool { return c.url == u }) {
			t.Errorf("picked %q (%v) of %+v", u, ok, cands)
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
	f.Add(`<link rel=stylesheet href=a.css><img src=i.png>`, `@import "a.css"; @font-face{font-family:F;src:url(f.woff)} p{font-family:F}`, "")
	f.Add(`<base href="../../"><script src="%2e%2e/a.css"></script>`, `@import url(/a.css?x#y)`, "")
	f.Add("<link rel=stylesheet href=caf\xe9.css media=\"\x84\" type=\"text/css;\xff\">", "", "caf\xe9.css")
	img := pngOf(999, 999)
	f.Fuzz(func(t *testing.T, page, css, name string) {
		fsys := fstest.MapFS{"index.html": file(page), "a.css": file(css), "f.woff": file("f"), "i.png": file(img)}
		if fs.ValidPath(name) && name != "." && fsys[name] == nil && !slices.ContainsFunc(slices.Collect(maps.Keys(fsys)),
			func(k string) bool { return strings.HasPrefix(name, k+"/") }) {
			fsys[name] = file(css) // a file of any name, not in place of one
		}
		m, _, err := Build(fsys, Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range m.Pages["/index.html"].Assets {
			if a.Hash == "" || a.Size == 0 && a.Path != "/a.css" && a.Path != "/index.html" {
				t.Errorf("asset without a file: %+v", a)
			}
		}
		sealed(t, "Build", m)
		// Written and read back, the manifest is the same: herald check
		// finds nothing stale on an unchanged site.
		data, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := Unmarshal(data)
		if err != nil {
			t.Fatal(err)
		}
		if found := stale(m, stored); len(found) > 0 {
			t.Errorf("the manifest read back differs from the one written: %v", found)
		}
	})
}

// FuzzScanTag: scanTag reads a start tag as x/net/html's tokenizer does:
// the same length, name, attributes and self-closing flag, and it answers
// alone for every tag without '&', '\r' or NUL.
func FuzzScanTag(f *testing.F) {
	for _, s := range []string{
		`<link rel=stylesheet href="a.css" media='screen'>`, `<br/>`, `<p a=/>`, `<img src=x.png width=900 height=900/>`,
		`<A HREF=X.css REL=Stylesheet>`, `<div =x a b=c d = "e" f='g'h>`, `<x a="&amp;b">`, "<x\ta\n=\fb>", `<x a=b/ c>`,
		`<x a="b`, `<x a`, `<x a=b a=c A=d>`, "<x a=\"\r\">", "<x\x00 a=b>", `<x a=b a=/>`, `<x a/ b=">"/>`,
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
		got, exact, ok := scanTag(b, nil, nil)
		if !isTag {
			if ok {
				t.Fatalf("scanTag read a tag of %d bytes where the tokenizer sees %v", got.n, tt)
			}
			return
		}
		raw := z.Raw()
		if !ok {
			t.Fatalf("scanTag gave up on %q", raw)
		}
		if got.n != len(raw) || got.selfClosing != (tt == html.SelfClosingTagToken) {
			t.Fatalf("scanTag: %d bytes, self-closing %v; tokenizer: %d bytes, %v", got.n, got.selfClosing, len(raw), tt)
		}
		if !exact {
			if !bytes.ContainsAny(raw, "&\r\x00") {
				t.Fatalf("scanTag asks the tokenizer for %q", raw)
			}
			return
		}
		name, more := z.TagName()
		var attrs attrList
		for more {
			var k, v []byte
			k, v, more = z.TagAttr()
			attrs = append(attrs, attr{string(k), string(v)})
		}
		if string(got.name) != string(name) || !slices.Equal(got.attrs, attrs) {
			t.Fatalf("scanTag: %q, %q\ntokenizer: %q, %q", got.name, got.attrs, name, attrs)
		}
	})
}

// FuzzTop: top reads the head and the first elements of the body as the
// tokenizer does: the same references, hero candidates and early classes,
// and it stops where the tokenizer would.
func FuzzTop(f *testing.F) {
	for _, s := range []string{
		`<!doctype html><html><head><link rel=stylesheet href=a.css><script src=a.js></script></head><body><img src=h.png width=900 height=900>`,
		`<!-- <link rel=stylesheet href=x.css> --><!--><!---><link rel=stylesheet href="b.css"><? x ><!x>`,
		`<style>a{}</style x><script>if (a < b) document.write("<link>")</script ><title>t</TITLE>text<div class="a b" id=c style="background:url(h.png)">`,
		`<template><link rel=stylesheet href=t.css></template></template><script><!-- <script></script> --></script><link rel=stylesheet href=s.css>`,
		`<title/>x<link rel=stylesheet href=c.css></x><//><p a=/><img src=q.png fetchpriority=high>` + strings.Repeat("<p class=x>", 45) + `<img src=late.png width=999 height=999>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, page []byte) {
		if bytes.Contains(bytes.ToLower(page), []byte("plaintext")) {
			return // the tokenizer-based top let rest read a plaintext's text as markup
		}
		got, want := &extractor{d: &doc{early: map[string]bool{}}}, &extractor{d: &doc{early: map[string]bool{}}}
		off, line := got.top(page)
		wantOff, wantLine := want.topTokenizer(page)
		got.attrs, want.attrs = nil, nil // scratch space, not a result
		if !reflect.DeepEqual(got, want) || off != wantOff || off < len(page) && line != wantLine {
			t.Fatalf("top: stopped at %d, line %d: %+v %+v\ntokenizer: stopped at %d, line %d: %+v %+v",
				off, line, *got, *got.d, wantOff, wantLine, *want, *want.d)
		}
	})
}
