package main

import (
	"bufio"
	"bytes"
	"context"
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
	"strings"
	"syscall"
	"testing"
	"time"
)

// writeCert writes a self-signed certificate for the test's host names,
// with the given serial number, and its key.
func writeCert(t *testing.T, certFile, keyFile string, serial int64) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "a.test"},
		DNSNames:     []string{"a.test", "b.test", "c.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// reloadConfigText is a configuration of two sites over TLS on one
// address: a.test with header X-Test, and the site of hosts.
func reloadConfigText(dirA, dirB, cert, key, xTest, hosts string) string {
	return fmt.Sprintf(`[[site]]
hosts = ["a.test"]
root = %q
listen = ["127.0.0.1:0"]
[site.tls]
cert = %q
key = %q
[site.headers]
X-Test = %q

[[site]]
hosts = [%s]
root = %q
listen = ["127.0.0.1:0"]
[site.tls]
cert = %[2]q
key = %[3]q
`, dirA, cert, key, xTest, hosts, dirB)
}

// TestReloadOnHangup: SIGHUP to herald serve --config applies an edited
// file (a header's value, a host added) to new requests while a download
// begun before goes on intact; a file with a mistake is reported as
// herald config check lists it and the sites stay as they were; a
// certificate replaced on disk is served after the next SIGHUP, and the
// [server] keys that wait for a restart are named; and 100
// signals in a second leave herald serving after a few reloads.
func TestReloadOnHangup(t *testing.T) {
	bin := buildHerald(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 4<<20) // 64 MiB, beyond the sockets' buffers
	dirA := site(t, map[string]string{"index.html": "<h1>a</h1>"})
	if err := os.WriteFile(filepath.Join(dirA, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	dirB := site(t, map[string]string{"index.html": "<h1>b</h1>"})
	tmp := t.TempDir()
	cert, key := filepath.Join(tmp, "cert.pem"), filepath.Join(tmp, "key.pem")
	writeCert(t, cert, key, 1)
	cfg := filepath.Join(tmp, "herald.toml")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(reloadConfigText(dirA, dirB, cert, key, "one", `"b.test"`))

	cmd := exec.Command(bin, "serve", "--config", cfg)
	run := start(t, cmd)
	stderr, exited, u := run.stderr, run.exited, run.url
	_, port, _ := net.SplitHostPort(u.Host)
	addr := "127.0.0.1:" + port

	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}, Timeout: 10 * time.Second}
	get := func(host string) (status int, xTest string) {
		t.Helper()
		resp, err := client.Get("https://" + host + ":" + port + "/")
		if err != nil {
			t.Fatalf("GET %s: %v\n%s", host, err, stderr.String())
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("X-Test")
	}
	serial := func() int64 {
		t.Helper()
		conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "a.test", InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	reloads := func() int { return strings.Count(stderr.String(), "herald: reloaded ") }
	hangup := func(what string) {
		t.Helper()
		n := reloads()
		cmd.Process.Signal(syscall.SIGHUP)
		for deadline := time.Now().Add(10 * time.Second); reloads() == n; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no reload 10 s after SIGHUP\n%s", what, stderr.String())
			}
		}
	}
	if s, x := get("a.test"); s != 200 || x != "one" {
		t.Fatalf("before: a.test answers %d with X-Test %q", s, x)
	}
	if s, _ := get("c.test"); s != 404 {
		t.Fatalf("before: c.test answers %d, want 404", s)
	}

	// A download in flight, read slowly: its first bytes now, the rest
	// after the reload.
	conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "a.test", InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /big.bin HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 1<<20)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatal(err)
	}

	write(reloadConfigText(dirA, dirB, cert, key, "two", `"b.test", "c.test"`))
	hangup("edited")
	if s, x := get("a.test"); s != 200 || x != "two" {
		t.Errorf("after the reload: a.test answers %d with X-Test %q, want 200 and \"two\"", s, x)
	}
	if s, _ := get("c.test"); s != 200 {
		t.Errorf("after the reload: c.test answers %d, want 200", s)
	}
	rest, err := io.ReadAll(resp.Body)
	if got := append(first, rest...); err != nil || !bytes.Equal(got, big) {
		t.Errorf("the download in flight: %d of %d bytes, equal %v, error %v", len(got), len(big), bytes.Equal(got, big), err)
	}

	// A mistake: reported at its line, as herald config check lists it.
	write(strings.Replace(reloadConfigText(dirA, dirB, cert, key, "three", `"b.test"`), `hosts = ["a.test"]`, "hosts = [\"a.test\"]\ncompress = 5", 1))
	_, want, _ := herald(t, "config", "check", cfg)
	if !strings.Contains(want, "herald.toml:") {
		t.Fatalf("config check lists no line: %q", want)
	}
	before := stderr.String()
	cmd.Process.Signal(syscall.SIGHUP)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String()[len(before):], want); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the mistake is not reported as config check lists it (%q)\n%s", want, stderr.String()[len(before):])
		}
	}
	if s, x := get("a.test"); s != 200 || x != "two" {
		t.Errorf("after a file with a mistake: a.test answers %d with X-Test %q, want 200 and \"two\"", s, x)
	}

	// A certificate replaced on disk, and [server] keys that apply from
	// the next start, named.
	write(reloadConfigText(dirA, dirB, cert, key, "two", `"b.test", "c.test"`) + "\n[server]\nidle_timeout = \"1m\"\nhttp3 = false\n")
	writeCert(t, cert, key, 2)
	if n := serial(); n != 1 {
		t.Fatalf("serial %d before the reload, want 1", n)
	}
	hangup("certificate")
	if n := serial(); n != 2 {
		t.Errorf("serial %d after the reload, want 2", n)
	}
	if want := "reload: [server] idle_timeout, http3 changed; herald keeps"; !strings.Contains(stderr.String(), want) {
		t.Errorf("no %q in\n%s", want, stderr.String())
	}

	// A storm: at most one reload a second (reloadMaxWait) while it
	// lasts, and one after; a loaded machine stretches it, so the bound
	// follows the time it took.
	n := reloads()
	start := time.Now()
	for range 100 {
		cmd.Process.Signal(syscall.SIGHUP)
		time.Sleep(10 * time.Millisecond)
	}
	took := time.Since(start)
	time.Sleep(2 * time.Second) // the last reload settles
	select {
	case err := <-exited:
		exited <- err
		t.Fatalf("herald stopped in a storm of SIGHUP: %v\n%s", err, stderr.String())
	default:
	}
	got := reloads() - n
	t.Logf("100 signals in %v: %d reloads", took.Round(time.Millisecond), got)
	if limit := int(took/time.Second) + 2; got < 1 || got > limit {
		t.Errorf("100 signals in %v made %d reloads, want 1 to %d", took.Round(time.Millisecond), got, limit)
	}
	if s, x := get("a.test"); s != 200 || x != "two" {
		t.Errorf("after the storm: a.test answers %d with X-Test %q", s, x)
	}
}

// TestBundleReloadsCert: a bundle serving over TLS reads its certificate
// files again on SIGHUP; files that do not load are reported and the
// certificate served stays.
func TestBundleReloadsCert(t *testing.T) {
	bin := buildHerald(t)
	dir := site(t, map[string]string{"index.html": "<h1>hi</h1>"})
	tmp := t.TempDir()
	cert, key := filepath.Join(tmp, "cert.pem"), filepath.Join(tmp, "key.pem")
	writeCert(t, cert, key, 1)
	bundle := filepath.Join(tmp, "mysite")
	if out, err := exec.Command(bin, "bundle", dir, "-o", bundle).CombinedOutput(); err != nil {
		t.Fatalf("bundle: %v\n%s", err, out)
	}
	cmd := exec.Command(bundle, "--addr", "127.0.0.1:0", "--cert", cert, "--key", key)
	run := start(t, cmd)
	stderr, u := run.stderr, run.url
	serial := func() int64 {
		t.Helper()
		conn, err := tls.Dial("tcp", u.Host, &tls.Config{ServerName: "a.test", InsecureSkipVerify: true})
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	hangup := func(want string) {
		t.Helper()
		n := strings.Count(stderr.String(), want)
		cmd.Process.Signal(syscall.SIGHUP)
		for deadline := time.Now().Add(10 * time.Second); strings.Count(stderr.String(), want) == n; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q 10 s after SIGHUP\n%s", want, stderr.String())
			}
		}
	}
	if n := serial(); n != 1 {
		t.Fatalf("serial %d, want 1", n)
	}
	writeCert(t, cert, key, 2)
	hangup("herald: reloaded the certificate " + cert)
	if n := serial(); n != 2 {
		t.Errorf("serial %d after SIGHUP, want 2", n)
	}
	os.WriteFile(key, []byte("not a key"), 0o600)
	hangup("still serving the certificate loaded before")
	if n := serial(); n != 2 {
		t.Errorf("serial %d after a SIGHUP with a broken key, want 2", n)
	}
}

// TestAccessLogJSON: --access-log=json, and access_log = "json" in a
// configuration file, log each request as a JSON object on standard
// error; --access-log alone is still the logfmt line.
func TestAccessLogJSON(t *testing.T) {
	bin := buildHerald(t)
	dir := site(t, map[string]string{"index.html": "<h1>hi</h1>"})
	cfg := filepath.Join(t.TempDir(), "herald.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("[server]\naccess_log = \"json\"\n[[site]]\nroot = %q\nlisten = [\"127.0.0.1:0\"]\n", dir)), 0o644)
	tests := []struct {
		name string
		args []string
		json bool
	}{
		{"--access-log=json", []string{"serve", dir, "--addr", "127.0.0.1:0", "--watch=false", "--access-log=json", "--log-format=json"}, true},
		{"--access-log", []string{"serve", dir, "--addr", "127.0.0.1:0", "--watch=false", "--access-log"}, false},
		{"access_log = \"json\"", []string{"serve", "--config", cfg}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := start(t, exec.Command(bin, tt.args...))
			stderr := run.stderr
			req, _ := http.NewRequest("GET", run.url.String()+"index.html", nil)
			req.Header.Set("User-Agent", "test-agent/1")
			req.Header.Set("Referer", "https://example.com/from")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			var logged string
			for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logged, "test-agent/1") && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				logged = stderr.String()
			}
			if !tt.json {
				if !strings.Contains(logged, `msg=request`) || !strings.Contains(logged, `user_agent=test-agent/1`) {
					t.Errorf("not a logfmt access log line: %q", logged)
				}
				return
			}
			var rec map[string]any // the request's, among serve's other lines
			for _, l := range strings.Split(strings.TrimSpace(logged), "\n") {
				var r map[string]any
				if err := json.Unmarshal([]byte(l), &r); err != nil {
					t.Fatalf("not a JSON object: %q: %v", l, err)
				}
				if r["msg"] == "request" {
					rec = r
				}
			}
			for k, want := range map[string]any{"msg": "request", "method": "GET", "path": "/index.html", "status": 200.0,
				"protocol": "HTTP/1.1", "user_agent": "test-agent/1", "referer": "https://example.com/from", "pushed": 0.0, "hinted": 0.0} {
				if rec[k] != want {
					t.Errorf("%s = %v, want %v (in %v)", k, rec[k], want, rec)
				}
			}
			for _, k := range []string{"time", "host", "bytes", "duration"} {
				if _, ok := rec[k]; !ok {
					t.Errorf("no %s in %v", k, rec)
				}
			}
		})
	}
}

// TestHangupWithoutConfig: SIGHUP to herald serve DIR, to the example site
// and to a bundle, none given --cert, keeps them serving (the signal's
// default action stopped them) and says what it did: a folder served as it
// was is built again and its new manifest served; a watched folder, the
// example and a bundle have nothing to read again.
func TestHangupWithoutConfig(t *testing.T) {
	bin := buildHerald(t)
	dir := site(t, map[string]string{"index.html": "<h1>hi</h1>", "a.css": "h1{}"})
	bundle := filepath.Join(t.TempDir(), "mysite")
	if out, err := exec.Command(bin, "bundle", dir, "-o", bundle).CombinedOutput(); err != nil {
		t.Fatalf("bundle: %v\n%s", err, out)
	}
	tests := []struct {
		name string
		cmd  []string
		said string
		edit bool // the page links a.css after the edit, and then on
	}{
		{"folder served as it was", []string{bin, "serve", dir, "--watch=false"}, "herald: reloaded " + dir + ": 1 pages", true},
		{"watched folder", []string{bin, "serve", dir}, "herald: reload: nothing to reload: " + dir + " is watched", false},
		{"example site", []string{bin, "serve"}, "herald: reload: nothing to reload: the example site", false},
		{"as JSON", []string{bin, "serve", "--log-format", "json"}, `"msg":"reload: nothing to reload: the example site`, false},
		{"bundle", []string{bundle}, "herald: reload: nothing to reload: a bundle serves the site it carries", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.WriteFile(filepath.Join(dir, "index.html"), []byte("<h1>hi</h1>"), 0o644)
			run := start(t, exec.Command(tt.cmd[0], append(tt.cmd[1:], "--addr", "127.0.0.1:0")...))
			if tt.edit {
				os.WriteFile(filepath.Join(dir, "index.html"), []byte("<link rel=stylesheet href=a.css><h1>hi</h1>"), 0o644)
			}
			run.cmd.Process.Signal(syscall.SIGHUP)
			for deadline := time.Now().Add(10 * time.Second); !strings.Contains(run.stderr.String(), tt.said); time.Sleep(20 * time.Millisecond) {
				select {
				case err := <-run.exited:
					run.exited <- err
					t.Fatalf("exited on SIGHUP: %v\n%s", err, run.stderr.String())
				default:
				}
				if time.Now().After(deadline) {
					t.Fatalf("no %q 10 s after SIGHUP:\n%s", tt.said, run.stderr.String())
				}
			}
			resp, err := http.Get(run.url.String())
			if err != nil {
				t.Fatalf("after SIGHUP: %v\n%s", err, run.stderr.String())
			}
			resp.Body.Close()
			if link := resp.Header.Get("Link"); tt.edit && !strings.Contains(link, "/a.css") {
				t.Errorf("after SIGHUP, Link %q: the edited page's stylesheet is not in the manifest served", link)
			}
		})
	}
}
