package serve

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/internal/testsite"

	"github.com/chromedp/chromedp"
	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// h3Client is quic-go's HTTP/3 client, trusting any certificate, with a
// short handshake timeout: a server that does not speak HTTP/3 fails the
// test in seconds.
func h3Client(t testing.TB) *http.Client {
	return h3ClientTimeout(t, 2*time.Second)
}

func h3ClientTimeout(t testing.TB, handshake time.Duration) *http.Client {
	t.Helper()
	tr := &http3.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		QUICConfig:      &quic.Config{HandshakeIdleTimeout: handshake},
	}
	t.Cleanup(func() { tr.Close() })
	return &http.Client{Transport: tr}
}

// getHints sends GET u through client and returns the 1xx responses (code
// and Link), the response and its body.
func getHints(t testing.TB, client *http.Client, u string, hdr ...string) ([]string, *http.Response, string) {
	t.Helper()
	var hints []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		hints = append(hints, fmt.Sprintf("%d %s", code, strings.Join(h.Values("Link"), ", ")))
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", u, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return hints, resp, string(body)
}

// Serve with TLS also answers HTTP/3 on the same port over UDP: a 103 with
// the hint, then the page, and no Alt-Svc on the HTTP/3 response.
func TestServeHTTP3(t *testing.T) {
	r := start(t, hintingHandler(), ServerOptions{TLS: testTLSConfig(t)})
	hints, resp, body := getHints(t, h3Client(t), r.url)
	if resp.ProtoMajor != 3 || resp.StatusCode != 200 || !strings.HasSuffix(body, "page") {
		t.Errorf("got %s %s %q, want HTTP/3 200 and the page", resp.Proto, resp.Status, body)
	}
	if want := "103 </a.css>; rel=preload; as=style"; len(hints) != 1 || hints[0] != want {
		t.Errorf("1xx responses %q, want [%q]", hints, want)
	}
	if v := resp.Header.Values("Alt-Svc"); len(v) != 0 {
		t.Errorf("HTTP/3 response announces Alt-Svc %q", v)
	}
}

// HTTP/1.1 and HTTP/2 responses announce HTTP/3 on the port they came in
// on; with NoHTTP3 nothing answers over UDP and nothing is announced.
func TestServeAltSvc(t *testing.T) {
	for _, off := range []bool{false, true} {
		t.Run(fmt.Sprintf("off=%v", off), func(t *testing.T) {
			r := start(t, hintingHandler(), ServerOptions{TLS: testTLSConfig(t), NoHTTP3: off})
			u, _ := url.Parse(r.url)
			want := []string{`h3=":` + u.Port() + `"; ma=86400`}
			if off {
				want = nil
			}
			for _, h2 := range []bool{false, true} {
				client := &http.Client{Transport: &http.Transport{
					TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: h2}}
				resp, err := client.Get(r.url + "a.css")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				client.CloseIdleConnections()
				if got := resp.Header.Values("Alt-Svc"); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: Alt-Svc %q, want %q", resp.Proto, got, want)
				}
			}
			_, err := h3ClientTimeout(t, 300*time.Millisecond).Get(r.url + "a.css")
			if off != (err != nil) {
				t.Errorf("NoHTTP3=%v: HTTP/3 request error %v", off, err)
			}
		})
	}
}

// herald's handler over HTTP/3: a navigation gets one 103 with the page's
// Link values, then the page with the same Link header; there is no push
// in HTTP/3, and a request that is no navigation gets no 103.
func TestServeHTTP3Handler(t *testing.T) {
	wantLinks := "</a.css>; rel=preload; as=style, </app.js>; rel=preload; as=script, </b.css>; rel=preload; as=style"
	r := start(t, newHandler(t, testSite(), DefaultOptions()), ServerOptions{TLS: testTLSConfig(t)})
	client := h3Client(t)
	hints, resp, body := getHints(t, client, r.url, "Accept", "text/html", "Sec-Fetch-Mode", "navigate")
	if resp.ProtoMajor != 3 || body != pageHTML {
		t.Fatalf("got %s %s %q", resp.Proto, resp.Status, body)
	}
	if want := []string{"103 " + wantLinks}; !slices.Equal(hints, want) {
		t.Errorf("1xx responses %q, want %q", hints, want)
	}
	if got := strings.Join(resp.Header.Values("Link"), ", "); got != wantLinks {
		t.Errorf("200 Link %q, want %q", got, wantLinks)
	}
	hints, resp, _ = getHints(t, client, r.url, "Sec-Fetch-Mode", "cors")
	if len(hints) != 0 || resp.StatusCode != 200 {
		t.Errorf("a fetch that is no navigation: %s after 1xx %q, want 200 and none", resp.Status, hints)
	}
}

// When the context ends, an HTTP/3 request in flight still gets its whole
// response, Serve returns nil, and nothing answers over UDP afterwards.
func TestServeHTTP3GracefulShutdown(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	body := strings.Repeat("x", 1<<20)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, body)
	})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	opts := ServerOptions{Addr: "127.0.0.1:0", TLS: testTLSConfig(t), Logger: slog.New(slog.DiscardHandler)}
	ready, served := make(chan string, 1), make(chan error, 1)
	go func() { served <- Serve(ctx, h, opts, func(u string) { ready <- u }) }()
	u := <-ready
	got := make(chan string, 1)
	go func() {
		resp, err := h3Client(t).Get(u)
		if err != nil {
			got <- err.Error()
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			got <- err.Error()
			return
		}
		got <- resp.Proto + " " + string(b)
	}()
	<-entered
	stop()
	close(release)
	if b := <-got; b != "HTTP/3.0 "+body {
		t.Errorf("request in flight got %.80q, want the whole body over HTTP/3", b)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
	if _, err := h3ClientTimeout(t, 300*time.Millisecond).Get(u); err == nil {
		t.Error("HTTP/3 still answers after shutdown")
	}
}

// TestChromiumEarlyHintsHTTP3 loads the Python docs' index in a real
// headless Chromium forced onto QUIC, the certificate trusted through its
// public key: the page and every critical asset come over HTTP/3, the
// assets fetched through herald's one 103 (Resource Timing initiatorType
// "early-hints", nextHopProtocol "h3"). As in TestChromiumUsesEarlyHints,
// the server takes 300 ms to make the page after its hints.
func TestChromiumEarlyHintsHTTP3(t *testing.T) {
	chromium := testsite.Tool(t, "chromium")
	fsys, m := pythonSite(t)
	page := m.Pages["/index.html"]
	if len(page.Assets) == 0 {
		t.Fatal("the page has no critical assets: the test checks nothing")
	}
	cfg := testTLSConfig(t)
	leaf, err := x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	think := thinkAfterHints(New(fsys, m, DefaultOptions()), 300*time.Millisecond)
	r := start(t, think, ServerOptions{TLS: cfg})
	u, _ := url.Parse(r.url)
	spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("enable-quic", true), chromedp.Flag("origin-to-force-quic-on", u.Host),
		chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.UserDataDir(t.TempDir()))...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	bctx, cancel = context.WithTimeout(bctx, 120*time.Second)
	defer cancel()
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	base := strings.TrimSuffix(r.url, "/")
	got := resourceTimings(t, bctx, base, "/")
	if p := got["navigation"].Protocol; p != "h3" {
		t.Errorf("the page came over %q, want h3", p)
	}
	for _, a := range page.Assets {
		switch e, ok := got[a.Path]; {
		case !ok:
			t.Errorf("%s: not loaded", a.Path)
		case e.InitiatorType != "early-hints" || e.Protocol != "h3":
			t.Errorf("%s: initiatorType %q over %q, want early-hints over h3", a.Path, e.InitiatorType, e.Protocol)
		}
	}
	if n := think.hints("/"); n != 1 {
		t.Errorf("herald sent %d 103 responses for /, want 1", n)
	}
}

// timing is a Resource Timing entry.
type timing struct {
	Name          string `json:"name"`
	InitiatorType string `json:"initiatorType"`
	Protocol      string `json:"nextHopProtocol"`
}

// resourceTimings loads path in a fresh browser context of the browser of
// bctx and returns its resources' timings by path under base, and the
// page's own under "navigation".
func resourceTimings(t *testing.T, bctx context.Context, base, path string) map[string]timing {
	ctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+path)); err != nil {
		t.Fatal(err)
	}
	entries, err := chromedp.Run(ctx, chromedp.Evaluate[[]timing](`performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource")).map(e =>
		({name: e.entryType == "navigation" ? "navigation" : e.name, initiatorType: e.initiatorType, nextHopProtocol: e.nextHopProtocol}))`))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]timing{}
	for _, e := range entries {
		got[strings.TrimPrefix(e.Name, base)] = e
	}
	return got
}

// An HTTP/3 client that stops reading holds its stream's flow-control
// window shut: the response's writes stall, and StallTimeout cuts it as on
// HTTP/2 (quic-go has no write timeout of its own).
func TestServeHTTP3Stall(t *testing.T) {
	cut := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 16<<10)
		for range 1 << 10 { // 16 MiB, more than any window
			if _, err := w.Write(chunk); err != nil {
				cut <- err
				return
			}
		}
		cut <- nil
	})
	r := start(t, h, ServerOptions{TLS: testTLSConfig(t), StallTimeout: 200 * time.Millisecond})
	resp, err := h3Client(t).Get(r.url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	select {
	case err := <-cut:
		if err == nil {
			t.Error("the handler wrote 16 MiB to a client that read nothing")
		}
	case <-time.After(10 * time.Second):
		t.Error("the stalled response was not cut in 10 s")
	}
}

// BenchmarkServeHTTP3 compares HTTP/3 with HTTP/2 through Serve on the
// Python docs' index (the "small" page, 13 KB), with herald's handler: one
// op is a burst of 64 concurrent GETs (Accept-Encoding: br, no navigation)
// on one connection, as h2load -m 64 sends them (h2load speaks no HTTP/3
// here). It reports responses per second.
func BenchmarkServeHTTP3(b *testing.B) {
	fsys, m := pythonSite(b)
	h := New(fsys, m, DefaultOptions())
	const burst = 64
	for _, proto := range []string{"h2", "h3"} {
		b.Run(proto, func(b *testing.B) {
			u := startBench(b, h, ServerOptions{TLS: testTLSConfig(b), Coalesce: true}) + "index.html"
			var rt http.RoundTripper
			if proto == "h3" {
				tr := &http3.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
				defer tr.Close()
				rt = tr
			} else {
				tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}
				defer tr.CloseIdleConnections()
				rt = tr
			}
			client := &http.Client{Transport: rt}
			get := func() error {
				req, _ := http.NewRequest("GET", u, nil)
				req.Header.Set("Accept-Encoding", "br")
				resp, err := client.Do(req)
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				if _, err := io.Copy(io.Discard, resp.Body); err != nil {
					return err
				}
				if resp.StatusCode != 200 || resp.Proto != map[string]string{"h2": "HTTP/2.0", "h3": "HTTP/3.0"}[proto] {
					return fmt.Errorf("got %s %s", resp.Proto, resp.Status)
				}
				return nil
			}
			if err := get(); err != nil { // the connection, before the clock starts
				b.Fatal(err)
			}
			for b.Loop() {
				var wg sync.WaitGroup
				for range burst {
					wg.Go(func() {
						if err := get(); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
			}
			b.ReportMetric(float64(b.N*burst)/b.Elapsed().Seconds(), "resp/s")
		})
	}
}
