// Package acme obtains and renews the certificates of herald's sites from
// an ACME certificate authority (Let's Encrypt by default), with
// github.com/caddyserver/certmagic: HTTP-01 challenges answered by the
// plain-HTTP listener (Manager.HTTPHandler), TLS-ALPN-01 answered in the
// TLS handshake (Manager.GetCertificate, with NextProto in the listener's
// NextProtos), OCSP staples fetched and renewals done before expiry by
// certmagic's cache, and a lock in the storage folder so that herald
// processes sharing it order each certificate once.
//
// Obtaining runs in the background: a site waits for its certificate
// (handshakes for its hosts fail meanwhile), the others are served at
// once. A host that cannot get one is logged with the reason the
// authority gave, and tried again later.
package acme

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/mholt/acmez/v3"
	acmeproto "github.com/mholt/acmez/v3/acme"
	"go.uber.org/zap"
)

// LetsEncrypt is the directory used when none is given.
const LetsEncrypt = certmagic.LetsEncryptProductionCA

// NextProto is the ALPN protocol of TLS-ALPN-01 challenges: a TLS listener
// of managed hosts lists it in its NextProtos.
const NextProto = acmez.ACMETLS1Protocol

// Options configure a Manager.
type Options struct {
	Email     string // the account's contact; may be empty
	Directory string // the ACME directory URL; "" is LetsEncrypt
	CARoot    string // PEM file of the roots to trust for the directory's own TLS; "" the system's
	Storage   string // folder of accounts, keys, certificates and locks; "" is DefaultStorage

	// HTTPPort and TLSPort are the ports herald answers challenges on (its
	// plain-HTTP listener and its TLS listener): certmagic then uses
	// herald's listeners instead of opening its own. 0 means 80 and 443.
	HTTPPort, TLSPort int

	// RenewCheck is how often the certificates are checked for renewal;
	// 0 is certmagic's 10 minutes. A certificate is renewed when its
	// authority's renewal information (ARI) says so, else in the last third
	// of its validity, and at the latest five checks before it expires.
	RenewCheck time.Duration
	// OCSPCheck is how often the OCSP staples are refreshed; 0 is
	// certmagic's hour. A certificate whose staple says Revoked is replaced
	// at once.
	OCSPCheck time.Duration

	Logger *slog.Logger // nil: slog.Default()
}

// DefaultStorage is where certificates are kept when no storage is set:
// herald/acme in the user's configuration folder (~/.config/herald/acme
// on Linux).
func DefaultStorage() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("acme: no folder to keep certificates in: %w; set storage in [server.acme]", err)
	}
	return filepath.Join(dir, "herald", "acme"), nil
}

// Manager obtains and renews certificates for the hosts given to Manage.
// Its certmagic cache owns the certificates and runs their maintenance
// (renewal, OCSP) in its own goroutine, and its job queue obtains the
// first certificates. Close stops them.
type Manager struct {
	magic  *certmagic.Config
	issuer *certmagic.ACMEIssuer
	cache  *certmagic.Cache
	log    *slog.Logger
	opts   Options

	ctx    context.Context // ends with Close: stops certmagic's jobs
	cancel context.CancelFunc

	mu      sync.Mutex
	started bool
	hosts   []string        // to manage once started
	managed map[string]bool // hosts given to Manage
}

// New makes a Manager; it obtains nothing until Start.
func New(opts Options) (*Manager, error) {
	if opts.Directory == "" {
		opts.Directory = LetsEncrypt
	}
	if opts.Storage == "" {
		dir, err := DefaultStorage()
		if err != nil {
			return nil, err
		}
		opts.Storage = dir
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	var roots *x509.CertPool
	if opts.CARoot != "" {
		pem, err := os.ReadFile(opts.CARoot)
		if err != nil {
			return nil, fmt.Errorf("acme: ca_root: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("acme: ca_root %s: no PEM certificate in the file", opts.CARoot)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{log: opts.Logger, opts: opts, ctx: ctx, cancel: cancel,
		managed: map[string]bool{}}
	zl := zap.New(slogCore{log: opts.Logger})
	m.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert:   func(certmagic.Certificate) (*certmagic.Config, error) { return m.magic, nil },
		RenewCheckInterval: opts.RenewCheck,
		OCSPCheckInterval:  opts.OCSPCheck,
		Logger:             zl,
	})
	m.magic = certmagic.New(m.cache, certmagic.Config{
		Storage: &certmagic.FileStorage{Path: opts.Storage},
		Logger:  zl,
		OnEvent: m.onEvent,
	})
	m.issuer = certmagic.NewACMEIssuer(m.magic, certmagic.ACMEIssuer{
		CA:             opts.Directory,
		Email:          opts.Email,
		Agreed:         true,
		TrustedRoots:   roots,
		AltHTTPPort:    opts.HTTPPort,
		AltTLSALPNPort: opts.TLSPort,
		Logger:         zl,
	})
	m.magic.Issuers = []certmagic.Issuer{m.issuer}
	return m, nil
}

// Manage adds hosts to obtain certificates for: at once if the Manager
// has started, or when it starts.
func (m *Manager) Manage(hosts []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, h := range hosts {
		if m.managed[h] {
			continue
		}
		m.managed[h] = true
		if m.started {
			m.obtain(h)
		} else {
			m.hosts = append(m.hosts, h)
		}
	}
}

// Start obtains (or loads from storage) the certificates of the hosts
// managed, each in its own goroutine. Call it once herald's listeners
// accept connections: the authority may connect to them at once.
func (m *Manager) Start() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started {
		return
	}
	m.started = true
	m.checkStorage(m.hosts)
	for _, h := range m.hosts {
		m.obtain(h)
	}
	m.hosts = nil
}

// obtain gets host's certificate in the background, or loads it from
// storage: certmagic's job queue tries at once, and on failure again
// after 1, 2, 2, 5, 10 minutes and so on up to a day apart. Not its
// interactive mode: that asks for an email address on standard input.
func (m *Manager) obtain(host string) {
	if err := m.magic.ManageAsync(m.ctx, []string{host}); err != nil && m.ctx.Err() == nil {
		m.logFailure(host, err)
	}
}

// checkStorage reports a storage folder herald cannot write in, which
// certmagic would only name in an error without the host.
func (m *Manager) checkStorage(hosts []string) {
	dir := m.opts.Storage
	err := os.MkdirAll(dir, 0o700)
	if err == nil {
		var f *os.File
		if f, err = os.CreateTemp(dir, ".herald-check-*"); err == nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
	if err != nil {
		m.log.Error("acme: the storage folder cannot be written, so no certificate can be obtained or renewed: "+
			"give a folder herald can write in as storage in [server.acme] (or --acme-storage)",
			"storage", dir, "hosts", strings.Join(hosts, ","), "err", err)
	}
}

// onEvent logs the events an operator needs: a certificate obtained or
// renewed, one revoked, and a failure with the authority's reason.
func (m *Manager) onEvent(_ context.Context, event string, data map[string]any) error {
	host, _ := data["identifier"].(string)
	switch event {
	case "cached_managed_cert":
		m.log.Info("acme: certificate in use", "hosts", data["sans"])
	case "cert_obtained":
		m.log.Info("acme: certificate obtained", "host", host, "renewal", data["renewal"], "issuer", data["issuer"])
	case "cert_ocsp_revoked":
		m.log.Warn("acme: the certificate was revoked (its OCSP response says so); a new one is being obtained",
			"hosts", data["subjects"], "revoked_at", data["revoked_at"], "reason", data["reason"])
	case "cert_failed":
		err, _ := data["error"].(error)
		m.logFailure(host, err)
	}
	return nil
}

// logFailure logs why host has no certificate: the problem document of
// the authority (RFC 8555 section 6.7) when there is one, or the error.
func (m *Manager) logFailure(host string, err error) {
	var p acmeproto.Problem
	if errors.As(err, &p) {
		m.log.Error("acme: cannot get a certificate; other sites are served, and this host is tried again later",
			"host", host, "problem", Detail(p), "type", p.Type)
		return
	}
	m.log.Error("acme: cannot get a certificate; other sites are served, and this host is tried again later",
		"host", host, "err", err)
}

// Detail is the reason a problem document gives: its detail, and those
// of its subproblems.
func Detail(p acmeproto.Problem) string {
	s := p.Detail
	for _, sub := range p.Subproblems {
		s += "; " + sub.Detail
	}
	return s
}

// GetCertificate is the certificate of the handshake's host, and the
// challenge certificate of a TLS-ALPN-01 validation.
func (m *Manager) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	return m.magic.GetCertificate(hello)
}

// HTTPHandler answers HTTP-01 challenges (those of any herald sharing the
// storage) and redirects every other request to HTTPS, with the same host
// and path: 308, so a method and body are kept.
func (m *Manager) HTTPHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.issuer.HandleHTTPChallenge(w, r) {
			return
		}
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if p := m.opts.TLSPort; p != 0 && p != 443 {
			host = net.JoinHostPort(host, strconv.Itoa(p))
		}
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}

// Close stops obtaining and renewing.
func (m *Manager) Close() {
	m.cancel()
	m.cache.Stop()
}
