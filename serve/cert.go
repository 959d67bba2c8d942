package serve

import (
	"crypto/tls"
	"fmt"
	"sync/atomic"

	"herald/localca"
)

// LoadCert returns a TLS configuration serving the certificate chain and key
// of two PEM files.
func LoadCert(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("serve: load certificate %q with key %q: %w", certFile, keyFile, err)
	}
	return tlsConfig(cert), nil
}

// LoadCertReloadable is LoadCert with a reload that reads the files
// again; until it succeeds, the certificate loaded before is served.
func LoadCertReloadable(certFile, keyFile string) (cfg *tls.Config, reload func() error, err error) {
	cfg, err = LoadCert(certFile, keyFile)
	if err != nil {
		return nil, nil, err
	}
	var cur atomic.Pointer[tls.Certificate]
	cur.Store(&cfg.Certificates[0])
	cfg.Certificates = nil
	cfg.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return cur.Load(), nil }
	reload = func() error {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return fmt.Errorf("serve: load certificate %q with key %q: %w", certFile, keyFile, err)
		}
		cur.Store(&cert)
		return nil
	}
	return cfg, reload, nil
}

// LocalCert returns a TLS configuration serving the localhost certificate
// of the local authority kept in dir (package localca).
func LocalCert(dir string) (*tls.Config, error) {
	cert, err := localca.Certificate(dir)
	if err != nil {
		return nil, err
	}
	return tlsConfig(cert), nil
}

// tlsConfig serves cert over HTTP/2 and HTTP/1.1 with TLS 1.2 or later.
func tlsConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"h2", "http/1.1"},
	}
}
