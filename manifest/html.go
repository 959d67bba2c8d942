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
	why         Why // see Asset.Why
	as          string
	typ         string // type attribute of a preload
	crossOrigin string
	media       string
	line        int
	deferred    bool // in <body>: blocks parsing, not the first paint
	// sizeFromFile marks a hero candidate the page gives no pixel size
	// for: it is taken only if the image file itself is large.
	sizeFromFile bool
	// inline is the stylesheet of a <style> element (why whyStyle), whose
	// imports and fonts count as a linked stylesheet's do.
	inline *sheet
	// beforeBase is set for a reference met before the page's <base>: the
	// browser resolved it against the page's own URL.
	beforeBase bool
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
	// choices are the URLs of the early images the browser chooses among
	// by the viewport (srcset, <picture>): only the layout, which knows
	// the viewport, may take one as the hero.
	choices []ref
}

// How far into <body> the hero image is looked for, and how large an image
// must be (by its width and height) to be taken for the largest contentful
// paint rather than an icon or a logo.
const (
	heroImgLimit     = 5      // the first five <img> of <body>...
	heroElementLimit = 40     // ...within its first forty elements
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
//
// The head and the first elements of the body are read token by token, as
// x/net/html's tokenizer splits them (top); past them only three tags still
// matter (link, script, img), so the rest of the page is scanned for those
// alone, with comments and the text of raw-text elements skipped (rest).
// Tags are read by scanTag, which asks the tokenizer where entities, CR or
// NUL make its answer differ.
func extractHTML(src []byte) *doc {
	src = bytes.TrimPrefix(src, utf8BOM) // decoding drops it, as a browser's does
	x := &extractor{d: &doc{early: map[string]bool{}}, attrs: make(attrList, 0, 8)}
	off, line := x.top(src)
	if off < len(src) {
		x.rest(src[off:], line)
	}
	x.d.heroes = append(x.d.heroes, x.bigImg...)
	x.d.heroes = append(x.d.heroes, x.unsized...)
	return x.d
}

// extractor holds the state of one page's extraction.
type extractor struct {
	d              *doc
	body           bool // past the end of <head>, explicit or implied
	afterHead      bool // past </head>: what may stand in the head still goes there
	imgs, elements int  // <img> and elements seen in <body>
	// pictures counts the open <picture> elements; choosing is set when one
	// of them has a <source srcset>, from which the browser may choose.
	pictures int
	choosing bool
	// hero candidates found by size, after explicit ones
	bigImg, unsized []ref
	// attrs holds the attributes of the last tag read, its array reused
	// for the next (see scanTag).
	attrs attrList
}

var newline = []byte{'\n'}

var utf8BOM = []byte("\xef\xbb\xbf")

// top reads the page until the body has gone past the elements the hero
// image is looked for in, token by token as x/net/html's tokenizer splits
// it (comments, declarations, raw text, tags whose attribute values hold
// '>'), without its byte-at-a-time reads: start tags are read by scanTag,
// and the tokenizer itself is asked only where a script holds "<!--". It
// returns the offset and line it stopped at; FuzzTop holds it to the
// tokenizer.
func (x *extractor) top(src []byte) (off, line int) {
	line = 1
	counted := 0 // lines are counted in src[:counted]
	lineAt := func(at int) int {
		line += bytes.Count(src[counted:at], newline)
		counted = at
		return line
	}
	templates := 0
	pos, text := 0, 0 // scanning from pos; text since text not yet looked at
	// rawOpen: the text of a raw text element was read, its end tag not yet.
	rawOpen := false
	done := func() bool { return x.body && x.elements > heroElementLimit && templates == 0 && !rawOpen }
	for {
		if done() {
			return pos, lineAt(pos)
		}
		i := bytes.IndexByte(src[pos:], '<')
		if i < 0 || pos+i+1 >= len(src) {
			x.text(src[text:], templates)
			return len(src), lineAt(len(src))
		}
		lt := pos + i
		c := src[lt+1]
		letter := 'a' <= c|0x20 && c|0x20 <= 'z'
		if !letter && c != '/' && c != '!' && c != '?' {
			pos = lt + 1 // text
			continue
		}
		if lt > text {
			x.text(src[text:lt], templates)
			if done() { // the text opened the body
				return lt, lineAt(lt)
			}
		}
		var end int // of the token
		switch {
		case c == '!' && bytes.HasPrefix(src[lt+2:], []byte("--")):
			end = commentEnd(src, lt+4)
		case c == '!' || c == '?':
			end = closeAngle(src, lt+2)
		case c == '/' && lt+2 < len(src) && src[lt+2] == '>':
			end = lt + 3 // "</>" is nothing
		case c == '/' && lt+2 < len(src) && 'a' <= src[lt+2]|0x20 && src[lt+2]|0x20 <= 'z':
			t, _, ok := scanTag(src[lt+1:], keepNone, nil)
			if !ok {
				return len(src), lineAt(len(src))
			}
			end = lt + 1 + t.n
			rawOpen = false
			a := atom.Lookup(t.name)
			x.endTag(a)
			if a == atom.Template && templates > 0 {
				templates--
			}
		case c == '/':
			if lt+2 >= len(src) {
				x.text(src[lt:], templates) // "</" at the end is text
				return len(src), lineAt(len(src))
			}
			end = closeAngle(src, lt+2)
		default:
			t, a, ok := x.startTag(src, lt, lineAt, &templates)
			if !ok {
				return len(src), lineAt(len(src))
			}
			end = lt + t.n
			if !rawTextElement[a] && a != atom.Plaintext {
				break
			}
			// The text of a raw text element is one token, also after "/>",
			// which HTML ignores on these elements: <script src=a.js /> is
			// a script to the next </script>, as in a browser.
			textEnd := rawTextEnd(src, lt, end, t.name)
			rawOpen = true
			if a == atom.Style && templates == 0 && textEnd > end {
				x.style(src[end:textEnd], lineAt(end), t.attrs.val("media"))
			}
			end = textEnd
		}
		if end < 0 {
			return len(src), lineAt(len(src))
		}
		pos, text = end, end
	}
}

// startTag reads the start tag at src[lt] in the head or the first elements
// of the body, and returns it with its element; ok is false when the page
// ends inside it.
func (x *extractor) startTag(src []byte, lt int, lineAt func(int) int, templates *int) (t tag, a atom.Atom, ok bool) {
	a = atom.Lookup(rawTagName(src[lt+1:]))
	keep := keepNone
	switch {
	case fullAttrs[a]:
		keep = nil
	case *templates == 0:
		keep = keepSome // an early element of the body
	}
	if t, ok = readTag(src[lt:], keep, x.attrs[:0]); !ok {
		return t, a, false
	}
	x.attrs = t.attrs
	switch {
	case a == atom.Template:
		if !t.selfClosing {
			*templates++
		}
		return t, a, true
	case *templates > 0:
		return t, a, true // template contents are inert
	}
	if x.opensBody(a) {
		x.body = true
	}
	if x.body && a != atom.Body {
		x.elements++
	}
	if x.body || a == atom.Base || a == atom.Link || a == atom.Script {
		x.element(a, t.attrs, lineAt(lt)) // nothing else in <head> matters
	}
	return t, a, true
}

// fullAttrs lists the elements whose every attribute is read.
var fullAttrs = map[atom.Atom]bool{atom.Base: true, atom.Link: true, atom.Script: true, atom.Img: true, atom.Source: true, atom.Style: true}

// opensBody reports whether a start tag of element a opens the body: <body>
// itself, or, in the head, an element that cannot stand there. After
// </head> the elements of the head still go into it, as the HTML parser
// puts them, but for <noscript>.
func (x *extractor) opensBody(a atom.Atom) bool {
	return a == atom.Body || !x.body && (!inHead[a] || x.afterHead && a == atom.Noscript)
}

// endTag notes the end tags that matter.
func (x *extractor) endTag(a atom.Atom) {
	switch a {
	case atom.Head:
		x.afterHead = true
	case atom.Picture:
		if x.pictures > 0 {
			x.pictures--
		}
		x.choosing = false
	}
}

// style reads the text of a <style> element that starts on line at, for
// media.
func (x *extractor) style(text []byte, at int, media string) {
	s := scanCSS(string(text))
	for i := range s.imports {
		s.imports[i].line += at - 1
	}
	x.d.refs = append(x.d.refs, ref{why: whyStyle, line: at, deferred: x.body, inline: s, beforeBase: x.d.base == "", media: strings.TrimSpace(media)})
}

// text looks at text outside tags: in the head, any but white space opens
// the body.
func (x *extractor) text(t []byte, templates int) {
	if !x.body && templates == 0 && len(bytes.TrimSpace(t)) > 0 {
		x.body = true
	}
}

// commentEnd returns the offset past the comment whose text starts at
// src[from] (after "<!--"), or -1 when it runs to the end of the page. It
// ends at the first '>' after "--" or "--!", or that only dashes precede,
// as the tokenizer reads comments.
func commentEnd(src []byte, from int) int {
	for at := from; ; {
		i := bytes.IndexByte(src[at:], '>')
		if i < 0 {
			return -1
		}
		gt := at + i
		t := src[from:gt]
		if len(bytes.TrimLeft(t, "-")) == 0 || bytes.HasSuffix(t, []byte("--")) || bytes.HasSuffix(t, []byte("--!")) {
			return gt + 1
		}
		at = gt + 1
	}
}

// closeAngle returns the offset past the first '>' from src[from], or -1.
func closeAngle(src []byte, from int) int {
	i := bytes.IndexByte(src[from:], '>')
	if i < 0 {
		return -1
	}
	return from + i + 1
}

// rawTextEnd returns where the text of the raw text element name ends: at
// its end tag ("</name" and white space, '/' or '>', in any case), or at
// the end of the page. The start tag is src[lt:start]. A script holding
// "<!--" follows the tokenizer's rules for escaped script text: the
// tokenizer reads it.
func rawTextEnd(src []byte, lt, start int, name []byte) int {
	if string(name) == "plaintext" {
		return len(src)
	}
	end := len(src)
	for at := start; ; {
		i := bytes.Index(src[at:], []byte("</"))
		if i < 0 {
			break
		}
		at += i + 2
		rest := src[at:]
		if len(rest) > len(name) && bytes.EqualFold(rest[:len(name)], name) {
			switch rest[len(name)] {
			case ' ', '\n', '\r', '\t', '\f', '/', '>':
				end = at - 2
			}
			if end != len(src) {
				break
			}
		}
	}
	if string(name) == "script" && bytes.Contains(src[start:end], []byte("<!--")) {
		z := html.NewTokenizer(bytes.NewReader(src[lt:]))
		z.Next()
		n := start
		if z.Next() == html.TextToken {
			n += len(z.Raw())
		}
		return n
	}
	return end
}

// rest scans the remainder of a page (all of it in <body>) for the tags
// that still matter. Lines are counted only up to the tags it reads.
func (x *extractor) rest(src []byte, line int) {
	pos, counted := 0, 0 // lines are counted in src[:counted]
	lineAt := func(off int) int {
		line += bytes.Count(src[counted:off], newline)
		counted = off
		return line
	}
	for {
		i := bytes.IndexByte(src[pos:], '<')
		if i < 0 {
			return
		}
		pos += i
		tag := src[pos+1:]
		if len(tag) == 0 || !restFirst[tag[0]] {
			pos++
			continue
		}
		if bytes.HasPrefix(tag, []byte("!--")) {
			end := bytes.Index(tag[3:], []byte("-->"))
			if end < 0 {
				return
			}
			pos += 1 + 3 + end + 3
			continue
		}
		name := tagName(tag)
		if name == nil {
			pos++
			continue
		}
		a := atom.Lookup(lowerASCII(name))
		keep := keepNone
		if restRead[a] {
			keep = nil
		}
		t, ok := readTag(src[pos:], keep, x.attrs[:0])
		if !ok {
			pos++
			continue
		}
		x.attrs = t.attrs
		at := lineAt(pos)
		pos += t.n
		switch {
		case a == atom.Plaintext:
			return // the rest of the page is text
		case restRead[a]:
			x.elements++
			x.element(a, t.attrs, at)
		}
		if a == atom.Template || rawTextElement[a] {
			end := indexEndTag(src[pos:], name)
			if end < 0 {
				return
			}
			pos += end
		}
	}
}

// restRead lists the elements rest reads; restTags all those it looks at:
// these, the template and raw text elements, whose content it passes over,
// and plaintext, after which all is text. The tables tagName and rest use
// are made from restTags.
var (
	restRead = map[atom.Atom]bool{atom.Link: true, atom.Script: true, atom.Img: true}
	restTags = func() []string {
		tags := []string{atom.Template.String(), atom.Plaintext.String()}
		for a := range restRead {
			tags = append(tags, a.String())
		}
		for a := range rawTextElement {
			tags = append(tags, a.String())
		}
		return tags
	}()
)

// restFirst holds the bytes that may follow a '<' that rest looks at: a
// comment's '!' and the first letters of restTags, in either case; restPair
// their first two letters, in lower case; restName the tags themselves, and
// restLongest the longest. Most tags of a page (a, div, p, the end tags)
// are passed over on the first byte alone.
var (
	restFirst   [256]bool
	restPair    [26][26]bool
	restName    = map[string]bool{}
	restLongest int
)

func init() {
	restFirst['!'] = true
	for _, name := range restTags {
		restFirst[name[0]], restFirst[name[0]-'a'+'A'] = true, true
		restPair[name[0]-'a'][name[1]-'a'] = true
		restName[name] = true
		restLongest = max(restLongest, len(name))
	}
}

// tagName returns the name of the tag that b starts with (b follows a '<'),
// as written, when it is one of restTags, else nil. Most tags are turned
// away by their first two letters.
func tagName(b []byte) []byte {
	if len(b) < 2 {
		return nil
	}
	c0, c1 := b[0]|0x20, b[1]|0x20
	if c0 < 'a' || c0 > 'z' || c1 < 'a' || c1 > 'z' || !restPair[c0-'a'][c1-'a'] {
		return nil
	}
	var buf [16]byte
	n := 0
	for n < len(b) && n < len(buf) {
		c := b[n]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c < 'a' || c > 'z' {
			break
		}
		buf[n] = c
		n++
	}
	if n > restLongest || n == len(b) {
		return nil
	}
	if restName[string(buf[:n])] {
		return b[:n]
	}
	return nil
}

// indexEndTag returns the offset in b of the end tag </name, any case.
func indexEndTag(b, name []byte) int {
	for off := 0; ; {
		i := bytes.Index(b[off:], []byte("</"))
		if i < 0 {
			return -1
		}
		at := off + i
		if rest := b[at+2:]; len(rest) >= len(name) && bytes.EqualFold(rest[:len(name)], name) {
			return at
		}
		off = at + 2
	}
}

// element handles one start tag: a stylesheet, script or preload, the base
// URL, or what may be the hero image.
func (x *extractor) element(a atom.Atom, attrs attrList, at int) {
	d := x.d
	switch a {
	case atom.Base:
		if href, ok := attrs.get("href"); ok && d.base == "" && !x.body {
			d.base = href
		}
	case atom.Link:
		if r, ok := linkRef(attrs, at); ok {
			r.deferred, r.beforeBase = x.body, d.base == ""
			if r.why == WhyLink && x.body {
				r.why = WhyBodyStyle
			}
			d.refs = append(d.refs, r)
			if r.as == "image" && r.why == WhyPreload {
				d.heroes = append(d.heroes, r) // a preloaded image is a hero candidate too
			}
		}
	case atom.Script:
		if r, ok := scriptRef(attrs, at); ok {
			r.beforeBase = d.base == ""
			if x.body {
				r.why, r.deferred = WhyBodyScript, true
			}
			d.refs = append(d.refs, r)
		}
	case atom.Img:
		if x.body {
			x.img(attrs, at)
		}
	case atom.Picture:
		x.pictures++
		x.choosing = false
	case atom.Source:
		if x.pictures > 0 && strings.TrimSpace(attrs.val("srcset")) != "" {
			x.choosing = true
			if x.body && x.imgs < heroImgLimit && x.elements <= heroElementLimit {
				x.choices(attrs.val("srcset"), at)
			}
		}
	}
	if x.body && x.elements <= heroElementLimit {
		for c := range strings.FieldsSeq(attrs.val("class")) {
			if !d.early["."+c] { // looked up without a copy; most classes repeat
				d.early["."+c] = true
			}
		}
		if id := strings.TrimSpace(attrs.val("id")); id != "" {
			d.early["#"+id] = true
		}
		if u := backgroundURL(attrs.val("style")); u != "" {
			x.unsized = append(x.unsized, ref{url: u, why: WhyHero, as: "image", line: at, sizeFromFile: true})
		}
	}
}

// img weighs an <img> of the body as the hero image.
func (x *extractor) img(attrs attrList, at int) {
	x.imgs++
	early := x.imgs <= heroImgLimit && x.elements <= heroElementLimit
	src := strings.TrimSpace(attrs.val("src"))
	if strings.EqualFold(attrs.val("loading"), "lazy") {
		return
	}
	if srcset := strings.TrimSpace(attrs.val("srcset")); srcset != "" || x.choosing {
		// The browser picks among candidates by the viewport's width
		// and density: the layout does (srcset.go), not this.
		if early {
			x.choices(srcset+", "+src, at)
		}
		return
	}
	if src == "" || strings.HasPrefix(src, "data:") {
		return
	}
	r := ref{url: src, why: WhyHero, as: "image", line: at}
	switch {
	case strings.EqualFold(attrs.val("fetchpriority"), "high"):
		x.d.heroes = append(x.d.heroes, r)
	case early && bigBySize(attrs):
		x.bigImg = append(x.bigImg, r)
	case early && pixels(attrs.val("width")) == 0 && pixels(attrs.val("height")) == 0: // none, or not in pixels (100%)
		r.sizeFromFile = true
		x.unsized = append(x.unsized, r)
	}
}

// choices notes the URLs of a srcset (and an <img>'s src) as images the
// browser may choose.
func (x *extractor) choices(srcset string, at int) {
	for _, u := range srcsetURLs(srcset) {
		if !strings.HasPrefix(u, "data:") {
			x.d.choices = append(x.d.choices, ref{url: u, why: WhyHero, as: "image", line: at})
		}
	}
}

// rawTextElement lists the elements whose text the tokenizer returns raw.
var rawTextElement = map[atom.Atom]bool{
	atom.Title: true, atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Textarea: true,
	atom.Xmp: true, atom.Iframe: true, atom.Noembed: true, atom.Noframes: true,
}

// attrList holds a tag's attributes in order; tags have few, so a list
// searched from the front is cheaper than a map, and the first of duplicate
// attributes wins, as in HTML.
type attrList []attr

type attr struct{ key, val string }

func (l attrList) get(key string) (string, bool) {
	for _, a := range l {
		if a.key == key {
			return a.val, true
		}
	}
	return "", false
}

func (l attrList) val(key string) string { v, _ := l.get(key); return v }

func (l attrList) has(key string) bool { _, ok := l.get(key); return ok }

// keepSome keeps only what matters of an ordinary element: what CSS may
// select it by, and an inline background. keepNone keeps nothing.
func keepSome(key []byte) bool {
	switch string(key) {
	case "class", "id", "style":
		return true
	}
	return false
}

func keepNone([]byte) bool { return false }

// rawTagName returns the name of the tag whose text follows "<" or "</" in
// b, in lower case, as the tokenizer reads it.
func rawTagName(b []byte) []byte {
	for i, c := range b {
		if c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '/' || c == '>' {
			return lowerASCII(b[:i])
		}
	}
	return lowerASCII(b)
}

// hasToken reports whether the space-separated list (rel, blocking) holds
// token, a word in lower case, in any case.
func hasToken(list, token string) bool {
	for t := range strings.FieldsSeq(list) {
		if strings.ToLower(t) == token { // no copy: tokens are most often lower case
			return true
		}
	}
	return false
}

// linkRef reads a <link>: a stylesheet that blocks rendering, or a preload.
func linkRef(attrs attrList, line int) (ref, bool) {
	href := strings.TrimSpace(attrs.val("href"))
	if href == "" {
		return ref{}, false
	}
	rel := func(token string) bool { return hasToken(attrs.val("rel"), token) }
	// Attribute values the manifest keeps as they are must be UTF-8, as its
	// JSON is: a page in another encoding would otherwise give a manifest
	// that reads back different.
	r := ref{url: href, line: line, media: strings.ToValidUTF8(strings.TrimSpace(attrs.val("media")), "\uFFFD"), crossOrigin: crossOrigin(attrs)}
	switch {
	case rel("stylesheet"):
		if rel("alternate") || hasAttr(attrs, "disabled") || !mediaCanMatchScreen(r.media) || !cssType(attrs.val("type")) {
			return ref{}, false
		}
		r.why, r.as = WhyLink, "style"
		return r, true
	case rel("modulepreload"):
		r.why, r.as = WhyModulePreload, "script"
		if !attrs.has("crossorigin") {
			r.crossOrigin = "anonymous"
		}
		return r, true
	case rel("preload"):
		as := strings.ToLower(strings.TrimSpace(attrs.val("as")))
		if !validPreloadAs[as] || !mediaCanMatchScreen(r.media) {
			return ref{}, false // a browser ignores a preload without a valid as
		}
		r.why, r.as, r.typ = WhyPreload, as, strings.ToValidUTF8(strings.TrimSpace(attrs.val("type")), "\uFFFD")
		if as == "font" && r.crossOrigin == "" {
			// Fonts are fetched in CORS mode; a preload without crossorigin
			// is not reused by the font fetch. Record what the page says.
			r.crossOrigin = ""
		}
		return r, true
	}
	return ref{}, false
}

// validPreloadAs lists the destinations Chromium preloads (its
// PreloadHelper): audio, video, document, worker and the others the HTML
// standard names are fetched by no current browser.
var validPreloadAs = map[string]bool{
	"fetch": true, "font": true, "image": true, "script": true, "style": true, "track": true,
}

// cssType reports whether a stylesheet link's type lets a browser fetch
// it: none, or text/css.
func cssType(t string) bool {
	t = strings.TrimSpace(t)
	if i := strings.IndexByte(t, ';'); i >= 0 {
		t = strings.TrimSpace(t[:i])
	}
	return t == "" || strings.EqualFold(t, "text/css")
}

// scriptRef reads a <script>: only a classic script without async or defer
// blocks the parser.
func scriptRef(attrs attrList, line int) (ref, bool) {
	src := strings.TrimSpace(attrs.val("src"))
	if src == "" || hasAttr(attrs, "nomodule") {
		return ref{}, false
	}
	// blocking=render makes any script hold the first paint, async and
	// module ones too (HTML's "potentially render-blocking").
	render := hasToken(attrs.val("blocking"), "render")
	module := strings.EqualFold(strings.TrimSpace(attrs.val("type")), "module")
	switch {
	case !render && (hasAttr(attrs, "async") || hasAttr(attrs, "defer") || module):
		return ref{}, false // they wait for the parser, or run when they come
	case !module && !classicScriptType(attrs.val("type")):
		return ref{}, false // other types are data
	}
	r := ref{url: src, why: WhyHeadScript, as: "script", line: line, crossOrigin: crossOrigin(attrs)}
	if module && r.crossOrigin == "" {
		r.crossOrigin = "anonymous" // module scripts are fetched in CORS mode
	}
	return r, true
}

func hasAttr(attrs attrList, name string) bool {
	return attrs.has(name)
}

func crossOrigin(attrs attrList) string {
	v, ok := attrs.get("crossorigin")
	if !ok {
		return ""
	}
	if strings.EqualFold(strings.TrimSpace(v), "use-credentials") {
		return "use-credentials"
	}
	return "anonymous" // "", "anonymous" and invalid values all mean anonymous
}

// classicScriptType reports whether a script's type attribute makes it a
// classic JavaScript script (HTML's "JavaScript MIME type essence match":
// the whole value, so "text/javascript; charset=utf-8" is not one, and a
// browser does not run it).
func classicScriptType(t string) bool {
	t = strings.ToLower(strings.TrimSpace(t))
	if t == "" {
		return true
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
			if not {
				return true // a negated feature (not (hover)) matches some screens
			}
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
func bigBySize(attrs attrList) bool {
	w, h := pixels(attrs.val("width")), pixels(attrs.val("height"))
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
	if v == "" {
		return 0 // most images: Atoi's error would cost an allocation
	}
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
