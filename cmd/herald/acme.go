package main

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"herald/acme"
	"herald/config"
	"herald/serve"

	"github.com/urfave/cli/v2"
)

// newACME makes the certificate manager of the sites with tls.acme = true,
// or nil when no site has it. It obtains nothing before Start.
func newACME(cfg *config.Config, logger *slog.Logger) (*acme.Manager, error) {
	if !cfg.UsesACME() {
		return nil, nil
	}
	m, err := acme.New(acmeOptions(cfg.Server.ACME, acmeTLSPort(cfg), logger))
	if err != nil {
		return nil, config.Errors{cfg.ErrorAt("server.acme", err.Error())}
	}
	return m, nil
}

// acmeOptions are the options of the certificate manager that the
// settings of [server.acme] (or the --acme-* flags) give, TLS-ALPN-01
// answered on tlsPort.
func acmeOptions(a config.ACME, tlsPort int, logger *slog.Logger) acme.Options {
	return acme.Options{Email: a.Email, Directory: a.Directory, CARoot: a.CARoot, Storage: a.Storage,
		HTTPPort: portOf(a.HTTPListen), TLSPort: tlsPort, Logger: logger}
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

// acmeFlags are a bundle's flags for a certificate obtained by ACME:
// --acme, then the flags of [server.acme].
func acmeFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "acme", Usage: "get a certificate for `HOSTS` (comma-separated) by ACME, listen on :443 and on --acme-http-addr"},
	}, serverFlags("acme")...)
}

// checkACMEFlags refuses --acme with a certificate of files, before they
// are read, or with --tls (herald serve's localhost certificate).
func checkACMEFlags(c *cli.Context) error {
	if c.String("acme") == "" {
		return nil
	}
	if c.IsSet("cert") || c.IsSet("key") {
		return usageError("--acme obtains the certificate: leave out --cert and --key, or --acme")
	}
	if c.Bool("tls") {
		return usageError("--acme obtains the certificate: leave out --tls, which makes a localhost one, or --acme")
	}
	return nil
}

// bundleACME reads acmeFlags (a bundle's, and herald serve DIR's): with
// --acme, it sets srv to serve the certificates of a Manager (started by
// serveACME) on :443 unless --addr says otherwise. nil without --acme.
func bundleACME(c *cli.Context, srv *serve.ServerOptions, logger *slog.Logger) (*acme.Manager, []string, error) {
	list := c.String("acme")
	if list == "" {
		for _, f := range serverFlags("acme") {
			if name := f.Names()[0]; c.IsSet(name) {
				return nil, nil, usageError("--%s goes with --acme HOSTS, which names the hosts to get a certificate for", name)
			}
		}
		return nil, nil, nil
	}
	var hosts []string
	for h := range strings.SplitSeq(list, ",") {
		name, ok := config.HostName(strings.TrimSpace(h))
		if !ok || strings.HasPrefix(name, "*.") {
			return nil, nil, usageError("--acme %q: %q is not a host name: list names without scheme, port or path, such as --acme example.com,www.example.com", list, h)
		}
		hosts = append(hosts, name)
	}
	if !c.IsSet("addr") {
		srv.Addr = ":443"
	}
	s, err := serverFlagValues(c)
	if err != nil {
		return nil, nil, err
	}
	m, err := acme.New(acmeOptions(s.ACME, portOf(srv.Addr), logger))
	if err != nil {
		return nil, nil, usageError("%v", err)
	}
	m.Manage(hosts)
	srv.TLS = &tls.Config{GetCertificate: m.GetCertificate, NextProtos: []string{acme.NextProto}}
	return m, hosts, nil
}

// serveACME serves h over TLS with srv, and the challenges and redirects
// of m on --acme-http-addr; once both accept connections it calls ready
// with the URL of the first host and starts obtaining.
func serveACME(ctx context.Context, c *cli.Context, h http.Handler, srv serve.ServerOptions, m *acme.Manager, hosts []string, ready func(url string)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	plain := srv
	plain.Addr, plain.TLS = c.String("acme-http-addr"), nil
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	listening := make(chan struct{}, 2)
	for _, o := range []struct {
		h    http.Handler
		opts serve.ServerOptions
	}{{h, srv}, {m.HTTPHandler(), plain}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := serve.Serve(ctx, o.h, o.opts, func(string) { listening <- struct{}{} }); err != nil {
				errs <- err
			}
			cancel() // one listener down stops both
		}()
	}
	go func() {
		for range 2 {
			select {
			case <-listening:
			case <-ctx.Done():
				return
			}
		}
		u := "https://" + hosts[0] + "/"
		if p := portOf(srv.Addr); p != 443 {
			u = "https://" + net.JoinHostPort(hosts[0], strconv.Itoa(p)) + "/"
		}
		ready(u)
		m.Start()
	}()
	wg.Wait()
	close(errs)
	return <-errs
}
