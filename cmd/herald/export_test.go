package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"herald/manifest"
)

func TestExport(t *testing.T) {
	dir := site(t, map[string]string{
		"index.html":      `<link rel=stylesheet href=a.css><script src=a.js></script>`,
		"docs/index.html": `<link rel=stylesheet href=../a.css>`,
		"a.css":           `body{}`, "a.js": `1`,
	})
	out := filepath.Join(t.TempDir(), "herald.conf")
	var built string // the hash of the manifest herald build wrote
	steps := []struct {
		name     string
		args     []string
		edit     func()
		code     int
		out, err string // substrings
		noErr    string // must not appear on stderr
	}{
		{name: "no manifest: built in memory", args: []string{"export", dir, "--to", "nginx"}, code: 0,
			out: `"/docs/" "</a.css>; rel=preload; as=style";`, err: "push-manifest.json does not exist: building the manifest in memory"},
		{name: "build", args: []string{"build", dir}, code: 0},
		{name: "fresh manifest is read", edit: func() {
			m, err := manifest.Read(filepath.Join(dir, manifest.FileName))
			if err != nil {
				t.Fatal(err)
			}
			built = m.Hash
		}, args: []string{"export", dir, "--to", "caddy"}, code: 0,
			out: `header @herald1 +Link "</a.css>; rel=preload; as=style"`, noErr: "building"},
		{name: "to a file", args: []string{"export", dir, "--to", "netlify", "-o", out}, code: 0, err: "wrote " + out},
		{name: "stale after an edit", edit: func() {
			p := filepath.Join(dir, "a.js")
			os.WriteFile(p, []byte("2"), 0o644)
			later := time.Now().Add(time.Hour)
			os.Chtimes(p, later, later)
		}, args: []string{"export", dir, "--to", "apache"}, code: 0, err: "is out of date (/a.js changed since): building"},
		{name: "stale after a new file", edit: func() {
			os.WriteFile(filepath.Join(dir, "new.html"), []byte("<link rel=stylesheet href=a.css>"), 0o644)
		},
			args: []string{"build", dir}, code: 0},
		{name: "no format", args: []string{"export", dir}, code: 2, err: "--to is required"},
		{name: "bad format", args: []string{"export", dir, "--to", "iis"}, code: 2, err: `--to "iis": use one of netlify`},
		{name: "no such folder", args: []string{"export", filepath.Join(dir, "nope"), "--to", "h2o"}, code: 2, err: "does not exist"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.edit != nil {
				s.edit()
			}
			code, stdout, stderr := herald(t, s.args...)
			if code != s.code || !strings.Contains(stdout, s.out) || !strings.Contains(stderr, s.err) ||
				(s.noErr != "" && strings.Contains(stderr, s.noErr)) {
				t.Errorf("herald %s: exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", strings.Join(s.args, " "), code, s.code, stdout, stderr)
			}
		})
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "from push manifest "+built+".\n") ||
		!strings.Contains(string(data), "/docs/*\n  Link: </a.css>; rel=preload; as=style\n") {
		t.Errorf("-o file:\n%s", data)
	}
}

// TestExportOrigin: a fresh manifest built for another origin than
// --origin is not used: the links of the origin asked for are exported.
func TestExportOrigin(t *testing.T) {
	dir := site(t, map[string]string{
		"index.html": `<link rel=stylesheet href=https://b.example/a.css>`,
		"a.css":      `body{}`,
	})
	if code, _, stderr := herald(t, "build", dir, "--origin", "https://a.example"); code != 0 {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	tests := []struct {
		name   string
		origin []string
		link   bool   // whether /a.css is hinted: same origin
		err    string // substring of stderr
	}{
		{"another origin: built in memory", []string{"--origin", "https://b.example"}, true, `was built for origin "https://a.example", not --origin "https://b.example": building`},
		{"the same origin: read", []string{"--origin", "https://a.example/"}, false, ""},
		{"no --origin: read", nil, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"export", dir, "--to", "nginx"}, tt.origin...)
			code, stdout, stderr := herald(t, args...)
			if code != 0 || strings.Contains(stdout, "</a.css>") != tt.link || !strings.Contains(stderr, tt.err) ||
				(tt.err == "" && strings.Contains(stderr, "building")) {
				t.Errorf("herald %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, stdout, stderr)
			}
		})
	}
}

// TestExportLinkOutOfSite: a link to a file outside the site is not in the
// manifest (the build reads the site through an os.Root, which refuses
// it), so it does not make a fresh manifest stale either.
func TestExportLinkOutOfSite(t *testing.T) {
	dir := site(t, map[string]string{"index.html": `<link rel=stylesheet href=a.css>`, "a.css": `body{}`})
	outside := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(outside, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "secret.txt")); err != nil {
		t.Fatal(err)
	}
	// The build reports the link (exit 1) and writes the manifest of the rest.
	if code, _, stderr := herald(t, "build", dir); code != 1 || !strings.Contains(stderr, "a link out of the site") {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	code, _, stderr := herald(t, "export", dir, "--to", "nginx")
	if code != 0 || strings.Contains(stderr, "building") {
		t.Errorf("export after build: exit %d, the fresh manifest was not used:\n%s", code, stderr)
	}
}

// TestExportMergesHeaders: export -o into a _headers file the site has
// keeps the site's own rules byte for byte, puts herald's between markers
// and replaces only those on the next export; a rule of the site's own that
// sets Link is named.
func TestExportMergesHeaders(t *testing.T) {
	dir := site(t, map[string]string{
		"index.html": `<link rel=stylesheet href=a.css>`, "a.css": `body{}`,
	})
	headers := filepath.Join(dir, "_headers")
	own := "# the site's own\r\n/secure/*\r\n  X-Frame-Options: DENY\r\n"
	if err := os.WriteFile(headers, []byte(own), 0o644); err != nil {
		t.Fatal(err)
	}
	export := func(format string) (string, string) {
		t.Helper()
		code, _, stderr := herald(t, "export", dir, "--to", format, "-o", headers)
		if code != 0 {
			t.Fatalf("export --to %s: exit %d: %s", format, code, stderr)
		}
		data, err := os.ReadFile(headers)
		if err != nil {
			t.Fatal(err)
		}
		return string(data), stderr
	}
	first, _ := export("netlify")
	if !strings.HasPrefix(first, own+"\n# herald:begin manifest ") || !strings.HasSuffix(first, "# herald:end\n") ||
		!strings.Contains(first, "\n/\n  Link: </a.css>") {
		t.Fatalf("first export:\n%s", first)
	}
	// The site adds a rule after herald's block; the next export (to
	// another host) keeps it and the rules before.
	after := "\n/late\n  Link: </x.css>; rel=preload; as=style\n"
	if err := os.WriteFile(headers, []byte(first+after), 0o644); err != nil {
		t.Fatal(err)
	}
	second, stderr := export("cloudflare")
	if !strings.HasPrefix(second, own+"\n# herald:begin manifest ") || !strings.HasSuffix(second, "# herald:end\n"+after) ||
		!strings.Contains(second, "--to cloudflare") || strings.Contains(second, "--to netlify") {
		t.Errorf("second export:\n%s", second)
	}
	if !strings.Contains(stderr, "herald: warning: "+headers+": _headers line") || !strings.Contains(stderr, "/late sets Link") {
		t.Errorf("no warning of the site's own Link rule:\n%s", stderr)
	}
}

// TestExportCloudflareTooManyRules: hints that do not fit Cloudflare's 100
// rules are an error (exit 1) saying how many rules they need; nothing is
// written.
func TestExportCloudflareTooManyRules(t *testing.T) {
	files := map[string]string{}
	for i := range 101 {
		files[fmt.Sprintf("p%d.html", i)] = fmt.Sprintf(`<link rel=stylesheet href=s%d.css>`, i)
		files[fmt.Sprintf("s%d.css", i)] = `body{}`
	}
	dir := site(t, files)
	out := filepath.Join(t.TempDir(), "_headers")
	code, stdout, stderr := herald(t, "export", dir, "--to", "cloudflare", "-o", out)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "herald: error: export: cloudflare: 201 rules needed, Cloudflare Pages applies at most 100") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s written: %v", out, err)
	}
	if code, _, stderr := herald(t, "export", dir, "--to", "netlify"); code != 0 {
		t.Errorf("netlify, which has no such limit: exit %d: %s", code, stderr)
	}
}
