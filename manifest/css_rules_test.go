package manifest

import (
	"reflect"
	"testing"
	"testing/fstest"
)

// TestCSSRules pins how stylesheets are read: what of a linked sheet's
// @import and @font-face rules a browser fetches before its first paint.
func TestCSSRules(t *testing.T) {
	common := map[string]string{
		"b.css": "p{}", "c.css": "i{}", "d.css": "u{}",
		"f.woff2": "w2", "g.woff2": "g", "h.woff2": "h", "i.woff2": "i", "j.woff2": "j",
		"w300.woff2": "3", "w400.woff2": "4", "w500.woff2": "5", "w700.woff2": "7", "w900.woff2": "9",
	}
	tests := []struct {
		name string
		css  string // a.css, linked from index.html
		want []string
		// media, when set, is each listed asset's media query.
		media []string
	}{
		{name: "the weights rules ask for, and normal and bold, by the browser's matching",
			css: `@font-face{font-family:F;src:url(w300.woff2);font-weight:300}` +
				`@font-face{font-family:F;src:url(w400.woff2);font-weight:normal}` +
				`@font-face{font-family:F;src:url(w500.woff2);font-weight:500}` +
				`@font-face{font-family:F;src:url(w700.woff2);font-weight:bold}` +
				`@font-face{font-family:F;src:url(w900.woff2);font-weight:900}` +
				`body{font-family:F} h2{font-weight:500}`,
			want: []string{"link /a.css", "font-face /w400.woff2 crossorigin=anonymous", "font-face /w500.woff2 crossorigin=anonymous",
				"font-face /w700.woff2 crossorigin=anonymous"}},
		{name: "the nearest weight when none is exact",
			css: `@font-face{font-family:F;src:url(w300.woff2);font-weight:300}` +
				`@font-face{font-family:F;src:url(w500.woff2);font-weight:500}` +
				`@font-face{font-family:F;src:url(w900.woff2);font-weight:900}` +
				`body{font:200 1rem F}`,
			// 400 takes 500 (heavier up to 500 first), 700 takes 900 (heavier
			// first above 500), 200 takes 300 (lighter first, then heavier).
			want: []string{"link /a.css", "font-face /w300.woff2 crossorigin=anonymous", "font-face /w500.woff2 crossorigin=anonymous",
				"font-face /w900.woff2 crossorigin=anonymous"}},
		{name: "every weight when a rule's weight is unknown (a var() not set); a variable font and a face without weight always",
			css: `@font-face{font-family:F;src:url(w300.woff2);font-weight:300}` +
				`@font-face{font-family:F;src:url(w900.woff2);font-weight:900}` +
				`@font-face{font-family:G;src:url(w400.woff2);font-weight:100 900}` +
				`@font-face{font-family:G;src:url(w500.woff2)}` +
				`body{font-family:F} p{font-weight:var(--w)} i{font-family:G}`,
			want: []string{"link /a.css", "font-face /w300.woff2 crossorigin=anonymous", "font-face /w900.woff2 crossorigin=anonymous",
				"font-face /w400.woff2 crossorigin=anonymous", "font-face /w500.woff2 crossorigin=anonymous"}},
		{name: "unicode-range subsets for other scripts are left out",
			css: `@font-face{font-family:F;src:url(f.woff2);unicode-range:U+0400-045F,U+0490-0491}` +
				`@font-face{font-family:F;src:url(g.woff2);unicode-range:U+0000-00FF, U+0131, U+2000-206F}` +
				`@font-face{font-family:F;src:url(h.woff2);unicode-range:U+1F??}` +
				`@font-face{font-family:F;src:url(i.woff2);unicode-range:U+00??}` +
				`@font-face{font-family:F;src:url(j.woff2);unicode-range:bogus}` +
				`body{font-family:F}`,
			want: []string{"link /a.css", "font-face /g.woff2 crossorigin=anonymous", "font-face /i.woff2 crossorigin=anonymous",
				"font-face /j.woff2 crossorigin=anonymous"}},
		{name: "a byte order mark before @import",
			css:  "\ufeff@import \"b.css\";",
			want: []string{"link /a.css", "import /b.css"}},
		{name: "a byte order mark before @font-face",
			css:  "\ufeff@font-face{font-family:F;src:url(f.woff2)} body{font-family:F}",
			want: []string{"link /a.css", "font-face /f.woff2 crossorigin=anonymous"}},
		{name: "font shorthand with a numeric weight",
			css:  `@font-face{font-family:Inter;src:url(f.woff2)} body{font:400 16px/1.5 Inter, sans-serif}`,
			want: []string{"link /a.css", "font-face /f.woff2 crossorigin=anonymous"}},
		{name: "font shorthand with style, weight and stretch",
			css:  `@font-face{font-family:Inter;src:url(f.woff2)} body{font:italic 700 condensed 1rem Inter}`,
			want: []string{"link /a.css", "font-face /f.woff2 crossorigin=anonymous"}},
		{name: "font shorthand with a size keyword",
			css:  `@font-face{font-family:Inter;src:url(f.woff2)} body{font:bold medium Inter}`,
			want: []string{"link /a.css", "font-face /f.woff2 crossorigin=anonymous"}},
		{name: "font shorthand with spaces around the line height",
			css:  `@font-face{font-family:Inter;src:url(f.woff2)} body{font:600 16px / 1.5 Inter}`,
			want: []string{"link /a.css", "font-face /f.woff2 crossorigin=anonymous"}},
		{name: "font shorthand with a calc() size",
			css:  `@font-face{font-family:Inter;src:url(f.woff2)} body{font:300 calc(1rem + 2px)/2 Inter}`,
			want: []string{"link /a.css", "font-face /f.woff2 crossorigin=anonymous"}},
		{name: "font shorthand with a size of zero",
			css:  `@font-face{font-family:Inter;src:url(f.woff2)} body{font:0/0 Inter}`,
			want: []string{"link /a.css", "font-face /f.woff2 crossorigin=anonymous"}},
		{name: "font shorthand with the size first",
			css:  `@font-face{font-family:Inter;src:url(f.woff2)} body{font:12px Inter}`,
			want: []string{"link /a.css", "font-face /f.woff2 crossorigin=anonymous"}},
		{name: "import into an anonymous layer, for screens",
			css:   `@import url(b.css) layer screen;`,
			want:  []string{"link /a.css", "import /b.css"},
			media: []string{"", "screen"}},
		{name: "import into a named layer, with a media feature",
			css:   `@import url(b.css) layer(x) (min-width:1px);`,
			want:  []string{"link /a.css", "import /b.css"},
			media: []string{"", "(min-width:1px)"}},
		{name: "import with a supports condition, for screens",
			css:  `@import url(d.css) supports(display:grid) screen;`,
			want: []string{"link /a.css", "import /d.css"}},
		{name: "import with nested brackets in its supports condition",
			css:   `@import url(d.css) supports(selector(:has(a))) screen;`,
			want:  []string{"link /a.css", "import /d.css"},
			media: []string{"", "screen"}},
		{name: "import with layer and supports, upper case",
			css:  `@import "b.css" LAYER(x.y) SUPPORTS(not (display:grid));`,
			want: []string{"link /a.css", "import /b.css"}},
		{name: "import into a layer for print is left out",
			css:  `@import url(b.css) layer print; @import 'c.css' layer(x) supports(display:grid) print;`,
			want: []string{"link /a.css"}},
		{name: "import after a layer block is ignored",
			css:  `@layer x { p{} } @import "b.css";`,
			want: []string{"link /a.css"}},
		{name: "import after a layer statement is read",
			css:  `@charset "utf-8"; @layer a, b; @LAYER c; @import "b.css" layer(a);`,
			want: []string{"link /a.css", "import /b.css"}},
		{name: "CDO and CDC at the top of a stylesheet are skipped",
			css:  "<!--\n@import \"b.css\";\n--> <!-- @font-face{font-family:F;src:url(f.woff2)} --> body{font-family:F}",
			want: []string{"link /a.css", "import /b.css", "font-face /f.woff2 crossorigin=anonymous"}},
		{name: "a stray semicolon at the top starts a rule that swallows the @import",
			css:  `p{} ; @import "b.css"; @font-face{font-family:F;src:url(f.woff2)} body{font-family:F}`,
			want: []string{"link /a.css"}},
		{name: "CDO inside a block is not skipped",
			css:  `@media screen { <!-- @font-face{font-family:F;src:url(f.woff2)} } body{font-family:F}`,
			want: []string{"link /a.css"}},
		{name: "an escaped space in an unquoted family",
			css:  `@font-face{font-family:"My Font";src:url(f.woff2)} body{font-family:My\ Font, serif}`,
			want: []string{"link /a.css", "font-face /f.woff2 crossorigin=anonymous"}},
		{name: "a hex escape in an unquoted family",
			css:  `@font-face{font-family:"My Font";src:url(f.woff2)} body{font-family:My\20 Font}`,
			want: []string{"link /a.css", "font-face /f.woff2 crossorigin=anonymous"}},
		{name: "escapes in the face's family and in a quoted one",
			css:  `@font-face{font-family:My\ Font;src:url(f.woff2)} body{font-family:"My\46ont", "my font"}`,
			want: []string{"link /a.css", "font-face /f.woff2 crossorigin=anonymous"}},
		{name: "an escaped space in the font shorthand",
			css:  `@font-face{font-family:"My Font";src:url(f.woff2)} body{font:bold 16px My\ Font}`,
			want: []string{"link /a.css", "font-face /f.woff2 crossorigin=anonymous"}},
		{name: "!important in upper case",
			css:  `@font-face{font-family:"My Font";src:url(f.woff2)} body{font-family:"My Font" !IMPORTANT}`,
			want: []string{"link /a.css", "font-face /f.woff2 crossorigin=anonymous"}},
		{name: "!important with a space",
			css:  `@font-face{font-family:"My Font";src:url(f.woff2)} body{font-family:"My Font"! important}`,
			want: []string{"link /a.css", "font-face /f.woff2 crossorigin=anonymous"}},
		{name: "!important after the font shorthand",
			css:  `@font-face{font-family:"My Font";src:url(f.woff2)} body{font:16px "My Font" !Important}`,
			want: []string{"link /a.css", "font-face /f.woff2 crossorigin=anonymous"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"index.html": file(`<link rel=stylesheet href=a.css><h1>Title</h1><h2>Part</h2><p>Text, <i>i</i> and <b>b</b>`),
				"a.css":      file(tt.css),
			}
			for k, v := range common {
				fsys[k] = file(v)
			}
			m, problems, err := Build(fsys, Options{})
			if err != nil || len(problems) > 0 {
				t.Fatalf("Build: %v %v", err, problems)
			}
			assets := m.Pages["/index.html"].Assets
			if got := assetList(assets); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%q\n got %q\nwant %q", tt.css, got, tt.want)
			}
			if tt.media != nil {
				media := []string{}
				for _, a := range assets {
					media = append(media, a.Media)
				}
				if !reflect.DeepEqual(media, tt.media) {
					t.Errorf("%q: media\n got %q\nwant %q", tt.css, media, tt.media)
				}
			}
		})
	}
}
