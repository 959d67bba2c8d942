package manifest

import (
	"bytes"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// A ref is one URL a page or stylesheet asks for, as written, before it is
// resolved against the document's base.
type ref struct {
	url         string
	why         string // see Asset.Why
	as          string
	typ         string // type attribute of a preload
	crossOrigin string
	media       string
	line        int
	deferred    bool // in <body>: blocks parsing, not the first paint
}

// doc is what extraction keeps of an HTML page.
type doc struct {
	base string // href of the first <base>, "" when none
	refs []ref
	// hero candidates, best first; the first that names a file wins.
	heroes []ref
	// early holds ".class" and "#id" of the first elements of <body>, to
	// match CSS rules that give one of them a background image.
	early map[string]bool
}

// How far into <body> the hero image is looked for, and how large an image
// must be (by its width and height) to be taken for the largest contentful
// paint rather than an icon or a logo.
const (
	heroImgLimit     = 5      // the first five <img> of <body>
	heroElementLimit = 40     // inline background images in the first forty elements
	heroMinArea      = 90_000 // 300×300 CSS pixels
	heroMinWidth     = 400
)

// inHead lists the elements that may stand in <head>; any other start tag
// opens the body implicitly, as the HTML parser does.
var inHead = map[atom.Atom]bool{
	atom.Html: true, atom.Head: true, atom.Base: true, atom.Link: true, atom.Meta: true,
	atom.Noscript: true, atom.Script: true, atom.Style: true, atom.Template: true, atom.Title: true,
}

// extractHTML finds the URLs a page's first paint depends on. It never fails:
// malformed markup is read the way the tokenizer reads it, as a browser does.
func extractHTML(src []byte) *doc {
	d := &doc{early: map[string]bool{}}
	z := html.NewTokenizer(bytes.NewReader(src))
	line := 1
	body := false
	templates := 0
	rawText := false // inside <title>, <script>, <style>, ...: text is not content
	imgs, elements := 0, 0
	var bigImg, lazyish []ref
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		raw := z.Raw()
		at := line
		line += bytes.Count(raw, []byte{'\n'})
		switch tt {
		case html.TextToken:
			if !body && templates == 0 && !rawText && len(bytes.TrimSpace(raw)) > 0 {
				body = true
			}
			continue
		case html.EndTagToken:
			rawText = false
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.Head:
				body = true
			case atom.Template:
				if templates > 0 {
					templates--
				}
			}
			continue
		case html.StartTagToken, html.SelfClosingTagToken:
		default:
			continue
		}
		name, hasAttr := z.TagName()
		a := atom.Lookup(name)
		rawText = tt == html.StartTagToken && rawTextElement[a]
		if a == atom.Template {
			if tt == html.StartTagToken {
				templates++
			}
			continue
		}
		if templates > 0 {
			continue // template contents are inert
		}
		if a == atom.Body || (!body && !inHead[a] && a != 0) || (!body && a == 0) {
			body = true
		}
		attrs := readAttrs(z, hasAttr)
		if body && a != atom.Body {
			elements++
		}
		switch a {
		case atom.Base:
			if _, ok := attrs["href"]; ok && d.base == "" && !body {
				d.base = attrs["href"]
			}
		case atom.Link:
			if r, ok := linkRef(attrs, at); ok {
				r.deferred = body
				if r.why == "body-style" || (r.why == "link" && body) {
					r.why = "body-style"
				}
				d.refs = append(d.refs, r)
				if r.as == "image" && (r.why == "preload") {
					d.heroes = append(d.heroes, r) // a preloaded image is a hero candidate too
				}
			}
		case atom.Script:
			if r, ok := scriptRef(attrs, at); ok {
				if body {
					r.why, r.deferred = "body-script", true
				}
				d.refs = append(d.refs, r)
			}
		case atom.Img:
			if !body {
				break
			}
			imgs++
			src := strings.TrimSpace(attrs["src"])
			if src == "" || strings.HasPrefix(src, "data:") || strings.EqualFold(attrs["loading"], "lazy") {
				break
			}
			r := ref{url: src, why: "hero", as: "image", line: at}
			switch {
			case strings.EqualFold(attrs["fetchpriority"], "high"):
				d.heroes = append(d.heroes, r)
			case imgs <= heroImgLimit && bigBySize(attrs):
				bigImg = append(bigImg, r)
			case imgs <= heroImgLimit && attrs["width"] == "" && attrs["height"] == "":
				r.typ = "unsized" // sized later from the image file itself
				lazyish = append(lazyish, r)
			}
		}
		if body && elements <= heroElementLimit {
			for _, c := range strings.Fields(attrs["class"]) {
				d.early["."+c] = true
			}
			if id := strings.TrimSpace(attrs["id"]); id != "" {
				d.early["#"+id] = true
			}
			if u := backgroundURL(attrs["style"]); u != "" {
				lazyish = append(lazyish, ref{url: u, why: "hero", as: "image", line: at, typ: "unsized"})
			}
		}
	}
	d.heroes = append(d.heroes, bigImg...)
	d.heroes = append(d.heroes, lazyish...)
	return d
}

// rawTextElement lists the elements whose text the tokenizer returns raw.
var rawTextElement = map[atom.Atom]bool{
	atom.Title: true, atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Textarea: true,
	atom.Xmp: true, atom.Iframe: true, atom.Noembed: true, atom.Noframes: true,
}

func readAttrs(z *html.Tokenizer, more bool) map[string]string {
	attrs := map[string]string{}
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		key := string(k)
		if _, dup := attrs[key]; !dup { // the first of duplicate attributes wins
			attrs[key] = string(v)
		}
	}
	return attrs
}

func relTokens(rel string) map[string]bool {
	set := map[string]bool{}
	for _, t := range strings.Fields(strings.ToLower(rel)) {
		set[t] = true
	}
	return set
}

// linkRef reads a <link>: a stylesheet that blocks rendering, or a preload.
func linkRef(attrs map[string]string, line int) (ref, bool) {
	href := strings.TrimSpace(attrs["href"])
	if href == "" {
		return ref{}, false
	}
	rel := relTokens(attrs["rel"])
	r := ref{url: href, line: line, media: strings.TrimSpace(attrs["media"]), crossOrigin: crossOrigin(attrs)}
	switch {
	case rel["stylesheet"]:
		if rel["alternate"] || hasAttr(attrs, "disabled") || !mediaCanMatchScreen(r.media) {
			return ref{}, false
		}
		r.why, r.as = "link", "style"
		return r, true
	case rel["modulepreload"]:
		r.why, r.as = "modulepreload", "script"
		if _, ok := attrs["crossorigin"]; !ok {
			r.crossOrigin = "anonymous"
		}
		return r, true
	case rel["preload"]:
		as := strings.ToLower(strings.TrimSpace(attrs["as"]))
		if !validPreloadAs[as] || !mediaCanMatchScreen(r.media) {
			return ref{}, false // a browser ignores a preload without a valid as
		}
		r.why, r.as, r.typ = "preload", as, strings.TrimSpace(attrs["type"])
		if as == "font" && r.crossOrigin == "" {
			// Fonts are fetched in CORS mode; a preload without crossorigin
			// is not reused by the font fetch. Record what the page says.
			r.crossOrigin = ""
		}
		return r, true
	}
	return ref{}, false
}

var validPreloadAs = map[string]bool{
	"audio": true, "document": true, "embed": true, "fetch": true, "font": true, "image": true,
	"object": true, "script": true, "style": true, "track": true, "video": true, "worker": true,
}

// scriptRef reads a <script>: only a classic script without async or defer
// blocks the parser.
func scriptRef(attrs map[string]string, line int) (ref, bool) {
	src := strings.TrimSpace(attrs["src"])
	if src == "" || hasAttr(attrs, "async") || hasAttr(attrs, "defer") || hasAttr(attrs, "nomodule") {
		return ref{}, false
	}
	if !classicScriptType(attrs["type"]) {
		return ref{}, false // module scripts defer; other types are data
	}
	return ref{url: src, why: "head-script", as: "script", line: line, crossOrigin: crossOrigin(attrs)}, true
}

func hasAttr(attrs map[string]string, name string) bool {
	_, ok := attrs[name]
	return ok
}

func crossOrigin(attrs map[string]string) string {
	v, ok := attrs["crossorigin"]
	if !ok {
		return ""
	}
	if strings.EqualFold(strings.TrimSpace(v), "use-credentials") {
		return "use-credentials"
	}
	return "anonymous" // "", "anonymous" and invalid values all mean anonymous
}

// classicScriptType reports whether a script's type attribute makes it a
// classic JavaScript script (HTML's "JavaScript MIME type essence match").
func classicScriptType(t string) bool {
	t = strings.ToLower(strings.TrimSpace(t))
	if t == "" {
		return true
	}
	if i := strings.IndexByte(t, ';'); i >= 0 {
		t = strings.TrimSpace(t[:i])
	}
	switch t {
	case "text/javascript", "application/javascript", "application/ecmascript", "application/x-ecmascript",
		"application/x-javascript", "text/ecmascript", "text/javascript1.0", "text/javascript1.1",
		"text/javascript1.2", "text/javascript1.3", "text/javascript1.4", "text/javascript1.5",
		"text/jscript", "text/livescript", "text/x-ecmascript", "text/x-javascript":
		return true
	}
	return false
}

// mediaCanMatchScreen reports whether a media query list could match a
// screen. Feature queries (widths, colour schemes) might match, so they count;
// a list whose every query is for another medium (print, speech) does not.
func mediaCanMatchScreen(media string) bool {
	media = strings.ToLower(strings.TrimSpace(media))
	if media == "" {
		return true
	}
	for _, q := range strings.Split(media, ",") {
		words := strings.Fields(strings.ReplaceAll(q, "(", " ("))
		if len(words) == 0 {
			return true // an empty query in a list matches all
		}
		not := false
		if words[0] == "only" {
			words = words[1:]
		} else if words[0] == "not" {
			not, words = true, words[1:]
		}
		if len(words) == 0 {
			continue
		}
		typ := words[0]
		if strings.HasPrefix(typ, "(") {
			typ = "all"
		}
		screen := typ == "all" || typ == "screen"
		if not {
			// "not print" matches a screen; "not screen and (x)" may too,
			// when (x) is false, so only a bare "not all/screen" is excluded.
			if !screen || len(words) > 1 {
				return true
			}
			continue
		}
		if screen {
			return true
		}
	}
	return false
}

// bigBySize reports whether an <img>'s width and height attributes make it
// large enough to be the largest contentful paint.
func bigBySize(attrs map[string]string) bool {
	w, h := pixels(attrs["width"]), pixels(attrs["height"])
	return bigArea(w, h)
}

func bigArea(w, h int) bool {
	if w <= 0 {
		return false
	}
	if h <= 0 {
		return w >= heroMinWidth
	}
	return w*h >= heroMinArea
}

func pixels(v string) int {
	v = strings.TrimSuffix(strings.TrimSpace(v), "px")
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// backgroundURL returns the first url() of a background or background-image
// declaration in an inline style attribute.
func backgroundURL(style string) string {
	if style == "" {
		return ""
	}
	for _, decl := range strings.Split(style, ";") {
		name, value, ok := strings.Cut(decl, ":")
		if !ok {
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "background" && name != "background-image" {
			continue
		}
		if urls := cssURLs(value); len(urls) > 0 {
			return urls[0]
		}
	}
	return ""
}
