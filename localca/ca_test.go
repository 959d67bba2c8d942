package localca

import (
	"bytes"
	"crypto/x509"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCertificateIsKept(t *testing.T) {
	dir := t.TempDir()
	first, err := Certificate(dir)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Certificate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Leaf.Raw, second.Leaf.Raw) {
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
func TestCertificateReissues(t *testing.T) {
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
			if _, err := Certificate(dir); err != nil {
				t.Fatal(err)
			}
			tt.spoil(t, dir)
			cert, err := Certificate(dir)
			if err != nil {
				t.Fatal(err)
			}
			pool, err := Pool(dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: pool}); err != nil {
				t.Errorf("certificate does not verify against the folder's authority: %v", err)
			}
		})
	}
}

func TestCertificateDamagedAuthority(t *testing.T) {
	dir := t.TempDir()
	if _, err := Certificate(dir); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "ca", "rootCA-key.pem")
	if err := os.WriteFile(file, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Certificate(dir)
	if err == nil || !strings.Contains(err.Error(), "rootCA.pem") {
		t.Errorf("Certificate with a damaged key = %v, want an error naming the authority", err)
	}
}
