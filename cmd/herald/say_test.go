package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// saying starts herald serve and waits until its standard error holds
// every string of want.
func saying(t *testing.T, bin string, env []string, args []string, want ...string) *started {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	run := start(t, cmd)
	eventually(t, "herald says "+strings.Join(want, ", "), func() bool {
		s := run.stderr.String()
		return !slices.ContainsFunc(want, func(w string) bool { return !strings.Contains(s, w) })
	})
	return run
}

// TestServeStartLines: under its URL, herald serve says what it serves,
// what it watches, whether live reload is on and why not, how TLS stands
// (with the command that makes the local authority trusted), HTTP/3 and
// compression; --quiet keeps the warnings only.
func TestServeStartLines(t *testing.T) {
	bin := buildHerald(t)
	dir := site(t, map[string]string{"index.html": `<link rel=stylesheet href=a.css>`, "a.css": `p{}`, "sub/b.html": `<p>`})
	broken := site(t, map[string]string{"index.html": `<link rel=stylesheet href=gone.css>`})
	home := t.TempDir() // no authority, and no browser trusts one
	fresh := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "SSL_CERT_FILE=/dev/null", "SSL_CERT_DIR=/nonexistent"}
	tests := []struct {
		name      string
		args, env []string
		want      []string
		not       []string
	}{
		{"folder", []string{"serve", dir, "--addr", "127.0.0.1:0"}, nil, []string{
			"  site         " + dir + ": 3 files, 2 pages\n",
			"  watching     " + dir + ": 2 folders\n",
			"  live reload  on: open pages reload when their files change\n",
			"  TLS          off: browsers take 103 Early Hints over HTTP/2 and HTTP/3 only; --tls serves them",
			"  HTTP/3       off: it needs TLS\n",
			"  compression  on: zstd, br, gzip\n",
			"  report       http://127.0.0.1:"}, []string{"warning"}},
		{"all addresses", []string{"serve", dir, "--addr", "0.0.0.0:0", "--compress=off"}, nil, []string{
			"  live reload  off: 0.0.0.0:0 is reachable from other machines, and the script would reach them too; --live-reload turns it on\n",
			"  compression  off: --compress=off\n"}, []string{"report"}},
		{"all addresses, asked", []string{"serve", dir, "--addr", "0.0.0.0:0", "--live-reload"}, nil, []string{
			"  live reload  on (--live-reload)\n"}, nil},
		{"not watching", []string{"serve", dir, "--addr", "127.0.0.1:0", "--watch=false"}, nil, []string{
			"  watching     nothing: --watch=false serves the folder as it was\n",
			"  live reload  off: not watching\n"}, nil},
		{"example", []string{"serve", "--addr", "127.0.0.1:0"}, nil, []string{
			"  site         the example site built into herald: ",
			"  watching     nothing: the example site is built into herald\n",
			"/_herald/: what each page gets, and what the browser did with it\n"}, nil},
		{"tls, untrusted", []string{"serve", dir, "--addr", "127.0.0.1:0", "--tls"}, fresh, []string{
			"  TLS          local certificate authority, not trusted\n",
			"herald: warning: browsers refuse a certificate whose authority they do not trust, and take no early hints over it: run herald ca install\n",
			"  HTTP/3       on: UDP port "}, nil},
		{"quiet", []string{"serve", broken, "--addr", "127.0.0.1:0", "--quiet"}, nil, []string{
			"herald: warning: missing: stylesheet /gone.css does not exist"}, []string{"site", "compression"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := saying(t, bin, tt.env, tt.args, tt.want...)
			for _, n := range tt.not {
				if s := run.stderr.String(); strings.Contains(s, n) {
					t.Errorf("says %q:\n%s", n, s)
				}
			}
		})
	}
}

// TestServeTrustedCA: once herald ca install has put the local authority
// into the browsers' NSS database, serve --tls says so, and warns no more.
func TestServeTrustedCA(t *testing.T) {
	if _, err := exec.LookPath("certutil"); err != nil && os.Getenv("CI") != "true" {
		t.Skip("certutil is not installed (libnss3-tools)")
	}
	bin := buildHerald(t)
	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "SSL_CERT_FILE=/dev/null", "SSL_CERT_DIR=/nonexistent"}
	install := exec.Command(bin, "ca", "install", "--system=false")
	install.Env = append(os.Environ(), env...)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("herald ca install: %v\n%s", err, out)
	}
	run := saying(t, bin, env, []string{"serve", site(t, map[string]string{"index.html": "<p>"}), "--addr", "127.0.0.1:0", "--tls"},
		"  TLS          local certificate authority, trusted by Chromium and Firefox; for the system store too: herald ca install\n",
		"  compression")
	if s := run.stderr.String(); strings.Contains(s, "warning") {
		t.Errorf("warns with the authority trusted by the browsers:\n%s", s)
	}
}

// TestServeChangeLines: each change to the folder is one line, with the
// pages it affects and the milliseconds to service; a change that breaks a
// critical link is warned of once, however many changes follow, and its
// repair says fixed.
func TestServeChangeLines(t *testing.T) {
	bin := buildHerald(t)
	dir := site(t, map[string]string{"index.html": `<link rel=stylesheet href=a.css>`, "a.css": `p{}`, "other.html": `<p>`})
	run := saying(t, bin, nil, []string{"serve", dir, "--addr", "127.0.0.1:0"}, "  compression")
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lines := func(substr string) []string {
		var out []string
		for _, l := range strings.Split(run.stderr.String(), "\n") {
			if strings.Contains(l, substr) {
				out = append(out, l)
			}
		}
		return out
	}
	// await waits for the n-th line holding substr, and a while more for
	// a line too many.
	await := func(substr string, n int) {
		t.Helper()
		eventually(t, substr, func() bool { return len(lines(substr)) >= n })
		time.Sleep(400 * time.Millisecond) // four debounce periods
		if got := lines(substr); len(got) != n {
			t.Fatalf("%d lines with %q, want %d:\n%s", len(got), substr, n, run.stderr.String())
		}
	}
	write("a.css", `p{color:red}`)
	await("/a.css changed: 1 page affected, in service in ", 1)
	write("index.html", `<link rel=stylesheet href=gone.css>`)
	await("/index.html changed: 1 page affected", 1)
	await("herald: warning: missing: stylesheet /gone.css does not exist: fix the reference or add the file; referenced from /index.html:1", 1)
	write("index.html", "\n<link rel=stylesheet href=gone.css>")
	await("/index.html changed", 2)
	write("other.html", `<p>more`)
	await("/other.html changed", 1)
	await("missing: stylesheet /gone.css", 1) // still the one warning
	write("index.html", `<link rel=stylesheet href=a.css>`)
	await("fixed: missing: stylesheet /gone.css does not exist (/index.html)", 1)
	if n := len(lines(" changed: ")); n != 5 {
		t.Errorf("%d change lines for 5 changes:\n%s", n, run.stderr.String())
	}
}

// TestServeLogJSON: with --log-format json, every line herald serve
// writes on standard error is a JSON object, the start-up lines, changes
// and findings among them.
func TestServeLogJSON(t *testing.T) {
	bin := buildHerald(t)
	dir := site(t, map[string]string{"index.html": `<link rel=stylesheet href=a.css>`, "a.css": `p{}`})
	run := saying(t, bin, nil, []string{"serve", dir, "--addr", "127.0.0.1:0", "--log-format", "json"}, `"about":"compression"`)
	os.WriteFile(filepath.Join(dir, "index.html"), []byte(`<link rel=stylesheet href=gone.css>`), 0o644)
	eventually(t, "the finding", func() bool { return strings.Contains(run.stderr.String(), `"event":"finding"`) })
	events := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(run.stderr.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("not a JSON object: %q: %v", l, err)
		}
		if e, ok := rec["event"].(string); ok {
			events[e] = true
		}
		if rec["event"] == "change" {
			if ms, ok := rec["ms"].(float64); !ok || ms <= 0 {
				t.Errorf("change without its milliseconds: %v", rec)
			}
		}
		if rec["about"] == "url" && rec["url"] != run.url.String() {
			t.Errorf("url %v, want %s", rec["url"], run.url)
		}
	}
	for _, e := range []string{"start", "change", "finding"} {
		if !events[e] {
			t.Errorf("no %s event in:\n%s", e, run.stderr.String())
		}
	}
}

// TestServeOpen: --open runs $BROWSER with the URL, as xdg-open would be
// run without it.
func TestServeOpen(t *testing.T) {
	bin := buildHerald(t)
	tmp := t.TempDir()
	got := filepath.Join(tmp, "opened")
	script := filepath.Join(tmp, "browser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s' \"$1\" > "+got+".tmp && mv "+got+".tmp "+got+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--open")
	cmd.Env = append(os.Environ(), "BROWSER="+script)
	run := start(t, cmd)
	var opened []byte
	eventually(t, "the browser opened", func() bool {
		opened, _ = os.ReadFile(got)
		return len(opened) > 0
	})
	if string(opened) != run.url.String() {
		t.Errorf("the browser was given %q, want %q", opened, run.url)
	}
}

// TestBrowserCommands: $BROWSER is a list of commands separated by
// colons, the URL in place of %s or after; without it, the system's opener.
func TestBrowserCommands(t *testing.T) {
	const u = "http://127.0.0.1:8080/"
	tests := []struct {
		browser, goos string
		want          [][]string
	}{
		{"", "linux", [][]string{{"xdg-open", u}}},
		{"", "darwin", [][]string{{"open", u}}},
		{"", "windows", [][]string{{"rundll32", "url.dll,FileProtocolHandler", u}}},
		{"firefox", "darwin", [][]string{{"firefox", u}}},
		{"chromium --new-window:firefox -new-tab %s", "linux", [][]string{{"chromium", "--new-window", u}, {"firefox", "-new-tab", u}}},
		{"::", "linux", [][]string{{"xdg-open", u}}},
	}
	for _, tt := range tests {
		got := browserCommands(u, tt.browser, tt.goos)
		if !slices.EqualFunc(got, tt.want, slices.Equal) {
			t.Errorf("BROWSER=%q on %s: %q, want %q", tt.browser, tt.goos, got, tt.want)
		}
	}
}
