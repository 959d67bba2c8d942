// Package config reads herald.toml: the settings of the server and of the
// sites it serves, checked with every mistake reported at its line and key.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is a herald.toml file: settings of the server and the sites it
// serves. Paths in it are relative to the file's folder.
type Config struct {
	File   string
	Server Server
	Sites  []*Site

	lines keyLines
}

// Server holds the settings shared by every site and listener. A zero
// timeout or limit means the server's default.
type Server struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	AccessLog         bool
	Coalesce          bool // gather each connection's TLS records into fewer writes
	// Listen is where sites that give no listen addresses listen.
	Listen []string
	// LocalCertDir keeps the local development CA of sites with
	// tls.local = true; empty means herald's folder in the user config dir.
	LocalCertDir string
}

// Site is one [[site]] of the file, checked and with defaults applied.
type Site struct {
	Index  int      // position among the [[site]] tables, from 0
	Name   string   // the name given, or the first host name
	Hosts  []string // lower case; "*.example.com" matches one more label; empty: any host
	Root   string   // the site's folder, or
	Bundle string   // an executable made by herald bundle
	Origin string
	Listen []string
	TLS    *TLS // nil: plain HTTP

	Push              string // "auto" or "off"
	Hints, Preload    bool
	Compress          bool  // send text files compressed (compress = false turns it off)
	PushMaxBytes      int64 // -1 when the file leaves it out: the server's default; 0 pushes nothing
	PushMaxCount      int   // -1 when the file leaves it out: the server's default; 0 pushes nothing
	HTMLCacheControl  string
	AssetCacheControl string
	Immutable         *regexp.Regexp // nil: the server's default rule
	Headers           http.Header
	NotFoundPage      string
}

// TLS is where a site's certificate comes from.
type TLS struct {
	Cert, Key string // PEM files, or
	Local     bool   // a localhost certificate from herald's local CA
}

// Error is one mistake in a configuration file, at a line and key.
type Error struct {
	File string
	Line int    // 0 when unknown
	Key  string // dotted, as in the file: "site.push.mode"
	Msg  string
	// Warning marks what needs no action: a file of a site's folder that
	// is served but not parsed, say. Error does not show it.
	Warning bool
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		b.WriteString(": " + e.Key)
	}
	return b.String() + ": " + e.Msg
}

// ErrorAt returns a mistake found after loading (a site's folder that
// cannot be opened, say) at key, an indexed path such as "site[1].root".
func (c *Config) ErrorAt(key, msg string) *Error {
	return &Error{File: c.File, Line: c.lines.line(key), Key: unindex(key), Msg: msg}
}

// Errors lists every mistake found in a file, in line order.
type Errors []*Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Load reads and checks a configuration file. Every mistake found is
// returned at once, as Errors, each with its line and key. It does not
// look at the sites' folders, certificates or bundles: Open does.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1)) // one more tells it is too large
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load of data read from path.
func Parse(path string, data []byte) (*Config, error) {
	if e := precheck(path, data); e != nil {
		return nil, Errors{e}
	}
	c := &Config{File: path, lines: indexKeys(string(data))}
	p := &parser{c: c, dir: filepath.Dir(path)}
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err == nil {
		if p.shape(doc); len(p.errs) > 0 {
			return nil, p.errs // the typed decode would stop at the first, without a line
		}
	}
	var raw rawConfig
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			msg := pe.Message
			if pe.Usage != "" {
				msg += " (" + strings.Join(strings.Fields(firstParagraph(pe.Usage)), " ") + ")"
			}
			return nil, Errors{{File: path, Line: pe.Position.Line, Key: pe.LastKey, Msg: msg}}
		}
		// A value of the wrong kind where a table was expected that shape
		// did not catch; the library's message has the line.
		return nil, Errors{{File: path, Msg: strings.TrimPrefix(err.Error(), "toml: ")}}
	}
	p.unknown(md.Undecoded())
	p.server(&raw.Server)
	if len(raw.Site) == 0 {
		p.errorf("site", "no [[site]]: add one with a root folder, such as\n\t[[site]]\n\troot = \"public\"")
	}
	for i := range raw.Site {
		p.site(i, &raw.Site[i])
	}
	p.listeners()
	if len(p.errs) > 0 {
		slices.SortStableFunc(p.errs, func(a, b *Error) int { return a.Line - b.Line })
		return nil, p.errs
	}
	return c, nil
}

// parser checks the decoded file and collects its mistakes.
type parser struct {
	c    *Config
	dir  string
	errs Errors
}

// errorf records a mistake at key, an indexed path such as
// "site[1].push.mode".
func (p *parser) errorf(key, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.c.File, Line: p.c.lines.line(key), Key: unindex(key),
		Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) server(r *rawServer) {
	s := &p.c.Server
	s.ReadHeaderTimeout = p.duration("server.read_header_timeout", r.ReadHeaderTimeout, 0)
	s.ReadTimeout = p.duration("server.read_timeout", r.ReadTimeout, 0)
	s.WriteTimeout = p.duration("server.write_timeout", r.WriteTimeout, 0)
	s.IdleTimeout = p.duration("server.idle_timeout", r.IdleTimeout, 0)
	s.MaxHeaderBytes = int(p.size("server.max_header_bytes", r.MaxHeaderBytes, 0))
	s.Coalesce = p.boolean("server.coalesce", r.Coalesce, true)
	s.AccessLog = p.boolean("server.access_log", r.AccessLog, false)
	if dir := p.str("server.local_cert_dir", r.LocalCertDir); dir != "" {
		s.LocalCertDir = p.path(dir)
	}
	s.Listen = p.addrs("server.listen", r.Listen)
}

func (p *parser) site(i int, r *rawSite) {
	at := func(key string) string { return fmt.Sprintf("site[%d].%s", i, key) }
	s := &Site{Index: i}
	s.Name = p.str(at("name"), r.Name)
	s.Hosts = p.hosts(at("hosts"), r.Hosts)
	if s.Name == "" && len(s.Hosts) > 0 {
		s.Name = s.Hosts[0]
	}
	if s.Name == "" {
		s.Name = fmt.Sprintf("site %d", i+1)
	}
	root, bundle := p.str(at("root"), r.Root), p.str(at("bundle"), r.Bundle)
	switch {
	case r.Root == nil && r.Bundle == nil:
		p.errorf(fmt.Sprintf("site[%d]", i), "the site needs root = \"FOLDER\" (its files) or bundle = \"FILE\" (made by herald bundle)")
	case r.Root != nil && r.Bundle != nil:
		p.errorf(at("bundle"), "give root or bundle, not both")
	case root != "":
		s.Root = p.path(root)
	case bundle != "":
		s.Bundle = p.path(bundle)
	}
	if s.Origin = strings.TrimSuffix(p.str(at("origin"), r.Origin), "/"); s.Origin != "" {
		if u, err := url.Parse(s.Origin); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			p.errorf(at("origin"), "%q is not an origin: write a scheme and host, such as \"https://docs.example.com\"", s.Origin)
		}
	}
	s.Listen = p.addrs(at("listen"), r.Listen)
	if r.Listen == nil {
		s.Listen = p.c.Server.Listen
	}
	s.TLS = p.tls(i, &r.TLS)
	if len(s.Listen) == 0 {
		s.Listen = []string{":8080"}
		if s.TLS != nil {
			s.Listen = []string{":8443"}
		}
	}
	s.Push = "auto"
	if mode := p.str(at("push.mode"), r.Push.Mode); mode != "" {
		if mode != "auto" && mode != "off" {
			p.errorf(at("push.mode"), "%q is not a push mode: use \"auto\" (push what the client does not have) or \"off\"", mode)
		}
		s.Push = mode
	}
	s.Hints = p.boolean(at("push.hints"), r.Push.Hints, true)
	s.Preload = p.boolean(at("push.preload"), r.Push.Preload, true)
	s.Compress = p.boolean(at("compress"), r.Compress, true)
	s.PushMaxBytes = p.size(at("push.max_bytes"), r.Push.MaxBytes, -1)
	s.PushMaxCount = int(p.integer(at("push.max_count"), r.Push.MaxCount, -1))
	s.HTMLCacheControl = p.headerValue(at("cache.html"), r.Cache.HTML)
	s.AssetCacheControl = p.headerValue(at("cache.assets"), r.Cache.Assets)
	if pat := p.str(at("cache.immutable"), r.Cache.Immutable); pat != "" {
		re, err := regexp.Compile(pat)
		if err != nil {
			p.errorf(at("cache.immutable"), "not a regular expression (Go syntax, matched against the file name): %v", err)
		}
		s.Immutable = re
	}
	s.Headers = p.headers(i, r.Headers)
	if nf := p.str(at("not_found"), r.NotFound); nf != "" {
		if !strings.HasPrefix(nf, "/") {
			p.errorf(at("not_found"), "%q: give the page's path in the site, starting with /, such as \"/404.html\"", nf)
		}
		s.NotFoundPage = nf
	}
	p.c.Sites = append(p.c.Sites, s)
}

func (p *parser) tls(i int, r *rawTLS) *TLS {
	at := func(key string) string { return fmt.Sprintf("site[%d].tls.%s", i, key) }
	cert, key := p.str(at("cert"), r.Cert), p.str(at("key"), r.Key)
	local := p.boolean(at("local"), r.Local, false)
	switch {
	case local && (cert != "" || key != ""):
		p.errorf(at("local"), "local = true makes a development certificate: remove cert and key, or local")
		return nil
	case local:
		return &TLS{Local: true}
	case cert == "" && key == "":
		return nil
	case cert == "":
		p.errorf(at("key"), "a key needs its certificate: add cert = \"FILE.pem\"")
		return nil
	case key == "":
		p.errorf(at("cert"), "a certificate needs its private key: add key = \"FILE.pem\"")
		return nil
	}
	return &TLS{Cert: p.path(cert), Key: p.path(key)}
}

// listeners checks the listen addresses: no two written differently take the
// same port, and the sites that share an address all use TLS or none does,
// claim no host name twice, and a site that answers any host is alone.
func (p *parser) listeners() {
	byAddr := map[string][]*Site{}
	var addrs []string
	for _, s := range p.c.Sites {
		for _, a := range s.Listen {
			if byAddr[a] == nil {
				addrs = append(addrs, a)
			}
			byAddr[a] = append(byAddr[a], s)
		}
	}
	ports := map[uint64]*portUse{}
	for _, a := range addrs {
		if b := takenBy(ports, a); b != "" {
			s := byAddr[a][0]
			p.errorf(fmt.Sprintf("site[%d].listen", s.Index), "%s listens on %q, which takes the port of %q (%s) too, so one could not start: "+
				"write the same address for both, or give them different ports", s.Name, a, b, byAddr[b][0].Name)
		}
	}
	for _, a := range addrs {
		list := byAddr[a]
		first := list[0]
		hosts := map[string]*Site{}
		for _, s := range list {
			at := fmt.Sprintf("site[%d]", s.Index)
			if (s.TLS != nil) != (first.TLS != nil) {
				p.errorf(at+".listen", "%s shares %s with %s, but one uses TLS and the other does not: give them different listen addresses, or [site.tls] to both", s.Name, a, first.Name)
			}
			if len(s.Hosts) == 0 && len(list) > 1 {
				p.errorf(at+".hosts", "%s answers any host name but shares %s with other sites: list its hosts = [...]", s.Name, a)
			}
			for _, h := range s.Hosts {
				if other, ok := hosts[h]; ok && other != s {
					p.errorf(at+".hosts", "%q is already a host of %s on %s: each host name belongs to one site", h, other.Name, a)
				}
				hosts[h] = s
			}
		}
	}
}

// The file as decoded. Leaves are `any` so that a value of the wrong type
// is reported here, with its line, rather than by the decoder.
type rawConfig struct {
	Server rawServer `toml:"server"`
	Site   []rawSite `toml:"site"`
}

type rawServer struct {
	Listen            any `toml:"listen"`
	ReadHeaderTimeout any `toml:"read_header_timeout"`
	ReadTimeout       any `toml:"read_timeout"`
	WriteTimeout      any `toml:"write_timeout"`
	IdleTimeout       any `toml:"idle_timeout"`
	MaxHeaderBytes    any `toml:"max_header_bytes"`
	AccessLog         any `toml:"access_log"`
	Coalesce          any `toml:"coalesce"`
	LocalCertDir      any `toml:"local_cert_dir"`
}

type rawSite struct {
	Name     any      `toml:"name"`
	Hosts    any      `toml:"hosts"`
	Root     any      `toml:"root"`
	Bundle   any      `toml:"bundle"`
	Origin   any      `toml:"origin"`
	Listen   any      `toml:"listen"`
	NotFound any      `toml:"not_found"`
	TLS      rawTLS   `toml:"tls"`
	Push     rawPush  `toml:"push"`
	Cache    rawCache `toml:"cache"`
	Headers  any      `toml:"headers"`
	Compress any      `toml:"compress"`
}

type rawTLS struct {
	Cert  any `toml:"cert"`
	Key   any `toml:"key"`
	Local any `toml:"local"`
}

type rawPush struct {
	Mode     any `toml:"mode"`
	Hints    any `toml:"hints"`
	Preload  any `toml:"preload"`
	MaxBytes any `toml:"max_bytes"`
	MaxCount any `toml:"max_count"`
}

type rawCache struct {
	HTML      any `toml:"html"`
	Assets    any `toml:"assets"`
	Immutable any `toml:"immutable"`
}

// tableExamples shows how to write each table of the file, for the
// message about a value where a table belongs.
var tableExamples = map[string]string{
	"server":     "[server]\n\tlisten = [\":443\"]",
	"site":       "[[site]]\n\troot = \"public\"",
	"site.tls":   "[site.tls]\n\tcert = \"cert.pem\"\n\tkey = \"key.pem\"",
	"site.push":  "[site.push]\n\tmode = \"auto\"",
	"site.cache": "[site.cache]\n\thtml = \"no-cache\"",
}

// shape checks that the keys holding tables hold tables: [server], the
// [[site]] list, and each site's [site.tls], [site.push] and [site.cache].
func (p *parser) shape(doc map[string]any) {
	table := func(key, name string, v any) {
		if _, ok := v.(map[string]any); !ok && v != nil {
			p.errorf(key, "%s: write a table, such as\n\t%s", valueIs(v), tableExamples[name])
		}
	}
	table("server", "server", doc["server"])
	var list []map[string]any
	switch v := doc["site"].(type) {
	case nil:
	case []map[string]any:
		list = v
	case []any:
		for _, s := range v {
			m, ok := s.(map[string]any)
			if !ok {
				p.errorf("site", "%s in the list of sites: write each site as a table, such as\n\t%s", valueIs(s), tableExamples["site"])
				return
			}
			list = append(list, m)
		}
	default:
		p.errorf("site", "%s: write each site as a table, such as\n\t%s", valueIs(v), tableExamples["site"])
	}
	for i, s := range list {
		for _, k := range []string{"tls", "push", "cache"} {
			table(fmt.Sprintf("site[%d].%s", i, k), "site."+k, s[k])
		}
	}
}

// tables names the keys each table may hold, for the message about an
// unknown key.
var tables = map[string]reflect.Type{
	"":           reflect.TypeFor[rawConfig](),
	"server":     reflect.TypeFor[rawServer](),
	"site":       reflect.TypeFor[rawSite](),
	"site.tls":   reflect.TypeFor[rawTLS](),
	"site.push":  reflect.TypeFor[rawPush](),
	"site.cache": reflect.TypeFor[rawCache](),
}

// keysOf holds validKeys of each table, worked out once.
var keysOf = func() map[string][]string {
	m := map[string][]string{}
	for table, t := range tables {
		for f := range t.Fields() {
			if tag := f.Tag.Get("toml"); tag != "" {
				m[table] = append(m[table], tag)
			}
		}
	}
	return m
}()

func validKeys(table string) []string { return keysOf[table] }

func (p *parser) unknown(keys []toml.Key) {
	reported := map[string]int{}
	valid := map[string]string{} // table: its valid keys, as listed in the message
	for _, k := range keys {
		key := k.String()
		table := strings.Join(k[:len(k)-1], ".")
		if table == "site.headers" {
			continue // reported by the header checks, as a value of the wrong type
		}
		// The indexed path of this occurrence: the first not yet reported
		// among those that read the same without indexes.
		indexed := key
		if same := p.c.lines.same[key]; reported[key] < len(same) {
			indexed = same[reported[key]]
		}
		reported[key]++
		names := validKeys(table)
		msg := "unknown key"
		if table == "" {
			msg += " at the top of the file"
		} else {
			msg += " in [" + table + "]"
		}
		if near := closest(k[len(k)-1], names); near != "" {
			msg += "; did you mean " + near + "?"
		}
		if names != nil {
			list, ok := valid[table]
			if !ok {
				list = " (valid: " + strings.Join(names, ", ") + ")"
				valid[table] = list
			}
			msg += list
		}
		p.errs = append(p.errs, &Error{File: p.c.File, Line: p.c.lines.line(indexed), Key: key, Msg: msg})
	}
}

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

func (p *parser) hosts(key string, v any) []string {
	list := p.list(key, v, "host names")
	out := list[:0]
	for _, h := range list {
		name := strings.TrimSuffix(strings.ToLower(h), ".")
		ok := name != ""
		for i, label := range strings.Split(name, ".") {
			if !(hostLabel.MatchString(label) || (i == 0 && label == "*" && strings.Contains(name, "."))) {
				ok = false
			}
		}
		if ip := net.ParseIP(strings.Trim(name, "[]")); ip != nil {
			name, ok = ip.String(), true
		}
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
	if !validHeaderValue(s) {
		p.errorf(key, "%q cannot be sent in a header: remove control characters and line breaks", s)
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
		if !validHeaderName(name) {
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

// validHeaderName reports whether name is an HTTP token (RFC 9110 5.1).
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v holds no control character but tab.
func validHeaderValue(v string) bool {
	for _, c := range []byte(v) {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func firstParagraph(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		return s[:i]
	}
	return s
}

func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int64:
		return "integer"
	case float64:
		return "float"
	case bool:
		return "boolean"
	case []any:
		return "list"
	case map[string]any:
		return "table"
	case time.Time:
		return "date"
	}
	return "value"
}

// aType is tomlType with its article: "an integer".
func aType(v any) string {
	t := tomlType(v)
	if strings.IndexByte("aeiou", t[0]) >= 0 {
		return "an " + t
	}
	return "a " + t
}

// valueIs says what v is: "5 is an integer", "the value is a list".
func valueIs(v any) string {
	switch v.(type) {
	case []any, map[string]any:
		return "the value is " + aType(v)
	}
	return tomlValue(v) + " is " + aType(v)
}

func tomlValue(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case []any, map[string]any:
		return "the " + tomlType(v)
	}
	return fmt.Sprint(v)
}

// closest returns the valid key nearest to name, if it is near enough to
// be a typo.
func closest(name string, valid []string) string {
	best, bestD := "", 3
	for _, v := range valid {
		if len(name)-len(v) >= bestD || len(v)-len(name) >= bestD {
			continue // the distance is at least the difference in length
		}
		if d := editDistance(name, v); d < bestD {
			best, bestD = v, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// keyLines maps the keys and tables of a TOML file to their lines, with
// the [[site]] tables numbered: "site[1].push.mode". It exists because
// BurntSushi/toml reports positions of syntax errors only: the positions of
// keys it decoded are private (its issue #462), and a mistake in a value
// must still name its line. It reads the usual layout (one key per line,
// tables and arrays of tables by header); a key it cannot place gets the
// line of its table.
//
// It is built once, in one pass over the lines, so that finding the line of
// each of many keys costs no more than reading the file.
type keyLines struct {
	at   map[string]int
	same map[string][]string // "site.push.mode": "site[0].push.mode", "site[1].push.mode", in file order
}

var keyLine = regexp.MustCompile(`^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=`)

func indexKeys(text string) keyLines {
	k := keyLines{at: map[string]int{}, same: map[string][]string{}}
	counts := map[string]int{} // arrays of tables: how many so far
	table := ""
	for n, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "[["):
			name := dotted(strings.TrimSuffix(strings.TrimSpace(strings.Trim(cutComment(t), "[] \t")), "]"))
			parent := k.resolve(name, counts)
			table = fmt.Sprintf("%s[%d]", parent, counts[name])
			counts[name]++
			k.add(table, n+1)
		case strings.HasPrefix(t, "["):
			table = k.resolve(dotted(strings.Trim(cutComment(t), "[] \t")), counts)
			k.add(table, n+1)
		default:
			if m := keyLine.FindStringSubmatch(line); m != nil {
				key := dotted(m[1])
				if table != "" {
					key = table + "." + key
				}
				k.add(key, n+1)
			}
		}
	}
	return k
}

// resolve numbers the arrays of tables inside a dotted table name: with
// one [[site]] so far, "site.tls" is "site[0].tls".
func (k *keyLines) resolve(name string, counts map[string]int) string {
	parts := strings.Split(name, ".")
	out := make([]string, 0, len(parts))
	for i := range parts {
		prefix := strings.Join(parts[:i+1], ".")
		part := parts[i]
		if c := counts[prefix]; c > 0 && i < len(parts)-1 {
			part = fmt.Sprintf("%s[%d]", part, c-1)
		}
		out = append(out, part)
	}
	return strings.Join(out, ".")
}

func (k *keyLines) add(key string, line int) {
	if _, ok := k.at[key]; !ok {
		k.at[key] = line
		plain := unindex(key)
		k.same[plain] = append(k.same[plain], key)
	}
}

// line returns the line of key, or of the nearest table holding it.
func (k *keyLines) line(key string) int {
	for key != "" {
		if n, ok := k.at[key]; ok {
			return n
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			i = strings.LastIndexByte(key, '[') // "site[0]" of an inline list: "site"
		}
		if i <= 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

func cutComment(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 && !strings.ContainsAny(s[:i], `"'`) {
		return s[:i]
	}
	return s
}

// dotted normalizes a TOML key: unquoted parts, no spaces around dots.
func dotted(key string) string {
	var parts []string
	for _, p := range splitKey(key) {
		p = strings.TrimSpace(p)
		if len(p) >= 2 && (p[0] == '"' || p[0] == '\'') {
			if u, err := strconv.Unquote(`"` + p[1:len(p)-1] + `"`); err == nil && p[0] == '"' {
				p = u
			} else {
				p = p[1 : len(p)-1]
			}
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ".")
}

func splitKey(key string) []string {
	var parts []string
	var quote byte
	start := 0
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '.':
			parts = append(parts, key[start:i])
			start = i + 1
		}
	}
	return append(parts, key[start:])
}

var indexes = regexp.MustCompile(`\[\d+\]`)

// unindex turns "site[1].push.mode" into "site.push.mode".
func unindex(key string) string { return indexes.ReplaceAllString(key, "") }
