package manifest

import (
	"reflect"
	"testing"
	"testing/fstest"
)

// TestStyleFonts pins which web font faces the style engine finds a page
// using: only those of the elements that show text, or generated content.
func TestStyleFonts(t *testing.T) {
	icons := `@font-face{font-family:"Font Awesome 6 Free";font-weight:900;src:url(solid.woff2)}
@font-face{font-family:"Font Awesome 6 Free";font-weight:400;src:url(regular.woff2)}
@font-face{font-family:"Font Awesome 6 Brands";font-weight:400;src:url(brands.woff2)}
.fa-solid,.fas{font-family:"Font Awesome 6 Free";font-weight:900}
.fa-regular,.far{font-family:"Font Awesome 6 Free";font-weight:400}
.fa-brands,.fab{font-family:"Font Awesome 6 Brands";font-weight:400}
.fa-user::before{content:"\f007"} .fa-github::before{content:"\f09b"}
`
	theme := `@font-face{font-family:T;src:url(t.woff2)}
@font-face{font-family:T;font-style:italic;src:url(ti.woff2)}
@font-face{font-family:T;font-style:italic;font-weight:700;src:url(tbi.woff2)}
@font-face{font-family:H;src:url(h.woff2)}
body{font-family:T,serif}
`
	tests := []struct {
		name, css, page string
		want            []string // font files listed
	}{
		{name: "an icon font: only the solid face of the solid icons shown",
			css: icons, page: `<p><i class="fa-solid fa-user"></i> Profile`, want: []string{"/solid.woff2"}},
		{name: "italic and bold-italic faces no element uses",
			css: theme, page: `<p>Text and <b>bold</b>`, want: []string{"/t.woff2"}},
		{name: "an italic face used by <em>",
			css: theme, page: `<p>Text and <em>this</em>`, want: []string{"/t.woff2", "/ti.woff2"}},
		{name: "a family used only under display:none",
			css: theme + `.menu{display:none} .menu a{font-family:H}`, page: `<p>Text<nav class=menu><a href=/>Home</a></nav>`, want: []string{"/t.woff2"}},
		{name: "a family used only under [hidden]",
			css: theme + `h1{font-family:H}`, page: `<p>Text<div hidden><h1>Title</h1></div>`, want: []string{"/t.woff2"}},
		{name: "a family used only in a print or a wide-screen rule",
			css:  theme + `@media print{p{font-family:H}} @media (min-width: 2000px){p{font-family:H}}`,
			page: `<p>Text`, want: []string{"/t.woff2"}},
		{name: "a family of a rule for this width",
			css:  theme + `@media (min-width: 1000px) and (max-width: 1400px){p{font-family:H}}`,
			page: `<p>Text`, want: []string{"/h.woff2"}},
		{name: "a family only on hover",
			css:  theme + `p:hover{font-family:H} p:focus-within{font-family:H}`,
			page: `<p>Text`, want: []string{"/t.woff2"}},
		{name: "a selector cascadia cannot parse is kept",
			css:  theme + `p:is(.x, .y){font-family:H}`,
			page: `<p>Text`, want: []string{"/t.woff2", "/h.woff2"}},
		{name: "specificity and !important decide",
			css:  theme + `p.x{font-family:H} p{font-family:T!important} .y{font-family:H} #z{font-family:T}`,
			page: `<p class=x>Text<div class=y id=z>More`, want: []string{"/t.woff2"}},
		// Chromium fetches the face of an empty inline element in a line
		// box: GitPython's module index has <td><em></em></td> and no
		// other italic, and Chromium loads Lato italic for it.
		{name: "an empty inline element's face",
			css: theme, page: `<table><tr><td>git<td>
       <em></em></table>`, want: []string{"/t.woff2", "/ti.woff2"}},
		{name: "an empty element under display:none",
			css: theme + `.x{display:none}`, page: `<p>Text<span class=x><em></em></span>`, want: []string{"/t.woff2"}},
		{name: "an inline style attribute",
			css: theme, page: `<p>Text<p style="font-family: H">Other`, want: []string{"/t.woff2", "/h.woff2"}},
		{name: "an inline style attribute hides",
			css: theme + `h1{font-family:H}`, page: `<p>Text<div style="display:none"><h1>Title</h1></div>`, want: []string{"/t.woff2"}},
		{name: "an inline style beats an id, !important beats it",
			css: theme + `#a{font-family:H} #b{font-family:H!important}`, page: `<p id=a style="font-family:T">A<p id=b style="font-family:T">B`, want: []string{"/t.woff2", "/h.woff2"}},
		{name: "unlayered rules beat layered ones whatever their specificity",
			css: theme + `@layer base{p#x.y{font-family:H}} p{font-family:T}`, page: `<p id=x class=y>Text`, want: []string{"/t.woff2"}},
		{name: "a later layer beats an earlier one",
			css: theme + `@layer a, b; @layer b{p{font-family:T}} @layer a{p#x{font-family:H}}`, page: `<p id=x>Text`, want: []string{"/t.woff2"}},
		{name: "!important in an earlier layer beats a later layer's",
			css: theme + `@layer a, b; @layer a{p{font-family:H!important}} @layer b{p{font-family:T!important}} p{font-family:T!important}`, page: `<p>Text`, want: []string{"/h.woff2"}},
		{name: "a style element for print",
			css: theme, page: `<style media=print>p{font-family:H}</style><p>Text`, want: []string{"/t.woff2"}},
		{name: "a style element for this screen",
			css: theme, page: `<style media="screen and (min-width: 900px)">p{font-family:H}</style><p>Text`, want: []string{"/h.woff2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"index.html": file(`<link rel=stylesheet href=a.css>` + tt.page),
				"a.css":      file(tt.css),
			}
			for _, f := range []string{"solid", "regular", "brands", "t", "ti", "tbi", "h"} {
				fsys[f+".woff2"] = file(f)
			}
			m, problems, err := Build(fsys, Options{})
			if err != nil || len(problems) > 0 {
				t.Fatalf("Build: %v %v", err, problems)
			}
			got := []string{}
			for _, a := range m.Pages["/index.html"].Assets {
				if a.Why == WhyFontFace {
					got = append(got, a.Path)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}
