package manifest

import (
	"bytes"
	"image"
	"image/png"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// assetList is the short form the tests compare: "why path".
func assetList(assets []Asset) []string {
	out := []string{}
	for _, a := range assets {
		s := string(a.Why) + " " + a.Path
		if a.CrossOrigin != "" {
			s += " crossorigin=" + a.CrossOrigin
		}
		out = append(out, s)
	}
	return out
}

// pngOf is a w x h PNG file, padded after its end to 0.08 bits a pixel:
// Chromium takes an image of less than 0.05 for a placeholder, never the
// largest contentful paint, and so does the manifest.
func pngOf(w, h int) string {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h)))
	if pad := w*h/100 - b.Len(); pad > 0 {
		b.Write(make([]byte, pad))
	}
	return b.String()
}

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

// TestRules pins every rule of what a page needs first, one small site each.
func TestRules(t *testing.T) {
	common := map[string]string{
		"a.css": "body{}", "b.css": "p{}", "c.css": "i{}", "print.css": "x{}",
		"a.js": "1", "b.js": "2", "m.js": "3", "big.png": pngOf(1200, 600), "icon.png": pngOf(16, 16),
		"f.woff2": "w2", "f.woff": "w1", "f.eot": "e", "g.woff2": "g", "it.woff2": "i",
	}
	tests := []struct {
		name     string
		files    map[string]string // beside common
		page     string            // index.html
		want     []string
		deferred []string
		preload  []string
		missing  []string
		external []string
	}{
		{name: "head stylesheets in order",
			page: `<link rel=stylesheet href=a.css><link rel="Stylesheet" href="/b.css">`,
			want: []string{"link /a.css", "link /b.css"}},
		{name: "alternate, disabled and print stylesheets do not block",
			page: `<link rel="alternate stylesheet" href=a.css><link rel=stylesheet href=b.css disabled>
<link rel=stylesheet href=print.css media=print><link rel=stylesheet href=c.css media="print, screen and (min-width: 40em)">`,
			want: []string{"link /c.css"}},
		{name: "media features and not-print may match a screen",
			page: `<link rel=stylesheet href=a.css media="(max-width: 600px)"><link rel=stylesheet href=b.css media="not print"><link rel=stylesheet href=c.css media="speech">`,
			want: []string{"link /a.css", "link /b.css"}},
		{name: "sync classic head scripts only",
			page: `<script src=a.js></script><script src=b.js async></script><script src=m.js type=module></script>
<script src=c.js defer></script><script src=b.js type="text/template"></script><script src=m.js nomodule></script>
<script type="text/javascript; charset=utf-8" src="b.js"></script><script type=" TEXT/JavaScript " src="d.js"></script>`,
			files: map[string]string{"c.js": "c", "d.js": "d"},
			// A type with parameters is no JavaScript MIME type essence match:
			// browsers do not run it (web-platform-tests script-type-and-language-js).
			want: []string{"head-script /a.js", "head-script /d.js"}},
		{name: "a stylesheet preloaded, then linked, is applied: its imports and fonts count",
			page: `<link rel=preload href=/main.css as=style><link rel=stylesheet href=/main.css><p>Text`,
			files: map[string]string{"main.css": `@import "more.css"; @font-face{font-family:Inter;src:url(i.woff2) format("woff2")} body{font-family:Inter}`,
				"more.css": "p{}", "i.woff2": "w"},
			want: []string{"link /main.css", "import /more.css", "font-face /i.woff2 crossorigin=anonymous"}},
		{name: "an inline <style> in the head: its imports and fonts count",
			page: "<link rel=stylesheet href=a.css>\n<style>\n@import url(b.css);\n@font-face{font-family:X;src:url(x.woff2) format(\"woff2\")}\nh1{font-family:Y}</style><h1>Title</h1><p>Text",
			files: map[string]string{"a.css": `@font-face{font-family:Y;src:url(y.woff2)} body{font-family:X}`,
				"b.css": "p{}", "x.woff2": "x", "y.woff2": "y"},
			want: []string{"link /a.css", "import /b.css", "font-face /y.woff2 crossorigin=anonymous", "font-face /x.woff2 crossorigin=anonymous"}},
		{name: "an inline <style> whose rules hide in <!-- -->, as old pages wrote them",
			page: "<style><!--\n@import url(b.css);\n--></style>",
			want: []string{"import /b.css"}},
		{name: "an inline <style> in the body: its imports are deferred, its rules do not count",
			page:     "</head><body><p>x</p><style>@import 'b.css'; @font-face{font-family:X;src:url(x.woff2)} p{font-family:X}</style><style>@import 'missing.css';</style>",
			files:    map[string]string{"b.css": "p{}", "x.woff2": "x"},
			want:     []string{},
			deferred: []string{"import /b.css"},
			missing:  []string{"/missing.css import /index.html:1"}},
		{name: "a <base> applies to what comes after it",
			page:  `<link rel=stylesheet href=a.css><base href=/sub/><link rel=stylesheet href=b.css><style>@import "c.css";</style>`,
			files: map[string]string{"a.css": "p{}", "sub/b.css": "p{}", "sub/c.css": "p{}"},
			want:  []string{"link /a.css", "link /sub/b.css", "import /sub/c.css"}},
		{name: "URLs read as a browser reads them: backslashes, tabs and newlines",
			page:  "<link rel=stylesheet href=\"css\\a.css\"><script src=\"js/\ta.js\"></script><script src=\"js/b.js?x=\\y\"></script>",
			files: map[string]string{"css/a.css": "p{}", "js/a.js": "1", "js/b.js": "2"},
			want:  []string{"link /css/a.css", "head-script /js/a.js", "head-script /js/b.js?x=\\y"}},
		{name: "a script's \"/>\" is ignored, as HTML does: its text runs to </script>",
			page:  `<script src=a.js /><link rel=stylesheet href=b.css></script><link rel=stylesheet href=c.css><title/>x</title><link rel=stylesheet href=d.css>`,
			files: map[string]string{"a.js": "1", "b.css": "p{}", "c.css": "p{}", "d.css": "p{}"},
			want:  []string{"head-script /a.js", "link /c.css", "link /d.css"}},
		{name: "blocking=render makes async and module scripts critical",
			page:  `<script src=a.js async blocking=render></script><script src=m.js type=module blocking="render"></script><script src=n.js type=module></script>`,
			files: map[string]string{"a.js": "a", "m.js": "m", "n.js": "n"},
			want:  []string{"head-script /a.js", "head-script /m.js crossorigin=anonymous"}},
		{name: "after </head>, what may stand in the head still goes there",
			page:     "</head>\n<link rel=stylesheet href=a.css>\n<script src=a.js></script>\n<body><p>x<link rel=stylesheet href=b.css>",
			files:    map[string]string{"a.css": "p{}", "b.css": "p{}", "a.js": "1"},
			want:     []string{"link /a.css", "head-script /a.js"},
			deferred: []string{"body-style /b.css"}},
		{name: "a byte order mark before the doctype",
			page:  "\ufeff<!DOCTYPE html><html><head><link rel=stylesheet href=a.css><script src=a.js></script>",
			files: map[string]string{"a.css": "p{}", "a.js": "1"},
			want:  []string{"link /a.css", "head-script /a.js"}},
		{name: "stylesheets of other types are not fetched",
			page:  `<link rel=stylesheet href=a.less type="text/less"><link rel=stylesheet href=b.css type="TEXT/CSS"><link rel=stylesheet href=c.css type="">`,
			files: map[string]string{"a.less": "p{}", "b.css": "p{}", "c.css": "p{}"},
			want:  []string{"link /b.css", "link /c.css"}},
		{name: "a negated media feature may match a screen",
			page:  `<link rel=stylesheet href=a.css media="not (hover)"><link rel=stylesheet href=b.css media="not all"><link rel=stylesheet href=c.css media="not print">`,
			files: map[string]string{"a.css": "p{}", "b.css": "p{}", "c.css": "p{}"},
			want:  []string{"link /a.css", "link /c.css"}},
		{name: "preloads of destinations no browser preloads are left out",
			page:    `<link rel=preload href=d.html as=document><link rel=preload href=v.mp4 as=video><link rel=preload href=f.json as=fetch crossorigin>`,
			files:   map[string]string{"d.html": "x", "v.mp4": "x", "f.json": "{}"},
			want:    []string{},
			preload: []string{"preload /f.json crossorigin=anonymous"}},
		{name: "of a srcset, the candidate of the desktop viewport (1366 px wide, density 1)",
			page:  `</head><body><img src=a.png srcset="a.png 800w, b.png 1600w" sizes=100vw width=1600 height=900>`,
			files: map[string]string{"a.png": pngOf(1600, 900), "b.png": pngOf(1600, 900)},
			want:  []string{"hero /b.png"}},
		{name: "of a picture, the first source that applies; no hero when it is no image of the site",
			page: `</head><body><picture><source media="(max-width: 600px)" srcset=p.png>` +
				`<source type=image/webp srcset=h.webp><img src=h.png width=1600 height=900></picture>`,
			files: map[string]string{"p.png": pngOf(1600, 900), "h.png": pngOf(1600, 900), "h.webp": "x"},
			want:  []string{}},
		{name: "after a picture, images are heroes again; a width in percent is not a size",
			page:  `</head><body><picture><source srcset=h.webp><img src=h.png width=100 height=50></picture><img src=w.png width="100%">`,
			files: map[string]string{"h.png": pngOf(1600, 900), "h.webp": "x", "w.png": pngOf(1600, 900)},
			want:  []string{"hero /w.png"}},
		{name: "body stylesheets and scripts are deferred, never critical",
			page:     `<link rel=stylesheet href=a.css></head><body><p>hi<link rel=stylesheet href=b.css><script src=a.js></script>`,
			want:     []string{"link /a.css"},
			deferred: []string{"body-style /b.css", "body-script /a.js"}},
		{name: "content before head ends opens the body",
			page:     `<title>x</title><link rel=stylesheet href=a.css><p>text</p><script src=a.js></script>`,
			want:     []string{"link /a.css"},
			deferred: []string{"body-script /a.js"}},
		{name: "noscript and template contents are inert",
			page: `<noscript><link rel=stylesheet href=a.css></noscript><template><link rel=stylesheet href=b.css></template><link rel=stylesheet href=c.css>`,
			want: []string{"link /c.css"}},
		{name: "import chain, depth first, with cycle and print import",
			files: map[string]string{
				"s/one.css":   `@charset "utf-8"; @import "two.css"; @import url(print.css) print; body{}`,
				"s/two.css":   `@import url('../three.css') screen; @import "one.css";`,
				"three.css":   `/* @import "nope.css"; */ @import "s/one.css"; a{}`,
				"s/print.css": "x{}"},
			page: `<link rel=stylesheet href=s/one.css>`,
			want: []string{"link /s/one.css", "import /s/two.css", "import /three.css"}},
		{name: "import after a rule is ignored, as CSS requires",
			files: map[string]string{"late.css": `a{} @import "b.css";`},
			page:  `<link rel=stylesheet href=late.css>`,
			want:  []string{"link /late.css"}},
		{name: "web fonts only when a rule uses the family, first usable src",
			files: map[string]string{"fonts.css": `
@font-face { font-family: "Body Font"; src: url(f.eot); src: local("Body"), url(f.eot) format("embedded-opentype"), url(f.woff2) format("woff2"), url(f.woff) format("woff"); }
@font-face { font-family: Unused; src: url(g.woff2) format("woff2"); }
@font-face { font-family: "Body Font"; font-style: italic; src: url(it.woff2) format("woff2"); }
body { font: 16px/1.4 "Body Font", sans-serif }`},
			page: `<link rel=stylesheet href=fonts.css><p>Text`,
			want: []string{"link /fonts.css", "font-face /f.woff2 crossorigin=anonymous"}},
		{name: "italic faces when a rule asks for italic; fonts used through a custom property",
			files: map[string]string{"fonts.css": `
@font-face { font-family: "Body Font"; src: url(f.woff2) format("woff2"); }
@font-face { font-family: "Body Font"; font-style: italic; src: url(it.woff2) format("woff2"); }
@font-face { font-family: G; src: url(g.woff2); }
:root { --text: "Body Font", serif; --mono: G } body { font-family: var(--text) } em { font-style: italic } code { font-family: var(--mono) }`},
			page: `<link rel=stylesheet href=fonts.css><p>Text, <em>this</em> and <code>that</code>`,
			want: []string{"link /fonts.css", "font-face /f.woff2 crossorigin=anonymous", "font-face /it.woff2 crossorigin=anonymous", "font-face /g.woff2 crossorigin=anonymous"}},
		{name: "font faces in a print block do not count",
			files: map[string]string{"fonts.css": `@media print { @font-face { font-family: P; src: url(f.woff2) } body { font-family: P } }`},
			page:  `<link rel=stylesheet href=fonts.css>`,
			want:  []string{"link /fonts.css"}},
		{name: "preloads and modulepreloads",
			page: `<link rel=preload href=f.woff2 as=font type=font/woff2 crossorigin><link rel=preload href=a.js><link rel=modulepreload href=m.js>
<link rel=preload href=b.css as=style>`,
			want:    []string{},
			preload: []string{"preload /f.woff2 crossorigin=anonymous", "modulepreload /m.js crossorigin=anonymous", "preload /b.css"}},
		{name: "a Vite head: module preloads before the stylesheet do not block it",
			files: map[string]string{"assets/index.js": "i", "assets/vendor.js": "v", "assets/index.css": "p{}"},
			page: `<script type=module crossorigin src=/assets/index.js></script>
<link rel=modulepreload crossorigin href=/assets/vendor.js>
<link rel=stylesheet crossorigin href=/assets/index.css>`,
			want:    []string{"link /assets/index.css crossorigin=anonymous"},
			preload: []string{"modulepreload /assets/vendor.js crossorigin=anonymous"}},
		{name: "a preloaded font that a used face lists counts once, as that face",
			files:   map[string]string{"fonts.css": `@font-face{font-family:F;src:url(f.woff2)} @font-face{font-family:G;src:url(g.woff2)} body{font-family:F}`},
			page:    `<link rel=preload href=g.woff2 as=font crossorigin><link rel=preload href=f.woff2 as=font crossorigin><link rel=stylesheet href=fonts.css><p>Text`,
			want:    []string{"link /fonts.css", "font-face /f.woff2 crossorigin=anonymous"},
			preload: []string{"preload /g.woff2 crossorigin=anonymous"}},
		{name: "hero: a large image near the top, not icons or lazy ones",
			page: `</head><body><img src=icon.png><img src=big.png loading=lazy><img src=big.png width=800 height=400>`,
			want: []string{"hero /big.png"}},
		{name: "hero: sized from the file when the page gives no size",
			page: `</head><body><img src=icon.png><img src=big.png>`,
			want: []string{"hero /big.png"}},
		{name: "hero: the largest image, whatever its fetchpriority",
			files: map[string]string{"other.png": pngOf(10, 10)},
			page:  `</head><body><img src=big.png width=900 height=900><p>x</p><img src=other.png fetchpriority=high>`,
			want:  []string{"hero /big.png"}},
		{name: "hero: none when a code block keeps its line breaks and so outweighs a logo (rustdoc)",
			files: map[string]string{"logo.png": pngOf(100, 100)},
			page:  "</head><body><img src=logo.png><pre><code><span>pub</span> macro Debug($item:item) {\n    ...\n}</code></pre>",
			want:  []string{}},
		{name: "hero: a logo outweighs the same code run into one line",
			files: map[string]string{"logo.png": pngOf(100, 100)},
			page:  "</head><body><img src=logo.png><p><code><span>pub</span> macro Debug($item:item) {\n    ...\n}</code></p>",
			want:  []string{"hero /logo.png"}},
		{name: "hero: white-space from CSS keeps line breaks too, and pre-wrap wraps",
			files: map[string]string{"logo.png": pngOf(100, 100), "ws.css": ".c { white-space: pre-wrap }"},
			page:  "<link rel=stylesheet href=ws.css></head><body><img src=logo.png><div class=c>pub macro Debug($item:item) {\n    ...\n}</div>",
			want:  []string{"link /ws.css"}},
		{name: "hero: a preloaded image is not listed twice",
			page: `<link rel=preload as=image href=big.png></head><body><img src=big.png>`,
			want: []string{"hero /big.png"}},
		{name: "late in the body, template contents and raw text are inert",
			page: "</head><body>" + strings.Repeat("<p>x</p>", 41) + `<TEMPLATE><script src=a.js></script></template>
<Xmp><script src=a.js></script></xmp><noframes><link rel=stylesheet href=a.css></noframes><script src=b.js></script>`,
			want:     []string{},
			deferred: []string{"body-script /b.js"}},
		{name: "a preload's type is the page's own word, whatever it is; an image no element shows is no hero",
			page:    `<link rel=preload as=image type=unsized href=gone.png><link rel=preload as=image type=unsized href=icon.png>`,
			want:    []string{},
			preload: []string{"preload /icon.png"},
			missing: []string{"/gone.png preload /index.html:1"}},
		{name: "hero: background of an early element, inline or by class",
			files: map[string]string{"bg.css": `.banner { background: #000 url("big.png") no-repeat }`},
			page:  `<link rel=stylesheet href=bg.css></head><body><div class="x banner">hi</div>`,
			want:  []string{"link /bg.css", "hero /big.png"}},
		{name: "base href, dot segments, queries, percent-encoding",
			files: map[string]string{"docs/x y.css": "a{}", "lib/z.js": "z"},
			page:  `<base href="/docs/"><link rel=stylesheet href="x%20y.css?v=3#frag"><script src="../lib/./z.js"></script>`,
			want:  []string{"link /docs/x%20y.css?v=3", "head-script /lib/z.js"}},
		{name: "other origins are external; data and javascript URLs ignored",
			page:     `<link rel=stylesheet href="https://cdn.example.com/a.css"><link rel=stylesheet href="//fonts.example.net/b.css"><script src="data:text/javascript,1"></script><link rel=stylesheet href=a.css>`,
			want:     []string{"link /a.css"},
			external: []string{"https://cdn.example.com/a.css", "http://fonts.example.net/b.css"}},
		{name: "broken references are missing, with their line",
			page:    "<link rel=stylesheet href=a.css>\n<link rel=stylesheet href=gone.css>\n<script src=gone.js></script>",
			want:    []string{"link /a.css"},
			missing: []string{"/gone.css link /index.html:2", "/gone.js head-script /index.html:3"}},
		{name: "duplicates are listed once",
			page: `<link rel=stylesheet href=a.css><link rel=stylesheet href=./a.css><script src=a.js></script><script src=/a.js></script>`,
			want: []string{"link /a.css", "head-script /a.js"}},
		{name: "malformed markup still yields what a browser would load",
			// "<script" becomes an attribute of the link, as in a browser; a
			// tag cut off by the end of the file is dropped.
			page: `<html><head><link rel=stylesheet href=a.css <script src=a.js></script><link rel=stylesheet href="b.css`,
			want: []string{"link /a.css"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"index.html": file(tt.page)}
			for k, v := range common {
				fsys[k] = file(v)
			}
			for k, v := range tt.files {
				fsys[k] = file(v)
			}
			m, problems, err := Build(fsys, Options{})
			if err != nil || len(problems) > 0 {
				t.Fatalf("Build: %v %v", err, problems)
			}
			page := m.Pages["/index.html"]
			if got := assetList(page.Assets); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("assets\n got %q\nwant %q", got, tt.want)
			}
			if got := assetList(page.Deferred); len(got)+len(tt.deferred) > 0 && !reflect.DeepEqual(got, tt.deferred) {
				t.Errorf("deferred\n got %q\nwant %q", got, tt.deferred)
			}
			if got := assetList(page.Preload); len(got)+len(tt.preload) > 0 && !reflect.DeepEqual(got, tt.preload) {
				t.Errorf("preload\n got %q\nwant %q", got, tt.preload)
			}
			var missing []string
			for _, x := range page.Missing {
				missing = append(missing, x.Path+" "+string(x.Why)+" "+x.From+":"+strconv.Itoa(x.Line))
			}
			if !reflect.DeepEqual(missing, tt.missing) {
				t.Errorf("missing\n got %q\nwant %q", missing, tt.missing)
			}
			if !reflect.DeepEqual(page.External, tt.external) {
				t.Errorf("external\n got %q\nwant %q", page.External, tt.external)
			}
			for _, a := range page.Assets {
				f := m.Files[strings.SplitN(unescape(a.Path), "?", 2)[0]]
				if a.Hash != f.Hash || a.Size != f.Size || a.Hash == "" {
					t.Errorf("%s: hash/size %s/%d, file has %s/%d", a.Path, a.Hash, a.Size, f.Hash, f.Size)
				}
			}
		})
	}
}

func unescape(p string) string { return strings.ReplaceAll(p, "%20", " ") }
