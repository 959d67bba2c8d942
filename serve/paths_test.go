package serve

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"herald/manifest"
)

const outsideSecret = "TOP SECRET outside the site"

// diskSite makes a site folder with links that lead out of it, next to a
// folder holding a secret. It returns the site's folder.
func diskSite(t testing.TB) string {
	t.Helper()
	base := t.TempDir()
	site, outside := filepath.Join(base, "site"), filepath.Join(base, "outside")
	for _, d := range []string{site, outside, filepath.Join(site, "sub")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, data string) {
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(outside, "secret.txt"), outsideSecret)
	write(filepath.Join(base, "secret.txt"), outsideSecret)
	write(filepath.Join(site, "index.html"), "<!doctype html><title>home</title><link rel=stylesheet href=style.css>")
	write(filepath.Join(site, "style.css"), "p{}")
	write(filepath.Join(site, "sub", "page.html"), "<!doctype html><title>sub</title>")
	write(filepath.Join(site, ".env"), outsideSecret)
	write(filepath.Join(site, manifest.FileName), outsideSecret)
	for link, target := range map[string]string{
		"link-out.txt":     filepath.Join(outside, "secret.txt"),
		"link-rel.txt":     "../secret.txt",
		"sub/link-up.txt":  "../../outside/secret.txt",
		"link-dir":         outside,
		"link-in.css":      "style.css", // a link inside the site is fine
		"sub/link-abs.txt": "/etc/hostname",
	} {
		if err := os.Symlink(target, filepath.Join(site, link)); err != nil {
			t.Fatal(err)
		}
	}
	return site
}

// adversarialTargets are request targets that try to leave the site or
// reach what it hides. None may be found.
var adversarialTargets = []string{
	"/../secret.txt",
	"/%2e%2e/secret.txt",
	"/%2e%2e%2fsecret.txt",
	"/..%2f..%2foutside%2fsecret.txt",
	"/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
	"/sub/%2e%2e/%2e%2e/secret.txt",
	"/..%5csecret.txt",
	"/%5c..%5csecret.txt",
	"/sub%5c..%5c..%5csecret.txt",
	"/%252e%252e%252fsecret.txt",
	"/%25%32%65%25%32%65/secret.txt",
	"/%c0%ae%c0%ae/secret.txt",
	"/index.html%00",
	"/%00/../secret.txt",
	"/style.css%00.html",
	"/link-out.txt",
	"/link-rel.txt",
	"/sub/link-up.txt",
	"/sub/link-abs.txt",
	"/link-dir/secret.txt",
	"/link-dir/",
	"/link-dir",
	"/.env",
	"/%2eenv",
	"/push-manifest.json",
	"/%70ush-manifest.json",
	"/sub/../push-manifest.json",
	"/./push-manifest.json",
	"/sub/",
	"/sub",
	"/secret.txt",
	"/outside/secret.txt",
}

// TestNoEscape serves a folder through os.Root and tries every adversarial
// target, parsed by url.Parse and sent by a real client: each is not found
// and no answer holds the secret. The handler is tried twice: with the
// manifest of the folder read through the same os.Root, and with a manifest
// read through os.DirFS, which follows the links out, so that the os.Root
// alone has to refuse them.
func TestNoEscape(t *testing.T) {
	site := diskSite(t)
	root, err := os.OpenRoot(site)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	rootManifest, _, err := manifest.Build(root.FS(), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dirManifest, _, err := manifest.Build(os.DirFS(site), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := dirManifest.Files["/link-out.txt"]; !ok {
		t.Fatal("os.DirFS manifest lacks /link-out.txt: the second case tests nothing")
	}
	for _, tc := range []struct {
		name string
		m    *manifest.Manifest
	}{{"root manifest", rootManifest}, {"dirfs manifest", dirManifest}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(New(root.FS(), tc.m, DefaultOptions()))
			defer srv.Close()
			for _, target := range adversarialTargets {
				u, err := url.Parse(srv.URL + target)
				if err != nil {
					t.Fatalf("%s: %v", target, err)
				}
				resp, err := plainClient.Do(&http.Request{Method: "GET", URL: u, Header: http.Header{}})
				if err != nil {
					t.Fatalf("%s: %v", target, err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMovedPermanently {
					t.Errorf("%s: status %d, want 404", target, resp.StatusCode)
				}
				if resp.StatusCode == http.StatusMovedPermanently && target != "/sub" {
					t.Errorf("%s: redirected to %s", target, resp.Header.Get("Location"))
				}
				if strings.Contains(string(body), "SECRET") {
					t.Errorf("%s: the answer holds the secret", target)
				}
			}
			// The site itself is served, links inside it too.
			for _, target := range []string{"/", "/style.css", "/link-in.css", "/sub/page.html"} {
				resp, err := plainClient.Get(srv.URL + target)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("%s: status %d, want 200", target, resp.StatusCode)
				}
			}
		})
	}
}

// FuzzRequestPath sends any path to a handler over a folder with links out
// of it: the secret never comes back, and a path is found only if it is a
// canonical route of the manifest.
func FuzzRequestPath(f *testing.F) {
	for _, target := range adversarialTargets {
		if u, err := url.Parse(target); err == nil {
			f.Add(u.Path)
		}
	}
	f.Add("/")
	f.Add("/style.css")
	site := diskSite(f)
	root, err := os.OpenRoot(site)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { root.Close() })
	m, _, err := manifest.Build(os.DirFS(site), manifest.Options{}) // follows the links out
	if err != nil {
		f.Fatal(err)
	}
	h := New(root.FS(), m, DefaultOptions())
	f.Fuzz(func(t *testing.T, p string) {
		r := &http.Request{Method: "GET", URL: &url.URL{Path: p}, Header: http.Header{}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if strings.Contains(w.Body.String(), "SECRET") {
			t.Fatalf("%q: the answer holds the secret", p)
		}
		if w.Code == http.StatusOK {
			key := p
			if !strings.HasPrefix(key, "/") {
				key = "/" + key // as the handler reads a path without its slash
			}
			if strings.HasSuffix(key, "/") {
				key += "index.html"
			}
			if _, ok := m.Files[key]; !ok || manifest.Hidden(key) {
				t.Fatalf("%q: status 200 for a path that is no file of the site", p)
			}
		}
	})
}
