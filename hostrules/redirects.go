package hostrules

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Redirects are the rules of a _redirects file, in order.
type Redirects struct {
	rules  []redirect
	static map[string][]int // static path → indexes of its rules, in order
	// dynamic are the indexes of the rules with a pattern or a host.
	dynamic []int
	queries bool // some rule has a query condition
}

type redirect struct {
	line   int
	from   pattern
	query  []queryMatch
	to     string // URL-encoded, with :names to replace
	status int
	force  bool
	local  bool // to is a path of the site
}

// queryMatch is one key=:name or key=value of a rule.
type queryMatch struct {
	key, value string
	capture    bool // value is a placeholder's name
}

// Match is what a matching rule asks for.
type Match struct {
	// Status is the rule's status: a redirect (3xx) or a rewrite (200, 404,
	// 410).
	Status int
	// Location is where a redirect sends the client, URL-encoded. For a
	// rewrite, Path is the decoded path of the site to serve.
	Location, Path string
	// Line is the rule's line in the file.
	Line int
}

// statuses are the status codes a rule may give.
var statuses = map[int]bool{200: true, 301: true, 302: true, 303: true, 307: true, 308: true, 404: true, 410: true}

// ParseRedirects reads a _redirects file.
func ParseRedirects(data []byte) (*Redirects, []Problem) {
	rs := &Redirects{static: map[string][]int{}}
	rep := &report{file: RedirectsFile}
	bad := rep.add
	dynamicFull := false
	for n, line := range lines(data, rep) {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if len(rs.rules) == MaxRules {
			bad(n, "more than %d rules: this rule and those after it are left out", MaxRules)
			break
		}
		r, err := parseRedirect(fields)
		if err != "" {
			bad(n, "%s", err)
			continue
		}
		r.line = n
		rs.queries = rs.queries || len(r.query) > 0
		if r.from.re != nil || r.from.host != "" {
			if len(rs.dynamic) == MaxDynamic {
				if !dynamicFull {
					bad(n, "more than %d rules with a host, a splat or a placeholder: this one and those after it are left out", MaxDynamic)
					dynamicFull = true
				}
				continue
			}
			rs.dynamic = append(rs.dynamic, len(rs.rules))
		} else {
			rs.static[r.from.static] = append(rs.static[r.from.static], len(rs.rules))
		}
		rs.rules = append(rs.rules, r)
	}
	return rs, rep.list()
}

// parseRedirect reads the fields of one rule; it returns why it cannot
// when it cannot.
func parseRedirect(fields []string) (redirect, string) {
	var r redirect
	var err error
	if r.from, err = parsePattern(fields[0], true); err != nil {
		return r, fmt.Sprintf("%q: %v", fields[0], err)
	}
	rest := fields[1:]
	// Query conditions come between FROM and TO.
	for len(rest) > 0 && isQueryField(rest[0]) {
		q, err := parseQuery(rest[0])
		if err != "" {
			return r, err
		}
		r.query = append(r.query, q)
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return r, "no target: write FROM TO [STATUS]"
	}
	r.to, rest = rest[0], rest[1:]
	r.status = 301
	if len(rest) > 0 {
		code, force := strings.CutSuffix(rest[0], "!")
		n, err := strconv.Atoi(code)
		if err != nil || !statuses[n] {
			return r, fmt.Sprintf("status %q: herald takes 200, 301, 302, 303, 307, 308, 404 and 410, with ! to force", rest[0])
		}
		r.status, r.force, rest = n, force, rest[1:]
	}
	if len(rest) > 0 {
		return r, fmt.Sprintf("unsupported: conditions such as %q (country, language, role, cookie) are not applied by herald; rule left out", rest[0])
	}
	switch u, err := url.Parse(r.to); {
	case err != nil:
		return r, fmt.Sprintf("target %q is not a URL", r.to)
	case strings.HasPrefix(r.to, "/") && !strings.HasPrefix(r.to, "//"):
		r.local = true
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host != "":
		if r.status < 300 || r.status >= 400 {
			return r, fmt.Sprintf("unsupported: a %d rule to another origin (%s) is a proxy, which herald does not do; rule left out", r.status, r.to)
		}
	default:
		return r, fmt.Sprintf("target %q: write a path starting with / or an http(s) URL", r.to)
	}
	return r, ""
}

// isQueryField tells a query condition (key=value) from a target, which
// starts with / or is a URL.
func isQueryField(f string) bool {
	return strings.Contains(f, "=") && !strings.HasPrefix(f, "/") && !strings.Contains(f, "://")
}

func parseQuery(f string) (queryMatch, string) {
	key, value, _ := strings.Cut(f, "=")
	unsupported := fmt.Sprintf("unsupported: query condition %q: herald matches key=:name and key=value only; rule left out", f)
	if key == "" || value == "" || strings.ContainsAny(f, "&*") || strings.Count(f, "=") > 1 {
		return queryMatch{}, unsupported
	}
	k, err1 := url.QueryUnescape(key)
	if err1 != nil {
		return queryMatch{}, unsupported
	}
	if name, ok := strings.CutPrefix(value, ":"); ok {
		if name == "" || !isLetter(name[0]) || strings.IndexFunc(name, func(c rune) bool { return c > 127 || !isNameByte(byte(c)) }) >= 0 {
			return queryMatch{}, unsupported
		}
		return queryMatch{key: k, value: name, capture: true}, ""
	}
	v, err2 := url.QueryUnescape(value)
	if err2 != nil || strings.Contains(value, ":") {
		return queryMatch{}, unsupported
	}
	return queryMatch{key: k, value: v}, ""
}

// Len is the number of rules.
func (rs *Redirects) Len() int {
	if rs == nil {
		return 0
	}
	return len(rs.rules)
}

// Match finds the first rule for a request: host without its port, the
// decoded path, and the raw query. exists reports whether the site has a
// file at the path, in which case only forced rules apply.
func (rs *Redirects) Match(host, urlPath, rawQuery string, exists bool) (Match, bool) {
	if rs == nil || len(rs.rules) == 0 {
		return Match{}, false
	}
	var query url.Values
	if rs.queries && rawQuery != "" {
		query, _ = url.ParseQuery(rawQuery)
	}
	host = strings.ToLower(host)
	p := trimTrailingSlash(urlPath)
	statics := rs.static[p]
	si, di := 0, 0
	var c captures
	for si < len(statics) || di < len(rs.dynamic) {
		// The next rule in file order, static or dynamic.
		var i int
		if di == len(rs.dynamic) || si < len(statics) && statics[si] < rs.dynamic[di] {
			i, si = statics[si], si+1
		} else {
			i, di = rs.dynamic[di], di+1
		}
		r := &rs.rules[i]
		if exists && !r.force {
			continue
		}
		c = captures{names: c.names[:0], values: c.values[:0]}
		if !r.from.match(host, p, &c) || !r.matchQuery(query, &c) {
			continue
		}
		return r.result(&c, rawQuery), true
	}
	return Match{}, false
}

func (r *redirect) matchQuery(query url.Values, c *captures) bool {
	for _, q := range r.query {
		vs, ok := query[q.key]
		switch {
		case !ok || len(vs) == 0:
			return false
		case q.capture:
			c.add(q.value, vs[0])
		case vs[0] != q.value:
			return false
		}
	}
	return true
}

// result writes the rule's target for the captures: the request's query
// goes along unless the rule matched on it or the target has a query of
// its own (as Netlify passes the query string on).
func (r *redirect) result(c *captures, rawQuery string) Match {
	m := Match{Status: r.status, Line: r.line}
	to := expand(r.to, c, escapePath)
	if r.local {
		to = "/" + strings.TrimLeft(to, "/") // never a URL of another host (//host)
	}
	if rawQuery != "" && len(r.query) == 0 && !strings.Contains(to, "?") {
		frag := ""
		if i := strings.IndexByte(to, '#'); i >= 0 {
			to, frag = to[:i], to[i:]
		}
		to += "?" + rawQuery + frag
	}
	if r.status >= 300 && r.status < 400 {
		m.Location = to
		return m
	}
	if u, err := url.Parse(to); err == nil {
		m.Path = u.Path
	} else {
		m.Path = "/"
	}
	return m
}
