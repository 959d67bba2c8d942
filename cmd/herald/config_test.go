package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"herald/internal/testsite"
	"herald/manifest"
)

func TestConfigCheck(t *testing.T) {
	dir := site(t, map[string]string{"public/index.html": "<h1>hi</h1>"})
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	good := write("good.toml", "[[site]]\nroot = \"public\"\nlisten = [\"127.0.0.1:0\"]\n")
	bad := write("bad.toml", "[[site]]\nroot = \"public\"\n\n[site.push]\nmode = \"always\"\nmax_byts = 3\n")
	noPage := write("nopage.toml", "[[site]]\nroot = \"public\"\nnot_found = \"/nope.html\"\nlisten = [\"127.0.0.1:0\"]\n")
	missing := write("missing.toml", "[[site]]\nroot = \"nowhere\"\n")
	// Links a build cannot follow: broken, out of the folder (errors, as in
	// herald check), to a folder (a warning).
	os.MkdirAll(filepath.Join(dir, "links", "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "links", "index.html"), []byte("<h1>hi</h1>"), 0o644)
	os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("outside"), 0o644)
	os.Symlink("gone.html", filepath.Join(dir, "links", "broken.html"))
	os.Symlink("../secret.txt", filepath.Join(dir, "links", "escape.txt"))
	os.Symlink("sub", filepath.Join(dir, "links", "folder"))
	links := write("links.toml", "[[site]]\nname = \"docs\"\nroot = \"links\"\nlisten = [\"127.0.0.1:0\"]\n")
	os.MkdirAll(filepath.Join(dir, "warned", "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "warned", "index.html"), []byte("<h1>hi</h1>"), 0o644)
	os.Symlink("sub", filepath.Join(dir, "warned", "folder"))
	warned := write("warned.toml", "[[site]]\nroot = \"warned\"\nlisten = [\"127.0.0.1:0\"]\n")
	tests := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"good", []string{"config", "check", good}, 0, "ok: 1 sites on 1 addresses", ""},
		{"mistakes listed with lines", []string{"config", "check", bad}, 1, bad + `:5: site.push.mode: "always" is not a push mode`, ""},
		{"second mistake", []string{"config", "check", bad}, 1, bad + ":6: site.push.max_byts: unknown key in [site.push]; did you mean max_bytes?", ""},
		{"broken link", []string{"config", "check", links}, 1, links + ":3: site.root: /broken.html: ", ""},
		{"link out of the folder", []string{"config", "check", links}, 1, links + ":3: site.root: /escape.txt: ", ""},
		{"link to a folder", []string{"config", "check", links}, 1, links + ":3: site.root: warning: /folder: a link to a folder is not followed", ""},
		{"warnings alone pass", []string{"config", "check", warned}, 0, warned + ":2: site.root: warning: /folder: a link to a folder is not followed", ""},
		{"ok after warnings", []string{"config", "check", warned}, 0, "ok: 1 sites", ""},
		{"not_found the site lacks", []string{"config", "check", noPage}, 1, noPage + `:3: site.not_found: "/nope.html" is not a file of site 1`, ""},
		{"folder that does not exist", []string{"config", "check", missing}, 1, missing + ":2: site.root: cannot open the site folder", ""},
		{"no such file", []string{"config", "check", filepath.Join(dir, "nope.toml")}, 2, "", "does not exist"},
		{"no file", []string{"config", "check"}, 2, "", "give one configuration file"},
		{"a folder", []string{"config", "check", dir}, 2, "", "is a folder"},
		{"example shipped with herald", []string{"config", "check", "../../config/testdata/herald.example.toml"}, 1, "site.root: cannot open the site folder", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := herald(t, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errs, tt.err) {
				t.Errorf("herald %v\nexit %d (want %d)\nstdout:\n%s\nstderr:\n%s", tt.args, code, tt.code, out, errs)
			}
		})
	}
}

// TestServeConfigTwoSites runs herald serve --config with two sites on one
// TLS address: each host gets its own certificate by SNI, its own files and
// the hints of its own manifest, and nothing of the other's.
func TestServeConfigTwoSites(t *testing.T) {
	python := testsite.Dir(t, "python")
	bin := buildHerald(t)
	dir := t.TempDir()
	small := site(t, map[string]string{
		"index.html": `<!doctype html><link rel=stylesheet href=/own.css><h1>small</h1>`,
		"own.css":    `h1{color:red}`,
	})
	pyCert, pyKey, pool := testCert(t, dir, "docs.test")
	smCert, smKey, smPool := testCert(t, dir, "small.test")
	cfg := filepath.Join(dir, "herald.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`
[server]
listen = ["127.0.0.1:0"]

[[site]]
hosts = ["docs.test"]
root = %q
[site.tls]
cert = %q
key = %q

[[site]]
hosts = ["small.test"]
root = %q
[site.tls]
cert = %q
key = %q
`, python, pyCert, pyKey, small, smCert, smKey)), 0o644)
	base := startServer(t, bin, "serve", "--config", cfg)
	u, err := url.Parse(base)
	if err != nil || u.Hostname() != "docs.test" {
		t.Fatalf("printed %q (%v), want the first site's URL", base, err)
	}
	u.Host = "127.0.0.1:" + u.Port() // where docs.test and small.test are served
	pyRoot, _ := os.OpenRoot(python)
	defer pyRoot.Close()
	pyManifest, _, err := manifest.Build(pyRoot.FS(), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	docs := h2Client(pool, "docs.test", u.Host)
	smallClient := h2Client(smPool, "small.test", u.Host)

	check := func(name string, host string, path string, code int, body string, links []string) {
		t.Run(name, func(t *testing.T) {
			c := docs
			if host == "small.test" {
				c = smallClient
			}
			resp, err := c.Get("https://" + host + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != code || !strings.Contains(string(b), body) {
				t.Errorf("%d, %d bytes, want %d with %q", resp.StatusCode, len(b), code, body)
			}
			got := strings.Join(resp.Header.Values("Link"), ", ")
			for _, l := range links {
				if !strings.Contains(got, "<"+l+">") {
					t.Errorf("Link lacks %s: %s", l, got)
				}
			}
			if strings.Contains(got, "own.css") != (host == "small.test" && code == 200 && len(links) > 0) {
				t.Errorf("Link headers of another site's manifest: %s", got)
			}
		})
	}
	var pyLinks []string
	for _, a := range pyManifest.Pages["/index.html"].Assets {
		pyLinks = append(pyLinks, a.Path)
	}
	check("docs index with its hints", "docs.test", "/index.html", 200, "Python", pyLinks)
	check("small index with its hints", "small.test", "/index.html", 200, "<h1>small</h1>", []string{"/own.css"})
	check("small has no docs files", "small.test", "/_static/pygments.css", 404, "", nil)
	check("docs has no small files", "docs.test", "/own.css", 404, "", nil)
}

// TestServeConfigURLs: the first line serve --config prints reaches the
// first site (its host name, with the port it got), and each other site's
// URL follows; it printed https://127.0.0.1:PORT/, which gets 404 when the
// sites list host names.
func TestServeConfigURLs(t *testing.T) {
	bin := buildHerald(t)
	a := site(t, map[string]string{"index.html": "<h1>a</h1>"})
	b := site(t, map[string]string{"index.html": "<h1>b</h1>"})
	cfg := filepath.Join(t.TempDir(), "herald.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`
[server]
listen = ["127.0.0.1:0"]

[[site]]
hosts = ["a.test", "www.a.test"]
root = %q

[[site]]
hosts = ["*.b.test"]
root = %q
`, a, b)), 0o644)
	lines := startServerLines(t, 2, bin, "serve", "--config", cfg)
	u, err := url.Parse(lines[0])
	if err != nil || u.Port() == "" {
		t.Fatalf("printed %q: %v", lines, err)
	}
	want := []string{"http://a.test:" + u.Port() + "/", "http://www.b.test:" + u.Port() + "/"}
	if !slices.Equal(lines, want) {
		t.Errorf("printed %q, want %q", lines, want)
	}
	for i, line := range lines {
		u, _ := url.Parse(line)
		req, _ := http.NewRequest("GET", "http://127.0.0.1:"+u.Port()+"/", nil)
		req.Host = u.Host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if site := "<h1>" + string(rune('a'+i)) + "</h1>"; resp.StatusCode != 200 || string(body) != site {
			t.Errorf("%s: %d %q, want 200 %q", line, resp.StatusCode, body, site)
		}
	}
}
