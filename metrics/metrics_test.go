package metrics_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"herald/compress"
	"herald/internal/testsite"
	"herald/metrics"
	"herald/serve"
	"herald/watch"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

func TestMain(m *testing.M) { os.Exit(testsite.RunWithTempCache(m)) }

// TestMetrics serves a watched folder over TLS with metrics on, makes real
// requests (HTTP/1.1, HTTP/2 with push, again with the digest cookie, an
// edit the watcher applies) and scrapes the metrics endpoint over HTTP
// after each, checking how much each counter moved.
func TestMetrics(t *testing.T) {
	css := strings.Repeat("p { color: red; margin: 0 }\n", 200) // compressible
	dir := testsite.WriteDir(t, map[string]string{
		"index.html": `<link rel=stylesheet href=a.css><script src=a.js></script><p>hi`,
		"a.css":      css,
		"a.js":       "var a = 1;",
	})
	m := metrics.New(false)
	opts := serve.DefaultOptions()
	opts.Observe = m.Observer("")
	opts.Compressed = compress.New(compress.Options{})
	defer opts.Compressed.Close()
	m.Compression(opts.Compressed.Stats)
	var h *serve.Handler
	changed := make(chan struct{}, 10)
	w, err := watch.New(dir, watch.Options{OnChange: func(ch watch.Change) {
		h.SetManifest(ch.Manifest)
		m.Rebuilt(ch.Full, ch.Took)
		changed <- struct{}{}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	h = serve.New(root.FS(), w.Manifest(), opts)

	cfg, leaf := selfSigned(t, "site.test")
	m.Certificates(func() []metrics.Cert { return metrics.ConfigCerts(cfg, "site.test") })
	site := serveOn(t, h, serve.ServerOptions{TLS: cfg, NoHTTP3: true})
	scrapeURL := serveOn(t, m.Handler(), serve.ServerOptions{}) + strings.TrimPrefix(metrics.Path, "/")
	before := scrape(t, scrapeURL)

	// HTTP/1.1: a stylesheet, twice gzip (made once, then from memory, or
	// twice from memory when the warmer made it first), and a 404.
	h1 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}}
	var body int
	for _, p := range []string{"a.css", "a.css", "missing"} {
		req, _ := http.NewRequest("GET", site+p, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := h1.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Proto != "HTTP/1.1" {
			t.Fatalf("%s over %s", p, resp.Proto)
		}
		body += len(b)
	}
	after := moved(t, "HTTP/1.1", scrapeURL, before, map[string]float64{
		`herald_http_requests_total{code="200",protocol="HTTP/1.1"}`: 2,
		`herald_http_requests_total{code="404",protocol="HTTP/1.1"}`: 1,
		`herald_http_response_bytes_total`:                           float64(body),
		`herald_http_request_duration_seconds_count`:                 3,
		`herald_pushes_total`:                                        0,
	})
	if d := delta(after, before, `herald_compress_cache_hits_total{tier="memory"}`) + delta(after, before, `herald_compress_cache_hits_total{tier="disk"}`) +
		delta(after, before, "herald_compress_cache_misses_total") + delta(after, before, "herald_compress_cache_busy_total"); d != 2 {
		t.Errorf("compression cache: hits, misses and busy moved by %v over 2 gzip requests, want 2", d)
	}
	if d := delta(after, before, `herald_compress_cache_hits_total{tier="memory"}`); d < 1 {
		t.Errorf("compression cache: the second gzip request of a.css was no memory hit (moved %v)", d)
	}

	// HTTP/2 with push: the page pushes its two assets (three requests
	// served) and hints two links; again with the digest cookie, nothing is
	// pushed and both count as digest hits.
	addr := strings.TrimSuffix(strings.TrimPrefix(site, "https://"), "/")
	c := dialH2(t, addr, true)
	nav := []string{"accept", "text/html", "sec-fetch-mode", "navigate"}
	first := c.get("/", nav...)
	if len(first.pushes) != 2 || first.cookie == "" {
		t.Fatalf("first visit: pushed %v, cookie %q", first.pushes, first.cookie)
	}
	before, after = after, moved(t, "HTTP/2 with push", scrapeURL, after, map[string]float64{
		`herald_http_requests_total{code="200",protocol="HTTP/2.0"}`: 3,
		`herald_pushes_total`:           2,
		`herald_early_hint_links_total`: 2,
		`herald_digest_hits_total`:      0,
	})
	second := c.get("/", append(nav, "cookie", first.cookie)...)
	if len(second.pushes) != 0 {
		t.Fatalf("second visit with the cookie pushed %v", second.pushes)
	}
	before, after = after, moved(t, "HTTP/2 with the digest cookie", scrapeURL, after, map[string]float64{
		`herald_http_requests_total{code="200",protocol="HTTP/2.0"}`: 1,
		`herald_pushes_total`:           0,
		`herald_early_hint_links_total`: 2,
		`herald_digest_hits_total`:      2,
	})

	// A client that refuses push (every browser) gets the cookie too: what
	// it lists is no digest hit, as it would not have been pushed.
	browser := dialH2(t, addr, false)
	browser.get("/", append(nav, "cookie", first.cookie)...)
	before, after = after, moved(t, "HTTP/2 without push, with the cookie", scrapeURL, after, map[string]float64{
		`herald_http_requests_total{code="200",protocol="HTTP/2.0"}`: 1,
		`herald_early_hint_links_total`:                              2,
		`herald_digest_hits_total`:                                   0,
	})

	// A saved file: one update put in service.
	os.WriteFile(filepath.Join(dir, "a.js"), []byte("var a = 2;"), 0o644)
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("no rebuild 10 s after a file was written")
	}
	_, after = after, moved(t, "a watch rebuild", scrapeURL, after, map[string]float64{
		`herald_watch_rebuilds_total{kind="update"}`:  1,
		`herald_watch_rebuilds_total{kind="full"}`:    0,
		`herald_watch_rebuild_duration_seconds_count`: 1,
	})

	want := time.Until(leaf.NotAfter).Seconds()
	if got := value(after, `herald_certificate_expiry_seconds{name="site.test"}`); math.Abs(got-want) > 60 {
		t.Errorf("certificate expiry %v s, want about %v", got, want)
	}
	for _, name := range []string{"go_goroutines", "process_open_fds"} {
		if _, ok := after[name]; !ok {
			t.Errorf("no %s: the Go and process collectors are missing", name)
		}
	}
}

// TestMetricsSites: with sites, the request metrics carry the site's name.
func TestMetricsSites(t *testing.T) {
	m := metrics.New(true)
	r, _ := http.NewRequest("GET", "/", nil)
	m.Observer("docs")(r, serve.Record{Status: 200, Bytes: 5})
	m.Observer("blog")(r, serve.Record{Status: 304})
	srv := serveOn(t, m.Handler(), serve.ServerOptions{})
	got := scrape(t, srv+"metrics")
	for k, want := range map[string]float64{
		`herald_http_requests_total{code="200",protocol="HTTP/1.1",site="docs"}`: 1,
		`herald_http_requests_total{code="304",protocol="HTTP/1.1",site="blog"}`: 1,
		`herald_http_response_bytes_total{site="docs"}`:                          5,
	} {
		if v := value(got, k); v != want {
			t.Errorf("%s = %v, want %v", k, v, want)
		}
	}
}

// serveOn serves h with serve.Serve on a free loopback port until the test
// ends, and returns its URL.
func serveOn(t *testing.T, h http.Handler, opts serve.ServerOptions) string {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve.Serve(ctx, h, opts, func(u string) { ready <- u }) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case u := <-ready:
		return u
	case err := <-done:
		t.Fatal(err)
	}
	return ""
}

// scrape reads the metrics over HTTP, parsed, by series: name{labels}
// with the labels sorted; a histogram gives its _count and _sum.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("scrape: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			key := name + labels(m)
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[key] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key] = m.GetGauge().GetValue()
			case dto.MetricType_UNTYPED:
				out[key] = m.GetUntyped().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[name+"_count"+labels(m)] = float64(m.GetHistogram().GetSampleCount())
				out[name+"_sum"+labels(m)] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out
}

func labels(m *dto.Metric) string {
	if len(m.GetLabel()) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, l := range m.GetLabel() { // the exposition sorts them
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.GetName() + `="` + l.GetValue() + `"`)
	}
	b.WriteByte('}')
	return b.String()
}

func value(m map[string]float64, key string) float64 { return m[key] }

func delta(after, before map[string]float64, key string) float64 { return after[key] - before[key] }

// moved scrapes until each series moved by what want says since before
// (a handler counts its request once it returns, which can be just after
// the client has read the response), for at most 5 s, and returns the
// last scrape.
func moved(t *testing.T, what, url string, before map[string]float64, want map[string]float64) map[string]float64 {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		after := scrape(t, url)
		var wrong []string
		for k, w := range want {
			if d := delta(after, before, k); d != w {
				wrong = append(wrong, fmt.Sprintf("%s moved by %v, want %v", k, d, w))
			}
		}
		if len(wrong) == 0 {
			return after
		}
		if time.Now().After(deadline) {
			sort.Strings(wrong)
			t.Errorf("%s:\n\t%s", what, strings.Join(wrong, "\n\t"))
			return after
		}
	}
}

// selfSigned makes a TLS configuration serving a self-signed certificate
// for host, valid 90 days.
func selfSigned(t *testing.T, host string) (*tls.Config, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, leaf
}

// h2Conn speaks HTTP/2 frame by frame with push on (net/http's and
// x/net's clients turn it off).
type h2Conn struct {
	t      *testing.T
	fr     *http2.Framer
	enc    *hpack.Encoder
	encBuf bytes.Buffer
	host   string
	nextID uint32
}

func dialH2(t *testing.T, addr string, push bool) *h2Conn {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	c := &h2Conn{t: t, fr: http2.NewFramer(conn, conn), host: addr, nextID: 1}
	c.fr.ReadMetaHeaders = hpack.NewDecoder(65536, nil)
	c.enc = hpack.NewEncoder(&c.encBuf)
	io.WriteString(conn, http2.ClientPreface)
	enable := uint32(0)
	if push {
		enable = 1
	}
	c.fr.WriteSettings(http2.Setting{ID: http2.SettingEnablePush, Val: enable}, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 30})
	c.fr.WriteWindowUpdate(0, 1<<30)
	return c
}

type h2Result struct {
	pushes []string // promised paths
	cookie string   // the digest cookie set, as a request sends it
}

// get sends a GET and reads frames until it and the streams it promised end.
func (c *h2Conn) get(path string, extra ...string) h2Result {
	c.t.Helper()
	id := c.nextID
	c.nextID += 2
	c.encBuf.Reset()
	for _, kv := range [][]string{{":method", "GET", ":scheme", "https", ":authority", c.host, ":path", path}, extra} {
		for i := 0; i+1 < len(kv); i += 2 {
			c.enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
		}
	}
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.encBuf.Bytes(), EndStream: true, EndHeaders: true}); err != nil {
		c.t.Fatal(err)
	}
	var res h2Result
	open := map[uint32]bool{id: true}
	for len(open) > 0 {
		f, err := c.fr.ReadFrame()
		if err != nil {
			c.t.Fatalf("reading frames: %v", err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				c.fr.WriteSettingsAck()
			}
		case *http2.PushPromiseFrame:
			hf, err := c.fr.ReadMetaHeaders.DecodeFull(f.HeaderBlockFragment())
			if err != nil {
				c.t.Fatal(err)
			}
			for _, h := range hf {
				if h.Name == ":path" {
					res.pushes = append(res.pushes, h.Value)
				}
			}
			open[f.PromiseID] = true
		case *http2.MetaHeadersFrame:
			for _, h := range f.Fields {
				if h.Name == "set-cookie" && f.StreamID == id {
					res.cookie, _, _ = strings.Cut(h.Value, ";")
				}
			}
			if f.StreamEnded() {
				delete(open, f.StreamID)
			}
		case *http2.DataFrame:
			if f.StreamEnded() {
				delete(open, f.StreamID)
			}
		case *http2.RSTStreamFrame:
			c.t.Fatalf("stream %d reset: %v", f.StreamID, f.ErrCode)
		}
	}
	return res
}
