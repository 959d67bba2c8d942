package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigSecrets: a configuration whose site folders hold the files it
// names (a TLS key under root = ".", a hard link to it and a copy in another
// site, the configuration itself at any depth) fails config check, at the
// root's line, and no site serves them.
func TestConfigSecrets(t *testing.T) {
	dir := site(t, map[string]string{
		"index.html":             "<h1>a</h1>",
		"pub/index.html":         "<h1>b</h1>",
		"pub/sub/herald.toml":    "[[site]]\nroot = \".\"\n",
		"pub/sub/herald.toml.gz": "x",
	})
	os.Mkdir(filepath.Join(dir, "certs"), 0o755)
	certFile, keyFile, pool := testCert(t, filepath.Join(dir, "certs"), "a.test")
	if err := os.Link(keyFile, filepath.Join(dir, "pub", "hard.pem")); err != nil {
		t.Fatal(err)
	}
	key, _ := os.ReadFile(keyFile)
	os.WriteFile(filepath.Join(dir, "pub", "copy.pem"), key, 0o644)
	os.Symlink("hard.pem", filepath.Join(dir, "pub", "link.pem"))
	cfg := filepath.Join(dir, "herald.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`[[site]]
hosts = ["a.test"]
root = "."
listen = ["127.0.0.1:0"]
[site.tls]
cert = %q
key = "certs/a.test.key"

[[site]]
root = "pub"
listen = ["localhost:0"]
`, certFile)), 0o644)

	code, out, _ := herald(t, "config", "check", cfg)
	for _, want := range []string{
		cfg + ":3: site.root: /certs/a.test.key: it is " + filepath.Join(dir, "certs/a.test.key") + ", which herald is configured with: never served; move it out of the site's folder",
		cfg + ":3: site.root: /certs/a.test.pem: it is " + certFile,
		cfg + ":10: site.root: /hard.pem: it is",
		cfg + ":10: site.root: /link.pem: it is",
		cfg + ":10: site.root: /copy.pem: it holds the same bytes as",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("config check does not say %q", want)
		}
	}
	if code != exitFindings {
		t.Errorf("config check: exit %d, want %d:\n%s", code, exitFindings, out)
	}

	bin := buildHerald(t)
	lines := startServerLines(t, 2, bin, "serve", "--config", cfg)
	tlsURL, _ := url.Parse(lines[0])
	plain := lines[1]
	c := h2Client(pool, "a.test", "127.0.0.1:"+tlsURL.Port())
	get := func(u string) (int, string) {
		t.Helper()
		client := http.DefaultClient
		if strings.HasPrefix(u, "https:") {
			client = c
		}
		resp, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get(lines[0]); code != 200 || body != "<h1>a</h1>" {
		t.Fatalf("%s: %d %q, want the page", lines[0], code, body)
	}
	for _, u := range []string{
		lines[0] + "certs/a.test.key", lines[0] + "certs/a.test.pem", lines[0] + "herald.toml", lines[0] + "pub/hard.pem",
		plain + "hard.pem", plain + "link.pem", plain + "copy.pem", plain + "sub/herald.toml", plain + "sub/herald.toml.gz",
	} {
		if code, body := get(u); code != 404 || strings.Contains(body, "PRIVATE KEY") {
			t.Errorf("%s: %d %.40q, want 404", u, code, body)
		}
	}
}

// TestServeCertInSite: herald serve DIR --cert --key with both files in
// DIR serves the site but not them, also when a link to the key is made
// while the folder is watched.
func TestServeCertInSite(t *testing.T) {
	dir := site(t, map[string]string{"index.html": "<h1>a</h1>"})
	certFile, keyFile, pool := testCert(t, dir, "a.test")
	u, _ := url.Parse(startServer(t, buildHerald(t), "serve", dir, "--cert", certFile, "--key", keyFile, "--addr", "127.0.0.1:0"))
	c := h2Client(pool, "a.test", "127.0.0.1:"+u.Port())
	get := func(p string) int {
		t.Helper()
		resp, err := c.Get("https://a.test:" + u.Port() + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("/"); code != 200 {
		t.Fatalf("/: %d, want 200", code)
	}
	if err := os.Symlink("a.test.key", filepath.Join(dir, "later.pem")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "later.html"), []byte("<p>"), 0o644)
	eventually(t, "the page saved after the link is served", func() bool { return get("/later.html") == 200 })
	for _, p := range []string{"/a.test.key", "/a.test.pem", "/later.pem"} {
		if code := get(p); code != 404 {
			t.Errorf("%s: %d, want 404", p, code)
		}
	}
}
