package manifest

import (
	"bytes"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// topTokenizer is top as it was first written, on x/net/html's tokenizer:
// the reference FuzzTop holds top to.
func (x *extractor) topTokenizer(src []byte) (off, line int) {
	z := html.NewTokenizer(bytes.NewReader(src))
	line = 1
	templates := 0
	rawText := false      // inside <title>, <script>, <style>, ...: text is not content
	var rawAtom atom.Atom // the element rawText is of
	styleMedia := ""      // the media attribute of the last <style>
	for {
		if x.body && x.elements > heroElementLimit && templates == 0 && !rawText {
			return off, line
		}
		tt := z.Next()
		if tt == html.ErrorToken {
			return len(src), line
		}
		raw := z.Raw()
		at := line
		line += bytes.Count(raw, newline)
		off += len(raw)
		switch tt {
		case html.TextToken:
			if rawText && rawAtom == atom.Style && templates == 0 {
				x.style(raw, at, styleMedia)
			}
			if !x.body && templates == 0 && !rawText && len(bytes.TrimSpace(raw)) > 0 {
				x.body = true
			}
			continue
		case html.EndTagToken:
			rawText = false
			name, _ := z.TagName()
			a := atom.Lookup(name)
			x.endTag(a)
			if a == atom.Template && templates > 0 {
				templates--
			}
			continue
		case html.StartTagToken, html.SelfClosingTagToken:
		default:
			continue
		}
		name, hasAttr := z.TagName()
		a := atom.Lookup(name)
		rawText, rawAtom = rawTextElement[a], a // also after "/>"
		var attrs attrList
		read := false
		if a == atom.Style {
			attrs, read = readAttrs(z, hasAttr), true
			styleMedia = attrs.val("media")
		}
		if a == atom.Template {
			if tt == html.StartTagToken {
				templates++
			}
			continue
		}
		if templates > 0 {
			continue // template contents are inert
		}
		if x.opensBody(a) {
			x.body = true
		}
		if x.body && a != atom.Body {
			x.elements++
		}
		if !x.body && a != atom.Base && a != atom.Link && a != atom.Script {
			continue // nothing else in <head> matters
		}
		switch {
		case read:
		case fullAttrs[a]:
			attrs = readAttrs(z, hasAttr)
		default:
			attrs = readSomeAttrs(z, hasAttr) // an early element of the body
		}
		x.element(a, attrs, at)
	}
}

// readSomeAttrs reads only what matters of an ordinary element: what CSS
// may select it by, and an inline background.
func readSomeAttrs(z *html.Tokenizer, more bool) attrList {
	var l attrList
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		switch string(k) {
		case "class", "id", "style":
			l = append(l, attr{string(k), string(v)})
		}
	}
	return l
}

func readAttrs(z *html.Tokenizer, more bool) attrList {
	var l attrList
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		l = append(l, attr{string(k), string(v)})
	}
	return l
}
