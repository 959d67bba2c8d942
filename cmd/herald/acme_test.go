package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"herald/internal/pebble"
)

// TestACMEServeConfig: herald serve --config with two ACME sites and one
// with its own certificate, against Pebble validating for real (HTTP-01 or
// TLS-ALPN-01, as certmagic chooses, through herald's own listeners; its
// DNS answers 127.0.0.1). The site with its own certificate is served at
// once; a.herald.test gets a certificate chaining to Pebble's root and is
// served over HTTPS with it; blocked.herald.test, which Pebble refuses, is
// logged with Pebble's reason; plain HTTP redirects to HTTPS.
func TestACMEServeConfig(t *testing.T) {
	httpAddr, tlsAddr := pebble.FreeAddr(t), pebble.FreeAddr(t)
	p := pebble.Start(t, pebble.Options{HTTPPort: portOf(httpAddr), TLSPort: portOf(tlsAddr), DNS: true,
		Blocked: []string{"blocked.herald.test"}})
	bin := buildHerald(t)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeCert(t, cert, key, 1)
	cfg := filepath.Join(dir, "herald.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`
[server.acme]
email = "admin@example.com"
directory = %q
ca_root = %q
storage = "acme"
http_listen = %q

[[site]]
hosts = ["a.herald.test"]
root = %q
listen = [%q]
[site.tls]
acme = true

[[site]]
hosts = ["blocked.herald.test"]
root = %[4]q
listen = [%[5]q]
[site.tls]
acme = true

[[site]]
hosts = ["own.test"]
root = %[6]q
listen = [%[5]q]
[site.tls]
cert = %[7]q
key = %[8]q
`, p.Directory, p.CARoot, httpAddr, site(t, map[string]string{"index.html": "<h1>acme</h1>"}), tlsAddr,
		site(t, map[string]string{"index.html": "<h1>own</h1>"}), cert, key)), 0o644)

	run := start(t, exec.Command(bin, "serve", "--config", cfg))
	if want := "https://a.herald.test:" + strconv.Itoa(portOf(tlsAddr)) + "/"; run.url.String() != want {
		t.Errorf("printed %s, want %s", run.url, want)
	}
	client := func(roots *x509.CertPool) *http.Client {
		return &http.Client{Timeout: 5 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, InsecureSkipVerify: roots == nil},
				DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					if strings.HasSuffix(addr, fmt.Sprintf(":%d", portOf(httpAddr))) {
						return (&net.Dialer{}).DialContext(ctx, network, httpAddr)
					}
					return (&net.Dialer{}).DialContext(ctx, network, tlsAddr)
				}}}
	}
	origin := func(host string) string { return fmt.Sprintf("https://%s:%d", host, portOf(tlsAddr)) }

	// The site with its own certificate does not wait for ACME.
	resp, err := client(nil).Get(origin("own.test") + "/")
	if err != nil {
		t.Fatalf("own.test: %v\n%s", err, run.stderr)
	}
	resp.Body.Close()

	// a.herald.test, verified against Pebble's root.
	roots := x509.NewCertPool()
	roots.AddCert(p.Root(t))
	resp = waitACME(t, client(roots), origin("a.herald.test")+"/", run)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "acme") {
		t.Errorf("a.herald.test: %d %q", resp.StatusCode, body)
	}
	if _, err := os.Stat(filepath.Join(dir, "acme", "certificates")); err != nil {
		t.Errorf("storage = \"acme\" is not the folder beside the file: %v", err)
	}

	// blocked.herald.test: Pebble's reason, and the host.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(run.stderr.String(), "host=blocked.herald.test problem=") {
		if time.Now().After(deadline) {
			t.Fatalf("no line for blocked.herald.test with Pebble's problem:\n%s", run.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(run.stderr.String(), "rejectedIdentifier") {
		t.Errorf("the line lacks Pebble's problem type:\n%s", run.stderr)
	}

	// Plain HTTP: 308 to HTTPS, same host and path.
	resp, err = client(nil).Get(fmt.Sprintf("http://a.herald.test:%d/docs/?q=1", portOf(httpAddr)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != 308 || loc != origin("a.herald.test")+"/docs/?q=1" {
		t.Errorf("plain HTTP: %d to %q", resp.StatusCode, loc)
	}
}

// TestACMEBundle: a bundle, and herald serve DIR, run with --acme get
// their certificate from Pebble (validation skipped: TestACMEServeConfig
// validates), serve the page over HTTPS with it, and redirect plain HTTP;
// the URL printed names the first host.
func TestACMEBundle(t *testing.T) {
	p := pebble.Start(t, pebble.Options{AlwaysValid: true})
	bin := buildHerald(t)
	dir := site(t, map[string]string{"index.html": "<h1>bundled</h1>"})
	mysite := filepath.Join(t.TempDir(), "mysite")
	if out, err := exec.Command(bin, "bundle", dir, "-o", mysite).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	tests := []struct {
		name string
		cmd  []string
		said string // on standard error
	}{
		{"bundle", []string{mysite}, ""},
		{"serve DIR", []string{bin, "serve", dir}, "certificates by ACME for a.herald.test,www.herald.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			httpAddr, tlsAddr := pebble.FreeAddr(t), pebble.FreeAddr(t)
			run := start(t, exec.Command(tt.cmd[0], append(tt.cmd[1:], "--acme", "a.herald.test,www.herald.test", "--acme-email", "admin@example.com",
				"--acme-directory", p.Directory, "--acme-ca-root", p.CARoot, "--acme-storage", t.TempDir(),
				"--addr", tlsAddr, "--acme-http-addr", httpAddr)...))
			if want := fmt.Sprintf("https://a.herald.test:%d/", portOf(tlsAddr)); run.url.String() != want {
				t.Errorf("printed %s, want %s", run.url, want)
			}
			roots := x509.NewCertPool()
			roots.AddCert(p.Root(t))
			c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
				TLSClientConfig: &tls.Config{RootCAs: roots},
				DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
					return (&net.Dialer{}).DialContext(ctx, network, tlsAddr)
				}}}
			for _, host := range []string{"a.herald.test", "www.herald.test"} {
				resp := waitACME(t, c, fmt.Sprintf("https://%s:%d/", host, portOf(tlsAddr)), run)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("%s: %d", host, resp.StatusCode)
				}
			}
			req, _ := http.NewRequest("GET", "http://"+httpAddr+"/x", nil)
			req.Host = "a.herald.test"
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if loc := resp.Header.Get("Location"); resp.StatusCode != 308 || loc != fmt.Sprintf("https://a.herald.test:%d/x", portOf(tlsAddr)) {
				t.Errorf("plain HTTP: %d to %q", resp.StatusCode, loc)
			}
			if !strings.Contains(run.stderr.String(), tt.said) {
				t.Errorf("no %q on standard error:\n%s", tt.said, run.stderr)
			}
		})
	}
}

// waitACME gets url with c every 50 ms until it answers, for at most
// 20 s: until herald serves the host over a certificate from Pebble
// (verified by c). The test fails with run's standard error if it never does.
func waitACME(t *testing.T, c *http.Client, url string, run *started) *http.Response {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := c.Get(url)
		if err == nil {
			return resp
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never served over a certificate from Pebble: %v\n%s", url, err, run.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestACMEBundleUsage: mistakes in the bundle's ACME flags are usage
// errors that say what to write.
func TestACMEBundleUsage(t *testing.T) {
	bin := buildHerald(t)
	mysite := filepath.Join(t.TempDir(), "mysite")
	if out, err := exec.Command(bin, "bundle", site(t, map[string]string{"index.html": "x"}), "-o", mysite).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"with --cert", []string{"--acme", "a.test", "--cert", "c.pem", "--key", "k.pem"}, "leave out --cert and --key, or --acme"},
		{"a URL for a host", []string{"--acme", "https://a.test/"}, `"https://a.test/" is not a host name`},
		{"a wildcard", []string{"--acme", "*.a.test"}, "is not a host name"},
		{"email without --acme", []string{"--acme-email", "a@b.c"}, "--acme-email goes with --acme HOSTS"},
		{"bad email", []string{"--acme", "a.test", "--acme-email", "admin"}, `--acme-email: "admin" is not an email address`},
		{"ca_root missing", []string{"--acme", "a.test", "--acme-ca-root", "/nonexistent/root.pem"}, "ca_root"},
		{"metrics on the challenge listener", []string{"--acme", "a.test", "--acme-storage", t.TempDir(), "--acme-http-addr", "127.0.0.1:19580", "--metrics", "127.0.0.1:19580"},
			`--metrics "127.0.0.1:19580" takes the port of the listener on "127.0.0.1:19580"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.Command(mysite, tt.args...).CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), tt.want) {
				t.Errorf("%v: %v\n%s\nwant exit 2 and %q", tt.args, err, out, tt.want)
			}
		})
	}
}

// BenchmarkACMEStartup measures herald serve --config from exec to the
// first HTTPS 200 of an ACME site, over a certificate from Pebble (fresh
// storage each time, so each run orders one): with validation skipped,
// and validated for real through herald's listeners.
//
//	go test -run '^$' -bench ACMEStartup -benchtime 10x ./cmd/herald
func BenchmarkACMEStartup(b *testing.B) {
	for _, real := range []bool{false, true} {
		name := "always-valid"
		if real {
			name = "validated"
		}
		b.Run(name, func(b *testing.B) {
			httpAddr, tlsAddr := pebble.FreeAddr(b), pebble.FreeAddr(b)
			p := pebble.Start(b, pebble.Options{AlwaysValid: !real, DNS: real, HTTPPort: portOf(httpAddr), TLSPort: portOf(tlsAddr)})
			bin := buildHerald(b)
			root := site(b, map[string]string{"index.html": "<h1>a</h1>"})
			roots := x509.NewCertPool()
			roots.AddCert(p.Root(b))
			c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
				TLSClientConfig:   &tls.Config{RootCAs: roots},
				DisableKeepAlives: true,
				DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
					return (&net.Dialer{}).DialContext(ctx, network, tlsAddr)
				}}}
			var total time.Duration
			for i := 0; b.Loop(); i++ {
				dir := b.TempDir()
				cfg := filepath.Join(dir, "herald.toml")
				os.WriteFile(cfg, []byte(fmt.Sprintf(`[server.acme]
directory = %q
ca_root = %q
storage = "acme"
http_listen = %q
[[site]]
hosts = ["a%d.herald.test"]
root = %q
listen = [%q]
[site.tls]
acme = true
`, p.Directory, p.CARoot, httpAddr, i, root, tlsAddr)), 0o644)
				began := time.Now()
				cmd := exec.Command(bin, "serve", "--config", cfg)
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				url := fmt.Sprintf("https://a%d.herald.test:%d/", i, portOf(tlsAddr))
				for {
					resp, err := c.Get(url)
					if err == nil {
						resp.Body.Close()
						if resp.StatusCode == 200 {
							break
						}
					}
					if time.Since(began) > 30*time.Second {
						b.Fatalf("no 200 from %s: %v", url, err)
					}
					time.Sleep(5 * time.Millisecond)
				}
				total += time.Since(began)
				cmd.Process.Kill()
				cmd.Wait()
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-first-200")
		})
	}
}

// TestACMEReloadFirstSite: a SIGHUP that adds the first site with
// acme = true is refused with the reason and the line (herald started
// without the listener the challenges need), and the sites served before
// go on; so is a restart what the message asks for.
func TestACMEReloadFirstSite(t *testing.T) {
	bin := buildHerald(t)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeCert(t, cert, key, 1)
	root := site(t, map[string]string{"index.html": "<h1>own</h1>"})
	own := fmt.Sprintf("[[site]]\nhosts = [\"own.test\"]\nroot = %q\nlisten = [\"127.0.0.1:0\"]\n[site.tls]\ncert = %q\nkey = %q\n", root, cert, key)
	cfg := filepath.Join(dir, "herald.toml")
	if err := os.WriteFile(cfg, []byte(own), 0o644); err != nil {
		t.Fatal(err)
	}
	run := start(t, exec.Command(bin, "serve", "--config", cfg))
	get := func() int {
		t.Helper()
		c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:"+run.url.Port())
			}}}
		resp, err := c.Get(run.url.String())
		if err != nil {
			t.Fatalf("own.test: %v\n%s", err, run.stderr)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(); code != 200 {
		t.Fatalf("own.test: %d before the reload", code)
	}
	withACME := own + fmt.Sprintf("\n[[site]]\nhosts = [\"new.herald.test\"]\nroot = %q\nlisten = [\"127.0.0.1:0\"]\n[site.tls]\nacme = true\n", root)
	if err := os.WriteFile(cfg, []byte(withACME), 0o644); err != nil {
		t.Fatal(err)
	}
	run.cmd.Process.Signal(syscall.SIGHUP)
	want := "herald.toml:14: site.tls.acme: herald started without ACME sites, so it has no listener for the challenges: restart herald to serve this site"
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(run.stderr.String(), want); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q 10 s after SIGHUP:\n%s", want, run.stderr)
		}
	}
	if !strings.Contains(run.stderr.String(), "still serving the configuration loaded before") {
		t.Errorf("the refusal does not say the sites before are still served:\n%s", run.stderr)
	}
	if code := get(); code != 200 {
		t.Errorf("own.test: %d after the refused reload", code)
	}
}
