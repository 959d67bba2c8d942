// Package localca is the certificate authority behind herald serve --tls:
// made once per user and kept in a folder, it issues the localhost
// certificate, and installs itself into the trust stores of the system and
// the browsers (with github.com/smallstep/truststore).
package localca

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"herald/internal/atomicfile"
)

// Browsers use 103 Early Hints only on a connection whose certificate they
// trust (Chromium ignores them after a certificate error, even when told to
// ignore certificate errors). So local HTTPS uses a certificate authority of
// its own, made once per user and kept, as mkcert does: installed into the
// system and NSS trust stores on request (herald ca install), it makes the
// localhost certificate it issues trusted.

// Files of a local certificate folder.
const (
	caDirName    = "ca"             // folder of the authority, made whole by one rename
	caCertName   = "rootCA.pem"     // the authority's certificate: what trust stores install
	caKeyName    = "rootCA-key.pem" // its private key, readable by the user only
	leafName     = "localhost.pem"  // the localhost certificate and its key, in one file
	caValidity   = 10 * 365 * 24 * time.Hour
	leafRenew    = 30 * 24 * time.Hour           // issue a new leaf this long before the old one expires
	leafValidity = (2*365 + 90) * 24 * time.Hour // under the 825 days some clients accept
)

// localNames are the names the localhost certificate covers.
var localNames = []string{"localhost", "127.0.0.1", "::1"}

// DefaultDir is the folder the authority is kept in unless one is given:
// herald in the user's configuration folder. It is the one default of herald
// serve --tls, herald ca and local_cert_dir.
func DefaultDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("localca: local certificate folder: %w", err)
	}
	return filepath.Join(dir, "herald"), nil
}

// Certificate returns a certificate for localhost, 127.0.0.1 and ::1,
// issued by the authority kept in dir. The authority is made on first use
// and kept (dir/ca); the localhost certificate is kept too (dir/localhost.pem)
// and issued again when it nears expiry or when the authority changed.
func Certificate(dir string) (tls.Certificate, error) {
	ca, caKey, err := loadOrMakeCA(dir)
	if err != nil {
		return tls.Certificate{}, err
	}
	file := filepath.Join(dir, leafName)
	if cert, err := loadLeaf(file, ca); err == nil {
		return cert, nil
	}
	cert, pemBytes, err := issueLeaf(ca, caKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("localca: issue localhost certificate: %w", err)
	}
	if err := atomicfile.WriteFile(file, pemBytes, 0o600); err != nil {
		return tls.Certificate{}, fmt.Errorf("localca: write %q: %w", file, err)
	}
	return cert, nil
}

// CertFile returns the path of the authority's certificate in dir (what
// trust stores install), making the authority if there is none yet.
func CertFile(dir string) (string, error) {
	if _, _, err := loadOrMakeCA(dir); err != nil {
		return "", err
	}
	return filepath.Join(dir, caDirName, caCertName), nil
}

// Pool returns a pool holding the authority kept in dir, making it if
// there is none yet: the roots of a client that trusts the local
// certificate without the system's trust stores, such as a test.
func Pool(dir string) (*x509.CertPool, error) {
	ca, _, err := loadOrMakeCA(dir)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool, nil
}

// loadOrMakeCA loads the authority kept in dir, or makes one. Two processes
// making one at once both write a complete folder of their own and rename it
// into place; the rename of the second fails and it uses the first one's.
func loadOrMakeCA(dir string) (*x509.Certificate, crypto.Signer, error) {
	caDir := filepath.Join(dir, caDirName)
	ca, key, err := loadCA(caDir)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return ca, key, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("localca: local certificate authority: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".ca-")
	if err != nil {
		return nil, nil, fmt.Errorf("localca: local certificate authority: %w", err)
	}
	defer os.RemoveAll(tmp)
	certPEM, keyPEM, err := makeCA()
	if err != nil {
		return nil, nil, fmt.Errorf("localca: make local certificate authority: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, caKeyName), keyPEM, 0o600); err != nil {
		return nil, nil, fmt.Errorf("localca: local certificate authority: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, caCertName), certPEM, 0o644); err != nil {
		return nil, nil, fmt.Errorf("localca: local certificate authority: %w", err)
	}
	if err := os.Rename(tmp, caDir); err != nil {
		if _, statErr := os.Stat(caDir); statErr != nil {
			return nil, nil, fmt.Errorf("localca: local certificate authority: %w", err)
		}
		// Another process made it first: use that one.
	}
	return loadCA(caDir)
}

// loadCA reads the authority's certificate and key from caDir.
func loadCA(caDir string) (*x509.Certificate, crypto.Signer, error) {
	certFile, keyFile := filepath.Join(caDir, caCertName), filepath.Join(caDir, caKeyName)
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		if _, statErr := os.Stat(certFile); errors.Is(statErr, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("localca: local certificate authority %q: %w", certFile, os.ErrNotExist)
		}
		return nil, nil, fmt.Errorf("localca: local certificate authority %q: %w", certFile, err)
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok || pair.Leaf == nil || !pair.Leaf.IsCA {
		return nil, nil, fmt.Errorf("localca: local certificate authority %q: not a certificate authority with its key", certFile)
	}
	return pair.Leaf, signer, nil
}

// makeCA makes a new authority's certificate and key, PEM-encoded.
func makeCA() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	name := "herald local CA"
	if u, err := user.Current(); err == nil {
		host, _ := os.Hostname()
		name = fmt.Sprintf("herald local CA %s@%s", u.Username, host)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"herald local development CA"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// issueLeaf issues a localhost certificate signed by ca; pemBytes holds the
// certificate and its key.
func issueLeaf(ca *x509.Certificate, caKey crypto.Signer) (cert tls.Certificate, pemBytes []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return cert, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "localhost", Organization: []string{"herald local development certificate"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(leafValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if tmpl.NotAfter.After(ca.NotAfter) {
		tmpl.NotAfter = ca.NotAfter
	}
	for _, n := range localNames {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return cert, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return cert, nil, err
	}
	var b bytes.Buffer
	pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	pem.Encode(&b, &pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	cert, err = tls.X509KeyPair(b.Bytes(), b.Bytes())
	return cert, b.Bytes(), err
}

// loadLeaf reads a kept localhost certificate and checks it is still good:
// signed by ca, covering localNames, and not near expiry.
func loadLeaf(file string, ca *x509.Certificate) (tls.Certificate, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return tls.Certificate{}, err
	}
	cert, err := tls.X509KeyPair(b, b)
	if err != nil {
		return tls.Certificate{}, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	for _, n := range localNames {
		_, err := cert.Leaf.Verify(x509.VerifyOptions{
			DNSName:     n,
			Roots:       pool,
			CurrentTime: time.Now().Add(leafRenew),
		})
		if err != nil {
			return tls.Certificate{}, err
		}
	}
	return cert, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n.Add(n, big.NewInt(1))
}
