package manifest

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The rough layout picks the hero image the way Chromium picks the largest
// contentful paint, on the first viewport (ViewportWidth x ViewportHeight).
// Chromium's rules (web.dev/articles/lcp, "What elements are considered";
// third_party/blink/renderer/core/paint/timing/image_paint_timing_detector.cc
// and paint_timing_detector.cc):
//   - candidates are <img> elements, elements with a background-image url()
//     other than <html> and <body>, and blocks of text;
//   - an element's size is its area visible in the viewport (clipped to
//     it); an image's is scaled down by intrinsic/displayed area when it is
//     shown larger than its intrinsic size (DownScaleIfIntrinsicSizeIsSmaller);
//   - an image whose visible area is at least the viewport's is no
//     candidate (ComputeImageRectSize: "If the rect occupies the whole
//     viewport, disregard this candidate"), nor one of less than 0.05 bits
//     per pixel of its visible size (kMinimumEntropyForLCP), a placeholder;
//   - the largest candidate wins: when it is text there is no hero image.
//
// Boxes are sized from the CSS the style engine matches: width, height,
// min-height, max-width, padding, margin, font-size and line-height (px,
// em, rem, %, vw, vh, calc() sums), aspect-ratio, an <img>'s width and
// height attributes and the image file's own size; flex rows lay their
// children side by side. Text is laid out at 0.55em a character, in lines
// of the box's width. Absolutely positioned and fixed elements take no room
// in the flow. What this cannot size (floats, grids, tables beyond rows of
// cells) is taken as block flow.

// lcpTextWidth is the average width of a character, in em, for text blocks,
// and lcpBoldWidth for bold text (font-weight 600 and more): measured on
// clean-blog's post heading (Open Sans 800), 57 characters in four lines
// of 589 px at 56 px.
const (
	lcpTextWidth = 0.55
	lcpBoldWidth = 0.6
)

// minEntropy is Chromium's kMinimumEntropyForLCP, in bits per visible pixel.
const minEntropy = 0.05

// imageInfo describes an image file named by url in the page (sheet -1)
// or in the engine's sheet of that index: its intrinsic size (0 when
// unknown) and its size in bytes; ok is false when it is no image of the
// site.
type imageInfo func(sheet int, url string) (w, h int, bytes int64, ok bool)

// lcpCandidate is the largest contentful paint found: an image URL as
// written in the page or sheet (sheet is its index in the engine's sheets,
// -1 for the page), or text (url "").
type lcpCandidate struct {
	url   string
	sheet int
	area  float64
}

// layoutStyle is what the layout reads of an element's style.
type layoutStyle struct {
	display, position                  string
	width, height, minHeight, maxWidth string
	padding, margin                    [4]string // top, right, bottom, left
	fontSize                           float64   // px, inherited
	lineHeight                         string    // inherited, as written
	bg                                 string    // url of its background image
	bgSheet                            int
	aspect                             float64
	flexColumn                         bool
	invisible                          bool   // visibility:hidden or opacity:0
	bold                               bool   // font-weight 600 or more, inherited
	whiteSpace                         string // as written, "pre" for <pre>, inherited
	borderBox                          bool
	vars                               map[string]string // custom properties, inherited
	ownVars                            bool
}

type layouter struct {
	en   *styleEngine
	info imageInfo
	best lcpCandidate
	// marTop and marBottom are the vertical margins of the box laid out
	// last, for collapsing those of siblings.
	marTop, marBottom float64
}

// pageHero lays out a parsed page and returns its largest contentful paint.
func (en *styleEngine) pageHero(root *html.Node, img imageInfo) lcpCandidate {
	l := &layouter{en: en, info: img}
	body := findBody(root)
	if body == nil {
		return lcpCandidate{}
	}
	st := l.style(body, &layoutStyle{fontSize: 16, lineHeight: "normal"}, ViewportWidth)
	st.bg = "" // <body>'s background is no candidate
	l.box(body, st, 0, ViewportWidth)
	return l.best
}

func findBody(n *html.Node) *html.Node {
	if n.Type == html.ElementNode && n.DataAtom == atom.Body {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if b := findBody(c); b != nil {
			return b
		}
	}
	return nil
}

// style computes an element's layout style.
func (l *layouter) style(n *html.Node, parent *layoutStyle, cw float64) *layoutStyle {
	st := &layoutStyle{fontSize: parent.fontSize, lineHeight: parent.lineHeight, bgSheet: -1, borderBox: true, vars: parent.vars, bold: parent.bold, whiteSpace: parent.whiteSpace}
	if n.DataAtom == atom.Pre {
		st.whiteSpace = "pre"
	}
	switch n.DataAtom {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.B, atom.Strong, atom.Th:
		st.bold = true
	}
	switch n.DataAtom {
	case atom.H1:
		st.fontSize = parent.fontSize * 2
	case atom.H2:
		st.fontSize = parent.fontSize * 1.5
	case atom.H3:
		st.fontSize = parent.fontSize * 1.17
	}
	switch n.DataAtom {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.P, atom.Ul, atom.Ol, atom.Dl, atom.Pre, atom.Blockquote, atom.Figure:
		st.margin[0], st.margin[2] = "1em", "1em"
		if n.DataAtom == atom.H1 {
			st.margin[0], st.margin[2] = "0.67em", "0.67em"
		}
	case atom.Body:
		st.margin = [4]string{"8px", "8px", "8px", "8px"}
	}
	if hasAttrNode(n, "hidden") {
		st.display = "none"
	}
	m := l.en.match(n, "")
	for _, x := range m {
		if strings.HasPrefix(x.d.prop, "--") {
			if !st.ownVars {
				vars := make(map[string]string, len(st.vars)+1)
				for k, v := range st.vars {
					vars[k] = v
				}
				st.vars, st.ownVars = vars, true
			}
			st.vars[x.d.prop] = x.d.value
		}
	}
	for _, x := range m {
		if !strings.HasPrefix(x.d.prop, "--") {
			if v, ok := resolveVars(x.d.value, st.vars, 0); ok {
				x.d.value = v
				l.apply(st, parent, x)
			}
		}
	}
	return st
}

func (l *layouter) apply(st, parent *layoutStyle, m matched) {
	d := m.d
	v := strings.TrimSpace(strings.ToLower(d.value))
	switch d.prop {
	case "display":
		st.display = v
	case "position":
		st.position = v
	case "width":
		st.width = v
	case "height":
		st.height = v
	case "min-height":
		st.minHeight = v
	case "max-width":
		st.maxWidth = v
	case "box-sizing":
		st.borderBox = v == "border-box"
	case "padding", "margin":
		f := strings.Fields(v)
		if len(f) == 0 || len(f) > 4 {
			return
		}
		for len(f) < 4 { // 1 → all, 2 → tb rl, 3 → t rl b
			switch len(f) {
			case 1:
				f = append(f, f[0])
			case 2:
				f = append(f, f[0])
			case 3:
				f = append(f, f[1])
			}
		}
		if d.prop == "padding" {
			st.padding = [4]string(f)
		} else {
			st.margin = [4]string(f)
		}
	case "padding-top", "padding-right", "padding-bottom", "padding-left",
		"margin-top", "margin-right", "margin-bottom", "margin-left":
		prop, side, _ := strings.Cut(d.prop, "-")
		i := map[string]int{"top": 0, "right": 1, "bottom": 2, "left": 3}[side]
		if prop == "padding" {
			st.padding[i] = v
		} else {
			st.margin[i] = v
		}
	case "font-size":
		if px, ok := l.length(v, parent.fontSize, parent.fontSize); ok {
			st.fontSize = px
		}
	case "font":
		// font: [style] [weight] size[/line-height] family
		for _, w := range shorthandPrefix(d.value) {
			size, lh, hasLH := strings.Cut(strings.ToLower(w), "/")
			if px, ok := l.length(size, parent.fontSize, parent.fontSize); ok && size != "0" {
				st.fontSize = px
				st.lineHeight = "normal"
				if hasLH {
					st.lineHeight = lh
				}
			}
		}
	case "line-height":
		st.lineHeight = v
	case "font-weight":
		if w := fontWeight(v, 400); w != 0 {
			st.bold = w >= 600
		}
	case "background", "background-image":
		if urls := cssURLs(d.value); len(urls) > 0 {
			st.bg, st.bgSheet = urls[0], m.sheet
		} else if d.prop == "background-image" || strings.Contains(v, "none") {
			st.bg = ""
		}
	case "aspect-ratio":
		v = strings.TrimPrefix(v, "auto ")
		if r, ok := ratio(v); ok && r > 0 {
			st.aspect = r
		}
	case "flex-direction":
		st.flexColumn = strings.HasPrefix(v, "column")
	case "flex-flow":
		st.flexColumn = strings.Contains(v, "column")
	case "white-space":
		st.whiteSpace = v
	case "visibility":
		st.invisible = v == "hidden" || v == "collapse"
	case "opacity":
		st.invisible = v == "0"
	}
}

// length resolves a CSS length against a percentage base, the font size;
// ok is false for auto, unknown units and what cannot be read.
func (l *layouter) length(v string, pct, em float64) (float64, bool) {
	v = strings.TrimSpace(v)
	if v == "" || v == "auto" || v == "none" {
		return 0, false
	}
	if strings.HasPrefix(v, "calc(") && strings.HasSuffix(v, ")") {
		return l.calc(v[len("calc("):len(v)-1], pct, em)
	}
	if fn, args, ok := strings.Cut(v, "("); ok && (fn == "min" || fn == "max") && strings.HasSuffix(args, ")") {
		var out float64
		for i, a := range splitTop(args[:len(args)-1], ',') {
			x, ok := l.length(a, pct, em)
			if !ok {
				return 0, false
			}
			if i == 0 || fn == "min" && x < out || fn == "max" && x > out {
				out = x
			}
		}
		return out, true
	}
	units := []struct {
		suffix string
		px     float64
	}{{"px", 1}, {"rem", 16}, {"em", em}, {"vw", ViewportWidth / 100.0}, {"vh", ViewportHeight / 100.0},
		{"svh", ViewportHeight / 100.0}, {"lvh", ViewportHeight / 100.0}, {"dvh", ViewportHeight / 100.0},
		{"%", pct / 100}, {"pt", 4.0 / 3}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			if strings.HasSuffix(n, "d") || strings.HasSuffix(n, "s") || strings.HasSuffix(n, "l") || strings.HasSuffix(n, "r") {
				continue // "dvh" read as "vh", "rem" as "em"
			}
			f, err := strconv.ParseFloat(n, 64)
			if err != nil {
				return 0, false
			}
			return f * u.px, true
		}
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f == 0 {
		return 0, true
	}
	return 0, false
}

// calc reads a sum of products of lengths and numbers: "8rem + 57px",
// "100vh - 4rem", "1.5rem*.5".
func (l *layouter) calc(v string, pct, em float64) (float64, bool) {
	var sum, term float64
	sign, op, haveTerm := 1.0, byte('*'), false
	i := 0
	for i <= len(v) {
		// the next operand: up to an operator at top level
		j := i
		for j < len(v) && !(v[j] == '*' || v[j] == '/' || (v[j] == '+' || v[j] == '-') && j > i && v[j-1] == ' ') {
			if v[j] == '(' {
				j = skipParens(v, j)
				continue
			}
			j++
		}
		operand := strings.TrimSpace(v[i:j])
		var x float64
		if strings.HasPrefix(operand, "(") && strings.HasSuffix(operand, ")") {
			y, ok := l.calc(operand[1:len(operand)-1], pct, em)
			if !ok {
				return 0, false
			}
			x = y
		} else if f, err := strconv.ParseFloat(operand, 64); err == nil {
			x = f
		} else if y, ok := l.length(operand, pct, em); ok {
			x = y
		} else {
			return 0, false
		}
		switch {
		case !haveTerm:
			term, haveTerm = x, true
		case op == '*':
			term *= x
		case x != 0:
			term /= x
		}
		if j >= len(v) {
			break
		}
		switch v[j] {
		case '*', '/':
			op = v[j]
		default:
			sum += sign * term
			haveTerm = false
			sign = 1
			if v[j] == '-' {
				sign = -1
			}
		}
		i = j + 1
	}
	return sum + sign*term, haveTerm
}

func (l *layouter) px(v string, pct, em float64) float64 {
	x, _ := l.length(v, pct, em)
	return x
}

// lineHeight is the height of a line of st's text.
func (st *layoutStyle) lineHeightPx(l *layouter) float64 {
	v := st.lineHeight
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return f * st.fontSize
	}
	if x, ok := l.length(v, st.fontSize, st.fontSize); ok {
		return x
	}
	return 1.2 * st.fontSize // normal
}

// box lays out element n, whose style is st, with its top margin edge at
// y in a containing block cw wide, notes the candidates it holds, and
// returns the height it takes in the flow.
func (l *layouter) box(n *html.Node, st *layoutStyle, y, cw float64) float64 {
	if st.display == "none" {
		return 0
	}
	em := st.fontSize
	var pad, mar [4]float64
	for i := range 4 {
		pad[i] = l.px(st.padding[i], cw, em)
		mar[i] = l.px(st.margin[i], cw, em)
	}
	outW := cw - mar[1] - mar[3] // border box width
	if w, ok := l.length(st.width, cw, em); ok {
		outW = w
		if !st.borderBox {
			outW += pad[1] + pad[3]
		}
	}
	if mw, ok := l.length(st.maxWidth, cw, em); ok && outW > mw {
		outW = mw
	}
	outW = max(0, outW)
	w := max(0, outW-pad[1]-pad[3])
	top := y + mar[0]
	var h float64
	if n.DataAtom == atom.Img {
		h = l.img(n, st, top, outW, cw)
		l.marTop, l.marBottom = mar[0], mar[2]
		return mar[0] + h + mar[2]
	}
	flexRow := (st.display == "flex" || st.display == "inline-flex") && !st.flexColumn
	h = l.children(n, st, top+pad[0], w, flexRow)
	if hh, ok := l.length(st.height, ViewportHeight, em); ok {
		h = hh - pad[0] - pad[2]
	} else if st.aspect > 0 {
		h = w / st.aspect
	}
	if mh, ok := l.length(st.minHeight, ViewportHeight, em); ok && mh-pad[0]-pad[2] > h {
		h = mh - pad[0] - pad[2]
	}
	h = max(0, h)
	outH := pad[0] + h + pad[2]
	if st.bg != "" && !st.invisible {
		l.image(st.bg, st.bgSheet, top, outW, outH)
	}
	l.marTop, l.marBottom = mar[0], mar[2]
	if st.position == "absolute" || st.position == "fixed" {
		l.marTop, l.marBottom = 0, 0
		return 0
	}
	return mar[0] + outH + mar[2]
}

// children lays out n's content from y in a content box w wide and
// returns its height.
func (l *layouter) children(n *html.Node, st *layoutStyle, y, w float64, row bool) float64 {
	var h float64
	chars := 0 // of the inline run not yet laid out
	// In preformatted text, the run's text as written: its line breaks
	// are kept, and a line is as wide as its characters.
	var pre strings.Builder
	keeps := keepsBreaks[st.whiteSpace]
	flush := func() {
		if chars == 0 && pre.Len() == 0 {
			return
		}
		lh := st.lineHeightPx(l)
		em := lcpTextWidth
		if st.bold {
			em = lcpBoldWidth
		}
		textW := float64(chars) * em * st.fontSize
		lines := math.Ceil(textW / max(w, 1))
		if keeps {
			textW, lines = preformatted(pre.String(), em*st.fontSize, w, st.whiteSpace != "pre")
		}
		if !st.invisible && lines > 0 {
			l.text(y+h, min(textW, w), lines*lh)
		}
		h += lines * lh
		chars = 0
		pre.Reset()
	}
	var items []*html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && !skipLayout[c.DataAtom] {
			items = append(items, c)
		}
	}
	var rowH float64
	prevBottom := 0.0 // the bottom margin of the block before, to collapse
	for c := n.FirstChild; c != nil && y+h < ViewportHeight; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode && keeps:
			pre.WriteString(c.Data)
		case c.Type == html.TextNode:
			chars += len(strings.Join(strings.Fields(c.Data), " "))
		case c.Type != html.ElementNode || skipLayout[c.DataAtom]:
		default:
			cs := l.style(c, st, w)
			if cs.display == "none" {
				continue
			}
			if row {
				cw := w
				if _, ok := l.length(cs.width, w, cs.fontSize); !ok && len(items) > 1 {
					cw = w / float64(len(items))
				}
				rowH = max(rowH, l.box(c, cs, y, cw))
				continue
			}
			if l.inline(c, cs) {
				if keeps {
					pre.WriteString(rawText(c))
				} else {
					chars += inlineChars(c)
				}
				continue
			}
			if chars > 0 || pre.Len() > 0 {
				flush()
				prevBottom = 0
			}
			// Adjoining vertical margins collapse to the larger.
			shift := min(prevBottom, l.px(cs.margin[0], w, cs.fontSize))
			if bh := l.box(c, cs, y+h-shift, w); bh > 0 {
				h += bh - shift
				prevBottom = l.marBottom
			}
		}
	}
	flush()
	return max(h, rowH)
}

// keepsBreaks lists the white-space values that keep the text's line
// breaks.
var keepsBreaks = map[string]bool{"pre": true, "pre-wrap": true, "pre-line": true, "break-spaces": true}

// skipLayout lists the elements that take no room.
var skipLayout = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Template: true, atom.Noscript: true, atom.Link: true, atom.Meta: true,
}

// inline reports whether an element is laid out as text of its line: an
// inline element without a display of its own that holds no image.
func (l *layouter) inline(n *html.Node, st *layoutStyle) bool {
	switch st.display {
	case "inline":
	case "":
		if !phrasing[n.DataAtom] && n.DataAtom != atom.Br {
			return false
		}
	default:
		return false
	}
	return !hasImage(n)
}

func hasImage(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && (c.DataAtom == atom.Img || hasImage(c)) {
			return true
		}
	}
	return false
}

func inlineChars(n *html.Node) int {
	k := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			k += len(strings.Join(strings.Fields(c.Data), " "))
		case html.ElementNode:
			k += inlineChars(c)
		}
	}
	return k
}

// rawText is the text of n's descendants as written.
func rawText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch c.Type {
			case html.TextNode:
				b.WriteString(c.Data)
			case html.ElementNode:
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}

// preformatted returns the width and the number of lines of text whose
// line breaks are kept, in a box w wide at charW a character: one line a
// line of the text, or, when wrap is set (pre-wrap, pre-line), as many as
// its width needs. White space alone makes no line.
func preformatted(text string, charW, w float64, wrap bool) (textW, lines float64) {
	if strings.TrimSpace(text) == "" {
		return 0, 0
	}
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		lw := float64(utf8.RuneCountInString(strings.ReplaceAll(line, "\t", "    "))) * charW
		textW = max(textW, lw)
		if wrap {
			lines += max(1, math.Ceil(lw/max(w, 1)))
		} else {
			lines++
		}
	}
	return textW, lines
}

// img lays out an <img> at top in a containing block cw wide and returns
// its height.
func (l *layouter) img(n *html.Node, st *layoutStyle, top, outW, cw float64) float64 {
	src, density := l.chosenImage(n)
	iw, ih, size, ok := 0, 0, int64(0), false
	if src != "" && !strings.HasPrefix(src, "data:") {
		iw, ih, size, ok = l.info(-1, src)
	}
	w, wok := l.length(st.width, cw, st.fontSize)
	h, hok := l.length(st.height, ViewportHeight, st.fontSize)
	if !wok {
		w, wok = float64(pixels(nodeAttr(n, "width"))), pixels(nodeAttr(n, "width")) > 0
	}
	if !hok && st.height == "" {
		h, hok = float64(pixels(nodeAttr(n, "height"))), pixels(nodeAttr(n, "height")) > 0
	}
	ratio := 0.0
	switch {
	case iw > 0 && ih > 0:
		ratio = float64(iw) / float64(ih)
	case wok && hok && h > 0:
		ratio = w / h
	}
	switch {
	case !wok && !hok:
		// The natural size of a candidate of density d is its pixel
		// size divided by d (a 2x image shows at half its pixels).
		w, h = float64(iw)/density, float64(ih)/density
	case !wok && ratio > 0:
		w = h * ratio
	case !hok && ratio > 0:
		h = w / ratio
	}
	if mw, ok := l.length(st.maxWidth, cw, st.fontSize); ok && w > mw && mw > 0 {
		if ratio > 0 && !hok {
			h = mw / ratio
		}
		w = mw
	}
	if ok && !st.invisible && st.display != "none" {
		l.imageSized(src, -1, top, w, h, iw, ih, size)
	}
	return h
}

// image notes a background image shown in a box w x h at top.
func (l *layouter) image(url string, sheet int, top, w, h float64) {
	if iw, ih, size, ok := l.info(sheet, url); ok {
		l.imageSized(url, sheet, top, w, h, iw, ih, size)
	}
}

// imageSized weighs an image shown w x h at top, of intrinsic size iw x ih
// and size bytes, as Chromium does (see the top of the file).
func (l *layouter) imageSized(url string, sheet int, top, w, h float64, iw, ih int, size int64) {
	area := visible(top, w, h)
	if area <= 0 || area >= ViewportWidth*ViewportHeight {
		return
	}
	if shown := w * h; iw > 0 && ih > 0 && float64(iw*ih) < shown {
		area *= float64(iw*ih) / shown
	}
	if float64(size)*8/area < minEntropy {
		return
	}
	l.consider(lcpCandidate{url: url, sheet: sheet, area: area})
}

// text notes a block of text w x h at top.
func (l *layouter) text(top, w, h float64) {
	l.consider(lcpCandidate{area: visible(top, w, h)})
}

func (l *layouter) consider(c lcpCandidate) {
	if c.area > l.best.area {
		l.best = c
	}
}

// visible is the area of a box w x h at top (and left 0) in the viewport.
func visible(top, w, h float64) float64 {
	vw := min(w, ViewportWidth)
	vh := min(top+h, ViewportHeight) - max(top, 0)
	if vw <= 0 || vh <= 0 {
		return 0
	}
	return vw * vh
}
