package hostrules

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// pattern is the path a rule applies to: static (a path to compare) or
// dynamic (a regular expression, which Go runs in linear time whatever the
// file says).
type pattern struct {
	host   string // lower case; "" for any host
	static string // the decoded path when the pattern has no splat or placeholder
	prefix string // the decoded text before the first splat or placeholder
	re     *regexp.Regexp
}

// captures are the splat's and placeholders' values of a match, decoded.
type captures struct {
	names, values []string
}

func (c *captures) get(name string) (string, bool) {
	for i, n := range c.names {
		if n == name {
			return c.values[i], true
		}
	}
	return "", false
}

func (c *captures) add(name, value string) {
	c.names = append(c.names, name)
	c.values = append(c.values, value)
}

// parsePattern reads a rule's path pattern, URL-encoded as the hosts want
// it, or an absolute URL naming a host. trimSlash makes a trailing slash
// optional (redirects).
func parsePattern(s string, trimSlash bool) (pattern, error) {
	var p pattern
	if i := strings.Index(s, "://"); i > 0 {
		scheme := strings.ToLower(s[:i])
		if scheme != "http" && scheme != "https" {
			return p, errors.New("a pattern is a path starting with / or an http(s) URL")
		}
		rest := s[i+3:]
		j := strings.IndexByte(rest, '/')
		if j < 0 {
			rest += "/"
			j = len(rest) - 1
		}
		p.host, s = strings.ToLower(rest[:j]), rest[j:]
		if p.host == "" || strings.ContainsAny(p.host, "*:@") {
			return p, errors.New("a host of a pattern is a plain name, without placeholders or a port")
		}
	}
	if !strings.HasPrefix(s, "/") {
		return p, errors.New("a pattern is a path starting with / or an http(s) URL")
	}
	if trimSlash {
		s = trimTrailingSlash(s)
	}
	var re strings.Builder
	re.WriteString("^")
	var lit strings.Builder // raw literal run
	dynamic, splats := false, 0
	flush := func() error {
		if lit.Len() == 0 {
			return nil
		}
		dec, err := url.PathUnescape(lit.String())
		if err != nil {
			return errors.New("bad percent-encoding in " + lit.String())
		}
		if !dynamic {
			p.prefix += dec
		}
		re.WriteString(regexp.QuoteMeta(dec))
		lit.Reset()
		return nil
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '*':
			if splats++; splats > 1 {
				return p, errors.New("more than one splat (*) in a pattern")
			}
			if err := flush(); err != nil {
				return p, err
			}
			dynamic = true
			re.WriteString("(?P<splat>.*)")
		case c == ':' && i+1 < len(s) && isLetter(s[i+1]):
			if err := flush(); err != nil {
				return p, err
			}
			j := i + 1
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			dynamic = true
			re.WriteString("(?P<" + s[i+1:j] + ">[^/]+)")
			i = j - 1
		default:
			lit.WriteByte(c)
		}
	}
	if err := flush(); err != nil {
		return p, err
	}
	if !dynamic {
		p.static = p.prefix
		return p, nil
	}
	re.WriteString("$")
	var err error
	if p.re, err = regexp.Compile(re.String()); err != nil {
		return p, errors.New("cannot read the pattern: " + err.Error())
	}
	return p, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isNameByte(c byte) bool { return isLetter(c) || c >= '0' && c <= '9' || c == '_' }

func trimTrailingSlash(p string) string {
	if len(p) > 1 && strings.HasSuffix(p, "/") {
		return strings.TrimRight(p, "/")
	}
	return p
}

// match reports whether host (lower case, no port) and the decoded path
// match p, adding the captures to c.
func (p *pattern) match(host, urlPath string, c *captures) bool {
	if p.host != "" && p.host != host {
		return false
	}
	if p.re == nil {
		return urlPath == p.static
	}
	if !strings.HasPrefix(urlPath, p.prefix) {
		return false
	}
	m := p.re.FindStringSubmatch(urlPath)
	if m == nil {
		return false
	}
	for i, name := range p.re.SubexpNames() {
		if name != "" {
			if _, dup := c.get(name); !dup {
				c.add(name, m[i])
			}
		}
	}
	return true
}

// expand replaces :splat and the placeholders in s with their values,
// written with escape; a name without a value stays as it is.
func expand(s string, c *captures, escape func(string) string) string {
	if c == nil || len(c.names) == 0 || !strings.Contains(s, ":") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == ':' && i+1 < len(s) && isLetter(s[i+1]) {
			j := i + 1
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			if v, ok := c.get(s[i+1 : j]); ok {
				b.WriteString(escape(v))
				i = j - 1
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// escapePath writes a decoded path part for a URL, keeping its slashes.
func escapePath(s string) string { return (&url.URL{Path: s}).EscapedPath() }
