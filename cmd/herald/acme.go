package main

import (
	"crypto/tls"
	"log/slog"
	"net"
	"strconv"

	"herald/acme"
	"herald/config"
)

// newACME makes the certificate manager of the sites with tls.acme = true,
// or nil when no site has it. It obtains nothing before Start.
func newACME(cfg *config.Config, logger *slog.Logger) (*acme.Manager, error) {
	if !cfg.UsesACME() {
		return nil, nil
	}
	a := cfg.Server.ACME
	m, err := acme.New(acme.Options{
		Email: a.Email, Directory: a.Directory, CARoot: a.CARoot, Storage: a.Storage,
		HTTPPort: portOf(a.HTTPListen), TLSPort: acmeTLSPort(cfg), Logger: logger,
	})
	if err != nil {
		return nil, config.Errors{cfg.ErrorAt("server.acme", err.Error())}
	}
	return m, nil
}

// acmeTLSPort is the port of the first listen address of an ACME site: the
// one TLS-ALPN-01 is answered on.
func acmeTLSPort(cfg *config.Config) int {
	for _, s := range cfg.Sites {
		if s.TLS != nil && s.TLS.ACME && len(s.Listen) > 0 {
			return portOf(s.Listen[0])
		}
	}
	return 0
}

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// acmeCerts is sites.Backend.ACME of m: nil without a manager.
func acmeCerts(m *acme.Manager) func(hosts []string) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if m == nil {
		return nil
	}
	return func(hosts []string) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		m.Manage(hosts)
		return m.GetCertificate
	}
}
