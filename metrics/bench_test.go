package metrics_test

import (
	"net/http"
	"net/url"
	"os"
	"testing"

	"herald/internal/testsite"
	"herald/manifest"
	"herald/metrics"
	"herald/serve"
)

// BenchmarkObserved measures requests through the handler of the Python
// docs (as serve's BenchmarkHandler does: a small stylesheet, the index
// page with its early hints) without metrics and with them, to show what
// counting costs a request.
func BenchmarkObserved(b *testing.B) {
	root, err := os.OpenRoot(testsite.Dir(b, "python"))
	if err != nil {
		b.Fatal(err)
	}
	defer root.Close()
	m, _, err := manifest.Build(root.FS(), manifest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	req := func(path string, header ...string) *http.Request {
		r := &http.Request{Method: "GET", URL: &url.URL{Path: path}, Header: http.Header{}, ProtoMajor: 2, Proto: "HTTP/2.0", RequestURI: path}
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		return r
	}
	for _, on := range []bool{false, true} {
		opts := serve.DefaultOptions()
		name := "off"
		if on {
			opts.Observe = metrics.New(false).Observer("")
			name = "on"
		}
		h := serve.New(root.FS(), m, opts)
		for _, c := range []struct {
			name string
			r    *http.Request
		}{
			{"small", req("/_static/pygments.css", "Accept-Encoding", "gzip, br")},
			{"page", req("/", "Accept", "text/html", "Sec-Fetch-Mode", "navigate", "Accept-Encoding", "gzip, br")},
		} {
			b.Run(c.name+"/metrics="+name, func(b *testing.B) {
				w := &discard{h: http.Header{}}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.h)
					h.ServeHTTP(w, c.r)
				}
			})
		}
	}
}

type discard struct{ h http.Header }

func (w *discard) Header() http.Header         { return w.h }
func (w *discard) WriteHeader(int)             {}
func (w *discard) Write(p []byte) (int, error) { return len(p), nil }
