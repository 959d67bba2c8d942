// Package config reads herald.toml: the settings of the server and of the
// sites it serves, checked with every mistake reported at its line and key.
//
// The files by job: config.go loads a file and checks its sites,
// server.go declares the keys of [server] (ServerSettings) and reads them,
// settings.go reads a site's serve.Settings (the keys that are options of
// its handler), schema.go is the shape of the file and its unknown keys
// (those of both lists included), values.go the
// parsers of sizes, durations, addresses, hosts and headers, keylines.go
// the index of keys to lines, messages.go the names of types and the typo
// hints, limits.go the bounds checked before the TOML library reads a file.
package config

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"herald/serve"

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

// UsesACME reports whether a site gets its certificate with ACME.
func (c *Config) UsesACME() bool {
	return slices.ContainsFunc(c.Sites, func(s *Site) bool { return s.TLS != nil && s.TLS.ACME })
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

	// Options are the handler options of the site: serve.DefaultOptions
	// with the serve.Settings the file gives. The process adds its own
	// (Logger, Compressed, AccessLog, Observe).
	Options serve.Options

	given map[string]bool // the keys of serve.Settings the file gives
}

// Gives reports whether the file gives the site the setting at key, a key
// of serve.Settings such as "not_found".
func (s *Site) Gives(key string) bool { return s.given[key] }

// TLS is where a site's certificate comes from.
type TLS struct {
	Cert, Key string // PEM files, or
	Local     bool   // a localhost certificate from herald's local CA, or
	ACME      bool   // one obtained for the site's hosts ([server.acme])
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
	p.serverSettings(p.server)
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
	c      *Config
	dir    string
	errs   Errors
	server map[string]any   // [server] as decoded, where ServerSettings are read
	sites  []map[string]any // the [[site]] tables as decoded, where serve.Settings are read
}

// errorf records a mistake at key, an indexed path such as
// "site[1].push.mode".
func (p *parser) errorf(key, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.c.File, Line: p.c.lines.line(key), Key: unindex(key),
		Msg: fmt.Sprintf(format, args...)})
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
	s.TLS = p.tls(i, &r.TLS, s.Hosts)
	if len(s.Listen) == 0 {
		s.Listen = []string{":" + serve.DefaultPort} // every interface: a configured server is for the network
		switch {
		case s.TLS != nil && s.TLS.ACME:
			s.Listen = []string{":443"} // where the authority validates TLS-ALPN-01, and where HTTPS is found
		case s.TLS != nil:
			s.Listen = []string{":" + serve.DefaultTLSPort}
		}
	}
	p.settings(i, s)
	p.c.Sites = append(p.c.Sites, s)
}

func (p *parser) tls(i int, r *rawTLS, hosts []string) *TLS {
	at := func(key string) string { return fmt.Sprintf("site[%d].tls.%s", i, key) }
	cert, key := p.str(at("cert"), r.Cert), p.str(at("key"), r.Key)
	local := p.boolean(at("local"), r.Local, false)
	acme := p.boolean(at("acme"), r.ACME, false)
	switch {
	case acme && (cert != "" || key != "" || local):
		p.errorf(at("acme"), "acme = true obtains the certificate from [server.acme]: remove cert, key and local, or acme")
		return nil
	case acme && len(hosts) == 0:
		p.errorf(at("acme"), "acme = true needs the host names to get a certificate for: list them in the [[site]], such as hosts = [\"example.com\", \"www.example.com\"]")
		return nil
	case acme:
		for _, h := range hosts {
			if strings.HasPrefix(h, "*.") {
				p.errorf(at("acme"), "%q: a wildcard certificate needs the DNS-01 challenge, which herald does not answer: list each host name, or give cert and key", h)
				return nil
			}
		}
		return &TLS{ACME: true}
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
	if a := p.c.Server.ACME.HTTPListen; p.c.UsesACME() && ValidListenAddr(a) {
		if b := takenBy(ports, a); b != "" {
			p.errorf("server.acme.http_listen", "the ACME sites' plain-HTTP listener %q (challenges, and redirects to HTTPS) takes the port of %q (%s): "+
				"give http_listen in [server.acme] another address, or listen elsewhere with %[3]s", a, b, byAddr[b][0].Name)
		}
	}
	if a := p.c.Server.Metrics; ValidListenAddr(a) {
		if b := takenBy(ports, a); b != "" {
			by := "the ACME sites' plain-HTTP listener"
			if byAddr[b] != nil {
				by = byAddr[b][0].Name
			}
			p.errorf("server.metrics", "the metrics endpoint %q takes the port of %q (%s), so one could not start: give metrics in [server] a port of its own, such as \"127.0.0.1:9180\"", a, b, by)
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
