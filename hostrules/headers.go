package hostrules

import (
	"net/http"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Headers are the rules of a _headers file, in order.
type Headers struct {
	rules   []headerRule
	static  map[string][]int // static path → indexes of its rules
	dynamic []int
}

type headerRule struct {
	line   int
	path   pattern
	set    []Field  // in the order of the file
	detach []string // canonical names
}

// Field is one header of a response.
type Field struct {
	Name  string // canonical (http.CanonicalHeaderKey)
	Value string
}

// managed are the fields herald (or net/http) decides for every response:
// a rule that sets one could make a response its client cannot read.
var managed = map[string]bool{
	"Content-Length": true, "Content-Encoding": true, "Content-Range": true, "Transfer-Encoding": true,
	"Connection": true, "Keep-Alive": true, "Upgrade": true, "Trailer": true, "Te": true,
	"Proxy-Connection": true, "Date": true, "Etag": true, "Last-Modified": true, "Accept-Ranges": true,
}

// ParseHeaders reads a _headers file.
func ParseHeaders(data []byte) (*Headers, []Problem) {
	hs := &Headers{static: map[string][]int{}}
	rep := &report{file: HeadersFile}
	bad := rep.add
	dynamicFull := false
	var cur *headerRule // the block being read; nil after a bad path line
	skipping := false   // the lines of a block left out
	add := func() {
		if cur == nil || len(cur.set)+len(cur.detach) == 0 {
			return
		}
		if cur.path.re != nil || cur.path.host != "" {
			if len(hs.dynamic) == MaxDynamic {
				if !dynamicFull {
					bad(cur.line, "more than %d rules with a host, a splat or a placeholder: this one and those after it are left out", MaxDynamic)
					dynamicFull = true
				}
				return
			}
			hs.dynamic = append(hs.dynamic, len(hs.rules))
		} else {
			hs.static[cur.path.static] = append(hs.static[cur.path.static], len(hs.rules))
		}
		hs.rules = append(hs.rules, *cur)
	}
	for n, line := range lines(data, rep) {
		text := strings.TrimSpace(line)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' { // a path: a new block
			add()
			cur, skipping = nil, false
			if len(hs.rules) == MaxRules {
				bad(n, "more than %d rules: this rule and those after it are left out", MaxRules)
				break
			}
			if strings.ContainsAny(text, " \t") {
				bad(n, "%q: a path line holds one pattern (headers go on the indented lines below it)", text)
				skipping = true
				continue
			}
			p, err := parsePattern(text, false)
			if err != nil {
				bad(n, "%q: %v", text, err)
				skipping = true
				continue
			}
			cur = &headerRule{line: n, path: p}
			continue
		}
		switch {
		case skipping:
			continue
		case cur == nil:
			bad(n, "a header before any path: start a block with an unindented path such as /*")
			continue
		}
		if name, ok := strings.CutPrefix(text, "!"); ok {
			name = strings.TrimSpace(name)
			if !httpguts.ValidHeaderFieldName(name) {
				bad(n, "%q is not a header name", name)
				continue
			}
			if managed[http.CanonicalHeaderKey(name)] {
				bad(n, "%s is set by herald for each response; left out", http.CanonicalHeaderKey(name))
				continue
			}
			cur.detach = append(cur.detach, http.CanonicalHeaderKey(name))
			continue
		}
		name, value, ok := strings.Cut(text, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		switch key := http.CanonicalHeaderKey(name); {
		case !ok:
			bad(n, "%q: write Name: value, or ! Name to detach a header", text)
		case !httpguts.ValidHeaderFieldName(name):
			bad(n, "%q is not a header name", name)
		case !httpguts.ValidHeaderFieldValue(value):
			bad(n, "the value of %s holds a control character", name)
		case managed[key]:
			bad(n, "%s is set by herald for each response; left out", key)
		default:
			cur.set = append(cur.set, Field{key, value})
		}
	}
	add()
	return hs, rep.list()
}

// Len is the number of rules.
func (hs *Headers) Len() int {
	if hs == nil {
		return 0
	}
	return len(hs.rules)
}

// Match returns the fields of every rule matching the request's host
// (without its port) and decoded path: a field set by several rules once,
// with their values joined by ", " in the order of the file, and the
// names detached by one of them (which no rule sets then). Both are nil
// when no rule matches.
func (hs *Headers) Match(host, urlPath string) (set []Field, detach []string) {
	if hs == nil || len(hs.rules) == 0 {
		return nil, nil
	}
	host = strings.ToLower(host)
	statics := hs.static[urlPath]
	var c captures
	si, di := 0, 0
	for si < len(statics) || di < len(hs.dynamic) {
		var i int
		if di == len(hs.dynamic) || si < len(statics) && statics[si] < hs.dynamic[di] {
			i, si = statics[si], si+1
		} else {
			i, di = hs.dynamic[di], di+1
		}
		r := &hs.rules[i]
		c = captures{names: c.names[:0], values: c.values[:0]}
		if !r.path.match(host, urlPath, &c) {
			continue
		}
		for _, f := range r.set {
			v := expand(f.Value, &c, func(s string) string { return s })
			if !httpguts.ValidHeaderFieldValue(v) {
				continue // a placeholder's value with a control character
			}
			if j := slices.IndexFunc(set, func(g Field) bool { return g.Name == f.Name }); j >= 0 {
				set[j].Value += ", " + v
			} else {
				set = append(set, Field{f.Name, v})
			}
		}
		detach = append(detach, r.detach...)
	}
	if len(detach) > 0 {
		set = slices.DeleteFunc(set, func(f Field) bool { return slices.Contains(detach, f.Name) })
	}
	return set, detach
}
