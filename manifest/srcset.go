package manifest

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Responsive images: the candidate a browser takes from an <img srcset> or
// a <picture>'s <source srcset> on the desktop viewport the manifest is
// made for (ViewportWidth wide, a device pixel ratio of 1). The HTML
// standard's "update the image data": the first <source> of the <picture>
// whose media matches and whose type is supported gives the source set,
// else the <img>'s srcset and src; "parse a srcset attribute" and "parse a
// sizes attribute" read them; the choice among candidates is the
// browser's, and Chromium's (HTMLSrcsetParser.cpp, SelectionLogic) takes, at
// a ratio of 1, the candidate of the smallest density of at least 1, or
// the densest when none is.

// srcCandidate is an image candidate of a source set: its URL and its
// width descriptor (w, 0 when none) or density (x, 0 when none).
type srcCandidate struct {
	url  string
	w, x float64
}

// parseSrcset reads a srcset attribute as the HTML standard's algorithm
// does; candidates with a descriptor it does not know are dropped.
func parseSrcset(s string) []srcCandidate {
	var out []srcCandidate
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }
	i := 0
	for {
		for i < len(s) && (isSpace(s[i]) || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			return out
		}
		start := i
		for i < len(s) && !isSpace(s[i]) {
			i++
		}
		u := s[start:i]
		var descs []string
		if strings.HasSuffix(u, ",") {
			u = strings.TrimRight(u, ",")
		} else {
			// descriptors up to a comma outside parentheses
			var cur strings.Builder
			depth := 0
		loop:
			for ; i < len(s); i++ {
				c := s[i]
				switch {
				case c == '(':
					depth++
				case c == ')' && depth > 0:
					depth--
				case c == ',' && depth == 0:
					i++
					break loop
				case isSpace(c) && depth == 0:
					if cur.Len() > 0 {
						descs = append(descs, cur.String())
						cur.Reset()
					}
					continue
				}
				cur.WriteByte(c)
			}
			if cur.Len() > 0 {
				descs = append(descs, cur.String())
			}
		}
		c := srcCandidate{url: u}
		ok := true
		for _, d := range descs {
			n, err := strconv.ParseFloat(d[:len(d)-1], 64)
			switch {
			case err != nil || math.IsInf(n, 0) || math.IsNaN(n):
				ok = false
			case d[len(d)-1] == 'w' && c.w == 0 && c.x == 0 && n > 0 && n == math.Trunc(n):
				c.w = n
			case d[len(d)-1] == 'x' && c.w == 0 && c.x == 0 && n >= 0:
				c.x = n
			case d[len(d)-1] == 'h':
				// a height descriptor: allowed with a width, not used
			default:
				ok = false
			}
		}
		if ok && u != "" {
			out = append(out, c)
		}
	}
}

// sourceSize reads a sizes attribute: the length of the first entry whose
// media condition holds on the desktop viewport, 100vw when none does (or
// the attribute is absent or "auto").
func (l *layouter) sourceSize(sizes string) float64 {
	for _, entry := range splitTop(sizes, ',') {
		entry = strings.ToLower(strings.TrimSpace(entry))
		cond, length := "", entry
		if i := lastComponent(entry); i > 0 {
			cond, length = strings.TrimSpace(entry[:i]), entry[i:]
		}
		if cond != "" && !mediaMatchesDesktop(cond) {
			continue
		}
		if v, ok := l.length(length, ViewportWidth, 16); ok && v >= 0 && !strings.HasSuffix(length, "%") {
			return v
		}
		if cond == "" {
			break // the last entry, unreadable: the default
		}
	}
	return ViewportWidth
}

// lastComponent returns where the last component of a sizes entry starts:
// after the last white space outside parentheses.
func lastComponent(s string) int {
	depth := 0
	at := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ' ', '\t', '\n':
			if depth == 0 {
				at = i + 1
			}
		}
	}
	return at
}

// pickCandidate returns the candidate Chromium takes at a device pixel
// ratio of 1 from the source set cands, whose width descriptors are
// divided by size, and its density; ok is false when cands is empty.
func pickCandidate(cands []srcCandidate, size float64) (string, float64, bool) {
	type dense struct {
		url     string
		density float64
	}
	var ds []dense
	for _, c := range cands {
		d := 1.0
		switch {
		case c.w > 0:
			d = c.w / max(size, 1)
		case c.x > 0:
			d = c.x
		}
		ds = append(ds, dense{c.url, d})
	}
	if len(ds) == 0 {
		return "", 0, false
	}
	slices.SortStableFunc(ds, func(a, b dense) int {
		switch {
		case a.density < b.density:
			return -1
		case a.density > b.density:
			return 1
		}
		return 0
	})
	for _, d := range ds {
		if d.density >= 1 {
			return d.url, d.density, true
		}
	}
	last := ds[len(ds)-1]
	return last.url, last.density, true
}

// chosenImage returns the image the browser shows for the <img> n on the
// desktop viewport and its density: its src (density 1) unless it has a
// srcset or stands in a <picture> with a <source> that applies.
func (l *layouter) chosenImage(n *html.Node) (string, float64) {
	if p := n.Parent; p != nil && p.DataAtom == atom.Picture {
		for c := p.FirstChild; c != nil && c != n; c = c.NextSibling {
			if c.Type != html.ElementNode || c.DataAtom != atom.Source {
				continue
			}
			srcset, ok := attrOf(c, "srcset")
			if !ok || !mediaMatchesDesktop(nodeAttr(c, "media")) || !imageTypeSupported(nodeAttr(c, "type")) {
				continue
			}
			cands := parseSrcset(srcset)
			if len(cands) == 0 {
				continue
			}
			u, d, _ := pickCandidate(cands, l.sourceSize(nodeAttr(c, "sizes")))
			return u, d
		}
	}
	src := strings.TrimSpace(nodeAttr(n, "src"))
	srcset, ok := attrOf(n, "srcset")
	if !ok {
		return src, 1
	}
	cands := parseSrcset(srcset)
	// src is a candidate of density 1 unless the set has one, or has
	// width descriptors.
	withSrc := src != ""
	for _, c := range cands {
		if c.w > 0 || c.x == 1 || c.w == 0 && c.x == 0 {
			withSrc = false
		}
	}
	if withSrc {
		cands = append(cands, srcCandidate{url: src, x: 1})
	}
	u, d, ok := pickCandidate(cands, l.sourceSize(nodeAttr(n, "sizes")))
	if !ok {
		return src, 1
	}
	return u, d
}

func attrOf(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// imageTypeSupported reports whether Chromium shows images of the MIME
// type of a <source type> ("" is any). Chromium 156 shows JPEG XL
// (checked in TestAgainstChromium).
func imageTypeSupported(t string) bool {
	t, _, _ = strings.Cut(strings.ToLower(strings.TrimSpace(t)), ";")
	switch strings.TrimSpace(t) {
	case "", "image/avif", "image/jxl", "image/webp", "image/jpeg", "image/jpg", "image/png", "image/apng",
		"image/gif", "image/svg+xml", "image/bmp", "image/x-icon", "image/vnd.microsoft.icon":
		return true
	}
	return false
}

// srcsetURLs returns the URLs of a srcset attribute, for the extractor
// (which knows no viewport): any of them may be the one shown.
func srcsetURLs(s string) []string {
	var out []string
	for _, c := range parseSrcset(s) {
		out = append(out, c.url)
	}
	return out
}
