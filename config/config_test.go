package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"herald/serve"
)

// TestExampleConfig loads the example shipped with herald and checks that
// what it documents is what is read.
func TestExampleConfig(t *testing.T) {
	c, err := Load("testdata/herald.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Sites) != 3 {
		t.Fatalf("%d sites, want 3", len(c.Sites))
	}
	docs, blog, preview := c.Sites[0], c.Sites[1], c.Sites[2]
	checks := []struct {
		name      string
		got, want any
	}{
		{"server.read_header_timeout", c.Server.ReadHeaderTimeout, 10 * time.Second},
		{"server.max_header_bytes", c.Server.MaxHeaderBytes, 64 << 10},
		{"server.access_log", c.Server.AccessLog, serve.AccessLogJSON},
		{"docs.name", docs.Name, "docs"},
		{"docs.hosts", strings.Join(docs.Hosts, ","), "docs.example.com,www.docs.example.com"},
		{"docs.root (relative to the file)", docs.Root, filepath.Join("testdata", "public")},
		{"docs.tls.cert", docs.TLS.Cert, filepath.Join("testdata", "certs", "docs.example.com.pem")},
		{"docs.push.max_bytes", docs.Options.PushMaxBytes, int64(300 << 10)},
		{"docs.push.max_count", docs.Options.PushMaxCount, 20},
		{"docs.cache.immutable", docs.Options.Immutable("/js/app.3f2a9c1d.js"), true},
		{"docs.cache.immutable, plain name", docs.Options.Immutable("/js/app.js"), false},
		{"docs.headers", docs.Options.Headers.Get("X-Content-Type-Options"), "nosniff"},
		{"blog: name from the host", blog.Name, "blog.example.com"},
		{"blog: listen from [server]", strings.Join(blog.Listen, ","), ":443"},
		{"blog.bundle", blog.Bundle, filepath.Join("testdata", "blog.bundle")},
		{"blog.push.mode", blog.Options.Push, serve.PushOff},
		{"blog: hints default on", blog.Options.Hints, true},
		{"preview: plain HTTP", preview.TLS == nil, true},
		{"preview: any host", len(preview.Hosts), 0},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

// TestConfigErrors: each bad file gives one error (at least) naming the
// line and key, and saying what would be valid.
func TestConfigErrors(t *testing.T) {
	const site = "[[site]]\nroot = \"public\"\n"
	tests := []struct {
		name string
		toml string
		line int
		key  string
		msg  string // substring
	}{
		{"syntax", "[[site]\nroot = \"x\"\n", 2, "", "expected end of table array name"},
		{"unterminated string", "[[site]]\nroot = \"x\n", 2, "site.root", "strings cannot contain newlines"},
		{"duplicate key", "[[site]]\nroot = \"x\"\nroot = \"y\"\n", 3, "site.root", "has already been defined"},
		{"no site", "[server]\naccess_log = true\n", 0, "site", "no [[site]]"},
		{"unknown top key", "sites = 1\n" + site, 1, "sites", "unknown key at the top of the file; did you mean site?"},
		{"unknown site key", site + "hostz = [\"a.com\"]\n", 3, "site.hostz", "did you mean hosts?"},
		{"unknown key in the second site", site + site + "[site.push]\nmax_byts = 1\n", 6, "site.push.max_byts", "valid: mode, hints, preload, max_bytes, max_count"},
		{"unknown table", site + "[site.tsl]\ncert = \"a\"\n", 3, "site.tsl", "unknown key in [site]; did you mean tls?"},
		{"unknown server key", "[server]\ntimeout = \"5s\"\n" + site, 2, "server.timeout", "unknown key in [server]"},
		{"neither root nor bundle", "[[site]]\nhosts = [\"a.com\"]\n", 1, "site", `needs root = "FOLDER"`},
		{"root and bundle", site + "bundle = \"b\"\n", 3, "site.bundle", "give root or bundle, not both"},
		{"root not a string", "[[site]]\nroot = 1\n", 2, "site.root", "1 is an integer: write a quoted string"},
		{"hosts not a list", site + "hosts = \"a.com\"\n", 3, "site.hosts", `write a list of host names, such as ["docs.example.com"]`},
		{"host with scheme", site + "hosts = [\"https://a.com/\"]\n", 3, "site.hosts", "without scheme, port or path"},
		{"host with port", site + "hosts = [\"a.com:443\"]\n", 3, "site.hosts", "is not a host name"},
		{"bad listen", site + "listen = [\"443\"]\n", 3, "site.listen", `write host:port or :port`},
		{"bad port", site + "listen = [\":https\"]\n", 3, "site.listen", "is not a listen address"},
		{"bad server listen", "[server]\nlisten = [\"localhost\"]\n" + site, 2, "server.listen", "is not a listen address"},
		{"bad duration", "[server]\nread_timeout = 30\n" + site, 2, "server.read_timeout", `write it like "30s"`},
		{"negative duration", "[server]\nidle_timeout = \"-1s\"\n" + site, 2, "server.idle_timeout", "is not a duration"},
		{"bad size", "[server]\nmax_header_bytes = \"lots\"\n" + site, 2, "server.max_header_bytes", `write it like "300KiB"`},
		{"NaN size", site + "[site.push]\nmax_bytes = \"NaN\"\n", 4, "site.push.max_bytes", `"NaN" is not a size`},
		{"infinite size", site + "[site.push]\nmax_bytes = \"Inf\"\n", 4, "site.push.max_bytes", `"Inf" is not a size`},
		{"bad bool", "[server]\ncoalesce = \"yes\"\n" + site, 2, "server.coalesce", "write true or false"},
		{"bad access log", "[server]\naccess_log = \"xml\"\n" + site, 2, "server.access_log", `"xml" is not an access log format: use text, json or off`},
		{"access log number", "[server]\naccess_log = 1\n" + site, 2, "server.access_log", "write true, false, \"text\", \"json\" or \"off\""},
		{"bad push mode", site + "[site.push]\nmode = \"always\"\n", 4, "site.push.mode", `use "auto"`},
		{"bad push count", site + "[site.push]\nmax_count = -3\n", 4, "site.push.max_count", "whole number"},
		{"bad push bytes in the second site", site + "[[site]]\nroot = \"b\"\n[site.push]\nmax_bytes = \"1 furlong\"\n", 6, "site.push.max_bytes", "is not a size"},
		{"bad regexp", site + "[site.cache]\nimmutable = \"[0-9\"\n", 4, "site.cache.immutable", "not a regular expression"},
		{"bad header name", site + "[site.headers]\n\"X Bad\" = \"1\"\n", 4, "site.headers.X Bad", "is not a header name"},
		{"bad header value", site + "[site.headers]\nX-A = \"a\\nb\"\n", 4, "site.headers.X-A", "cannot be sent in a header"},
		{"header value not a string", site + "[site.headers]\nX-A = 1\n", 4, "site.headers.X-A", "write a quoted string"},
		{"header names differing in case", site + "[site.headers]\nx-frame-options = \"DENY\"\nX-Frame-Options = \"SAMEORIGIN\"\n", 5, "site.headers.X-Frame-Options",
			`"X-Frame-Options" is "x-frame-options" again (header names ignore case), and one value would be dropped`},
		{"header names differing in case, the other order", site + "[site.headers]\nX-Frame-Options = \"DENY\"\nx-frame-options = \"SAMEORIGIN\"\n", 5, "site.headers.x-frame-options",
			`"x-frame-options" is "X-Frame-Options" again`},
		{"headers a string", site + "headers = \"x\"\n", 3, "site.headers", `"x" is a string: write a table of header names and values`},
		{"headers a number", site + "headers = 5\n", 3, "site.headers", "5 is an integer: write a table of header names"},
		{"headers a list", site + "headers = [\"X-A: 1\"]\n", 3, "site.headers", "the value is a list: write a table of header names"},
		{"cert without key", site + "[site.tls]\ncert = \"c.pem\"\n", 4, "site.tls.cert", "needs its private key"},
		{"key without cert", site + "[site.tls]\nkey = \"k.pem\"\n", 4, "site.tls.key", "needs its certificate"},
		{"local and files", site + "[site.tls]\nlocal = true\ncert = \"c.pem\"\nkey = \"k.pem\"\n", 4, "site.tls.local", "remove cert and key, or local"},
		{"push not a table", site + "push = \"off\"\n", 3, "site.push", `"off" is a string: write a table, such as` + "\n\t[site.push]"},
		{"tls not a table in the second site", site + site + "tls = true\n", 5, "site.tls", "true is a boolean: write a table"},
		{"cache not a table", site + "cache = [1]\n", 3, "site.cache", "the value is a list: write a table"},
		{"server not a table", "server = 1\n" + site, 1, "server", "1 is an integer: write a table, such as\n\t[server]"},
		{"site not a table", "site = \"public\"\n", 1, "site", `"public" is a string: write each site as a table`},
		{"a site of an inline list not a table", "site = [1]\n", 1, "site", "1 is an integer in the list of sites"},
		{"push of an inline site not a table", "site = [{root = \"a\", push = 1}]\n", 1, "site.push", "1 is an integer: write a table"},
		{"inline table", site + "tls = { cert = \"c.pem\" }\n", 3, "site.tls.cert", "needs its private key"},
		{"bad origin", site + "origin = \"docs.example.com\"\n", 3, "site.origin", "write a scheme and host"},
		{"not_found without slash", site + "not_found = \"404.html\"\n", 3, "site.not_found", `starting with /`},
		{"spa without slash", site + "spa = \"index.html\"\n", 3, "site.spa", `starting with /`},
		{"spa a folder", site + "spa = \"/app/\"\n", 3, "site.spa", `starting with /`},
		{"clean_urls not a boolean", site + "clean_urls = \"yes\"\n", 3, "site.clean_urls", `write true or false`},
		{"listing not a boolean", site + "listing = 1\n", 3, "site.listing", `write true or false`},
		{"same host twice", "[[site]]\nroot = \"a\"\nhosts = [\"a.com\"]\n[[site]]\nroot = \"b\"\nhosts = [\"A.com\"]\n", 6, "site.hosts", `"a.com" is already a host of a.com on :8080`},
		{"any-host site shares its address", "[[site]]\nroot = \"a\"\nhosts = [\"a.com\"]\n[[site]]\nroot = \"b\"\n", 4, "site.hosts", "answers any host name but shares :8080"},
		{"address listed twice", site + "listen = [\"127.0.0.1:8080\", \"127.0.0.1:8080\"]\n", 3, "site.listen", `"127.0.0.1:8080" is listed twice`},
		{"every address and one of them", "[server]\nlisten = [\":8080\"]\n[[site]]\nroot = \"a\"\nhosts = [\"a.com\"]\nlisten = [\"127.0.0.1:8080\"]\n[[site]]\nroot = \"b\"\nhosts = [\"b.com\"]\n",
			7, "site.listen", `b.com listens on ":8080", which takes the port of "127.0.0.1:8080" (a.com) too`},
		{"ACME with cert and key", site + "hosts = [\"a.com\"]\n[site.tls]\nacme = true\ncert = \"c.pem\"\nkey = \"k.pem\"\n", 5, "site.tls.acme", "remove cert, key and local, or acme"},
		{"ACME with local", site + "hosts = [\"a.com\"]\n[site.tls]\nlocal = true\nacme = true\n", 6, "site.tls.acme", "remove cert, key and local, or acme"},
		{"ACME without hosts", site + "[site.tls]\nacme = true\n", 4, "site.tls.acme", "acme = true needs the host names"},
		{"ACME for a wildcard", site + "hosts = [\"*.a.com\"]\n[site.tls]\nacme = true\n", 5, "site.tls.acme", "needs the DNS-01 challenge"},
		{"ACME not a boolean", site + "hosts = [\"a.com\"]\n[site.tls]\nacme = \"yes\"\n", 5, "site.tls.acme", "write true or false"},
		{"ACME directory not a URL", "[server.acme]\ndirectory = \"letsencrypt\"\n" + site, 2, "server.acme.directory", "is not an ACME directory URL"},
		{"ACME email", "[server.acme]\nemail = \"admin\"\n" + site, 2, "server.acme.email", "is not an email address"},
		{"ACME listener without a port", "[server.acme]\nhttp_listen = \":0\"\n" + site, 2, "server.acme.http_listen", "is not a listen address with a port"},
		{"ACME listener takes a site's port", "[server.acme]\nhttp_listen = \":8080\"\n[[site]]\nroot = \"a\"\n[[site]]\nroot = \"b\"\nhosts = [\"b.com\"]\n[site.tls]\nacme = true\n", 2, "server.acme.http_listen", `listener ":8080" (challenges, and redirects to HTTPS) takes the port of ":8080" (site 1)`},
		{"metrics on a site's address", "[server]\nmetrics = \"127.0.0.1:8080\"\n" + site, 2, "server.metrics", `the metrics endpoint "127.0.0.1:8080" takes the port of ":8080" (site 1)`},
		{"metrics on the ACME listener", "[server]\nmetrics = \"0.0.0.0:80\"\n[[site]]\nroot = \"a\"\nhosts = [\"a.com\"]\n[site.tls]\nacme = true\n", 2, "server.metrics", `takes the port of ":80" (the ACME sites' plain-HTTP listener)`},
		{"unknown ACME key", "[server.acme]\nmail = \"a@b.c\"\n" + site, 2, "server.acme.mail", "did you mean email?"},
		{"server.acme not a table", "[server]\nacme = true\n" + site, 2, "server.acme", "true is a boolean: write a table, such as\n\t[server.acme]"},
		{"TLS and plain on one address", "[[site]]\nroot = \"a\"\nhosts = [\"a.com\"]\nlisten = [\":8443\"]\n[[site]]\nroot = \"b\"\nhosts = [\"b.com\"]\n[site.tls]\nlocal = true\n", 5, "site.listen", "one uses TLS and the other does not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("herald.toml", []byte(tt.toml))
			var list Errors
			if !errors.As(err, &list) {
				t.Fatalf("error %v (%T), want Errors", err, err)
			}
			for _, e := range list {
				if e.Line == tt.line && e.Key == tt.key && strings.Contains(e.Msg, tt.msg) {
					if !strings.HasPrefix(e.Error(), "herald.toml") {
						t.Errorf("%q does not name the file", e.Error())
					}
					return
				}
			}
			t.Errorf("want line %d, key %q, message with %q; got:\n%v", tt.line, tt.key, tt.msg, err)
		})
	}
}

// TestUnknownKeyOnce: the keys inside an unknown key's table or inline
// table are not reported again, one message per mistake.
func TestUnknownKeyOnce(t *testing.T) {
	for _, doc := range []string{
		"[server]\nstorage = {a = 1, b = {c = 2}}\n[[site]]\nroot = \"a\"\n",
		"[server.storage]\na = 1\n[server.storage.b]\nc = 2\n[[site]]\nroot = \"a\"\n",
	} {
		_, err := Parse("herald.toml", []byte(doc))
		var list Errors
		if !errors.As(err, &list) || len(list) != 1 || list[0].Key != "server.storage" {
			t.Errorf("%q: got %v, want one error about server.storage", doc, err)
		}
	}
}

// TestConfigDefaults: the smallest file is one site with a root.
func TestConfigDefaults(t *testing.T) {
	c, err := Parse("/etc/herald/herald.toml", []byte("[[site]]\nroot = \"public\"\n[site.tls]\nlocal = true\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Sites[0]
	if s.Root != "/etc/herald/public" || s.Options.Push != serve.PushAuto || !s.Options.Hints || !s.Options.Preload || len(s.Listen) != 1 || s.Listen[0] != ":8443" || !s.TLS.Local || !s.Options.Compress {
		t.Errorf("defaults: %+v", s)
	}
	c, err = Parse("/etc/herald/herald.toml", []byte("[[site]]\nroot = \"public\"\ncompress = false\n"))
	if err != nil || c.Sites[0].Options.Compress {
		t.Errorf("compress = false: %v, %+v", err, c)
	}
	if s.Options.CleanURLs || s.Options.SPA != "" || s.Options.Listing {
		t.Errorf("clean_urls, spa, listing: on by default: %+v", s)
	}
	c2, err := Parse("/etc/herald/herald.toml", []byte("[[site]]\nroot = \"public\"\nclean_urls = true\nspa = \"/app.html\"\nlisting = true\n"))
	if err != nil || !c2.Sites[0].Options.CleanURLs || c2.Sites[0].Options.SPA != "/app.html" || !c2.Sites[0].Options.Listing {
		t.Errorf("clean_urls, spa, listing set: %v, %+v", err, c2)
	}
	if !c.Server.HTTP3 {
		t.Error("http3 is off by default, want on")
	}
	c, err = Parse("/etc/herald/herald.toml", []byte("[server]\nhttp3 = false\n[[site]]\nroot = \"public\"\n"))
	if err != nil || c.Server.HTTP3 {
		t.Errorf("http3 = false: %v, %+v", err, c)
	}
	if srv := c.Server; srv.ReadHeaderTimeout != 0 || srv.WriteTimeout != 0 || srv.MaxHeaderBytes != 0 || srv.Listen != nil {
		t.Errorf("server defaults: %+v, want zero (the server's own)", c.Server)
	}
}

// FuzzLoadConfig: any input gives a config or Errors, never a panic,
// within a second and 64 MiB allocated (checkBounded), and every error
// names the file and has a line within the input.
func FuzzLoadConfig(f *testing.F) {
	// Smaller forms of the files of TestConfigHostile: large seeds slow
	// the fuzzer to a few runs a second.
	f.Add([]byte("x = {a={a={a={a={a=1}}}}}\n[[site]]\nroot = \"a\"\n"))
	f.Add([]byte("[[site]]\nroot = \"a\"\nlisten = [\"h1:80\", \"h2:80\", \":80\"]\nk1 = 1\n'k2' = 2\n"))
	f.Add([]byte(`a.b."c".d = [[1.5], '''[''', """]"""]` + "\n[[e.f]]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := checkBounded(t, data)
		if err == nil {
			if len(c.Sites) == 0 {
				t.Fatal("a config without sites was accepted")
			}
			return
		}
		var list Errors
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error %v (%T), want Errors", err, err)
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, e := range list {
			if e.File != "f.toml" || e.Line < 0 || e.Line > lines {
				t.Fatalf("error %q: line %d of %d", e, e.Line, lines)
			}
		}
	})
}

// TestREADMEExample: the example configuration in the README is the tested
// file, word for word.
func TestREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile("testdata/herald.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```toml\n")
	block, _, closed := strings.Cut(block, "```\n")
	if !ok || !closed {
		t.Fatal("README.md has no ```toml block")
	}
	if block != string(file) {
		t.Error("the example configuration in README.md differs from config/testdata/herald.example.toml: copy the file into the README")
	}
}

// TestACMEConfig: [server.acme] and tls.acme as read, with the defaults
// of what is left out.
func TestACMEConfig(t *testing.T) {
	c, err := Parse(filepath.Join("etc", "herald.toml"), []byte(`[server.acme]
email = "admin@example.com"
ca_root = "root.pem"
storage = "acme"
[[site]]
hosts = ["example.com", "www.example.com"]
root = "public"
[site.tls]
acme = true
[[site]]
hosts = ["other.example.com"]
root = "other"
[site.tls]
local = true
`))
	if err != nil {
		t.Fatal(err)
	}
	a := c.Server.ACME
	want := ACME{Email: "admin@example.com", CARoot: filepath.Join("etc", "root.pem"), Storage: filepath.Join("etc", "acme"), HTTPListen: ":80"}
	if a != want {
		t.Errorf("[server.acme] = %+v, want %+v", a, want)
	}
	if !c.Sites[0].TLS.ACME || c.Sites[1].TLS.ACME || !c.UsesACME() {
		t.Errorf("tls.acme: %+v, %+v", c.Sites[0].TLS, c.Sites[1].TLS)
	}
	if got := c.Sites[0].Listen; len(got) != 1 || got[0] != ":443" {
		t.Errorf("listen = %q, want :443, the port of HTTPS and of TLS-ALPN-01", got)
	}
}

// TestPushBudget: a budget of 0 in the file is a budget of nothing, as
// --push-max-count 0 is; a budget left out is serve.DefaultOptions'.
func TestPushBudget(t *testing.T) {
	d := serve.DefaultOptions()
	tests := []struct {
		name  string
		push  string
		bytes int64
		count int
	}{
		{"left out", "", d.PushMaxBytes, d.PushMaxCount},
		{"zero", "max_bytes = 0\nmax_count = 0\n", 0, 0},
		{"zero as a size", "max_bytes = \"0KiB\"\n", 0, d.PushMaxCount},
		{"set", "max_bytes = \"1KiB\"\nmax_count = 3\n", 1024, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("herald.toml", []byte("[[site]]\nroot = \"public\"\n[site.push]\n"+tt.push))
			if err != nil {
				t.Fatal(err)
			}
			if o := c.Sites[0].Options; o.PushMaxBytes != tt.bytes || o.PushMaxCount != tt.count {
				t.Errorf("max_bytes %d, max_count %d; want %d, %d", o.PushMaxBytes, o.PushMaxCount, tt.bytes, tt.count)
			}
		})
	}
}

// TestParseSize: sizes herald reads in flags and in the file.
func TestParseSize(t *testing.T) {
	tests := []struct {
		in string
		n  int64
		ok bool
	}{
		{"0", 0, true},
		{"150000", 150000, true},
		{"300KiB", 300 << 10, true},
		{"1.5MB", 1500000, true},
		{" 2 M ", 2 << 20, true},
		{"lots", 0, false},
		{"-1", 0, false},
		{"NaN", 0, false},
		{"nan KiB", 0, false},
		{"Inf", 0, false},
		{"+Inf", 0, false},
		{"-Inf", 0, false},
		{"infinity", 0, false},
		{"1e400", 0, false},
		{"8GiB", 8 << 30, true},
		{"5000000000GB", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if n, ok := ParseSize(tt.in); n != tt.n || ok != tt.ok {
				t.Errorf("ParseSize(%q) = %d, %v; want %d, %v", tt.in, n, ok, tt.n, tt.ok)
			}
		})
	}
}

// TestOverlap: which two listen addresses, written differently, would take
// the same port, in either order.
func TestOverlap(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{":8080", "127.0.0.1:8080", true},
		{"0.0.0.0:8080", "127.0.0.1:8080", true},
		{"[::]:8080", "[::1]:8080", true},
		{"[::ffff:127.0.0.1]:8080", "127.0.0.1:8080", true},
		{"LOCALHOST:8080", "localhost:8080", true},
		{":8080", ":08080", true},
		{"127.0.0.1:8080", "127.0.0.2:8080", false},
		{"localhost:8080", "127.0.0.1:8080", false}, // names are not resolved
		{":8080", ":8081", false},
		{":0", "127.0.0.1:0", false},
	}
	for _, tt := range tests {
		for _, order := range [][2]string{{tt.a, tt.b}, {tt.b, tt.a}} {
			ports := map[uint64]*portUse{}
			takenBy(ports, order[0])
			if got := takenBy(ports, order[1]); (got == order[0]) != tt.want {
				t.Errorf("%q then %q: taken by %q, want overlap %v", order[0], order[1], got, tt.want)
			}
		}
	}
}
