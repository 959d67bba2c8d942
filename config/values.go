package config

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"herald/serve"

	"golang.org/x/net/http/httpguts"
)

// The value checks: each reports a mistake at key and returns the zero
// value (or def when the key is absent).

func (p *parser) str(key string, v any) string {
	if v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		p.errorf(key, "%s is %s: write a quoted string", tomlValue(v), aType(v))
	}
	return s
}

func (p *parser) boolean(key string, v any, def bool) bool {
	if v == nil {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		p.errorf(key, "%s is %s: write true or false", tomlValue(v), aType(v))
	}
	return b
}

// accessLog reads true, false or a format name (serve.ParseAccessLogFormat).
func (p *parser) accessLog(key string, v any) serve.AccessLogFormat {
	switch v := v.(type) {
	case nil:
		return serve.AccessLogOff
	case bool:
		if v {
			return serve.AccessLogText
		}
		return serve.AccessLogOff
	case string:
		f, err := serve.ParseAccessLogFormat(v)
		if err != nil {
			p.errorf(key, "%v", err)
		}
		return f
	}
	p.errorf(key, "%s is %s: write true, false, \"text\", \"json\" or \"off\"", tomlValue(v), aType(v))
	return serve.AccessLogOff
}

func (p *parser) integer(key string, v any, def int64) int64 {
	if v == nil {
		return def
	}
	n, ok := v.(int64)
	if !ok || n < 0 {
		p.errorf(key, "%s is not a count: write a whole number, 0 or more", tomlValue(v))
	}
	return n
}

func (p *parser) duration(key string, v any, def time.Duration) time.Duration {
	if v == nil {
		return def
	}
	s, _ := v.(string)
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		p.errorf(key, "%s is not a duration: write it like \"30s\", \"2m\" or \"1m30s\"", tomlValue(v))
	}
	return d
}

// size reads a byte count: an integer, or a string such as "300KiB".
func (p *parser) size(key string, v any, def int64) int64 {
	switch v := v.(type) {
	case nil:
		return def
	case int64:
		if v >= 0 {
			return v
		}
	case string:
		if n, ok := ParseSize(v); ok {
			return n
		}
	}
	p.errorf(key, "%s is not a size: write it like \"300KiB\", \"2MB\" or 150000", tomlValue(v))
	return 0
}

// ParseSize reads a size such as 300KiB, 1.5MB or 20000 (bytes); K and M
// are KiB and MiB.
func ParseSize(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		scale  float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"kB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"K", 1 << 10}, {"M", 1 << 20}, {"B", 1}}
	scale := 1.0
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, scale = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.scale
			break
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(n) || n < 0 || n*scale > 1<<62 { // > catches Inf
		return 0, false
	}
	return int64(n * scale), true
}

func (p *parser) list(key string, v any, what string) []string {
	if v == nil {
		return nil
	}
	items, ok := v.([]any)
	if !ok {
		p.errorf(key, "%s is %s: write a list of %s, such as [%q]", tomlValue(v), aType(v), what, exampleOf(what))
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := it.(string)
		if !ok {
			p.errorf(key, "%s in the list is %s: write each of the %s as a quoted string", tomlValue(it), aType(it), what)
			continue
		}
		out = append(out, s)
	}
	return out
}

func exampleOf(what string) string {
	if what == "addresses" {
		return ":443"
	}
	return "docs.example.com"
}

func (p *parser) addrs(key string, v any) []string {
	list := p.list(key, v, "addresses")
	out := list[:0]
	seen := map[string]bool{}
	for _, a := range list {
		if !ValidListenAddr(a) {
			p.errorf(key, "%q is not a listen address: write host:port or :port, such as \":443\" or \"127.0.0.1:8080\"", a)
		}
		if seen[a] {
			p.errorf(key, "%q is listed twice: list each address once", a)
			continue
		}
		seen[a] = true
		out = append(out, a)
	}
	return out
}

// ValidListenAddr reports whether a is a TCP listen address written as
// host:port or :port, with a port number (0 to 65535).
func ValidListenAddr(a string) bool {
	host, port, err := net.SplitHostPort(a)
	if err != nil || strings.ContainsAny(host, "/ ") {
		return false
	}
	_, err = strconv.ParseUint(port, 10, 16)
	return err == nil
}

// portUse is what the listen addresses seen so far take of one port. Two
// addresses written differently take the same port when they name the same
// port, and the same host or one of them every host (":8080",
// "0.0.0.0:8080"); names are not resolved.
type portUse struct {
	any   string            // the first address on every host (":8080", "0.0.0.0:8080")
	first string            // the first address
	hosts map[string]string // host (an IP written one way, a name in lower case): first address
}

// Clash reports whether listeners on a and b could not both start: the
// same port, on the same host or with either on every interface.
func Clash(a, b string) bool {
	ports := map[uint64]*portUse{}
	takenBy(ports, a)
	return takenBy(ports, b) != ""
}

// takenBy returns an address seen before (recorded in ports) whose listener
// would take the port a listener on a needs, or "", and
// records a. One lookup per address: a list of 10,000 addresses compared
// pairwise took 14 s.
func takenBy(ports map[uint64]*portUse, a string) string {
	h, port, err := net.SplitHostPort(a)
	n, err2 := strconv.ParseUint(port, 10, 16)
	if err != nil || err2 != nil || n == 0 { // port 0: any free port
		return ""
	}
	u := ports[n]
	if u == nil {
		u = &portUse{hosts: map[string]string{}}
		ports[n] = u
	}
	ip := net.ParseIP(h)
	every := h == "" || ip != nil && ip.IsUnspecified()
	if ip != nil {
		h = ip.String()
	} else {
		h = strings.ToLower(h)
	}
	var taken string
	switch {
	case every:
		taken = u.first
	case u.any != "":
		taken = u.any
	default:
		taken = u.hosts[h]
	}
	if u.first == "" {
		u.first = a
	}
	if every && u.any == "" {
		u.any = a
	}
	if _, ok := u.hosts[h]; !ok && !every {
		u.hosts[h] = a
	}
	return taken
}

var hostLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// HostName reads a host name as hosts = [...] takes it: a name (in lower
// case, without a final dot), "*.example.com" (one more label), or an IP
// address; ok is false for anything else (a scheme, port or path).
func HostName(h string) (name string, ok bool) {
	name = strings.TrimSuffix(strings.ToLower(h), ".")
	ok = name != ""
	for i, label := range strings.Split(name, ".") {
		if !(hostLabel.MatchString(label) || (i == 0 && label == "*" && strings.Contains(name, "."))) {
			ok = false
		}
	}
	if ip := net.ParseIP(strings.Trim(name, "[]")); ip != nil {
		name, ok = ip.String(), true
	}
	return name, ok
}

func (p *parser) hosts(key string, v any) []string {
	list := p.list(key, v, "host names")
	out := list[:0]
	for _, h := range list {
		name, ok := HostName(h)
		if !ok {
			p.errorf(key, "%q is not a host name: write names only, without scheme, port or path, such as \"docs.example.com\" or \"*.example.com\"", h)
			continue
		}
		out = append(out, name)
	}
	return out
}

func (p *parser) headerValue(key string, v any) string {
	s := p.str(key, v)
	if err := serve.CheckHeaderValue(s); err != nil {
		p.errorf(key, "%v", err)
	}
	return s
}

func (p *parser) headers(i int, v any) http.Header {
	if v == nil {
		return nil
	}
	raw, ok := v.(map[string]any)
	if !ok {
		p.errorf(fmt.Sprintf("site[%d].headers", i), "%s: write a table of header names and values, such as\n\t[site.headers]\n\t\"X-Content-Type-Options\" = \"nosniff\"", valueIs(v))
		return nil
	}
	if len(raw) == 0 {
		return nil
	}
	// In the file's order, so that a name given twice is reported at the
	// second.
	names := slices.Collect(maps.Keys(raw))
	keyOf := func(name string) string { return fmt.Sprintf("site[%d].headers.%s", i, name) }
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(p.c.lines.line(keyOf(a))-p.c.lines.line(keyOf(b)), strings.Compare(a, b))
	})
	h := http.Header{}
	first := map[string]string{} // canonical name: as the file first wrote it
	for _, name := range names {
		key := keyOf(name)
		if !httpguts.ValidHeaderFieldName(name) { // a token (RFC 9110 5.1)
			p.errorf(key, "%q is not a header name: use letters, digits and -, such as \"Strict-Transport-Security\"", name)
			continue
		}
		canon := http.CanonicalHeaderKey(name)
		if other, ok := first[canon]; ok {
			p.errorf(key, "%q is %q again (header names ignore case), and one value would be dropped: keep one of them", name, other)
			continue
		}
		first[canon] = name
		h.Set(name, p.headerValue(key, raw[name]))
	}
	return h
}

// path resolves a file name from the config against the config's folder.
func (p *parser) path(name string) string {
	if strings.HasPrefix(name, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			name = filepath.Join(home, name[2:])
		}
	}
	if filepath.IsAbs(name) {
		return filepath.Clean(name)
	}
	return filepath.Join(p.dir, name)
}
