package manifest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestNever: a file a configuration names is left out of a site that holds
// it, however the site reaches it, and reported; the config file's name is
// hidden in every folder.
func TestNever(t *testing.T) {
	dir := t.TempDir()
	site := filepath.Join(dir, "site")
	write := func(name, data string) string {
		t.Helper()
		p := filepath.Join(site, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIH\n-----END PRIVATE KEY-----\n"
	write("index.html", "<!doctype html><link rel=stylesheet href=a.css>")
	write("a.css", "p{}")
	key := write("certs/k.pem", pem)
	write("copy/k.pem", pem)
	write("herald.toml", "[[site]]\nroot = \".\"\n")
	write("sub/herald.toml", "[[site]]\nroot = \".\"\n")
	write("sub/herald.toml.gz", "x")
	write("ca/rootCA-key.pem", "ca key")
	outside := filepath.Join(dir, "outside.pem")
	if err := os.WriteFile(outside, []byte("outside key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(key, filepath.Join(site, "hard.pem")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("certs/k.pem", filepath.Join(site, "link.pem")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(outside, filepath.Join(site, "hard-outside.pem")); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(site)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	never := NewNever(key, outside, filepath.Join(site, "ca"), filepath.Join(dir, "absent.pem"))
	m, problems, err := Build(root.FS(), Options{Never: never})
	if err != nil {
		t.Fatal(err)
	}
	files := slices.Sorted(func(yield func(string) bool) {
		for p := range m.Files {
			if !yield(p) {
				return
			}
		}
	})
	if want := []string{"/a.css", "/index.html"}; !slices.Equal(files, want) {
		t.Errorf("files %q, want %q", files, want)
	}
	reported := map[string]string{}
	for _, p := range problems {
		reported[p.Path] = p.Err.Error()
	}
	for p, want := range map[string]string{
		"/certs/k.pem":      "is " + key + ", which herald is configured with",
		"/hard.pem":         "is " + key,
		"/link.pem":         "is " + key,
		"/copy/k.pem":       "holds the same bytes as " + key,
		"/hard-outside.pem": "is " + outside,
		"/ca":               "move it out of the site's folder",
	} {
		if !strings.Contains(reported[p], want) {
			t.Errorf("%s: problem %q, want %q", p, reported[p], want)
		}
	}

	// Without the set, the same build lists the keys but never a config.
	m, _, err = Build(root.FS(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/herald.toml", "/sub/herald.toml", "/sub/herald.toml.gz"} {
		if _, ok := m.Files[p]; ok {
			t.Errorf("%s is in the manifest", p)
		}
	}
	if _, ok := m.Files["/certs/k.pem"]; !ok {
		t.Error("without a Never set, /certs/k.pem is not in the manifest: the test shows nothing")
	}
}

// TestNeverFilter: a manifest made elsewhere (a bundle's) loses the files
// holding the bytes of one of the set.
func TestNeverFilter(t *testing.T) {
	key := filepath.Join(t.TempDir(), "k.pem")
	if err := os.WriteFile(key, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	hash := "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b" // sha256 of "secret"
	m := &Manifest{Files: map[string]File{"/k.pem": {Size: 6, Hash: hash}, "/a.css": {Size: 3, Hash: "00"}}}
	out, problems := NewNever(key).Filter(m)
	if _, ok := out.Files["/k.pem"]; ok || len(out.Files) != 1 || len(problems) != 1 || problems[0].Path != "/k.pem" {
		t.Errorf("files %v, problems %v", out.Files, problems)
	}
	if len(m.Files) != 2 {
		t.Error("Filter changed the manifest it was given")
	}
}
