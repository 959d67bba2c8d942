package manifest

import (
	"bytes"

	"golang.org/x/net/html"
)

// scanTag reads the start tag at the front of b (b[0] is '<', b[1] a
// letter) exactly as x/net/html's tokenizer reads it, without its per-byte
// reads and per-attribute copies, which were a third of a build's time. It
// returns the tag's length, its name in lower case, and its attributes
// (keys in lower case, the first of duplicates kept) whose key keep accepts
// (all with a nil keep). ok is false when the tag ends before its '>' or
// holds a byte the tokenizer treats specially in names and values ('&',
// '\r', NUL): readTag then asks the tokenizer. FuzzScanTag checks the two
// agree.
func scanTag(b []byte, keep func(key []byte) bool) (n int, name []byte, attrs attrList, ok bool) {
	if bytes.IndexByte(b, '>') < 0 {
		return 0, nil, nil, false
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
		return 0, nil, nil, false
	}
	name = lowerASCII(b[1:nameEnd])
	var seen map[string]bool // keys kept, once there are many of them
	// eof is the failure of every step: the tag ends before its '>'.
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
		return 0, nil, nil, false
	}
	for {
		if i >= len(b) {
			return 0, nil, nil, false
		}
		if b[i] == '>' {
			i++
			break
		}
		// The attribute's key: an '=' is part of it only in first place.
		ks := i
		for {
			if i >= len(b) {
				return 0, nil, nil, false
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
		if !skipSpace() {
			return 0, nil, nil, false
		}
		switch c := b[i]; {
		case c == '/':
			i++
		case c != '=':
		default:
			i++
			if !skipSpace() {
				return 0, nil, nil, false
			}
			switch q := b[i]; q {
			case '>':
			case '\'', '"':
				end := bytes.IndexByte(b[i+1:], q)
				if end < 0 {
					return 0, nil, nil, false
				}
				val = b[i+1 : i+1+end]
				i += end + 2
			default:
				vs := i
				for ; i < len(b); i++ {
					c := b[i]
					if c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '>' {
						break
					}
				}
				if i >= len(b) {
					return 0, nil, nil, false
				}
				val = b[vs:i]
				if b[i] != '>' {
					i++ // the white space ends the value
				}
			}
		}
		if len(key) > 0 && (keep == nil || keep(key)) {
			if bytes.ContainsAny(key, "\r\x00") || bytes.ContainsAny(val, "&\r\x00") {
				return 0, nil, nil, false
			}
			k := string(lowerASCII(key))
			if seen == nil && len(attrs) >= 8 {
				seen = make(map[string]bool, 2*len(attrs))
				for _, a := range attrs {
					seen[a.key] = true
				}
			}
			if seen != nil && !seen[k] || seen == nil && !attrs.has(k) {
				if attrs == nil {
					attrs = make(attrList, 0, 4)
				}
				attrs = append(attrs, attr{k, string(val)})
				if seen != nil {
					seen[k] = true
				}
			}
		}
		if !skipSpace() {
			return 0, nil, nil, false
		}
	}
	if bytes.IndexByte(b[:i], 0) >= 0 {
		return 0, nil, nil, false
	}
	return i, name, attrs, true
}

// readTag reads the start tag at the front of b like scanTag, asking the
// tokenizer when scanTag cannot answer alone. ok is false when b does not
// start with a start tag.
func readTag(b []byte, keep func(key []byte) bool) (n int, name []byte, attrs attrList, ok bool) {
	if n, name, attrs, ok = scanTag(b, keep); ok {
		return n, name, attrs, true
	}
	z := html.NewTokenizer(bytes.NewReader(b))
	if tt := z.Next(); tt != html.StartTagToken && tt != html.SelfClosingTagToken {
		return 0, nil, nil, false
	}
	n = len(z.Raw())
	name, more := z.TagName()
	name = bytes.Clone(name)
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		if keep == nil || keep(k) {
			attrs = append(attrs, attr{string(k), string(v)})
		}
	}
	return n, name, attrs, true
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
