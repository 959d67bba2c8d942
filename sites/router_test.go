package sites

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"herald/bundle"
	"herald/config"
	"herald/internal/testsite"
	"herald/manifest"
)

// WriteTestCert writes a self-signed certificate for hosts and its key as
// PEM files in dir, and returns their paths and the certificate.
func writeTestCert(t testing.TB, dir string, hosts ...string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: hosts[0]},
		DNSNames:     hosts,
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:        true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, hosts[0]+".pem"), filepath.Join(dir, hosts[0]+".key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ = x509.ParseCertificate(der)
	return certFile, keyFile, cert
}

// fileBackend serves a site with http.FileServerFS and names the manifest
// it was given in a header: enough to see which site answered.
var fileBackend = Backend{
	Handler: func(s *config.Site, fsys fs.FS, m *manifest.Manifest) http.Handler {
		files := http.FileServerFS(fsys)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Site", s.Name)
			w.Header().Set("X-Manifest", m.Hash)
			files.ServeHTTP(w, r)
		})
	},
	LoadCert: func(certFile, keyFile string) (*tls.Config, error) {
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		return &tls.Config{Certificates: []tls.Certificate{c}}, nil
	},
}

// TestRouterTLS: two sites on one address, each with its own certificate
// chosen by SNI; each host gets only its own files; an unknown host gets
// 404 and a Host that is not the connection's SNI gets 421.
func TestRouterTLS(t *testing.T) {
	dir := t.TempDir()
	a := testsite.WriteDir(t, map[string]string{"index.html": "site a", "only-a.txt": "a's file"})
	b := testsite.WriteDir(t, map[string]string{"index.html": "site b", "only-b.txt": "b's file", "sub/x.css": "b{}"})
	aCert, aKey, aX509 := writeTestCert(t, dir, "a.test", "www.a.test")
	bCert, bKey, bX509 := writeTestCert(t, dir, "b.test", "*.b.test")
	cfgFile := filepath.Join(dir, "herald.toml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`
[[site]]
hosts = ["a.test", "www.a.test"]
root = %q
listen = ["127.0.0.1:0"]
[site.tls]
cert = %q
key = %q

[[site]]
hosts = ["b.test", "*.b.test"]
root = %q
listen = ["127.0.0.1:0"]
[site.tls]
cert = %q
key = %q
`, a, aCert, aKey, b, bCert, bKey)), 0o644)
	cfg, err := config.Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	running, err := Open(cfg, fileBackend)
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	if len(running.Listeners) != 1 {
		t.Fatalf("%d listeners, want one shared address", len(running.Listeners))
	}
	l := running.Listeners[0]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: l.Router, TLSConfig: l.TLS}
	go srv.ServeTLS(ln, "", "")
	defer srv.Close()

	roots := x509.NewCertPool()
	roots.AddCert(aX509)
	roots.AddCert(bX509)
	// client connects to the listener, whatever the URL's host, with sni
	// as the TLS server name ("" sends none and skips verification).
	client := func(sni string) *http.Client {
		return &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, ln.Addr().String())
			},
			TLSClientConfig:   &tls.Config{RootCAs: roots, ServerName: sni, InsecureSkipVerify: sni == ""},
			ForceAttemptHTTP2: true,
		}}
	}
	manifestOf := map[string]string{"a.test": running.Sites[0].Manifest.Hash, "b.test": running.Sites[1].Manifest.Hash}
	if manifestOf["a.test"] == manifestOf["b.test"] {
		t.Fatal("both sites have the same manifest")
	}
	tests := []struct {
		name, sni, host, path string
		code                  int
		body, site            string
	}{
		{"a's page", "a.test", "a.test", "/only-a.txt", 200, "a's file", "a.test"},
		{"a's other name", "www.a.test", "www.a.test", "/", 200, "site a", "a.test"},
		{"b's page", "b.test", "b.test", "/only-b.txt", 200, "b's file", "b.test"},
		{"b by wildcard", "cdn.b.test", "cdn.b.test", "/sub/x.css", 200, "b{}", "b.test"},
		{"host with port and upper case", "b.test", "B.TEST:443", "/", 200, "site b", "b.test"},
		{"a has no b's files", "a.test", "a.test", "/only-b.txt", 404, "", "a.test"},
		{"b has no a's files", "b.test", "b.test", "/only-a.txt", 404, "", "b.test"},
		{"Host of the other site on a's connection", "a.test", "b.test", "/only-b.txt", 421, "misdirected", ""},
		{"unknown SNI, known Host", "c.test", "a.test", "/only-a.txt", 421, "misdirected", ""},
		{"unknown host", "a.test", "c.test", "/only-a.txt", 404, "no site is served here", ""},
		{"wildcard is one label", "x.y.b.test", "x.y.b.test", "/", 404, "no site", ""},
		{"no SNI, known Host", "", "a.test", "/only-a.txt", 200, "a's file", "a.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := client(tt.sni)
			if strings.HasPrefix(tt.sni, "c.") || strings.HasPrefix(tt.sni, "x.y.") {
				// no certificate names it: trust what comes (a's, the default)
				c.Transport.(*http.Transport).TLSClientConfig.InsecureSkipVerify = true
			}
			req, _ := http.NewRequest("GET", "https://"+tt.host+tt.path, nil)
			req.Host = tt.host
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.code || !strings.Contains(string(body), tt.body) {
				t.Errorf("%d %q, want %d with %q", resp.StatusCode, body, tt.code, tt.body)
			}
			if got := resp.Header.Get("X-Site"); got != tt.site {
				t.Errorf("answered by %q, want %q", got, tt.site)
			}
			if tt.site != "" && resp.Header.Get("X-Manifest") != manifestOf[tt.site] {
				t.Errorf("manifest %s, want %s's", resp.Header.Get("X-Manifest"), tt.site)
			}
			if tt.sni != "" && !strings.HasPrefix(tt.sni, "c.") && !strings.HasPrefix(tt.sni, "x.y.") {
				if err := resp.TLS.PeerCertificates[0].VerifyHostname(tt.sni); err != nil {
					t.Errorf("certificate for SNI %s: %v", tt.sni, err)
				}
			}
			if resp.ProtoMajor != 2 {
				t.Errorf("protocol %s, want HTTP/2", resp.Proto)
			}
		})
	}
}

// TestOpenErrors: a folder, bundle or certificate that cannot be used is
// reported at the line of the key that names it.
func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	root := testsite.WriteDir(t, map[string]string{"index.html": "x"})
	notBundle := filepath.Join(dir, "plain")
	os.WriteFile(notBundle, []byte("not a program"), 0o755)
	tests := []struct {
		name, toml string
		line       int
		key, msg   string
	}{
		{"missing root", "[[site]]\nroot = \"nowhere\"\n", 2, "site.root", "cannot open the site folder"},
		{"not a bundle", "[[site]]\nbundle = \"plain\"\n", 2, "site.bundle", bundle.ErrNoSite.Error()},
		{"missing cert", fmt.Sprintf("[[site]]\nroot = %q\n[site.tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\n", root), 4, "site.tls.cert", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse(filepath.Join(dir, "herald.toml"), []byte(tt.toml))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Open(cfg, fileBackend)
			var list config.Errors
			if !errors.As(err, &list) || len(list) != 1 || list[0].Line != tt.line || list[0].Key != tt.key || !strings.Contains(list[0].Msg, tt.msg) {
				t.Errorf("got %v, want line %d, key %s, %q", err, tt.line, tt.key, tt.msg)
			}
		})
	}
}

// TestOpenFindings: what does not stop a site being served is listed at the
// line of its key: a not_found page the site lacks (a mistake, which was
// accepted without a word), a link to a folder (a warning).
func TestOpenFindings(t *testing.T) {
	root := testsite.WriteDir(t, map[string]string{"index.html": "x", "404.html": "gone", "sub/a.html": "a"})
	os.Symlink("gone.html", filepath.Join(root, "broken.html"))
	os.Symlink("sub", filepath.Join(root, "folder"))
	tests := []struct {
		name, toml string
		want       []string // each finding about not_found, as Error prints it
	}{
		{"the site's own 404 page", fmt.Sprintf("[[site]]\nroot = %q\nnot_found = \"/404.html\"\n", root), nil},
		{"a page the site lacks", fmt.Sprintf("[[site]]\nname = \"docs\"\nroot = %q\nnot_found = \"/nope.html\"\n", root),
			[]string{`herald.toml:4: site.not_found: "/nope.html" is not a file of docs, so a missing page gets a plain 404`}},
		{"a folder", fmt.Sprintf("[[site]]\nroot = %q\nnot_found = \"/sub\"\n", root), []string{`herald.toml:3: site.not_found: "/sub" is not a file`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse("herald.toml", []byte(tt.toml))
			if err != nil {
				t.Fatal(err)
			}
			running, err := Open(cfg, fileBackend)
			if err != nil {
				t.Fatal(err)
			}
			defer running.Close()
			var got []string
			warnings := 0
			for _, e := range running.Findings() {
				if e.Warning {
					warnings++
				} else if e.Key == "site.not_found" {
					got = append(got, e.Error())
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("findings about not_found: %q, want %q", got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("finding %q, want %q", got[i], tt.want[i])
				}
			}
			if warnings != 1 {
				t.Errorf("%d warnings, want 1 (the link to a folder)", warnings)
			}
		})
	}
}

// TestURLs: the URLs printed by serve --config reach a site, the first
// site's first, with the port each listener got; the listener's own URL
// (https://127.0.0.1:PORT/) gets 404 when every site lists host names.
func TestURLs(t *testing.T) {
	site := func(listen []string, hosts ...string) *Opened {
		return &Opened{Site: &config.Site{Hosts: hosts, Listen: listen}}
	}
	served := map[string]string{
		":8443":          "https://localhost:8443/",
		"127.0.0.1:0":    "https://127.0.0.1:41234/",
		":443":           "https://localhost/",
		"127.0.0.1:8080": "http://127.0.0.1:8080/",
	}
	tests := []struct {
		name  string
		sites []*Opened
		want  []string
	}{
		{"host names", []*Opened{site([]string{"127.0.0.1:0"}, "docs.test"), site([]string{"127.0.0.1:0"}, "small.test")},
			[]string{"https://docs.test:41234/", "https://small.test:41234/"}},
		{"default port", []*Opened{site([]string{":443", ":8443"}, "example.com", "www.example.com")},
			[]string{"https://example.com/", "https://example.com:8443/"}},
		{"any host", []*Opened{site([]string{"127.0.0.1:8080"}), site([]string{"127.0.0.1:8080"}, "b.test")},
			[]string{"http://127.0.0.1:8080/", "http://b.test:8080/"}},
		{"wildcard first", []*Opened{site([]string{":8443"}, "*.example.com", "example.org")},
			[]string{"https://example.org:8443/"}},
		{"wildcards only", []*Opened{site([]string{":8443"}, "*.example.com")},
			[]string{"https://www.example.com:8443/"}},
		{"once each", []*Opened{site([]string{":443"}), site([]string{":443"})},
			[]string{"https://localhost/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := (&Running{Sites: tt.sites}).URLs(served)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("URLs = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestACMESites: a site with tls.acme gets its certificates from the
// Backend's ACME manager, given its hosts; the other site on the address
// keeps its own; the listener offers TLS-ALPN-01's protocol. Without a
// manager the site is refused at its acme key.
func TestACMESites(t *testing.T) {
	dir := t.TempDir()
	a := testsite.WriteDir(t, map[string]string{"index.html": "site a"})
	bCert, bKey, bX509 := writeTestCert(t, dir, "b.test")
	_, _, acmeX509 := writeTestCert(t, dir, "a.test")
	cfgFile := filepath.Join(dir, "herald.toml")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`
[server.acme]
http_listen = "127.0.0.1:8081"
[[site]]
hosts = ["a.test", "www.a.test"]
root = %q
listen = ["127.0.0.1:8444"]
[site.tls]
acme = true

[[site]]
hosts = ["b.test"]
root = %[1]q
listen = ["127.0.0.1:8444"]
[site.tls]
cert = %q
key = %q
`, a, bCert, bKey)), 0o644)
	cfg, err := config.Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(cfg, fileBackend); err == nil || !strings.Contains(err.Error(), "tls.acme: herald started without ACME sites") {
		t.Fatalf("Open without a manager: %v", err)
	}
	var managed []string
	backend := fileBackend
	backend.ACME = func(hosts []string) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		managed = append(managed, hosts...)
		return func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return &tls.Certificate{Certificate: [][]byte{acmeX509.Raw}}, nil
		}
	}
	r, err := Open(cfg, backend)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if strings.Join(managed, ",") != "a.test,www.a.test" {
		t.Errorf("managed %q, want the hosts of the ACME site", managed)
	}
	l := r.Listeners[0]
	if !slices.Contains(l.TLS.NextProtos, "acme-tls/1") {
		t.Errorf("NextProtos %q lack acme-tls/1", l.TLS.NextProtos)
	}
	for host, want := range map[string]*x509.Certificate{"www.a.test": acmeX509, "b.test": bX509} {
		c, err := l.TLS.GetCertificate(&tls.ClientHelloInfo{ServerName: host})
		if err != nil || !bytes.Equal(c.Certificate[0], want.Raw) {
			t.Errorf("%s: not its certificate (%v)", host, err)
		}
	}
}
