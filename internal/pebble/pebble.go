// Package pebble runs Pebble, Let's Encrypt's test ACME server, for tests:
// on free loopback ports, with a certificate for its own HTTPS listener
// made here (go install ships none), and optionally pebble-challtestsrv as
// its DNS server, answering 127.0.0.1 for every name so that its
// validation authority connects to the herald under test.
//
// Outside CI a test is skipped when pebble is not installed; under CI it
// fails (scripts/testdeps.sh installs it).
package pebble

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"herald/internal/testsite"
)

// Options choose how Pebble validates.
type Options struct {
	// AlwaysValid skips validation (PEBBLE_VA_ALWAYS_VALID): every
	// challenge passes at once.
	AlwaysValid bool
	// HTTPPort and TLSPort are the ports Pebble's validation authority
	// connects to for HTTP-01 and TLS-ALPN-01.
	HTTPPort, TLSPort int
	// DNS starts pebble-challtestsrv as Pebble's DNS server: every name
	// resolves to 127.0.0.1 (and to no IPv6 address).
	DNS bool
	// Blocked are names Pebble refuses to issue for (its domainBlocklist),
	// answering a rejectedIdentifier problem.
	Blocked []string
	// Validity is how long the certificates issued are valid (the default
	// profile's validityPeriod, whole seconds); 0 is Pebble's 90 days.
	// Pebble's renewal information (ARI) then suggests the whole validity as
	// the window when it is under two days.
	Validity time.Duration
	// OCSP runs an OCSP responder beside Pebble, which has none of its own
	// (its README, "OCSP Responder URL"), and names it in the certificates
	// Pebble issues: it answers from Pebble's record of each serial (its
	// management interface's cert-status-by-serial), signed with the key of
	// the issuing intermediate. The CA's keys are RSA then: Pebble hands
	// out only RSA keys.
	OCSP bool
}

// Server is a running Pebble.
type Server struct {
	Directory string // the ACME directory URL
	CARoot    string // PEM file of the root of Pebble's own HTTPS listener: ca_root
	mgmt      string // the management interface, https://host:port
	client    *http.Client
}

// Start runs Pebble until the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	bin := testsite.Tool(t, "pebble")
	dir := t.TempDir()
	certFile, keyFile, pool := listenerCert(t, dir)
	listen, mgmt := FreeAddr(t), FreeAddr(t)
	validity := int64(o.Validity / time.Second)
	if validity <= 0 {
		validity = 7776000
	}
	keyAlg, ocspURL := "ecdsa", ""
	var ocsp *ocspResponder
	if o.OCSP {
		keyAlg, ocsp = "rsa", startOCSP(t)
		ocspURL = ocsp.url
	}
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress":           listen,
		"managementListenAddress": mgmt,
		"certificate":             certFile,
		"privateKey":              keyFile,
		"httpPort":                o.HTTPPort,
		"tlsPort":                 o.TLSPort,
		"ocspResponderURL":        ocspURL,
		"domainBlocklist":         append([]string{}, o.Blocked...),
		"keyAlgorithm":            keyAlg,
		"retryAfter":              map[string]int{"authz": 1, "order": 1},
		"profiles": map[string]any{
			"default": map[string]any{"description": "default", "validityPeriod": validity},
		},
	}}
	data, _ := json.Marshal(cfg)
	cfgFile := filepath.Join(dir, "pebble-config.json")
	if err := os.WriteFile(cfgFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-config", cfgFile}
	if o.DNS {
		args = append(args, "-dnsserver", startDNS(t))
	}
	env := append(os.Environ(),
		"PEBBLE_VA_NOSLEEP=1",      // no random wait before validating
		"PEBBLE_WFE_NONCEREJECT=0", // no random badNonce answers
		"PEBBLE_AUTHZREUSE=0",      // each order validates anew
		"PEBBLE_VA_ALWAYS_VALID=0")
	if o.AlwaysValid {
		env = append(env, "PEBBLE_VA_ALWAYS_VALID=1")
	}
	var out bytes.Buffer
	run(t, bin, args, env, &out)
	s := &Server{
		Directory: "https://" + listen + "/dir",
		CARoot:    filepath.Join(dir, "pebble-listener-root.pem"),
		mgmt:      "https://" + mgmt,
		client:    &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
	}
	waitFor(t, func() error {
		resp, err := s.client.Get(s.Directory)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}, &out)
	if ocsp != nil {
		ocsp.pebble.Store(s)
	}
	return s
}

// run starts a program that runs until the test ends.
func run(t testing.TB, bin string, args, env []string, out *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() && testing.Verbose() {
			t.Logf("%s:\n%s", filepath.Base(bin), out)
		}
	})
}

func waitFor(t testing.TB, ready func() error, out *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := ready()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pebble did not start: %v\n%s", err, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startDNS runs pebble-challtestsrv as a DNS server only, answering
// 127.0.0.1 to every A query and nothing to AAAA, and returns its address.
func startDNS(t testing.TB) string {
	t.Helper()
	bin := testsite.Tool(t, "pebble-challtestsrv")
	dns, mgmt := FreeAddr(t), FreeAddr(t)
	var out bytes.Buffer
	run(t, bin, []string{"-http01", "", "-https01", "", "-doh", "", "-tlsalpn01", "",
		"-dnsserver", dns, "-management", mgmt, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""}, os.Environ(), &out)
	waitFor(t, func() error {
		resp, err := http.Post("http://"+mgmt+"/set-default-ipv4", "application/json", bytes.NewReader([]byte(`{"ip":"127.0.0.1"}`)))
		if err == nil {
			resp.Body.Close()
		}
		return err
	}, &out)
	return dns
}

// Root is the root Pebble issues under (from its management interface,
// /roots/0): a chain it issued verifies against it.
func (s *Server) Root(t testing.TB) *x509.Certificate {
	t.Helper()
	cert, err := s.cert("/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// Issuer is the intermediate that signs the certificates Pebble issues
// (/intermediates/0).
func (s *Server) Issuer(t testing.TB) *x509.Certificate {
	t.Helper()
	cert, err := s.cert("/intermediates/0")
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// mgmtPEM is the first PEM block of a page of the management interface.
func (s *Server) mgmtPEM(path string) (*pem.Block, error) {
	resp, err := s.client.Get(s.mgmt + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("pebble %s: no PEM: %q", path, data)
	}
	return block, nil
}

func (s *Server) cert(path string) (*x509.Certificate, error) {
	block, err := s.mgmtPEM(path)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(block.Bytes)
}

// FreeAddr is a loopback address with a port free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// FreePort is the port of FreeAddr.
func FreePort(t testing.TB) int {
	_, p, _ := net.SplitHostPort(FreeAddr(t))
	n, _ := strconv.Atoi(p)
	return n
}

// listenerCert makes a root and a certificate it signs for 127.0.0.1 and
// localhost, for Pebble's HTTPS listener; the root is written beside them
// as pebble-listener-root.pem.
func listenerCert(t testing.TB, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	now := time.Now()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	root := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pebble listener test root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, root, root, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ = x509.ParseCertificate(rootDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "pebble"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"localhost", "pebble"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, root, &key.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	certFile = write("pebble-listener.pem", "CERTIFICATE", leafDER)
	keyFile = write("pebble-listener.key", "EC PRIVATE KEY", keyDER)
	write("pebble-listener-root.pem", "CERTIFICATE", rootDER)
	pool = x509.NewCertPool()
	pool.AddCert(root)
	return certFile, keyFile, pool
}
