package sites

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"

	"herald/acme"
	"herald/bundle"
	"herald/config"
	"herald/manifest"
)

// Running is a configuration opened: each site's files, manifest, handler
// and certificate, grouped by listen address.
type Running struct {
	Config    *config.Config
	Sites     []*Opened
	Listeners []*Listener
}

// Opened is one site ready to serve.
type Opened struct {
	*config.Site
	FS       fs.FS
	Manifest *manifest.Manifest
	Handler  http.Handler
	Problems []manifest.Problem // what the manifest build could not use
	cert     func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	close    func() error
}

// Listener is one listen address and the sites it answers for.
type Listener struct {
	Addr   string
	Router *Router
	TLS    *tls.Config // nil: plain HTTP
}

// Backend is what Open needs from the server: the handler of one site and
// the loading of certificates (herald's serve package provides them).
type Backend struct {
	Handler   func(s *config.Site, fsys fs.FS, m *manifest.Manifest) http.Handler
	LoadCert  func(certFile, keyFile string) (*tls.Config, error)
	LocalCert func(dir string) (*tls.Config, error)
	// ACME manages the certificates of hosts (sites with tls.acme = true)
	// and returns how to choose them; nil when herald has no ACME manager.
	ACME func(hosts []string) func(*tls.ClientHelloInfo) (*tls.Certificate, error)
}

// Open opens every site of the configuration: its folder (read through an
// os.Root, with a manifest built now) or its bundle (with the manifest made
// at bundle time), its certificate, and its handler. Mistakes found here
// are config.Errors at the key that named the file.
func Open(c *config.Config, srv Backend) (*Running, error) {
	r := &Running{Config: c}
	var errs config.Errors
	never := manifest.NewNever(Referenced(c)...)
	for _, s := range c.Sites {
		o, key, err := open(c, s, srv, never)
		if err != nil {
			at := fmt.Sprintf("site[%d].%s", s.Index, key)
			errs = append(errs, c.ErrorAt(at, err.Error()))
			continue
		}
		r.Sites = append(r.Sites, o)
	}
	if len(errs) > 0 {
		r.Close()
		return nil, errs
	}
	r.Listeners = listeners(r.Sites)
	return r, nil
}

// Certificate is the certificate the site serves to a client asking for
// host, nil without TLS or when none is to be had.
func (o *Opened) Certificate(host string) *tls.Certificate {
	if o.cert == nil {
		return nil
	}
	c, err := o.cert(&tls.ClientHelloInfo{ServerName: host})
	if err != nil {
		return nil
	}
	return c
}

// Findings lists what opening the sites found that does not stop them
// being served: a not_found page the site does not have (a missing page
// then gets a plain 404), and each file of a site's folder that its
// manifest build could not use, at the line of the site's root. Those
// marked Warning need no action; the others leave something out of the site.
func (r *Running) Findings() config.Errors {
	var list config.Errors
	c := r.Config
	for _, s := range r.Sites {
		if nf := s.Options.NotFoundPage; s.Gives("not_found") && s.Manifest.Files[nf] == (manifest.File{}) {
			at := fmt.Sprintf("site[%d].not_found", s.Index)
			list = append(list, c.ErrorAt(at, fmt.Sprintf("%q is not a file of %s, so a missing page gets a plain 404: give the path of a page the site has, such as \"/404.html\"", nf, s.Name)))
		}
		at := fmt.Sprintf("site[%d].root", s.Index)
		if s.Bundle != "" {
			at = fmt.Sprintf("site[%d].bundle", s.Index)
		}
		for _, p := range s.Problems {
			e := c.ErrorAt(at, fmt.Sprintf("%s: %v", p.Path, p.Err))
			e.Warning = p.Warning
			list = append(list, e)
		}
	}
	return list
}

// Referenced lists the files and folders the configuration names, which no
// site serves (manifest.Never): the file itself, each site's certificate,
// key and bundle, the local CA's folder when a site uses it, and the ACME
// storage and ca_root when a site uses ACME.
func Referenced(c *config.Config) []string {
	list := []string{c.File}
	local := false
	for _, s := range c.Sites {
		if s.Bundle != "" {
			list = append(list, s.Bundle)
		}
		if t := s.TLS; t != nil {
			local = local || t.Local
			if !t.Local {
				list = append(list, t.Cert, t.Key)
			}
		}
	}
	if c.Server.LocalCertDir != "" || local {
		if dir, err := c.Server.CertDir(); err == nil {
			list = append(list, dir)
		}
	}
	if a := c.Server.ACME; c.UsesACME() {
		if a.CARoot != "" {
			list = append(list, a.CARoot)
		}
		if a.Storage != "" {
			list = append(list, a.Storage)
		} else if dir, err := acme.DefaultStorage(); err == nil {
			list = append(list, dir)
		}
	}
	return list
}

// open opens one site; on error it names the key at fault. No site serves
// a file of never.
func open(c *config.Config, s *config.Site, srv Backend, never *manifest.Never) (o *Opened, key string, err error) {
	o = &Opened{Site: s, close: func() error { return nil }}
	if s.Bundle != "" {
		b, err := bundle.Open(s.Bundle)
		if err != nil {
			return nil, "bundle", err
		}
		o.FS, o.close = b.FS(), b.Close
		o.Manifest, o.Problems = never.Filter(b.Manifest())
	} else {
		root, err := os.OpenRoot(s.Root)
		if err != nil {
			return nil, "root", fmt.Errorf("cannot open the site folder: %w", err)
		}
		o.FS, o.close = root.FS(), root.Close
		o.Manifest, o.Problems, err = manifest.Build(o.FS, manifest.Options{Origin: s.Origin, Never: never})
		if err != nil {
			root.Close()
			return nil, "root", fmt.Errorf("build the manifest: %w", err)
		}
		if _, err := manifest.Marshal(o.Manifest); err != nil { // sets its hash
			root.Close()
			return nil, "root", err
		}
	}
	if s.TLS != nil {
		if o.cert, key, err = certificate(c, s, srv); err != nil {
			o.close()
			return nil, key, err
		}
	}
	o.Handler = srv.Handler(s, o.FS, o.Manifest)
	return o, "", nil
}

// certificate loads a site's certificate and returns how to choose it for a
// TLS handshake.
func certificate(c *config.Config, s *config.Site, srv Backend) (func(*tls.ClientHelloInfo) (*tls.Certificate, error), string, error) {
	var cfg *tls.Config
	var err error
	key := "tls.cert"
	t := s.TLS
	if t.ACME {
		if srv.ACME == nil {
			return nil, "tls.acme", errors.New("herald started without ACME sites, so it has no listener for the challenges: restart herald to serve this site")
		}
		return srv.ACME(s.Hosts), "", nil
	}
	if t.Local {
		key = "tls.local"
		dir, err := c.Server.CertDir()
		if err != nil {
			return nil, key, err
		}
		cfg, err = srv.LocalCert(dir)
	} else {
		cfg, err = srv.LoadCert(t.Cert, t.Key)
	}
	switch {
	case err != nil:
		return nil, key, err
	case cfg.GetCertificate != nil:
		return cfg.GetCertificate, "", nil
	case len(cfg.Certificates) > 0:
		cert := &cfg.Certificates[0]
		return func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return cert, nil }, "", nil
	}
	return nil, key, errors.New("no certificate was loaded")
}

// listeners groups the sites by listen address, in the order the file
// first names each address.
func listeners(sites []*Opened) []*Listener {
	var out []*Listener
	byAddr := map[string]*Listener{}
	for _, s := range sites {
		for _, a := range s.Listen {
			l := byAddr[a]
			if l == nil {
				l = &Listener{Addr: a, Router: &Router{exact: map[string]*Opened{}, wild: map[string]*Opened{}}}
				byAddr[a] = l
				out = append(out, l)
			}
			l.Router.add(s)
		}
	}
	for _, l := range out {
		if l.Router.tls {
			l.TLS = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: l.Router.certificate}
			if l.Router.acme {
				l.TLS.NextProtos = []string{acme.NextProto} // TLS-ALPN-01 challenges
			}
		}
	}
	return out
}

// URLs are the URLs that reach the sites, one for each site on each of its
// listen addresses, in the order of the file: the first reaches the first
// site. served gives the URL each listen address is served at, as the
// server prints it (scheme, host and the port it got: "https://127.0.0.1:8443/").
// A site's URL names its first host name that is not a wildcard, or else
// its first wildcard with the * read as www (a host it answers); a site that answers any host
// keeps the listener's URL. The same URL is listed once.
func (r *Running) URLs(served map[string]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range r.Sites {
		for _, a := range s.Listen {
			u := siteURL(s.Site, served[a])
			if u != "" && !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	return out
}

// siteURL is the URL of s on the listener served at listenerURL.
func siteURL(s *config.Site, listenerURL string) string {
	if len(s.Hosts) == 0 || listenerURL == "" {
		return listenerURL
	}
	scheme, rest, ok := strings.Cut(listenerURL, "://")
	if !ok {
		return listenerURL
	}
	hostPort, _, _ := strings.Cut(rest, "/")
	host := s.Hosts[0]
	if i := slices.IndexFunc(s.Hosts, func(h string) bool { return !strings.HasPrefix(h, "*.") }); i >= 0 {
		host = s.Hosts[i]
	} else {
		host = "www." + strings.TrimPrefix(host, "*.")
	}
	if _, port, err := net.SplitHostPort(hostPort); err == nil {
		host = net.JoinHostPort(host, port)
	}
	return scheme + "://" + host + "/"
}

// Close closes the sites' folders and bundles.
func (r *Running) Close() error {
	var errs []error
	for _, s := range r.Sites {
		errs = append(errs, s.close())
	}
	return errors.Join(errs...)
}

// Router sends each request to the site its Host names. A host no site
// lists gets 404; over TLS, a request whose Host names another site than
// the connection's SNI gets 421 Misdirected Request (a client reusing a
// connection made for one site retries on a new one). Never is a request
// answered from another site's files.
type Router struct {
	exact map[string]*Opened // host name → site
	wild  map[string]*Opened // "example.com" → the site of "*.example.com"
	any   *Opened            // a site listing no hosts, alone on its address
	first *Opened            // the certificate for a handshake without SNI
	tls   bool
	acme  bool // a site gets its certificate by ACME
}

func (rt *Router) add(s *Opened) {
	if len(s.Hosts) == 0 {
		rt.any = s
	}
	for _, h := range s.Hosts {
		if rest, ok := strings.CutPrefix(h, "*."); ok {
			rt.wild[rest] = s
		} else {
			rt.exact[h] = s
		}
	}
	if s.TLS != nil {
		rt.tls = true
		rt.acme = rt.acme || s.TLS.ACME
		if rt.first == nil {
			rt.first = s
		}
	}
}

// site returns the site of a host name (no port, any case), or nil.
func (rt *Router) site(host string) *Opened {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if s := rt.exact[host]; s != nil {
		return s
	}
	if _, parent, ok := strings.Cut(host, "."); ok {
		if s := rt.wild[parent]; s != nil {
			return s
		}
	}
	return rt.any
}

func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	s := rt.site(strings.Trim(host, "[]"))
	if s == nil {
		http.Error(w, "404 not found: no site is served here for this host name", http.StatusNotFound)
		return
	}
	if r.TLS != nil && r.TLS.ServerName != "" && rt.site(r.TLS.ServerName) != s {
		http.Error(w, "421 misdirected request: this connection was made for another host name; connect again", http.StatusMisdirectedRequest)
		return
	}
	s.Handler.ServeHTTP(w, r)
}

// certificate chooses the certificate by SNI; a handshake naming no site
// (or no name at all) gets the first site's, and its requests then get
// 404 or 421 from ServeHTTP.
func (rt *Router) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	s := rt.site(hello.ServerName)
	if s == nil || s.cert == nil {
		s = rt.first
	}
	return s.cert(hello)
}
