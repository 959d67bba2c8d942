package compress

import "strings"

// Negotiate chooses the coding of a response from the request's
// Accept-Encoding lines (RFC 9110 12.5.3) among offered (Identity is always
// offered). It never fails: an absent, empty, garbled or hostile header gets
// Identity or the best coding it validly accepts.
//
//   - A coding is accepted when it is named with a quality above 0, or is
//     not named and "*" is, with a quality above 0. x-gzip is gzip.
//   - The highest quality wins; at equal quality the server's preference
//     (Preferred, then Identity) decides.
//   - Identity not named is acceptable below any named coding (unless "*;q=0"
//     refuses it); named, it competes by its quality. Identity is still the
//     answer when every coding is refused: the client then gets the file as
//     it is rather than an error.
//   - A coding named more than once keeps its lowest quality: a refusal
//     anywhere is a refusal.
//   - An item whose q is not a valid qvalue (0 to 1, three decimals at
//     most) is ignored, as is a coding herald does not make.
//
// The work is linear in the header's length, without allocation.
func Negotiate(lines []string, offered Set) Coding {
	const unset = -1
	var q [numCodings]int // in thousandths; unset when not named
	for i := range q {
		q[i] = unset
	}
	star := unset
	for _, line := range lines {
		for line != "" {
			var item string
			item, line, _ = strings.Cut(line, ",")
			name, params, _ := strings.Cut(item, ";")
			w, ok := weight(params)
			if !ok {
				continue
			}
			name = strings.Trim(name, " \t")
			slot := &star
			if name != "*" {
				c, ok := ParseCoding(name)
				if !ok {
					continue
				}
				slot = &q[c]
			}
			if *slot == unset || w < *slot {
				*slot = w
			}
		}
	}
	quality := func(c Coding) int {
		switch {
		case q[c] != unset:
			return q[c]
		case star != unset:
			return star
		case c == Identity:
			return 1 // acceptable, below anything named
		}
		return 0
	}
	best, bestQ := Identity, 0
	for _, c := range Preferred {
		if offered.Has(c) {
			if w := quality(c); w > bestQ {
				best, bestQ = c, w
			}
		}
	}
	if quality(Identity) > bestQ {
		return Identity
	}
	return best
}

// weight reads the parameters of an item for its q (RFC 9110 12.4.2),
// in thousandths; 1000 when there is none. ok is false when q is not a
// valid qvalue. Other parameters are ignored.
func weight(params string) (w int, ok bool) {
	w = 1000
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, _ := strings.Cut(p, "=")
		if !strings.EqualFold(strings.Trim(k, " \t"), "q") {
			continue
		}
		if w, ok = qvalue(strings.Trim(v, " \t")); !ok {
			return 0, false
		}
	}
	return w, true
}

// qvalue parses ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ).
func qvalue(s string) (int, bool) {
	if s == "" || (s[0] != '0' && s[0] != '1') {
		return 0, false
	}
	w := int(s[0]-'0') * 1000
	s = s[1:]
	if s == "" {
		return w, true
	}
	if s[0] != '.' || len(s) > 4 {
		return 0, false
	}
	scale := 100
	for i := 1; i < len(s); i++ {
		d := s[i]
		if d < '0' || d > '9' || (w == 1000 && d != '0') {
			return 0, false
		}
		w += int(d-'0') * scale
		scale /= 10
	}
	return w, true
}

// Ranked returns the codings of offered that the request's Accept-Encoding
// lines accept, in the order Negotiate would choose them one after another:
// first its answer, then what to send when that one cannot be had (Pick).
// The list ends at the first Identity.
func Ranked(lines []string, offered Set) (ranked [numCodings - 1]Coding) {
	for i := range ranked {
		c := Negotiate(lines, offered)
		if c == Identity {
			break
		}
		ranked[i] = c
		offered &^= 1 << c
	}
	return ranked
}
