package manifest

import (
	"bytes"

	"golang.org/x/net/html"
)

// tag is a tag read from a page's source.
type tag struct {
	n           int    // its length in bytes, from '<' to '>'
	name        []byte // in lower case
	attrs       attrList
	selfClosing bool // ends in "/>" (as the tokenizer tells it from "<p a=/>")
}

// scanTag reads the tag at the front of b (b[0] is '<', or the '/' of an
// end tag; b[1] a letter) exactly as x/net/html's tokenizer reads it,
// without its per-byte reads and per-attribute copies. Its attributes are
// those whose key, in lower case, keep accepts (all with a nil keep), the
// first of duplicates kept. ok is false when the page ends before the tag's
// '>'; exact is false when a kept attribute holds a byte the tokenizer
// treats specially ('&', '\r', NUL): readTag then asks the tokenizer for
// them. FuzzScanTag holds the two to each other.
//
// The attributes are appended to attrs, the caller's to reuse from tag to
// tag (a page has thousands): t.attrs is only good until the next call.
func scanTag(b []byte, keep func(key []byte) bool, attrs attrList) (t tag, exact, ok bool) {
	if bytes.IndexByte(b, '>') < 0 {
		return tag{}, false, false
	}
	i := 2
	nameEnd := -1
	for ; i < len(b); i++ {
		switch c := b[i]; c {
		case ' ', '\n', '\r', '\t', '\f':
			nameEnd = i
			i++
		case '/', '>':
			nameEnd = i
		default:
			continue
		}
		break
	}
	if nameEnd < 0 {
		return tag{}, false, false
	}
	t.name = lowerASCII(b[1:nameEnd])
	exact = bytes.IndexByte(t.name, 0) < 0 // the tokenizer writes NUL as U+FFFD
	var keys keySet                        // every key met, to tell the first of duplicates
	lastValueEnd := -1                     // where the value of the last attribute kept by the tokenizer ends
	kept := make([]span, 0, 16)            // the attributes kept, made strings at the end
	skipSpace := func() bool {
		for ; i < len(b); i++ {
			switch b[i] {
			case ' ', '\n', '\r', '\t', '\f':
				continue
			}
			return true
		}
		return false
	}
	if !skipSpace() {
		return tag{}, false, false
	}
	for {
		if i >= len(b) {
			return tag{}, false, false
		}
		if b[i] == '>' {
			i++
			break
		}
		// The attribute's key: an '=' is part of it only in first place.
		ks := i
		for {
			if i >= len(b) {
				return tag{}, false, false
			}
			c := b[i]
			i++
			if c == '=' && i == ks+1 {
				continue
			}
			if c == '=' || c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '/' || c == '>' {
				i--
				break
			}
		}
		key := b[ks:i]
		// Its value.
		var val []byte
		vs := 0 // val is b[vs:vs+len(val)]
		valueEnd := i
		if !skipSpace() {
			return tag{}, false, false
		}
		switch c := b[i]; {
		case c == '/':
			i++
		case c != '=':
		default:
			i++
			if !skipSpace() {
				return tag{}, false, false
			}
			switch q := b[i]; q {
			case '>':
			case '\'', '"':
				end := bytes.IndexByte(b[i+1:], q)
				if end < 0 {
					return tag{}, false, false
				}
				vs, val = i+1, b[i+1:i+1+end]
				i += end + 2
				valueEnd = i - 1
			default:
				vs = i
				for ; i < len(b); i++ {
					c := b[i]
					if c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '>' {
						break
					}
				}
				if i >= len(b) {
					return tag{}, false, false
				}
				val, valueEnd = b[vs:i], i
				if b[i] != '>' {
					i++ // the white space ends the value
				}
			}
		}
		if len(key) > 0 && keys.add(key) {
			lastValueEnd = valueEnd
			if lower := lowerASCII(key); keep == nil || keep(lower) {
				if bytes.IndexByte(lower, 0) >= 0 || bytes.ContainsAny(val, "&\r\x00") {
					exact = false
				}
				sp := span{k0: ks, k1: ks + len(key), v0: vs, v1: vs + len(val)}
				if &lower[0] != &key[0] {
					sp.lower = lower // a copy: the key had upper case
				}
				kept = append(kept, sp)
			}
		}
		if !skipSpace() {
			return tag{}, false, false
		}
	}
	t.n = i
	t.selfClosing = b[i-2] == '/' && lastValueEnd-1 != i-2
	t.attrs = appendAttrs(attrs, b, kept)
	return t, exact, true
}

// span is where an attribute scanTag keeps stands in the tag: its key at
// b[k0:k1] (lower holds it in lower case when it was not), its value at
// b[v0:v1].
type span struct {
	k0, k1, v0, v1 int
	lower          []byte
}

// maxShared bounds the tag text whose kept attributes share one string:
// a string holds all its bytes for as long as any part of it is kept, and
// a page's URL must not hold a long attribute of its tag beside it.
const maxShared = 1 << 10

// appendAttrs appends the attributes at spans of b to attrs. Their keys and
// values are cut from one string of the tag's text, not copied one by one:
// an attribute costs no allocation of its own.
func appendAttrs(attrs attrList, b []byte, spans []span) attrList {
	if len(spans) == 0 {
		return attrs
	}
	lo, hi := spans[0].k0, 0
	for _, s := range spans {
		hi = max(hi, s.k1, s.v1)
	}
	var text string
	cut := func(from, to int) string {
		switch {
		case from == to:
			return ""
		case text == "":
			return string(b[from:to]) // a long tag: each copied alone
		}
		return text[from-lo : to-lo]
	}
	if hi-lo <= maxShared {
		text = string(b[lo:hi])
	}
	for _, s := range spans {
		a := attr{val: cut(s.v0, s.v1)}
		if s.lower != nil {
			a.key = string(s.lower)
		} else {
			a.key = cut(s.k0, s.k1)
		}
		attrs = append(attrs, a)
	}
	return attrs
}

// keySet is the attribute keys of one tag, compared in ASCII lower case.
type keySet struct {
	few  [8][]byte
	n    int
	many map[string]bool
}

// add adds key and reports whether it was not there yet.
func (s *keySet) add(key []byte) bool {
	if s.many != nil {
		k := string(lowerASCII(key))
		if s.many[k] {
			return false
		}
		s.many[k] = true
		return true
	}
	for _, k := range s.few[:s.n] {
		if equalASCIIFold(k, key) {
			return false
		}
	}
	if s.n < len(s.few) {
		s.few[s.n] = key
		s.n++
		return true
	}
	s.many = make(map[string]bool, 2*len(s.few))
	for _, k := range s.few {
		s.many[string(lowerASCII(k))] = true
	}
	s.many[string(lowerASCII(key))] = true
	return true
}

func equalASCIIFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// readTag reads the start tag at the front of b like scanTag, asking the
// tokenizer when scanTag cannot answer alone. ok is false when b does not
// start with a start tag. The attributes are appended to attrs, as
// scanTag's are.
func readTag(b []byte, keep func(key []byte) bool, attrs attrList) (t tag, ok bool) {
	t, exact, ok := scanTag(b, keep, attrs)
	if ok && exact {
		return t, true
	}
	z := html.NewTokenizer(bytes.NewReader(b))
	tt := z.Next()
	if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
		return tag{}, false
	}
	t = tag{n: len(z.Raw()), selfClosing: tt == html.SelfClosingTagToken, attrs: attrs}
	name, more := z.TagName()
	t.name = bytes.Clone(name)
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		if keep == nil || keep(k) {
			t.attrs = append(t.attrs, attr{string(k), string(v)})
		}
	}
	return t, true
}

// lowerASCII is b with A-Z in lower case, as the tokenizer lowers names;
// b itself when it has no upper case, as most markup has none.
func lowerASCII(b []byte) []byte {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			out := bytes.Clone(b)
			for j := i; j < len(out); j++ {
				if c := out[j]; 'A' <= c && c <= 'Z' {
					out[j] = c + 'a' - 'A'
				}
			}
			return out
		}
	}
	return b
}
