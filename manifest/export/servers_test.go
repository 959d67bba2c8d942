package export

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"herald/internal/testsite"
	"herald/manifest"
)

// These tests run each server from Debian's packages on a free loopback
// port, as the current user, with the exported configuration around a real
// site, and read what it sends with Go's HTTP/2 client and nghttp.

// tlsFiles writes a fresh self-signed certificate for 127.0.0.1 into dir.
func tlsFiles(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeFile(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// freePort returns a loopback port nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// workDir returns a temporary folder that another user can enter: Apache
// started by root serves as an unprivileged user.
func workDir(t *testing.T) string {
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/" && d != "."; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	return dir
}

// server is one web server under test.
type server struct {
	name, tool string
	// configure writes the configuration serving site with the export in
	// dir, and returns the syntax check and the foreground run commands.
	configure func(t *testing.T, e *env) (check, run []string)
	// maxPushes, when not 0, is how many assets the server pushes at most
	// for one request, whatever the export announces.
	maxPushes int
	// own, when set, checks a response for what the site's own
	// configuration around the export adds: the export must keep it.
	own func(t *testing.T, u string, h http.Header)
}

// env is what a server's configuration is made of.
type env struct {
	dir, site, cert, key string
	export               []byte
	port                 int
}

var servers = []server{
	{name: "nginx", tool: "nginx", maxPushes: 10, configure: func(t *testing.T, e *env) ([]string, []string) {
		writeFile(t, filepath.Join(e.dir, "herald.conf"), e.export)
		conf := filepath.Join(e.dir, "nginx.conf")
		writeFile(t, conf, []byte(fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events {}
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include /etc/nginx/mime.types;
    include %[1]s/herald.conf;
    server {
        listen 127.0.0.1:%[2]d ssl http2;
        ssl_certificate %[3]s;
        ssl_certificate_key %[4]s;
        root %[5]q;
        # The two lines the export asks for.
        add_header Link $herald_link;
        http2_push_preload on;
        # The site's own header and locations.
        add_header X-Site-Own yes;
        location /library/ {
            expires 1h;
        }
        location /c-api/ {
            add_header X-C-Api yes;
            add_header Link $herald_link;
        }
    }
}
`, e.dir, e.port, e.cert, e.key, e.site)))
		base := []string{"nginx", "-p", e.dir, "-e", filepath.Join(e.dir, "error.log"), "-c", conf}
		return append(base, "-t"), base
	}, own: func(t *testing.T, u string, h http.Header) {
		if h.Get("X-Site-Own") != "yes" && !strings.HasPrefix(u, "/c-api/") {
			t.Errorf("GET %s: the server's own add_header is lost", u)
		}
		if strings.HasPrefix(u, "/library/") && h.Get("Cache-Control") != "max-age=3600" {
			t.Errorf("GET %s: Cache-Control %q: the site's own location /library/ is lost", u, h.Get("Cache-Control"))
		}
		if strings.HasPrefix(u, "/c-api/") && h.Get("X-C-Api") != "yes" {
			t.Errorf("GET %s: the site's own location /c-api/ is lost", u)
		}
	}},
	{name: "apache", tool: "apache2", configure: func(t *testing.T, e *env) ([]string, []string) {
		writeFile(t, filepath.Join(e.dir, "herald.conf"), e.export)
		conf := filepath.Join(e.dir, "httpd.conf")
		mods := ""
		for _, m := range []string{"mpm_event", "authz_core", "dir", "mime", "headers", "ssl", "http2"} {
			mods += fmt.Sprintf("LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so\n", m, m)
		}
		userLine := ""
		if os.Getuid() == 0 {
			// Apache refuses to serve as root; daemon can read the site.
			userLine = "User daemon\nGroup daemon\n"
		}
		writeFile(t, conf, []byte(fmt.Sprintf(`ServerRoot %[1]q
DefaultRuntimeDir %[1]q
PidFile %[1]s/httpd.pid
ErrorLog %[1]s/error.log
LogLevel warn
%[6]s%[7]sListen 127.0.0.1:%[2]d
ServerName 127.0.0.1
TypesConfig /etc/mime.types
DirectoryIndex index.html
<VirtualHost 127.0.0.1:%[2]d>
    SSLEngine on
    SSLCertificateFile %[3]q
    SSLCertificateKeyFile %[4]q
    Protocols h2 http/1.1
    H2EarlyHints on
    DocumentRoot %[5]q
    <Directory %[5]q>
        Require all granted
    </Directory>
    Include %[1]s/herald.conf
</VirtualHost>
`, e.dir, e.port, e.cert, e.key, e.site, mods, userLine)))
		return []string{"apache2", "-t", "-f", conf}, []string{"apache2", "-f", conf, "-DFOREGROUND"}
	}},
	{name: "caddy", tool: "caddy", configure: func(t *testing.T, e *env) ([]string, []string) {
		writeFile(t, filepath.Join(e.dir, "herald.caddy"), e.export)
		conf := filepath.Join(e.dir, "Caddyfile")
		writeFile(t, conf, []byte(fmt.Sprintf(`{
	admin off
	servers {
		protocols h1 h2
	}
	auto_https disable_redirects
	skip_install_trust
	storage file_system %[1]q
}
https://127.0.0.1:%[2]d {
	bind 127.0.0.1
	tls %[3]q %[4]q
	root * %[5]q
	import %[1]s/herald.caddy
	file_server
}
`, e.dir, e.port, e.cert, e.key, e.site)))
		return []string{"caddy", "validate", "--config", conf, "--adapter", "caddyfile"},
			[]string{"caddy", "run", "--config", conf, "--adapter", "caddyfile"}
	}},
	{name: "h2o", tool: "h2o", configure: func(t *testing.T, e *env) ([]string, []string) {
		handler := filepath.Join(e.dir, "herald.rb")
		writeFile(t, handler, e.export)
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		conf := filepath.Join(e.dir, "h2o.conf")
		writeFile(t, conf, []byte(fmt.Sprintf(`user: %[6]q
pid-file: %[1]q
error-log: %[7]q
listen:
  port: %[2]d
  host: 127.0.0.1
  ssl:
    certificate-file: %[3]q
    key-file: %[4]q
hosts:
  default:
    paths:
      /:
        mruby.handler-file: %[8]q
        file.dir: %[5]q
`, filepath.Join(e.dir, "h2o.pid"), e.port, e.cert, e.key, e.site, u.Username, filepath.Join(e.dir, "error.log"), handler)))
		return []string{"h2o", "-t", "-c", conf}, []string{"h2o", "-c", conf}
	}},
}

// start runs a server's syntax check, then the server, until the test ends.
// It returns an HTTP/2 client that trusts the test's certificate and the
// server's base URL.
func start(t *testing.T, s server, site string, m *manifest.Manifest) (*http.Client, string, *env) {
	t.Helper()
	testsite.Tool(t, s.tool)
	out, warnings, err := Export(m, s.name)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warnings {
		t.Logf("export warning: %s", w)
	}
	dir := workDir(t)
	cert, key, pool := tlsFiles(t, dir)
	e := &env{dir: dir, site: site, cert: cert, key: key, export: out, port: freePort(t)}
	check, run := s.configure(t, e)
	cmdEnv := append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	c := exec.Command(check[0], check[1:]...)
	c.Env = cmdEnv
	if b, err := c.CombinedOutput(); err != nil {
		t.Fatalf("%s: syntax check failed: %v\n%s", strings.Join(check, " "), err, b)
	}
	cmd := exec.Command(run[0], run[1:]...)
	cmd.Env = cmdEnv
	logf, err := os.Create(filepath.Join(dir, "run.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		logf.Close()
		if t.Failed() {
			for _, name := range []string{"run.log", "error.log"} {
				if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
					t.Logf("%s %s:\n%s", s.name, name, b)
				}
			}
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", e.port)
	// Wait, boundedly, for the server to listen; it may also die first.
	for i := 0; ; i++ {
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
			break
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("%s exited before listening: %v", s.name, err)
		case <-time.After(50 * time.Millisecond):
		}
		if i == 400 {
			t.Fatalf("%s does not listen on %s after 20s", s.name, addr)
		}
	}
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2: true,
	}}
	t.Cleanup(client.CloseIdleConnections)
	return client, "https://" + addr, e
}

// requestURL is the URL a browser sends for a decoded path.
func requestURL(base, p string) string {
	return base + (&url.URL{Path: p}).EscapedPath()
}

// splitLinks splits Link field lines into single values; a server may join
// them with commas. Every value starts with <, and no URL holds ", <".
func splitLinks(lines []string) []string {
	var out []string
	for _, l := range lines {
		out = append(out, strings.Split(l, ", <")...)
	}
	for i := 1; i < len(out); i++ {
		if !strings.HasPrefix(out[i], "<") {
			out[i] = "<" + out[i]
		}
	}
	return out
}

// serverForm is how a server's export writes a Link value: nginx cannot
// write $, and writes %24 instead.
func serverForm(s server, l string) string {
	if s.name == "nginx" {
		return strings.ReplaceAll(l, "$", "%24")
	}
	return l
}

// checkPages fetches every URL of every page with hints and compares the
// Link values the server sends with the page's assets.
func checkPages(t *testing.T, s server, client *http.Client, base string, m *manifest.Manifest) {
	want := wantLinks(m, false)
	urls := make([]string, 0, len(want))
	for u := range want {
		urls = append(urls, u)
	}
	sort.Strings(urls)
	for _, u := range urls {
		resp, err := client.Get(requestURL(base, u))
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
			t.Errorf("GET %s: %s %s", u, resp.Proto, resp.Status)
			continue
		}
		if s.own != nil {
			s.own(t, u, resp.Header)
		}
		got := splitLinks(resp.Header.Values("Link"))
		var exp []string
		for _, l := range want[u] {
			exp = append(exp, serverForm(s, l))
		}
		if strings.Join(got, "\n") != strings.Join(exp, "\n") {
			t.Errorf("GET %s: Link\n got %q\nwant %q", u, got, exp)
		}
	}
	t.Logf("%s: Link values checked on %d URLs", s.name, len(urls))
	// A file that is no page gets no hint: every one of them, in order.
	var files []string
	for p := range m.Files {
		if !manifest.IsPage(p) {
			files = append(files, p)
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("the site has no file that is not a page")
	}
	for _, p := range files {
		resp, err := client.Get(requestURL(base, p))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if l := resp.Header.Values("Link"); len(l) > 0 {
			t.Errorf("GET %s (no page): Link %q", p, l)
		}
		if s.own != nil {
			s.own(t, p, resp.Header)
		}
	}
	t.Logf("%s: no Link on %d files that are no page", s.name, len(files))
}

// pushPromises runs nghttp against url and returns the paths it was
// promised.
func pushPromises(t *testing.T, target string) []string {
	nghttp := testsite.Tool(t, "nghttp")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, nghttp, "-nv", target).CombinedOutput()
	if err != nil {
		t.Fatalf("nghttp -nv %s: %v\n%s", target, err, out)
	}
	// nghttp prints a PUSH_PROMISE's header block (the promised request)
	// just before the frame line.
	var paths []string
	lines := strings.Split(string(out), "\n")
	for i, l := range lines {
		if !strings.Contains(l, "recv PUSH_PROMISE frame") {
			continue
		}
		for j := i - 1; j >= max(0, i-12); j-- {
			if k := strings.Index(lines[j], " :path: "); k >= 0 {
				paths = append(paths, strings.TrimSpace(lines[j][k+len(" :path: "):]))
				break
			}
		}
	}
	return paths
}

func TestServers(t *testing.T) {
	fixDir := fixtureSite(t)
	fixManifest := buildManifest(t, fixDir)
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			t.Run("python", func(t *testing.T) {
				pyDir, pyManifest := pythonSite(t)
				client, base, _ := start(t, s, pyDir, pyManifest)
				checkPages(t, s, client, base, pyManifest)
				// Every asset is pushed, in the manifest's order; nginx
				// pushes no more than http2_max_concurrent_pushes (10 by
				// default) at once, and so the first 10 only.
				var want []string
				for _, a := range pyManifest.Pages["/library/os.html"].Assets {
					want = append(want, a.Path)
				}
				if s.maxPushes > 0 && len(want) > s.maxPushes {
					want = want[:s.maxPushes]
				}
				promised := pushPromises(t, base+"/library/os.html")
				if !slices.Equal(promised, want) {
					t.Errorf("PUSH_PROMISE for /library/os.html\n got %q\nwant %q", promised, want)
				}
				t.Logf("%d of %d assets pushed", len(promised), len(pyManifest.Pages["/library/os.html"].Assets))
			})
			t.Run("unusual", func(t *testing.T) {
				client, base, _ := start(t, s, fixDir, fixManifest)
				checkPages(t, s, client, base, fixManifest)
				// The page's own preloads (a module, a font no rule
				// uses) are announced with nopush: never pushed.
				for _, p := range pushPromises(t, base+"/index.html") {
					for _, a := range fixManifest.Pages["/index.html"].Preload {
						if p == a.Path {
							t.Errorf("pushed %s, a preload that blocks nothing", p)
						}
					}
				}
			})
		})
	}
}

// TestApacheEarlyHints checks that Apache sends the Link values in a 103
// response before the page.
func TestApacheEarlyHints(t *testing.T) {
	fixDir := fixtureSite(t)
	m := buildManifest(t, fixDir)
	client, base, _ := start(t, servers[1], fixDir, m)
	want := wantLinks(m, false)["/my docs/index.html"]
	for _, u := range []string{"/my docs/index.html", "/my docs/"} {
		// Each 103 response must carry the page's hints. For /dir/ Apache
		// 2.4.71 lists each twice (once more after mod_dir's internal
		// redirect to index.html); a browser ignores the repeat, so the
		// test compares unique values.
		var early [][]string
		trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			if code == http.StatusEarlyHints {
				early = append(early, unique(splitLinks(h.Values("Link"))))
			}
			return nil
		}}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", requestURL(base, u), nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(early) == 0 {
			t.Errorf("%s: no 103 response", u)
		}
		for _, got := range early {
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: 103 Link\n got %q\nwant %q", u, got, want)
			}
		}
		t.Logf("%s: %d 103 responses", u, len(early))
	}
}

// unique drops repeated values, keeping the first of each.
func unique(values []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range values {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
