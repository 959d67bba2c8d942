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
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/internal/testsite"
	"herald/manifest"
)

// buildHerald builds the herald executable, with the tags of make build,
// once for all the tests of the package (a build with -race takes tens of
// seconds on a loaded machine); TestMain removes it.
func buildHerald(t testing.TB) string {
	t.Helper()
	bin, err := heraldBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

var heraldBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "herald-test-bin-")
	if err != nil {
		return "", err
	}
	heraldBinDir = dir
	bin := filepath.Join(dir, "herald")
	cmd := exec.Command("go", "build", "-tags", "urfave_cli_no_docs", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// heraldBinDir holds the executable heraldBinary built, if any.
var heraldBinDir string

// testCert writes a self-signed certificate for hosts (and 127.0.0.1) and
// its key into dir; the pool trusts it.
func testCert(t *testing.T, dir string, hosts ...string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: hosts[0]},
		DNSNames: hosts, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, hosts[0]+".pem"), filepath.Join(dir, hosts[0]+".key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// startServer runs a server process and returns the URL it prints first.
// The process is stopped (SIGINT, then killed) when the test ends.
func startServer(t *testing.T, name string, args ...string) string {
	t.Helper()
	return startServerLines(t, 1, name, args...)[0]
}

// startServerLines is startServer for the first n lines printed.
func startServerLines(t *testing.T, n int, name string, args ...string) []string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	read := make(chan error, 1)
	var lines []string
	go func() {
		r := bufio.NewReader(stdout)
		for range n {
			line, err := r.ReadString('\n')
			if err != nil {
				read <- err
				return
			}
			lines = append(lines, strings.TrimSpace(line))
		}
		read <- nil
		io.Copy(io.Discard, r)
	}()
	select {
	case err := <-read:
		if err != nil {
			<-done
			t.Fatalf("%s printed %q, not %d lines: %v\nstderr:\n%s", name, lines, n, err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s printed fewer than %d lines in 20 s", name, n)
	}
	return lines
}

func h2Client(pool *x509.CertPool, host string, dial string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool, ServerName: host},
		ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, dial)
		},
		MaxIdleConnsPerHost: 16,
	}}
}

// TestBundlePython bundles the python docs with a freshly built herald, runs
// the bundle as its own process and fetches every file of the site from it,
// byte for byte, with the page's hints and pushes from the bundled manifest. The same
// bundle cut short refuses to start.
func TestBundlePython(t *testing.T) {
	site := testsite.Dir(t, "python")
	bin := buildHerald(t)
	tmp := t.TempDir()
	bundle := filepath.Join(tmp, "pydocs")
	out, err := exec.Command(bin, "bundle", site, "-o", bundle).CombinedOutput()
	if err != nil {
		t.Fatalf("herald bundle: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "wrote "+bundle) {
		t.Errorf("herald bundle said:\n%s", out)
	}
	certFile, keyFile, pool := testCert(t, tmp, "localhost")
	base := startServer(t, bundle, "--addr", "127.0.0.1:0", "--cert", certFile, "--key", keyFile)
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "https" {
		t.Fatalf("the bundle printed %q, want its https URL", base)
	}
	client := h2Client(pool, "localhost", u.Host)

	// Every file of the site, eight at a time.
	root, err := os.OpenRoot(site)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var names []string
	fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !manifest.Hidden("/"+p) {
			names = append(names, p)
		}
		return nil
	})
	if len(names) < 1000 {
		t.Fatalf("%d files in the python docs: the site is not prepared right", len(names))
	}
	work := make(chan string)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []string
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range work {
				if err := fetchSame(client, root.FS(), "https://localhost/", name); err != nil {
					mu.Lock()
					failed = append(failed, err.Error())
					mu.Unlock()
				}
			}
		}()
	}
	for _, n := range names {
		work <- n
	}
	close(work)
	wg.Wait()
	if len(failed) > 0 {
		t.Errorf("%d of %d files differ; first: %s", len(failed), len(names), strings.Join(failed[:min(5, len(failed))], "\n"))
	}

	// The index page names its critical assets, from the bundled manifest,
	// in Link headers of the 103 and of the response.
	m, _, err := manifest.Build(root.FS(), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var hints []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		if code == http.StatusEarlyHints {
			hints = append(hints, h["Link"]...)
		}
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", "https://localhost/index.html", nil)
	req.Header.Set("Sec-Fetch-Mode", "navigate") // hints go to navigations only
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	links := strings.Join(resp.Header.Values("Link"), ", ")
	assets := m.Pages["/index.html"].Assets
	if len(assets) == 0 {
		t.Fatal("the manifest lists no critical assets for /index.html")
	}
	for _, a := range assets {
		if !strings.Contains(links, "<"+a.Path+">") {
			t.Errorf("Link headers of /index.html lack %s: %s", a.Path, links)
		}
		if !strings.Contains(strings.Join(hints, ", "), "<"+a.Path+">") {
			t.Errorf("103 Early Hints of /index.html lack %s: %q", a.Path, hints)
		}
	}

	// Debian's nghttp, which accepts push, is promised the same assets,
	// stylesheets first, from the bundled manifest.
	out, err = exec.Command(testsite.Tool(t, "nghttp"), "-nv", strings.TrimSuffix(base, "/")+"/index.html").CombinedOutput()
	if err != nil {
		t.Fatalf("nghttp: %v\n%s", err, out)
	}
	var styles, others []string
	for _, a := range assets {
		if a.As == "style" {
			styles = append(styles, a.Path)
		} else {
			others = append(others, a.Path)
		}
	}
	if got, want := testsite.Promised(string(out)), append(styles, others...); !slices.Equal(got, want) {
		t.Errorf("nghttp was promised\n%q\nwant\n%q", got, want)
	}

	// A range comes straight from the executable.
	req, _ = http.NewRequest("GET", "https://localhost/_static/pygments.css", nil)
	req.Header.Set("Range", "bytes=10-29")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	whole, _ := fs.ReadFile(root.FS(), "_static/pygments.css")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(part, whole[10:30]) {
		t.Errorf("range: %d %q, want 206 %q", resp.StatusCode, part, whole[10:30])
	}

	// Cut short, the same bundle does not start.
	data, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(tmp, "cut")
	if err := os.WriteFile(cut, data[:len(data)-4096], 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cut, "--addr", "127.0.0.1:0")
	outb, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); err == nil || code != exitFindings ||
		!strings.Contains(string(outb), "herald: error: bundle "+cut+": ") || !strings.Contains(string(outb), "the bundle is truncated or corrupted") {
		t.Errorf("truncated bundle: exit %d, output:\n%s", code, outb)
	}
}

// fetchSame fetches a file of the site and compares it with the file.
func fetchSame(c *http.Client, fsys fs.FS, base, name string) error {
	want, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	u := base + (&url.URL{Path: name}).EscapedPath()
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
		return fmt.Errorf("%s: %d, %d bytes, want 200 and %d bytes", name, resp.StatusCode, len(got), len(want))
	}
	return nil
}

// TestBundleOutputInSite: a bundle written into its own site would be
// carried (and served) by the next bundle of that site: refused.
func TestBundleOutputInSite(t *testing.T) {
	dir := site(t, map[string]string{"index.html": "<h1>hi</h1>"})
	t.Chdir(dir)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"inside the site folder", []string{"bundle", ".", "-o", "mysite"}, "-o mysite is inside the site folder .: the next bundle would carry this one"},
		{"suggests the folder above", []string{"bundle", ".", "-o", "mysite"}, "such as -o ../mysite"},
		{"in a subfolder", []string{"bundle", ".", "-o", "bin/mysite"}, "-o bin/mysite is inside the site folder"},
		{"by an absolute path", []string{"bundle", dir, "-o", filepath.Join(dir, "mysite")}, "is inside the site folder " + dir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := herald(t, tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("herald %v: exit %d, stderr %q; want %d and %q", tt.args, code, stderr, exitUsage, tt.want)
			}
		})
	}
}

// TestServedFromSite: which output paths would become part of a site.
func TestServedFromSite(t *testing.T) {
	dir := site(t, map[string]string{"index.html": "<h1>hi</h1>"})
	outside := t.TempDir()
	link := filepath.Join(outside, "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		out  string
		want bool
	}{
		{"a file of the site", filepath.Join(dir, "mysite"), true},
		{"in a subfolder not made yet", filepath.Join(dir, "bin", "mysite"), true},
		{"through a link to the site", filepath.Join(link, "mysite"), true},
		{"a dotfile", filepath.Join(dir, ".mysite"), false},
		{"the manifest", filepath.Join(dir, "push-manifest.json"), false},
		{"outside", filepath.Join(outside, "mysite"), false},
		{"beside the folder", dir + "-mysite", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := servedFromSite(dir, tt.out); got != tt.want {
				t.Errorf("servedFromSite(%s, %s) = %v, want %v", dir, tt.out, got, tt.want)
			}
		})
	}
}

// TestBundleInterrupted: Ctrl-C while a bundle is being written stops it,
// says so, exits 1 and removes the unfinished copy (a signal used to skip
// the deferred removal and leave a hidden file of tens of MiB beside -o).
func TestBundleInterrupted(t *testing.T) {
	files := map[string]string{"index.html": "<h1>hi</h1>"}
	for i := range 8 {
		// Text that compresses slowly, so that the signal comes mid-way.
		b := make([]byte, 1<<20)
		rand.Read(b)
		files[fmt.Sprintf("t%02d.txt", i)] = fmt.Sprintf("%x", b[:len(b)/2])
	}
	dir := site(t, files)
	outDir := t.TempDir()
	out := filepath.Join(outDir, "mysite")
	var stdout, stderr testsite.Buffer
	code := make(chan int)
	go func() {
		code <- run([]string{"herald", "bundle", dir, "-o", out, "--precompress"}, &stdout, &stderr)
	}()
	eventually(t, "the unfinished copy beside -o", func() bool {
		entries, _ := os.ReadDir(outDir)
		return len(entries) > 0
	})
	interrupt(t)
	if c := <-code; c != exitFindings || !strings.Contains(stderr.String(), "herald: error: interrupted: nothing was written to "+out) {
		t.Errorf("exit %d, stderr %q; want %d and the interruption", c, stderr.String(), exitFindings)
	}
	if entries, _ := os.ReadDir(outDir); len(entries) > 0 {
		t.Errorf("left beside -o: %v", entries)
	}
}

// TestBundleRunHint: the command herald bundle prints to run the bundle is
// its path as given to -o, quoted for a shell, without an --addr; it was
// "./NAME --addr :8080" whatever folder -o named, unquoted, and on every
// interface where the bundle's default is 127.0.0.1.
func TestBundleRunHint(t *testing.T) {
	dir := site(t, map[string]string{"index.html": "<h1>hi</h1>"})
	t.Chdir(t.TempDir())
	os.Mkdir("my dist", 0o755)
	code, stdout, stderr := herald(t, "bundle", dir, "-o", "my dist/my site")
	if want := "\nrun it: 'my dist/my site'\n"; code != exitOK || !strings.HasSuffix(stdout, want) {
		t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", code, stdout, stderr, exitOK, want)
	}

	tests := []struct{ out, want string }{
		{"mysite", "./mysite"},
		{"bin/mysite", "bin/mysite"},
		{"./mysite", "./mysite"},
		{"../out/mysite", "../out/mysite"},
		{"/srv/www/mysite", "/srv/www/mysite"},
		{"-site", "./-site"},
		{"my site", "'./my site'"},
		{"it's", `'./it'\''s'`},
		{"out/$HOME*", "'out/$HOME*'"},
		{"~/mysite", "'~/mysite'"},
	}
	for _, tt := range tests {
		if got := runCommand(tt.out); got != tt.want {
			t.Errorf("runCommand(%q) = %s, want %s", tt.out, got, tt.want)
		}
	}
}
