package manifest

import (
	"slices"
	"strings"
	"testing"

	"github.com/tdewolff/parse/v2"
	"github.com/tdewolff/parse/v2/css"
)

// cssToken is one token of tdewolff's CSS tokenizer; comments are kept as
// a space, as the scanner blanks them.
type cssToken struct {
	tt   css.TokenType
	text string
}

func tokenizeCSS(src string) []cssToken {
	l := css.NewLexer(parse.NewInputString(src))
	var toks []cssToken
	for {
		tt, b := l.Next()
		if tt == css.ErrorToken {
			return toks
		}
		if tt == css.CommentToken {
			toks = append(toks, cssToken{css.WhitespaceToken, " "})
			continue
		}
		toks = append(toks, cssToken{tt, string(b)})
	}
}

// refCSS is the reference FuzzScanCSSTokens holds scanCSS to: CSS Syntax's
// "consume a list of rules" on the tokenizer's tokens, keeping the @import
// URLs and the @font-face rules it meets, at the top and inside the
// conditional group rules the scanner descends into. How a prelude or a
// value is read once found (media lists, family names, src lists) is the
// scanner's own code: what is held to the tokenizer is where rules start
// and end.
type refCSS struct {
	imports []string
	faces   []string // "family src-url"
}

func refScanCSS(src string) refCSS {
	var r refCSS
	r.list(tokenizeCSS(strings.TrimPrefix(src, "\ufeff")), true)
	return r
}

func joinTokens(toks []cssToken) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteString(t.text)
	}
	return strings.TrimSpace(b.String())
}

// componentEnd returns the index past the component value at toks[i]: a
// token, or a block or function up to its matching closer.
func componentEnd(toks []cssToken, i int) int {
	var closer css.TokenType
	switch toks[i].tt {
	case css.LeftBraceToken:
		closer = css.RightBraceToken
	case css.LeftBracketToken:
		closer = css.RightBracketToken
	case css.LeftParenthesisToken, css.FunctionToken:
		closer = css.RightParenthesisToken
	default:
		return i + 1
	}
	for j := i + 1; j < len(toks); {
		if toks[j].tt == closer {
			return j + 1
		}
		j = componentEnd(toks, j)
	}
	return len(toks)
}

// until returns the index of the first token of a type in stops at the
// level of toks[i], or len(toks).
func until(toks []cssToken, i int, stops ...css.TokenType) int {
	for i < len(toks) && !slices.Contains(stops, toks[i].tt) {
		i = componentEnd(toks, i)
	}
	return i
}

// blockBody returns the tokens inside the {} block at toks[i] and the index
// past it.
func blockBody(toks []cssToken, i int) ([]cssToken, int) {
	end := componentEnd(toks, i)
	inner := toks[i+1 : end]
	if closed := end-1 > i && toks[end-1].tt == css.RightBraceToken && closes(toks, i, end-1); closed {
		inner = inner[:len(inner)-1]
	}
	return inner, end
}

// closes reports whether toks[j] is the closer of the block at toks[i].
func closes(toks []cssToken, i, j int) bool {
	k := i + 1
	for k < j {
		k = componentEnd(toks, k)
	}
	return k == j
}

func (r *refCSS) list(toks []cssToken, outer bool) {
	top := outer
	for i := 0; i < len(toks); {
		switch t := toks[i]; {
		case t.tt == css.WhitespaceToken:
			i++
		case outer && (t.tt == css.CDOToken || t.tt == css.CDCToken):
			i++
		case t.tt == css.AtKeywordToken:
			name := strings.ToLower(unescapeCSS(t.text[1:]))
			stop := until(toks, i+1, css.SemicolonToken, css.LeftBraceToken)
			prelude := toks[i+1 : stop]
			if stop == len(toks) || toks[stop].tt == css.SemicolonToken {
				if top {
					top = r.statement(name, prelude)
				}
				i = stop + 1
				continue
			}
			body, next := blockBody(toks, stop)
			top = false
			i = next
			switch name {
			case "media":
				if mediaCanMatchScreen(joinTokens(prelude)) {
					r.list(body, false)
				}
			case "supports", "layer", "container", "scope", "document", "-moz-document", "starting-style":
				r.list(body, false)
			case "font-face":
				r.fontFace(body)
			}
		default: // a qualified rule, to its block
			stop := until(toks, i, css.LeftBraceToken)
			if stop == len(toks) {
				return
			}
			_, next := blockBody(toks, stop)
			top = false
			i = next
		}
	}
}

func (r *refCSS) statement(name string, prelude []cssToken) bool {
	switch name {
	case "import":
		for len(prelude) > 0 && prelude[0].tt == css.WhitespaceToken {
			prelude = prelude[1:]
		}
		if len(prelude) == 0 {
			return true
		}
		var u string
		rest := prelude[1:]
		switch first := prelude[0]; first.tt {
		case css.StringToken, css.URLToken:
			urls := cssURLs(first.text)
			if len(urls) == 0 {
				return true
			}
			u = urls[0]
		default:
			return true
		}
		if mediaCanMatchScreen(mediaAfterURL(`""` + joinTokens(rest))) {
			r.imports = append(r.imports, u)
		}
		return true
	case "charset", "layer":
		return true
	}
	return false
}

func (r *refCSS) fontFace(body []cssToken) {
	var family, src string
	for i := 0; i < len(body); {
		stop := until(body, i, css.SemicolonToken)
		decl := body[i:stop]
		i = stop + 1
		for len(decl) > 0 && decl[0].tt == css.WhitespaceToken {
			decl = decl[1:]
		}
		if len(decl) < 2 || decl[0].tt != css.IdentToken && decl[0].tt != css.CustomPropertyNameToken {
			continue
		}
		colon := until(decl, 1, css.ColonToken)
		if colon == len(decl) || strings.TrimSpace(joinTokens(decl[1:colon])) != "" {
			continue
		}
		value := joinTokens(decl[colon+1:])
		switch strings.ToLower(decl[0].text) {
		case "font-family":
			if fams := familyList(value); len(fams) > 0 {
				family = fams[0]
			}
		case "src":
			if srcs := fontSources(value, 1); len(srcs) > 0 {
				src = srcs[0].url
			} else {
				src = ""
			}
		}
	}
	if family != "" && src != "" {
		r.faces = append(r.faces, family+" "+src)
	}
}

// FuzzScanCSSTokens: the @import URLs and @font-face rules scanCSS finds
// are those a reading of the same text by a CSS tokenizer finds.
func FuzzScanCSSTokens(f *testing.F) {
	for _, s := range []string{
		`@import url("a.css") screen; @import 'b.css' print; body { font: 12px/1 "X", serif }`,
		"<!--\n@import \"b.css\";\n--> <!-- @font-face{font-family:F;src:url(f.woff2)} -->",
		`@media print { @font-face { font-family: P; src: url(p.woff) } } @font-face{font-family:Q;src:url(q.woff2)}`,
		`p{} ; @import "b.css"; @font-face{font-family:F;src:url(f.woff2)}`,
		`@media screen { <!-- @font-face{font-family:F;src:url(f.woff2)} } @font-face{font-family:"G";src:local(G),url('g.woff')}`,
		`@charset "utf-8"; @layer a, b; @import url(c.css) layer(a) supports(display:grid) (min-width:1px);`,
		`a { b: "unclosed string; } @import "late.css"; @font-face{font-family:L;src:url(l.woff)}`,
		`@supports (display:grid) { @layer x { @font-face{font-family:X;src:url(x.woff2)} } }`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		s := scanCSS(src)
		var got refCSS
		for _, imp := range s.imports {
			got.imports = append(got.imports, imp.url)
		}
		for _, face := range s.faces {
			got.faces = append(got.faces, face.family+" "+face.src.url)
		}
		want := refScanCSS(src)
		if !slices.Equal(got.imports, want.imports) || !slices.Equal(got.faces, want.faces) {
			t.Fatalf("%q\nscanCSS:   imports %q faces %q\ntokenizer: imports %q faces %q", src, got.imports, got.faces, want.imports, want.faces)
		}
	})
}
