package serve

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"herald/localca"
)

// testTLSConfig is a local certificate made in a temporary folder.
func testTLSConfig(t testing.TB) *tls.Config {
	t.Helper()
	cfg, err := LocalCert(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestLocalCertVerifies(t *testing.T) {
	dir := t.TempDir()
	cfg, err := LocalCert(dir)
	if err != nil {
		t.Fatal(err)
	}
	leaf := cfg.Certificates[0].Leaf
	pool, err := localca.Pool(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		t.Run(name, func(t *testing.T) {
			if _, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: pool}); err != nil {
				t.Errorf("certificate does not verify for %s: %v", name, err)
			}
		})
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: pool}); err == nil {
		t.Error("certificate verifies for example.com")
	}
	if !slices.Contains(cfg.NextProtos, "h2") {
		t.Errorf("NextProtos %v lack h2", cfg.NextProtos)
	}
}

func TestLoadCert(t *testing.T) {
	dir := t.TempDir()
	cfg := testTLSConfig(t)
	var certPEM, keyPEM bytes.Buffer
	pem.Encode(&certPEM, &pem.Block{Type: "CERTIFICATE", Bytes: cfg.Certificates[0].Certificate[0]})
	keyDER, err := x509.MarshalPKCS8PrivateKey(cfg.Certificates[0].PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	pem.Encode(&keyPEM, &pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	os.WriteFile(certFile, certPEM.Bytes(), 0o644)
	os.WriteFile(keyFile, keyPEM.Bytes(), 0o600)

	tests := []struct {
		name      string
		cert, key string
		wantErr   error
	}{
		{"good pair", certFile, keyFile, nil},
		{"missing cert", filepath.Join(dir, "none.pem"), keyFile, fs.ErrNotExist},
		{"swapped", keyFile, certFile, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadCert(tt.cert, tt.key)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("LoadCert: %v", err)
			case tt.wantErr == nil:
				if !bytes.Equal(got.Certificates[0].Certificate[0], cfg.Certificates[0].Certificate[0]) {
					t.Error("loaded another certificate")
				}
			case err == nil:
				t.Fatal("LoadCert succeeded")
			case tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
				t.Errorf("LoadCert = %v, want %v", err, tt.wantErr)
			case !strings.Contains(err.Error(), tt.cert):
				t.Errorf("error %q does not name %s", err, tt.cert)
			}
		})
	}
}

var errAny = errors.New("any error")
