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

// caPool is the pool of the authority kept in dir.
func caPool(t testing.TB, dir string) *x509.CertPool {
	t.Helper()
	file, err := CACertFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("%s holds no certificate", file)
	}
	return pool
}

func TestLocalCertVerifies(t *testing.T) {
	dir := t.TempDir()
	cfg, err := LocalCert(dir)
	if err != nil {
		t.Fatal(err)
	}
	leaf := cfg.Certificates[0].Leaf
	pool := caPool(t, dir)
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

func TestLocalCertIsKept(t *testing.T) {
	dir := t.TempDir()
	first, err := LocalCert(dir)
	if err != nil {
		t.Fatal(err)
	}
	second, err := LocalCert(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Certificates[0].Leaf.Raw, second.Certificates[0].Leaf.Raw) {
		t.Error("a second call issued a new certificate")
	}
	for name, perm := range map[string]fs.FileMode{
		"ca/rootCA-key.pem": 0o600,
		"localhost.pem":     0o600,
		"ca/rootCA.pem":     0o644,
	} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != perm {
			t.Errorf("%s has mode %v, want %v", name, st.Mode().Perm(), perm)
		}
	}
}

// A leaf that no longer matches its authority (the authority was made anew)
// is issued again by the authority in the folder.
func TestLocalCertReissues(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(t *testing.T, dir string)
	}{
		{"new authority", func(t *testing.T, dir string) {
			if err := os.RemoveAll(filepath.Join(dir, "ca")); err != nil {
				t.Fatal(err)
			}
		}},
		{"damaged leaf", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "localhost.pem"), []byte("junk"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"leaf removed", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "localhost.pem")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := LocalCert(dir); err != nil {
				t.Fatal(err)
			}
			tt.spoil(t, dir)
			cfg, err := LocalCert(dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cfg.Certificates[0].Leaf.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: caPool(t, dir)}); err != nil {
				t.Errorf("certificate does not verify against the folder's authority: %v", err)
			}
		})
	}
}

func TestLocalCertDamagedAuthority(t *testing.T) {
	dir := t.TempDir()
	if _, err := LocalCert(dir); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "ca", "rootCA-key.pem")
	if err := os.WriteFile(file, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LocalCert(dir)
	if err == nil || !strings.Contains(err.Error(), "rootCA.pem") {
		t.Errorf("LocalCert with a damaged key = %v, want an error naming the authority", err)
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
