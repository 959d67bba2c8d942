package manifest

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// sheet is what scanning keeps of a stylesheet.
type sheet struct {
	imports []ref
	faces   []fontFace
	// families are the font families its rules use (lower case), and
	// italic says whether any rule asks for an italic or oblique style.
	families map[string]bool
	italic   bool
	// weights are the font weights its rules ask for; anyWeight is set when
	// a rule's weight cannot be known here (bolder, lighter, var()).
	weights   map[int]bool
	anyWeight bool
	// backgrounds are background images set by rules on a class or an id;
	// images the URLs of background images of any rule.
	backgrounds []background
	images      []string
	// rules are its style rules that set a font, display, content or a
	// custom property, in source order, for the style engine (style.go);
	// rules under a media query a desktop screen does not match are left
	// out.
	rules []styleRule
	// layers are the names of its cascade layers in the order they are
	// first declared (nested ones as "outer.inner").
	layers []string
}

type fontFace struct {
	family string // lower case
	italic bool
	// notLatin is set when the face's unicode-range leaves out every
	// printable ASCII character: a subset for another script (cyrillic,
	// greek, ...), which a browser fetches only for a page that shows
	// its characters.
	notLatin bool
	// weight is the range of its font-weight descriptor; zero when it has
	// none, and it may serve any weight.
	weight  [2]int
	unicode string // its unicode-range as written: faces of one range form a set
	src     ref
}

type background struct {
	selector string // ".hero" or "#banner"
	src      ref
}

// scanCSS reads a stylesheet the forgiving way a browser does: what it cannot
// parse it skips. It never fails.
func scanCSS(src string) *sheet {
	// A browser drops a UTF-8 byte order mark when it decodes the sheet;
	// left in, it would hide the first rule (an @import, an @font-face).
	// It is on the first line, so line numbers stay those of the file.
	src = strings.TrimPrefix(src, "\ufeff")
	s := &sheet{families: map[string]bool{}}
	sc := &cssScanner{text: blankComments(src)}
	sc.lines = lineStarts(sc.text)
	sc.block(s, 0, len(sc.text), true, true)
	return s
}

type cssScanner struct {
	text  string
	lines []int
	// offscreen counts the enclosing @media rules a desktop screen does not
	// match; inStyle the enclosing style rules (nesting).
	offscreen, inStyle int
	// layer is the name of the enclosing cascade layer, "" for none.
	layer string
}

// blankComments replaces every /* comment */ with spaces, keeping newlines so
// offsets and line numbers stay those of the source.
func blankComments(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\'':
			j := skipString(s, i)
			i = j - 1
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			if b == nil {
				b = []byte(s)
			}
			end := strings.Index(s[i+2:], "*/")
			stop := len(s)
			if end >= 0 {
				stop = i + 2 + end + 2
			}
			for k := i; k < stop; k++ {
				if b[k] != '\n' {
					b[k] = ' '
				}
			}
			i = stop - 1
		}
	}
	if b == nil {
		return s
	}
	return string(b)
}

// skipString returns the offset just past the string starting at s[i].
func skipString(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q, '\n':
			return j + 1
		}
	}
	return len(s)
}

func lineStarts(s string) []int {
	starts := []int{0}
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

func (sc *cssScanner) line(off int) int {
	return sort.Search(len(sc.lines), func(i int) bool { return sc.lines[i] > off })
}

// until returns the offset of the first of stops in text[i:end] outside
// strings and blocks, or end. Blocks nest as CSS Syntax's component values
// do: inside a '(' only its ')' closes, and a '}' there is any character.
func (sc *cssScanner) until(i, end int, stops string) int {
	var buf [16]byte
	stack := buf[:0] // the closers expected, innermost last
	for ; i < end; i++ {
		c := sc.text[i]
		switch {
		case c == '"' || c == '\'':
			i = skipString(sc.text, i) - 1
		case c == '\\':
			i++
		case len(stack) == 0 && strings.IndexByte(stops, c) >= 0:
			return i
		case c == '(' && sc.unquotedURL(i):
			i = sc.urlEnd(i+1, end) - 1
		case c == '(':
			stack = append(stack, ')')
		case c == '[':
			stack = append(stack, ']')
		case c == '{':
			stack = append(stack, '}')
		case len(stack) > 0 && c == stack[len(stack)-1]:
			stack = stack[:len(stack)-1]
		}
	}
	return end
}

// unquotedURL reports whether the '(' at text[i] opens an unquoted url(),
// which the tokenizer reads as one token up to its ')': quotes and brackets
// inside it are bytes of a (bad) URL.
func (sc *cssScanner) unquotedURL(i int) bool {
	if i < 3 || !strings.EqualFold(sc.text[i-3:i], "url") || i > 3 && (isNameChar(sc.text[i-4]) || sc.text[i-4] >= 0x80 || sc.text[i-4] == '\\') {
		return false
	}
	j := i + 1
	for j < len(sc.text) && isSpace(sc.text[j]) {
		j++
	}
	return j >= len(sc.text) || sc.text[j] != '"' && sc.text[j] != '\''
}

// urlEnd returns the offset past the ')' that ends an unquoted url() whose
// text starts at text[i], escapes skipped; end when there is none.
func (sc *cssScanner) urlEnd(i, end int) int {
	for ; i < end; i++ {
		switch sc.text[i] {
		case '\\':
			i++
		case ')':
			return i + 1
		}
	}
	return end
}

// matching returns the offset of the '}' closing the block opened at text[i]
// (exclusive end when unclosed).
func (sc *cssScanner) matching(i, end int) int {
	return sc.until(i+1, end, "}")
}

// block reads the rules in text[i:end], as CSS Syntax consumes a list of
// rules. outer says whether it is the stylesheet's own list, where the
// tokens <!-- and --> (CDO, CDC) are skipped; top whether @import may still
// appear (only before any other rule, as CSS requires). A rule that does
// not start with '@' is a qualified rule whose prelude runs to its block:
// a stray ';' or '}' is part of it, so "; @import ...;" hides the import.
func (sc *cssScanner) block(s *sheet, i, end int, outer, top bool) {
	for i < end {
		for i < end {
			switch {
			case isSpace(sc.text[i]):
				i++
				continue
			case outer && strings.HasPrefix(sc.text[i:end], "<!--"):
				i += len("<!--")
				continue
			case outer && strings.HasPrefix(sc.text[i:end], "-->"):
				i += len("-->")
				continue
			}
			break
		}
		if i >= end {
			return
		}
		start := i
		if sc.text[i] != '@' || !startsIdent(sc.text[i+1:end]) { // "@" alone is no at-rule
			stop := sc.until(i, end, "{")
			if stop >= end {
				return // a rule without a block is dropped
			}
			close := sc.matching(stop, end)
			sc.rule(s, strings.TrimSpace(sc.text[start:stop]), stop+1, close)
			top = false
			i = close + 1
			continue
		}
		stop := sc.until(i, end, "{;")
		prelude := strings.TrimSpace(sc.text[start:stop])
		if stop >= end || sc.text[stop] == ';' {
			if name, rest := atName(prelude); name == "layer" {
				for _, l := range splitTop(rest, ',') {
					sc.declareLayer(s, strings.TrimSpace(l), start)
				}
			}
			if top {
				top = sc.statement(s, prelude, start)
			}
			i = stop + 1
			continue
		}
		close := sc.matching(stop, end)
		sc.rule(s, prelude, stop+1, close)
		// Only @charset and @layer statements (@layer a, b;) may come
		// before @import; any rule with a block, @layer x { } too, ends them.
		top = false
		i = close + 1
	}
}

// statement handles an at-rule without a block; it reports whether
// @import may still follow.
func (sc *cssScanner) statement(s *sheet, prelude string, off int) bool {
	name, rest := atName(prelude)
	switch name {
	case "import":
		urls := cssURLs(rest)
		if len(urls) == 0 {
			return true
		}
		media := mediaAfterURL(rest)
		if mediaCanMatchScreen(media) {
			s.imports = append(s.imports, ref{url: urls[0], why: WhyImport, as: "style", line: sc.line(off), media: media})
		}
		return true
	case "charset", "layer":
		return true
	}
	return false
}

// mediaAfterURL returns the media query list that follows an @import's URL,
// @import url [layer | layer(name)]? [supports(condition)]? [media]?, leaving
// out the layer and the supports() condition. A supports() condition is not
// judged: a current Chromium supports most of what sites test for, so such
// an import counts as loaded, and critical when its media can match a screen.
func mediaAfterURL(rest string) string {
	rest = strings.TrimSpace(rest)
	if rest != "" && (rest[0] == '"' || rest[0] == '\'') {
		rest = rest[skipString(rest, 0):]
	} else if hasPrefixFold(rest, "url(") {
		rest = rest[skipParens(rest, len("url")):]
	}
	rest = strings.TrimSpace(rest)
	if hasPrefixFold(rest, "layer(") {
		rest = rest[skipParens(rest, len("layer")):]
	} else if hasPrefixFold(rest, "layer") && (len(rest) == len("layer") || isSpace(rest[len("layer")])) {
		rest = rest[len("layer"):]
	}
	rest = strings.TrimSpace(rest)
	if hasPrefixFold(rest, "supports(") {
		rest = rest[skipParens(rest, len("supports")):]
	}
	return strings.TrimSpace(rest)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// skipParens returns the offset just past the ')' that closes the '(' at
// s[i], skipping strings and nested parentheses; len(s) when unclosed.
func skipParens(s string, i int) int {
	depth := 0
	for ; i < len(s); i++ {
		switch s[i] {
		case '"', '\'':
			i = skipString(s, i) - 1
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(s)
}

func atName(prelude string) (name, rest string) {
	p := prelude[1:]
	n := 0
	for n < len(p) && (isNameChar(p[n])) {
		n++
	}
	return strings.ToLower(p[:n]), p[n:]
}

func isNameChar(c byte) bool {
	return c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// declareLayer notes the cascade layer name (an anonymous one when "",
// named by its offset) inside the current one, and returns its full name.
func (sc *cssScanner) declareLayer(s *sheet, name string, off int) string {
	if name == "" {
		name = "\x00" + strconv.Itoa(off)
	}
	if sc.layer != "" {
		name = sc.layer + "." + name
	}
	if !slices.Contains(s.layers, name) {
		s.layers = append(s.layers, name)
	}
	return name
}

// rule handles a rule with a block text[i:end].
func (sc *cssScanner) rule(s *sheet, prelude string, i, end int) {
	if strings.HasPrefix(prelude, "@") {
		name, rest := atName(prelude)
		switch name {
		case "media":
			if mediaCanMatchScreen(rest) {
				desktop := mediaMatchesDesktop(rest)
				if !desktop {
					sc.offscreen++
				}
				sc.block(s, i, end, false, false)
				if !desktop {
					sc.offscreen--
				}
			}
		case "layer":
			outer := sc.layer
			sc.layer = sc.declareLayer(s, strings.TrimSpace(rest), i)
			sc.block(s, i, end, false, false)
			sc.layer = outer
		case "supports", "container", "scope", "document", "-moz-document", "starting-style":
			sc.block(s, i, end, false, false)
		case "font-face":
			sc.fontFace(s, i, end)
		}
		return // @keyframes, @page, @counter-style...: nothing critical
	}
	sc.declarations(s, prelude, i, end)
}

// decls splits text[i:end] into declarations, calling fn with each lower-case
// property name, its value and its offset. Nested rules are handed to nested.
func (sc *cssScanner) decls(i, end int, fn func(name, value string, off int), nested func(prelude string, i, end int)) {
	for i < end {
		stop := sc.until(i, end, ";{")
		if stop < end && sc.text[stop] == '{' {
			close := sc.matching(stop, end)
			nested(strings.TrimSpace(sc.text[i:stop]), stop+1, close)
			i = close + 1
			continue
		}
		if name, value, ok := strings.Cut(sc.text[i:stop], ":"); ok {
			fn(strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value), i)
		}
		i = stop + 1
	}
}

func (sc *cssScanner) declarations(s *sheet, selector string, i, end int) {
	r := styleRule{selector: selector, nested: sc.inStyle > 0, layer: sc.layer}
	sc.inStyle++
	defer func() {
		sc.inStyle--
		if len(r.decls) > 0 && sc.offscreen == 0 {
			s.rules = append(s.rules, r)
		}
	}()
	sc.decls(i, end, func(name, value string, off int) {
		if styleProperty(name) {
			v := withoutImportant(value)
			r.decls = append(r.decls, styleDecl{name, strings.TrimSpace(v), len(v) != len(value)})
		}
		switch {
		case name == "font-family" || strings.HasPrefix(name, "--"):
			for _, f := range familyList(value) {
				s.families[f] = true
			}
		case name == "font":
			for _, f := range shorthandFamilies(value) {
				s.families[f] = true
			}
			low := strings.ToLower(value)
			if strings.Contains(low, "italic") || strings.Contains(low, "oblique") {
				s.italic = true
			}
			for _, w := range shorthandPrefix(value) {
				if _, ok := weightOf(w); ok || strings.Contains(strings.ToLower(w), "var(") {
					s.noteWeight(w)
				}
			}
		case name == "font-style":
			if v := strings.ToLower(value); strings.Contains(v, "italic") || strings.Contains(v, "oblique") {
				s.italic = true
			}
		case name == "font-weight":
			s.noteWeight(value)
		case name == "background" || name == "background-image":
			if urls := cssURLs(value); len(urls) > 0 {
				r := ref{url: urls[0], why: WhyHero, as: "image", line: sc.line(off), sizeFromFile: true}
				if sel := simpleSelector(selector); sel != "" {
					s.backgrounds = append(s.backgrounds, background{sel, r})
				}
				if !slices.Contains(s.images, urls[0]) {
					s.images = append(s.images, urls[0])
				}
			}
		}
	}, func(prelude string, i, end int) {
		// Nested in a style rule, @media and the other conditional rules
		// hold declarations for its elements; an @font-face there is
		// invalid.
		name, rest := atName(prelude + " ")
		switch {
		case !strings.HasPrefix(prelude, "@"):
			sc.rule(s, prelude, i, end)
		case name == "font-face" || name == "media" && !mediaCanMatchScreen(rest):
		default:
			off := name == "media" && !mediaMatchesDesktop(rest)
			if off {
				sc.offscreen++
			}
			sc.declarations(s, prelude, i, end)
			if off {
				sc.offscreen--
			}
		}
	})
}

// simpleSelector returns the selector's subject when it is a single class
// or id (".hero", "div#banner" → "#banner"), the only kind matched against a
// page's early elements.
func simpleSelector(sel string) string {
	sel = strings.TrimSpace(sel)
	if strings.ContainsAny(sel, " ,>+~:[*") {
		return ""
	}
	if k := strings.IndexAny(sel, ".#"); k >= 0 && !strings.ContainsAny(sel[k+1:], ".#") {
		return sel[k:]
	}
	return ""
}

func (sc *cssScanner) fontFace(s *sheet, i, end int) {
	var f fontFace
	var srcs []ref
	sc.decls(i, end, func(name, value string, off int) {
		switch name {
		case "font-family":
			if fams := familyList(value); len(fams) > 0 {
				f.family = fams[0]
			}
		case "font-style":
			v := strings.ToLower(value)
			f.italic = strings.Contains(v, "italic") || strings.Contains(v, "oblique")
		case "src":
			srcs = fontSources(value, sc.line(off))
		case "unicode-range":
			f.notLatin = !coversASCII(value)
			f.unicode = strings.ToLower(strings.Join(strings.Fields(value), ""))
		case "font-weight":
			f.weight = faceWeight(value)
		}
	}, func(string, int, int) {})
	if f.family == "" || len(srcs) == 0 {
		return
	}
	f.src = srcs[0]
	s.faces = append(s.faces, f)
}

// coversASCII reports whether a unicode-range value (U+0-7F, U+4??, U+20AC)
// includes a printable ASCII character. Anything it cannot read counts as
// covering: a face is left out only when it surely is for other text.
func coversASCII(value string) bool {
	for _, item := range strings.Split(value, ",") {
		item = strings.ToLower(strings.TrimSpace(item))
		if !strings.HasPrefix(item, "u+") {
			return true
		}
		item = item[2:]
		lo, hi, ok := strings.Cut(item, "-")
		if !ok {
			lo, hi = strings.ReplaceAll(item, "?", "0"), strings.ReplaceAll(item, "?", "f")
		}
		a, err1 := strconv.ParseUint(lo, 16, 32)
		b, err2 := strconv.ParseUint(hi, 16, 32)
		if err1 != nil || err2 != nil || a <= 0x7e && b >= 0x20 {
			return true
		}
	}
	return false
}

// fontSources returns the url() entries of an @font-face src that a current
// browser can use, in the order it would try them; local() entries and
// formats no browser supports any more (embedded-opentype, svg) are left out.
func fontSources(value string, line int) []ref {
	var out []ref
	for _, item := range splitTop(value, ',') {
		low := strings.ToLower(item)
		if !strings.Contains(low, "url(") {
			continue
		}
		urls := cssURLs(item)
		if len(urls) == 0 {
			continue
		}
		if k := strings.Index(low, "format("); k >= 0 {
			format := strings.Trim(strings.TrimSpace(strings.SplitN(low[k+len("format("):], ")", 2)[0]), `"'`)
			if !supportedFontFormat[format] {
				continue
			}
		} else if ext := strings.ToLower(pathExt(urls[0])); ext == ".eot" || ext == ".svg" {
			continue
		}
		out = append(out, ref{url: urls[0], why: WhyFontFace, as: "font", crossOrigin: "anonymous", line: line})
	}
	return out
}

var supportedFontFormat = map[string]bool{
	"woff2": true, "woff": true, "truetype": true, "opentype": true, "collection": true,
	"woff2-variations": true, "woff-variations": true, "truetype-variations": true, "opentype-variations": true,
}

func pathExt(u string) string {
	if k := strings.IndexAny(u, "?#"); k >= 0 {
		u = u[:k]
	}
	if k := strings.LastIndexByte(u, '.'); k >= 0 && !strings.Contains(u[k:], "/") {
		return u[k:]
	}
	return ""
}

// splitTop splits s at sep outside strings and parentheses.
func splitTop(s string, sep byte) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\'':
			i = skipString(s, i) - 1
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == sep && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// familyList reads a font-family value into lower-case names without quotes
// or escapes (My\ Font and "My Font" are one family), and without !important.
func familyList(value string) []string {
	var out []string
	for _, f := range splitTop(withoutImportant(value), ',') {
		f = strings.TrimSpace(f)
		if f != "" && (f[0] == '"' || f[0] == '\'') {
			end := skipString(f, 0)
			if end > 1 && f[end-1] == f[0] {
				end--
			}
			f = f[1:max(1, end)]
		}
		f = strings.Join(strings.Fields(unescapeCSS(f)), " ")
		if f != "" {
			out = append(out, strings.ToLower(f))
		}
	}
	return out
}

// withoutImportant cuts a trailing "!important" (any case, with space
// allowed after the "!") off a declaration's value.
func withoutImportant(value string) string {
	v := strings.TrimSpace(value)
	if k := strings.LastIndexByte(v, '!'); k >= 0 && strings.EqualFold(strings.TrimSpace(v[k+1:]), "important") {
		return v[:k]
	}
	return value
}

// unescapeCSS resolves the escapes of a CSS identifier, string or url(): a
// backslash and up to six hex digits (and one white space after them) is
// that code point, a backslash before a newline is dropped, and a backslash
// before any other character is that character.
func unescapeCSS(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch {
		case s[i] == '\n':
		case isHex(s[i]):
			j := i
			for j < len(s) && j-i < 6 && isHex(s[j]) {
				j++
			}
			r, _ := strconv.ParseUint(s[i:j], 16, 32)
			if r == 0 || r > unicode.MaxRune || r >= 0xD800 && r <= 0xDFFF {
				r = unicode.ReplacementChar
			}
			b.WriteRune(rune(r))
			if j < len(s) && isSpace(s[j]) {
				j++
			}
			i = j - 1
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// noteWeight records the weight a font-weight value asks for.
func (s *sheet) noteWeight(value string) {
	switch w, ok := weightOf(value); {
	case ok:
		if s.weights == nil {
			s.weights = map[int]bool{}
		}
		s.weights[w] = true
	case w < 0:
		s.anyWeight = true
	}
}

// weightOf reads a font weight: a number from 1 to 1000, normal or bold.
// For bolder, lighter, var() and what it cannot read it returns -1; for
// the CSS-wide keywords (inherit, ...), 0: no weight of its own.
func weightOf(value string) (int, bool) {
	v := strings.ToLower(strings.TrimSpace(withoutImportant(value)))
	switch v {
	case "normal":
		return 400, true
	case "bold":
		return 700, true
	case "inherit", "initial", "unset", "revert", "revert-layer":
		return 0, false
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 1 && n <= 1000 {
		return int(n), true
	}
	return -1, false
}

// faceWeight reads an @font-face font-weight descriptor: one weight, or a
// range (100 900) of a variable font. Zero when it cannot be read.
func faceWeight(value string) [2]int {
	words := strings.Fields(value)
	if len(words) == 0 || len(words) > 2 {
		return [2]int{}
	}
	lo, ok1 := weightOf(words[0])
	hi, ok2 := lo, ok1
	if len(words) == 2 {
		hi, ok2 = weightOf(words[1])
	}
	if !ok1 || !ok2 {
		return [2]int{}
	}
	return [2]int{min(lo, hi), max(lo, hi)}
}

// shorthandPrefix returns the words of a font shorthand before its size:
// style, variant, weight and stretch.
func shorthandPrefix(value string) []string {
	first := splitSpaces(splitTop(value, ',')[0])
	for k, w := range first {
		size, _, _ := strings.Cut(w, "/")
		if isFontSize(size) {
			return first[:k]
		}
	}
	return nil
}

// shorthandFamilies reads the family list at the end of a font shorthand,
// [style || variant || weight || stretch]? size [/ line-height]? family:
// everything after the size (and line height) is the family list. The size
// is the first length, percentage, size keyword or math function; what comes
// before it (italic, small-caps, bold, 400, condensed, var()) is skipped, so a
// numeric weight is not taken for the size.
func shorthandFamilies(value string) []string {
	parts := splitTop(value, ',')
	first := splitSpaces(parts[0])
	for k, w := range first {
		size, after, slash := strings.Cut(w, "/")
		if !isFontSize(size) {
			continue
		}
		rest := first[k+1:]
		switch {
		case slash && after == "" && len(rest) > 0: // 16px/ 1.5
			rest = rest[1:]
		case slash: // 16px/1.5
		case len(rest) > 0 && rest[0] == "/": // 16px / 1.5
			rest = rest[min(2, len(rest)):]
		case len(rest) > 0 && strings.HasPrefix(rest[0], "/"): // 16px /1.5
			rest = rest[1:]
		}
		parts[0] = strings.Join(rest, " ")
		return familyList(strings.Join(parts, ","))
	}
	if len(parts) > 1 || len(first) == 1 {
		return familyList(strings.Join(parts, ","))
	}
	return nil
}

// splitSpaces splits s at white space outside strings and parentheses and
// not escaped, so calc(1rem + 2px), "Open Sans" and Open\ Sans stay one word.
func splitSpaces(s string) []string {
	var words []string
	depth, start := 0, -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || depth == 0 && isSpace(s[i]) {
			if start >= 0 {
				words = append(words, s[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
		switch c := s[i]; {
		case c == '"' || c == '\'':
			i = skipString(s, i) - 1
		case c == '\\' && i+1 < len(s):
			i++ // My\ Font is one word
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		}
	}
	return words
}

// isFontSize reports whether a word of a font shorthand is a font size: a
// length or percentage (0 too), a size keyword or a math function. A number
// without a unit is a weight (1 to 1000), not a size.
func isFontSize(w string) bool {
	w = strings.ToLower(w)
	switch w {
	case "xx-small", "x-small", "small", "medium", "large", "x-large", "xx-large", "xxx-large", "smaller", "larger":
		return true
	}
	for _, fn := range []string{"calc(", "clamp(", "min(", "max("} {
		if strings.HasPrefix(w, fn) {
			return true
		}
	}
	n := 0
	if n < len(w) && (w[n] == '+' || w[n] == '-') {
		n++
	}
	digits := 0
	for n < len(w) && (w[n] >= '0' && w[n] <= '9' || w[n] == '.') {
		if w[n] != '.' {
			digits++
		}
		n++
	}
	if digits == 0 {
		return false
	}
	unit := w[n:]
	if unit == "" {
		return strings.Trim(w, "+-0.") == "" // 0 is a length; 400 a weight
	}
	if unit == "%" {
		return true
	}
	for i := 0; i < len(unit); i++ {
		if unit[i] < 'a' || unit[i] > 'z' {
			return false
		}
	}
	return true
}

// cssURLs returns the URLs of every url(...) in a value, or of a lone
// string (as in @import "a.css").
func cssURLs(value string) []string {
	var out []string
	low := string(lowerASCII([]byte(value))) // offsets stay those of value, whatever its bytes
	for i := 0; i < len(value); {
		k := strings.Index(low[i:], "url(")
		if k < 0 {
			break
		}
		j := i + k + len("url(")
		for j < len(value) && isSpace(value[j]) {
			j++
		}
		var u string
		if j < len(value) && (value[j] == '"' || value[j] == '\'') {
			e := skipString(value, j)
			u = unescapeCSS(value[j+1 : max(j+1, e-1)])
			i = e
			k := e
			for k < len(value) && isSpace(value[k]) {
				k++
			}
			if value[e-1] == '\n' || k < len(value) && value[k] != ')' {
				u = "" // a string cut by a newline, or more than it before ')'
			}
		} else {
			e := strings.IndexByte(value[j:], ')')
			if e < 0 {
				e = len(value) - j
			}
			u = strings.TrimSpace(value[j : j+e])
			if badURL(u) {
				u = ""
			}
			u = unescapeCSS(u)
			i = j + e
		}
		if u = strings.TrimSpace(u); u != "" && !strings.HasPrefix(strings.ToLower(u), "data:") {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		v := strings.TrimSpace(value)
		if v != "" && (v[0] == '"' || v[0] == '\'') {
			e := skipString(v, 0)
			if u := unescapeCSS(v[1:max(1, e-1)]); u != "" {
				out = append(out, u)
			}
		}
	}
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// badURL reports whether the text of an unquoted url() makes it a bad URL
// to a CSS tokenizer, which a browser drops: a quote, '(', white space
// inside or a control character, not escaped.
func badURL(u string) bool {
	for i := 0; i < len(u); i++ {
		switch c := u[i]; {
		case c == '\\' && i+1 < len(u) && u[i+1] != '\n' && u[i+1] != '\r' && u[i+1] != '\f':
			i++
		case c == '\\', c == '"', c == '\'', c == '(', isSpace(c), c <= 0x1f, c == 0x7f:
			return true
		}
	}
	return false
}

// startsIdent reports whether s starts with an identifier, as CSS Syntax's
// "would start an ident sequence": a letter, '_' or non-ASCII, an escape,
// or '-' followed by one of those or another '-'.
func startsIdent(s string) bool {
	identStart := func(s string) bool {
		if s == "" {
			return false
		}
		c := s[0]
		return c == '_' || c >= 0x80 || c|0x20 >= 'a' && c|0x20 <= 'z' || c == '\\' && len(s) > 1 && s[1] != '\n'
	}
	if s != "" && s[0] == '-' {
		return len(s) > 1 && s[1] == '-' || identStart(s[1:])
	}
	return identStart(s)
}
