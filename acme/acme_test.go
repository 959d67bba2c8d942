package acme

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/internal/pebble"
	"herald/metrics"

	"golang.org/x/crypto/ocsp"
)

// syncBuffer is a log written by several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitLog waits until the log has a line holding every part.
func waitLog(t *testing.T, log *syncBuffer, parts ...string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for line := range strings.Lines(log.String()) {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				return line
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no log line with %q in:\n%s", parts, log)
	return ""
}

// rig is a Manager with herald's two listeners: plain HTTP (challenges
// and redirects) and TLS (TLS-ALPN-01 and the page), on fixed free ports.
type rig struct {
	m                 *Manager
	log               *syncBuffer
	httpAddr, tlsAddr string
}

func newRig(t *testing.T, opts Options) *rig {
	t.Helper()
	r := &rig{log: &syncBuffer{}, httpAddr: pebble.FreeAddr(t), tlsAddr: pebble.FreeAddr(t)}
	if opts.HTTPPort == 0 {
		opts.HTTPPort = port(r.httpAddr)
	}
	opts.TLSPort = port(r.tlsAddr)
	opts.Logger = slog.New(slog.NewTextHandler(r.log, nil))
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	r.m = m
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "page of "+r.Host) })
	serve(t, r.httpAddr, m.HTTPHandler(), nil)
	serve(t, r.tlsAddr, page, &tls.Config{GetCertificate: m.GetCertificate, NextProtos: []string{"h2", "http/1.1", NextProto}})
	return r
}

func serve(t *testing.T, addr string, h http.Handler, cfg *tls.Config) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	srv := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

func port(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// get fetches https://host/ from the rig's TLS listener, trusting roots.
func (r *rig) get(host string, roots *x509.CertPool) (*http.Response, error) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: host},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, r.tlsAddr)
		},
	}}
	return c.Get("https://" + host + "/")
}

// waitCert waits for the certificate of host and returns its chain.
func (r *rig) waitCert(t *testing.T, host string) [][]byte {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := tls.Dial("tcp", r.tlsAddr, &tls.Config{ServerName: host, InsecureSkipVerify: true})
		if err == nil {
			defer conn.Close()
			var chain [][]byte
			for _, c := range conn.ConnectionState().PeerCertificates {
				chain = append(chain, c.Raw)
			}
			return chain
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no certificate for %s:\n%s", host, r.log)
	return nil
}

// verify checks chain, as served, against Pebble's issuing root.
func verify(t *testing.T, p *pebble.Server, host string, chain [][]byte) *x509.CertPool {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(p.Root(t))
	inter := x509.NewCertPool()
	var leaf *x509.Certificate
	for i, der := range chain {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			leaf = c
		} else {
			inter.AddCert(c)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter}); err != nil {
		t.Fatalf("the chain served for %s does not verify against Pebble's root: %v", host, err)
	}
	return roots
}

// TestACMEObtain: with validation skipped, certificates for two hosts are
// obtained from Pebble, chain to its root, and serve a page over HTTPS;
// a second Manager on the same storage loads them instead of ordering.
func TestACMEObtain(t *testing.T) {
	p := pebble.Start(t, pebble.Options{AlwaysValid: true})
	storage := t.TempDir()
	r := newRig(t, Options{Directory: p.Directory, CARoot: p.CARoot, Storage: storage, Email: "admin@example.com"})
	hosts := []string{"a.herald.test", "b.herald.test"}
	r.m.Manage(hosts)
	r.m.Start()
	for _, h := range hosts {
		roots := verify(t, p, h, r.waitCert(t, h))
		resp, err := r.get(h, roots)
		if err != nil {
			t.Fatalf("%s: %v", h, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: status %d", h, resp.StatusCode)
		}
	}
	waitLog(t, r.log, "certificate obtained", "host=a.herald.test")

	again := newRig(t, Options{Directory: p.Directory, CARoot: p.CARoot, Storage: storage})
	again.m.Manage(hosts[:1])
	again.m.Start()
	again.waitCert(t, hosts[0])
	waitLog(t, again.log, "certificate in use", "a.herald.test")
	if strings.Contains(again.log.String(), "certificate obtained") {
		t.Errorf("a second herald on the same storage ordered again:\n%s", again.log)
	}
}

// TestACMERedirect: the plain-HTTP listener sends every request but a
// challenge to HTTPS, with the same host and path.
func TestACMERedirect(t *testing.T) {
	r := newRig(t, Options{Directory: "https://127.0.0.1:1/dir", Storage: t.TempDir()})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", "http://"+r.httpAddr+"/docs/a.html?q=1", nil)
	req.Host = "docs.example.com"
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := fmt.Sprintf("https://docs.example.com:%d/docs/a.html?q=1", port(r.tlsAddr))
	if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
		t.Errorf("got %d to %q, want 308 to %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
}

// TestACMEValidation: Pebble's validation authority really fetches the
// HTTP-01 token from herald's plain-HTTP listener (its DNS answering
// 127.0.0.1); a host whose validation port nobody serves is logged with
// the reason Pebble gives.
func TestACMEValidation(t *testing.T) {
	t.Run("http-01", func(t *testing.T) {
		httpAddr := pebble.FreeAddr(t)
		p := pebble.Start(t, pebble.Options{HTTPPort: port(httpAddr), TLSPort: pebble.FreePort(t), DNS: true})
		r := newRigAt(t, httpAddr, Options{Directory: p.Directory, CARoot: p.CARoot, Storage: t.TempDir()}, true)
		r.m.Manage([]string{"real.herald.test"})
		r.m.Start()
		chain := r.waitCert(t, "real.herald.test")
		verify(t, p, "real.herald.test", chain)
	})
	t.Run("nobody answers", func(t *testing.T) {
		closed := pebble.FreeAddr(t) // nobody listens there
		p := pebble.Start(t, pebble.Options{HTTPPort: port(closed), TLSPort: port(closed), DNS: true})
		r := newRig(t, Options{Directory: p.Directory, CARoot: p.CARoot, Storage: t.TempDir()})
		r.m.Manage([]string{"nowhere.herald.test"})
		r.m.Start()
		line := waitLog(t, r.log, "cannot get a certificate", "host=nowhere.herald.test", "problem=")
		// Pebble's reason names the address it could not connect to
		// (HTTP-01 or TLS-ALPN-01, as certmagic chose).
		if !strings.Contains(line, closed) || !strings.Contains(line, "type=urn:ietf:params:acme:error:") {
			t.Errorf("the line does not give Pebble's reason (no connection to %s):\n%s", closed, line)
		}
		t.Log(line)
	})
}

// newRigAt is newRig with the plain-HTTP listener at httpAddr, and with
// TLS-ALPN-01 turned off when httpOnly (Pebble would pick either).
func newRigAt(t *testing.T, httpAddr string, opts Options, httpOnly bool) *rig {
	t.Helper()
	opts.HTTPPort = port(httpAddr)
	r := &rig{log: &syncBuffer{}, httpAddr: httpAddr, tlsAddr: pebble.FreeAddr(t)}
	opts.TLSPort = port(r.tlsAddr)
	opts.Logger = slog.New(slog.NewTextHandler(r.log, nil))
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if httpOnly {
		m.issuer.DisableTLSALPNChallenge = true
	}
	t.Cleanup(m.Close)
	r.m = m
	serve(t, r.httpAddr, m.HTTPHandler(), nil)
	serve(t, r.tlsAddr, http.NotFoundHandler(), &tls.Config{GetCertificate: m.GetCertificate, NextProtos: []string{"http/1.1", NextProto}})
	return r
}

// TestACMEBadInput: each broken setting is logged with the host and a
// reason a person can act on, and does not block or stop the Manager.
func TestACMEBadInput(t *testing.T) {
	garbage := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"newNonce": 17, "<html>`)
	}))
	defer garbage.Close()
	garbageRoot := filepath.Join(t.TempDir(), "root.pem")
	writePEM(t, garbageRoot, garbage.Certificate().Raw)

	readOnly := t.TempDir()
	if err := os.Chmod(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(readOnly, 0o700) })

	tests := []struct {
		name string
		opts func(t *testing.T) Options
		want string
	}{
		{"directory down", func(t *testing.T) Options {
			return Options{Directory: "https://" + pebble.FreeAddr(t) + "/dir", Storage: looseDir(t)}
		}, "connection refused"},
		{"garbage", func(t *testing.T) Options {
			return Options{Directory: garbage.URL + "/dir", CARoot: garbageRoot, Storage: looseDir(t)}
		}, "JSON-decoding"},
		{"read-only storage", func(t *testing.T) Options {
			if os.Geteuid() == 0 {
				// root writes through the permission bits: a file where
				// the folder should be cannot be written by anyone.
				file := filepath.Join(looseDir(t), "not-a-folder")
				os.WriteFile(file, nil, 0o600)
				return Options{Directory: "https://" + pebble.FreeAddr(t) + "/dir", Storage: file}
			}
			return Options{Directory: "https://" + pebble.FreeAddr(t) + "/dir", Storage: readOnly}
		}, "storage folder cannot be written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.opts(t))
			r.m.Manage([]string{"bad.herald.test"})
			start := time.Now()
			r.m.Start()
			if d := time.Since(start); d > time.Second {
				t.Errorf("Start took %v: obtaining must not block", d)
			}
			line := waitLog(t, r.log, "level=ERROR", "bad.herald.test", tt.want)
			// The listeners still answer.
			resp, err := http.DefaultTransport.RoundTrip(mustRequest(t, "http://"+r.httpAddr+"/"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			t.Log(line)
		})
	}
}

// looseDir is a temporary folder removed at the end of the test, without
// t.TempDir's check that the removal worked: certmagic's retry jobs, which
// Close cancels but does not wait for, may still write in it.
func looseDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "herald-acme-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func writePEM(t *testing.T, file string, der []byte) {
	t.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func mustRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestACMERenewal: Pebble issues certificates valid for 12 seconds and the
// Manager checks every second; without a restart, the same TLS listener
// goes on to serve a renewed certificate (a new serial, a later expiry,
// chaining to Pebble's root), which is what the certificate metric reads.
func TestACMERenewal(t *testing.T) {
	const validity = 12 * time.Second
	const host = "renew.herald.test"
	p, r, first := managed(t, pebble.Options{AlwaysValid: true, Validity: validity}, Options{RenewCheck: time.Second}, host)
	if life := first.NotAfter.Sub(first.NotBefore); life > validity {
		t.Fatalf("Pebble issued a certificate valid for %v, want at most %v: the test would wait for nothing", life, validity)
	}
	var chain [][]byte
	cur := r.waitReplaced(t, first, first.NotAfter.Add(5*time.Second),
		func() *x509.Certificate { chain = r.waitCert(t, host); return leaf(t, chain) },
		fmt.Sprintf("the certificate served for %s was not renewed before it expired at %v", host, first.NotAfter))
	verify(t, p, host, chain)
	if !cur.NotAfter.After(first.NotAfter) {
		t.Errorf("the renewed certificate expires at %v, not after the first's %v", cur.NotAfter, first.NotAfter)
	}
	served := metrics.ConfigCerts(&tls.Config{GetCertificate: r.m.GetCertificate}, host)
	if len(served) != 1 || served[0].Leaf.SerialNumber.Cmp(cur.SerialNumber) != 0 {
		t.Errorf("the certificate metric reads %v, want the renewed certificate (serial %v)", served, cur.SerialNumber)
	}
	waitLog(t, r.log, "certificate obtained", "host="+host, "renewal=true")
}

// managed starts Pebble with po and a Manager with o, its directory, root
// and storage set to Pebble's and a new folder; it manages host alone and
// returns them with the first certificate served for host.
func managed(t *testing.T, po pebble.Options, o Options, host string) (*pebble.Server, *rig, *x509.Certificate) {
	t.Helper()
	p := pebble.Start(t, po)
	o.Directory, o.CARoot, o.Storage = p.Directory, p.CARoot, t.TempDir()
	r := newRig(t, o)
	r.m.Manage([]string{host})
	r.m.Start()
	return p, r, leaf(t, r.waitCert(t, host))
}

// waitReplaced calls current every 200 ms until the certificate it
// returns is another than first (a new serial), and returns that one; at
// deadline the test fails, saying why with the Manager's log.
func (r *rig) waitReplaced(t *testing.T, first *x509.Certificate, deadline time.Time, current func() *x509.Certificate, why string) *x509.Certificate {
	t.Helper()
	for {
		if cur := current(); cur.SerialNumber.Cmp(first.SerialNumber) != 0 {
			return cur
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s:\n%s", why, r.log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func leaf(t *testing.T, chain [][]byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(chain[0])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestACMEOCSPStaple: with an OCSP responder beside Pebble (Pebble has
// none of its own), the certificate obtained is served with a staple: a
// response signed by its issuer, for its serial, saying Good. Once the
// certificate is revoked, the next refresh of the staple (every second
// here) finds it Revoked and the certificate is replaced by a new one,
// stapled Good, on the same listener.
func TestACMEOCSPStaple(t *testing.T) {
	const host = "ocsp.herald.test"
	p, r, first := managed(t, pebble.Options{AlwaysValid: true, OCSP: true}, Options{OCSPCheck: time.Second}, host)
	if len(first.OCSPServer) == 0 {
		t.Fatal("Pebble named no OCSP responder in the certificate: the test checks nothing")
	}
	issuer := p.Issuer(t)
	stapled := func() (*x509.Certificate, *ocsp.Response) {
		conn, err := tls.Dial("tcp", r.tlsAddr, &tls.Config{ServerName: host, InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		st := conn.ConnectionState()
		if len(st.OCSPResponse) == 0 {
			t.Fatalf("the handshake for %s carried no OCSP staple:\n%s", host, r.log)
		}
		resp, err := ocsp.ParseResponseForCert(st.OCSPResponse, st.PeerCertificates[0], issuer)
		if err != nil {
			t.Fatalf("the staple: %v", err)
		}
		return st.PeerCertificates[0], resp
	}
	cert, resp := stapled()
	if resp.Status != ocsp.Good || resp.SerialNumber.Cmp(cert.SerialNumber) != 0 {
		t.Errorf("the staple says status %d for serial %v, want Good (%d) for %v", resp.Status, resp.SerialNumber, ocsp.Good, cert.SerialNumber)
	}

	if err := r.m.magic.RevokeCert(context.Background(), host, 0, false); err != nil {
		t.Fatal(err)
	}
	r.waitReplaced(t, first, time.Now().Add(20*time.Second),
		func() *x509.Certificate { cert, resp = stapled(); return cert },
		fmt.Sprintf("the revoked certificate (serial %v) is still served", first.SerialNumber))
	if resp.Status != ocsp.Good {
		t.Errorf("the replacement's staple says status %d, want Good (%d)", resp.Status, ocsp.Good)
	}
	waitLog(t, r.log, "level=WARN", "certificate was revoked", host)
}
