package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The style engine decides which web font faces a page's first paint uses:
// the page's DOM (x/net/html), the critical CSS's style rules matched by
// cascadia, in cascade order (origin, !important, specificity, source
// order), with font-family, font-weight and font-style inherited down to
// the elements that hold text and to ::before/::after content. It is run
// only for pages whose critical CSS declares @font-face faces.
//
// What it assumes of the first paint, and where it keeps a font rather
// than drop it:
//   - the viewport is a desktop screen of 1366x768 CSS pixels;
//   - :hover, :focus, :active, :visited, :target, :focus-within and
//     :focus-visible never match;
//   - a selector cascadia cannot parse (:is(), :where(), vendor
//     pseudo-classes), and a rule nested in another, counts as matching:
//     its font declarations are tried on every text the page shows, on top
//     of what else applies there;
//   - a var() it cannot resolve, and @layer order (every rule counts as
//     unlayered), are read so as to keep faces: an unknown family list uses
//     every family the CSS names, an unknown weight or style every face.

// styleRule is a style rule as the scanner keeps it: only its declarations
// that the engine reads.
type styleRule struct {
	selector string
	// nested is set for a rule inside another style rule (CSS nesting),
	// whose selector is relative to its parent's.
	nested bool
	layer  string // its cascade layer, "" for none
	decls  []styleDecl
}

type styleDecl struct {
	prop, value string // property in lower case; value without !important
	important   bool
}

// styleProperty reports whether the engine reads a property.
func styleProperty(name string) bool {
	switch name {
	case "font", "font-family", "font-weight", "font-style", "display", "content",
		// for the rough layout (layout.go)
		"position", "width", "height", "min-height", "max-width", "box-sizing",
		"padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
		"margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
		"font-size", "line-height", "background", "background-image", "aspect-ratio",
		"flex-direction", "flex-flow", "visibility", "opacity", "white-space":
		return true
	}
	return strings.HasPrefix(name, "--")
}

// ViewportWidth and ViewportHeight are the desktop viewport, in CSS
// pixels, the manifest is made for: media queries are evaluated for it and
// the hero image is the largest one in it. herald check --browser loads
// pages at this viewport.
const (
	ViewportWidth  = 1366
	ViewportHeight = 768
)

// mediaMatchesDesktop reports whether a media query list matches a desktop
// screen of ViewportWidth x ViewportHeight, landscape, fine pointer that
// hovers, light colour scheme. What it cannot read counts as matching.
func mediaMatchesDesktop(media string) bool {
	media = strings.ToLower(strings.TrimSpace(media))
	if media == "" {
		return true
	}
	for _, q := range splitTop(media, ',') {
		if queryMatchesDesktop(q) {
			return true
		}
	}
	return false
}

func queryMatchesDesktop(q string) bool {
	q = strings.TrimSpace(q)
	not := false
	switch {
	case strings.HasPrefix(q, "only "):
		q = q[len("only "):]
	case strings.HasPrefix(q, "not "):
		not, q = true, q[len("not "):]
	}
	q = strings.TrimSpace(q)
	ok := true
	if q != "" && q[0] != '(' {
		typ, rest, _ := strings.Cut(q, " ")
		ok = typ == "all" || typ == "screen"
		q = strings.TrimSpace(rest)
		if q != "" {
			and, after, found := strings.Cut(q, " ")
			if !found || and != "and" {
				return true // unreadable
			}
			q = after
		}
	}
	if q != "" {
		if strings.Contains(q, " or ") {
			return true
		}
		for _, f := range splitAnd(q) {
			m, known := featureMatches(f)
			if !known {
				return true
			}
			ok = ok && m
		}
	}
	return ok != not
}

// splitAnd splits "(a) and (b)" into "a" and "b"; nil when it is not that.
func splitAnd(q string) []string {
	var out []string
	for q != "" {
		if q[0] != '(' {
			return []string{"?"}
		}
		end := skipParens(q, 0)
		out = append(out, strings.TrimSpace(q[1:max(1, end-1)]))
		q = strings.TrimSpace(q[end:])
		if q != "" {
			if !strings.HasPrefix(q, "and") {
				return []string{"?"}
			}
			q = strings.TrimSpace(q[len("and"):])
		}
	}
	return out
}

// featureMatches evaluates one media feature; known is false when it
// cannot read it.
func featureMatches(f string) (match, known bool) {
	if strings.HasPrefix(f, "not ") || strings.HasPrefix(f, "(") {
		return false, false
	}
	name, value, colon := strings.Cut(f, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !colon {
		// Range syntax: (width >= 600px), (600px < width <= 900px).
		for _, op := range []string{"<=", ">=", "<", ">", "="} {
			if a, b, ok := strings.Cut(f, op); ok {
				a, b = strings.TrimSpace(a), strings.TrimSpace(b)
				if strings.ContainsAny(b, "<>=") {
					return rangeMatches(a, op, b)
				}
				if x, ok := featureValue(a); ok {
					if y, ok := lengthPx(b); ok {
						return compare(x, op, y), true
					}
				}
				if y, ok := featureValue(b); ok {
					if x, ok := lengthPx(a); ok {
						return compare(x, op, y), true
					}
				}
				return false, false
			}
		}
		switch name {
		case "color", "hover", "pointer", "any-hover", "any-pointer", "grid":
			return name != "grid", true
		}
		return false, false
	}
	switch name {
	case "orientation":
		return value == "landscape", true
	case "prefers-color-scheme":
		return value == "light", true
	case "prefers-reduced-motion", "prefers-contrast", "forced-colors", "inverted-colors":
		return value == "no-preference" || value == "none", true
	case "hover", "any-hover":
		return value == "hover", true
	case "pointer", "any-pointer":
		return value == "fine", true
	}
	prefix, feat := "", name
	if p, rest, ok := strings.Cut(name, "-"); ok && (p == "min" || p == "max") {
		prefix, feat = p, rest
	}
	x, ok := featureValue(feat)
	if !ok {
		return false, false
	}
	var y float64
	if feat == "aspect-ratio" {
		y, ok = ratio(value)
	} else {
		y, ok = lengthPx(value)
	}
	if !ok {
		return false, false
	}
	switch prefix {
	case "min":
		return x >= y, true
	case "max":
		return x <= y, true
	}
	return x == y, true
}

func rangeMatches(a, op, rest string) (bool, bool) {
	for _, op2 := range []string{"<=", ">=", "<", ">"} {
		if mid, b, ok := strings.Cut(rest, op2); ok {
			x, ok1 := lengthPx(a)
			v, ok2 := featureValue(strings.TrimSpace(mid))
			y, ok3 := lengthPx(strings.TrimSpace(b))
			if !ok1 || !ok2 || !ok3 {
				return false, false
			}
			return compare(x, op, v) && compare(v, op2, y), true
		}
	}
	return false, false
}

func compare(x float64, op string, y float64) bool {
	switch op {
	case "<=":
		return x <= y
	case ">=":
		return x >= y
	case "<":
		return x < y
	case ">":
		return x > y
	}
	return x == y
}

func featureValue(name string) (float64, bool) {
	switch name {
	case "width", "device-width":
		return ViewportWidth, true
	case "height", "device-height":
		return ViewportHeight, true
	case "aspect-ratio", "device-aspect-ratio":
		return float64(ViewportWidth) / ViewportHeight, true
	case "resolution":
		return 96, true // in dpi: 1dppx
	}
	return 0, false
}

// lengthPx reads a length in px, em or rem (16px), or a resolution.
func lengthPx(v string) (float64, bool) {
	v = strings.TrimSpace(v)
	units := []struct {
		suffix string
		px     float64
	}{{"px", 1}, {"rem", 16}, {"em", 16}, {"dppx", 96}, {"dpi", 1}, {"x", 96}, {"", 1}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			if f, err := strconv.ParseFloat(n, 64); err == nil {
				if u.suffix == "" && f != 0 && !strings.Contains(v, "/") {
					return f, true
				}
				return f * u.px, true
			}
		}
	}
	if r, ok := ratio(v); ok {
		return r, true
	}
	return 0, false
}

func ratio(v string) (float64, bool) {
	a, b, ok := strings.Cut(v, "/")
	x, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	if !ok {
		return x, err1 == nil
	}
	y, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if err1 != nil || err2 != nil || y == 0 {
		return 0, false
	}
	return x / y, true
}

// compiledRule is one selector of a style rule, compiled.
type compiledRule struct {
	sel    cascadia.Sel
	pseudo string // pseudo-element, "" for the element itself
	order  int    // source order within its sheet
	layer  string
	decls  []styleDecl
}

// compiledSheet is a stylesheet's rules compiled and indexed by the key of
// their subject (the last compound selector): an id, a class, a tag name,
// or none (any element).
type compiledSheet struct {
	byID, byClass, byTag map[string][]*compiledRule
	any                  []*compiledRule
	// maybe holds the declarations of rules whose selector cascadia cannot
	// read, or that are nested: they count as matching, see above.
	maybe [][]styleDecl
	// layers are the sheet's cascade layers in order.
	layers []string
}

// compile compiles a sheet's rules, once per build: the result is kept
// by the sheet's content hash.
func (b *Builder) compile(s *sheet) *compiledSheet {
	h := sheetKey(s)
	b.memoMu.Lock()
	c, ok := b.styles[h]
	b.memoMu.Unlock()
	if ok {
		return c
	}
	c = b.compileSheet(s)
	b.memoMu.Lock()
	defer b.memoMu.Unlock()
	if b.styles == nil {
		b.styles = map[string]*compiledSheet{}
	}
	if len(b.styles) >= maxStyles {
		clear(b.styles)
	}
	b.styles[h] = c
	return c
}

// compileSheet compiles a sheet's rules. Two pages assembled at once may
// both compile a sheet: the results are the same, and the last is kept.
func (b *Builder) compileSheet(s *sheet) *compiledSheet {
	c := &compiledSheet{byID: map[string][]*compiledRule{}, byClass: map[string][]*compiledRule{}, byTag: map[string][]*compiledRule{}, layers: s.layers}
	for i, r := range s.rules {
		if r.nested {
			c.maybe = append(c.maybe, r.decls)
			continue
		}
		for _, one := range splitTop(r.selector, ',') {
			one = strings.TrimSpace(one)
			sel, err := cascadia.ParseWithPseudoElement(neverInFirstPaint(one))
			if err != nil {
				c.maybe = append(c.maybe, r.decls)
				continue
			}
			cr := &compiledRule{sel: sel, pseudo: sel.PseudoElement(), order: i, layer: r.layer, decls: r.decls}
			switch kind, key := subjectKey(one); kind {
			case '#':
				c.byID[key] = append(c.byID[key], cr)
			case '.':
				c.byClass[key] = append(c.byClass[key], cr)
			case 't':
				c.byTag[key] = append(c.byTag[key], cr)
			default:
				c.any = append(c.any, cr)
			}
		}
	}
	return c
}

// maxStyles bounds the compiled sheets kept.
const maxStyles = 1 << 12

// sheetKey is a hash of what the engine reads of a sheet.
func sheetKey(s *sheet) string {
	h := sha256.New()
	for _, l := range s.layers {
		io.WriteString(h, l+"\x00")
	}
	h.Write([]byte{4})
	for _, r := range s.rules {
		io.WriteString(h, r.selector)
		if r.nested {
			h.Write([]byte{1})
		}
		io.WriteString(h, "\x00"+r.layer)
		for _, d := range r.decls {
			io.WriteString(h, "\x00"+d.prop+"\x00"+d.value)
			if d.important {
				h.Write([]byte{2})
			}
		}
		h.Write([]byte{3})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// neverInFirstPaint rewrites the pseudo-classes of user interaction that
// cascadia does not know (:focus-within, :focus-visible) to :focus, which
// it never matches, as none of them matches in the first paint.
func neverInFirstPaint(sel string) string {
	if !strings.Contains(sel, ":focus-") {
		return sel
	}
	return strings.NewReplacer(":focus-within", ":focus", ":focus-visible", ":focus").Replace(sel)
}

// subjectKey returns the kind ('#', '.', 't' for a tag, 0 for none) and
// key of the last compound selector of sel: an element it matches has that
// id, class or tag name.
func subjectKey(sel string) (byte, string) {
	if strings.ContainsAny(sel, `\|`) {
		return 0, ""
	}
	start, depth := 0, 0
	for i := 0; i < len(sel); i++ {
		switch c := sel[i]; {
		case c == '"' || c == '\'':
			i = skipString(sel, i) - 1
		case c == '(' || c == '[':
			depth++
		case (c == ')' || c == ']') && depth > 0:
			depth--
		case depth == 0 && (isSpace(c) || c == '>' || c == '+' || c == '~'):
			start = i + 1
		}
	}
	compound := sel[start:]
	name := func(s string) string {
		n := 0
		for n < len(s) && (isNameChar(s[n]) || s[n] >= 0x80) {
			n++
		}
		return s[:n]
	}
	var class, tag string
	depth = 0
	for i := 0; i < len(compound); i++ {
		switch c := compound[i]; {
		case c == '"' || c == '\'':
			i = skipString(compound, i) - 1
		case c == '(' || c == '[':
			depth++
		case (c == ')' || c == ']') && depth > 0:
			depth--
		case depth > 0:
		case c == ':':
			i = len(compound) // pseudo-classes and elements: no key
		case c == '#':
			if id := name(compound[i+1:]); id != "" {
				return '#', id
			}
		case c == '.' && class == "":
			class = name(compound[i+1:])
		case i == 0 && isNameChar(c):
			tag = strings.ToLower(name(compound))
		}
	}
	switch {
	case class != "":
		return '.', class
	case tag != "":
		return 't', tag
	}
	return 0, ""
}

// fontUse is a face request: a family (lower case) in a style at a weight.
// weight 0 asks for any weight, italic -1 for either style.
type fontUse struct {
	family string
	italic int8
	weight int
}

// computed is an element's computed style, as far as fonts go.
type computed struct {
	family     string            // the font-family value; "" for the browser's default
	familyAny  bool              // a var() not resolved: any family the CSS names
	weight     int               // 0: unknown, any
	italic     int8              // 0 normal, 1 italic, -1 unknown
	vars       map[string]string // custom properties, shared with the parent until ownVars
	ownVars    bool
	hidden     bool // display:none
	content    bool // for ::before and ::after: it has text content
	hasContent bool
}

// styleEngine computes the font uses of one page.
type styleEngine struct {
	sheets []*compiledSheet
	uses   map[fontUse]bool
	// layers ranks the page's cascade layers, from 1 in the order they
	// are first declared in the page's sheets.
	layers map[string]int
}

func newStyleEngine(sheets []*compiledSheet) *styleEngine {
	en := &styleEngine{sheets: sheets, uses: map[fontUse]bool{}, layers: map[string]int{}}
	for _, s := range sheets {
		for _, l := range s.layers {
			if en.layers[l] == 0 {
				en.layers[l] = len(en.layers) + 1
			}
		}
	}
	return en
}

// pageFontUses parses a page and returns the faces its elements use.
func pageFontUses(src []byte, sheets []*compiledSheet) map[fontUse]bool {
	root, err := html.Parse(bytes.NewReader(src))
	if err != nil {
		return nil
	}
	en := newStyleEngine(sheets)
	en.walk(root, &computed{weight: 400})
	for _, u := range useList(en.uses) {
		for _, s := range sheets {
			for _, ds := range s.maybe {
				st := &computed{family: "\x00", weight: u.weight, italic: u.italic}
				if u.family == "" {
					st.family = ""
				}
				parent := *st
				for _, d := range ds {
					en.apply(st, &parent, d)
				}
				use := en.use(st)
				if st.family == "\x00" {
					use.family = u.family
				}
				en.uses[use] = true
			}
		}
	}
	return en.uses
}

func useList(m map[fontUse]bool) []fontUse {
	out := make([]fontUse, 0, len(m))
	for u := range m {
		out = append(out, u)
	}
	return out
}

type matched struct {
	d         styleDecl
	level     int // see level
	spec      cascadia.Specificity
	sheet, at int
}

// Cascade levels of declarations of the same importance, lowest first:
// the cascade layers in their order, rules in no layer, then the style
// attribute. Among !important declarations the layers' order is reversed.
const (
	levelUnlayered = 1 << 20
	levelAttribute = levelUnlayered + 1
)

// level ranks a declaration of a rule in layer (levelAttribute for the
// style attribute) in the cascade, before specificity: origin and
// importance, then layer.
func (en *styleEngine) level(layer string, important bool) int {
	l := levelUnlayered
	if layer != "" {
		l = en.layers[layer]
	}
	if !important {
		return l
	}
	return levelAttribute + 1 + levelUnlayered - l
}

func (en *styleEngine) walk(n *html.Node, parent *computed) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		switch c.DataAtom {
		case atom.Head, atom.Script, atom.Style, atom.Template, atom.Noscript, atom.Title:
			continue
		}
		st := en.style(c, parent)
		if st.hidden {
			continue
		}
		if holdsText(c) {
			en.uses[en.use(st)] = true
		}
		for _, p := range []string{"before", "after"} {
			if ps := en.pseudo(c, st, p); ps != nil && ps.content && !ps.hidden {
				en.uses[en.use(ps)] = true
			}
		}
		en.walk(c, st)
	}
}

// use turns a computed style into a face request. The family is resolved
// later, against the faces the CSS declares.
func (en *styleEngine) use(st *computed) fontUse {
	u := fontUse{family: st.family, italic: st.italic, weight: st.weight}
	if st.familyAny {
		u.family = "\x01"
	}
	return u
}

// holdsText reports whether an element shows text of its own, or is an
// empty inline element: Chromium fetches the face of an empty inline box
// too (its line's height depends on the face's metrics); GitPython's module
// index has <td><em></em></td> and no other italic, and Chromium loads the
// italic face for it.
func holdsText(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Input:
		return !strings.EqualFold(nodeAttr(n, "type"), "hidden")
	case atom.Textarea, atom.Select, atom.Button:
		return true
	}
	empty := true
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode && strings.TrimSpace(c.Data) != "":
			return true
		case c.Type == html.ElementNode:
			empty = false
		}
	}
	return empty && phrasing[n.DataAtom]
}

// phrasing lists the elements that are inline boxes by default.
var phrasing = map[atom.Atom]bool{
	atom.A: true, atom.Abbr: true, atom.B: true, atom.Bdi: true, atom.Bdo: true, atom.Cite: true,
	atom.Code: true, atom.Data: true, atom.Dfn: true, atom.Em: true, atom.I: true, atom.Kbd: true,
	atom.Label: true, atom.Mark: true, atom.Q: true, atom.S: true, atom.Samp: true, atom.Small: true,
	atom.Span: true, atom.Strong: true, atom.Sub: true, atom.Sup: true, atom.Time: true, atom.U: true,
	atom.Var: true,
}

// inlineStyle returns the declarations of a style attribute that the
// engine reads.
func inlineStyle(v string) []styleDecl {
	if v == "" {
		return nil
	}
	var out []styleDecl
	sc := &cssScanner{text: blankComments(v)}
	sc.decls(0, len(sc.text), func(name, value string, _ int) {
		if styleProperty(name) {
			w := withoutImportant(value)
			out = append(out, styleDecl{name, strings.TrimSpace(w), len(w) != len(value)})
		}
	}, func(string, int, int) {})
	return out
}

func nodeAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttrNode(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return true
		}
	}
	return false
}

// style computes an element's style: the browser's own rules, then the
// author's in cascade order.
func (en *styleEngine) style(n *html.Node, parent *computed) *computed {
	st := &computed{family: parent.family, familyAny: parent.familyAny, weight: parent.weight, italic: parent.italic, vars: parent.vars}
	switch n.DataAtom {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Th:
		st.weight = 700
	case atom.B, atom.Strong:
		st.weight = bolder(parent.weight)
	case atom.Em, atom.I, atom.Cite, atom.Var, atom.Dfn, atom.Address:
		st.italic = 1
	case atom.Code, atom.Kbd, atom.Samp, atom.Pre, atom.Tt:
		st.family, st.familyAny = "monospace", false
	case atom.Input, atom.Textarea, atom.Select, atom.Button:
		// Form controls take the system's font, not their parent's.
		st.family, st.familyAny, st.weight, st.italic = "", false, 400, 0
	}
	if hasAttrNode(n, "hidden") && !strings.EqualFold(nodeAttr(n, "hidden"), "until-found") {
		st.hidden = true
	}
	en.cascade(st, parent, en.match(n, ""))
	return st
}

// pseudo computes the style of an element's ::before or ::after, nil when
// no rule gives it one.
func (en *styleEngine) pseudo(n *html.Node, st *computed, name string) *computed {
	m := en.match(n, name)
	if len(m) == 0 {
		return nil
	}
	ps := &computed{family: st.family, familyAny: st.familyAny, weight: st.weight, italic: st.italic, vars: st.vars}
	en.cascade(ps, st, m)
	return ps
}

// match returns the declarations of the rules matching n (or its
// pseudo-element) and of its style attribute, in cascade order: normal
// before !important, then by layer (see level), then by specificity, then
// in source order.
func (en *styleEngine) match(n *html.Node, pseudo string) []matched {
	var out []matched
	try := func(si int, rules []*compiledRule) {
		for _, r := range rules {
			if r.pseudo != pseudo || !r.sel.Match(n) {
				continue
			}
			for _, d := range r.decls {
				out = append(out, matched{d, en.level(r.layer, d.important), r.sel.Specificity(), si, r.order})
			}
		}
	}
	id := nodeAttr(n, "id")
	classes := strings.Fields(nodeAttr(n, "class"))
	for si, s := range en.sheets {
		try(si, s.any)
		try(si, s.byTag[n.Data])
		if id != "" {
			try(si, s.byID[id])
		}
		for k, c := range classes {
			if !slices.Contains(classes[:k], c) {
				try(si, s.byClass[c])
			}
		}
	}
	if pseudo == "" {
		for _, d := range inlineStyle(nodeAttr(n, "style")) {
			l := levelAttribute
			if d.important {
				l = en.level("", true) + levelUnlayered
			}
			out = append(out, matched{d: d, level: l, sheet: -1})
		}
	}
	slices.SortStableFunc(out, func(a, b matched) int {
		switch {
		case a.level != b.level:
			return a.level - b.level
		case a.spec != b.spec:
			if a.spec.Less(b.spec) {
				return -1
			}
			return 1
		case a.sheet != b.sheet:
			return a.sheet - b.sheet
		}
		return a.at - b.at
	})
	return out
}

func (en *styleEngine) cascade(st, parent *computed, m []matched) {
	// Custom properties first: other declarations read them whatever the
	// order.
	for _, x := range m {
		if strings.HasPrefix(x.d.prop, "--") {
			en.apply(st, parent, x.d)
		}
	}
	for _, x := range m {
		if !strings.HasPrefix(x.d.prop, "--") {
			en.apply(st, parent, x.d)
		}
	}
}

// apply applies one declaration to st.
func (en *styleEngine) apply(st, parent *computed, d styleDecl) {
	if strings.HasPrefix(d.prop, "--") {
		if !st.ownVars { // copied on the first write: children share it
			vars := make(map[string]string, len(st.vars)+1)
			for k, v := range st.vars {
				vars[k] = v
			}
			st.vars, st.ownVars = vars, true
		}
		st.vars[d.prop] = d.value
		return
	}
	value, ok := resolveVars(d.value, st.vars, 0)
	if d.prop == "content" || d.prop == "display" {
		switch {
		case d.prop == "display":
			st.hidden = ok && strings.EqualFold(value, "none")
		default:
			st.content = !ok || hasText(value)
		}
		return
	}
	if !ok {
		switch d.prop {
		case "font-family":
			st.familyAny = true
		case "font-weight":
			st.weight = 0
		case "font-style":
			st.italic = -1
		case "font":
			st.familyAny, st.weight, st.italic = true, 0, -1
		}
		return
	}
	low := strings.ToLower(strings.TrimSpace(value))
	switch low {
	case "inherit", "unset", "revert", "revert-layer":
		switch d.prop {
		case "font-family":
			st.family, st.familyAny = parent.family, parent.familyAny
		case "font-weight":
			st.weight = parent.weight
		case "font-style":
			st.italic = parent.italic
		case "font":
			st.family, st.familyAny, st.weight, st.italic = parent.family, parent.familyAny, parent.weight, parent.italic
		}
		return
	case "initial":
		low = "normal"
		if d.prop == "font-family" || d.prop == "font" {
			st.family, st.familyAny = "", false
		}
	}
	switch d.prop {
	case "font-family":
		st.family, st.familyAny = value, false
	case "font-weight":
		st.weight = fontWeight(low, parent.weight)
	case "font-style":
		st.italic = styleOf(low)
	case "font":
		st.family, st.familyAny, st.weight, st.italic = "", false, 400, 0
		if fams := shorthandFamilies(value); len(fams) > 0 {
			st.family = strings.Join(fams, ",")
		}
		for _, w := range shorthandPrefix(value) {
			w = strings.ToLower(w)
			switch w {
			case "italic", "oblique":
				st.italic = 1
			default:
				if _, ok := weightOf(w); ok || w == "bolder" || w == "lighter" {
					st.weight = fontWeight(w, parent.weight)
				}
			}
		}
	}
}

func styleOf(v string) int8 {
	if strings.HasPrefix(v, "italic") || strings.HasPrefix(v, "oblique") {
		return 1
	}
	if v == "normal" {
		return 0
	}
	return -1
}

// fontWeight computes a font-weight value against the inherited weight.
func fontWeight(v string, parent int) int {
	switch v {
	case "bolder":
		return bolder(parent)
	case "lighter":
		if parent == 0 {
			return 0
		}
		switch {
		case parent < 100:
			return parent
		case parent < 550:
			return 100
		case parent < 750:
			return 400
		}
		return 700
	}
	if w, ok := weightOf(v); ok {
		return w
	}
	return 0
}

func bolder(parent int) int {
	switch {
	case parent == 0:
		return 0
	case parent < 350:
		return 400
	case parent < 550:
		return 700
	}
	return 900
}

// hasText reports whether a content value generates text: a non-empty
// string, attr(), a counter or a quote.
func hasText(v string) bool {
	low := strings.ToLower(strings.TrimSpace(v))
	switch low {
	case "", "none", "normal", `""`, `''`:
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] == '"' || v[i] == '\'' {
			e := skipString(v, i)
			if e-i > 2 {
				return true
			}
			i = e - 1
		}
	}
	return strings.Contains(low, "attr(") || strings.Contains(low, "counter") || strings.Contains(low, "quote")
}

// resolveVars substitutes the var() references of a value from an
// element's custom properties. ok is false when it cannot: an undefined
// property without fallback (invalid at computed time), or references
// nested too deep.
func resolveVars(v string, vars map[string]string, depth int) (string, bool) {
	low := strings.ToLower(v)
	k := strings.Index(low, "var(")
	if k < 0 {
		return v, true
	}
	if depth > 8 {
		return "", false
	}
	end := skipParens(v, k+len("var"))
	inner := v[k+len("var(") : max(k+len("var("), end-1)]
	name, fallback, hasFallback := strings.Cut(inner, ",")
	name = strings.TrimSpace(name)
	sub, ok := vars[name]
	if !ok {
		if !hasFallback {
			return "", false
		}
		sub = fallback
	}
	sub, ok = resolveVars(strings.TrimSpace(sub), vars, depth+1)
	if !ok {
		return "", false
	}
	return resolveVars(v[:k]+sub+v[end:], vars, depth+1)
}
