package serve

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"herald/manifest"
)

// discardWriter is the cheapest http.ResponseWriter: the benchmarks below
// measure the handler, not a connection (BenchmarkServeTLS and h2load do).
type discardWriter struct {
	h    http.Header
	code int
	n    int64
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 || w.code < 200 {
		w.code = code
	}
}
func (w *discardWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func benchRequest(path string, proto int, header ...string) *http.Request {
	r := &http.Request{Method: "GET", URL: &url.URL{Path: path}, Header: http.Header{},
		ProtoMajor: proto, Proto: "HTTP/" + map[int]string{1: "1.1", 2: "2.0"}[proto], RequestURI: path}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

// BenchmarkHandler measures one request through the handler on the Python
// docs: a small cached stylesheet, the index page with its 14 Link values
// and an early hints response, a large script read from disk, and every
// file of the site in turn. BenchmarkFileServer does the same requests
// through net/http's FileServer, for comparison.
func BenchmarkHandler(b *testing.B) {
	fsys, m := pythonSite(b)
	benchRequests(b, New(fsys, m, DefaultOptions()), m)
}

func BenchmarkFileServer(b *testing.B) {
	fsys, m := pythonSite(b)
	benchRequests(b, http.FileServerFS(fsys), m)
}

func benchRequests(b *testing.B, h http.Handler, m *manifest.Manifest) {
	var all []string
	for p := range m.Files {
		if !manifest.Hidden(p) {
			if strings.HasSuffix(p, "/index.html") {
				p = strings.TrimSuffix(p, "index.html") // FileServer redirects */index.html
			}
			all = append(all, p)
		}
	}
	sort.Strings(all)
	nav := []string{"Accept", "text/html", "Sec-Fetch-Mode", "navigate", "Accept-Encoding", "gzip, br"}
	cases := []struct {
		name  string
		reqs  []*http.Request
		bytes int64
	}{
		{name: "small", reqs: []*http.Request{benchRequest("/_static/pygments.css", 2, "Accept-Encoding", "gzip, br")}},
		{name: "page", reqs: []*http.Request{benchRequest("/", 2, nav...)}},
		{name: "large", reqs: []*http.Request{benchRequest("/_static/jquery.js", 2, "Accept-Encoding", "gzip, br")}},
		{name: "all", reqs: func() []*http.Request {
			var reqs []*http.Request
			for _, p := range all {
				reqs = append(reqs, benchRequest(p, 2, "Accept-Encoding", "gzip, br"))
			}
			return reqs
		}()},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			w := &discardWriter{h: http.Header{}}
			var n int64
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				r := c.reqs[i%len(c.reqs)]
				clear(w.h)
				w.code, w.n = 0, 0
				h.ServeHTTP(w, r)
				if w.code != 0 && w.code != 200 {
					b.Fatalf("%s: status %d", r.URL.Path, w.code)
				}
				n += w.n
			}
			b.SetBytes(n / int64(b.N))
		})
	}
}
